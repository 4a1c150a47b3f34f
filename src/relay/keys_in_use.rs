//! Which keys each coordinator serial uses now (`docs/protocol.md` §9.2): after a renewal to
//! new keys, the certificate for the old keys, though still signed and unexpired, is
//! superseded and refused at sign-in, on this node and (through Redis) on every node.
//!
//! Per serial it keeps the `not_before` and Ed25519 key of the newest certificate accepted.
//! It must never refuse a certificate for the keys in use (a same-key renewal or its
//! predecessor), and never let an older record replace a newer one. On the memory store the
//! record is kept in `<data_dir>/coordinator-keys` (serial, `not_before`, public key: nothing
//! about a visitor), so a restart does not let the old certificate back in. When the shared
//! record cannot be read or written (Redis not answering), it must fail closed: the
//! certificate is neither let in nor refused for good, the sign-in is refused as "store
//! unavailable, retry" (4013) until Redis answers.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Mutex;

use crate::crypto::certificate::CertificateBody;
use crate::crypto::keys::{from_hex, hex};
use crate::store::chat::StoreError;
use crate::store::redis::coordinator_keys::SharedCoordinatorKeys;

/// Why a certificate was not let in by [`KeysInUse::check_and_record`].
#[derive(Debug, PartialEq, thiserror::Error)]
pub enum KeysInUseError {
    /// A renewal to new keys, issued later, replaced it: refused for good (4006).
    #[error("certificate superseded by a renewal to new keys")]
    Superseded,
    /// The shared record could not be read or written: try again (4013).
    #[error("the coordinators' keys in use could not be checked: {0}")]
    Store(#[from] StoreError),
}

/// The newest certificate's `not_before` and signing key, per serial.
pub struct KeysInUse {
    local: Mutex<HashMap<u64, (u64, [u8; 32])>>,
    shared: Option<SharedCoordinatorKeys>,
    /// Where the record outlives the process when no Redis shares it.
    file: Option<PathBuf>,
}

impl KeysInUse {
    /// Kept in this process, and shared through Redis when `shared` is given, else kept in
    /// `file` (read back here: a line it cannot read is skipped, as if never recorded).
    pub fn new(shared: Option<SharedCoordinatorKeys>, file: Option<PathBuf>) -> Self {
        let file = if shared.is_some() { None } else { file };
        let local = file
            .as_ref()
            .and_then(|f| std::fs::read_to_string(f).ok())
            .map(|text| text.lines().filter_map(parse_line).collect())
            .unwrap_or_default();
        Self {
            local: Mutex::new(local),
            shared,
            file,
        }
    }

    fn save(&self, map: &HashMap<u64, (u64, [u8; 32])>) {
        let Some(file) = &self.file else { return };
        let mut serials: Vec<_> = map.iter().collect();
        serials.sort();
        let text: String = serials
            .into_iter()
            .map(|(serial, (not_before, key))| format!("{serial} {not_before} {}\n", hex(key)))
            .collect();
        if let Err(e) = crate::fs::write_private(file, text.as_bytes()) {
            tracing::warn!("could not keep the coordinators' keys in use: {e}");
        }
    }

    fn local_newest(&self, serial: u64) -> Option<(u64, [u8; 32])> {
        self.local
            .lock()
            .map(|map| map.get(&serial).copied())
            .unwrap_or(None)
    }

    /// Refuses `body` if a certificate for its serial with other keys, issued later, was
    /// accepted before; otherwise records it (if newer) as the serial's keys in use. With
    /// Redis, a record that cannot be read or shared refuses it too ([`KeysInUseError::Store`]).
    pub async fn check_and_record(&self, body: &CertificateBody) -> Result<(), KeysInUseError> {
        let mut newest = self.local_newest(body.serial);
        if let Some(shared) = &self.shared
            && let Some((not_before, key)) = shared.get(body.serial).await?
            && let Some(key) = from_hex::<32>(&key)
            && newest.is_none_or(|(held, _)| not_before > held)
        {
            newest = Some((not_before, key));
        }
        let key = body.ed25519_public.0;
        if let Some((not_before, held)) = newest {
            // Issued at the same second is not a renewal (two key sets issued at once).
            if held != key && not_before > body.not_before {
                return Err(KeysInUseError::Superseded);
            }
            if not_before >= body.not_before {
                return Ok(());
            }
        }
        // Shared first: keys other nodes may not hear of are not let in here either.
        if let Some(shared) = &self.shared {
            shared
                .offer(body.serial, body.not_before, &hex(&key))
                .await?;
        }
        if let Ok(mut map) = self.local.lock() {
            map.insert(body.serial, (body.not_before, key));
            self.save(&map);
        }
        Ok(())
    }
}

/// `serial not_before key-hex`, as `save` writes it.
fn parse_line(line: &str) -> Option<(u64, (u64, [u8; 32]))> {
    let mut parts = line.split(' ');
    let serial = parts.next()?.parse().ok()?;
    let not_before = parts.next()?.parse().ok()?;
    let key = from_hex::<32>(parts.next()?)?;
    parts
        .next()
        .is_none()
        .then_some((serial, (not_before, key)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::certificate::Role;
    use crate::crypto::keys::{DhSecret, SigningKey};

    fn body(key: &SigningKey, not_before: u64) -> CertificateBody {
        CertificateBody {
            role: Role::Coordinator,
            serial: 104,
            not_before,
            not_after: not_before + 100,
            x25519_public: DhSecret::generate().public(),
            ed25519_public: key.public(),
            alias: "Noor".into(),
        }
    }

    #[tokio::test]
    async fn a_renewal_to_new_keys_supersedes_the_old_certificate_only() {
        let keys = KeysInUse::new(None, None);
        let (old, new) = (SigningKey::generate(), SigningKey::generate());
        assert_eq!(keys.check_and_record(&body(&old, 10)).await, Ok(()));
        // A same-key renewal, then its predecessor again: both the keys in use.
        assert_eq!(keys.check_and_record(&body(&old, 20)).await, Ok(()));
        assert_eq!(keys.check_and_record(&body(&old, 10)).await, Ok(()));
        assert_eq!(keys.check_and_record(&body(&new, 30)).await, Ok(()));
        assert_eq!(
            keys.check_and_record(&body(&old, 20)).await,
            Err(KeysInUseError::Superseded)
        );
        assert!(keys.check_and_record(&body(&old, 10)).await.is_err());
        assert_eq!(keys.check_and_record(&body(&new, 30)).await, Ok(()));
        // Another serial is not touched.
        let other = CertificateBody {
            serial: 105,
            ..body(&old, 10)
        };
        assert_eq!(keys.check_and_record(&other).await, Ok(()));
    }

    #[tokio::test]
    async fn without_redis_the_record_outlives_a_restart() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let file = dir.path().join("coordinator-keys");
        let (old, new) = (SigningKey::generate(), SigningKey::generate());
        let keys = KeysInUse::new(None, Some(file.clone()));
        assert_eq!(keys.check_and_record(&body(&new, 30)).await, Ok(()));
        drop(keys);
        let restarted = KeysInUse::new(None, Some(file.clone()));
        assert!(restarted.check_and_record(&body(&old, 10)).await.is_err());
        assert_eq!(restarted.check_and_record(&body(&new, 30)).await, Ok(()));
        // A damaged file loses only the lines it cannot read.
        let text = std::fs::read_to_string(&file).unwrap_or_default();
        std::fs::write(&file, format!("garbage\n{text}105 x y\n")).unwrap_or_default();
        let damaged = KeysInUse::new(None, Some(file));
        assert!(damaged.check_and_record(&body(&old, 10)).await.is_err());
    }
}
