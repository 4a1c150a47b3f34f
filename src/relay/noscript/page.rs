//! The HTML of the no-script pages: one plain layout (language links, help numbers, what
//! the server holds), and the bodies of the tip form, the receipt, the replies and the
//! refusals. No script, no inline style, no third-party anything: readable at 320 px, with
//! a screen reader and with the keyboard alone (labels on every field, one `h1`, status
//! messages as `role="status"` or `role="alert"`).
//!
//! Must never put anything from the request into a page except the tipster's own text and
//! code handed back to them (escaped), and never into a URL.

use super::texts::{self, Words};
use crate::config::EmergencyNumber;
use crate::relay::widget::{escape, number_item};

/// Every word key these pages use: the test of [`texts`] checks each language has each.
pub const KEYS: &[&str] = &[
    "_dir",
    "ns_tip_already",
    "ns_followup_already",
    "quick_exit",
    "language",
    "numbers_title",
    "tip",
    "tip_intro",
    "tip_text",
    "tip_category",
    "tip_no_category",
    "tip_send",
    "tip_error",
    "tip_empty",
    "receipt_title",
    "receipt_intro",
    "receipt_write",
    "have_receipt",
    "return_title",
    "return_intro",
    "receipt_label",
    "open",
    "err_length",
    "err_character",
    "err_check",
    "not_found",
    "replies_title",
    "no_replies",
    "followup_label",
    "send",
    "followup_sent",
    "tipclosed_followup",
    "ns_relay_saw",
    "ns_spent",
    "ns_stale",
    "ns_kept",
    "ns_too_long",
    "ns_holds_title",
    "ns_holds_tip",
    "ns_holds_none",
];

/// The most characters a tip or follow-up takes on these pages.
pub const MAX_CHARS: usize = 10_000;

/// What a page needs from the relay's configuration.
pub struct Setting<'a> {
    /// Shown on every page.
    pub numbers: &'a [EmergencyNumber],
    /// Days a tip (and its replies) is kept at most.
    pub retention_days: u64,
    /// Where the quick exit leads (`widget.neutral_url`).
    pub exit_url: &'a str,
}

/// A status line: `alert` for a refusal, `status` for good news.
pub fn notice(role: &str, text: &str) -> String {
    format!("<p role=\"{role}\" class=\"notice\">{}</p>\n", escape(text))
}

fn numbers(words: &Words, setting: &Setting) -> String {
    let items: String = setting
        .numbers
        .iter()
        .map(|n| number_item(n.labels.get(words.lang).unwrap_or(&n.label), &n.number))
        .collect();
    format!(
        "<section aria-labelledby=\"numbers\"><h2 id=\"numbers\">{}</h2>\n<ul>\n{items}</ul></section>\n",
        escape(words.get("numbers_title"))
    )
}

/// The plain account of what the server holds, from the configuration.
pub fn holds(words: &Words, setting: &Setting) -> String {
    format!(
        "<section aria-labelledby=\"holds\"><h2 id=\"holds\">{}</h2>\n<ul>\n<li>{}</li>\n<li>{}</li>\n</ul></section>\n",
        escape(words.get("ns_holds_title")),
        escape(&words.fill("ns_holds_tip", "days", setting.retention_days)),
        escape(words.get("ns_holds_none")),
    )
}

fn languages(words: &Words, path: &str) -> String {
    let links: String = texts::all()
        .iter()
        .map(|w| {
            let name = escape(w.get("_name"));
            if w.lang == words.lang {
                format!("<li><a href=\"{path}?lang={}\" aria-current=\"page\" lang=\"{}\">{name}</a></li>", w.lang, w.lang)
            } else {
                format!("<li><a href=\"{path}?lang={}\" lang=\"{}\" hreflang=\"{}\">{name}</a></li>", w.lang, w.lang, w.lang)
            }
        })
        .collect();
    format!(
        "<nav aria-label=\"{}\"><ul class=\"langs\">{links}</ul></nav>\n",
        escape(words.get("language"))
    )
}

/// A whole page: the quick exit first, `title` as its `h1`, `body`, then the numbers and what
/// the server holds.
pub fn layout(words: &Words, setting: &Setting, path: &str, title: &str, body: &str) -> String {
    // Without script the exit is a plain link: it cannot replace the history entry as the
    // widget's does, but it is the first thing on the page and one tap away, as on /help.
    format!(
        "<!doctype html>\n<html lang=\"{lang}\" dir=\"{dir}\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <meta name=\"referrer\" content=\"no-referrer\">\n<title>{title}</title>\n\
         <link rel=\"stylesheet\" href=\"/tip/style.css\">\n</head>\n<body>\n\
         <p><a class=\"exit\" href=\"{exit}\" rel=\"noreferrer\">{exit_text}</a></p>\n{langs}<main>\n<h1>{title}</h1>\n\
         {body}</main>\n{numbers}{holds}</body>\n</html>\n",
        lang = words.lang,
        dir = if words.rtl() { "rtl" } else { "ltr" },
        exit = escape(setting.exit_url),
        exit_text = escape(words.get("quick_exit")),
        title = escape(title),
        langs = languages(words, path),
        numbers = numbers(words, setting),
        holds = holds(words, setting),
    )
}

/// The hidden fields every form carries: its single-use token and the language.
fn hidden(words: &Words, token: &str) -> String {
    format!(
        "<input type=\"hidden\" name=\"token\" value=\"{token}\">\n\
         <input type=\"hidden\" name=\"lang\" value=\"{}\">\n",
        words.lang
    )
}

/// The attributes that keep typed words out of autocomplete, spellcheck and form history.
const PRIVATE: &str = "autocomplete=\"off\" autocapitalize=\"off\" spellcheck=\"false\"";

/// The words of a form that could not be taken (the hour's budget was spent), handed back
/// read-only so a long account typed in fear is not lost; empty when nothing was typed.
pub fn kept_text(words: &Words, text: &str) -> String {
    if text.trim().is_empty() {
        return String::new();
    }
    format!(
        "<p><label for=\"kept\">{label}</label><br>\n\
         <textarea id=\"kept\" rows=\"8\" readonly {PRIVATE}>{text}</textarea></p>\n",
        label = escape(words.get("ns_kept")),
        text = escape(text),
    )
}

/// The tip form, with `text` (escaped) put back after a refusal.
pub fn tip_form(words: &Words, categories: &[(String, String)], token: &str, text: &str) -> String {
    let options: String = categories
        .iter()
        .map(|(value, label)| {
            format!(
                "<option value=\"{}\">{}</option>",
                escape(value),
                escape(label)
            )
        })
        .collect();
    let category = if categories.is_empty() {
        String::new()
    } else {
        format!(
            "<p><label for=\"category\">{}</label><br>\n<select id=\"category\" name=\"category\">\
             <option value=\"\">{}</option>{options}</select></p>\n",
            escape(words.get("tip_category")),
            escape(words.get("tip_no_category")),
        )
    };
    format!(
        "<p>{intro}</p>\n<p class=\"saw\">{saw}</p>\n\
         <form method=\"post\" action=\"/tip\">\n{hidden}\
         <p><label for=\"text\">{label}</label><br>\n\
         <textarea id=\"text\" name=\"text\" rows=\"8\" maxlength=\"{MAX_CHARS}\" required {PRIVATE}>{text}</textarea></p>\n\
         {category}<p><button type=\"submit\">{send}</button></p>\n</form>\n\
         <p><a href=\"/tip/replies?lang={lang}\">{have}</a></p>\n",
        intro = escape(words.get("tip_intro")),
        saw = escape(words.get("ns_relay_saw")),
        hidden = hidden(words, token),
        label = escape(words.get("tip_text")),
        text = escape(text),
        send = escape(words.get("tip_send")),
        lang = words.lang,
        have = escape(words.get("have_receipt")),
    )
}

/// The receipt, shown once.
pub fn receipt(words: &Words, code: &str) -> String {
    format!(
        "<p>{intro}</p>\n<p class=\"code\" id=\"code\">{code}</p>\n<p>{write}</p>\n<p class=\"saw\">{saw}</p>\n\
         <p><a href=\"/tip/replies?lang={lang}\">{have}</a></p>\n",
        intro = escape(words.get("receipt_intro")),
        code = escape(code),
        write = escape(words.get("receipt_write")),
        saw = escape(words.get("ns_relay_saw")),
        lang = words.lang,
        have = escape(words.get("return_title")),
    )
}

/// The form asking for a receipt code.
pub fn code_form(words: &Words, token: &str) -> String {
    format!(
        "<p>{intro}</p>\n<p class=\"saw\">{saw}</p>\n<form method=\"post\" action=\"/tip/replies\">\n{hidden}\
         <p><label for=\"code\">{label}</label><br>\n\
         <input id=\"code\" name=\"code\" type=\"text\" required maxlength=\"64\" {PRIVATE}></p>\n\
         <p><button type=\"submit\">{open}</button></p>\n</form>\n",
        intro = escape(words.get("return_intro")),
        saw = escape(words.get("ns_relay_saw")),
        hidden = hidden(words, token),
        label = escape(words.get("receipt_label")),
        open = escape(words.get("open")),
    )
}

/// The replies under a receipt, and the follow-up form (carrying the code the tipster just
/// typed, so they need not type it again: the page is never stored).
pub fn replies(words: &Words, replies: &[String], code: &str, token: &str) -> String {
    let list = if replies.is_empty() {
        format!("<p>{}</p>\n", escape(words.get("no_replies")))
    } else {
        let items: String = replies
            .iter()
            .map(|r| format!("<li><p dir=\"auto\">{}</p></li>\n", escape(r)))
            .collect();
        format!("<ol class=\"replies\">\n{items}</ol>\n")
    };
    format!(
        "{list}<form method=\"post\" action=\"/tip/replies\">\n{hidden}\
         <input type=\"hidden\" name=\"code\" value=\"{code}\">\n\
         <p><label for=\"text\">{label}</label><br>\n\
         <textarea id=\"text\" name=\"text\" rows=\"6\" maxlength=\"{MAX_CHARS}\" required {PRIVATE}></textarea></p>\n\
         <p><button type=\"submit\">{send}</button></p>\n</form>\n<p class=\"saw\">{saw}</p>\n",
        hidden = hidden(words, token),
        code = escape(code),
        label = escape(words.get("followup_label")),
        send = escape(words.get("send")),
        saw = escape(words.get("ns_relay_saw")),
    )
}

/// The stylesheet of these pages: readable type, fields as wide as the screen (320 px).
pub const STYLE: &str = "body{font:1.05rem/1.5 system-ui,sans-serif;margin:0 auto;max-width:40rem;padding:0 1rem 2rem}\
textarea,input[type=text],select{box-sizing:border-box;width:100%;font:inherit;padding:.4rem}\
button{font:inherit;padding:.5rem 1rem}\
textarea,input[type=text],select,button{min-height:2.75rem}\
.langs a,main a,a[href^=\"tel:\"]{display:inline-block;min-height:2.75rem;min-width:2.75rem;line-height:2.75rem}\
.langs{list-style:none;padding:0;display:flex;flex-wrap:wrap;gap:.2rem .8rem}\
.code{font:1.4rem/1.4 monospace;letter-spacing:.05em;overflow-wrap:anywhere}\
.notice{border-inline-start:4px solid;padding-inline-start:.6rem}\
.saw{font-size:.95rem}\
.exit{display:block;margin-top:1rem;padding:.6rem 1rem;background:#b00020;color:#fff;font-weight:700;text-align:center;text-decoration:none;border-radius:.4rem}\
a.exit:focus{outline-color:#1b1b1f}\
a:focus,button:focus,textarea:focus,input:focus,select:focus{outline:3px solid;outline-offset:2px}\n";
