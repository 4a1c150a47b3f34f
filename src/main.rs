//! The `lifeline` binary: `serve` (the default), and `keys` for the organisation's key work.
//! Errors become a message and an exit code here, at the edge, and nowhere else.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Parser, Subcommand};
use lifeline::clock::Clock;
use lifeline::config::Config;
use lifeline::crypto::enrolment::EnrolmentRequest;
use lifeline::keyfile::{self, KeyPaths};
use lifeline::keys_tool;
use lifeline::protocol::b64;
use lifeline::registry;
use lifeline::sealed::KdfParams;

#[derive(Parser)]
#[command(
    name = "lifeline",
    version,
    about = "Secure, anonymous help-request and tip relay"
)]
struct Cli {
    /// Configuration file (also LIFELINE_CONFIG).
    #[arg(
        long,
        global = true,
        env = "LIFELINE_CONFIG",
        default_value = "config/lifeline.toml"
    )]
    config: PathBuf,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Run the relay (the default).
    Serve,
    /// Organisation key management: run on the organisation's offline machine.
    Keys {
        #[command(flatten)]
        sealing: Sealing,
        #[command(subcommand)]
        command: KeysCommand,
    },
    /// The coordinator console: a terminal app for a whole shift.
    Console(ConsoleArgs),
    /// The coordinator desk: the console's shift in your browser, served on 127.0.0.1.
    Desk(DeskArgs),
}

#[derive(clap::Args)]
struct DeskArgs {
    #[command(flatten)]
    shift: ShiftArgs,
    /// Where the desk listens: 127.0.0.1 only; port 0 takes a free one.
    #[arg(long, default_value = "127.0.0.1:0")]
    listen: std::net::SocketAddr,
    /// Print the address to open instead of opening the default browser.
    #[arg(long)]
    no_browser: bool,
    /// Stop if the address was not opened within this many seconds (10-3600): it works once,
    /// and left unused it would stay good in the terminal's scrollback.
    #[arg(long, default_value_t = 600, value_parser = clap::value_parser!(u64).range(10..=3600))]
    open_within: u64,
}

/// The console: a shift, or one of the identity's steps (then exit), which the desk leaves
/// to it.
#[derive(clap::Args)]
struct ConsoleArgs {
    #[command(flatten)]
    shift: ShiftArgs,
    /// Import the inbox grant `lifeline keys grant-inbox` wrote into the identity, then exit.
    #[arg(long, conflicts_with_all = ["dev_keys", "install_certificate", "renewal_request"])]
    import_grant: Option<PathBuf>,
    /// Install the certificate `lifeline keys enrol` printed into the identity, then exit.
    #[arg(long, conflicts_with = "dev_keys")]
    install_certificate: Option<String>,
    /// Print a renewal request for the identity's current certificate (for `lifeline keys
    /// renew`), then exit.
    #[arg(long, conflicts_with_all = ["dev_keys", "install_certificate"])]
    renewal_request: bool,
    /// With --renewal-request: ask for a certificate for fresh keys (kept sealed in the
    /// identity until it is installed; asking again repeats the same request).
    #[arg(long, requires = "renewal_request")]
    new_keys: bool,
}

/// What a shift needs, in the terminal or the desk.
#[derive(clap::Args)]
struct ShiftArgs {
    /// The relay: wss://host[:port], or ws://host:port on loopback or an onion service.
    #[arg(long, default_value = "ws://127.0.0.1:8080")]
    relay: String,
    /// For a wss:// relay whose certificate comes from the organisation's own CA: that CA's
    /// certificate (PEM). Public CAs are trusted without it.
    #[arg(long)]
    ca_cert: Option<PathBuf>,
    /// The passphrase-encrypted identity file (created on first run by the console).
    /// Default: $XDG_CONFIG_HOME/lifeline/console.identity, or
    /// ~/.config/lifeline/console.identity.
    #[arg(long, conflicts_with = "dev_keys")]
    identity: Option<PathBuf>,
    /// Development only: an unencrypted coordinator key folder (data/keys/dev-coordinator).
    #[arg(long)]
    dev_keys: Option<PathBuf>,
    /// Development only (loopback relays): a tip-inbox key file. Otherwise the inbox keys
    /// come from a grant imported into the identity (console --import-grant).
    #[arg(long)]
    inbox_key: Option<PathBuf>,
    /// Ready-made resources.
    #[arg(long, default_value = "config/resources.toml")]
    resources: PathBuf,
    /// Alias for a new identity (asked for when missing).
    #[arg(long)]
    alias: Option<String>,
    /// How many conversations at once (1-16).
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u8).range(1..=16))]
    capacity: u8,
    /// Languages you answer in, comma-separated (tags such as en, fr, pt-BR).
    #[arg(long, value_delimiter = ',', default_value = "en", value_parser = lang_tag)]
    langs: Vec<String>,
    /// Lock after this many idle seconds (10 at least).
    #[arg(long, default_value_t = 300)]
    lock_after: u64,
    /// Go off duty after this many seconds locked (1-3600), and give the conversations held
    /// back to the queue, so that visitors are neither told someone is there nor left
    /// waiting on no one.
    #[arg(long, default_value_t = 600, value_parser = clap::value_parser!(u64).range(1..=3600))]
    off_duty_after: u64,
}

/// How `lifeline keys` seals the private keys it writes and opens the ones it reads.
#[derive(clap::Args)]
struct Sealing {
    /// Seal (and open) private keys with the passphrase on this file's first line.
    #[arg(long, global = true)]
    passphrase_file: Option<PathBuf>,
    /// Development only: write private keys unsealed.
    #[arg(long, global = true, conflicts_with = "passphrase_file")]
    unsealed: bool,
}

impl Sealing {
    fn passphrase(&self) -> anyhow::Result<Option<zeroize::Zeroizing<String>>> {
        let Some(path) = &self.passphrase_file else {
            return Ok(None);
        };
        let text = zeroize::Zeroizing::new(
            std::fs::read_to_string(path).with_context(|| path.display().to_string())?,
        );
        let line = text.lines().next().unwrap_or_default();
        anyhow::ensure!(
            line.chars().count() >= lifeline::console::identity::MIN_PASSPHRASE_CHARS,
            "{}: the passphrase must have at least {} characters",
            path.display(),
            lifeline::console::identity::MIN_PASSPHRASE_CHARS
        );
        Ok(Some(zeroize::Zeroizing::new(line.to_owned())))
    }

    /// What opens the organisation's sealed keys (none: plain development keys).
    fn opener(&self) -> anyhow::Result<lifeline::grants::Opener> {
        Ok(lifeline::grants::Opener(self.passphrase()?))
    }

    fn read_organisation(&self, paths: &KeyPaths) -> anyhow::Result<lifeline::crypto::SigningKey> {
        let passphrase = self.passphrase()?;
        Ok(keyfile::read_signing_key_with(
            &paths.organisation_key(),
            passphrase.as_deref().map(String::as_str),
        )?)
    }

    /// Writes a private key sealed, or unsealed only when asked for (development keys).
    fn write_secret(&self, path: &std::path::Path, bytes: &[u8]) -> anyhow::Result<()> {
        match self.passphrase()? {
            Some(p) => keyfile::write_sealed_key(path, bytes, &p, KdfParams::STANDARD)?,
            None if self.unsealed => keyfile::write_key(path, bytes)?,
            None => anyhow::bail!(
                "{}: refusing to write a private key unsealed: give --passphrase-file \
                 (or --unsealed, for development keys only)",
                path.display()
            ),
        }
        Ok(())
    }
}

#[derive(Subcommand)]
enum KeysCommand {
    /// Create the organisation's signing key in <dir>/organisation.key; prints the public key.
    InitOrganisation {
        #[arg(long)]
        dir: PathBuf,
    },
    /// Create the tip-inbox key and its certificate in <dir> (signed by the organisation key).
    CreateInbox {
        #[arg(long)]
        dir: PathBuf,
        #[arg(long, default_value_t = 365)]
        days: u64,
    },
    /// Certify a coordinator from the enrolment request their console printed.
    Enrol {
        #[arg(long)]
        dir: PathBuf,
        /// The request, base64url.
        #[arg(long)]
        request: String,
        /// The fingerprint the coordinator read out by phone: signing is refused unless it matches.
        #[arg(long)]
        fingerprint: Option<String>,
        /// Assigned from the registry when absent; a serial already issued is refused.
        #[arg(long)]
        serial: Option<u64>,
        /// Certificates are short-lived on purpose; renew them.
        #[arg(long, default_value_t = 14)]
        days: u64,
    },
    /// Renew a coordinator's certificate from the renewal request their console printed:
    /// same serial and alias, a new expiry.
    Renew {
        #[arg(long)]
        dir: PathBuf,
        /// The request, base64url.
        #[arg(long)]
        request: String,
        #[arg(long, default_value_t = 14)]
        days: u64,
    },
    /// Seal the tip-inbox key(s) to coordinator <serial>'s certified key: a grant file their
    /// console imports (`lifeline console --import-grant`). It carries the current inbox key
    /// and every older one whose tips may still be stored.
    GrantInbox {
        #[arg(long)]
        dir: PathBuf,
        /// The coordinator's certificate serial.
        #[arg(long)]
        to: u64,
        /// How long the console may use the keys (at most until the certificate expires).
        #[arg(long, default_value_t = 14)]
        days: u64,
        /// The relays' `tips.retention_days`: an older inbox key is granted until this long
        /// (and the margin) after it was replaced, and no longer.
        #[arg(long, default_value_t = lifeline::inbox_keys::Retention::DEFAULT.days)]
        retention_days: u64,
        /// Days added to the retention for tips sealed to an older key after it was replaced.
        #[arg(long, default_value_t = lifeline::inbox_keys::Retention::DEFAULT.margin_days)]
        margin_days: u64,
    },
    /// Replace the tip-inbox key with a new one and certificate; older keys stay in
    /// <dir>/inbox/ (sealed), the rotation in the registry. Then grant again and copy
    /// inbox.cert to every relay.
    RotateInbox {
        #[arg(long)]
        dir: PathBuf,
        #[arg(long, default_value_t = 365)]
        days: u64,
    },
    /// Revoke coordinator certificates by serial and publish a fresh signed list.
    Revoke {
        #[arg(long)]
        dir: PathBuf,
        #[arg(long, required = true)]
        serial: Vec<u64>,
    },
    /// The registry of issued certificates, soonest expiry first.
    List {
        #[arg(long)]
        dir: PathBuf,
    },
    /// Re-sign the current revocation list (do this more often than its maximum age).
    PublishRevocations {
        #[arg(long)]
        dir: PathBuf,
    },
}

/// A `--langs` entry the relay will take (§8.1): refused at start, not by the relay later.
fn lang_tag(tag: &str) -> Result<String, String> {
    let tag = tag.trim();
    if lifeline::protocol::frames::is_lang_tag(tag) {
        Ok(tag.to_owned())
    } else {
        Err(format!(
            "`{tag}` is not a language tag: 1 to {} letters, digits or '-' (en, fr, pt-BR)",
            lifeline::protocol::frames::MAX_LANG_BYTES
        ))
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => serve(&cli.config),
        Command::Console(args) => match console(args) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("error: {e:#}");
                ExitCode::FAILURE
            }
        },
        Command::Desk(args) => match desk(args) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("error: {e:#}");
                ExitCode::FAILURE
            }
        },
        Command::Keys { sealing, command } => match keys(&sealing, command) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("error: {e:#}");
                ExitCode::FAILURE
            }
        },
    }
}

fn serve(path: &std::path::Path) -> ExitCode {
    let config = match Config::load(path) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("configuration error: {e}");
            return ExitCode::from(2);
        }
    };
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::new(
            lifeline::relay::log_filter(&config.server.log_level),
        ))
        .with_target(false)
        // Colour codes only for a person at a terminal: in a file or the journal they are
        // noise around every field.
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stdout()))
        .with_timer(lifeline::logging::MinuteTime::new(Clock::system()))
        .init();
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(config)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => match e.downcast_ref::<lifeline::config::ConfigError>() {
            Some(mistake) => {
                eprintln!("configuration error: {mistake}");
                ExitCode::from(2)
            }
            None => {
                eprintln!("error: {e:#}");
                ExitCode::FAILURE
            }
        },
    }
}

/// `lifeline console`: no tracing subscriber here, so nothing of a shift is ever logged.
fn console(args: ConsoleArgs) -> anyhow::Result<()> {
    use lifeline::console::runner::IdentityStep;
    // clap lets at most one of them through (conflicts_with_all above).
    let step = if let Some(grant) = args.import_grant {
        Some(IdentityStep::ImportGrant(grant))
    } else if let Some(certificate) = args.install_certificate {
        Some(IdentityStep::InstallCertificate(certificate))
    } else if args.renewal_request {
        Some(IdentityStep::RenewalRequest {
            new_keys: args.new_keys,
        })
    } else {
        None
    };
    let runtime = tokio::runtime::Runtime::new().context("starting the runtime")?;
    runtime.block_on(lifeline::console::runner::run(
        shift_options(args.shift),
        step,
    ))?;
    Ok(())
}

/// `lifeline desk`: like the console, no tracing subscriber, nothing of a shift logged.
fn desk(args: DeskArgs) -> anyhow::Result<()> {
    let options = lifeline::console::desk::DeskOptions {
        console: shift_options(args.shift),
        listen: args.listen,
        no_browser: args.no_browser,
        open_within: std::time::Duration::from_secs(args.open_within),
    };
    let runtime = tokio::runtime::Runtime::new().context("starting the runtime")?;
    runtime.block_on(lifeline::console::desk::run(options))?;
    Ok(())
}

/// A shift's options, the same for the console and the desk.
fn shift_options(args: ShiftArgs) -> lifeline::console::runner::Options {
    lifeline::console::runner::Options {
        relay: args.relay,
        identity: args.identity,
        dev_keys: args.dev_keys,
        inbox_key: args.inbox_key,
        resources: args.resources,
        alias: args.alias,
        ca_cert: args.ca_cert,
        settings: lifeline::console::shift::Settings {
            capacity: args.capacity,
            langs: args.langs,
            idle_lock: std::time::Duration::from_secs(args.lock_after.max(10)),
            off_duty_when_locked: std::time::Duration::from_secs(args.off_duty_after),
        },
        clock: Clock::system(),
    }
}

async fn run(config: Config) -> anyhow::Result<()> {
    let addr = config.listen_addr()?;
    // TLS files the relay cannot use are a mistake in the configuration: refused (exit 2)
    // before anything is created or announced. `relay::serve` loads them again to serve.
    let tls = !config.server.tls_cert.is_empty();
    if tls {
        lifeline::relay::listener::acceptor(
            std::path::Path::new(&config.server.tls_cert),
            std::path::Path::new(&config.server.tls_key),
        )
        .map_err(lifeline::config::ConfigError::from)?;
    }
    let (keys, created) = keyfile::load_relay_keys(
        &config.server.data_dir,
        &config.keys.organisation_public,
        addr.ip().is_loopback(),
        &config.server.listen,
        &Clock::system(),
    )?;
    if keys.development {
        let paths = KeyPaths::new(&config.server.data_dir);
        if created {
            println!(
                "Created DEVELOPMENT keys in {} (never use them in production).",
                paths.dir.display()
            );
        }
        println!(
            "Development coordinator keys: {}",
            paths.dev_coordinator().display()
        );
        println!(
            "Open the coordinator console against them with:\n  cargo run --release -- console --relay ws://{addr} --dev-keys {} --inbox-key {}",
            paths.dev_coordinator().display(),
            paths.inbox_key().display()
        );
        println!(
            "or the desk, in your browser:\n  cargo run --release -- desk --relay ws://{addr} --dev-keys {} --inbox-key {}",
            paths.dev_coordinator().display(),
            paths.inbox_key().display()
        );
    }
    let store = match lifeline::store::Store::open(&config).await {
        // A configuration mistake: exit 2, so a supervisor does not restart into it again.
        Err(lifeline::store::chat::StoreError::CredentialsRefused) => {
            return Err(lifeline::config::ConfigError {
                key: "store.redis_url".to_owned(),
                reason: format!(
                    "Redis at {} refused the user and password given (LIFELINE_REDIS_URL, if \
                     set, is the one used): they must match the ACL user in its config \
                     (docs/redis.md)",
                    config.store.redis_targets()
                ),
            }
            .into());
        }
        other => other,
    }
    .with_context(|| match config.store.kind {
        lifeline::config::StoreKind::Redis => format!(
            "connecting to the store: Redis at {} (is it running there, and do the user and \
                 password in store.redis_url / LIFELINE_REDIS_URL match its config?)",
            config.store.redis_targets()
        ),
        lifeline::config::StoreKind::Memory => "opening the store".to_owned(),
    })?;
    match store.persistence().await {
        Some(Ok(p)) if p.persistent() => println!("Redis store: {}.", p.describe()),
        Some(Ok(p)) => eprintln!(
            "WARNING: Redis store: {}. A Redis restart loses live sessions and sealed tips \
             (snapshots alone come back older). Turn on appendonly (see docs/redis.md).",
            p.describe()
        ),
        Some(Err(e)) => eprintln!("WARNING: could not read Redis persistence settings: {e}"),
        None => {}
    }
    if let Some(erasure) = store.disk_erasure(&config) {
        erasure
            .start()
            .await
            .context("keeping Redis's files free of erased chats")?;
    } else if config.store.kind == lifeline::config::StoreKind::Redis {
        eprintln!(
            "WARNING: store.redis_rewrite_s = 0: ended chats stay in Redis's append-only file \
             until Redis rewrites it by itself (see docs/redis.md)."
        );
    }
    let left = store.tips_left_behind(&config);
    if left.waiting > 0 {
        tracing::warn!(
            tips = left.waiting,
            folder = %config.server.data_dir.join("tips").display(),
            "{} sealed tips in data/tips are not served by the Redis store: handle them \
             before switching, or switch back (store.kind = \"memory\"); each is deleted \
             tips.retention_days after it arrived, as any tip",
            left.waiting
        );
    }
    if left.handled > 0 {
        tracing::warn!(
            tips = left.handled,
            "{} handled tips in data/tips keep replies the Redis store does not serve: their \
             tipsters can no longer read them (wait out tips.retention_days before switching, \
             or switch back); each is deleted tips.retention_days after it arrived",
            left.handled
        );
    }
    let metrics = config.metrics_addr();
    let relay =
        lifeline::relay::Relay::new(config, keys, store).context("opening the tip store")?;
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .with_context(|| format!("binding {addr}"))?;
    let scheme = if tls { "https" } else { "http" };
    let bound = listener.local_addr().unwrap_or(addr);
    let announce = move || {
        println!("Lifeline relay listening on {scheme}://{bound}");
        if let Ok(Some(metrics)) = metrics {
            println!("Metrics (keep private) on http://{metrics}/metrics");
        }
    };
    lifeline::relay::serve_announced(relay, listener, shutdown_signal(), announce).await?;
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(s) => s,
                Err(_) => return std::future::pending().await,
            };
        tokio::select! {
            _ = ctrl_c => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = ctrl_c.await;
}

fn keys(sealing: &Sealing, command: KeysCommand) -> anyhow::Result<()> {
    match command {
        KeysCommand::InitOrganisation { dir } => {
            let paths = KeyPaths { dir };
            anyhow::ensure!(
                !paths.organisation_key().exists(),
                "{} already exists",
                paths.organisation_key().display()
            );
            let key = lifeline::crypto::SigningKey::generate();
            sealing.write_secret(&paths.organisation_key(), key.seed())?;
            keyfile::publish_revocations(&key, &paths, &[], None, &Clock::system())?;
            println!(
                "Organisation key written to {} (0600). Keep it offline.",
                paths.organisation_key().display()
            );
            println!(
                "Put this in config/lifeline.toml [keys] organisation_public and in the widget's embed snippet:"
            );
            println!("{}", b64::encode(&key.public().0));
        }
        KeysCommand::CreateInbox { dir, days } => {
            let paths = KeyPaths { dir };
            anyhow::ensure!(
                !paths.inbox_key().exists(),
                "{} already exists: replace it with `lifeline keys rotate-inbox`, which keeps it",
                paths.inbox_key().display()
            );
            let org = sealing.read_organisation(&paths)?;
            let (inbox, cert) =
                keyfile::issue_inbox(&org, registry::FIRST_INBOX_SERIAL, days, &Clock::system())?;
            sealing.write_secret(&paths.inbox_key(), &inbox.to_bytes()[..])?;
            keyfile::write_key(&paths.inbox_certificate(), cert.as_bytes())?;
            // Recorded like a rotation's certificate, so `keys list` shows when it expires; last,
            // so a failed write above (no passphrase given, a full disk) can simply be retried.
            let body = cert.body();
            registry::append(
                &registry::path(&paths.dir),
                &registry::Event::Issued {
                    serial: body.serial,
                    alias: registry::INBOX_ALIAS.into(),
                    fingerprint: registry::short_fingerprint(
                        &body.x25519_public.0,
                        &body.ed25519_public.0,
                    ),
                    issued: Clock::system().unix_s(),
                    expires: body.not_after,
                },
            )?;
            println!(
                "Tip-inbox key: {} (stays here, never on a relay nor handed out: coordinators \
                 get it as a grant, lifeline keys grant-inbox)",
                paths.inbox_key().display()
            );
            println!(
                "Tip-inbox certificate: {} (copy to the relay's data/keys/)",
                paths.inbox_certificate().display()
            );
        }
        KeysCommand::Enrol {
            dir,
            request,
            fingerprint,
            serial,
            days,
        } => {
            let paths = KeyPaths { dir };
            let org = sealing.read_organisation(&paths)?;
            let bytes = b64::decode(request.trim()).context("the request is not base64url")?;
            let request = EnrolmentRequest::decode_verified(&bytes)?;
            let short =
                registry::short_fingerprint(&request.x25519_public.0, &request.ed25519_public.0);
            if let Some(heard) = fingerprint {
                let digits = |s: &str| s.chars().filter(char::is_ascii_digit).collect::<String>();
                anyhow::ensure!(
                    digits(&heard) == digits(&short),
                    "the fingerprint read out ({heard}) is not this request's ({short}): not signed"
                );
            }
            let book = registry::path(&paths.dir);
            let serial = match serial {
                Some(serial) => serial,
                None => registry::next_serial(&registry::load(&book)?),
            };
            anyhow::ensure!(
                serial >= registry::FIRST_SERIAL,
                "serial {serial} is below {}: those are kept for tip inbox certificates",
                registry::FIRST_SERIAL
            );
            let now = Clock::system().unix_s();
            let alias = request.alias.clone();
            let (not_before, not_after) = (now - 300, now + days * 86_400);
            let cert = request.certify(&org, serial, not_before, not_after)?;
            registry::append(
                &book,
                &registry::Event::Issued {
                    serial,
                    alias: alias.clone(),
                    fingerprint: short.clone(),
                    issued: now,
                    expires: not_after,
                },
            )?;
            keyfile::write_key(&paths.issued_certificate(serial), cert.as_bytes())?;
            println!("Fingerprint {short}: compare it with the coordinator's before sending this.");
            println!("Certificate for {alias} (serial {serial}, valid {days} days):");
            println!("{}", b64::encode(cert.as_bytes()));
        }
        KeysCommand::GrantInbox {
            dir,
            to,
            days,
            retention_days,
            margin_days,
        } => {
            let retention = lifeline::inbox_keys::Retention {
                days: retention_days,
                margin_days,
            };
            let made = lifeline::grants::grant_inbox_at(
                &sealing.opener()?,
                &KeyPaths { dir },
                to,
                days,
                retention,
                &Clock::system(),
            )?;
            println!(
                "Inbox grant for serial {to}: {} key(s), until {} UTC.",
                made.header.keys.len(),
                lifeline::console::tui::ui::date_minute(made.header.until)
            );
            for key in &made.header.keys {
                println!(
                    "  inbox key {}: until {} UTC",
                    &key.fingerprint.to_hex()[..16],
                    lifeline::console::tui::ui::date_minute(key.until)
                );
            }
            println!(
                "Written to {}: sealed to that coordinator's key, safe to send. They import it with\n  lifeline console --import-grant <FILE>",
                made.path.display()
            );
        }
        KeysCommand::RotateInbox { dir, days } => {
            let paths = KeyPaths { dir };
            // The same rule as every key written here: sealed, or plain only when asked.
            anyhow::ensure!(
                sealing.passphrase_file.is_some() || sealing.unsealed,
                "{}: refusing to write a private key unsealed: give --passphrase-file \
                 (or --unsealed, for development keys only)",
                paths.inbox_key().display()
            );
            let rotated = lifeline::inbox_keys::rotate_inbox(
                &sealing.opener()?,
                &paths,
                days,
                &Clock::system(),
            )?;
            let body = rotated.certificate.body();
            println!(
                "New tip-inbox key (serial {}, fingerprint {}), valid {days} days; serial {} \
                 is kept in {} and still opens its tips.",
                body.serial,
                rotated.fingerprint,
                rotated.replaces,
                paths.dir.join("inbox").display()
            );
            println!(
                "Next: grant again to every coordinator (lifeline keys grant-inbox --to <serial>), \
                 then copy {} to every relay's data/keys/ (picked up within seconds).",
                paths.inbox_certificate().display()
            );
        }
        KeysCommand::Renew { dir, request, days } => {
            renew(sealing, &KeyPaths { dir }, &request, days)?
        }
        KeysCommand::Revoke { dir, serial } => {
            let paths = KeyPaths { dir };
            let org = sealing.read_organisation(&paths)?;
            let list = keys_tool::revoke(&org, &paths, &serial, &Clock::system())?;
            println!(
                "Revoked: {:?}. Copy {} to every relay's data/keys/.",
                list.serials(),
                paths.revocations().display()
            );
        }
        KeysCommand::List { dir } => {
            println!("serial  expires      revoked      fingerprint                    alias");
            let now = Clock::system().unix_s();
            let day = |s: u64| keys_tool::days_from(s, now);
            for e in registry::load(&registry::path(&dir))? {
                let revoked = e.revoked.map(day).unwrap_or_else(|| "-".into());
                // Past, the expiry says so: "today" alone would not say whether it still holds.
                let expires = match day(e.expires) {
                    ago if e.expires <= now => format!("ended {ago}"),
                    ahead => ahead,
                };
                println!(
                    "{:<7} {:<12} {:<12} {:<30} {}",
                    e.serial, expires, revoked, e.fingerprint, e.alias
                );
            }
        }
        KeysCommand::PublishRevocations { dir } => {
            let paths = KeyPaths { dir };
            let org = sealing.read_organisation(&paths)?;
            let keys_tool::Republished { list, rebuilt } =
                keys_tool::republish(&org, &paths, &Clock::system())?;
            if let Some(why) = rebuilt {
                println!(
                    "The list in the folder could not be used ({why}): rebuilt from the \
                     registry's revocations. Check the serials below against your records."
                );
            }
            println!(
                "Re-signed {} with {} serials: {:?}.",
                paths.revocations().display(),
                list.serials().len(),
                list.serials()
            );
        }
    }
    Ok(())
}

/// `lifeline keys renew`: the request must come from a certificate in force (signed by the
/// organisation, unexpired, on neither the published list nor the registry's revocations).
fn renew(sealing: &Sealing, paths: &KeyPaths, request: &str, days: u64) -> anyhow::Result<()> {
    let org = sealing.read_organisation(paths)?;
    let renewed = keys_tool::renew(&org, paths, request, days, &Clock::system())?;
    if renewed.new_keys {
        println!(
            "New keys, fingerprint {}: compare it with the coordinator's first.",
            renewed.fingerprint
        );
    }
    let body = renewed.certificate.body();
    println!(
        "Renewed certificate for {} (serial {}, valid {days} days):",
        body.alias, body.serial
    );
    println!("{}", b64::encode(renewed.certificate.as_bytes()));
    Ok(())
}
