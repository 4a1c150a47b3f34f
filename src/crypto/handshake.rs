//! The live-chat handshake: `Noise_NX_25519_ChaChaPoly_SHA256` (Noise rev. 34), byte for
//! byte, with Lifeline's prologue and message-2 payload (`docs/protocol.md` §3).
//!
//! ```text
//! -> e
//! <- e, ee, s, es      payload = cert_len u16 | certificate | Ed25519 signature over h
//! ```
//! The visitor (initiator) checks the certificate against the pinned organisation key, that
//! its X25519 key is the Noise static key `s` it received, and the signature over the
//! handshake hash taken just before the payload, so a signature cannot be spliced into
//! another session. `Split()` then seeds the two ratcheting chains of [`SessionCipher`].

use curve25519_dalek::montgomery::MontgomeryPoint;
use zeroize::{Zeroize, Zeroizing};

use super::certificate::{Certificate, CertificateError, RevocationList, Role};
use super::keys::{DhPublicKey, DhSecret, Fingerprint, OrgPublicKey, SigningKey};
use super::primitives::{aead_open, aead_seal, hkdf_sha256, labelled};
use super::session::{Direction, SessionCipher};

/// The Noise protocol name, mixed in first (its length is the hash length).
pub const PROTOCOL_NAME: &[u8; 32] = b"Noise_NX_25519_ChaChaPoly_SHA256";
/// The label the prologue starts with.
pub const PROLOGUE_LABEL: &[u8] = b"lifeline v1 chat";
/// The label of the coordinator's signature over the handshake hash.
pub const SIGNATURE_LABEL: &str = "lifeline v1 handshake signature";
/// Length of message 1: the visitor's ephemeral key.
pub const MESSAGE1_LEN: usize = 32;
/// e (32) + encrypted s (32 + 16) + payload tag (16) + cert length (2) + signature (64).
pub const MESSAGE2_MIN_LEN: usize = 32 + 48 + 16 + 2 + 64;
/// Longest message 2 accepted (a certificate has a bounded alias).
pub const MESSAGE2_MAX_LEN: usize = 1024;

/// Why a handshake message was refused. None of them reveals which byte was wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HandshakeError {
    #[error("handshake message malformed")]
    /// Not the shape of a handshake message.
    Malformed,
    #[error("handshake message failed to decrypt")]
    /// An encrypted part failed to decrypt.
    Decrypt,
    #[error("peer key is of low order")]
    /// A Diffie-Hellman result was all zero (a low-order key).
    WeakKey,
    #[error("coordinator certificate refused: {0}")]
    /// The coordinator's certificate did not verify.
    Certificate(CertificateError),
    #[error("certificate key does not match the handshake static key")]
    /// The certificate names another key than the Noise static key.
    KeyMismatch,
    #[error("handshake signature invalid")]
    /// The signature over the handshake hash does not verify.
    BadSignature,
}

/// Checks a visitor's message 1 before anyone answers it: exactly 32 bytes (`Malformed`)
/// and a key of full order (`WeakKey`). A low-order key makes every X25519 result zero, so
/// no coordinator could answer it; the relay refuses it at `hello` and `rekey` (§9.1) rather
/// than queue a session no one can take.
///
/// X25519 with any clamped scalar `k = 8m` (`2^251 ≤ m < 2^252`, below both prime subgroup
/// orders) is zero exactly when the point's order divides 8, on the curve (order `8ℓ`) and on
/// its twist (`4ℓ'`), in any encoding. So the relay asks the library's Montgomery ladder for
/// `u([8]P)` instead of running a full X25519: the same answer for every 32-byte string
/// (tested against X25519 itself), with no hand-kept list of points, at a tenth of the cost
/// of the largest step of a visitor's arrival (docs/benchmarks.md, "Set-up").
pub fn check_message1(message1: &[u8]) -> Result<(), HandshakeError> {
    let key: [u8; MESSAGE1_LEN] = message1.try_into().map_err(|_| HandshakeError::Malformed)?;
    let eight = [true, false, false, false];
    let times_eight = MontgomeryPoint(key).mul_bits_be(eight.into_iter());
    if times_eight.to_bytes() == [0; 32] {
        return Err(HandshakeError::WeakKey);
    }
    Ok(())
}

/// The prologue both sides mix in first: `"lifeline v1 chat" | session_id [16] | org_fp [32]`.
pub fn prologue(session_id: &[u8; 16], org: &Fingerprint) -> Vec<u8> {
    let mut p = PROLOGUE_LABEL.to_vec();
    p.extend_from_slice(session_id);
    p.extend_from_slice(&org.0);
    p
}

/// Noise's SymmetricState with its CipherState folded in.
struct SymmetricState {
    ck: Zeroizing<[u8; 32]>,
    h: [u8; 32],
    k: Option<Zeroizing<[u8; 32]>>,
    n: u64,
}

impl SymmetricState {
    fn new(prologue: &[u8]) -> Self {
        // The protocol name is exactly HASHLEN bytes, so h = name (Noise §5.2).
        let mut s = Self {
            ck: Zeroizing::new(*PROTOCOL_NAME),
            h: *PROTOCOL_NAME,
            k: None,
            n: 0,
        };
        s.mix_hash(prologue);
        s
    }

    fn mix_hash(&mut self, data: &[u8]) {
        let mut ctx = ring::digest::Context::new(&ring::digest::SHA256);
        ctx.update(&self.h);
        ctx.update(data);
        self.h.copy_from_slice(ctx.finish().as_ref());
    }

    fn mix_key(&mut self, ikm: &[u8]) {
        let (ck, k) = noise_hkdf(&self.ck, ikm);
        self.ck = ck;
        self.k = Some(k);
        self.n = 0;
    }

    fn encrypt_and_hash(&mut self, plaintext: &[u8]) -> Vec<u8> {
        let out = match &self.k {
            Some(k) => {
                let ct = aead_seal(k, self.n, &self.h, plaintext);
                self.n += 1;
                ct
            }
            None => plaintext.to_vec(),
        };
        self.mix_hash(&out);
        out
    }

    fn decrypt_and_hash(&mut self, ciphertext: &[u8]) -> Result<Vec<u8>, HandshakeError> {
        let out = match &self.k {
            Some(k) => {
                let pt =
                    aead_open(k, self.n, &self.h, ciphertext).ok_or(HandshakeError::Decrypt)?;
                self.n += 1;
                pt
            }
            None => ciphertext.to_vec(),
        };
        self.mix_hash(ciphertext);
        Ok(out)
    }

    /// `Split()`: (initiator→responder key, responder→initiator key).
    fn split(&self) -> (Zeroizing<[u8; 32]>, Zeroizing<[u8; 32]>) {
        noise_hkdf(&self.ck, &[])
    }
}

/// Noise's HKDF(ck, ikm) with two outputs: RFC 5869 HKDF-SHA256 with salt = ck, empty info,
/// 64 bytes, taken from ring.
fn noise_hkdf(ck: &[u8; 32], ikm: &[u8]) -> (Zeroizing<[u8; 32]>, Zeroizing<[u8; 32]>) {
    let mut okm = Zeroizing::new([0u8; 64]);
    hkdf_sha256(ck, ikm, &[], &mut okm[..]);
    let mut a = Zeroizing::new([0u8; 32]);
    let mut b = Zeroizing::new([0u8; 32]);
    a.copy_from_slice(&okm[..32]);
    b.copy_from_slice(&okm[32..]);
    (a, b)
}

fn dh(secret: &DhSecret, public: &DhPublicKey) -> Result<Zeroizing<[u8; 32]>, HandshakeError> {
    secret.agree(public).ok_or(HandshakeError::WeakKey)
}

/// What the visitor learns about the coordinator once message 2 checks out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedCoordinator {
    /// The alias the certificate carries, shown to the visitor.
    pub alias: String,
    /// The certificate's serial.
    pub serial: u64,
    /// When the certificate expires (Unix seconds).
    pub not_after: u64,
    /// The certificate itself.
    pub certificate: Certificate,
}

/// The visitor's side: sends message 1, reads message 2.
pub struct VisitorHandshake {
    state: SymmetricState,
    ephemeral: DhSecret,
    session_id: [u8; 16],
    org: OrgPublicKey,
}

impl std::fmt::Debug for VisitorHandshake {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("VisitorHandshake(<redacted>)")
    }
}

impl VisitorHandshake {
    /// Starts a handshake with a fresh ephemeral key; returns message 1 (`e`, 32 bytes).
    /// The ephemeral is taken by value: it can never be used for a second handshake.
    pub fn start(session_id: [u8; 16], org: OrgPublicKey, ephemeral: DhSecret) -> (Self, Vec<u8>) {
        let mut state = SymmetricState::new(&prologue(&session_id, &org.fingerprint()));
        let e = ephemeral.public();
        state.mix_hash(&e.0);
        let mut message = e.0.to_vec();
        message.extend(state.encrypt_and_hash(&[]));
        (
            Self {
                state,
                ephemeral,
                session_id,
                org,
            },
            message,
        )
    }

    /// Reads message 2 and, if everything checks out, returns the session cipher and who
    /// the coordinator is. `now` is Unix seconds for the certificate check.
    pub fn finish(
        mut self,
        message: &[u8],
        now: u64,
        revoked: Option<&RevocationList>,
    ) -> Result<(SessionCipher, VerifiedCoordinator), HandshakeError> {
        if message.len() < MESSAGE2_MIN_LEN || message.len() > MESSAGE2_MAX_LEN {
            return Err(HandshakeError::Malformed);
        }
        let s = &mut self.state;
        let re = DhPublicKey(
            message[..32]
                .try_into()
                .map_err(|_| HandshakeError::Malformed)?,
        );
        s.mix_hash(&re.0);
        s.mix_key(&dh(&self.ephemeral, &re)?[..]);
        let rs_bytes = s.decrypt_and_hash(&message[32..80])?;
        let rs = DhPublicKey(
            rs_bytes
                .as_slice()
                .try_into()
                .map_err(|_| HandshakeError::Malformed)?,
        );
        s.mix_key(&dh(&self.ephemeral, &rs)?[..]);
        let signed_hash = s.h;
        let payload = s.decrypt_and_hash(&message[80..])?;
        let (cert_bytes, signature) = split_payload(&payload)?;
        let certificate =
            Certificate::decode_verified(cert_bytes, &self.org, now, revoked, Role::Coordinator)?;
        if certificate.body().x25519_public != rs {
            return Err(HandshakeError::KeyMismatch);
        }
        if !certificate
            .body()
            .ed25519_public
            .verify(&labelled(SIGNATURE_LABEL, &[&signed_hash]), signature)
        {
            return Err(HandshakeError::BadSignature);
        }
        let (to_coordinator, to_visitor) = s.split();
        let cipher = SessionCipher::new(
            Direction::VisitorToCoordinator,
            self.session_id,
            s.h,
            to_coordinator,
            to_visitor,
        );
        let verified = VerifiedCoordinator {
            alias: certificate.body().alias.clone(),
            serial: certificate.body().serial,
            not_after: certificate.body().not_after,
            certificate,
        };
        Ok((cipher, verified))
    }
}

fn split_payload(payload: &[u8]) -> Result<(&[u8], &[u8]), HandshakeError> {
    let len_bytes: [u8; 2] = payload
        .get(..2)
        .and_then(|b| b.try_into().ok())
        .ok_or(HandshakeError::Malformed)?;
    let cert_len = u16::from_be_bytes(len_bytes) as usize;
    if payload.len() != 2 + cert_len + 64 {
        return Err(HandshakeError::Malformed);
    }
    Ok((&payload[2..2 + cert_len], &payload[2 + cert_len..]))
}

/// A coordinator's long-term identity as the handshake needs it.
pub struct CoordinatorIdentity<'a> {
    /// The Noise static key its certificate names.
    pub static_key: &'a DhSecret,
    /// Signs the handshake hash.
    pub signing_key: &'a SigningKey,
    /// Sent in message 2.
    pub certificate: &'a Certificate,
}

/// The coordinator's side: reads message 1, writes message 2.
pub struct CoordinatorHandshake;

impl CoordinatorHandshake {
    /// Answers a visitor's message 1. Returns message 2 and the session cipher.
    pub fn respond(
        session_id: [u8; 16],
        org: &Fingerprint,
        identity: &CoordinatorIdentity<'_>,
        ephemeral: DhSecret,
        message1: &[u8],
    ) -> Result<(Vec<u8>, SessionCipher), HandshakeError> {
        if message1.len() != MESSAGE1_LEN {
            return Err(HandshakeError::Malformed);
        }
        let mut s = SymmetricState::new(&prologue(&session_id, org));
        let re = DhPublicKey(message1.try_into().map_err(|_| HandshakeError::Malformed)?);
        s.mix_hash(&re.0);
        s.decrypt_and_hash(&[])?;

        let e = ephemeral.public();
        s.mix_hash(&e.0);
        let mut message = e.0.to_vec();
        s.mix_key(&dh(&ephemeral, &re)?[..]);
        message.extend(s.encrypt_and_hash(&identity.static_key.public().0));
        s.mix_key(&dh(identity.static_key, &re)?[..]);
        let signature = identity
            .signing_key
            .sign(&labelled(SIGNATURE_LABEL, &[&s.h]));
        let cert = identity.certificate.as_bytes();
        let mut payload = Vec::with_capacity(2 + cert.len() + 64);
        payload.extend_from_slice(&(cert.len() as u16).to_be_bytes());
        payload.extend_from_slice(cert);
        payload.extend_from_slice(&signature);
        message.extend(s.encrypt_and_hash(&payload));
        payload.zeroize();
        if message.len() > MESSAGE2_MAX_LEN {
            return Err(HandshakeError::Malformed);
        }
        let (to_coordinator, to_visitor) = s.split();
        Ok((
            message,
            SessionCipher::new(
                Direction::CoordinatorToVisitor,
                session_id,
                s.h,
                to_coordinator,
                to_visitor,
            ),
        ))
    }
}

// The message already includes the cause; kept out of `source` so `{:#}` prints it once.
impl From<CertificateError> for HandshakeError {
    fn from(e: CertificateError) -> Self {
        HandshakeError::Certificate(e)
    }
}
