//! Duplicate articles: exact copies (the same words in the same order, whatever the markup,
//! case and punctuation) and near copies (same language, nearly the same text: a corrected
//! typo, an added sentence, another headline on the same wire text).
//!
//! Near copies are found with a bottom-k sketch (Broder 1997) of each text's word 4-shingles:
//! the 64 smallest shingle hashes estimate the resemblance (Jaccard similarity of the shingle
//! sets) of two texts, and an inverted index on sketch values finds the candidates without
//! comparing every pair. Written here rather than taken from a crate: the sketch is twenty
//! lines, and the crates that offer MinHash bring their own tokenisation, which would not
//! match the shared text analysis' word boundaries.

use crate::language::Language;
use std::collections::HashMap;

/// Hashes kept per sketch.
const SKETCH: usize = 64;
/// Words per shingle.
const SHINGLE_WORDS: usize = 4;
/// Resemblance from which two texts are near copies: a text of a hundred words with a
/// sentence added and a word corrected keeps about 0.82; two articles about one story
/// written apart share few runs of four words (see BENCHMARKS.md for the corpora).
pub const NEAR_RESEMBLANCE: f64 = 0.8;
/// Texts a sketch value may point to. A run of four words that many texts share is boilerplate
/// ("said in a statement"), not evidence of copying; past this many, its list stops growing
/// and is not consulted, which keeps finding candidates linear in the archive's size.
const MAX_POSTINGS: usize = 32;
/// Shingles a text needs before it can be a near copy: short texts (a headline and a line)
/// resemble each other by chance, so they are only ever exact copies.
const MIN_SHINGLES: usize = 40;

/// What a text is compared by.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fingerprint {
    /// Hash of the whole text's words, lowercased, in order.
    exact: u64,
    /// The smallest shingle hashes, ascending (fewer when the text has fewer shingles).
    sketch: Vec<u64>,
    /// Distinct shingles in the text.
    shingles: usize,
}

/// How a text matched an earlier one.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Match {
    /// The same words in the same order.
    Exact,
    /// Nearly the same text; the estimated resemblance, 0 to 1.
    Near(f64),
}

impl std::fmt::Display for Match {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Match::Exact => write!(f, "an exact copy"),
            Match::Near(r) => write!(f, "a near copy ({:.0}% of the text shared)", r * 100.0),
        }
    }
}

/// Sketch values by which texts are indexed and looked up to find candidates: each text's
/// smallest. Two texts of resemblance ≥ 0.8 share most of them, so sharing a third is still a
/// safe bar for a candidate, and indexing and lookups cost a quarter of the whole sketch's.
const LOOKUPS: usize = 16;

/// SplitMix64's finaliser: spreads a combined hash so that the smallest values are a fair
/// sample of the shingles.
fn mix(mut h: u64) -> u64 {
    h = (h ^ (h >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    h = (h ^ (h >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    h ^ (h >> 31)
}

/// FNV-1a of each word of `text`, lowercased, in order: words are runs of letters and
/// digits. Lowercasing char by char (ASCII without a table) avoids a lowered copy of the text.
fn word_hashes(text: &str, out: &mut Vec<u64>) {
    const SEED: u64 = 0xcbf2_9ce4_8422_2325;
    let mut h = SEED;
    let mut in_word = false;
    let eat = |h: &mut u64, c: char| {
        let mut buf = [0u8; 4];
        for b in c.encode_utf8(&mut buf).bytes() {
            *h ^= u64::from(b);
            *h = h.wrapping_mul(0x0100_0000_01b3);
        }
    };
    for c in text.chars() {
        // ASCII and the Russian alphabet directly; Unicode's tables for anything else.
        let lower = match c {
            'a'..='z' | '0'..='9' | 'а'..='я' => Some(c),
            'A'..='Z' => Some(c.to_ascii_lowercase()),
            'А'..='Я' => char::from_u32(c as u32 + 0x20),
            'ё' | 'Ё' => Some('ё'),
            _ if c.is_ascii() => None,
            _ if c.is_alphanumeric() => {
                for l in c.to_lowercase() {
                    eat(&mut h, l);
                }
                in_word = true;
                continue;
            }
            _ => None,
        };
        if let Some(l) = lower {
            eat(&mut h, l);
            in_word = true;
        } else if in_word {
            out.push(h);
            h = SEED;
            in_word = false;
        }
    }
    if in_word {
        out.push(h);
    }
}

impl Fingerprint {
    /// The fingerprint of an article's headline and body text. An exact copy has the same
    /// headline and text; a near copy nearly the same text, whatever its headline (a copy
    /// often gets a new one).
    pub fn of(title: &str, text: &str) -> Fingerprint {
        let mut words = Vec::with_capacity(text.len() / 5 + 16);
        word_hashes(title, &mut words);
        let title_words = words.len();
        word_hashes(text, &mut words);
        let exact = mix(words.iter().fold(0u64, |h, w| {
            h.rotate_left(5) ^ w.wrapping_mul(0x9e37_79b9_7f4a_7c15)
        }));
        let body = &words[title_words..];
        let mut all: Vec<u64> = body
            .windows(SHINGLE_WORDS)
            .map(|w| {
                mix(w
                    .iter()
                    .fold(0u64, |h, x| h.wrapping_mul(0x0100_0000_01b3) ^ x))
            })
            .collect();
        all.sort_unstable();
        all.dedup();
        let shingles = all.len();
        all.truncate(SKETCH);
        Fingerprint {
            exact,
            sketch: all,
            shingles,
        }
    }

    /// The estimated resemblance of two sketches: of the `SKETCH` smallest hashes of both
    /// texts together, the share found in both.
    fn resemblance(&self, other: &Fingerprint) -> f64 {
        let (a, b) = (&self.sketch, &other.sketch);
        let (mut i, mut j, mut taken, mut both) = (0usize, 0usize, 0usize, 0u32);
        while taken < SKETCH && (i < a.len() || j < b.len()) {
            match (a.get(i), b.get(j)) {
                (Some(x), Some(y)) if x == y => {
                    both += 1;
                    i += 1;
                    j += 1;
                }
                (Some(x), Some(y)) if x < y => i += 1,
                (Some(_), None) => i += 1,
                _ => j += 1,
            }
            taken += 1;
        }
        if taken == 0 {
            0.0
        } else {
            f64::from(both) / taken as f64
        }
    }
}

/// The texts seen so far, to find each new one's earlier copy. `K` names an article (an id,
/// a key, a file location).
#[derive(Debug)]
pub struct DuplicateFinder<K> {
    entries: Vec<(K, Language, Fingerprint)>,
    exact: HashMap<(Language, u64), usize>,
    /// Sketch value → entries holding it.
    postings: HashMap<u64, Vec<u32>>,
}

impl<K> Default for DuplicateFinder<K> {
    fn default() -> Self {
        DuplicateFinder {
            entries: Vec::new(),
            exact: HashMap::new(),
            postings: HashMap::new(),
        }
    }
}

impl<K> DuplicateFinder<K> {
    /// An empty finder.
    pub fn new() -> Self {
        Self::default()
    }

    /// The earliest article of `lang` that `fp` copies, with how, skipping those for which
    /// `skip` holds (the article's own earlier version, on a re-import).
    pub fn find(
        &self,
        lang: Language,
        fp: &Fingerprint,
        skip: impl Fn(&K) -> bool,
    ) -> Option<(&K, Match)> {
        if let Some(&i) = self.exact.get(&(lang, fp.exact)) {
            let (k, _, _) = &self.entries[i];
            if !skip(k) {
                return Some((k, Match::Exact));
            }
        }
        if fp.shingles < MIN_SHINGLES {
            return None;
        }
        // Near copies share most of their sketch; a candidate must hold at least a third of
        // the text's smallest values to be compared (a resemblance of 0.85 holds about 85%).
        let lookups = &fp.sketch[..fp.sketch.len().min(LOOKUPS)];
        let mut hits: Vec<u32> = Vec::with_capacity(lookups.len() * 4);
        for v in lookups {
            match self.postings.get(v) {
                Some(list) if list.len() < MAX_POSTINGS => hits.extend_from_slice(list),
                _ => {}
            }
        }
        hits.sort_unstable();
        let cands = hits.chunk_by(|a, b| a == b).map(|run| (run[0], run.len()));
        let mut best: Option<(usize, f64)> = None;
        for (e, n) in cands {
            if n * 3 < lookups.len() {
                continue;
            }
            let (k, l, other) = &self.entries[e as usize];
            if *l != lang || other.shingles < MIN_SHINGLES || skip(k) {
                continue;
            }
            let r = fp.resemblance(other);
            if r >= NEAR_RESEMBLANCE && best.is_none_or(|(_, b)| r > b) {
                best = Some((e as usize, r));
            }
        }
        best.map(|(e, r)| (&self.entries[e].0, Match::Near(r)))
    }

    /// Remembers an article's text.
    pub fn insert(&mut self, key: K, lang: Language, fp: Fingerprint) {
        let i = self.entries.len();
        self.exact.entry((lang, fp.exact)).or_insert(i);
        if fp.shingles >= MIN_SHINGLES {
            // Only the values a later text looks up: a near copy's smallest values are mostly
            // the same as this text's smallest.
            for &v in &fp.sketch[..fp.sketch.len().min(LOOKUPS)] {
                let list = self.postings.entry(v).or_default();
                if list.len() < MAX_POSTINGS {
                    list.push(i as u32);
                }
            }
        }
        self.entries.push((key, lang, fp));
    }

    /// Articles remembered.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether none is remembered.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn long_text(seed: usize) -> String {
        (0..120)
            .map(|i| format!("w{}", (i * 7 + seed * 13) % 997))
            .collect::<Vec<_>>()
            .join(" ")
    }

    #[test]
    fn finds_exact_copies_whatever_the_markup_and_case() {
        let mut f = DuplicateFinder::new();
        f.insert(
            1,
            Language::En,
            Fingerprint::of("Dam opens", "The new dam opens."),
        );
        let copy = Fingerprint::of("DAM OPENS", "the  new dam, opens");
        assert_eq!(
            f.find(Language::En, &copy, |_| false),
            Some((&1, Match::Exact))
        );
        // Another language is never a copy; nor is the article itself.
        assert_eq!(f.find(Language::Ru, &copy, |_| false), None);
        assert_eq!(f.find(Language::En, &copy, |k| *k == 1), None);
        // Short texts that differ by a word are different articles.
        let other = Fingerprint::of("Dam opens", "The old dam opens.");
        assert_eq!(f.find(Language::En, &other, |_| false), None);
    }

    #[test]
    fn finds_near_copies_of_long_texts_only() {
        let mut f = DuplicateFinder::new();
        let base = long_text(1);
        f.insert("a", Language::En, Fingerprint::of("Title", &base));
        f.insert("b", Language::En, Fingerprint::of("Title", &long_text(2)));
        // One word changed and one sentence added: a near copy of "a".
        let edited = format!(
            "{} w5000 extra sentence here",
            base.replacen("w7 ", "w9999 ", 1)
        );
        match f.find(
            Language::En,
            &Fingerprint::of("Another title", &edited),
            |_| false,
        ) {
            Some((&"a", Match::Near(r))) => assert!(r >= NEAR_RESEMBLANCE, "{r}"),
            other => panic!("expected a near copy of a, got {other:?}"),
        }
        // Half of the text replaced: not a copy.
        let half: String = base
            .split(' ')
            .enumerate()
            .map(|(i, w)| {
                if i % 2 == 0 {
                    format!("{w}x")
                } else {
                    w.to_string()
                }
            })
            .collect::<Vec<_>>()
            .join(" ");
        assert_eq!(
            f.find(Language::En, &Fingerprint::of("Title", &half), |_| false),
            None
        );
    }
}
