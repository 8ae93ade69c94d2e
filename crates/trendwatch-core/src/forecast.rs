//! Forecasts: a statement about the future with a probability and a resolve-by date, later
//! resolved by an editor. The track record scores resolved forecasts with the Brier score and
//! a calibration table (predicted probability against observed frequency).

use serde::Serialize;
use std::str::FromStr;
use time::Date;

/// How a forecast turned out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// The forecast event happened.
    Happened,
    /// It did not happen by the date.
    DidNotHappen,
    /// It can no longer be judged (the question became moot); excluded from scores.
    Void,
}

impl Outcome {
    /// Stable identifier for storage and the API.
    pub fn code(self) -> &'static str {
        match self {
            Outcome::Happened => "happened",
            Outcome::DidNotHappen => "did_not_happen",
            Outcome::Void => "void",
        }
    }

    /// 1 for happened, 0 for did not happen, none for void.
    pub fn value(self) -> Option<f64> {
        match self {
            Outcome::Happened => Some(1.0),
            Outcome::DidNotHappen => Some(0.0),
            Outcome::Void => None,
        }
    }
}

/// Error for an outcome word that is not one of the three.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown outcome {0:?}: expected happened, did_not_happen or void")]
pub struct UnknownOutcome(pub String);

impl FromStr for Outcome {
    type Err = UnknownOutcome;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_lowercase().replace(['-', ' '], "_").as_str() {
            "happened" | "yes" | "true" => Ok(Outcome::Happened),
            "did_not_happen" | "no" | "false" => Ok(Outcome::DidNotHappen),
            "void" => Ok(Outcome::Void),
            _ => Err(UnknownOutcome(s.to_string())),
        }
    }
}

/// Parses a probability written as `0.7`, `70%` or `70 %`; must lie in [0, 1].
pub fn parse_probability(s: &str) -> Result<f64, String> {
    let t = s.trim();
    let (num, scale) = match t.strip_suffix('%') {
        Some(n) => (n.trim(), 100.0),
        None => (t, 1.0),
    };
    let v: f64 = num
        .parse()
        .map_err(|_| format!("{s:?} is not a probability: expected e.g. 0.7 or 70%"))?;
    let p = v / scale;
    if (0.0..=1.0).contains(&p) {
        Ok(p)
    } else {
        Err(format!("{s:?} is outside 0–1 (0%–100%)"))
    }
}

/// A forecast as stored and shown.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Forecast {
    /// Database id (0 before storing).
    pub id: i64,
    /// What is expected to happen.
    pub statement: String,
    /// Probability, 0 to 1.
    pub probability: f64,
    /// The date by which it should have happened.
    pub resolve_by: Date,
    /// How it turned out, once resolved.
    pub outcome: Option<Outcome>,
    /// Set when the forecast is shown with a translation of the commentary that made it: the
    /// language of that commentary, which the statement is written in. Forecasts belong to
    /// the commentary, not to one edition, so each edition shows them.
    pub made_in: Option<crate::Language>,
}

/// One bin of the calibration table.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct CalibrationBin {
    /// Lower edge of the predicted-probability bin (the bin is [lower, lower + 0.2), the last
    /// one closed).
    pub lower: f64,
    /// Number of resolved, non-void forecasts in the bin.
    pub count: usize,
    /// Mean predicted probability in the bin.
    pub mean_predicted: f64,
    /// Share of them that happened.
    pub observed: f64,
}

/// The scores of a set of forecasts.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TrackRecord {
    /// Forecasts resolved as happened or did not happen.
    pub scored: usize,
    /// Forecasts resolved void.
    pub void: usize,
    /// Forecasts not resolved yet.
    pub open: usize,
    /// Mean squared error of the probabilities over scored forecasts (0 is perfect, 0.25 is
    /// always saying 50%); none when nothing is scored.
    pub brier: Option<f64>,
    /// Five bins of width 0.2; bins without forecasts are left out.
    pub calibration: Vec<CalibrationBin>,
}

/// Scores `forecasts` (probability, outcome).
pub fn track_record(forecasts: &[(f64, Option<Outcome>)]) -> TrackRecord {
    let scored: Vec<(f64, f64)> = forecasts
        .iter()
        .filter_map(|(p, o)| o.and_then(Outcome::value).map(|v| (*p, v)))
        .collect();
    let brier = (!scored.is_empty())
        .then(|| scored.iter().map(|(p, o)| (p - o) * (p - o)).sum::<f64>() / scored.len() as f64);
    let mut calibration = Vec::new();
    for b in 0..5 {
        let lower = f64::from(b) / 5.0;
        let in_bin: Vec<&(f64, f64)> = scored
            .iter()
            .filter(|(p, _)| {
                let bin = ((p * 5.0).floor() as i32).min(4);
                bin == b
            })
            .collect();
        if in_bin.is_empty() {
            continue;
        }
        let n = in_bin.len() as f64;
        calibration.push(CalibrationBin {
            lower,
            count: in_bin.len(),
            mean_predicted: in_bin.iter().map(|(p, _)| p).sum::<f64>() / n,
            observed: in_bin.iter().map(|(_, o)| o).sum::<f64>() / n,
        });
    }
    TrackRecord {
        scored: scored.len(),
        void: forecasts
            .iter()
            .filter(|(_, o)| *o == Some(Outcome::Void))
            .count(),
        open: forecasts.iter().filter(|(_, o)| o.is_none()).count(),
        brier,
        calibration,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn brier_and_calibration_by_hand() {
        use Outcome::*;
        let f = [
            (0.9, Some(Happened)),     // (0.9-1)^2 = 0.01
            (0.7, Some(DidNotHappen)), // 0.49
            (0.2, Some(DidNotHappen)), // 0.04
            (0.1, Some(Happened)),     // 0.81
            (0.5, Some(Void)),
            (0.6, None),
        ];
        let r = track_record(&f);
        assert_eq!((r.scored, r.void, r.open), (3 + 1, 1, 1));
        let brier = r.brier.expect("scored");
        assert!((brier - (0.01 + 0.49 + 0.04 + 0.81) / 4.0).abs() < 1e-12);
        // Bins: [0,0.2): 0.1 → happened; [0.2,0.4): 0.2 → no; [0.6,0.8): 0.7 → no; [0.8,1]: 0.9 → yes.
        let bins: Vec<(f64, usize, f64)> = r
            .calibration
            .iter()
            .map(|b| (b.lower, b.count, b.observed))
            .collect();
        assert_eq!(
            bins,
            vec![(0.0, 1, 1.0), (0.2, 1, 0.0), (0.6, 1, 0.0), (0.8, 1, 1.0)]
        );
        assert!(track_record(&[(0.5, None)]).brier.is_none());
        assert_eq!(
            track_record(&[(1.0, Some(Happened))]).calibration[0].lower,
            0.8
        );
    }

    #[test]
    fn probabilities_and_outcomes_parse() {
        assert_eq!(parse_probability("70%"), Ok(0.7));
        assert_eq!(parse_probability(" 0.25 "), Ok(0.25));
        assert!(parse_probability("1.5").is_err());
        assert!(parse_probability("likely").is_err());
        assert_eq!(
            "did not happen".parse::<Outcome>(),
            Ok(Outcome::DidNotHappen)
        );
        assert!("maybe".parse::<Outcome>().is_err());
    }
}

/// A forecast as a source writes it, before checking.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ForecastDraft {
    /// What is expected.
    pub statement: String,
    /// Probability as written ("0.7", "70%").
    pub probability: String,
    /// Resolve-by date as written (`2027-03-31`).
    pub resolve_by: String,
    /// Outcome, if the source already records one.
    pub outcome: Option<String>,
}

impl ForecastDraft {
    /// Checks the fields; errors say which one and what was expected.
    pub fn prepare(&self) -> Result<Forecast, (&'static str, String)> {
        let statement = self
            .statement
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        if statement.is_empty() {
            return Err(("statement", "missing: what is expected to happen".into()));
        }
        let probability = parse_probability(&self.probability).map_err(|e| ("probability", e))?;
        let format = time::macros::format_description!("[year]-[month]-[day]");
        let resolve_by = Date::parse(self.resolve_by.trim().get(..10).unwrap_or(""), format)
            .map_err(|_| {
                (
                    "resolve_by",
                    format!(
                        "{:?} is not a date: expected e.g. 2027-03-31",
                        self.resolve_by
                    ),
                )
            })?;
        let outcome = match self
            .outcome
            .as_deref()
            .map(str::trim)
            .filter(|o| !o.is_empty())
        {
            None => None,
            Some(o) => Some(
                o.parse::<Outcome>()
                    .map_err(|e| ("outcome", e.to_string()))?,
            ),
        };
        Ok(Forecast {
            id: 0,
            statement,
            probability,
            resolve_by,
            outcome,
            made_in: None,
        })
    }
}

/// A forecast with the commentary that made it, for track-record pages and editors' lists.
#[derive(Debug, Clone, PartialEq)]
pub struct ForecastEntry {
    /// The forecast.
    pub forecast: Forecast,
    /// The commentary.
    pub article: crate::article::ArticleSummary,
    /// Its authors.
    pub authors: Vec<String>,
}
