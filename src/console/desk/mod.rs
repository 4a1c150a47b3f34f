//! The coordinator desk, `lifeline desk`: the console's shift in a browser page served by
//! the coordinator's own binary on `127.0.0.1`. The keys and all crypto stay in this
//! process; the page (built from `web-widget/desk/`) renders the same shift core the
//! terminal does ([`crate::console::shift`]) and sends it the same actions, over one
//! WebSocket carrying a small JSON API (`docs/desk-api.md`).
//!
//! It must never listen on anything but loopback, serve a request that did not pass the
//! [`guard::Guard`], write anything to disk but the launch file ([`browser`], deleted once
//! used), or let the browser keep anything (no storage, `no-store` everywhere).
//!
//! - [`guard`]: launch token, session cookie, Host and Origin checks.
//! - [`server`]: the routes, the security headers, the WebSocket bridge.
//! - [`session`]: the loop that owns the shift: unlock, then events in, snapshots out.
//! - [`api`]: the page's messages, as the core's actions.
//! - [`view`]: the snapshot the page is sent; [`tip_view`] its tips part.
//! - [`throttle`]: how often a passphrase may be tried.
//! - [`start_error`]: why the shift did not start, for the page to word.
//! - [`assets`]: the embedded page, script and style.
//! - [`browser`]: opening the default browser without putting the token on a command line.

pub mod api;
pub mod assets;
pub mod browser;
pub mod guard;
pub mod server;
pub mod session;
pub mod start_error;
pub mod throttle;
pub mod tip_view;
pub mod view;

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::sync::mpsc;

use super::ConsoleError;
use super::runner::Options;
use guard::Guard;

/// What `lifeline desk` was asked to do besides what the console is.
#[derive(Debug, Clone)]
pub struct DeskOptions {
    /// The console's options: relay, keys, resources, duty settings.
    pub console: Options,
    /// Where to listen; only a loopback address is accepted (port 0: a free one).
    pub listen: SocketAddr,
    /// Print the launch address instead of opening the browser.
    pub no_browser: bool,
    /// How long the launch address stays good unused: then it dies and the desk stops.
    pub open_within: Duration,
}

impl DeskOptions {
    /// The desk's default address: `127.0.0.1`, a free port.
    pub const LOOPBACK: SocketAddr = SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 0);
}

/// How long the launch file may wait for the browser before it is deleted anyway.
const LAUNCH_FILE_LIFE: Duration = Duration::from_secs(120);

/// `lifeline desk`: serves the desk until the shift ends.
pub async fn run(opts: DeskOptions) -> Result<(), ConsoleError> {
    // Only 127.0.0.1: the Host check names it, and `localhost` may resolve elsewhere.
    if opts.listen.ip() != IpAddr::V4(Ipv4Addr::LOCALHOST) {
        return Err(ConsoleError::Setup(format!(
            "the desk listens on 127.0.0.1 only, not {}",
            opts.listen.ip()
        )));
    }
    super::net::coordinator_url(&opts.console.relay)?;
    // Said here, before the page asks for a passphrase it would then refuse every time.
    super::runner::check_inbox_key_use(&opts.console)?;
    if opts.console.dev_keys.is_none() {
        let path = opts
            .console
            .identity
            .clone()
            .unwrap_or_else(super::runner::default_identity_path);
        if !path.exists() {
            return Err(ConsoleError::Setup(format!(
                "no identity at {}: create and enrol one with `lifeline console` first",
                path.display()
            )));
        }
    }
    let listener = TcpListener::bind(opts.listen).await?;
    let port = listener.local_addr()?.port();
    let guard = Arc::new(Guard::new(port));
    let (pages_tx, pages) = mpsc::unbounded_channel();
    let app = server::router(guard.clone(), pages_tx);
    let server = tokio::spawn(async move { axum::serve(listener, app).await });
    let url = guard
        .launch_url()
        .ok_or_else(|| ConsoleError::Setup("no launch token".into()))?;
    announce(&opts, &guard, &url);
    // Closing the tab does not end the shift, and a second desk would end this one.
    println!(
        "Closed the tab? Open http://127.0.0.1:{port}/ again in the same browser (the shift \
         goes on meanwhile); the desk locks until your passphrase."
    );
    let result = tokio::select! {
        result = session::run(opts.console, pages) => result,
        () = launch_unused(&guard, opts.open_within) => Err(ConsoleError::Setup(format!(
            "nobody opened the desk's address within {} s: it no longer works, and the desk \
             has stopped; start it again when you are at the computer",
            opts.open_within.as_secs()
        ))),
    };
    server.abort();
    if result.is_ok() {
        println!("The shift is over; the desk has stopped.");
    }
    result
}

/// Resolves once `within` has passed with the launch token unused, after killing it; never
/// when it was used in time (the shift is the session's from then on: nothing is cut short).
async fn launch_unused(guard: &Guard, within: Duration) {
    tokio::time::sleep(within).await;
    if !guard.expire_launch() {
        std::future::pending::<()>().await;
    }
}

/// Prints the address, or opens the browser on it through the launch file.
fn announce(opts: &DeskOptions, guard: &Arc<Guard>, url: &str) {
    if opts.no_browser {
        println!("Lifeline desk: open this address in your browser (it works once):");
        println!("  {url}");
        return;
    }
    match browser::launch_file(url) {
        Ok((dir, file)) => {
            if browser::open(&file).is_err() {
                println!(
                    "Could not open a browser. Open this file in one: {}",
                    file.display()
                );
            } else {
                println!("Lifeline desk: opening your browser.");
            }
            let guard = guard.clone();
            tokio::spawn(async move {
                let deadline = tokio::time::Instant::now() + LAUNCH_FILE_LIFE;
                while guard.launch_url().is_some() && tokio::time::Instant::now() < deadline {
                    tokio::time::sleep(Duration::from_millis(500)).await;
                }
                browser::forget(&dir);
            });
        }
        Err(e) => {
            println!("Could not write the launch file ({e}). Open this address instead:");
            println!("  {url}");
        }
    }
}
