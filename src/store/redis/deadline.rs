//! When each Redis key ends: an absolute deadline on a whole minute of Redis's own clock.
//!
//! Redis keeps a relative TTL as the absolute millisecond it runs out: its append-only file
//! records `PEXPIREAT`, its snapshot and `PEXPIRETIME` the same. So `EXPIRE tip 30 days` at
//! 14:39:55.775 keeps 14:39:55.775 for thirty days, and joined with a provider's flow logs
//! that millisecond picks out the one connection that filed the tip. Every key the store
//! writes is therefore given its end with `EXPIREAT` or `SET … EXAT`, on the first whole
//! minute at or after its TTL: Redis then holds nothing finer than the minute the relay's
//! own records say (docs/threat-model.md).
//!
//! The deadline is reckoned on Redis's clock, not the relay's: tests move the relay's clock
//! a month ahead (or stand it still), and Redis may run on another host; a deadline in
//! Redis's past would delete the key at once. Redis's `TIME` is read once and carried
//! forward on the monotonic clock (a real one: this measures Redis's time, which no test
//! moves), and read again every few minutes.
//!
//! Must never give a key an end finer than a minute, nor sooner than its TTL. Only timers
//! keep a short relative TTL, their end being their function, and name no visitor or tip:
//! the nodes' liveness keys (`node_link`: a dead node leaves the roster within seconds), a
//! hold's grace key (`grace`) and the rewrite lock (`rewrite`).

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::connection::{RedisConnection, unavailable};
use crate::store::chat::StoreError;

/// How long Redis's time, once read, is carried forward before it is read again.
const READ_AGAIN: Duration = Duration::from_secs(300);

/// Redis's clock as last read, shared by every part of the store on one connection.
#[derive(Clone, Default)]
pub struct Deadlines {
    read: Arc<Mutex<Option<(Instant, u64)>>>,
}

impl Deadlines {
    /// The Unix second, a whole minute, at which a key written now with a TTL of `ttl_s`
    /// seconds ends.
    pub async fn after(&self, con: &mut RedisConnection, ttl_s: u64) -> Result<u64, StoreError> {
        self.after_on(con, ttl_s, 60).await
    }

    /// The same on a whole `step_s` (an hour, for a key that promises no finer time).
    pub async fn after_on(
        &self,
        con: &mut RedisConnection,
        ttl_s: u64,
        step_s: u64,
    ) -> Result<u64, StoreError> {
        let end = self.redis_now(con).await?.saturating_add(ttl_s);
        Ok(end.div_ceil(step_s) * step_s)
    }

    /// At start: reads Redis's clock and checks that the relay's user may set deadlines, so
    /// a Redis user from an older kit (no `TIME`, no `EXPIREAT`) fails there, with the
    /// remedy, rather than at the first visitor.
    pub async fn open(con: &mut RedisConnection) -> Result<Self, StoreError> {
        let deadlines = Self::default();
        let probe = async {
            let now = deadlines.read_raw(con).await?;
            // A key that never exists: the answer is 0 and nothing is written, but the
            // user's right to the command is checked all the same.
            redis::cmd("EXPIREAT")
                .arg("ll:deadline:probe")
                .arg(on_minute(now + 60))
                .query_async::<i64>(con)
                .await?;
            // The message path's script copies a session's end with it.
            redis::cmd("EXPIRETIME")
                .arg("ll:deadline:probe")
                .query_async::<i64>(con)
                .await
        };
        match probe.await {
            Ok(_) => Ok(deadlines),
            Err(e) if e.code() == Some("NOPERM") => Err(StoreError::Unavailable(
                "the relay's Redis user may not run TIME, EXPIREAT or EXPIRETIME: add \
                 `+time +expireat +expiretime` to its ACL line (docs/deploy.md, \"Upgrading\")"
                    .into(),
            )),
            Err(e) if e.to_string().contains("unknown command") => Err(StoreError::Unavailable(
                "this Redis has no EXPIRETIME: Lifeline needs Redis 7.0 or newer".into(),
            )),
            Err(e) => Err(unavailable(e)),
        }
    }

    async fn read(&self, con: &mut RedisConnection) -> Result<u64, StoreError> {
        self.read_raw(con).await.map_err(unavailable)
    }

    async fn read_raw(&self, con: &mut RedisConnection) -> redis::RedisResult<u64> {
        let (unix_s, _micros): (u64, u64) = redis::cmd("TIME").query_async(con).await?;
        *self.read.lock().unwrap_or_else(|p| p.into_inner()) = Some((Instant::now(), unix_s));
        Ok(unix_s)
    }

    async fn redis_now(&self, con: &mut RedisConnection) -> Result<u64, StoreError> {
        let carried = *self.read.lock().unwrap_or_else(|p| p.into_inner());
        match carried {
            Some((at, unix_s)) if at.elapsed() < READ_AGAIN => {
                // Rounded up: never a deadline sooner than the TTL asked.
                Ok(unix_s + at.elapsed().as_secs() + 1)
            }
            _ => self.read(con).await,
        }
    }
}

/// Puts on the next whole minute the end of each of KEYS that has one finer: keys an older
/// relay wrote with a relative TTL (kits before 2026-12-02). Keys of one slot per call. How
/// many it moved.
const ALIGN: &str = r#"
local moved = 0
for _, key in ipairs(KEYS) do
  local ends = redis.call('EXPIRETIME', key)
  if ends > 0 and ends % 60 ~= 0 then
    redis.call('EXPIREAT', key, math.ceil(ends / 60) * 60)
    moved = moved + 1
  end
end
return moved
"#;

/// Gives `keys` (all in one slot) ends on whole minutes, where an older relay left them
/// finer; how many it moved. Ends already on a minute, and keys without one, are untouched.
pub async fn align(con: &mut RedisConnection, keys: &[&str]) -> Result<usize, StoreError> {
    let script = redis::Script::new(ALIGN);
    let mut call = script.prepare_invoke();
    for key in keys {
        call.key(*key);
    }
    call.invoke_async(con).await.map_err(unavailable)
}

/// The first whole minute at or after `unix_s`.
fn on_minute(unix_s: u64) -> u64 {
    unix_s.div_ceil(60) * 60
}

#[cfg(test)]
mod tests {
    use super::on_minute;

    #[test]
    fn a_deadline_is_the_first_whole_minute_at_or_after_the_time() {
        assert_eq!(on_minute(1_800_000_000), 1_800_000_000);
        assert_eq!(on_minute(1_800_000_001), 1_800_000_060);
        assert_eq!(on_minute(1_800_000_059), 1_800_000_060);
        assert_eq!(on_minute(0), 0);
    }
}
