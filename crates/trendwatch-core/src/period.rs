//! The weekly period a commentary covers: an ISO 8601 week.
//!
//! Periods are never free text. They are derived from the publication date (by default the
//! last full week before it, because a Monday commentary reviews "last week") or given
//! explicitly as `2017-W31`, and rendered by one function per language, so the same week can
//! never appear twice under two spellings and no week can be skipped by a typo.

use crate::language::Language;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;
use time::{Date, Duration, Month, Weekday};

/// An ISO 8601 week: the Monday-to-Sunday week numbered `week` of ISO year `year`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Period {
    year: i32,
    week: u8,
}

/// Why a period could not be parsed or built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PeriodError {
    /// The text is not of the form `YYYY-Www`.
    #[error("invalid period {0:?}: expected an ISO week such as \"2017-W31\"")]
    Syntax(String),
    /// The week number does not exist in that ISO year.
    #[error("invalid period {0:?}: ISO year {1} has no week {2}")]
    NoSuchWeek(String, i32, u8),
}

impl Period {
    /// Builds the period for ISO year `year`, week `week`, if that week exists.
    pub fn new(year: i32, week: u8) -> Result<Period, PeriodError> {
        Date::from_iso_week_date(year, week, Weekday::Monday)
            .map(|_| Period { year, week })
            .map_err(|_| PeriodError::NoSuchWeek(format!("{year}-W{week:02}"), year, week))
    }

    /// The ISO week containing `date`.
    pub fn containing(date: Date) -> Period {
        let (year, week, _) = date.to_iso_week_date();
        Period { year, week }
    }

    /// The default period of a commentary published on `date`: the last full ISO week before
    /// the publication date, i.e. the week before the one containing it. A commentary published
    /// on Monday 7 August 2017 covers 31 July – 6 August 2017.
    pub fn reviewed_on(date: Date) -> Period {
        Period::containing(date).prev()
    }

    /// ISO week-numbering year.
    pub fn year(self) -> i32 {
        self.year
    }

    /// ISO week number, 1 to 53.
    pub fn week(self) -> u8 {
        self.week
    }

    /// The Monday that opens the week.
    pub fn monday(self) -> Date {
        // Construction guarantees the week exists; fall back to the minimum date rather than
        // panic so a corrupted value can never take a request down.
        Date::from_iso_week_date(self.year, self.week, Weekday::Monday).unwrap_or(Date::MIN)
    }

    /// The Sunday that closes the week.
    pub fn sunday(self) -> Date {
        self.monday() + Duration::days(6)
    }

    /// The week after this one.
    pub fn next(self) -> Period {
        Period::containing(self.monday() + Duration::days(7))
    }

    /// The week before this one.
    pub fn prev(self) -> Period {
        Period::containing(self.monday() - Duration::days(7))
    }

    /// A sortable integer key (`year * 100 + week`), as stored in databases.
    pub fn key(self) -> i32 {
        self.year * 100 + i32::from(self.week)
    }

    /// The inverse of [`Period::key`].
    pub fn from_key(key: i32) -> Result<Period, PeriodError> {
        Period::new(key / 100, (key % 100) as u8)
    }

    /// The URL form, `2017-w31`.
    pub fn url_slug(self) -> String {
        format!("{}-w{:02}", self.year, self.week)
    }

    /// The label readers see: "July 31 – August 6, 2017" or "31 июля – 6 августа 2017".
    pub fn label(self, lang: Language) -> String {
        let (a, b) = (self.monday(), self.sunday());
        match lang {
            Language::En => {
                let (ma, mb) = (month_en(a.month()), month_en(b.month()));
                if a.year() != b.year() {
                    format!(
                        "{ma} {}, {} – {mb} {}, {}",
                        a.day(),
                        a.year(),
                        b.day(),
                        b.year()
                    )
                } else {
                    format!("{ma} {} – {mb} {}, {}", a.day(), b.day(), b.year())
                }
            }
            Language::Ru => {
                let (ma, mb) = (month_ru_genitive(a.month()), month_ru_genitive(b.month()));
                if a.year() != b.year() {
                    format!(
                        "{} {ma} {} – {} {mb} {}",
                        a.day(),
                        a.year(),
                        b.day(),
                        b.year()
                    )
                } else if a.month() != b.month() {
                    format!("{} {ma} – {} {mb} {}", a.day(), b.day(), b.year())
                } else {
                    format!("{}–{} {mb} {}", a.day(), b.day(), b.year())
                }
            }
        }
    }
}

/// English month name.
pub fn month_en(m: Month) -> &'static str {
    match m {
        Month::January => "January",
        Month::February => "February",
        Month::March => "March",
        Month::April => "April",
        Month::May => "May",
        Month::June => "June",
        Month::July => "July",
        Month::August => "August",
        Month::September => "September",
        Month::October => "October",
        Month::November => "November",
        Month::December => "December",
    }
}

/// Russian month name in the genitive case, as used in dates ("7 мая").
pub fn month_ru_genitive(m: Month) -> &'static str {
    match m {
        Month::January => "января",
        Month::February => "февраля",
        Month::March => "марта",
        Month::April => "апреля",
        Month::May => "мая",
        Month::June => "июня",
        Month::July => "июля",
        Month::August => "августа",
        Month::September => "сентября",
        Month::October => "октября",
        Month::November => "ноября",
        Month::December => "декабря",
    }
}

impl fmt::Display for Period {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-W{:02}", self.year, self.week)
    }
}

impl FromStr for Period {
    type Err = PeriodError;
    /// Parses `2017-W31`, `2017-w31` or `2017W31`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let t = s.trim();
        let syntax = || PeriodError::Syntax(s.to_string());
        let (y, w) = t.split_once(['W', 'w']).ok_or_else(syntax)?;
        let y = y.strip_suffix('-').unwrap_or(y);
        if y.len() != 4 || w.is_empty() || w.len() > 2 {
            return Err(syntax());
        }
        let year: i32 = y.parse().map_err(|_| syntax())?;
        let week: u8 = w.parse().map_err(|_| syntax())?;
        Period::new(year, week).map_err(|_| PeriodError::NoSuchWeek(s.to_string(), year, week))
    }
}

impl TryFrom<String> for Period {
    type Error = PeriodError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

impl From<Period> for String {
    fn from(p: Period) -> String {
        p.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use time::macros::date;

    #[test]
    fn seed_publication_reviews_previous_week() {
        let p = Period::reviewed_on(date!(2017 - 08 - 07));
        assert_eq!(p.to_string(), "2017-W31");
        assert_eq!(p.monday(), date!(2017 - 07 - 31));
        assert_eq!(p.sunday(), date!(2017 - 08 - 06));
        assert_eq!(p.label(Language::En), "July 31 – August 6, 2017");
        assert_eq!(p.label(Language::Ru), "31 июля – 6 августа 2017");
    }

    #[test]
    fn labels_within_one_month_and_across_years() {
        let p: Period = "2018-W19".parse().expect("valid");
        assert_eq!(p.label(Language::En), "May 7 – May 13, 2018");
        assert_eq!(p.label(Language::Ru), "7–13 мая 2018");
        let p: Period = "2019-W01".parse().expect("valid");
        assert_eq!(p.label(Language::En), "December 31, 2018 – January 6, 2019");
        assert_eq!(p.label(Language::Ru), "31 декабря 2018 – 6 января 2019");
    }

    #[test]
    fn rejects_bad_periods() {
        assert!(matches!(
            "2017-31".parse::<Period>(),
            Err(PeriodError::Syntax(_))
        ));
        assert!(matches!(
            "2019-W53".parse::<Period>(),
            Err(PeriodError::NoSuchWeek(..))
        ));
        assert!("2020-W53".parse::<Period>().is_ok());
        assert!("May 7 - May 13".parse::<Period>().is_err());
    }

    proptest! {
        #[test]
        fn every_day_lies_in_its_week(days in 0i64..40_000) {
            let d = date!(1970 - 01 - 01) + Duration::days(days);
            let p = Period::containing(d);
            prop_assert!(p.monday() <= d && d <= p.sunday());
            prop_assert_eq!(p.monday().weekday(), Weekday::Monday);
        }

        #[test]
        fn reviewed_week_ends_before_publication(days in 0i64..40_000) {
            let d = date!(1970 - 01 - 01) + Duration::days(days);
            let p = Period::reviewed_on(d);
            prop_assert!(p.sunday() < d);
            // It is the *last* full week: the next week is not over before `d`.
            prop_assert!(p.next().sunday() >= d);
        }

        #[test]
        fn next_and_prev_are_inverse_and_contiguous(days in 0i64..40_000) {
            let p = Period::containing(date!(1970 - 01 - 01) + Duration::days(days));
            prop_assert_eq!(p.next().prev(), p);
            prop_assert_eq!(p.next().monday(), p.sunday() + Duration::days(1));
            prop_assert!(p.next().key() > p.key());
        }

        #[test]
        fn text_and_key_round_trip(days in 0i64..40_000) {
            let p = Period::containing(date!(1970 - 01 - 01) + Duration::days(days));
            prop_assert_eq!(p.to_string().parse::<Period>(), Ok(p));
            prop_assert_eq!(p.url_slug().parse::<Period>(), Ok(p));
            prop_assert_eq!(Period::from_key(p.key()), Ok(p));
        }

        #[test]
        fn parser_never_panics(s in "\\PC{0,12}") {
            let _ = s.parse::<Period>();
        }
    }
}
