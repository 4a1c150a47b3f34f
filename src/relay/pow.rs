//! Proof-of-work seeds for HTTP tip submissions and follow-ups.
//!
//! A seed is self-authenticating: `BE32(expiry, Unix seconds) || difficulty || 3 random
//! bytes || HMAC-SHA256(node key, the first 8 bytes)[..8]`. Issuing one stores nothing, so a
//! flood of `GET /v1/pow` costs the relay nothing and cannot crowd honest tipsters out. What
//! is remembered is a seed *redeemed* with a valid solution, until it expires, so it cannot
//! be replayed; each entry cost its sender a solved puzzle. With Redis the key and the
//! redeemed seeds are shared, so a seed fetched through one node is accepted by another.
//! (A chat's challenge lives in its connection and dies with it.)

use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;
use std::time::Duration;

use ring::hmac;
use subtle::ConstantTimeEq;

use crate::clock::Clock;
use crate::crypto::keys::{from_hex, hex, random_bytes};
use crate::crypto::proof_of_work;
use crate::store::SharedSeeds;

/// How long an issued seed may be redeemed.
pub const SEED_LIFETIME: Duration = Duration::from_secs(300);
/// Redeemed seeds remembered at most (memory store); beyond it new redemptions are refused
/// until some expire. Each one took a solved puzzle, so reaching it is itself costly. Chat
/// tickets (§9.1) are redeemed here too, one per arrival: 300 s of arrivals at a thousand a
/// second fit, in about 40 MiB at most.
const MAX_REDEEMED: usize = 300_000;
/// The shared key lives a week, renewed by every node's heartbeat.
const SHARED_KEY_TTL_S: u64 = 7 * 24 * 3600;

/// Issues and redeems the proof-of-work seeds of tips and follow-ups.
pub struct SeedBook {
    key: Mutex<[u8; 32]>,
    redeemed: Mutex<Redeemed>,
    shared: Option<SharedSeeds>,
    clock: Clock,
}

impl SeedBook {
    /// A book with a key of its own; with `shared`, [`SeedBook::sync_key`] adopts the key all
    /// nodes share and redeemed seeds are recorded in Redis.
    pub fn new(shared: Option<SharedSeeds>, clock: Clock) -> Self {
        Self {
            clock,
            key: Mutex::new(random_bytes()),
            redeemed: Mutex::default(),
            shared,
        }
    }

    fn mac(&self, head: &[u8]) -> [u8; 8] {
        let key = *self.key.lock().unwrap_or_else(|p| p.into_inner());
        let tag = hmac::sign(&hmac::Key::new(hmac::HMAC_SHA256, &key), head);
        let mut out = [0u8; 8];
        out.copy_from_slice(&tag.as_ref()[..8]);
        out
    }

    /// A fresh seed at `difficulty`, valid for [`SEED_LIFETIME`].
    pub fn issue(&self, difficulty: u8) -> [u8; 16] {
        let expiry = (self.clock.unix_s() + SEED_LIFETIME.as_secs()) as u32;
        let mut seed = [0u8; 16];
        seed[..4].copy_from_slice(&expiry.to_be_bytes());
        seed[4] = difficulty;
        seed[5..8].copy_from_slice(&random_bytes::<3>());
        let tag = self.mac(&seed[..8]);
        seed[8..].copy_from_slice(&tag);
        seed
    }

    /// Whether `nonce` solves a seed this relay issued, unexpired and never redeemed before;
    /// a valid redemption uses the seed up.
    pub async fn redeem(&self, seed: &[u8; 16], context: &[u8], nonce: u64) -> bool {
        let authentic: bool = self.mac(&seed[..8]).ct_eq(&seed[8..]).into();
        let expiry = u64::from(u32::from_be_bytes([seed[0], seed[1], seed[2], seed[3]]));
        let now = self.clock.unix_s();
        if !authentic || expiry <= now || expiry > now + SEED_LIFETIME.as_secs() {
            return false;
        }
        if !proof_of_work::verify(seed, context, nonce, seed[4]) {
            return false;
        }
        self.use_once(seed, expiry).await
    }

    /// The tag that makes a seed (or another token of this relay) self-authenticating: the
    /// first 8 bytes of HMAC-SHA256 under the key every node shares.
    pub fn tag(&self, head: &[u8]) -> [u8; 8] {
        self.mac(head)
    }

    /// Records `token` as used until `expiry` (Unix seconds); `false` if it was used before
    /// (or the record is full). Shared through Redis when nodes share one.
    pub async fn use_once(&self, token: &[u8; 16], expiry: u64) -> bool {
        let now = self.clock.unix_s();
        if expiry <= now {
            return false;
        }
        match &self.shared {
            Some(shared) => shared.redeem_once(token, expiry - now).await,
            None => self
                .redeemed
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .insert(*token, expiry, now),
        }
    }

    /// Notes that the used-up `token` (a no-script form's, or a follow-up's seed) filed what it
    /// carried: the same submission sent again after its answer was lost is told so, instead
    /// of being filed twice or told "nothing was sent" (F-57, [`super::filed_once`]).
    /// Forgotten with the token. Best effort: a mark not kept only loses that.
    pub async fn mark_filed(&self, token: &[u8; 16]) {
        match &self.shared {
            Some(shared) => shared.mark_filed(token).await,
            None => {
                let mut redeemed = self.redeemed.lock().unwrap_or_else(|p| p.into_inner());
                if let Some(filed) = redeemed.held.get_mut(token) {
                    *filed = true;
                }
            }
        }
    }

    /// Whether the used-up `token` filed what it carried ([`SeedBook::mark_filed`]); `false`
    /// when unknown.
    pub async fn was_filed(&self, token: &[u8; 16]) -> bool {
        match &self.shared {
            Some(shared) => shared.was_filed(token).await,
            None => {
                self.redeemed
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .held
                    .get(token)
                    == Some(&true)
            }
        }
    }

    /// Whether `seed`, one of this relay's proof-of-work seeds, carried a follow-up that was
    /// filed: the same follow-up sent again after its answer was lost. Only an authentic seed
    /// counts, never a form token (its marker byte is above any difficulty): a form's mark
    /// says nothing of a follow-up.
    pub async fn filed_followup(&self, seed: &[u8; 16]) -> bool {
        let authentic: bool = self.mac(&seed[..8]).ct_eq(&seed[8..]).into();
        authentic && seed[4] <= proof_of_work::MAX_DIFFICULTY && self.was_filed(seed).await
    }

    /// Adopts the key every node shares (creating it if none exists yet) and renews it.
    /// Without Redis, nothing to do.
    pub async fn sync_key(&self) {
        let Some(shared) = &self.shared else { return };
        let mine = hex(&random_bytes::<32>());
        let shared = shared.key(&mine, SHARED_KEY_TTL_S).await;
        if let Some(key) = shared.as_deref().and_then(from_hex) {
            *self.key.lock().unwrap_or_else(|p| p.into_inner()) = key;
        }
    }
}

/// Redeemed tokens by expiry: forgetting the expired ones costs nothing per redemption (a
/// scan of every entry on each one was O(n) once chat arrivals redeemed tickets here).
#[derive(Default)]
struct Redeemed {
    /// Each token held, and whether it filed what it carried (forms' tokens, follow-ups'
    /// seeds: [`SeedBook::mark_filed`]).
    held: HashMap<[u8; 16], bool>,
    by_expiry: BTreeMap<u64, Vec<[u8; 16]>>,
}

impl Redeemed {
    /// Records `token` until `expiry`; `false` if held already or the record is full.
    fn insert(&mut self, token: [u8; 16], expiry: u64, now: u64) -> bool {
        while let Some(entry) = self.by_expiry.first_entry() {
            if *entry.key() > now {
                break;
            }
            for gone in entry.remove() {
                self.held.remove(&gone);
            }
        }
        if self.held.len() >= MAX_REDEEMED || self.held.contains_key(&token) {
            return false;
        }
        self.held.insert(token, false);
        self.by_expiry.entry(expiry).or_default().push(token);
        true
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.held.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn solve(seed: &[u8; 16]) -> u64 {
        proof_of_work::solve(seed, b"tip", seed[4])
    }

    #[tokio::test]
    async fn a_seed_is_accepted_once_and_only_as_issued() {
        let book = SeedBook::new(None, Clock::system());
        let seed = book.issue(8);
        let nonce = solve(&seed);
        assert!(book.redeem(&seed, b"tip", nonce).await);
        assert!(!book.redeem(&seed, b"tip", nonce).await, "replayed");

        let mut forged = book.issue(8);
        forged[4] = 0; // a lower difficulty than issued breaks the tag
        let nonce = solve(&forged);
        assert!(!book.redeem(&forged, b"tip", nonce).await, "forged");

        let other = SeedBook::new(None, Clock::system()).issue(8);
        assert!(
            !book.redeem(&other, b"tip", solve(&other)).await,
            "another relay's seed"
        );
    }

    #[tokio::test]
    async fn only_a_redeemed_seed_marked_filed_and_never_a_form_token_counts_as_a_filed_followup() {
        let book = SeedBook::new(None, Clock::system());
        let seed = book.issue(8);
        assert!(book.redeem(&seed, b"tip", solve(&seed)).await);
        assert!(!book.filed_followup(&seed).await, "redeemed is not filed");
        book.mark_filed(&seed).await;
        assert!(book.filed_followup(&seed).await);

        // A form token of this relay (marker byte above any difficulty), used and marked.
        let now = Clock::system().unix_s();
        let text = crate::relay::noscript::token::issue(&book, now);
        let token = crate::relay::noscript::token::check(&book, &text, now).unwrap();
        assert!(token.spend(&book).await);
        book.mark_filed(&token.token()).await;
        assert!(book.was_filed(&token.token()).await);
        assert!(
            !book.filed_followup(&token.token()).await,
            "a form's mark is not a follow-up's"
        );

        // Marked as filed, but not a seed this relay issued.
        let mut forged = seed;
        forged[15] ^= 1;
        assert!(book.use_once(&forged, now + 60).await);
        book.mark_filed(&forged).await;
        assert!(book.was_filed(&forged).await);
        assert!(!book.filed_followup(&forged).await, "not this relay's");
    }

    #[test]
    fn a_redeemed_token_is_refused_until_it_expires_then_forgotten() {
        let mut r = Redeemed::default();
        assert!(r.insert([1; 16], 10, 0));
        assert!(r.insert([2; 16], 20, 0));
        assert!(!r.insert([1; 16], 10, 9), "replayed before its expiry");
        assert!(r.insert([3; 16], 30, 10), "a later one");
        assert_eq!(r.len(), 2, "the first forgotten at its expiry");
        assert!(
            r.insert([1; 16], 40, 10),
            "forgotten, so a (re-issued) token counts again"
        );
    }

    #[tokio::test]
    async fn issuing_stores_nothing_so_a_flood_cannot_lock_anyone_out() {
        let book = SeedBook::new(None, Clock::system());
        for _ in 0..200_000 {
            book.issue(8);
        }
        let seed = book.issue(8);
        assert!(book.redeem(&seed, b"tip", solve(&seed)).await);
        assert_eq!(book.redeemed.lock().unwrap().len(), 1);
    }
}
