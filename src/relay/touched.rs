//! When a coordinator's connection last marked each of its conversations active: a message
//! keeps its session alive, but writing that on every message would cost the store a
//! script touching every key of the session per frame; once per touch interval is enough
//! (the visitor's connection does the same).
//!
//! Holds session ids and instants of this connection only; must never outlive it.

use std::collections::HashMap;

use tokio::time::Instant;

use super::state::Relay;
use crate::protocol::SessionId;

/// More conversations than one coordinator holds at once: beyond it the map starts afresh
/// (a conversation then gets one touch more than it needed).
const MOST_REMEMBERED: usize = 256;

/// The last touch of each conversation, for one coordinator connection.
#[derive(Default)]
pub struct Touched(HashMap<SessionId, Instant>);

impl Touched {
    /// Whether `session` is due a touch now; if so, it counts as touched.
    pub fn due(&mut self, relay: &Relay, session: SessionId) -> bool {
        let now = Instant::now();
        if self
            .0
            .get(&session)
            .is_some_and(|at| now.duration_since(*at) < relay.touch_interval())
        {
            return false;
        }
        if self.0.len() >= MOST_REMEMBERED {
            self.0.clear();
        }
        self.0.insert(session, now);
        true
    }
}
