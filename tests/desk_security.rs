//! The desk's doors, through the real `lifeline desk --no-browser` binary over loopback: the
//! launch token works once and only with the exact `Host`; without the session cookie
//! nothing is served; a WebSocket from another origin or without the cookie is refused;
//! every response carries the strict CSP, `no-store` and `no-referrer`; the desk refuses to
//! listen anywhere but 127.0.0.1; a wrong passphrase posted by the page is told so; and the
//! script and style go out compressed when the browser accepts it.

use crate::desk;

use std::io::Read;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use desk::{CHEAP, Desk, Response, next_json, request, send_json, websocket};
use lifeline::console::identity::Identity;

const PASSPHRASE: &str = "a long passphrase for the desk";
const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

/// The desk on `identity`, its relay a port nothing answers on (these doors need none).
fn desk_command(identity: &Path) -> Command {
    desk::desk_command("ws://127.0.0.1:9", identity)
}

/// A new identity sealed under [`PASSPHRASE`], in a folder of its own.
fn sealed_identity() -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let identity = dir.path().join("console.identity");
    Identity::generate("Amara")
        .unwrap()
        .create_file(&identity, PASSPHRASE, CHEAP)
        .unwrap();
    (dir, identity)
}

/// Starts a desk on a [`sealed_identity`] and reads the address it prints.
fn start() -> Desk {
    let (dir, identity) = sealed_identity();
    Desk::spawn(desk_command(&identity), Some(dir))
}

fn assert_guarded_headers(r: &Response) {
    assert_eq!(r.header("content-security-policy"), Some(CSP));
    assert_eq!(r.header("cache-control"), Some("no-store"));
    assert_eq!(r.header("referrer-policy"), Some("no-referrer"));
    assert_eq!(r.header("x-content-type-options"), Some("nosniff"));
    assert_eq!(r.header("x-frame-options"), Some("DENY"));
}

#[test]
fn without_the_token_nothing_is_served_and_the_token_works_once() {
    let desk = start();
    assert_eq!(desk.get("/", &[]).status, 403, "no cookie, no page");
    assert_eq!(desk.get("/desk.js", &[]).status, 403);
    assert_eq!(desk.get("/launch", &[]).status, 403, "no token");
    assert_eq!(desk.get("/launch?token=guess", &[]).status, 403);
    let launched = desk.get(&desk.launch, &[]);
    assert_eq!(launched.status, 200);
    assert!(launched.body.contains("/desk.js"));
    let set = launched.header("set-cookie").unwrap();
    assert!(set.starts_with(&format!("lifeline_desk_{}=", desk.port)));
    assert!(set.contains("HttpOnly") && set.contains("SameSite=Strict"));
    assert_eq!(
        desk.get(&desk.launch, &[]).status,
        403,
        "a reused launch token is refused"
    );
    let cookie = set.split(';').next().unwrap();
    assert_eq!(desk.get("/", &[("Cookie", cookie)]).status, 200);
    assert_eq!(desk.get("/desk.js", &[("Cookie", cookie)]).status, 200);
    let forged = format!("lifeline_desk_{}=forged", desk.port);
    assert_eq!(
        desk.get("/", &[("Cookie", forged.as_str())]).status,
        403,
        "another local process without our cookie"
    );
}

#[test]
fn only_the_exact_loopback_host_is_answered() {
    let desk = start();
    let port = desk.port;
    for host in [
        format!("localhost:{port}"),
        format!("rebound.example:{port}"),
        "127.0.0.1".to_owned(),
        format!("127.0.0.1:{}", port.wrapping_add(1)),
    ] {
        let r = request(port, "GET", &desk.launch, &[("Host", host.as_str())]);
        assert_eq!(r.status, 403, "Host {host}");
        assert_guarded_headers(&r);
    }
    assert_eq!(
        request(port, "GET", &desk.launch, &[]).status,
        403,
        "no Host"
    );
    // Refusals on a wrong Host did not spend the token.
    let cookie = desk.cookie();
    let rebound = format!("rebound.example:{port}");
    assert_eq!(
        request(port, "GET", "/", &[("Host", &rebound), ("Cookie", &cookie)]).status,
        403
    );
}

#[test]
fn every_response_carries_the_strict_headers() {
    let desk = start();
    assert_guarded_headers(&desk.get("/", &[]));
    let cookie = desk.cookie();
    for path in ["/", "/desk.js", "/desk.css", "/nothing-here"] {
        let r = desk.get(path, &[("Cookie", &cookie)]);
        assert_guarded_headers(&r);
    }
    let page = desk.get("/", &[("Cookie", &cookie)]);
    assert!(!page.body.contains("<script>"), "no inline script");
    assert!(!page.body.contains("style="), "no inline style");
}

#[test]
fn a_state_changing_request_needs_our_origin() {
    let desk = start();
    let cookie = desk.cookie();
    let host = desk.host();
    let post = |origin: Option<&str>| {
        let mut headers = vec![("Host", host.as_str()), ("Cookie", cookie.as_str())];
        if let Some(o) = origin {
            headers.push(("Origin", o));
        }
        request(desk.port, "POST", "/ws", &headers).status
    };
    assert_eq!(post(None), 403);
    assert_eq!(post(Some("http://evil.example")), 403);
    assert_ne!(
        post(Some(&desk.origin())),
        403,
        "our origin passes the guard"
    );
}

#[tokio::test]
async fn the_websocket_needs_our_origin_and_cookie_and_a_wrong_passphrase_is_told() {
    let desk = start();
    let cookie = desk.cookie();
    assert!(
        websocket(&desk, "http://evil.example", Some(&cookie))
            .await
            .is_err(),
        "another site's page"
    );
    assert!(
        websocket(
            &desk,
            &format!("http://127.0.0.1:{}", desk.port + 1),
            Some(&cookie)
        )
        .await
        .is_err(),
        "another local port's page"
    );
    assert!(
        websocket(&desk, &desk.origin(), None).await.is_err(),
        "no cookie"
    );
    let mut ws = websocket(&desk, &desk.origin(), Some(&cookie))
        .await
        .unwrap();
    let first = next_json(&mut ws).await;
    assert_eq!(first["type"], "starting");
    assert_eq!(first["keys"], "identity");
    assert!(first["error"].is_null());
    send_json(
        &mut ws,
        serde_json::json!({"type": "unlock", "passphrase": "not it"}),
    )
    .await;
    let told = next_json(&mut ws).await;
    assert_eq!(told["type"], "starting");
    assert_eq!(told["error"], "wrong_passphrase");
    // Nothing of the keys or a shift went to the page.
    assert!(told.get("alias").is_none());
}

#[test]
fn the_desk_listens_on_127_0_0_1_only() {
    let (_dir, identity) = sealed_identity();
    for listen in ["0.0.0.0:0", "[::1]:0", "192.0.2.1:0"] {
        let out = desk_command(&identity)
            .args(["--listen", listen])
            .stderr(Stdio::piped())
            .stdout(Stdio::piped())
            .output()
            .unwrap();
        assert!(!out.status.success(), "{listen} refused");
        assert!(
            String::from_utf8_lossy(&out.stderr).contains("127.0.0.1 only"),
            "{listen}: says why"
        );
    }
}

#[test]
fn script_and_style_go_compressed_only_to_a_browser_that_accepts_it() {
    let desk = start();
    let cookie = desk.cookie();
    let cookie = ("Cookie", cookie.as_str());
    for (path, plain, brotli) in [
        (
            "/desk.js",
            &include_bytes!("../web-widget/dist/desk/desk.js")[..],
            &include_bytes!("../web-widget/dist/desk/desk.js.br")[..],
        ),
        (
            "/desk.css",
            &include_bytes!("../web-widget/dist/desk/desk.css")[..],
            &include_bytes!("../web-widget/dist/desk/desk.css.br")[..],
        ),
    ] {
        let bare = desk.get(path, &[cookie]);
        assert_eq!(bare.status, 200);
        assert_eq!(bare.header("content-encoding"), None, "{path}: none asked");
        assert_eq!(bare.header("vary"), Some("Accept-Encoding"));
        assert!(bare.bytes == plain, "{path}: the plain file");
        assert_guarded_headers(&bare);

        let gzip = desk.get(path, &[cookie, ("Accept-Encoding", "gzip")]);
        assert_eq!(gzip.header("content-encoding"), Some("gzip"), "{path}");
        assert_eq!(gzip.header("vary"), Some("Accept-Encoding"));
        assert!(gzip.bytes.len() < plain.len() / 2, "{path}: compressed");
        let mut decoded = Vec::new();
        flate2::read::GzDecoder::new(&gzip.bytes[..])
            .read_to_end(&mut decoded)
            .unwrap();
        assert!(decoded == plain, "{path}: gzip decodes to the file");

        let br = desk.get(path, &[cookie, ("Accept-Encoding", "gzip, deflate, br")]);
        assert_eq!(br.header("content-encoding"), Some("br"), "{path}");
        assert_eq!(br.header("vary"), Some("Accept-Encoding"));
        // the build checks that this copy decodes to the file
        assert!(br.bytes == brotli, "{path}: the brotli copy");
        assert_guarded_headers(&br);
    }
    // Without the cookie, no coding opens the door.
    let refused = desk.get("/desk.js", &[("Accept-Encoding", "br")]);
    assert_eq!(refused.status, 403);
    assert_eq!(refused.header("content-encoding"), None);
}

/// A sealed development inbox key's passphrase is throttled as the identity's is: it used
/// to be refused without counting, so it could be guessed as fast as Argon2 allowed.
#[tokio::test]
async fn wrong_inbox_key_passphrases_are_throttled_like_the_identity_s() {
    // Development keys: they open with any passphrase (it only sets the lock's), so the
    // inbox key's is the one that can be wrong.
    let dir = tempfile::tempdir().unwrap();
    let paths = lifeline::keyfile::KeyPaths {
        dir: dir.path().join("keys"),
    };
    lifeline::keyfile::create_development_keys(&paths, &lifeline::clock::Clock::system()).unwrap();
    let inbox = dir.path().join("inbox.key");
    lifeline::keyfile::write_sealed_key(&inbox, &[7u8; 32], "the inbox passphrase", CHEAP).unwrap();
    let mut command = Command::new(env!("CARGO_BIN_EXE_lifeline"));
    command
        .args([
            "desk",
            "--no-browser",
            "--relay",
            "ws://127.0.0.1:9",
            "--dev-keys",
        ])
        .arg(paths.dev_coordinator())
        .arg("--inbox-key")
        .arg(&inbox)
        .stdin(Stdio::null())
        .stderr(Stdio::null());
    let desk = Desk::spawn(command, Some(dir));
    let mut ws = desk.page().await;
    let first = next_json(&mut ws).await;
    assert_eq!(first["inbox_sealed"], true);
    // The desk sends `starting` again only when it differs from the last one it sent.
    for i in 0..3 {
        send_json(
            &mut ws,
            serde_json::json!({"type": "unlock", "passphrase": PASSPHRASE, "inbox_passphrase": format!("wrong {i}")}),
        )
        .await;
        if i == 0 {
            let told = next_json(&mut ws).await;
            assert_eq!(told["error"], "inbox_key_does_not_open", "{told}");
            assert_eq!(told["retry_in"], 0, "a first wrong try is free");
        }
        // Each try is heard before the next is sent (Argon2 takes a moment).
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    }
    let waiting = desk::until_json(&mut ws, |m| m["retry_in"].as_u64().unwrap_or(0) > 0).await;
    assert_eq!(waiting["error"], "inbox_key_does_not_open", "{waiting}");
}

/// The launch address works once; left unused (printed with `--no-browser`, it sits in the
/// terminal's scrollback) it dies after `--open-within` seconds and the desk stops, saying
/// so. A desk whose address was opened in time runs on past that.
#[test]
fn an_unused_launch_address_dies_and_the_desk_stops() {
    let (dir, identity) = sealed_identity();
    let mut unused = desk_command(&identity);
    unused.args(["--open-within", "10"]).stderr(Stdio::piped());
    let mut unused = Desk::spawn(unused, None);
    let mut opened = desk_command(&identity);
    opened.args(["--open-within", "10"]);
    let mut opened = Desk::spawn(opened, Some(dir));
    let cookie = opened.cookie();
    assert_eq!(unused.exit_code(Duration::from_secs(8)), None, "too early");
    assert_eq!(unused.exit_code(Duration::from_secs(10)), Some(1));
    let said = unused.stderr();
    assert!(
        said.contains("nobody opened the desk's address within 10 s"),
        "{said}"
    );
    assert_eq!(
        opened.exit_code(Duration::from_secs(1)),
        None,
        "opened in time"
    );
    assert_eq!(opened.get("/", &[("Cookie", cookie.as_str())]).status, 200);
}
