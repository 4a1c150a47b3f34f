//! The visitor web widget, served by the relay: the built bundle committed in
//! `web-widget/dist/` is embedded in the binary (`include_bytes!`), so `cargo run` needs no
//! Node.js.
//!
//! Routes: `/` a demo page embedding the widget with its snippet (a plain-HTML fallback with
//! the help numbers, then the one `<script>` tag), `/help` the full-page mode for a direct
//! link, `/widget/lifeline.js`, `/widget/lifeline.css` and the proof-of-work worker's own small
//! script `/widget/pow-worker.js` (`no-store`: a cached copy is a
//! trace on the visitor's device; `web-widget/README.md` argues the cost), and
//! `/widget/sri.json` with their sha384 Subresource Integrity hashes, computed here from the
//! embedded bytes at first use. The two pages are gzipped per request when the browser accepts
//! it (they hold the relay's config). The two assets go out pre-compressed when the browser accepts
//! it (`dist/*.br`, `dist/*.gz`, built reproducibly beside each file; [`crate::precompressed`]),
//! with `Vary: Accept-Encoding`; the integrity hash is over the decoded bytes, so it is the same
//! whichever encoding is sent.
//!
//! What this must never do: build a page from anything in the request (no query, header,
//! cookie or path is read; `Accept-Encoding` only picks which of three fixed byte strings
//! goes out, and is neither logged nor kept; the one exception is the demo page `/`, which
//! shows its snippet with the `Host` the browser used, only if it is a plain host name or
//! address, escaped, and neither logged nor kept), serve an inline script or style (the strict CSP forbids them and
//! the pages need none), set a cookie, or serve anything but the committed bundle. The pinned
//! organisation key on the demo pages comes from the relay's own config: a real deployment
//! pins it in the organisation's own site with the SRI hash, because a relay must not be the
//! trust anchor of the code that checks it (`docs/protocol.md` §12.5).

use std::sync::{Arc, LazyLock};

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use base64::Engine;

use super::state::Relay;
use crate::config::EmergencyNumber;
use crate::precompressed::{Asset, accepts, serve};

/// The built widget script, served at a fixed path.
pub const SCRIPT: &[u8] = include_bytes!("../../web-widget/dist/lifeline.js");
/// The built widget stylesheet, served at a fixed path.
pub const STYLESHEET: &[u8] = include_bytes!("../../web-widget/dist/lifeline.css");

const SCRIPT_ASSET: Asset = Asset {
    plain: SCRIPT,
    brotli: include_bytes!("../../web-widget/dist/lifeline.js.br"),
    gzip: include_bytes!("../../web-widget/dist/lifeline.js.gz"),
    content_type: "text/javascript; charset=utf-8",
};

/// The search worker's script: a worker fetches its script afresh, so it is not the widget's.
const WORKER_ASSET: Asset = Asset {
    plain: include_bytes!("../../web-widget/dist/pow-worker.js"),
    brotli: include_bytes!("../../web-widget/dist/pow-worker.js.br"),
    gzip: include_bytes!("../../web-widget/dist/pow-worker.js.gz"),
    content_type: "text/javascript; charset=utf-8",
};

const STYLESHEET_ASSET: Asset = Asset {
    plain: STYLESHEET,
    brotli: include_bytes!("../../web-widget/dist/lifeline.css.br"),
    gzip: include_bytes!("../../web-widget/dist/lifeline.css.gz"),
    content_type: "text/css; charset=utf-8",
};

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

/// The routes serving the widget's files, its demo page and its no-script help page; like
/// every response, never kept by the browser ([`crate::precompressed::NOT_KEPT`]).
pub fn routes() -> Router<Arc<Relay>> {
    Router::new()
        .route("/", get(demo))
        .route("/help", get(help))
        .route("/widget/lifeline.js", get(script))
        .route("/widget/lifeline.css", get(stylesheet))
        .route("/widget/pow-worker.js", get(worker))
        .route("/widget/sri.json", get(sri_json))
}

async fn script(headers: HeaderMap) -> Response {
    serve(&SCRIPT_ASSET, &headers)
}

async fn worker(headers: HeaderMap) -> Response {
    serve(&WORKER_ASSET, &headers)
}

async fn stylesheet(headers: HeaderMap) -> Response {
    serve(&STYLESHEET_ASSET, &headers)
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
pub(crate) fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

/// One help number as a list item: its label, and a `tel:` link that dials only phone
/// characters whatever the configuration holds.
pub(crate) fn number_item(label: &str, number: &str) -> String {
    let dial: String = number
        .chars()
        .filter(|c| c.is_ascii_digit() || "+*#".contains(*c))
        .collect();
    format!(
        "<li>{}: <a href=\"tel:{dial}\">{}</a></li>\n",
        escape(label),
        escape(number)
    )
}

/// The snippet's plain-HTML stand-in, shown when the script never runs (JavaScript off, SRI
/// refused after an upgrade, relay down) and removed by the widget when it starts. On the
/// full page it is drawn in the widget's own frame with the quick exit first (a plain link to
/// `exit_url`), where the widget's own quick exit then appears: help is on screen, and the
/// way out, before a byte of script has arrived.
fn fallback(numbers: &[EmergencyNumber], mode: Mode, exit_url: &str) -> String {
    let numbers: String = numbers
        .iter()
        .map(|n| number_item(&n.label, &n.number))
        .collect();
    let help = format!("<p>If you are in danger now, call:</p>\n<ul>\n{numbers}</ul>\n");
    // The tip form works without script (`/tip`, protocol §9.11); the chat does not.
    match mode {
        Mode::Launcher => format!(
            "<div class=\"lifeline-fallback\" data-lifeline-fallback>\n{help}\
             <p><a href=\"/help\">Talk to someone or leave a tip</a></p>\n\
             <p><a href=\"/tip\">Leave a tip without JavaScript</a></p>\n</div>"
        ),
        Mode::Page => format!(
            "<div class=\"lifeline lifeline-page lifeline-fallback\" data-lifeline-fallback>\n\
             <div class=\"ll-panel\">\n<div class=\"ll-top\"><a class=\"ll-exit\" href=\"{exit}\" \
             rel=\"noreferrer\">Emergency exit: leave this site now</a></div>\n{help}\
             <p>The chat needs JavaScript. <a href=\"/tip\">Leave a tip without JavaScript</a>.</p>\n</div>\n</div>",
            exit = escape(exit_url),
        ),
    }
}

/// The embed snippet an organisation copies into its own site: the fallback, then the script
/// with the same numbers for the widget to show whenever no one can answer, the revocation
/// list's maximum age the widget enforces (§2.2: the page pins it, the relay cannot loosen it),
/// and the quick exit's target: pinned by the page, it holds even when `/v1/config` never
/// loads (the widget left for `about:blank` then, a blank tab that draws the eye).
fn snippet(
    numbers: &[EmergencyNumber],
    organisation: &str,
    max_age_s: u64,
    mode: Mode,
    exit_url: &str,
) -> String {
    let json = serde_json::to_string(numbers).unwrap_or_default();
    // No `data-tip-url`: the widget shows it only when this relay's config failed, and a
    // page on this relay (its /help) fails the same way, so it drops such a link.
    let mode_name = match mode {
        Mode::Launcher => "launcher",
        Mode::Page => "page",
    };
    format!(
        "{fallback}\n<script src=\"/widget/lifeline.js\" integrity=\"{sri}\" crossorigin=\"anonymous\" \
         data-organisation=\"{organisation}\" data-mode=\"{mode_name}\" \
         data-revocation-max-age=\"{max_age_s}\" data-exit-url=\"{exit}\" \
         data-numbers=\"{numbers}\" defer></script>",
        fallback = fallback(numbers, mode, exit_url),
        sri = *SCRIPT_SRI,
        exit = escape(exit_url),
        numbers = escape(&json),
    )
}

/// The snippet as this relay's own pages embed it.
fn relay_snippet(relay: &Relay, mode: Mode) -> String {
    snippet(
        &relay.config.widget.emergency,
        &crate::protocol::b64::encode(&relay.keys.organisation.0),
        relay.config.widget.revocations_max_age_days * 86_400,
        mode,
        &relay.config.widget.neutral_url,
    )
}

/// A page of the relay's own, gzipped when the browser takes it (built per request: it holds
/// the relay's config, a few KiB), always with `Vary: Accept-Encoding`.
fn html(page: String, headers: &HeaderMap) -> Response {
    let gzipped = accepts(headers.get(header::ACCEPT_ENCODING), "gzip")
        .then(|| gzip(page.as_bytes()))
        .flatten();
    let mut response = match gzipped {
        Some(body) => (
            [
                (header::CONTENT_TYPE, "text/html; charset=utf-8"),
                (header::CONTENT_ENCODING, "gzip"),
            ],
            body,
        )
            .into_response(),
        None => ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], page).into_response(),
    };
    // Any cache between must not hand the gzipped page to a browser that did not ask for it.
    response
        .headers_mut()
        .insert(header::VARY, HeaderValue::from_static("Accept-Encoding"));
    response
}

/// A whole page of the relay's own: the stylesheet (with its hash) in `<head>`, so whatever
/// the body draws first is styled before any script.
fn document(title: &str, body: &str) -> String {
    format!(
        "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <meta name=\"referrer\" content=\"no-referrer\">\n<title>{title}</title>\n\
         <link rel=\"stylesheet\" href=\"/widget/lifeline.css\" integrity=\"{css}\" crossorigin=\"anonymous\" data-lifeline>\n\
         </head>\n<body>\n{body}\n</body>\n</html>\n",
        css = *STYLESHEET_SRI,
    )
}

/// The snippet as another site must embed it: every address absolute, on `origin`, and
/// `data-relay` naming it (relative, the script and its links would load from that site).
fn for_another_site(tag: &str, origin: &str) -> String {
    tag.replace("src=\"/widget/", &format!("src=\"{origin}/widget/"))
        .replace("href=\"/", &format!("href=\"{origin}/"))
        .replace(
            " defer></script>",
            &format!(" data-relay=\"{origin}\" defer></script>"),
        )
}

/// This relay's address as the browser reached it (its `Host`), for the snippet shown to
/// copy: `https://` unless it is this machine. A missing or odd `Host` gives a placeholder.
fn origin_of(headers: &HeaderMap) -> String {
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .filter(|h| {
            !h.is_empty()
                && h.len() <= 255
                && h.chars()
                    .all(|c| c.is_ascii_alphanumeric() || ".-:[]".contains(c))
        });
    match host {
        Some(h)
            if h.starts_with("127.") || h.starts_with("localhost") || h.starts_with("[::1]") =>
        {
            format!("http://{h}")
        }
        Some(h) => format!("https://{h}"),
        None => "https://relay.example".to_owned(),
    }
}

async fn demo(State(relay): State<Arc<Relay>>, headers: HeaderMap) -> Response {
    let tag = relay_snippet(&relay, Mode::Launcher);
    let origin = origin_of(&headers);
    let body = format!(
        "<main>\n<h1>Lifeline relay</h1>\n\
         <p>This relay is running. This page is a demo of the visitor widget: the \"Get help\" \
         button opens it. Organisations embed the widget on their own site with the snippet \
         below: its script tag with the integrity hash (<a href=\"/widget/sri.json\">sri.json</a>), \
         and before it the help numbers in plain HTML, shown whenever the script cannot run; \
         the full-page mode is at <a href=\"/help\">/help</a>. Its addresses are this relay's \
         as your browser reached it ({origin_shown}): check it is the public one.</p>\n\
         <p><label for=\"snippet\">Embed snippet</label><br>\n\
         <textarea id=\"snippet\" readonly rows=\"8\" cols=\"30\">{shown}</textarea></p>\n</main>\n{tag}",
        origin_shown = escape(&origin),
        shown = escape(&for_another_site(&tag, &origin)),
    );
    html(document("Lifeline relay: widget demo", &body), &headers)
}

/// The full page: help first (the quick exit and the numbers in the server's HTML).
async fn help(State(relay): State<Arc<Relay>>, headers: HeaderMap) -> Response {
    let tag = relay_snippet(&relay, Mode::Page);
    let title = escape(&relay.config.widget.page_title);
    html(document(&title, &tag), &headers)
}

/// gzip in memory; `None` (the page goes out plain) if the encoder fails, which it does not
/// on a `Vec`.
fn gzip(bytes: &[u8]) -> Option<Vec<u8>> {
    use std::io::Write;
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    encoder.write_all(bytes).ok()?;
    encoder.finish().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_snippet_to_copy_names_this_relay_in_every_address() {
        let tag = snippet(
            &hostile(),
            "ORG",
            60,
            Mode::Launcher,
            "https://exit.example/",
        );
        let shown = for_another_site(&tag, "https://help.example.org");
        for wanted in [
            "src=\"https://help.example.org/widget/lifeline.js\"",
            "href=\"https://help.example.org/help\"",
            "href=\"https://help.example.org/tip\"",
            "data-relay=\"https://help.example.org\" defer>",
        ] {
            assert!(shown.contains(wanted), "{wanted} in {shown}");
        }
        assert!(
            !shown.contains("=\"/"),
            "a relative address is left: {shown}"
        );
        let mut headers = HeaderMap::new();
        headers.insert(header::HOST, HeaderValue::from_static("help.example.org"));
        assert_eq!(origin_of(&headers), "https://help.example.org");
        headers.insert(header::HOST, HeaderValue::from_static("127.0.0.1:8080"));
        assert_eq!(origin_of(&headers), "http://127.0.0.1:8080");
        headers.insert(header::HOST, HeaderValue::from_static("a\"b"));
        assert_eq!(origin_of(&headers), "https://relay.example");
    }

    #[tokio::test]
    async fn assets_are_served_in_the_accepted_coding_with_vary_and_no_store() {
        for asset in [&SCRIPT_ASSET, &STYLESHEET_ASSET, &WORKER_ASSET] {
            crate::precompressed::tests::assert_served_by_coding(asset).await;
        }
    }

    fn hostile() -> Vec<EmergencyNumber> {
        vec![EmergencyNumber {
            label: "<script>alert('x')</script> & \"help\"".into(),
            number: "+33 (0)1 23\" onclick=\"x".into(),
            labels: [("fr".to_owned(), "<b>aide</b>".to_owned())].into(),
        }]
    }

    #[test]
    fn fallback_escapes_labels_and_dials_only_phone_characters() {
        let html = fallback(&hostile(), Mode::Launcher, "https://exit.example/");
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
        assert!(
            !fallback(&hostile(), Mode::Page, "https://exit.example/").contains("href=\"/help\"")
        );
    }

    #[test]
    fn the_full_page_fallback_puts_the_quick_exit_first_then_the_numbers() {
        let html = fallback(&hostile(), Mode::Page, "https://exit.example/?a=\"b");
        let exit = html.find("class=\"ll-exit\"").unwrap_or(usize::MAX);
        let numbers = html.find("tel:").unwrap_or(0);
        assert!(
            exit < numbers,
            "the way out comes before everything: {html}"
        );
        assert!(
            html.contains("href=\"https://exit.example/?a=&quot;b\""),
            "{html}"
        );
        assert!(!fallback(&hostile(), Mode::Launcher, "https://x.example/").contains("ll-exit"));
    }

    #[test]
    fn gzip_gives_back_the_page() {
        use std::io::Read;
        let page = "<p>help</p>".repeat(100);
        let packed = gzip(page.as_bytes()).unwrap_or_default();
        assert!(packed.len() < page.len() / 4);
        let mut out = String::new();
        let read = flate2::read::GzDecoder::new(&packed[..]).read_to_string(&mut out);
        assert!(read.is_ok() && out == page);
    }

    #[test]
    fn both_fallbacks_link_the_no_script_tip_form() {
        for mode in [Mode::Launcher, Mode::Page] {
            assert!(
                fallback(&hostile(), mode, "https://x.example/").contains("href=\"/tip\""),
                "the no-script tip form is linked"
            );
        }
    }

    #[test]
    fn snippet_carries_the_numbers_as_escaped_json_after_its_fallback() {
        let tag = snippet(
            &hostile(),
            "ORG",
            1_728_000,
            Mode::Launcher,
            "https://exit.example/",
        );
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
        assert!(
            !tag.contains("data-tip-url"),
            "no link the widget would drop"
        );
        assert!(
            tag.contains("data-revocation-max-age=\"1728000\""),
            "the page pins the list's maximum age"
        );
        assert!(
            tag.contains("data-exit-url=\"https://exit.example/\""),
            "and the quick exit's target"
        );
    }
}
