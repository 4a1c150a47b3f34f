//! The coordinator console, `lifeline console`: a terminal app for a whole shift.
//!
//! A coordinator goes on duty, watches the queue, answers several visitors at once, hands a
//! conversation to a colleague, reads and answers tips, and goes off duty. The state and its
//! logic ([`app`]) are separate from drawing ([`ui`]) and from the terminal and the network
//! ([`runner`], [`net`]), so the whole shift can be driven and tested without a terminal.
//!
//! It must never write anything to disk but the passphrase-encrypted identity
//! ([`identity`]): no transcript, no log, no tracing subscriber.
//!
//! - [`identity`]: the coordinator's keys at rest, encrypted with a passphrase; enrolment.
//! - [`lock`]: the idle lock's in-memory passphrase check.
//! - [`resources`]: ready-made resources from `config/resources.toml`.
//! - [`app`]: the state of a shift and every key and relay event's effect on it.
//! - [`ui`]: drawing the state with ratatui (works at 80×24).
//! - [`net`]: the task that owns the relay connection, and logging in.
//! - [`runner`]: prompts, the terminal, and the loop wiring keys, ticks and the relay.

pub mod app;
pub mod identity;
pub mod lock;
pub mod net;
pub mod resources;
pub mod runner;
pub mod ui;

use crate::client::ClientError;
use crate::keyfile::KeyError;

/// Why the console could not start or had to stop.
#[derive(Debug, thiserror::Error)]
pub enum ConsoleError {
    #[error("identity")]
    Identity(#[from] identity::IdentityError),
    #[error("relay")]
    Client(#[from] ClientError),
    #[error("keys")]
    Key(#[from] KeyError),
    #[error("resources")]
    Resources(#[from] resources::ResourceError),
    #[error("terminal")]
    Terminal(#[from] std::io::Error),
    #[error("{0}")]
    Setup(String),
}
