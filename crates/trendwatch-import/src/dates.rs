//! Publication dates as archives write them: "August 07, 2017 12:25", "2017-08-07 12:25",
//! RFC 3339, a bare date, or Russian "7 августа 2017 12:25". Times are site-local; an offset in
//! the source is dropped rather than converted, because archives state local times.

use time::{Date, Month, PrimitiveDateTime, Time};

const MONTHS_EN: [&str; 12] = [
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
];
const MONTHS_RU: [&str; 12] = [
    "январ",
    "феврал",
    "март",
    "апрел",
    "ма",
    "июн",
    "июл",
    "август",
    "сентябр",
    "октябр",
    "ноябр",
    "декабр",
];

fn month_from_name(word: &str) -> Option<Month> {
    let w = word
        .trim_matches(|c: char| !c.is_alphabetic())
        .to_lowercase();
    if w.len() < 3 {
        return None;
    }
    if let Some(i) = MONTHS_EN
        .iter()
        .position(|m| m.starts_with(&w) || w.starts_with(m))
    {
        return Month::try_from(i as u8 + 1).ok();
    }
    // Russian names by stem, longest stems first so "май"/"мая" does not catch "март".
    let mut order: Vec<usize> = (0..12).collect();
    order.sort_by_key(|&i| std::cmp::Reverse(MONTHS_RU[i].chars().count()));
    order
        .into_iter()
        .find(|&i| {
            w.starts_with(MONTHS_RU[i]) && w.chars().count() <= MONTHS_RU[i].chars().count() + 3
        })
        .and_then(|i| Month::try_from(i as u8 + 1).ok())
}

fn parse_time(s: &str) -> Option<Time> {
    let s = s.trim();
    let mut parts = s.split(':');
    let h: u8 = parts.next()?.trim().parse().ok()?;
    let m: u8 = parts.next()?.trim().parse().ok()?;
    let sec: u8 = match parts.next() {
        Some(x) => x.trim().get(..2)?.parse().ok()?,
        None => 0,
    };
    Time::from_hms(h, m, sec).ok()
}

fn parse_iso(s: &str) -> Option<PrimitiveDateTime> {
    let s = s.trim();
    let date_part = s.get(..10)?;
    let mut it = date_part.split('-');
    let y: i32 = it.next()?.parse().ok()?;
    let mo: u8 = it.next()?.parse().ok()?;
    let d: u8 = it.next()?.parse().ok()?;
    let date = Date::from_calendar_date(y, Month::try_from(mo).ok()?, d).ok()?;
    let rest = s[10..].trim_start_matches(['T', 't', ' ']);
    if rest.is_empty() {
        return Some(PrimitiveDateTime::new(date, Time::MIDNIGHT));
    }
    // Drop a zone suffix: Z, +03:00, -0500.
    let time_str = rest.split(['Z', 'z', '+']).next().unwrap_or(rest);
    let time_str = match time_str.get(8..).and_then(|t| t.find('-')) {
        Some(i) => &time_str[..8 + i],
        None => time_str,
    };
    Some(PrimitiveDateTime::new(date, parse_time(time_str)?))
}

fn parse_words(s: &str) -> Option<PrimitiveDateTime> {
    // "August 07, 2017 12:25" or "7 августа 2017 12:25" or "07 Aug 2017".
    let cleaned = s.replace(',', " ");
    let words: Vec<&str> = cleaned.split_whitespace().collect();
    let (mut month, mut day, mut year, mut time) = (None, None, None, None);
    for w in words {
        if w.contains(':') {
            time = parse_time(w);
        } else if let Ok(n) = w.trim_end_matches(['г', '.']).parse::<u32>() {
            if n > 31 {
                year = Some(n as i32);
            } else if day.is_none() {
                day = Some(n as u8);
            }
        } else if month.is_none() {
            month = month_from_name(w);
        }
    }
    let date = Date::from_calendar_date(year?, month?, day?).ok()?;
    Some(PrimitiveDateTime::new(date, time.unwrap_or(Time::MIDNIGHT)))
}

/// Parses a publication date in any of the supported forms.
pub fn parse_datetime(s: &str) -> Option<PrimitiveDateTime> {
    let s = s.trim();
    if s.is_empty() || s.len() > 64 {
        return None;
    }
    if s.as_bytes().first().is_some_and(u8::is_ascii_digit) && s.as_bytes().get(4) == Some(&b'-') {
        return parse_iso(s);
    }
    parse_words(s)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use time::macros::datetime;

    #[test]
    fn formats() {
        assert_eq!(
            parse_datetime("August 07, 2017 12:25"),
            Some(datetime!(2017-08-07 12:25))
        );
        assert_eq!(
            parse_datetime("2017-08-07 12:25"),
            Some(datetime!(2017-08-07 12:25))
        );
        assert_eq!(
            parse_datetime("2017-08-07T12:25:30+03:00"),
            Some(datetime!(2017-08-07 12:25:30))
        );
        assert_eq!(
            parse_datetime("2017-08-07T12:25:30Z"),
            Some(datetime!(2017-08-07 12:25:30))
        );
        assert_eq!(
            parse_datetime("2017-08-07T12:25:30-05:00"),
            Some(datetime!(2017-08-07 12:25:30))
        );
        assert_eq!(
            parse_datetime("2017-08-07"),
            Some(datetime!(2017-08-07 0:00))
        );
        assert_eq!(
            parse_datetime("7 августа 2017 12:25"),
            Some(datetime!(2017-08-07 12:25))
        );
        assert_eq!(
            parse_datetime("13 мая 2018"),
            Some(datetime!(2018-05-13 0:00))
        );
        assert_eq!(
            parse_datetime("2 марта 2018"),
            Some(datetime!(2018-03-02 0:00))
        );
        assert_eq!(parse_datetime("Photo: www.mil.by"), None);
        assert_eq!(parse_datetime("February 30, 2017"), None);
    }

    proptest! {
        #[test]
        fn never_panics(s in "\\PC{0,40}") {
            let _ = parse_datetime(&s);
        }

        #[test]
        fn english_long_form_round_trips(days in 0i64..30_000, h in 0u8..24, m in 0u8..60) {
            let d = time::macros::date!(1970 - 01 - 01) + time::Duration::days(days);
            let text = format!("{} {:02}, {} {:02}:{:02}", trendwatch_core::period::month_en(d.month()), d.day(), d.year(), h, m);
            let t = Time::from_hms(h, m, 0).map_err(|e| TestCaseError::fail(e.to_string()))?;
            prop_assert_eq!(parse_datetime(&text), Some(PrimitiveDateTime::new(d, t)));
        }
    }
}
