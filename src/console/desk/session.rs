//! The desk's loop: one task owns the shift, as the terminal loop does. Before the shift
//! starts it holds the locked keys and waits for the page to send the passphrase; then it
//! feeds the page's messages, the relay's events and a one-second tick into the shift core
//! and sends the page a fresh snapshot whenever it changed.
//!
//! It must never send anything of the shift to a locked page, and a newly connected page
//! (a reload, a second tab) finds the shift locked: the page that was unlocked is gone.

use std::time::{Duration, Instant};

use tokio::sync::{mpsc, oneshot};
use zeroize::Zeroizing;

use super::api::PageMessage;
use super::start_error::StartError;
use super::throttle::Throttle;
use super::view::{Ended, Locked, Starting, State, ToPage};
use crate::console::ConsoleError;
use crate::console::identity::IdentityError;
use crate::console::runner::{self, Options, Ready, Started};
use crate::console::shift::{Action, Input, NetEvent, Notice, Reason, Shift};
use crate::keyfile;

/// One connected page: what to send it, and what it sent.
pub struct Page {
    /// JSON text messages to the page.
    pub outgoing: mpsc::UnboundedSender<String>,
    /// JSON text messages from the page.
    pub incoming: mpsc::UnboundedReceiver<String>,
    /// Resolves once the socket's task ended, having written what it was sent.
    pub gone: oneshot::Receiver<()>,
}

/// The page now connected, if any, and what the last snapshot it was sent is compared by.
#[derive(Default)]
struct Link {
    page: Option<Page>,
    last: String,
    /// A fixed instant the shift's durations are taken at for [`Link::show_as`]'s key.
    epoch: Option<Instant>,
}

impl Link {
    /// Replaces the page; the one before is dropped, which closes its socket.
    fn attach(&mut self, page: Page) {
        self.page = Some(page);
        self.last.clear();
    }

    /// Sends `message` unless it is what the page was last sent.
    fn show(&mut self, message: &ToPage<'_>) {
        let Ok(text) = serde_json::to_string(message) else {
            return;
        };
        if text != self.last {
            self.send_text(&text);
            self.last = text;
        }
    }

    /// Sends `message` unless `key` is what the last one sent was compared by.
    fn show_as(&mut self, message: &ToPage<'_>, key: String) {
        if key == self.last {
            return;
        }
        if let Ok(text) = serde_json::to_string(message) {
            self.send_text(&text);
            self.last = key;
        }
    }

    /// Lets the page go after its last message, waiting (a second at most) until its socket
    /// carried it: the process stops right after, and the page must see the shift is over.
    async fn let_go(&mut self) {
        if let Some(page) = self.page.take() {
            let Page {
                outgoing,
                incoming,
                gone,
            } = page;
            // Its socket writes what is queued, closes, and ends.
            drop((outgoing, incoming));
            let _ = tokio::time::timeout(Duration::from_secs(1), gone).await;
        }
    }

    fn send_text(&mut self, text: &str) {
        if let Some(page) = &self.page
            && page.outgoing.send(text.to_owned()).is_err()
        {
            self.page = None;
        }
    }

    /// The next message from the page, or a new page; pending while there is none.
    async fn next(&mut self, pages: &mut mpsc::UnboundedReceiver<Page>) -> Option<Heard> {
        let from_page = async {
            match &mut self.page {
                Some(page) => page.incoming.recv().await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            page = pages.recv() => page.map(Heard::Page),
            text = from_page => Some(match text {
                Some(text) => Heard::Text(Zeroizing::new(text)),
                None => Heard::Gone,
            }),
        }
    }
}

/// What the page side brought.
enum Heard {
    /// A page connected.
    Page(Page),
    /// The page sent this (may hold a passphrase: wiped when dropped).
    Text(Zeroizing<String>),
    /// The page went away.
    Gone,
}

/// Runs the desk until the shift ends or the server stops.
pub async fn run(
    opts: Options,
    mut pages: mpsc::UnboundedReceiver<Page>,
) -> Result<(), ConsoleError> {
    let mut link = Link::default();
    let Some(started) = start(&opts, &mut link, &mut pages).await? else {
        return Ok(());
    };
    shift_loop(&opts, started, link, pages).await
}

/// How the keys are opened: the identity's passphrase, or a lock passphrase chosen for
/// development keys.
fn keys_kind(opts: &Options) -> &'static str {
    if opts.dev_keys.is_some() {
        "development"
    } else {
        "identity"
    }
}

/// Waits for the passphrase and starts the shift; `None` if the server stopped first.
async fn start(
    opts: &Options,
    link: &mut Link,
    pages: &mut mpsc::UnboundedReceiver<Page>,
) -> Result<Option<Started>, ConsoleError> {
    let inbox_sealed = opts
        .inbox_key
        .as_deref()
        .is_some_and(keyfile::is_sealed_key);
    let mut throttle = Throttle::default();
    let mut error: Option<StartError> = None;
    loop {
        let retry_in = throttle.wait(opts.clock.instant());
        link.show(&ToPage::Starting(Starting {
            keys: keys_kind(opts),
            inbox_sealed,
            error: error.clone(),
            retry_in,
        }));
        let text = match link.next(pages).await {
            None => return Ok(None),
            Some(Heard::Page(page)) => {
                link.attach(page);
                continue;
            }
            Some(Heard::Gone) => {
                link.page = None;
                continue;
            }
            Some(Heard::Text(text)) => text,
        };
        let Some(PageMessage::Unlock {
            passphrase,
            inbox_passphrase,
        }) = PageMessage::parse(&text)
        else {
            continue;
        };
        let passphrase = Zeroizing::new(passphrase);
        let inbox_passphrase = inbox_passphrase.map(Zeroizing::new);
        if throttle.wait(opts.clock.instant()) > 0 {
            continue;
        }
        // Argon2id at 64 MiB takes a while: off the async threads.
        let unlocked = {
            let opts = opts.clone();
            tokio::task::spawn_blocking(move || open_keys(&opts, &passphrase, inbox_passphrase))
                .await
                .map_err(|e| ConsoleError::Setup(e.to_string()))?
        };
        let (ready, inbox) = match unlocked {
            Ok(opened) => opened,
            Err(Refused::Wrong(code)) => {
                throttle.failed(opts.clock.instant());
                error = Some(StartError::Code(code));
                continue;
            }
            Err(Refused::Other(reason)) => {
                error = Some(reason);
                continue;
            }
        };
        throttle.succeeded();
        match runner::start_unlocked(opts, ready, inbox).await {
            Ok(started) => {
                // The page that unlocked is the one shown the shift.
                return Ok(Some(started));
            }
            Err(e) => error = Some(StartError::of(&e)),
        }
    }
}

/// Why the keys did not open.
enum Refused {
    /// A passphrase was wrong (counts against the throttle): `wrong_passphrase`, or
    /// `inbox_key_does_not_open` for the sealed inbox key's.
    Wrong(&'static str),
    /// Anything else, in the page's words.
    Other(StartError),
}

type Opened = (Ready, Option<crate::crypto::keys::DhSecret>);

fn open_keys(
    opts: &Options,
    passphrase: &str,
    inbox_passphrase: Option<Zeroizing<String>>,
) -> Result<Opened, Refused> {
    let other = |e: ConsoleError| Refused::Other(StartError::of(&e));
    if passphrase.is_empty() {
        return Err(Refused::Other(StartError::Code("empty_passphrase")));
    }
    let ready = match &opts.dev_keys {
        Some(dir) => Ready::development(dir, passphrase).map_err(other)?,
        None => {
            let path = opts
                .identity
                .clone()
                .unwrap_or_else(runner::default_identity_path);
            match Ready::identity(&path, passphrase, opts.clock.unix_s()) {
                Ok(Some(ready)) => ready,
                Ok(None) => return Err(Refused::Other(StartError::Code("not_enrolled"))),
                Err(ConsoleError::Identity(IdentityError::Decrypt)) => {
                    return Err(Refused::Wrong("wrong_passphrase"));
                }
                Err(e) => return Err(other(e)),
            }
        }
    };
    let inbox = match &opts.inbox_key {
        Some(path) if keyfile::is_sealed_key(path) => {
            let inbox_passphrase = inbox_passphrase
                .as_deref()
                .map_or(passphrase, |p| p.as_str());
            Some(
                keyfile::read_dh_secret_with(path, Some(inbox_passphrase))
                    .map_err(|_| Refused::Wrong("inbox_key_does_not_open"))?,
            )
        }
        Some(path) => Some(keyfile::read_dh_secret(path).map_err(|e| other(e.into()))?),
        None => None,
    };
    Ok((ready, inbox))
}

/// The shift itself, until it ends.
async fn shift_loop(
    opts: &Options,
    started: Started,
    mut link: Link,
    mut pages: mpsc::UnboundedReceiver<Page>,
) -> Result<(), ConsoleError> {
    let Started {
        mut shift,
        mut net,
        mut renewals,
    } = started;
    let clock = &opts.clock;
    let mut throttle = Throttle::default();
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    let mut net_open = true;
    let ended = loop {
        // The certificate's expiry warning counts on the wall time, as in the terminal; so
        // do the granted inbox keys' ends.
        shift.wall_clock(clock.unix_s());
        // Each time: keys granted meanwhile arrive at an unlock, and ended ones leave.
        // Granted keys count as much as a development `--inbox-key`.
        let inbox = shift.opens_tips();
        show(&mut link, &mut shift, inbox, &throttle, clock);
        // Each arm reads the time when it runs, not when the wait began (up to a tick ago):
        // the passphrase throttle and the idle lock count from the moment a thing happened.
        let input = tokio::select! {
            heard = link.next(&mut pages) => match heard {
                None => break Ok(()),
                Some(Heard::Page(page)) => {
                    // A reload or another tab: whoever is there now types the passphrase.
                    link.attach(page);
                    shift.lock_now(clock.instant());
                    continue;
                }
                Some(Heard::Gone) => {
                    // A closed tab leaves nobody watching the shift: locked now, so it goes
                    // off duty after `--off-duty-after` rather than the idle time and that.
                    // (A reload locks anyway; the time locked runs on from the first lock.)
                    link.page = None;
                    shift.lock_now(clock.instant());
                    continue;
                }
                Some(Heard::Text(text)) => match PageMessage::parse(&text) {
                    Some(PageMessage::Touch {}) => {
                        if !shift.is_locked() {
                            shift.touch(clock.instant());
                        }
                        continue;
                    }
                    Some(message) => match message.into_action() {
                        Some(Action::Unlock(_)) if throttle.wait(clock.instant()) > 0 => continue,
                        Some(action) => Input::Act(action),
                        None => continue,
                    },
                    None => continue,
                },
            },
            event = net.events.recv(), if net_open => match event {
                Some(e) => Input::Net(e),
                None => {
                    net_open = false;
                    shift.handle(
                        Input::Net(NetEvent::Disconnected(String::new())),
                        clock.instant(),
                    );
                    shift.status = Notice::NotDone {
                        reason: Reason::GoneForGood,
                    };
                    continue;
                }
            },
            _ = tick.tick() => {
                renewals.tick(&mut shift, clock.instant());
                Input::Tick
            }
        };
        let now = clock.instant();
        let unlocking = matches!(input, Input::Act(Action::Unlock(_)));
        let commands = shift.handle(input, now);
        if unlocking {
            match shift.is_locked() {
                true => throttle.failed(now),
                false => throttle.succeeded(),
            }
        }
        net.send(renewals.resolve(&mut shift, commands));
        if shift.quit {
            let elsewhere = shift.status == Notice::SignedInElsewhere;
            link.show(&ToPage::Ended(Ended {
                why: elsewhere.then_some("signed_in_elsewhere"),
            }));
            link.let_go().await;
            break match elsewhere {
                true => Err(ConsoleError::SignedInElsewhere),
                false => Ok(()),
            };
        }
    };
    net.finish(Duration::from_secs(2)).await;
    ended
}

/// Sends the page what it may see now, and a bell if one is due.
fn show(
    link: &mut Link,
    shift: &mut Shift,
    inbox: bool,
    throttle: &Throttle,
    clock: &crate::clock::Clock,
) {
    let now = clock.instant();
    // A new visitor rings even at the lock: the bell carries nothing of the shift.
    if shift.take_bell()
        && let Ok(bell) = serde_json::to_string(&ToPage::Bell)
    {
        link.send_text(&bell);
    }
    if shift.is_locked() {
        link.show(&ToPage::Locked(Locked {
            failed: shift.unlock_failed(),
            retry_in: throttle.wait(now),
        }));
        return;
    }
    // The durations shown (open for, waited) count on in the page between snapshots, so a
    // snapshot goes when something else changed, not every second: the page redrew every
    // second, which took away the coordinator's selection in a transcript (a number being
    // copied) and sent every transcript again each time. Compared with its durations taken
    // at a fixed instant, a snapshot differs only when something other than time did.
    let epoch = *link.epoch.get_or_insert(now);
    let key = serde_json::to_string(&ToPage::State(Box::new(State::of(shift, inbox, epoch))))
        .unwrap_or_default();
    link.show_as(&ToPage::State(Box::new(State::of(shift, inbox, now))), key);
}
