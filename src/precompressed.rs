//! Static files sent pre-compressed: each embedded file with its brotli and gzip copies
//! (built reproducibly beside it by `web-widget/scripts/build.mjs`, which checks that each
//! decodes to the file), and the choice among the three by the request's `Accept-Encoding`.
//! The relay serves the widget's assets with it, the desk its own script and style.
//!
//! What this must never do: compress anything at run time, send a coding the request did
//! not accept, or answer without `Vary: Accept-Encoding` (a cache between would hand one
//! coding to a browser that asked for another). `Accept-Encoding` only picks which of three
//! fixed byte strings goes out; it is neither logged nor kept. Nothing served is kept by the
//! browser (`no-store`): a cached copy is a trace on the device.

use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};

/// One embedded file with its pre-compressed copies (each decodes to `plain`).
pub struct Asset {
    /// The file itself; any integrity hash is over these bytes, whatever the coding sent.
    pub plain: &'static [u8],
    /// `plain` compressed with brotli.
    pub brotli: &'static [u8],
    /// `plain` compressed with gzip.
    pub gzip: &'static [u8],
    /// Its `Content-Type`.
    pub content_type: &'static str,
}

/// Not kept by the browser: a cached script (and V8's code cache of it) would tell whoever
/// holds the device that the page was opened.
pub const NOT_KEPT: &str = "no-store";

/// A content coding a copy exists in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Coding {
    Brotli,
    Gzip,
    Identity,
}

/// Whether an `Accept-Encoding` header (RFC 9110 §12.5.3) accepts a coding: named without
/// `q=0`, or not named and covered by a `*` without `q=0`. A malformed or missing header
/// accepts none.
pub fn accepts(accept: Option<&HeaderValue>, name: &str) -> bool {
    let Some(accept) = accept.and_then(|v| v.to_str().ok()) else {
        return false;
    };
    let mut wildcard = false;
    for item in accept.split(',') {
        let mut parts = item.split(';');
        let coding = parts.next().unwrap_or_default().trim();
        let refused = parts.any(|p| {
            p.trim()
                .strip_prefix("q=")
                .and_then(|q| q.trim().parse::<f32>().ok())
                .is_some_and(|q| q <= 0.0)
        });
        if coding.eq_ignore_ascii_case(name) {
            return !refused;
        }
        if coding == "*" {
            wildcard = !refused;
        }
    }
    wildcard
}

/// The coding to send: brotli if accepted, else gzip, else the plain bytes. Whatever the
/// header holds, the answer is one of the three.
fn negotiate(accept: Option<&HeaderValue>) -> Coding {
    if accepts(accept, "br") {
        Coding::Brotli
    } else if accepts(accept, "gzip") || accepts(accept, "x-gzip") {
        Coding::Gzip
    } else {
        Coding::Identity
    }
}

/// The asset in the best coding the request accepts, never kept by the browser.
pub fn serve(asset: &Asset, headers: &HeaderMap) -> Response {
    let (body, encoding) = match negotiate(headers.get(header::ACCEPT_ENCODING)) {
        Coding::Brotli => (asset.brotli, Some("br")),
        Coding::Gzip => (asset.gzip, Some("gzip")),
        Coding::Identity => (asset.plain, None),
    };
    let mut response = (
        [
            (header::CONTENT_TYPE, asset.content_type),
            (header::CACHE_CONTROL, NOT_KEPT),
            (header::VARY, "Accept-Encoding"),
        ],
        body,
    )
        .into_response();
    if let Some(encoding) = encoding {
        response
            .headers_mut()
            .insert(header::CONTENT_ENCODING, HeaderValue::from_static(encoding));
    }
    response
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    fn accepting(value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        if let Ok(v) = HeaderValue::from_str(value) {
            headers.insert(header::ACCEPT_ENCODING, v);
        }
        headers
    }

    #[test]
    fn accept_encoding_picks_brotli_then_gzip_then_the_plain_bytes() {
        let coding = |v: &str| negotiate(accepting(v).get(header::ACCEPT_ENCODING));
        assert_eq!(coding("gzip, deflate, br, zstd"), Coding::Brotli);
        assert_eq!(coding("gzip, deflate"), Coding::Gzip);
        assert_eq!(coding("GZIP"), Coding::Gzip);
        assert_eq!(coding("br;q=0, gzip;q=0.5"), Coding::Gzip);
        assert_eq!(coding("br; q=0.0 , gzip ; q=0"), Coding::Identity);
        assert_eq!(coding("*"), Coding::Brotli);
        assert_eq!(coding("*;q=0, identity"), Coding::Identity);
        assert_eq!(coding("br;q=0, *"), Coding::Gzip);
        assert_eq!(coding("identity"), Coding::Identity);
        assert_eq!(coding(""), Coding::Identity);
        assert_eq!(
            coding(";;,,q=,br;q=abc"),
            Coding::Brotli,
            "an unreadable q is not a refusal"
        );
        assert_eq!(negotiate(None), Coding::Identity);
    }

    /// Serves `asset` for three requests and checks each answer is the matching copy.
    pub(crate) async fn assert_served_by_coding(asset: &Asset) {
        for (accept, encoding, expected) in [
            ("gzip, deflate, br", Some("br"), asset.brotli),
            ("gzip", Some("gzip"), asset.gzip),
            ("identity", None, asset.plain),
        ] {
            let response = serve(asset, &accepting(accept));
            let got = |name| response.headers().get(name).and_then(|v| v.to_str().ok());
            assert_eq!(got(header::CONTENT_ENCODING), encoding, "{accept}");
            assert_eq!(got(header::VARY), Some("Accept-Encoding"));
            assert_eq!(got(header::CACHE_CONTROL), Some(NOT_KEPT));
            assert_eq!(got(header::CONTENT_TYPE), Some(asset.content_type));
            let body = axum::body::to_bytes(response.into_body(), usize::MAX)
                .await
                .map(|b| b.to_vec())
                .unwrap_or_default();
            assert!(body == expected, "{accept}: the matching copy");
        }
        // the copies are real compressions of the asset, not the asset again
        assert_eq!(
            asset.gzip.get(..3),
            Some(&[0x1f, 0x8b, 8][..]),
            "gzip magic"
        );
        assert!(asset.gzip.len() < asset.plain.len() / 2);
        assert!(asset.brotli.len() < asset.gzip.len());
    }
}
