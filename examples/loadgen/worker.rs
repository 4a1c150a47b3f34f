//! A client worker process (`loadgen --worker <job>`): sets up its share of the load, says
//! `Ready` on stdout, waits for `go` on stdin, measures, says `Done` with its figures.
//!
//! Every sender schedules its messages by absolute deadlines (open loop) or keeps a fixed
//! window in flight (saturation). Each message carries the time it was due and a counter,
//! so the receiver measures latency and checks that each stream arrives once and in order.

use std::collections::HashMap;
use std::io::BufRead;
use std::sync::Arc;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use base64::Engine;
use futures_util::{SinkExt, StreamExt};
use hdrhistogram::Histogram;
use hdrhistogram::serialization::{Serializer, V2Serializer};
use lifeline::client::ClientError;
use lifeline::client::coordinator::{CoordinatorClient, CoordinatorEvent};
use lifeline::client::reach::Reach;
use lifeline::client::visitor::{Sent, VisitorClient, VisitorEvent};
use lifeline::crypto::keys::{OrgPublicKey, SigningKey};
use lifeline::keyfile::{self, CoordinatorFiles, KeyPaths};
use lifeline::protocol::frames::{ConversationKind, PayloadKind};
use lifeline::protocol::{self, Bytes, RelayFrame, VisitorFrame};
use tokio::net::TcpStream;
use tokio::sync::{Semaphore, watch};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

use crate::job::{Job, Kind, Outcome, Report, Target};

/// Padded into the 1 KiB bucket: 5 bytes of padding header + 1019 of text = 1024.
pub const TEXT_LEN: usize = 1019;
/// The same message as a session-cipher envelope: 1024 padded + 8 sequence + 16 tag.
pub const BODY_LEN: usize = 1024 + 24;
/// A coordinator holds at most this many conversations.
const PER_COORDINATOR: usize = 16;
/// Longest the measurement may run past its window while the last messages drain: the
/// window's length, within these bounds.
const DRAIN: (Duration, Duration) = (Duration::from_secs(1), Duration::from_secs(5));

type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

static BASE: OnceLock<Instant> = OnceLock::new();

fn base() -> Instant {
    *BASE.get_or_init(Instant::now)
}

fn ns_since_base(at: Instant) -> u64 {
    at.saturating_duration_since(base()).as_nanos() as u64
}

fn report(report: &Report) {
    println!(
        "{}",
        serde_json::to_string(report).expect("report serialises")
    );
}

fn new_histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(1, 60_000_000, 3).expect("histogram bounds")
}

pub fn run(job: &str) -> std::process::ExitCode {
    let job: Job = serde_json::from_str(job).expect("job is valid JSON");
    base();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    // Whatever happens, a worker never outlives its phase by much.
    let limit = Duration::from_millis(job.duration_ms) + Duration::from_secs(300);
    match runtime.block_on(async { tokio::time::timeout(limit, work(job)).await }) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(_) => {
            eprintln!("worker: hard time limit reached");
            std::process::ExitCode::from(3)
        }
    }
}

/// Waits for the parent's `go` line; EOF (the parent died) ends the worker.
async fn wait_for_go() {
    let line = tokio::task::spawn_blocking(|| {
        let mut line = String::new();
        std::io::stdin().lock().read_line(&mut line).map(|n| n > 0)
    })
    .await;
    if !matches!(line, Ok(Ok(true))) {
        std::process::exit(4);
    }
}

/// What one worker knows of the relay: its address and organisation key.
struct Ctx {
    job: Job,
    org_key: Option<SigningKey>,
}

impl Ctx {
    fn url(&self, path: &str) -> String {
        format!("ws://{}{path}", self.job.addr)
    }

    fn org_public(&self) -> OrgPublicKey {
        self.org_key.as_ref().expect("lifeline job").public()
    }

    async fn visitor(&self) -> Result<VisitorClient, ClientError> {
        VisitorClient::connect(
            &self.url("/v1/visitor"),
            self.org_public(),
            ConversationKind::Chat,
            Some("en"),
            Reach::default(),
        )
        .await
    }

    /// A coordinator certified by the relay's (development) organisation key, on duty.
    async fn coordinator(
        &self,
        index: u64,
        capacity: u8,
    ) -> Result<CoordinatorClient, ClientError> {
        let org = self.org_key.as_ref().expect("lifeline job");
        // Unique per worker process: a serial signing in again replaces the earlier
        // connection, and a previous phase's coordinators may not be gone yet.
        let serial = u64::from(std::process::id()) * 1_000 + index;
        let keys = CoordinatorFiles::issue(
            org,
            serial,
            &format!("load-{serial}"),
            1,
            &lifeline::clock::Clock::system(),
        )
        .map_err(|e| ClientError::Protocol(e.to_string()))?;
        let node = self
            .job
            .coordinator_addr
            .as_deref()
            .unwrap_or(&self.job.addr);
        let mut c = CoordinatorClient::connect(
            &format!("ws://{node}/v1/coordinator"),
            org.public().fingerprint(),
            keys,
        )
        .await?;
        // Its receivers read without pause until the phase ends.
        c.batch_acks(true);
        c.duty(true, capacity, &["en"]).await?;
        c.wait_for(|e| matches!(e, CoordinatorEvent::Queue(_)))
            .await?;
        Ok(c)
    }

    /// A coordinator and a visitor it claimed, handshake done.
    async fn claim(
        &self,
        c: &mut CoordinatorClient,
        v: &mut VisitorClient,
    ) -> Result<(), ClientError> {
        let session = v.session;
        c.claim(session).await?;
        c.wait_for(|e| matches!(e, CoordinatorEvent::Claimed { session: s, .. } if *s == session))
            .await?;
        v.wait_for(|e| matches!(e, VisitorEvent::Connected(_)))
            .await?;
        Ok(())
    }
}

async fn echo_connect(url: &str) -> Result<Ws, ClientError> {
    let config = WebSocketConfig::default()
        .read_buffer_size(8192)
        .write_buffer_size(0);
    let (ws, _) = tokio_tungstenite::connect_async_with_config(url, Some(config), true)
        .await
        .map_err(|e| ClientError::Connect(e.to_string()))?;
    Ok(ws)
}

async fn work(job: Job) {
    let org_key = match job.target {
        Target::Lifeline => Some(
            keyfile::read_signing_key(&KeyPaths::new(job.data_dir.as_ref()).organisation_key())
                .expect("the relay's development organisation key"),
        ),
        Target::Echo => None,
    };
    let ctx = Arc::new(Ctx { job, org_key });
    let outcome = match ctx.job.kind {
        Kind::Idle => idle(ctx).await,
        Kind::Setup | Kind::Arrival => setup(ctx).await,
        Kind::Messages => messages(ctx).await,
    };
    report(&Report::Done(outcome));
}

fn histogram_text(h: &Histogram<u64>) -> String {
    let mut bytes = Vec::new();
    V2Serializer::new()
        .serialize(h, &mut bytes)
        .expect("histogram serialises");
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

#[derive(Default)]
struct Tally {
    ok: AtomicU64,
    failures: AtomicU64,
    first_error: std::sync::Mutex<Option<String>>,
}

impl Tally {
    fn fail(&self, e: impl std::fmt::Display) {
        self.failures.fetch_add(1, Ordering::Relaxed);
        let mut first = self.first_error.lock().unwrap_or_else(|p| p.into_inner());
        if first.is_none() {
            *first = Some(e.to_string());
        }
    }

    fn outcome(&self) -> Outcome {
        Outcome {
            ok: self.ok.load(Ordering::Relaxed),
            failures: self.failures.load(Ordering::Relaxed),
            first_error: self
                .first_error
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .clone(),
            ..Outcome::default()
        }
    }
}

/// Opens `count` connections (Lifeline: each completes the hello, so a session exists) and
/// holds them, reading whatever the server sends, until `go`; then ends them.
async fn idle(ctx: Arc<Ctx>) -> Outcome {
    let tally = Arc::new(Tally::default());
    let (stop, stopped) = watch::channel(false);
    let gate = Arc::new(Semaphore::new(ctx.job.concurrency.max(1)));
    let mut tasks = tokio::task::JoinSet::new();
    // Connections are opened until `count` or the end of the ramp, whichever comes first.
    let ramp_end = Instant::now() + Duration::from_millis(ctx.job.duration_ms);
    let mut launched = 0u64;
    for _ in 0..ctx.job.count {
        let permit = tokio::time::timeout_at(ramp_end.into(), gate.clone().acquire_owned()).await;
        let Ok(permit) = permit else { break };
        let permit = permit.expect("semaphore");
        launched += 1;
        let (ctx, tally, mut stopped) = (ctx.clone(), tally.clone(), stopped.clone());
        tasks.spawn(async move {
            let connect = Duration::from_secs(30);
            match ctx.job.target {
                Target::Lifeline => {
                    let v = tokio::time::timeout(connect, ctx.visitor()).await;
                    drop(permit);
                    let mut v = match v {
                        Ok(Ok(v)) => v,
                        Ok(Err(e)) => return tally.fail(e),
                        Err(_) => return tally.fail("connect timed out"),
                    };
                    tally.ok.fetch_add(1, Ordering::Relaxed);
                    loop {
                        tokio::select! {
                            _ = stopped.wait_for(|s| *s) => break,
                            event = v.next_event() => match event {
                                Ok(_) | Err(ClientError::Timeout) => {}
                                Err(e) => return tally.fail(e),
                            },
                        }
                    }
                    let _ = tokio::time::timeout(Duration::from_secs(5), v.end()).await;
                }
                Target::Echo => {
                    let ws = tokio::time::timeout(connect, echo_connect(&ctx.url("/echo"))).await;
                    drop(permit);
                    let mut ws = match ws {
                        Ok(Ok(ws)) => ws,
                        Ok(Err(e)) => return tally.fail(e),
                        Err(_) => return tally.fail("connect timed out"),
                    };
                    tally.ok.fetch_add(1, Ordering::Relaxed);
                    tokio::select! {
                        _ = stopped.wait_for(|s| *s) => {}
                        _ = ws.next() => return tally.fail("echo server closed"),
                    }
                    let _ = tokio::time::timeout(Duration::from_secs(5), ws.close(None)).await;
                }
            }
        });
    }
    // Everyone has connected or failed.
    while tally.ok.load(Ordering::Relaxed) + tally.failures.load(Ordering::Relaxed) < launched
        && Instant::now() < ramp_end + Duration::from_secs(30)
    {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // Let the last hellos' queue broadcasts settle before the parent reads memory.
    tokio::time::sleep(Duration::from_millis(500)).await;
    report(&Report::Ready {
        ok: tally.ok.load(Ordering::Relaxed),
        failures: tally.failures.load(Ordering::Relaxed),
    });
    wait_for_go().await;
    let _ = stop.send(true);
    let _ = tokio::time::timeout(Duration::from_secs(30), async {
        while tasks.join_next().await.is_some() {}
    })
    .await;
    tally.outcome()
}

/// Set-ups, back to back on `concurrency` loops for `duration_ms`. Lifeline: upgrade,
/// challenge, proof-of-work, hello, queue, claim by a coordinator, Noise handshake, end
/// (arrivals: upgrade, challenge, proof-of-work, hello, welcome, queued, end; no
/// coordinator). Bare stack: upgrade and close.
async fn setup(ctx: Arc<Ctx>) -> Outcome {
    let tally = Arc::new(Tally::default());
    let mut coordinators = Vec::new();
    if ctx.job.target == Target::Lifeline && ctx.job.kind == Kind::Setup {
        for i in 0..ctx.job.concurrency {
            match ctx.coordinator(i as u64, 1).await {
                Ok(c) => coordinators.push(Some(c)),
                Err(e) => tally.fail(e),
            }
        }
    } else {
        coordinators.resize_with(ctx.job.concurrency, || None);
    }
    report(&Report::Ready {
        ok: coordinators.len() as u64,
        failures: tally.failures.load(Ordering::Relaxed),
    });
    wait_for_go().await;
    let start = Instant::now();
    let end = start + Duration::from_millis(ctx.job.duration_ms);
    let mut tasks = tokio::task::JoinSet::new();
    for coordinator in coordinators {
        let (ctx, tally) = (ctx.clone(), tally.clone());
        tasks.spawn(async move {
            let mut histogram = new_histogram();
            let mut coordinator = coordinator;
            while Instant::now() < end {
                let began = Instant::now();
                let one = async {
                    match coordinator.as_mut() {
                        Some(c) => {
                            let mut v = ctx.visitor().await?;
                            let session = v.session;
                            ctx.claim(c, &mut v).await?;
                            v.end().await?;
                            c.wait_for(
                                |e| matches!(e, CoordinatorEvent::Released(s) if *s == session),
                            )
                            .await?;
                            Ok(())
                        }
                        None if ctx.job.target == Target::Lifeline => {
                            let mut v = ctx.visitor().await?;
                            v.end().await?;
                            Ok(())
                        }
                        None => {
                            let mut ws = echo_connect(&ctx.url("/echo")).await?;
                            let _ = ws.close(None).await;
                            Ok::<(), ClientError>(())
                        }
                    }
                };
                match tokio::time::timeout(Duration::from_secs(10), one).await {
                    Ok(Ok(())) => {
                        tally.ok.fetch_add(1, Ordering::Relaxed);
                        let _ = histogram.record(began.elapsed().as_micros().max(1) as u64);
                    }
                    Ok(Err(e)) => tally.fail(e),
                    Err(_) => tally.fail("set-up timed out"),
                }
            }
            histogram
        });
    }
    let mut histogram = new_histogram();
    while let Some(done) = tasks.join_next().await {
        if let Ok(h) = done {
            let _ = histogram.add(h);
        }
    }
    let mut outcome = tally.outcome();
    outcome.elapsed_s = start.elapsed().as_secs_f64();
    outcome.histogram = histogram_text(&histogram);
    outcome
}

/// Shared by a worker's senders and receivers during a message phase.
struct Streams {
    /// Messages each stream sent, known once its sender stopped.
    sent: Vec<AtomicU64>,
    senders_done: AtomicUsize,
    received: AtomicU64,
    start: Instant,
    end: Instant,
    drain: Duration,
}

/// Says `Ready` with `count` streams set up, waits for `go`, and opens the window.
async fn ready_then_go(count: usize, duration_ms: u64) -> Arc<Streams> {
    report(&Report::Ready {
        ok: count as u64,
        failures: 0,
    });
    wait_for_go().await;
    let start = Instant::now() + Duration::from_millis(20);
    Arc::new(Streams {
        sent: (0..count).map(|_| AtomicU64::new(0)).collect(),
        senders_done: AtomicUsize::new(0),
        received: AtomicU64::new(0),
        start,
        end: start + Duration::from_millis(duration_ms),
        drain: Duration::from_millis(duration_ms).clamp(DRAIN.0, DRAIN.1),
    })
}

impl Streams {
    fn all_sent(&self) -> u64 {
        self.sent.iter().map(|s| s.load(Ordering::Relaxed)).sum()
    }

    fn finished(&self) -> bool {
        self.senders_done.load(Ordering::Relaxed) == self.sent.len()
            && self.received.load(Ordering::Relaxed) >= self.all_sent()
    }
}

/// One receiver's figures for its streams.
struct Received {
    histogram: Histogram<u64>,
    /// Per stream: the next counter expected (= messages received in order).
    expected: HashMap<usize, u64>,
    order_errors: u64,
    in_window: u64,
    received: u64,
}

impl Received {
    fn new(streams: impl Iterator<Item = usize>) -> Self {
        Self {
            histogram: new_histogram(),
            expected: streams.map(|s| (s, 0)).collect(),
            order_errors: 0,
            in_window: 0,
            received: 0,
        }
    }

    /// Records one message of `stream` due at `stamp_ns` with `counter`.
    fn record(&mut self, shared: &Streams, stream: usize, stamp_ns: u64, counter: u64) {
        let now = ns_since_base(Instant::now());
        let _ = self
            .histogram
            .record((now.saturating_sub(stamp_ns) / 1000).max(1));
        let expected = self.expected.entry(stream).or_insert(0);
        if counter == *expected {
            *expected += 1;
        } else {
            self.order_errors += 1;
            *expected = counter.max(*expected) + 1;
        }
        self.received += 1;
        if stamp_ns < ns_since_base(shared.end) {
            self.in_window += 1;
        }
        shared.received.fetch_add(1, Ordering::Relaxed);
    }
}

/// `stamp:counter:` padded to the 1 KiB bucket.
fn text_payload(stamp_ns: u64, counter: u64) -> String {
    let mut text = format!("{stamp_ns}:{counter}:");
    text.extend(std::iter::repeat_n(
        'x',
        TEXT_LEN.saturating_sub(text.len()),
    ));
    text
}

fn parse_text(text: &str) -> Option<(u64, u64)> {
    let mut parts = text.splitn(3, ':');
    let stamp = parts.next()?.parse().ok()?;
    let counter = parts.next()?.parse().ok()?;
    Some((stamp, counter))
}

/// A pre-encrypted body: stamp and counter, then filler, envelope-sized.
fn body_payload(stamp_ns: u64, counter: u64) -> Vec<u8> {
    let mut body = vec![0x5a; BODY_LEN];
    body[..8].copy_from_slice(&stamp_ns.to_be_bytes());
    body[8..16].copy_from_slice(&counter.to_be_bytes());
    body
}

fn parse_body(body: &[u8]) -> Option<(u64, u64)> {
    let stamp = u64::from_be_bytes(body.get(..8)?.try_into().ok()?);
    let counter = u64::from_be_bytes(body.get(8..16)?.try_into().ok()?);
    Some((stamp, counter))
}

/// When a stream sends its next message.
struct Schedule {
    /// Open loop: the next deadline and the gap between a stream's messages.
    next: Option<(Instant, Duration)>,
    window: u64,
    end: Instant,
}

impl Schedule {
    fn new(job: &Job, streams: usize, stream: usize, start: Instant, end: Instant) -> Self {
        let next = (job.rate > 0.0).then(|| {
            let gap = Duration::from_secs_f64(streams as f64 / job.rate);
            // Streams are spread evenly over one gap so the offered load is smooth.
            (start + gap.mul_f64(stream as f64 / streams as f64), gap)
        });
        Self {
            next,
            window: job.window.max(1) as u64,
            end,
        }
    }

    /// How long to wait before the next send may go (`None`: wait for acknowledgements,
    /// or the sending window is over).
    fn due(&self, sent: u64, acknowledged: u64) -> Option<Instant> {
        match self.next {
            Some((at, _)) => (at < self.end).then_some(at),
            None => {
                (Instant::now() < self.end && sent - acknowledged < self.window).then(Instant::now)
            }
        }
    }

    /// The stamp of a message going now; advances the schedule.
    fn take(&mut self) -> u64 {
        match self.next.as_mut() {
            Some((at, gap)) => {
                let stamp = ns_since_base(*at);
                *at += *gap;
                stamp
            }
            None => ns_since_base(Instant::now()),
        }
    }

    fn over(&self) -> bool {
        match self.next {
            Some((at, _)) => at >= self.end,
            None => Instant::now() >= self.end,
        }
    }
}

async fn sleep_until(at: Option<Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(tokio::time::Instant::from_std(at)).await,
        None => std::future::pending().await,
    }
}

async fn messages(ctx: Arc<Ctx>) -> Outcome {
    match ctx.job.target {
        Target::Lifeline => lifeline_messages(ctx).await,
        Target::Echo => echo_messages(ctx).await,
    }
}

fn combine(parts: Vec<Received>, shared: &Streams, tally: &Tally) -> Outcome {
    let mut outcome = tally.outcome();
    let mut histogram = new_histogram();
    for part in parts {
        let _ = histogram.add(&part.histogram);
        outcome.order_errors += part.order_errors;
        outcome.received += part.received;
        outcome.ok += part.in_window;
        for (stream, got) in part.expected {
            let sent = shared
                .sent
                .get(stream)
                .map_or(0, |s| s.load(Ordering::Relaxed));
            if got != sent {
                outcome.incomplete_streams += 1;
            }
        }
    }
    outcome.sent = shared.all_sent();
    outcome.elapsed_s = shared.end.duration_since(shared.start).as_secs_f64();
    outcome.histogram = histogram_text(&histogram);
    outcome
}

/// Visitors send to coordinators (16 each); coordinators measure and acknowledge.
async fn lifeline_messages(ctx: Arc<Ctx>) -> Outcome {
    let tally = Arc::new(Tally::default());
    let count = ctx.job.count;
    let mut coordinators = Vec::new();
    let mut visitors = Vec::new();
    // Which stream each session is, per coordinator.
    let mut owned: Vec<HashMap<lifeline::protocol::SessionId, usize>> = Vec::new();
    for stream in 0..count {
        if stream % PER_COORDINATOR == 0 {
            let index = coordinators.len() as u64;
            coordinators.push(
                ctx.coordinator(index, PER_COORDINATOR as u8)
                    .await
                    .expect("coordinator goes on duty"),
            );
            owned.push(HashMap::new());
        }
        let mut v = ctx.visitor().await.expect("visitor connects");
        let c = coordinators.last_mut().expect("a coordinator");
        ctx.claim(c, &mut v).await.expect("claim and handshake");
        owned
            .last_mut()
            .expect("a coordinator")
            .insert(v.session, stream);
        visitors.push(v);
    }
    let shared = ready_then_go(count, ctx.job.duration_ms).await;
    let start = shared.start;
    let mut senders = tokio::task::JoinSet::new();
    for (stream, v) in visitors.into_iter().enumerate() {
        let schedule = Schedule::new(&ctx.job, count, stream, start, shared.end);
        let (shared, tally, encrypted) = (shared.clone(), tally.clone(), ctx.job.encrypted);
        senders.spawn(async move {
            tokio::time::sleep_until(tokio::time::Instant::from_std(start)).await;
            let result = visitor_sender(v, schedule, encrypted, &shared, stream).await;
            if let Err(e) = result {
                tally.fail(e);
            }
        });
    }
    let mut receivers = tokio::task::JoinSet::new();
    for (c, streams) in coordinators.into_iter().zip(owned) {
        let (shared, tally, encrypted) = (shared.clone(), tally.clone(), ctx.job.encrypted);
        receivers.spawn(coordinator_receiver(c, streams, encrypted, shared, tally));
    }
    let mut parts = Vec::new();
    while let Some(part) = receivers.join_next().await {
        if let Ok(part) = part {
            parts.push(part);
        }
    }
    senders.abort_all();
    combine(parts, &shared, &tally)
}

async fn visitor_sender(
    mut v: VisitorClient,
    mut schedule: Schedule,
    encrypted: bool,
    shared: &Streams,
    stream: usize,
) -> Result<(), ClientError> {
    let mut counter = 0u64;
    let mut last_seq = 0u64;
    let mut acknowledged = 0u64;
    let result = loop {
        if schedule.over() {
            break Ok(());
        }
        let due = schedule.due(last_seq, acknowledged);
        // Reading first: a sender that has fallen behind must still drain its socket.
        tokio::select! {
            biased;
            delivered = next_delivered(&mut v, encrypted) => match delivered {
                Ok(Some(seq)) => acknowledged = acknowledged.max(seq),
                Ok(None) | Err(ClientError::Timeout) => {}
                Err(e) => break Err(e),
            },
            _ = sleep_until(due) => {
                let stamp = schedule.take();
                let sent = if encrypted {
                    match v.send_text(&text_payload(stamp, counter)).await {
                        Ok(Sent::Now(seq)) => {
                            last_seq = seq;
                            Ok(())
                        }
                        Ok(Sent::Waiting) => Ok(()),
                        Err(e) => Err(e),
                    }
                } else {
                    last_seq += 1;
                    let frame = VisitorFrame::Msg { seq: last_seq, body: Bytes(body_payload(stamp, counter)) };
                    match v.wire() {
                        Ok(wire) => wire.send_raw(protocol::encode_frame(frame)).await,
                        Err(e) => Err(e),
                    }
                };
                // Counted once handed to the socket: a failed send may still have arrived.
                counter += 1;
                shared.sent[stream].store(counter, Ordering::Relaxed);
                if let Err(e) = sent {
                    break Err(e);
                }
            }
            _ = tokio::time::sleep_until(tokio::time::Instant::from_std(schedule.end)) => {}
        }
    };
    shared.sent[stream].store(counter, Ordering::Relaxed);
    shared.senders_done.fetch_add(1, Ordering::Relaxed);
    // Keep reading so the relay never sees a slow consumer while the last messages drain.
    while let Ok(_) | Err(ClientError::Timeout) = v.next_event().await {}
    result
}

/// The next frame the relay sends a sending visitor; `Some(seq)` for a delivery receipt.
/// Cancel-safe: a visitor that only sends is never given a frame it must answer.
async fn next_delivered(
    v: &mut VisitorClient,
    encrypted: bool,
) -> Result<Option<u64>, ClientError> {
    if encrypted {
        match v.next_event().await? {
            VisitorEvent::Delivered(seq) => Ok(Some(seq)),
            _ => Ok(None),
        }
    } else {
        match v.wire()?.recv().await? {
            RelayFrame::Delivered { seq, .. } => Ok(Some(seq)),
            _ => Ok(None),
        }
    }
}

async fn coordinator_receiver(
    mut c: CoordinatorClient,
    streams: HashMap<lifeline::protocol::SessionId, usize>,
    encrypted: bool,
    shared: Arc<Streams>,
    tally: Arc<Tally>,
) -> Received {
    let mut received = Received::new(streams.values().copied());
    let mut tick = tokio::time::interval(Duration::from_millis(20));
    let hard_end = shared.end + shared.drain;
    loop {
        tokio::select! {
            biased;
            frame = c.recv_frame() => {
                let frame = match frame {
                    Ok(frame) => frame,
                    Err(ClientError::Timeout) => continue,
                    Err(e) => {
                        tally.fail(e);
                        break;
                    }
                };
                if encrypted {
                    match c.handle(frame).await {
                        Ok(Some(CoordinatorEvent::Text { session, text })) => {
                            match (streams.get(&session), parse_text(&text)) {
                                (Some(stream), Some((stamp, counter))) => received.record(&shared, *stream, stamp, counter),
                                _ => tally.fail("unexpected text"),
                            }
                        }
                        Ok(_) => {}
                        Err(e) => {
                            tally.fail(e);
                            break;
                        }
                    }
                } else if let RelayFrame::Deliver { session: Some(session), seq, kind: PayloadKind::Data, body } = frame {
                    match (streams.get(&session), parse_body(&body.0)) {
                        (Some(stream), Some((stamp, counter))) => received.record(&shared, *stream, stamp, counter),
                        _ => tally.fail("unexpected body"),
                    }
                    if let Err(e) = c.received(session, seq).await {
                        tally.fail(e);
                        break;
                    }
                }
            }
            _ = tick.tick() => {
                if shared.finished() || Instant::now() > hard_end {
                    break;
                }
            }
        }
    }
    received
}

/// Bare stack: each connection sends the same frames the pre-encrypted visitors send and
/// reads them back from the echo server.
async fn echo_messages(ctx: Arc<Ctx>) -> Outcome {
    let tally = Arc::new(Tally::default());
    let count = ctx.job.count;
    let mut sockets = Vec::new();
    for _ in 0..count {
        sockets.push(
            echo_connect(&ctx.url("/echo"))
                .await
                .expect("echo connects"),
        );
    }
    let shared = ready_then_go(count, ctx.job.duration_ms).await;
    let start = shared.start;
    let mut tasks = tokio::task::JoinSet::new();
    for (stream, ws) in sockets.into_iter().enumerate() {
        let schedule = Schedule::new(&ctx.job, count, stream, start, shared.end);
        let (shared, tally) = (shared.clone(), tally.clone());
        tasks.spawn(async move {
            tokio::time::sleep_until(tokio::time::Instant::from_std(start)).await;
            echo_stream(ws, schedule, shared, tally, stream).await
        });
    }
    let mut parts = Vec::new();
    while let Some(part) = tasks.join_next().await {
        if let Ok(part) = part {
            parts.push(part);
        }
    }
    combine(parts, &shared, &tally)
}

async fn echo_stream(
    mut ws: Ws,
    mut schedule: Schedule,
    shared: Arc<Streams>,
    tally: Arc<Tally>,
    stream: usize,
) -> Received {
    let mut received = Received::new(std::iter::once(stream));
    let mut counter = 0u64;
    let mut sending = true;
    let hard_end = tokio::time::Instant::from_std(shared.end + shared.drain);
    loop {
        if sending && schedule.over() {
            sending = false;
            shared.sent[stream].store(counter, Ordering::Relaxed);
            shared.senders_done.fetch_add(1, Ordering::Relaxed);
        }
        if !sending && received.received >= counter {
            break;
        }
        let due = if sending {
            schedule.due(counter, received.received)
        } else {
            None
        };
        tokio::select! {
            biased;
            message = ws.next() => {
                let text = match message {
                    Some(Ok(Message::Text(text))) => text,
                    Some(Ok(_)) => continue,
                    other => {
                        tally.fail(format!("echo connection ended: {other:?}"));
                        break;
                    }
                };
                match protocol::decode_visitor(&text) {
                    Ok(VisitorFrame::Msg { body, .. }) => match parse_body(&body.0) {
                        Some((stamp, counter)) => received.record(&shared, stream, stamp, counter),
                        None => tally.fail("unexpected echo body"),
                    },
                    _ => tally.fail("unexpected echo frame"),
                }
            }
            _ = sleep_until(due), if sending => {
                let stamp = schedule.take();
                let frame = VisitorFrame::Msg { seq: counter + 1, body: Bytes(body_payload(stamp, counter)) };
                if let Err(e) = ws.send(Message::Text(protocol::encode_frame(frame).into())).await {
                    tally.fail(e);
                    break;
                }
                counter += 1;
            }
            _ = tokio::time::sleep_until(tokio::time::Instant::from_std(schedule.end)), if sending => {}
            _ = tokio::time::sleep_until(hard_end) => break,
        }
    }
    if sending {
        shared.sent[stream].store(counter, Ordering::Relaxed);
        shared.senders_done.fetch_add(1, Ordering::Relaxed);
    }
    let _ = tokio::time::timeout(Duration::from_secs(2), ws.close(None)).await;
    received
}
