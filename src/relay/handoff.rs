//! Local hand-off: a frame stored for a receiver connected to the node that stored it is
//! handed to that connection as it is, instead of the connection reading it back from the
//! store. On Redis that read was a script call per burst, the largest share of the message
//! path after the append itself (docs/benchmarks.md, issue 20).
//!
//! A handed frame is sent only when it continues exactly what the connection was last
//! sent (`seq` = last + 1, each one after it too) and no wake asked for a store read
//! meanwhile; anything else (a gap, a frame another node stored, a lost wake) falls back to
//! the store read, which stays the one source of truth: frames are handed only once the
//! store has them, so the guarantees are the store's (in order, at least once). Must never
//! hand a frame the store did not confirm, nor send one out of order.

use std::sync::Arc;

use axum::extract::ws::Utf8Bytes;

use super::connection::Outbox;
use super::delivery::{pull, send_pending};
use super::state::Relay;
use crate::protocol::frames::PayloadKind;
use crate::protocol::{self, SessionId};

/// Frames handed and not yet sent, per receiving connection and conversation. Beyond this
/// many the receiver is not keeping up: they are dropped and the store read instead.
const MOST_HANDED: usize = 32;

/// Stored frames handed to one connection for one conversation, in `seq` order.
#[derive(Default, Debug)]
pub struct Handed(Vec<(u64, Utf8Bytes)>);

/// What the frames handed so far allow after the last frame sent.
#[derive(Debug, PartialEq)]
pub enum Next {
    /// They continue it: send these, in this order.
    Frames(Vec<(u64, Utf8Bytes)>),
    /// Nothing handed beyond it.
    Nothing,
    /// A frame between is missing: read the store.
    Gap,
}

impl Handed {
    /// Keeps `text`, the `deliver` of stored frame `seq`; `false` if too many wait (all are
    /// dropped: the caller asks for a store read instead).
    pub fn hand(&mut self, seq: u64, text: Utf8Bytes) -> bool {
        if self.0.len() >= MOST_HANDED {
            self.0.clear();
            return false;
        }
        // Two connections of one sender (a resume) may hand out of order.
        if let Err(at) = self.0.binary_search_by_key(&seq, |(s, _)| *s) {
            self.0.insert(at, (seq, text));
        }
        true
    }

    /// The frames that follow `last` (the last one sent), taken if they all do.
    pub fn after(&mut self, last: u64) -> Next {
        self.sent_through(last);
        if self.0.is_empty() {
            return Next::Nothing;
        }
        let follows =
            (self.0.iter().map(|(seq, _)| *seq)).eq(last + 1..=last + self.0.len() as u64);
        if follows {
            Next::Frames(std::mem::take(&mut self.0))
        } else {
            Next::Gap
        }
    }

    /// Forgets frames up to `last`: a store read sent them.
    pub fn sent_through(&mut self, last: u64) {
        self.0.retain(|(seq, _)| *seq > last);
    }

    /// Whether nothing waits.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// Hands visitor frame `seq`, just stored, to its holder `serial` if connected here;
/// `false` if not (the caller wakes them the usual way).
pub fn to_coordinator(
    relay: &Relay,
    serial: u64,
    session: SessionId,
    seq: u64,
    body: &[u8],
) -> bool {
    let text = Utf8Bytes::from(protocol::encode_deliver(
        Some(&session),
        seq,
        PayloadKind::Data,
        body,
    ));
    relay.live.with(|live| {
        let Some(c) = live.coordinators.get_mut(&serial) else {
            return false;
        };
        if !c.handed.entry(session).or_default().hand(seq, text) {
            c.handed.remove(&session);
            c.woken.insert(session);
        }
        c.outbox.wake();
        true
    })
}

/// Hands coordinator frame `seq`, just stored, to the visitor of `session` if connected
/// here; `false` if not.
pub fn to_visitor(
    relay: &Relay,
    session: &SessionId,
    seq: u64,
    kind: PayloadKind,
    body: &[u8],
) -> bool {
    let Some(outbox) = relay.live.with(|live| live.visitors.get(session).cloned()) else {
        return false;
    };
    let text = protocol::encode_deliver(None, seq, kind, body);
    outbox.hand(seq, text.into());
    true
}

/// A visitor's connection was woken: sends what was handed to it if that alone continues
/// what it had, else reads the store. `false` once the session is gone or the connection
/// closed.
pub async fn deliver_to_visitor(relay: &Relay, session: &SessionId, outbox: &Outbox) -> bool {
    {
        let mut delivered = outbox.delivered().lock().await;
        if !outbox.take_store_wake() {
            match outbox.handed_after(*delivered) {
                Next::Frames(frames) => {
                    for (seq, text) in frames {
                        if !outbox.send_text(text) {
                            return false;
                        }
                        *delivered = seq;
                    }
                    return true;
                }
                Next::Nothing => return true,
                Next::Gap => {}
            }
        }
    }
    send_pending(relay, session, outbox).await
}

/// Coordinator `serial`'s conversation `session` was woken (`from_store`: by a wake asking
/// for a store read) or handed frames: sends those if they alone continue what the
/// connection had, else reads the store.
pub async fn deliver_to_coordinator(
    relay: &Arc<Relay>,
    serial: u64,
    outbox: &Outbox,
    session: &SessionId,
    from_store: bool,
) {
    if !from_store {
        let turn = outbox.delivered().lock().await;
        let next = relay.live.with(|live| {
            let c = live.coordinators.get_mut(&serial)?;
            if c.outbox.id != outbox.id || !c.sessions.contains(session) {
                return None;
            }
            let last = c.delivered.get(session).copied().unwrap_or(0);
            let Some(handed) = c.handed.get_mut(session) else {
                return Some(Next::Nothing);
            };
            let next = handed.after(last);
            if let Next::Frames(frames) = &next
                && let Some((seq, _)) = frames.last()
            {
                c.delivered.insert(*session, *seq);
            }
            if c.handed.get(session).is_some_and(Handed::is_empty) {
                c.handed.remove(session);
            }
            Some(next)
        });
        match next {
            Some(Next::Frames(frames)) => {
                for (_, text) in frames {
                    outbox.send_text(text);
                }
                return;
            }
            Some(Next::Nothing) => return,
            // A gap, or a conversation no longer theirs: the store read sorts it out.
            Some(Next::Gap) | None => drop(turn),
        }
    }
    pull(relay, serial, outbox, session).await;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frames(seqs: &[u64]) -> Handed {
        let mut handed = Handed::default();
        for seq in seqs {
            assert!(handed.hand(*seq, seq.to_string().into()));
        }
        handed
    }

    fn seqs(next: Next) -> Vec<u64> {
        match next {
            Next::Frames(frames) => frames.into_iter().map(|(seq, _)| seq).collect(),
            other => panic!("expected frames, got {other:?}"),
        }
    }

    #[test]
    fn frames_that_continue_the_last_sent_are_taken_in_order() {
        let mut handed = frames(&[5, 3, 4]);
        assert_eq!(seqs(handed.after(2)), vec![3, 4, 5]);
        assert_eq!(handed.after(5), Next::Nothing);
    }

    #[test]
    fn a_missing_frame_asks_for_the_store() {
        let mut handed = frames(&[4, 5]);
        assert_eq!(handed.after(2), Next::Gap, "3 was never handed");
        let mut holes = frames(&[3, 5]);
        assert_eq!(holes.after(2), Next::Gap, "4 is missing between");
        // The store read sent up to 4: 5 now follows.
        holes.sent_through(4);
        assert_eq!(seqs(holes.after(4)), vec![5]);
    }

    #[test]
    fn frames_already_sent_are_dropped_and_duplicates_kept_once() {
        let mut handed = frames(&[3, 4, 4]);
        assert_eq!(seqs(handed.after(3)), vec![4]);
        assert_eq!(handed.after(9), Next::Nothing);
    }

    #[test]
    fn a_receiver_not_keeping_up_is_read_from_the_store() {
        let mut handed = Handed::default();
        for seq in 1..=MOST_HANDED as u64 {
            assert!(handed.hand(seq, "f".into()));
        }
        assert!(!handed.hand(MOST_HANDED as u64 + 1, "f".into()));
        assert!(handed.is_empty(), "dropped, not kept half");
    }
}
