//! The superseded-certificate check fails closed (`docs/protocol.md` §9.2), through the real
//! relay on a Redis of the test's own: while Redis does not answer (frozen with SIGSTOP),
//! neither the certificate in use nor one a renewal to new keys superseded signs in, and a
//! renewal on a live connection is not taken: each is refused with 4013 ("store
//! unavailable, retry"), never let in on a record that could not be read. Once Redis
//! answers, the current certificate signs in and the superseded one is refused (4006). The
//! console's connection task says so plainly and signs in again by itself, on the new keys;
//! the terminal console started during the outage says so and signs in once Redis answers.

use crate::common;
use crate::faults;
use crate::terminal;

use std::time::{Duration, Instant};

use common::*;
use faults::{held_on, signal};
use lifeline::client::coordinator::CoordinatorEvent;
use lifeline::client::wire::TlsTrust;
use lifeline::console::net::{self, NetHandle, Reconnect};
use lifeline::console::renewed_keys::RenewedKeys;
use lifeline::console::shift::{Command, NetEvent, Reason};
use terminal::TerminalConsole;

const STORE_UNAVAILABLE: u16 = 4013;
const AUTH_FAILED: u16 = 4006;

/// Signs in with `keys` until the relay lets them in (Redis answers again), within 15 s.
async fn until_let_in(relay: &TestRelay, keys: &lifeline::keyfile::CoordinatorFiles) {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        match sign_in_refused(relay, keys).await {
            None => return,
            Some(STORE_UNAVAILABLE) if Instant::now() < deadline => {
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
            Some(code) => panic!("refused with {code} once Redis answered"),
        }
    }
}

#[tokio::test]
async fn during_a_redis_outage_no_certificate_of_the_serial_signs_in_and_after_it_only_the_current()
{
    let redis = RedisServer::start();
    let relay = held_on(&redis).await;
    let old = relay.coordinator_keys(350, "Noor");
    let new = for_new_keys(&relay, 350);
    assert_eq!(sign_in_refused(&relay, &old).await, None, "before: in use");
    let mut live = relay.coordinator(350, "Noor").await;

    signal(&redis, "-STOP");
    // The record of the keys in use cannot be read: not "no record", not the node's own copy.
    assert_eq!(
        sign_in_refused(&relay, &old).await,
        Some(STORE_UNAVAILABLE),
        "the certificate in use, while Redis is frozen"
    );
    assert_eq!(
        sign_in_refused(&relay, &new).await,
        Some(STORE_UNAVAILABLE),
        "the renewal to new keys, while Redis is frozen"
    );
    // Nor is the renewal taken on a live connection: other nodes could not hear of it.
    live.renew_to(new.copy()).await.expect("sent");
    assert_eq!(
        cut_off(&mut live).await,
        Some(STORE_UNAVAILABLE),
        "the renewal on the live connection"
    );
    signal(&redis, "-CONT");

    until_let_in(&relay, &new).await;
    assert_eq!(
        sign_in_refused(&relay, &old).await,
        Some(AUTH_FAILED),
        "superseded, once Redis answers"
    );
    assert_eq!(sign_in_refused(&relay, &new).await, None, "still in");
    relay.stop().await;
}

/// The next event of the console's connection task that `pick` keeps, within 20 s.
async fn next_net<T>(handle: &mut NetHandle, mut pick: impl FnMut(NetEvent) -> Option<T>) -> T {
    tokio::time::timeout(Duration::from_secs(20), async {
        loop {
            let event = handle.events.recv().await.expect("the task lives");
            if let Some(found) = pick(event) {
                return found;
            }
        }
    })
    .await
    .expect("in time")
}

#[tokio::test]
async fn the_console_says_the_store_is_unavailable_and_signs_in_on_the_new_keys_once_it_answers() {
    let redis = RedisServer::start();
    let relay = held_on(&redis).await;
    let old = relay.coordinator_keys(360, "Amara");
    let new = for_new_keys(&relay, 360);
    let url = format!("ws://{}", relay.addr);
    let trust = TlsTrust::default();
    let organisation = relay.relay.keys.organisation;
    let mut login = net::login(&url, old.copy(), Some(organisation), &trust)
        .await
        .expect("login");
    login.client.duty(true, 1, &["en"]).await.expect("duty");
    let mut visitor = relay.visitor().await;
    claim_and_connect(&mut login.client, &mut visitor).await;
    exchange(&mut login.client, &mut visitor, "before", "re: before").await;
    let session = visitor.session;
    let reconnect = Reconnect {
        relay: url,
        trust,
        organisation,
    };
    let mut handle = NetHandle::spawn(login.client, Some(reconnect));

    signal(&redis, "-STOP");
    handle.send([Command::RenewKeys(RenewedKeys::new(new.copy()))]);
    next_net(&mut handle, |e| {
        matches!(e, NetEvent::Disconnected(_)).then_some(())
    })
    .await;
    // Signing in again meets the same answer, said plainly; the task keeps trying.
    let said = next_net(&mut handle, |e| match e {
        NetEvent::Failed(reason @ Reason::Closed { .. }) => Some(reason),
        _ => None,
    })
    .await;
    assert!(
        matches!(
            said,
            Reason::Closed {
                code: Some(STORE_UNAVAILABLE),
                ..
            }
        ),
        "{said:?}"
    );
    assert_eq!(
        said.to_string(),
        "the relay cannot reach its storage; trying again"
    );
    signal(&redis, "-CONT");
    next_net(&mut handle, |e| {
        matches!(e, NetEvent::Reconnected).then_some(())
    })
    .await;

    // The conversation goes on, on the new keys; the old certificate is refused.
    visitor.send_text("after").await.expect("visitor sends");
    let got = next_net(&mut handle, |e| match e {
        NetEvent::Relay(CoordinatorEvent::Text { session: s, text }) if s == session => Some(text),
        _ => None,
    })
    .await;
    assert_eq!(got, "after");
    handle.send([Command::Send {
        session,
        text: "re: after".into(),
        line: 0,
    }]);
    assert_eq!(next_text_visitor(&mut visitor).await, "re: after");
    assert_eq!(sign_in_refused(&relay, &old).await, Some(AUTH_FAILED));
    handle.send([Command::Quit]);
    handle.finish(Duration::from_secs(2)).await;
    relay.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_terminal_started_during_the_outage_says_so_and_signs_in_once_redis_answers() {
    let redis = RedisServer::start();
    let relay = held_on(&redis).await;
    signal(&redis, "-STOP");
    let mut console = TerminalConsole::start(&relay);
    console.until_shown("Choose a passphrase").await;
    console.lock_passphrase("terminal passphrase").await;
    console
        .until_shown("The relay cannot reach its storage; trying again in 1 s.")
        .await;
    console
        .until_shown("The relay cannot reach its storage; trying again in 2 s.")
        .await;
    signal(&redis, "-CONT");
    console
        .until_on_screen("Off duty. Ctrl-D goes on duty")
        .await;
    // The key loop starts just after the first drawing: a key typed sooner is lost.
    tokio::time::sleep(Duration::from_millis(1000)).await;
    console.type_keys("\x03y").await;
    assert!(console.exit_status().await.success(), "{}", console.shown());
    relay.stop().await;
}
