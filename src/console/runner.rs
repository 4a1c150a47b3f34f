//! Starting a shift: the identity (first run, enrolment, unlock) or the development keys,
//! the passphrase prompts, logging in ([`start`]), then the [`Shift`] handed with the relay
//! connection to the terminal front end ([`tui::terminal`]); another front end starts the
//! same way.
//!
//! It must never install a tracing subscriber, print a conversation, or write anything to
//! disk but the encrypted identity; the terminal is restored on every exit path.

use std::io::Write;
use std::path::{Path, PathBuf};

use crossterm::event::{self, Event, KeyCode, KeyEventKind, KeyModifiers};
use crossterm::terminal;
use zeroize::Zeroizing;

use super::ConsoleError;
use super::identity::{Identity, KdfParams};
use super::lock::PassphraseLock;
use super::net::{self, NetHandle};
use super::renewal::{IdentityWatch, Renewals};
use super::resources::Resources;
use super::shift::{Me, Settings, Shift, TipKeys};
use super::tui::{self, ui};
use crate::client::wire::TlsTrust;
use crate::clock::Clock;
use crate::keyfile::{self, CoordinatorFiles};

/// What `lifeline console` was asked to do.
#[derive(Debug, Clone)]
pub struct Options {
    /// The relay address, `wss://host:port` (or `ws://` on loopback or an onion service).
    pub relay: String,
    /// The encrypted identity file; [`default_identity_path`] when not given.
    pub identity: Option<PathBuf>,
    /// A development key directory to use instead of an identity (never in production).
    pub dev_keys: Option<PathBuf>,
    /// The tip inbox's X25519 secret, to open and answer tips; without it tips stay sealed.
    pub inbox_key: Option<PathBuf>,
    /// The resources file (hotlines, shelters) the coordinator can send from.
    pub resources: PathBuf,
    /// The alias for a new identity; asked for when not given.
    pub alias: Option<String>,
    /// An organisation's own CA for a `wss://` relay (PEM), besides the Web PKI roots.
    pub ca_cert: Option<PathBuf>,
    /// Duty settings: capacity, languages, idle lock.
    pub settings: Settings,
    /// The time the shift's idle lock and certificate checks run on; a test injects a
    /// [`Clock::manual`] one.
    pub clock: Clock,
}

/// A one-off step on the identity that `lifeline console` takes instead of a shift, then
/// exits. Not part of [`Options`]: the desk takes none of them (F-59).
pub enum IdentityStep {
    /// Import the inbox grant file `lifeline keys grant-inbox` wrote.
    ImportGrant(PathBuf),
    /// Install the base64url certificate `lifeline keys enrol` or `keys renew` printed.
    InstallCertificate(String),
    /// Print a renewal request for the identity's certificate.
    RenewalRequest {
        /// For fresh keys, kept sealed in the identity until their certificate is installed.
        new_keys: bool,
    },
}

impl Options {
    fn trust(&self) -> Result<TlsTrust, ConsoleError> {
        match &self.ca_cert {
            Some(path) => {
                TlsTrust::with_ca_file(path).map_err(|e| ConsoleError::Setup(e.to_string()))
            }
            None => Ok(TlsTrust::default()),
        }
    }
}

/// Where the identity lives when `--identity` is not given.
pub fn default_identity_path() -> PathBuf {
    let base = std::env::var_os("XDG_CONFIG_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".config")))
        .unwrap_or_else(|| PathBuf::from("."));
    base.join("lifeline").join("console.identity")
}

/// Reads a line from the terminal without echoing it.
pub fn prompt_secret(prompt: &str) -> Result<Zeroizing<String>, ConsoleError> {
    // Raw (no echo) before the prompt shows: a key typed the moment it appears would
    // otherwise be echoed by the terminal, a piece of the passphrase left on screen.
    terminal::enable_raw_mode()?;
    eprint!("{prompt}");
    std::io::stderr().flush()?;
    let mut typed = Zeroizing::new(String::new());
    let result = (|| -> Result<bool, ConsoleError> {
        loop {
            if let Event::Key(key) = event::read()? {
                if key.kind != KeyEventKind::Press {
                    continue;
                }
                match key.code {
                    KeyCode::Enter => return Ok(true),
                    KeyCode::Char('c') if key.modifiers.contains(KeyModifiers::CONTROL) => {
                        return Ok(false);
                    }
                    KeyCode::Backspace => {
                        typed.pop();
                    }
                    KeyCode::Char(c) => typed.push(c),
                    _ => {}
                }
            }
        }
    })();
    terminal::disable_raw_mode()?;
    eprintln!();
    match result? {
        true => Ok(typed),
        false => Err(ConsoleError::Setup("cancelled".into())),
    }
}

fn prompt_line(prompt: &str) -> Result<String, ConsoleError> {
    eprint!("{prompt}");
    std::io::stderr().flush()?;
    let mut line = String::new();
    std::io::stdin().read_line(&mut line)?;
    Ok(line.trim().to_owned())
}

fn enrolment_instructions(identity: &Identity, path: &Path) -> Result<(), ConsoleError> {
    println!("Enrolment request for {:?}:", identity.alias);
    println!();
    println!("{}", identity.enrolment_request()?);
    println!();
    println!("Fingerprint: {}", identity.short_fingerprint());
    println!("Read it to your organisation by phone: they sign only if theirs is the same.");
    println!();
    println!("Give it to your organisation. On its offline machine they run:");
    println!(
        "  lifeline keys enrol --dir org-keys --request <REQUEST> --fingerprint \"<FINGERPRINT>\" --days 14 --passphrase-file PASS"
    );
    println!("and send you back the certificate it prints. Install it with:");
    println!(
        "  lifeline console --identity {} --relay <wss://relay.example.org> --install-certificate <CERTIFICATE>",
        path.display()
    );
    Ok(())
}

/// First run: new keys, sealed under a new passphrase; prints the enrolment request.
fn create_identity(path: &Path, alias: Option<String>) -> Result<(), ConsoleError> {
    println!("No console identity at {}: creating one.", path.display());
    let alias = match alias {
        Some(a) => a,
        None => prompt_line("Alias visitors will see (e.g. \"Amara (Lyon)\"): ")?,
    };
    let identity = Identity::generate(&alias)?;
    let passphrase = prompt_secret("Choose a passphrase (at least 10 characters): ")?;
    let again = prompt_secret("Type it again: ")?;
    if *passphrase != *again {
        return Err(ConsoleError::Setup("the passphrases differ".into()));
    }
    eprintln!("Sealing the identity (Argon2id, 64 MiB)…");
    identity.create_file(path, &passphrase, KdfParams::STANDARD)?;
    println!("Identity written to {} (0600, encrypted).", path.display());
    enrolment_instructions(&identity, path)
}

/// Everything a shift needs once the keys are unlocked.
pub struct Ready {
    files: CoordinatorFiles,
    /// Inbox keys granted into the identity, newest first, each with its grant's end.
    granted: Vec<(u64, crate::crypto::DhSecret)>,
    fingerprint: String,
    identity: Option<PathBuf>,
    pinned: Option<crate::crypto::OrgPublicKey>,
    lock: PassphraseLock,
}

impl Ready {
    /// The development keys in `dir`, the idle lock made from `lock_passphrase`.
    pub fn development(dir: &Path, lock_passphrase: &str) -> Result<Self, ConsoleError> {
        let files = CoordinatorFiles::load(dir)?;
        let fingerprint =
            crate::registry::short_fingerprint(&files.dh.public().0, &files.signing.public().0);
        Ok(Self {
            files,
            granted: Vec::new(),
            fingerprint,
            identity: None,
            pinned: None,
            lock: PassphraseLock::new(lock_passphrase),
        })
    }

    /// The identity at `path` opened with `passphrase`, which also unlocks the idle lock;
    /// `None` when it is not enrolled yet. `now` (Unix seconds) drops ended inbox keys, from
    /// the file too.
    pub fn identity(path: &Path, passphrase: &str, now: u64) -> Result<Option<Self>, ConsoleError> {
        let mut identity = Identity::read_file(path, passphrase)?;
        if identity.certificate().is_none() {
            return Ok(None);
        }
        // An inbox key past its end leaves the file too: a laptop seized later must not
        // hold it (the exposure window, docs/threat-model.md).
        if identity.drop_ended_inbox_keys(now) {
            identity.write_file(path, passphrase, Identity::file_params(path)?)?;
        }
        Ok(Some(Self {
            // Ended keys are gone from it just above: the shift drops each at its end.
            granted: identity.granted_inbox_keys(),
            files: identity.coordinator_files()?,
            fingerprint: identity.short_fingerprint(),
            identity: Some(path.to_owned()),
            pinned: identity.organisation(),
            lock: PassphraseLock::new(passphrase),
        }))
    }
}

async fn install_certificate(
    path: &Path,
    relay: &str,
    trust: &TlsTrust,
    certificate: &str,
    clock: &Clock,
) -> Result<(), ConsoleError> {
    let passphrase = prompt_secret(&format!("Passphrase for {}: ", path.display()))?;
    let mut identity = Identity::read_file(path, &passphrase)?;
    let organisation = net::relay_organisation(relay, trust)
        .await
        .map_err(|e| ConsoleError::Setup(e.to_string()))?;
    let waiting = identity.next_fingerprint();
    // The relay's key is trusted only because the organisation's signature on our
    // certificate verifies under it; from now on it is pinned in the identity.
    identity.install_certificate(certificate, organisation, clock.unix_s())?;
    let params = Identity::file_params(path)?;
    identity.write_file(path, &passphrase, params)?;
    if waiting.is_some() && identity.next_fingerprint().is_none() {
        println!(
            "New keys in use (fingerprint {}); the old private keys are erased from the identity.",
            identity.short_fingerprint()
        );
    }
    if let Some(cert) = identity.certificate() {
        println!(
            "Certificate installed: {} (serial {}), valid until {} UTC. Start a shift with:",
            cert.body().alias,
            cert.body().serial,
            ui::date(cert.body().not_after)
        );
        println!(
            "  lifeline console --identity {} --relay {relay}",
            path.display()
        );
        println!(
            "A shift running meanwhile takes it at its next unlock (Ctrl-L, then the passphrase)."
        );
    }
    Ok(())
}

/// Tries a coordinator gets to type the idle lock's passphrase the same way twice.
const LOCK_PASSPHRASE_TRIES: usize = 3;

/// Asks for the idle lock's passphrase twice: a typo nobody saw would lock the coordinator
/// out of their own shift, visitors and all.
fn choose_lock_passphrase() -> Result<Zeroizing<String>, ConsoleError> {
    for _ in 0..LOCK_PASSPHRASE_TRIES {
        let passphrase =
            prompt_secret("Choose a passphrase to unlock this console when it locks itself: ")?;
        if passphrase.is_empty() {
            eprintln!("An empty passphrase cannot lock. Choose one.");
            continue;
        }
        let again = prompt_secret("Type it again: ")?;
        if *passphrase == *again {
            return Ok(passphrase);
        }
        eprintln!("The two passphrases differ. Choose one again.");
    }
    Err(ConsoleError::Setup(
        "the lock passphrase was not typed the same twice".into(),
    ))
}

fn unlock(opts: &Options) -> Result<Option<Ready>, ConsoleError> {
    if let Some(dir) = &opts.dev_keys {
        let files = CoordinatorFiles::load(dir)?;
        eprintln!(
            "DEVELOPMENT coordinator keys from {} ({}).",
            dir.display(),
            files.certificate.body().alias
        );
        let passphrase = choose_lock_passphrase()?;
        return Ready::development(dir, &passphrase).map(Some);
    }
    let path = opts.identity.clone().unwrap_or_else(default_identity_path);
    if !path.exists() {
        create_identity(&path, opts.alias.clone())?;
        return Ok(None);
    }
    let passphrase = prompt_secret(&format!("Passphrase for {}: ", path.display()))?;
    let ready = Ready::identity(&path, &passphrase, opts.clock.unix_s())?;
    if ready.is_none() {
        println!("This identity is not enrolled yet.");
        enrolment_instructions(&Identity::read_file(&path, &passphrase)?, &path)?;
    }
    Ok(ready)
}

/// `lifeline console --renewal-request [--new-keys]`: nothing secret is printed; with new
/// keys made, the identity is rewritten holding them (sealed, beside the keys in use).
fn print_renewal_request(path: &Path, new_keys: bool) -> Result<(), ConsoleError> {
    let passphrase = prompt_secret(&format!("Passphrase for {}: ", path.display()))?;
    let mut identity = Identity::read_file(path, &passphrase)?;
    let request = if new_keys {
        let asked = identity.new_keys_request()?;
        if asked.made {
            identity.write_file(path, &passphrase, Identity::file_params(path)?)?;
        } else {
            println!("New keys were already waiting for a certificate: the same request again.");
        }
        println!("New keys' fingerprint: {}", asked.fingerprint);
        println!("Read it to your organisation by phone: they sign only if theirs is the same.");
        asked.request
    } else {
        identity.renewal_request()?
    };
    println!("Renewal request for {:?}:", identity.alias);
    println!();
    println!("{request}");
    println!();
    println!("Give it to your organisation. On its offline machine they run:");
    println!(
        "  lifeline keys renew --dir org-keys --request <REQUEST> --days 14 --passphrase-file PASS"
    );
    println!("and send you back the certificate it prints. Install it with:");
    println!(
        "  lifeline console --identity {} --relay <wss://relay.example.org> --install-certificate <CERTIFICATE>",
        path.display()
    );
    println!(
        "A shift running meanwhile takes it at its next unlock (Ctrl-L, then the passphrase)."
    );
    Ok(())
}

/// Opens the identity at `path` with `passphrase`, takes the inbox keys of the grant file
/// `grant` into it and writes it back (same KDF cost). Nothing changes on any failure.
pub fn import_grant(
    path: &Path,
    grant: &Path,
    passphrase: &str,
) -> Result<crate::crypto::inbox_grant::GrantHeader, ConsoleError> {
    let bytes = crate::grants::read_grant(grant).map_err(|e| ConsoleError::Setup(e.to_string()))?;
    let mut identity = Identity::read_file(path, passphrase)?;
    let header = identity
        .import_grant(&bytes)
        .map_err(|e| ConsoleError::Setup(format!("{}: {e}", grant.display())))?;
    identity.write_file(path, passphrase, Identity::file_params(path)?)?;
    Ok(header)
}

/// `lifeline console`: the identity's one-off `step` if one is given, else a shift.
pub async fn run(opts: Options, step: Option<IdentityStep>) -> Result<(), ConsoleError> {
    let identity_path = || opts.identity.clone().unwrap_or_else(default_identity_path);
    if let Some(IdentityStep::ImportGrant(grant)) = &step {
        let path = identity_path();
        let passphrase = prompt_secret(&format!("Passphrase for {}: ", path.display()))?;
        let header = import_grant(&path, grant, &passphrase)?;
        println!(
            "Imported {} inbox key(s) into {}, usable until {} UTC.",
            header.keys.len(),
            path.display(),
            ui::date(header.until)
        );
        // A running console or desk sees the identity rewritten, and reads it again at the
        // next unlock (the passphrase is typed there, never kept).
        println!(
            "A shift already running takes them at your next unlock (Ctrl-L, then the passphrase)."
        );
        return Ok(());
    }
    if let Some(IdentityStep::RenewalRequest { new_keys }) = step {
        return print_renewal_request(&identity_path(), new_keys);
    }
    // A relay address that cannot be used is said before any passphrase is asked for, and
    // so is a development inbox key meant for another relay.
    net::coordinator_url(&opts.relay)?;
    check_inbox_key_use(&opts)?;
    if let Some(IdentityStep::InstallCertificate(certificate)) = &step {
        let path = identity_path();
        return install_certificate(&path, &opts.relay, &opts.trust()?, certificate, &opts.clock)
            .await;
    }
    match start(&opts).await? {
        Some(started) => {
            let app = tui::App::new(started.shift);
            tui::terminal::run(app, started.net, opts.clock.clone(), started.renewals).await
        }
        None => Ok(()),
    }
}

/// A shift ready for a front end: the core, and the task that owns the relay connection.
pub struct Started {
    /// The shift, off duty.
    pub shift: Shift,
    /// The relay connection, signed in.
    pub net: NetHandle,
    /// The identity file, watched for a renewed certificate (none with development keys).
    pub renewals: Renewals,
}

/// Unlocks the keys (or creates and enrols an identity, then `None`), loads the resources
/// and the inbox key, and logs in: everything a shift needs before any front end starts.
pub async fn start(opts: &Options) -> Result<Option<Started>, ConsoleError> {
    let Some(ready) = unlock(opts)? else {
        return Ok(None);
    };
    check_inbox_key_use(opts)?;
    let inbox = match &opts.inbox_key {
        Some(path) if keyfile::is_sealed_key(path) => {
            let passphrase = prompt_secret(&format!("Passphrase for {}: ", path.display()))?;
            Some(keyfile::read_dh_secret_with(path, Some(&passphrase))?)
        }
        Some(path) => Some(keyfile::read_dh_secret(path)?),
        None => None,
    };
    // The terminal waits for a relay whose store is down, saying so; the desk's page shows
    // why instead and its person tries again.
    start_signing_in(opts, ready, inbox, true).await.map(Some)
}

/// Logs in with keys already unlocked (by the terminal's prompts or the desk's page) and
/// the inbox secret already read: the part of starting a shift every front end shares.
pub async fn start_unlocked(
    opts: &Options,
    ready: Ready,
    inbox: Option<crate::crypto::keys::DhSecret>,
) -> Result<Started, ConsoleError> {
    start_signing_in(opts, ready, inbox, false).await
}

/// [`start_unlocked`]; with `until_stored`, a relay answering "store unavailable, retry"
/// is tried again (and the wait printed) rather than reported.
async fn start_signing_in(
    opts: &Options,
    ready: Ready,
    inbox: Option<crate::crypto::keys::DhSecret>,
    until_stored: bool,
) -> Result<Started, ConsoleError> {
    let resources = if opts.resources.exists() {
        Resources::load(&opts.resources)?
    } else {
        eprintln!(
            "No resources file at {}: the resource picker is empty.",
            opts.resources.display()
        );
        Resources::default()
    };
    check_inbox_key_use(opts)?;
    let identity = ready
        .identity
        .map(|path| IdentityWatch::new(path, ready.files.certificate.clone()));
    let (relay, trust, clock) = (&opts.relay, &opts.trust()?, &opts.clock);
    let login = if until_stored {
        net::login_once_stored(relay, &ready.files, ready.pinned, trust, clock, |wait| {
            eprintln!(
                "The relay cannot reach its storage; trying again in {} s.",
                wait.as_secs()
            );
        })
        .await?
    } else {
        net::login_at(relay, ready.files, ready.pinned, trust, clock).await?
    };
    let days_left = login.not_after.saturating_sub(opts.clock.unix_s()) / 86_400;
    eprintln!(
        "Authenticated as {} (serial {}); certificate valid until {} UTC ({days_left} days left).",
        login.client.alias,
        login.client.serial,
        ui::date(login.not_after)
    );
    let me = Me {
        alias: login.client.alias.clone(),
        serial: login.client.serial,
        not_after: login.not_after,
    };
    // A development `--inbox-key` stands alone; otherwise every granted key is held, until
    // its end.
    let organisation = login.organisation.fingerprint();
    let tip_keys = match inbox {
        Some(key) => TipKeys::new(organisation, vec![key]),
        None => TipKeys::granted(organisation, ready.granted),
    };
    let mut shift = Shift::new(
        me,
        opts.settings.clone(),
        ready.lock,
        resources,
        tip_keys,
        opts.clock.instant(),
    );
    shift.holds = login.client.holds.clone();
    shift.fingerprint = Some(ready.fingerprint);
    let reconnect = net::Reconnect {
        relay: opts.relay.clone(),
        trust: opts.trust()?,
        organisation: login.organisation,
    };
    let net = NetHandle::spawn(login.client, Some(reconnect));
    net.send(shift.signed_in());
    Ok(Started {
        shift,
        net,
        renewals: Renewals::new(identity),
    })
}

/// A plain `--inbox-key` is for development relays on this machine; anywhere else the inbox
/// key comes from a grant inside the sealed identity.
pub(crate) fn check_inbox_key_use(opts: &Options) -> Result<(), ConsoleError> {
    if opts.inbox_key.is_some() && !net::relay_is_loopback(&opts.relay) {
        return Err(ConsoleError::Setup(
            "--inbox-key is for development relays on this machine: import an inbox grant \
             (lifeline console --import-grant) instead"
                .into(),
        ));
    }
    Ok(())
}
