//! Hand-over notes (`crypto::handover_note::open`, `docs/protocol.md` §5.1) and the frames
//! that carry them: the sealed note a colleague (or a relay in between) sends with a
//! `transfer`, and the `claimed` frame with `note` and `note_from` that the receiving
//! console reads through `client::handover::read_note`. Keys are the vectors' (sender: the
//! vectors' coordinator, recipient `fixed(0xb0)`).
//!
//! Input: `mode u8 | rest`.
//! - Mode 0: `rest` is a sealed note: only the genuine vector note opens (anything else
//!   would be a forgery), and any other length is `Malformed`.
//! - Mode 1: `rest` is a padded plaintext, sealed to the recipient from the sender's key (as
//!   a colleague with a certified key could), then opened: this reaches the decoders behind
//!   the AEAD. It opens exactly when it is a padded note of one line of display text within
//!   the limit (else `Content`, or `Malformed` when not one bucket long), and what opens
//!   seals and opens again to the same text.
//! - Mode 2: `rest` is a frame: a coordinator's `transfer` (its note opened as in mode 0),
//!   and a relay's `claimed`, read as the console does: no note gives no note; a note reads
//!   as text exactly when it is the genuine note of this session and `note_from` is a valid
//!   coordinator certificate for the sender's key under the alias the relay named;
//!   otherwise it is `Unreadable`.

#![no_main]

use std::sync::LazyLock;

use libfuzzer_sys::fuzz_target;
use lifeline::client::handover::{HandoverNote, read_note};
use lifeline::crypto::certificate::{Certificate, Role};
use lifeline::crypto::encoding::check_display_text;
use lifeline::crypto::handover_note::{self, MAX_NOTE_BYTES, NOTE_BUCKET, SEALED_NOTE_LEN};
use lifeline::crypto::keys::{DhPublicKey, DhSecret, Fingerprint, OrgPublicKey};
use lifeline::crypto::padding;
use lifeline::crypto::sealed_tip::{TipError, hpke_seal};
use lifeline::crypto::vectors::{self, FixedRng, SESSION_ID, fixed};
use lifeline::protocol::frames::RelayFrame;
use lifeline::protocol::{self, CoordinatorFrame};

const KIND_NOTE: u8 = 3;

struct Keys {
    org: OrgPublicKey,
    org_fp: Fingerprint,
    sender: DhSecret,
    sender_public: DhPublicKey,
    recipient: DhSecret,
    text: String,
    genuine: Vec<u8>,
}

static KEYS: LazyLock<Keys> = LazyLock::new(|| {
    let vector = vectors::handover_note();
    let hex = |field: &str| {
        let text = vector[field].as_str().expect("a hex field");
        (0..text.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&text[i..i + 2], 16).expect("hex"))
            .collect::<Vec<u8>>()
    };
    let org = vectors::org_key().public();
    let (_, sender) = vectors::coordinator_keys();
    Keys {
        org_fp: org.fingerprint(),
        org,
        sender_public: sender.public(),
        sender,
        recipient: DhSecret::from_bytes(fixed(0xb0)),
        text: vector["text"].as_str().expect("the note's text").to_owned(),
        genuine: hex("sealed"),
    }
});

/// Opens `sealed` as the recipient of the vectors' note in `session`.
fn open(session: &[u8; 16], sealed: &[u8]) -> Result<String, TipError> {
    let k = &*KEYS;
    handover_note::open(&k.org_fp, session, &k.sender_public, &k.recipient, sealed)
}

fn sealed_note(sealed: &[u8]) {
    let opened = open(&SESSION_ID, sealed);
    if sealed.len() != SEALED_NOTE_LEN {
        assert!(matches!(opened, Err(TipError::Malformed)), "{opened:?}");
    }
    if let Ok(text) = opened {
        assert_eq!(sealed, KEYS.genuine, "a forged note opened");
        assert_eq!(text, KEYS.text);
    }
}

fn padded_note(padded: &[u8]) {
    let k = &*KEYS;
    let info = handover_note::info(
        &k.org_fp,
        &SESSION_ID,
        &k.sender_public,
        &k.recipient.public(),
    );
    let sealed = hpke_seal(
        Some(&k.sender),
        &k.recipient.public(),
        &info,
        &[],
        padded,
        &mut FixedRng::new(&fixed(0xc0)),
    )
    .expect("any plaintext seals");
    let opened = open(&SESSION_ID, &sealed);
    let expected = padding::unpad(padded, &NOTE_BUCKET)
        .ok()
        .filter(|(kind, _)| *kind == KIND_NOTE)
        .and_then(|(_, body)| std::str::from_utf8(body).ok())
        .filter(|text| check_display_text(text, MAX_NOTE_BYTES, "note").is_ok());
    assert_eq!(opened.as_deref().ok(), expected, "{opened:?}");
    match &opened {
        Ok(text) => {
            let again = handover_note::seal(
                &k.org_fp,
                &SESSION_ID,
                &k.sender,
                &k.recipient.public(),
                text,
                &mut FixedRng::new(&fixed(0xc0)),
            )
            .expect("what opened seals again");
            assert_eq!(open(&SESSION_ID, &again).as_deref(), Ok(text.as_str()));
        }
        Err(TipError::Malformed) => assert_ne!(padded.len(), NOTE_BUCKET[0]),
        Err(TipError::Content(_)) => {}
        Err(e) => panic!("a note sealed to the recipient was refused as {e:?}"),
    }
}

fn frames(text: &str) {
    if let Ok(CoordinatorFrame::Transfer {
        note: Some(note), ..
    }) = protocol::decode_coordinator(text)
    {
        sealed_note(&note.0);
    }
    let Ok(RelayFrame::Claimed {
        session,
        transferred_from,
        note,
        note_from,
        ..
    }) = protocol::decode_relay(text)
    else {
        return;
    };
    let k = &*KEYS;
    let read = read_note(
        &k.org,
        &session,
        &k.recipient,
        transferred_from.as_deref(),
        note.clone(),
        note_from.clone(),
    );
    let Some(note) = note else {
        assert_eq!(read, None, "a note read where none came");
        return;
    };
    let certified = note_from.is_some_and(|from| {
        Certificate::decode_verified(
            &from.0,
            &k.org,
            lifeline::client::unix_now(),
            None,
            Role::Coordinator,
        )
        .is_ok_and(|c| {
            c.body().x25519_public == k.sender_public
                && Some(c.body().alias.as_str()) == transferred_from.as_deref()
        })
    });
    let readable = certified && session.0 == SESSION_ID && note.0 == k.genuine;
    let expected = if readable {
        HandoverNote::Text(k.text.clone())
    } else {
        HandoverNote::Unreadable
    };
    assert_eq!(read, Some(expected));
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    match mode % 3 {
        0 => sealed_note(rest),
        1 => padded_note(rest),
        _ => {
            if let Ok(text) = std::str::from_utf8(rest) {
                frames(text);
            }
        }
    }
});
