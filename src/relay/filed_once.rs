//! A tip or follow-up filed together with the mark that says so, in one task.
//!
//! A submission whose answer is lost on the way (a dropped Tor circuit, a phone losing its
//! signal) is sent again with the same used-once token: a no-script form's, or a follow-up's
//! proof-of-work seed. The mark on that token ([`SeedBook::mark_filed`]) lets the relay tell
//! the resend the truth, "filed, once", instead of filing it twice or saying nothing was sent
//! (F-57). The filing and the mark run in a task of their own: a handler is dropped with its
//! connection, and a connection dropped between the two would leave a filing unmarked.
//!
//! Must never mark a token whose submission was not filed.
//!
//! [`SeedBook::mark_filed`]: super::pow::SeedBook::mark_filed

use std::future::Future;
use std::sync::Arc;

use super::state::Relay;

/// Runs `write` and, if `filed` says it filed, marks `token` (used up already) so; `None` if
/// the task died.
pub async fn filed_and_marked<T: Send + 'static>(
    relay: &Arc<Relay>,
    token: [u8; 16],
    write: impl Future<Output = T> + Send + 'static,
    filed: fn(&T) -> bool,
) -> Option<T> {
    let relay = relay.clone();
    uncut(async move {
        let outcome = write.await;
        if filed(&outcome) {
            relay.seeds.mark_filed(&token).await;
        }
        outcome
    })
    .await
}

/// Runs `write` in a task of its own, which a handler dropped with its connection cannot cut
/// between its steps; `None` if the task died.
pub async fn uncut<T: Send + 'static>(
    write: impl Future<Output = T> + Send + 'static,
) -> Option<T> {
    tokio::spawn(write).await.ok()
}
