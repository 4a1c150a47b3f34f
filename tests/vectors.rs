//! Lifeline's own vectors: the committed `tests/vectors/*.json` must equal what the code
//! computes from the same fixed inputs. The widget's tests check the same files.

#[test]
fn committed_vectors_match_the_implementation() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/vectors");
    for (name, computed) in lifeline::crypto::vectors::all() {
        let text =
            std::fs::read_to_string(dir.join(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
        let committed: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(
            committed, computed,
            "{name} differs: run `cargo run --example generate-vectors` only for a deliberate protocol change"
        );
    }
}

fn vector(name: &str) -> serde_json::Value {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/vectors")
        .join(name);
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn unhex(v: &serde_json::Value) -> Vec<u8> {
    let text = v.as_str().unwrap();
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).unwrap())
        .collect()
}

/// Every certificate check in the file, and the decode-only ones, give their named result
/// through the library's own `decode_verified` (§2.4).
#[test]
fn certificate_checks_give_their_named_results() {
    use lifeline::crypto::certificate::{Certificate, CertificateError, RevocationList, Role};
    use lifeline::crypto::keys::OrgPublicKey;
    let v = vector("certificates.json");
    let org = OrgPublicKey(unhex(&v["org_public"]).try_into().unwrap());
    let checks = v["checks"].as_array().unwrap();
    let decode_checks = v["decode_checks"].as_array().unwrap();
    let wrong_signers: Vec<_> = checks
        .iter()
        .filter(|c| c["expect"] == "wrong_signer")
        .collect();
    assert_eq!(
        wrong_signers.len(),
        2,
        "a tampered body and a foreign signer"
    );
    for check in checks.iter().chain(decode_checks) {
        let now = check["now"].as_u64().unwrap();
        let revocations = check.get("revocations").map(|r| {
            RevocationList::decode_verified(&unhex(r), &org, now, None).expect("list verifies")
        });
        let role = match check["role"].as_str().unwrap() {
            "coordinator" => Role::Coordinator,
            _ => Role::TipInbox,
        };
        let got = match Certificate::decode_verified(
            &unhex(&check["certificate"]),
            &org,
            now,
            revocations.as_ref(),
            role,
        ) {
            Ok(_) => "ok",
            Err(CertificateError::Malformed(_)) => "malformed",
            Err(CertificateError::WrongSigner) => "wrong_signer",
            Err(CertificateError::Expired) => "expired",
            Err(CertificateError::NotYetValid) => "not_yet_valid",
            Err(CertificateError::Revoked) => "revoked",
            Err(CertificateError::WrongRole) => "wrong_role",
            Err(CertificateError::StaleRevocationList) => "stale",
        };
        assert_eq!(got, check["expect"], "{}", check["why"]);
    }
    // The foreign one really is signed: it verifies under the other organisation's key.
    let other = lifeline::crypto::keys::SigningKey::from_seed(
        unhex(&v["other_org_seed"]).try_into().unwrap(),
    );
    let foreign = unhex(&wrong_signers[1]["certificate"]);
    assert!(
        Certificate::decode_verified(
            &foreign,
            &other.public(),
            checks[0]["now"].as_u64().unwrap(),
            None,
            Role::Coordinator
        )
        .is_ok()
    );
}

/// The receipt vector exercises the generator's rejection rule and its cyclic reading of
/// `rng`, and pins where a bad character's position is counted (§6).
#[test]
fn receipt_vector_exercises_rejection_wrap_around_and_positions() {
    use lifeline::crypto::receipt::{DATA_SYMBOLS, ReceiptCode, ReceiptError};
    let v = vector("receipt.json");
    let rng = unhex(&v["rng"]);
    assert!(rng.len() < DATA_SYMBOLS, "rng is read more than once");
    assert!(rng.iter().any(|b| *b >= 248), "a byte is rejected");
    assert!(rng.contains(&247), "the largest accepted byte");
    let code = ReceiptCode::generate(&mut lifeline::crypto::vectors::FixedRng::new(&rng));
    assert_eq!(code.display().to_string(), v["code"]);
    for rejected in v["rejected"].as_array().unwrap() {
        let err = ReceiptCode::parse(rejected["typed"].as_str().unwrap()).unwrap_err();
        let (name, position) = match err {
            ReceiptError::Check => ("check", None),
            ReceiptError::Length(_) => ("length", None),
            ReceiptError::Character { position } => ("character", Some(position as u64)),
        };
        assert_eq!(name, rejected["expect"], "{rejected}");
        assert_eq!(position, rejected["position"].as_u64(), "{rejected}");
    }
    assert!(
        v["rejected"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["position"] == 5 && r["typed"].as_str().unwrap().chars().nth(5) == Some('0')),
        "a position counted after the dashes are removed"
    );
}

/// The hand-over note vector opens with the recipient's secret and the sender's public key,
/// and with nothing else (§5.1).
#[test]
fn the_handover_note_vector_opens_only_for_its_recipient() {
    use lifeline::crypto::handover_note::open;
    use lifeline::crypto::keys::{DhPublicKey, DhSecret, Fingerprint};
    let v = vector("handover-note.json");
    let key = |name: &str| -> [u8; 32] { unhex(&v[name]).try_into().unwrap() };
    let org = Fingerprint(key("org_fingerprint"));
    let session: [u8; 16] = unhex(&v["session"]).try_into().unwrap();
    let sender = DhPublicKey(key("sender_public"));
    let recipient = DhSecret::from_bytes(key("recipient_secret"));
    let sealed = unhex(&v["sealed"]);
    assert_eq!(
        open(&org, &session, &sender, &recipient, &sealed).unwrap(),
        v["text"].as_str().unwrap()
    );
    let sender_secret = DhSecret::from_bytes(key("sender_secret"));
    assert!(open(&org, &session, &sender, &sender_secret, &sealed).is_err());
}

/// The reply copy vector (§5) opens with the inbox secret as a copy, under its own label:
/// not as a first tip, nor as the tipster's reply, nor for the tipster's key.
#[test]
fn the_reply_copy_vector_opens_for_the_inbox_as_a_copy_only() {
    use lifeline::crypto::keys::{DhPublicKey, DhSecret, Fingerprint};
    use lifeline::crypto::sealed_tip::{self, REPLY_COPY_LABEL};
    let v = vector("sealed-tip.json");
    let key = |name: &str| -> [u8; 32] { unhex(&v[name]).try_into().unwrap() };
    let org = Fingerprint(key("org_fingerprint"));
    let inbox = DhSecret::from_bytes(key("inbox_secret"));
    let tipster = DhSecret::from_bytes(key("tipster_secret"));
    let copy = &v["reply_copy"];
    assert_eq!(
        unhex(&copy["info"]),
        sealed_tip::info(REPLY_COPY_LABEL, &org, &DhPublicKey(key("inbox_public")))
    );
    assert_eq!(copy["text"], v["reply"]["text"], "a copy of the reply");
    let sealed = unhex(&copy["sealed"]);
    assert_eq!(
        sealed_tip::open_reply_copy(&org, &inbox, &sealed)
            .unwrap()
            .text,
        copy["text"].as_str().unwrap()
    );
    assert!(sealed_tip::open_tip(&org, &inbox, &sealed).is_err());
    assert!(sealed_tip::open_reply(&org, &inbox.public(), &tipster, &sealed).is_err());
    assert!(sealed_tip::open_reply_copy(&org, &tipster, &sealed).is_err());
}

/// The grant vector opens with the recipient's secret into exactly its inbox keys, each
/// named with its own end (version 2), and with no other key or organisation (§2.5).
#[test]
fn the_inbox_grant_vector_opens_only_for_its_coordinator() {
    let v = vector("inbox-grant.json");
    let ends: Vec<u64> = v["key_until"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u.as_u64().unwrap())
        .collect();
    assert!(ends[1] < ends[0], "the older key ends first");
    opens_with_its_keys_and_ends(&v, &ends);
}

/// A version-1 grant (one date for every key), as `lifeline keys grant-inbox` wrote before
/// rotation, still opens: each key ends with the grant (a fixed file, never regenerated).
#[test]
fn a_version_one_grant_still_opens_with_one_end_for_every_key() {
    let v = vector("inbox-grant-v1.json");
    assert_eq!(unhex(&v["grant"])[0], 1);
    let until = v["until"].as_u64().unwrap();
    opens_with_its_keys_and_ends(&v, &[until, until]);
}

fn opens_with_its_keys_and_ends(v: &serde_json::Value, ends: &[u64]) {
    use lifeline::crypto::inbox_grant::open;
    use lifeline::crypto::keys::{DhSecret, Fingerprint};
    let key = |v: &serde_json::Value| -> [u8; 32] { unhex(v).try_into().unwrap() };
    let org = Fingerprint(key(&v["org_fingerprint"]));
    let recipient = DhSecret::from_bytes(key(&v["recipient_secret"]));
    let grant = unhex(&v["grant"]);
    let (header, keys) = open(&org, &recipient, 101, &grant).unwrap();
    assert_eq!(header.until, v["until"].as_u64().unwrap());
    let named: Vec<u64> = header.keys.iter().map(|k| k.until).collect();
    assert_eq!(named, ends);
    let opened: Vec<[u8; 32]> = keys.iter().map(|k| *k.to_bytes()).collect();
    let expected: Vec<[u8; 32]> = v["inbox_secrets"]
        .as_array()
        .unwrap()
        .iter()
        .map(key)
        .collect();
    assert_eq!(opened, expected);
    for (k, named) in keys.iter().zip(&header.keys) {
        assert_eq!(k.public().fingerprint(), named.fingerprint);
    }
    let other = DhSecret::from_bytes(key(&v["inbox_secrets"][0]));
    assert!(open(&org, &other, 101, &grant).is_err());
    assert!(open(&Fingerprint([0; 32]), &recipient, 101, &grant).is_err());
}
