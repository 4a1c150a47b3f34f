#!/bin/sh
# Copies the proxy's TLS certificate chain (public) where the relay can read it, so its
# expiry is watched (`server.tls_watch_cert`: a warning in the log daily from 7 days before,
# /readyz, /metrics). The relay runs as a user systemd makes up at each start, and cannot read
# certbot's /etc/letsencrypt/live or Caddy's storage (root- or caddy-only). Only the
# certificate is copied: a file holding a private key is refused, and nothing is written.
#
#   certbot: certbot certonly ... --deploy-hook /usr/local/lib/lifeline/tls-watch-copy.sh
#            (certbot names the new certificate's folder in RENEWED_LINEAGE; saved for renewals)
#   Caddy:   daily from cron: tls-watch-copy.sh /var/lib/caddy/.local/share/caddy/certificates/<issuer>/<name>/<name>.crt
#
# The copy goes to /etc/lifeline/tls-watch.pem (LIFELINE_TLS_WATCH_COPY to change it),
# replaced in one step, mode 0644.
set -eu
if [ $# -gt 0 ]; then
    src=$1
elif [ -n "${RENEWED_LINEAGE:-}" ]; then
    src=$RENEWED_LINEAGE/fullchain.pem
else
    echo "tls-watch-copy: name the certificate file, or run as certbot's --deploy-hook (RENEWED_LINEAGE)" >&2
    exit 2
fi
dest=${LIFELINE_TLS_WATCH_COPY:-/etc/lifeline/tls-watch.pem}
if ! grep -q -e '-----BEGIN CERTIFICATE-----' "$src"; then
    echo "tls-watch-copy: $src holds no PEM certificate: nothing copied" >&2
    exit 1
fi
if grep -q -e 'PRIVATE KEY-----' "$src"; then
    echo "tls-watch-copy: $src holds a private key: nothing copied (give it the certificate only)" >&2
    exit 1
fi
tmp=$(mktemp "$dest.XXXXXX")
trap 'rm -f "$tmp"' EXIT
cat "$src" >"$tmp"
chmod 0644 "$tmp"
mv -f "$tmp" "$dest"
trap - EXIT
echo "tls-watch-copy: $src copied to $dest (server.tls_watch_cert = \"$dest\")"
