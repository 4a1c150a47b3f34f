//! The HTTP surface: health, readiness, metrics (if public), the widget's public configuration, proof-
//! of-work seeds, tip submission and reply retrieval, and the two WebSocket endpoints.
//!
//! Every response carries the security headers below and never a cookie. No handler takes
//! `ConnectInfo` or reads a forwarding header or the user agent.

use std::sync::Arc;

use axum::Router;
use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Deserialize;

use super::filed_once::{filed_and_marked, uncut};
use super::metrics::Metrics;
use super::state::Relay;
use crate::protocol::VERSION;
use crate::protocol::b64::{Bytes, Fixed};
use crate::protocol::http::{
    ErrorBody, FOLLOWUP_LIMIT, FollowupAccepted, PowSeed, PublicConfig, ReceiptQuery,
    ReceiptReplies, TIP_CLOSED, TIP_POW_CONTEXT, TipAccepted, TipSubmission,
};
use crate::store::tips::{Followup, lookup_hash};
use crate::store::{ChatStore, TipId, TipRecord};

/// The Content-Security-Policy of every response: the widget's own files, nothing else.
pub const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; \
                       base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/// Every public endpoint of the relay, with the body limit and the security headers around
/// them; `/metrics` only with `server.metrics_public`.
pub fn router(relay: Arc<Relay>, tls: bool) -> Router {
    let body_deadline = std::time::Duration::from_secs(relay.config.limits.body_timeout_s);
    let body_cap = relay
        .config
        .limits
        .max_body_bytes
        .max(super::noscript::FORM_BODY_LIMIT);
    let mut routes = Router::new();
    if relay.config.server.metrics_public {
        routes = routes.route("/metrics", get(super::metrics_endpoint::metrics));
    }
    routes
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(ready))
        .route("/v1/config", get(public_config))
        .route("/v1/pow", get(pow_seed))
        .route("/v1/tips", post(submit_tip))
        .route("/v1/receipt", post(read_replies))
        .route("/v1/receipt/followup", post(submit_followup))
        .route("/v1/visitor", get(super::visitor::upgrade))
        .route("/v1/coordinator", get(super::coordinator::upgrade))
        .merge(super::widget::routes())
        .merge(super::noscript::routes())
        .layer(DefaultBodyLimit::max(relay.config.limits.max_body_bytes))
        .layer(middleware::from_fn(move |request, next| {
            super::body_deadline::read_within(body_deadline, body_cap, request, next)
        }))
        .layer(middleware::from_fn(security_headers))
        .layer(middleware::from_fn(move |request, next| {
            strict_transport(tls, request, next)
        }))
        .with_state(relay)
}

async fn security_headers(request: Request, next: Next) -> Response {
    // The widget may call the tip endpoints from the organisation's own site: no cookies
    // or credentials exist, so a wildcard origin exposes nothing.
    let preflight = request.method() == Method::OPTIONS;
    let mut response = if preflight {
        StatusCode::NO_CONTENT.into_response()
    } else {
        next.run(request).await
    };
    let h = response.headers_mut();
    let set = |h: &mut axum::http::HeaderMap, name: &'static str, value: &'static str| {
        h.insert(name, HeaderValue::from_static(value));
    };
    // A page with a policy of its own (the no-script forms) keeps it.
    if !h.contains_key(header::CONTENT_SECURITY_POLICY) {
        set(h, "content-security-policy", CSP);
    }
    set(h, "referrer-policy", "no-referrer");
    set(h, "x-content-type-options", "nosniff");
    set(h, "x-frame-options", "DENY");
    set(
        h,
        "permissions-policy",
        "camera=(), microphone=(), geolocation=(), payment=(), usb=(), interest-cohort=()",
    );
    set(h, "cross-origin-opener-policy", "same-origin");
    set(h, "access-control-allow-origin", "*");
    set(h, "access-control-allow-methods", "GET, POST");
    set(h, "access-control-allow-headers", "content-type");
    if !h.contains_key(header::CACHE_CONTROL) {
        set(h, "cache-control", "no-store");
    }
    h.remove(header::SET_COOKIE);
    h.remove(header::SERVER);
    response
}

/// HSTS only when this relay itself serves TLS (behind a proxy, the proxy sets it).
async fn strict_transport(tls: bool, request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    if tls {
        response.headers_mut().insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=63072000; includeSubDomains"),
        );
    }
    response
}

/// How long `/readyz` waits for the store before calling it unusable.
const READY_WITHIN: std::time::Duration = std::time::Duration::from_millis(500);

async fn ready(State(relay): State<Arc<Relay>>) -> Response {
    if *relay.shutting_down.borrow() {
        return (StatusCode::SERVICE_UNAVAILABLE, "shutting down").into_response();
    }
    // Past the widget's maximum age every visitor is refused: this node cannot help anyone.
    if relay.revocations_seconds_left() < 0 {
        return (StatusCode::SERVICE_UNAVAILABLE, "revocation list stale").into_response();
    }
    // A frozen store answers nothing: not ready within half a second, whatever the client
    // library's own timeout (issue 24). Asked first: with Redis down the node cannot listen
    // either, and the operator must read the cause, not its consequence.
    let answered = tokio::time::timeout(READY_WITHIN, relay.store.queue_len()).await;
    // A node not yet (or no longer) subscribed to its channels would miss what the others
    // send it, an `end` among them: a restarted node is not ready until it listens.
    if matches!(answered, Ok(Ok(_))) && !relay.nodes.listening() {
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            "not listening to the other nodes",
        )
            .into_response();
    }
    // The detail says what the store promises (issue 24): a probe reads the status only.
    let detail = match relay.store.persistence_seen() {
        Some(p) => format!("\nstore persistence: {}", p.describe()),
        None => String::new(),
    };
    let detail = detail + &relay.tls_readiness_detail();
    match answered {
        Ok(Ok(_)) => format!("ready{detail}").into_response(),
        _ => (
            StatusCode::SERVICE_UNAVAILABLE,
            format!("store unavailable{detail}"),
        )
            .into_response(),
    }
}

async fn public_config(State(relay): State<Arc<Relay>>) -> Response {
    let w = &relay.config.widget;
    let on_duty = relay.on_duty_anywhere();
    axum::Json(PublicConfig {
        v: VERSION,
        organisation: Fixed(relay.keys.organisation.0),
        inbox_certificate: Bytes(relay.inbox_certificate().as_bytes().to_vec()),
        previous_inbox_certificates: relay
            .previous_inbox_certificates()
            .iter()
            .map(|c| Bytes(c.as_bytes().to_vec()))
            .collect(),
        revocations: Bytes(relay.revocations().as_bytes().to_vec()),
        emergency: &w.emergency,
        tip_categories: &w.tip_categories,
        tip_category_labels: &w.tip_category_labels,
        neutral_url: &w.neutral_url,
        resume_in_session_storage: w.resume_in_session_storage,
        revocations_max_age_days: w.revocations_max_age_days,
        on_duty,
        holds: super::holds::of(&relay.config),
        chat_ticket: super::ticket::issue(&relay),
    })
    .into_response()
}

async fn pow_seed(State(relay): State<Arc<Relay>>) -> Response {
    let difficulty = relay.difficulty(relay.queued_now());
    axum::Json(PowSeed {
        v: VERSION,
        seed: Fixed(relay.seeds.issue(difficulty)),
        difficulty,
    })
    .into_response()
}

fn refuse(status: StatusCode, reason: &str) -> Response {
    (
        status,
        axum::Json(ErrorBody {
            v: VERSION,
            error: reason.into(),
        }),
    )
        .into_response()
}

/// A request body within `limits.max_body_bytes`. Refusals keep the JSON error shape of
/// §9.9 (`413` for a body over the limit), where the framework would answer plain text.
struct Body(axum::body::Bytes);

impl<S: Send + Sync> axum::extract::FromRequest<S> for Body {
    type Rejection = Response;

    async fn from_request(request: Request, state: &S) -> Result<Self, Response> {
        <axum::body::Bytes as axum::extract::FromRequest<S>>::from_request(request, state)
            .await
            .map(Body)
            .map_err(|e| {
                let reason = if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
                    "request body too large"
                } else {
                    "unreadable request body"
                };
                refuse(e.status(), reason)
            })
    }
}

/// Parses a JSON body strictly (unknown fields refused) and checks the version.
fn parse<T: for<'de> Deserialize<'de>>(
    body: &[u8],
    version: impl Fn(&T) -> u8,
) -> Result<T, &'static str> {
    let value: T = serde_json::from_slice(body).map_err(|_| "malformed request")?;
    if version(&value) != VERSION {
        return Err("unsupported protocol version");
    }
    Ok(value)
}

/// Smallest and largest sealed tip: an HPKE enc, a tag and the smallest/largest bucket.
fn sealed_size_ok(sealed: &[u8]) -> bool {
    let buckets = crate::crypto::padding::TIP_BUCKETS;
    buckets
        .iter()
        .any(|b| sealed.len() == crate::crypto::sealed_tip::ENC_LEN + b + 16)
}

/// What a tip and a follow-up both need first: a strict body and a sealed size that is a
/// tip bucket. Checked before the proof-of-work is redeemed, so a refused submission does
/// not use up a seed's room in the seed book.
fn checked_submission(body: &[u8]) -> Result<TipSubmission, (StatusCode, &'static str)> {
    let tip: TipSubmission =
        parse(body, |t: &TipSubmission| t.v).map_err(|reason| (StatusCode::BAD_REQUEST, reason))?;
    if !sealed_size_ok(&tip.sealed.0) {
        return Err((StatusCode::BAD_REQUEST, "sealed tip has an invalid size"));
    }
    Ok(tip)
}

/// Redeems the submission's proof-of-work: last, once nothing else can refuse it.
async fn spend_proof_of_work(
    relay: &Relay,
    tip: &TipSubmission,
) -> Result<(), (StatusCode, &'static str)> {
    if relay
        .seeds
        .redeem(&tip.seed.0, TIP_POW_CONTEXT, tip.nonce)
        .await
    {
        Ok(())
    } else {
        Err((StatusCode::FORBIDDEN, "proof of work refused"))
    }
}

fn store_unavailable() -> Response {
    refuse(
        StatusCode::SERVICE_UNAVAILABLE,
        "tip store unavailable, retry later",
    )
}

async fn submit_tip(State(relay): State<Arc<Relay>>, Body(body): Body) -> Response {
    let tip = match checked_submission(&body) {
        Ok(tip) => tip,
        Err((status, reason)) => return refuse(status, reason),
    };
    let hash = lookup_hash(&tip.lookup.0);
    // Both checks fail closed: a store that cannot answer refuses (503) before the
    // proof-of-work is spent (F-12), never lets a duplicate or a tip past the cap through.
    match relay.tips.replies(&hash).await {
        Ok(None) => {}
        Ok(Some(_)) => {
            return refuse(
                StatusCode::CONFLICT,
                "this receipt already has a tip; send a follow-up",
            );
        }
        Err(_) => return store_unavailable(),
    }
    match relay.tips.count().await {
        Ok(waiting) if waiting < relay.config.tips.max_tips => {}
        _ => return store_unavailable(),
    }
    if let Err((status, reason)) = spend_proof_of_work(&relay, &tip).await {
        return refuse(status, reason);
    }
    let id = TipId(crate::crypto::keys::random_bytes());
    let record = TipRecord {
        id,
        lookup_hash: hash,
        received_minute: relay.clock.unix_minute(),
        sealed: tip.sealed.0,
        followups: vec![],
        replies: vec![],
        reply_copies: vec![],
        handled: false,
        holder: None,
    };
    // In a task of its own: a connection dropped meanwhile (the lost answer a resend under
    // the same receipt then meets as 409, F-57) must not cut the filing between its steps.
    let filing = relay.clone();
    if !uncut(async move { filing.tips.put(record).await.is_ok() })
        .await
        .unwrap_or(false)
    {
        return store_unavailable();
    }
    Metrics::inc(&relay.metrics.tips_received);
    tracing::debug!("sealed tip received");
    relay.tips_changed();
    axum::Json(TipAccepted { v: VERSION, id }).into_response()
}

async fn read_replies(State(relay): State<Arc<Relay>>, Body(body): Body) -> Response {
    let query: ReceiptQuery = match parse(&body, |q: &ReceiptQuery| q.v) {
        Ok(q) => q,
        Err(reason) => return refuse(StatusCode::BAD_REQUEST, reason),
    };
    match relay.tips.replies(&lookup_hash(&query.lookup.0)).await {
        Ok(Some(replies)) => axum::Json(ReceiptReplies {
            v: VERSION,
            replies: replies.into_iter().map(Bytes).collect(),
        })
        .into_response(),
        Ok(None) => refuse(
            StatusCode::NOT_FOUND,
            "no tip under this receipt (handled, expired, or mistyped)",
        ),
        // Never "not found" on doubt: the tipster would be told their tip is gone.
        Err(_) => store_unavailable(),
    }
}

/// The answer to a follow-up the store did not take (docs/protocol.md §9.9).
fn followup_refused(verdict: Followup) -> Response {
    match verdict {
        Followup::NoTip | Followup::Added => {
            refuse(StatusCode::NOT_FOUND, "no tip under this receipt")
        }
        Followup::Full => refuse(StatusCode::CONFLICT, FOLLOWUP_LIMIT),
        Followup::Closed => refuse(StatusCode::GONE, TIP_CLOSED),
    }
}

async fn submit_followup(State(relay): State<Arc<Relay>>, Body(body): Body) -> Response {
    let tip = match checked_submission(&body) {
        Ok(tip) => tip,
        Err((status, reason)) => return refuse(status, reason),
    };
    // The same follow-up sent again, its answer lost on the way (F-57): its seed marks it
    // filed, so it is accepted again and kept once. Read first: the tip may have been
    // handled since, and the seed is spent either way.
    if relay.seeds.filed_followup(&tip.seed.0).await {
        return axum::Json(FollowupAccepted { v: VERSION }).into_response();
    }
    let hash = lookup_hash(&tip.lookup.0);
    match relay
        .tips
        .followup_would_fit(&hash, tip.sealed.0.len())
        .await
    {
        Ok(Followup::Added) => {}
        Ok(refused) => return followup_refused(refused),
        Err(_) => return store_unavailable(),
    }
    if let Err((status, reason)) = spend_proof_of_work(&relay, &tip).await {
        return refuse(status, reason);
    }
    let add = {
        let relay = relay.clone();
        async move { relay.tips.add_followup(&hash, tip.sealed.0).await }
    };
    match filed_and_marked(&relay, tip.seed.0, add, |r| {
        matches!(r, Ok(Followup::Added))
    })
    .await
    {
        Some(Ok(Followup::Added)) => {
            relay.tips_changed();
            axum::Json(FollowupAccepted { v: VERSION }).into_response()
        }
        Some(Ok(refused)) => followup_refused(refused),
        Some(Err(_)) | None => store_unavailable(),
    }
}
