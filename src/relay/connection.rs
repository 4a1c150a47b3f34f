//! One WebSocket connection's plumbing, shared by visitors and coordinators: a bounded
//! outbound queue with its writer task, a way to close with a code from anywhere, per-
//! connection rate limits, and reading with an idle timeout.
//!
//! A client that does not read is cut off (its queue fills, or a write stalls) instead of
//! making the relay buffer for it. Nothing here knows who is on the other end: no address
//! is ever read.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use axum::extract::ws::{CloseFrame, Message, Utf8Bytes, WebSocket, WebSocketUpgrade};
use futures_util::stream::{SplitSink, SplitStream};
use futures_util::{SinkExt, StreamExt};
use tokio::sync::{mpsc, watch};

use crate::protocol::frames::MAX_FRAME_BYTES;
use crate::protocol::{self, CloseCode, RelayFrame};

static NEXT_CONNECTION: AtomicU64 = AtomicU64::new(1);
const WRITE_STALL: Duration = Duration::from_secs(10);

/// Frames already queued are written together, up to this many bytes a write: one syscall
/// for a burst (a `stored` and a `delivered`, a coordinator's run of `deliver`s) instead of
/// one per frame, which was most of the relay's time under load (docs/benchmarks.md).
pub const WRITE_BATCH_BYTES: usize = 16 * 1024;

/// A visitor's read buffer: one 1 KiB message's frame fits in one read.
pub const VISITOR_READ_BUFFER: usize = 4096;
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

/// The sending side of a connection, cheap to clone into routing tables.
#[derive(Clone)]
pub struct Outbox {
    pub id: u64,
    tx: mpsc::Sender<Utf8Bytes>,
    kill: Arc<watch::Sender<Option<CloseCode>>>,
    /// "Something new waits for you in the store": visitors pull their frames in order.
    wake: Arc<tokio::sync::Notify>,
    /// The last stored sequence number queued to this connection. Whoever sends stored frames
    /// holds this lock, so they go out once each and in order.
    pub delivered: Arc<tokio::sync::Mutex<u64>>,
}

impl std::fmt::Debug for Outbox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Outbox({})", self.id)
    }
}

impl Outbox {
    /// Queues a frame. A full queue means the client is not reading: it is cut off.
    pub fn send(&self, frame: RelayFrame) -> bool {
        self.send_text(protocol::encode_frame(frame))
    }

    pub fn send_text(&self, text: impl Into<Utf8Bytes>) -> bool {
        match self.tx.try_send(text.into()) {
            Ok(()) => true,
            Err(mpsc::error::TrySendError::Full(_)) => {
                self.close(CloseCode::SlowConsumer);
                false
            }
            Err(mpsc::error::TrySendError::Closed(_)) => false,
        }
    }

    /// Closes the connection with `code` after the frames already queued.
    pub fn close(&self, code: CloseCode) {
        self.kill.send_if_modified(|current| {
            if current.is_none() {
                *current = Some(code);
                true
            } else {
                false
            }
        });
    }

    /// Signals that new frames wait in the store; never lost if nobody is waiting yet.
    pub fn wake(&self) {
        self.wake.notify_one();
    }

    /// Resolves at the next [`Outbox::wake`] or when the connection's writer has ended
    /// (then `false`).
    pub async fn woken(&self) -> bool {
        tokio::select! {
            _ = self.wake.notified() => true,
            _ = self.tx.closed() => false,
        }
    }

    pub fn is_closed(&self) -> bool {
        self.kill.borrow().is_some() || self.tx.is_closed()
    }
}

/// The receiving half, owned by the connection's handler.
pub struct Inbox {
    stream: SplitStream<WebSocket>,
    killed: watch::Receiver<Option<CloseCode>>,
    idle: Duration,
    limiter: RateLimiter,
    pub outbox: Outbox,
}

/// What reading produced.
pub enum Incoming {
    Text(Utf8Bytes),
    /// The connection is over; `Some` when the relay closed it for a reason.
    Closed,
}

/// Splits a socket, starts its writer task, returns the inbox (with its outbox).
pub fn open(socket: WebSocket, queue: usize, idle: Duration, limits: RateLimits) -> Inbox {
    let (sink, stream) = socket.split();
    let (tx, rx) = mpsc::channel(queue);
    let (kill, killed) = watch::channel(None);
    let outbox = Outbox {
        id: NEXT_CONNECTION.fetch_add(1, Ordering::Relaxed),
        tx,
        kill: Arc::new(kill),
        wake: Arc::new(tokio::sync::Notify::new()),
        delivered: Arc::default(),
    };
    tokio::spawn(write_loop(sink, rx, killed.clone()));
    Inbox {
        stream,
        killed,
        idle,
        limiter: RateLimiter::new(limits),
        outbox,
    }
}

async fn write_loop(
    mut sink: SplitSink<WebSocket, Message>,
    mut rx: mpsc::Receiver<Utf8Bytes>,
    mut killed: watch::Receiver<Option<CloseCode>>,
) {
    loop {
        tokio::select! {
            biased;
            frame = rx.recv() => match frame {
                Some(text) => {
                    let batch = write_batch(&mut sink, text, &mut rx);
                    if !matches!(tokio::time::timeout(WRITE_STALL, batch).await, Ok(Ok(()))) {
                        break;
                    }
                }
                None => break,
            },
            changed = killed.changed() => {
                let code = *killed.borrow();
                if changed.is_err() || code.is_some() {
                    // Flush what was queued before the close (e.g. a final `peer ended`).
                    let flushed = async {
                        while let Ok(text) = rx.try_recv() {
                            sink.feed(Message::Text(text)).await?;
                        }
                        if let Some(code) = code {
                            let frame = CloseFrame { code: code.code(), reason: code.reason().into() };
                            sink.feed(Message::Close(Some(frame))).await?;
                        }
                        sink.flush().await
                    };
                    let _ = tokio::time::timeout(WRITE_STALL, flushed).await;
                    break;
                }
            }
        }
    }
    let _ = tokio::time::timeout(WRITE_STALL, sink.close()).await;
}

/// Writes `first` and whatever else is already queued (up to [`WRITE_BATCH_BYTES`]), then
/// flushes once.
async fn write_batch(
    sink: &mut SplitSink<WebSocket, Message>,
    first: Utf8Bytes,
    rx: &mut mpsc::Receiver<Utf8Bytes>,
) -> Result<(), axum::Error> {
    let mut batched = first.len();
    sink.feed(Message::Text(first)).await?;
    while batched < WRITE_BATCH_BYTES {
        let Ok(text) = rx.try_recv() else { break };
        batched += text.len();
        sink.feed(Message::Text(text)).await?;
    }
    sink.flush().await
}

impl Inbox {
    /// The next text frame, or `Closed`. Enforces the idle timeout and the rate limits, and
    /// refuses binary frames, closing with the matching code.
    pub async fn next(&mut self) -> Incoming {
        loop {
            if self.killed.borrow().is_some() {
                return Incoming::Closed;
            }
            let next = tokio::select! {
                _ = self.killed.changed() => return Incoming::Closed,
                next = tokio::time::timeout(self.idle, self.stream.next()) => next,
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
                    if !self.limiter.allow(text.len()) {
                        return self.fail(CloseCode::RateLimited);
                    }
                    return Incoming::Text(text);
                }
                Message::Binary(_) => return self.fail(CloseCode::Malformed),
                Message::Close(_) => return Incoming::Closed,
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
        let deadline = tokio::time::Instant::now() + Duration::from_secs(3);
        while let Ok(Some(Ok(message))) =
            tokio::time::timeout_at(deadline, self.stream.next()).await
        {
            if matches!(message, Message::Close(_)) {
                break;
            }
        }
    }

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
    pub frames_per_s: u32,
    pub frames_burst: u32,
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
    pub fn new(limits: RateLimits) -> Self {
        Self {
            limits,
            frames: limits.frames_burst as f64,
            bytes: 2.0 * limits.bytes_per_s as f64,
            last: Instant::now(),
        }
    }

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
        let (tx, _rx) = mpsc::channel(2);
        let (kill, killed) = watch::channel(None);
        let outbox = Outbox {
            id: 1,
            tx,
            kill: Arc::new(kill),
            wake: Arc::default(),
            delivered: Arc::default(),
        };
        assert!(outbox.send_text("a"));
        assert!(outbox.send_text("b"));
        assert!(!outbox.send_text("c"), "the third frame does not fit");
        assert_eq!(*killed.borrow(), Some(CloseCode::SlowConsumer));
        // The first reason sticks.
        outbox.close(CloseCode::Ended);
        assert_eq!(*killed.borrow(), Some(CloseCode::SlowConsumer));
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
