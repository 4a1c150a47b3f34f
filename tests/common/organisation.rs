//! An organisation's key folder made with the real `lifeline keys` binary (sealed under a
//! passphrase file), and a coordinator identity enrolled in it: shared by the inbox grant and
//! rotation suites. Included with `#[path]`, next to `common/keys_tool.rs` as `keys_tool`.
#![allow(dead_code)]

use std::path::Path;

use crate::keys_tool::{keys, printed};
use lifeline::console::identity::{Identity, KdfParams};
use lifeline::crypto::keys::OrgPublicKey;
use lifeline::keyfile;

/// A cheap identity cost: these files are tests', never a person's.
pub const CHEAP: KdfParams = KdfParams {
    m_kib: 64,
    t: 1,
    p: 1,
};
/// The organisation's passphrase (in `<dir>/passphrase`).
pub const ORG_PASS: &str = "organisation passphrase";
/// The coordinator identity's passphrase.
pub const CONSOLE_PASS: &str = "console passphrase";

/// An organisation with a sealed inbox key in `dir` (made on first call), and an identity
/// enrolled for `days` written at `identity`: the organisation key and the serial.
pub fn organisation_and_coordinator(
    dir: &Path,
    identity: &Path,
    alias: &str,
    days: u64,
) -> (OrgPublicKey, u64) {
    std::fs::create_dir_all(dir).expect("folder");
    let pass = dir.join("passphrase");
    std::fs::write(&pass, format!("{ORG_PASS}\n")).expect("passphrase");
    if !dir.join("organisation.key").exists() {
        printed(keys(&pass, dir, &["init-organisation"]));
        printed(keys(&pass, dir, &["create-inbox"]));
    }
    let signing = keyfile::read_signing_key_with(&dir.join("organisation.key"), Some(ORG_PASS))
        .expect("opens");
    let org = signing.public();
    let mut me = Identity::generate(alias).expect("identity");
    let request = me.enrolment_request().expect("request");
    let days = days.to_string();
    let out = printed(keys(
        &pass,
        dir,
        &["enrol", "--request", &request, "--days", &days],
    ));
    let cert = out.lines().last().unwrap_or_default().trim().to_owned();
    let now = lifeline::clock::Clock::system().unix_s();
    me.install_certificate(&cert, org, now).expect("installed");
    me.create_file(identity, CONSOLE_PASS, CHEAP)
        .expect("written");
    let serial = me.certificate().expect("enrolled").body().serial;
    (org, serial)
}
