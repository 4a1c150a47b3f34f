//! A relay on a Redis the test started itself, for the suites that break that Redis on
//! purpose (an ACL rule, a key altered with `redis-cli`) mid-test.
//!
//! It must never point a relay at a Redis the test did not start.

use lifeline::config::StoreKind;

use super::{RedisServer, TestRelay};

/// A relay on `redis` (the test's own), whichever store the run tests otherwise.
pub async fn relay_on(redis: &RedisServer) -> TestRelay {
    let url = redis.url.clone();
    TestRelay::start_with(|c| {
        c.store.kind = StoreKind::Redis;
        c.store.redis_url = url;
    })
    .await
}
