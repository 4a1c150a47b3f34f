//! How relay nodes sharing one Redis reach each other: a channel per node and one for all
//! (plain PUBLISH, which reaches every subscriber in a Cluster too), a wake channel per node
//! (written by the message path's scripts), each node's roster of coordinators, and which
//! node each visitor is connected to (a holder's node is written by the store step that
//! makes them the holder: claim, hand-over, resume).
//!
//! It carries opaque text the relay wrote; it must never see plaintext, an address, or
//! anything about a visitor but a session id.

use futures_util::{Stream, StreamExt};
use redis::AsyncCommands;

use super::connection::{RedisConnection, unavailable};
use super::deadline::Deadlines;
use super::keys::Keys;
use super::scripts::VISITOR_NODE;
use crate::store::chat::{SessionId, StoreError};

const BROADCAST: &str = "ll:nodes";
const NODES: &str = "ll:nodes:live";

fn node_channel(node: &str) -> String {
    format!("ll:node:{node}")
}

/// Where the message path's scripts publish wakes for `node` (`message_path.rs`).
fn wake_channel(node: &str) -> String {
    format!("ll:wake:{node}")
}

/// What a node hears from the others.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NodeMessage {
    /// An event (JSON) sent to this node or to all.
    Event(String),
    /// A wake from the message path: `<from node> <what> <session> <holder> [<seq>]`.
    Wake(String),
}

fn roster_key(node: &str) -> String {
    format!("ll:node:{node}:roster")
}

/// Present while node `node` is alive: written at each announce with the roster's lifetime,
/// whether or not it has coordinators (an empty roster is no key at all).
fn up_key(node: &str) -> String {
    format!("ll:node:{node}:up")
}

/// One node's handle on the others.
#[derive(Clone)]
pub struct NodeLink {
    con: RedisConnection,
    /// Pub/sub needs a connection of its own, opened from this client.
    client: redis::Client,
    /// How long a visitor's node record lives: as long as the session's keys.
    session_ttl_s: u64,
    /// Redis's clock: the visitor's node record ends on a whole minute, as the session's
    /// keys do.
    deadlines: Deadlines,
}

impl NodeLink {
    pub(super) fn new(
        con: RedisConnection,
        client: redis::Client,
        session_ttl_s: u64,
        deadlines: Deadlines,
    ) -> Self {
        Self {
            con,
            client,
            session_ttl_s,
            deadlines,
        }
    }

    /// Sends `text` to node `node`; `false` if Redis did not take it, or if the node is dead:
    /// on one server, no node listens on its channel; on a Cluster, its `up` key has lapsed.
    /// (A Cluster counts only the subscribers of the server it was published on, so there a
    /// count of none proves nothing: a dead holder's node was taken for alive, and a
    /// visitor's `end` waited for the idle sweep instead of erasing at once, F-65.)
    pub async fn send_to(&self, node: &str, text: String) -> bool {
        let mut con = self.con.clone();
        match con.publish::<_, _, i64>(&node_channel(node), text).await {
            Ok(0) => matches!(self.con, RedisConnection::Cluster(_)) && self.is_up(node).await,
            Ok(_) => true,
            Err(_) => false,
        }
    }

    /// Whether node `node` announced itself within the roster's lifetime. A node of an older
    /// version writes no `up` key: its roster, when it has coordinators, stands for it. If
    /// Redis cannot say, the node is taken for alive, as before this check: the publish got
    /// through, and an alive holder must deliver the last frames before it erases.
    async fn is_up(&self, node: &str) -> bool {
        let mut con = self.con.clone();
        for key in [up_key(node), roster_key(node)] {
            match con.exists::<_, bool>(&key).await {
                Ok(false) => {}
                Ok(true) | Err(_) => return true,
            }
        }
        false
    }

    /// Tells node `node` that node `from` has published `total` wakes to it so far, after
    /// them on its wake channel (the relay's `wake_order`).
    pub async fn wakes_sent(&self, node: &str, from: &str, total: u64) -> bool {
        self.publish(&wake_channel(node), format!("{from} n {total}"))
            .await
    }

    /// Sends `text` to every node (this one included).
    pub async fn broadcast(&self, text: String) -> bool {
        self.publish(BROADCAST, text).await
    }

    async fn publish(&self, channel: &str, text: String) -> bool {
        let mut con = self.con.clone();
        con.publish::<_, _, i64>(channel, text).await.is_ok()
    }

    /// What is sent to `node` and to every node, and the wakes for `node`, as they arrive;
    /// `None` if Redis cannot be reached now. The stream ends when the subscription is lost.
    pub async fn subscribe(&self, node: &str) -> Option<impl Stream<Item = NodeMessage> + use<>> {
        let mut pubsub = self.client.get_async_pubsub().await.ok()?;
        let wakes = wake_channel(node);
        pubsub.subscribe(node_channel(node)).await.ok()?;
        pubsub.subscribe(BROADCAST).await.ok()?;
        pubsub.subscribe(&wakes).await.ok()?;
        Some(pubsub.into_on_message().filter_map(move |m| {
            let wake = m.get_channel_name() == wakes;
            async move {
                let text = m.get_payload::<String>().ok()?;
                Some(if wake {
                    NodeMessage::Wake(text)
                } else {
                    NodeMessage::Event(text)
                })
            }
        }))
    }

    /// Replaces node `node`'s roster with `entries` (serial, text), for `ttl_s` seconds,
    /// and marks the node live.
    pub async fn announce(&self, node: &str, entries: &[(u64, String)], ttl_s: u64) {
        let key = roster_key(node);
        let mut pipe = redis::pipe();
        pipe.atomic().del(&key).ignore();
        for (serial, text) in entries {
            pipe.hset(&key, serial, text).ignore();
        }
        pipe.expire(&key, ttl_s as i64).ignore();
        let mut con = self.con.clone();
        let _ = pipe.query_async::<()>(&mut con).await;
        // A key of its own, apart from the roster's: on a Cluster the two are in different
        // slots, and a MULTI may not span slots.
        // SET with EX, not SETEX: the deploy kit's ACL grants the relay's user only the
        // commands it uses (config/deploy/redis.conf).
        let _ = con
            .set_options::<_, _, ()>(
                up_key(node),
                1,
                redis::SetOptions::default().with_expiration(redis::SetExpiry::EX(ttl_s)),
            )
            .await;
        // Atomic, as the roster's: a cut between the two would leave the set without an end.
        let _ = redis::pipe()
            .atomic()
            .sadd(NODES, node)
            .ignore()
            .expire(NODES, (ttl_s * 3) as i64)
            .ignore()
            .query_async::<()>(&mut con)
            .await;
    }

    /// The roster entries of every live node but `except`; forgets nodes whose roster has
    /// expired. `None` if Redis could not be read.
    pub async fn rosters(&self, except: &str) -> Option<Vec<String>> {
        let mut con = self.con.clone();
        let nodes = con.smembers::<_, Vec<String>>(NODES).await.ok()?;
        let mut entries = Vec::new();
        for node in nodes.into_iter().filter(|n| n != except) {
            let roster = con
                .hgetall::<_, std::collections::HashMap<String, String>>(roster_key(&node))
                .await
                .ok()?;
            if roster.is_empty() {
                let _ = con.srem::<_, _, ()>(NODES, &node).await;
            }
            entries.extend(roster.into_values());
        }
        Some(entries)
    }

    /// Records that the visitor of `id` is connected to node `node`, if the session still
    /// exists; returns the node it was connected to before, if another.
    pub async fn set_visitor_node(
        &self,
        id: &SessionId,
        node: &str,
    ) -> Result<Option<String>, StoreError> {
        let keys = Keys::of(id);
        // Gone (ended meanwhile): nothing written, and no one to tell.
        let mut con = self.con.clone();
        let end = self.deadlines.after(&mut con, self.session_ttl_s).await?;
        let previous: Option<String> = redis::Script::new(VISITOR_NODE)
            .key(&keys.record)
            .key(&keys.node)
            .arg(node)
            .arg(end)
            .invoke_async(&mut con)
            .await
            .map_err(unavailable)?;
        Ok(previous.filter(|p| !p.is_empty() && p != node))
    }

    /// The node the holder of `id` last claimed or resumed it through: written in the step
    /// that made them the holder, so it names their new node as soon as they are back,
    /// before any roster does.
    pub async fn holder_node(&self, id: &SessionId) -> Result<Option<String>, StoreError> {
        self.con
            .clone()
            .get(Keys::of(id).holder_node)
            .await
            .map_err(unavailable)
    }

    /// The node the visitor of `id` was last connected to.
    pub async fn visitor_node(&self, id: &SessionId) -> Result<Option<String>, StoreError> {
        self.con
            .clone()
            .get(Keys::of(id).node)
            .await
            .map_err(unavailable)
    }
}
