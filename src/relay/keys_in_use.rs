//! Which keys each coordinator serial uses now (`docs/protocol.md` §9.2): after a renewal to
//! new keys, the certificate for the old keys, though still signed and unexpired, is
//! superseded and refused at sign-in, on this node and (through Redis) on every node.
//!
//! Per serial it keeps the `not_before` and Ed25519 key of the newest certificate accepted.
//! It must never refuse a certificate for the keys in use (a same-key renewal or its
//! predecessor), and never let an older record replace a newer one. On the memory store the
//! record lives as long as the process: after a restart the old certificate is bounded by
//! its own `not_after` again (docs/operations.md says so).

use std::collections::HashMap;
use std::sync::Mutex;

use crate::crypto::certificate::CertificateBody;
use crate::crypto::keys::{from_hex, hex};
use crate::store::redis::coordinator_keys::SharedCoordinatorKeys;

/// The newest certificate's `not_before` and signing key, per serial.
pub struct KeysInUse {
    local: Mutex<HashMap<u64, (u64, [u8; 32])>>,
    shared: Option<SharedCoordinatorKeys>,
}

impl KeysInUse {
    /// Kept in this process, and shared through Redis when `shared` is given.
    pub fn new(shared: Option<SharedCoordinatorKeys>) -> Self {
        Self {
            local: Mutex::new(HashMap::new()),
            shared,
        }
    }

    fn local_newest(&self, serial: u64) -> Option<(u64, [u8; 32])> {
        self.local
            .lock()
            .map(|map| map.get(&serial).copied())
            .unwrap_or(None)
    }

    /// Refuses `body` if a certificate for its serial with other keys, issued later, was
    /// accepted before; otherwise records it (if newer) as the serial's keys in use.
    pub async fn check_and_record(&self, body: &CertificateBody) -> Result<(), String> {
        let mut newest = self.local_newest(body.serial);
        if let Some(shared) = &self.shared
            && let Some((not_before, key)) = shared.get(body.serial).await
            && let Some(key) = from_hex::<32>(&key)
            && newest.is_none_or(|(held, _)| not_before > held)
        {
            newest = Some((not_before, key));
        }
        let key = body.ed25519_public.0;
        if let Some((not_before, held)) = newest {
            // Issued at the same second is not a renewal (two key sets issued at once).
            if held != key && not_before > body.not_before {
                return Err("certificate superseded by a renewal to new keys".into());
            }
            if not_before >= body.not_before {
                return Ok(());
            }
        }
        if let Ok(mut map) = self.local.lock() {
            map.insert(body.serial, (body.not_before, key));
        }
        if let Some(shared) = &self.shared {
            shared.offer(body.serial, body.not_before, &hex(&key)).await;
        }
        Ok(())
    }
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
        let keys = KeysInUse::new(None);
        let (old, new) = (SigningKey::generate(), SigningKey::generate());
        assert_eq!(keys.check_and_record(&body(&old, 10)).await, Ok(()));
        // A same-key renewal, then its predecessor again: both the keys in use.
        assert_eq!(keys.check_and_record(&body(&old, 20)).await, Ok(()));
        assert_eq!(keys.check_and_record(&body(&old, 10)).await, Ok(()));
        assert_eq!(keys.check_and_record(&body(&new, 30)).await, Ok(()));
        assert!(keys.check_and_record(&body(&old, 20)).await.is_err());
        assert!(keys.check_and_record(&body(&old, 10)).await.is_err());
        assert_eq!(keys.check_and_record(&body(&new, 30)).await, Ok(()));
        // Another serial is not touched.
        let other = CertificateBody {
            serial: 105,
            ..body(&old, 10)
        };
        assert_eq!(keys.check_and_record(&other).await, Ok(()));
    }
}
