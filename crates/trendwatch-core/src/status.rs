//! The backward-looking marker of a commentary (did the trend change for the better, the worse,
//! or not at all last week) and the forward-looking alert (risk or opportunity ahead).
//! Each has a word in every language and a symbol, so pages never rely on colour alone.

use crate::language::Language;
use serde::{Deserialize, Serialize};
use std::str::FromStr;

/// How the trend changed over the period the commentary covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// A change for the better.
    Improved,
    /// No change.
    Unchanged,
    /// A change for the worse.
    Worsened,
    /// The analyst did not mark the week (as in many archived pages).
    NotRated,
}

impl Status {
    /// Every status, for filters and legends.
    pub const ALL: [Status; 4] = [
        Status::Improved,
        Status::Unchanged,
        Status::Worsened,
        Status::NotRated,
    ];

    /// Stable identifier for storage, URLs and CSS classes.
    pub fn code(self) -> &'static str {
        match self {
            Status::Improved => "improved",
            Status::Unchanged => "unchanged",
            Status::Worsened => "worsened",
            Status::NotRated => "not_rated",
        }
    }

    /// The word readers see.
    pub fn label(self, lang: Language) -> &'static str {
        match (self, lang) {
            (Status::Improved, Language::En) => "Improved",
            (Status::Unchanged, Language::En) => "Unchanged",
            (Status::Worsened, Language::En) => "Worsened",
            (Status::NotRated, Language::En) => "Not rated",
            (Status::Improved, Language::Ru) => "Улучшение",
            (Status::Unchanged, Language::Ru) => "Без изменений",
            (Status::Worsened, Language::Ru) => "Ухудшение",
            (Status::NotRated, Language::Ru) => "Без оценки",
        }
    }

    /// A shape that carries the meaning without colour (up, level, down, empty).
    pub fn symbol(self) -> &'static str {
        match self {
            Status::Improved => "▲",
            Status::Unchanged => "■",
            Status::Worsened => "▼",
            Status::NotRated => "○",
        }
    }

    /// The weekly score used by the dynamics: +1, 0, −1, or none.
    pub fn score(self) -> Option<i8> {
        match self {
            Status::Improved => Some(1),
            Status::Unchanged => Some(0),
            Status::Worsened => Some(-1),
            Status::NotRated => None,
        }
    }
}

/// Error for a status word that is not one of the four.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown status {0:?}: expected improved, unchanged, worsened or not_rated")]
pub struct UnknownStatus(pub String);

impl FromStr for Status {
    type Err = UnknownStatus;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let t = s.trim().to_lowercase();
        Ok(match t.as_str() {
            "improved" | "better" | "improvement" | "positive" | "+1" | "+" | "улучшение" => {
                Status::Improved
            }
            "unchanged" | "no change" | "stable" | "neutral" | "0" | "без изменений" => {
                Status::Unchanged
            }
            "worsened" | "worse" | "deterioration" | "negative" | "-1" | "-" | "ухудшение" => {
                Status::Worsened
            }
            "" | "not_rated" | "not rated" | "none" | "без оценки" => Status::NotRated,
            _ => return Err(UnknownStatus(s.to_string())),
        })
    }
}

/// A forward-looking flag: what the analyst expects next, separate from the weekly marker.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Alert {
    /// Nothing to flag.
    None,
    /// A risk of deterioration ahead.
    Risk,
    /// An opening for improvement ahead.
    Opportunity,
}

impl Alert {
    /// Stable identifier for storage and CSS classes.
    pub fn code(self) -> &'static str {
        match self {
            Alert::None => "none",
            Alert::Risk => "risk",
            Alert::Opportunity => "opportunity",
        }
    }

    /// The word readers see.
    pub fn label(self, lang: Language) -> &'static str {
        match (self, lang) {
            (Alert::None, Language::En) => "No alert",
            (Alert::Risk, Language::En) => "Risk alert",
            (Alert::Opportunity, Language::En) => "Opportunity",
            (Alert::None, Language::Ru) => "Без сигнала",
            (Alert::Risk, Language::Ru) => "Риск",
            (Alert::Opportunity, Language::Ru) => "Возможность",
        }
    }
}

/// Error for an alert word that is not one of the three.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown alert {0:?}: expected none, risk or opportunity")]
pub struct UnknownAlert(pub String);

impl FromStr for Alert {
    type Err = UnknownAlert;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_lowercase().as_str() {
            "" | "none" => Ok(Alert::None),
            "risk" | "риск" => Ok(Alert::Risk),
            "opportunity" | "возможность" => Ok(Alert::Opportunity),
            _ => Err(UnknownAlert(s.to_string())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip() {
        for s in Status::ALL {
            assert_eq!(s.code().parse::<Status>(), Ok(s));
        }
        for a in [Alert::None, Alert::Risk, Alert::Opportunity] {
            assert_eq!(a.code().parse::<Alert>(), Ok(a));
        }
        assert!("sideways".parse::<Status>().is_err());
    }
}
