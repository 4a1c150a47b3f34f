//! Off duty by itself after a long lock. A locked console has nobody at it: left on duty,
//! the relay would keep telling new visitors that someone is there (`on_duty` in `queue` and
//! `/v1/config`), and they would wait instead of being shown the numbers they can call. So
//! once the console has been locked for [`Settings::off_duty_when_locked`], it goes off duty
//! exactly as the coordinator's own off-duty does (held conversations stay held, waiting
//! visitors stay queued for colleagues), and the unlock says so.
//!
//! It must never put the coordinator back on duty by itself: going back on is their choice,
//! made once they are at the console again. It must never do I/O.
//!
//! [`Settings::off_duty_when_locked`]: super::Settings::off_duty_when_locked

use std::time::Instant;

use super::Shift;
use super::commands::Command;
use super::notice::Notice;

impl Shift {
    /// Goes off duty if the console has been locked for the configured time; returns what to
    /// send to the relay.
    pub(super) fn off_duty_if_locked_too_long(&mut self, now: Instant) -> Vec<Command> {
        if !self.locked
            || now.saturating_duration_since(self.locked_since) < self.settings.off_duty_when_locked
        {
            return Vec::new();
        }
        // Offline, the relay already counts me off duty (§9.6); what must go is the promise
        // to go back on duty at sign-in, or a reconnection would put a locked console back
        // on duty.
        if std::mem::take(&mut self.duty_before_loss) {
            self.off_duty_by_lock = true;
        }
        if !self.on_duty {
            return Vec::new();
        }
        self.off_duty_by_lock = true;
        // The same off duty as the coordinator's own: held conversations are kept.
        self.duty(false)
    }

    /// What the unlock says: that duty ended while locked, if it did (once), else unlocked.
    pub(super) fn unlocked_notice(&mut self) -> Notice {
        if std::mem::take(&mut self.off_duty_by_lock) {
            Notice::OffDutyWhileLocked {
                after_s: self.settings.off_duty_when_locked.as_secs(),
            }
        } else {
            Notice::Unlocked
        }
    }
}
