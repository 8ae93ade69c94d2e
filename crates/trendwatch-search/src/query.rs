//! The reader's search syntax, parsed without touching the index: words, `prefix*` words,
//! "quoted phrases", `-exclusions` (of a word or a phrase) and `name:value` filters
//! (`topic:`, `status:`, `lang:`, `from:`, `to:`). Every mistake is a [`QueryError`] that says
//! what to change, in the reader's language ([`QueryError::message`]), never a server error.

use serde::Serialize;
use time::Date;
use trendwatch_core::Language;

/// Longest query accepted, in characters.
pub const MAX_QUERY_CHARS: usize = 300;

/// Fewest letters before the `*` of a prefix: shorter prefixes match most of the archive.
pub const MIN_PREFIX_CHARS: usize = 3;

/// Filters a query may carry, as they are written in it.
pub const FILTERS: [&str; 5] = ["topic", "status", "lang", "from", "to"];

/// A parsed query.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ParsedQuery {
    /// Words every result must contain (after analysis).
    pub words: Vec<String>,
    /// Phrases every result must contain, word for word.
    pub phrases: Vec<String>,
    /// Beginnings of words (`bord*`, written without the `*`): every result must contain a
    /// word that begins so.
    pub prefixes: Vec<String>,
    /// Words or phrases no result may contain.
    pub excluded: Vec<String>,
    /// Topic slug filter.
    pub topic: Option<String>,
    /// Status filter (`improved`, `unchanged`, `worsened`, `not_rated`).
    pub status: Option<String>,
    /// Language filter (`en`, `ru`).
    pub lang: Option<String>,
    /// First publication day included.
    pub from: Option<Date>,
    /// Last publication day included.
    pub to: Option<Date>,
}

impl ParsedQuery {
    /// Whether the query asks for any text at all (filters alone list by date).
    pub fn has_text(&self) -> bool {
        !self.words.is_empty() || !self.phrases.is_empty() || !self.prefixes.is_empty()
    }
}

/// Why a query was refused, in words a reader can act on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QueryError {
    /// Longer than [`MAX_QUERY_CHARS`].
    #[error("the query is {0} characters long; at most {MAX_QUERY_CHARS} are allowed")]
    TooLong(usize),
    /// An opening quote without its closing one.
    #[error("a quotation mark is not closed: close the phrase with a second \"")]
    UnbalancedQuotes,
    /// `name:` that is not a known filter.
    #[error("unknown filter \"{0}:\"; the filters are topic:, status:, lang:, from: and to:")]
    UnknownFilter(String),
    /// A filter whose value is not valid.
    #[error("{name}: expected {expected}, got \"{value}\"")]
    BadValue {
        /// The filter.
        name: String,
        /// What was given.
        value: String,
        /// What would be accepted.
        expected: String,
    },
    /// Only exclusions, nothing to look for.
    #[error("the query only excludes; add a word to look for")]
    OnlyExclusions,
    /// `from:` after `to:`.
    #[error("from: is after to:")]
    EmptyDateRange,
    /// Words and phrases that are all stop words or symbols: searching for nothing would
    /// list the whole archive.
    #[error(
        "the query has only common words or symbols (\"{0}\"), which say nothing about what \
         to find; add a word that names it"
    )]
    NothingToFind(String),
    /// `b*`: too short a beginning of a word.
    #[error("\"{0}*\": give at least {MIN_PREFIX_CHARS} letters before *")]
    ShortPrefix(String),
}

impl QueryError {
    /// The message in the reader's language (the `Display` text is the English one, for
    /// logs and the JSON answer of an English page).
    pub fn message(&self, lang: Language) -> String {
        if lang == Language::En {
            return self.to_string();
        }
        match self {
            QueryError::TooLong(n) => {
                format!("в запросе {n} символов; допустимо не больше {MAX_QUERY_CHARS}")
            }
            QueryError::UnbalancedQuotes => {
                "кавычки не закрыты: закончите фразу второй \"".to_string()
            }
            QueryError::UnknownFilter(name) => format!(
                "неизвестный фильтр «{name}:»; фильтры: topic:, status:, lang:, from: и to:"
            ),
            QueryError::BadValue {
                name,
                value,
                expected,
            } => format!(
                "{name}: ожидается {}, получено «{value}»",
                expected_ru(expected)
            ),
            QueryError::OnlyExclusions => {
                "запрос только исключает; добавьте слово, которое нужно найти".to_string()
            }
            QueryError::EmptyDateRange => "дата from: позже даты to:".to_string(),
            QueryError::NothingToFind(typed) => format!(
                "в запросе только служебные слова или знаки («{typed}»), они ничего не \
                 говорят о том, что искать; добавьте слово, которое это называет"
            ),
            QueryError::ShortPrefix(p) => {
                format!("«{p}*»: перед * нужно не меньше {MIN_PREFIX_CHARS} букв")
            }
        }
    }
}

/// The Russian of an `expected` text of [`QueryError::BadValue`].
fn expected_ru(expected: &str) -> String {
    match expected {
        "a date as YYYY-MM-DD" => "дата в виде ГГГГ-ММ-ДД".to_string(),
        "a topic slug such as security" => "код темы, например security".to_string(),
        "improved, unchanged, worsened or not_rated" => {
            "improved, unchanged, worsened или not_rated".to_string()
        }
        "en, ru or all" => "en, ru или all".to_string(),
        other => other.replace(" or ", " или "),
    }
}

fn parse_date(name: &str, value: &str) -> Result<Date, QueryError> {
    let format = time::macros::format_description!("[year]-[month]-[day]");
    Date::parse(value, &format).map_err(|_| QueryError::BadValue {
        name: name.to_string(),
        value: value.to_string(),
        expected: "a date as YYYY-MM-DD".into(),
    })
}

/// Parses the reader's query. Filters given as URL parameters are merged by the caller.
pub fn parse(input: &str) -> Result<ParsedQuery, QueryError> {
    let chars = input.chars().count();
    if chars > MAX_QUERY_CHARS {
        return Err(QueryError::TooLong(chars));
    }
    if input.chars().filter(|c| *c == '"').count() % 2 == 1 {
        return Err(QueryError::UnbalancedQuotes);
    }
    let mut q = ParsedQuery::default();
    let mut rest = input.trim_start();
    while !rest.is_empty() {
        let negated = rest.starts_with('-');
        if negated {
            rest = &rest[1..];
        }
        if let Some(after) = rest.strip_prefix('"') {
            // The quote count is even, so the phrase closes.
            let end = after.find('"').ok_or(QueryError::UnbalancedQuotes)?;
            let phrase = after[..end].trim().to_string();
            rest = after[end + 1..].trim_start();
            if phrase.is_empty() {
                continue;
            }
            if negated {
                q.excluded.push(phrase);
            } else {
                q.phrases.push(phrase);
            }
            continue;
        }
        let end = rest
            .find(|c: char| c.is_whitespace() || c == '"')
            .unwrap_or(rest.len());
        let token = &rest[..end];
        rest = rest[end..].trim_start();
        if token.is_empty() {
            continue;
        }
        if let Some((name, value)) = token.split_once(':') {
            let is_word = |s: &str| s.chars().all(|c| c.is_alphanumeric() || c == '-');
            if !negated && is_word(name) && !name.is_empty() && !value.is_empty() {
                apply_filter(&mut q, &name.to_lowercase(), value)?;
                continue;
            }
        }
        if negated {
            q.excluded.push(token.to_string());
        } else if let Some(prefix) = token.strip_suffix('*') {
            let prefix = prefix.trim_end_matches('*');
            if prefix.chars().filter(|c| c.is_alphanumeric()).count() < MIN_PREFIX_CHARS {
                return Err(QueryError::ShortPrefix(prefix.to_string()));
            }
            q.prefixes.push(prefix.to_string());
        } else {
            q.words.push(token.to_string());
        }
    }
    if !q.has_text() && !q.excluded.is_empty() {
        return Err(QueryError::OnlyExclusions);
    }
    if let (Some(f), Some(t)) = (q.from, q.to) {
        if f > t {
            return Err(QueryError::EmptyDateRange);
        }
    }
    Ok(q)
}

/// Sets one filter (from the query text or a URL parameter), checking its value.
pub fn apply_filter(q: &mut ParsedQuery, name: &str, value: &str) -> Result<(), QueryError> {
    let bad = |expected: &str| QueryError::BadValue {
        name: name.to_string(),
        value: value.to_string(),
        expected: expected.to_string(),
    };
    match name {
        "topic" => {
            if !value
                .chars()
                .all(|c| c.is_alphanumeric() || c == '-' || c == '_')
            {
                return Err(bad("a topic slug such as security"));
            }
            q.topic = Some(value.to_lowercase());
        }
        "status" => {
            let v = value.to_lowercase().replace('-', "_");
            if !["improved", "unchanged", "worsened", "not_rated"].contains(&v.as_str()) {
                return Err(bad("improved, unchanged, worsened or not_rated"));
            }
            q.status = Some(v);
        }
        "lang" => {
            // `all` is kept as it is written; the caller turns it into "no language filter".
            let v = value.to_lowercase();
            if !["en", "ru", "all"].contains(&v.as_str()) {
                return Err(bad("en, ru or all"));
            }
            q.lang = Some(v);
        }
        "from" => q.from = Some(parse_date(name, value)?),
        "to" => q.to = Some(parse_date(name, value)?),
        other => return Err(QueryError::UnknownFilter(other.to_string())),
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn words_phrases_exclusions_and_filters() {
        let q = parse(r#"budget "central bank" -protest -"state of emergency" topic:security from:2024-01-01"#)
            .expect("valid");
        assert_eq!(q.words, vec!["budget"]);
        assert_eq!(q.phrases, vec!["central bank"]);
        assert_eq!(q.excluded, vec!["protest", "state of emergency"]);
        assert_eq!(q.topic.as_deref(), Some("security"));
        assert_eq!(q.from.map(|d| d.to_string()), Some("2024-01-01".into()));
    }

    #[test]
    fn helpful_errors() {
        assert_eq!(parse(r#""open"#), Err(QueryError::UnbalancedQuotes));
        assert_eq!(
            parse("colour:red budget"),
            Err(QueryError::UnknownFilter("colour".into()))
        );
        assert_eq!(parse("-budget"), Err(QueryError::OnlyExclusions));
        assert!(matches!(
            parse("from:yesterday x"),
            Err(QueryError::BadValue { .. })
        ));
        assert!(matches!(
            parse(&"a".repeat(301)),
            Err(QueryError::TooLong(301))
        ));
        assert_eq!(
            parse("x from:2024-02-01 to:2024-01-01"),
            Err(QueryError::EmptyDateRange)
        );
        // A colon inside a phrase or a URL-like word is text, not a filter.
        assert_eq!(
            parse(r#""time: now""#).map(|q| q.phrases),
            Ok(vec!["time: now".to_string()])
        );
    }

    #[test]
    fn prefixes_need_three_letters() {
        let q = parse("bord* tension").expect("valid");
        assert_eq!(
            (q.prefixes, q.words),
            (vec!["bord".to_string()], vec!["tension".to_string()])
        );
        assert_eq!(parse("bo*"), Err(QueryError::ShortPrefix("bo".into())));
        assert_eq!(parse("*"), Err(QueryError::ShortPrefix(String::new())));
        assert!(parse("bord*").expect("valid").has_text());
    }

    #[test]
    fn every_error_speaks_russian() {
        let errors = [
            QueryError::TooLong(301),
            QueryError::UnbalancedQuotes,
            QueryError::UnknownFilter("colour".into()),
            QueryError::BadValue {
                name: "from".into(),
                value: "x".into(),
                expected: "a date as YYYY-MM-DD".into(),
            },
            QueryError::OnlyExclusions,
            QueryError::EmptyDateRange,
            QueryError::NothingToFind("the".into()),
            QueryError::ShortPrefix("bo".into()),
        ];
        for e in errors {
            let ru = e.message(Language::Ru);
            // Russian words around the filter names and values, which stay as typed.
            let cyrillic = ru.chars().filter(|c| ('а'..='я').contains(c)).count();
            assert!(cyrillic >= 12, "{e:?}: {ru}");
            assert_ne!(ru, e.to_string());
            assert_eq!(e.message(Language::En), e.to_string());
        }
    }

    proptest! {
        #[test]
        fn never_panics_and_respects_the_length_limit(s in "\\PC{0,320}") {
            match parse(&s) {
                Ok(q) => prop_assert!(s.chars().count() <= MAX_QUERY_CHARS && (q.has_text() || q.excluded.is_empty())),
                Err(e) => prop_assert!(!e.to_string().is_empty()),
            }
        }
    }
}
