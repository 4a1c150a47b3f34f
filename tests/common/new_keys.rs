//! A coordinator's renewal to new keys, as the organisation certifies it, and what the relay
//! answers a sign-in with: for the suites on superseded certificates (`renewal`,
//! `keys_in_use_outage`).
//!
//! It must never sign anything but with the test relay's own organisation key.

use super::*;

const DAY: u64 = 86_400;

/// A certificate for `serial` with fresh keys, issued a minute ago (after
/// [`TestRelay::coordinator_keys`]' hour): a renewal to new keys.
pub fn for_new_keys(relay: &TestRelay, serial: u64) -> CoordinatorFiles {
    let fresh = relay.coordinator_keys(serial, "Noor");
    let now = relay.relay.clock.unix_s();
    let certificate = lifeline::crypto::certificate::CertificateBody {
        not_before: now - 60,
        not_after: now + 14 * DAY,
        ..fresh.certificate.body().clone()
    }
    .sign(&relay.org_key())
    .expect("signed");
    CoordinatorFiles {
        certificate,
        ..fresh
    }
}

/// Signs in with `keys` and leaves: `None` if the relay let them in, else the close code it
/// refused them with.
pub async fn sign_in_refused(relay: &TestRelay, keys: &CoordinatorFiles) -> Option<u16> {
    let org = relay.relay.keys.organisation.fingerprint();
    match CoordinatorClient::connect(&relay.coordinator_url(), org, keys.copy()).await {
        Ok(_) => None,
        Err(e) => Some(
            e.close_code()
                .unwrap_or_else(|| panic!("no close code: {e}")),
        ),
    }
}
