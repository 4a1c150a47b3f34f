//! The no-script path's hourly budget, shared by every node through Redis: one counter per
//! clock hour, so the budget is the deployment's, not each node's.
//!
//! Must never hold anything but a count per hour: no client, no tip, no time finer than the
//! hour.

use redis::AsyncCommands;

use super::connection::RedisConnection;
use super::deadline::Deadlines;

/// A counter lives a little past its hour, then Redis forgets it: it ends on a whole hour
/// of Redis's clock, so its end says no more than its name does.
const COUNTER_TTL_S: u64 = 2 * 3600;

fn counter(hour: u64) -> String {
    format!("ll:noscript:budget:{hour}")
}

/// The shared counters.
pub struct SharedBudget {
    con: RedisConnection,
    deadlines: Deadlines,
}

impl SharedBudget {
    pub(crate) fn new(con: RedisConnection, deadlines: Deadlines) -> Self {
        Self { con, deadlines }
    }

    /// Takes one request from `hour`; `false` past `limit`, `None` when Redis cannot say
    /// (refused too: the path never runs unbounded on doubt, but the page says why).
    pub async fn take(&self, hour: u64, limit: u32) -> Option<bool> {
        // One transaction: a connection cut between INCR and EXPIRE would leave a counter
        // that never expires.
        let mut con = self.con.clone();
        let end = self
            .deadlines
            .after_on(&mut con, COUNTER_TTL_S, 3600)
            .await
            .ok()?;
        let taken: Result<(u64,), _> = redis::pipe()
            .atomic()
            .incr(counter(hour), 1)
            .expire_at(counter(hour), end as i64)
            .ignore()
            .query_async(&mut con)
            .await;
        taken.ok().map(|(n,)| n <= u64::from(limit))
    }

    /// Requests taken in `hour` so far (`None` if Redis cannot say).
    pub async fn used(&self, hour: u64) -> Option<u64> {
        let used: Option<u64> = self.con.clone().get(counter(hour)).await.ok()?;
        Some(used.unwrap_or(0))
    }
}
