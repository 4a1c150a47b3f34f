//! `/tip` and `/tip/replies`: sending a tip, reading replies and following up with
//! JavaScript off (Tor Browser at "Safest"), `docs/protocol.md` §9.11.
//!
//! The relay does here what the widget does in the browser: it draws the receipt code,
//! derives the keys from it (§6), seals the tip to the inbox key (§5, marked "sealed by the
//! relay"), files it, shows the code once, and forgets the text, the code and the keys
//! (zeroized; never logged, never stored). The pages say so plainly. Abuse control without
//! script or address: a signed, expiring, single-use form token ([`token`]), strict sizes,
//! and a global hourly budget ([`budget`]) after which the page shows the help numbers.
//!
//! Must never log, store or put in a URL what a tipster typed or their receipt code, read
//! any header, address or cookie, or serve a script.

pub mod budget;

use budget::Room;
pub mod page;
pub mod texts;
pub mod token;

use std::sync::Arc;

use axum::Router;
use axum::extract::{DefaultBodyLimit, RawQuery, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use rand_core::OsRng;
use serde::Deserialize;
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

use super::filed_once::filed_and_marked;
use super::metrics::Metrics;
use super::state::Relay;
use crate::crypto::keys::{DhPublicKey, DhSecret};
use crate::crypto::receipt::{ReceiptCode, ReceiptError};
use crate::crypto::sealed_tip::{self, SealedBy, TipMessage};
use crate::store::TipRecord;
use crate::store::tips::{Followup, lookup_hash};
use page::{MAX_CHARS, Setting};
use texts::Words;

/// The policy of these pages: no script at all, forms posting only here.
pub const CSP: &str = "default-src 'none'; style-src 'self'; img-src 'self'; base-uri 'none'; \
                       form-action 'self'; frame-ancestors 'none'";

/// A form's body at most: the longest text, each character up to 4 UTF-8 bytes, each byte
/// percent-encoded, and the few other fields.
pub const FORM_BODY_LIMIT: usize = MAX_CHARS * 4 * 3 + 4096;

/// The no-script routes.
pub fn routes() -> Router<Arc<Relay>> {
    Router::new()
        .route("/tip", get(tip_page).post(send_tip))
        .route("/tip/replies", get(replies_page).post(open_receipt))
        .route("/tip/style.css", get(style))
        .layer(DefaultBodyLimit::max(FORM_BODY_LIMIT))
}

/// What a form sends; wiped when dropped. Public for the fuzz target `noscript_form`.
#[derive(Default, Deserialize, Zeroize, ZeroizeOnDrop)]
pub struct Form {
    /// The form's single-use token ([`token`]).
    #[serde(default)]
    pub token: String,
    /// The language the page was shown in.
    #[serde(default)]
    pub lang: String,
    /// The tip or follow-up as typed.
    #[serde(default)]
    pub text: String,
    /// The category chosen, if the operator offers any.
    #[serde(default)]
    pub category: String,
    /// The receipt code as typed.
    #[serde(default)]
    pub code: String,
}

impl Form {
    /// Parses a form body, then wipes the body's bytes (what the HTTP stack buffered before
    /// is freed, not wiped: the page says the relay saw the text). A body that is not a
    /// form gives the empty form.
    pub fn read(body: axum::body::Bytes) -> Self {
        let form = serde_urlencoded::from_bytes(&body).unwrap_or_default();
        if let Ok(mut bytes) = body.try_into_mut() {
            bytes.zeroize();
        }
        form
    }
}

#[derive(Deserialize)]
struct Lang {
    lang: Option<String>,
}

/// The language asked for in `?lang=`, among those shipped (English otherwise).
fn words_of(query: Option<String>) -> &'static Words {
    let lang = query.and_then(|q| serde_urlencoded::from_str::<Lang>(&q).ok()?.lang);
    texts::of(lang.as_deref())
}

fn setting(relay: &Relay) -> Setting<'_> {
    Setting {
        numbers: &relay.config.widget.emergency,
        retention_days: relay.config.tips.retention_days,
        exit_url: &relay.config.widget.neutral_url,
    }
}

fn html(status: StatusCode, body: String) -> Response {
    let mut response = (
        status,
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        body,
    )
        .into_response();
    response.headers_mut().insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    response
}

/// A page of the path `path` titled by the word `title`.
fn page(
    relay: &Relay,
    words: &Words,
    status: StatusCode,
    path: &str,
    title: &str,
    body: &str,
) -> Response {
    let setting = setting(relay);
    html(
        status,
        page::layout(words, &setting, path, words.get(title), body),
    )
}

/// The page shown when this hour's budget is spent: why, the help numbers, and the words of
/// a form that came in just then (`text`), handed back.
fn spent(relay: &Relay, words: &Words, path: &str, text: &str) -> Response {
    let body = page::notice("alert", words.get("ns_spent")) + &page::kept_text(words, text);
    page(
        relay,
        words,
        StatusCode::SERVICE_UNAVAILABLE,
        path,
        "tip",
        &body,
    )
}

fn fresh_token(relay: &Relay) -> String {
    token::issue(&relay.seeds, relay.clock.unix_s())
}

/// The categories the operator offers, labelled in the tipster's language.
fn categories(relay: &Relay, words: &Words) -> Vec<(String, String)> {
    let w = &relay.config.widget;
    w.tip_categories
        .iter()
        .map(|c| {
            let label = w
                .tip_category_labels
                .get(words.lang)
                .and_then(|l| l.get(c))
                .unwrap_or(c);
            (c.clone(), label.clone())
        })
        .collect()
}

/// The tip form, with a notice above it and the tipster's text put back.
fn tip_form(
    relay: &Relay,
    words: &Words,
    status: StatusCode,
    notice: &str,
    text: &str,
) -> Response {
    let form = page::tip_form(words, &categories(relay, words), &fresh_token(relay), text);
    page(
        relay,
        words,
        status,
        "/tip",
        "tip",
        &format!("{notice}{form}"),
    )
}

async fn tip_page(State(relay): State<Arc<Relay>>, RawQuery(query): RawQuery) -> Response {
    let words = words_of(query);
    match relay.noscript.left(relay.clock.unix_s()).await {
        Room::Left => tip_form(&relay, words, StatusCode::OK, "", ""),
        Room::Spent => spent(&relay, words, "/tip", ""),
        Room::Unknown => tip_form(
            &relay,
            words,
            StatusCode::SERVICE_UNAVAILABLE,
            &down(words),
            "",
        ),
    }
}

async fn style() -> Response {
    (
        [(header::CONTENT_TYPE, "text/css; charset=utf-8")],
        page::STYLE,
    )
        .into_response()
}

/// Why a submission is refused before any work is done.
enum Refusal {
    Empty,
    TooLong,
    Stale,
    /// This very form was sent before and filed what it carried: its answer was lost on the
    /// way (a dropped circuit), and it came again. Filed once, and said so.
    AlreadyFiled,
    Spent,
    /// The store cannot count the hour's budget: nothing to do with this form.
    Unavailable,
}

/// The notice when the store cannot be reached: not "resting" (that is the budget), but
/// "try again".
fn down(words: &Words) -> String {
    page::notice("alert", words.get("tip_error"))
}

/// The checks every submission passes before the slow derivation, in this order: the
/// text's size, the token (checked, and not one whose form filed what it carried), the
/// budget (has room), the token (used up), then the budget (taken). Gives back the used
/// token, to mark once what the form carried is filed.
async fn admit(relay: &Relay, form: &Form, needs_text: bool) -> Result<token::Valid, Refusal> {
    if needs_text && form.text.trim().is_empty() {
        return Err(Refusal::Empty);
    }
    if form.text.chars().count() > MAX_CHARS {
        return Err(Refusal::TooLong);
    }
    let now = relay.clock.unix_s();
    let valid = token::check(&relay.seeds, &form.token, now).ok_or(Refusal::Stale)?;
    // First, before the budget: a form that filed what it carried, sent again, is told so
    // even in an hour that is spent or a store that cannot count (a read: records nothing).
    if valid.was_filed(&relay.seeds).await {
        return Err(Refusal::AlreadyFiled);
    }
    // Nothing is recorded once the hour is spent: tokens cost no work to get, and each one
    // used up is held for its lifetime in the record every proof of work shares (bounded:
    // filled, it would refuse the widget's tips and chats too). So the path records at most
    // its budget an hour, and a form refused for the budget can be sent again next hour.
    match relay.noscript.left(now).await {
        Room::Left => {}
        Room::Spent => return Err(Refusal::Spent),
        Room::Unknown => return Err(Refusal::Unavailable),
    }
    // Used up before the budget is taken: a replayed form must not spend the hour's budget
    // (one token sent again and again closed the path for everyone). Every form shown
    // again after this point carries a fresh token, so nothing is lost by using it first.
    if !valid.spend(&relay.seeds).await {
        return Err(Refusal::Stale);
    }
    match relay.noscript.take(now).await {
        Room::Left => {}
        Room::Spent => return Err(Refusal::Spent),
        Room::Unknown => return Err(Refusal::Unavailable),
    }
    Ok(valid)
}

fn refusal_notice(words: &Words, refusal: &Refusal) -> String {
    let text = match refusal {
        Refusal::Empty => words.get("tip_empty").to_owned(),
        Refusal::TooLong => words.fill("ns_too_long", "n", MAX_CHARS),
        Refusal::Stale | Refusal::Spent => words.get("ns_stale").to_owned(),
        // Said where the form is answered: a tip and a follow-up differ.
        Refusal::AlreadyFiled => words.get("ns_tip_already").to_owned(),
        Refusal::Unavailable => words.get("tip_error").to_owned(),
    };
    page::notice("alert", &text)
}

fn refusal_status(refusal: &Refusal) -> StatusCode {
    match refusal {
        Refusal::Empty | Refusal::TooLong => StatusCode::BAD_REQUEST,
        Refusal::Stale => StatusCode::FORBIDDEN,
        Refusal::AlreadyFiled => StatusCode::CONFLICT,
        Refusal::Spent | Refusal::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
    }
}

/// What the slow part of a submission gives back: the code to show once, and where the tip
/// is filed with its sealed bytes.
struct Sealed {
    code: Zeroizing<String>,
    lookup: [u8; 32],
    sealed: Vec<u8>,
}

/// Draws a receipt code, derives its keys and seals the tip (slow: off the async threads).
async fn seal_new_tip(
    relay: &Arc<Relay>,
    text: String,
    category: Option<String>,
) -> Option<Sealed> {
    let relay = relay.clone();
    tokio::task::spawn_blocking(move || {
        let org = relay.keys.organisation.fingerprint();
        let inbox = relay.inbox_certificate().body().x25519_public;
        let code = ReceiptCode::generate(&mut OsRng);
        let mut keys = code.derive(&org);
        let mut tip = TipMessage {
            reply_key: Some(keys.tipster_key.public()),
            category,
            text,
        };
        let sealed = sealed_tip::seal_tip_as(&org, &inbox, &tip, SealedBy::Relay, &mut OsRng).ok();
        tip.text.zeroize();
        let lookup = keys.lookup_id;
        keys.lookup_id.zeroize();
        Some(Sealed {
            code: code.display(),
            lookup,
            sealed: sealed?,
        })
    })
    .await
    .ok()
    .flatten()
}

async fn send_tip(State(relay): State<Arc<Relay>>, body: axum::body::Bytes) -> Response {
    let mut form = Form::read(body);
    let words = texts::of(Some(form.lang.as_str()));
    let used = match admit(&relay, &form, true).await {
        Ok(used) => used,
        Err(Refusal::Spent) => return spent(&relay, words, "/tip", &form.text),
        Err(refusal) => {
            let notice = refusal_notice(words, &refusal);
            return tip_form(&relay, words, refusal_status(&refusal), &notice, &form.text);
        }
    };
    let category = relay
        .config
        .widget
        .tip_categories
        .iter()
        .find(|c| **c == form.category)
        .cloned();
    let error = || page::notice("alert", words.get("tip_error"));
    // A store that cannot count refuses like a full one: the cap is never passed on doubt.
    if !matches!(relay.tips.count().await, Ok(n) if n < relay.config.tips.max_tips) {
        return tip_form(
            &relay,
            words,
            StatusCode::SERVICE_UNAVAILABLE,
            &error(),
            &form.text,
        );
    }
    let text = std::mem::take(&mut form.text);
    // Handed back if the tip cannot be filed: the tipster's words are never lost to a fault.
    let kept = Zeroizing::new(text.clone());
    let Some(mut sealed) = seal_new_tip(&relay, text, category).await else {
        return tip_form(
            &relay,
            words,
            StatusCode::INTERNAL_SERVER_ERROR,
            &error(),
            &kept,
        );
    };
    let record = TipRecord {
        id: crate::store::TipId(crate::crypto::keys::random_bytes()),
        lookup_hash: lookup_hash(&sealed.lookup),
        received_minute: relay.clock.unix_minute(),
        sealed: std::mem::take(&mut sealed.sealed),
        followups: vec![],
        replies: vec![],
        reply_copies: vec![],
        handled: false,
        holder: None,
    };
    sealed.lookup.zeroize();
    let put = {
        let relay = relay.clone();
        async move { relay.tips.put(record).await.is_ok() }
    };
    if filed_and_marked(&relay, used.token(), put, |filed| *filed).await != Some(true) {
        return tip_form(
            &relay,
            words,
            StatusCode::SERVICE_UNAVAILABLE,
            &error(),
            &kept,
        );
    }
    drop(kept);
    Metrics::inc(&relay.metrics.tips_received);
    tracing::debug!("sealed tip received (no-script path)");
    relay.tips_changed();
    let body = page::receipt(words, &sealed.code);
    page(
        &relay,
        words,
        StatusCode::OK,
        "/tip",
        "receipt_title",
        &body,
    )
}

async fn replies_page(State(relay): State<Arc<Relay>>, RawQuery(query): RawQuery) -> Response {
    let words = words_of(query);
    match relay.noscript.left(relay.clock.unix_s()).await {
        Room::Left => code_form(&relay, words, StatusCode::OK, ""),
        Room::Spent => spent(&relay, words, "/tip/replies", ""),
        Room::Unknown => code_form(&relay, words, StatusCode::SERVICE_UNAVAILABLE, &down(words)),
    }
}

fn code_form(relay: &Relay, words: &Words, status: StatusCode, notice: &str) -> Response {
    let form = page::code_form(words, &fresh_token(relay));
    page(
        relay,
        words,
        status,
        "/tip/replies",
        "return_title",
        &format!("{notice}{form}"),
    )
}

fn code_error(words: &Words, error: &ReceiptError) -> String {
    let text = match error {
        ReceiptError::Length(n) => words.fill("err_length", "n", n),
        ReceiptError::Character { position } => words.fill("err_character", "n", position),
        ReceiptError::Check => words.get("err_check").to_owned(),
    };
    page::notice("alert", &text)
}

/// What the slow part of opening a receipt gives back.
struct Opened {
    /// Replies opened with the receipt's key, oldest first; `None` if no tip is filed.
    replies: Option<Vec<String>>,
    /// What became of a follow-up, if one was sent.
    followup: Option<Followup>,
}

/// Derives the receipt's keys, reads and opens the replies, then files the follow-up (if
/// any); `None` if the store cannot say, and then no follow-up was filed.
///
/// Every read comes before the one write, on purpose: a replies read failing after the
/// follow-up was filed showed "try again", and the tipster sending the same words again
/// filed them twice. Now "try again" means nothing was filed (the page hands the words
/// back), and nothing that can fail follows a follow-up filed. The one write whose answer
/// is lost on its way back (a dropped circuit) is covered by the form's token: marked once
/// the follow-up is filed, the same form sent again is told it was, and files nothing.
async fn open_with_code(
    relay: &Arc<Relay>,
    used: token::Valid,
    code: ReceiptCode,
    text: &str,
) -> Option<Opened> {
    let org = relay.keys.organisation.fingerprint();
    let inbox = relay.inbox_certificate().body().x25519_public;
    // Replies sealed before a rotation came from a retired inbox key (§2.5): tried after it.
    let repliers: Vec<_> = std::iter::once(inbox)
        .chain(
            relay
                .previous_inbox_certificates()
                .iter()
                .map(|c| c.body().x25519_public),
        )
        .collect();
    let mut keys = tokio::task::spawn_blocking(move || code.derive(&org))
        .await
        .ok()?;
    let hash = lookup_hash(&keys.lookup_id);
    keys.lookup_id.zeroize();
    // A store that cannot say gives the "try again" page (`None`), never "not found".
    let fits = if text.trim().is_empty() {
        None
    } else {
        let verdict = relay
            .tips
            .followup_would_fit(&hash, sealed_tip::MAX_SEALED_LEN)
            .await;
        Some(verdict.ok()?)
    };
    let Some(sealed) = relay.tips.replies(&hash).await.ok()? else {
        return Some(Opened {
            replies: None,
            followup: None,
        });
    };
    let replies = sealed
        .iter()
        .filter_map(|s| {
            repliers
                .iter()
                .find_map(|from| sealed_tip::open_reply(&org, from, &keys.tipster_key, s).ok())
        })
        .map(|m| m.text)
        .collect();
    let followup = match fits {
        Some(Followup::Added) => {
            Some(file_followup(relay, used, &hash, &inbox, &keys.tipster_key, text).await?)
        }
        verdict => verdict,
    };
    if followup == Some(Followup::Added) {
        relay.tips_changed();
    }
    Some(Opened {
        replies: Some(replies),
        followup,
    })
}

/// Seals `text` as a follow-up from the receipt's key and files it, marking the form's token
/// once it is; `None` if it could not be sealed or the store could not say.
async fn file_followup(
    relay: &Arc<Relay>,
    used: token::Valid,
    hash: &[u8; 32],
    inbox: &DhPublicKey,
    tipster_key: &DhSecret,
    text: &str,
) -> Option<Followup> {
    let org = relay.keys.organisation.fingerprint();
    let message = TipMessage {
        reply_key: None,
        category: None,
        text: text.to_owned(),
    };
    let sealed = sealed_tip::seal_followup_as(
        &org,
        inbox,
        tipster_key,
        &message,
        SealedBy::Relay,
        &mut OsRng,
    );
    // Wiped on every path, a failed one too.
    drop(Zeroizing::new(message.text));
    let sealed = sealed.ok()?;
    let add = {
        let (relay, hash) = (relay.clone(), *hash);
        async move { relay.tips.add_followup(&hash, sealed).await.ok() }
    };
    filed_and_marked(relay, used.token(), add, |f| *f == Some(Followup::Added))
        .await
        .flatten()
}

async fn open_receipt(State(relay): State<Arc<Relay>>, body: axum::body::Bytes) -> Response {
    let form = Form::read(body);
    let words = texts::of(Some(form.lang.as_str()));
    let code = match ReceiptCode::parse(&form.code) {
        Ok(code) => code,
        Err(e) => {
            return code_form(
                &relay,
                words,
                StatusCode::BAD_REQUEST,
                &code_error(words, &e),
            );
        }
    };
    let used = match admit(&relay, &form, false).await {
        Ok(used) => used,
        Err(Refusal::Spent) => return spent(&relay, words, "/tip/replies", &form.text),
        // Its follow-up was filed; the replies are one code away, and opening them again
        // here would let a replayed form make the relay stretch keys outside the budget.
        Err(Refusal::AlreadyFiled) => {
            let notice = page::notice("status", words.get("ns_followup_already"));
            return code_form(&relay, words, StatusCode::CONFLICT, &notice);
        }
        Err(refusal) => {
            // A follow-up's words come back with the code form (its code is not shown again).
            let notice = refusal_notice(words, &refusal) + &page::kept_text(words, &form.text);
            return code_form(&relay, words, refusal_status(&refusal), &notice);
        }
    };
    let shown = code.display();
    // Words not filed come back on the page ("nothing was sent"), whatever the reason: a
    // tipster sends them again knowing they were not kept, and never loses them.
    let Some(opened) = open_with_code(&relay, used, code, &form.text).await else {
        let notice = down(words) + &page::kept_text(words, &form.text);
        return code_form(&relay, words, StatusCode::SERVICE_UNAVAILABLE, &notice);
    };
    let kept = match opened.followup {
        Some(Followup::Added) => String::new(),
        _ => page::kept_text(words, &form.text),
    };
    let Some(mut replies) = opened.replies else {
        let notice = page::notice("alert", words.get("not_found")) + &kept;
        return code_form(&relay, words, StatusCode::NOT_FOUND, &notice);
    };
    let (status, notice) = match opened.followup {
        None => (StatusCode::OK, String::new()),
        Some(Followup::Added) => (
            StatusCode::OK,
            page::notice("status", words.get("followup_sent")),
        ),
        Some(Followup::Closed) => (
            StatusCode::GONE,
            page::notice("alert", words.get("tipclosed_followup")),
        ),
        Some(Followup::NoTip) => (
            StatusCode::NOT_FOUND,
            page::notice("alert", words.get("not_found")),
        ),
        Some(Followup::Full) => (
            StatusCode::CONFLICT,
            page::notice("alert", words.get("tip_error")),
        ),
    };
    let list = page::replies(words, &replies, &shown, &fresh_token(&relay));
    for reply in &mut replies {
        reply.zeroize();
    }
    page(
        &relay,
        words,
        status,
        "/tip/replies",
        "replies_title",
        &format!("{notice}{kept}{list}"),
    )
}
