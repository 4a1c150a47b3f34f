//! A visitor as most suites need one: a chat in English, connected to a relay given by its
//! address (a node process, a second node), reached as a browser would.
//!
//! It must never send anything a visitor would not: no extra header, no other clock.

use super::*;
use lifeline::client::reach::Reach;
use lifeline::crypto::keys::OrgPublicKey;

/// A new visitor (a chat, in English) connected to the visitor endpoint at `url`.
pub async fn chat_visitor_at(url: &str, org: OrgPublicKey) -> VisitorClient {
    VisitorClient::connect(
        url,
        org,
        ConversationKind::Chat,
        Some("en"),
        Reach::default(),
    )
    .await
    .expect("visitor connects")
}
