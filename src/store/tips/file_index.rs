//! The single-node tip store's index in memory of what its files hold: each tip by id, by
//! its receipt's lookup hash (what `/v1/receipt` and follow-ups ask by, with no proof of work
//! for a receipt: a scan of every tip per request, up to `2 × tips.max_tips` of them, was a
//! cheap way to keep the relay busy), how many wait (what `tips.max_tips` caps), and which
//! files still carry the instant of their last write (`file_times`).
//!
//! Must never hold anything the files do not: it is rebuilt from them on start (their times
//! included).

use std::collections::{HashMap, HashSet};

use super::record::TipRecord;
use crate::protocol::ids::TipId;

/// Every tip on disk, found by id or by receipt in one step.
#[derive(Default)]
pub struct FileIndex {
    tips: HashMap<TipId, TipRecord>,
    /// The tips filed under each lookup hash, oldest first (almost always one): the latest
    /// answers for the receipt, as on Redis; updating an older one does not take it back.
    by_lookup: HashMap<[u8; 32], Vec<TipId>>,
    waiting: usize,
    /// Tips whose file was written since the last re-stamp: its times are the write's.
    unstamped: HashSet<TipId>,
}

impl FileIndex {
    /// Adds `record`, or replaces the record with its id.
    pub fn insert(&mut self, record: TipRecord) {
        match self.tips.get(&record.id) {
            // An update: the same receipt, the same place among its tips.
            Some(old) => {
                if !old.handled {
                    self.waiting -= 1;
                }
            }
            None => self
                .by_lookup
                .entry(record.lookup_hash)
                .or_default()
                .push(record.id),
        }
        if !record.handled {
            self.waiting += 1;
        }
        self.tips.insert(record.id, record);
    }

    /// Takes the tip `id` out.
    pub fn remove(&mut self, id: &TipId) -> Option<TipRecord> {
        let record = self.tips.remove(id)?;
        if !record.handled {
            self.waiting -= 1;
        }
        self.unstamped.remove(id);
        if let Some(ids) = self.by_lookup.get_mut(&record.lookup_hash) {
            ids.retain(|other| other != id);
            if ids.is_empty() {
                self.by_lookup.remove(&record.lookup_hash);
            }
        }
        Some(record)
    }

    /// The tip `id`.
    pub fn get(&self, id: &TipId) -> Option<&TipRecord> {
        self.tips.get(id)
    }

    /// The tip filed under this receipt's lookup hash.
    pub fn by_lookup(&self, lookup_hash: &[u8; 32]) -> Option<&TipRecord> {
        self.by_lookup
            .get(lookup_hash)
            .and_then(|ids| ids.last())
            .and_then(|id| self.tips.get(id))
    }

    /// Tips not yet handled.
    pub fn waiting(&self) -> usize {
        self.waiting
    }

    /// Every tip, in no order.
    pub fn values(&self) -> impl Iterator<Item = &TipRecord> {
        self.tips.values()
    }

    /// The file of tip `id` was just written: its times are the write's until re-stamped.
    pub fn written(&mut self, id: TipId) {
        self.unstamped.insert(id);
    }

    /// The file of tip `id` was re-stamped to a minute.
    pub fn stamped(&mut self, id: &TipId) {
        self.unstamped.remove(id);
    }

    /// Whether the file of tip `id` still carries the instant of its last write.
    pub fn is_unstamped(&self, id: &TipId) -> bool {
        self.unstamped.contains(id)
    }

    /// The tips whose files still carry the instant of their last write.
    pub fn unstamped(&self) -> Vec<TipId> {
        self.unstamped.iter().copied().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tip(id: u8, lookup: u8, handled: bool) -> TipRecord {
        TipRecord {
            id: TipId([id; 16]),
            lookup_hash: [lookup; 32],
            received_minute: 1,
            sealed: vec![1],
            followups: vec![],
            replies: vec![],
            reply_copies: vec![],
            handled,
            holder: None,
        }
    }

    #[test]
    fn the_index_finds_by_id_and_receipt_and_counts_what_waits() {
        let mut index = FileIndex::default();
        index.insert(tip(1, 10, false));
        index.insert(tip(2, 20, false));
        index.insert(tip(3, 30, true));
        assert_eq!(index.waiting(), 2);
        assert_eq!(
            index.by_lookup(&[20; 32]).map(|t| t.id),
            Some(TipId([2; 16]))
        );
        // Handled in place: one fewer waits, still found by its receipt (for its replies).
        index.insert(tip(2, 20, true));
        assert_eq!(index.waiting(), 1);
        assert!(index.by_lookup(&[20; 32]).is_some_and(|t| t.handled));
        // A later tip under the same receipt takes the lookup; updating the earlier one does
        // not take it back; removing the later one gives it back to the earlier.
        let answers = |index: &FileIndex| index.by_lookup(&[10; 32]).map(|t| t.id.0[0]);
        index.insert(tip(4, 10, false));
        assert_eq!(answers(&index), Some(4));
        index.insert(tip(1, 10, false));
        assert_eq!(answers(&index), Some(4));
        assert!(index.remove(&TipId([4; 16])).is_some());
        assert_eq!(answers(&index), Some(1));
        assert!(index.remove(&TipId([1; 16])).is_some());
        assert_eq!(answers(&index), None);
        assert_eq!(index.waiting(), 0);
        assert!(index.remove(&TipId([4; 16])).is_none(), "once");
        assert_eq!(index.values().count(), 2);
        // Written, then re-stamped or removed: either way no longer waiting for a stamp.
        index.written(TipId([2; 16]));
        index.written(TipId([3; 16]));
        assert_eq!(index.unstamped().len(), 2);
        index.stamped(&TipId([2; 16]));
        assert!(!index.is_unstamped(&TipId([2; 16])));
        assert!(index.remove(&TipId([3; 16])).is_some());
        assert!(index.unstamped().is_empty());
    }
}
