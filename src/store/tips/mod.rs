//! Sealed tips, the only records that outlive a session: in files on a single node, in
//! Redis when several nodes share one Redis (a tip sent through one node must be readable
//! by a coordinator on another).
//!
//! A backend holds only HPKE ciphertexts, SHA-256 of the receipt's lookup id and the minute
//! a tip arrived; never the receipt code, the lookup id itself, or anything about the sender.

mod file_index;
mod file_times;
pub mod files;
pub mod record;
pub mod redis;
mod scripts;

use files::TipFiles;
use redis::RedisTips;

use super::chat::StoreError;
pub use crate::protocol::ids::TipId;
pub use record::{ReplyCopy, TipHolder, TipRecord, lookup_hash};

use crate::protocol::frames::TipSummary;

/// The most tips one `tips` frame lists (the oldest first): about 700 KiB of JSON, far
/// within the clients' frame limit however many tips wait (F-7).
pub const MAX_LISTED: usize = 10_000;

fn summary(
    id: TipId,
    received_minute: u64,
    followups: usize,
    replies: usize,
    held_by: Option<String>,
) -> TipSummary {
    TipSummary {
        id,
        received: received_minute * 60,
        followups: u32::try_from(followups).unwrap_or(u32::MAX),
        replies: u32::try_from(replies).unwrap_or(u32::MAX),
        held_by,
    }
}

/// Reply copies kept under one tip (the first ones): with their 4 KiB bucket at most,
/// a tip, its follow-ups and its copies always fit one `tip` frame (§8.1).
pub const MAX_REPLY_COPIES: usize = 32;

/// What the tip store holds at most (`[tips]` in the configuration).
/// The bounds of the tip store: tips waiting, and follow-ups per tip.
#[derive(Debug, Clone, Copy)]
pub struct TipLimits {
    /// Tips waiting for a coordinator; handled ones do not count (F-9), and at most as many
    /// handled ones are kept for their replies (the oldest go first).
    pub max_tips: usize,
    /// Follow-ups per tip, in number and in bytes, until it is handled (F-7).
    pub max_followups: usize,
    /// Sealed follow-up bytes per tip, until it is handled (F-7).
    pub max_followup_bytes: usize,
}

impl TipLimits {
    /// The limits a relay's configuration sets.
    pub fn of(config: &crate::config::Config) -> Self {
        Self {
            max_tips: config.tips.max_tips,
            max_followups: config.tips.max_followups,
            max_followup_bytes: config.tips.max_followup_bytes,
        }
    }

    /// Whether a tip holding `followups` may take one more of `len` bytes.
    pub fn followup_fits(&self, followups: &[Vec<u8>], len: usize) -> bool {
        let held: usize = followups.iter().map(Vec::len).sum();
        followups.len() < self.max_followups && held + len <= self.max_followup_bytes
    }
}

/// What became of a follow-up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Followup {
    /// Filed under its tip.
    Added,
    /// No tip under this receipt (handled and past retention, expired, or mistyped).
    NoTip,
    /// The tip holds all the follow-ups it may until a coordinator handles it.
    Full,
    /// The tip was handled: its content is erased and nobody could read a follow-up to it,
    /// so none is taken (§9.9).
    Closed,
}

/// A coordinator's reply as filed: sealed to the tipster, and optionally a copy sealed to
/// the inbox key, with its author and minute, so every coordinator sees the whole thread (§5).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    /// For the tipster's receipt key.
    pub sealed: Vec<u8>,
    /// For the inbox key.
    pub copy: Option<ReplyCopy>,
}

/// What became of a `take_tip` (or of the implicit take a reply makes, §9.9).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Take {
    /// It is the taker's now (it was free, or theirs already: the hold starts over).
    Taken,
    /// Taken over from this colleague, who is to be told.
    TakenOver(TipHolder),
    /// A colleague holds it and the taker did not ask to take it over: nothing changed.
    HeldBy(TipHolder),
    /// No such tip waiting (handled, expired, or never filed).
    NoTip,
}

impl Take {
    /// The verdict on a tip whose holder is `holder`, asked by `serial` (`over`: take it
    /// over if a colleague holds it). Both backends decide by this one rule.
    pub fn decide(holder: Option<&TipHolder>, serial: u64, over: bool) -> Self {
        match holder {
            Some(h) if h.serial != serial && !over => Take::HeldBy(h.clone()),
            Some(h) if h.serial != serial => Take::TakenOver(h.clone()),
            _ => Take::Taken,
        }
    }

    /// Whether the taker holds the tip now.
    pub fn holds(&self) -> bool {
        matches!(self, Take::Taken | Take::TakenOver(_))
    }
}

/// Where tips are filed: one of two backends.
pub enum Backend {
    /// One file per tip in the data folder: a single node.
    Files(TipFiles),
    /// In Redis: several nodes. Boxed: its scripts make it much larger than the files'.
    Redis(Box<RedisTips>),
}

/// The tips backend the store chose ([`crate::store::Store::tips`]), and on Redis the tips
/// the file store left in `data/tips`, which no one reads but which go at the end of their
/// retention like any tip.
pub struct Tips {
    backend: Backend,
    left_behind: Option<TipFiles>,
}

impl Tips {
    /// Tips in files: a single node.
    pub fn files(files: TipFiles) -> Self {
        Self {
            backend: Backend::Files(files),
            left_behind: None,
        }
    }

    /// Tips in Redis, and what the file store left in files (`TipFiles::open_left_behind`).
    pub fn redis(redis: RedisTips, left_behind: Option<TipFiles>) -> Self {
        Self {
            backend: Backend::Redis(Box::new(redis)),
            left_behind,
        }
    }

    /// Files a new tip.
    pub async fn put(&self, record: TipRecord) -> Result<(), StoreError> {
        dispatch!(&self.backend, Backend::{Files, Redis}, t => t.put(record))
    }

    /// The oldest [`MAX_LISTED`] tips still waiting for a coordinator, summarised: no
    /// sealed content is read or copied to list them. An error, never an empty list, when
    /// the store cannot say: an empty inbox would tell everyone on duty nothing waits.
    pub async fn list(&self) -> Result<Vec<TipSummary>, StoreError> {
        dispatch!(&self.backend, Backend::{Files, Redis}, t => t.list())
    }

    /// The tip `id` in full, if filed.
    pub async fn get(&self, id: &TipId) -> Result<Option<TipRecord>, StoreError> {
        dispatch!(&self.backend, Backend::{Files, Redis}, t => t.get(id))
    }

    /// Files a coordinator's sealed reply (and its copy while the tip is open); `false` if the
    /// tip is gone.
    pub async fn add_reply(&self, id: &TipId, reply: Reply) -> Result<bool, StoreError> {
        dispatch!(&self.backend, Backend::{Files, Redis}, t => t.add_reply(id, reply))
    }

    /// `serial` (alias `alias`) takes the waiting tip `id` at `minute`, or takes it over
    /// from a colleague with `over`; holding it already, the hold starts over.
    pub async fn take(
        &self,
        id: &TipId,
        taker: &TipHolder,
        over: bool,
    ) -> Result<Take, StoreError> {
        dispatch!(&self.backend, Backend::{Files, Redis}, t => t.take(id, taker, over))
    }

    /// Releases every hold last taken or answered before `before_minute`; returns how many
    /// (the holder did nothing with the tip for `tips.hold_release_s`).
    pub async fn release_stale(&self, before_minute: u64) -> Result<usize, StoreError> {
        dispatch!(&self.backend, Backend::{Files, Redis}, t => t.release_stale(before_minute))
    }

    /// Files a tipster's follow-up; a handled tip takes none ([`Followup::Closed`]).
    pub async fn add_followup(
        &self,
        lookup_hash: &[u8; 32],
        sealed: Vec<u8>,
    ) -> Result<Followup, StoreError> {
        dispatch!(&self.backend, Backend::{Files, Redis}, t => t.add_followup(lookup_hash, sealed))
    }

    /// Erases the tip's content, follow-ups and reply copies; replies stay until retention
    /// ends.
    pub async fn mark_handled(&self, id: &TipId) -> Result<bool, StoreError> {
        dispatch!(&self.backend, Backend::{Files, Redis}, t => t.mark_handled(id))
    }

    /// Replies filed under a receipt, oldest first; `None` if no tip has that receipt, an
    /// error if the store cannot say (a tipster must never read "no tip" then).
    pub async fn replies(
        &self,
        lookup_hash: &[u8; 32],
    ) -> Result<Option<Vec<Vec<u8>>>, StoreError> {
        dispatch!(&self.backend, Backend::{Files, Redis}, t => t.replies(lookup_hash))
    }

    /// Deletes tips received before `cutoff_minute`, those left in `data/tips` by the file
    /// store included; returns how many.
    pub async fn expire(&self, cutoff_minute: u64) -> Result<usize, StoreError> {
        // First, and whatever Redis answers: a node on Redis is their only sweeper.
        let left = match &self.left_behind {
            Some(files) => files.expire(cutoff_minute).await,
            None => Ok(0),
        };
        let filed = dispatch!(&self.backend, Backend::{Files, Redis}, t => t.expire(cutoff_minute));
        Ok(filed? + left?)
    }

    /// Dates every tip file written since the last call, and the tip folder, to `minute`
    /// (`file_times`); run at each minute tick of the sweep. On Redis only the folder the
    /// file store left is there to date (the sweep's removals change its times), and, once,
    /// the ends an older relay left finer than the minute on the tips' keys (F-46).
    pub async fn restamp(&self, minute: u64) -> Result<usize, StoreError> {
        let files = match &self.backend {
            Backend::Files(files) => Some(files),
            Backend::Redis(redis) => {
                redis.align_older_ends().await?;
                self.left_behind.as_ref()
            }
        };
        match files {
            Some(files) => files.restamp(minute).await,
            None => Ok(0),
        }
    }

    /// Whether a follow-up of `len` bytes under this receipt would be taken now: checked
    /// before its proof-of-work is spent (the store checks again when filing it).
    pub async fn followup_would_fit(
        &self,
        lookup_hash: &[u8; 32],
        len: usize,
    ) -> Result<Followup, StoreError> {
        dispatch!(&self.backend, Backend::{Files, Redis}, t => t.followup_would_fit(lookup_hash, len))
    }

    /// Tips waiting for a coordinator (handled ones not counted).
    pub async fn count(&self) -> Result<usize, StoreError> {
        dispatch!(&self.backend, Backend::{Files, Redis}, t => t.count())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_holder_at_a_time_and_a_take_over_names_who_lost_it() {
        let amara = TipHolder {
            serial: 1,
            alias: "Amara".into(),
            minute: 10,
        };
        assert_eq!(Take::decide(None, 2, false), Take::Taken);
        assert_eq!(Take::decide(Some(&amara), 1, false), Take::Taken, "renewed");
        assert_eq!(
            Take::decide(Some(&amara), 2, false),
            Take::HeldBy(amara.clone())
        );
        assert_eq!(Take::decide(Some(&amara), 2, true), Take::TakenOver(amara));
        assert!(
            !Take::HeldBy(TipHolder {
                serial: 3,
                alias: String::new(),
                minute: 0
            })
            .holds()
        );
        assert!(!Take::NoTip.holds());
    }
}
