//! The session cipher after the handshake (`docs/protocol.md` §4): two ratcheting chains,
//! one per direction.
//!
//! For message `n` of a direction: `mk = HMAC-SHA256(ck, 0x01)`, `ck = HMAC-SHA256(ck, 0x02)`,
//! then ChaCha20-Poly1305 with key `mk`, nonce `0^32 | n as u64 LE` and associated data
//! `"lifeline v1 message" 0x00 | session_id | direction | n (u64 BE)`. The old chain key is
//! overwritten at once, so a seized device cannot open messages it already handled.
//!
//! The envelope is `n (u64 BE) | ciphertext`. The receiver refuses, each with its own error:
//! a number it already accepted (replay), one past the next expected (reorder or loss), a
//! bad tag (tamper), and, when the conversation ends without the peer's authenticated
//! `Close`, truncation.

use std::fmt;

use ring::hmac;
use zeroize::Zeroizing;

use super::padding::{self, CHAT_BUCKETS};
use super::primitives::{aead_open, aead_seal, labelled};

/// The label of every message's associated data.
pub const MESSAGE_LABEL: &str = "lifeline v1 message";
/// Bytes the Poly1305 tag adds to each message.
pub const TAG_LEN: usize = 16;
/// Bytes an envelope adds to the padded plaintext: the number and the tag.
pub const ENVELOPE_OVERHEAD: usize = 8 + TAG_LEN;
/// Largest text a chat message may carry.
pub const MAX_TEXT_BYTES: usize = 16384 - padding::HEADER_LEN;

const KIND_TEXT: u8 = 1;
const KIND_CLOSE: u8 = 2;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
/// Which way a message travels; part of its associated data.
pub enum Direction {
    /// From the visitor (the Noise initiator).
    VisitorToCoordinator = 1,
    /// From the coordinator (the Noise responder).
    CoordinatorToVisitor = 2,
}

/// A decrypted message.
#[derive(Clone, PartialEq, Eq)]
pub enum Plaintext {
    /// A chat line.
    Text(String),
    /// The sender's authenticated end of the conversation (guards against truncation).
    Close,
}

impl fmt::Debug for Plaintext {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Plaintext::Text(t) => write!(f, "Text(<{} bytes>)", t.len()),
            Plaintext::Close => f.write_str("Close"),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
/// Why a received message was refused, each case its own (`docs/protocol.md` §4).
pub enum SessionError {
    #[error("envelope malformed")]
    /// Too short to be an envelope, or a bad padding.
    Malformed,
    #[error("message {got} replayed (next expected {expected})")]
    /// A number already accepted.
    Replay {
        /// The number due next.
        expected: u64,
        /// The number received.
        got: u64,
    },
    #[error("message {got} out of order or after a gap (next expected {expected})")]
    /// A number past the next expected: a message was lost or reordered.
    Reorder {
        /// The number due next.
        expected: u64,
        /// The number received.
        got: u64,
    },
    #[error("message failed authentication (tampered)")]
    /// The tag does not verify.
    Tamper,
    #[error("conversation ended without the peer's authenticated close (truncated)")]
    /// The conversation ended without the peer's authenticated close.
    Truncated,
    #[error("conversation already closed in this direction")]
    /// The peer already closed this direction.
    Closed,
    #[error("message too long for the largest padding bucket")]
    /// The text does not fit the largest padding bucket.
    TooLong,
}

struct Chain {
    key: Zeroizing<[u8; 32]>,
    next: u64,
    closed: bool,
}

impl Chain {
    fn new(key: Zeroizing<[u8; 32]>) -> Self {
        Self {
            key,
            next: 0,
            closed: false,
        }
    }

    /// The message key for `self.next` and the chain key after it; commits nothing.
    fn step(&self) -> (Zeroizing<[u8; 32]>, Zeroizing<[u8; 32]>) {
        let k = hmac::Key::new(hmac::HMAC_SHA256, &self.key[..]);
        let mut mk = Zeroizing::new([0u8; 32]);
        let mut ck = Zeroizing::new([0u8; 32]);
        mk.copy_from_slice(hmac::sign(&k, &[1]).as_ref());
        ck.copy_from_slice(hmac::sign(&k, &[2]).as_ref());
        (mk, ck)
    }
}

/// One side's cipher state for one conversation. It lives only in the two endpoints,
/// never on the relay.
pub struct SessionCipher {
    session_id: [u8; 16],
    handshake_hash: [u8; 32],
    send: Chain,
    recv: Chain,
    send_dir: Direction,
    recv_dir: Direction,
}

impl fmt::Debug for SessionCipher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "SessionCipher(send {:?} next={}, recv next={}, keys=<redacted>)",
            self.send_dir, self.send.next, self.recv.next
        )
    }
}

impl SessionCipher {
    /// The cipher for the side that sends in direction `sends`, from `Split()`'s two keys.
    pub(crate) fn new(
        sends: Direction,
        session_id: [u8; 16],
        handshake_hash: [u8; 32],
        to_coordinator: Zeroizing<[u8; 32]>,
        to_visitor: Zeroizing<[u8; 32]>,
    ) -> Self {
        let (send, recv, recv_dir) = match sends {
            Direction::VisitorToCoordinator => {
                (to_coordinator, to_visitor, Direction::CoordinatorToVisitor)
            }
            Direction::CoordinatorToVisitor => {
                (to_visitor, to_coordinator, Direction::VisitorToCoordinator)
            }
        };
        Self {
            session_id,
            handshake_hash,
            send: Chain::new(send),
            recv: Chain::new(recv),
            send_dir: sends,
            recv_dir,
        }
    }

    /// The Noise handshake hash `h`: equal on both sides, usable as a channel binding.
    pub fn handshake_hash(&self) -> &[u8; 32] {
        &self.handshake_hash
    }

    /// The number the next message sent will carry.
    pub fn next_send(&self) -> u64 {
        self.send.next
    }

    /// The number the next message received must carry.
    pub fn next_receive(&self) -> u64 {
        self.recv.next
    }

    fn associated_data(&self, dir: Direction, n: u64) -> Vec<u8> {
        labelled(
            MESSAGE_LABEL,
            &[&self.session_id, &[dir as u8], &n.to_be_bytes()],
        )
    }

    /// Pads, encrypts and numbers a chat line as the next envelope.
    pub fn encrypt_text(&mut self, text: &str) -> Result<Vec<u8>, SessionError> {
        self.encrypt(KIND_TEXT, text.as_bytes())
    }

    /// The authenticated end of this direction; nothing can be sent after it.
    pub fn encrypt_close(&mut self) -> Result<Vec<u8>, SessionError> {
        let out = self.encrypt(KIND_CLOSE, &[])?;
        self.send.closed = true;
        Ok(out)
    }

    fn encrypt(&mut self, kind: u8, content: &[u8]) -> Result<Vec<u8>, SessionError> {
        if self.send.closed {
            return Err(SessionError::Closed);
        }
        let padded = Zeroizing::new(
            padding::pad(kind, content, &CHAT_BUCKETS).ok_or(SessionError::TooLong)?,
        );
        let n = self.send.next;
        let (mk, ck) = self.send.step();
        let ad = self.associated_data(self.send_dir, n);
        let mut envelope = n.to_be_bytes().to_vec();
        envelope.extend(aead_seal(&mk, n, &ad, &padded));
        self.send.key = ck;
        self.send.next = n.checked_add(1).ok_or(SessionError::Closed)?;
        Ok(envelope)
    }

    /// Opens the next message from the peer. On any error the state is unchanged.
    pub fn decrypt(&mut self, envelope: &[u8]) -> Result<Plaintext, SessionError> {
        if envelope.len() < ENVELOPE_OVERHEAD {
            return Err(SessionError::Malformed);
        }
        let n = u64::from_be_bytes(
            envelope[..8]
                .try_into()
                .map_err(|_| SessionError::Malformed)?,
        );
        let expected = self.recv.next;
        if n < expected {
            return Err(SessionError::Replay { expected, got: n });
        }
        if n > expected {
            return Err(SessionError::Reorder { expected, got: n });
        }
        if self.recv.closed {
            return Err(SessionError::Closed);
        }
        let (mk, ck) = self.recv.step();
        let ad = self.associated_data(self.recv_dir, n);
        let padded =
            Zeroizing::new(aead_open(&mk, n, &ad, &envelope[8..]).ok_or(SessionError::Tamper)?);
        // Authentic bytes that do not unpad mean a broken peer, not an attacker: still refuse.
        let (kind, content) =
            padding::unpad(&padded, &CHAT_BUCKETS).map_err(|_| SessionError::Malformed)?;
        let plaintext = match kind {
            KIND_TEXT => Plaintext::Text(
                String::from_utf8(content.to_vec()).map_err(|_| SessionError::Malformed)?,
            ),
            KIND_CLOSE if content.is_empty() => Plaintext::Close,
            _ => return Err(SessionError::Malformed),
        };
        self.recv.key = ck;
        self.recv.next = n + 1;
        if plaintext == Plaintext::Close {
            self.recv.closed = true;
        }
        Ok(plaintext)
    }

    /// Call when the conversation is over: succeeds only if the peer closed it properly.
    pub fn finish(&self) -> Result<(), SessionError> {
        if self.recv.closed {
            Ok(())
        } else {
            Err(SessionError::Truncated)
        }
    }
}
