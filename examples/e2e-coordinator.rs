//! A coordinator driven by lines on stdin, for the web widget's end-to-end tests
//! (`web-widget/test/e2e.test.mjs`): real crypto on the coordinator's side, against a real
//! `lifeline serve`.
//!
//! Run: `cargo run --example e2e-coordinator -- <ws://127.0.0.1:PORT/v1/coordinator> <keys dir>`
//! where `<keys dir>` is the relay's `<data_dir>/keys` (its `dev-coordinator/` folder and
//! `inbox.key` are used).
//!
//! Output is JSON, one object per line. First, unasked, the sign-in: `{"ok":"authed",
//! "alias":…}`, or `{"error":…}` and exit status 1 if it failed; wait for it before the first
//! command. Then each command line gets exactly one line back (`{"ok":…}` or `{"error":…}`),
//! except `quit`, which gets none:
//!
//! | command | does |
//! |---|---|
//! | `duty` | goes on duty (capacity 4) |
//! | `wait_claim` | waits for a queued visitor, claims it, answers the handshake |
//! | `send <text>` | sends a chat message to the claimed visitor |
//! | `expect <text>` | waits (≤ 20 s) until the visitor's `<text>` has arrived |
//! | `texts` | every visitor text received so far, in order (duplicates would show) |
//! | `end` | authenticated close, then ends the conversation |
//! | `cut` | drops the connection as a failing network would (no close frame) |
//! | `release_off` | gives the conversation back to the line, then goes off duty |
//! | `reconnect` | signs in again and resumes the conversation under the same keys (§9.6) |
//! | `reply_tip <text>` | opens the newest tip, returns its text, category and whether the relay sealed it, seals `<text>` as a reply |
//! | `followups` | opens that tip again and returns its follow-ups' texts |
//! | `tip_count` | how many tips the relay lists (`count`), and their follow-ups in all (`followups`) |
//! | `colleague` | signs a second coordinator ("Bastien", serial 4242) in, on duty |
//! | `transfer [note]` | proposes handing the visitor to Bastien, with a sealed note; waits for `waiting` |
//! | `transfer_status` | waits for the visitor's answer: `accepted`, `declined` or `expired` |
//! | `colleague_claimed` | Bastien waits for the hand-over; returns `from`, `lang` and `note` |
//! | `close_tip` | marks that tip handled |
//! | `issue <dir>` | writes a key set for a colleague on the terminal ("Bastien", serial 4343), signed by the organisation key, for `lifeline console --dev-keys <dir>` |
//! | `quit` | exits |

use std::path::PathBuf;
use std::time::Duration;

use lifeline::client::ClientError;
use lifeline::client::coordinator::{CoordinatorClient, CoordinatorEvent};
use lifeline::client::handover::HandoverNote;
use lifeline::clock::Clock;
use lifeline::crypto::keys::{DhPublicKey, Fingerprint};
use lifeline::crypto::sealed_tip::{self, TipMessage};
use lifeline::keyfile::{CoordinatorFiles, read_dh_secret, read_signing_key};
use lifeline::protocol::frames::TipSummary;
use lifeline::protocol::{SessionId, TipId};
use serde_json::json;
use tokio::io::{AsyncBufReadExt, BufReader};

/// The second coordinator's certificate serial.
const COLLEAGUE: u64 = 4242;
/// The serial of the key set `issue` writes for a real console (not `COLLEAGUE`: both may
/// be signed in at once).
const TERMINAL_COLLEAGUE: u64 = 4343;

struct Driver {
    client: CoordinatorClient,
    url: String,
    colleague: Option<CoordinatorClient>,
    org: Fingerprint,
    keys: PathBuf,
    session: Option<SessionId>,
    texts: Vec<String>,
    tip: Option<TipId>,
    tipster: Option<DhPublicKey>,
}

impl Driver {
    /// Reads one event with a deadline, remembering visitor texts on the way.
    async fn event(&mut self, timeout: Duration) -> Result<CoordinatorEvent, ClientError> {
        self.client.wire().set_timeout(timeout);
        let event = self.client.next_event().await?;
        if let CoordinatorEvent::Text { text, .. } = &event {
            self.texts.push(text.clone());
        }
        Ok(event)
    }

    /// The claimed conversation, no longer this coordinator's to act on after this command.
    fn take_session(&mut self) -> Result<SessionId, ClientError> {
        self.session
            .take()
            .ok_or(ClientError::Protocol("no session".into()))
    }

    /// The tips the relay lists now.
    async fn tips(&mut self) -> Result<Vec<TipSummary>, ClientError> {
        self.client.list_tips().await?;
        match self
            .until(|e| matches!(e, CoordinatorEvent::Tips(_)))
            .await?
        {
            CoordinatorEvent::Tips(items) => Ok(items),
            _ => unreachable!(),
        }
    }

    async fn until(
        &mut self,
        want: impl Fn(&CoordinatorEvent) -> bool,
    ) -> Result<CoordinatorEvent, ClientError> {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
        loop {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            if left.is_zero() {
                return Err(ClientError::Timeout);
            }
            let event = self.event(left).await?;
            if want(&event) {
                return Ok(event);
            }
        }
    }

    async fn run(&mut self, line: &str) -> Result<serde_json::Value, ClientError> {
        let (command, arg) = line.split_once(' ').unwrap_or((line, ""));
        let _ = self
            .client
            .wire()
            .send(lifeline::protocol::CoordinatorFrame::Ping {})
            .await;
        match command {
            "duty" => {
                self.client.duty(true, 4, &[]).await?;
                Ok(json!({"ok": "duty"}))
            }
            "wait_claim" => {
                let event = self
                    .until(|e| matches!(e, CoordinatorEvent::Queue(items) if !items.is_empty()))
                    .await?;
                let CoordinatorEvent::Queue(items) = event else {
                    unreachable!()
                };
                let session = items[0].session;
                let lang = items[0].lang.clone();
                self.client.claim(session).await?;
                self.until(|e| matches!(e, CoordinatorEvent::Claimed { .. }))
                    .await?;
                self.session = Some(session);
                Ok(json!({"ok": "claimed", "lang": lang}))
            }
            "send" => {
                let session = self
                    .session
                    .ok_or(ClientError::Protocol("no session".into()))?;
                let seq = self.client.send_text(session, arg).await?;
                Ok(json!({"ok": "sent", "seq": seq}))
            }
            "expect" => {
                if !self.texts.iter().any(|t| t == arg) {
                    let want = arg.to_owned();
                    self.until(
                        |e| matches!(e, CoordinatorEvent::Text { text, .. } if *text == want),
                    )
                    .await?;
                }
                Ok(json!({"ok": "got", "text": arg}))
            }
            "texts" => {
                // drain what is already waiting, briefly
                while self.event(Duration::from_millis(300)).await.is_ok() {}
                Ok(json!({"ok": "texts", "texts": self.texts}))
            }
            "cut" => {
                self.client.wire().cut().await;
                Ok(json!({"ok": "cut"}))
            }
            "reconnect" => {
                self.client.reconnect(&self.url).await?;
                self.until(|e| matches!(e, CoordinatorEvent::Resumed { .. }))
                    .await?;
                Ok(json!({"ok": "resumed"}))
            }
            "end" => {
                let session = self.take_session()?;
                self.client.end(session).await?;
                Ok(json!({"ok": "ended"}))
            }
            "release_off" => {
                let session = self.take_session()?;
                self.client.release(session).await?;
                self.until(|e| matches!(e, CoordinatorEvent::Released(_)))
                    .await?;
                self.client.duty(false, 4, &[]).await?;
                Ok(json!({"ok": "released"}))
            }
            "reply_tip" => {
                let items = self.tips().await?;
                let newest = items
                    .iter()
                    .max_by_key(|t| t.received)
                    .ok_or(ClientError::Protocol("no tip".into()))?;
                let id = newest.id;
                self.client.open_tip(id).await?;
                let CoordinatorEvent::Tip { sealed, .. } = self
                    .until(|e| matches!(e, CoordinatorEvent::Tip { .. }))
                    .await?
                else {
                    unreachable!()
                };
                let inbox = read_dh_secret(&self.keys.join("inbox.key"))
                    .map_err(|e| ClientError::Protocol(e.to_string()))?;
                let (tip, sealed_by) = sealed_tip::open_tip_marked(&self.org, &inbox, &sealed)
                    .map_err(|e| ClientError::Protocol(e.to_string()))?;
                let by_relay = sealed_by == sealed_tip::SealedBy::Relay;
                let tipster = tip
                    .reply_key
                    .ok_or(ClientError::Protocol("tip without a reply key".into()))?;
                let reply = TipMessage {
                    reply_key: None,
                    category: None,
                    text: arg.to_owned(),
                };
                let sealed = sealed_tip::seal_reply(
                    &self.org,
                    &inbox,
                    &tipster,
                    &reply,
                    &mut rand_core::OsRng,
                )
                .map_err(|e| ClientError::Protocol(e.to_string()))?;
                self.client.reply_tip(id, sealed).await?;
                self.until(|e| matches!(e, CoordinatorEvent::Tips(_)))
                    .await?;
                self.tip = Some(id);
                self.tipster = Some(tipster);
                Ok(
                    json!({"ok": "replied", "text": tip.text, "category": tip.category, "sealed_by_relay": by_relay}),
                )
            }
            "tip_count" => {
                let items = self.tips().await?;
                let followups: u32 = items.iter().map(|t| t.followups).sum();
                Ok(json!({"ok": "tips", "count": items.len(), "followups": followups}))
            }
            "followups" => {
                let (id, tipster) = self
                    .tip
                    .zip(self.tipster)
                    .ok_or(ClientError::Protocol("reply_tip first".into()))?;
                self.client.open_tip(id).await?;
                let CoordinatorEvent::Tip { followups, .. } = self
                    .until(|e| matches!(e, CoordinatorEvent::Tip { .. }))
                    .await?
                else {
                    unreachable!()
                };
                let inbox = read_dh_secret(&self.keys.join("inbox.key"))
                    .map_err(|e| ClientError::Protocol(e.to_string()))?;
                let texts: Vec<String> = followups
                    .iter()
                    .filter_map(|f| sealed_tip::open_followup(&self.org, &inbox, &tipster, f).ok())
                    .map(|m| m.text)
                    .collect();
                Ok(json!({"ok": "followups", "texts": texts}))
            }
            "colleague" => {
                let org_key = read_signing_key(&self.keys.join("organisation.key"))
                    .map_err(|e| ClientError::Protocol(e.to_string()))?;
                let files =
                    CoordinatorFiles::issue(&org_key, COLLEAGUE, "Bastien", 1, &Clock::system())
                        .map_err(|e| ClientError::Protocol(e.to_string()))?;
                let mut colleague = CoordinatorClient::connect(&self.url, self.org, files).await?;
                colleague.duty(true, 4, &[]).await?;
                self.colleague = Some(colleague);
                self.until(|e| matches!(e, CoordinatorEvent::Roster(r) if r.iter().any(|c| c.serial == COLLEAGUE)))
                    .await?;
                Ok(json!({"ok": "colleague"}))
            }
            "transfer" => {
                let session = self
                    .session
                    .ok_or(ClientError::Protocol("no session".into()))?;
                if arg.is_empty() {
                    self.client.transfer(session, COLLEAGUE).await?;
                } else {
                    self.client
                        .transfer_with_note(session, COLLEAGUE, arg)
                        .await?;
                }
                self.until(|e| matches!(e, CoordinatorEvent::TransferStatus { .. }))
                    .await?;
                Ok(json!({"ok": "waiting"}))
            }
            "transfer_status" => {
                let CoordinatorEvent::TransferStatus { status, .. } = self
                    .until(|e| matches!(e, CoordinatorEvent::TransferStatus { .. }))
                    .await?
                else {
                    unreachable!()
                };
                Ok(json!({"ok": "status", "status": status}))
            }
            "colleague_claimed" => {
                let colleague = self
                    .colleague
                    .as_mut()
                    .ok_or(ClientError::Protocol("no colleague".into()))?;
                colleague.wire().set_timeout(Duration::from_secs(20));
                let CoordinatorEvent::Claimed {
                    transferred_from,
                    lang,
                    note,
                    ..
                } = colleague
                    .wait_for(|e| matches!(e, CoordinatorEvent::Claimed { .. }))
                    .await?
                else {
                    unreachable!()
                };
                let note = match note {
                    Some(HandoverNote::Text(text)) => Some(text),
                    Some(HandoverNote::Unreadable) => Some("(unreadable)".into()),
                    None => None,
                };
                Ok(json!({"ok": "claimed", "from": transferred_from, "lang": lang, "note": note}))
            }
            "issue" => {
                let org_key = read_signing_key(&self.keys.join("organisation.key"))
                    .map_err(|e| ClientError::Protocol(e.to_string()))?;
                CoordinatorFiles::issue(
                    &org_key,
                    TERMINAL_COLLEAGUE,
                    "Bastien",
                    30,
                    &Clock::system(),
                )
                .and_then(|files| files.save(std::path::Path::new(arg)))
                .map_err(|e| ClientError::Protocol(e.to_string()))?;
                Ok(json!({"ok": "issued", "serial": TERMINAL_COLLEAGUE}))
            }
            "close_tip" => {
                let id = self
                    .tip
                    .ok_or(ClientError::Protocol("reply_tip first".into()))?;
                self.client.close_tip(id).await?;
                self.until(|e| matches!(e, CoordinatorEvent::Tips(_)))
                    .await?;
                Ok(json!({"ok": "closed"}))
            }
            other => Err(ClientError::Protocol(format!("unknown command {other}"))),
        }
    }
}

/// Reads the keys and signs in with the development coordinator.
async fn sign_in() -> anyhow::Result<(CoordinatorClient, Fingerprint, PathBuf, String)> {
    let mut args = std::env::args().skip(1);
    let url = args
        .next()
        .ok_or_else(|| anyhow::anyhow!("usage: <ws url> <keys dir>"))?;
    let keys = PathBuf::from(
        args.next()
            .ok_or_else(|| anyhow::anyhow!("usage: <ws url> <keys dir>"))?,
    );
    let org = read_signing_key(&keys.join("organisation.key"))?
        .public()
        .fingerprint();
    let files = CoordinatorFiles::load(&keys.join("dev-coordinator"))?;
    let client = CoordinatorClient::connect(&url, org, files).await?;
    Ok((client, org, keys, url))
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> anyhow::Result<()> {
    let (client, org, keys, url) = match sign_in().await {
        Ok(signed_in) => signed_in,
        Err(e) => {
            // The one line the usage text promises, so a driver need not read stderr.
            println!("{}", json!({"error": format!("{e:#}")}));
            std::process::exit(1);
        }
    };
    println!("{}", json!({"ok": "authed", "alias": client.alias}));
    let mut driver = Driver {
        client,
        url,
        colleague: None,
        org,
        keys,
        session: None,
        texts: Vec::new(),
        tip: None,
        tipster: None,
    };
    let mut lines = BufReader::new(tokio::io::stdin()).lines();
    // Pinged between commands too, as the console does: a test that gives it nothing to do
    // for over the relay's 90 s idle timeout must still find it signed in.
    let mut keepalive = tokio::time::interval(Duration::from_secs(30));
    keepalive.tick().await;
    loop {
        let line = tokio::select! {
            line = lines.next_line() => line?,
            _ = keepalive.tick() => {
                let _ = driver
                    .client
                    .wire()
                    .send(lifeline::protocol::CoordinatorFrame::Ping {})
                    .await;
                continue;
            }
        };
        let Some(line) = line else { break };
        let line = line.trim();
        if line == "quit" {
            break;
        }
        let answer = match driver.run(line).await {
            Ok(v) => v,
            Err(e) => json!({"error": e.to_string()}),
        };
        println!("{answer}");
    }
    Ok(())
}
