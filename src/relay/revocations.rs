//! The revocation list in use on this node, and how it changes while the relay runs: the
//! `revocations.list` file looked at every few seconds and at once on SIGHUP, the newest list
//! shared through Redis with the other nodes, and the daily warning before the list or the
//! inbox certificate goes stale for the widget.
//!
//! A list is adopted only when it verifies under the organisation key and was issued after
//! the one in use; anything else is refused with a log line and the current list kept. A
//! coordinator signed in here whose serial a new list revokes is cut off (4006) and their
//! visitors requeued. Must never drop a list for none, never trust what Redis holds without
//! verifying it, and never log a serial or an alias.

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use super::state::Relay;
use crate::crypto::certificate::RevocationList;
use crate::keyfile;
use crate::protocol::CloseCode;
use crate::store::SharedRevocations;

/// How often the file and the shared list are looked at: a new list is in use within this.
pub const RELOAD_EVERY: Duration = Duration::from_secs(2);
/// Warnings start this many days before the widget would refuse the list or the inbox
/// certificate expires.
pub const WARN_DAYS: i64 = 7;
const DAY: i64 = 86_400;

/// The list in use, and what was last looked at where new ones come from.
pub struct Revocations {
    current: RwLock<Arc<RevocationList>>,
    file: PathBuf,
    /// The bytes last read from the file and from Redis: an unchanged source is not
    /// verified (nor refused and logged) again every few seconds.
    file_seen: Mutex<Vec<u8>>,
    shared_seen: Mutex<Vec<u8>>,
    shared: Option<SharedRevocations>,
    /// The Unix day of the last expiry warning: they are logged once a day.
    warned_day: AtomicU64,
}

/// What became of a list offered to the relay.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Offered {
    /// Verified and newer: now in use.
    Adopted,
    /// The very list in use.
    Unchanged,
    /// Failed verification, or not newer than the one in use: the current one is kept.
    Refused,
}

impl Revocations {
    /// Starts from the list loaded with the keys; `file` is where the organisation drops new ones.
    pub fn new(initial: RevocationList, file: PathBuf, shared: Option<SharedRevocations>) -> Self {
        Self {
            file_seen: Mutex::new(initial.as_bytes().to_vec()),
            current: RwLock::new(Arc::new(initial)),
            file,
            shared_seen: Mutex::new(Vec::new()),
            shared,
            warned_day: AtomicU64::new(u64::MAX),
        }
    }

    /// The list in use now.
    pub fn current(&self) -> Arc<RevocationList> {
        self.current
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }
}

/// Whether `bytes` differs from what `seen` holds; records it if so (also used for the
/// inbox certificate's file).
pub(super) fn changed(seen: &Mutex<Vec<u8>>, bytes: &[u8]) -> bool {
    let mut seen = seen.lock().unwrap_or_else(|p| p.into_inner());
    if *seen == bytes {
        return false;
    }
    *seen = bytes.to_vec();
    true
}

impl Relay {
    /// The revocation list in use now (served in `welcome` and `/v1/config`, applied at sign-in).
    pub fn revocations(&self) -> Arc<RevocationList> {
        self.revocation_book.current()
    }

    /// Verifies `bytes` and adopts it if newer than the list in use. `source` names where it
    /// came from in the log line.
    pub fn offer_revocations(&self, bytes: &[u8], source: &'static str) -> Offered {
        let list = match RevocationList::decode_verified(
            bytes,
            &self.keys.organisation,
            self.clock.unix_s(),
            None,
        ) {
            Ok(list) => list,
            Err(e) => {
                tracing::warn!(source, reason = %e, "revocation list refused; the current one is kept");
                return Offered::Refused;
            }
        };
        let book = &self.revocation_book;
        {
            let mut current = book.current.write().unwrap_or_else(|p| p.into_inner());
            if list.as_bytes() == current.as_bytes() {
                return Offered::Unchanged;
            }
            if list.issued_at() <= current.issued_at() {
                // An older list in the store is another node behind this one, which shares
                // its newer list next: no mistake of the operator's, so no warning.
                if source == "shared" {
                    return Offered::Refused;
                }
                tracing::warn!(
                    source,
                    issued_at = list.issued_at(),
                    in_use_issued_at = current.issued_at(),
                    "revocation list refused: not newer than the one in use, which is kept"
                );
                return Offered::Refused;
            }
            *current = Arc::new(list);
        }
        let list = book.current();
        tracing::info!(
            source,
            issued_at = list.issued_at(),
            revoked = list.serials().len(),
            "revocation list adopted"
        );
        self.cut_off_revoked(&list);
        Offered::Adopted
    }

    /// Closes (4006) every coordinator signed in here whose serial `list` revokes; their
    /// connections' end requeues their visitors.
    fn cut_off_revoked(&self, list: &RevocationList) {
        let cut = self.live.with(|live| {
            live.coordinators
                .iter()
                .filter(|(serial, _)| list.contains(**serial))
                .inspect(|(_, c)| c.outbox.close(CloseCode::AuthFailed))
                .count()
        });
        if cut > 0 {
            tracing::warn!(
                coordinators = cut,
                "revoked coordinators signed out; their visitors requeued"
            );
        }
    }

    /// Looks once at the file and at the list shared through Redis, adopting the newest that
    /// verifies, and shares the one in use if it is newer than the shared one.
    pub async fn reload_revocations(&self) {
        let book = &self.revocation_book;
        match keyfile::read_key(&book.file) {
            Ok(bytes) if changed(&book.file_seen, &bytes) => {
                self.offer_revocations(&bytes, "file");
            }
            Ok(_) => {}
            Err(e) if changed(&book.file_seen, b"unreadable") => {
                tracing::warn!(reason = %e, "revocation list file unreadable; the current one is kept");
            }
            Err(_) => {}
        }
        let Some(shared) = &book.shared else { return };
        let bytes = shared.get().await;
        if let Some(bytes) = &bytes
            && changed(&book.shared_seen, bytes)
        {
            self.offer_revocations(bytes, "shared");
        }
        let current = self.revocations();
        // Redis is not trusted with the list: one that does not verify, or is older than the
        // one in use here, is replaced whatever date Redis keeps beside it (a forged date
        // would otherwise block every newer list from reaching the other nodes).
        let distrusted = bytes.as_deref().is_some_and(|b| {
            RevocationList::decode_verified(b, &self.keys.organisation, self.clock.unix_s(), None)
                .map_or(true, |shared| shared.issued_at() < current.issued_at())
        });
        if *book.shared_seen.lock().unwrap_or_else(|p| p.into_inner()) != current.as_bytes()
            && shared
                .offer(current.issued_at(), current.as_bytes(), distrusted)
                .await
        {
            changed(&book.shared_seen, current.as_bytes());
        }
    }

    /// Seconds until the widget would refuse the list in use (negative: it already does).
    pub fn revocations_seconds_left(&self) -> i64 {
        let max_age = self.config.widget.revocations_max_age_days as i64 * DAY;
        self.revocations().issued_at() as i64 + max_age - self.clock.unix_s() as i64
    }

    /// Seconds until the tip-inbox certificate expires.
    pub fn inbox_seconds_left(&self) -> i64 {
        self.inbox_certificate().body().not_after as i64 - self.clock.unix_s() as i64
    }

    /// The `/metrics` rows for the days left, whole days rounded down.
    pub fn expiry_metrics(&self) -> String {
        [
            (
                "lifeline_revocations_days_left",
                self.revocations_seconds_left(),
            ),
            (
                "lifeline_inbox_certificate_days_left",
                self.inbox_seconds_left(),
            ),
        ]
        .iter()
        .map(|(name, s)| format!("# TYPE {name} gauge\n{name} {}\n", s.div_euclid(DAY)))
        .collect()
    }

    /// Once a day, a warning for each of the list and the inbox certificate that is within
    /// [`WARN_DAYS`] of going stale or expiring.
    pub fn warn_before_expiry(&self) {
        let today = self.clock.unix_s() / DAY as u64;
        if self
            .revocation_book
            .warned_day
            .swap(today, Ordering::Relaxed)
            == today
        {
            return;
        }
        let list = self.revocations_seconds_left();
        if list < WARN_DAYS * DAY {
            tracing::warn!(
                days_left = list.div_euclid(DAY),
                "the revocation list is within 7 days of its maximum age: re-sign it (lifeline keys publish-revocations) or every visitor is refused"
            );
        }
        // Retired, the certificate is still what returning tipsters check their replies
        // against, until it expires: rotated later than this, replies to tips kept for
        // `tips.retention_days` would stop being shown before their tips are erased.
        let inbox = self.inbox_seconds_left();
        let retention = self.config.tips.retention_days as i64;
        if inbox < (WARN_DAYS + retention) * DAY {
            tracing::warn!(
                days_left = inbox.div_euclid(DAY),
                retention_days = retention,
                "the tip-inbox certificate expires within the tips' retention and 7 days: rotate it now (lifeline keys rotate-inbox), or replies to tips sealed to it stop being shown while the tips are still kept"
            );
        }
    }
}

/// Runs for the relay's life: looks for a new list every [`RELOAD_EVERY`] and on SIGHUP,
/// and warns daily before anything goes stale.
pub async fn watch(relay: Arc<Relay>) {
    let mut hangup = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup()).ok();
    let mut tick = tokio::time::interval(RELOAD_EVERY);
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            Some(()) = async {
                match &mut hangup {
                    Some(h) => h.recv().await,
                    None => std::future::pending().await,
                }
            } => tracing::info!("SIGHUP: looking for a new revocation list and inbox certificate"),
        }
        relay.reload_revocations().await;
        // A rotated inbox certificate is dropped in the same folder: looked at as often.
        relay.reload_inbox_certificate();
        relay.reload_previous_inbox_certificates();
        relay.warn_before_expiry();
    }
}
