//! The times a tip file and the tip folder show on disk: never finer than the minute the
//! store keeps (docs/threat-model.md), once the sweep that follows a write has run.
//!
//! Each write of a tip file (a tip filed, a follow-up, a reply, a hold taken or released)
//! makes a new file whose birth, change and modification times, and its folder's, are the
//! instant of the write: the nanosecond a tipster arrived, kept for the whole retention and by
//! every `cp -a` backup, is what a seized disk joined with a provider's netflow logs needs to
//! find the tipster's address. Birth and change times cannot be set from user space, so the
//! store writes each such file again at the sweep's next minute tick as a fresh file dated to
//! that minute (`TipFiles::restamp`), and dates the folder likewise: what is left says only
//! "written within the minute before this tick".
//!
//! Must never date a file finer than the minute, nor read the system clock: the minute comes
//! from the relay's clock (`crate::clock`), which tests advance.

use std::path::Path;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use super::files::{TipFiles, text};
use crate::fs::{set_dates, write_private_dated};
use crate::protocol::ids::TipId;
use crate::store::chat::StoreError;

/// The start of Unix minute `minute`, as a file time.
pub fn at_minute(minute: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(minute.saturating_mul(60))
}

/// Whether `t` is a whole minute (no seconds, no nanoseconds).
pub fn is_whole_minute(t: SystemTime) -> bool {
    t.duration_since(UNIX_EPOCH)
        .is_ok_and(|d| d.subsec_nanos() == 0 && d.as_secs().is_multiple_of(60))
}

/// For a tip file just read on opening the store: `true` if it was dated already, its access
/// time (which the read may have moved to the instant of the start) set back to its minute;
/// `false` if it still carries a write's instant (a crash came before its re-stamp, or a
/// release before re-stamps existed) and must be re-written at the next tick.
pub fn settle_after_read(path: &Path) -> bool {
    let Ok(modified) = std::fs::metadata(path).and_then(|m| m.modified()) else {
        return false;
    };
    is_whole_minute(modified) && set_dates(path, modified).is_ok()
}

impl TipFiles {
    /// Writes again, as fresh files dated to `minute`, the tip files written since the last
    /// call, then dates the folder likewise: run at each minute tick of the sweep; returns
    /// how many files it re-stamped. One file at a time under the lock, as any write: a
    /// tipster waits for one file at most, and what is written is the tip as it is then,
    /// never an older copy. Each file is replaced whole ([`write_private_dated`]: a crash
    /// leaves the old one, re-stamped after the restart); one that fails keeps its place and
    /// is tried again at the next tick.
    pub async fn restamp(&self, minute: u64) -> Result<usize, StoreError> {
        let at = at_minute(minute);
        let ids = self.locked().unstamped();
        let mut stamped = 0;
        let mut failed = None;
        for id in &ids {
            match self.restamp_one(id, at) {
                Ok(true) => stamped += 1,
                Ok(false) => {}
                Err(e) => failed = Some(e),
            }
            // Requests go on between files.
            tokio::task::yield_now().await;
        }
        // Last: every rename above, and every removal since the last tick, dated it.
        if let Err(e) = set_dates(&self.dir, at) {
            failed = Some(e.into());
        }
        match failed {
            Some(e) => Err(e),
            None => Ok(stamped),
        }
    }

    fn restamp_one(&self, id: &TipId, at: SystemTime) -> Result<bool, StoreError> {
        let mut tips = self.locked();
        // Removed since (handled past the cap, expired), or re-stamped already.
        let Some(record) = tips.get(id).filter(|_| tips.is_unstamped(id)) else {
            return Ok(false);
        };
        write_private_dated(&self.path(id), &text(record)?, at)?;
        tips.stamped(id);
        Ok(true)
    }
}

#[cfg(test)]
mod tests {
    use super::super::files::tests::{limits, tip};
    use super::*;

    #[test]
    fn only_a_minute_with_no_seconds_or_nanoseconds_is_whole() {
        assert!(is_whole_minute(at_minute(29_000_000)));
        assert!(!is_whole_minute(
            at_minute(29_000_000) + Duration::from_secs(1)
        ));
        assert!(!is_whole_minute(
            at_minute(29_000_000) + Duration::from_nanos(1)
        ));
        assert_eq!(
            at_minute(2).duration_since(UNIX_EPOCH).ok(),
            Some(Duration::from_secs(120))
        );
    }

    fn modified(path: &Path) -> SystemTime {
        std::fs::metadata(path).unwrap().modified().unwrap()
    }

    #[tokio::test]
    async fn a_file_a_crash_left_with_its_writes_instant_is_dated_at_the_first_tick() {
        let dir = tempfile::tempdir().unwrap();
        let limits = limits();
        let files = TipFiles::open(dir.path(), limits).unwrap();
        files.put(tip(1)).await.unwrap();
        files.put(tip(2)).await.unwrap();
        assert_eq!(files.restamp(29_000_000).await.unwrap(), 2);
        assert_eq!(files.restamp(29_000_001).await.unwrap(), 0, "once");
        files.put(tip(3)).await.unwrap();
        // The process dies before the next tick: reopened, tip 3 alone is re-stamped.
        drop(files);
        let files = TipFiles::open(dir.path(), limits).unwrap();
        assert_eq!(files.restamp(29_000_002).await.unwrap(), 1);
        let dated = at_minute(29_000_002);
        assert_eq!(modified(&files.path(&TipId([3; 16]))), dated);
        assert_eq!(modified(dir.path()), dated);
        assert_eq!(
            modified(&files.path(&TipId([1; 16]))),
            at_minute(29_000_000)
        );
        assert_eq!(files.count().await.unwrap(), 3);
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 3);
    }
}
