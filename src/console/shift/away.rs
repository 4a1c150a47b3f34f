//! Away from a locked console. A locked console has nobody at it: left on duty, the relay
//! would keep telling new visitors that someone is there (`on_duty` in `queue` and
//! `/v1/config`), and they would wait instead of being shown the numbers they can call; the
//! visitors it holds would wait for answers no one writes. So once the console has been
//! locked for [`Settings::off_duty_when_locked`], it goes off duty exactly as the
//! coordinator's own off-duty does, and gives every conversation it holds back to the
//! queue (`release`, §9.6), where a colleague can answer; with no one on duty the widget
//! shows the visitor the numbers and the tip path. Their transcripts stay here, ended, and
//! one still waiting can be claimed again. The unlock says what happened.
//!
//! It must never put the coordinator back on duty by itself: going back on is their choice,
//! made once they are at the console again. It must never do I/O.
//!
//! [`Settings::off_duty_when_locked`]: super::Settings::off_duty_when_locked

use std::time::Instant;

use super::Shift;
use super::commands::Command;
use super::notice::{Note, Notice};
use super::state::ConvState;

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
        let mut commands = Vec::new();
        if self.on_duty {
            self.off_duty_by_lock = true;
            commands = self.duty(false);
        }
        commands.extend(self.release_held());
        commands
    }

    /// Gives back to the queue every conversation waiting on me (open, or its visitor away);
    /// one being handed over is left to the visitor's answer. Offline, nothing: the relay
    /// requeues what a dropped console holds by itself once its grace ends (§9.6).
    fn release_held(&mut self) -> Vec<Command> {
        if !self.connected {
            return Vec::new();
        }
        let mut commands = Vec::new();
        for c in &mut self.conversations {
            if matches!(c.state, ConvState::Open | ConvState::Away) {
                c.state = ConvState::Ended;
                c.note(Note::BackInQueue);
                commands.push(Command::Release(c.session));
            }
        }
        self.released_by_lock += u32::try_from(commands.len()).unwrap_or(u32::MAX);
        commands
    }

    /// What the unlock says: what the long lock did, if anything (once), else unlocked.
    pub(super) fn unlocked_notice(&mut self) -> Notice {
        let off_duty = std::mem::take(&mut self.off_duty_by_lock);
        let released = std::mem::take(&mut self.released_by_lock);
        if off_duty || released > 0 {
            Notice::LockedTooLong {
                after_s: self.settings.off_duty_when_locked.as_secs(),
                off_duty,
                released,
            }
        } else {
            Notice::Unlocked
        }
    }
}
