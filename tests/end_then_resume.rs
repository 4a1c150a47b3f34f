//! A visitor's `end`, then at once a `resume` of that session (issue 24, §9.7): the end is
//! marked in the same store step that reads its holder, so the resume is refused (4010
//! while the erasure is under way, 4007 once it is done), never let back into a
//! conversation that ended. On Redis the coordinator is on another node, where the erasure
//! happens, so the resume races it; on the memory store, one node.

use crate::common;

use std::time::Duration;

use common::*;
use lifeline::client::ClientError;
use lifeline::client::coordinator::CoordinatorEvent;
use lifeline::client::visitor::VisitorClient;
use lifeline::config::StoreKind;
use lifeline::protocol::frames::PeerEvent;

const ROUNDS: usize = 20;
const ENDED: u16 = 4010;
const UNKNOWN_SESSION: u16 = 4007;

/// The close code the visitor's connection ends with.
async fn closed_with(v: &mut VisitorClient) -> Option<u16> {
    let read = async {
        loop {
            match v.next_event().await {
                Ok(_) | Err(ClientError::Timeout) => {}
                Err(e) => return e.close_code(),
            }
        }
    };
    tokio::time::timeout(Duration::from_secs(5), read)
        .await
        .expect("closed within seconds")
}

#[tokio::test]
async fn a_resume_right_after_end_is_refused_every_time() {
    let dir = tempfile::tempdir().expect("data dir");
    // Keeps its Redis (if any) for the other node.
    let visitors = TestRelay::start_in(dir.path().to_path_buf(), |_| {}).await;
    let shared = visitors.relay.config.store.clone();
    let coordinators = match shared.kind {
        StoreKind::Redis => Some(
            TestRelay::start_in(dir.path().to_path_buf(), |c| {
                c.store = shared;
            })
            .await,
        ),
        StoreKind::Memory => None,
    };
    let desk = coordinators.as_ref().unwrap_or(&visitors);
    let mut c = desk.on_duty(740, "Amara", 2).await;
    for round in 0..ROUNDS {
        let mut v = visitors.visitor().await;
        let session = v.session;
        claim_and_connect(&mut c, &mut v).await;
        exchange(&mut c, &mut v, "hello", "hello, I am here").await;
        v.end().await.unwrap();
        assert_eq!(closed_with(&mut v).await, Some(ENDED), "round {round}");
        let refused = v.resume().await.expect_err("an ended session stays ended");
        let code = refused.close_code();
        assert!(
            code == Some(ENDED) || code == Some(UNKNOWN_SESSION),
            "round {round}: refused with 4010 or 4007, not {refused}"
        );
        c.wait_for(|e| {
            matches!(e, CoordinatorEvent::Peer { session: s, event: PeerEvent::Ended } if *s == session)
        })
        .await
        .expect("the coordinator is told");
        c.wait_for(|e| matches!(e, CoordinatorEvent::Released(s) if *s == session))
            .await
            .expect("and gets the seat back");
    }
}
