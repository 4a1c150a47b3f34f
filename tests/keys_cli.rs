//! `lifeline keys`: the organisation's key work, through the real binary. Key files are
//! owner-only, enrolment turns a console's request into a certificate the relay accepts,
//! and revocation publishes a signed list.

use std::os::unix::fs::PermissionsExt;
use std::process::Command;

use lifeline::crypto::certificate::{Certificate, RevocationList, Role};
use lifeline::crypto::enrolment::EnrolmentRequest;
use lifeline::crypto::keys::{DhSecret, OrgPublicKey, SigningKey};
use lifeline::protocol::b64;

fn lifeline(args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_lifeline"))
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn organisation_inbox_enrolment_and_revocation() {
    let parent = tempfile::tempdir().unwrap();
    std::fs::set_permissions(parent.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    // A folder the tool creates itself: a listing of it names serials and grants.
    let dir = parent.path().join("organisation").join("keys");
    let d = dir.to_str().unwrap();
    let out = lifeline(&["keys", "init-organisation", "--dir", d, "--unsealed"]);
    let public = out.lines().last().unwrap().trim();
    let org = OrgPublicKey(b64::decode(public).unwrap().try_into().unwrap());
    let mode = |name: &str| {
        std::fs::metadata(dir.join(name))
            .unwrap()
            .permissions()
            .mode()
            & 0o777
    };
    assert_eq!(mode("organisation.key"), 0o600);
    assert_eq!(mode(""), 0o700);
    assert_eq!(mode(".."), 0o700, "every folder it had to make");
    assert_eq!(
        mode("../.."),
        0o755,
        "a folder that existed keeps its rights"
    );
    let again = Command::new(env!("CARGO_BIN_EXE_lifeline"))
        .args(["keys", "init-organisation", "--dir", d, "--unsealed"])
        .output()
        .unwrap();
    assert!(
        !again.status.success(),
        "an existing organisation key is never overwritten"
    );

    lifeline(&["keys", "create-inbox", "--dir", d, "--unsealed"]);
    assert_eq!(mode("inbox.key"), 0o600);
    let inbox = b64::decode(
        std::fs::read_to_string(dir.join("inbox.cert"))
            .unwrap()
            .trim(),
    )
    .unwrap();
    let now = lifeline::clock::Clock::system().unix_s();
    Certificate::decode_verified(&inbox, &org, now, None, Role::TipInbox).unwrap();

    // A coordinator's console prints a request; the organisation certifies it.
    let signing = SigningKey::generate();
    let request = EnrolmentRequest {
        alias: "Noor".into(),
        x25519_public: DhSecret::generate().public(),
        ed25519_public: signing.public(),
    };
    let encoded = b64::encode(&request.encode_signed(&signing).unwrap());
    let out = lifeline(&[
        "keys",
        "enrol",
        "--dir",
        d,
        "--request",
        &encoded,
        "--serial",
        "101",
        "--days",
        "7",
    ]);
    let cert = Certificate::decode_verified(
        &b64::decode(out.lines().last().unwrap().trim()).unwrap(),
        &org,
        now,
        None,
        Role::Coordinator,
    )
    .unwrap();
    assert_eq!(
        (cert.body().alias.as_str(), cert.body().serial),
        ("Noor", 101)
    );
    assert!(cert.body().not_after <= now + 7 * 86_400 + 5);
    assert_eq!(mode("certificates"), 0o700);
    let mut forged = b64::decode(&encoded).unwrap();
    forged[3] ^= 1;
    let refused = Command::new(env!("CARGO_BIN_EXE_lifeline"))
        .args([
            "keys",
            "enrol",
            "--dir",
            d,
            "--request",
            &b64::encode(&forged),
            "--serial",
            "102",
        ])
        .output()
        .unwrap();
    assert!(
        !refused.status.success(),
        "a request without proof of possession is refused"
    );

    lifeline(&["keys", "revoke", "--dir", d, "--serial", "101"]);
    lifeline(&["keys", "revoke", "--dir", d, "--serial", "55"]);
    let list = b64::decode(
        std::fs::read_to_string(dir.join("revocations.list"))
            .unwrap()
            .trim(),
    )
    .unwrap();
    let list = RevocationList::decode_verified(&list, &org, now, Some(60)).unwrap();
    assert_eq!(list.serials(), &[55, 101]);
    assert_eq!(
        Certificate::decode_verified(cert.as_bytes(), &org, now, Some(&list), Role::Coordinator)
            .unwrap_err(),
        lifeline::crypto::CertificateError::Revoked
    );
    lifeline(&["keys", "publish-revocations", "--dir", d]);
}

/// Runs `lifeline keys …`; its exit status and stderr.
fn lifeline_status(args: &[&str]) -> (bool, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_lifeline"))
        .args(args)
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn private_keys_are_sealed_with_the_passphrase_file_and_bad_input_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().join("org");
    let d = d.to_str().unwrap();
    let pass = dir.path().join("pass");
    std::fs::write(&pass, "a long organisation passphrase\n").unwrap();
    let wrong = dir.path().join("wrong");
    std::fs::write(&wrong, "not the passphrase at all\n").unwrap();
    let p = pass.to_str().unwrap();

    let (ok, err) = lifeline_status(&["keys", "init-organisation", "--dir", d]);
    assert!(
        !ok && err.contains("refusing to write a private key unsealed"),
        "{err}"
    );

    let out = lifeline(&[
        "keys",
        "init-organisation",
        "--dir",
        d,
        "--passphrase-file",
        p,
    ]);
    let public = out.lines().last().unwrap().trim().to_owned();
    let org_file = dir.path().join("org/organisation.key");
    let sealed = std::fs::read_to_string(&org_file).unwrap();
    assert!(sealed.starts_with("lifeline-sealed-key v1\n"), "{sealed}");

    // A wrong passphrase: a clear error naming the file, and nothing written.
    let (ok, err) = lifeline_status(&[
        "keys",
        "create-inbox",
        "--dir",
        d,
        "--passphrase-file",
        wrong.to_str().unwrap(),
    ]);
    assert!(
        !ok && err.contains("organisation.key") && err.contains("wrong passphrase"),
        "{err}"
    );
    assert!(!dir.path().join("org/inbox.key").exists());
    assert_eq!(std::fs::read_to_string(&org_file).unwrap(), sealed);

    lifeline(&["keys", "create-inbox", "--dir", d, "--passphrase-file", p]);
    let inbox = std::fs::read_to_string(dir.path().join("org/inbox.key")).unwrap();
    assert!(inbox.starts_with("lifeline-sealed-key v1\n"));
    lifeline(&[
        "keys",
        "revoke",
        "--dir",
        d,
        "--serial",
        "9",
        "--passphrase-file",
        p,
    ]);
    let list = b64::decode(
        std::fs::read_to_string(dir.path().join("org/revocations.list"))
            .unwrap()
            .trim(),
    )
    .unwrap();
    let org = OrgPublicKey(b64::decode(&public).unwrap().try_into().unwrap());
    assert!(
        RevocationList::decode_verified(&list, &org, 0, None)
            .unwrap()
            .contains(9)
    );

    // Truncated: an error naming the file.
    std::fs::write(&org_file, &sealed[..sealed.len() / 2]).unwrap();
    let (ok, err) = lifeline_status(&[
        "keys",
        "publish-revocations",
        "--dir",
        d,
        "--passphrase-file",
        p,
    ]);
    assert!(!ok && err.contains("organisation.key"), "{err}");
}

#[test]
fn the_registry_assigns_serials_never_reuses_one_checks_the_fingerprint_and_lists() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().to_str().unwrap();
    lifeline(&["keys", "init-organisation", "--dir", d, "--unsealed"]);
    let request = |alias: &str| {
        let signing = SigningKey::generate();
        let dh = DhSecret::generate();
        let request = EnrolmentRequest {
            alias: alias.into(),
            x25519_public: dh.public(),
            ed25519_public: signing.public(),
        };
        let short = lifeline::registry::short_fingerprint(&dh.public().0, &signing.public().0);
        (
            b64::encode(&request.encode_signed(&signing).unwrap()),
            short,
        )
    };
    let serial_of = |out: &str| {
        let cert = b64::decode(out.lines().last().unwrap().trim()).unwrap();
        Certificate::decode(&cert).unwrap().body().serial
    };
    let (amara, amara_fp) = request("Amara");
    let out = lifeline(&[
        "keys",
        "enrol",
        "--dir",
        d,
        "--request",
        &amara,
        "--fingerprint",
        &amara_fp,
    ]);
    assert!(out.contains(&amara_fp), "the fingerprint is shown: {out}");
    assert_eq!(
        serial_of(&out),
        100,
        "the first serial, assigned by the tool"
    );

    let (noor, _) = request("Noor");
    // Enrolling Noor with one more option: refused, and why.
    let refused = |extra: &[&str]| {
        let (ok, err) =
            lifeline_status(&[&["keys", "enrol", "--dir", d, "--request", &noor], extra].concat());
        assert!(!ok, "{extra:?} refused");
        err
    };
    let err = refused(&["--fingerprint", &amara_fp]);
    assert!(
        err.contains("not signed"),
        "a fingerprint that differs: {err}"
    );
    let err = refused(&["--serial", "100"]);
    assert!(err.contains("never reused"), "{err}");
    let out = lifeline(&[
        "keys",
        "enrol",
        "--dir",
        d,
        "--request",
        &noor,
        "--days",
        "3",
    ]);
    assert_eq!(serial_of(&out), 101);
    lifeline(&["keys", "revoke", "--dir", d, "--serial", "100"]);
    let out = lifeline(&["keys", "enrol", "--dir", d, "--request", &amara]);
    assert_eq!(
        serial_of(&out),
        102,
        "a revoked serial is not handed out again"
    );

    let list = lifeline(&["keys", "list", "--dir", d]);
    let rows: Vec<&str> = list.lines().skip(1).collect();
    assert_eq!(rows.len(), 3, "{list}");
    assert!(
        rows[0].starts_with("101 ") && rows[0].ends_with("Noor"),
        "soonest expiry first: {list}"
    );
    let amara_row = rows.iter().find(|r| r.starts_with("100 ")).unwrap();
    assert!(
        amara_row.contains(" today "),
        "revoked today shown as today: {amara_row}"
    );
    assert!(amara_row.contains(&amara_fp));
}

/// A new folder with an organisation (unsealed) and its first inbox; its path and public key.
fn organisation() -> (tempfile::TempDir, String, OrgPublicKey) {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().join("org").to_str().unwrap().to_owned();
    let out = lifeline(&["keys", "init-organisation", "--dir", &d, "--unsealed"]);
    let public = b64::decode(out.lines().last().unwrap().trim()).unwrap();
    lifeline(&["keys", "create-inbox", "--dir", &d, "--unsealed"]);
    (dir, d, OrgPublicKey(public.try_into().unwrap()))
}

/// Enrols a coordinator whose keys the test holds; its signing key and certificate.
fn enrolled(d: &str, alias: &str, org: &OrgPublicKey) -> (SigningKey, Certificate) {
    let signing = SigningKey::generate();
    let request = EnrolmentRequest {
        alias: alias.into(),
        x25519_public: DhSecret::generate().public(),
        ed25519_public: signing.public(),
    };
    let encoded = b64::encode(&request.encode_signed(&signing).unwrap());
    let out = lifeline(&["keys", "enrol", "--dir", d, "--request", &encoded]);
    let now = lifeline::clock::Clock::system().unix_s();
    let bytes = b64::decode(out.lines().last().unwrap().trim()).unwrap();
    let cert = Certificate::decode_verified(&bytes, org, now, None, Role::Coordinator).unwrap();
    (signing, cert)
}

fn published(d: &str, org: &OrgPublicKey) -> Vec<u64> {
    let text = std::fs::read_to_string(std::path::Path::new(d).join("revocations.list")).unwrap();
    let now = lifeline::clock::Clock::system().unix_s();
    RevocationList::decode_verified(&b64::decode(text.trim()).unwrap(), org, now, None)
        .unwrap()
        .serials()
        .to_vec()
}

#[test]
fn a_lost_or_damaged_list_never_un_revokes_anyone() {
    let (_dir, d, org) = organisation();
    let list = std::path::Path::new(&d).join("revocations.list");
    lifeline(&[
        "keys", "revoke", "--dir", &d, "--serial", "100", "--serial", "101",
    ]);

    // Cut short (a crash or full disk while it was copied, an editor): the next revocation
    // is refused, and says what to do, rather than publishing a list without 100 and 101.
    let whole = std::fs::read(&list).unwrap();
    std::fs::write(&list, &whole[..40]).unwrap();
    let (ok, err) = lifeline_status(&["keys", "revoke", "--dir", &d, "--serial", "102"]);
    assert!(!ok, "revoking over a damaged list is refused");
    assert!(
        err.contains("does not verify") && err.contains("publish-revocations"),
        "{err}"
    );
    assert_eq!(
        std::fs::read(&list).unwrap(),
        &whole[..40],
        "nothing written"
    );

    // `publish-revocations` rebuilds it from the registry, and says so.
    let out = lifeline(&["keys", "publish-revocations", "--dir", &d]);
    assert!(out.contains("rebuilt from the registry"), "{out}");
    assert_eq!(published(&d, &org), [100, 101]);

    // Lost altogether: a revocation starts from the registry's, not from nothing.
    std::fs::remove_file(&list).unwrap();
    lifeline(&["keys", "revoke", "--dir", &d, "--serial", "102"]);
    assert_eq!(published(&d, &org), [100, 101, 102]);
}

#[test]
fn a_list_write_cut_short_leaves_the_list_it_replaces_whole() {
    let (_dir, d, org) = organisation();
    lifeline(&["keys", "revoke", "--dir", &d, "--serial", "100"]);
    let list = std::path::Path::new(&d).join("revocations.list");
    let before = std::fs::read(&list).unwrap();
    // A file-size limit below the new list's size stops the write part-way (SIGXFSZ).
    let cut = Command::new("prlimit")
        .arg("--fsize=60")
        .arg(env!("CARGO_BIN_EXE_lifeline"))
        .args(["keys", "revoke", "--dir", &d, "--serial", "101"])
        .output()
        .unwrap();
    assert!(!cut.status.success(), "the write was cut short");
    assert_eq!(
        std::fs::read(&list).unwrap(),
        before,
        "the old list is whole"
    );
    assert_eq!(published(&d, &org), [100]);
}

#[test]
fn a_renewal_from_keys_since_replaced_is_refused() {
    use lifeline::crypto::renewal::RenewalRequest;
    let (_dir, d, org) = organisation();
    let (old_key, first) = enrolled(&d, "Noor", &org);
    let renew = |request: &RenewalRequest, current: &SigningKey, next: &SigningKey| {
        let encoded = b64::encode(&request.encode_signed(current, next));
        lifeline_status(&["keys", "renew", "--dir", &d, "--request", &encoded])
    };
    let same_keys = |cert: &Certificate| RenewalRequest {
        current: cert.clone(),
        x25519_public: cert.body().x25519_public,
        ed25519_public: cert.body().ed25519_public,
    };
    // The laptop is suspected: Noor renews to new keys.
    let new_key = SigningKey::generate();
    let to_new = RenewalRequest {
        current: first.clone(),
        x25519_public: DhSecret::generate().public(),
        ed25519_public: new_key.public(),
    };
    let (ok, err) = renew(&to_new, &old_key, &new_key);
    assert!(ok, "{err}");
    // An old copy of the identity (or a request made before the change) asks to renew the
    // old keys: refused, or the old keys would take the serial back.
    let (ok, err) = renew(&same_keys(&first), &old_key, &old_key);
    assert!(!ok, "the superseded keys were renewed");
    assert!(err.contains("renewed to other keys"), "{err}");
    let listing = lifeline(&["keys", "list", "--dir", &d]);
    let fingerprint =
        lifeline::registry::short_fingerprint(&to_new.x25519_public.0, &to_new.ed25519_public.0);
    assert!(
        listing.contains(&fingerprint),
        "the new keys still: {listing}"
    );
}

#[test]
fn inbox_serials_are_neither_enrolled_nor_revoked() {
    let (_dir, d, _org) = organisation();
    let signing = SigningKey::generate();
    let request = EnrolmentRequest {
        alias: "Noor".into(),
        x25519_public: DhSecret::generate().public(),
        ed25519_public: signing.public(),
    };
    let encoded = b64::encode(&request.encode_signed(&signing).unwrap());
    let (ok, err) = lifeline_status(&[
        "keys",
        "enrol",
        "--dir",
        &d,
        "--request",
        &encoded,
        "--serial",
        "1",
    ]);
    assert!(!ok && err.contains("tip inbox"), "{err}");
    let (ok, err) = lifeline_status(&["keys", "revoke", "--dir", &d, "--serial", "1"]);
    assert!(!ok && err.contains("rotate-inbox"), "{err}");
}

/// The row `keys list` printed for `serial`.
fn listed_row(listing: &str, serial: u64) -> String {
    let prefix = format!("{serial} ");
    listing
        .lines()
        .find(|l| l.starts_with(&prefix))
        .unwrap_or_else(|| panic!("serial {serial} not listed: {listing}"))
        .to_owned()
}

/// An operator's first steps on sealed keys: a command without `--passphrase-file` says which
/// flag opens the key; `create-inbox` records the first inbox certificate, so `keys list`
/// shows its expiry, and a rotation after it still takes a fresh serial; a revocation made
/// today reads `today`.
#[test]
fn the_first_inbox_is_listed_and_a_sealed_key_names_the_flag_that_opens_it() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().join("org");
    let d = d.to_str().unwrap();
    let pass = dir.path().join("pass");
    std::fs::write(&pass, "a long organisation passphrase\n").unwrap();
    let p = pass.to_str().unwrap();
    lifeline(&[
        "keys",
        "init-organisation",
        "--dir",
        d,
        "--passphrase-file",
        p,
    ]);

    let (ok, err) = lifeline_status(&["keys", "create-inbox", "--dir", d]);
    assert!(
        !ok && err.contains("organisation.key") && err.contains("--passphrase-file"),
        "{err}"
    );
    let out = lifeline(&["keys", "create-inbox", "--dir", d, "--passphrase-file", p]);
    assert!(
        out.contains("never on a relay") && out.contains("grant-inbox"),
        "the inbox key is granted, not handed out: {out}"
    );
    let first = listed_row(&lifeline(&["keys", "list", "--dir", d]), 1);
    assert!(
        first.ends_with("Tip inbox")
            && (first.contains("in 364 days") || first.contains("in 365 days")),
        "{first}"
    );

    lifeline(&["keys", "rotate-inbox", "--dir", d, "--passphrase-file", p]);
    let signing = SigningKey::generate();
    let request = EnrolmentRequest {
        alias: "Noor".into(),
        x25519_public: DhSecret::generate().public(),
        ed25519_public: signing.public(),
    };
    let encoded = b64::encode(&request.encode_signed(&signing).unwrap());
    let out = lifeline(&[
        "keys",
        "enrol",
        "--dir",
        d,
        "--request",
        &encoded,
        "--passphrase-file",
        p,
    ]);
    let cert =
        Certificate::decode(&b64::decode(out.lines().last().unwrap().trim()).unwrap()).unwrap();
    let serial = cert.body().serial;
    assert_eq!(serial, 101, "the rotation took 100: serials stay unique");
    lifeline(&[
        "keys",
        "revoke",
        "--dir",
        d,
        "--serial",
        &serial.to_string(),
        "--passphrase-file",
        p,
    ]);

    let listing = lifeline(&["keys", "list", "--dir", d]);
    assert!(listed_row(&listing, 1).ends_with("Tip inbox"), "{listing}");
    assert!(
        listed_row(&listing, 100).ends_with("Tip inbox"),
        "{listing}"
    );
    let noor = listed_row(&listing, serial);
    assert!(
        noor.contains(" today ") && !noor.contains("in 0 days"),
        "{noor}"
    );
}

#[test]
fn a_create_inbox_that_failed_can_be_run_again() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().join("org");
    let d = d.to_str().unwrap();
    lifeline(&["keys", "init-organisation", "--dir", d, "--unsealed"]);
    // Refused: an inbox key is never written unsealed unless asked.
    let (ok, err) = lifeline_status(&["keys", "create-inbox", "--dir", d]);
    assert!(!ok, "{err}");
    lifeline(&["keys", "create-inbox", "--dir", d, "--unsealed"]);
    let listing = lifeline(&["keys", "list", "--dir", d]);
    assert_eq!(listing.matches("Tip inbox").count(), 1, "{listing}");
}
