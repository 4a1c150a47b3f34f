//! The coordinator console, `lifeline console`: a terminal app for a whole shift.
//!
//! A coordinator goes on duty, watches the queue, answers several visitors at once, hands a
//! conversation to a colleague, reads and answers tips, and goes off duty. The shift's state
//! and logic ([`shift`]) take events and return commands, with no terminal and no socket;
//! the terminal front end ([`tui`]) maps keys to the core's actions and draws its state, and
//! the network ([`net`]) carries the commands out, so the whole shift can be driven and
//! tested without a terminal, and a second front end can drive the same core.
//!
//! It must never write anything to disk but the passphrase-encrypted identity
//! ([`identity`]): no transcript, no log, no tracing subscriber.
//!
//! # Layout
//!
//! - [`identity`]: the coordinator's keys at rest, encrypted with a passphrase; enrolment.
//! - [`lock`]: the idle lock's in-memory passphrase check.
//! - [`resources`]: ready-made resources from `config/resources.toml`.
//! - [`shift`] (`shift/`): the UI-independent shift core, events in and commands out: its
//!   state, and what every action and relay event does; its tests in `shift/tests/`.
//! - [`tui`] (`tui/`): the terminal front end: key bindings, the loop, and drawing with
//!   ratatui (80×24) in `tui/ui/`.
//! - [`net`]: the task that owns the relay connection, and logging in.
//! - [`renewal`], [`renewed_keys`]: a renewed certificate (or new keys) taken during a shift.
//! - [`runner`]: prompts, unlocking the keys, logging in, then the terminal front end.
//! - [`desk`] (`desk/`): the browser front end, `lifeline desk`, served on 127.0.0.1.

pub mod desk;
pub mod identity;
pub mod lock;
pub mod net;
pub mod renewal;
pub mod renewed_keys;
pub mod resources;
pub mod runner;
pub mod shift;
pub mod tui;

use crate::client::ClientError;
use crate::keyfile::KeyError;

/// Why the console could not start or had to stop.
#[derive(Debug, thiserror::Error)]
pub enum ConsoleError {
    /// The identity file could not be created, opened or enrolled.
    #[error("identity")]
    Identity(#[from] identity::IdentityError),
    /// The relay connection failed.
    #[error("relay")]
    Client(#[from] ClientError),
    /// A key file (development keys, inbox key) could not be read.
    #[error("keys")]
    Key(#[from] KeyError),
    /// The resources file could not be used.
    #[error("resources")]
    Resources(#[from] resources::ResourceError),
    /// The terminal could not be read or drawn on.
    #[error("terminal")]
    Terminal(#[from] std::io::Error),
    /// Signing in to the relay failed.
    #[error("{0}")]
    Login(#[from] net::LoginError),
    /// Starting the shift failed for the reason given (passphrases, a CA file).
    #[error("{0}")]
    Setup(String),
    /// The relay let this identity in on another console or desk and closed this one (4011).
    #[error(
        "this identity signed in on another console or desk, so this one stopped; \
         what it held went to that one, or back to the queue"
    )]
    SignedInElsewhere,
}
