//! A renewal to new keys as the coordinator and the organisation run it, through the real
//! `lifeline console` binary in a terminal: the enrolled identity a shift starts on, the
//! request `--renewal-request --new-keys` prints, the organisation's certificate for it.
//! Included with `#[path]` (beside `common/terminal.rs` as `terminal` and
//! `common/screen.rs` as `screen`) by the suites that renew during a shift.
//!
//! It must never sign with any key but the test relay's own organisation key.
#![allow(dead_code)]

use std::path::Path;
use std::time::Duration;

use crate::common::TestRelay;
use crate::terminal::TerminalConsole;
use lifeline::console::identity::{Identity, KdfParams};
use lifeline::crypto::enrolment::EnrolmentRequest;
use lifeline::crypto::renewal::RenewalRequest;
use lifeline::protocol::b64;

pub const PASSPHRASE: &str = "a long passphrase for new keys";
pub const DAY: u64 = 86_400;
/// Sealing the identity cheaply: the tests' time goes to the console, not Argon2.
const CHEAP: KdfParams = KdfParams {
    m_kib: 8,
    t: 1,
    p: 1,
};

/// `lifeline console <arguments>` in a terminal, the passphrase typed: its exit and output.
pub async fn console(arguments: &str, passphrase: &str) -> (bool, String) {
    let mut console = TerminalConsole::run(&format!("console {arguments}"), 400, 30);
    console.until_shown("Passphrase for").await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    console.type_keys(&format!("{passphrase}\r")).await;
    let ok = console.exit_status().await.success();
    (ok, console.shown())
}

/// The request and fingerprint `--renewal-request --new-keys` printed.
pub fn printed_request(shown: &str) -> (String, String) {
    let lines: Vec<&str> = shown.lines().map(str::trim).collect();
    let fingerprint = lines
        .iter()
        .find_map(|l| l.strip_prefix("New keys' fingerprint: "))
        .expect("a fingerprint");
    let at = lines
        .iter()
        .position(|l| l.starts_with("Renewal request for"))
        .expect("a request");
    let request = lines[at + 1..]
        .iter()
        .find(|l| !l.is_empty())
        .expect("the request line");
    (request.to_string(), fingerprint.to_owned())
}

/// The organisation's answer to a renewal request, as `lifeline keys renew` signs it.
pub fn certify(relay: &TestRelay, request: &str, days: u64) -> String {
    let now = relay.relay.clock.unix_s();
    let bytes = b64::decode(request).expect("base64url");
    let request = RenewalRequest::decode_verified(&bytes, &relay.org_key().public(), now, None)
        .expect("a verified request");
    assert!(!request.same_keys());
    let certificate = request
        .certify(&relay.org_key(), now, now + days * DAY)
        .expect("certified");
    b64::encode(certificate.as_bytes())
}

/// An identity "Amara", serial 410, enrolled by the relay's organisation three days ago for
/// five days, sealed at `path` with [`PASSPHRASE`].
pub fn enrolled_identity(relay: &TestRelay, path: &Path) -> Identity {
    let mut identity = Identity::generate("Amara").expect("identity");
    let now = relay.relay.clock.unix_s();
    let request = b64::decode(&identity.enrolment_request().expect("request")).expect("b64");
    let certificate = EnrolmentRequest::decode_verified(&request)
        .expect("verified")
        .certify(&relay.org_key(), 410, now - 3 * DAY, now + 2 * DAY)
        .expect("certified");
    identity
        .install_certificate(
            &b64::encode(certificate.as_bytes()),
            relay.org_key().public(),
            now,
        )
        .expect("enrolled");
    identity
        .create_file(path, PASSPHRASE, CHEAP)
        .expect("written");
    identity
}

/// New keys asked for on the identity at `path`, certified by the organisation, and
/// installed with `--install-certificate` (the relay at `relay_url` named for the check):
/// the new keys' fingerprint.
pub async fn renew_to_new_keys(relay: &TestRelay, path: &Path) -> String {
    let id = format!("--identity {}", path.display());
    let (ok, shown) = console(&format!("{id} --renewal-request --new-keys"), PASSPHRASE).await;
    assert!(ok, "{shown}");
    let (request, fingerprint) = printed_request(&shown);
    let certificate = certify(relay, &request, 30);
    let install = format!(
        "{id} --relay ws://{} --install-certificate {certificate}",
        relay.addr
    );
    let (ok, shown) = console(&install, PASSPHRASE).await;
    assert!(ok && shown.contains("New keys in use"), "{shown}");
    fingerprint
}
