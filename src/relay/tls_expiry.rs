//! The TLS certificate's expiry, watched so that it never lapses silently: the relay's own
//! (`server.tls_cert`) or, behind a proxy that terminates TLS (the deploy kit's Caddy or
//! nginx), the proxy's (`server.tls_watch_cert`). From [`WARN_DAYS`] before its `notAfter`
//! the log warns once a day; `/metrics` shows the whole days left and `/readyz` says it in
//! its detail, like the revocation list's warnings (`revocations.rs`).
//!
//! Only the first (leaf) certificate of the PEM file counts: it is the one browsers check.
//! Must never read or name a private key, and never stop or unready the relay over the
//! certificate: an expired one is for the operator to fix, and the relay says so loudly.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use rustls_pki_types::CertificateDer;
use rustls_pki_types::pem::PemObject;

use super::state::Relay;
use crate::config::Config;

/// Warnings start this many days before the certificate expires.
pub const WARN_DAYS: i64 = 7;
/// How often the watcher looks whether a new day began (it reads the file once a day).
const LOOK_EVERY: Duration = Duration::from_secs(2);
const DAY: i64 = 86_400;

/// Why the watched certificate's expiry is unknown.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TlsExpiryError {
    /// The file could not be read as PEM, or holds no certificate.
    #[error("{0}: {1}")]
    Unreadable(PathBuf, String),
    /// The first certificate is not X.509 DER.
    #[error("{0}: not an X.509 certificate: {1}")]
    NotX509(PathBuf, String),
}

/// The certificate file watched: `server.tls_watch_cert` (the proxy's), else the relay's
/// own `server.tls_cert`, else none.
pub fn watched(config: &Config) -> Option<PathBuf> {
    [&config.server.tls_watch_cert, &config.server.tls_cert]
        .into_iter()
        .find(|p| !p.is_empty())
        .map(PathBuf::from)
}

/// The leaf certificate's `notAfter`, Unix seconds.
pub fn not_after(path: &Path) -> Result<i64, TlsExpiryError> {
    let unreadable =
        |e: &dyn std::fmt::Display| TlsExpiryError::Unreadable(path.to_path_buf(), e.to_string());
    let leaf = CertificateDer::from_pem_file(path).map_err(|e| unreadable(&e))?;
    let (_, parsed) = x509_parser::parse_x509_certificate(&leaf)
        .map_err(|e| TlsExpiryError::NotX509(path.to_path_buf(), e.to_string()))?;
    Ok(parsed.validity().not_after.timestamp())
}

impl Relay {
    /// Seconds until the watched TLS certificate expires (negative: it has), if one is
    /// watched.
    pub fn tls_seconds_left(&self) -> Option<Result<i64, TlsExpiryError>> {
        let path = watched(&self.config)?;
        let now = self.clock.unix_s() as i64;
        Some(not_after(&path).map(|at| at - now))
    }

    /// The `/metrics` row: whole days left, rounded down; nothing when none is watched or
    /// it cannot be read (the log and `/readyz` say why).
    pub fn tls_metrics(&self) -> String {
        match self.tls_seconds_left() {
            Some(Ok(left)) => format!(
                "# TYPE lifeline_tls_certificate_days_left gauge\nlifeline_tls_certificate_days_left {}\n",
                left.div_euclid(DAY)
            ),
            _ => String::new(),
        }
    }

    /// A line for `/readyz`'s detail: the days left, and what to do when close or past.
    pub fn tls_readiness_detail(&self) -> String {
        match self.tls_seconds_left() {
            None => String::new(),
            Some(Ok(left)) if left <= 0 => {
                "\ntls certificate: EXPIRED: browsers refuse this service; renew it now".into()
            }
            Some(Ok(left)) if left < WARN_DAYS * DAY => format!(
                "\ntls certificate: {} days left: renew it",
                left.div_euclid(DAY)
            ),
            Some(Ok(left)) => format!("\ntls certificate: {} days left", left.div_euclid(DAY)),
            Some(Err(e)) => format!("\ntls certificate: expiry unknown: {e}"),
        }
    }

    /// The day's warning, if the certificate is within [`WARN_DAYS`] of expiry, expired, or
    /// unreadable.
    fn warn_tls_expiry(&self) {
        let Some(path) = watched(&self.config) else {
            return;
        };
        match self.tls_seconds_left() {
            Some(Ok(left)) if left < WARN_DAYS * DAY => tracing::warn!(
                certificate = %path.display(),
                days_left = left.div_euclid(DAY),
                "the TLS certificate is within 7 days of expiry (or past it): renew it, or browsers refuse every visitor"
            ),
            Some(Err(e)) => tracing::warn!(
                reason = %e,
                "cannot read the TLS certificate to watch its expiry"
            ),
            _ => {}
        }
    }
}

/// Runs for the relay's life when a certificate is watched: looks at it at start and on
/// each new day of the relay's clock, and warns as [`Relay::warn_tls_expiry`] says.
pub async fn watch(relay: Arc<Relay>) {
    if watched(&relay.config).is_none() {
        return;
    }
    let mut tick = tokio::time::interval(LOOK_EVERY);
    let mut last_day = None;
    loop {
        tick.tick().await;
        let today = relay.clock.unix_s() / DAY as u64;
        if last_day != Some(today) {
            last_day = Some(today);
            relay.warn_tls_expiry();
        }
    }
}
