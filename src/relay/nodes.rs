//! This node among the others sharing one Redis: its id, its link to them, and their
//! coordinators as last read. With the memory store there is no link: one node, and
//! nothing leaves the process.
//!
//! Must never carry plaintext, an address, or anything about a visitor but a session id.

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::events::Event;
use super::seen_twice::SeenTwice;
use super::wake_order::WakesSent;
use crate::crypto::keys::{hex, random_bytes};
use crate::protocol::SessionId;
use crate::store::NodeLink;

/// How often a node re-announces its coordinators and looks for orphaned conversations.
pub const HEARTBEAT: Duration = Duration::from_secs(5);
/// A node silent for this long is taken for dead: its coordinators leave the roster.
pub const NODE_TTL_S: u64 = 15;

/// One connected coordinator as the other nodes see it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RosterEntry {
    /// The coordinator's certificate serial.
    pub serial: u64,
    /// The node it is connected to.
    pub node: String,
    /// The alias its certificate carries.
    pub alias: String,
    /// Its certificate, for a hand-over's consent and note (§9.6). Empty when announced by
    /// a node older than this field (a rolling upgrade): no hand-over to it is offered.
    #[serde(default)]
    pub certificate: crate::protocol::Bytes,
    /// Whether it takes new conversations.
    pub on_duty: bool,
    /// How many conversations it takes at most.
    pub capacity: u32,
    /// How many it holds now.
    pub load: u32,
}

/// This node's identity and its link to the others.
pub struct Nodes {
    /// This node's random id, new at every start.
    pub id: String,
    link: Option<NodeLink>,
    /// Coordinators connected to other nodes, as last read.
    remote: Mutex<Vec<RosterEntry>>,
    /// Conversations seen held by an absent coordinator at the last heartbeat: released if
    /// still so at the next one (a coordinator may be signing in on another node just now).
    pub(super) suspects: SeenTwice<(SessionId, u64)>,
    /// What the last heartbeat found out of step between the queue and the owner keys
    /// (`true`: owned by the queue, in no entry): mended if still so at the next one.
    pub(super) out_of_step: SeenTwice<(SessionId, bool)>,
    /// How many wakes the message path published to each other node (`wake_order`).
    pub wakes_sent: WakesSent,
    /// Whether this node is subscribed to its channels now: until it is, another node's
    /// event for it (an `end`, a hand-over) is published to nobody.
    listening: AtomicBool,
}

impl Nodes {
    /// This node, with a fresh id, linked to the others through `link` if they share one.
    pub fn new(link: Option<NodeLink>) -> Self {
        Self {
            id: hex(&random_bytes::<8>()),
            link,
            remote: Mutex::default(),
            suspects: SeenTwice::default(),
            out_of_step: SeenTwice::default(),
            wakes_sent: WakesSent::default(),
            listening: AtomicBool::new(false),
        }
    }

    /// Whether this node hears the others: always without a link; with one, only while it
    /// is subscribed to its channels (readiness waits for it).
    pub fn listening(&self) -> bool {
        self.link.is_none() || self.listening.load(Ordering::Acquire)
    }

    /// Set by the listener when its subscription starts and when it is lost.
    pub(super) fn set_listening(&self, listening: bool) {
        self.listening.store(listening, Ordering::Release);
    }

    /// Whether other nodes may exist (a Redis store), so changes must be shared.
    pub fn is_shared(&self) -> bool {
        self.link.is_some()
    }

    /// The link to the other nodes, if any.
    pub fn link(&self) -> Option<&NodeLink> {
        self.link.as_ref()
    }

    /// Sends `event` to node `node`; `false` if it could not be sent (or there is no link).
    pub(super) async fn send_to(&self, node: &str, event: &Event) -> bool {
        let (Some(link), Ok(text)) = (&self.link, serde_json::to_string(event)) else {
            return false;
        };
        link.send_to(node, text).await
    }

    /// Sends `event` to every node.
    pub(super) async fn broadcast(&self, event: &Event) -> bool {
        let (Some(link), Ok(text)) = (&self.link, serde_json::to_string(event)) else {
            return false;
        };
        link.broadcast(text).await
    }

    /// Counts a wake the message path published to `node`; `false` if none was (then the
    /// caller wakes the peer its own way).
    pub fn woke(&self, node: Option<String>) -> bool {
        node.map(|n| self.wakes_sent.count(&n)).is_some()
    }

    /// Tells each node how many wakes it was sent so far (`wake_order`).
    pub(super) async fn notify_wakes_sent(&self) {
        let Some(link) = &self.link else { return };
        for (node, total) in self.wakes_sent.totals() {
            link.wakes_sent(&node, &self.id, total).await;
        }
    }

    /// Connected coordinators of other nodes, as last read.
    pub fn remote(&self) -> Vec<RosterEntry> {
        self.remote
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// The nodes whose roster lists coordinator `serial`, as last read: usually one, but a
    /// node that died keeps its roster until it expires, and the coordinator may be back on
    /// another meanwhile. Looked up on every cross-node wake: reads the roster in place.
    pub(super) fn remote_nodes_of(&self, serial: u64) -> Vec<String> {
        self.remote
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
            .filter(|e| e.serial == serial)
            .map(|e| e.node.clone())
            .collect()
    }

    /// Writes this node's coordinators for the others to read (replacing the last list).
    pub(super) async fn announce(&self, entries: &[RosterEntry]) {
        let Some(link) = &self.link else { return };
        let texts: Vec<(u64, String)> = entries
            .iter()
            .filter_map(|e| Some((e.serial, serde_json::to_string(e).ok()?)))
            .collect();
        link.announce(&self.id, &texts, NODE_TTL_S).await;
    }

    /// Reads the other nodes' coordinators; forgets nodes whose roster has expired.
    pub(super) async fn refresh_remote(&self) {
        let Some(link) = &self.link else { return };
        let Some(texts) = link.rosters(&self.id).await else {
            return;
        };
        let entries = texts
            .iter()
            .filter_map(|text| serde_json::from_str::<RosterEntry>(text).ok())
            .collect();
        *self.remote.lock().unwrap_or_else(|p| p.into_inner()) = entries;
    }
}
