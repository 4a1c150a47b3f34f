//! The visitor web widget, served by the relay: the built bundle committed in
//! `web-widget/dist/` is embedded in the binary (`include_bytes!`), so `cargo run` needs no
//! Node.js.
//!
//! Routes: `/` a demo page embedding the widget with its one `<script>` tag, `/help` the
//! full-page mode for a direct link, `/widget/lifeline.js` and `/widget/lifeline.css`
//! (long-cached, immutable), and `/widget/sri.json` with their sha384 Subresource Integrity
//! hashes, computed here from the embedded bytes at first use.
//!
//! What this must never do: build a page from anything in the request (no query, header,
//! cookie or path is read), serve an inline script or style (the strict CSP forbids them and
//! the pages need none), set a cookie, or serve anything but the committed bundle. The pinned
//! organisation key on the demo pages comes from the relay's own config: a real deployment
//! pins it in the organisation's own site with the SRI hash, because a relay must not be the
//! trust anchor of the code that checks it (`docs/protocol.md` §12.5).

use std::sync::{Arc, LazyLock};

use axum::Router;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use base64::Engine;

use super::state::Relay;

/// The built widget script, served at a fixed path.
pub const SCRIPT: &[u8] = include_bytes!("../../web-widget/dist/lifeline.js");
/// The built widget stylesheet, served at a fixed path.
pub const STYLESHEET: &[u8] = include_bytes!("../../web-widget/dist/lifeline.css");
const IMMUTABLE: &str = "public, max-age=31536000, immutable";

/// `sha384-<base64>` of some bytes, the form of an `integrity` attribute.
pub fn sri(bytes: &[u8]) -> String {
    let digest = ring::digest::digest(&ring::digest::SHA384, bytes);
    format!(
        "sha384-{}",
        base64::engine::general_purpose::STANDARD.encode(digest.as_ref())
    )
}

static SCRIPT_SRI: LazyLock<String> = LazyLock::new(|| sri(SCRIPT));
static STYLESHEET_SRI: LazyLock<String> = LazyLock::new(|| sri(STYLESHEET));

/// The routes serving the widget's files (cacheable, unlike everything else).
pub fn routes() -> Router<Arc<Relay>> {
    Router::new()
        .route("/", get(demo))
        .route("/help", get(help))
        .route("/widget/lifeline.js", get(script))
        .route("/widget/lifeline.css", get(stylesheet))
        .route("/widget/sri.json", get(sri_json))
}

async fn script() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, IMMUTABLE),
        ],
        SCRIPT,
    )
        .into_response()
}

async fn stylesheet() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, IMMUTABLE),
        ],
        STYLESHEET,
    )
        .into_response()
}

async fn sri_json() -> Response {
    axum::Json(serde_json::json!({
        "lifeline.js": *SCRIPT_SRI,
        "lifeline.css": *STYLESHEET_SRI,
    }))
    .into_response()
}

/// The embed snippet an organisation copies into its own site.
fn script_tag(relay: &Relay, mode: &str) -> String {
    format!(
        "<script src=\"/widget/lifeline.js\" integrity=\"{}\" crossorigin=\"anonymous\" \
         data-organisation=\"{}\" data-lang=\"en\" data-mode=\"{mode}\" defer></script>",
        *SCRIPT_SRI,
        crate::protocol::b64::encode(&relay.keys.organisation.0),
    )
}

fn html(body: String) -> Response {
    ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], body).into_response()
}

async fn demo(State(relay): State<Arc<Relay>>) -> Response {
    let tag = script_tag(&relay, "launcher");
    html(format!(
        "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <meta name=\"referrer\" content=\"no-referrer\">\n<title>Lifeline relay: widget demo</title>\n\
         <link rel=\"stylesheet\" href=\"/widget/lifeline.css\" integrity=\"{css}\" crossorigin=\"anonymous\" data-lifeline>\n\
         {tag}\n</head>\n<body>\n<main>\n<h1>Lifeline relay</h1>\n\
         <p>This relay is running. This page is a demo of the visitor widget: the \"Get help\" \
         button opens it. Organisations embed the widget on their own site with one script tag \
         and its integrity hash (<a href=\"/widget/sri.json\">sri.json</a>); the full-page mode \
         is at <a href=\"/help\">/help</a>.</p>\n\
         <p><label for=\"snippet\">Embed snippet</label><br>\n\
         <textarea id=\"snippet\" readonly rows=\"8\" cols=\"30\">{snippet}</textarea></p>\n</main>\n</body>\n</html>\n",
        css = *STYLESHEET_SRI,
        snippet = tag
            .replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;"),
    ))
}

async fn help(State(relay): State<Arc<Relay>>) -> Response {
    let tag = script_tag(&relay, "page");
    html(format!(
        "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <meta name=\"referrer\" content=\"no-referrer\">\n<title>Help</title>\n\
         <link rel=\"stylesheet\" href=\"/widget/lifeline.css\" integrity=\"{css}\" crossorigin=\"anonymous\" data-lifeline>\n\
         {tag}\n</head>\n<body>\n<noscript>This page needs JavaScript.</noscript>\n</body>\n</html>\n",
        css = *STYLESHEET_SRI,
    ))
}
