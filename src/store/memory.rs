//! The embedded chat-state store: everything in one process's memory, gone on restart.
//! The default for a single node.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;

use super::chat::{
    Append, Assignment, BufferLimits, ChatStore, QueueView, Queued, SessionId, SessionInfo,
    StoreError, StoredFrame, Way,
};

#[derive(Default)]
struct Buffer {
    frames: VecDeque<StoredFrame>,
    bytes: usize,
}

struct Entry {
    info: SessionInfo,
    to_coordinator: Buffer,
    to_visitor: Buffer,
    last_active_minute: u64,
    /// While held for a dropped coordinator: when their grace period ends.
    grace_until: Option<tokio::time::Instant>,
    /// Ended, and being erased: refused to a resume from now on (§9.7).
    ended: bool,
}

impl Entry {
    fn buffer(&mut self, way: Way) -> &mut Buffer {
        match way {
            Way::ToCoordinator => &mut self.to_coordinator,
            Way::ToVisitor => &mut self.to_visitor,
        }
    }
}

#[derive(Default)]
struct State {
    sessions: HashMap<SessionId, Entry>,
    queue: VecDeque<SessionId>,
}

/// Live-chat state in this process: one node, lost on restart.
pub struct MemoryStore {
    state: Mutex<State>,
    /// Fresh at every start: whatever a client remembers from before was lost with the
    /// process, and a resume token tells which generation it came from (§9.5).
    generation: u64,
    /// When this store (so its generation) began: a coordinator resuming soon after is
    /// told which conversations were lost with the previous process.
    began: std::time::Instant,
    /// Sessions erased lately (ended, expired: `ended`): a coordinator back within the
    /// grace is told such a conversation ended, not that the store lost it.
    tombstones: super::ended::Tombstones,
}

impl Default for MemoryStore {
    fn default() -> Self {
        Self::new()
    }
}

impl MemoryStore {
    /// An empty store, in a generation of its own.
    pub fn new() -> Self {
        Self {
            state: Mutex::default(),
            generation: super::generation::fresh(),
            began: std::time::Instant::now(),
            tombstones: super::ended::Tombstones::default(),
        }
    }

    /// The generation this store's data belongs to; it never changes while the process runs.
    pub fn generation(&self) -> u64 {
        self.generation
    }

    /// When this store's generation began (the process started).
    pub fn began(&self) -> std::time::Instant {
        self.began
    }

    /// Marks the session ended and answers who held it; `None` if it is gone or already
    /// ended (someone else is ending it).
    pub fn end(&self, id: &SessionId) -> Option<Assignment> {
        self.with(|s| {
            let entry = s.sessions.get_mut(id).filter(|e| !e.ended)?;
            entry.ended = true;
            Some(entry.info.assignment.clone())
        })
    }

    /// Whether `id` was erased (ended, expired) within the time tombstones are kept.
    pub fn ended_recently(&self, id: &SessionId) -> bool {
        self.tombstones.holds(id)
    }

    /// Keeps the tombstones of ended sessions for `time` from now on.
    pub fn keep_tombstones_for(&self, time: std::time::Duration) {
        self.tombstones.keep_for(time);
    }

    /// The session and whether it was ended (and is being erased), read together.
    pub fn get_with_end(&self, id: &SessionId) -> Option<(SessionInfo, bool)> {
        self.with(|s| s.sessions.get(id).map(|e| (e.info.clone(), e.ended)))
    }

    fn with<T>(&self, f: impl FnOnce(&mut State) -> T) -> T {
        // A panic while holding the lock would be a bug in this file; recover the data
        // rather than take the whole relay down.
        let mut guard = self.state.lock().unwrap_or_else(|p| p.into_inner());
        f(&mut guard)
    }

    /// Back to the front of the queue, if the session's assignment is exactly `from`.
    fn requeue_from(&self, id: &SessionId, from: Assignment) -> Result<bool, StoreError> {
        self.with(|s| {
            let entry = s.sessions.get_mut(id).ok_or(StoreError::UnknownSession)?;
            if entry.info.assignment != from {
                return Ok(false);
            }
            entry.info.assignment = Assignment::Queued;
            entry.grace_until = None;
            if !s.queue.contains(id) {
                s.queue.push_front(*id);
            }
            Ok(true)
        })
    }

    fn with_entry<T>(
        &self,
        id: &SessionId,
        f: impl FnOnce(&mut Entry) -> T,
    ) -> Result<T, StoreError> {
        self.with(|s| {
            s.sessions
                .get_mut(id)
                .map(f)
                .ok_or(StoreError::UnknownSession)
        })
    }
}

impl ChatStore for MemoryStore {
    async fn create(&self, info: SessionInfo, queue_max: usize) -> Result<(), StoreError> {
        self.with(|s| {
            if s.queue.len() >= queue_max {
                return Err(StoreError::QueueFull);
            }
            s.queue.push_back(info.id);
            let last_active_minute = info.queued_minute;
            s.sessions.insert(
                info.id,
                Entry {
                    info,
                    to_coordinator: Buffer::default(),
                    to_visitor: Buffer::default(),
                    last_active_minute,
                    grace_until: None,
                    ended: false,
                },
            );
            Ok(())
        })
    }

    async fn get(&self, id: &SessionId) -> Result<Option<SessionInfo>, StoreError> {
        Ok(self.with(|s| s.sessions.get(id).map(|e| e.info.clone())))
    }

    async fn assignment(&self, id: &SessionId) -> Result<Option<Assignment>, StoreError> {
        Ok(self.with(|s| s.sessions.get(id).map(|e| e.info.assignment.clone())))
    }

    // One node: there is nowhere else a coordinator could be, so `node` is not kept.
    async fn claim(
        &self,
        id: &SessionId,
        coordinator: u64,
        _node: &str,
    ) -> Result<Option<SessionInfo>, StoreError> {
        self.with(|s| {
            let entry = s.sessions.get_mut(id).ok_or(StoreError::UnknownSession)?;
            if entry.info.assignment != Assignment::Queued {
                return Ok(None);
            }
            entry.info.assignment = Assignment::Claimed(coordinator);
            let info = entry.info.clone();
            s.queue.retain(|q| q != id);
            Ok(Some(info))
        })
    }

    async fn assign(
        &self,
        id: &SessionId,
        coordinator: u64,
        _node: &str,
    ) -> Result<(), StoreError> {
        self.with(|s| {
            // Ended, it is erased a moment later: nothing to hand over.
            let entry = (s.sessions.get_mut(id))
                .filter(|e| !e.ended)
                .ok_or(StoreError::UnknownSession)?;
            entry.info.assignment = Assignment::Claimed(coordinator);
            s.queue.retain(|q| q != id);
            Ok(())
        })
    }

    async fn requeue(&self, id: &SessionId, holder: u64) -> Result<bool, StoreError> {
        self.requeue_from(id, Assignment::Claimed(holder))
    }

    async fn hold(&self, id: &SessionId, holder: u64, grace_s: u64) -> Result<bool, StoreError> {
        self.with_entry(id, |e| {
            if e.info.assignment != Assignment::Claimed(holder) {
                return false;
            }
            e.info.assignment = Assignment::Held(holder);
            let grace = std::time::Duration::from_secs(grace_s);
            e.grace_until = Some(tokio::time::Instant::now() + grace);
            true
        })
    }

    async fn reattach(&self, id: &SessionId, holder: u64, _node: &str) -> Result<bool, StoreError> {
        Ok(self.with(|s| {
            let Some(e) = s.sessions.get_mut(id) else {
                return false;
            };
            if e.info.assignment == Assignment::Held(holder) {
                e.info.assignment = Assignment::Claimed(holder);
                e.grace_until = None;
            }
            e.info.assignment == Assignment::Claimed(holder)
        }))
    }

    async fn requeue_held(&self, id: &SessionId, holder: u64) -> Result<bool, StoreError> {
        self.requeue_from(id, Assignment::Held(holder))
    }

    async fn in_grace(&self, id: &SessionId) -> Result<bool, StoreError> {
        Ok(self.with(|s| {
            s.sessions
                .get(id)
                .and_then(|e| e.grace_until)
                .is_some_and(|until| tokio::time::Instant::now() < until)
        }))
    }

    async fn assignments(&self) -> Result<Vec<(SessionId, Assignment)>, StoreError> {
        Ok(self.with(|s| {
            s.sessions
                .iter()
                .map(|(id, e)| (*id, e.info.assignment.clone()))
                .collect()
        }))
    }

    async fn set_handshake(&self, id: &SessionId, message1: Vec<u8>) -> Result<(), StoreError> {
        self.with_entry(id, |e| e.info.handshake = message1)
    }

    async fn queue_len(&self) -> Result<usize, StoreError> {
        Ok(self.with(|s| s.queue.len()))
    }

    async fn queue_view(&self, head: usize) -> Result<QueueView, StoreError> {
        Ok(self.with(|s| QueueView {
            order: s.queue.iter().copied().collect(),
            head: s
                .queue
                .iter()
                .take(head)
                .filter_map(|id| s.sessions.get(id).map(|e| Queued::from(&e.info)))
                .collect(),
        }))
    }

    async fn append(
        &self,
        id: &SessionId,
        way: Way,
        frame: StoredFrame,
        limits: BufferLimits,
    ) -> Result<Append, StoreError> {
        self.with_entry(id, |e| {
            let next = match way {
                Way::ToCoordinator => &mut e.info.next_to_coordinator,
                Way::ToVisitor => &mut e.info.next_to_visitor,
            };
            if frame.seq < *next {
                return Append::Duplicate;
            }
            if frame.seq > *next {
                return Append::Gap { expected: *next };
            }
            let buffer = e.buffer(way);
            if buffer.frames.len() >= limits.max_frames
                || buffer.bytes + frame.body.len() > limits.max_bytes
            {
                return Append::Full;
            }
            buffer.bytes += frame.body.len();
            buffer.frames.push_back(frame);
            match way {
                Way::ToCoordinator => e.info.next_to_coordinator += 1,
                Way::ToVisitor => e.info.next_to_visitor += 1,
            }
            Append::Stored
        })
    }

    async fn ack(&self, id: &SessionId, way: Way, seq: u64) -> Result<u64, StoreError> {
        self.with_entry(id, |e| {
            let (acked, next) = match way {
                Way::ToCoordinator => {
                    (&mut e.info.acked_to_coordinator, e.info.next_to_coordinator)
                }
                Way::ToVisitor => (&mut e.info.acked_to_visitor, e.info.next_to_visitor),
            };
            // An ack can only cover what was stored.
            let seq = seq.min(next.saturating_sub(1));
            if seq > *acked {
                *acked = seq;
            }
            let acked = *acked;
            let buffer = e.buffer(way);
            while buffer.frames.front().is_some_and(|f| f.seq <= acked) {
                if let Some(f) = buffer.frames.pop_front() {
                    buffer.bytes -= f.body.len();
                }
            }
            acked
        })
    }

    async fn pending(
        &self,
        id: &SessionId,
        way: Way,
        after: u64,
    ) -> Result<Vec<StoredFrame>, StoreError> {
        self.with_entry(id, |e| {
            e.buffer(way)
                .frames
                .iter()
                .filter(|f| f.seq > after)
                .cloned()
                .collect()
        })
    }

    async fn discard_pending(&self, id: &SessionId, way: Way) -> Result<(), StoreError> {
        self.with_entry(id, |e| *e.buffer(way) = Buffer::default())
    }

    async fn touch(&self, id: &SessionId, now_minute: u64) -> Result<(), StoreError> {
        self.with_entry(id, |e| e.last_active_minute = now_minute)
    }

    async fn remove(&self, id: &SessionId) -> Result<(), StoreError> {
        self.tombstones.bury(id);
        self.with(|s| {
            s.sessions.remove(id);
            s.queue.retain(|q| q != id);
        });
        Ok(())
    }

    async fn expire(&self, cutoff_minute: u64) -> Result<Vec<SessionId>, StoreError> {
        Ok(self.with(|s| {
            let expired: Vec<SessionId> = s
                .sessions
                .iter()
                .filter(|(_, e)| e.last_active_minute < cutoff_minute)
                .map(|(id, _)| *id)
                .collect();
            for id in &expired {
                s.sessions.remove(id);
                self.tombstones.bury(id);
            }
            s.queue.retain(|q| !expired.contains(q));
            expired
        }))
    }

    async fn dump(&self) -> String {
        self.with(|s| {
            let mut out = String::new();
            for e in s.sessions.values() {
                out.push_str(&format!(
                    "{:?} last_active={}\n",
                    e.info, e.last_active_minute
                ));
                for f in e
                    .to_coordinator
                    .frames
                    .iter()
                    .chain(e.to_visitor.frames.iter())
                {
                    out.push_str(&format!(
                        "frame {} {:?} {}\n",
                        f.seq,
                        f.kind,
                        crate::protocol::b64::encode(&f.body)
                    ));
                }
            }
            out.push_str(&self.tombstones.dump());
            out
        })
    }
}
