//! The relay side of the console: logging in (the organisation key the relay's challenge
//! names, checked against our certificate and pinned key, then the signed response), over
//! `wss://`, or `ws://` to this machine or an onion service, and one task that owns the
//! [`CoordinatorClient`], runs the app's [`Command`]s, forwards relay events as
//! [`NetEvent`]s and keeps the connection alive with pings.
//!
//! It must never log or store what passes through it.

use std::time::Duration;

use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use super::shift::{Command, NetEvent, Reason, Undone};
use crate::client::ClientError;
use crate::client::coordinator::CoordinatorClient;
use crate::client::wire::TlsTrust;
use crate::clock::Clock;
use crate::crypto::certificate::Role;
use crate::crypto::keys::OrgPublicKey;
use crate::keyfile::CoordinatorFiles;
use crate::protocol::{CloseCode, CoordinatorFrame, SessionId};

/// Heartbeat: well inside the relay's 90 s idle timeout (`docs/protocol.md` §9.7).
pub const PING_EVERY: Duration = Duration::from_secs(25);

/// Why the console could not sign in to the relay.
#[derive(Debug, thiserror::Error)]
pub enum LoginError {
    #[error(
        "relay address {0:?}: expected wss://host[:port] (or ws:// on loopback or an onion service)"
    )]
    /// The relay address is not a `wss://` or `ws://` host and port.
    Url(String),
    /// A `ws://` relay elsewhere than this machine or an onion service: nothing would
    /// encrypt the connection (who signs in, when, the tips read), so it is never made.
    #[error(
        "relay address {0:?}: ws:// is unencrypted, for a relay on this machine or an onion service only; use wss://"
    )]
    Unencrypted(String),
    /// Our certificate does not verify under the organisation key the relay named.
    #[error("our certificate does not verify under the relay's organisation key: {0}")]
    Certificate(#[from] crate::crypto::CertificateError),
    /// The relay named another organisation key than the one pinned at enrolment.
    #[error("the relay's organisation key is not the one this identity was enrolled with")]
    OrganisationMismatch,
    /// The connection or the challenge-response exchange failed.
    #[error("{0}")]
    Client(#[from] ClientError),
}

/// `wss://host:port[/]` (or `ws://` on loopback or an onion service) →
/// `wss://host:port/v1/coordinator`.
pub fn coordinator_url(relay: &str) -> Result<String, LoginError> {
    let base = relay.trim().trim_end_matches('/');
    let base = base.strip_suffix("/v1/coordinator").unwrap_or(base);
    let (scheme, authority) = base
        .split_once("://")
        .filter(|(scheme, authority)| {
            matches!(*scheme, "wss" | "ws") && !authority.is_empty() && !authority.contains('/')
        })
        .ok_or_else(|| LoginError::Url(relay.to_owned()))?;
    let host = host_of(authority);
    if scheme == "ws" && !is_loopback_host(host) && !host.to_ascii_lowercase().ends_with(".onion") {
        return Err(LoginError::Unencrypted(relay.to_owned()));
    }
    Ok(format!("{base}/v1/coordinator"))
}

/// Whether a relay address (`ws[s]://host[:port][/…]`) names this machine.
pub fn relay_is_loopback(relay: &str) -> bool {
    let rest = relay.trim().split_once("://").map_or("", |(_, rest)| rest);
    is_loopback_host(host_of(rest.split('/').next().unwrap_or_default()))
}

/// The host of `host[:port]`; an IPv6 address without its brackets.
fn host_of(authority: &str) -> &str {
    match authority.strip_prefix('[') {
        Some(v6) => v6.split_once(']').map_or(v6, |(host, _)| host),
        None => authority
            .rsplit_once(':')
            .map_or(authority, |(host, _)| host),
    }
}

fn is_loopback_host(host: &str) -> bool {
    host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// The organisation key the relay names in its challenge. Not trusted by itself: the caller
/// checks our certificate verifies under it, or compares it with a pinned key.
pub async fn relay_organisation(relay: &str, trust: &TlsTrust) -> Result<OrgPublicKey, LoginError> {
    let challenge = CoordinatorClient::challenge(&coordinator_url(relay)?, trust).await?;
    Ok(challenge.organisation)
}

/// A logged-in coordinator connection.
pub struct Login {
    /// The authenticated connection, owned by the net task once spawned.
    pub client: CoordinatorClient,
    /// The organisation key the relay named and our certificate verified under.
    pub organisation: OrgPublicKey,
    /// When our certificate expires, Unix seconds, as the relay's `authed` says.
    pub not_after: u64,
}

/// Logs in to `relay` (`wss://host:port`). With `pinned`, the relay must name exactly that
/// organisation key; in any case our certificate must verify under it before we sign.
pub async fn login(
    relay: &str,
    keys: CoordinatorFiles,
    pinned: Option<OrgPublicKey>,
    trust: &TlsTrust,
) -> Result<Login, LoginError> {
    login_at(relay, keys, pinned, trust, &Clock::system()).await
}

/// [`login`], checking our certificate's validity at `clock`'s time.
pub async fn login_at(
    relay: &str,
    keys: CoordinatorFiles,
    pinned: Option<OrgPublicKey>,
    trust: &TlsTrust,
    clock: &Clock,
) -> Result<Login, LoginError> {
    let challenge = CoordinatorClient::challenge(&coordinator_url(relay)?, trust).await?;
    let organisation = challenge.organisation;
    if pinned.is_some_and(|p| p != organisation) {
        return Err(LoginError::OrganisationMismatch);
    }
    keys.certificate
        .verify(&organisation, clock.unix_s(), None, Role::Coordinator)?;
    let client = CoordinatorClient::authenticate(challenge, keys).await?;
    // What the relay says at sign-in, not what we believe.
    let not_after = client.not_after;
    Ok(Login {
        client,
        organisation,
        not_after,
    })
}

/// [`login_at`], tried again while the relay answers "store unavailable, retry" (4013: it
/// cannot check our certificate, §9.2), with the backoff of a lost connection; `waiting`
/// hears each wait, so the person is told rather than shown an error.
pub async fn login_once_stored(
    relay: &str,
    keys: &CoordinatorFiles,
    pinned: Option<OrgPublicKey>,
    trust: &TlsTrust,
    clock: &Clock,
    mut waiting: impl FnMut(Duration),
) -> Result<Login, LoginError> {
    let mut wait = RECONNECT_FIRST;
    loop {
        match login_at(relay, keys.copy(), pinned, trust, clock).await {
            Err(LoginError::Client(e))
                if e.close_code() == Some(CloseCode::StoreUnavailable.code()) =>
            {
                waiting(wait);
                tokio::time::sleep(wait).await;
                wait = (wait * 2).min(RECONNECT_MAX);
            }
            done => return done,
        }
    }
}

/// The app's handle on the connection task.
pub struct NetHandle {
    commands: mpsc::UnboundedSender<Command>,
    /// What the relay did, for the shift core to apply.
    pub events: mpsc::UnboundedReceiver<NetEvent>,
    task: JoinHandle<()>,
}

/// How to sign in again when the connection is lost: the same relay, trusted the same way,
/// and it must still name the same organisation key.
#[derive(Clone)]
pub struct Reconnect {
    /// The relay address, as given on the command line.
    pub relay: String,
    /// The TLS roots for a `wss://` relay.
    pub trust: TlsTrust,
    /// The organisation key the first sign-in verified; a relay naming another is refused.
    pub organisation: OrgPublicKey,
}

/// Waits between sign-in attempts after a lost connection: 1 s doubling to 30 s.
const RECONNECT_FIRST: Duration = Duration::from_secs(1);
const RECONNECT_MAX: Duration = Duration::from_secs(30);

impl NetHandle {
    /// Starts the task that owns `client`; with `reconnect`, a lost connection is signed in
    /// again by itself (the app is told `Disconnected`, then `Reconnected`).
    pub fn spawn(client: CoordinatorClient, reconnect: Option<Reconnect>) -> Self {
        let (commands, rx) = mpsc::unbounded_channel();
        let (tx, events) = mpsc::unbounded_channel();
        let task = tokio::spawn(run(client, reconnect, rx, tx));
        Self {
            commands,
            events,
            task,
        }
    }

    /// Queues commands for the relay, in order.
    pub fn send(&self, commands: impl IntoIterator<Item = Command>) {
        for command in commands {
            // A closed task already reported `Disconnected`.
            let _ = self.commands.send(command);
        }
    }

    /// Waits (up to `limit`) for the task to finish after a `Quit`.
    pub async fn finish(self, limit: Duration) {
        drop(self.commands);
        let _ = tokio::time::timeout(limit, self.task).await;
    }
}

/// Whether an error leaves the connection usable.
fn survivable(e: &ClientError) -> bool {
    matches!(
        e,
        ClientError::Protocol(_) | ClientError::Handshake(_) | ClientError::Session(_)
    )
}

async fn execute(
    client: &mut CoordinatorClient,
    command: Command,
) -> Result<Option<NetEvent>, ClientError> {
    match command {
        Command::Duty {
            on,
            capacity,
            langs,
        } => {
            let langs: Vec<&str> = langs.iter().map(String::as_str).collect();
            client.duty(on, capacity, &langs).await?;
        }
        Command::Claim(session) => client.claim(session).await?,
        Command::Send {
            session,
            text,
            line,
        } => {
            let seq = client.send_text(session, &text).await?;
            return Ok(Some(NetEvent::Sent { session, line, seq }));
        }
        Command::Transfer {
            session,
            to,
            note: None,
        } => client.transfer(session, to).await?,
        Command::Transfer {
            session,
            to,
            note: Some(note),
        } => client.transfer_with_note(session, to, &note).await?,
        Command::End(session) => client.end(session).await?,
        Command::Release(session) => client.release(session).await?,
        Command::ListTips => client.list_tips().await?,
        Command::OpenTip(id) => client.open_tip(id).await?,
        Command::ReplyTip { id, sealed, copy } => {
            client.reply_tip_with_copy(id, sealed, copy).await?
        }
        Command::CloseTip(id) => client.close_tip(id).await?,
        Command::TakeTip { id, over } => client.take_tip(id, over).await?,
        Command::Renew(certificate) => client.renew(certificate).await?,
        Command::RenewKeys(keys) => client.renew_to(keys.files().copy()).await?,
        // The front end turns it into `Renew`; nothing for the relay.
        Command::UseRenewed(_) => {}
        Command::Quit => {}
    }
    Ok(None)
}

/// Why the connected loop stopped.
enum Stopped {
    Quit,
    Lost,
    /// The relay closed it with 4011: this identity signed in on another console or desk.
    Replaced,
}

async fn run(
    mut client: CoordinatorClient,
    reconnect: Option<Reconnect>,
    mut commands: mpsc::UnboundedReceiver<Command>,
    events: mpsc::UnboundedSender<NetEvent>,
) {
    // Conversations the coordinator ended while the connection was down: the shift erased
    // them, but the client still has their keys and resumes them on sign-in, so they are
    // ended first thing after it (never left held, their visitors' words read by no one).
    let mut ends = Vec::new();
    loop {
        match serve(&mut client, &mut commands, &events, &mut ends).await {
            Stopped::Quit => {
                // A clean sign-out: the relay requeues our visitors now rather than hold them.
                client.sign_out().await;
                return;
            }
            // Never signed in again: the other console would be replaced in turn, and the
            // two would take the identity (and requeue its visitors) from each other for
            // as long as both ran.
            Stopped::Replaced => {
                let _ = events.send(NetEvent::Replaced);
                return;
            }
            Stopped::Lost => {}
        }
        let Some(how) = &reconnect else { return };
        if !sign_in_again(&mut client, how, &mut commands, &events, &mut ends).await {
            return;
        }
        let _ = events.send(NetEvent::Reconnected);
    }
}

/// Tries to sign in again with backoff, and resume every conversation with the keys kept
/// (§9.6), until it works (`true`) or the app quits. Commands given meanwhile fail at once
/// ("offline"), except `Quit`, and `End`, which waits in `ends` for the sign-in.
async fn sign_in_again(
    client: &mut CoordinatorClient,
    how: &Reconnect,
    commands: &mut mpsc::UnboundedReceiver<Command>,
    events: &mpsc::UnboundedSender<NetEvent>,
    ends: &mut Vec<SessionId>,
) -> bool {
    let Ok(url) = coordinator_url(&how.relay) else {
        return false;
    };
    let mut wait = RECONNECT_FIRST;
    loop {
        let sleep = tokio::time::sleep(wait);
        tokio::pin!(sleep);
        loop {
            tokio::select! {
                _ = &mut sleep => break,
                command = commands.recv() => match command {
                    None | Some(Command::Quit) => return false,
                    Some(Command::End(session)) => ends.push(session),
                    Some(command) => {
                        let _ = events.send(not_done(Undone::of(&command), Reason::Offline));
                    }
                },
            }
        }
        wait = (wait * 2).min(RECONNECT_MAX);
        let Ok(challenge) = CoordinatorClient::challenge(&url, &how.trust).await else {
            continue;
        };
        if challenge.organisation != how.organisation {
            let _ = events.send(NetEvent::Failed(Reason::OtherOrganisation));
            continue;
        }
        match client.resume_on(challenge).await {
            Ok(_) => return true,
            // The relay answered and refused (a revoked or expired certificate: 4006): say
            // why, or the coordinator reads "reconnecting" for ever. Trying goes on: a
            // lifted revocation or a restarted relay lets a later try in.
            Err(e) if e.close_code().is_some() => {
                let _ = events.send(NetEvent::Failed((&e).into()));
            }
            Err(_) => {}
        }
    }
}

/// What the shift is told of a command that failed: what to take back, where it showed it
/// as done, or only why.
fn not_done(undone: Option<Undone>, reason: Reason) -> NetEvent {
    match undone {
        Some(undone) => NetEvent::NotDone { undone, reason },
        None => NetEvent::Failed(reason),
    }
}

async fn serve(
    client: &mut CoordinatorClient,
    commands: &mut mpsc::UnboundedReceiver<Command>,
    events: &mpsc::UnboundedSender<NetEvent>,
    ends: &mut Vec<SessionId>,
) -> Stopped {
    // The heartbeat below keeps the relay talking; a silent relay is noticed by the ping
    // failing, not by the client's receive timeout.
    client.wire().set_timeout(PING_EVERY * 4);
    // This loop never stops reading while connected: acknowledging once per burst is safe.
    client.batch_acks(true);
    let mut ping = tokio::time::interval(PING_EVERY);
    ping.tick().await;
    let lost = |e: ClientError| {
        if e.close_code() == Some(CloseCode::Replaced.code()) {
            return Stopped::Replaced;
        }
        let _ = events.send(NetEvent::Disconnected(e.to_string()));
        Stopped::Lost
    };
    while let Some(&session) = ends.first() {
        if client.holds(session)
            && let Err(e) = client.end(session).await
            && !survivable(&e)
        {
            return lost(e);
        }
        ends.remove(0);
    }
    loop {
        tokio::select! {
            command = commands.recv() => {
                let Some(command) = command else { return Stopped::Quit };
                let quit = command == Command::Quit;
                // Read before it goes: a message the connection drops as it is written is
                // already kept, under this number, and goes first thing after signing in.
                let kept = match &command {
                    Command::Send { session, line, .. } => {
                        client.next_seq(*session).map(|seq| (*session, *line, seq))
                    }
                    _ => None,
                };
                let undone = Undone::of(&command);
                let ending = match &command {
                    Command::End(session) => Some(*session),
                    _ => None,
                };
                match execute(client, command).await {
                    Ok(Some(event)) => { let _ = events.send(event); }
                    Ok(None) => {}
                    Err(e) if survivable(&e) => { let _ = events.send(not_done(undone, (&e).into())); }
                    Err(e) => {
                        if let Some((session, line, seq)) = kept {
                            let _ = events.send(NetEvent::Sent { session, line, seq });
                        } else if let Some(undone @ Undone::Transfer { .. }) = undone {
                            // A proposal dies with the connection that made it (§9.6).
                            let _ = events.send(NetEvent::NotDone { undone, reason: Reason::Offline });
                        }
                        ends.extend(ending);
                        return lost(e);
                    }
                }
                if quit {
                    return Stopped::Quit;
                }
            }
            // Receiving is cancel-safe; handling runs to completion in the arm's body.
            frame = client.recv_frame() => match frame {
                Ok(frame) => match client.handle(frame).await {
                    Ok(Some(event)) => { let _ = events.send(NetEvent::Relay(event)); }
                    Ok(None) => {}
                    Err(e) if survivable(&e) => { let _ = events.send(NetEvent::Failed((&e).into())); }
                    Err(e) => return lost(e),
                },
                Err(ClientError::Timeout) => {}
                Err(e) if survivable(&e) => { let _ = events.send(NetEvent::Failed((&e).into())); }
                Err(e) => return lost(e),
            },
            _ = ping.tick() => {
                if let Err(e) = client.wire().send(CoordinatorFrame::Ping {}).await {
                    return lost(e);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relay_addresses_are_parsed_strictly() {
        assert_eq!(
            coordinator_url("ws://127.0.0.1:8080").unwrap(),
            "ws://127.0.0.1:8080/v1/coordinator"
        );
        assert_eq!(
            coordinator_url("wss://relay.example.org/").unwrap(),
            "wss://relay.example.org/v1/coordinator"
        );
        assert_eq!(
            coordinator_url("ws://127.0.0.1:1/v1/coordinator").unwrap(),
            "ws://127.0.0.1:1/v1/coordinator"
        );
        assert!(coordinator_url("http://h:1").is_err());
        assert!(coordinator_url("ws://").is_err());
        assert!(coordinator_url("ws://127.0.0.1:1/elsewhere").is_err());
    }

    #[test]
    fn plain_ws_only_to_this_machine_or_an_onion_service() {
        for fine in [
            "ws://localhost:8080",
            "ws://[::1]:8080/",
            "ws://[::1]",
            "ws://127.0.0.2:80",
            "ws://abcdefghijklmnopqrstuvwxyz234567abcdefghijklmnopqrstuvwx.onion",
            "ws://ABCDEF.ONION:80",
            "wss://relay.example.org",
            "wss://10.0.0.1:8443",
        ] {
            assert!(coordinator_url(fine).is_ok(), "{fine}");
        }
        for plain in [
            "ws://relay.example.org",
            "ws://relay:8080",
            "ws://10.0.0.1:8080",
            "ws://localhost.example.org:1",
            "ws://onion.example.org",
            "ws://[2001:db8::1]:80",
        ] {
            assert!(
                matches!(coordinator_url(plain), Err(LoginError::Unencrypted(_))),
                "{plain}"
            );
        }
    }

    #[test]
    fn only_a_relay_on_this_machine_counts_as_loopback() {
        for local in [
            "ws://127.0.0.1:8080",
            "ws://localhost:8080/",
            "ws://[::1]:80",
            "ws://[::1]",
            "wss://127.0.0.2",
        ] {
            assert!(relay_is_loopback(local), "{local}");
        }
        for remote in [
            "wss://relay.example.org",
            "ws://10.0.0.1:8080",
            "ws://localhost.example.org:1",
            "garbage",
        ] {
            assert!(!relay_is_loopback(remote), "{remote}");
        }
    }
}
