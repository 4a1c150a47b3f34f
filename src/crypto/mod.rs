//! Pure cryptography for Lifeline: no I/O, no clocks, no sockets.
//!
//! Each file mirrors one section of `docs/protocol.md`. Callers pass the current time and
//! randomness in, so every function here is deterministic under test and can be pinned by
//! the vectors in `tests/vectors/`. Nothing in this module may log, print or `Debug`-format a
//! secret: every secret type has a redacting `Debug` and is zeroized on drop.

pub mod certificate;
pub mod encoding;
pub mod enrolment;
pub mod handshake;
pub mod keys;
pub mod padding;
pub mod proof_of_work;
pub mod receipt;
pub mod sealed_tip;
pub mod session;
#[doc(hidden)]
pub mod vectors;

pub use certificate::{Certificate, CertificateError, RevocationList, Role};
pub use handshake::{CoordinatorHandshake, HandshakeError, VerifiedCoordinator, VisitorHandshake};
pub use keys::{DhPublicKey, DhSecret, Fingerprint, OrgPublicKey, SigningKey};
pub use session::{Direction, Plaintext, SessionCipher, SessionError};

/// Every label this protocol signs, hashes or derives with starts with this, so no Lifeline
/// signature or key can be mistaken for one made by another protocol.
pub const LABEL_PREFIX: &str = "lifeline v1 ";

/// `label || 0x00 || parts...`: the domain-separated byte string that every signature in
/// Lifeline covers. The NUL ends the label, so no label can be a prefix of another's input.
pub fn labelled(label: &str, parts: &[&[u8]]) -> Vec<u8> {
    let mut out =
        Vec::with_capacity(label.len() + 1 + parts.iter().map(|p| p.len()).sum::<usize>());
    out.extend_from_slice(label.as_bytes());
    out.push(0);
    for part in parts {
        out.extend_from_slice(part);
    }
    out
}
