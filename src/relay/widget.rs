//! The visitor web widget, served by the relay: the built bundle committed in
//! `web-widget/dist/` is embedded in the binary (`include_bytes!`), so `cargo run` needs no
//! Node.js.
//!
//! Routes: `/` a demo page embedding the widget with its snippet (a plain-HTML fallback with
//! the help numbers, then the one `<script>` tag), `/help` the full-page mode for a direct
//! link, `/widget/lifeline.js` and `/widget/lifeline.css` (`no-store`: a cached copy is a
//! trace on the visitor's device; `web-widget/README.md` argues the cost), and
//! `/widget/sri.json` with their sha384 Subresource Integrity hashes, computed here from the
//! embedded bytes at first use.
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
use crate::config::EmergencyNumber;

/// The built widget script, served at a fixed path.
pub const SCRIPT: &[u8] = include_bytes!("../../web-widget/dist/lifeline.js");
/// The built widget stylesheet, served at a fixed path.
pub const STYLESHEET: &[u8] = include_bytes!("../../web-widget/dist/lifeline.css");
/// Not kept by the browser: a cached `lifeline.js` (and V8's code cache of it) would tell
/// whoever holds the device that the widget was opened.
const NOT_KEPT: &str = "no-store";

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
            (header::CACHE_CONTROL, NOT_KEPT),
        ],
        SCRIPT,
    )
        .into_response()
}

async fn stylesheet() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, NOT_KEPT),
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

/// How the widget shows itself: a launcher button on a host page, or the whole page.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    Launcher,
    Page,
}

/// Text made safe inside an HTML element or a quoted attribute.
fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

/// The snippet's plain-HTML stand-in, shown when the script never runs (JavaScript off, SRI
/// refused after an upgrade, relay down) and removed by the widget when it starts.
fn fallback(numbers: &[EmergencyNumber], mode: Mode) -> String {
    let numbers: String = numbers
        .iter()
        .map(|n| {
            let dial: String = n
                .number
                .chars()
                .filter(|c| c.is_ascii_digit() || "+*#".contains(*c))
                .collect();
            format!(
                "<li>{}: <a href=\"tel:{dial}\">{}</a></li>\n",
                escape(&n.label),
                escape(&n.number)
            )
        })
        .collect();
    let tip = if mode == Mode::Launcher {
        "<p><a href=\"/help\">Talk to someone or leave a tip</a></p>\n"
    } else {
        "<p>The chat and the tip form need JavaScript.</p>\n"
    };
    format!(
        "<div class=\"lifeline-fallback\" data-lifeline-fallback>\n\
         <p>If you are in danger now, call:</p>\n<ul>\n{numbers}</ul>\n{tip}</div>"
    )
}

/// The embed snippet an organisation copies into its own site: the fallback, then the script
/// with the same numbers for the widget to show whenever no one can answer.
fn snippet(numbers: &[EmergencyNumber], organisation: &str, mode: Mode) -> String {
    let json = serde_json::to_string(numbers).unwrap_or_default();
    let (tip, mode_name) = match mode {
        Mode::Launcher => (" data-tip-url=\"/help\"", "launcher"),
        Mode::Page => ("", "page"),
    };
    format!(
        "{fallback}\n<script src=\"/widget/lifeline.js\" integrity=\"{sri}\" crossorigin=\"anonymous\" \
         data-organisation=\"{organisation}\" data-mode=\"{mode_name}\" \
         data-numbers=\"{numbers}\"{tip} defer></script>",
        fallback = fallback(numbers, mode),
        sri = *SCRIPT_SRI,
        numbers = escape(&json),
    )
}

/// The snippet as this relay's own pages embed it.
fn relay_snippet(relay: &Relay, mode: Mode) -> String {
    snippet(
        &relay.config.widget.emergency,
        &crate::protocol::b64::encode(&relay.keys.organisation.0),
        mode,
    )
}

fn html(body: String) -> Response {
    ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], body).into_response()
}

async fn demo(State(relay): State<Arc<Relay>>) -> Response {
    let tag = relay_snippet(&relay, Mode::Launcher);
    html(format!(
        "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <meta name=\"referrer\" content=\"no-referrer\">\n<title>Lifeline relay: widget demo</title>\n\
         <link rel=\"stylesheet\" href=\"/widget/lifeline.css\" integrity=\"{css}\" crossorigin=\"anonymous\" data-lifeline>\n\
         </head>\n<body>\n<main>\n<h1>Lifeline relay</h1>\n\
         <p>This relay is running. This page is a demo of the visitor widget: the \"Get help\" \
         button opens it. Organisations embed the widget on their own site with the snippet \
         below: its script tag with the integrity hash (<a href=\"/widget/sri.json\">sri.json</a>), \
         and before it the help numbers in plain HTML, shown whenever the script cannot run; \
         the full-page mode is at <a href=\"/help\">/help</a>.</p>\n\
         <p><label for=\"snippet\">Embed snippet</label><br>\n\
         <textarea id=\"snippet\" readonly rows=\"8\" cols=\"30\">{shown}</textarea></p>\n</main>\n{tag}\n</body>\n</html>\n",
        css = *STYLESHEET_SRI,
        shown = escape(&tag),
    ))
}

async fn help(State(relay): State<Arc<Relay>>) -> Response {
    let tag = relay_snippet(&relay, Mode::Page);
    html(format!(
        "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <meta name=\"referrer\" content=\"no-referrer\">\n<title>{title}</title>\n\
         <link rel=\"stylesheet\" href=\"/widget/lifeline.css\" integrity=\"{css}\" crossorigin=\"anonymous\" data-lifeline>\n\
         </head>\n<body>\n{tag}\n</body>\n</html>\n",
        title = escape(&relay.config.widget.page_title),
        css = *STYLESHEET_SRI,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hostile() -> Vec<EmergencyNumber> {
        vec![EmergencyNumber {
            label: "<script>alert('x')</script> & \"help\"".into(),
            number: "+33 (0)1 23\" onclick=\"x".into(),
            labels: [("fr".to_owned(), "<b>aide</b>".to_owned())].into(),
        }]
    }

    #[test]
    fn fallback_escapes_labels_and_dials_only_phone_characters() {
        let html = fallback(&hostile(), Mode::Launcher);
        assert!(!html.contains("<script>"), "{html}");
        assert!(
            html.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;help&quot;")
        );
        assert!(html.contains("href=\"tel:+330123\""), "{html}");
        assert!(!html.contains("onclick=\""), "{html}");
        assert!(
            html.contains("href=\"/help\""),
            "the launcher's fallback links to the help page"
        );
        assert!(!fallback(&hostile(), Mode::Page).contains("href=\"/help\""));
    }

    #[test]
    fn snippet_carries_the_numbers_as_escaped_json_after_its_fallback() {
        let tag = snippet(&hostile(), "ORG", Mode::Launcher);
        let fallback_at = tag.find("data-lifeline-fallback").unwrap_or(usize::MAX);
        assert!(fallback_at < tag.find("<script").unwrap_or(0));
        let attr = tag
            .split("data-numbers=\"")
            .nth(1)
            .and_then(|rest| rest.split('"').next())
            .unwrap_or_default();
        let json = attr
            .replace("&quot;", "\"")
            .replace("&#39;", "'")
            .replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&amp;", "&");
        let parsed: Vec<EmergencyNumber> = serde_json::from_str(&json).unwrap_or_default();
        assert_eq!(
            parsed,
            hostile(),
            "the attribute decodes back to the config's numbers"
        );
        assert!(tag.contains("data-tip-url=\"/help\""));
        assert!(!snippet(&hostile(), "ORG", Mode::Page).contains("data-tip-url"));
    }
}
