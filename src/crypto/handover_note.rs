//! The hand-over note (`docs/protocol.md` §5.1): a short line one coordinator writes to the
//! colleague taking a conversation over ("prefers short messages", "asked about shelter"),
//! sealed end to end so the relay carries it without reading it.
//!
//! HPKE Auth mode (the §5 suite) from the sender's certified X25519 key to the target's, so
//! only those two read it and the receiver knows which colleague wrote it. The `info` binds
//! the organisation, the session and both keys: a note cannot be moved to another
//! conversation or passed off as another colleague's. Must never be opened with a key that a
//! verified certificate did not name.

use hpke::rand_core::{CryptoRng, RngCore};

use super::encoding::{DecodeError, check_display_text};
use super::keys::{DhPublicKey, DhSecret, Fingerprint};
use super::padding;
use super::primitives::labelled;
use super::sealed_tip::{ENC_LEN, TipError, hpke_open, hpke_seal};

/// The HPKE `info` label of a hand-over note.
pub const NOTE_LABEL: &str = "lifeline v1 handover note";
/// Longest note, in bytes of UTF-8: one line, readable at a glance.
pub const MAX_NOTE_BYTES: usize = 240;
/// The one bucket every note is padded to, so its length says nothing.
pub const NOTE_BUCKET: [usize; 1] = [256];
/// Length of every sealed note: enc, the padded note, the tag.
pub const SEALED_NOTE_LEN: usize = ENC_LEN + NOTE_BUCKET[0] + 16;
const KIND_NOTE: u8 = 3;

/// `label 0x00 | org_fp [32] | session [16] | fp(sender) [32] | fp(recipient) [32]`.
pub fn info(
    org: &Fingerprint,
    session: &[u8; 16],
    sender: &DhPublicKey,
    recipient: &DhPublicKey,
) -> Vec<u8> {
    labelled(
        NOTE_LABEL,
        &[
            &org.0,
            session,
            &sender.fingerprint().0,
            &recipient.fingerprint().0,
        ],
    )
}

/// Seals `text` (display text, at most [`MAX_NOTE_BYTES`]) from `sender` to `recipient`.
pub fn seal<R: RngCore + CryptoRng>(
    org: &Fingerprint,
    session: &[u8; 16],
    sender: &DhSecret,
    recipient: &DhPublicKey,
    text: &str,
    rng: &mut R,
) -> Result<Vec<u8>, TipError> {
    check_display_text(text, MAX_NOTE_BYTES, "note")?;
    let padded = zeroize::Zeroizing::new(
        padding::pad(KIND_NOTE, text.as_bytes(), &NOTE_BUCKET).ok_or(TipError::TooLong)?,
    );
    let info = info(org, session, &sender.public(), recipient);
    hpke_seal(Some(sender), recipient, &info, &[], &padded, rng)
}

/// Opens a note sealed by `sender` (from its verified certificate) to `recipient`.
pub fn open(
    org: &Fingerprint,
    session: &[u8; 16],
    sender: &DhPublicKey,
    recipient: &DhSecret,
    sealed: &[u8],
) -> Result<String, TipError> {
    if sealed.len() != SEALED_NOTE_LEN {
        return Err(TipError::Malformed);
    }
    let info = info(org, session, sender, &recipient.public());
    let padded = hpke_open(Some(sender), recipient, &info, &[], sealed)?;
    let (kind, body) = padding::unpad(&padded, &NOTE_BUCKET)?;
    if kind != KIND_NOTE {
        return Err(DecodeError::Invalid("kind").into());
    }
    let text = std::str::from_utf8(body).map_err(|_| DecodeError::Invalid("note"))?;
    // The same rule as on sealing: no terminal escapes reach a colleague's console.
    check_display_text(text, MAX_NOTE_BYTES, "note")?;
    Ok(text.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::vectors::{FixedRng, fixed};

    fn keys() -> (Fingerprint, DhSecret, DhSecret) {
        (
            Fingerprint(fixed(1)),
            DhSecret::from_bytes(fixed(2)),
            DhSecret::from_bytes(fixed(3)),
        )
    }

    #[test]
    fn only_the_target_opens_it_and_only_as_from_the_sender() {
        let (org, from, to) = keys();
        let session = [9u8; 16];
        let sealed = seal(
            &org,
            &session,
            &from,
            &to.public(),
            "Prefers short messages.",
            &mut FixedRng::new(&fixed(4)),
        )
        .unwrap();
        assert_eq!(sealed.len(), SEALED_NOTE_LEN);
        assert_eq!(
            open(&org, &session, &from.public(), &to, &sealed).unwrap(),
            "Prefers short messages."
        );
        let stranger = DhSecret::from_bytes(fixed(5));
        assert!(open(&org, &session, &from.public(), &stranger, &sealed).is_err());
        assert!(open(&org, &session, &stranger.public(), &to, &sealed).is_err());
        assert!(open(&org, &[8u8; 16], &from.public(), &to, &sealed).is_err());
        assert!(
            open(
                &Fingerprint(fixed(6)),
                &session,
                &from.public(),
                &to,
                &sealed
            )
            .is_err()
        );
        let mut tampered = sealed.clone();
        tampered[100] ^= 1;
        assert!(open(&org, &session, &from.public(), &to, &tampered).is_err());
    }

    #[test]
    fn long_empty_or_control_notes_are_refused() {
        let (org, from, to) = keys();
        let mut rng = FixedRng::new(&fixed(4));
        for bad in ["", "\u{1b}[2J", &"x".repeat(MAX_NOTE_BYTES + 1)] {
            assert!(seal(&org, &[0; 16], &from, &to.public(), bad, &mut rng).is_err());
        }
        let longest = "é".repeat(MAX_NOTE_BYTES / 2);
        let sealed = seal(&org, &[0; 16], &from, &to.public(), &longest, &mut rng).unwrap();
        assert_eq!(sealed.len(), SEALED_NOTE_LEN, "every note is the same size");
    }
}
