//! Tip requests built by hand, for suites that test what the tip endpoints refuse (a spent
//! or replayed seed, a wrong size, an unknown receipt): a seed fetched from `/v1/pow` and
//! solved as the widget solves it, and the JSON body of a submission under that solution.
//!
//! It must never seal anything: the bodies carry placeholder bytes, which the relay cannot
//! tell from a sealed tip. Suites that need a real tip use `tips.rs`.

use lifeline::client::tipster::request;
use lifeline::crypto::proof_of_work;
use lifeline::protocol::Bytes;
use lifeline::protocol::b64::Fixed;
use lifeline::protocol::http::{PowSeed, TIP_POW_CONTEXT, TipSubmission};

/// Placeholder bytes the size of a sealed tip in the smallest bucket: they pass the relay's
/// size check.
pub fn smallest_sealed() -> Vec<u8> {
    vec![0; 32 + 1024 + 16]
}

/// A tip seed from the relay with its solution.
pub struct SolvedSeed {
    pub seed: PowSeed,
    pub nonce: u64,
}

/// Fetches a seed from the relay at `addr` and solves it for tips.
pub async fn solved_seed(addr: &str) -> SolvedSeed {
    let (status, body) = request(addr, "GET", "/v1/pow", None, &[])
        .await
        .expect("seed request");
    assert_eq!(status, 200, "{body}");
    let seed: PowSeed = serde_json::from_str(&body).expect("a seed");
    let nonce = proof_of_work::solve(&seed.seed.0, TIP_POW_CONTEXT, seed.difficulty);
    SolvedSeed { seed, nonce }
}

/// POSTs `body` to `path` on the relay at `addr`; returns the status.
pub async fn post_status(addr: &str, path: &str, body: String) -> u16 {
    request(addr, "POST", path, Some(body), &[])
        .await
        .expect("request")
        .0
}

impl SolvedSeed {
    /// The JSON body of a tip or follow-up under this solution, filed under `lookup`.
    pub fn body(&self, lookup: [u8; 32], sealed: Vec<u8>) -> String {
        serde_json::to_string(&TipSubmission {
            v: 1,
            seed: self.seed.seed,
            nonce: self.nonce,
            lookup: Fixed(lookup),
            sealed: Bytes(sealed),
        })
        .expect("json")
    }
}
