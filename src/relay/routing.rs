//! Who is connected and who holds which conversation, on this node, and the broadcasts that
//! keep everyone's view of the queue current.
//!
//! The store holds the sessions; this registry holds only live sockets: visitor outboxes by
//! session, coordinators by certificate serial with their duty state and conversations.

use std::collections::{HashMap, HashSet};
use std::sync::Mutex;

use super::connection::Outbox;
use super::consent::{Handover, Offer};
use super::handoff::Handed;
use crate::protocol::Bytes;
use crate::protocol::RelayFrame;
use crate::protocol::frames::{CoordinatorInfo, PeerEvent, QueueItem};
use crate::store::{QueueView, SessionId};

/// A coordinator connected to this node.
pub struct LiveCoordinator {
    /// Where its frames are queued.
    pub outbox: Outbox,
    /// The alias its certificate carries.
    pub alias: String,
    /// Its certificate, shown to a visitor asked to accept a hand-over to it (§9.6).
    pub certificate: Bytes,
    /// Whether it takes new conversations.
    pub on_duty: bool,
    /// How many conversations it takes at most.
    pub capacity: u32,
    /// The languages it answers in.
    pub langs: Vec<String>,
    /// The conversations it holds.
    pub sessions: HashSet<SessionId>,
    /// Conversations with frames waiting in the store for this connection's pull task.
    pub woken: HashSet<SessionId>,
    /// The last visitor frame of each conversation queued to this connection.
    pub delivered: HashMap<SessionId, u64>,
    /// Visitor frames stored by this node and handed to this connection (`handoff`).
    pub handed: HashMap<SessionId, Handed>,
}

impl LiveCoordinator {
    /// Tells this connection's pull task that frames from `session` wait in the store.
    pub fn wake(&mut self, session: SessionId) {
        self.woken.insert(session);
        self.outbox.wake();
    }
}

#[derive(Default)]
/// Every connection on this node, by session or certificate serial.
pub struct Registry {
    /// Visitors connected here.
    pub visitors: HashMap<SessionId, Outbox>,
    /// Coordinators connected here.
    pub coordinators: HashMap<u64, LiveCoordinator>,
    /// Sessions handed over and waiting for the visitor's rekey: the previous holder.
    pub transferred_from: HashMap<SessionId, Handover>,
    /// Hand-overs proposed by coordinators here, waiting for their visitor's answer.
    pub offers: HashMap<SessionId, Offer>,
    /// The last offer's number.
    pub next_offer: u64,
    /// What each waiting visitor here was last told (position, wait, on duty): they are
    /// told again only when it changes, so holding N waiting visitors is not O(N²).
    told: HashMap<SessionId, (u64, (u32, u32, u32))>,
}

/// The registry behind a lock that is never held across an await.
#[derive(Default)]
pub struct Live(Mutex<Registry>);

impl Live {
    /// Runs `f` on the registry under its lock.
    pub fn with<T>(&self, f: impl FnOnce(&mut Registry) -> T) -> T {
        f(&mut self.0.lock().unwrap_or_else(|p| p.into_inner()))
    }
}

impl Registry {
    /// How many coordinators here are on duty.
    pub fn on_duty(&self) -> usize {
        self.coordinators.values().filter(|c| c.on_duty).count()
    }

    /// Tells a connected visitor's connection that frames wait in the store.
    pub fn visitor_wake(&self, session: &SessionId) {
        if let Some(outbox) = self.visitors.get(session) {
            outbox.wake();
        }
    }

    /// Tells a connected visitor the conversation is over and closes their connection.
    pub fn visitor_ended(&mut self, session: &SessionId) {
        if let Some(outbox) = self.visitors.remove(session) {
            outbox.send(RelayFrame::Peer {
                session: None,
                event: PeerEvent::Ended,
            });
            outbox.close(crate::protocol::CloseCode::Ended);
        }
        self.transferred_from.remove(session);
        self.offers.remove(session);
    }

    /// The store says `session` is not coordinator `serial`'s (any more): forget it on their
    /// connection and tell them `released`. Their seat is free again: kept, it counted
    /// against their capacity for as long as the connection lived.
    pub fn not_theirs(&mut self, serial: u64, session: &SessionId) {
        if let Some(c) = self.coordinators.get_mut(&serial) {
            // Also after a requeue that took it from `sessions` already.
            c.sessions.remove(session);
            c.delivered.remove(session);
            c.woken.remove(session);
            c.handed.remove(session);
        }
        self.coordinator_send(serial, RelayFrame::Released { session: *session });
    }

    /// Tells coordinator `serial` the store lost their conversation `session` (`peer lost`,
    /// then `released`, §9.5) and forgets it here.
    pub fn conversation_lost(&mut self, serial: u64, session: &SessionId) {
        self.transferred_from.remove(session);
        if let Some(c) = self.coordinators.get_mut(&serial)
            && c.sessions.remove(session)
        {
            c.delivered.remove(session);
            c.woken.remove(session);
            c.handed.remove(session);
            self.peer_to_coordinator(serial, session, PeerEvent::Lost);
            self.coordinator_send(serial, RelayFrame::Released { session: *session });
        }
    }

    /// Sends a frame to the visitor of `session`, if connected here.
    pub fn visitor_send(&self, session: &SessionId, frame: RelayFrame) {
        if let Some(outbox) = self.visitors.get(session) {
            outbox.send(frame);
        }
    }

    /// Sends a frame to coordinator `serial`, if connected here.
    pub fn coordinator_send(&self, serial: u64, frame: RelayFrame) {
        if let Some(c) = self.coordinators.get(&serial) {
            c.outbox.send(frame);
        }
    }

    /// Tells the visitor of `session` what happened to their coordinator.
    pub fn peer_to_visitor(&self, session: &SessionId, event: PeerEvent) {
        self.visitor_send(
            session,
            RelayFrame::Peer {
                session: None,
                event,
            },
        );
    }

    /// Tells coordinator `serial` what happened to the visitor of `session`.
    pub fn peer_to_coordinator(&self, serial: u64, session: &SessionId, event: PeerEvent) {
        self.coordinator_send(
            serial,
            RelayFrame::Peer {
                session: Some(*session),
                event,
            },
        );
    }

    /// Sends every on-duty coordinator here the queue and the roster (of every node), and
    /// every waiting visitor here its position. `queue` is oldest first; sessions waiting
    /// for a rekey are not claimable and so not listed, but still counted for the visitors
    /// behind them.
    pub fn broadcast(&mut self, queue: &QueueView, roster: &[CoordinatorInfo], now_minute: u64) {
        let now = now_minute;
        let claimable = queue.head.iter().filter(|s| s.claimable);
        // Those beyond the head were not read: counted as waiting (a requeued visitor owing
        // a fresh handshake is claimable again within seconds).
        let unread = queue.order.len().saturating_sub(queue.head.len());
        let total = (claimable.clone().count() + unread) as u32;
        let items: Vec<QueueItem> = claimable
            .take(MAX_LISTED)
            .map(|s| QueueItem {
                session: s.id,
                waited_s: now.saturating_sub(s.queued_minute) * 60,
                kind: s.kind,
                lang: s.lang.clone(),
            })
            .collect();
        for c in self.coordinators.values().filter(|c| c.on_duty) {
            c.outbox.send(RelayFrame::QueueList {
                items: items.clone(),
                total,
            });
            c.outbox.send(RelayFrame::Coordinators {
                on_duty: roster.to_vec(),
            });
        }
        let on_duty = roster.len() as u32;
        let free: u32 = roster
            .iter()
            .map(|c| c.capacity.saturating_sub(c.load))
            .sum();
        let mut told = HashMap::with_capacity(self.told.len());
        for (index, session) in queue.order.iter().enumerate() {
            let Some(outbox) = self.visitors.get(session) else {
                continue;
            };
            let position = index as u32 + 1;
            let view = (position, wait_estimate(position, on_duty, free), on_duty);
            // Keyed by connection too: a fresh connection (a resume) is told again.
            let seen = (outbox.id, view);
            if self.told.get(session) != Some(&seen) {
                outbox.send(RelayFrame::Queue {
                    position: view.0,
                    wait_estimate_s: view.1,
                    on_duty: view.2,
                });
            }
            told.insert(*session, seen);
        }
        self.told = told;
    }
}

/// Coordinators see the oldest this many waiting visitors (and how many wait in all).
pub const MAX_LISTED: usize = 200;

/// Waiting sessions read in full per broadcast: the list's length with room for some not
/// claimable at the moment.
pub const QUEUE_HEAD: usize = 2 * MAX_LISTED;

/// A rough, honest estimate: a free seat means about a minute; otherwise about five minutes
/// of conversation per visitor ahead, shared among those on duty. Zero on duty: unknown (0).
pub fn wait_estimate(position: u32, on_duty: u32, free_seats: u32) -> u32 {
    if on_duty == 0 {
        return 0;
    }
    if position <= free_seats {
        return 60;
    }
    60 + (position - free_seats) * 300 / on_duty
}
