//! Answering a visitor who was just put back in the queue: their fresh message 1 may reach
//! the store a moment after they are told `left`, and a coordinator's socket may still hold
//! an older queue list naming them, so a claim can lose once on a slower store (Redis).

use std::time::Duration;

use lifeline::client::coordinator::{CoordinatorClient, CoordinatorEvent};
use lifeline::client::visitor::VisitorClient;
use lifeline::protocol::SessionId;

/// Claims `session` once; returns the answer, `claimed` or `claim_lost`.
pub async fn claim_answer(c: &mut CoordinatorClient, session: SessionId) -> CoordinatorEvent {
    c.claim(session).await.expect("claim");
    c.wait_for(|e| {
        matches!(e, CoordinatorEvent::Claimed { session: s, .. }
            | CoordinatorEvent::ClaimLost(s) if *s == session)
    })
    .await
    .expect("claim answered")
}

/// Claims `v`'s session until the claim wins (within 10 s), then completes the handshake;
/// returns the alias the visitor verified.
pub async fn claim_requeued(c: &mut CoordinatorClient, v: &mut VisitorClient) -> String {
    let session = v.session;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let answer = claim_answer(c, session).await;
        if matches!(answer, CoordinatorEvent::Claimed { .. }) {
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "never claimable");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    super::connected_to(v).await
}
