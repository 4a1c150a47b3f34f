//! Pure cryptography for Lifeline: no I/O, no clocks, no sockets.
//!
//! Each file mirrors one section of `docs/protocol.md`. Callers pass the current time and
//! randomness in, so every function here is deterministic under test and can be pinned by
//! the vectors in `tests/vectors/`. Nothing in this module may log, print or `Debug`-format a
//! secret: every secret type has a redacting `Debug` and is zeroized on drop.

pub mod certificate;
pub mod coordinator_auth;
pub mod encoding;
pub mod enrolment;
pub mod handover_note;
pub mod handshake;
pub mod inbox_grant;
pub mod keys;
pub mod padding;
pub mod primitives;
pub mod proof_of_work;
pub mod receipt;
pub mod renewal;
pub mod sealed_tip;
pub mod session;
#[doc(hidden)]
pub mod vectors;

pub use certificate::{Certificate, CertificateError, RevocationList, Role};
pub use handshake::{CoordinatorHandshake, HandshakeError, VerifiedCoordinator, VisitorHandshake};
pub use keys::{DhPublicKey, DhSecret, Fingerprint, OrgPublicKey, SigningKey};
pub use primitives::{LABEL_PREFIX, labelled};
pub use session::{Direction, Plaintext, SessionCipher, SessionError};
