//! Several relay nodes, one Redis: what a node tells another when a conversation's two
//! sides are connected to different nodes, and the shared roster of coordinators.
//!
//! Messages never travel here: they are in the store, and the receiving side's node pulls
//! them in order when woken. What crosses between nodes is a wake, a small control frame
//! (delivered marks, peer events), a hand-over, or "the queue changed". Each node has its
//! own channel (`ll:node:<id>`); broadcasts go on `ll:nodes`. Plain PUBLISH reaches every
//! subscriber in a Redis Cluster too. With the memory store there is one node and nothing
//! leaves the process.
//!
//! Must never carry plaintext, an address, or anything about a visitor but a session id.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::StreamExt;
use redis::AsyncCommands;
use serde::{Deserialize, Serialize};

use super::Relay;
use super::metrics::Metrics;
use crate::crypto::keys::{hex, random_bytes};
use crate::protocol::b64::Fixed;
use crate::protocol::frames::{CoordinatorInfo, PeerEvent};
use crate::protocol::{CloseCode, RelayFrame};
use crate::store::{Assignment, ChatStore, SessionId, Store};

/// How often a node re-announces its coordinators and looks for orphaned conversations.
pub const HEARTBEAT: Duration = Duration::from_secs(5);
/// A node silent for this long is taken for dead: its coordinators leave the roster.
pub const NODE_TTL_S: u64 = 15;
const BROADCAST: &str = "ll:nodes";
const NODES: &str = "ll:nodes:live";

fn node_channel(node: &str) -> String {
    format!("ll:node:{node}")
}

fn roster_key(node: &str) -> String {
    format!("ll:node:{node}:roster")
}

/// Something for a visitor's connection.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "do", rename_all = "snake_case")]
pub enum ForVisitor {
    /// Frames wait in the store.
    Wake,
    Frame {
        frame: RelayFrame,
    },
    /// The coordinator ended the conversation: deliver what is stored, tell, close, erase.
    End,
    /// The visitor resumed on another node: drop this stale connection quietly.
    Replaced,
}

/// Something for a coordinator's connection.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "do", rename_all = "snake_case")]
pub enum ForCoordinator {
    /// Frames from this visitor wait in the store.
    Wake {
        session: Fixed<16>,
    },
    Frame {
        frame: RelayFrame,
    },
    /// Handed over to them by the coordinator with this alias.
    Assigned {
        session: Fixed<16>,
        from: String,
    },
    /// The visitor's fresh Noise message 1 is in the store: offer it.
    Rekeyed {
        session: Fixed<16>,
    },
    /// The visitor ended the conversation (or it overflowed): deliver what is stored,
    /// tell, erase.
    Dropped {
        session: Fixed<16>,
    },
    /// They signed in again on another node: close this connection, release nothing.
    Replaced,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "to", rename_all = "snake_case")]
enum Event {
    Visitor {
        session: Fixed<16>,
        what: ForVisitor,
    },
    Coordinator {
        serial: u64,
        what: ForCoordinator,
    },
    /// The queue or the roster changed somewhere.
    QueueChanged,
    /// Sessions erased by the idle sweep.
    Expired {
        sessions: Vec<Fixed<16>>,
    },
    /// A tip arrived, was answered or handled somewhere.
    TipsChanged,
}

/// One connected coordinator as the other nodes see it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RosterEntry {
    pub serial: u64,
    pub node: String,
    pub alias: String,
    pub on_duty: bool,
    pub capacity: u32,
    pub load: u32,
}

/// This node's identity and its link to the others.
pub struct Nodes {
    pub id: String,
    link: Option<Link>,
    /// Coordinators connected to other nodes, as last read.
    remote: Mutex<Vec<RosterEntry>>,
    /// Conversations seen held by an absent coordinator at the last heartbeat: released if
    /// still so at the next one (a coordinator may be signing in on another node just now).
    suspects: Mutex<HashSet<(SessionId, u64)>>,
}

struct Link {
    con: crate::store::redis_connection::RedisConnection,
    client: redis::Client,
}

impl Nodes {
    pub fn new(store: &Store) -> Self {
        let link = match store {
            Store::Redis(r) => Some(Link {
                con: r.connection(),
                client: r.client().clone(),
            }),
            Store::Memory(_) => None,
        };
        Self {
            id: hex(&random_bytes::<8>()),
            link,
            remote: Mutex::default(),
            suspects: Mutex::default(),
        }
    }

    pub fn is_shared(&self) -> bool {
        self.link.is_some()
    }

    async fn publish(&self, channel: &str, event: &Event) -> bool {
        let Some(link) = &self.link else { return false };
        let Ok(text) = serde_json::to_string(event) else {
            return false;
        };
        let mut con = link.con.clone();
        con.publish::<_, _, i64>(channel, text).await.is_ok()
    }

    /// Connected coordinators of other nodes, as last read.
    pub fn remote(&self) -> Vec<RosterEntry> {
        self.remote
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// Looked up on every cross-node wake: reads the roster in place, no copy of it.
    fn remote_node_of(&self, serial: u64) -> Option<String> {
        self.remote
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
            .find(|e| e.serial == serial)
            .map(|e| e.node.clone())
    }

    /// Writes this node's coordinators for the others to read (replacing the last list).
    async fn announce(&self, entries: &[RosterEntry]) {
        let Some(link) = &self.link else { return };
        let key = roster_key(&self.id);
        let mut pipe = redis::pipe();
        pipe.atomic().del(&key).ignore();
        for e in entries {
            if let Ok(text) = serde_json::to_string(e) {
                pipe.hset(&key, e.serial, text).ignore();
            }
        }
        pipe.expire(&key, NODE_TTL_S as i64).ignore();
        let mut con = link.con.clone();
        let _ = pipe.query_async::<()>(&mut con).await;
        let _ = redis::pipe()
            .sadd(NODES, &self.id)
            .ignore()
            .expire(NODES, (NODE_TTL_S * 3) as i64)
            .ignore()
            .query_async::<()>(&mut con)
            .await;
    }

    /// Reads the other nodes' coordinators; forgets nodes whose roster has expired.
    async fn refresh_remote(&self) {
        let Some(link) = &self.link else { return };
        let mut con = link.con.clone();
        let Ok(nodes) = con.smembers::<_, Vec<String>>(NODES).await else {
            return;
        };
        let mut entries = Vec::new();
        for node in nodes.into_iter().filter(|n| *n != self.id) {
            let Ok(roster) = con
                .hgetall::<_, HashMap<String, String>>(roster_key(&node))
                .await
            else {
                return;
            };
            if roster.is_empty() {
                let _ = con.srem::<_, _, ()>(NODES, &node).await;
            }
            entries.extend(
                roster
                    .values()
                    .filter_map(|text| serde_json::from_str::<RosterEntry>(text).ok()),
            );
        }
        *self.remote.lock().unwrap_or_else(|p| p.into_inner()) = entries;
    }
}

impl Relay {
    /// Acts on `what` for the visitor of `session`, on whichever node they are connected to.
    /// `false` if they are connected nowhere known.
    pub async fn to_visitor(self: &Arc<Self>, session: &SessionId, what: ForVisitor) -> bool {
        let here = self.live.with(|live| live.visitors.contains_key(session));
        if here {
            apply_to_visitor(self, session, what).await;
            return true;
        }
        let Store::Redis(store) = &self.store else {
            return false;
        };
        match store.visitor_node(session).await {
            Ok(Some(node)) if node != self.nodes.id => {
                let event = Event::Visitor {
                    session: Fixed(*session),
                    what,
                };
                self.nodes.publish(&node_channel(&node), &event).await
            }
            _ => false,
        }
    }

    /// Acts on `what` for coordinator `serial`, on whichever node they are connected to.
    /// `false` if they are connected nowhere known.
    pub async fn to_coordinator(self: &Arc<Self>, serial: u64, what: ForCoordinator) -> bool {
        let here = self
            .live
            .with(|live| live.coordinators.contains_key(&serial));
        if here {
            apply_to_coordinator(self, serial, what).await;
            return true;
        }
        match self.nodes.remote_node_of(serial) {
            Some(node) => {
                let event = Event::Coordinator { serial, what };
                self.nodes.publish(&node_channel(&node), &event).await
            }
            None => false,
        }
    }

    /// Closes this coordinator's connection on another node, if any: they signed in here.
    pub async fn replace_elsewhere(&self, serial: u64) {
        self.nodes.refresh_remote().await;
        if let Some(node) = self.nodes.remote_node_of(serial) {
            let event = Event::Coordinator {
                serial,
                what: ForCoordinator::Replaced,
            };
            self.nodes.publish(&node_channel(&node), &event).await;
        }
    }

    /// Records where a visitor is connected; tells the node it was connected to before.
    pub async fn visitor_arrived(self: &Arc<Self>, session: &SessionId) {
        let Store::Redis(store) = &self.store else {
            return;
        };
        if let Ok(Some(previous)) = store.set_visitor_node(session, &self.nodes.id).await {
            let event = Event::Visitor {
                session: Fixed(*session),
                what: ForVisitor::Replaced,
            };
            self.nodes.publish(&node_channel(&previous), &event).await;
        }
    }

    /// Tells the other nodes that the queue or roster changed (after announcing ours).
    pub(super) async fn share_queue_change(&self) {
        if self.nodes.is_shared() {
            self.nodes.announce(&self.local_roster()).await;
            self.nodes.publish(BROADCAST, &Event::QueueChanged).await;
        }
    }

    /// Sends every on-duty coordinator, on every node, the new tips inbox.
    pub async fn tips_changed(&self) {
        super::coordinator::notify_tips(self).await;
        self.nodes.publish(BROADCAST, &Event::TipsChanged).await;
    }

    /// Tells the other nodes that the sweep erased these sessions.
    pub(super) async fn share_expired(&self, sessions: &[SessionId]) {
        let event = Event::Expired {
            sessions: sessions.iter().map(|s| Fixed(*s)).collect(),
        };
        self.nodes.publish(BROADCAST, &event).await;
    }

    fn local_roster(&self) -> Vec<RosterEntry> {
        self.live.with(|live| {
            live.coordinators
                .iter()
                .map(|(serial, c)| RosterEntry {
                    serial: *serial,
                    node: self.nodes.id.clone(),
                    alias: c.alias.clone(),
                    on_duty: c.on_duty,
                    capacity: c.capacity,
                    load: c.sessions.len() as u32,
                })
                .collect()
        })
    }

    /// Everyone on duty, on every node, by serial.
    pub async fn roster(&self) -> Vec<CoordinatorInfo> {
        self.nodes.refresh_remote().await;
        let mut all: Vec<CoordinatorInfo> = self
            .local_roster()
            .into_iter()
            .chain(self.nodes.remote())
            .filter(|e| e.on_duty)
            .map(|e| CoordinatorInfo {
                serial: e.serial,
                alias: e.alias,
                load: e.load,
                capacity: e.capacity,
            })
            .collect();
        all.sort_by_key(|c| c.serial);
        all.dedup_by_key(|c| c.serial);
        all
    }

    /// Whether `serial` is on duty with room, on any node (a hand-over target).
    pub fn has_room(&self, serial: u64) -> bool {
        let local = self.live.with(|live| {
            live.coordinators
                .get(&serial)
                .map(|c| c.on_duty && (c.sessions.len() as u32) < c.capacity)
        });
        local.unwrap_or_else(|| {
            self.nodes
                .remote()
                .iter()
                .any(|e| e.serial == serial && e.on_duty && e.load < e.capacity)
        })
    }

    /// Releases conversations held by coordinators connected to no node (their node died):
    /// after two heartbeats in a row, so one signing in elsewhere right now is not robbed.
    async fn release_orphans(self: &Arc<Self>) {
        let Ok(assignments) = self.store.assignments().await else {
            return;
        };
        self.nodes.refresh_remote().await;
        let present: HashSet<u64> = self
            .local_roster()
            .into_iter()
            .chain(self.nodes.remote())
            .map(|e| e.serial)
            .collect();
        let absent: HashSet<(SessionId, u64)> = assignments
            .into_iter()
            .filter_map(|(id, a)| match a {
                Assignment::Claimed(serial) if !present.contains(&serial) => Some((id, serial)),
                _ => None,
            })
            .collect();
        let confirmed: Vec<(SessionId, u64)> = {
            let mut suspects = self
                .nodes
                .suspects
                .lock()
                .unwrap_or_else(|p| p.into_inner());
            let confirmed = absent.intersection(&suspects).copied().collect();
            *suspects = absent;
            confirmed
        };
        for (session, serial) in confirmed {
            tracing::info!("conversation of a departed coordinator requeued");
            super::coordinator::release(self, &session, serial).await;
        }
    }
}

/// Carries out `what` on this node's connection of that visitor, if any.
pub async fn apply_to_visitor(relay: &Arc<Relay>, session: &SessionId, what: ForVisitor) {
    match what {
        ForVisitor::Wake => relay.live.with(|live| live.visitor_wake(session)),
        ForVisitor::Frame { frame } => relay.live.with(|live| live.visitor_send(session, frame)),
        ForVisitor::End => {
            let visitor = relay.live.with(|live| live.visitors.get(session).cloned());
            if let Some(visitor) = &visitor {
                // The coordinator's last frames (its authenticated close) go out first.
                super::visitor::send_pending(relay, session, visitor).await;
            }
            // Told before the erasure: a frame the visitor sends meanwhile must not find the
            // session gone and be answered with a bare close instead of `ended`.
            relay.live.with(|live| live.visitor_ended(session));
            let _ = relay.store.remove(session).await;
        }
        ForVisitor::Replaced => relay.live.with(|live| {
            if let Some(outbox) = live.visitors.remove(session) {
                outbox.close(CloseCode::Replaced);
            }
        }),
    }
}

/// Carries out `what` on this node's connection of that coordinator, if any.
pub async fn apply_to_coordinator(relay: &Arc<Relay>, serial: u64, what: ForCoordinator) {
    match what {
        ForCoordinator::Wake { session } => relay.live.with(|live| {
            if let Some(c) = live.coordinators.get_mut(&serial) {
                c.wake(session.0);
            }
        }),
        ForCoordinator::Frame { frame } => {
            relay.live.with(|live| live.coordinator_send(serial, frame))
        }
        ForCoordinator::Assigned { session, from } => {
            relay.live.with(|live| {
                if let Some(c) = live.coordinators.get_mut(&serial) {
                    c.sessions.insert(session.0);
                    live.transferred_from.insert(session.0, from);
                }
            });
            relay.broadcast_queue().await;
        }
        ForCoordinator::Rekeyed { session } => {
            super::coordinator::offer_rekeyed(relay, serial, &session.0).await
        }
        ForCoordinator::Dropped { session } => {
            let outbox = relay
                .live
                .with(|live| live.coordinators.get(&serial).map(|c| c.outbox.clone()));
            if let Some(outbox) = outbox {
                // The visitor's last frames (their authenticated close) go out first.
                super::coordinator::pull(relay, serial, &outbox, &session.0).await;
            }
            let _ = relay.store.remove(&session.0).await;
            relay.live.with(|live| {
                live.transferred_from.remove(&session.0);
                if let Some(c) = live.coordinators.get_mut(&serial)
                    && c.sessions.remove(&session.0)
                {
                    live.peer_to_coordinator(serial, &session.0, PeerEvent::Ended);
                    live.coordinator_send(serial, RelayFrame::Released { session });
                }
            });
            relay.broadcast_queue().await;
        }
        ForCoordinator::Replaced => relay.live.with(|live| {
            // Removed first, so its disconnection releases nothing: the new node has.
            if let Some(c) = live.coordinators.remove(&serial) {
                c.outbox.close(CloseCode::Replaced);
            }
        }),
    }
}

/// Forgets sessions another node's sweep erased: their connections here are told.
pub fn forget_expired(relay: &Relay, expired: &[SessionId]) {
    relay.live.with(|live| {
        for id in expired {
            if let Some(outbox) = live.visitors.remove(id) {
                outbox.close(CloseCode::UnknownSession);
            }
            live.transferred_from.remove(id);
            for c in live.coordinators.values_mut() {
                if c.sessions.remove(id) {
                    c.outbox.send(RelayFrame::Released {
                        session: Fixed(*id),
                    });
                }
            }
        }
    });
}

/// Listens on this node's channel and the broadcast channel, and keeps the roster fresh;
/// reconnects by itself after Redis comes back, then re-wakes every local connection (a
/// wake sent while it was away is lost, what it announced is in the store).
pub async fn run(relay: Arc<Relay>) {
    let Some(link) = &relay.nodes.link else {
        return;
    };
    let client = link.client.clone();
    let mut backoff = Duration::from_millis(100);
    loop {
        if let Ok(mut pubsub) = client.get_async_pubsub().await
            && pubsub
                .subscribe(node_channel(&relay.nodes.id))
                .await
                .is_ok()
            && pubsub.subscribe(BROADCAST).await.is_ok()
        {
            backoff = Duration::from_millis(100);
            resync(&relay).await;
            let mut messages = pubsub.on_message();
            while let Some(message) = messages.next().await {
                let Ok(text) = message.get_payload::<String>() else {
                    continue;
                };
                match serde_json::from_str::<Event>(&text) {
                    Ok(event) => handle(&relay, event).await,
                    Err(_) => Metrics::inc(&relay.metrics.protocol_closes),
                }
            }
            tracing::warn!("lost the node channel; reconnecting");
        }
        tokio::time::sleep(backoff).await;
        backoff = (backoff * 2).min(Duration::from_secs(5));
    }
}

async fn handle(relay: &Arc<Relay>, event: Event) {
    match event {
        Event::Visitor { session, what } => apply_to_visitor(relay, &session.0, what).await,
        Event::Coordinator { serial, what } => apply_to_coordinator(relay, serial, what).await,
        Event::QueueChanged => relay.queue_changed_elsewhere(),
        Event::Expired { sessions } => {
            let ids: Vec<SessionId> = sessions.into_iter().map(|s| s.0).collect();
            forget_expired(relay, &ids);
            relay.queue_changed_elsewhere();
        }
        Event::TipsChanged => super::coordinator::notify_tips(relay).await,
    }
}

/// After the node channel was down: everyone pulls again, the queue is sent again.
async fn resync(relay: &Arc<Relay>) {
    relay.live.with(|live| {
        for outbox in live.visitors.values() {
            outbox.wake();
        }
    });
    wake_held_conversations(relay);
    relay.broadcast_queue().await;
}

/// Every coordinator here pulls each conversation it holds. A wake from another node is a
/// PUBLISH, at most once: one lost (Redis busy past its timeout, a roster read that came
/// back empty) would leave a conversation's frames waiting in the store until the next;
/// this bounds that wait by one heartbeat. A pull finds nothing new at the cost of one read.
fn wake_held_conversations(relay: &Arc<Relay>) {
    relay.live.with(|live| {
        for c in live.coordinators.values_mut() {
            let held: Vec<SessionId> = c.sessions.iter().copied().collect();
            for session in held {
                c.wake(session);
            }
        }
    });
}

/// Re-announces this node's coordinators and releases orphaned conversations, every
/// [`HEARTBEAT`]; returns at once with the memory store.
pub async fn heartbeat(relay: Arc<Relay>) {
    if !relay.nodes.is_shared() {
        return;
    }
    let mut tick = tokio::time::interval(HEARTBEAT);
    loop {
        tick.tick().await;
        relay.nodes.announce(&relay.local_roster()).await;
        relay.release_orphans().await;
        wake_held_conversations(&relay);
        relay.seeds.sync_key().await;
    }
}
