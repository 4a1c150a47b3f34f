//! Driving the no-script tip pages (`/tip`, `/tip/replies`) the way a browser without
//! JavaScript does: GET a form, read its hidden token, POST it url-encoded.

use lifeline::client::tipster::request;

/// A form as the browser posts it: `application/x-www-form-urlencoded`.
pub fn form(fields: &[(&str, &str)]) -> String {
    fields
        .iter()
        .map(|(name, value)| {
            let value: String = value
                .bytes()
                .map(|b| match b {
                    b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => {
                        (b as char).to_string()
                    }
                    b' ' => "+".into(),
                    _ => format!("%{b:02X}"),
                })
                .collect();
            format!("{name}={value}")
        })
        .collect::<Vec<_>>()
        .join("&")
}

/// The value of the hidden field `name` in a page.
pub fn hidden(page: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    page.split(&marker)
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap_or_default()
        .to_owned()
}

/// The receipt code a receipt page shows.
pub fn shown_code(page: &str) -> String {
    page.split("id=\"code\">")
        .nth(1)
        .and_then(|rest| rest.split('<').next())
        .unwrap_or_default()
        .to_owned()
}

/// GETs `path` and returns the page with its form's token.
pub async fn get_form(addr: &str, path: &str) -> (u16, String, String) {
    let (status, page) = request(addr, "GET", path, None, &[]).await.expect("GET");
    let token = hidden(&page, "token");
    (status, page, token)
}

/// POSTs a form to `path`, with `headers`.
pub async fn post_form(
    addr: &str,
    path: &str,
    fields: &[(&str, &str)],
    headers: &[(&str, &str)],
) -> (u16, String) {
    let mut all = vec![("content-type", "application/x-www-form-urlencoded")];
    all.extend_from_slice(headers);
    request(addr, "POST", path, Some(form(fields)), &all)
        .await
        .expect("POST")
}
