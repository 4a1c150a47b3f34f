//! Redis steps cut short: each test makes one Redis command fail on purpose (an ACL rule
//! on the test's own Redis, or a key altered with `redis-cli`) in the middle of a step the
//! relay makes in several commands (a requeue, a claim, a hello, the minute sweep), and
//! checks through the real relay that no one is left waiting for ever: the visitor put
//! back in the queue is told and answered, a claim the store made is the claimer's, a hello
//! the store failed leaves nothing queued, a failed erasure hides no other.

use crate::common;
use crate::faults;

use std::time::Duration;

use common::*;
use faults::*;
use lifeline::client::coordinator::CoordinatorEvent;
use lifeline::client::visitor::{VisitorClient, VisitorEvent};
use lifeline::crypto::keys::hex;
use lifeline::protocol::SessionId;
use lifeline::protocol::frames::PeerEvent;

/// The heartbeat mends what two in a row (5 s apart) find out of step, or releases what
/// two in a row find held by no one: within three, with a margin.
const MENDED_WITHIN: Duration = Duration::from_secs(25);
const STORE_UNAVAILABLE: u16 = 4013;

/// Grants (`+cmd`) or takes away (`-cmd`) one command from the user every client of the
/// test's Redis uses, the relay included (Lua scripts run with the caller's rights).
fn acl(redis: &RedisServer, rule: &str) {
    assert_eq!(redis.cli(&["ACL", "SETUSER", "default", rule]), "OK");
}

fn key(session: &SessionId, name: &str) -> String {
    format!("ll:{{{}}}:{name}", hex(&session.0))
}

async fn told_left(v: &mut VisitorClient) {
    // Two heartbeats may pass in silence: longer than a receive waits by default.
    v.wire().expect("connected").set_timeout(MENDED_WITHIN);
    tokio::time::timeout(
        MENDED_WITHIN,
        v.wait_for(|e| matches!(e, VisitorEvent::Peer(PeerEvent::Left))),
    )
    .await
    .expect("the visitor is told `left` within seconds")
    .expect("left");
}

async fn until(what: &str, mut done: impl AsyncFnMut() -> bool) {
    let deadline = tokio::time::Instant::now() + MENDED_WITHIN;
    while !done().await {
        assert!(tokio::time::Instant::now() < deadline, "never: {what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// A coordinator signs out while Redis refuses the queue entry of the requeue: the
/// visitor must still be put back in the queue, told `left`, and answered by the next
/// coordinator (before: the owner read `q` with no queue entry, claimable by no one).
#[tokio::test]
async fn a_requeue_whose_queue_entry_fails_still_reaches_the_queue() {
    let redis = RedisServer::start();
    let relay = relay_on(&redis).await;
    let mut a = relay.on_duty(901, "A", 1).await;
    let mut v = relay.visitor().await;
    claim_and_connect(&mut a, &mut v).await;
    acl(&redis, "-zadd");
    a.sign_out().await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    // The queue entry comes first: refused, the owner was not flipped to the queue either
    // (the order, not only the heartbeat's mend, keeps a session claimable).
    let owner = redis.cli(&["GET", &key(&v.session, "owner")]);
    assert_ne!(owner, "q", "owned by the queue with no entry");
    acl(&redis, "+zadd");
    told_left(&mut v).await;
    until("queued again", async || is_queued(&relay, &v.session).await).await;
    let mut b = relay.on_duty(902, "B", 1).await;
    assert_eq!(claim_requeued(&mut b, &mut v).await, "B");
    round_trip(&mut b, &mut v, "answered after all").await;
}

/// A session owned by the queue with no queue entry (a requeue cut short between its two
/// slots by a node's death) is found by the heartbeat, put back at the front, its visitor
/// told `left` and its stale coordinator `released`; the next coordinator answers it.
#[tokio::test]
async fn a_session_owned_by_the_queue_in_no_entry_is_put_back() {
    let redis = RedisServer::start();
    let relay = relay_on(&redis).await;
    let mut a = relay.on_duty(903, "A", 1).await;
    let mut v = relay.visitor().await;
    claim_and_connect(&mut a, &mut v).await;
    let session = v.session;
    redis.cli(&["SET", &key(&session, "owner"), "q", "KEEPTTL"]);
    assert!(!is_queued(&relay, &session).await);
    told_left(&mut v).await;
    a.wire().set_timeout(MENDED_WITHIN);
    tokio::time::timeout(
        MENDED_WITHIN,
        a.wait_for(|e| matches!(e, CoordinatorEvent::Released(s) if *s == session)),
    )
    .await
    .expect("the stale holder is told within seconds")
    .expect("released");
    assert!(is_queued(&relay, &session).await);
    let mut b = relay.on_duty(904, "B", 1).await;
    assert_eq!(claim_requeued(&mut b, &mut v).await, "B");
    round_trip(&mut b, &mut v, "answered after all").await;
}

/// F-11: a coordinator whose node still lists a session the store now gives to someone else
/// (another node requeued it during a partition, and a colleague claimed it) can neither end
/// that conversation nor write to its visitor: the bare `end` frame (no authenticated close
/// first, which the store's own check would refuse) is answered `released` at once, not
/// after the heartbeat's two readings, and the session, its visitor and its new owner are
/// untouched.
#[tokio::test]
async fn a_coordinator_the_store_no_longer_names_cannot_end_the_conversation() {
    use lifeline::protocol::frames::CoordinatorFrame;
    let redis = RedisServer::start();
    let relay = relay_on(&redis).await;
    let mut a = relay.on_duty(905, "A", 1).await;
    let mut v = relay.visitor().await;
    claim_and_connect(&mut a, &mut v).await;
    let session = v.session;
    redis.cli(&["SET", &key(&session, "owner"), "906", "KEEPTTL"]);

    a.wire()
        .send(CoordinatorFrame::End { session })
        .await
        .expect("sent");
    tokio::time::timeout(
        Duration::from_secs(3),
        a.wait_for(|e| matches!(e, CoordinatorEvent::Released(s) if *s == session)),
    )
    .await
    .expect("told at once, not by the heartbeat")
    .expect("released");
    let heard = tokio::time::timeout(Duration::from_secs(2), v.wait_for(|_| false)).await;
    assert!(heard.is_err(), "the visitor heard of it: {heard:?}");
    assert!(relay.has_session(&session).await, "not ended by A");
    assert_eq!(redis.cli(&["GET", &key(&session, "owner")]), "906");
}

/// The claim script made the coordinator the owner, then Redis refused to take the queue
/// entry out: the claim is theirs (before: `claim_lost` for a session the store gave
/// them), and the entry left behind is mended away by the heartbeat.
#[tokio::test]
async fn a_claim_whose_queue_entry_stays_is_won_and_the_entry_mended() {
    let redis = RedisServer::start();
    let relay = relay_on(&redis).await;
    let mut c = relay.on_duty(905, "C", 1).await;
    let mut v = relay.visitor().await;
    acl(&redis, "-zrem");
    c.claim(v.session).await.expect("claim");
    let answer = c
        .wait_for(|e| {
            matches!(
                e,
                CoordinatorEvent::Claimed { .. } | CoordinatorEvent::ClaimLost(_)
            )
        })
        .await
        .expect("claim answered");
    assert!(
        matches!(answer, CoordinatorEvent::Claimed { .. }),
        "the store gave it: {answer:?}"
    );
    connected_to(&mut v).await;
    acl(&redis, "+zrem");
    round_trip(&mut c, &mut v, "claimed after all").await;
    let session = v.session;
    until("the stale queue entry mended away", async || {
        !is_queued(&relay, &session).await
    })
    .await;
    round_trip(&mut c, &mut v, "still theirs").await;
}

/// A hello the store fails part-way (its sweep index refused, then its queue entry
/// refused) is closed 4013 and leaves nothing: no queue entry waiting for ever, no key.
#[tokio::test]
async fn a_hello_the_store_fails_leaves_nothing_behind() {
    let redis = RedisServer::start();
    let relay = relay_on(&redis).await;
    for command in ["sadd", "zadd"] {
        let (mut wire, session, seed, difficulty) = challenged(&relay).await;
        acl(&redis, &format!("-{command}"));
        wire.send(hello(&session, &seed, difficulty))
            .await
            .expect("hello");
        let closed = close_code(&mut wire).await;
        acl(&redis, &format!("+{command}"));
        assert_eq!(closed, Some(STORE_UNAVAILABLE), "{command} refused");
        assert!(!is_queued(&relay, &session).await, "{command}: queued");
        let pattern = format!("ll:{{{}}}:*", hex(&session.0));
        assert_eq!(redis.cli(&["KEYS", &pattern]), "", "{command}: keys left");
    }
    // The store is whole again: the next hello is answered.
    let mut c = relay.on_duty(906, "C", 1).await;
    let mut v = relay.visitor().await;
    claim_and_connect(&mut c, &mut v).await;
}

/// One idle session the sweep cannot erase (its activity key unreadable) must not hide
/// the others it did erase: their visitors are closed (4007) as expired.
#[tokio::test]
async fn a_sweep_that_fails_on_one_session_still_tells_the_others() {
    use lifeline::store::ChatStore;
    let redis = RedisServer::start();
    let relay = relay_on(&redis).await;
    let broken = relay.visitor().await;
    let mut idle = Vec::new();
    for _ in 0..3 {
        idle.push(relay.visitor().await);
    }
    let active = key(&broken.session, "active");
    redis.cli(&["DEL", &active]);
    redis.cli(&["HSET", &active, "minute", "0"]);
    for v in &idle {
        relay.relay.store.touch(&v.session, 0).await.expect("touch");
    }
    relay.relay.sweep().await;
    for v in &mut idle {
        assert_eq!(visitor_closed_with(v).await, Some(UNKNOWN_SESSION));
    }
}

/// A visitor's node written after their session was erased (a resume racing an end) must
/// not bring back a key of it: only the TTL would ever erase it.
#[tokio::test]
async fn a_visitor_node_is_not_written_for_an_erased_session() {
    use lifeline::store::ChatStore;
    let redis = RedisServer::start();
    let relay = relay_on(&redis).await;
    let v = relay.visitor().await;
    let session = v.session;
    drop(v);
    relay.relay.store.remove(&session).await.expect("erased");
    let link = relay
        .relay
        .store
        .node_link()
        .expect("a Redis store links nodes");
    assert_eq!(link.set_visitor_node(&session, "elsewhere").await, Ok(None));
    assert_eq!(redis.cli(&["EXISTS", &key(&session, "node")]), "0");
}

/// F-10: a transfer's `assign` and a rekey's `discard_pending` that come after the session
/// was erased (racing its end) write nothing: with `KEEPTTL` on a key that no longer exists
/// they once made keys with no expiry at all, which nothing would ever erase. (Each is one
/// script; taking its liveness check out makes this fail. `set_handshake` reads the record
/// first, then writes through the same check.)
#[tokio::test]
async fn writes_that_race_an_erasure_bring_back_no_key() {
    use lifeline::store::ChatStore;
    use lifeline::store::chat::Way;
    let redis = RedisServer::start();
    let relay = relay_on(&redis).await;
    let v = relay.visitor().await;
    let session = v.session;
    drop(v);
    let store = &relay.relay.store;
    store.remove(&session).await.expect("erased");
    let _ = store.assign(&session, 7, "elsewhere").await;
    let _ = store.set_handshake(&session, vec![1; 32]).await;
    let _ = store.discard_pending(&session, Way::ToVisitor).await;
    let _ = store.discard_pending(&session, Way::ToCoordinator).await;
    let id = hex(&session.0);
    let left: Vec<String> = redis
        .cli(&["KEYS", "*"])
        .lines()
        .filter(|k| k.contains(&id))
        .map(str::to_owned)
        .collect();
    assert!(
        left.is_empty(),
        "keys of an erased session came back: {left:?}"
    );
}

/// A claim of a fresh visitor's session made while every write (the claim script among
/// them) is held up for a while, longer than the relay waits for an answer.
struct HeldUp {
    c: lifeline::client::coordinator::CoordinatorClient,
    v: VisitorClient,
    /// The claim's answer, and how long it took.
    answer: CoordinatorEvent,
    took: Duration,
    /// The session's owner key after the answer.
    owner: String,
    /// Dropped in this order, as the other tests' locals are: clients, relay, Redis.
    relay: TestRelay,
    _redis: RedisServer,
}

/// Claims as coordinator `serial` with every write held up for `pause`, longer than the relay
/// waits for an answer (500 ms, the Redis client's default): reads go on, so the claim's
/// first read passes and its script waits. Tried again if a write of the relay's own (the
/// generation check's, every 0.5 s) was held up first: the claim's first read then waited
/// behind it on the relay's one connection, and the claim was refused unsent.
async fn claim_held_up(serial: u64, pause: Duration) -> HeldUp {
    let redis = RedisServer::start();
    let relay = relay_on(&redis).await;
    let mut c = relay.on_duty(serial, "C", 1).await;
    let v = relay.visitor().await;
    // Another claim first, so the claim script is in Redis's cache, as on any line that has
    // had one: else the held-up EVALSHA is answered NOSCRIPT once the relay stopped waiting
    // (too late to send the script itself), and nothing is claimed.
    let mut warm = relay.on_duty(serial + 100, "W", 1).await;
    let mut other = relay.visitor().await;
    claim_and_connect(&mut warm, &mut other).await;
    // Its last writes (acknowledgements) done: held up, the claim's first read would wait.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let pause_ms = pause.as_millis().to_string();
    for _ in 0..5 {
        assert_eq!(redis.cli(&["CLIENT", "PAUSE", &pause_ms, "WRITE"]), "OK");
        let sent = tokio::time::Instant::now();
        let answer = claim_answer(&mut c, v.session).await;
        let took = sent.elapsed();
        redis.cli(&["CLIENT", "UNPAUSE"]);
        // The claim script counts claims: a count means it ran, held up or not.
        let claims = redis.cli(&["HGET", &key(&v.session, "way:v"), "claims"]);
        if !claims.is_empty() {
            let owner = redis.cli(&["GET", &key(&v.session, "owner")]);
            return HeldUp {
                c,
                v,
                answer,
                took,
                owner,
                relay,
                _redis: redis,
            };
        }
    }
    panic!("the claim script was never sent in five tries");
}

/// The claim script is made, but answered after the relay stopped waiting, and the reads
/// right after it wait behind it too: the claim errs, is read again (F-34) and is the
/// claimer's (before the re-read: `claim_lost` for a session the store gave them, which
/// no one would ever answer). The queue entry the claim left is mended away.
#[tokio::test]
async fn a_claim_answered_too_late_is_read_again_and_won() {
    // 1.5 s: the claim times out (0.5 s), the first read after it too (it waits behind the
    // claim until 1.5 s), a later read finds the claim.
    let mut held = claim_held_up(907, Duration::from_millis(1500)).await;
    assert!(
        held.took >= Duration::from_millis(500),
        "the claim's own answer came in time ({:?}): no re-read was needed",
        held.took
    );
    assert_eq!(held.owner, "907", "the store made the claim");
    assert!(
        matches!(held.answer, CoordinatorEvent::Claimed { .. }),
        "the store gave it: {:?}",
        held.answer
    );
    connected_to(&mut held.v).await;
    round_trip(&mut held.c, &mut held.v, "claimed after all").await;
    let session = held.v.session;
    until("the stale queue entry mended away", async || {
        !is_queued(&held.relay, &session).await
    })
    .await;
}

/// The claim script is made, but neither its answer nor any read after it comes while the
/// relay waits: the claim is handed back to the queue and its coordinator told
/// `claim_lost`, so the store and the coordinator agree; the next claim answers the visitor.
#[tokio::test]
async fn a_claim_never_read_back_is_handed_back_to_the_queue() {
    // 2.8 s: the claim and its three reads (the last sent at 1.7 s, waiting 0.5 s) time
    // out; the hand-back's first read is answered when the writes go on.
    let mut held = claim_held_up(908, Duration::from_millis(2800)).await;
    assert!(
        matches!(held.answer, CoordinatorEvent::ClaimLost(_)),
        "never read back: {:?}",
        held.answer
    );
    assert_eq!(held.owner, "q", "told lost, and the store agrees");
    assert!(is_queued(&held.relay, &held.v.session).await);
    let mut b = held.relay.on_duty(909, "B", 1).await;
    assert_eq!(claim_and_connect(&mut b, &mut held.v).await, "B");
    round_trip(&mut b, &mut held.v, "answered by the next").await;
}
