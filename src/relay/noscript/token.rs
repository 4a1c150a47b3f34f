//! The no-script form's token: signed, expiring and single-use, so a form cannot be sent
//! twice nor forged, with nothing stored when it is issued.
//!
//! `BE32(expiry, Unix seconds) || 0xF0 || 3 random bytes || tag(first 8 bytes)`, the tag
//! being the seed book's HMAC under the key every node shares (`docs/protocol.md` §9.11).
//! The marker byte is above any proof-of-work difficulty, so a token is never a seed and a
//! seed never a token. A used token is remembered (through Redis with several nodes) until
//! it expires, with whether its form filed what it carried (so a form sent again after its
//! answer was lost is told the truth). Must never carry or be derived from anything about
//! the person.

use std::time::Duration;

use subtle::ConstantTimeEq;

use crate::crypto::keys::random_bytes;
use crate::relay::pow::SeedBook;

/// How long a form may stay open before it is sent: writing a tip takes time.
pub const FORM_LIFETIME: Duration = Duration::from_secs(2 * 3600);
/// The byte that marks a form token (proof-of-work difficulties are at most 28).
const MARKER: u8 = 0xF0;

/// A fresh token, base64url, for a form's hidden field.
pub fn issue(seeds: &SeedBook, now_s: u64) -> String {
    let expiry = (now_s + FORM_LIFETIME.as_secs()) as u32;
    let mut token = [0u8; 16];
    token[..4].copy_from_slice(&expiry.to_be_bytes());
    token[4] = MARKER;
    token[5..8].copy_from_slice(&random_bytes::<3>());
    let tag = seeds.tag(&token[..8]);
    token[8..].copy_from_slice(&tag);
    crate::protocol::b64::encode(&token)
}

/// A token that this relay issued and that has not expired: not yet spent.
#[derive(Clone, Copy)]
pub struct Valid {
    token: [u8; 16],
    expiry: u64,
}

/// Checks a token without using it up (a refused form keeps its token's room).
pub fn check(seeds: &SeedBook, text: &str, now_s: u64) -> Option<Valid> {
    let token: [u8; 16] = crate::protocol::b64::decode(text)?.try_into().ok()?;
    let authentic: bool = seeds.tag(&token[..8]).ct_eq(&token[8..]).into();
    let expiry = u64::from(u32::from_be_bytes([token[0], token[1], token[2], token[3]]));
    let fresh = expiry > now_s && expiry <= now_s + FORM_LIFETIME.as_secs();
    (authentic && token[4] == MARKER && fresh).then_some(Valid { token, expiry })
}

impl Valid {
    /// Uses the token up; `false` if it was used before.
    pub async fn spend(&self, seeds: &SeedBook) -> bool {
        seeds.use_once(&self.token, self.expiry).await
    }

    /// The token's bytes: what the seed book records it under.
    pub fn token(&self) -> [u8; 16] {
        self.token
    }

    /// Whether the form of this used-up token filed what it carried: sent again, its
    /// answer having been lost on the way.
    pub async fn was_filed(&self, seeds: &SeedBook) -> bool {
        seeds.was_filed(&self.token).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::Clock;

    #[tokio::test]
    async fn a_token_is_good_once_until_it_expires_and_only_from_this_relay() {
        let clock = Clock::system();
        let book = SeedBook::new(None, clock.clone());
        let now = clock.unix_s();
        let token = issue(&book, now);
        assert!(check(&book, &token, now).unwrap().spend(&book).await);
        let again = check(&book, &token, now).expect("still authentic");
        assert!(!again.spend(&book).await, "replayed");
        assert!(!again.was_filed(&book).await, "spent is not filed");
        book.mark_filed(&again.token()).await;
        assert!(again.was_filed(&book).await, "filed");
        let unused = check(&book, &issue(&book, now), now).expect("fresh");
        book.mark_filed(&unused.token()).await;
        assert!(
            !unused.was_filed(&book).await,
            "only a used token is marked"
        );

        let late = issue(&book, now);
        assert!(
            check(&book, &late, now + FORM_LIFETIME.as_secs()).is_none(),
            "expired"
        );
        let other = SeedBook::new(None, clock.clone());
        assert!(
            check(&other, &issue(&book, now), now).is_none(),
            "another relay's"
        );
        let seed = crate::protocol::b64::encode(&book.issue(0));
        assert!(check(&book, &seed, now).is_none(), "a seed is not a token");
        assert!(check(&book, "not a token", now).is_none());
    }
}
