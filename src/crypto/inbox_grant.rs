//! Inbox grants (`docs/protocol.md` §2.5): the organisation hands the tip-inbox private
//! key(s) to one coordinator, sealed to the X25519 key in that coordinator's certificate,
//! so the inbox key never lies in plaintext on a laptop.
//!
//! HPKE Base mode (the §5 suite). The clear header names the coordinator's serial, until when
//! the grant holds, and every inbox key inside with until when that key may open tips (an
//! older key ends with its tips' retention); it is the `aad`, so none of it can be altered.
//! Version 1 (one date for every key) is still read. The `info` binds the organisation and the recipient key. Must never
//! hand out a key whose public fingerprint differs from the one the header names.

use hpke::rand_core::{CryptoRng, RngCore};
use zeroize::Zeroizing;

use super::encoding::{DecodeError, Reader, Writer};
use super::keys::{DhPublicKey, DhSecret, Fingerprint};
use super::primitives::labelled;
use super::sealed_tip::{ENC_LEN, TipError, hpke_open, hpke_seal};

/// The HPKE `info` label of an inbox grant.
pub const GRANT_LABEL: &str = "lifeline v1 inbox grant";
/// The version written: each key with its own date.
const GRANT_VERSION: u8 = 2;
/// The first version, still read: one date for every key.
const GRANT_VERSION_ONE_DATE: u8 = 1;
/// The most inbox keys one grant carries (one retention period of rotations, and margin).
pub const MAX_GRANT_KEYS: usize = 16;

/// `label 0x00 | org_fp [32] | fp(recipient x25519_public) [32]`.
pub fn info(org: &Fingerprint, recipient: &DhPublicKey) -> Vec<u8> {
    labelled(GRANT_LABEL, &[&org.0, &recipient.fingerprint().0])
}

/// One inbox key a grant names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GrantedKey {
    /// `fp(inbox x25519_public)`: which tips it opens.
    pub fingerprint: Fingerprint,
    /// Unix seconds after which the console stops using it (never past the grant's `until`).
    pub until: u64,
}

/// What a grant says in clear: for whom, until when, which keys.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GrantHeader {
    /// The serial of the coordinator certificate it is sealed to.
    pub serial: u64,
    /// Unix seconds after which the console stops using any of these keys.
    pub until: u64,
    /// Each inbox key inside, newest first.
    pub keys: Vec<GrantedKey>,
}

impl GrantHeader {
    fn encode(&self) -> Vec<u8> {
        let mut w = Writer::new();
        w.u8(GRANT_VERSION)
            .u64(self.serial)
            .u64(self.until)
            .u8(self.keys.len() as u8);
        for key in &self.keys {
            w.bytes(&key.fingerprint.0).u64(key.until);
        }
        w.finish()
    }
}

/// Why a grant could not be made or opened.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum GrantError {
    /// The bytes are not a grant (§2.5 layout).
    #[error("not an inbox grant: {0}")]
    Malformed(DecodeError),
    /// It does not open with this key for this organisation, or was altered.
    #[error(
        "the grant does not open with this identity (another coordinator's, another organisation's, or altered)"
    )]
    Open,
    /// It is sealed to another serial than this identity's certificate.
    #[error("the grant is for serial {0}, not this identity's")]
    OtherSerial(u64),
    /// No keys, or more than [`MAX_GRANT_KEYS`].
    #[error("a grant holds 1 to {MAX_GRANT_KEYS} inbox keys")]
    KeyCount,
}

impl From<DecodeError> for GrantError {
    fn from(e: DecodeError) -> Self {
        GrantError::Malformed(e)
    }
}

impl From<TipError> for GrantError {
    fn from(e: TipError) -> Self {
        match e {
            TipError::Open => GrantError::Open,
            _ => GrantError::Malformed(DecodeError::Invalid("sealed keys")),
        }
    }
}

/// `header | enc [32] | ciphertext`, the inbox secrets (32 bytes each, in the header's
/// order) sealed to `recipient` with the header as `aad`. Each key comes with its own end,
/// which is capped at the grant's `until`.
pub fn seal<R: RngCore + CryptoRng>(
    org: &Fingerprint,
    recipient: &DhPublicKey,
    serial: u64,
    until: u64,
    inbox_keys: &[(&DhSecret, u64)],
    rng: &mut R,
) -> Result<Vec<u8>, GrantError> {
    if inbox_keys.is_empty() || inbox_keys.len() > MAX_GRANT_KEYS {
        return Err(GrantError::KeyCount);
    }
    let header = GrantHeader {
        serial,
        until,
        keys: inbox_keys
            .iter()
            .map(|(k, key_until)| GrantedKey {
                fingerprint: k.public().fingerprint(),
                until: (*key_until).min(until),
            })
            .collect(),
    }
    .encode();
    let mut secrets = Zeroizing::new(Vec::with_capacity(32 * inbox_keys.len()));
    for (key, _) in inbox_keys {
        secrets.extend_from_slice(&key.to_bytes()[..]);
    }
    let sealed = hpke_seal(
        None,
        recipient,
        &info(org, recipient),
        &header,
        &secrets,
        rng,
    )?;
    let mut out = header;
    out.extend(sealed);
    Ok(out)
}

/// Reads the clear header only (what `lifeline keys list` or a reviewer may show).
pub fn header(bytes: &[u8]) -> Result<(GrantHeader, usize), GrantError> {
    let mut r = Reader::new(bytes);
    let version = r.u8("version")?;
    if version != GRANT_VERSION && version != GRANT_VERSION_ONE_DATE {
        return Err(DecodeError::Invalid("version").into());
    }
    let serial = r.u64("serial")?;
    let until = r.u64("until")?;
    let count = r.u8("count")? as usize;
    if count == 0 || count > MAX_GRANT_KEYS {
        return Err(GrantError::KeyCount);
    }
    let keys = (0..count)
        .map(|_| {
            let fingerprint = Fingerprint(r.array("key fingerprint")?);
            let key_until = match version {
                GRANT_VERSION_ONE_DATE => until,
                _ => r.u64("key until")?.min(until),
            };
            Ok(GrantedKey {
                fingerprint,
                until: key_until,
            })
        })
        .collect::<Result<Vec<_>, DecodeError>>()?;
    let header_len = bytes.len() - r.remaining();
    Ok((
        GrantHeader {
            serial,
            until,
            keys,
        },
        header_len,
    ))
}

/// Opens a grant sealed to `recipient` (this identity's certified key, serial `serial`) for
/// the organisation `org`: the keys, each checked against the fingerprint the header names.
pub fn open(
    org: &Fingerprint,
    recipient: &DhSecret,
    serial: u64,
    bytes: &[u8],
) -> Result<(GrantHeader, Vec<DhSecret>), GrantError> {
    let (header, header_len) = header(bytes)?;
    if header.serial != serial {
        return Err(GrantError::OtherSerial(header.serial));
    }
    let (aad, sealed) = bytes.split_at(header_len);
    if sealed.len() != ENC_LEN + 32 * header.keys.len() + 16 {
        return Err(DecodeError::Invalid("length").into());
    }
    let info = info(org, &recipient.public());
    let secrets = hpke_open(None, recipient, &info, aad, sealed)?;
    let keys: Vec<DhSecret> = secrets
        .chunks_exact(32)
        .map(|c| {
            let mut bytes = [0u8; 32];
            bytes.copy_from_slice(c);
            DhSecret::from_bytes(bytes)
        })
        .collect();
    // The AEAD already covers the header; this guards the tooling that wrote it.
    if keys
        .iter()
        .zip(&header.keys)
        .any(|(k, named)| k.public().fingerprint() != named.fingerprint)
    {
        return Err(GrantError::Open);
    }
    Ok((header, keys))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::keys::SigningKey;
    use rand_core::OsRng;

    fn header_of(grant: &[u8]) -> GrantHeader {
        header(grant)
            .map(|(h, _)| h)
            .unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn a_grant_opens_only_for_its_coordinator_and_organisation_and_names_its_keys() {
        let org = SigningKey::generate().public().fingerprint();
        let coordinator = DhSecret::generate();
        let (new, old) = (DhSecret::generate(), DhSecret::generate());
        let grant = seal(
            &org,
            &coordinator.public(),
            104,
            9_000,
            &[(&new, 9_000), (&old, 5_000)],
            &mut OsRng,
        )
        .unwrap_or_default();
        let (header, keys) =
            open(&org, &coordinator, 104, &grant).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(header.until, 9_000);
        let named = |k: &DhSecret, until| GrantedKey {
            fingerprint: k.public().fingerprint(),
            until,
        };
        assert_eq!(header.keys, vec![named(&new, 9_000), named(&old, 5_000)]);
        assert_eq!(keys[0].public(), new.public());
        assert_eq!(keys[1].public(), old.public());

        let stranger = DhSecret::generate();
        assert_eq!(
            open(&org, &stranger, 104, &grant).err(),
            Some(GrantError::Open)
        );
        let other_org = SigningKey::generate().public().fingerprint();
        assert_eq!(
            open(&other_org, &coordinator, 104, &grant).err(),
            Some(GrantError::Open)
        );
        assert_eq!(
            open(&org, &coordinator, 105, &grant).err(),
            Some(GrantError::OtherSerial(104))
        );
        // Moving the date in the clear header breaks the seal.
        let mut later = grant.clone();
        later[9 + 7] ^= 1;
        assert_eq!(
            open(&org, &coordinator, 104, &later).err(),
            Some(GrantError::Open)
        );
        // So does moving an older key's own end (its last byte, after its fingerprint).
        let mut kept_longer = grant.clone();
        kept_longer[18 + 40 + 32 + 7] ^= 1;
        assert_eq!(
            open(&org, &coordinator, 104, &kept_longer).err(),
            Some(GrantError::Open)
        );
        // Nor can the header be rewritten as version 1 (which gives every key the grant's
        // date, so would lift the older key's 5,000 to 9,000): the same sealed bytes under
        // the shorter header do not open.
        let mut downgraded = vec![GRANT_VERSION_ONE_DATE];
        downgraded.extend_from_slice(&grant[1..18]);
        downgraded.extend_from_slice(&grant[18..18 + 32]);
        downgraded.extend_from_slice(&grant[18 + 40..18 + 40 + 32]);
        downgraded.extend_from_slice(&grant[18 + 80..]);
        assert_eq!(header_of(&downgraded).keys[1].until, 9_000);
        assert_eq!(
            open(&org, &coordinator, 104, &downgraded).err(),
            Some(GrantError::Open)
        );
        // No key outlives its grant.
        let capped = seal(
            &org,
            &coordinator.public(),
            104,
            9_000,
            &[(&new, 20_000)],
            &mut OsRng,
        )
        .unwrap_or_default();
        assert_eq!(header_of(&capped).keys[0].until, 9_000);
        assert!(open(&org, &coordinator, 104, &grant[..grant.len() - 1]).is_err());
        assert_eq!(
            seal(&org, &coordinator.public(), 104, 1, &[], &mut OsRng).err(),
            Some(GrantError::KeyCount)
        );
    }
}
