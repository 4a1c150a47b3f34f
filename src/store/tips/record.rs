//! A sealed tip as the relay files it, in whichever backend: HPKE ciphertexts, SHA-256 of
//! the receipt's lookup id, and the minute it arrived.
//!
//! Must never hold the receipt code, the lookup id itself, or anything about the sender.

use crate::protocol::ids::TipId;

/// SHA-256 of a receipt lookup id: the only form in which the relay files it.
pub fn lookup_hash(lookup_id: &[u8]) -> [u8; 32] {
    crate::crypto::keys::Fingerprint::of(lookup_id).0
}

/// Tip files hold the id as the array of its bytes, as they did before [`TipId`] was a type
/// of its own: files written by an earlier relay still load.
mod id_as_array {
    use crate::protocol::ids::TipId;
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    pub fn serialize<S: Serializer>(id: &TipId, s: S) -> Result<S::Ok, S::Error> {
        id.0.serialize(s)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<TipId, D::Error> {
        <[u8; 16]>::deserialize(d).map(TipId)
    }
}

/// A sealed tip as filed.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct TipRecord {
    #[serde(with = "id_as_array")]
    /// The id coordinators open, answer and close it by.
    pub id: TipId,
    /// SHA-256 of the receipt's lookup id.
    pub lookup_hash: [u8; 32],
    /// Unix minute it arrived: retention counts from here.
    pub received_minute: u64,
    /// The HPKE-sealed tip, for the inbox key only.
    pub sealed: Vec<u8>,
    /// The tipster's sealed follow-ups, oldest first.
    pub followups: Vec<Vec<u8>>,
    /// The coordinators' sealed replies, oldest first.
    pub replies: Vec<Vec<u8>>,
    /// Marked handled by a coordinator: the tip and its follow-ups are erased, the replies
    /// stay readable by the tipster until the retention period ends.
    #[serde(default)]
    pub handled: bool,
}
