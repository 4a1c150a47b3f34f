//! Lifeline's own test vectors (`tests/vectors/*.json`), computed from fixed keys and fixed
//! randomness so the Rust and JavaScript implementations can be pinned to the same bytes.
//!
//! `cargo run --example generate-vectors` writes them; `tests/vectors.rs` recomputes them and
//! fails on any difference; the widget's tests check the same files. Nothing here may use
//! real randomness or the clock.

use hpke::rand_core::{CryptoRng, RngCore};
use serde_json::{Value, json};

use super::certificate::{Certificate, CertificateBody, RevocationList, Role};
use super::handshake::{CoordinatorHandshake, CoordinatorIdentity, VisitorHandshake, prologue};
use super::keys::{DhSecret, SigningKey, hex};
use super::proof_of_work;
use super::receipt::ReceiptCode;
use super::sealed_tip::{self, TipMessage};

/// A "random" source that replays fixed bytes: for vectors only, never for real keys.
pub struct FixedRng(Vec<u8>, usize);

impl FixedRng {
    pub fn new(bytes: &[u8]) -> Self {
        Self(bytes.to_vec(), 0)
    }
}

impl RngCore for FixedRng {
    fn next_u32(&mut self) -> u32 {
        let mut b = [0u8; 4];
        self.fill_bytes(&mut b);
        u32::from_le_bytes(b)
    }
    fn next_u64(&mut self) -> u64 {
        let mut b = [0u8; 8];
        self.fill_bytes(&mut b);
        u64::from_le_bytes(b)
    }
    fn fill_bytes(&mut self, dest: &mut [u8]) {
        for d in dest {
            *d = self.0[self.1 % self.0.len()];
            self.1 += 1;
        }
    }
    fn try_fill_bytes(&mut self, dest: &mut [u8]) -> Result<(), hpke::rand_core::Error> {
        self.fill_bytes(dest);
        Ok(())
    }
}

impl CryptoRng for FixedRng {}

/// A deterministic 32-byte value for the vectors: `seed, seed+1, …, seed+31` (wrapping).
pub fn fixed(seed: u8) -> [u8; 32] {
    std::array::from_fn(|i| seed.wrapping_add(i as u8))
}

pub const NOW: u64 = 1_790_000_000;
const DAY: u64 = 86_400;

pub fn org_key() -> SigningKey {
    SigningKey::from_seed(fixed(0x10))
}

pub fn coordinator_keys() -> (SigningKey, DhSecret) {
    (
        SigningKey::from_seed(fixed(0x20)),
        DhSecret::from_bytes(fixed(0x30)),
    )
}

pub fn inbox_key() -> DhSecret {
    DhSecret::from_bytes(fixed(0x40))
}

pub fn coordinator_certificate() -> Certificate {
    let (sign, dh) = coordinator_keys();
    CertificateBody {
        role: Role::Coordinator,
        serial: 7,
        not_before: NOW - DAY,
        not_after: NOW + 14 * DAY,
        x25519_public: dh.public(),
        ed25519_public: sign.public(),
        alias: "Amara (Lyon)".into(),
    }
    .sign(&org_key())
    .expect("fixed certificate is valid")
}

pub fn certificates() -> Value {
    let org = org_key();
    let cert = coordinator_certificate();
    let inbox = CertificateBody {
        role: Role::TipInbox,
        serial: 1,
        not_before: NOW - DAY,
        not_after: NOW + 365 * DAY,
        x25519_public: inbox_key().public(),
        ed25519_public: org.public(),
        alias: "Tip inbox".into(),
    }
    .sign(&org)
    .expect("fixed certificate is valid");
    let revocations = RevocationList::sign(&org, NOW - 3600, &[3, 9]);
    let revoking_cert = RevocationList::sign(&org, NOW - 3600, &[7]);
    let mut tampered = cert.as_bytes().to_vec();
    tampered[20] ^= 1;
    // The same body, genuinely signed by another organisation's key.
    let other_org = SigningKey::from_seed(fixed(0xc0));
    let foreign = cert
        .body()
        .clone()
        .sign(&other_org)
        .expect("fixed certificate is valid");
    // An empty validity window, signed by the right key: `sign` refuses to make one, so it
    // is signed by hand, and `decode` refuses it all the same.
    let mut empty_window = CertificateBody {
        not_after: cert.body().not_before,
        ..cert.body().clone()
    }
    .encode();
    let signature = org.sign(&super::labelled(
        super::certificate::CERTIFICATE_LABEL,
        &[&empty_window],
    ));
    empty_window.extend_from_slice(&signature);
    json!({
        "org_seed": hex(org.seed()),
        "org_public": hex(&org.public().0),
        "org_fingerprint": org.public().fingerprint().to_hex(),
        "coordinator": {
            "ed25519_seed": hex(coordinator_keys().0.seed()),
            "x25519_secret": hex(&coordinator_keys().1.to_bytes()[..]),
            "serial": cert.body().serial, "alias": cert.body().alias,
            "not_before": cert.body().not_before, "not_after": cert.body().not_after,
            "certificate": hex(cert.as_bytes()),
        },
        "inbox": {
            "x25519_secret": hex(&inbox_key().to_bytes()[..]),
            "certificate": hex(inbox.as_bytes()),
        },
        "revocation_list": {"issued_at": revocations.issued_at, "serials": revocations.serials(), "encoded": hex(revocations.as_bytes())},
        "revocation_list_revoking_7": hex(revoking_cert.as_bytes()),
        "other_org_seed": hex(other_org.seed()),
        "checks": [
            {"why": "valid", "certificate": hex(cert.as_bytes()), "now": NOW, "role": "coordinator", "expect": "ok"},
            {"why": "now = not_after + 1 day", "certificate": hex(cert.as_bytes()), "now": NOW + 15 * DAY, "role": "coordinator", "expect": "expired"},
            {"why": "now = not_before - 1 day", "certificate": hex(cert.as_bytes()), "now": NOW - 2 * DAY, "role": "coordinator", "expect": "not_yet_valid"},
            {"why": "a body bit flipped after signing", "certificate": hex(&tampered), "now": NOW, "role": "coordinator", "expect": "wrong_signer"},
            {"why": "signed by another organisation (other_org_seed)", "certificate": hex(foreign.as_bytes()), "now": NOW, "role": "coordinator", "expect": "wrong_signer"},
            {"why": "truncated", "certificate": hex(&cert.as_bytes()[..40]), "now": NOW, "role": "coordinator", "expect": "malformed"},
            {"why": "serial 7 in the list", "certificate": hex(cert.as_bytes()), "now": NOW, "role": "coordinator", "revocations": hex(revoking_cert.as_bytes()), "expect": "revoked"},
            {"why": "an inbox certificate where a coordinator's is expected", "certificate": hex(inbox.as_bytes()), "now": NOW, "role": "coordinator", "expect": "wrong_role"},
        ],
        // Kept out of `checks` until the widget refuses it too (it reads `checks`).
        "decode_checks": [
            {"why": "not_after = not_before, signed by the organisation", "certificate": hex(&empty_window), "now": NOW, "role": "coordinator", "expect": "malformed"},
        ],
    })
}

pub const SESSION_ID: [u8; 16] = [0x5e; 16];

pub fn handshake() -> Value {
    let org = org_key();
    let (sign, static_key) = coordinator_keys();
    let cert = coordinator_certificate();
    let visitor_e = fixed(0x50);
    let coordinator_e = fixed(0x60);
    let (visitor, msg1) =
        VisitorHandshake::start(SESSION_ID, org.public(), DhSecret::from_bytes(visitor_e));
    let identity = CoordinatorIdentity {
        static_key: &static_key,
        signing_key: &sign,
        certificate: &cert,
    };
    let (msg2, mut coordinator) = CoordinatorHandshake::respond(
        SESSION_ID,
        &org.public().fingerprint(),
        &identity,
        DhSecret::from_bytes(coordinator_e),
        &msg1,
    )
    .expect("fixed handshake succeeds");
    let (mut visitor, _) = visitor
        .finish(&msg2, NOW, None)
        .expect("fixed handshake verifies");
    let script: [(&str, &str); 6] = [
        ("v2c", "Hello, I need help. Is this safe?"),
        (
            "c2v",
            "Yes. I am Amara, a coordinator. You can leave at any time.",
        ),
        ("c2v", "Where are you, roughly? Only if you want to say."),
        ("v2c", &"I can't talk long. ".repeat(20)),
        ("v2c", ""),
        ("c2v", "close"),
    ];
    let mut messages = Vec::new();
    for (direction, text) in script {
        let (sender, receiver) = if direction == "v2c" {
            (&mut visitor, &mut coordinator)
        } else {
            (&mut coordinator, &mut visitor)
        };
        let n = sender.next_send();
        let (kind, envelope) = if text == "close" {
            ("close", sender.encrypt_close().expect("close"))
        } else {
            ("text", sender.encrypt_text(text).expect("encrypt"))
        };
        receiver
            .decrypt(&envelope)
            .expect("the peer opens its own vector");
        messages.push(json!({"direction": direction, "n": n, "kind": kind, "text": text, "envelope": hex(&envelope)}));
    }
    json!({
        "protocol_name": "Noise_NX_25519_ChaChaPoly_SHA256",
        "session_id": hex(&SESSION_ID),
        "org_public": hex(&org.public().0),
        "prologue": hex(&prologue(&SESSION_ID, &org.public().fingerprint())),
        "visitor_ephemeral_secret": hex(&visitor_e),
        "coordinator_ephemeral_secret": hex(&coordinator_e),
        "coordinator_static_secret": hex(&static_key.to_bytes()[..]),
        "coordinator_ed25519_seed": hex(sign.seed()),
        "coordinator_certificate": hex(cert.as_bytes()),
        "now": NOW,
        "message1": hex(&msg1),
        "message2": hex(&msg2),
        "handshake_hash": hex(coordinator.handshake_hash()),
        "messages": messages,
    })
}

pub fn sealed_tip() -> Value {
    let org = org_key().public().fingerprint();
    let inbox = inbox_key();
    let tipster = DhSecret::from_bytes(fixed(0x70));
    let tip = TipMessage {
        reply_key: Some(tipster.public()),
        category: Some("labour".into()),
        text: "Workers at the farm on the north road are locked in at night.".into(),
    };
    let ikm_tip = fixed(0x80);
    let sealed = sealed_tip::seal_tip(&org, &inbox.public(), &tip, &mut FixedRng::new(&ikm_tip))
        .expect("seal");
    let reply = TipMessage {
        reply_key: None,
        category: None,
        text: "Thank you. We have passed this on.".into(),
    };
    let ikm_reply = fixed(0x90);
    let sealed_reply = sealed_tip::seal_reply(
        &org,
        &inbox,
        &tipster.public(),
        &reply,
        &mut FixedRng::new(&ikm_reply),
    )
    .expect("seal");
    // The reply's copy for the inbox (§5): the same plaintext, Base mode to the inbox key.
    let ikm_copy = fixed(0xc0);
    let sealed_copy =
        sealed_tip::seal_reply_copy(&org, &inbox.public(), &reply, &mut FixedRng::new(&ikm_copy))
            .expect("seal");
    let followup = TipMessage {
        reply_key: None,
        category: None,
        text: "They moved them yesterday.".into(),
    };
    let ikm_followup = fixed(0xa0);
    let sealed_followup = sealed_tip::seal_followup(
        &org,
        &inbox.public(),
        &tipster,
        &followup,
        &mut FixedRng::new(&ikm_followup),
    )
    .expect("seal");
    json!({
        "org_fingerprint": org.to_hex(),
        "inbox_secret": hex(&inbox.to_bytes()[..]),
        "inbox_public": hex(&inbox.public().0),
        "tipster_secret": hex(&tipster.to_bytes()[..]),
        "tipster_public": hex(&tipster.public().0),
        "tip": {"category": "labour", "text": tip.text, "reply_key": hex(&tipster.public().0),
                "info": hex(&sealed_tip::info(sealed_tip::TIP_LABEL, &org, &inbox.public())),
                "ikmE": hex(&ikm_tip), "sealed": hex(&sealed)},
        "reply": {"text": reply.text, "info": hex(&sealed_tip::info(sealed_tip::REPLY_LABEL, &org, &inbox.public())),
                  "ikmE": hex(&ikm_reply), "sealed": hex(&sealed_reply)},
        "reply_copy": {"text": reply.text, "info": hex(&sealed_tip::info(sealed_tip::REPLY_COPY_LABEL, &org, &inbox.public())),
                       "ikmE": hex(&ikm_copy), "sealed": hex(&sealed_copy)},
        "followup": {"text": followup.text, "info": hex(&sealed_tip::info(sealed_tip::FOLLOWUP_LABEL, &org, &inbox.public())),
                     "ikmE": hex(&ikm_followup), "sealed": hex(&sealed_followup)},
    })
}

/// A hand-over note (§5.1) from the vectors' coordinator to a colleague.
pub fn handover_note() -> Value {
    let org = org_key().public().fingerprint();
    let (_, sender) = coordinator_keys();
    let recipient = DhSecret::from_bytes(fixed(0xb0));
    let text = "Prefers short messages; asked about a safe place tonight.";
    let ikm = fixed(0xc0);
    let sealed = super::handover_note::seal(
        &org,
        &SESSION_ID,
        &sender,
        &recipient.public(),
        text,
        &mut FixedRng::new(&ikm),
    )
    .expect("seal");
    json!({
        "org_fingerprint": org.to_hex(),
        "session": hex(&SESSION_ID),
        "sender_secret": hex(&sender.to_bytes()[..]),
        "sender_public": hex(&sender.public().0),
        "recipient_secret": hex(&recipient.to_bytes()[..]),
        "recipient_public": hex(&recipient.public().0),
        "text": text,
        "info": hex(&super::handover_note::info(&org, &SESSION_ID, &sender.public(), &recipient.public())),
        "ikmE": hex(&ikm),
        "sealed": hex(&sealed),
    })
}

pub fn receipt() -> Value {
    let org = org_key().public().fingerprint();
    // Shorter than the 19 accepted bytes a code needs, with three bytes ≥ 248 to reject
    // (248 itself, 252, 255) and 247, the largest accepted: the generator reads it
    // cyclically, so these exercise both the rejection rule and the wrap-around (§6).
    let rng_bytes = [
        0xf8, 0x00, 0x1e, 0xf7, 0xff, 0x47, 0x95, 0x13, 0xc5, 0x6a, 0xfc, 0x2b, 0xe2,
    ];
    let code = ReceiptCode::generate(&mut FixedRng::new(&rng_bytes));
    let keys = code.derive(&org);
    let display = code.display().to_string();
    let mut typo: Vec<char> = display.chars().collect();
    typo[1] = if typo[1] == 'A' { 'B' } else { 'A' };
    let mut swapped: Vec<char> = display.chars().collect();
    let swap_at = (0..display.len() - 1)
        .find(|i| swapped[*i] != swapped[i + 1] && swapped[*i] != '-' && swapped[i + 1] != '-')
        .unwrap_or(0);
    swapped.swap(swap_at, swap_at + 1);
    json!({
        "org_fingerprint": org.to_hex(),
        "rng": hex(&rng_bytes),
        "code": display,
        "canonical": code.canonical().as_str(),
        "iterations": super::receipt::PBKDF2_ITERATIONS,
        "salt": hex(&super::labelled(super::receipt::SALT_LABEL, &[&org.0])),
        "master": hex(&keys.master[..]),
        "lookup_id": hex(&keys.lookup_id),
        "tipster_secret": hex(&keys.tipster_key.to_bytes()[..]),
        "tipster_public": hex(&keys.tipster_key.public().0),
        "typed_forms": [display.to_lowercase(), display.replace('-', " "), display.replace('-', "")],
        "rejected": [
            {"typed": typo.iter().collect::<String>(), "expect": "check"},
            {"typed": swapped.iter().collect::<String>(), "expect": "check"},
            {"typed": display.replacen(&display[0..1], "0", 1), "expect": "character", "position": 1},
            // Positions count symbols, after spaces and dashes are removed: the sixth
            // character typed is the fifth symbol.
            {"typed": format!("{}0{}", &display[..5], &display[6..]), "expect": "character", "position": 5},
            {"typed": &display[..display.len() - 1], "expect": "length"},
        ],
    })
}

pub fn proof_of_work() -> Value {
    let seed = [0x42u8; 16];
    let difficulty = 12;
    let nonce = proof_of_work::solve(&seed, &SESSION_ID, difficulty);
    json!({
        "seed": hex(&seed), "context": hex(&SESSION_ID), "difficulty": difficulty,
        "nonce": nonce, "digest": hex(&proof_of_work::digest(&seed, &SESSION_ID, nonce)),
        "input_for_nonce_0": hex(&super::labelled(proof_of_work::POW_LABEL, &[&seed, &SESSION_ID, &0u64.to_be_bytes()])),
    })
}

/// An inbox grant (§2.5) of two inbox keys to the vectors' coordinator (serial 101): the
/// current one until the grant ends, and one retired earlier until 20 days before that.
pub fn inbox_grant() -> Value {
    let org = org_key().public().fingerprint();
    let (_, recipient) = coordinator_keys();
    let (newest, older) = (inbox_key(), DhSecret::from_bytes(fixed(0xd0)));
    let ikm = fixed(0xd8);
    let until = 1_767_225_600u64;
    let sealed = super::inbox_grant::seal(
        &org,
        &recipient.public(),
        101,
        until,
        &[(&newest, until), (&older, until - 20 * 86_400)],
        &mut FixedRng::new(&ikm),
    )
    .expect("seal");
    json!({
        "org_fingerprint": org.to_hex(),
        "recipient_secret": hex(&recipient.to_bytes()[..]),
        "recipient_public": hex(&recipient.public().0),
        "serial": 101,
        "until": until,
        "key_until": [until, until - 20 * 86_400],
        "inbox_secrets": [hex(&newest.to_bytes()[..]), hex(&older.to_bytes()[..])],
        "info": hex(&super::inbox_grant::info(&org, &recipient.public())),
        "ikmE": hex(&ikm),
        "grant": hex(&sealed),
    })
}

/// Every vector file: (file name, contents).
pub fn all() -> Vec<(&'static str, Value)> {
    vec![
        ("certificates.json", certificates()),
        ("handshake.json", handshake()),
        ("sealed-tip.json", sealed_tip()),
        ("handover-note.json", handover_note()),
        ("inbox-grant.json", inbox_grant()),
        ("receipt.json", receipt()),
        ("proof-of-work.json", proof_of_work()),
    ]
}
