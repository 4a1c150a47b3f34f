//! Chat tickets: a chat's session id and proof-of-work seed handed out over HTTP, with
//! `/v1/config`, so the widget solves the puzzle while its WebSocket opens instead of after
//! (docs/protocol.md §9.1; docs/benchmarks.md, "Set-up").
//!
//! A ticket is self-authenticating, like a tip's seed: `seed = BE32(expiry) || difficulty ||
//! 3 random bytes || tag`, the tag the first 8 bytes of HMAC-SHA256 under the key every node
//! shares over `"chat" || seed[..8] || session`, so neither the session id nor the difficulty
//! can be chosen by the client. Issuing one stores nothing; a redeemed seed is remembered
//! until it expires, so a solution opens one session only. This module must never let a
//! ticket open a session without a valid, unused, unexpired proof-of-work.

use subtle::ConstantTimeEq;

use super::pow::SEED_LIFETIME;
use super::state::Relay;
use crate::crypto::keys::random_bytes;
use crate::crypto::proof_of_work;
use crate::protocol::b64::Fixed;
use crate::protocol::http::ChatTicket;
use crate::store::SessionId;

/// Sets chat tickets apart from tip seeds and form tokens, whose tags cover 8 bytes only.
const LABEL: &[u8] = b"chat";

fn tag(relay: &Relay, head: &[u8], session: &SessionId) -> [u8; 8] {
    let mut input = [0u8; LABEL.len() + 8 + 16];
    input[..LABEL.len()].copy_from_slice(LABEL);
    input[LABEL.len()..LABEL.len() + 8].copy_from_slice(head);
    input[LABEL.len() + 8..].copy_from_slice(&session.0);
    relay.seeds.tag(&input)
}

/// A fresh ticket at the difficulty the queue asks for now.
pub fn issue(relay: &Relay) -> ChatTicket {
    let session = SessionId(random_bytes());
    let difficulty = relay.difficulty(relay.queued_now());
    let expiry = (relay.clock.unix_s() + SEED_LIFETIME.as_secs()) as u32;
    let mut seed = [0u8; 16];
    seed[..4].copy_from_slice(&expiry.to_be_bytes());
    seed[4] = difficulty;
    seed[5..8].copy_from_slice(&random_bytes::<3>());
    let tag = tag(relay, &seed[..8], &session);
    seed[8..].copy_from_slice(&tag);
    ChatTicket {
        session,
        seed: Fixed(seed),
        difficulty,
    }
}

/// Whether `nonce` solves a ticket this relay (or a node sharing its key) issued for
/// `session`, unexpired and never redeemed; a valid redemption uses the ticket up.
pub async fn redeem(relay: &Relay, session: &SessionId, seed: &[u8; 16], nonce: u64) -> bool {
    let authentic: bool = tag(relay, &seed[..8], session).ct_eq(&seed[8..]).into();
    let expiry = u64::from(u32::from_be_bytes([seed[0], seed[1], seed[2], seed[3]]));
    let now = relay.clock.unix_s();
    if !authentic || expiry <= now || expiry > now + SEED_LIFETIME.as_secs() {
        return false;
    }
    if !proof_of_work::verify(seed, &session.0, nonce, seed[4]) {
        return false;
    }
    relay.seeds.use_once(seed, expiry).await
}
