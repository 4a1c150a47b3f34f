//! The certificate's expiry as the shift sees it: from three days before `not_after` the
//! coordinator is warned (the header shows how long is left, and the status line says so
//! once a day), a certificate installed into the identity meanwhile is taken at the next
//! unlock, and a certificate renewed on the live connection moves the date.
//!
//! It must never read a clock itself: the front end hands it the wall time it reads from
//! the injected [`crate::clock::Clock`].

use super::Shift;
use super::actions::Passphrase;
use super::commands::Command;
use super::notice::Notice;

/// How long before expiry the console starts warning: three days, so a coordinator who
/// works every other day still sees the warning before it is too late.
pub const RENEWAL_WARNING_S: u64 = 3 * 86_400;

/// A certificate close to expiry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExpiryWarning {
    /// Seconds left until `not_after` (0 once expired).
    pub seconds_left: u64,
}

impl ExpiryWarning {
    /// Days left, counting a started day as one: 3 from three days before, 1 on the last
    /// day, 0 once expired.
    pub fn days_left(&self) -> u64 {
        self.seconds_left.div_ceil(86_400)
    }
}

impl Shift {
    /// The wall time moved to `unix_s`: from [`RENEWAL_WARNING_S`] before expiry, the status
    /// line says how long is left, again whenever the whole days left change; granted inbox
    /// keys past their end are dropped.
    pub fn wall_clock(&mut self, unix_s: u64) {
        self.wall = unix_s;
        // Granted inbox keys end on the same wall time (a shift outlasts a grant's last day).
        self.end_inbox_keys(unix_s);
        let Some(warning) = self.certificate_warning() else {
            self.warned_days = None;
            return;
        };
        if self.warned_days != Some(warning.days_left()) {
            self.warned_days = Some(warning.days_left());
            self.status = Notice::CertificateExpiring {
                days_left: warning.days_left(),
            };
        }
    }

    /// The warning to show while the certificate expires within [`RENEWAL_WARNING_S`].
    pub fn certificate_warning(&self) -> Option<ExpiryWarning> {
        let seconds_left = self.me.not_after.saturating_sub(self.wall);
        (self.wall > 0 && seconds_left <= RENEWAL_WARNING_S)
            .then_some(ExpiryWarning { seconds_left })
    }

    /// The identity file was rewritten (a renewed certificate, or an inbox grant, installed
    /// into it): what changed is taken at the next unlock, with the passphrase typed there.
    pub(super) fn renewal_installed(&mut self) {
        self.renewal_waiting = true;
        self.status = Notice::RenewalWaiting;
    }

    /// Just after an unlock attempt: with the identity rewritten meanwhile, the passphrase
    /// that unlocked goes to the front end to open the identity with, once.
    pub(super) fn after_unlock(&mut self, passphrase: Passphrase) -> Vec<Command> {
        if self.is_locked() || !std::mem::take(&mut self.renewal_waiting) {
            return Vec::new();
        }
        vec![Command::UseRenewed(passphrase)]
    }

    /// The relay accepted a renewed certificate on the live connection.
    pub(super) fn renewed(&mut self, not_after: u64) {
        self.me.not_after = not_after;
        self.warned_days = None;
        self.status = Notice::CertificateRenewed { not_after };
    }
}
