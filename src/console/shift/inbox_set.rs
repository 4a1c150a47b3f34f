//! A console's tip-inbox keys as one set (issue 16: inbox rotation). A sealed tip names no
//! key (`docs/protocol.md` §5), so each sealed message is tried with every granted key, newest
//! first: its HPKE `info` binds the fingerprint of the inbox key it was sealed to, so for any
//! other key the AEAD tag fails and only the right key opens it. A grant holds at most 16 keys,
//! so this costs a few X25519 operations per message.
//!
//! Must never take a message as opened by a key that did not authenticate it, and never seal
//! a reply with any key but the newest (the one the relay serves to tipsters).

use super::state::TipKeys;
use crate::crypto::keys::{DhSecret, Fingerprint};
use crate::crypto::sealed_tip::TipError;

/// What a coordinator reads when no granted key opens a tip.
pub const NOT_GRANTED: &str = "sealed to an inbox key you were not granted (ask your organisation for a new grant), or altered";

impl TipKeys {
    /// The keys a console holds for `organisation`, newest first; `None` without any.
    pub fn new(organisation: Fingerprint, inbox: Vec<DhSecret>) -> Option<Self> {
        (!inbox.is_empty()).then_some(Self {
            organisation,
            inbox,
        })
    }

    /// The newest key: replies are sealed from it and their copies to it.
    pub fn newest(&self) -> &DhSecret {
        // `new` never makes an empty set; the first key stands in all the same.
        &self.inbox[0]
    }

    /// Opens with the first key `open` succeeds with. A key that opens the seal but finds
    /// bad content ends the search (it was the right key); none fitting is [`TipError::Open`].
    pub fn open_with<T>(
        &self,
        open: impl Fn(&Fingerprint, &DhSecret) -> Result<T, TipError>,
    ) -> Result<T, TipError> {
        for key in &self.inbox {
            match open(&self.organisation, key) {
                Err(TipError::Open) => continue,
                other => return other,
            }
        }
        Err(TipError::Open)
    }
}
