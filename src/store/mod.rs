//! What the relay remembers, behind one trait: live-chat sessions, the queue, claims,
//! delivery buffers, and sealed tips.
//!
//! Everything here is ciphertext or routing state. A backend must never hold an address,
//! a user agent, plaintext or a precise time (times are Unix minutes), and must forget a
//! session entirely when it ends, is wiped or expires, but for a tombstone ([`ended`]: a
//! digest of its id, expiring within minutes). Sealed tips are the only records that
//! outlive a session, until handled or past retention. Nothing outside this module may know
//! which backend runs: the relay asks [`Store`] for what it needs.
//!
//! # Layout
//!
//! - [`chat`]: the [`ChatStore`] trait and the records it keeps.
//! - [`generation`]: the store's generation (epoch), which changes when it loses data.
//! - [`ended`]: tombstones (a digest, expiring) of sessions ended on purpose, so a session
//!   the store lost is told apart from one that ended.
//! - [`memory`]: one node, in the process.
//! - [`redis`]: several nodes, one Redis (server or Cluster): the chat store, its key schema
//!   and Lua scripts, the connection, node-to-node messages, shared proof-of-work seeds.
//! - [`tips`]: sealed tips as filed (`record.rs`), in files (one node) or in Redis (several).
//! - [`backend`]: [`Store`], the configured backend, and what the relay asks it for (the
//!   tips backend, the link to other nodes, the proof-of-work seed book's shared half); the
//!   only module that knows every backend, and the only `match` on one.
//!
//! Each module needs only those above it in this list, never one below.

/// Forwards a call to whichever backend an enum over backends holds. The Redis futures are
/// boxed: every relay task that awaits the store holds the largest future it may await, and
/// Redis's are large while the in-process ones are small. Boxing them keeps an idle
/// visitor's task small (docs/benchmarks.md) and costs one allocation per Redis call,
/// beside a network round trip.
macro_rules! dispatch {
    ($self:expr, $backends:ident::{$local:ident, $redis:ident}, $b:ident => $call:expr) => {
        match $self {
            $backends::$local($b) => $call.await,
            $backends::$redis($b) => Box::pin($call).await,
        }
    };
}

pub mod backend;
pub mod chat;
pub mod ended;
pub mod generation;
pub mod memory;
pub mod redis;
pub mod tips;

pub use backend::Store;
pub use chat::{
    Append, Assignment, BufferLimits, ChatStore, QueueView, Queued, SessionId, SessionInfo,
    StoreError, StoredFrame, Way,
};
pub use redis::node_link::NodeLink;
pub use redis::revocations::SharedRevocations;
pub use redis::seeds::SharedSeeds;
pub use tips::{TipId, TipRecord};
