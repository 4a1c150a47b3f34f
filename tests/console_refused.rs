//! A console (terminal or desk: the same connection task) whose certificate is revoked
//! mid-shift: the relay cuts it off (4006) and refuses it when it signs in again, and the
//! shift is told why with the relay's close code, not only "reconnecting" for ever.

use crate::common;

use std::time::Duration;

use common::*;
use lifeline::client::wire::TlsTrust;
use lifeline::clock::Clock;
use lifeline::console::net::{self, NetHandle};
use lifeline::console::shift::{NetEvent, Reason};
use lifeline::keyfile::{self, CoordinatorFiles};

#[tokio::test]
async fn a_revoked_console_is_told_the_relays_close_code_while_it_tries_again() {
    let relay = TestRelay::start().await;
    let url = format!("ws://{}", relay.addr);
    let files = CoordinatorFiles::load(&relay.paths().dev_coordinator()).expect("dev keys");
    let serial = files.certificate.body().serial;
    let login = net::login(&url, files, None, &TlsTrust::default())
        .await
        .expect("signed in");
    let reconnect = net::Reconnect {
        relay: url,
        trust: TlsTrust::default(),
        organisation: login.organisation,
    };
    let mut net = NetHandle::spawn(login.client, Some(reconnect));

    // A revocation list naming this console, newer than the relay's, where it looks.
    let later = Clock::manual(Clock::system().unix_s() + 10);
    keyfile::publish_revocations(&relay.org_key(), &relay.paths(), &[serial], None, &later)
        .expect("list written");

    let told = tokio::time::timeout(Duration::from_secs(20), async {
        let mut lost = false;
        loop {
            match net.events.recv().await.expect("the task lives on") {
                NetEvent::Disconnected(_) => lost = true,
                NetEvent::Failed(reason) if lost => return reason,
                _ => {}
            }
        }
    })
    .await
    .expect("told within seconds");
    assert!(
        matches!(
            told,
            Reason::Closed {
                code: Some(4006),
                ..
            }
        ),
        "{told:?}"
    );
    // The terminal says what 4006 means and whom to ask, not the bare close code.
    let said = told.to_string();
    assert!(
        said.contains("refused your certificate") && said.contains("ask your organisation"),
        "{said}"
    );
    net.finish(Duration::from_secs(1)).await;
    relay.stop().await;
}
