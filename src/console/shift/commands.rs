//! What the shift core asks the relay connection to do. The network task
//! ([`crate::console::net`]) carries these out in order; the core only returns them.
//!
//! It must never hold anything but what the relay needs: a tip reply is already sealed here.

use super::actions::Passphrase;
use super::state::TipId;
use crate::crypto::certificate::Certificate;
use crate::protocol::SessionId;

/// One request to the relay connection.
#[derive(Debug, Clone, PartialEq)]
pub enum Command {
    /// Go on or off duty with this capacity and these languages.
    Duty {
        /// On (`true`) or off duty.
        on: bool,
        /// Conversations this coordinator holds at once.
        capacity: u8,
        /// Languages this coordinator answers in.
        langs: Vec<String>,
    },
    /// Answer a waiting visitor.
    Claim(SessionId),
    /// Encrypt and send this text in that conversation.
    Send {
        /// The conversation.
        session: SessionId,
        /// The words, as typed.
        text: String,
        /// The transcript line that shows it (its index), for the marks that follow.
        line: usize,
    },
    /// Hand a conversation to the colleague with this certificate serial.
    Transfer {
        /// The conversation.
        session: SessionId,
        /// The colleague's certificate serial.
        to: u64,
        /// A note for the colleague, sealed to their certified key on the way (§5.1).
        note: Option<String>,
    },
    /// End a conversation; the visitor is told.
    End(SessionId),
    /// Give a held conversation back to the queue, for any coordinator (a console locked
    /// past its limit); the visitor is told the coordinator left.
    Release(SessionId),
    /// Ask for the list of tips.
    ListTips,
    /// Fetch a tip and its follow-ups.
    OpenTip(TipId),
    /// Store a reply sealed to the tipster's receipt.
    ReplyTip {
        /// The tip.
        id: TipId,
        /// The reply sealed to the tipster's receipt key.
        sealed: Vec<u8>,
        /// Its copy sealed to the inbox key, when it fits one frame with the reply.
        copy: Option<Vec<u8>>,
    },
    /// Delete a handled tip.
    CloseTip(TipId),
    /// Take a tip, or take it over from the colleague who holds it.
    TakeTip {
        /// The tip.
        id: TipId,
        /// From a colleague who holds it.
        over: bool,
    },
    /// Use this renewed certificate (for my own keys) on the live connection (§9.2).
    Renew(Certificate),
    /// Switch the live connection to these keys, certified by a renewal to new keys (§9.2).
    RenewKeys(crate::console::renewed_keys::RenewedKeys),
    /// For the front end, not the relay: the identity was rewritten; open it with the
    /// passphrase just typed at the lock, send a [`Command::Renew`] if it holds a renewed
    /// certificate, and take the inbox keys it holds now ([`super::Shift::take_granted`]).
    UseRenewed(Passphrase),
    /// Close the connection: the shift is over.
    Quit,
}
