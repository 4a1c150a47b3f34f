//! Sealed tips and their replies (`docs/protocol.md` §5): HPKE, RFC 9180, suite
//! DHKEM(X25519, HKDF-SHA256) / HKDF-SHA256 / ChaCha20-Poly1305, through the `hpke` crate.
//!
//! - A first tip is sealed in Base mode to the certified tip-inbox key.
//! - A tipster's follow-up is sealed in Auth mode with the receipt-derived key, so the inbox
//!   knows it comes from the same receipt.
//! - A reply is sealed in Auth mode from the inbox key to the tipster's key, so the browser
//!   knows it comes from the organisation.
//!
//! - A copy of each reply is sealed in Base mode to the inbox key, so every coordinator
//!   sees the whole thread (the tipster's copy cannot be opened by its sender).
//!
//! Every `info` binds the organisation and inbox fingerprints, so a sealed tip cannot be
//! replayed to another organisation. The relay stores these bytes and can open none of them.

use std::fmt;

use hpke::aead::ChaCha20Poly1305;
use hpke::kdf::HkdfSha256;
use hpke::kem::X25519HkdfSha256;
use hpke::rand_core::{CryptoRng, RngCore};
use hpke::{Deserializable, OpModeR, OpModeS, Serializable};
use zeroize::Zeroizing;

use super::encoding::{DecodeError, Reader, Writer, check_display_text};
use super::keys::{DhPublicKey, DhSecret, Fingerprint};
use super::padding::{self, TIP_BUCKETS};
use super::primitives::labelled;

type Kem = X25519HkdfSha256;

/// The HPKE info label of a tip.
pub const TIP_LABEL: &str = "lifeline v1 tip";
/// The HPKE info label of a follow-up.
pub const FOLLOWUP_LABEL: &str = "lifeline v1 tip follow-up";
/// The HPKE info label of a reply.
pub const REPLY_LABEL: &str = "lifeline v1 tip reply";
/// The HPKE info label of a reply's copy for the inbox.
pub const REPLY_COPY_LABEL: &str = "lifeline v1 tip reply copy";
/// The largest reply copy a relay keeps: the 4096 bucket, so that a reply and its copy fit
/// one `reply_tip` frame (§5, §8.1).
pub const MAX_REPLY_COPY_LEN: usize = ENC_LEN + padding::TIP_BUCKETS[1] + 16;
/// Length of HPKE's encapsulated key at the start of every sealed message.
pub const ENC_LEN: usize = 32;
/// The largest sealed tip, follow-up or reply: an HPKE enc, the largest bucket and a tag.
pub const MAX_SEALED_LEN: usize =
    ENC_LEN + padding::TIP_BUCKETS[padding::TIP_BUCKETS.len() - 1] + 16;
/// Longest category a tip may carry.
pub const MAX_CATEGORY_BYTES: usize = 64;
const KIND_TIP: u8 = 1;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
/// Why a sealed message could not be opened.
pub enum TipError {
    #[error("sealed tip malformed")]
    /// Too short, or not a bucket's size.
    Malformed,
    #[error("sealed tip failed to open (wrong key, wrong organisation or tampered)")]
    /// HPKE refused it: wrong key, wrong organisation or tampered.
    Open,
    #[error("tip content invalid: {0}")]
    /// It opened, but its content is not a valid message.
    Content(DecodeError),
    #[error("tip too long")]
    /// The message does not fit the largest bucket.
    TooLong,
}

/// The plaintext of a tip, a follow-up or a reply. Every field but the text is optional:
/// no one is ever required to say more than they want to.
#[derive(Clone, PartialEq, Eq)]
pub struct TipMessage {
    /// The tipster's receipt-derived key, so replies can be sealed to it.
    pub reply_key: Option<DhPublicKey>,
    /// The tipster's chosen category, if any.
    pub category: Option<String>,
    /// What they wrote.
    pub text: String,
}

impl fmt::Debug for TipMessage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "TipMessage(reply_key={}, <{} bytes>)",
            self.reply_key.is_some(),
            self.text.len()
        )
    }
}

/// Who sealed a tip or follow-up (§5): the tipster's own device, or the relay on the
/// no-script path (`/tip`), which saw the text for an instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SealedBy {
    /// The tipster's device: the relay never saw the text.
    Sender,
    /// The relay, for a tipster without JavaScript.
    Relay,
}

/// The flags byte's bit for a reply key that follows.
const FLAG_KEY: u8 = 1;
/// The flags byte's bit for "sealed by the relay".
const FLAG_RELAY: u8 = 2;

impl TipMessage {
    /// `version u8 | flags u8 | key [32]? | category_len u8 | category | text (rest)`,
    /// then padded to a tip bucket.
    fn encode_padded(&self) -> Result<Zeroizing<Vec<u8>>, TipError> {
        self.encode_padded_by(SealedBy::Sender)
    }

    /// The same, with `flags` bit 1 set when the relay seals it (§5).
    fn encode_padded_by(&self, by: SealedBy) -> Result<Zeroizing<Vec<u8>>, TipError> {
        let mut w = Writer::new();
        w.u8(1);
        let relay = if by == SealedBy::Relay { FLAG_RELAY } else { 0 };
        match &self.reply_key {
            Some(k) => w.u8(FLAG_KEY | relay).bytes(&k.0),
            None => w.u8(relay),
        };
        let category = self.category.as_deref().unwrap_or("");
        if !category.is_empty() {
            check_display_text(category, MAX_CATEGORY_BYTES, "category")?;
        }
        w.u8(category.len() as u8)
            .bytes(category.as_bytes())
            .bytes(self.text.as_bytes());
        let body = Zeroizing::new(w.finish());
        Ok(Zeroizing::new(
            padding::pad(KIND_TIP, &body, &TIP_BUCKETS).ok_or(TipError::TooLong)?,
        ))
    }

    /// A reply or a reply's copy: only a coordinator seals those, never the relay.
    fn decode_padded(padded: &[u8]) -> Result<Self, TipError> {
        match Self::decode_marked(padded)? {
            (message, SealedBy::Sender) => Ok(message),
            (_, SealedBy::Relay) => Err(DecodeError::Invalid("key flag").into()),
        }
    }

    fn decode_marked(padded: &[u8]) -> Result<(Self, SealedBy), TipError> {
        let (kind, body) = padding::unpad(padded, &TIP_BUCKETS)?;
        if kind != KIND_TIP {
            return Err(DecodeError::Invalid("kind").into());
        }
        let mut r = Reader::new(body);
        if r.u8("version")? != 1 {
            return Err(DecodeError::Invalid("version").into());
        }
        let flags = r.u8("key flag")?;
        if flags & !(FLAG_KEY | FLAG_RELAY) != 0 {
            return Err(DecodeError::Invalid("key flag").into());
        }
        let reply_key = if flags & FLAG_KEY != 0 {
            Some(DhPublicKey(r.array("reply key")?))
        } else {
            None
        };
        let by = if flags & FLAG_RELAY != 0 {
            SealedBy::Relay
        } else {
            SealedBy::Sender
        };
        let cat_len = r.u8("category length")? as usize;
        let category = std::str::from_utf8(r.take(cat_len, "category")?)
            .map_err(|_| DecodeError::Invalid("category"))?;
        // The same rules as on sealing: a sender cannot push control characters (terminal
        // escapes) into a coordinator's console through the category.
        if !category.is_empty() {
            check_display_text(category, MAX_CATEGORY_BYTES, "category")?;
        }
        let text_len = r.remaining();
        let text = std::str::from_utf8(r.take(text_len, "text")?)
            .map_err(|_| DecodeError::Invalid("text"))?;
        let message = Self {
            reply_key,
            category: (!category.is_empty()).then(|| category.to_owned()),
            text: text.to_owned(),
        };
        Ok((message, by))
    }
}

/// `label 0x00 | org_fp [32] | inbox_fp [32]`: the HPKE `info` for one of the three uses.
pub fn info(label: &str, org: &Fingerprint, inbox: &DhPublicKey) -> Vec<u8> {
    labelled(label, &[&org.0, &inbox.fingerprint().0])
}

fn public(key: &DhPublicKey) -> Result<<Kem as hpke::Kem>::PublicKey, TipError> {
    <Kem as hpke::Kem>::PublicKey::from_bytes(&key.0).map_err(|_| TipError::Malformed)
}

fn private(key: &DhSecret) -> Result<<Kem as hpke::Kem>::PrivateKey, TipError> {
    <Kem as hpke::Kem>::PrivateKey::from_bytes(&key.to_bytes()[..]).map_err(|_| TipError::Malformed)
}

/// Raw single-shot HPKE seal: returns `enc [32] | ciphertext`. Lifeline always passes an
/// empty `aad`; the RFC 9180 vector tests pass the published one.
pub fn hpke_seal<R: RngCore + CryptoRng>(
    sender: Option<&DhSecret>,
    recipient: &DhPublicKey,
    info: &[u8],
    aad: &[u8],
    plaintext: &[u8],
    rng: &mut R,
) -> Result<Vec<u8>, TipError> {
    let mode = match sender {
        Some(s) => OpModeS::Auth((private(s)?, public(&s.public())?)),
        None => OpModeS::Base,
    };
    let (enc, ct) = hpke::single_shot_seal::<ChaCha20Poly1305, HkdfSha256, Kem, _>(
        &mode,
        &public(recipient)?,
        info,
        plaintext,
        aad,
        rng,
    )
    .map_err(|_| TipError::Malformed)?;
    let mut out = enc.to_bytes().to_vec();
    out.extend(ct);
    Ok(out)
}

/// Raw HPKE open of `enc | ciphertext`.
pub fn hpke_open(
    sender: Option<&DhPublicKey>,
    recipient: &DhSecret,
    info: &[u8],
    aad: &[u8],
    sealed: &[u8],
) -> Result<Zeroizing<Vec<u8>>, TipError> {
    if sealed.len() < ENC_LEN + 16 {
        return Err(TipError::Malformed);
    }
    let enc = <Kem as hpke::Kem>::EncappedKey::from_bytes(&sealed[..ENC_LEN])
        .map_err(|_| TipError::Malformed)?;
    let mode = match sender {
        Some(s) => OpModeR::Auth(public(s)?),
        None => OpModeR::Base,
    };
    hpke::single_shot_open::<ChaCha20Poly1305, HkdfSha256, Kem>(
        &mode,
        &private(recipient)?,
        &enc,
        info,
        &sealed[ENC_LEN..],
        aad,
    )
    .map(Zeroizing::new)
    .map_err(|_| TipError::Open)
}

/// Seals a first tip (Base mode) to the certified inbox key.
pub fn seal_tip<R: RngCore + CryptoRng>(
    org: &Fingerprint,
    inbox: &DhPublicKey,
    tip: &TipMessage,
    rng: &mut R,
) -> Result<Vec<u8>, TipError> {
    seal_tip_as(org, inbox, tip, SealedBy::Sender, rng)
}

/// Seals a first tip (Base mode) to the certified inbox key, marked as sealed `by`
/// ([`SealedBy::Relay`] on the no-script path, where the relay seals what was typed).
pub fn seal_tip_as<R: RngCore + CryptoRng>(
    org: &Fingerprint,
    inbox: &DhPublicKey,
    tip: &TipMessage,
    by: SealedBy,
    rng: &mut R,
) -> Result<Vec<u8>, TipError> {
    let info = info(TIP_LABEL, org, inbox);
    hpke_seal(None, inbox, &info, &[], &tip.encode_padded_by(by)?, rng)
}

/// Opens a tip with the inbox key.
pub fn open_tip(
    org: &Fingerprint,
    inbox: &DhSecret,
    sealed: &[u8],
) -> Result<TipMessage, TipError> {
    open_tip_marked(org, inbox, sealed).map(|(tip, _)| tip)
}

/// Opens a tip with the inbox key, saying who sealed it.
pub fn open_tip_marked(
    org: &Fingerprint,
    inbox: &DhSecret,
    sealed: &[u8],
) -> Result<(TipMessage, SealedBy), TipError> {
    let info = info(TIP_LABEL, org, &inbox.public());
    TipMessage::decode_marked(&hpke_open(None, inbox, &info, &[], sealed)?)
}

/// Seals a tipster's follow-up (Auth mode, from the receipt key).
pub fn seal_followup<R: RngCore + CryptoRng>(
    org: &Fingerprint,
    inbox: &DhPublicKey,
    tipster: &DhSecret,
    message: &TipMessage,
    rng: &mut R,
) -> Result<Vec<u8>, TipError> {
    seal_followup_as(org, inbox, tipster, message, SealedBy::Sender, rng)
}

/// Seals a tipster's follow-up (Auth mode, from the receipt key), marked as sealed `by`
/// ([`SealedBy::Relay`] on the no-script path, where the relay derived the key).
pub fn seal_followup_as<R: RngCore + CryptoRng>(
    org: &Fingerprint,
    inbox: &DhPublicKey,
    tipster: &DhSecret,
    message: &TipMessage,
    by: SealedBy,
    rng: &mut R,
) -> Result<Vec<u8>, TipError> {
    let info = info(FOLLOWUP_LABEL, org, inbox);
    let padded = message.encode_padded_by(by)?;
    hpke_seal(Some(tipster), inbox, &info, &[], &padded, rng)
}

/// Opens a tipster's follow-up with the inbox key; `tipster` is the key it was sent from.
pub fn open_followup(
    org: &Fingerprint,
    inbox: &DhSecret,
    tipster: &DhPublicKey,
    sealed: &[u8],
) -> Result<TipMessage, TipError> {
    open_followup_marked(org, inbox, tipster, sealed).map(|(message, _)| message)
}

/// Opens a tipster's follow-up with the inbox key, saying who sealed it.
pub fn open_followup_marked(
    org: &Fingerprint,
    inbox: &DhSecret,
    tipster: &DhPublicKey,
    sealed: &[u8],
) -> Result<(TipMessage, SealedBy), TipError> {
    let info = info(FOLLOWUP_LABEL, org, &inbox.public());
    TipMessage::decode_marked(&hpke_open(Some(tipster), inbox, &info, &[], sealed)?)
}

/// Seals the organisation's reply (Auth mode, from the inbox key) to the tipster's key.
pub fn seal_reply<R: RngCore + CryptoRng>(
    org: &Fingerprint,
    inbox: &DhSecret,
    tipster: &DhPublicKey,
    message: &TipMessage,
    rng: &mut R,
) -> Result<Vec<u8>, TipError> {
    let info = info(REPLY_LABEL, org, &inbox.public());
    hpke_seal(
        Some(inbox),
        tipster,
        &info,
        &[],
        &message.encode_padded()?,
        rng,
    )
}

/// Opens a coordinator's reply with the tipster's receipt key.
pub fn open_reply(
    org: &Fingerprint,
    inbox: &DhPublicKey,
    tipster: &DhSecret,
    sealed: &[u8],
) -> Result<TipMessage, TipError> {
    TipMessage::decode_padded(&hpke_open(
        Some(inbox),
        tipster,
        &info(REPLY_LABEL, org, inbox),
        &[],
        sealed,
    )?)
}

/// Seals the copy of a reply that the inbox keeps (Base mode, to the inbox key).
pub fn seal_reply_copy<R: RngCore + CryptoRng>(
    org: &Fingerprint,
    inbox: &DhPublicKey,
    message: &TipMessage,
    rng: &mut R,
) -> Result<Vec<u8>, TipError> {
    let info = info(REPLY_COPY_LABEL, org, inbox);
    hpke_seal(None, inbox, &info, &[], &message.encode_padded()?, rng)
}

/// Opens a reply's copy with the inbox key.
pub fn open_reply_copy(
    org: &Fingerprint,
    inbox: &DhSecret,
    sealed: &[u8],
) -> Result<TipMessage, TipError> {
    let info = info(REPLY_COPY_LABEL, org, &inbox.public());
    TipMessage::decode_padded(&hpke_open(None, inbox, &info, &[], sealed)?)
}

// The message already includes the cause; kept out of `source` so `{:#}` prints it once.
impl From<DecodeError> for TipError {
    fn from(e: DecodeError) -> Self {
        TipError::Content(e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand_core::OsRng;

    #[test]
    fn the_relay_mark_survives_sealing_and_only_tips_and_follow_ups_take_it() {
        let org = Fingerprint([7; 32]);
        let inbox = DhSecret::generate();
        let tipster = DhSecret::generate();
        let message = TipMessage {
            reply_key: Some(tipster.public()),
            category: None,
            text: "typed with script off".into(),
        };
        for by in [SealedBy::Sender, SealedBy::Relay] {
            let sealed = seal_tip_as(&org, &inbox.public(), &message, by, &mut OsRng).unwrap();
            assert_eq!(
                open_tip_marked(&org, &inbox, &sealed).unwrap(),
                (message.clone(), by)
            );
            let sealed =
                seal_followup_as(&org, &inbox.public(), &tipster, &message, by, &mut OsRng)
                    .unwrap();
            let opened = open_followup_marked(&org, &inbox, &tipster.public(), &sealed).unwrap();
            assert_eq!(opened.1, by);
        }
        // A reply (or its copy) carrying the mark is refused, as the widget refuses it.
        let padded = message.encode_padded_by(SealedBy::Relay).unwrap();
        let info = info(REPLY_COPY_LABEL, &org, &inbox.public());
        let sealed = hpke_seal(None, &inbox.public(), &info, &[], &padded, &mut OsRng).unwrap();
        assert!(matches!(
            open_reply_copy(&org, &inbox, &sealed),
            Err(TipError::Content(_))
        ));
        let copy = seal_reply_copy(&org, &inbox.public(), &message, &mut OsRng).unwrap();
        assert_eq!(open_reply_copy(&org, &inbox, &copy).unwrap(), message);
        assert!(
            open_tip(&org, &inbox, &copy).is_err(),
            "a copy is not a tip"
        );
    }
}
