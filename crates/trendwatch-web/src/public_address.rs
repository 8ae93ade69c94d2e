//! The site's public address and time zone (`[site] base_url` and `time_zone`): the absolute
//! URLs of canonical links, `hreflang` alternates, feeds and sitemaps, and publication times
//! with their UTC offset. No I/O: the time-zone database is compiled in (jiff's bundled copy),
//! so a server without `/usr/share/zoneinfo` gives the same offsets.

use axum::http::Uri;
use time::{OffsetDateTime, PrimitiveDateTime, UtcOffset};

/// Where the public site lives and which clock its dates follow.
#[derive(Debug, Clone)]
pub struct PublicAddress {
    /// `scheme://host[:port]`, without a trailing slash.
    base: String,
    /// The host (with port), for `tag:` identifiers.
    host: String,
    zone: jiff::tz::TimeZone,
    zone_name: String,
    /// Whether the address is the configured `base_url` (rather than a fallback).
    configured: bool,
}

impl PublicAddress {
    /// Checks and keeps `base_url` (an `http` or `https` URL of a host's root) and
    /// `time_zone` (an IANA name such as `Europe/Vienna`, or `UTC`). The error names the
    /// setting and says what was expected.
    pub fn new(base_url: &str, time_zone: &str) -> Result<PublicAddress, String> {
        let (base, host) = check_base_url(base_url)?;
        let zone = jiff::tz::TimeZone::get(time_zone).map_err(|_| {
            format!(
                "[site] time_zone: unknown time zone {time_zone:?}: expected an IANA name such \
                 as \"Europe/Vienna\" or \"UTC\""
            )
        })?;
        Ok(PublicAddress {
            base,
            host,
            zone,
            zone_name: time_zone.to_string(),
            configured: true,
        })
    }

    /// The address when nothing is configured: `http://localhost`, UTC.
    pub fn local() -> PublicAddress {
        PublicAddress {
            base: "http://localhost".into(),
            host: "localhost".into(),
            zone: jiff::tz::TimeZone::UTC,
            zone_name: "UTC".into(),
            configured: false,
        }
    }

    /// Whether the address was configured (`base_url`) rather than taken from where the
    /// server listens.
    pub fn is_configured(&self) -> bool {
        self.configured
    }

    /// The address of `site`'s settings, or, without `base_url`, of the address the server
    /// listens on (`fallback`, e.g. `http://127.0.0.1:8080`): right for a local run, wrong
    /// behind a proxy, which is why a public site sets `base_url`.
    pub fn of_site(site: &crate::SiteConfig, fallback: &str) -> Result<PublicAddress, String> {
        let configured = !site.base_url.trim().is_empty();
        let base = if configured {
            site.base_url.trim()
        } else {
            fallback
        };
        let mut address = PublicAddress::new(base, &site.time_zone)?;
        address.configured = configured;
        Ok(address)
    }

    /// The office's time zone.
    pub fn zone(&self) -> &jiff::tz::TimeZone {
        &self.zone
    }

    /// `scheme://host[:port]`, without a trailing slash.
    pub fn base(&self) -> &str {
        &self.base
    }

    /// The configured time zone's name.
    pub fn zone_name(&self) -> &str {
        &self.zone_name
    }

    /// The absolute URL of a site path (`/en/...`); an absolute URL is returned as it is.
    pub fn absolute(&self, path: &str) -> String {
        if path.starts_with("http://") || path.starts_with("https://") {
            path.to_string()
        } else if path.starts_with('/') {
            format!("{}{path}", self.base)
        } else {
            format!("{}/{path}", self.base)
        }
    }

    /// A publication time (kept as the office's wall-clock time) with the offset the time
    /// zone had then. A wall-clock time that a daylight-saving change skipped or repeated
    /// takes the offset before the change, as most calendars do.
    pub fn offset_time(&self, t: PrimitiveDateTime) -> OffsetDateTime {
        let civil = jiff::civil::date(t.year() as i16, u8::from(t.month()) as i8, t.day() as i8)
            .at(t.hour() as i8, t.minute() as i8, t.second() as i8, 0);
        let seconds = civil
            .to_zoned(self.zone.clone())
            .map(|z| z.offset().seconds())
            .unwrap_or(0);
        t.assume_offset(UtcOffset::from_whole_seconds(seconds).unwrap_or(UtcOffset::UTC))
    }

    /// RFC 3339 (`2026-11-23T10:21:00+03:00`): Atom, JSON Feed, sitemaps, schema.org.
    pub fn rfc3339(&self, t: PrimitiveDateTime) -> String {
        self.offset_time(t)
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap_or_default()
    }

    /// RFC 2822 (`Mon, 23 Nov 2026 10:21:00 +0300`): RSS.
    pub fn rfc2822(&self, t: PrimitiveDateTime) -> String {
        self.offset_time(t)
            .format(&time::format_description::well_known::Rfc2822)
            .unwrap_or_default()
    }

    /// A `tag:` URI (RFC 4151) for something of this site: stable as long as the host is,
    /// whatever else changes (slugs, titles, publication times).
    pub fn tag_uri(&self, specific: &str) -> String {
        let host = self.host.split(':').next().unwrap_or(&self.host);
        format!("tag:{host},2026:{specific}")
    }
}

/// Checks a base URL and returns it without its trailing slash, with its host.
fn check_base_url(url: &str) -> Result<(String, String), String> {
    let bad = |why: &str| {
        Err(format!(
            "[site] base_url: {url:?} {why}: expected the site's root address, such as \
             \"https://monitor.example.org\""
        ))
    };
    let uri: Uri = match url.parse() {
        Ok(u) => u,
        Err(_) => return bad("is not a URL"),
    };
    let scheme = match uri.scheme_str() {
        Some(s @ ("http" | "https")) => s,
        _ => return bad("does not start with http:// or https://"),
    };
    let Some(authority) = uri.authority() else {
        return bad("has no host");
    };
    if authority.as_str().contains('@') {
        return bad("carries a user name or password");
    }
    if !matches!(uri.path(), "" | "/") || uri.query().is_some() {
        // Every link of the site starts at the root ("/en/..."), so a site under a path
        // prefix would link out of itself.
        return bad("has a path: Trendwatch must be served at the root of its host");
    }
    let host = authority.as_str().to_ascii_lowercase();
    Ok((format!("{scheme}://{host}"), host))
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn absolute_urls_and_trailing_slash() {
        let a = PublicAddress::new("https://Monitor.Example.org/", "UTC").expect("valid");
        assert_eq!(a.base(), "https://monitor.example.org");
        assert_eq!(
            a.absolute("/en/articles/x"),
            "https://monitor.example.org/en/articles/x"
        );
        assert_eq!(
            a.tag_uri("article/k1/en"),
            "tag:monitor.example.org,2026:article/k1/en"
        );
    }

    #[test]
    fn offsets_follow_the_zone_and_its_daylight_saving() {
        let a = PublicAddress::new("http://127.0.0.1:8080", "Europe/Berlin").expect("valid");
        assert_eq!(
            a.rfc3339(datetime!(2026-01-15 10:21)),
            "2026-01-15T10:21:00+01:00"
        );
        assert_eq!(
            a.rfc3339(datetime!(2026-07-15 10:21)),
            "2026-07-15T10:21:00+02:00"
        );
        assert_eq!(
            a.rfc2822(datetime!(2026-07-15 10:21)),
            "Wed, 15 Jul 2026 10:21:00 +0200"
        );
        let utc = PublicAddress::new("http://localhost", "UTC").expect("valid");
        assert_eq!(
            utc.rfc3339(datetime!(2026-07-15 10:21)),
            "2026-07-15T10:21:00Z"
        );
    }

    #[test]
    fn bad_settings_are_named_with_what_was_expected() {
        for (url, zone, want) in [
            ("monitor.example.org", "UTC", "base_url"),
            ("ftp://monitor.example.org", "UTC", "http:// or https://"),
            ("https://example.org/monitor", "UTC", "root of its host"),
            ("https://user:pw@example.org", "UTC", "password"),
            ("https://example.org", "Europe/Atlantis", "time_zone"),
        ] {
            let err = PublicAddress::new(url, zone).expect_err(url);
            assert!(err.contains(want), "{url} {zone}: {err}");
        }
    }
}
