//! Inbox grants (`docs/protocol.md` §2.5): `crypto::inbox_grant::{header, open}`, the grant
//! file `grants::read_grant` reads (through the real entry point, a file on disk), and
//! `Identity::import_grant`, the console taking one. Whoever hands a coordinator a grant
//! file chose its bytes; HPKE Base mode authenticates no sender, so anyone may seal one.
//!
//! Input: `mode u8 | rest`; the recipient is the vectors' coordinator key, the organisation
//! the vectors', the serial 101 (that of the vectors' grant).
//! - Mode 0: `rest` as grant bytes. The header decodes exactly as its layout says (1 to
//!   `MAX_GRANT_KEYS` keys, else `KeyCount`; short or another version: `Malformed`) and
//!   re-encodes to the bytes it came from; only the genuine vector grant opens (as version 2,
//!   or as version 1, as the tooling wrote it before), each key
//!   matching the fingerprint the header names; another serial is `OtherSerial`. The same
//!   bytes in a grant file read back exactly when the header decodes. An identity importing
//!   them takes the keys exactly when they open, and keeps the keys it held otherwise.
//! - Mode 1: `until u64 | flip u16 | ikm [32] | secrets [32]*`: the secrets sealed as a
//!   grant (as anyone could). It seals exactly when it holds 1 to `MAX_GRANT_KEYS` keys
//!   (else `KeyCount`); it opens to the very keys, for this recipient, organisation and
//!   serial only (`Open`, `OtherSerial` otherwise), never with bit `flip` flipped; the file
//!   reads back; an identity imports the keys, in force until `until`, and its file keeps
//!   them.
//! - Mode 2: `rest` as the grant file's text: read only if its first line is the magic and
//!   its second the base64url of a grant whose header decodes.

#![no_main]

use std::path::PathBuf;
use std::sync::LazyLock;

use libfuzzer_sys::fuzz_target;
use lifeline::console::identity::{Identity, IdentityError};
use lifeline::crypto::certificate::{Certificate, CertificateBody, Role};
use lifeline::crypto::inbox_grant::{self, GrantError, GrantHeader, GrantedKey, MAX_GRANT_KEYS};
use lifeline::crypto::keys::{DhSecret, Fingerprint, hex};
use lifeline::crypto::sealed_tip::hpke_seal;
use lifeline::crypto::vectors::{self, FixedRng, NOW, coordinator_keys, fixed, org_key};
use lifeline::grants::{self, GRANT_MAGIC};
use lifeline::protocol::b64;

#[path = "../common/identity.rs"]
mod identity;
#[path = "../common/scratch.rs"]
mod scratch;

const SERIAL: u64 = 101;
/// The key the identity holds before any import: it must survive a refused one.
const HELD: u8 = 0x70;

static PATH: LazyLock<PathBuf> = LazyLock::new(|| scratch::file("grant"));
static ORG: LazyLock<Fingerprint> = LazyLock::new(|| org_key().public().fingerprint());
static RECIPIENT: LazyLock<DhSecret> = LazyLock::new(|| coordinator_keys().1);
static GENUINE: LazyLock<Vec<u8>> = LazyLock::new(|| {
    let grant = vectors::inbox_grant()["grant"]
        .as_str()
        .map(String::from)
        .expect("the vector grant");
    (0..grant.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&grant[i..i + 2], 16).expect("hex"))
        .collect()
});
/// The same grant as the organisation's tooling wrote it before grants v2: the vector's keys
/// and ephemeral key under a version 1 header (every key until the grant's date). It is as
/// genuine as the v2 one (the corpus kept it from when it was the vector), so it opens too.
static GENUINE_V1: LazyLock<Vec<u8>> = LazyLock::new(|| {
    let vector = vectors::inbox_grant();
    let unhex = |s: &str| -> Vec<u8> {
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("hex"))
            .collect()
    };
    let (header, _) = inbox_grant::header(&GENUINE).expect("the vector's header");
    let aad = encoded(&header, 1);
    let mut secrets = Vec::new();
    for s in vector["inbox_secrets"]
        .as_array()
        .expect("the vector's secrets")
    {
        secrets.extend(unhex(s.as_str().expect("hex")));
    }
    let ikm: [u8; 32] = unhex(vector["ikmE"].as_str().expect("the vector's ikmE"))
        .try_into()
        .expect("32 bytes");
    let sealed = hpke_seal(
        None,
        &RECIPIENT.public(),
        &inbox_grant::info(&ORG, &RECIPIENT.public()),
        &aad,
        &secrets,
        &mut FixedRng::new(&ikm),
    )
    .expect("seal");
    [aad, sealed].concat()
});
/// An enrolled identity under serial 101 that holds one key, as file text.
static IDENTITY_FILE: LazyLock<String> = LazyLock::new(|| {
    let (signing, dh) = coordinator_keys();
    let certificate: Certificate = CertificateBody {
        role: Role::Coordinator,
        serial: SERIAL,
        not_before: NOW - 86_400,
        not_after: NOW + 14 * 86_400,
        x25519_public: dh.public(),
        ed25519_public: signing.public(),
        alias: "Amara (Lyon)".into(),
    }
    .sign(&org_key())
    .expect("a valid certificate");
    let mut held = vec![1];
    held.extend_from_slice(&u64::MAX.to_be_bytes());
    held.extend_from_slice(&fixed(HELD));
    identity::seal(&identity::enrolled_plaintext(&certificate, &held))
});

fn enrolled() -> Identity {
    Identity::open(&IDENTITY_FILE, identity::PASSPHRASE).expect("the identity opens")
}

/// The fingerprint of the inbox key the fixture's identity holds (with no end).
fn held_fingerprint() -> Fingerprint {
    DhSecret::from_bytes(fixed(HELD)).public().fingerprint()
}

fn held_keys(identity: &Identity, now: u64) -> Vec<String> {
    identity
        .inbox_keys(now)
        .iter()
        .map(|k| hex(&k.to_bytes()[..]))
        .collect()
}

/// The grant bytes in a grant file, read back through `grants::read_grant`.
fn through_file(text: &[u8]) -> Result<Vec<u8>, grants::GrantsError> {
    std::fs::write(&*PATH, text).expect("scratch file writable");
    grants::read_grant(&PATH)
}

fn framed(grant: &[u8]) -> Vec<u8> {
    format!("{GRANT_MAGIC}\n{}\n", b64::encode(grant)).into_bytes()
}

/// The header's bytes as §2.5 lays them out, in `version` (1: one date for every key; 2:
/// each key with its own date).
fn encoded(header: &GrantHeader, version: u8) -> Vec<u8> {
    let mut out = vec![version];
    out.extend_from_slice(&header.serial.to_be_bytes());
    out.extend_from_slice(&header.until.to_be_bytes());
    out.push(u8::try_from(header.keys.len()).expect("at most 16 keys"));
    for key in &header.keys {
        out.extend_from_slice(&key.fingerprint.0);
        if version == 2 {
            out.extend_from_slice(&key.until.to_be_bytes());
        }
    }
    out
}

fn arbitrary_grant(bytes: &[u8]) {
    let header = inbox_grant::header(bytes);
    let count = bytes.get(17).map_or(0, |&c| usize::from(c));
    let version = bytes.first().copied().unwrap_or(0);
    let whole = (version == 1 || version == 2) && bytes.len() >= 18;
    let per_key = if version == 2 { 40 } else { 32 };
    match &header {
        Ok((h, len)) => {
            assert_eq!(*len, 18 + per_key * h.keys.len(), "the header's length");
            assert!(
                h.keys.iter().all(|k| k.until <= h.until),
                "no key outlives the grant"
            );
            // A key's date past the grant's is read as the grant's: the bytes re-encode to
            // themselves once so capped, and the re-encoding reads back the same header.
            let again = encoded(h, version);
            assert_eq!(inbox_grant::header(&again), Ok((h.clone(), *len)));
            if version == 1 {
                assert_eq!(
                    &bytes[..*len],
                    again,
                    "a version 1 header re-encodes to itself"
                );
            }
            assert!((1..=MAX_GRANT_KEYS).contains(&h.keys.len()));
        }
        Err(GrantError::KeyCount) => assert!(whole && (count == 0 || count > MAX_GRANT_KEYS)),
        Err(GrantError::Malformed(_)) => {
            assert!(
                !whole || bytes.len() < 18 + per_key * count,
                "a whole header refused"
            )
        }
        Err(e) => panic!("the header alone refused as {e:?}"),
    }
    let opened = inbox_grant::open(&ORG, &RECIPIENT, SERIAL, bytes);
    match (&opened, &header) {
        (Ok((h, keys)), _) => {
            assert!(
                bytes == &GENUINE[..] || bytes == &GENUINE_V1[..],
                "a grant nobody sealed opened"
            );
            let fingerprints: Vec<_> = keys.iter().map(|k| k.public().fingerprint()).collect();
            let named: Vec<_> = h.keys.iter().map(|k| k.fingerprint).collect();
            assert_eq!(fingerprints, named);
        }
        (Err(GrantError::OtherSerial(s)), Ok((h, _))) => assert!(*s == h.serial && *s != SERIAL),
        (Err(GrantError::Open | GrantError::Malformed(_)), Ok((h, _))) => {
            assert_eq!(h.serial, SERIAL)
        }
        (Err(e), Err(first)) => assert_eq!(e, first, "open and header disagree"),
        (Err(e), Ok(_)) => panic!("a grant with a good header refused as {e:?}"),
    }
    match through_file(&framed(bytes)) {
        Ok(read) => {
            assert!(header.is_ok(), "a grant file with a bad header read");
            assert_eq!(read, bytes);
        }
        Err(e) => assert!(
            header.is_err(),
            "a grant file with a good header refused: {e}"
        ),
    }
    let mut identity = enrolled();
    let before = held_keys(&identity, 0);
    match (identity.import_grant(bytes), opened) {
        (Ok(h), Ok((header, keys))) => {
            assert_eq!(h, header);
            // Each key is held until its own date (never past the grant's).
            let taken: Vec<_> = keys
                .iter()
                .zip(&h.keys)
                .filter(|(_, named)| named.until > 0)
                .map(|(k, _)| hex(&k.to_bytes()[..]))
                .collect();
            assert_eq!(held_keys(&identity, 0), taken);
        }
        (Err(IdentityError::Grant(e)), Err(refused)) => {
            assert_eq!(e, refused);
            assert_eq!(
                held_keys(&identity, 0),
                before,
                "a refused grant changed the keys"
            );
        }
        // F-43: a grant that ends before the fixture's key (which has no end) and lacks it.
        (Err(IdentityError::OlderGrant { ends, held_until }), Ok((header, _))) => {
            assert_eq!((ends, held_until), (header.until, u64::MAX));
            assert!(
                !header
                    .keys
                    .iter()
                    .any(|k| k.fingerprint == held_fingerprint())
            );
            assert_eq!(
                held_keys(&identity, 0),
                before,
                "an older grant changed the keys"
            );
        }
        (imported, opened) => panic!("import {imported:?} but open {opened:?}"),
    }
}

fn sealed_grant(args: &[u8]) {
    let Some((until, rest)) = args.split_first_chunk::<8>() else {
        return;
    };
    let Some((flip, rest)) = rest.split_first_chunk::<2>() else {
        return;
    };
    let Some((ikm, rest)) = rest.split_first_chunk::<32>() else {
        return;
    };
    let until = u64::from_be_bytes(*until);
    let keys: Vec<DhSecret> = rest
        .chunks_exact(32)
        .map(|c| DhSecret::from_bytes(c.try_into().expect("32 bytes")))
        .collect();
    let refs: Vec<(&DhSecret, u64)> = keys.iter().map(|k| (k, until)).collect();
    let sealed = inbox_grant::seal(
        &ORG,
        &RECIPIENT.public(),
        SERIAL,
        until,
        &refs,
        &mut FixedRng::new(ikm),
    );
    let Ok(grant) = sealed else {
        assert_eq!(sealed.err(), Some(GrantError::KeyCount));
        assert!(keys.is_empty() || keys.len() > MAX_GRANT_KEYS);
        return;
    };
    assert!((1..=MAX_GRANT_KEYS).contains(&keys.len()));
    let secrets: Vec<String> = keys.iter().map(|k| hex(&k.to_bytes()[..])).collect();
    let (header, opened) =
        inbox_grant::open(&ORG, &RECIPIENT, SERIAL, &grant).expect("a fresh grant opens");
    let named: Vec<_> = keys
        .iter()
        .map(|k| GrantedKey {
            fingerprint: k.public().fingerprint(),
            until,
        })
        .collect();
    assert_eq!(
        (header.serial, header.until, &header.keys),
        (SERIAL, until, &named)
    );
    let opened: Vec<String> = opened.iter().map(|k| hex(&k.to_bytes()[..])).collect();
    assert_eq!(opened, secrets);
    assert_eq!(
        inbox_grant::open(&ORG, &RECIPIENT, SERIAL + 1, &grant).err(),
        Some(GrantError::OtherSerial(SERIAL))
    );
    let stranger = DhSecret::from_bytes(fixed(0x31));
    assert_eq!(
        inbox_grant::open(&ORG, &stranger, SERIAL, &grant).err(),
        Some(GrantError::Open)
    );
    let other_org = Fingerprint(fixed(0x11));
    assert_eq!(
        inbox_grant::open(&other_org, &RECIPIENT, SERIAL, &grant).err(),
        Some(GrantError::Open)
    );
    let mut flipped = grant.clone();
    let bit = usize::from(u16::from_be_bytes(*flip)) % (flipped.len() * 8);
    flipped[bit / 8] ^= 1 << (bit % 8);
    assert!(
        inbox_grant::open(&ORG, &RECIPIENT, SERIAL, &flipped).is_err(),
        "a grant with bit {bit} flipped opened"
    );
    assert_eq!(
        through_file(&framed(&grant)).expect("a fresh grant file reads"),
        grant
    );
    let mut identity = enrolled();
    // F-43: a grant ending before the keys held (the fixture's key has no end) that lacks
    // the newest of them is refused and changes nothing: it would take away the key tips
    // are sealed to now.
    if until < u64::MAX && !named.iter().any(|k| k.fingerprint == held_fingerprint()) {
        assert!(matches!(
            identity.import_grant(&grant),
            Err(IdentityError::OlderGrant { ends, held_until: u64::MAX }) if ends == until
        ));
        assert_eq!(held_keys(&identity, 0), held_keys(&enrolled(), 0));
        return;
    }
    assert_eq!(identity.import_grant(&grant).expect("imports"), header);
    assert_eq!(
        held_keys(&identity, until.saturating_sub(1)),
        if until > 0 { secrets } else { vec![] }
    );
    assert!(
        held_keys(&identity, until).is_empty(),
        "a key in force at its end"
    );
    // And the identity file keeps them.
    let rewritten = identity
        .seal(identity::PASSPHRASE, identity::CHEAP)
        .expect("seals");
    let reopened = Identity::open(&rewritten, identity::PASSPHRASE).expect("reopens");
    assert_eq!(held_keys(&reopened, 0), held_keys(&identity, 0));
}

fn grant_file(text: &[u8]) {
    let Ok(read) = through_file(text) else {
        return;
    };
    let text = std::str::from_utf8(text).expect("a grant file that read is text");
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some(GRANT_MAGIC));
    let second = lines.next().expect("a second line");
    assert_eq!(b64::decode(second.trim()), Some(read.clone()));
    assert!(inbox_grant::header(&read).is_ok());
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    match mode % 3 {
        0 => arbitrary_grant(rest),
        1 => sealed_grant(rest),
        _ => grant_file(rest),
    }
});
