//! Text analysis shared by similar articles, storyline threading and full-text search:
//! tokenising, case and ё folding, stop words and Snowball stemming for English and Russian,
//! plus capitalised-phrase ("entity") detection.
//!
//! Search and similarity must agree on what a word is, otherwise a query that finds an
//! article and the "similar" list under it would disagree about the same text. So the search
//! index's tokenizer is a thin adapter over [`analyze`], and the similarity engine's features
//! come from [`analyze`] too.

use crate::language::Language;
use crate::similarity::{FnvMap, FnvSet};
use rust_stemmers::{Algorithm, Stemmer};
use std::cell::RefCell;
use std::sync::OnceLock;

/// One analysed word of a text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Token<'a> {
    /// The normalised, stemmed term.
    pub term: &'a str,
    /// Byte offset of the original word in the text.
    pub from: usize,
    /// Byte offset just past the original word.
    pub to: usize,
    /// Word position, counting stop words too, so that phrase queries keep their gaps.
    pub position: u32,
}

/// English stop words: function words that carry no topic.
const STOP_EN: &[&str] = &[
    "a",
    "about",
    "above",
    "after",
    "again",
    "against",
    "all",
    "also",
    "am",
    "an",
    "and",
    "any",
    "are",
    "as",
    "at",
    "be",
    "because",
    "been",
    "before",
    "being",
    "below",
    "between",
    "both",
    "but",
    "by",
    "can",
    "could",
    "did",
    "do",
    "does",
    "doing",
    "down",
    "during",
    "each",
    "few",
    "for",
    "from",
    "further",
    "had",
    "has",
    "have",
    "having",
    "he",
    "her",
    "here",
    "hers",
    "herself",
    "him",
    "himself",
    "his",
    "how",
    "i",
    "if",
    "in",
    "into",
    "is",
    "it",
    "its",
    "itself",
    "just",
    "me",
    "more",
    "most",
    "my",
    "myself",
    "no",
    "nor",
    "not",
    "now",
    "of",
    "off",
    "on",
    "once",
    "only",
    "or",
    "other",
    "our",
    "ours",
    "ourselves",
    "out",
    "over",
    "own",
    "same",
    "she",
    "should",
    "so",
    "some",
    "such",
    "than",
    "that",
    "the",
    "their",
    "theirs",
    "them",
    "themselves",
    "then",
    "there",
    "these",
    "they",
    "this",
    "those",
    "through",
    "to",
    "too",
    "under",
    "until",
    "up",
    "very",
    "was",
    "we",
    "were",
    "what",
    "when",
    "where",
    "which",
    "while",
    "who",
    "whom",
    "why",
    "will",
    "with",
    "would",
    "you",
    "your",
    "yours",
    "yourself",
    "said",
    "says",
    "say",
    "mr",
    "mrs",
    "ms",
    "one",
    "two",
    "new",
    "like",
    "get",
    "got",
    "may",
    "might",
    "must",
    "shall",
    "us",
    "yet",
    "ago",
    "via",
    "per",
    "s",
    "t",
    "don",
    "isn",
    "wasn",
];

/// Russian stop words (ё already folded to е).
const STOP_RU: &[&str] = &[
    "а",
    "без",
    "более",
    "бы",
    "был",
    "была",
    "были",
    "было",
    "быть",
    "в",
    "вам",
    "вас",
    "весь",
    "во",
    "вот",
    "все",
    "всего",
    "всех",
    "вы",
    "где",
    "да",
    "даже",
    "для",
    "до",
    "его",
    "ее",
    "ей",
    "ему",
    "если",
    "есть",
    "еще",
    "же",
    "за",
    "здесь",
    "и",
    "из",
    "или",
    "им",
    "их",
    "к",
    "как",
    "какой",
    "когда",
    "кто",
    "ли",
    "либо",
    "мне",
    "может",
    "мы",
    "на",
    "над",
    "надо",
    "наш",
    "не",
    "него",
    "нее",
    "нет",
    "ни",
    "них",
    "но",
    "ну",
    "о",
    "об",
    "однако",
    "он",
    "она",
    "они",
    "оно",
    "от",
    "очень",
    "по",
    "под",
    "после",
    "при",
    "про",
    "с",
    "со",
    "так",
    "также",
    "такой",
    "там",
    "те",
    "тем",
    "то",
    "того",
    "тоже",
    "той",
    "только",
    "том",
    "ты",
    "у",
    "уже",
    "хотя",
    "чего",
    "чей",
    "чем",
    "что",
    "чтобы",
    "чье",
    "эта",
    "эти",
    "это",
    "этого",
    "этой",
    "этом",
    "этот",
    "я",
    "который",
    "которые",
    "которая",
    "которого",
    "которой",
    "которых",
    "будет",
    "будут",
    "между",
    "свой",
    "своей",
    "своих",
    "сам",
    "себя",
    "сказал",
    "заявил",
    "также",
    "ранее",
    "время",
    "году",
    "года",
    "сообщает",
    "сообщил",
    "словам",
];

fn stop_set() -> &'static FnvSet<&'static str> {
    static SET: OnceLock<FnvSet<&'static str>> = OnceLock::new();
    SET.get_or_init(|| STOP_EN.iter().chain(STOP_RU).copied().collect())
}

/// Whether a normalised (lowercase, ё-folded) word is a stop word of either language. Both
/// lists apply to every text: Russian commentaries quote English names and vice versa.
pub fn is_stop_word(word: &str) -> bool {
    stop_set().contains(word)
}

fn stemmer(lang: Language) -> &'static Stemmer {
    static EN: OnceLock<Stemmer> = OnceLock::new();
    static RU: OnceLock<Stemmer> = OnceLock::new();
    match lang {
        Language::En => EN.get_or_init(|| Stemmer::create(Algorithm::English)),
        Language::Ru => RU.get_or_init(|| Stemmer::create(Algorithm::Russian)),
    }
}

fn is_cyrillic(c: char) -> bool {
    ('\u{0400}'..='\u{04FF}').contains(&c)
}

/// Lowercases `raw` into `out`, folding ё to е. Returns whether the word is Cyrillic.
pub fn normalise_into(raw: &str, out: &mut String) -> bool {
    out.clear();
    if raw.is_ascii() {
        out.push_str(raw);
        out.make_ascii_lowercase();
        return false;
    }
    let mut cyr = false;
    for c in raw.chars() {
        // The Russian alphabet directly; `to_lowercase`'s table search for anything else.
        match c {
            'А'..='Я' => out.push(char::from_u32(c as u32 + 0x20).unwrap_or(c)),
            'а'..='я' => out.push(c),
            'ё' | 'Ё' => out.push('е'),
            _ => {
                for l in c.to_lowercase() {
                    cyr |= is_cyrillic(l);
                    out.push(if l == 'ё' { 'е' } else { l });
                }
                continue;
            }
        }
        cyr = true;
    }
    cyr
}

thread_local! {
    /// Normalised word → its term (`None` for a stop word), per thread: the same few
    /// thousand words make up most of any text, and one lookup (FNV, since the words come
    /// from the archive, not from requests) is several times cheaper than the stop-word
    /// check and the Snowball automaton.
    static TERMS: RefCell<FnvMap<String, Option<String>>> = RefCell::new(FnvMap::default());
}

const STEM_CACHE_LIMIT: usize = 200_000;

/// The stem of a normalised word. Each word is stemmed by its own alphabet (a Cyrillic word
/// by the Russian stemmer, any other by the English one), whatever the text's language, so
/// that quoted names are treated alike in both editions.
pub fn stem(word: &str, cyrillic: bool, f: impl FnOnce(&str)) {
    if word.chars().any(|c| c.is_ascii_digit()) {
        return f(word);
    }
    let lang = if cyrillic { Language::Ru } else { Language::En };
    f(&stemmer(lang).stem(word))
}

/// The term of a normalised word, or `None` for a stop word, through the per-thread cache.
fn term_of(word: &str, cyrillic: bool, f: impl FnOnce(&str)) {
    TERMS.with(|cache| {
        let mut cache = cache.borrow_mut();
        if let Some(term) = cache.get(word) {
            if let Some(term) = term {
                f(term);
            }
            return;
        }
        let term = (!is_stop_word(word)).then(|| {
            let mut out = String::new();
            stem(word, cyrillic, |s| out.push_str(s));
            out
        });
        if let Some(term) = &term {
            f(term);
        }
        if cache.len() >= STEM_CACHE_LIMIT {
            cache.clear();
        }
        cache.insert(word.to_string(), term);
    })
}

/// Splits `text` into words (runs of letters and digits; an apostrophe inside a word is
/// dropped) and calls `f` with each word and its byte range.
fn words(text: &str, mut f: impl FnMut(&str, usize, usize)) {
    let mut start: Option<usize> = None;
    // Latin and Russian letters directly; the Unicode table search for anything else.
    let is_word_char = |c: char| {
        c.is_ascii_alphanumeric()
            || ('А'..='я').contains(&c)
            || c == 'ё'
            || c == 'Ё'
            || (!c.is_ascii() && c.is_alphanumeric())
    };
    for (i, c) in text.char_indices() {
        if is_word_char(c) {
            if start.is_none() {
                start = Some(i);
            }
        } else if let Some(s) = start.take() {
            f(&text[s..i], s, i);
        }
    }
    if let Some(s) = start {
        f(&text[s..], s, text.len());
    }
}

/// Analyses `text`: every word that is not a stop word, normalised and stemmed, with its
/// offsets and position. Each word is stemmed by its own alphabet (see [`stem`]), so no
/// language needs to be known or detected.
pub fn analyze(text: &str, mut f: impl FnMut(Token<'_>)) {
    let mut norm = String::with_capacity(32);
    let mut position = 0u32;
    words(text, |raw, from, to| {
        let cyr = normalise_into(raw, &mut norm);
        let pos = position;
        position += 1;
        term_of(&norm, cyr, |term| {
            f(Token {
                term,
                from,
                to,
                position: pos,
            })
        });
    });
}

/// A calendar date named in a text without its year ("8 November", "November 8",
/// "8 ноября", "20 окт"), as `month * 32 + day`.
pub type DayOfYear = u16;

/// The month (1–12) that a normalised word names, in full or abbreviated, in English or
/// Russian (any case ending: "ноября", "ноябре").
fn month_of(word: &str) -> Option<u16> {
    // Abbreviations must match whole words, full names by their stem, so that "marketing"
    // or "маркер" after a number is not a date.
    const ABBREVIATIONS: [(&str, u16); 23] = [
        ("jan", 1),
        ("feb", 2),
        ("mar", 3),
        ("apr", 4),
        ("jun", 6),
        ("jul", 7),
        ("aug", 8),
        ("sep", 9),
        ("sept", 9),
        ("oct", 10),
        ("nov", 11),
        ("dec", 12),
        ("янв", 1),
        ("фев", 2),
        ("мар", 3),
        ("апр", 4),
        ("авг", 8),
        ("сен", 9),
        ("сент", 9),
        ("окт", 10),
        ("ноя", 11),
        ("нояб", 11),
        ("дек", 12),
    ];
    const STEMS: [(&str, u16); 24] = [
        ("january", 1),
        ("february", 2),
        ("march", 3),
        ("april", 4),
        ("may", 5),
        ("june", 6),
        ("july", 7),
        ("august", 8),
        ("september", 9),
        ("october", 10),
        ("november", 11),
        ("december", 12),
        ("январ", 1),
        ("феврал", 2),
        ("март", 3),
        ("апрел", 4),
        ("ма", 5),
        ("июн", 6),
        ("июл", 7),
        ("август", 8),
        ("сентябр", 9),
        ("октябр", 10),
        ("ноябр", 11),
        ("декабр", 12),
    ];
    if let Some(&(_, m)) = ABBREVIATIONS.iter().find(|(a, _)| *a == word) {
        return Some(m);
    }
    STEMS.iter().find_map(|&(stem, m)| {
        let rest = word.strip_prefix(stem)?;
        // English month names do not inflect; Russian ones take a case ending of at most
        // two letters ("ноября", "марте"), and "май" only its own ("мая", "мае").
        let ok = if stem.is_ascii() {
            rest.is_empty()
        } else if stem == "ма" {
            matches!(rest, "й" | "я" | "е")
        } else {
            rest.chars().count() <= 2
        };
        ok.then_some(m)
    })
}

/// Calls `f` with every calendar date among the first `max_words` words of `text`: a day
/// (1–31) before a month name, or after an English one. Two reports of one event give it the
/// same date; reports that name different dates in their leads (yesterday's forecast and today's, the
/// eleventh death and the twelfth) are different stories however alike their words are.
pub fn calendar_dates(text: &str, max_words: usize, mut f: impl FnMut(DayOfYear)) {
    let mut norm = String::new();
    // The previous word: a day number, or a month.
    let (mut prev_day, mut prev_month) = (None::<u16>, None::<u16>);
    let mut seen = 0usize;
    words(text, |raw, _, _| {
        if seen >= max_words {
            return;
        }
        seen += 1;
        let day = raw
            .parse::<u16>()
            .ok()
            .filter(|d| (1..=31).contains(d) && raw.len() <= 2);
        let (month, latin) = if day.is_none() {
            let cyrillic = normalise_into(raw, &mut norm);
            (month_of(&norm), !cyrillic)
        } else {
            (None, false)
        };
        match (day, month) {
            (None, Some(m)) => {
                if let Some(d) = prev_day {
                    f(m * 32 + d);
                }
            }
            (Some(d), None) => {
                if let Some(m) = prev_month {
                    f(m * 32 + d);
                }
            }
            _ => {}
        }
        // Only English puts the month first ("November 8"); in Russian a number after a
        // month ("в мае 9 человек") is not its day.
        (prev_day, prev_month) = (day, month.filter(|_| latin));
    });
}

/// Collects the terms of [`analyze`], for tests and small inputs.
pub fn terms(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    analyze(text, |t| out.push(t.term.to_string()));
    out
}

/// Calls `f` with every capitalised phrase of `text` that does not start a sentence, joined
/// by spaces and normalised ("Central Bank", "Иван Петров"): names of people, parties and
/// places are the strongest evidence that two commentaries follow the same story, and a
/// bag of stems loses the fact that two words belong together. Single capitalised words count
/// too when they are not sentence-initial. Texts without capitals (preprocessed corpora) simply
/// yield nothing.
pub fn capitalised_phrases(text: &str, mut f: impl FnMut(&str)) {
    let mut phrase = String::new();
    let mut parts = 0usize;
    let mut sentence_start = true;
    let mut last_end = 0usize;
    let mut norm = String::new();
    let mut flush = |phrase: &mut String, parts: &mut usize| {
        if *parts > 0 {
            f(phrase);
        }
        phrase.clear();
        *parts = 0;
    };
    words(text, |raw, from, to| {
        let gap = &text[last_end..from];
        last_end = to;
        let ends_sentence = gap.contains(['.', '!', '?', '\n', ':', ';', '"', '«', '»', '(', ')']);
        let breaks = ends_sentence || gap.contains(',');
        if breaks {
            flush(&mut phrase, &mut parts);
        }
        let at_start = sentence_start || ends_sentence;
        sentence_start = false;
        let capital = raw.chars().next().is_some_and(char::is_uppercase)
            && raw.chars().skip(1).any(char::is_lowercase);
        let acronym = raw.chars().count() >= 2 && raw.chars().all(|c| c.is_uppercase());
        if !(capital || acronym) {
            flush(&mut phrase, &mut parts);
            return;
        }
        normalise_into(raw, &mut norm);
        if is_stop_word(&norm) || (at_start && parts == 0 && !acronym) {
            flush(&mut phrase, &mut parts);
            return;
        }
        if parts > 0 {
            phrase.push(' ');
        }
        phrase.push_str(&norm);
        parts += 1;
    });
    flush(&mut phrase, &mut parts);
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn stems_english_and_russian_and_folds_yo() {
        assert_eq!(
            terms("The elections were postponed; ещё выборы"),
            vec!["elect", "postpon", "выбор"]
        );
        assert_eq!(terms("Ёлки, ёлка и елки"), vec!["елк", "елк", "елк"]);
        assert_eq!(terms("Протесты протестующих"), vec!["протест", "протест"]);
    }

    #[test]
    fn keeps_offsets_and_positions_across_stop_words() {
        let text = "Parliament of Arvenia";
        let mut toks = Vec::new();
        analyze(text, |t| {
            toks.push((t.term.to_string(), &text[t.from..t.to], t.position))
        });
        assert_eq!(
            toks,
            vec![
                ("parliament".to_string(), "Parliament", 0),
                ("arvenia".to_string(), "Arvenia", 2)
            ]
        );
    }

    #[test]
    fn finds_capitalised_phrases_but_not_sentence_starts() {
        let mut got = Vec::new();
        capitalised_phrases(
            "Protests grew. The Central Bank of Arvenia met Ivo Daskal, and the NDP agreed.",
            |p| got.push(p.to_string()),
        );
        assert_eq!(got, vec!["central bank", "arvenia", "ivo daskal", "ndp"]);
    }

    fn dates(text: &str, max_words: usize) -> Vec<(u16, u16)> {
        let mut out = Vec::new();
        calendar_dates(text, max_words, |d| out.push((d / 32, d % 32)));
        out
    }

    #[test]
    fn finds_calendar_dates_in_both_languages_and_orders() {
        assert_eq!(dates("Forecast for 8 November", 40), vec![(11, 8)]);
        assert_eq!(
            dates("On November 16, 2026 and Dec 3", 40),
            vec![(11, 16), (12, 3)]
        );
        assert_eq!(dates("Прогноз погоды на 8 ноября", 40), vec![(11, 8)]);
        assert_eq!(
            dates("ВЕРИНА, 20 окт – Пример. В мае, 9 мая, 1 марта", 40),
            vec![(10, 20), (5, 9), (3, 1)]
        );
    }

    #[test]
    fn numbers_beside_other_words_are_not_dates() {
        // Not a day, not a month, an inflected English name, a word that starts like a month.
        assert!(dates(
            "40 ноября, 8 marketers, 5 mayors, 3 маркера, 12 марок, 2026 May",
            40
        )
        .is_empty());
    }

    #[test]
    fn looks_only_at_the_first_words() {
        assert_eq!(dates("one two 8 November", 2), vec![]);
        assert_eq!(dates("one two 8 November", 4), vec![(11, 8)]);
    }

    proptest! {
        #[test]
        fn calendar_dates_are_real_days_and_months(s in "\\PC{0,80}", n in 0usize..40) {
            calendar_dates(&s, n, |d| {
                assert!((1..=12).contains(&(d / 32)) && (1..=31).contains(&(d % 32)));
            });
        }

        #[test]
        fn a_day_and_a_month_make_a_date(day in 1u16..=31, month in 1u16..=12, ru in any::<bool>()) {
            let names = if ru {
                ["января", "февраля", "марта", "апреля", "мая", "июня", "июля", "августа",
                 "сентября", "октября", "ноября", "декабря"]
            } else {
                ["January", "February", "March", "April", "May", "June", "July", "August",
                 "September", "October", "November", "December"]
            };
            let text = format!("Сообщили {day} {} утром", names[usize::from(month) - 1]);
            prop_assert_eq!(dates(&text, 40), vec![(month, day)]);
        }

        #[test]
        fn offsets_always_slice_the_text(s in "\\PC{0,80}") {
            analyze(&s, |t| {
                assert!(s.is_char_boundary(t.from) && s.is_char_boundary(t.to) && t.from < t.to);
                assert!(!t.term.is_empty());
            });
            capitalised_phrases(&s, |p| assert!(!p.is_empty()));
        }
    }
}
