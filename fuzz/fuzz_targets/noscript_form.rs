//! The no-script `/tip` and `/tip/replies` forms (`relay::noscript`, `docs/protocol.md`
//! §9.11): the body any browser with JavaScript off posts, parsed by `Form::read` exactly as
//! the relay does, then what the relay does with each field before any slow work: the
//! language, the form token, the receipt code, and the tipster's text and code written
//! back into the page.
//!
//! Besides "never panics":
//! - `Form::read` is `application/x-www-form-urlencoded` with each field at most once: a
//!   body that names a field twice gives the empty form; otherwise each field is its one
//!   value, or empty. What was read encodes and reads back to the same form.
//! - The language is the one asked for if it is shipped, else English.
//! - A made-up token never passes `token::check`; one the relay issued passes.
//! - Nothing from the body adds markup to a page: the tip form with the text put back is the
//!   empty form with the escaped text inside its `textarea`, and the replies, receipt and
//!   notice pages carry as many `<`, `>`, `"` and `'` as with empty strings; the words handed
//!   back when a form cannot be taken are the escaped text inside a read-only `textarea`.

#![no_main]

use std::sync::LazyLock;

use libfuzzer_sys::fuzz_target;
use lifeline::clock::Clock;
use lifeline::crypto::receipt::ReceiptCode;
use lifeline::relay::noscript::{Form, page, texts, token};
use lifeline::relay::pow::SeedBook;

const NOW: u64 = 1_790_000_000;
const FIELDS: [&str; 5] = ["token", "lang", "text", "category", "code"];

static BOOK: LazyLock<SeedBook> = LazyLock::new(|| SeedBook::new(None, Clock::manual(NOW)));

fn fields(form: &Form) -> [String; 5] {
    [
        form.token.clone(),
        form.lang.clone(),
        form.text.clone(),
        form.category.clone(),
        form.code.clone(),
    ]
}

/// HTML text escaping as the pages must do it (the reference, not the code under test).
fn escaped(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

/// How many characters of markup `html` holds.
fn markup(html: &str) -> [usize; 4] {
    ['<', '>', '"', '\''].map(|c| html.matches(c).count())
}

fn parses_as_urlencoded(data: &[u8], got: &[String; 5]) {
    let pairs: Vec<(String, String)> =
        serde_urlencoded::from_bytes(data).expect("any bytes are pairs");
    let twice = FIELDS
        .iter()
        .any(|f| pairs.iter().filter(|(k, _)| k == f).count() > 1);
    let expected = FIELDS.map(|f| {
        pairs
            .iter()
            .find(|(k, _)| k == f)
            .filter(|_| !twice)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    });
    assert_eq!(got, &expected);
}

fn pages_escape(form: &Form) {
    let words = texts::of(Some(form.lang.as_str()));
    let categories = [("labour".to_owned(), "Labour".to_owned())];
    let empty = page::tip_form(words, &categories, "token", "");
    let with_text = page::tip_form(words, &categories, "token", &form.text);
    let expected = empty.replacen(
        "></textarea>",
        &format!(">{}</textarea>", escaped(&form.text)),
        1,
    );
    assert_eq!(
        with_text, expected,
        "the text put back is not only escaped text"
    );

    let replies = page::replies(words, std::slice::from_ref(&form.text), &form.code, "token");
    let plain = page::replies(words, &[String::new()], "", "token");
    assert_eq!(
        markup(&replies),
        markup(&plain),
        "markup from a reply or code"
    );
    assert_eq!(
        markup(&page::receipt(words, &form.code)),
        markup(&page::receipt(words, "")),
        "markup from a receipt code"
    );
    assert_eq!(
        markup(&page::notice("alert", &form.text)),
        markup(&page::notice("alert", "")),
        "markup from a notice"
    );
    // The words handed back when a form cannot be taken: escaped text inside the textarea.
    let kept = page::kept_text(words, &form.text);
    if form.text.trim().is_empty() {
        assert_eq!(kept, "", "nothing typed, nothing handed back");
    } else {
        let with_x = page::kept_text(words, "x");
        assert_eq!(
            kept,
            with_x.replacen(
                ">x</textarea>",
                &format!(">{}</textarea>", escaped(&form.text)),
                1
            ),
            "the words handed back are not only escaped text"
        );
    }
}

fuzz_target!(|data: &[u8]| {
    let form = Form::read(bytes::Bytes::copy_from_slice(data));
    let got = fields(&form);
    parses_as_urlencoded(data, &got);
    let body = serde_urlencoded::to_string(FIELDS.iter().zip(got.iter()).collect::<Vec<_>>())
        .expect("strings encode");
    assert_eq!(fields(&Form::read(bytes::Bytes::from(body))), got);

    let words = texts::of(Some(form.lang.as_str()));
    assert!(
        words.lang == form.lang || words.lang == "en",
        "{}",
        words.lang
    );

    assert!(
        token::check(&BOOK, &form.token, NOW).is_none(),
        "a made-up form token passed"
    );
    let issued = token::issue(&BOOK, NOW);
    assert!(token::check(&BOOK, &issued, NOW).is_some());

    let _ = ReceiptCode::parse(&form.code);
    pages_escape(&form);
});
