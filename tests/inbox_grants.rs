//! Inbox grants (issue 16, item 2), through the real `lifeline keys` binary and the console's
//! import: the inbox key reaches a coordinator sealed to their certified key, lives inside
//! their sealed identity, and never lies in plaintext on disk; damaged or foreign grants are
//! refused with the file named and nothing changed.

use crate::key_scan;
use crate::keys_tool;
use keys_tool::{keys, printed};

use crate::organisation;
use organisation::{CONSOLE_PASS, organisation_and_coordinator};

use lifeline::console::identity::Identity;
use lifeline::console::runner::import_grant;
use lifeline::keyfile;

#[test]
fn a_granted_inbox_key_opens_into_the_identity_and_never_lies_in_plaintext() {
    let folder = tempfile::tempdir().expect("dir");
    let org_dir = folder.path().join("org-keys");
    let identity = folder.path().join("console.identity");
    let (_, serial) = organisation_and_coordinator(&org_dir, &identity, "Noor", 14);
    let pass = org_dir.join("passphrase");
    let out = printed(keys(
        &pass,
        &org_dir,
        &["grant-inbox", "--to", &serial.to_string(), "--days", "7"],
    ));
    assert!(out.contains("1 key(s)"), "{out}");
    let grant = org_dir.join("grants").join(format!("{serial}.grant"));

    let header = import_grant(&identity, &grant, CONSOLE_PASS).expect("imported");
    // The end is a date a person reads, as the console shows it, never Unix seconds.
    let until = lifeline::console::tui::ui::date_minute(header.until);
    assert!(
        out.contains(&format!("until {until} UTC.")) && !out.contains("Unix seconds"),
        "{out}"
    );
    let now = lifeline::clock::Clock::system().unix_s();
    assert!(header.until > now + 6 * 86_400 && header.until <= now + 7 * 86_400);
    let inbox =
        keyfile::read_dh_secret_with(&org_dir.join("inbox.key"), Some("organisation passphrase"))
            .expect("inbox key");
    let named: Vec<_> = header
        .keys
        .iter()
        .map(|k| (k.fingerprint, k.until))
        .collect();
    assert_eq!(named, vec![(inbox.public().fingerprint(), header.until)]);
    let held = Identity::read_file(&identity, CONSOLE_PASS)
        .expect("opens")
        .inbox_keys(now);
    assert_eq!(held.len(), 1);
    assert_eq!(held[0].public(), inbox.public());
    // Past the grant's end the console no longer uses it.
    let held_later = Identity::read_file(&identity, CONSOLE_PASS)
        .expect("opens")
        .inbox_keys(header.until);
    assert!(held_later.is_empty());

    // No file anywhere holds the inbox secret in the clear: raw, base64url, base64 or hex,
    // and no file claims to be sealed without being so (`key_scan`).
    let known = [("the inbox key".to_owned(), *inbox.to_bytes())];
    let found = key_scan::unsealed_keys(&[folder.path()], &known);
    assert!(found.is_empty(), "{}", found.join("\n"));
    assert!(
        key_scan::files_under(&[folder.path()]).len() > 3,
        "the scan read the folder"
    );
}

#[test]
fn a_corrupted_foreign_or_mistyped_grant_names_the_file_and_changes_nothing() {
    let folder = tempfile::tempdir().expect("dir");
    let org_dir = folder.path().join("org-keys");
    let mine = folder.path().join("mine.identity");
    let theirs = folder.path().join("theirs.identity");
    let (_, my_serial) = organisation_and_coordinator(&org_dir, &mine, "Noor", 14);
    let (_, their_serial) = organisation_and_coordinator(&org_dir, &theirs, "Bo", 14);
    let pass = org_dir.join("passphrase");
    printed(keys(
        &pass,
        &org_dir,
        &["grant-inbox", "--to", &their_serial.to_string()],
    ));
    let their_grant = org_dir.join("grants").join(format!("{their_serial}.grant"));
    let before = std::fs::read(&mine).expect("identity");
    let unchanged = || assert_eq!(std::fs::read(&mine).expect("identity"), before);

    // Another coordinator's grant.
    let err = import_grant(&mine, &their_grant, CONSOLE_PASS).expect_err("foreign");
    assert!(
        err.to_string().contains(&their_grant.display().to_string()),
        "{err}"
    );
    unchanged();

    // Damaged: truncated, or its clear header altered.
    let text = std::fs::read_to_string(&their_grant).expect("grant");
    let damaged = folder.path().join("damaged.grant");
    std::fs::write(&damaged, &text[..text.len() / 2]).expect("written");
    let err = import_grant(&mine, &damaged, CONSOLE_PASS).expect_err("damaged");
    assert!(err.to_string().contains("damaged.grant"), "{err}");
    unchanged();
    std::fs::write(&damaged, "lifeline-inbox-grant v1\nnot base64!\n").expect("written");
    let err = import_grant(&mine, &damaged, CONSOLE_PASS).expect_err("damaged");
    assert!(err.to_string().contains("damaged.grant"), "{err}");
    unchanged();

    // My own grant, but a wrong identity passphrase: a clear error, nothing changed.
    printed(keys(
        &pass,
        &org_dir,
        &["grant-inbox", "--to", &my_serial.to_string()],
    ));
    let my_grant = org_dir.join("grants").join(format!("{my_serial}.grant"));
    let err = import_grant(&mine, &my_grant, "not my passphrase").expect_err("wrong");
    // As the binary prints it: the error and its causes.
    let said = format!("{:#}", anyhow::Error::from(err));
    assert!(said.contains("wrong passphrase"), "{said}");
    unchanged();

    // Revoked, or never issued: no grant is made.
    printed(keys(
        &pass,
        &org_dir,
        &["revoke", "--serial", &their_serial.to_string()],
    ));
    let out = keys(
        &pass,
        &org_dir,
        &["grant-inbox", "--to", &their_serial.to_string()],
    );
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("revoked"));
    let out = keys(&pass, &org_dir, &["grant-inbox", "--to", "999"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("999.cert"));
}
