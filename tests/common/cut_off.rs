//! How a signed-in coordinator's connection ends when the relay closes it: for the suites
//! that expect the relay to cut someone off (a revocation, a refused renewal).
//!
//! It must never wait without a bound: a connection that is not closed fails the test.

use super::*;

/// The close code that ends `coordinator`'s connection within 10 s (events before it are
/// read and dropped).
pub async fn cut_off(coordinator: &mut CoordinatorClient) -> Option<u16> {
    tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            if let Err(e) = coordinator.next_event().await {
                return e.close_code();
            }
        }
    })
    .await
    .expect("cut off within seconds")
}
