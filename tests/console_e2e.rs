//! A whole coordinator shift from the console against a real relay over loopback sockets:
//! log in with the development keys, go on duty, answer two visitors at once, insert a
//! resource, transfer one visitor to a colleague, answer a tip to its receipt, end a
//! conversation, go off duty and quit. The shift core and the terminal's key mapping
//! (`console::tui::App`) run with a real `CoordinatorClient` (through `console::net`), fed
//! key events without a terminal; visitors and the tipster are the Rust clients. One test
//! runs the real `lifeline console` binary in a pseudo-terminal (`script(1)`), typing keys
//! into it: prompts, the terminal loop, the key mapping and the relay connection together.

use crate::common;
use crate::terminal;

use lifeline::client::reach::Reach;
use lifeline::client::wire::TlsTrust;
use lifeline::clock::Clock;
use lifeline::crypto::CertificateError;

use std::path::Path;
use std::time::{Duration, Instant};

use common::*;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use lifeline::client::coordinator::CoordinatorEvent;
use lifeline::client::handover::HandoverNote;
use lifeline::client::tipster::Tipster;
use lifeline::client::visitor::{VisitorClient, VisitorEvent};
use lifeline::console::lock::PassphraseLock;
use lifeline::console::net::{self, LoginError, NetHandle};
use lifeline::console::resources::Resources;
use lifeline::console::shift::{
    Command, ConvState, Mark, Me, Notice, Settings, Shift as ShiftCore, TipKeys,
};
use lifeline::console::tui::{App, AppEvent};
use lifeline::crypto::receipt::ReceiptCode;
use lifeline::crypto::sealed_tip;
use lifeline::keyfile::CoordinatorFiles;
use lifeline::protocol::frames::{ConversationKind, PeerEvent};
use terminal::TerminalConsole;

const WAIT: Duration = Duration::from_secs(15);

struct Shift {
    app: App,
    net: NetHandle,
}

impl Shift {
    fn press(&mut self, code: KeyCode) -> Vec<Command> {
        self.press_with(code, KeyModifiers::NONE)
    }

    fn press_with(&mut self, code: KeyCode, modifiers: KeyModifiers) -> Vec<Command> {
        let commands = self.app.handle(
            AppEvent::Key(KeyEvent::new(code, modifiers)),
            Instant::now(),
        );
        self.net.send(commands.clone());
        commands
    }

    /// Ctrl and a letter: the console's commands.
    fn ctrl(&mut self, c: char) -> Vec<Command> {
        self.press_with(KeyCode::Char(c), KeyModifiers::CONTROL)
    }

    /// Alt and a digit: the conversation with that number.
    fn alt(&mut self, c: char) -> Vec<Command> {
        self.press_with(KeyCode::Char(c), KeyModifiers::ALT)
    }

    fn keys(&mut self, keys: &str) {
        for c in keys.chars() {
            self.press(KeyCode::Char(c));
        }
    }

    /// Feeds relay events into the app until `done` holds.
    async fn until(&mut self, what: &str, done: impl Fn(&ShiftCore) -> bool) {
        let deadline = Instant::now() + WAIT;
        while !done(&self.app.shift) {
            let left = deadline.saturating_duration_since(Instant::now());
            match tokio::time::timeout(left, self.net.events.recv()).await {
                Ok(Some(event)) => {
                    let commands = self.app.handle(AppEvent::Net(event), Instant::now());
                    self.net.send(commands);
                }
                Ok(None) => panic!("the relay task stopped while waiting for {what}"),
                Err(_) => panic!(
                    "timed out waiting for {what}; status: {:?}",
                    self.app.shift.status
                ),
            }
        }
    }
}

async fn visitor(relay: &TestRelay, lang: &str) -> VisitorClient {
    VisitorClient::connect(
        &relay.visitor_url(),
        relay.relay.keys.organisation,
        ConversationKind::Chat,
        Some(lang),
        Reach::default(),
    )
    .await
    .expect("visitor connects")
}

fn relay_url(relay: &TestRelay) -> String {
    format!("ws://{}", relay.addr)
}

/// Logs the console in with the development coordinator folder, as `--dev-keys` does.
async fn start_console(relay: &TestRelay) -> Shift {
    let files = CoordinatorFiles::load(&relay.paths().dev_coordinator()).expect("dev keys");
    let login = net::login(&relay_url(relay), files, None, &TlsTrust::default())
        .await
        .expect("console logs in");
    assert_eq!(login.organisation, relay.relay.keys.organisation);
    let resources =
        Resources::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("config/resources.toml"))
            .expect("shipped resources");
    let core = ShiftCore::new(
        Me {
            alias: login.client.alias.clone(),
            serial: login.client.serial,
            not_after: login.not_after,
        },
        Settings {
            capacity: 3,
            langs: vec!["en".into(), "fr".into()],
            idle_lock: Duration::from_secs(300),
            off_duty_when_locked: Duration::from_secs(600),
        },
        PassphraseLock::with_cost("test passphrase", 64, 1),
        resources,
        TipKeys::new(login.organisation.fingerprint(), vec![relay.inbox_key()]),
        Instant::now(),
    );
    let reconnect = net::Reconnect {
        relay: relay_url(relay),
        trust: TlsTrust::default(),
        organisation: login.organisation,
    };
    Shift {
        app: App::new(core),
        net: NetHandle::spawn(login.client, Some(reconnect)),
    }
}

#[tokio::test]
async fn the_console_signs_in_again_by_itself_when_the_relay_restarts() {
    let relay = TestRelay::start().await;
    let mut shift = start_console(&relay).await;
    shift.ctrl('d');
    let mut first = visitor(&relay, "en").await;
    shift.until("a visitor", |a| a.queue.len() == 1).await;
    shift.ctrl('n');
    shift
        .until("answering", |a| a.conversations.len() == 1)
        .await;
    connected_to(&mut first).await;

    let relay = relay.restart().await;
    shift.until("the loss noticed", |a| !a.connected).await;
    // Kept while the console signs in again (§9.6)...
    assert_ne!(shift.app.shift.conversations[0].state, ConvState::Ended);
    shift
        .until("signed in again, back on duty", |a| {
            a.connected && a.on_duty
        })
        .await;
    // ...but this relay's memory went with its restart: the resume finds it over.
    shift
        .until("the lost conversation shown as over", |a| {
            a.conversations[0].state == ConvState::Ended
        })
        .await;
    // The relay has it on duty again: a new visitor is listed and answered.
    let mut second = visitor(&relay, "en").await;
    shift
        .until("the new visitor", |a| {
            a.queue.iter().any(|q| q.session == second.session)
        })
        .await;
    shift.ctrl('n');
    assert_eq!(connected_to(&mut second).await, "Dev coordinator");
}

#[tokio::test]
async fn a_console_whose_connection_drops_resumes_its_conversation_under_the_same_keys() {
    let relay = TestRelay::start_with(|c| c.sessions.coordinator_grace_s = 60).await;
    let mut shift = start_console(&relay).await;
    shift.ctrl('d');
    let mut v = visitor(&relay, "en").await;
    let session = v.session;
    shift.until("a visitor", |a| a.queue.len() == 1).await;
    shift.ctrl('n');
    shift
        .until("answering", |a| a.conversations.len() == 1)
        .await;
    connected_to(&mut v).await;
    let has = move |a: &ShiftCore, t: &'static str| {
        a.conversation(&session)
            .is_some_and(|c| c.lines.iter().any(|l| l.text == t))
    };
    v.send_text("before the drop").await.unwrap();
    shift
        .until("the first message", |a| has(a, "before the drop"))
        .await;

    // The relay loses the console's socket (as on an idle timeout): held, not requeued.
    relay.relay.live.with(|live| {
        let c = live
            .coordinators
            .get(&100)
            .expect("the console is signed in");
        c.outbox.close(lifeline::protocol::CloseCode::IdleTimeout);
    });
    shift.until("the loss noticed", |a| !a.connected).await;
    assert_ne!(shift.app.shift.conversations[0].state, ConvState::Ended);
    v.wait_for(|e| matches!(e, VisitorEvent::Peer(PeerEvent::Reconnecting)))
        .await
        .expect("the visitor is told their coordinator is reconnecting");
    v.send_text("written while you were away").await.unwrap();

    // Signed in again by itself: the same conversation, the same keys, nothing lost.
    shift
        .until("the message written meanwhile", |a| {
            a.connected && has(a, "written while you were away")
        })
        .await;
    v.wait_for(|e| matches!(e, VisitorEvent::Peer(PeerEvent::Back)))
        .await
        .expect("the visitor is told they are back");
    shift.alt('1');
    shift.press(KeyCode::Enter);
    shift.keys("I am back, I read you.");
    shift.press(KeyCode::Enter);
    shift.press(KeyCode::Esc);
    assert_eq!(next_text_visitor(&mut v).await, "I am back, I read you.");
    let c = shift.app.shift.conversation(&session).expect("kept");
    assert_ne!(c.state, ConvState::Ended);
    assert_eq!(
        c.lines
            .iter()
            .filter(|l| l.text == "before the drop")
            .count(),
        1,
        "nothing doubled"
    );
}

/// While the console signs in again nothing it shows as on its way may be lost or left
/// behind: a reply typed then stays in its box (no line pretends it went), and a
/// conversation ended then is ended on the relay right after the sign-in, never resumed and
/// left with nobody reading it.
#[tokio::test]
async fn while_reconnecting_a_reply_stays_in_its_box_and_an_end_is_carried_out_on_sign_in() {
    let relay = TestRelay::start_with(|c| c.sessions.coordinator_grace_s = 60).await;
    let mut shift = start_console(&relay).await;
    shift.ctrl('d');
    let mut first = visitor(&relay, "en").await;
    let mut second = visitor(&relay, "en").await;
    shift.until("two visitors", |a| a.queue.len() == 2).await;
    shift.ctrl('n');
    shift
        .until("answering", |a| a.conversations.len() == 1)
        .await;
    shift.ctrl('n');
    shift
        .until("answering both", |a| a.conversations.len() == 2)
        .await;
    connected_to(&mut first).await;
    connected_to(&mut second).await;
    let visitor_1 = shift.app.shift.numbered(1).unwrap().session;
    let (mut first, mut second) = if visitor_1 == first.session {
        (first, second)
    } else {
        (second, first)
    };

    relay.relay.live.with(|live| {
        let c = live.coordinators.get(&100).expect("signed in");
        c.outbox.close(lifeline::protocol::CloseCode::IdleTimeout);
    });
    shift.until("the loss noticed", |a| !a.connected).await;
    // The net task waits a second before it signs in again: these keys come before that.
    shift.alt('1');
    shift.press(KeyCode::Enter);
    shift.keys("written while offline");
    assert_eq!(shift.press(KeyCode::Enter), vec![], "nothing goes");
    shift.press(KeyCode::Esc);
    let c = shift.app.shift.conversation(&first.session).unwrap();
    assert_eq!(c.draft, "written while offline", "kept in its box");
    assert!(c.lines.iter().all(|l| l.text != "written while offline"));
    assert_eq!(shift.app.shift.status, Notice::OfflineKept);
    shift.alt('2');
    shift.ctrl('w');
    assert_eq!(
        shift.press(KeyCode::Char('y')),
        vec![Command::End(second.session)]
    );
    assert!(shift.app.shift.conversation(&second.session).is_none());

    shift.until("signed in again", |a| a.connected).await;
    second
        .wait_for(|e| matches!(e, VisitorEvent::CoordinatorClosed))
        .await
        .expect("the visitor ended while offline hears the close");
    second
        .wait_for(|e| matches!(e, VisitorEvent::Peer(PeerEvent::Ended)))
        .await
        .expect("and that it ended");
    relay.until_erased(&second.session).await;

    // The kept reply goes with Enter once connected, and only once.
    shift.alt('1');
    shift.press(KeyCode::Enter);
    let sent = shift.press(KeyCode::Enter);
    assert!(
        matches!(&sent[..], [Command::Send { text, .. }] if text == "written while offline"),
        "{sent:?}"
    );
    assert_eq!(next_text_visitor(&mut first).await, "written while offline");
    shift
        .until("marked stored", |a| {
            a.conversation(&visitor_1).is_some_and(|c| {
                c.lines.iter().any(|l| {
                    l.text == "written while offline"
                        && matches!(l.mark, Mark::Sent | Mark::Delivered)
                })
            })
        })
        .await;
}

#[tokio::test]
async fn wait_times_from_the_relay_keep_counting_when_the_queue_changes() {
    let relay = TestRelay::start().await;
    let mut shift = start_console(&relay).await;
    shift.ctrl('d');
    let first = visitor(&relay, "en").await;
    shift
        .until("the first visitor", |a| a.queue.len() == 1)
        .await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let second = visitor(&relay, "fr").await;
    shift.until("both listed", |a| a.queue.len() == 2).await;
    let now = Instant::now();
    let waited = |s| {
        let q = &shift.app.shift.queue;
        q.iter().find(|q| q.session == s).unwrap().waited(now)
    };
    assert!(
        waited(first.session) >= Duration::from_secs(2),
        "the new list did not restart the first visitor's wait: {:?}",
        waited(first.session)
    );
    assert!(waited(second.session) < waited(first.session));
    assert_eq!(shift.ctrl('n'), vec![Command::Claim(first.session)]);
}

#[tokio::test]
async fn a_whole_shift_two_visitors_a_transfer_a_tip_and_off_duty() {
    let relay = TestRelay::start().await;
    let org = relay.relay.keys.organisation.fingerprint();
    let mut colleague = relay.on_duty(221, "Bastien", 2).await;
    let mut shift = start_console(&relay).await;
    assert_eq!(shift.app.shift.me.alias, "Dev coordinator");

    // On duty: the queue and the roster arrive.
    let commands = shift.ctrl('d');
    assert!(matches!(commands[0], Command::Duty { on: true, .. }));
    shift
        .until("the roster", |a| {
            a.roster.iter().any(|c| c.serial == 221) && a.roster.iter().any(|c| c.serial == 100)
        })
        .await;

    // Two visitors arrive: the queue shows them live, with their language, and rings.
    let mut v1 = visitor(&relay, "en").await;
    let mut v2 = visitor(&relay, "fr").await;
    shift
        .until("two queued visitors", |a| a.queue.len() == 2)
        .await;
    assert!(shift.app.shift.take_bell(), "a new visitor rings the bell");
    assert_eq!(shift.app.shift.queue[0].session, v1.session, "oldest first");
    assert_eq!(shift.app.shift.queue[1].lang.as_deref(), Some("fr"));

    // Answer both (Ctrl-N answers the one waiting longest).
    assert_eq!(shift.ctrl('n'), vec![Command::Claim(v1.session)]);
    shift
        .until("visitor 1 claimed", |a| a.conversations.len() == 1)
        .await;
    shift
        .until("visitor 2 queued", |a| a.queue.len() == 1)
        .await;
    assert_eq!(shift.ctrl('n'), vec![Command::Claim(v2.session)]);
    shift
        .until("visitor 2 claimed", |a| a.conversations.len() == 2)
        .await;
    assert_eq!(connected_to(&mut v1).await, "Dev coordinator");
    assert_eq!(connected_to(&mut v2).await, "Dev coordinator");
    let c2 = shift
        .app
        .shift
        .conversation(&v2.session)
        .expect("conversation 2");
    assert_eq!((c2.number, c2.lang.as_deref()), (2, Some("fr")));

    // Both write; the one not on screen counts as unread.
    v1.send_text("I need help, is this safe?").await.unwrap();
    v2.send_text("J'ai besoin d'aide").await.unwrap();
    let (s1, s2) = (v1.session, v2.session);
    let has = move |a: &ShiftCore, s, t: &'static str| {
        a.conversation(&s)
            .is_some_and(|c| c.lines.iter().any(|l| l.text == t))
    };
    shift
        .until("both messages", |a| {
            has(a, s1, "I need help, is this safe?") && has(a, s2, "J'ai besoin d'aide")
        })
        .await;
    assert_eq!(shift.app.shift.current().unwrap().session, s2);
    assert_eq!(shift.app.shift.conversation(&s1).unwrap().unread, 1);
    assert_eq!(shift.app.shift.conversation(&s2).unwrap().unread, 0);

    // Answer visitor 1.
    shift.alt('1');
    assert_eq!(shift.app.shift.conversation(&s1).unwrap().unread, 0);
    shift.press(KeyCode::Enter);
    shift.keys("Yes. You can leave at any time.");
    let line = shift.app.shift.conversation(&s1).unwrap().lines.len();
    assert_eq!(
        shift.press(KeyCode::Enter),
        vec![Command::Send {
            session: s1,
            text: "Yes. You can leave at any time.".into(),
            line
        }]
    );
    shift.press(KeyCode::Esc);
    assert_eq!(
        next_text_visitor(&mut v1).await,
        "Yes. You can leave at any time."
    );

    // Answer visitor 2 with a French resource, edited before sending.
    shift.alt('2');
    shift.ctrl('r');
    let target = shift.app.shift.current_target();
    let first = shift.app.shift.offered_resources(target)[0].clone();
    assert_eq!(first.lang, "fr", "the visitor's language first");
    shift.press(KeyCode::Enter);
    shift.keys(" Bon courage.");
    let expected = format!("{} Bon courage.", first.text);
    let line = shift.app.shift.conversation(&s2).unwrap().lines.len();
    assert_eq!(
        shift.press(KeyCode::Enter),
        vec![Command::Send {
            session: s2,
            text: expected.clone(),
            line
        }]
    );
    shift.press(KeyCode::Esc);
    assert_eq!(next_text_visitor(&mut v2).await, expected);

    // The visitors' devices acknowledged: both replies are marked delivered.
    let delivered = |a: &ShiftCore, s| {
        a.conversation(&s).is_some_and(|c| {
            c.lines
                .iter()
                .any(|l| l.mark == Mark::Delivered && l.seq.is_some())
        })
    };
    shift
        .until("delivered marks", |a| delivered(a, s1) && delivered(a, s2))
        .await;

    // Transfer visitor 1 to Bastien, chosen from the roster, with a note written in the
    // note's own box (Enter there hands over; it never messages the visitor).
    shift.alt('1');
    shift.ctrl('x');
    assert!(
        shift.press(KeyCode::Enter).is_empty(),
        "the note comes first"
    );
    shift.keys("Prefers short messages");
    assert_eq!(
        shift.press(KeyCode::Enter),
        vec![Command::Transfer {
            session: s1,
            to: 221,
            note: Some("Prefers short messages".into()),
        }]
    );
    // The visitor is asked first (this one accepts) and is told the hand-over goes ahead.
    let (_, transferring) = tokio::join!(
        shift.until("the transfer", |a| a.conversation(&s1).is_none()),
        v1.wait_for(|e| matches!(e, VisitorEvent::Peer(PeerEvent::Transferring)))
    );
    transferring.unwrap();
    assert!(
        matches!(&shift.app.shift.status, Notice::HandedOver { to, .. } if to == "Bastien"),
        "{:?}",
        shift.app.shift.status
    );
    // The visitor rekeys and the colleague answers the new handshake, concurrently.
    let (claimed, alias) = tokio::join!(
        colleague.wait_for(|e| matches!(e, CoordinatorEvent::Claimed { .. })),
        connected_to(&mut v1)
    );
    match claimed.unwrap() {
        CoordinatorEvent::Claimed {
            session,
            transferred_from,
            note,
            ..
        } => {
            assert_eq!(session, s1);
            assert_eq!(transferred_from.as_deref(), Some("Dev coordinator"));
            assert_eq!(
                note,
                Some(HandoverNote::Text("Prefers short messages".into())),
                "the colleague reads the note"
            );
        }
        _ => unreachable!(),
    }
    assert_eq!(alias, "Bastien", "the visitor sees the new verified alias");
    v1.send_text("hello Bastien").await.unwrap();
    assert_eq!(
        next_text_coordinator(&mut colleague).await,
        (s1, "hello Bastien".into())
    );

    // A tip arrives while on duty: open it, answer to the receipt, mark it handled.
    let tipster = Tipster::new(&relay.addr.to_string());
    let text = "Workers locked in at night behind the bakery";
    let (_, filed) = file_first_tip(&relay, &tipster, text, Some("labour")).await;
    let inbox_public = relay.relay.keys.inbox.body().x25519_public;
    shift.until("the tip", |a| a.tips.len() == 1).await;
    shift.ctrl('t');
    shift.press(KeyCode::Enter);
    shift
        .until("the opened tip", |a| a.opened_tip.is_some())
        .await;
    let opened = shift.app.shift.opened_tip.as_ref().unwrap();
    assert_eq!(opened.text, "Workers locked in at night behind the bakery");
    assert_eq!(opened.category.as_deref(), Some("labour"));
    // Typing writes the reply to the opened tip.
    shift.keys("Thank you. We are on it.");
    let commands = shift.press(KeyCode::Enter);
    assert!(matches!(commands.as_slice(), [Command::ReplyTip { .. }]));
    shift
        .until("the reply count", |a| {
            a.tips.first().is_some_and(|t| t.replies == 1)
        })
        .await;
    let replies = tipster.replies(filed.keys.lookup_id).await.unwrap();
    assert_eq!(replies.len(), 1);
    let again = ReceiptCode::parse(&filed.code.display())
        .unwrap()
        .derive(&org);
    assert_eq!(
        sealed_tip::open_reply(&org, &inbox_public, &again.tipster_key, &replies[0])
            .unwrap()
            .text,
        "Thank you. We are on it.",
        "the reply reaches the tipster's receipt"
    );
    shift.ctrl('w');
    shift.press(KeyCode::Char('y'));
    shift.until("the tip handled", |a| a.tips.is_empty()).await;

    // Back to chats: end visitor 2's conversation; the visitor is told.
    shift.ctrl('t');
    shift.alt('1');
    assert_eq!(shift.app.shift.current().unwrap().session, s2);
    shift.ctrl('w');
    assert_eq!(shift.press(KeyCode::Char('y')), vec![Command::End(s2)]);
    v2.wait_for(|e| matches!(e, VisitorEvent::CoordinatorClosed))
        .await
        .unwrap();
    v2.wait_for(|e| matches!(e, VisitorEvent::Peer(PeerEvent::Ended)))
        .await
        .unwrap();
    relay.until_erased(&s2).await;
    assert!(shift.app.shift.conversations.is_empty());

    // Off duty: the colleague's roster no longer lists this console.
    let commands = shift.ctrl('d');
    assert!(matches!(commands[0], Command::Duty { on: false, .. }));
    colleague
        .wait_for(
            |e| matches!(e, CoordinatorEvent::Roster(r) if !r.iter().any(|c| c.serial == 100)),
        )
        .await
        .unwrap();
    assert!(!shift.app.shift.on_duty);

    // Quit: nothing held, so only the connection closes.
    shift.ctrl('q');
    assert_eq!(shift.press(KeyCode::Char('y')), vec![Command::Quit]);
    assert!(shift.app.shift.quit);
    shift.net.finish(Duration::from_secs(5)).await;
    // The relay sees the console gone: the colleague is alone on duty.
    colleague.duty(true, 2, &["en"]).await.unwrap();
    colleague
        .wait_for(
            |e| matches!(e, CoordinatorEvent::Roster(r) if r.len() == 1 && r[0].serial == 221),
        )
        .await
        .unwrap();
}

#[tokio::test]
async fn the_console_refuses_a_relay_of_another_organisation() {
    let relay = TestRelay::start().await;
    let other = TestRelay::start().await;
    // Keys certified by `relay`'s organisation, pointed at `other`.
    let files = CoordinatorFiles::load(&relay.paths().dev_coordinator()).unwrap();
    match net::login(&relay_url(&other), files, None, &TlsTrust::default()).await {
        Err(LoginError::Certificate(_)) => {}
        Err(e) => panic!("wrong error: {e}"),
        Ok(_) => panic!("logged in to a foreign relay"),
    }
    // A pinned organisation key must match what the relay publishes.
    let files = CoordinatorFiles::load(&relay.paths().dev_coordinator()).unwrap();
    match net::login(
        &relay_url(&relay),
        files,
        Some(other.relay.keys.organisation),
        &TlsTrust::default(),
    )
    .await
    {
        Err(LoginError::OrganisationMismatch) => {}
        Err(e) => panic!("wrong error: {e}"),
        Ok(_) => panic!("logged in despite a different pinned key"),
    }
}

/// Logs in with the development keys, the console's clock standing at `unix_s`.
async fn login_at_time(relay: &TestRelay, unix_s: u64) -> Result<net::Login, LoginError> {
    let files = CoordinatorFiles::load(&relay.paths().dev_coordinator()).unwrap();
    let clock = Clock::manual(unix_s);
    net::login_at(&relay_url(relay), files, None, &TlsTrust::default(), &clock).await
}

#[tokio::test]
async fn the_console_refuses_to_sign_in_once_its_certificate_has_expired_on_its_clock() {
    let relay = TestRelay::start().await;
    let files = CoordinatorFiles::load(&relay.paths().dev_coordinator()).unwrap();
    let not_after = files.certificate.body().not_after;
    // The console's own clock decides, before it signs anything: a second before expiry it
    // signs in, at expiry it refuses, though the relay's clock has not moved.
    login_at_time(&relay, not_after - 1)
        .await
        .expect("a valid certificate signs in");
    match login_at_time(&relay, not_after).await {
        Err(LoginError::Certificate(CertificateError::Expired)) => {}
        Err(e) => panic!("wrong error: {e}"),
        Ok(_) => panic!("signed in with an expired certificate"),
    }
}

#[tokio::test]
async fn a_console_that_quits_returns_its_visitors_to_the_queue() {
    let relay = TestRelay::start().await;
    let mut shift = start_console(&relay).await;
    shift.ctrl('d');
    let mut v = visitor(&relay, "en").await;
    shift.until("the visitor", |a| a.queue.len() == 1).await;
    shift.press(KeyCode::Enter);
    shift
        .until("the claim", |a| a.conversations.len() == 1)
        .await;
    connected_to(&mut v).await;
    shift.ctrl('q');
    let commands = shift.press(KeyCode::Char('y'));
    assert!(matches!(commands[0], Command::Duty { on: false, .. }));
    assert_eq!(commands[1], Command::Quit);
    shift.net.finish(Duration::from_secs(5)).await;
    v.wait_for(|e| matches!(e, VisitorEvent::Peer(PeerEvent::Left)))
        .await
        .unwrap();
    v.wait_for(|e| matches!(e, VisitorEvent::Queue { position: 1, .. }))
        .await
        .unwrap();
}

#[tokio::test]
async fn the_binary_in_a_terminal_goes_on_duty_answers_a_visitor_and_quits() {
    let relay = TestRelay::start().await;
    let mut colleague = relay.on_duty(221, "Bastien", 2).await;
    // A tip is waiting before the shift starts.
    let tipster = Tipster::new(&relay.addr.to_string());
    file_first_tip(&relay, &tipster, "Someone is kept in a van", None).await;
    let mut console = TerminalConsole::start(&relay);
    // The idle lock's passphrase is asked twice; a typo is caught and asked again.
    console.until_shown("Choose a passphrase").await;
    console.answer("Type it again", "terminal passphrase").await;
    console
        .answer("The two passphrases differ", "terminal passphrasx")
        .await;
    console.lock_passphrase("terminal passphrase").await;
    console.until_shown("Off duty. Ctrl-D goes on duty").await;
    // Off duty, the header counts it already: the tips are asked for at sign-in. (The
    // replayed screen keeps stale cells where ratatui moved over blanks: the count is the
    // character after "tips" and its blank.)
    let counted = |rows: Vec<String>| {
        rows.first()
            .and_then(|header| header.split("tips").nth(1).and_then(|r| r.chars().nth(1)))
            == Some('1')
    };
    let deadline = Instant::now() + WAIT;
    while !counted(console.screen().rows()) {
        assert!(
            Instant::now() < deadline,
            "no tips count of 1 off duty:\n{}",
            console.screen().rows().join("\n")
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    console.type_keys("\x04").await;
    colleague
        .wait_for(|e| matches!(e, CoordinatorEvent::Roster(r) if r.iter().any(|c| c.serial == 100)))
        .await
        .unwrap();
    let mut v = visitor(&relay, "en").await;
    let session = v.session;
    colleague
        .wait_for(
            |e| matches!(e, CoordinatorEvent::Queue(q) if q.iter().any(|i| i.session == session)),
        )
        .await
        .unwrap();
    // The queue row is drawn (ratatui redraws only what changed, so match a whole run).
    console.until_shown("chat  en").await;
    console.type_keys("\x0e").await;
    assert_eq!(connected_to(&mut v).await, "Dev coordinator");

    // Typing writes to the visitor just answered; Enter sends.
    console.type_keys("hello from the terminal\r").await;
    assert_eq!(next_text_visitor(&mut v).await, "hello from the terminal");

    // A placeholder in the resources file's syntax is refused until filled in: Ctrl-W
    // takes it back, and only the filled-in text reaches the visitor.
    console.type_keys("Call <number>\r").await;
    console
        .until_on_screen("Not sent: replace <number> with the real detail first.")
        .await;
    console.type_keys("\x17115\r").await;
    assert_eq!(next_text_visitor(&mut v).await, "Call 115");

    // Ctrl-C asks, y quits: off duty, the connection closed, the visitor requeued.
    console.type_keys("\x03y").await;
    assert!(console.exit_status().await.success());
    v.wait_for(|e| matches!(e, VisitorEvent::Peer(PeerEvent::Left)))
        .await
        .unwrap();
}

#[tokio::test]
async fn the_binary_reconnects_by_itself_back_on_duty_keeping_transcripts_on_screen() {
    let relay = TestRelay::start().await;
    let mut console = TerminalConsole::start_sized(&relay, 80, 24);
    console.sign_in_on_duty().await;
    let mut v = visitor(&relay, "en").await;
    console.until_on_screen("chat  en").await;
    console.type_keys("\x0e").await;
    assert_eq!(connected_to(&mut v).await, "Dev coordinator");
    v.send_text("are you still there?").await.unwrap();
    console
        .until_on_screen("Visitor: are you still there?")
        .await;

    // The relay goes away: the console says so in a line that fits 80 columns, keeps the
    // transcript, and refuses duty while nobody can hear it.
    let mut relay = relay;
    let (addr, data_dir, redis) = (relay.addr, relay.data_dir.clone(), relay.redis.take());
    let _dir = relay.stop().await;
    console
        .until_on_screen("Offline. Reconnecting… your visitors wait safely.")
        .await;
    console.until_on_screen("OFFLINE").await;
    console.type_keys("\x04").await;
    console
        .until_on_screen("Offline: duty waits until the console is reconnected.")
        .await;
    console
        .until_on_screen("Connection lost: reconnecting…")
        .await;
    assert!(console.screen().shows("Visitor: are you still there?"));
    assert!(
        console.screen().shows("Visitor 1 en reconnecting"),
        "{}",
        console.screen().rows().join("\n")
    );
    // A reply typed now is not shown as sent: it stays in its box, and the line says why.
    console.type_keys("are you safe?\r").await;
    console
        .until_on_screen("Offline: nothing was sent; what you wrote is kept.")
        .await;
    let screen = console.screen();
    assert!(
        screen.shows("are you safe?"),
        "{}",
        screen.rows().join("\n")
    );
    assert!(
        !screen.shows("You: are you safe?"),
        "{}",
        screen.rows().join("\n")
    );
    console.type_keys("\x1b").await;

    // The relay is back on the same address: signed in and on duty again by itself.
    let url = redis.as_ref().map(|r| r.url.clone());
    let mut relay = TestRelay::start_at(data_dir, &addr.to_string(), |c| {
        if let Some(url) = url {
            c.store.kind = lifeline::config::StoreKind::Redis;
            c.store.redis_url = url;
        }
    })
    .await;
    relay.redis = redis;
    console.until_on_screen("Reconnected; back on duty.").await;
    let mut colleague = relay.on_duty(221, "Bastien", 2).await;
    colleague
        .wait_for(|e| matches!(e, CoordinatorEvent::Roster(r) if r.iter().any(|c| c.serial == 100)))
        .await
        .unwrap();
    assert!(
        console.screen().shows("Visitor: are you still there?"),
        "the transcript stays until dismissed"
    );
    // The loop is live: a new visitor is listed and answered from the keyboard.
    let mut second = visitor(&relay, "fr").await;
    console.until_on_screen("chat  fr").await;
    console.type_keys("\x0e").await;
    assert_eq!(connected_to(&mut second).await, "Dev coordinator");
}

/// Tips as a team from the console (issue 17): a colleague on duty is in the roster the
/// Ctrl-O panel draws; their tip shows held by them; Ctrl-K and y take it over, and they
/// are told by the relay.
#[tokio::test]
async fn the_console_sees_a_colleague_on_duty_and_takes_over_their_tip() {
    let relay = TestRelay::start().await;
    let tipster = Tipster::new(&relay.addr.to_string());
    file_first_tip(&relay, &tipster, "A minibus takes them at five", None).await;
    let mut bastien = relay.on_duty(902, "Bastien M", 1).await;
    let id = listed_tips(&mut bastien).await[0].id;
    bastien.take_tip(id, false).await.unwrap();

    let mut shift = start_console(&relay).await;
    shift.ctrl('d');
    shift
        .until("Bastien on duty, holding the tip", |a| {
            a.roster.iter().any(|c| c.alias == "Bastien M")
                && a.tips
                    .first()
                    .is_some_and(|t| t.held_by.as_deref() == Some("Bastien M"))
        })
        .await;
    assert!(shift.ctrl('o').is_empty(), "the panel only shows");
    shift.press(KeyCode::Esc);
    shift.ctrl('t');
    assert!(shift.ctrl('k').is_empty(), "a colleague's tip: asked first");
    shift.keys("y");
    let me = shift.app.shift.me.alias.clone();
    match bastien
        .wait_for(|e| matches!(e, CoordinatorEvent::TipTaken { .. }))
        .await
        .unwrap()
    {
        CoordinatorEvent::TipTaken { by, .. } => assert_eq!(by, me),
        _ => unreachable!(),
    }
    shift
        .until("the tip held here", |a| {
            a.tips
                .first()
                .is_some_and(|t| t.held_by.as_deref() == Some(me.as_str()))
        })
        .await;
}
