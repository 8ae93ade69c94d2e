//! Dynamics: how a topic moved week by week. Each weekly commentary scores +1 (improved),
//! 0 (unchanged) or −1 (worsened); unrated weeks and weeks without a commentary have no score.
//! The balance index is the mean score over a trailing window of weeks, so it reads as "on
//! balance, over the last N weeks, things got better (towards +1) or worse (towards −1)".

use crate::period::Period;
use crate::status::Status;
use serde::Serialize;

/// Default trailing window of the balance index, in weeks.
pub const DEFAULT_WINDOW: usize = 8;

/// One week of one topic.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WeekPoint {
    /// The week.
    pub period: Period,
    /// The commentary's status, if there is a commentary that week.
    pub status: Option<Status>,
    /// +1, 0, −1, or none (no commentary, or not rated).
    pub score: Option<i8>,
    /// Mean score over the trailing window ending this week; none when the window holds no
    /// rated week.
    pub balance: Option<f64>,
}

/// Every week from `from` to `to` (inclusive), in order. Empty when `from` is after `to`.
pub fn weeks(from: Period, to: Period) -> Vec<Period> {
    let mut out = Vec::new();
    let mut p = from;
    while p <= to {
        out.push(p);
        p = p.next();
    }
    out
}

/// The weekly series of one topic over `weeks`, from the statuses of its commentaries
/// (`(period, status)` in any order; periods outside `weeks` are ignored), with the balance
/// index over a trailing `window` of weeks. The window counts calendar weeks, so a gap in
/// the archive shortens the evidence rather than stretching the window back in time.
pub fn series(weeks: &[Period], statuses: &[(Period, Status)], window: usize) -> Vec<WeekPoint> {
    let window = window.max(1);
    let mut points: Vec<WeekPoint> = weeks
        .iter()
        .map(|&period| {
            let status = statuses.iter().find(|(p, _)| *p == period).map(|(_, s)| *s);
            WeekPoint {
                period,
                status,
                score: status.and_then(Status::score),
                balance: None,
            }
        })
        .collect();
    for i in 0..points.len() {
        let start = (i + 1).saturating_sub(window);
        let rated: Vec<i8> = points[start..=i].iter().filter_map(|p| p.score).collect();
        if !rated.is_empty() {
            let sum: i32 = rated.iter().map(|&s| i32::from(s)).sum();
            points[i].balance = Some(f64::from(sum) / rated.len() as f64);
        }
    }
    points
}

/// Totals of a series: how many weeks improved, stayed unchanged, worsened, were marked "not
/// rated", or had no commentary at all (missing: a week nobody wrote is not a rating).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Tally {
    /// Weeks marked improved.
    pub improved: usize,
    /// Weeks marked unchanged.
    pub unchanged: usize,
    /// Weeks marked worsened.
    pub worsened: usize,
    /// Weeks whose commentary is marked "not rated".
    pub not_rated: usize,
    /// Weeks without a commentary.
    pub missing: usize,
}

/// Counts the weeks of a series by score.
pub fn tally(points: &[WeekPoint]) -> Tally {
    let mut t = Tally::default();
    for p in points {
        match (p.status, p.score) {
            (None, _) => t.missing += 1,
            (_, Some(1)) => t.improved += 1,
            (_, Some(0)) => t.unchanged += 1,
            (_, Some(-1)) => t.worsened += 1,
            _ => t.not_rated += 1,
        }
    }
    t
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn p(s: &str) -> Period {
        s.parse().expect("period")
    }

    #[test]
    fn hand_computed_series() {
        let weeks = weeks(p("2026-W40"), p("2026-W45"));
        assert_eq!(weeks.len(), 6);
        let statuses = vec![
            (p("2026-W40"), Status::Improved),
            (p("2026-W41"), Status::Worsened),
            (p("2026-W42"), Status::Worsened),
            // W43: no commentary
            (p("2026-W44"), Status::NotRated),
            (p("2026-W45"), Status::Unchanged),
            (p("2026-W30"), Status::Improved), // outside the range: ignored
        ];
        let s = series(&weeks, &statuses, 3);
        let scores: Vec<Option<i8>> = s.iter().map(|x| x.score).collect();
        assert_eq!(
            scores,
            vec![Some(1), Some(-1), Some(-1), None, None, Some(0)]
        );
        let balance: Vec<Option<f64>> = s.iter().map(|x| x.balance).collect();
        // W40: 1/1; W41: (1-1)/2; W42: (1-1-1)/3; W43: window W41..W43 = (-1-1)/2;
        // W44: window W42..W44 = -1/1; W45: window W43..W45 = 0/1.
        assert_eq!(
            balance,
            vec![
                Some(1.0),
                Some(0.0),
                Some(-1.0 / 3.0),
                Some(-1.0),
                Some(-1.0),
                Some(0.0)
            ]
        );
        assert_eq!(
            tally(&s),
            Tally {
                improved: 1,
                unchanged: 1,
                worsened: 2,
                not_rated: 1,
                missing: 1
            }
        );
    }

    #[test]
    fn empty_window_has_no_balance() {
        let weeks = weeks(p("2026-W01"), p("2026-W03"));
        let s = series(&weeks, &[(p("2026-W01"), Status::Improved)], 1);
        assert_eq!(
            s.iter().map(|x| x.balance).collect::<Vec<_>>(),
            vec![Some(1.0), None, None]
        );
        assert!(super::weeks(p("2026-W05"), p("2026-W04")).is_empty());
    }

    proptest! {
        #[test]
        fn balance_stays_within_bounds(codes in proptest::collection::vec(0usize..5, 1..60), window in 1usize..12) {
            let from = p("2025-W50");
            let ws = weeks(from, {
                let mut q = from;
                for _ in 1..codes.len() { q = q.next(); }
                q
            });
            prop_assert_eq!(ws.len(), codes.len());
            let statuses: Vec<(Period, Status)> = ws.iter().zip(&codes).filter(|(_, c)| **c < 4).map(|(w, c)| (*w, Status::ALL[*c])).collect();
            let s = series(&ws, &statuses, window);
            for x in &s {
                if let Some(b) = x.balance {
                    prop_assert!((-1.0..=1.0).contains(&b));
                }
            }
            let t = tally(&s);
            prop_assert_eq!(t.improved + t.unchanged + t.worsened + t.not_rated + t.missing, codes.len());
        }
    }
}
