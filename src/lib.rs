//! Lifeline: a secure, anonymous help-request and tip relay.
//!
//! Visitors (survivors, tipsters) talk to trained safety-network coordinators through a relay
//! that only ever carries ciphertext and keeps nothing that identifies anyone.
//!
//! # Layout
//!
//! Data flows one way: socket → [`protocol`] → [`relay`] → [`store`]. [`crypto`] never knows
//! about sockets, and the relay never holds a key that opens a message. No module imports
//! one that imports it back.
//!
//! - [`crypto`]: pure cryptography, one file per section of `docs/protocol.md`: organisation
//!   certificates, the Noise NX live-chat handshake, the ratcheting session cipher and its
//!   padding, HPKE sealed tips, receipt codes, proof-of-work, the coordinator's sign-in, and
//!   the primitives they share.
//! - [`protocol`]: the JSON wire frames and HTTP bodies, the session and tip ids, strict
//!   decoding, size limits and close codes.
//! - [`store`]: what the relay remembers (sessions, queue, delivery buffers, sealed tips)
//!   behind one trait, in memory or in Redis (one server or a Cluster, `store/redis/`);
//!   sealed tips in files or Redis (`store/tips/`); only [`store::Store`] knows which.
//! - [`relay`]: the axum server: HTTP surface, WebSocket endpoints, routing, limits, and the
//!   events that let several nodes share one Redis.
//! - [`client`]: the tokio-tungstenite client shared by the console, the tests and the load
//!   generator; it needs [`protocol`] and [`crypto`], never [`relay`].
//! - [`console`]: `lifeline console`, the coordinators' terminal app: identity encrypted at
//!   rest, logging in, starting a shift. `console/shift/` is the UI-independent shift core
//!   (events in, commands out: queue, several conversations, transfer, tips, idle lock; its
//!   tests in `shift/tests/`); `console/tui/` is the terminal front end (keys, the loop, and
//!   drawing with ratatui in `tui/ui/`).
//! - [`config`]: `config/lifeline.toml` with `LIFELINE_*` overrides, validated at start.
//! - [`keyfile`]: keys at rest (0600 files) and the development keys of a first start.
//! - [`inbox_keys`]: the organisation's inbox keys over time: rotation, and which keys a
//!   grant carries.
//! - [`keys_tool`]: `lifeline keys`' dated work (renew, revoke, re-sign) on a given clock.
//! - [`clock`]: the one source of wall and monotonic time; tests advance it.
//! - [`fs`]: owner-only (0600) files, for keys, the console's identity and sealed tips.
//! - [`logging`]: log stamps of `lifeline serve`, to the minute.
//! - [`precompressed`]: embedded files sent as their brotli or gzip copy by `Accept-Encoding`
//!   (the relay's widget assets, the desk's script and style).

#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod client;
pub mod clock;
pub mod config;
pub mod console;
pub mod crypto;
pub mod fs;
pub mod grants;
pub mod inbox_keys;
pub mod keyfile;
pub mod keys_tool;
pub mod logging;
pub mod precompressed;
pub mod protocol;
pub mod registry;
pub mod relay;
pub mod sealed;
pub mod store;
