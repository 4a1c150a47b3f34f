//! A visitor's `end` after a relay node was killed (issue 24): the coordinator, back on the
//! restarted node, is told `peer ended` and `released` every time, whichever node the
//! visitor came back through.

use crate::common;
use crate::killed_node;

use std::time::Duration;

use common::*;
use killed_node::KilledNode;
use lifeline::client::coordinator::CoordinatorEvent;
use lifeline::protocol::frames::PeerEvent;

#[tokio::test]
async fn an_end_after_a_node_kill_reaches_the_coordinator_on_the_restarted_node() {
    let mut nodes = KilledNode::start().await;
    let org = nodes.org;
    let mut c = nodes.coordinator(730, 1).await;
    for run in 0..6 {
        let mut v = chat_visitor_at(&nodes.node.visitor_url(), org).await;
        let session = v.session;
        claim_and_connect(&mut c, &mut v).await;
        exchange(&mut c, &mut v, "up", "down").await;
        nodes
            .kill_and_return(run, &mut v, &mut c, 1, Duration::from_secs(10))
            .await;
        exchange(&mut c, &mut v, "up again", "down again").await;
        v.end().await.unwrap();
        let told = async {
            c.wait_for(|e| matches!(e, CoordinatorEvent::Peer { session: s, event: PeerEvent::Ended } if *s == session))
                .await
                .expect("peer ended");
            c.wait_for(|e| matches!(e, CoordinatorEvent::Released(s) if *s == session))
                .await
                .expect("released");
        };
        tokio::time::timeout(Duration::from_secs(5), told)
            .await
            .unwrap_or_else(|_| panic!("run {run}: the coordinator was told the end"));
    }
}
