//! Inbox rotation (issue 16, item 3) through the real binaries: `lifeline keys rotate-inbox`
//! keeps the older key sealed and records the rotation; a running `lifeline serve` picks up
//! the new certificate within seconds and serves it to tipsters; `lifeline keys grant-inbox`
//! carries both keys, `lifeline console --import-grant` takes them, and the console opens a
//! tip sealed before the rotation and one sealed after it. A grant made past the old key's
//! retention drops it, and the console then says so plainly. Bad input changes nothing.

use crate::common;
use crate::inbox_relay;
use crate::keys_tool;
use crate::organisation;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use inbox_relay::{
    console_on_tips, file_tip, import_in_terminal, open_selected, relay_of, served_inbox,
};
use keys_tool::{keys, printed};
use lifeline::clock::Clock;
use lifeline::console::identity::Identity;
use lifeline::console::runner::{Ready, import_grant};
use lifeline::crypto::certificate::Certificate;
use lifeline::grants::{Opener, grant_inbox_at};
use lifeline::inbox_keys::{Retention, rotate_inbox};
use lifeline::keyfile::{self, KeyPaths};
use organisation::{CONSOLE_PASS, ORG_PASS, organisation_and_coordinator};

const DAY: u64 = 86_400;

/// Every file under `dir`, with its bytes.
fn snapshot(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).expect("dir").flatten() {
        let path = entry.path();
        if path.is_dir() {
            files.extend(snapshot(&path));
        } else {
            files.push((path.clone(), std::fs::read(&path).expect("read")));
        }
    }
    files.sort();
    files
}

#[tokio::test]
async fn tips_sealed_before_and_after_a_rotation_both_open_in_the_console_until_retention_ends() {
    let folder = tempfile::tempdir().expect("dir");
    let org_dir = folder.path().join("org-keys");
    let identity = folder.path().join("console.identity");
    let (org, serial) = organisation_and_coordinator(&org_dir, &identity, "Noor", 14);
    let pass = org_dir.join("passphrase");

    // The relay holds only public material: the organisation key, inbox.cert, the list.
    let data = folder.path().join("data");
    let (relay, addr) = relay_of(&org_dir, &org, &data).await;
    let before = file_tip(&addr, &org, "sealed before the rotation").await;

    let out = printed(keys(&pass, &org_dir, &["rotate-inbox"]));
    assert!(out.contains("still opens its tips"), "{out}");
    let paths = KeyPaths {
        dir: org_dir.clone(),
    };
    let old_serial = before.body().serial;
    let kept = std::fs::read_to_string(paths.kept_inbox_key(old_serial)).expect("kept");
    assert!(kept.starts_with("lifeline-sealed-key v1\n"), "kept sealed");
    let current =
        Certificate::decode(&keyfile::read_key(&paths.inbox_certificate()).expect("inbox.cert"))
            .expect("certificate");
    assert_ne!(current.body().x25519_public, before.body().x25519_public);
    let listed = printed(keys(&pass, &org_dir, &["list"]));
    assert!(
        listed.contains("Tip inbox") && listed.contains(&current.body().serial.to_string()),
        "the rotation is in the registry: {listed}"
    );

    // Copied to the relay: served to tipsters within seconds, no restart.
    std::fs::copy(paths.inbox_certificate(), data.join("keys/inbox.cert")).expect("copied");
    let deadline = Instant::now() + Duration::from_secs(15);
    while served_inbox(&addr, &org).await.as_bytes() != current.as_bytes() {
        assert!(Instant::now() < deadline, "{}", relay.logs());
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(relay.logs().contains("inbox certificate adopted"));
    let after = file_tip(&addr, &org, "sealed after the rotation").await;
    assert_eq!(after.as_bytes(), current.as_bytes());

    let out = printed(keys(
        &pass,
        &org_dir,
        &["grant-inbox", "--to", &serial.to_string()],
    ));
    assert!(out.contains("2 key(s)"), "{out}");
    let grant = paths.grant(serial);
    let said = import_in_terminal(&identity, &grant).await;
    assert!(said.contains("Imported 2 inbox key(s)"), "{said}");
    assert!(said.contains("takes them at your next unlock"), "{said}");

    let texts = ["sealed before the rotation", "sealed after the rotation"];
    let mut console = console_on_tips(&identity, &addr, 2).await;
    let first = open_selected(&mut console, &texts).await;
    console.press_sequence("\x1b[B").await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    let other: Vec<&str> = texts.into_iter().filter(|t| *t != first).collect();
    open_selected(&mut console, &other).await;
    console.type_keys("\x03y").await;
    assert!(console.exit_status().await.success());

    // Granted again with the old key past its retention (and margin): only the new key,
    // and the console says plainly why the older tip stays sealed.
    let out = printed(keys(
        &pass,
        &org_dir,
        &[
            "grant-inbox",
            "--to",
            &serial.to_string(),
            "--retention-days",
            "0",
            "--margin-days",
            "0",
        ],
    ));
    assert!(out.contains("1 key(s)"), "{out}");
    let said = import_in_terminal(&identity, &grant).await;
    assert!(said.contains("Imported 1 inbox key(s)"), "{said}");
    let held = Identity::read_file(&identity, CONSOLE_PASS)
        .expect("opens")
        .inbox_keys(Clock::system().unix_s());
    assert_eq!(held.len(), 1);
    assert_eq!(held[0].public(), current.body().x25519_public);
    let mut console = console_on_tips(&identity, &addr, 2).await;
    let seen = open_selected(
        &mut console,
        &["sealed after the rotation", "you were not granted"],
    )
    .await;
    if seen == "sealed after the rotation" {
        console.press_sequence("\x1b[B").await;
        tokio::time::sleep(Duration::from_millis(200)).await;
        open_selected(&mut console, &["you were not granted"]).await;
    }
    console.type_keys("\x03y").await;
    assert!(console.exit_status().await.success());
}

#[test]
fn a_wrong_passphrase_changes_nothing_and_a_damaged_multi_key_grant_names_its_file() {
    let folder = tempfile::tempdir().expect("dir");
    let org_dir = folder.path().join("org-keys");
    let identity = folder.path().join("console.identity");
    let (_, serial) = organisation_and_coordinator(&org_dir, &identity, "Noor", 14);
    let pass = org_dir.join("passphrase");
    let wrong = folder.path().join("wrong");
    std::fs::write(&wrong, "not the organisation passphrase\n").expect("written");

    let before = snapshot(&org_dir);
    let out = keys(&wrong, &org_dir, &["rotate-inbox"]);
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        said.contains("organisation.key") && said.contains("wrong passphrase"),
        "{said}"
    );
    assert_eq!(snapshot(&org_dir), before, "nothing changed");

    // Two rotations keep both older keys; none is ever overwritten.
    printed(keys(&pass, &org_dir, &["rotate-inbox"]));
    printed(keys(&pass, &org_dir, &["rotate-inbox"]));
    let kept: Vec<_> = std::fs::read_dir(org_dir.join("inbox"))
        .expect("kept keys")
        .flatten()
        .filter(|e| e.path().extension().is_some_and(|x| x == "key"))
        .collect();
    assert_eq!(kept.len(), 3, "the first key and both new ones");
    let out = keys(&pass, &org_dir, &["create-inbox"]);
    assert!(!out.status.success(), "create-inbox never replaces the key");

    let out = printed(keys(
        &pass,
        &org_dir,
        &["grant-inbox", "--to", &serial.to_string()],
    ));
    assert!(out.contains("3 key(s)"), "{out}");
    let grant = KeyPaths {
        dir: org_dir.clone(),
    }
    .grant(serial);
    let text = std::fs::read_to_string(&grant).expect("grant");
    let damaged = folder.path().join("damaged.grant");
    let identity_before = std::fs::read(&identity).expect("identity");
    for broken in [
        text[..text.len() / 2].to_owned(),
        text.replacen('A', "B", 1),
    ] {
        std::fs::write(&damaged, broken).expect("written");
        let err = import_grant(&identity, &damaged, CONSOLE_PASS).expect_err("refused");
        assert!(err.to_string().contains("damaged.grant"), "{err}");
        assert_eq!(std::fs::read(&identity).expect("identity"), identity_before);
    }
}

/// Two rotations in the same second (an operator who rotates again at once): each new
/// certificate starts after the one it replaces, so a relay adopts each in turn instead of
/// refusing the second as "not newer" and serving a key that is no longer current.
#[tokio::test]
async fn rotations_in_the_same_second_each_start_later_and_the_relay_adopts_each() {
    let folder = tempfile::tempdir().expect("dir");
    let org_dir = folder.path().join("org-keys");
    let identity = folder.path().join("console.identity");
    let (org, _) = organisation_and_coordinator(&org_dir, &identity, "Noor", 60);
    let paths = KeyPaths {
        dir: org_dir.clone(),
    };
    let data = folder.path().join("data");
    let (relay, addr) = relay_of(&org_dir, &org, &data).await;

    // The instant `keys init` made the first certificate, frozen: both rotations land in it.
    let first = served_inbox(&addr, &org).await;
    let clock = Clock::manual(first.body().not_before + 3600);
    let opener = Opener(Some(zeroize::Zeroizing::new(ORG_PASS.to_owned())));
    let mut previous = first;
    for _ in 0..2 {
        let rotated = rotate_inbox(&opener, &paths, 365, &clock).expect("rotated");
        let current = rotated.certificate;
        assert!(current.body().not_before > previous.body().not_before);
        std::fs::copy(paths.inbox_certificate(), data.join("keys/inbox.cert")).expect("copied");
        let deadline = Instant::now() + Duration::from_secs(15);
        while served_inbox(&addr, &org).await.as_bytes() != current.as_bytes() {
            assert!(Instant::now() < deadline, "not adopted: {}", relay.logs());
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        previous = current;
    }
    assert!(!relay.logs().contains("not newer"), "{}", relay.logs());
}

/// The month suite calls the rotation as a library function on its injected clock: a grant
/// carries the retired key until one retention period and the margin after the rotation,
/// named with that end, and drops it after.
#[test]
fn on_an_injected_clock_the_retired_key_is_granted_only_within_retention_and_margin() {
    let folder = tempfile::tempdir().expect("dir");
    let org_dir = folder.path().join("org-keys");
    let identity = folder.path().join("console.identity");
    let (_, serial) = organisation_and_coordinator(&org_dir, &identity, "Noor", 60);
    let paths = KeyPaths {
        dir: org_dir.clone(),
    };
    let opener = Opener(Some(zeroize::Zeroizing::new(ORG_PASS.to_owned())));
    let clock = Clock::manual(Clock::system().unix_s());
    let rotated_at = clock.unix_s();
    let rotated = rotate_inbox(&opener, &paths, 365, &clock).expect("rotated");
    let retention = Retention {
        days: 30,
        margin_days: 3,
    };

    clock.advance(Duration::from_secs(32 * DAY));
    let made = grant_inbox_at(&opener, &paths, serial, 14, retention, &clock).expect("granted");
    assert_eq!(made.header.keys.len(), 2);
    let new_fp = rotated.certificate.body().x25519_public.fingerprint();
    assert_eq!(made.header.keys[0].fingerprint, new_fp);
    assert_eq!(made.header.keys[0].until, made.header.until);
    assert_eq!(made.header.keys[1].until, rotated_at + 33 * DAY);

    // Imported, then opened by a console past the old key's end: gone from the file too.
    import_grant(&identity, &made.path, CONSOLE_PASS).expect("imported");
    let stored = || {
        Identity::read_file(&identity, CONSOLE_PASS)
            .expect("opens")
            .inbox_keys(0)
            .len()
    };
    assert_eq!(stored(), 2);
    let later = rotated_at + 33 * DAY;
    Ready::identity(&identity, CONSOLE_PASS, later - 1).expect("unlocked");
    assert_eq!(stored(), 2, "not yet ended");
    Ready::identity(&identity, CONSOLE_PASS, later).expect("unlocked");
    assert_eq!(stored(), 1, "the ended key left the identity file");

    clock.advance(Duration::from_secs(2 * DAY));
    let made = grant_inbox_at(&opener, &paths, serial, 14, retention, &clock).expect("granted");
    assert_eq!(made.header.keys.len(), 1);
    assert_eq!(made.header.keys[0].fingerprint, new_fp);
}

/// A relay adopts only an inbox certificate that verifies and is newer than the one in use:
/// another organisation's or an older one is refused and the current one kept.
#[tokio::test]
async fn the_relay_refuses_a_foreign_or_older_inbox_certificate_and_keeps_the_current_one() {
    use lifeline::crypto::keys::SigningKey;
    let relay = common::TestRelay::start().await;
    let paths = relay.paths();
    let org = relay.org_key();
    let initial = relay.relay.inbox_certificate();
    let now = Clock::system().unix_s();
    let offer = |cert: &Certificate| {
        keyfile::write_key(&paths.inbox_certificate(), cert.as_bytes()).expect("written");
        relay.relay.reload_inbox_certificate();
        relay.relay.inbox_certificate()
    };

    let (_, foreign) =
        keyfile::issue_inbox(&SigningKey::generate(), 2, 365, &Clock::system()).expect("issued");
    assert_eq!(offer(&foreign).as_bytes(), initial.as_bytes());
    let (_, older) =
        keyfile::issue_inbox(&org, 3, 365, &Clock::manual(now - 10 * DAY)).expect("issued");
    assert_eq!(offer(&older).as_bytes(), initial.as_bytes());

    let (_, newer) = keyfile::issue_inbox(&org, 4, 365, &Clock::manual(now + 60)).expect("issued");
    assert_eq!(offer(&newer).as_bytes(), newer.as_bytes());
    let org_key = relay.relay.keys.organisation;
    let served = served_inbox(&relay.addr.to_string(), &org_key).await;
    assert_eq!(served.as_bytes(), newer.as_bytes());
}
