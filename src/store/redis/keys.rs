//! The Redis key schema of a live-chat session (`docs/redis.md`): every key of one session
//! carries the hash tag `{<sid>}`, so in a Redis Cluster they share a slot and one Lua
//! script can touch them all.
//!
//! Must never put anything in a key name but the session id and a fixed word.

use crate::crypto::keys::hex;
use crate::store::chat::{SessionId, Way};

/// The names of one session's keys.
pub(super) struct Keys {
    pub(super) record: String,
    pub(super) owner: String,
    pub(super) active: String,
    /// The relay node the visitor is connected to (several nodes, one Redis).
    pub(super) node: String,
    /// Set while the session is held for a dropped coordinator; expires with the grace.
    pub(super) grace: String,
    /// The relay node the holding coordinator is connected to (where its wakes go).
    pub(super) holder_node: String,
    /// Per direction, one hash of the buffer's numbers, so a message reads and writes them
    /// with one command each instead of one per number: `next` (the sequence number expected
    /// next), `acked` (the last acknowledged), `bytes` (body bytes in the buffer), `head`
    /// (the sequence number of the buffer's first frame while it holds any).
    pub(super) way: [String; 2],
    pub(super) buffer: [String; 2],
}

pub(super) fn way_index(way: Way) -> usize {
    match way {
        Way::ToCoordinator => 0,
        Way::ToVisitor => 1,
    }
}

impl Keys {
    pub(super) fn of(id: &SessionId) -> Self {
        let tag = format!("{{{}}}", hex(&id.0));
        let per_way = |name: &str| [format!("ll:{tag}:{name}:c"), format!("ll:{tag}:{name}:v")];
        Self {
            record: format!("ll:{tag}:record"),
            owner: format!("ll:{tag}:owner"),
            active: format!("ll:{tag}:active"),
            node: format!("ll:{tag}:node"),
            grace: format!("ll:{tag}:grace"),
            holder_node: format!("ll:{tag}:holder:node"),
            way: per_way("way"),
            buffer: per_way("buffer"),
        }
    }

    pub(super) fn all(&self) -> Vec<&str> {
        let mut keys = vec![
            self.record.as_str(),
            self.owner.as_str(),
            self.active.as_str(),
            self.node.as_str(),
            self.grace.as_str(),
            self.holder_node.as_str(),
        ];
        for group in [&self.way, &self.buffer] {
            keys.extend(group.iter().map(String::as_str));
        }
        keys
    }
}
