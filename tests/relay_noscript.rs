//! The no-script tip path (issue 19), through the relay's real HTTP entry points: a tip sent
//! on `/tip` is sealed by the relay exactly as the browser seals one (the console opens it,
//! marked "sealed by the relay"; the code's keys are the ones the widget derives), the reply
//! is read back on `/tip/replies`, a follow-up sent from there; a replayed form is refused;
//! a spent budget shows the help numbers.

use crate::common;
use crate::noscript;

use common::*;
use lifeline::client::tipster::Tipster;
use lifeline::crypto::receipt::ReceiptCode;
use lifeline::crypto::sealed_tip::{self, SealedBy};
use noscript::*;

#[tokio::test]
async fn a_tip_without_script_is_sealed_like_the_browsers_and_its_reply_read_back() {
    let relay = TestRelay::start().await;
    let addr = relay.addr.to_string();
    let org = relay.relay.keys.organisation.fingerprint();
    let inbox = relay.relay.keys.inbox.body().x25519_public;

    let (status, page, token) = get_form(&addr, "/tip?lang=fr").await;
    assert_eq!(status, 200);
    assert!(page.contains("<html lang=\"fr\""), "{page}");
    assert!(!page.contains("<script"), "no script on the page");
    assert!(
        page.contains("voit un instant"),
        "the relay says it sees the text: {page}"
    );
    assert!(
        page.contains("30 jours"),
        "what the server holds, from the configuration"
    );
    let fields = [
        ("token", token.as_str()),
        ("lang", "fr"),
        ("text", "Ils gardent les passeports & <les> téléphones"),
        ("category", "labour"),
    ];
    let (status, receipt) = post_form(&addr, "/tip", &fields, &[]).await;
    assert_eq!(status, 200, "{receipt}");
    let shown = shown_code(&receipt);
    let code = ReceiptCode::parse(&shown).expect("a valid receipt code is shown");

    // Sent again (its answer lost on a dropped circuit), the same form files nothing and
    // says the truth: received, the code not shown again, the words back to send anew.
    let (status, again) = post_form(&addr, "/tip", &fields, &[]).await;
    assert_eq!(status, 409, "{again}");
    assert!(again.contains("déjà été reçu"), "{again}");
    assert!(!again.contains("rien n'a été envoyé"), "{again}");
    assert!(
        again.contains("passeports &amp; &lt;les&gt; téléphones</textarea>"),
        "the words back, to send anew if the code was lost: {again}"
    );
    assert_eq!(relay.tips_held().await, 1);

    // The console opens it with the inbox key, as any tip: marked sealed by the relay, with
    // the reply key the widget would derive from the same code (§6).
    let mut c = relay.on_duty(500, "Amara", 1).await;
    let id = listed_tips(&mut c).await[0].id;
    let (sealed, _) = open_tip(&mut c, id, 0).await;
    let inbox_key = relay.inbox_key();
    let (tip, by) = sealed_tip::open_tip_marked(&org, &inbox_key, &sealed).unwrap();
    assert_eq!(by, SealedBy::Relay);
    assert_eq!(tip.text, "Ils gardent les passeports & <les> téléphones");
    assert_eq!(tip.category.as_deref(), Some("labour"));
    let keys = code.derive(&org);
    assert_eq!(tip.reply_key, Some(keys.tipster_key.public()));
    assert_eq!(
        sealed_tip::open_tip(&org, &inbox_key, &sealed)
            .unwrap()
            .text,
        tip.text,
        "the console's own opening reads it"
    );
    // Filed under the code's lookup id: the JavaScript path reads the same receipt.
    assert!(
        Tipster::new(&addr)
            .replies(keys.lookup_id)
            .await
            .unwrap()
            .is_empty()
    );

    reply_to_tip(
        &relay,
        &mut c,
        id,
        &keys.tipster_key.public(),
        "Merci. Nous <agissons>.",
    )
    .await;

    // The tipster types the code (lower case, spaces) and reads the reply.
    let (_, form_page, token) = get_form(&addr, "/tip/replies?lang=fr").await;
    assert!(form_page.contains("name=\"code\""));
    let typed = shown.to_lowercase().replace('-', " ");
    let (status, replies) = post_form(
        &addr,
        "/tip/replies",
        &[("token", &token), ("lang", "fr"), ("code", &typed)],
        &[],
    )
    .await;
    assert_eq!(status, 200, "{replies}");
    assert!(
        replies.contains("Merci. Nous &lt;agissons&gt;."),
        "{replies}"
    );

    // And follows up from there: the page carries the code and a fresh token.
    let (token, code) = (hidden(&replies, "token"), hidden(&replies, "code"));
    let followup = [
        ("token", token.as_str()),
        ("lang", "fr"),
        ("code", code.as_str()),
        ("text", "Ils sont partis vers le nord"),
    ];
    let (status, sent) = post_form(&addr, "/tip/replies", &followup, &[]).await;
    assert_eq!(status, 200, "{sent}");
    assert!(sent.contains("role=\"status\""), "{sent}");
    // The same follow-up form again (its answer lost): filed once, and said so.
    let (status, again) = post_form(&addr, "/tip/replies", &followup, &[]).await;
    assert_eq!(status, 409, "{again}");
    assert!(
        again.contains("déjà été reçu, et il n&#39;est gardé"),
        "{again}"
    );
    assert!(
        !again.contains("Ils sont partis"),
        "nothing to send again: {again}"
    );
    assert!(
        again.contains("name=\"code\""),
        "the code form, to read the replies"
    );
    // Opened with exactly one follow-up (two would never match): filed once.
    let (_, followups) = open_tip(&mut c, id, 1).await;
    let (followup, by) = sealed_tip::open_followup_marked(
        &org,
        &inbox_key,
        &keys.tipster_key.public(),
        &followups[0],
    )
    .unwrap();
    assert_eq!(
        (followup.text.as_str(), by),
        ("Ils sont partis vers le nord", SealedBy::Relay)
    );

    // A mistyped code is refused before any work, saying where.
    let (_, _, token) = get_form(&addr, "/tip/replies").await;
    let mut wrong = shown.clone();
    wrong.replace_range(0..1, "0");
    let (status, page) = post_form(
        &addr,
        "/tip/replies",
        &[("token", &token), ("code", &wrong)],
        &[],
    )
    .await;
    assert_eq!(status, 400);
    assert!(page.contains("Character 1 is not used"), "{page}");
    let _ = inbox;
}

#[tokio::test]
async fn a_spent_budget_shows_the_help_numbers_and_sizes_are_held() {
    clear_of_the_hour_turn().await;
    let relay = TestRelay::start_with(|c| c.tips.noscript_per_hour = 1).await;
    let addr = relay.addr.to_string();
    let (_, _, token) = get_form(&addr, "/tip").await;
    let long = "x".repeat(10_001);
    let (status, page) = post_form(&addr, "/tip", &[("token", &token), ("text", &long)], &[]).await;
    assert_eq!(status, 400, "too long");
    assert!(page.contains("at most 10000 characters"), "{page}");
    let (status, _) = post_form(&addr, "/tip", &[("token", &token), ("text", "  ")], &[]).await;
    assert_eq!(status, 400, "empty");
    assert_eq!(relay.tips_held().await, 0);

    // The refused forms kept the token and the budget: this one is taken.
    let (status, _) = post_form(&addr, "/tip", &[("token", &token), ("text", "one")], &[]).await;
    assert_eq!(status, 200);
    let (status, page) = request_page(&addr, "/tip").await;
    assert_eq!(status, 503);
    assert!(page.contains("taken all it can for this hour"), "{page}");
    assert!(
        page.contains("href=\"tel:112\""),
        "the help numbers: {page}"
    );
    assert!(!page.contains("name=\"token\""), "no form while spent");
    let (_, _, fresh) = get_form(&addr, "/tip/replies").await;
    assert!(fresh.is_empty(), "the replies form rests too");

    // The next hour, the path opens again.
    relay
        .relay
        .clock
        .advance(std::time::Duration::from_secs(3600));
    let (status, _) = request_page(&addr, "/tip").await;
    assert_eq!(status, 200);
}

async fn request_page(addr: &str, path: &str) -> (u16, String) {
    lifeline::client::tipster::request(addr, "GET", path, None, &[])
        .await
        .unwrap()
}

#[tokio::test]
async fn what_the_server_holds_follows_the_configuration_in_config_welcome_and_pages() {
    use lifeline::protocol::RelayFrame;

    let relay = TestRelay::start_with(|c| {
        c.sessions.idle_ttl_s = 600;
        c.tips.retention_days = 7;
    })
    .await;
    let addr = relay.addr.to_string();
    let (_, config) = request_page(&addr, "/v1/config").await;
    let config: serde_json::Value = serde_json::from_str(&config).unwrap();
    assert_eq!(config["holds"]["erase_after_idle_s"], 600);
    assert_eq!(config["holds"]["tip_retention_days"], 7);
    assert_eq!(
        config["holds"]["max_waiting_messages"],
        relay.relay.config.sessions.buffer_max_frames
    );
    let (_, page) = request_page(&addr, "/tip").await;
    assert!(page.contains("at most 7 days"), "{page}");

    let (mut wire, session, seed, difficulty) = challenged(&relay).await;
    wire.send(hello(&session, &seed, difficulty)).await.unwrap();
    match wire.recv().await {
        Ok(RelayFrame::Welcome {
            erase_after_idle_s, ..
        }) => assert_eq!(erase_after_idle_s, 600),
        other => panic!("{other:?}"),
    }
}

/// The first link of a page, and the text it carries.
fn first_link(page: &str) -> (String, String) {
    let after = page.split("<a ").nth(1).unwrap_or_default();
    let href = after
        .split("href=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap_or_default();
    let text = after
        .split('>')
        .nth(1)
        .and_then(|rest| rest.split('<').next())
        .unwrap_or_default()
        .replace("&#39;", "'");
    (href.to_string(), text)
}

#[tokio::test]
async fn every_page_without_script_opens_with_the_quick_exit_and_a_replay_spends_no_budget() {
    clear_of_the_hour_turn().await;
    let neutral = "https://weather.example/today";
    let relay = TestRelay::start_with(|c| {
        c.widget.neutral_url = neutral.into();
        c.tips.noscript_per_hour = 2;
    })
    .await;
    let addr = relay.addr.to_string();
    let leads_out = |what: &str, page: &str, text: &str| {
        assert_eq!(
            first_link(page),
            (neutral.to_string(), text.to_string()),
            "{what}: the quick exit first: {page}"
        );
        assert!(
            page.contains("rel=\"noreferrer\">"),
            "{what}: no referrer: {page}"
        );
    };
    let (_, form, token) = get_form(&addr, "/tip?lang=fr").await;
    leads_out(
        "the tip form",
        &form,
        "Emergency — sortie d'urgence : quitter ce site",
    );
    let (_, codes, _) = get_form(&addr, "/tip/replies").await;
    leads_out(
        "the receipt-code form",
        &codes,
        "Emergency exit: leave this site now",
    );
    let first = [
        ("token", token.as_str()),
        ("lang", "fr"),
        ("text", "un tip"),
    ];
    let fields = first;
    let (status, receipt) = post_form(&addr, "/tip", &fields, &[]).await;
    assert_eq!(status, 200, "{receipt}");
    leads_out(
        "the receipt",
        &receipt,
        "Emergency — sortie d'urgence : quitter ce site",
    );
    let (status, refused) = post_form(&addr, "/tip", &fields, &[]).await;
    assert_eq!(status, 409, "{refused}");
    leads_out(
        "a refusal",
        &refused,
        "Emergency — sortie d'urgence : quitter ce site",
    );
    // The replay took nothing from the hour's budget of 2: one more tip goes in.
    let (_, _, second) = get_form(&addr, "/tip").await;
    let (_, _, third) = get_form(&addr, "/tip").await;
    let fields = [("token", second.as_str()), ("text", "the budget's last")];
    let (status, page) = post_form(&addr, "/tip", &fields, &[]).await;
    assert_eq!(status, 200, "{page}");
    let (status, spent) = request_page(&addr, "/tip?lang=ar").await;
    assert_eq!(status, 503, "{spent}");
    leads_out(
        "the spent budget",
        &spent,
        "Emergency — خروج طارئ: غادر هذا الموقع الآن",
    );
    // The first form sent again in the spent hour (its answer lost): still told it was
    // received, never "resting, nothing was sent", which would have it filed twice next hour.
    let (status, again) = post_form(&addr, "/tip", &first, &[]).await;
    assert_eq!(status, 409, "{again}");
    assert!(again.contains("déjà été reçu"), "{again}");

    // A form that arrives once the budget is spent is not taken, and its words come back.
    let typed = "He keeps our passports <in> the office";
    let fields = [("token", third.as_str()), ("text", typed)];
    let (status, spent) = post_form(&addr, "/tip", &fields, &[]).await;
    assert_eq!(status, 503, "{spent}");
    assert!(
        spent.contains("Nothing was sent. Your words are below")
            && spent.contains(">He keeps our passports &lt;in&gt; the office</textarea>"),
        "the words handed back, escaped: {spent}"
    );
    assert_eq!(relay.tips_held().await, 2);
    // Nor was its token used up (a spent hour records no token, so sending forms then
    // cannot fill the record every proof of work shares): it goes in the next hour.
    relay
        .relay
        .clock
        .advance(std::time::Duration::from_secs(3600));
    let (status, page) = post_form(&addr, "/tip", &fields, &[]).await;
    assert_eq!(status, 200, "{page}");
    assert_eq!(relay.tips_held().await, 3);
}

#[tokio::test]
async fn a_follow_up_refused_for_its_form_comes_back_with_its_words() {
    let relay = TestRelay::start().await;
    let addr = relay.addr.to_string();
    let (_, _, token) = get_form(&addr, "/tip").await;
    let (_, receipt) = post_form(&addr, "/tip", &[("token", &token), ("text", "a tip")], &[]).await;
    let code = shown_code(&receipt);
    // The follow-up sent with a form already used (a second tab, a resend): refused, and
    // what was typed is on the page that says so.
    let (_, _, opened_with) = get_form(&addr, "/tip/replies").await;
    let open = [("token", opened_with.as_str()), ("code", code.as_str())];
    assert_eq!(post_form(&addr, "/tip/replies", &open, &[]).await.0, 200);
    let followup = [
        ("token", opened_with.as_str()),
        ("code", code.as_str()),
        ("text", "The van comes at 5 every morning"),
    ];
    let (status, page) = post_form(&addr, "/tip/replies", &followup, &[]).await;
    assert_eq!(status, 403, "{page}");
    assert!(
        page.contains(">The van comes at 5 every morning</textarea>"),
        "{page}"
    );
}
