//! What the server holds about a visitor or tipster, and until when (issue 19, protocol
//! §9.10): one source, the relay's configuration, for the widget's panel (`/v1/config`) and
//! the console's lines (`authed`), so both always say what this relay really does.
//!
//! It must never be written as fixed text anywhere else, nor describe anyone in particular.

use crate::config::Config;
use crate::protocol::http::Holds;

/// The holds this configuration promises.
pub fn of(config: &Config) -> Holds {
    Holds {
        erase_after_idle_s: config.sessions.idle_ttl_s,
        tip_retention_days: config.tips.retention_days,
        max_waiting_messages: config.sessions.buffer_max_frames,
    }
}
