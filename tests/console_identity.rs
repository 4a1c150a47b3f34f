//! The console's sealed identity file (`src/console/identity.rs`) against crafted files:
//! regression tests for the findings of the `identity_open` and `identity_grants` fuzz
//! targets (`fuzz/README.md`), made on version 1 files (which still open), and the same
//! rules on version 2.

use std::sync::mpsc;
use std::time::Duration;

use argon2::{Algorithm, Argon2, Params, Version};
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{ChaCha20Poly1305, Key, Nonce};
use lifeline::console::identity::{Identity, IdentityError, KdfParams, MAGIC, MAGIC_V1};
use lifeline::crypto::inbox_grant::MAX_GRANT_KEYS;
use lifeline::crypto::vectors::{coordinator_certificate, fixed, org_key};
use lifeline::protocol::b64;

const PASSPHRASE: &str = "a long passphrase";
const CHEAP: KdfParams = KdfParams {
    m_kib: 8,
    t: 1,
    p: 1,
};

/// A version 1 file around any plaintext, as someone who knows the passphrase could write it.
fn sealed_file(plaintext: &[u8], params: KdfParams) -> String {
    sealed_file_as(MAGIC_V1, plaintext, params)
}

/// A file headed by `magic` in the format of `Identity::seal` around any plaintext.
fn sealed_file_as(magic: &str, plaintext: &[u8], params: KdfParams) -> String {
    let (salt, nonce) = ([7u8; 16], [9u8; 12]);
    let mut header = Vec::new();
    for word in [params.m_kib, params.t, params.p] {
        header.extend_from_slice(&word.to_be_bytes());
    }
    header.extend_from_slice(&salt);
    header.extend_from_slice(&nonce);
    let mut key = [0u8; 32];
    Argon2::new(
        Algorithm::Argon2id,
        Version::V0x13,
        Params::new(params.m_kib, params.t, params.p, Some(32)).unwrap(),
    )
    .hash_password_into(PASSPHRASE.as_bytes(), &salt, &mut key)
    .unwrap();
    let mut aad = format!("{magic}\n").into_bytes();
    aad.extend_from_slice(&header);
    let ciphertext = ChaCha20Poly1305::new(Key::from_slice(&key))
        .encrypt(
            Nonce::from_slice(&nonce),
            Payload {
                msg: plaintext,
                aad: &aad,
            },
        )
        .unwrap();
    header.extend_from_slice(&ciphertext);
    format!("{magic}\n{}\n", b64::encode(&header))
}

/// The plaintext of an enrolled identity holding the vectors' certificate, whose keys are
/// the seeds `fixed(0x20)` (Ed25519) and `fixed(0x30)` (X25519).
fn enrolled_plaintext(signing_seed: [u8; 32], dh_secret: [u8; 32]) -> Vec<u8> {
    let certificate = coordinator_certificate();
    let alias = certificate.body().alias.as_bytes();
    let mut p = signing_seed.to_vec();
    p.extend_from_slice(&dh_secret);
    p.push(alias.len() as u8);
    p.extend_from_slice(alias);
    p.push(1);
    p.extend_from_slice(&org_key().public().0);
    p.extend_from_slice(&(certificate.as_bytes().len() as u16).to_be_bytes());
    p.extend_from_slice(certificate.as_bytes());
    p
}

#[test]
fn an_identity_file_holding_its_own_certificate_opens() {
    let file = sealed_file(&enrolled_plaintext(fixed(0x20), fixed(0x30)), CHEAP);
    let identity = Identity::open(&file, PASSPHRASE).unwrap();
    assert_eq!(identity.certificate(), Some(&coordinator_certificate()));
}

/// Fuzz finding (identity_open): a file whose certificate was issued for other keys opened,
/// although the module promises never to accept one.
#[test]
fn an_identity_file_holding_a_certificate_for_other_keys_is_refused() {
    for (signing, dh) in [(fixed(0x21), fixed(0x30)), (fixed(0x20), fixed(0x31))] {
        let file = sealed_file(&enrolled_plaintext(signing, dh), CHEAP);
        assert!(matches!(
            Identity::open(&file, PASSPHRASE),
            Err(IdentityError::ForeignCertificate)
        ));
    }
}

/// Opens `text` on another thread: `None` if it takes longer than `limit`.
fn open_within(text: String, limit: Duration) -> Option<Result<Identity, IdentityError>> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        // The receiver may have given up waiting: nothing to do then.
        let _ = tx.send(Identity::open(&text, PASSPHRASE));
    });
    rx.recv_timeout(limit).ok()
}

/// A header asking for a KDF cost, then an empty ciphertext's tag: the cost is read before
/// anything is authenticated.
fn file_asking_for(m_kib: u32, t: u32, p: u32) -> String {
    let mut body = Vec::new();
    for word in [m_kib, t, p] {
        body.extend_from_slice(&word.to_be_bytes());
    }
    body.extend_from_slice(&[0u8; 28 + 16]);
    format!("{MAGIC}\n{}\n", b64::encode(&body))
}

/// Fuzz finding (identity_open): the Argon2 cost came from the file unchecked, so a crafted
/// file could make the console allocate up to 4 TiB (abort) or run 2^32 passes (hang)
/// before the passphrase was even checked.
#[test]
fn an_identity_file_asking_for_an_unbounded_kdf_cost_is_refused_at_once() {
    let max = KdfParams::MAX;
    for (m_kib, t, p) in [
        (u32::MAX, 1, 1),
        (max.m_kib + 1, 1, 1),
        (8, u32::MAX, 1),
        (8 * (max.p + 1), max.t + 1, 1),
        (8 * (max.p + 1), 1, max.p + 1),
    ] {
        let opened = open_within(file_asking_for(m_kib, t, p), Duration::from_secs(10));
        assert!(
            matches!(opened, Some(Err(IdentityError::Format))),
            "m_kib {m_kib}, t {t}, p {p}: {opened:?}"
        );
    }
    // The standard cost is within the bounds: a file asking for it is read (and here fails
    // only because nothing in it decrypts).
    let standard = KdfParams::STANDARD;
    let opened = open_within(
        file_asking_for(standard.m_kib, standard.t, standard.p),
        Duration::from_secs(120),
    );
    assert!(
        matches!(opened, Some(Err(IdentityError::Decrypt))),
        "{opened:?}"
    );
}

/// An enrolled identity's plaintext followed by a grant section: `count`, then `entries`
/// entries of `until u64 | inbox secret [32]`.
fn with_grant_section(count: u8, entries: u8) -> Vec<u8> {
    let mut p = enrolled_plaintext(fixed(0x20), fixed(0x30));
    p.push(count);
    for i in 0..entries {
        p.extend_from_slice(&u64::MAX.to_be_bytes());
        p.extend_from_slice(&fixed(i));
    }
    p
}

/// Fuzz finding (identity_grants): the grant section's count was taken as it came, so a
/// section of no keys (a second plaintext for the same identity) or of more keys than a grant
/// holds (keys no import could have given) opened.
#[test]
fn an_identity_file_whose_grant_section_holds_no_keys_or_more_than_a_grant_is_refused() {
    let max = u8::try_from(MAX_GRANT_KEYS).unwrap();
    for n in [1, max] {
        let file = sealed_file(&with_grant_section(n, n), CHEAP);
        let identity = Identity::open(&file, PASSPHRASE).unwrap();
        assert_eq!(identity.inbox_keys(0).len(), usize::from(n));
    }
    for n in [0, max + 1, u8::MAX] {
        let file = sealed_file(&with_grant_section(n, n), CHEAP);
        assert!(
            matches!(
                Identity::open(&file, PASSPHRASE),
                Err(IdentityError::Format)
            ),
            "a grant section of {n} keys opened"
        );
    }
}

/// Version 2 writes the grant section always (no keys: a count of 0) and then whether new
/// keys wait: the same identity has one plaintext, and a count above a grant's, a flag
/// other than 0 or 1, or anything after the section is refused.
#[test]
fn a_version_2_identity_file_is_read_exactly() {
    let v2 = |grant: &[u8], next: &[u8]| {
        let mut p = enrolled_plaintext(fixed(0x20), fixed(0x30));
        p.extend_from_slice(grant);
        p.extend_from_slice(next);
        Identity::open(&sealed_file_as(MAGIC, &p, CHEAP), PASSPHRASE)
    };
    let opened = v2(&[0], &[0]).unwrap();
    assert_eq!(opened.next_fingerprint(), None);
    let mut one_key = vec![1];
    one_key.extend_from_slice(&u64::MAX.to_be_bytes());
    one_key.extend_from_slice(&fixed(1));
    assert_eq!(v2(&one_key, &[0]).unwrap().inbox_keys(0).len(), 1);
    let mut next = vec![1];
    next.extend_from_slice(&fixed(0x40));
    next.extend_from_slice(&fixed(0x41));
    assert!(v2(&[0], &next).unwrap().next_fingerprint().is_some());
    let too_many = u8::try_from(MAX_GRANT_KEYS + 1).unwrap();
    for (grant, next) in [
        (vec![too_many], vec![0]),
        (vec![0], vec![2]),
        (vec![0], vec![0, 0]),
        (vec![0], vec![]),
        (vec![0], next[..40].to_vec()),
    ] {
        assert!(
            matches!(v2(&grant, &next), Err(IdentityError::Format)),
            "{grant:?} {next:?}"
        );
    }
}
