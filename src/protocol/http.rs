//! The bodies of the relay's HTTP endpoints (`docs/protocol.md` §9.9, §9.10): what a
//! tipster's client sends and reads back, shared by the relay and every client.
//!
//! Like the frames, every body is decoded strictly (unknown fields refused) and carries the
//! protocol version `v`. This module must never touch a socket or the relay's state.

use serde::{Deserialize, Serialize};

use super::b64::{Bytes, Fixed};
use super::ids::TipId;

/// The proof-of-work context of a tip or a follow-up: a seed solved for a tip cannot be
/// spent on anything else.
pub const TIP_POW_CONTEXT: &[u8] = b"tip";

/// The error of a follow-up refused (`409`) because its tip holds all the follow-ups it may
/// (`tips.max_followups`, `tips.max_followup_bytes`) until a coordinator handles it.
pub const FOLLOWUP_LIMIT: &str =
    "this tip has all the follow-ups it can hold until a coordinator answers it";

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PowSeed {
    pub v: u8,
    pub seed: Fixed<16>,
    pub difficulty: u8,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TipSubmission {
    pub v: u8,
    pub seed: Fixed<16>,
    pub nonce: u64,
    pub lookup: Fixed<32>,
    pub sealed: Bytes,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TipAccepted {
    pub v: u8,
    pub id: TipId,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReceiptQuery {
    pub v: u8,
    pub lookup: Fixed<32>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReceiptReplies {
    pub v: u8,
    pub replies: Vec<Bytes>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FollowupAccepted {
    pub v: u8,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ErrorBody {
    pub v: u8,
    pub error: String,
}

/// An emergency service the widget shows to every visitor, before and during a chat.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct EmergencyNumber {
    pub label: String,
    pub number: String,
}

#[derive(Debug, Serialize)]
pub struct PublicConfig<'a> {
    pub v: u8,
    pub organisation: Fixed<32>,
    pub inbox_certificate: Bytes,
    pub revocations: Bytes,
    pub emergency: &'a [EmergencyNumber],
    pub tip_categories: &'a [String],
    pub neutral_url: &'a str,
    pub resume_in_session_storage: bool,
    pub revocations_max_age_days: u64,
    pub on_duty: usize,
}
