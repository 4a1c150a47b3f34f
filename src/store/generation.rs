//! The store's generation (epoch): a random id created with the store's data, so a store
//! that lost its data, or came back older than it was, is told apart from one that merely
//! forgot an idle session.
//!
//! Every session is filed under the generation it was created in. A node that sees the
//! generation change trusts nothing from before: it ends those conversations with 4014
//! (protocol §9.5) instead of re-basing anyone's sequence numbers on what survived. Must
//! never be derived from anything about a visitor, nor be predictable across restarts.

use crate::crypto::keys::random_bytes;

/// A fresh generation id: random, never 0 (0 marks records written before generations).
pub fn fresh() -> u64 {
    u64::from_be_bytes(random_bytes()).max(1)
}

/// What a generation check found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Checked {
    /// The same generation as before: everything stored can be trusted.
    Same,
    /// The store lost or rewound its data; this is the generation from now on.
    Changed(u64),
}
