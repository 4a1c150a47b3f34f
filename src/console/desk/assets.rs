//! The desk page, script and style, built reproducibly from `web-widget/desk/` into
//! `web-widget/dist/desk/` (`npm run build`, checked by `npm test`) and embedded here, so
//! the binary serves exactly the committed bytes and nothing is fetched at run time.
//!
//! It must never be loaded from anywhere but these constants.

/// `index.html`: the page shell, no inline script or style.
pub const PAGE: &[u8] = include_bytes!("../../../web-widget/dist/desk/index.html");
/// `desk.js`: the front end (no crypto: it only speaks the JSON API).
pub const SCRIPT: &[u8] = include_bytes!("../../../web-widget/dist/desk/desk.js");
/// `desk.css`: its style, light and dark.
pub const STYLE: &[u8] = include_bytes!("../../../web-widget/dist/desk/desk.css");
