//! Sealed tips, the only records that outlive a session: in files on a single node, in
//! Redis when several nodes share one Redis (a tip sent through one node must be readable
//! by a coordinator on another).
//!
//! A backend holds only HPKE ciphertexts, SHA-256 of the receipt's lookup id and the minute
//! a tip arrived; never the receipt code, the lookup id itself, or anything about the sender.

pub mod files;
pub mod record;
pub mod redis;

use files::TipFiles;
use redis::RedisTips;

use super::chat::StoreError;
pub use crate::protocol::ids::TipId;
pub use record::{TipRecord, lookup_hash};

/// The tips backend the store chose ([`crate::store::Store::tips`]).
pub enum Tips {
    /// One file per tip in the data folder: a single node.
    Files(TipFiles),
    /// In Redis: several nodes.
    Redis(RedisTips),
}

impl Tips {
    /// Files a new tip.
    pub async fn put(&self, record: TipRecord) -> Result<(), StoreError> {
        dispatch!(self, Tips::{Files, Redis}, t => t.put(record))
    }

    /// Tips still waiting for a coordinator, oldest first.
    pub async fn list(&self) -> Vec<TipRecord> {
        dispatch!(self, Tips::{Files, Redis}, t => t.list())
    }

    /// The tip `id` in full, if filed.
    pub async fn get(&self, id: &TipId) -> Option<TipRecord> {
        dispatch!(self, Tips::{Files, Redis}, t => t.get(id))
    }

    /// Files a coordinator's sealed reply; `false` if the tip is gone.
    pub async fn add_reply(&self, id: &TipId, sealed: Vec<u8>) -> Result<bool, StoreError> {
        dispatch!(self, Tips::{Files, Redis}, t => t.add_reply(id, sealed))
    }

    /// A follow-up on a handled tip reopens it.
    pub async fn add_followup(
        &self,
        lookup_hash: &[u8; 32],
        sealed: Vec<u8>,
    ) -> Result<bool, StoreError> {
        dispatch!(self, Tips::{Files, Redis}, t => t.add_followup(lookup_hash, sealed))
    }

    /// Erases the tip's content and follow-ups; replies stay until retention ends.
    pub async fn mark_handled(&self, id: &TipId) -> Result<bool, StoreError> {
        dispatch!(self, Tips::{Files, Redis}, t => t.mark_handled(id))
    }

    /// Replies filed under a receipt, oldest first; `None` if no tip has that receipt.
    pub async fn replies(&self, lookup_hash: &[u8; 32]) -> Option<Vec<Vec<u8>>> {
        dispatch!(self, Tips::{Files, Redis}, t => t.replies(lookup_hash))
    }

    /// Deletes tips received before `cutoff_minute`; returns how many.
    pub async fn expire(&self, cutoff_minute: u64) -> Result<usize, StoreError> {
        dispatch!(self, Tips::{Files, Redis}, t => t.expire(cutoff_minute))
    }

    /// How many tips are filed, handled ones included.
    pub async fn count(&self) -> usize {
        dispatch!(self, Tips::{Files, Redis}, t => t.count())
    }
}
