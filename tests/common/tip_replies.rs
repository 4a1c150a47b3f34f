//! What a tipster reads under their receipt: every reply filed, opened with the receipt's
//! key, oldest first.

use lifeline::client::tipster::Tipster;
use lifeline::crypto::receipt::ReceiptKeys;
use lifeline::crypto::sealed_tip;

/// The replies under `keys`' receipt as the tipster reads them (each must open).
pub async fn tipster_reads(
    relay: &crate::common::TestRelay,
    tipster: &Tipster,
    keys: &ReceiptKeys,
) -> Vec<String> {
    let org = relay.relay.keys.organisation.fingerprint();
    let inbox = relay.relay.keys.inbox.body().x25519_public;
    tipster
        .replies(keys.lookup_id)
        .await
        .expect("replies")
        .iter()
        .map(|r| {
            sealed_tip::open_reply(&org, &inbox, &keys.tipster_key, r)
                .expect("a reply opens with the receipt's key")
                .text
        })
        .collect()
}
