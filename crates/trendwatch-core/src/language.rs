//! The languages of an edition. Each language has its own URL prefix (`/en/…`, `/ru/…`), UI
//! strings and content; translations of one commentary are linked as a group.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// A language in which commentaries are written and the site is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Language {
    /// English edition.
    En,
    /// Russian edition.
    Ru,
}

impl Language {
    /// Every supported language, in the order the UI lists them.
    pub const ALL: [Language; 2] = [Language::En, Language::Ru];

    /// The BCP 47 code, also the URL prefix.
    pub fn code(self) -> &'static str {
        match self {
            Language::En => "en",
            Language::Ru => "ru",
        }
    }

    /// The language's own name for itself, for the language switcher.
    pub fn native_name(self) -> &'static str {
        match self {
            Language::En => "English",
            Language::Ru => "Русский",
        }
    }

    /// Guesses the language of a text from its alphabet: Russian when Cyrillic letters make up
    /// at least 30% of its letters. Good enough to tell the two editions apart on import; a
    /// proper detector belongs to the text-analysis work of the search issue.
    pub fn detect(text: &str) -> Language {
        let (mut cyr, mut letters) = (0usize, 0usize);
        for c in text.chars().take(4000) {
            if c.is_alphabetic() {
                letters += 1;
                if ('\u{0400}'..='\u{04FF}').contains(&c) {
                    cyr += 1;
                }
            }
        }
        if letters > 0 && cyr * 10 >= letters * 3 {
            Language::Ru
        } else {
            Language::En
        }
    }
}

impl fmt::Display for Language {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// Error for a language code that Trendwatch does not publish in.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown language {0:?}: expected \"en\" or \"ru\"")]
pub struct UnknownLanguage(pub String);

impl FromStr for Language {
    type Err = UnknownLanguage;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "en" | "eng" | "english" | "en-us" | "en-gb" => Ok(Language::En),
            "ru" | "rus" | "russian" | "ru-ru" => Ok(Language::Ru),
            other => Err(UnknownLanguage(other.to_string())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detects_by_alphabet() {
        assert_eq!(Language::detect("Минск стремится избежать"), Language::Ru);
        assert_eq!(Language::detect("Minsk aims to steer clear"), Language::En);
        assert_eq!(Language::detect("NATO и ОДКБ: новые учения"), Language::Ru);
    }

    #[test]
    fn parses_codes() {
        assert_eq!("RU".parse::<Language>(), Ok(Language::Ru));
        assert!("de".parse::<Language>().is_err());
    }
}
