//! Sealed tips, follow-ups and replies (`docs/protocol.md` §5), receipt codes (§6) and
//! proof-of-work (§7).

use lifeline::crypto::encoding::DecodeError;
use lifeline::crypto::keys::{DhPublicKey, DhSecret, Fingerprint, SigningKey, hex};
use lifeline::crypto::padding::{self, HEADER_LEN, TIP_BUCKETS};
use lifeline::crypto::proof_of_work::{self, MAX_DIFFICULTY, digest, leading_zero_bits};
use lifeline::crypto::receipt::{
    ALPHABET, DATA_SYMBOLS, GROUP, PBKDF2_ITERATIONS, ReceiptCode, ReceiptError, SYMBOLS,
};
use lifeline::crypto::sealed_tip::{
    ENC_LEN, FOLLOWUP_LABEL, MAX_CATEGORY_BYTES, REPLY_LABEL, TIP_LABEL, TipError, TipMessage,
    hpke_seal, info, open_followup, open_reply, open_tip, seal_followup, seal_reply, seal_tip,
};
use lifeline::crypto::vectors::{self, FixedRng, SESSION_ID, fixed, inbox_key, org_key};
use proptest::prelude::*;
use rand_core::{CryptoRng, OsRng, RngCore};

/// SplitMix64: a small deterministic generator so property tests over "random" receipt
/// codes are reproducible from a `u64` seed. Test use only.
struct SplitMix(u64);

impl RngCore for SplitMix {
    fn next_u32(&mut self) -> u32 {
        self.next_u64() as u32
    }
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    fn fill_bytes(&mut self, dest: &mut [u8]) {
        for chunk in dest.chunks_mut(8) {
            let v = self.next_u64().to_le_bytes();
            chunk.copy_from_slice(&v[..chunk.len()]);
        }
    }
    fn try_fill_bytes(&mut self, dest: &mut [u8]) -> Result<(), rand_core::Error> {
        self.fill_bytes(dest);
        Ok(())
    }
}

impl CryptoRng for SplitMix {}

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

fn org() -> Fingerprint {
    org_key().public().fingerprint()
}

fn other_org() -> Fingerprint {
    SigningKey::from_seed(fixed(0x99)).public().fingerprint()
}

fn tipster() -> DhSecret {
    DhSecret::from_bytes(fixed(0x70))
}

fn tip(text: &str) -> TipMessage {
    TipMessage {
        reply_key: Some(tipster().public()),
        category: Some("labour".into()),
        text: text.into(),
    }
}

fn plain(text: &str) -> TipMessage {
    TipMessage {
        reply_key: None,
        category: None,
        text: text.into(),
    }
}

/// The documented plaintext layout, built by hand:
/// `version | has_key | key? | category_len | category | text`, padded to a tip bucket.
fn hand_body(
    version: u8,
    key_flag: u8,
    key: Option<&[u8; 32]>,
    cat: &[u8],
    text: &[u8],
) -> Vec<u8> {
    let mut body = vec![version, key_flag];
    if let Some(k) = key {
        body.extend_from_slice(k);
    }
    body.push(cat.len() as u8);
    body.extend_from_slice(cat);
    body.extend_from_slice(text);
    body
}

/// Seals arbitrary padded plaintext exactly as `seal_tip` would, so the decoder behind
/// `open_tip` can be fed what a hostile (but correctly encrypting) tipster might send.
fn seal_raw_tip(padded: &[u8], rng: &mut FixedRng) -> Vec<u8> {
    let inbox = inbox_key().public();
    hpke_seal(
        None,
        &inbox,
        &info(TIP_LABEL, &org(), &inbox),
        &[],
        padded,
        rng,
    )
    .unwrap()
}

fn encoded_len(m: &TipMessage) -> usize {
    3 + m.reply_key.map_or(0, |_| 32) + m.category.as_deref().map_or(0, str::len) + m.text.len()
}

// ---------------------------------------------------------------------------------------
// Sealed tips, follow-ups, replies
// ---------------------------------------------------------------------------------------

#[test]
fn tip_followup_and_reply_round_trip() {
    let inbox = inbox_key();
    let t = tipster();
    let first = tip("Workers at the farm on the north road are locked in at night.");
    let sealed = seal_tip(&org(), &inbox.public(), &first, &mut OsRng).unwrap();
    assert_eq!(open_tip(&org(), &inbox, &sealed).unwrap(), first);
    // Sealing is randomised: the same tip never gives the same bytes twice.
    let again = seal_tip(&org(), &inbox.public(), &first, &mut OsRng).unwrap();
    assert_ne!(sealed, again);
    assert_eq!(open_tip(&org(), &inbox, &again).unwrap(), first);

    let followup = plain("They moved them yesterday.");
    let sealed = seal_followup(&org(), &inbox.public(), &t, &followup, &mut OsRng).unwrap();
    assert_eq!(
        open_followup(&org(), &inbox, &t.public(), &sealed).unwrap(),
        followup
    );

    let reply = plain("Thank you. We have passed this on.");
    let sealed = seal_reply(&org(), &inbox, &t.public(), &reply, &mut OsRng).unwrap();
    assert_eq!(
        open_reply(&org(), &inbox.public(), &t, &sealed).unwrap(),
        reply
    );
}

#[test]
fn committed_vectors_open() {
    let v = vectors::sealed_tip();
    let sealed = |k: &str| unhex(v[k]["sealed"].as_str().unwrap());
    let inbox = inbox_key();
    let t = tipster();
    let opened = open_tip(&org(), &inbox, &sealed("tip")).unwrap();
    assert_eq!(opened.text, v["tip"]["text"].as_str().unwrap());
    assert_eq!(opened.category.as_deref(), Some("labour"));
    assert_eq!(opened.reply_key, Some(t.public()));
    let opened = open_followup(&org(), &inbox, &t.public(), &sealed("followup")).unwrap();
    assert_eq!(opened.text, v["followup"]["text"].as_str().unwrap());
    let opened = open_reply(&org(), &inbox.public(), &t, &sealed("reply")).unwrap();
    assert_eq!(opened.text, v["reply"]["text"].as_str().unwrap());
}

#[test]
fn wrong_inbox_key_or_organisation_cannot_open() {
    let inbox = inbox_key();
    let t = tipster();
    let stranger = DhSecret::from_bytes(fixed(0x41));
    let sealed = seal_tip(&org(), &inbox.public(), &tip("x"), &mut OsRng).unwrap();
    assert_eq!(open_tip(&org(), &stranger, &sealed), Err(TipError::Open));
    // Cross-organisation replay: the same inbox key under another organisation's
    // fingerprint (e.g. a relay forwarding it to a sister organisation) does not open.
    assert_eq!(open_tip(&other_org(), &inbox, &sealed), Err(TipError::Open));
    let sealed = seal_tip(&other_org(), &inbox.public(), &tip("x"), &mut OsRng).unwrap();
    assert_eq!(open_tip(&org(), &inbox, &sealed), Err(TipError::Open));

    let followup = seal_followup(&org(), &inbox.public(), &t, &plain("f"), &mut OsRng).unwrap();
    assert_eq!(
        open_followup(&other_org(), &inbox, &t.public(), &followup),
        Err(TipError::Open)
    );
    assert_eq!(
        open_followup(&org(), &stranger, &t.public(), &followup),
        Err(TipError::Open)
    );
    let reply = seal_reply(&org(), &inbox, &t.public(), &plain("r"), &mut OsRng).unwrap();
    assert_eq!(
        open_reply(&other_org(), &inbox.public(), &t, &reply),
        Err(TipError::Open)
    );
    assert_eq!(
        open_reply(&org(), &inbox.public(), &stranger, &reply),
        Err(TipError::Open),
        "a reply opens only with the tipster's key"
    );
}

#[test]
fn followup_from_another_tipster_key_is_refused() {
    let inbox = inbox_key();
    let t = tipster();
    let impostor = DhSecret::from_bytes(fixed(0x71));
    let sealed =
        seal_followup(&org(), &inbox.public(), &impostor, &plain("f"), &mut OsRng).unwrap();
    assert_eq!(
        open_followup(&org(), &inbox, &t.public(), &sealed),
        Err(TipError::Open)
    );
    assert!(open_followup(&org(), &inbox, &impostor.public(), &sealed).is_ok());
    // A follow-up is not a first tip and a first tip is not a follow-up.
    assert_eq!(open_tip(&org(), &inbox, &sealed), Err(TipError::Open));
    let first = seal_tip(&org(), &inbox.public(), &tip("t"), &mut OsRng).unwrap();
    assert_eq!(
        open_followup(&org(), &inbox, &t.public(), &first),
        Err(TipError::Open)
    );
    // Unauthenticated bytes sealed under the follow-up label (Base mode) are refused.
    let base = hpke_seal(
        None,
        &inbox.public(),
        &info(FOLLOWUP_LABEL, &org(), &inbox.public()),
        &[],
        &padding::pad(1, &hand_body(1, 0, None, b"", b"f"), &TIP_BUCKETS).unwrap(),
        &mut OsRng,
    )
    .unwrap();
    assert_eq!(
        open_followup(&org(), &inbox, &t.public(), &base),
        Err(TipError::Open)
    );
}

#[test]
fn reply_from_a_key_other_than_the_inbox_is_refused() {
    let inbox = inbox_key();
    let t = tipster();
    // The relay (or anyone who knows the tipster's public key) tries to answer.
    let relay = DhSecret::from_bytes(fixed(0x42));
    let forged = seal_reply(&org(), &relay, &t.public(), &plain("r"), &mut OsRng).unwrap();
    assert_eq!(
        open_reply(&org(), &inbox.public(), &t, &forged),
        Err(TipError::Open)
    );
    // Even when it binds the real inbox's fingerprint into the info.
    let forged = hpke_seal(
        Some(&relay),
        &t.public(),
        &info(REPLY_LABEL, &org(), &inbox.public()),
        &[],
        &padding::pad(1, &hand_body(1, 0, None, b"", b"r"), &TIP_BUCKETS).unwrap(),
        &mut OsRng,
    )
    .unwrap();
    assert_eq!(
        open_reply(&org(), &inbox.public(), &t, &forged),
        Err(TipError::Open)
    );
    // Or seals in unauthenticated Base mode.
    let forged = hpke_seal(
        None,
        &t.public(),
        &info(REPLY_LABEL, &org(), &inbox.public()),
        &[],
        &padding::pad(1, &hand_body(1, 0, None, b"", b"r"), &TIP_BUCKETS).unwrap(),
        &mut OsRng,
    )
    .unwrap();
    assert_eq!(
        open_reply(&org(), &inbox.public(), &t, &forged),
        Err(TipError::Open)
    );
}

#[test]
fn tampered_truncated_or_extended_tips_fail() {
    let inbox = inbox_key();
    let sealed = seal_tip(&org(), &inbox.public(), &tip("x"), &mut OsRng).unwrap();
    // Every bit of the encapsulated key, including the top bit X25519 itself ignores:
    // HPKE binds the encoded `enc`, so even that flip must fail.
    for bit in 0..ENC_LEN * 8 {
        let mut bad = sealed.clone();
        bad[bit / 8] ^= 1 << (bit % 8);
        assert!(open_tip(&org(), &inbox, &bad).is_err(), "enc bit {bit}");
    }
    for len in [0, 1, ENC_LEN, ENC_LEN + 15, ENC_LEN + 16, sealed.len() - 1] {
        assert!(
            open_tip(&org(), &inbox, &sealed[..len]).is_err(),
            "len {len}"
        );
    }
    assert_eq!(
        open_tip(&org(), &inbox, &sealed[..ENC_LEN + 15]),
        Err(TipError::Malformed)
    );
    let mut long = sealed.clone();
    long.push(0);
    assert_eq!(open_tip(&org(), &inbox, &long), Err(TipError::Open));
    // A low-order `enc` is refused, not a panic.
    let mut zero = sealed;
    zero[..ENC_LEN].fill(0);
    assert!(open_tip(&org(), &inbox, &zero).is_err());
}

#[test]
fn sizes_reveal_only_the_bucket() {
    let inbox = inbox_key().public();
    for template in [tip(""), plain("")] {
        let overhead = HEADER_LEN + encoded_len(&template);
        let mut previous = 0;
        for (i, bucket) in TIP_BUCKETS.iter().enumerate() {
            let mut lengths = vec![bucket - overhead];
            if previous + 1 >= overhead {
                lengths.push(previous + 1 - overhead);
            }
            for text_len in lengths {
                let m = TipMessage {
                    text: "x".repeat(text_len),
                    ..template.clone()
                };
                let sealed = seal_tip(&org(), &inbox, &m, &mut OsRng).unwrap();
                assert_eq!(
                    sealed.len(),
                    ENC_LEN + bucket + 16,
                    "text of {text_len} bytes belongs in bucket {i}"
                );
            }
            previous = *bucket;
        }
        let too_long = TipMessage {
            text: "x".repeat(TIP_BUCKETS[4] - overhead + 1),
            ..template
        };
        assert_eq!(
            seal_tip(&org(), &inbox, &too_long, &mut OsRng),
            Err(TipError::TooLong)
        );
    }
    // Different texts, categories and key choices within one bucket: identical lengths.
    let lens: Vec<usize> = [tip(""), plain(""), tip(&"é".repeat(400)), plain("a b c")]
        .iter()
        .map(|m| seal_tip(&org(), &inbox, m, &mut OsRng).unwrap().len())
        .collect();
    assert!(
        lens.iter().all(|l| *l == ENC_LEN + TIP_BUCKETS[0] + 16),
        "{lens:?}"
    );
    // Replies and follow-ups are padded the same way.
    let t = tipster();
    let big = plain(&"y".repeat(2000));
    assert_eq!(
        seal_reply(&org(), &inbox_key(), &t.public(), &big, &mut OsRng)
            .unwrap()
            .len(),
        ENC_LEN + TIP_BUCKETS[1] + 16
    );
    assert_eq!(
        seal_followup(&org(), &inbox, &t, &big, &mut OsRng)
            .unwrap()
            .len(),
        ENC_LEN + TIP_BUCKETS[1] + 16
    );
}

#[test]
fn optional_fields_round_trip() {
    let inbox = inbox_key();
    for m in [
        plain(""),
        plain("no key, no category"),
        TipMessage {
            reply_key: Some(tipster().public()),
            category: None,
            text: "key only".into(),
        },
        TipMessage {
            reply_key: None,
            category: Some("c".repeat(MAX_CATEGORY_BYTES)),
            text: "longest category, no key".into(),
        },
        TipMessage {
            reply_key: None,
            category: Some("travail forcé".into()),
            text: "Texte en français, avec des accents: à l'usine.\n\tEt des lignes.".into(),
        },
    ] {
        let sealed = seal_tip(&org(), &inbox.public(), &m, &mut OsRng).unwrap();
        assert_eq!(open_tip(&org(), &inbox, &sealed).unwrap(), m);
    }
    // An empty category is the same as none: it is encoded as length 0.
    let empty = TipMessage {
        category: Some(String::new()),
        ..plain("t")
    };
    let sealed = seal_tip(&org(), &inbox.public(), &empty, &mut OsRng).unwrap();
    assert_eq!(open_tip(&org(), &inbox, &sealed).unwrap(), plain("t"));
}

#[test]
fn invalid_categories_are_refused_at_sealing() {
    let inbox = inbox_key().public();
    for cat in [
        "a\nb".to_string(),
        "\u{1b}[2J".to_string(),
        "\u{85}".to_string(),
        "c".repeat(MAX_CATEGORY_BYTES + 1),
    ] {
        let m = TipMessage {
            category: Some(cat.clone()),
            ..plain("t")
        };
        assert_eq!(
            seal_tip(&org(), &inbox, &m, &mut OsRng),
            Err(TipError::Content(DecodeError::Invalid("category"))),
            "{cat:?}"
        );
    }
}

#[test]
fn hand_encoding_matches_the_library() {
    // Pins `hand_body` to the real encoder so the decoder tests below mean something.
    let m = tip("Workers at the farm.");
    let body = hand_body(
        1,
        1,
        Some(&tipster().public().0),
        b"labour",
        m.text.as_bytes(),
    );
    let padded = padding::pad(1, &body, &TIP_BUCKETS).unwrap();
    let ikm = fixed(0x80);
    assert_eq!(
        seal_raw_tip(&padded, &mut FixedRng::new(&ikm)),
        seal_tip(&org(), &inbox_key().public(), &m, &mut FixedRng::new(&ikm)).unwrap()
    );
}

#[test]
fn decoder_refuses_bad_plaintext_even_when_authentic() {
    let inbox = inbox_key();
    let ikm = fixed(0x81);
    let open_padded = |padded: &[u8]| {
        open_tip(
            &org(),
            &inbox,
            &seal_raw_tip(padded, &mut FixedRng::new(&ikm)),
        )
    };
    let pad = |kind: u8, body: &[u8]| padding::pad(kind, body, &TIP_BUCKETS).unwrap();
    let content = |e: &'static str| Err(TipError::Content(DecodeError::Invalid(e)));
    assert_eq!(
        open_padded(&pad(1, &hand_body(1, 0, None, b"", b"ok"))),
        Ok(plain("ok"))
    );
    assert_eq!(
        open_padded(&pad(2, &hand_body(1, 0, None, b"", b"ok"))),
        content("kind")
    );
    assert_eq!(
        open_padded(&pad(1, &hand_body(2, 0, None, b"", b"ok"))),
        content("version")
    );
    // Flag bit 1 is "sealed by the relay" (§5); any other unknown bit is refused.
    assert_eq!(
        open_padded(&pad(1, &hand_body(1, 2, None, b"", b"ok"))),
        Ok(plain("ok"))
    );
    assert_eq!(
        open_padded(&pad(1, &hand_body(1, 4, None, b"", b"ok"))),
        content("key flag")
    );
    assert_eq!(
        open_padded(&pad(1, &hand_body(1, 0, None, b"", &[0xff, 0xfe]))),
        content("text")
    );
    assert_eq!(
        open_padded(&pad(1, &hand_body(1, 0, None, &[0xc3], b"ok"))),
        content("category")
    );
    // A key flag with no key behind it, an empty body.
    assert!(matches!(
        open_padded(&pad(1, &[1, 1, 0, 0])),
        Err(TipError::Content(DecodeError::Truncated(_)))
    ));
    assert!(matches!(
        open_padded(&pad(1, &[])),
        Err(TipError::Content(DecodeError::Truncated(_)))
    ));
    // Padding must be zeros and the size exactly a bucket.
    let mut dirty = pad(1, &hand_body(1, 0, None, b"", b"ok"));
    *dirty.last_mut().unwrap() = 1;
    assert_eq!(open_padded(&dirty), content("padding"));
    let mut short = pad(1, &hand_body(1, 0, None, b"", b"ok"));
    short.pop();
    assert_eq!(open_padded(&short), content("padded size"));
    let mut overlong_len = pad(1, &hand_body(1, 0, None, b"", b"ok"));
    overlong_len[1..5].copy_from_slice(&(TIP_BUCKETS[0] as u32).to_be_bytes());
    assert!(matches!(
        open_padded(&overlong_len),
        Err(TipError::Content(DecodeError::Truncated(_)))
    ));
}

/// The sealer checks the category (`check_display_text`: no control characters, at most
/// 64 bytes) but `open_tip` does not, so anyone holding the public inbox key can deliver a
/// category carrying terminal escape sequences or 255 bytes to the coordinator's console.
#[test]
fn opened_categories_obey_the_same_rules_as_sealed_ones() {
    let inbox = inbox_key();
    let long = "c".repeat(255);
    for cat in [&b"\x1b]0;pwned\x07\x1b[2J"[..], b"a\nb", long.as_bytes()] {
        let padded = padding::pad(1, &hand_body(1, 0, None, cat, b"t"), &TIP_BUCKETS).unwrap();
        let sealed = seal_raw_tip(&padded, &mut FixedRng::new(&fixed(0x82)));
        assert!(
            open_tip(&org(), &inbox, &sealed).is_err(),
            "category {:?} was accepted",
            String::from_utf8_lossy(cat)
        );
    }
}

#[test]
fn debug_of_a_tip_hides_its_text() {
    let text = format!("{:?}", tip("the manager's name is Jo"));
    assert!(!text.contains("Jo") && !text.contains("labour"), "{text}");
    assert!(text.contains("bytes"), "{text}");
}

// ---------------------------------------------------------------------------------------
// Receipt codes
// ---------------------------------------------------------------------------------------

fn code(seed: u64) -> ReceiptCode {
    ReceiptCode::generate(&mut SplitMix(seed))
}

fn canonical_chars(c: &ReceiptCode) -> Vec<char> {
    c.canonical().chars().collect()
}

#[test]
fn receipt_alphabet_and_entropy() {
    assert_eq!(ALPHABET.len(), 31);
    assert_eq!(SYMBOLS, DATA_SYMBOLS + 1);
    assert_eq!(SYMBOLS % GROUP, 0);
    let mut sorted = ALPHABET.to_vec();
    sorted.sort_unstable();
    sorted.dedup();
    assert_eq!(sorted.len(), 31, "symbols are distinct");
    for excluded in *b"0O1IL" {
        assert!(!ALPHABET.contains(&excluded), "{}", excluded as char);
    }
    assert!(
        ALPHABET
            .iter()
            .all(|c| c.is_ascii_digit() || c.is_ascii_uppercase())
    );
    // 31^19 ≥ 2^80, exactly, and about 94 bits.
    assert!(31u128.pow(DATA_SYMBOLS as u32) >= 1u128 << 80);
    assert!(31u128.pow(DATA_SYMBOLS as u32) >= 1u128 << 94);
    assert!(31u128.pow(DATA_SYMBOLS as u32) < 1u128 << 95);
    let bits = DATA_SYMBOLS as f64 * (ALPHABET.len() as f64).log2();
    assert!(bits >= 80.0 && (bits - 94.13).abs() < 0.01, "{bits}");
    // Three fewer data symbols would not reach 80 bits: the length is not wasteful either.
    assert!(31u128.pow(DATA_SYMBOLS as u32 - 3) < 1u128 << 80);
}

#[test]
fn generated_symbols_are_uniform() {
    // 190,000 data symbols: each of the 31 expected ~6,129 times (σ ≈ 77). Plain
    // `byte % 31` without rejection would make 8 symbols 12.5% more frequent (~+770).
    let mut rng = SplitMix(1);
    let mut counts = [0u32; 31];
    for _ in 0..10_000 {
        let c = ReceiptCode::generate(&mut rng);
        for ch in canonical_chars(&c).iter().take(DATA_SYMBOLS) {
            let v = ALPHABET.iter().position(|a| *a as char == *ch).unwrap();
            counts[v] += 1;
        }
    }
    let expected = 190_000.0 / 31.0;
    for (v, n) in counts.iter().enumerate() {
        assert!(
            (*n as f64 - expected).abs() < 400.0,
            "symbol {} drawn {n} times, expected ~{expected:.0}",
            ALPHABET[v] as char
        );
    }
}

#[test]
fn generation_tolerates_bytes_it_must_reject() {
    // Bytes ≥ 248 are skipped, not folded: a source that yields only those, then one
    // usable value, gives that value.
    let mut bytes = vec![255u8, 250, 248];
    bytes.extend(0..19u8);
    let mut rng = FixedRng::new(&bytes);
    let c = ReceiptCode::generate(&mut rng);
    assert_eq!(&c.canonical()[..DATA_SYMBOLS], "23456789ABCDEFGHJKM");
}

#[test]
fn display_and_typed_forms_parse() {
    let c = code(7);
    let display = c.display();
    assert_eq!(display.len(), SYMBOLS + SYMBOLS / GROUP - 1);
    let groups: Vec<&str> = display.split('-').collect();
    assert_eq!(groups.len(), SYMBOLS / GROUP);
    assert!(groups.iter().all(|g| g.len() == GROUP));
    assert_eq!(display.replace('-', ""), c.canonical().as_str());
    let canonical = c.canonical().to_string();
    let spaced: String = canonical.chars().flat_map(|ch| [ch, ' ']).collect();
    for typed in [
        display.to_string(),
        display.to_lowercase(),
        canonical.clone(),
        canonical.to_lowercase(),
        display.replace('-', " "),
        display.replace('-', "  -  "),
        format!("  {}\n", display.as_str()),
        format!("\t{}\t", display.replace('-', "\t")),
        spaced,
        mixed_case(&canonical),
        format!("--{canonical}--"),
    ] {
        assert_eq!(ReceiptCode::parse(&typed).as_ref(), Ok(&c), "{typed:?}");
    }
}

fn mixed_case(s: &str) -> String {
    s.chars()
        .enumerate()
        .map(|(i, c)| {
            if i % 2 == 0 {
                c.to_ascii_lowercase()
            } else {
                c
            }
        })
        .collect()
}

#[test]
fn the_vector_code_parses_in_every_typed_form() {
    let v = vectors::receipt();
    let code = ReceiptCode::parse(v["code"].as_str().unwrap()).unwrap();
    assert_eq!(code.canonical().as_str(), v["canonical"].as_str().unwrap());
    for typed in v["typed_forms"].as_array().unwrap() {
        assert_eq!(ReceiptCode::parse(typed.as_str().unwrap()).unwrap(), code);
    }
}

#[test]
fn every_single_substitution_is_caught() {
    for seed in [1u64, 2, 3] {
        let c = code(seed);
        let chars = canonical_chars(&c);
        let mut tried = 0;
        for position in 0..SYMBOLS {
            for &symbol in ALPHABET {
                let symbol = symbol as char;
                if symbol == chars[position] {
                    continue;
                }
                let mut typed = chars.clone();
                typed[position] = symbol;
                let typed: String = typed.into_iter().collect();
                assert_eq!(
                    ReceiptCode::parse(&typed),
                    Err(ReceiptError::Check),
                    "{symbol} at {position}"
                );
                // Lower case makes no difference to the check.
                assert_eq!(
                    ReceiptCode::parse(&typed.to_lowercase()),
                    Err(ReceiptError::Check)
                );
                tried += 1;
            }
        }
        assert_eq!(tried, SYMBOLS * 30);
    }
}

#[test]
fn every_adjacent_transposition_is_caught() {
    let mut swaps = 0;
    for seed in 0..200u64 {
        let c = code(seed);
        let chars = canonical_chars(&c);
        for i in 0..SYMBOLS - 1 {
            if chars[i] == chars[i + 1] {
                continue;
            }
            let mut typed = chars.clone();
            typed.swap(i, i + 1);
            let typed: String = typed.into_iter().collect();
            assert_eq!(
                ReceiptCode::parse(&typed),
                Err(ReceiptError::Check),
                "seed {seed}, swap {i}/{}",
                i + 1
            );
            swaps += 1;
        }
        // Swapping across a group separator as shown is caught too.
        let display: Vec<char> = c.display().chars().collect();
        if display[3] != display[5] {
            let mut typed = display.clone();
            typed.swap(3, 5);
            let typed: String = typed.into_iter().collect();
            assert_eq!(ReceiptCode::parse(&typed), Err(ReceiptError::Check));
        }
    }
    assert!(swaps > 200 * 17, "{swaps}");
}

#[test]
fn excluded_characters_are_refused_with_their_position() {
    let c = code(9);
    let chars = canonical_chars(&c);
    for bad in ['0', 'O', 'o', '1', 'I', 'i', 'L', 'l', '!', 'é', '٣'] {
        for position in 0..SYMBOLS {
            let mut typed = chars.clone();
            typed[position] = bad;
            let typed: String = typed.into_iter().collect();
            assert_eq!(
                ReceiptCode::parse(&typed),
                Err(ReceiptError::Character {
                    position: position + 1
                }),
                "{bad:?} at {position}"
            );
        }
    }
    // Positions count symbols, not separators: the first symbol of the second group is 5.
    let mut display: Vec<char> = c.display().chars().collect();
    display[5] = 'O';
    let typed: String = display.into_iter().collect();
    assert_eq!(
        ReceiptCode::parse(&typed),
        Err(ReceiptError::Character { position: 5 })
    );
    // The first bad character is the one reported.
    let mut two = chars.clone();
    two[3] = '0';
    two[10] = 'I';
    let typed: String = two.into_iter().collect();
    assert_eq!(
        ReceiptCode::parse(&typed),
        Err(ReceiptError::Character { position: 4 })
    );
}

#[test]
fn wrong_lengths_are_refused() {
    let canonical = code(11).canonical().to_string();
    assert_eq!(ReceiptCode::parse(""), Err(ReceiptError::Length(0)));
    assert_eq!(ReceiptCode::parse(" - - "), Err(ReceiptError::Length(0)));
    assert_eq!(
        ReceiptCode::parse(&canonical[..SYMBOLS - 1]),
        Err(ReceiptError::Length(SYMBOLS - 1))
    );
    assert_eq!(
        ReceiptCode::parse(&format!("{canonical}2")),
        Err(ReceiptError::Length(SYMBOLS + 1))
    );
    assert_eq!(
        ReceiptCode::parse(&canonical.repeat(2)),
        Err(ReceiptError::Length(2 * SYMBOLS))
    );
    // Length is counted in characters, not bytes, and is checked before the alphabet.
    assert_eq!(
        ReceiptCode::parse(&"é".repeat(SYMBOLS - 1)),
        Err(ReceiptError::Length(SYMBOLS - 1))
    );
    assert_eq!(
        ReceiptCode::parse(&"0".repeat(SYMBOLS + 1)),
        Err(ReceiptError::Length(SYMBOLS + 1))
    );
}

#[test]
fn derive_is_deterministic_and_bound_to_org_and_code() {
    let c = code(5);
    let a = c.derive(&org());
    // What the tipster types back later, in any form, opens the same keys.
    let retyped = ReceiptCode::parse(&c.display().to_lowercase()).unwrap();
    let b = retyped.derive(&org());
    assert_eq!(a.lookup_id, b.lookup_id);
    assert_eq!(a.master[..], b.master[..]);
    assert_eq!(a.tipster_key.public(), b.tipster_key.public());
    assert_ne!(a.lookup_id[..], a.master[..]);
    assert_ne!(a.lookup_id, a.tipster_key.to_bytes()[..]);

    let other_org = c.derive(&other_org());
    assert_ne!(other_org.lookup_id, a.lookup_id);
    assert_ne!(other_org.tipster_key.public(), a.tipster_key.public());

    let other_code = code(6).derive(&org());
    assert_ne!(other_code.lookup_id, a.lookup_id);
    assert_ne!(other_code.tipster_key.public(), a.tipster_key.public());

    // The stretching is real: fewer iterations give other keys.
    let cheap = c.derive_with_iterations(&org(), 1);
    assert_ne!(cheap.lookup_id, a.lookup_id);
    assert_eq!(PBKDF2_ITERATIONS, 600_000);

    // The derived key works end to end: a reply sealed to it opens with it.
    let inbox = inbox_key();
    let sealed = seal_reply(
        &org(),
        &inbox,
        &a.tipster_key.public(),
        &plain("r"),
        &mut OsRng,
    )
    .unwrap();
    assert_eq!(
        open_reply(&org(), &inbox.public(), &b.tipster_key, &sealed)
            .unwrap()
            .text,
        "r"
    );
}

#[test]
fn debug_never_shows_the_code_or_keys() {
    let c = code(5);
    let keys = c.derive_with_iterations(&org(), 1000);
    let canonical = c.canonical().to_string();
    let display = c.display().to_string();
    let texts = [
        format!("{c:?}"),
        format!("{c:#?}"),
        format!("{keys:?}"),
        format!("{keys:#?}"),
    ];
    for text in &texts {
        for secret in [
            canonical.clone(),
            canonical.to_lowercase(),
            display.clone(),
            canonical[..GROUP].to_string() + &canonical[GROUP..2 * GROUP],
            hex(&keys.master[..]),
            hex(&keys.lookup_id),
            hex(&keys.tipster_key.to_bytes()[..]),
        ] {
            assert!(!text.contains(&secret), "{text} contains {secret}");
        }
        assert!(text.contains("redacted"), "{text}");
    }
}

// ---------------------------------------------------------------------------------------
// Proof-of-work
// ---------------------------------------------------------------------------------------

#[test]
fn proof_of_work_solves_and_verifies() {
    let seed = [0x42u8; 16];
    for difficulty in [0u8, 1, 8, 12, 16] {
        let nonce = proof_of_work::solve(&seed, &SESSION_ID, difficulty);
        assert!(proof_of_work::verify(&seed, &SESSION_ID, nonce, difficulty));
        assert!(leading_zero_bits(&digest(&seed, &SESSION_ID, nonce)) >= difficulty as u32);
        // The smallest solution: nothing below it verifies.
        assert!((0..nonce).all(|n| !proof_of_work::verify(&seed, &SESSION_ID, n, difficulty)));
    }
    assert_eq!(proof_of_work::solve(&seed, &SESSION_ID, 0), 0);
    // The committed vector.
    let v = vectors::proof_of_work();
    assert_eq!(v["nonce"], proof_of_work::solve(&seed, &SESSION_ID, 12));
    assert_eq!(
        hex(&digest(&seed, &SESSION_ID, v["nonce"].as_u64().unwrap())),
        v["digest"].as_str().unwrap()
    );
    assert!(MAX_DIFFICULTY as u32 <= 256);
}

#[test]
fn a_nonce_for_another_seed_or_context_fails() {
    let seed = [0x42u8; 16];
    let difficulty = 16;
    let nonce = proof_of_work::solve(&seed, &SESSION_ID, difficulty);
    assert!(proof_of_work::verify(&seed, &SESSION_ID, nonce, difficulty));
    let mut other_seed = seed;
    other_seed[15] ^= 1;
    assert!(!proof_of_work::verify(
        &other_seed,
        &SESSION_ID,
        nonce,
        difficulty
    ));
    let mut other_context = SESSION_ID;
    other_context[0] ^= 1;
    assert!(!proof_of_work::verify(
        &seed,
        &other_context,
        nonce,
        difficulty
    ));
    assert!(!proof_of_work::verify(&seed, b"", nonce, difficulty));
    // Seed and context are labelled and in a fixed order: moving a byte between them is a
    // different puzzle.
    assert_ne!(
        digest(&seed, &SESSION_ID, nonce),
        digest(&seed, &SESSION_ID[1..], nonce)
    );
    // A solution is not a solution for a harder puzzle (unless by luck, which this isn't).
    let lz = leading_zero_bits(&digest(&seed, &SESSION_ID, nonce));
    assert!(!proof_of_work::verify(
        &seed,
        &SESSION_ID,
        nonce,
        (lz + 1) as u8
    ));
    assert!(!proof_of_work::verify(&seed, &SESSION_ID, nonce, u8::MAX));
}

#[test]
fn leading_zero_bits_on_crafted_inputs() {
    assert_eq!(leading_zero_bits(&[]), 0);
    assert_eq!(leading_zero_bits(&[0x80]), 0);
    assert_eq!(leading_zero_bits(&[0xff, 0x00]), 0);
    assert_eq!(leading_zero_bits(&[0x40]), 1);
    assert_eq!(leading_zero_bits(&[0x01]), 7);
    assert_eq!(leading_zero_bits(&[0x00]), 8);
    assert_eq!(leading_zero_bits(&[0x00, 0x80]), 8);
    assert_eq!(leading_zero_bits(&[0x00, 0x01, 0xff]), 15);
    assert_eq!(leading_zero_bits(&[0x00, 0x00, 0x10]), 19);
    assert_eq!(leading_zero_bits(&[0x00, 0x00, 0x00, 0x01]), 31);
    assert_eq!(leading_zero_bits(&[0u8; 32]), 256);
    let mut last = [0u8; 32];
    last[31] = 1;
    assert_eq!(leading_zero_bits(&last), 255);
    for bit in 0..256u32 {
        let mut h = [0u8; 32];
        h[(bit / 8) as usize] = 0x80 >> (bit % 8);
        assert_eq!(leading_zero_bits(&h), bit);
        h[31] |= 1; // later bits do not matter
        assert_eq!(leading_zero_bits(&h), bit);
    }
}

// ---------------------------------------------------------------------------------------
// Properties
// ---------------------------------------------------------------------------------------

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn any_single_flipped_bit_in_a_sealed_tip_fails(bit in 0usize..(1072 * 8)) {
        let inbox = inbox_key();
        let sealed = seal_tip(&org(), &inbox.public(), &tip("x"), &mut OsRng).unwrap();
        prop_assert_eq!(sealed.len(), 1072);
        let mut bad = sealed;
        bad[bit / 8] ^= 1 << (bit % 8);
        prop_assert!(open_tip(&org(), &inbox, &bad).is_err());
    }

    #[test]
    fn any_single_flipped_bit_in_a_followup_or_reply_fails(bit in 0usize..(1072 * 8), reply in any::<bool>()) {
        let inbox = inbox_key();
        let t = tipster();
        let sealed = if reply {
            seal_reply(&org(), &inbox, &t.public(), &plain("r"), &mut OsRng).unwrap()
        } else {
            seal_followup(&org(), &inbox.public(), &t, &plain("f"), &mut OsRng).unwrap()
        };
        let mut bad = sealed;
        bad[bit / 8] ^= 1 << (bit % 8);
        if reply {
            prop_assert!(open_reply(&org(), &inbox.public(), &t, &bad).is_err());
        } else {
            prop_assert!(open_followup(&org(), &inbox, &t.public(), &bad).is_err());
        }
    }

    #[test]
    fn any_tip_round_trips(
        text in ".{0,400}",
        category in proptest::option::of("[a-z ]{1,20}"),
        key in proptest::option::of(any::<[u8; 32]>()),
    ) {
        let inbox = inbox_key();
        let m = TipMessage { reply_key: key.map(DhPublicKey), category, text };
        let sealed = seal_tip(&org(), &inbox.public(), &m, &mut OsRng).unwrap();
        prop_assert!(TIP_BUCKETS.iter().any(|b| sealed.len() == ENC_LEN + b + 16));
        prop_assert_eq!(open_tip(&org(), &inbox, &sealed).unwrap(), m);
    }

    #[test]
    fn generated_codes_round_trip(seed in any::<u64>()) {
        let c = code(seed);
        let display = c.display();
        prop_assert_eq!(display.len(), 24);
        prop_assert!(display.chars().all(|ch| ch == '-' || ALPHABET.contains(&(ch as u8))));
        prop_assert_eq!(ReceiptCode::parse(&display).unwrap(), c.clone());
        prop_assert_eq!(ReceiptCode::parse(&display.to_lowercase()).unwrap(), c.clone());
        prop_assert_eq!(ReceiptCode::parse(&c.canonical()).unwrap(), c);
    }

    #[test]
    fn random_strings_of_the_right_length_mostly_fail_the_check(s in "[2-9A-HJKMNP-Z]{20}") {
        // Exactly the valid ones (1 in 31) parse, and those re-display to themselves.
        match ReceiptCode::parse(&s) {
            Ok(c) => prop_assert_eq!(c.canonical().to_string(), s),
            Err(e) => prop_assert_eq!(e, ReceiptError::Check),
        }
    }
}

#[test]
fn sealed_tip_module_labels_are_distinct() {
    let inbox = inbox_key().public();
    let labels = [TIP_LABEL, FOLLOWUP_LABEL, REPLY_LABEL];
    for (i, a) in labels.iter().enumerate() {
        for b in &labels[i + 1..] {
            assert_ne!(info(a, &org(), &inbox), info(b, &org(), &inbox));
        }
    }
    assert_ne!(
        info(TIP_LABEL, &org(), &inbox),
        info(TIP_LABEL, &other_org(), &inbox)
    );
    assert_ne!(
        info(TIP_LABEL, &org(), &inbox),
        info(TIP_LABEL, &org(), &tipster().public())
    );
}
