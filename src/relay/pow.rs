//! Proof-of-work challenges for HTTP tip submissions: each seed is issued once, expires,
//! and is forgotten the moment it is used, so a solution cannot be replayed. (A chat's
//! challenge lives in its connection and dies with it.)

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::crypto::keys::random_bytes;
use crate::crypto::proof_of_work;

pub const SEED_LIFETIME: Duration = Duration::from_secs(300);

pub struct SeedBook {
    seeds: Mutex<HashMap<[u8; 16], (Instant, u8)>>,
    capacity: usize,
}

impl SeedBook {
    pub fn new(capacity: usize) -> Self {
        Self {
            seeds: Mutex::new(HashMap::new()),
            capacity,
        }
    }

    /// A fresh seed at `difficulty`, or `None` when too many are outstanding.
    pub fn issue(&self, difficulty: u8) -> Option<[u8; 16]> {
        let mut seeds = self.seeds.lock().unwrap_or_else(|p| p.into_inner());
        let now = Instant::now();
        seeds.retain(|_, (issued, _)| now.duration_since(*issued) < SEED_LIFETIME);
        if seeds.len() >= self.capacity {
            return None;
        }
        let seed = random_bytes();
        seeds.insert(seed, (now, difficulty));
        Some(seed)
    }

    /// Consumes the seed whatever the outcome: a wrong answer cannot be retried on it.
    pub fn redeem(&self, seed: &[u8; 16], context: &[u8], nonce: u64) -> bool {
        let entry = self
            .seeds
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(seed);
        match entry {
            Some((issued, difficulty)) if issued.elapsed() < SEED_LIFETIME => {
                proof_of_work::verify(seed, context, nonce, difficulty)
            }
            _ => false,
        }
    }
}
