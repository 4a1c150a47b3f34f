//! The desk page, script and style, built reproducibly from `web-widget/desk/` into
//! `web-widget/dist/desk/` (`npm run build`, checked by `npm test`) and embedded here, so
//! the binary serves exactly the committed bytes and nothing is fetched at run time. The
//! script and style carry their brotli and gzip copies, built beside them
//! ([`crate::precompressed`]).
//!
//! It must never be loaded from anywhere but these constants.

use crate::precompressed::Asset;

/// `index.html`: the page shell, no inline script or style.
pub const PAGE: &[u8] = include_bytes!("../../../web-widget/dist/desk/index.html");
/// `desk.js`: the front end (no crypto: it only speaks the JSON API).
pub const SCRIPT: &[u8] = include_bytes!("../../../web-widget/dist/desk/desk.js");
/// `desk.css`: its style, light and dark.
pub const STYLE: &[u8] = include_bytes!("../../../web-widget/dist/desk/desk.css");

/// [`SCRIPT`] with its compressed copies.
pub const SCRIPT_ASSET: Asset = Asset {
    plain: SCRIPT,
    brotli: include_bytes!("../../../web-widget/dist/desk/desk.js.br"),
    gzip: include_bytes!("../../../web-widget/dist/desk/desk.js.gz"),
    content_type: "text/javascript; charset=utf-8",
};

/// [`STYLE`] with its compressed copies.
pub const STYLE_ASSET: Asset = Asset {
    plain: STYLE,
    brotli: include_bytes!("../../../web-widget/dist/desk/desk.css.br"),
    gzip: include_bytes!("../../../web-widget/dist/desk/desk.css.gz"),
    content_type: "text/css; charset=utf-8",
};
