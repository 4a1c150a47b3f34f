//! What the parent asks a worker process to do, and what the worker answers, one JSON line
//! each way.

use serde::{Deserialize, Serialize};

/// Which server a job drives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Target {
    /// The Lifeline relay: visitors and coordinators over the real protocol.
    Lifeline,
    /// The bare-stack echo server: WebSocket upgrade and text frames, no protocol.
    Echo,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Kind {
    /// Open `count` connections (each with a session on Lifeline), hold them until told.
    Idle,
    /// Set up and tear down sessions (bare stack: upgrades) as fast as `concurrency` allows.
    Setup,
    /// Visitors arriving and leaving (bare stack: upgrades), no coordinator involved.
    Arrival,
    /// Relay messages between `count` visitors and their coordinators (bare stack: echo).
    Messages,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Job {
    pub kind: Kind,
    pub target: Target,
    /// `127.0.0.1:port`.
    pub addr: String,
    /// Coordinators connect here instead (a second relay node on the same Redis), so every
    /// message crosses from one node to the other.
    #[serde(default)]
    pub coordinator_addr: Option<String>,
    /// The relay's data folder, where its development organisation key is.
    pub data_dir: String,
    /// Numbers this worker's coordinator certificates apart from the other workers'.
    pub worker: u32,
    pub count: usize,
    pub concurrency: usize,
    /// Messages per second this worker offers; 0 means saturation (closed loop, `window`).
    pub rate: f64,
    /// Saturation: most messages a sender has in flight (sent, not yet delivered).
    pub window: usize,
    /// Real end-to-end encryption, or pre-encrypted bodies (the relay's work alone).
    pub encrypted: bool,
    pub duration_ms: u64,
}

/// A worker's answer after the measurement.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Outcome {
    /// Connections held (idle), set-ups completed (setup) or messages received (messages).
    pub ok: u64,
    pub failures: u64,
    pub sent: u64,
    pub received: u64,
    /// Messages received out of order or more than once (must be zero).
    pub order_errors: u64,
    /// Streams whose received count differs from what was sent to them (must be zero).
    pub incomplete_streams: u64,
    /// Latency histogram in microseconds, hdrhistogram V2 serialised, base64.
    pub histogram: String,
    pub elapsed_s: f64,
    pub first_error: Option<String>,
}

/// One line from a worker.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub enum Report {
    /// Set up and waiting for the `go` line (idle: holding `ok` connections).
    Ready {
        ok: u64,
        failures: u64,
    },
    Done(Outcome),
}
