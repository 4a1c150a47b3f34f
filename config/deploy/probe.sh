#!/usr/bin/env bash
# Checks a live Lifeline deployment from outside, as a visitor's browser sees it: TLS, the
# security headers, no cookie, /metrics not public, the WebSocket upgrade, the body limit.
#
#   config/deploy/probe.sh https://help.example.org [extra curl options, e.g. --cacert ca.pem]
#
# Prints one line per check (ok / FAIL) and exits 1 if any failed. Needs bash and curl.
# PROBE_HTTP_URL: the plain-HTTP address to check the redirect on (default: the same host on
# port 80, when the URL names no port). tests/deploy_stack.rs runs it against the nginx site.
set -u

url=${1:-}
if [ -z "$url" ]; then
  echo "usage: $0 https://help.example.org [extra curl options]" >&2
  exit 2
fi
url=${url%/}
shift
extra=("$@")
failed=0
ok() { printf 'ok    %s\n' "$1"; }
bad() { printf 'FAIL  %s\n' "$1"; failed=1; }
fetch() { curl -sS --max-time 10 --http1.1 "${extra[@]}" "$@"; }
# Response headers of GET $1, lower-cased names, no carriage returns.
headers() { fetch -o /dev/null -D - "$url$1" 2>/dev/null | tr -d '\r' | sed 's/^\([^:]*\):/\L\1:/'; }
status() { fetch -o /dev/null -w '%{http_code}' "$@" 2>/dev/null; }

# An onion service is encrypted and authenticated by Tor, not TLS: give curl Tor's proxy,
# e.g. `probe.sh http://xyz.onion --socks5-hostname 127.0.0.1:9050`.
onion=""
tls=""
case "$url" in
  https://*) tls=1; ok "served over https" ;;
  http://*.onion | http://*.onion:*) onion=1; ok "onion service (Tor, not TLS, protects it)" ;;
  *) bad "not https: $url" ;;
esac

# Plain HTTP has no handshake to check (already a FAIL above).
if [ -n "$tls" ]; then
  # TLS: the certificate verifies (curl refuses otherwise), 1.2 or newer only.
  if fetch -o /dev/null "$url/healthz" 2>/dev/null; then
    ok "TLS handshake and certificate"
  else
    bad "cannot reach $url/healthz over verified TLS"
  fi
  # SECLEVEL=0 so that curl's OpenSSL offers TLS 1.1 and only the server can refuse it.
  if fetch -o /dev/null --tlsv1.1 --tls-max 1.1 --ciphers 'DEFAULT@SECLEVEL=0' \
    "$url/healthz" 2>/dev/null; then
    bad "TLS 1.1 accepted"
  else
    ok "TLS 1.1 and older refused"
  fi
fi

for path in / /help /v1/config /healthz; do
  h=$(headers "$path")
  if [ -z "$h" ]; then
    bad "$path: no response"
    continue
  fi
  grep -q '^set-cookie:' <<<"$h" && bad "$path sets a cookie" || ok "$path sets no cookie"
  grep -qi "^content-security-policy:.*default-src 'none'" <<<"$h" \
    && ok "$path: CSP default-src 'none'" || bad "$path: no strict Content-Security-Policy"
  grep -qi '^referrer-policy: *no-referrer' <<<"$h" \
    && ok "$path: Referrer-Policy no-referrer" || bad "$path: no Referrer-Policy no-referrer"
  grep -qi '^x-content-type-options: *nosniff' <<<"$h" \
    && ok "$path: nosniff" || bad "$path: no X-Content-Type-Options nosniff"
  grep -qi '^x-frame-options: *deny' <<<"$h" \
    && ok "$path: X-Frame-Options DENY" || bad "$path: no X-Frame-Options DENY"
  if [ -z "$onion" ]; then
    hsts=$(sed -n 's/^strict-transport-security: *max-age=\([0-9]*\).*/\1/p' <<<"$h")
    [ "${hsts:-0}" -ge 15552000 ] 2>/dev/null \
      && ok "$path: HSTS max-age $hsts" || bad "$path: no HSTS of six months or more"
  fi
  grep -qi '^server:.*[0-9]' <<<"$h" && bad "$path: Server header names a version" || true
done
grep -qi '^cache-control:.*no-store' <<<"$(headers /v1/config)" \
  && ok "/v1/config is not cached" || bad "/v1/config lacks Cache-Control no-store"

code=$(status "$url/metrics")
[ "$code" != 200 ] && ok "/metrics not public ($code)" || bad "/metrics is public"

# A WebSocket upgrade (the relay then sends a challenge; curl gives up after 3 s).
code=$(fetch -o /dev/null -w '%{http_code}' --max-time 3 \
  -H 'Connection: Upgrade' -H 'Upgrade: websocket' -H 'Sec-WebSocket-Version: 13' \
  -H 'Sec-WebSocket-Key: bGlmZWxpbmUtcHJvYmUtMQ==' "$url/v1/visitor" 2>/dev/null)
[ "$code" = 101 ] && ok "WebSocket upgrade on /v1/visitor" || bad "no WebSocket upgrade on /v1/visitor ($code)"

# Bodies over the relay's limit (512 KiB) are refused before they reach it.
code=$(head -c 600000 /dev/zero | status -X POST -H 'Content-Type: application/json' \
  --data-binary @- "$url/v1/tips")
[ "$code" = 413 ] && ok "a 600 kB body is refused (413)" || bad "a 600 kB body got $code, not 413"

http_url=${PROBE_HTTP_URL:-}
host_part=${url#https://}
if [ -z "$http_url" ] && [ -z "$onion" ] && [ "${host_part%%/*}" = "${host_part%%[:/]*}" ]; then
  http_url="http://${host_part%%/*}"
fi
if [ -n "$http_url" ]; then
  where=$(fetch -o /dev/null -w '%{http_code} %{redirect_url}' "$http_url/help" 2>/dev/null)
  case "$where" in
    30[178]\ https://*) ok "plain HTTP redirects to https" ;;
    *) bad "plain HTTP does not redirect to https ($where)" ;;
  esac
fi

if [ "$failed" = 0 ]; then echo "all checks passed"; else echo "some checks FAILED"; fi
exit "$failed"
