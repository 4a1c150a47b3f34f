//! The coordinator's side of a hand-over note (`docs/protocol.md` §5.1): sealing one to the
//! colleague named in the relay's roster, and reading one that came with a transferred
//! conversation.
//!
//! Both ends check the colleague's certificate against the organisation key first, so a
//! relay that swapped a roster entry or a sender certificate gets a refusal, not a reader.
//! Must never seal to, or accept a note from, a key no verified certificate names.

use super::ClientError;
use crate::crypto::certificate::{Certificate, Role};
use crate::crypto::handover_note;
use crate::crypto::keys::{DhSecret, OrgPublicKey};
use crate::protocol::frames::CoordinatorInfo;
use crate::protocol::{Bytes, SessionId};

/// A note that came with a conversation handed over to us.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HandoverNote {
    /// What the colleague wrote, opened and checked.
    Text(String),
    /// A note came but did not open, or its sender's certificate did not verify.
    Unreadable,
}

/// Seals `text` for colleague `to`, whose certificate the relay listed in its roster.
pub fn seal_note(
    roster: &[CoordinatorInfo],
    org: &OrgPublicKey,
    session: &SessionId,
    sender: &DhSecret,
    to: u64,
    text: &str,
) -> Result<Bytes, ClientError> {
    let entry = roster
        .iter()
        .find(|c| c.serial == to)
        .ok_or_else(|| ClientError::Protocol("that colleague is not on duty".into()))?;
    let cert = Certificate::decode_verified(
        &entry.certificate.0,
        org,
        super::unix_now(),
        None,
        Role::Coordinator,
    )
    .map_err(|e| ClientError::Protocol(format!("colleague's certificate refused: {e}")))?;
    if cert.body().serial != to {
        return Err(ClientError::Protocol(
            "the roster lists another certificate under that serial".into(),
        ));
    }
    let sealed = handover_note::seal(
        &org.fingerprint(),
        &session.0,
        sender,
        &cert.body().x25519_public,
        text,
        &mut rand_core::OsRng,
    )
    .map_err(|e| ClientError::Protocol(format!("note not sealed: {e}")))?;
    Ok(Bytes(sealed))
}

/// Opens a note that came with `claimed`, if one did: its sender's certificate must verify
/// and carry the alias the relay named as the previous holder.
pub fn read_note(
    org: &OrgPublicKey,
    session: &SessionId,
    recipient: &DhSecret,
    transferred_from: Option<&str>,
    note: Option<Bytes>,
    note_from: Option<Bytes>,
) -> Option<HandoverNote> {
    let note = note?;
    let opened = note_from.and_then(|from| {
        let cert =
            Certificate::decode_verified(&from.0, org, super::unix_now(), None, Role::Coordinator)
                .ok()?;
        if Some(cert.body().alias.as_str()) != transferred_from {
            return None;
        }
        let sender = &cert.body().x25519_public;
        handover_note::open(&org.fingerprint(), &session.0, sender, recipient, &note.0).ok()
    });
    Some(opened.map_or(HandoverNote::Unreadable, HandoverNote::Text))
}
