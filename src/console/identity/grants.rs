//! The tip-inbox keys an organisation grants into the identity (`docs/protocol.md` §2.5):
//! imported from a grant file, each kept until its own end, dropped from the file once past
//! it, and handed to a shift with those ends (the shift drops each at its end too).
//!
//! A grant carries every inbox key still in use, so importing one replaces the keys held.
//! An older grant imported by mistake (it ends before the keys held and lacks the newest of
//! them) is refused and changes nothing: taking it would take away the key that opens the
//! tips arriving now.

use super::{Identity, IdentityError};
use crate::crypto::inbox_grant::{self, GrantHeader};
use crate::crypto::keys::DhSecret;

impl Identity {
    /// Takes the inbox keys of a grant (§2.5) sealed to this identity's certified key for
    /// its pinned organisation; they replace the keys held before (a grant carries every key
    /// still in use, so a key it leaves out is one the organisation let go). A grant that
    /// ends before the keys held and lacks the newest of them is an older one, imported by
    /// mistake: refused, as it would take away the key of the tips arriving now. Returns what
    /// it names; on any error nothing changes.
    pub fn import_grant(&mut self, grant: &[u8]) -> Result<GrantHeader, IdentityError> {
        let (Some(certificate), Some(organisation)) = (&self.certificate, self.organisation) else {
            return Err(IdentityError::NotEnrolled);
        };
        let (header, keys) = inbox_grant::open(
            &organisation.fingerprint(),
            &self.dh,
            certificate.body().serial,
            grant,
        )?;
        self.check_not_older(&header)?;
        // Each key until its own end: an older key goes with its tips' retention.
        self.inbox_keys = header
            .keys
            .iter()
            .map(|named| named.until)
            .zip(keys)
            .collect();
        Ok(header)
    }

    /// Refuses a grant that ends before the keys held and lacks the newest of them.
    fn check_not_older(&self, grant: &GrantHeader) -> Result<(), IdentityError> {
        let held_until = self.inbox_keys.iter().map(|(until, _)| *until).max();
        let newest = self
            .inbox_keys
            .first()
            .map(|(_, k)| k.public().fingerprint());
        let (Some(held_until), Some(newest)) = (held_until, newest) else {
            return Ok(());
        };
        let carries_newest = grant.keys.iter().any(|k| k.fingerprint == newest);
        if grant.until < held_until && !carries_newest {
            return Err(IdentityError::OlderGrant {
                ends: grant.until,
                held_until,
            });
        }
        Ok(())
    }

    /// Forgets the granted inbox keys whose end is past at `now` (so the file, once written
    /// again, no longer holds them); whether any was forgotten.
    pub fn drop_ended_inbox_keys(&mut self, now: u64) -> bool {
        let before = self.inbox_keys.len();
        self.inbox_keys.retain(|(until, _)| now < *until);
        self.inbox_keys.len() != before
    }

    /// Every granted inbox key, newest first, each with the Unix second its grant ends it.
    pub fn granted_inbox_keys(&self) -> Vec<(u64, DhSecret)> {
        self.inbox_keys
            .iter()
            .map(|(until, k)| (*until, DhSecret::from_bytes(*k.to_bytes())))
            .collect()
    }

    /// The granted inbox keys still in force at `now`, newest first.
    pub fn inbox_keys(&self, now: u64) -> Vec<DhSecret> {
        self.inbox_keys
            .iter()
            .filter(|(until, _)| now < *until)
            .map(|(_, k)| DhSecret::from_bytes(*k.to_bytes()))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use rand_core::OsRng;

    use super::*;
    use crate::crypto::enrolment::EnrolmentRequest;
    use crate::crypto::keys::SigningKey;
    use crate::protocol::b64;

    const NOW: u64 = 1_780_000_000;
    const DAY: u64 = 86_400;

    fn enrolled(org: &SigningKey) -> Identity {
        let mut identity = Identity::generate("Noor").unwrap();
        let bytes = b64::decode(&identity.enrolment_request().unwrap()).unwrap();
        let request = EnrolmentRequest::decode_verified(&bytes).unwrap();
        let cert = request.certify(org, 104, NOW - 60, NOW + 60 * DAY).unwrap();
        identity
            .install_certificate(&b64::encode(cert.as_bytes()), org.public(), NOW)
            .unwrap();
        identity
    }

    /// A grant for `identity` ending `until`, of `keys` (newest first) each with its end.
    fn grant(
        org: &SigningKey,
        identity: &Identity,
        until: u64,
        keys: &[(&DhSecret, u64)],
    ) -> Vec<u8> {
        let fp = org.public().fingerprint();
        inbox_grant::seal(&fp, &identity.dh.public(), 104, until, keys, &mut OsRng).unwrap()
    }

    fn held(identity: &Identity) -> Vec<(u64, [u8; 32])> {
        let keys = identity.granted_inbox_keys();
        keys.iter().map(|(end, k)| (*end, k.public().0)).collect()
    }

    #[test]
    fn an_older_grant_lacking_the_newest_key_is_refused_and_changes_nothing() {
        let org = SigningKey::generate();
        let mut identity = enrolled(&org);
        let (first, rotated) = (DhSecret::generate(), DhSecret::generate());
        let older = grant(&org, &identity, NOW + 14 * DAY, &[(&first, NOW + 14 * DAY)]);
        let newer = grant(
            &org,
            &identity,
            NOW + 44 * DAY,
            &[(&rotated, NOW + 44 * DAY), (&first, NOW + 33 * DAY)],
        );
        identity.import_grant(&older).unwrap();
        identity.import_grant(&newer).unwrap();
        let before = held(&identity);
        assert_eq!(before.len(), 2);

        // Grant A again, by mistake: it would take away the key tips are sealed to now.
        let refused = identity.import_grant(&older);
        assert!(
            matches!(refused, Err(IdentityError::OlderGrant { ends, held_until })
                if ends == NOW + 14 * DAY && held_until == NOW + 44 * DAY),
            "{refused:?}"
        );
        let said = refused.map(|_| ()).unwrap_err().to_string();
        assert!(
            said.contains("Nothing changed") && said.contains("older grant"),
            "{said}"
        );
        assert_eq!(held(&identity), before);

        // The same grant again is fine; so is one that ends sooner but carries the newest key
        // (the organisation let an old key go early), and a later one that does not.
        identity.import_grant(&newer).unwrap();
        assert_eq!(held(&identity), before);
        let shorter = grant(
            &org,
            &identity,
            NOW + 20 * DAY,
            &[(&rotated, NOW + 20 * DAY)],
        );
        identity.import_grant(&shorter).unwrap();
        assert_eq!(held(&identity), vec![(NOW + 20 * DAY, rotated.public().0)]);
        let third = DhSecret::generate();
        let later = grant(&org, &identity, NOW + 50 * DAY, &[(&third, NOW + 50 * DAY)]);
        identity.import_grant(&later).unwrap();
        assert_eq!(held(&identity), vec![(NOW + 50 * DAY, third.public().0)]);
    }
}
