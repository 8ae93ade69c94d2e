//! The seam of "similar articles": what an engine is given ([`SimilarityDoc`]), what it returns
//! ([`Scored`] lists) and the trait it implements ([`RelatedEngine`]). A store computes
//! nothing and the web layer only reads stored lists; the engine itself lives in
//! [`crate::related`]. Also the crude word-cutting stemmer that storyline threading can still
//! be configured to use, and the FNV hasher shared by the text-analysis loops.

use crate::language::Language;
use std::collections::{HashMap, HashSet};
use std::sync::OnceLock;

/// What an engine needs to know of one article.
#[derive(Debug, Clone)]
pub struct SimilarityDoc {
    /// Article id.
    pub id: i64,
    /// Language; lists never mix languages.
    pub lang: Language,
    /// Translation group; an article's translations are never "similar" to it.
    pub group: Option<String>,
    /// Topic slug.
    pub topic: String,
    /// Storyline, when the article has been threaded.
    pub storyline: Option<i64>,
    /// Publication day (days since 1970-01-01), when known.
    pub day: Option<i32>,
    /// Headline.
    pub title: String,
    /// Plain text of the body.
    pub text: String,
}

/// One ranked entry of a similar list.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Scored {
    /// Related article id.
    pub id: i64,
    /// Engine score; higher is more similar.
    pub score: f32,
}

/// Computes similar lists for a corpus.
pub trait RelatedEngine: Send + Sync {
    /// For every document, up to `k` others in the same language, best first, excluding the
    /// document itself and its translations.
    fn related_lists(&self, docs: &[SimilarityDoc], k: usize) -> Vec<(i64, Vec<Scored>)>;
}

const STOP_EN: &[&str] = &[
    "the", "and", "for", "that", "this", "with", "from", "was", "were", "are", "has", "have",
    "had", "its", "his", "her", "their", "they", "them", "which", "who", "will", "would", "could",
    "should", "been", "being", "not", "but", "also", "than", "then", "into", "over", "such",
    "about", "after", "before", "last", "week", "more", "most", "other", "some", "any", "all",
    "can", "may", "our", "out", "there", "these", "those", "while", "what", "when", "where",
];
const STOP_RU: &[&str] = &[
    "и",
    "в",
    "во",
    "не",
    "что",
    "он",
    "на",
    "я",
    "с",
    "со",
    "как",
    "а",
    "то",
    "все",
    "она",
    "так",
    "его",
    "но",
    "да",
    "ты",
    "к",
    "у",
    "же",
    "вы",
    "за",
    "бы",
    "по",
    "только",
    "ее",
    "мне",
    "было",
    "вот",
    "от",
    "меня",
    "еще",
    "нет",
    "о",
    "из",
    "ему",
    "для",
    "при",
    "это",
    "этот",
    "эти",
    "того",
    "также",
    "который",
    "которые",
    "была",
    "были",
    "будет",
    "после",
    "неделе",
    "прошлой",
    "более",
    "между",
];

/// FNV-1a: short stem keys hash several times faster than with the DoS-resistant default,
/// and the keys here come from the archive, not from requests. (Ten lines rather than a
/// dependency.)
#[derive(Default, Clone, Copy)]
pub(crate) struct Fnv(u64);

impl std::hash::Hasher for Fnv {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        let mut h = if self.0 == 0 {
            0xcbf2_9ce4_8422_2325
        } else {
            self.0
        };
        for b in bytes {
            h = (h ^ u64::from(*b)).wrapping_mul(0x100_0000_01b3);
        }
        self.0 = h;
    }
}

/// A hash map keyed by FNV-1a (see [`Fnv`]).
pub(crate) type FnvMap<K, V> = HashMap<K, V, std::hash::BuildHasherDefault<Fnv>>;

/// A hash set keyed by FNV-1a (see [`Fnv`]).
pub(crate) type FnvSet<K> = HashSet<K, std::hash::BuildHasherDefault<Fnv>>;

fn stop_words() -> &'static FnvSet<&'static str> {
    static SET: OnceLock<FnvSet<&'static str>> = OnceLock::new();
    SET.get_or_init(|| STOP_EN.iter().chain(STOP_RU).copied().collect())
}

/// Calls `f` with each word of `text` cut to at most `max_chars` characters: letters and
/// digits only, lowercase, ё folded to е, stop words dropped (a crude stemmer that suits both
/// English and Russian inflection well enough; [`crate::text`] is the real analysis). One
/// buffer is reused for every word.
pub fn for_each_stem_cut(text: &str, max_chars: usize, mut f: impl FnMut(&str)) {
    let stops = stop_words();
    let mut word = String::with_capacity(32);
    for raw in text.split(|c: char| !c.is_alphanumeric()) {
        if raw.len() < 3 || raw.chars().nth(2).is_none() {
            continue;
        }
        word.clear();
        if raw.is_ascii() {
            word.push_str(raw);
            word.make_ascii_lowercase();
        } else {
            for c in raw.chars().flat_map(char::to_lowercase) {
                word.push(if c == 'ё' { 'е' } else { c });
            }
        }
        if stops.contains(word.as_str()) {
            continue;
        }
        let cut = word
            .char_indices()
            .nth(max_chars)
            .map(|(i, _)| i)
            .unwrap_or(word.len());
        f(&word[..cut]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cut_words_fold_yo_and_drop_stop_words() {
        let mut s: Vec<String> = Vec::new();
        for_each_stem_cut("Ёлки the elections, выборы", 6, |w| {
            s.push(w.to_string())
        });
        assert_eq!(s, vec!["елки", "electi", "выборы"]);
    }
}
