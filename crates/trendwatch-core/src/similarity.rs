//! "Similar articles": which commentaries continue the same story or trend.
//!
//! [`RelatedEngine`] is the seam: a store computes nothing, the web layer only reads stored
//! lists, and an engine turns the corpus into ranked lists. [`TfIdfEngine`] is the content
//! baseline (TF-IDF cosine over lightly stemmed words, with a bonus for the same topic); the
//! stronger engine of the similarity issue replaces it behind the same trait.

use crate::language::Language;
use crate::parallel::par_map;
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

/// The content baseline: TF-IDF cosine with a same-topic bonus.
#[derive(Debug, Clone)]
pub struct TfIdfEngine {
    /// How many times a title word counts compared with a body word.
    pub title_weight: f32,
    /// Added to the cosine when both articles share a topic.
    pub same_topic_bonus: f32,
    /// Only a document's heaviest terms are used to find candidates, which keeps a full
    /// rebuild far below quadratic time.
    pub query_terms: usize,
    /// Per term, only the documents where it weighs most are scanned ("impact-ordered"
    /// postings). Terms common enough to exceed this carry little weight anyway, and without
    /// the cap a corpus with a small vocabulary would make the rebuild quadratic.
    pub postings_per_term: usize,
}

impl Default for TfIdfEngine {
    fn default() -> Self {
        TfIdfEngine {
            title_weight: 3.0,
            same_topic_bonus: 0.05,
            query_terms: 14,
            postings_per_term: 160,
        }
    }
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

type FnvSet<K> = HashSet<K, std::hash::BuildHasherDefault<Fnv>>;

fn stop_words() -> &'static FnvSet<&'static str> {
    static SET: OnceLock<FnvSet<&'static str>> = OnceLock::new();
    SET.get_or_init(|| STOP_EN.iter().chain(STOP_RU).copied().collect())
}

/// Calls `f` with each word stem of `text`: letters and digits only, lowercase, ё folded to
/// е, stop words dropped, each word cut to its first six characters (a crude stemmer that
/// suits both English and Russian inflection well enough for a baseline). One buffer is
/// reused for every word, because tokenising is most of the cost of a full rebuild.
pub fn for_each_stem(text: &str, f: impl FnMut(&str)) {
    for_each_stem_cut(text, 6, f)
}

/// Like [`for_each_stem`], cutting words to at most `max_chars` characters.
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

fn hash_stem(stem: &str) -> u64 {
    use std::hash::Hasher;
    let mut h = Fnv::default();
    h.write(stem.as_bytes());
    h.finish()
}

impl TfIdfEngine {
    /// Unit-length TF-IDF vectors, heaviest terms first, and the number of distinct terms.
    /// Stems are identified by a 64-bit hash so documents can be tokenised in parallel
    /// without a shared vocabulary.
    fn vectors(&self, docs: &[SimilarityDoc]) -> (Vec<Vec<(u32, f32)>>, usize) {
        let raw: Vec<Vec<(u64, f32)>> = par_map(docs, |_, d| {
            let mut tf: FnvMap<u64, f32> = FnvMap::default();
            for_each_stem(&d.title, |w| {
                *tf.entry(hash_stem(w)).or_insert(0.0) += self.title_weight
            });
            for_each_stem(&d.text, |w| *tf.entry(hash_stem(w)).or_insert(0.0) += 1.0);
            tf.into_iter().collect()
        });
        let mut ids: FnvMap<u64, u32> = FnvMap::default();
        let mut df: Vec<u32> = Vec::new();
        let tfs: Vec<Vec<(u32, f32)>> = raw
            .into_iter()
            .map(|terms| {
                terms
                    .into_iter()
                    .map(|(h, f)| {
                        let next = ids.len() as u32;
                        let id = *ids.entry(h).or_insert(next);
                        if id as usize == df.len() {
                            df.push(0);
                        }
                        df[id as usize] += 1;
                        (id, f)
                    })
                    .collect()
            })
            .collect();
        let n = docs.len().max(1) as f32;
        let vecs = par_map(&tfs, |_, tf| {
            let mut v: Vec<(u32, f32)> = tf
                .iter()
                .map(|&(t, f)| {
                    (
                        t,
                        (1.0 + f.ln()) * (n / df[t as usize] as f32).ln().max(0.0),
                    )
                })
                .filter(|(_, w)| *w > 0.0)
                .collect();
            let norm = v.iter().map(|(_, w)| w * w).sum::<f32>().sqrt().max(1e-9);
            for (_, w) in &mut v {
                *w /= norm;
            }
            v.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
            v
        });
        (vecs, df.len())
    }
}

impl RelatedEngine for TfIdfEngine {
    fn related_lists(&self, docs: &[SimilarityDoc], k: usize) -> Vec<(i64, Vec<Scored>)> {
        let (vecs, nterms) = self.vectors(docs);
        let keys = intern(docs);
        let mut postings: Vec<Vec<(u32, f32)>> = vec![Vec::new(); nterms];
        for (i, v) in vecs.iter().enumerate() {
            for &(t, w) in v {
                postings[t as usize].push((i as u32, w));
            }
        }
        for p in &mut postings {
            if p.len() > self.postings_per_term {
                p.select_nth_unstable_by(self.postings_per_term, |a, b| b.1.total_cmp(&a.1));
                p.truncate(self.postings_per_term);
            }
        }
        // Documents are independent, so they are scored on every core.
        let ranges: Vec<std::ops::Range<usize>> = {
            let step = 256;
            (0..docs.len())
                .step_by(step)
                .map(|a| a..(a + step).min(docs.len()))
                .collect()
        };
        par_map(&ranges, |_, r| {
            self.score_range(docs, &keys, &vecs, &postings, r.clone(), k)
        })
        .into_iter()
        .flatten()
        .collect()
    }
}

/// What the scoring loop compares, as small integers rather than strings.
#[derive(Debug, Clone, Copy)]
struct DocKey {
    lang: Language,
    topic: u32,
    /// 0 for no translation group.
    group: u32,
}

fn intern(docs: &[SimilarityDoc]) -> Vec<DocKey> {
    let mut topics: FnvMap<&str, u32> = FnvMap::default();
    let mut groups: FnvMap<&str, u32> = FnvMap::default();
    docs.iter()
        .map(|d| {
            let n = topics.len() as u32;
            let topic = *topics.entry(d.topic.as_str()).or_insert(n);
            let group = match &d.group {
                Some(g) => {
                    let n = groups.len() as u32 + 1;
                    *groups.entry(g.as_str()).or_insert(n)
                }
                None => 0,
            };
            DocKey {
                lang: d.lang,
                topic,
                group,
            }
        })
        .collect()
}

impl TfIdfEngine {
    fn score_range(
        &self,
        docs: &[SimilarityDoc],
        keys: &[DocKey],
        vecs: &[Vec<(u32, f32)>],
        postings: &[Vec<(u32, f32)>],
        range: std::ops::Range<usize>,
        k: usize,
    ) -> Vec<(i64, Vec<Scored>)> {
        let mut acc: Vec<f32> = vec![0.0; docs.len()];
        let mut touched: Vec<u32> = Vec::new();
        let mut out = Vec::with_capacity(range.len());
        for i in range {
            let d = &docs[i];
            for &(t, w) in vecs[i].iter().take(self.query_terms) {
                for &(j, wj) in &postings[t as usize] {
                    if acc[j as usize] == 0.0 {
                        touched.push(j);
                    }
                    acc[j as usize] += w * wj;
                }
            }
            let mut cands: Vec<Scored> = Vec::with_capacity(touched.len());
            for &j in &touched {
                let (me, other) = (keys[i], keys[j as usize]);
                let mut score = acc[j as usize];
                acc[j as usize] = 0.0;
                if j as usize == i
                    || other.lang != me.lang
                    || (me.group != 0 && other.group == me.group)
                {
                    continue;
                }
                if other.topic == me.topic {
                    score += self.same_topic_bonus;
                }
                cands.push(Scored {
                    id: docs[j as usize].id,
                    score,
                });
            }
            touched.clear();
            let by_score =
                |a: &Scored, b: &Scored| b.score.total_cmp(&a.score).then(a.id.cmp(&b.id));
            if cands.len() > k {
                cands.select_nth_unstable_by(k, by_score);
            }
            // A fresh vector, so each list keeps k entries rather than the candidates' capacity.
            let mut best: Vec<Scored> = cands.iter().take(k).copied().collect();
            best.sort_by(by_score);
            out.push((d.id, best));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(id: i64, lang: Language, group: Option<&str>, topic: &str, text: &str) -> SimilarityDoc {
        SimilarityDoc {
            id,
            lang,
            group: group.map(str::to_string),
            topic: topic.into(),
            storyline: None,
            day: None,
            title: String::new(),
            text: text.into(),
        }
    }

    #[test]
    fn ranks_same_story_first_and_respects_language_and_translations() {
        let docs = vec![
            doc(
                1,
                Language::En,
                Some("g1"),
                "security",
                "army exercises near the border tanks",
            ),
            doc(
                2,
                Language::En,
                None,
                "security",
                "border army exercises continue tanks deployed",
            ),
            doc(
                3,
                Language::En,
                None,
                "society",
                "party congress elects new leader",
            ),
            doc(
                4,
                Language::Ru,
                Some("g1"),
                "security",
                "army exercises near the border tanks",
            ),
            doc(
                5,
                Language::En,
                Some("g1"),
                "security",
                "army exercises near the border tanks",
            ),
        ];
        let lists = TfIdfEngine::default().related_lists(&docs, 5);
        let first = &lists[0].1;
        assert_eq!(first.first().map(|s| s.id), Some(2));
        assert!(first.iter().all(|s| s.id != 1 && s.id != 4 && s.id != 5));
        assert!(
            lists[3].1.is_empty(),
            "the only Russian doc has no Russian neighbours"
        );
    }

    #[test]
    fn stems_fold_yo_and_drop_stop_words() {
        let mut s: Vec<String> = Vec::new();
        for_each_stem("Ёлки the elections, выборы", |w| {
            s.push(w.to_string())
        });
        assert_eq!(s, vec!["елки", "electi", "выборы"]);
    }
}
