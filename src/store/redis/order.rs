//! The queue's arrival counter, `ll:queue:order`: it orders waiting visitors, and must not
//! become a count of every visitor there ever was. So it lives as long as a session does
//! after the last arrival (a generation), and a new generation starts above whoever still
//! waits, so no newcomer jumps ahead of them.
//!
//! Must never be read as a number of visitors, and never outlive the sessions it ordered
//! by more than one session lifetime.

use redis::AsyncCommands;

use super::connection::{RedisConnection, unavailable};
use crate::store::chat::StoreError;

pub(super) const QUEUE_ORDER: &str = "ll:queue:order";

/// The next arrival number, for a queue kept in `queue`, the counter living until `end`
/// (Unix seconds, a session lifetime after its last use, on a whole minute: `deadline`).
pub(super) async fn next_order(
    con: &mut RedisConnection,
    queue: &str,
    end: u64,
) -> Result<i64, StoreError> {
    let (order,): (i64,) = redis::pipe()
        .atomic()
        .incr(QUEUE_ORDER, 1)
        .expire_at(QUEUE_ORDER, end as i64)
        .ignore()
        .query_async(con)
        .await
        .map_err(unavailable)?;
    if order != 1 {
        return Ok(order);
    }
    // A new generation: start after the last visitor still waiting from the old one (rare:
    // someone waited a whole session lifetime with no one arriving after them).
    let last: Vec<(String, f64)> = con
        .zrange_withscores(queue, -1, -1)
        .await
        .map_err(unavailable)?;
    match last.first() {
        Some((_, score)) if *score >= 1.0 => con
            .incr(QUEUE_ORDER, *score as i64)
            .await
            .map_err(unavailable),
        _ => Ok(order),
    }
}

/// Puts `member` at the front of `queue` (negative scores sort before every new arrival),
/// unless it is there already: `NX`, so a waiting visitor is never moved ahead of others by
/// a step that then turns out not to be its to take. Whether this call added it (then it is
/// the caller's to take out again, should its next step fail).
pub(super) async fn add_at_front(
    con: &mut RedisConnection,
    queue: &str,
    member: &str,
    end: u64,
) -> Result<bool, StoreError> {
    let order = next_order(con, queue, end).await?;
    let added: i32 = redis::cmd("ZADD")
        .arg(queue)
        .arg("NX")
        .arg(-order)
        .arg(member)
        .query_async(con)
        .await
        .map_err(unavailable)?;
    Ok(added == 1)
}
