//! The headers every response carries, whatever produced it (page, error, redirect, feed,
//! API, static file), set in one layer so that no route can forget them.

use axum::http::{header, HeaderName, HeaderValue};
use axum::response::Response;

/// The Content-Security-Policy of every response. Pages need no script at all; scripts,
/// styles, fonts and fetches may come only from this site (`default-src 'self'`, no
/// `unsafe-inline`), images also from content (checked to be http or https when written).
/// `frame-ancestors 'none'` forbids framing (clickjacking), `base-uri 'none'` stops an
/// injected `<base>` from redirecting relative links, `object-src 'none'` shuts out plugins,
/// and `form-action 'self'` keeps the search form from being pointed elsewhere. Kept short:
/// it travels with every response, and at tens of thousands of cached pages a second its
/// bytes show in the throughput.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; img-src 'self' https: http:; \
     object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'";

/// The headers and their values, in the order they are set.
pub const HEADERS: &[(&str, &str)] = &[
    ("content-security-policy", CONTENT_SECURITY_POLICY),
    ("x-content-type-options", "nosniff"),
    ("referrer-policy", "strict-origin-when-cross-origin"),
    // For browsers that predate CSP's frame-ancestors.
    ("x-frame-options", "DENY"),
];

/// [`HEADERS`] as header names and values, checked once at compile time rather than on
/// every response (a cached page costs about 15 µs of CPU; parsing these was a few % of it).
const PARSED: [(HeaderName, HeaderValue); 4] = [
    (
        HeaderName::from_static(HEADERS[0].0),
        HeaderValue::from_static(HEADERS[0].1),
    ),
    (
        HeaderName::from_static(HEADERS[1].0),
        HeaderValue::from_static(HEADERS[1].1),
    ),
    (
        HeaderName::from_static(HEADERS[2].0),
        HeaderValue::from_static(HEADERS[2].1),
    ),
    (
        HeaderName::from_static(HEADERS[3].0),
        HeaderValue::from_static(HEADERS[3].1),
    ),
];

/// Adds [`HEADERS`] to a header map (for responses built ahead, as the page cache's are).
pub fn insert(h: &mut axum::http::HeaderMap) {
    for (name, value) in PARSED {
        h.insert(name, value);
    }
}

/// Adds [`HEADERS`] to a response (called by the outermost layer,
/// [`crate::request_id::layer`], for every response).
pub fn add(resp: &mut Response) {
    insert(resp.headers_mut());
    // Some browsers sniff a missing type even with nosniff; every body says what it is.
    let has_body = axum::body::HttpBody::size_hint(resp.body()).exact() != Some(0);
    let h = resp.headers_mut();
    if has_body && !h.contains_key(header::CONTENT_TYPE) {
        h.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/plain; charset=utf-8"),
        );
    }
}
