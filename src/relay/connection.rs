//! One WebSocket connection's plumbing, shared by visitors and coordinators: a bounded
//! outbound queue with its writer task, a way to close with a code from anywhere, per-
//! connection rate limits, and reading with an idle timeout.
//!
//! A client that does not read is cut off (its queue fills, or a write stalls) instead of
//! making the relay buffer for it. Nothing here knows who is on the other end: no address
//! is ever read.
//!
//! Everything a connection shares between its tasks lives in one small allocation
//! ([`Shared`]): an idle visitor's memory is mostly this plumbing, and at tens of thousands
//! of connections every allocation counts (docs/benchmarks.md).

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use axum::extract::ws::{CloseFrame, Message, Utf8Bytes, WebSocket, WebSocketUpgrade};
use futures_util::stream::{SplitSink, SplitStream};
use futures_util::{SinkExt, StreamExt};
use tokio::sync::Notify;
use tokio::time::Instant;

use super::handoff::{Handed, Next};
use crate::protocol::frames::MAX_FRAME_BYTES;
use crate::protocol::{self, CloseCode, RelayFrame};

/// RFC 6455 §7.4.1: the purpose of the connection was fulfilled.
const NORMAL_CLOSURE: u16 = 1000;

static NEXT_CONNECTION: AtomicU64 = AtomicU64::new(1);
const WRITE_STALL: Duration = Duration::from_secs(10);

/// Frames already queued are written together, up to this many bytes a write: one syscall
/// for a burst (a `stored` and a `delivered`, a coordinator's run of `deliver`s) instead of
/// one per frame, which was most of the relay's time under load (docs/benchmarks.md).
pub const WRITE_BATCH_BYTES: usize = 16 * 1024;

/// A visitor's read buffer. A 1 KiB message's frame (about 1.5 KiB of JSON) fits in one
/// read; an idle visitor pays for it all the time, so it is no larger.
pub const VISITOR_READ_BUFFER: usize = 2048;
/// A coordinator's: it reads for a dozen conversations.
pub const COORDINATOR_READ_BUFFER: usize = 8192;

/// The socket settings every WebSocket of the relay gets (and the bare stack it is measured
/// against): a small read buffer, since an idle visitor's memory is mostly buffers, and
/// frames coalesced up to [`WRITE_BATCH_BYTES`] until the writer flushes.
pub fn sized(ws: WebSocketUpgrade, read_buffer: usize) -> WebSocketUpgrade {
    ws.read_buffer_size(read_buffer)
        .write_buffer_size(WRITE_BATCH_BYTES)
        // Twice our own limit: frames in between get our close code (4002) from the
        // decoder; only absurd ones hit tungstenite's hard stop.
        .max_message_size(2 * MAX_FRAME_BYTES)
        .max_frame_size(2 * MAX_FRAME_BYTES)
}

/// What a connection's tasks share.
struct Shared {
    outgoing: Mutex<Outgoing>,
    /// Frames (or a close) wait for the writer.
    to_writer: Notify,
    /// The connection is closing: the reader stops.
    to_reader: Notify,
    /// "Something new waits for you in the store": frames are pulled from it in order.
    wake: Notify,
    /// The last stored sequence number queued to this connection. Whoever sends stored frames
    /// holds this lock, so they go out once each and in order.
    delivered: tokio::sync::Mutex<u64>,
    /// A visitor's: stored frames handed to it by this node (`handoff`).
    handed: Mutex<Handed>,
    /// A wake asked for a store read since the last one (not only handed frames wait).
    store_wake: AtomicBool,
}

struct Outgoing {
    frames: VecDeque<Utf8Bytes>,
    capacity: usize,
    close: Option<CloseCode>,
    /// The writer has ended: nothing queued now would ever leave.
    writer_gone: bool,
}

/// The sending side of a connection, cheap to clone into routing tables.
#[derive(Clone)]
pub struct Outbox {
    /// Tells this connection from a later one of the same visitor or coordinator.
    pub id: u64,
    shared: Arc<Shared>,
}

impl std::fmt::Debug for Outbox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Outbox({})", self.id)
    }
}

impl Outbox {
    fn new(capacity: usize) -> Self {
        Self {
            id: NEXT_CONNECTION.fetch_add(1, Ordering::Relaxed),
            shared: Arc::new(Shared {
                outgoing: Mutex::new(Outgoing {
                    frames: VecDeque::new(),
                    capacity,
                    close: None,
                    writer_gone: false,
                }),
                to_writer: Notify::new(),
                to_reader: Notify::new(),
                wake: Notify::new(),
                delivered: tokio::sync::Mutex::new(0),
                handed: Mutex::new(Handed::default()),
                store_wake: AtomicBool::new(false),
            }),
        }
    }

    fn outgoing(&self) -> std::sync::MutexGuard<'_, Outgoing> {
        // Nothing panics while holding it; a poisoned queue is still a queue.
        self.shared
            .outgoing
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// Queues a frame. A full queue means the client is not reading: it is cut off.
    pub fn send(&self, frame: RelayFrame) -> bool {
        self.send_text(protocol::encode_frame(frame))
    }

    /// Queues already encoded frame text; `false` if the connection is closing.
    pub fn send_text(&self, text: impl Into<Utf8Bytes>) -> bool {
        let mut outgoing = self.outgoing();
        if outgoing.writer_gone {
            return false;
        }
        if outgoing.frames.len() >= outgoing.capacity {
            drop(outgoing);
            self.close(CloseCode::SlowConsumer);
            return false;
        }
        outgoing.frames.push_back(text.into());
        drop(outgoing);
        self.shared.to_writer.notify_one();
        true
    }

    /// Closes the connection with `code` after the frames already queued. The first reason
    /// given is the one sent.
    pub fn close(&self, code: CloseCode) {
        let mut outgoing = self.outgoing();
        if outgoing.close.is_some() {
            return;
        }
        outgoing.close = Some(code);
        drop(outgoing);
        self.shared.to_writer.notify_one();
        self.shared.to_reader.notify_one();
    }

    /// The reason this connection is closing, if it is.
    pub fn closing(&self) -> Option<CloseCode> {
        self.outgoing().close
    }

    /// Signals that new frames wait in the store; never lost if nobody is waiting yet.
    pub fn wake(&self) {
        self.shared.store_wake.store(true, Ordering::Release);
        self.shared.wake.notify_one();
    }

    /// Hands a visitor's connection the `deliver` of frame `seq`, which the store has
    /// (`handoff`), and wakes it.
    pub fn hand(&self, seq: u64, text: Utf8Bytes) {
        let kept = self.handed().hand(seq, text);
        if !kept {
            self.shared.store_wake.store(true, Ordering::Release);
        }
        self.shared.wake.notify_one();
    }

    /// Whether a wake asked for a store read since the last call.
    pub fn take_store_wake(&self) -> bool {
        self.shared.store_wake.swap(false, Ordering::AcqRel)
    }

    /// The frames handed to this connection that follow `last`, the last one sent.
    pub fn handed_after(&self, last: u64) -> Next {
        self.handed().after(last)
    }

    /// Forgets handed frames up to `last`: a store read sent them.
    pub fn handed_sent_through(&self, last: u64) {
        self.handed().sent_through(last);
    }

    fn handed(&self) -> std::sync::MutexGuard<'_, Handed> {
        self.shared
            .handed
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// Resolves at the next [`Outbox::wake`] (`true`), or `false` once the connection's
    /// writer has ended. Cancel-safe.
    pub async fn woken(&self) -> bool {
        self.shared.wake.notified().await;
        !self.outgoing().writer_gone
    }

    /// Held by whoever queues stored frames; the number is the last one queued.
    pub fn delivered(&self) -> &tokio::sync::Mutex<u64> {
        &self.shared.delivered
    }
}

/// The receiving half, owned by the connection's handler.
pub struct Inbox {
    stream: SplitStream<WebSocket>,
    idle: Duration,
    /// When the client last sent a text frame (never a WebSocket ping or pong): the idle
    /// timeout counts from here, however often reading is interrupted to do something else.
    last_heard: tokio::time::Instant,
    limiter: RateLimiter,
    /// The client closed with 1000 (normal closure): it meant to leave (a coordinator
    /// signing out), rather than lost its connection.
    signed_out: bool,
    /// Where frames for this client are queued.
    pub outbox: Outbox,
}

/// What reading produced.
pub enum Incoming {
    /// A text frame within the size and rate limits.
    Text(Utf8Bytes),
    /// The connection is over (closed by either side).
    Closed,
}

/// Splits a socket, starts its writer task, returns the inbox (with its outbox).
pub fn open(socket: WebSocket, queue: usize, idle: Duration, limits: RateLimits) -> Inbox {
    let (sink, stream) = socket.split();
    let outbox = Outbox::new(queue);
    tokio::spawn(write_loop(sink, outbox.clone()));
    Inbox {
        stream,
        idle,
        last_heard: Instant::now(),
        limiter: RateLimiter::new(limits),
        signed_out: false,
        outbox,
    }
}

/// Moves what is queued into `batch`; gives the close code once nothing else is left.
fn take_queued(outbox: &Outbox, batch: &mut Vec<Utf8Bytes>) -> Option<CloseCode> {
    let mut outgoing = outbox.outgoing();
    batch.extend(outgoing.frames.drain(..));
    // A connection quiet after a burst should not keep its busiest moment's capacity.
    if outgoing.frames.capacity() > LARGE_QUEUE {
        outgoing.frames.shrink_to(SMALL_QUEUE);
    }
    outgoing.close
}

/// Frames queued at once by a quiet connection (a challenge, a welcome, a queue position).
const SMALL_QUEUE: usize = 8;
/// Beyond this, queue capacity left over from a burst is given back.
const LARGE_QUEUE: usize = 64;

async fn write_loop(mut sink: SplitSink<WebSocket, Message>, outbox: Outbox) {
    let mut batch = Vec::new();
    loop {
        let close = take_queued(&outbox, &mut batch);
        if batch.is_empty() && close.is_none() {
            outbox.shared.to_writer.notified().await;
            continue;
        }
        // Tungstenite writes to the socket whenever WRITE_BATCH_BYTES are buffered, and the
        // rest at the flush: one syscall for a burst instead of one per frame.
        let written = async {
            for text in batch.drain(..) {
                sink.feed(Message::Text(text)).await?;
            }
            if let Some(code) = close {
                let frame = CloseFrame {
                    code: code.code(),
                    reason: code.reason().into(),
                };
                sink.feed(Message::Close(Some(frame))).await?;
            }
            sink.flush().await
        };
        let ok = matches!(tokio::time::timeout(WRITE_STALL, written).await, Ok(Ok(())));
        if batch.capacity() > LARGE_QUEUE {
            batch = Vec::with_capacity(SMALL_QUEUE);
        }
        if !ok || close.is_some() {
            break;
        }
    }
    let _ = tokio::time::timeout(WRITE_STALL, sink.close()).await;
    let mut outgoing = outbox.outgoing();
    outgoing.writer_gone = true;
    outgoing.frames = VecDeque::new();
    outgoing.close.get_or_insert(CloseCode::Ended);
    drop(outgoing);
    outbox.shared.to_reader.notify_one();
    outbox.shared.wake.notify_one();
}

impl Inbox {
    /// The next text frame before `limit` from now, whatever arrives meanwhile (pings
    /// included): the challenge and sign-in phases, which nothing may extend (F-6). A client
    /// that has not answered by then is closed with 4012.
    pub async fn first(&mut self, limit: Duration) -> Incoming {
        match tokio::time::timeout(limit, self.next()).await {
            Ok(incoming) => incoming,
            Err(_) => self.fail(CloseCode::IdleTimeout),
        }
    }

    /// The next text frame, or `Closed`. Enforces the idle timeout and the rate limits, and
    /// refuses binary frames, closing with the matching code. Cancel-safe.
    pub async fn next(&mut self) -> Incoming {
        loop {
            if self.outbox.closing().is_some() {
                return Incoming::Closed;
            }
            let deadline = self.last_heard + self.idle;
            let next = tokio::select! {
                _ = self.outbox.shared.to_reader.notified() => continue,
                next = tokio::time::timeout_at(deadline, self.stream.next()) => next,
            };
            let message = match next {
                Err(_) => return self.fail(CloseCode::IdleTimeout),
                Ok(None) => return Incoming::Closed,
                Ok(Some(Err(e))) => {
                    return match e.into_inner().downcast_ref::<tungstenite_error::Error>() {
                        Some(tungstenite_error::Error::Capacity(_)) => {
                            self.fail(CloseCode::TooLarge)
                        }
                        _ => Incoming::Closed,
                    };
                }
                Ok(Some(Ok(message))) => message,
            };
            match message {
                Message::Text(text) => {
                    // Only protocol frames are activity: WebSocket pings cost a flooder
                    // nothing, and must not keep a socket that says nothing useful (F-6).
                    self.last_heard = tokio::time::Instant::now();
                    if !self.limiter.allow(text.len()) {
                        return self.fail(CloseCode::RateLimited);
                    }
                    return Incoming::Text(text);
                }
                Message::Binary(_) => return self.fail(CloseCode::Malformed),
                Message::Close(frame) => {
                    self.signed_out = frame.is_some_and(|f| f.code == NORMAL_CLOSURE);
                    return Incoming::Closed;
                }
                Message::Ping(_) | Message::Pong(_) => {
                    if !self.limiter.allow(0) {
                        return self.fail(CloseCode::RateLimited);
                    }
                }
            }
        }
    }

    /// Reads and discards until the peer answers our close (or a short timeout), so the
    /// socket is not torn down with unread data, which would make the kernel reset it and
    /// lose the close frame (and its code) on the way to the client.
    pub async fn drain(mut self) {
        let deadline = Instant::now() + Duration::from_secs(3);
        while let Ok(Some(Ok(message))) =
            tokio::time::timeout_at(deadline, self.stream.next()).await
        {
            if matches!(message, Message::Close(_)) {
                break;
            }
        }
    }

    /// Whether the client ended the connection on purpose (a close frame with 1000).
    pub fn signed_out(&self) -> bool {
        self.signed_out
    }

    /// Gives back the rate-limit cost of a frame of `len` bytes the relay refused (`retry`).
    pub fn refund(&mut self, len: usize) {
        self.limiter.refund(len);
    }

    /// Closes with `code` (counted as a protocol close) and reports the connection over.
    pub fn fail(&self, code: CloseCode) -> Incoming {
        tracing::debug!(code = code.code(), "closing connection");
        self.outbox.close(code);
        Incoming::Closed
    }
}

mod tungstenite_error {
    pub use tokio_tungstenite::tungstenite::Error;
}

/// Per-connection limits.
#[derive(Debug, Clone, Copy)]
pub struct RateLimits {
    /// Sustained frames per second.
    pub frames_per_s: u32,
    /// Frames allowed in a burst above the sustained rate.
    pub frames_burst: u32,
    /// Sustained bytes per second.
    pub bytes_per_s: u32,
}

/// Two token buckets: frames and bytes. The byte bucket holds two seconds' worth, so one
/// full-size message always fits.
pub struct RateLimiter {
    limits: RateLimits,
    frames: f64,
    bytes: f64,
    last: Instant,
}

impl RateLimiter {
    /// Full buckets, as for a client that has sent nothing yet.
    pub fn new(limits: RateLimits) -> Self {
        Self {
            limits,
            frames: limits.frames_burst as f64,
            bytes: 2.0 * limits.bytes_per_s as f64,
            last: Instant::now(),
        }
    }

    /// Gives back what a frame of `len` bytes took: the relay refused it (`retry`), so its
    /// resend must not count twice (§9.4).
    pub fn refund(&mut self, len: usize) {
        self.frames = (self.frames + 1.0).min(self.limits.frames_burst as f64);
        self.bytes = (self.bytes + len as f64).min(2.0 * self.limits.bytes_per_s as f64);
    }

    /// Takes one frame of `len` bytes from the buckets; `false` if either is short.
    pub fn allow(&mut self, len: usize) -> bool {
        let now = Instant::now();
        let elapsed = now.duration_since(self.last).as_secs_f64();
        self.last = now;
        self.frames = (self.frames + elapsed * self.limits.frames_per_s as f64)
            .min(self.limits.frames_burst as f64);
        self.bytes = (self.bytes + elapsed * self.limits.bytes_per_s as f64)
            .min(2.0 * self.limits.bytes_per_s as f64);
        if self.frames < 1.0 || self.bytes < len as f64 {
            return false;
        }
        self.frames -= 1.0;
        self.bytes -= len as f64;
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_outbound_queue_closes_the_connection_as_a_slow_consumer() {
        let outbox = Outbox::new(2);
        assert!(outbox.send_text("a"));
        assert!(outbox.send_text("b"));
        assert!(!outbox.send_text("c"), "the third frame does not fit");
        assert_eq!(outbox.closing(), Some(CloseCode::SlowConsumer));
        // The first reason sticks.
        outbox.close(CloseCode::Ended);
        assert_eq!(outbox.closing(), Some(CloseCode::SlowConsumer));
    }

    #[test]
    fn rate_limiter_allows_the_burst_then_refuses() {
        let mut limiter = RateLimiter::new(RateLimits {
            frames_per_s: 1,
            frames_burst: 3,
            bytes_per_s: 100,
        });
        assert!(limiter.allow(10) && limiter.allow(10) && limiter.allow(10));
        assert!(!limiter.allow(10), "the burst is spent");
        let mut bytes = RateLimiter::new(RateLimits {
            frames_per_s: 100,
            frames_burst: 100,
            bytes_per_s: 100,
        });
        assert!(bytes.allow(200), "two seconds' worth of bytes fit at once");
        assert!(!bytes.allow(50));
    }
}
