//! The desk's page messages (`console::desk::api::PageMessage::parse`, then `into_action`;
//! `docs/desk-api.md` §2.2): the JSON text the desk's WebSocket reads from the page, whose
//! bytes a script in the coordinator's browser, or a process holding the cookie, chose.
//!
//! Input: arbitrary UTF-8 as one WebSocket text message.
//! - What parses is a JSON object of a `type` the API names, with no field the API does not
//!   give that type (unit types included: `{"type":"lock","x":1}` is not a `lock`), within
//!   `MAX_MESSAGE_BYTES` (padded with spaces to the limit it still parses, one byte over it
//!   does not).
//! - It maps onto the core's action for its type (a `touch` onto none), carrying the very
//!   passphrase and draft text sent; its canonical re-encoding parses to the same action.
//! - Its debug form shows nothing (a passphrase or a draft never reaches a log).

#![no_main]

use libfuzzer_sys::fuzz_target;
use lifeline::console::desk::api::{MAX_MESSAGE_BYTES, PageMessage};
use lifeline::console::shift::{Action, Edit};
use serde_json::{Map, Value};

/// Per type: the fields it may carry besides `type`, and the start of its action's debug
/// form (`None`: no action), as `docs/desk-api.md` §2.2 gives them.
fn api(kind: &str) -> Option<(&'static [&'static str], Option<&'static str>)> {
    Some(match kind {
        "unlock" => (&["passphrase", "inbox_passphrase"], Some("Unlock(")),
        "touch" => (&[], None),
        "lock" => (&[], Some("Lock")),
        "duty" => (&["on"], Some("Duty(")),
        "select_queue" => (&["session"], Some("Select(Some(Queue(")),
        "select_conversation" => (&["session"], Some("Select(Some(Conversation(")),
        "show" => (&["screen"], Some("Show(")),
        "claim" => (&["session"], Some("Claim(")),
        "claim_next" => (&[], Some("ClaimNext")),
        "draft" => (&["target", "text"], Some("Edit {")),
        "resource" => (&["target", "index"], Some("InsertResource {")),
        "send" => (&["target"], Some("Send(")),
        "transfer" => (&["session", "to"], Some("Transfer {")),
        "end" => (&["session"], Some("End(")),
        "tips_refresh" => (&[], Some("RefreshTips")),
        "tip_open" => (&["id"], Some("OpenTip(")),
        "tip_handled" => (&["id"], Some("TipHandled(")),
        "tip_take" => (&["id", "over"], Some("TakeTip {")),
        "quit" => (&[], Some("Quit")),
        _ => return None,
    })
}

/// The action's debug form, and what it carries that the debug form hides or that must be
/// exactly what was sent.
fn described(action: Option<Action>) -> (String, Option<String>) {
    let Some(action) = action else {
        return (String::new(), None);
    };
    let carried = match &action {
        Action::Unlock(passphrase) => Some(passphrase.text().to_owned()),
        Action::Edit {
            edit: Edit::Replace(text),
            ..
        } => Some(text.clone()),
        _ => None,
    };
    (format!("{action:?}"), carried)
}

fn check(object: &Map<String, Value>, message: PageMessage) -> (String, Option<String>) {
    let kind = object
        .get("type")
        .and_then(Value::as_str)
        .expect("a parsed message has a type");
    let (fields, action) = api(kind).unwrap_or_else(|| panic!("an unknown type {kind:?} parsed"));
    for key in object.keys() {
        assert!(
            key == "type" || fields.contains(&key.as_str()),
            "a {kind} with the field {key:?} parsed"
        );
    }
    assert_eq!(format!("{message:?}"), "PageMessage(..)");
    let (debug, carried) = described(message.into_action());
    match action {
        Some(start) => assert!(debug.starts_with(start), "a {kind} became {debug}"),
        None => assert!(debug.is_empty(), "a {kind} became {debug}"),
    }
    let sent = match kind {
        "unlock" => object.get("passphrase"),
        "draft" => object.get("text"),
        _ => None,
    };
    assert_eq!(carried.as_deref(), sent.and_then(Value::as_str));
    (debug, carried)
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Some(message) = PageMessage::parse(text) else {
        return;
    };
    let value: Value = serde_json::from_str(text).expect("a parsed message is JSON");
    let object = value.as_object().expect("a parsed message is an object");
    let first = check(object, message);

    let canonical = serde_json::to_string(&value).expect("JSON encodes");
    let again = PageMessage::parse(&canonical).expect("the canonical form parses");
    assert_eq!(check(object, again), first, "{text} and {canonical} differ");

    let mut padded = text.to_owned();
    padded.push_str(&" ".repeat(MAX_MESSAGE_BYTES.saturating_sub(text.len())));
    assert!(
        PageMessage::parse(&padded).is_some(),
        "refused within the limit"
    );
    padded.push(' ');
    assert!(
        PageMessage::parse(&padded).is_none(),
        "parsed over the limit"
    );
});
