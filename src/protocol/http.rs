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

/// The error of a follow-up refused (`410`) because a coordinator closed its tip: the tip is
/// erased, so nobody could read what the tipster adds (§9.9).
pub const TIP_CLOSED: &str =
    "this tip is closed and nobody can read more under this receipt; please send a new tip";

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
/// `GET /v1/pow`: a seed to solve before a tip or a follow-up.
pub struct PowSeed {
    /// The protocol version.
    pub v: u8,
    /// Self-authenticating: the relay keeps nothing until it is redeemed.
    pub seed: Fixed<16>,
    /// Leading zero bits the solution's digest needs.
    pub difficulty: u8,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
/// `POST /v1/tips` and `/v1/receipt/followup`: a sealed tip or follow-up.
pub struct TipSubmission {
    /// The protocol version.
    pub v: u8,
    /// The seed the proof-of-work solves.
    pub seed: Fixed<16>,
    /// The solution.
    pub nonce: u64,
    /// The receipt's lookup id (the relay files only its hash).
    pub lookup: Fixed<32>,
    /// The HPKE-sealed tip, padded to a bucket.
    pub sealed: Bytes,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
/// The answer to a filed tip.
pub struct TipAccepted {
    /// The protocol version.
    pub v: u8,
    /// The id the relay filed it under.
    pub id: TipId,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
/// `POST /v1/receipt`: a tipster asking for replies.
pub struct ReceiptQuery {
    /// The protocol version.
    pub v: u8,
    /// The receipt's lookup id.
    pub lookup: Fixed<32>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
/// The replies filed under a receipt.
pub struct ReceiptReplies {
    /// The protocol version.
    pub v: u8,
    /// Sealed replies, oldest first.
    pub replies: Vec<Bytes>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
/// The answer to a filed follow-up.
pub struct FollowupAccepted {
    /// The protocol version.
    pub v: u8,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
/// `{"v":1,"error":…}`: why a request was refused.
pub struct ErrorBody {
    /// The protocol version.
    pub v: u8,
    /// A short reason for people; clients act on the status code.
    pub error: String,
}

/// An emergency service the widget shows to every visitor, before and during a chat.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct EmergencyNumber {
    /// What the number is, in English (the default language).
    pub label: String,
    /// The number to call, as dialled.
    pub number: String,
    /// The label in other languages (language tag → text), shown when the widget speaks one.
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub labels: std::collections::BTreeMap<String, String>,
}

#[derive(Debug, Serialize)]
/// `GET /v1/config`: what the widget needs before anything else.
pub struct PublicConfig<'a> {
    /// The protocol version.
    pub v: u8,
    /// The organisation's Ed25519 key (the widget compares it with the pinned one).
    pub organisation: Fixed<32>,
    /// The tip inbox's certificate, to seal tips to.
    pub inbox_certificate: Bytes,
    /// Retired inbox certificates still within retention, newest first: for checking replies
    /// sealed before a rotation, never for sealing (§2.5).
    pub previous_inbox_certificates: Vec<Bytes>,
    /// The signed revocation list.
    pub revocations: Bytes,
    /// Emergency services shown to every visitor.
    pub emergency: &'a [EmergencyNumber],
    /// Categories a tipster may choose from.
    pub tip_categories: &'a [String],
    /// Tip categories in other languages: language → category → label.
    #[serde(skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub tip_category_labels:
        &'a std::collections::BTreeMap<String, std::collections::BTreeMap<String, String>>,
    /// Where the quick-exit button leads.
    pub neutral_url: &'a str,
    /// Whether the widget may keep its resume token across page loads of one tab.
    pub resume_in_session_storage: bool,
    /// The revocation list's maximum age in days (§2.2), as the deployment's policy.
    pub revocations_max_age_days: u64,
    /// Coordinators on duty now, on every node.
    pub on_duty: usize,
    /// What the server holds and until when, from its configuration (§9.10).
    pub holds: Holds,
    /// A chat's proof-of-work, handed out before the socket opens (§9.1): the widget solves
    /// it while the WebSocket connects and opens with `ticket_hello`.
    pub chat_ticket: ChatTicket,
}

#[derive(Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
/// A chat's session id and proof-of-work seed, issued over HTTP so a client can solve the
/// puzzle while its socket opens (§9.1). Self-authenticating: issuing one stores nothing.
pub struct ChatTicket {
    /// The session id the conversation will have; the proof-of-work's context (§7).
    pub session: super::ids::SessionId,
    /// `BE32(expiry) || difficulty || 3 random bytes || tag [8]` (§9.1).
    pub seed: Fixed<16>,
    /// Leading zero bits the solution's digest needs (the seed's fifth byte).
    pub difficulty: u8,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
/// What the server holds about a visitor or tipster, and until when: shown to them as it is
/// configured, never as hard-coded text.
pub struct Holds {
    /// A chat session and its waiting messages are erased after this many seconds of
    /// silence, or at once when it ends.
    pub erase_after_idle_s: u64,
    /// A sealed tip is kept until handled or this many days; its replies as long.
    pub tip_retention_days: u64,
    /// The most encrypted messages the server holds for a reader who has not taken them.
    pub max_waiting_messages: usize,
}
