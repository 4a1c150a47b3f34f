//! Several relay nodes, one Redis: the shared roster of coordinators, the events a node
//! hears from the others, the heartbeat that keeps the roster fresh and hands back the
//! conversations of coordinators whose node died, and "the queue changed".
//!
//! Each node has its own channel and all share a broadcast one (the store's node link).
//! With the memory store there is one node and nothing leaves the process. Must never
//! carry plaintext, an address, or anything about a visitor but a session id.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt;

use super::events::{Event, ForCoordinator};
use super::forward::{apply_to_coordinator, apply_to_visitor, forget_expired, release};
use super::grace;
use super::metrics::Metrics;
use super::nodes::{HEARTBEAT, RosterEntry};
use super::routing;
use super::state::Relay;
use super::wake_order::WakesSeen;
use super::wakes::{self, Wake};
use crate::protocol::SessionId;
use crate::protocol::frames::CoordinatorInfo;
use crate::store::redis::node_link::NodeMessage;
use crate::store::{Assignment, ChatStore};

impl Relay {
    /// Closes this coordinator's connection on another node, if any: they signed in here.
    pub async fn replace_elsewhere(&self, serial: u64) {
        self.nodes.refresh_remote().await;
        let event = Event::Coordinator {
            serial,
            what: ForCoordinator::Replaced,
        };
        for node in self.nodes.remote_nodes_of(serial) {
            self.nodes.send_to(&node, &event).await;
        }
    }

    /// Tells the other nodes that the queue or roster changed (after announcing ours).
    pub async fn share_queue_change(&self) {
        if self.nodes.is_shared() {
            self.nodes.announce(&self.local_roster()).await;
            self.nodes.broadcast(&Event::QueueChanged).await;
        }
    }

    /// Sends every on-duty coordinator, on every node, the new tips inbox: at once for a
    /// lone change, once per [`super::state::TIPS_BROADCAST_WINDOW`] for a burst (a flood of
    /// cheap tips must not send the whole inbox to every coordinator per tip).
    pub fn tips_changed(&self) {
        self.tip_changes.here();
    }

    /// Tells the other nodes that the tips inbox changed here.
    pub async fn share_tips_change(&self) {
        self.nodes.broadcast(&Event::TipsChanged).await;
    }

    /// Tells the other nodes that the sweep erased these sessions.
    pub async fn share_expired(&self, sessions: &[SessionId]) {
        let event = Event::Expired {
            sessions: sessions.to_vec(),
        };
        self.nodes.broadcast(&event).await;
    }

    fn local_roster(&self) -> Vec<RosterEntry> {
        self.live.with(|live| {
            live.coordinators
                .iter()
                .map(|(serial, c)| RosterEntry {
                    serial: *serial,
                    node: self.nodes.id.clone(),
                    alias: c.alias.clone(),
                    certificate: c.certificate.clone(),
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
                certificate: e.certificate,
            })
            .collect();
        all.sort_by_key(|c| c.serial);
        all.dedup_by_key(|c| c.serial);
        all
    }

    /// How many coordinators are on duty on any node, as last heard from the others (no
    /// store read: every visitor's `/v1/config` asks). Counted here alone, a node with no one
    /// of its own on duty told visitors nobody was there while colleagues elsewhere were.
    pub fn on_duty_anywhere(&self) -> usize {
        let mut serials: HashSet<u64> = self.live.with(|live| {
            live.coordinators
                .iter()
                .filter(|(_, c)| c.on_duty)
                .map(|(serial, _)| *serial)
                .collect()
        });
        serials.extend(
            self.nodes
                .remote()
                .into_iter()
                .filter(|e| e.on_duty)
                .map(|e| e.serial),
        );
        serials.len()
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

    /// Holds (or, without a grace period, releases) conversations of coordinators connected
    /// to no node (their node died): after two heartbeats in a row, so one signing in
    /// elsewhere right now is not robbed. Requeues held ones whose grace ran out unwatched.
    async fn release_orphans(self: &Arc<Self>, assignments: Vec<(SessionId, Assignment)>) {
        self.nodes.refresh_remote().await;
        let present: HashSet<u64> = self
            .local_roster()
            .into_iter()
            .chain(self.nodes.remote())
            .map(|e| e.serial)
            .collect();
        // Held for a coordinator whose node died, or restarted, before timing the grace.
        for (session, assignment) in &assignments {
            if let Assignment::Held(serial) = assignment
                && let Ok(false) = self.store.in_grace(session).await
            {
                grace::requeue_held(self, session, *serial).await;
            }
        }
        let absent = assignments.into_iter().filter_map(|(id, a)| match a {
            Assignment::Claimed(serial) if !present.contains(&serial) => Some((id, serial)),
            _ => None,
        });
        for (session, serial) in self.nodes.suspects.confirm(absent) {
            // Their node died with their connection: held as for any dropped connection.
            if self.config.sessions.coordinator_grace_s > 0 {
                grace::hold(self, serial, [session]).await;
            } else {
                tracing::debug!("conversation of a departed coordinator requeued");
                release(self, &session, serial).await;
            }
        }
    }

    /// Recomputes and sends everyone's view of the queue, now.
    pub async fn publish_queue(&self) {
        let queue = self
            .store
            .queue_view(routing::QUEUE_HEAD)
            .await
            .unwrap_or_default();
        self.note_queued(queue.order.len());
        let roster = self.roster().await;
        self.live
            .with(|live| live.broadcast(&queue, &roster, self.clock.unix_minute()));
    }
}

/// Listens on this node's channel and the broadcast channel, and keeps the roster fresh;
/// reconnects by itself after Redis comes back, then re-wakes every local connection (a
/// wake sent while it was away is lost, what it announced is in the store).
pub async fn run(relay: Arc<Relay>) {
    let Some(link) = relay.nodes.link().cloned() else {
        return;
    };
    let mut backoff = Duration::from_millis(100);
    let mut seen = WakesSeen::default();
    loop {
        if let Some(messages) = link.subscribe(&relay.nodes.id).await {
            relay.nodes.set_listening(true);
            backoff = Duration::from_millis(100);
            resync(&relay).await;
            let mut messages = std::pin::pin!(messages);
            while let Some(message) = messages.next().await {
                match message {
                    NodeMessage::Wake(text) => match Wake::parse(&text) {
                        Some((from, Wake::Notice { total })) => {
                            if seen.told(from, total) {
                                tracing::info!("a wake from another node was lost; pulling all");
                                wake_everything(&relay);
                            }
                        }
                        Some((from, wake)) => {
                            seen.saw(from);
                            wakes::apply(&relay, wake).await
                        }
                        None => Metrics::inc(&relay.metrics.protocol_closes),
                    },
                    NodeMessage::Event(text) => match serde_json::from_str::<Event>(&text) {
                        Ok(event) => handle(&relay, event).await,
                        Err(_) => Metrics::inc(&relay.metrics.protocol_closes),
                    },
                }
            }
            relay.nodes.set_listening(false);
            tracing::warn!("lost the node channel; reconnecting");
        }
        tokio::time::sleep(backoff).await;
        backoff = (backoff * 2).min(Duration::from_secs(5));
    }
}

async fn handle(relay: &Arc<Relay>, event: Event) {
    match event {
        Event::Visitor { session, what } => apply_to_visitor(relay, &session, what).await,
        Event::Coordinator { serial, what } => apply_to_coordinator(relay, serial, what).await,
        Event::QueueChanged => relay.queue_changed_elsewhere(),
        Event::Expired { sessions } => {
            forget_expired(relay, &sessions);
            relay.queue_changed_elsewhere();
        }
        Event::TipsChanged => relay.tip_changes.elsewhere(),
    }
}

/// After the node channel was down: everyone pulls again, the queue is sent again.
async fn resync(relay: &Arc<Relay>) {
    wake_everything(relay);
    relay.broadcast_queue().await;
}

/// Every connection here pulls what waits for it: every visitor, and every coordinator
/// each conversation it holds. Run when wakes may have been lost (a lost subscription, or
/// a count of wakes sent above the count seen, `wake_order`). A pull that finds nothing
/// new costs one read.
fn wake_everything(relay: &Arc<Relay>) {
    relay.live.with(|live| {
        for outbox in live.visitors.values() {
            outbox.wake();
        }
        for c in live.coordinators.values_mut() {
            let held: Vec<SessionId> = c.sessions.iter().copied().collect();
            for session in held {
                c.wake(session);
            }
        }
    });
}

/// Re-announces this node's coordinators, releases orphaned conversations and mends the
/// queue (`mend`), every [`HEARTBEAT`]; returns at once with the memory store.
pub async fn heartbeat(relay: Arc<Relay>) {
    if !relay.nodes.is_shared() {
        return;
    }
    let mut tick = tokio::time::interval(HEARTBEAT);
    loop {
        tick.tick().await;
        relay.nodes.announce(&relay.local_roster()).await;
        // One read of who holds what serves both (on Redis, every owner key once).
        if let Ok(survey) = relay.store.survey().await {
            relay.release_orphans(survey.assignments).await;
            super::mend::mend_queue(&relay, survey.out_of_step).await;
        }
        // Instead of pulling every held conversation: each node learns whether it lost a
        // wake from here (`wake_order`).
        relay.nodes.notify_wakes_sent().await;
        relay.seeds.sync_key().await;
    }
}
