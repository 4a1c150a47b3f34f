//! The single-node sealed-tip store: one file per tip in the data folder (0600), written
//! atomically, so tips survive a restart of `lifeline serve`. (Several nodes keep tips in
//! Redis instead: `redis.rs`.)
//!
//! A file holds only what the relay has: HPKE ciphertexts, SHA-256 of the receipt's lookup
//! id, and the minute the tip arrived. Files are deleted when a coordinator marks the tip
//! handled or when the retention period ends.
//!
//! Nor may a file's times say more: each file written is written again at the sweep's next
//! minute tick, dated to that minute, and so is the folder (`file_times`).
//!
//! Reads come from memory and cannot fail; they return `Result` only to share the Redis
//! backend's signatures, whose reads can.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use super::file_index::FileIndex;
use super::file_times;
use super::record::TipRecord;
use super::{Followup, MAX_LISTED, MAX_REPLY_COPIES, Reply, Take, TipHolder, TipLimits, summary};
use crate::fs::{create_private_dir, remove_partials, sync_folder_of, write_private};
use crate::protocol::frames::TipSummary;
use crate::protocol::ids::TipId;
use crate::store::chat::StoreError;

/// Sealed tips in files: one node, surviving its restarts.
pub struct TipFiles {
    pub(super) dir: PathBuf,
    /// In-memory index of what is on disk; the files are the truth on start.
    tips: Mutex<FileIndex>,
    limits: TipLimits,
}

fn io_error(e: std::io::Error) -> StoreError {
    StoreError::Tips(e.kind().to_string())
}

impl TipFiles {
    /// Opens (creating if needed) the tip folder and loads every tip in it.
    pub fn open(dir: &Path, limits: TipLimits) -> Result<Self, StoreError> {
        create_private_dir(dir)?;
        Self::load(dir, limits, true)
    }

    /// The tips a node switched to Redis left in `dir`, loaded only so that they are deleted
    /// when their retention ends like any tip; `None` if there is no such folder, or it cannot
    /// be read (said in the log). A file that holds no tip is skipped, not refused: it never
    /// stopped a node on Redis from starting, and the start counts it among those left.
    pub fn open_left_behind(dir: &Path, limits: TipLimits) -> Option<Self> {
        if !dir.is_dir() {
            return None;
        }
        match Self::load(dir, limits, false) {
            Ok(files) => Some(files),
            Err(e) => {
                tracing::warn!(error = %e, "the tips left in data/tips cannot be read: none of them is deleted at the end of its retention");
                None
            }
        }
    }

    /// Loads every tip in `dir`; with `strict`, a file that holds no tip is an error.
    fn load(dir: &Path, limits: TipLimits, strict: bool) -> Result<Self, StoreError> {
        // A copy a crash cut short would hold a sealed tip nothing ever erases.
        remove_partials(dir)?;
        let mut files = Self {
            dir: dir.to_path_buf(),
            tips: Mutex::new(FileIndex::default()),
            limits,
        };
        let tips = files.tips.get_mut().unwrap_or_else(|p| p.into_inner());
        for entry in std::fs::read_dir(dir).map_err(io_error)? {
            let path = entry.map_err(io_error)?.path();
            // Written by releases before `write_private` was whole-or-nothing.
            if path.extension().is_some_and(|e| e == "tmp") {
                std::fs::remove_file(&path).map_err(io_error)?;
            } else if path.extension().is_some_and(|e| e == "json") {
                let record = match read_record(&path) {
                    Ok(record) => record,
                    Err(_) if !strict => continue,
                    Err(e) => return Err(e),
                };
                let id = record.id;
                tips.insert(record);
                // Re-stamped under its own name only: a copy under another would stay.
                let named = path == tip_path(dir, &id);
                if named && !file_times::settle_after_read(&path) {
                    tips.written(id);
                }
            }
        }
        Ok(files)
    }

    pub(super) fn path(&self, id: &TipId) -> PathBuf {
        tip_path(&self.dir, id)
    }

    fn write(&self, record: &TipRecord) -> Result<(), StoreError> {
        Ok(write_private(&self.path(&record.id), &text(record)?)?)
    }

    /// Writes `record`'s file and indexes it; the file carries the write's instant until the
    /// next re-stamp (`file_times`).
    fn store(&self, tips: &mut FileIndex, record: TipRecord) -> Result<(), StoreError> {
        self.write(&record)?;
        tips.written(record.id);
        tips.insert(record);
        Ok(())
    }

    pub(super) fn locked(&self) -> std::sync::MutexGuard<'_, FileIndex> {
        self.tips.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Files a new tip, unless `max_tips` are filed already.
    pub async fn put(&self, record: TipRecord) -> Result<(), StoreError> {
        let mut tips = self.locked();
        if tips.waiting() >= self.limits.max_tips {
            return Err(StoreError::Tips("tip store full".into()));
        }
        self.store(&mut tips, record)
    }

    /// The oldest tips still waiting for a coordinator, summarised.
    pub async fn list(&self) -> Result<Vec<TipSummary>, StoreError> {
        let mut all: Vec<TipSummary> = self
            .locked()
            .values()
            .filter(|t| !t.handled)
            .map(|t| {
                let held_by = t.holder.as_ref().map(|h| h.alias.clone());
                summary(
                    t.id,
                    t.received_minute,
                    t.followups.len(),
                    t.replies.len(),
                    held_by,
                )
            })
            .collect();
        all.sort_by_key(|t| (t.received, t.id));
        all.truncate(MAX_LISTED);
        Ok(all)
    }

    /// The tip `id` in full, if filed.
    pub async fn get(&self, id: &TipId) -> Result<Option<TipRecord>, StoreError> {
        Ok(self.locked().get(id).cloned())
    }

    /// Changes tip `id` if `pick` holds for it, on disk first; `false` if it did not.
    fn update(
        &self,
        id: &TipId,
        pick: impl Fn(&TipRecord) -> bool,
        change: impl FnOnce(&mut TipRecord),
    ) -> Result<bool, StoreError> {
        let mut tips = self.locked();
        let Some(record) = tips.get(id).filter(|t| pick(t)) else {
            return Ok(false);
        };
        let mut updated = record.clone();
        change(&mut updated);
        self.store(&mut tips, updated)?;
        Ok(true)
    }

    /// Files a coordinator's sealed reply and, while the tip is open, its copy for the inbox;
    /// `false` if the tip is gone.
    pub async fn add_reply(&self, id: &TipId, reply: Reply) -> Result<bool, StoreError> {
        self.update(
            id,
            |_| true,
            |t| {
                t.replies.push(reply.sealed);
                if !t.handled && t.reply_copies.len() < MAX_REPLY_COPIES {
                    t.reply_copies.extend(reply.copy);
                }
            },
        )
    }

    /// `taker` takes the waiting tip `id`, or takes it over with `over`.
    pub async fn take(
        &self,
        id: &TipId,
        taker: &TipHolder,
        over: bool,
    ) -> Result<Take, StoreError> {
        let mut tips = self.locked();
        let Some(record) = tips.get(id).filter(|t| !t.handled) else {
            return Ok(Take::NoTip);
        };
        let verdict = Take::decide(record.holder.as_ref(), taker.serial, over);
        // A refusal changes nothing, on disk either.
        if verdict.holds() {
            let mut updated = record.clone();
            updated.holder = Some(taker.clone());
            self.store(&mut tips, updated)?;
        }
        Ok(verdict)
    }

    /// Releases every hold last renewed before `before_minute`; returns how many.
    pub async fn release_stale(&self, before_minute: u64) -> Result<usize, StoreError> {
        let stale = |t: &TipRecord| t.holder.as_ref().is_some_and(|h| h.minute < before_minute);
        let ids: Vec<TipId> = self
            .locked()
            .values()
            .filter(|t| stale(t))
            .map(|t| t.id)
            .collect();
        let mut released = 0;
        for id in &ids {
            // Looked at again under the lock: a take since the scan keeps its hold.
            if self.update(id, stale, |t| t.holder = None)? {
                released += 1;
            }
        }
        Ok(released)
    }

    /// Files a follow-up under its receipt; a handled tip takes none (§9.9).
    pub async fn add_followup(
        &self,
        lookup_hash: &[u8; 32],
        sealed: Vec<u8>,
    ) -> Result<Followup, StoreError> {
        let mut tips = self.locked();
        let verdict = self.followup_verdict(&tips, lookup_hash, sealed.len());
        if verdict != Followup::Added {
            return Ok(verdict);
        }
        let Some(record) = tips.by_lookup(lookup_hash) else {
            return Ok(Followup::NoTip);
        };
        let mut updated = record.clone();
        updated.followups.push(sealed);
        self.store(&mut tips, updated)?;
        Ok(Followup::Added)
    }

    fn followup_verdict(&self, tips: &FileIndex, lookup_hash: &[u8; 32], len: usize) -> Followup {
        match tips.by_lookup(lookup_hash) {
            None => Followup::NoTip,
            Some(t) if t.handled => Followup::Closed,
            Some(t) if !self.limits.followup_fits(&t.followups, len) => Followup::Full,
            Some(_) => Followup::Added,
        }
    }

    /// Whether a follow-up of `len` bytes under this receipt would be taken now.
    pub async fn followup_would_fit(
        &self,
        lookup_hash: &[u8; 32],
        len: usize,
    ) -> Result<Followup, StoreError> {
        Ok(self.followup_verdict(&self.locked(), lookup_hash, len))
    }

    /// Marks a tip handled: its sealed content and follow-ups are erased at once; replies
    /// stay for the tipster until retention ends.
    pub async fn mark_handled(&self, id: &TipId) -> Result<bool, StoreError> {
        let marked = self.update(
            id,
            |_| true,
            |t| {
                t.handled = true;
                t.sealed.clear();
                t.followups.clear();
                t.reply_copies.clear();
                t.holder = None;
            },
        )?;
        self.trim_handled()?;
        Ok(marked)
    }

    /// Handled tips are kept only for their replies, and no more of them than `max_tips`:
    /// past that, the oldest go (their replies with them) before retention ends.
    fn trim_handled(&self) -> Result<(), StoreError> {
        let mut handled: Vec<(u64, TipId)> = self
            .locked()
            .values()
            .filter(|t| t.handled)
            .map(|t| (t.received_minute, t.id))
            .collect();
        let excess = handled.len().saturating_sub(self.limits.max_tips);
        handled.sort();
        for (_, id) in handled.into_iter().take(excess) {
            self.remove(&id)?;
        }
        Ok(())
    }

    /// Replies filed under a receipt, oldest first.
    pub async fn replies(
        &self,
        lookup_hash: &[u8; 32],
    ) -> Result<Option<Vec<Vec<u8>>>, StoreError> {
        Ok(self
            .locked()
            .by_lookup(lookup_hash)
            .map(|t| t.replies.clone()))
    }

    /// Deletes the tip and its file; `false` if there was none.
    pub fn remove(&self, id: &TipId) -> Result<bool, StoreError> {
        let mut tips = self.locked();
        if tips.get(id).is_none() {
            return Ok(false);
        }
        // Removing the file is what forgets the tip; the index follows only once it is gone,
        // so a removal that fails is tried again (by the sweep) rather than forgotten.
        match std::fs::remove_file(self.path(id)) {
            // Gone already (deleted by hand, a restore without it): forgotten all the same,
            // or it would fail every sweep.
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(io_error(e)),
        }
        sync_folder_of(&self.path(id));
        tips.remove(id);
        Ok(true)
    }

    /// Deletes tips received before `cutoff_minute`; returns how many.
    pub async fn expire(&self, cutoff_minute: u64) -> Result<usize, StoreError> {
        let old: Vec<TipId> = self
            .locked()
            .values()
            .filter(|t| t.received_minute < cutoff_minute)
            .map(|t| t.id)
            .collect();
        // One tip whose file cannot go must not keep every other past its retention.
        let mut removed = 0;
        let mut failed = None;
        for id in &old {
            match self.remove(id) {
                Ok(_) => removed += 1,
                Err(e) => failed = Some(e),
            }
        }
        match failed {
            Some(e) if removed == 0 => Err(e),
            Some(e) => {
                tracing::warn!(error = %e, "a tip file past retention could not be removed");
                Ok(removed)
            }
            None => Ok(removed),
        }
    }

    /// How many tips wait for a coordinator (handled ones are not counted).
    pub async fn count(&self) -> Result<usize, StoreError> {
        Ok(self.locked().waiting())
    }
}

fn tip_path(dir: &Path, id: &TipId) -> PathBuf {
    dir.join(format!("{}.json", crate::crypto::keys::hex(&id.0)))
}

pub(super) fn text(record: &TipRecord) -> Result<Vec<u8>, StoreError> {
    serde_json::to_vec(record).map_err(|e| StoreError::Tips(e.to_string()))
}

fn read_record(path: &Path) -> Result<TipRecord, StoreError> {
    let text = std::fs::read_to_string(path).map_err(io_error)?;
    serde_json::from_str(&text)
        .map_err(|_| StoreError::Tips(format!("unreadable tip file {}", path.display())))
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;

    /// A waiting tip, received at minute 1.
    pub(in crate::store::tips) fn tip(id: u8) -> TipRecord {
        TipRecord {
            id: TipId([id; 16]),
            lookup_hash: [id; 32],
            received_minute: 1,
            sealed: vec![1],
            followups: vec![],
            replies: vec![],
            reply_copies: vec![],
            handled: false,
            holder: None,
        }
    }

    /// Ten tips, one follow-up of one byte each.
    pub(in crate::store::tips) fn limits() -> TipLimits {
        TipLimits {
            max_tips: 10,
            max_followups: 1,
            max_followup_bytes: 1,
        }
    }

    #[tokio::test]
    async fn a_tip_file_gone_already_holds_no_other_past_its_retention() {
        let dir = tempfile::tempdir().unwrap();
        let limits = limits();
        let files = TipFiles::open(dir.path(), limits).unwrap();
        for id in 1..=3 {
            files.put(tip(id)).await.unwrap();
        }
        // Deleted by hand, or a backup restored without it.
        std::fs::remove_file(files.path(&TipId([2; 16]))).unwrap();
        assert_eq!(files.expire(2).await.unwrap(), 3);
        assert_eq!(files.count().await.unwrap(), 0);
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    }

    #[tokio::test]
    async fn tips_left_behind_are_loaded_but_a_file_holding_none_is_skipped() {
        let dir = tempfile::tempdir().unwrap();
        let limits = limits();
        assert!(TipFiles::open_left_behind(&dir.path().join("tips"), limits).is_none());
        TipFiles::open(dir.path(), limits)
            .unwrap()
            .put(tip(1))
            .await
            .unwrap();
        std::fs::write(dir.path().join("notes.json"), "{}").unwrap();
        assert!(
            TipFiles::open(dir.path(), limits).is_err(),
            "the file store refuses it"
        );
        let left = TipFiles::open_left_behind(dir.path(), limits).unwrap();
        assert_eq!(left.count().await.unwrap(), 1);
        assert_eq!(left.expire(2).await.unwrap(), 1);
        assert!(
            dir.path().join("notes.json").exists(),
            "never dated, never deleted"
        );
    }
}
