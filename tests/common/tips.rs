//! A tipster's first tip as the widget files it (protocol §6): a fresh receipt code, the keys
//! it derives under the organisation's fingerprint, the tip sealed to the inbox
//! certificate's key with the code's reply key inside, and the HTTP request that files it
//! under the code's lookup id.
//!
//! It must never take a shortcut past the real sealing or the relay's real tip endpoint:
//! suites that use it test what the relay does with a tip exactly as a browser sends one.

use lifeline::client::tipster::Tipster;
use lifeline::crypto::keys::{DhPublicKey, Fingerprint};
use lifeline::crypto::receipt::{ReceiptCode, ReceiptKeys};
use lifeline::crypto::sealed_tip::{self, TipMessage};
use lifeline::protocol::TipId;
use rand_core::OsRng;

use super::TestRelay;

/// A first tip sealed under a fresh receipt code, not yet filed.
pub struct FirstTip {
    /// The code the tipster is shown and comes back with.
    pub code: ReceiptCode,
    /// What the code derives: the lookup id it is filed under and the reply key inside it.
    pub keys: ReceiptKeys,
    /// The sealed body, as the relay stores it.
    pub sealed: Vec<u8>,
}

/// Seals `text` (with `category`) as a first tip for organisation `org` and inbox key
/// `inbox`, under a fresh receipt code whose reply key it carries.
pub fn seal_first_tip(
    org: &Fingerprint,
    inbox: &DhPublicKey,
    text: &str,
    category: Option<&str>,
) -> FirstTip {
    let code = ReceiptCode::generate(&mut OsRng);
    let keys = code.derive(org);
    let tip = TipMessage {
        reply_key: Some(keys.tipster_key.public()),
        category: category.map(str::to_owned),
        text: text.into(),
    };
    let sealed = sealed_tip::seal_tip(org, inbox, &tip, &mut OsRng).expect("seal tip");
    FirstTip { code, keys, sealed }
}

/// Seals a first tip to `relay`'s organisation and inbox and files it through `tipster`
/// (which may point at another node, or carry headers); returns the id the relay gave it.
pub async fn file_first_tip(
    relay: &TestRelay,
    tipster: &Tipster,
    text: &str,
    category: Option<&str>,
) -> (TipId, FirstTip) {
    let org = relay.relay.keys.organisation.fingerprint();
    let inbox = relay.relay.keys.inbox.body().x25519_public;
    let tip = seal_first_tip(&org, &inbox, text, category);
    let id = tipster
        .submit(tip.keys.lookup_id, tip.sealed.clone())
        .await
        .expect("tip filed");
    (id, tip)
}
