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
        amara_row.contains("days ago") || amara_row.contains("in 0 days"),
        "revoked shown: {amara_row}"
    );
    assert!(amara_row.contains(&amara_fp));
}
