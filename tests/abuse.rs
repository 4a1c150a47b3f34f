//! Abuse containment. Each test attacks the relay one way and then checks two things: the
//! attack was contained (refused, capped or cut off, with memory bounded: the relay's own
//! gauges, its live registry and its store say so), and a chat that was running alongside
//! still completes both ways.
//!
//! Already covered elsewhere, and not repeated here (see docs/threat-model.md):
//! per-connection frame floods, malformed frames and a 40 KB frame (`tests/relay_limits.rs`),
//! a coordinator that never reads, a proof-of-work solution for another connection's
//! challenge, a coordinator auth frame replayed on a new connection, certificate misuse.

use crate::common;

use std::time::Duration;

use common::*;
use futures_util::future::join_all;
use lifeline::client::ClientError;
use lifeline::client::coordinator::{CoordinatorClient, CoordinatorEvent};
use lifeline::client::tipster::{Tipster, request};
use lifeline::client::visitor::VisitorClient;
use lifeline::client::wire::Wire;
use lifeline::crypto::handshake::VisitorHandshake;
use lifeline::crypto::keys::{DhSecret, OrgPublicKey};
use lifeline::crypto::proof_of_work;
use lifeline::protocol::frames::ConversationKind;
use lifeline::protocol::{Bytes, CoordinatorFrame, RelayFrame, VisitorFrame};
use lifeline::store::ChatStore;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;

const BOUND: Duration = Duration::from_secs(30);

/// A coordinator and a visitor mid-chat, set up before the attack starts.
async fn bystanders(relay: &TestRelay, serial: u64) -> (CoordinatorClient, VisitorClient) {
    let mut c = relay.on_duty(serial, "Bystander", 4).await;
    let mut v = relay.visitor().await;
    claim_and_connect(&mut c, &mut v).await;
    round_trip(&mut c, &mut v, "before the attack").await;
    (c, v)
}

/// Reads until the relay closes; returns the close code (`None`: closed without one). A
/// relay that keeps the connection open past the wire's timeout fails the test.
async fn close_code(wire: &mut Wire) -> Option<u16> {
    loop {
        match wire.recv().await {
            Ok(_) => continue,
            Err(ClientError::Timeout) => panic!("the relay did not close the connection"),
            Err(e) => return e.close_code(),
        }
    }
}

fn visitors_live(relay: &TestRelay) -> usize {
    relay.relay.live.with(|live| live.visitors.len())
}

/// Opens a visitor connection and answers its challenge with a hello whose proof-of-work
/// solves it (`honest`) or does not; returns what the relay said: the challenge's
/// difficulty and `Ok` (welcomed) or the close code.
async fn hello_attempt(
    url: String,
    org: OrgPublicKey,
    honest: bool,
) -> (u8, Result<Wire, Option<u16>>) {
    let mut wire = match Wire::connect(&url, &[]).await {
        Ok(w) => w,
        Err(ClientError::Connect(reason)) if reason.contains("503") => return (0, Err(Some(503))),
        Err(e) => panic!("{e}"),
    };
    let Ok(RelayFrame::Challenge {
        session,
        seed,
        difficulty,
    }) = wire.recv().await
    else {
        panic!("no challenge")
    };
    let (_, message1) = VisitorHandshake::start(session.0, org, DhSecret::generate());
    let pow_nonce = if honest {
        proof_of_work::solve(&seed.0, &session.0, difficulty)
    } else {
        (0u64..)
            .find(|n| !proof_of_work::verify(&seed.0, &session.0, *n, difficulty))
            .unwrap()
    };
    wire.send(VisitorFrame::Hello {
        pow_nonce,
        kind: ConversationKind::Chat,
        lang: None,
        handshake: Bytes(message1),
    })
    .await
    .unwrap();
    match wire.recv().await {
        Ok(RelayFrame::Welcome { .. }) => (difficulty, Ok(wire)),
        Ok(other) => panic!("{other:?}"),
        Err(e) => (difficulty, Err(e.close_code())),
    }
}

#[tokio::test]
async fn a_flood_of_visitor_hellos_is_capped_and_a_chat_alongside_completes() {
    let relay = TestRelay::start_with(|c| {
        c.sessions.queue_max = 12;
        c.limits.max_connections = 20;
        c.pow.visitors_per_step = 4;
    })
    .await;
    let (mut c, mut v) = bystanders(&relay, 800).await;
    let base = relay.relay.config.pow.base_difficulty;
    let org = relay.relay.keys.organisation;

    // Thirty hellos, every one with a valid proof-of-work, back to back.
    let mut welcomed = Vec::new();
    let (mut busy, mut hardest) = (0, 0);
    for _ in 0..30 {
        let (difficulty, outcome) = hello_attempt(relay.visitor_url(), org, true).await;
        hardest = hardest.max(difficulty);
        match outcome {
            Ok(wire) => welcomed.push(wire),
            Err(Some(4008)) => busy += 1,
            Err(code) => panic!("unexpected close {code:?}"),
        }
        let queued = relay.relay.store.queue().await.unwrap().len();
        assert!(queued <= 12, "the queue grew past its cap: {queued}");
    }
    assert_eq!(
        (welcomed.len(), busy),
        (12, 18),
        "the queue's room, then busy"
    );
    assert_eq!(
        metric_next_minute(&relay, "lifeline_queue_length").await,
        12
    );
    assert!(
        hardest > base,
        "proof-of-work difficulty rose with the queue ({hardest} <= {base})"
    );
    // Bare connections next: the visitor connection cap (20, one of them the bystander
    // visitor; the coordinator has a pool of its own, F-6) holds.
    eventually_metric(&relay, "lifeline_visitor_connections", 13).await;
    let mut bare = Vec::new();
    loop {
        match Wire::connect(&relay.visitor_url(), &[]).await {
            Ok(wire) => bare.push(wire),
            Err(ClientError::Connect(reason)) if reason.contains("503") => break,
            Err(e) => panic!("{e}"),
        }
        assert!(bare.len() <= 7, "more connections than the cap");
    }
    assert_eq!(bare.len(), 7, "exactly the free slots were granted");
    assert!(metric_next_minute(&relay, "lifeline_connections_refused_total").await >= 1);
    round_trip(&mut c, &mut v, "during the flood").await;

    // The flood leaves: every connection slot comes back.
    drop((welcomed, bare));
    eventually("flood connections released", BOUND, || {
        visitors_live(&relay) == 1
    })
    .await;
    eventually_metric(&relay, "lifeline_visitor_connections", 1).await;
    round_trip(&mut c, &mut v, "after the flood").await;
}

#[tokio::test]
async fn concurrent_hellos_never_overfill_the_queue() {
    let relay = TestRelay::start_with(|c| {
        c.sessions.queue_max = 12;
        c.limits.max_connections = 100;
    })
    .await;
    let org = relay.relay.keys.organisation;
    let mut held = Vec::new();
    for _ in 0..3 {
        let wave = join_all((0..10).map(|_| hello_attempt(relay.visitor_url(), org, true))).await;
        for (_, outcome) in wave {
            match outcome {
                Ok(wire) => held.push(wire),
                Err(Some(4008)) => {}
                Err(code) => panic!("unexpected close {code:?}"),
            }
        }
        let queued = relay.relay.store.queue().await.unwrap().len();
        assert!(queued <= 12, "the queue grew past its cap: {queued}");
    }
    assert_eq!(held.len(), 12);
}

/// Waits until `/metrics` shows `name` at `want`, turning the relay's minute at each look:
/// the figures about visitors are taken once a minute.
async fn eventually_metric(relay: &TestRelay, name: &str, want: u64) {
    let deadline = tokio::time::Instant::now() + BOUND;
    loop {
        let got = metric_next_minute(relay, name).await;
        if got == want {
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "{name} stayed at {got}, not {want}"
        );
        // Not too often: each look moves the clock up to a minute.
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

#[tokio::test]
async fn hellos_with_bad_proof_of_work_store_nothing() {
    let relay = TestRelay::start().await;
    let (mut c, mut v) = bystanders(&relay, 801).await;
    let closes_before = metric_next_minute(&relay, "lifeline_protocol_closes_total").await;
    let org = relay.relay.keys.organisation;
    let attempts = (0..20).map(|_| hello_attempt(relay.visitor_url(), org, false));
    let codes: Vec<Option<u16>> = join_all(attempts)
        .await
        .into_iter()
        .map(|(_, outcome)| outcome.err().flatten())
        .collect();
    assert!(codes.iter().all(|c| *c == Some(4005)), "{codes:?}");
    assert!(
        relay.relay.store.queue().await.unwrap().is_empty(),
        "a refused hello stores nothing"
    );
    assert_eq!(
        metric_next_minute(&relay, "lifeline_protocol_closes_total").await,
        closes_before + 20
    );
    eventually_metric(&relay, "lifeline_visitor_connections", 1).await;
    round_trip(&mut c, &mut v, "after the bad hellos").await;
}

/// How many of each HTTP status.
fn tally(statuses: &[u16]) -> std::collections::BTreeMap<u16, usize> {
    let mut counts = std::collections::BTreeMap::new();
    for s in statuses {
        *counts.entry(*s).or_default() += 1;
    }
    counts
}

#[tokio::test]
async fn a_flood_of_tips_fills_only_the_tip_store_and_chats_continue() {
    let relay = TestRelay::start_with(|c| c.tips.max_tips = 5).await;
    let (mut c, mut v) = bystanders(&relay, 802).await;
    let addr = relay.addr.to_string();
    let submissions = (0u8..12).map(|i| {
        let addr = addr.clone();
        async move {
            match Tipster::new(&addr).submit([i; 32], smallest_sealed()).await {
                Ok(_) => 200,
                Err(ClientError::Http { status, .. }) => status,
                Err(e) => panic!("{e}"),
            }
        }
    });
    let statuses = join_all(submissions).await;
    assert_eq!(tally(&statuses), [(200, 5), (503, 7)].into());
    assert_eq!(metric_next_minute(&relay, "lifeline_tips_stored").await, 5);
    assert_eq!(metric(&relay, "lifeline_tips_received_total").await, 5);
    assert_eq!(relay.tips_held().await, 5, "nothing past the cap is kept");
    round_trip(&mut c, &mut v, "after the tip flood").await;
}

/// Each tip changes the inbox, and each change sent every coordinator on duty the whole
/// inbox (up to `tips.max_tips` items): a flood of cheap tips cost a list per tip per
/// coordinator. Now a burst costs one list per window, and the last one has every tip.
#[tokio::test]
async fn a_flood_of_tips_sends_each_coordinator_a_list_per_window_not_one_per_tip() {
    let relay = TestRelay::start().await;
    let mut c = relay.on_duty(811, "Amara", 1).await;
    let addr = relay.addr.to_string();
    let mut solved = Vec::new();
    for _ in 0..20 {
        solved.push(solved_seed(&addr).await);
    }
    let posts = (solved.iter().zip(0u8..))
        .map(|(seed, i)| post_status(&addr, "/v1/tips", seed.body([i; 32], smallest_sealed())));
    let statuses = join_all(posts).await;
    assert_eq!(tally(&statuses), [(200, 20)].into());
    let mut lists = Vec::new();
    let until = tokio::time::Instant::now() + Duration::from_secs(2);
    while let Ok(event) = tokio::time::timeout_at(until, c.next_event()).await {
        if let CoordinatorEvent::Tips(items) = event.expect("the coordinator stays connected") {
            lists.push(items.len());
        }
    }
    assert_eq!(lists.last(), Some(&20), "{lists:?}");
    assert!(lists.len() <= 5, "a list per tip: {lists:?}");
}

#[tokio::test]
async fn one_tip_proof_of_work_replayed_concurrently_is_accepted_once() {
    let relay = TestRelay::start().await;
    let (mut c, mut v) = bystanders(&relay, 809).await;
    let addr = relay.addr.to_string();
    let solved = solved_seed(&addr).await;
    let posts =
        (0u8..8).map(|i| post_status(&addr, "/v1/tips", solved.body([i; 32], smallest_sealed())));
    let statuses = join_all(posts).await;
    assert_eq!(tally(&statuses), [(200, 1), (403, 7)].into());
    // The same solution as a follow-up is refused too: the seed is spent.
    let body = solved.body([0; 32], smallest_sealed());
    let status = post_status(&addr, "/v1/receipt/followup", body).await;
    assert_eq!(status, 403);
    assert_eq!(metric_next_minute(&relay, "lifeline_tips_stored").await, 1);
    round_trip(&mut c, &mut v, "after the replays").await;
}

/// `n` seed requests, one after the other on one kept-alive HTTP connection (as a flooder
/// would: far cheaper than a connection each); their statuses.
async fn seed_requests(addr: String, n: usize) -> Vec<u16> {
    use http_body_util::{BodyExt, Empty};
    let stream = TcpStream::connect(&addr).await.unwrap();
    let (mut sender, connection) =
        hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream))
            .await
            .unwrap();
    tokio::spawn(connection);
    let mut statuses = Vec::with_capacity(n);
    for _ in 0..n {
        sender.ready().await.unwrap();
        let request = hyper::Request::get("/v1/pow")
            .header("host", &addr)
            .body(Empty::<hyper::body::Bytes>::new())
            .unwrap();
        let response = sender.send_request(request).await.unwrap();
        statuses.push(response.status().as_u16());
        response.into_body().collect().await.unwrap();
    }
    statuses
}

/// 10,500 seed requests over 21 connections.
async fn seed_flood(relay: &TestRelay) -> Vec<u16> {
    let addr = relay.addr.to_string();
    join_all((0..21).map(|_| seed_requests(addr.clone(), 500)))
        .await
        .concat()
}

#[tokio::test]
async fn a_seed_flood_is_served_without_the_relay_remembering_anything() {
    let relay = TestRelay::start().await;
    let (mut c, mut v) = bystanders(&relay, 808).await;
    // Seeds are self-authenticating: issuing one stores nothing, so every request is served.
    let statuses = seed_flood(&relay).await;
    assert_eq!(tally(&statuses), [(200, 10_500)].into());
    round_trip(&mut c, &mut v, "after the seed flood").await;
}

#[tokio::test]
async fn a_seed_flood_does_not_lock_honest_tipsters_out() {
    let relay = TestRelay::start().await;
    let addr = relay.addr.to_string();
    seed_flood(&relay).await;
    let honest = Tipster::new(&addr).submit([1; 32], smallest_sealed()).await;
    assert!(honest.is_ok(), "an honest tipster was refused: {honest:?}");
}

#[tokio::test]
async fn frames_past_the_hard_size_limit_and_oversized_bodies_are_refused() {
    let relay = TestRelay::start().await;
    let (mut c, mut v) = bystanders(&relay, 803).await;
    // Past tungstenite's own stop (twice our 32 KiB frame limit): cut off, never buffered.
    for size in [70_000, 1_000_000] {
        let mut wire = Wire::connect(&relay.visitor_url(), &[]).await.unwrap();
        wire.recv().await.unwrap();
        let _ = wire
            .send_raw(format!(
                r#"{{"v":1,"type":"ping","x":"{}"}}"#,
                "A".repeat(size)
            ))
            .await;
        let code = close_code(&mut wire).await;
        assert!(
            code.is_none() || code == Some(4002),
            "{size} bytes: closed with {code:?}"
        );
    }
    // A coordinator is held to the same limit.
    let mut wire = Wire::connect(&relay.coordinator_url(), &[]).await.unwrap();
    wire.recv().await.unwrap();
    let _ = wire
        .send_raw(format!(
            r#"{{"v":1,"type":"ping","x":"{}"}}"#,
            "A".repeat(40_000)
        ))
        .await;
    assert_eq!(close_code(&mut wire).await, Some(4002));
    // HTTP bodies past `limits.max_body_bytes` are refused before they are parsed.
    let body = format!(r#"{{"v":1,"lookup":"{}"}}"#, "A".repeat(600_000));
    let (status, _) = request(
        &relay.addr.to_string(),
        "POST",
        "/v1/receipt",
        Some(body),
        &[],
    )
    .await
    .unwrap();
    assert_eq!(status, 413);
    eventually_metric(&relay, "lifeline_visitor_connections", 1).await;
    eventually_metric(&relay, "lifeline_coordinator_connections", 1).await;
    round_trip(&mut c, &mut v, "after the oversized frames").await;
}

/// A WebSocket opened by hand over TCP, so a test can send a frame byte by byte.
async fn raw_socket(relay: &TestRelay, path: &str) -> TcpStream {
    let mut tcp = TcpStream::connect(relay.addr).await.unwrap();
    let upgrade = format!(
        "GET {path} HTTP/1.1\r\nHost: {}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
        relay.addr
    );
    tcp.write_all(upgrade.as_bytes()).await.unwrap();
    let mut head = Vec::new();
    while !head.ends_with(b"\r\n\r\n") {
        head.push(tcp.read_u8().await.unwrap());
    }
    assert!(
        head.starts_with(b"HTTP/1.1 101"),
        "{}",
        String::from_utf8_lossy(&head)
    );
    tcp
}

/// The next frame from the relay: opcode and payload (server frames are unmasked).
async fn read_frame(r: &mut (impl AsyncReadExt + Unpin)) -> std::io::Result<(u8, Vec<u8>)> {
    let mut head = [0u8; 2];
    r.read_exact(&mut head).await?;
    let len = match head[1] & 0x7f {
        126 => r.read_u16().await? as usize,
        127 => r.read_u64().await? as usize,
        n => n as usize,
    };
    let mut payload = vec![0u8; len];
    r.read_exact(&mut payload).await?;
    Ok((head[0] & 0x0f, payload))
}

/// A client frame: FIN as given, the opcode, mask bit with a zero key (so the payload goes
/// as it is), a 16-bit length.
fn client_frame(fin: bool, opcode: u8, payload: &[u8]) -> Vec<u8> {
    let mut frame = vec![(if fin { 0x80 } else { 0 }) | opcode, 0x80 | 126];
    frame.extend_from_slice(&(payload.len() as u16).to_be_bytes());
    frame.extend_from_slice(&[0, 0, 0, 0]);
    frame.extend_from_slice(payload);
    frame
}

/// Writes `chunks` one every 100 ms while reading the relay's frames; returns the close
/// code the relay sent (`None`: the socket ended without one). Fails after [`BOUND`].
async fn drip_until_closed(
    socket: TcpStream,
    chunks: impl Iterator<Item = Vec<u8>>,
) -> Option<u16> {
    let (mut r, mut w) = socket.into_split();
    let (opcode, _challenge) = read_frame(&mut r).await.unwrap();
    assert_eq!(opcode, 1, "the challenge comes first");
    let closed = async move {
        loop {
            match read_frame(&mut r).await {
                Ok((8, p)) if p.len() >= 2 => return Some(u16::from_be_bytes([p[0], p[1]])),
                Ok((8, _)) | Err(_) => return None,
                Ok(_) => continue,
            }
        }
    };
    tokio::pin!(closed);
    let deadline = tokio::time::sleep(BOUND);
    tokio::pin!(deadline);
    let mut chunks = chunks;
    loop {
        tokio::select! {
            code = &mut closed => return code,
            _ = &mut deadline => panic!("a dripping client was still connected after {BOUND:?}"),
            _ = tokio::time::sleep(Duration::from_millis(100)) => {
                if let Some(chunk) = chunks.next() {
                    let _ = w.write_all(&chunk).await;
                }
            }
        }
    }
}

#[tokio::test]
async fn slow_drip_frames_are_cut_off_at_the_idle_timeout() {
    let relay = TestRelay::start_with(|c| c.limits.idle_timeout_s = 2).await;
    let mut c = relay.on_duty(804, "Bystander", 2).await;
    let mut v = relay.visitor().await;
    claim_and_connect(&mut c, &mut v).await;

    // One frame sent a byte every 100 ms: it would take 100 s to finish.
    let frame = client_frame(true, 1, &[b' '; 1000]);
    let drip = drip_until_closed(
        raw_socket(&relay, "/v1/visitor").await,
        frame.into_iter().map(|b| vec![b]),
    );
    // A message that never ends: a first fragment, then one-byte continuations forever.
    let fragments = drip_until_closed(
        raw_socket(&relay, "/v1/visitor").await,
        std::iter::once(client_frame(false, 1, b"{"))
            .chain(std::iter::repeat_with(|| client_frame(false, 0, b" "))),
    );
    let done = std::sync::atomic::AtomicBool::new(false);
    let attacks = async {
        let codes = tokio::join!(drip, fragments);
        // Both sockets are released, and nothing of them was queued.
        eventually_metric(&relay, "lifeline_visitor_connections", 1).await;
        done.store(true, std::sync::atomic::Ordering::Relaxed);
        codes
    };
    // Meanwhile the bystander chat carries on (inside its own idle timeout).
    let chat = async {
        let mut i = 0;
        while !done.load(std::sync::atomic::Ordering::Relaxed) {
            round_trip(&mut c, &mut v, &format!("during the drip {i}")).await;
            i += 1;
            tokio::time::sleep(Duration::from_millis(300)).await;
        }
        i
    };
    let ((drip_code, fragments_code), chats) = tokio::join!(attacks, chat);
    assert_eq!(drip_code, Some(4012), "the byte-by-byte frame");
    assert_eq!(fragments_code, Some(4012), "the endless fragmented message");
    assert!(
        chats >= 3,
        "the bystander chatted throughout ({chats} round trips)"
    );
    assert!(relay.relay.store.queue().await.unwrap().is_empty());
    round_trip(&mut c, &mut v, "after the drip").await;
}

#[tokio::test]
async fn a_request_that_never_finishes_its_headers_is_cut_off() {
    let relay = TestRelay::start_with(|c| c.limits.idle_timeout_s = 2).await;
    let mut tcp = TcpStream::connect(relay.addr).await.unwrap();
    tcp.write_all(b"GET /v1/visitor HTTP/1.1\r\nHost: x\r\n")
        .await
        .unwrap();
    // hyper's own default for a header read timeout is 30 s; allow that and a margin.
    let cut = tokio::time::timeout(Duration::from_secs(40), async {
        let mut buf = [0u8; 256];
        loop {
            match tcp.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(_) => continue,
            }
        }
    })
    .await;
    assert!(
        cut.is_ok(),
        "the half-sent request was still open after 40 s"
    );
}

/// The body's half of F-2: headers on time, then a body a byte at a time (each byte well
/// within any per-read timeout) is cut off at `limits.body_timeout_s` with `408`.
#[tokio::test]
async fn a_body_sent_a_byte_at_a_time_is_cut_off_at_its_deadline() {
    let relay = TestRelay::start_with(|c| c.limits.body_timeout_s = 2).await;
    let mut tcp = TcpStream::connect(relay.addr).await.unwrap();
    tcp.write_all(b"POST /v1/tips HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{")
        .await
        .unwrap();
    let started = tokio::time::Instant::now();
    let (mut read, mut write) = tcp.into_split();
    let drip = tokio::spawn(async move {
        for _ in 0..60 {
            tokio::time::sleep(Duration::from_millis(250)).await;
            if write.write_all(b" ").await.is_err() {
                return;
            }
        }
    });
    let mut answer = Vec::new();
    let closed = tokio::time::timeout(Duration::from_secs(10), read.read_to_end(&mut answer)).await;
    drip.abort();
    assert!(
        closed.is_ok(),
        "the dripping body was still open after 10 s"
    );
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(answer.contains("request body too slow"), "{answer}");
    assert!(
        started.elapsed() >= Duration::from_secs(2),
        "not before its deadline"
    );
    // A body sent on time is read as before.
    let (status, _) = request(
        &relay.addr.to_string(),
        "POST",
        "/v1/tips",
        Some("{}".into()),
        &[],
    )
    .await
    .unwrap();
    assert_eq!(status, 400, "malformed, but read");
}

#[tokio::test]
async fn a_visitor_that_never_reads_is_cut_off_and_its_buffer_stays_bounded() {
    let relay = TestRelay::start_with(|c| {
        c.limits.outbound_queue = 2;
        c.limits.frames_burst = 100;
    })
    .await;
    let (mut c, mut v) = bystanders(&relay, 805).await;
    // A visitor with a tiny receive window who says hello and then never reads again.
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.set_recv_buffer_size(2048).unwrap();
    let stream = socket.connect(relay.addr).await.unwrap();
    let (mut lazy, _) = tokio_tungstenite::client_async(relay.visitor_url(), stream)
        .await
        .unwrap();
    use futures_util::{SinkExt, StreamExt};
    let Some(Ok(Message::Text(challenge))) = lazy.next().await else {
        panic!("no challenge")
    };
    let RelayFrame::Challenge {
        session,
        seed,
        difficulty,
    } = lifeline::protocol::decode_relay(&challenge).unwrap()
    else {
        panic!()
    };
    let (_, message1) = VisitorHandshake::start(
        session.0,
        relay.relay.keys.organisation,
        DhSecret::generate(),
    );
    let hello = VisitorFrame::Hello {
        pow_nonce: proof_of_work::solve(&seed.0, &session.0, difficulty),
        kind: ConversationKind::Chat,
        lang: None,
        handshake: Bytes(message1),
    };
    lazy.send(Message::Text(
        lifeline::protocol::encode_frame(hello).into(),
    ))
    .await
    .unwrap();
    let lazy_session = session;
    eventually("the lazy visitor is queued", BOUND, || {
        relay
            .relay
            .live
            .with(|live| live.visitors.contains_key(&lazy_session))
    })
    .await;
    // The coordinator claims it and writes 4 KiB messages it never reads.
    c.claim(lazy_session).await.unwrap();
    c.wait_for(
        |e| matches!(e, CoordinatorEvent::Claimed { session, .. } if *session == lazy_session),
    )
    .await
    .unwrap();
    let text = "x".repeat(4000);
    let mut sent = 0;
    let deadline = tokio::time::Instant::now() + BOUND;
    while relay
        .relay
        .live
        .with(|live| live.visitors.contains_key(&lazy_session))
    {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the relay kept writing to a visitor that never reads ({sent} frames)"
        );
        c.send_text(lazy_session, &text).await.unwrap();
        sent += 1;
        // What the relay holds for it stays within the delivery buffer's bounds.
        let held = relay.relay.store.dump().await.len();
        assert!(
            held < 4 * relay.relay.config.sessions.buffer_max_bytes,
            "{held} bytes held for one session"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    eprintln!("cut off after {sent} frames");
    // The bystander, on the same coordinator connection, is unaffected.
    round_trip(&mut c, &mut v, "after the lazy visitor").await;
    eventually_metric(&relay, "lifeline_visitor_connections", 1).await;
    drop(lazy);
}

#[tokio::test]
async fn a_replayed_coordinator_auth_neither_logs_in_nor_displaces_the_real_one() {
    let relay = TestRelay::start().await;
    let keys = relay.coordinator_keys(806, "Real");
    let org = relay.relay.keys.organisation.fingerprint();
    // The genuine login, captured by a watcher of the wire.
    let mut real_wire = Wire::connect(&relay.coordinator_url(), &[]).await.unwrap();
    let RelayFrame::AuthChallenge { nonce, .. } = real_wire.recv().await.unwrap() else {
        panic!()
    };
    let captured = CoordinatorFrame::Auth {
        certificate: Bytes(keys.certificate.as_bytes().to_vec()),
        signature: Bytes(
            keys.signing
                .sign(&lifeline::crypto::coordinator_auth::auth_message(
                    &nonce.0, &org,
                ))
                .to_vec(),
        ),
    };
    real_wire.send(captured.clone()).await.unwrap();
    assert!(matches!(
        real_wire.recv().await.unwrap(),
        RelayFrame::Authed { .. }
    ));
    drop(real_wire);
    // The real coordinator logs in properly and takes a visitor.
    let mut real = relay.on_duty(806, "Real", 2).await;
    let mut v = relay.visitor().await;
    claim_and_connect(&mut real, &mut v).await;
    // The watcher replays the captured frame, several times, on fresh connections.
    for _ in 0..5 {
        let mut replay = Wire::connect(&relay.coordinator_url(), &[]).await.unwrap();
        replay.recv().await.unwrap();
        replay.send(captured.clone()).await.unwrap();
        assert_eq!(close_code(&mut replay).await, Some(4006));
    }
    assert_eq!(
        relay
            .relay
            .live
            .with(|live| live.coordinators.get(&806).map(|c| c.sessions.len())),
        Some(1),
        "the real coordinator still holds its visitor"
    );
    round_trip(&mut real, &mut v, "after the replays").await;
}

#[tokio::test]
async fn garbage_ciphertext_is_refused_by_the_coordinator_and_contained_to_its_session() {
    let relay = TestRelay::start().await;
    let mut c = relay.on_duty(807, "A", 3).await;
    let mut honest = relay.visitor().await;
    let mut rogue = relay.visitor().await;
    claim_and_connect(&mut c, &mut honest).await;
    claim_and_connect(&mut c, &mut rogue).await;
    // Bodies of every chat bucket size, and one that is no bucket at all.
    for (i, size) in [280usize, 1048, 4120, 16408, 333].into_iter().enumerate() {
        let garbage: Vec<u8> = (0..size).map(|b| (b * 31 + i) as u8).collect();
        rogue
            .wire()
            .unwrap()
            .send(VisitorFrame::Msg {
                seq: 1 + i as u64,
                body: Bytes(garbage),
            })
            .await
            .unwrap();
        let err = c
            .wait_for(|e| matches!(e, CoordinatorEvent::Text { .. }))
            .await
            .unwrap_err();
        assert!(matches!(err, ClientError::Session(_)), "{size}: {err}");
    }
    // The coordinator's client, the relay and the other conversation carry on.
    round_trip(&mut c, &mut honest, "beside the garbage").await;
    assert!(relay.has_session(&rogue.session).await);
    assert_eq!(
        relay
            .relay
            .live
            .with(|live| live.coordinators.get(&807).map(|c| c.sessions.len())),
        Some(2)
    );
}

/// §8.1: an `auth` whose signature is not 64 bytes is a malformed frame (4001), however good
/// its certificate; a 64-byte signature that does not verify is refused authentication (4006).
#[tokio::test]
async fn an_auth_with_a_signature_of_the_wrong_length_is_malformed() {
    let relay = TestRelay::start().await;
    let keys = relay.coordinator_keys(807, "Short");
    let org = relay.relay.keys.organisation.fingerprint();
    for (length, code) in [(63, 4001), (65, 4001), (0, 4001), (64, 4006)] {
        let mut wire = Wire::connect(&relay.coordinator_url(), &[]).await.unwrap();
        let RelayFrame::AuthChallenge { nonce, .. } = wire.recv().await.unwrap() else {
            panic!("an auth challenge first")
        };
        let mut signature = keys
            .signing
            .sign(&lifeline::crypto::coordinator_auth::auth_message(
                &nonce.0, &org,
            ))
            .to_vec();
        // Resized (and so, at 64, changed): never the signature of this challenge.
        signature[0] ^= 1;
        signature.resize(length, 0);
        wire.send(CoordinatorFrame::Auth {
            certificate: Bytes(keys.certificate.as_bytes().to_vec()),
            signature: Bytes(signature),
        })
        .await
        .unwrap();
        assert_eq!(close_code(&mut wire).await, Some(code), "{length} bytes");
    }
}
