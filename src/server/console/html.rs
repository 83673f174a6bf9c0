//! The console's HTML: one escaping function that every value goes
//! through ([`esc`]), the page layout around each page's body, and the
//! HTML answers (pages and refusals) with the headers every page carries.
//!
//! Pages are built with `format!` from literals and escaped values: no
//! value reaches a page without [`esc`] (resource names, reasons and
//! comments are the users' own text and may hold `<script>`).

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

/// The console's style sheet, served at [`STYLE_PATH`].
pub const STYLE: &str = include_str!("style.css");
pub const STYLE_PATH: &str = "/console/style.css";

/// `text` escaped for HTML text and attribute values (quoted with `"`).
pub fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// `segment` for a URL path: every byte but unreserved ones
/// percent-encoded (project and environment names go into links), as the
/// http provider encodes an id into its URLs.
pub use crate::provider::encode_segment as seg;

/// Who is looking at a page: their name, and the CSRF value their forms
/// carry (the sign-out form is on every page).
pub struct Viewer<'a> {
    pub user: &'a str,
    pub csrf: &'a str,
}

/// The hidden field that a form of the signed-in user carries.
pub fn csrf_field(csrf: &str) -> String {
    format!(r#"<input type="hidden" name="csrf" value="{}">"#, esc(csrf))
}

/// A whole page: `title` (text) and `body` (HTML built with [`esc`]).
pub fn page(title: &str, viewer: Option<&Viewer<'_>>, body: &str) -> String {
    page_refreshed(title, viewer, body, None)
}

/// A whole page as [`page`], which with `refresh` the browser loads again
/// after that many seconds (a `<meta http-equiv="refresh">`: no script).
pub fn page_refreshed(
    title: &str,
    viewer: Option<&Viewer<'_>>,
    body: &str,
    refresh: Option<u32>,
) -> String {
    let refresh = refresh.map_or(String::new(), |s| {
        format!("<meta http-equiv=\"refresh\" content=\"{s}\">\n")
    });
    let account = match viewer {
        None => String::new(),
        Some(v) => format!(
            r#"<form class="account" method="post" action="/console/sign-out"><span>Signed in as <strong>{}</strong></span>{}<button type="submit">Sign out</button></form>"#,
            esc(v.user),
            csrf_field(v.csrf)
        ),
    };
    format!(
        r#"<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
{refresh}<title>{title} · terrace</title>
<link rel="stylesheet" href="{STYLE_PATH}">
</head>
<body>
<header class="top"><a class="brand" href="/console">terrace</a>{account}</header>
<main>
<h1>{title}</h1>
{body}
</main>
</body>
</html>
"#,
        title = esc(title),
    )
}

/// An HTML answer, with the headers every console page carries: no
/// caching (pages show access-controlled records), no framing, no
/// scripts, forms posting to this server only.
pub fn answer(status: StatusCode, html: String) -> Response {
    let mut response = (status, html).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
        ),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    response
}

/// A refusal or an error as a readable page: `status` and why.
pub fn problem(status: StatusCode, why: &str, viewer: Option<&Viewer<'_>>) -> Response {
    let title = status.canonical_reason().unwrap_or("Error");
    let body = format!(
        r#"<p class="problem" role="alert">{}</p><p><a href="/console">Back to your projects</a></p>"#,
        esc(why)
    );
    answer(status, page(title, viewer, &body))
}

/// A `303 See Other` to `to` (after a form, or to the sign-in page).
pub fn see_other(to: &str) -> Response {
    let mut response = StatusCode::SEE_OTHER.into_response();
    if let Ok(v) = HeaderValue::from_str(to) {
        response.headers_mut().insert(header::LOCATION, v);
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markup_and_quotes_are_escaped() {
        assert_eq!(
            esc(r#"<script>alert('1')</script> & "x""#),
            "&lt;script&gt;alert(&#39;1&#39;)&lt;/script&gt; &amp; &quot;x&quot;"
        );
        assert_eq!(esc("plain"), "plain");
    }

    #[test]
    fn path_segments_are_percent_encoded() {
        assert_eq!(seg("dev"), "dev");
        assert_eq!(seg("a b/<c>"), "a%20b%2F%3Cc%3E");
    }

    #[test]
    fn a_page_escapes_its_title_and_the_user() {
        let v = Viewer {
            user: "<b>ann</b>",
            csrf: "c\"s",
        };
        let html = page("<i>t</i>", Some(&v), "");
        assert!(!html.contains("<b>ann") && !html.contains("<i>t"));
        assert!(html.contains("&lt;b&gt;ann") && html.contains("value=\"c&quot;s\""));
    }
}
