//! Erasing an ended session for sure. A conversation that ended must leave nothing behind
//! (DESIGN §5), and a `released` or `peer ended` is a promise that it did: so a failed erase
//! (the store briefly slow or away) is tried again, not ignored, before anyone is told.
//!
//! Must never give up silently: if the store stays away past the inline attempts, the erase
//! goes on in the background until it succeeds or the session's TTL has erased it anyway.

use std::sync::Arc;
use std::time::Duration;

use super::state::Relay;
use crate::protocol::SessionId;
use crate::store::{ChatStore, StoreError};

/// Waits between the attempts made before the caller goes on (about 1.5 s in all).
const INLINE: [Duration; 4] = [
    Duration::from_millis(50),
    Duration::from_millis(150),
    Duration::from_millis(400),
    Duration::from_millis(900),
];
/// After those, one attempt this often in the background, for at most [`GIVE_UP`].
const BACKGROUND_EVERY: Duration = Duration::from_secs(5);
const GIVE_UP: Duration = Duration::from_secs(40 * 60);

/// Erases `session`, trying again while the store fails; returns once it is gone or the
/// rest of the work was handed to a background task.
pub async fn erase(relay: &Arc<Relay>, session: &SessionId) {
    if attempt(relay, session).await {
        return;
    }
    for wait in INLINE {
        tokio::time::sleep(wait).await;
        if attempt(relay, session).await {
            return;
        }
    }
    tracing::warn!("erasing an ended session failed; retrying in the background");
    let (relay, session) = (relay.clone(), *session);
    tokio::spawn(async move {
        let started = tokio::time::Instant::now();
        while started.elapsed() < GIVE_UP {
            tokio::time::sleep(BACKGROUND_EVERY).await;
            if attempt(&relay, &session).await {
                return;
            }
        }
        tracing::error!("an ended session could not be erased; its TTL will");
    });
}

async fn attempt(relay: &Relay, session: &SessionId) -> bool {
    matches!(
        relay.store.remove(session).await,
        Ok(()) | Err(StoreError::UnknownSession)
    )
}
