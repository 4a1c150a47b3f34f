//! The store on its own, without a relay: a Redis store on a test's own server and a queued
//! session record for the suites that check the store's answers directly.

use lifeline::protocol::frames::ConversationKind;
use lifeline::store::redis::RedisStore;
use lifeline::store::{Assignment, SessionId, SessionInfo};

use super::RedisServer;

impl RedisServer {
    /// A Redis store on this server (one node, no Cluster) whose sessions idle out after
    /// `idle_ttl_s`.
    pub async fn store(&self, idle_ttl_s: u64) -> RedisStore {
        RedisStore::connect(&[self.url.as_str()], false, idle_ttl_s)
            .await
            .expect("the test's own Redis answers")
    }
}

/// A chat waiting in the queue, every byte of its id, token and handshake `byte`, nothing
/// sent either way yet.
pub fn queued_session(store: &RedisStore, byte: u8) -> SessionInfo {
    SessionInfo {
        generation: store.generation(),
        id: SessionId([byte; 16]),
        token_hash: [byte; 32],
        kind: ConversationKind::Chat,
        lang: None,
        handshake: vec![byte; 32],
        assignment: Assignment::Queued,
        queued_minute: 1,
        next_to_coordinator: 1,
        next_to_visitor: 1,
        acked_to_coordinator: 0,
        acked_to_visitor: 0,
    }
}
