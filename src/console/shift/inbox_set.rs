//! A console's tip-inbox keys as one set (issue 16: inbox rotation). A sealed tip names no
//! key (`docs/protocol.md` §5), so each sealed message is tried with every granted key, newest
//! first: its HPKE `info` binds the fingerprint of the inbox key it was sealed to, so for any
//! other key the AEAD tag fails and only the right key opens it. A grant holds at most 16 keys,
//! so this costs a few X25519 operations per message.
//!
//! The set changes during a shift: a granted key leaves it when the shift's wall clock passes
//! its end ([`Shift::end_inbox_keys`]), and the keys of a grant imported meanwhile replace it
//! at the next unlock ([`Shift::take_granted`]). A development `--inbox-key` stays as given.
//!
//! Must never take a message as opened by a key that did not authenticate it, never use a
//! key past its grant's end, and never seal a reply with any key but the newest (the one the
//! relay serves to tipsters).

use super::Shift;
use super::notice::Notice;
use super::state::TipKeys;
use crate::crypto::keys::{DhSecret, Fingerprint};
use crate::crypto::sealed_tip::TipError;

/// What a coordinator reads when no granted key opens a tip.
pub const NOT_GRANTED: &str = "sealed to an inbox key you were not granted (ask your organisation for a new grant), or altered";

impl std::fmt::Debug for TipKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The ends only: never a secret.
        let ends: Vec<_> = self.inbox.iter().map(|(end, _)| end).collect();
        write!(f, "TipKeys(ends {ends:?})")
    }
}

impl TipKeys {
    /// Development keys (`--inbox-key`) for `organisation`, newest first, which never end;
    /// `None` without any.
    pub fn new(organisation: Fingerprint, inbox: Vec<DhSecret>) -> Option<Self> {
        Self::of(organisation, inbox.into_iter().map(|k| (None, k)).collect())
    }

    /// The keys granted for `organisation`, newest first, each with the Unix second its
    /// grant ends; `None` without any.
    pub fn granted(organisation: Fingerprint, inbox: Vec<(u64, DhSecret)>) -> Option<Self> {
        Self::of(
            organisation,
            inbox.into_iter().map(|(end, k)| (Some(end), k)).collect(),
        )
    }

    fn of(organisation: Fingerprint, inbox: Vec<(Option<u64>, DhSecret)>) -> Option<Self> {
        (!inbox.is_empty()).then_some(Self {
            organisation,
            inbox,
        })
    }

    /// The newest key: replies are sealed from it and their copies to it.
    pub fn newest(&self) -> &DhSecret {
        // `of` never makes an empty set; the first key stands in all the same.
        &self.inbox[0].1
    }

    /// Whether these are development keys (`--inbox-key`): no grant replaces them.
    pub fn development(&self) -> bool {
        self.inbox.iter().any(|(end, _)| end.is_none())
    }

    /// The same keys with the same ends, in the same order.
    fn same_as(&self, other: &TipKeys) -> bool {
        self.organisation == other.organisation
            && self.inbox.len() == other.inbox.len()
            && self
                .inbox
                .iter()
                .zip(&other.inbox)
                .all(|((a_end, a), (b_end, b))| a_end == b_end && a.public() == b.public())
    }

    /// Without the keys whose end is at or before `unix_s`: `None` when none is left.
    fn in_force(mut self, unix_s: u64) -> Option<Self> {
        self.inbox
            .retain(|(end, _)| end.is_none_or(|end| unix_s < end));
        (!self.inbox.is_empty()).then_some(self)
    }

    /// Opens with the first key `open` succeeds with. A key that opens the seal but finds
    /// bad content ends the search (it was the right key); none fitting is [`TipError::Open`].
    pub fn open_with<T>(
        &self,
        open: impl Fn(&Fingerprint, &DhSecret) -> Result<T, TipError>,
    ) -> Result<T, TipError> {
        for (_, key) in &self.inbox {
            match open(&self.organisation, key) {
                Err(TipError::Open) => continue,
                other => return other,
            }
        }
        Err(TipError::Open)
    }
}

impl Shift {
    /// The wall clock reached `unix_s`: a granted key whose end has come stops opening tips
    /// and sealing replies, whatever the shift was doing with it.
    pub(super) fn end_inbox_keys(&mut self, unix_s: u64) {
        self.tip_keys = self.tip_keys.take().and_then(|keys| keys.in_force(unix_s));
    }

    /// The keys the identity holds now (read at the unlock after the identity file changed)
    /// replace the granted keys in use; said on the status line when they differ. Development
    /// keys stay as they were given.
    pub fn take_granted(&mut self, granted: Option<TipKeys>) {
        if self.tip_keys.as_ref().is_some_and(TipKeys::development) {
            return;
        }
        // Before the first wall time nothing can have ended: the start dropped ended keys.
        let granted = match self.wall {
            0 => granted,
            wall => granted.and_then(|keys| keys.in_force(wall)),
        };
        let same = match (&self.tip_keys, &granted) {
            (Some(held), Some(new)) => held.same_as(new),
            (held, new) => held.is_none() == new.is_none(),
        };
        if same {
            return;
        }
        self.status = match granted {
            Some(_) => Notice::InboxKeysTaken,
            None => Notice::NoInboxKey,
        };
        self.tip_keys = granted;
    }
}
