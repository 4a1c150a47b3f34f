//! Sealed tips, the only records that outlive a session: in files on a single node, in
//! Redis when several nodes share one Redis (a tip sent through one node must be readable
//! by a coordinator on another).
//!
//! A backend holds only HPKE ciphertexts, SHA-256 of the receipt's lookup id and the minute
//! a tip arrived; never the receipt code, the lookup id itself, or anything about the sender.

use super::redis_tips::RedisTips;
use super::tip_files::TipFiles;
use super::{StoreError, TipId, TipRecord};

pub use super::tip_files::write_private;

/// SHA-256 of a receipt lookup id: the only form in which the relay files it.
pub fn lookup_hash(lookup_id: &[u8]) -> [u8; 32] {
    crate::crypto::keys::Fingerprint::of(lookup_id).0
}

pub enum Tips {
    Files(TipFiles),
    Redis(RedisTips),
}

macro_rules! dispatch {
    ($self:ident, $tips:ident => $files:expr, $redis:expr) => {
        match $self {
            Tips::Files($tips) => $files,
            Tips::Redis($tips) => $redis,
        }
    };
}

impl Tips {
    pub async fn put(&self, record: TipRecord) -> Result<(), StoreError> {
        dispatch!(self, t => t.put(record), t.put(record).await)
    }

    /// Tips still waiting for a coordinator, oldest first.
    pub async fn list(&self) -> Vec<TipRecord> {
        dispatch!(self, t => t.list(), t.list().await)
    }

    pub async fn get(&self, id: &TipId) -> Option<TipRecord> {
        dispatch!(self, t => t.get(id), t.get(id).await)
    }

    pub async fn add_reply(&self, id: &TipId, sealed: Vec<u8>) -> Result<bool, StoreError> {
        dispatch!(self, t => t.add_reply(id, sealed), t.add_reply(id, sealed).await)
    }

    /// A follow-up on a handled tip reopens it.
    pub async fn add_followup(
        &self,
        lookup_hash: &[u8; 32],
        sealed: Vec<u8>,
    ) -> Result<bool, StoreError> {
        dispatch!(self, t => t.add_followup(lookup_hash, sealed), t.add_followup(lookup_hash, sealed).await)
    }

    /// Erases the tip's content and follow-ups; replies stay until retention ends.
    pub async fn mark_handled(&self, id: &TipId) -> Result<bool, StoreError> {
        dispatch!(self, t => t.mark_handled(id), t.mark_handled(id).await)
    }

    /// Replies filed under a receipt, oldest first; `None` if no tip has that receipt.
    pub async fn replies(&self, lookup_hash: &[u8; 32]) -> Option<Vec<Vec<u8>>> {
        dispatch!(self, t => t.replies(lookup_hash), t.replies(lookup_hash).await)
    }

    /// Deletes tips received before `cutoff_minute`; returns how many.
    pub async fn expire(&self, cutoff_minute: u64) -> Result<usize, StoreError> {
        dispatch!(self, t => t.expire(cutoff_minute), t.expire(cutoff_minute).await)
    }

    pub async fn count(&self) -> usize {
        dispatch!(self, t => t.len(), t.count().await)
    }
}
