//! Issue 19, the console's side: a coordinator is told in `authed` what the server holds and
//! until when, from the relay's configuration: the very values `/v1/config` gives the widget,
//! and they follow the configuration.

use crate::common;

use common::*;

#[tokio::test]
async fn authed_says_what_the_server_holds_as_configured_and_as_the_widget_is_told() {
    let relay = TestRelay::start_with(|c| {
        c.sessions.idle_ttl_s = 900;
        c.tips.retention_days = 9;
    })
    .await;
    let c = relay.coordinator(300, "Amara").await;
    let holds = c.holds.clone().expect("authed carries holds");
    assert_eq!(holds.erase_after_idle_s, 900);
    assert_eq!(holds.tip_retention_days, 9);

    let (status, body) =
        lifeline::client::tipster::request(&relay.addr.to_string(), "GET", "/v1/config", None, &[])
            .await
            .expect("/v1/config");
    assert_eq!(status, 200);
    let config: serde_json::Value = serde_json::from_str(&body).expect("JSON");
    assert_eq!(
        config["holds"],
        serde_json::to_value(&holds).expect("holds as JSON"),
        "one source for the widget and the console"
    );
}
