//! How a coordinator proves to the relay that it holds a certificate's key
//! (`docs/protocol.md` §9.2): it signs the relay's fresh nonce and the organisation it
//! serves.
//!
//! The relay checks the signature, the client makes it; both build the signed bytes here, so
//! they cannot drift apart. Must never sign or verify anything itself: callers hold the keys.

use super::keys::Fingerprint;
use super::primitives::labelled;

/// The label of the coordinator's sign-in signature.
pub const AUTH_LABEL: &str = "lifeline v1 coordinator auth";

/// What the coordinator signs to authenticate: the relay's nonce and the organisation.
pub fn auth_message(nonce: &[u8; 32], org: &Fingerprint) -> Vec<u8> {
    labelled(AUTH_LABEL, &[nonce, &org.0])
}
