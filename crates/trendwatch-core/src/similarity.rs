//! "Similar articles": which commentaries continue the same story or trend.
//!
//! [`RelatedEngine`] is the seam: a store computes nothing, the web layer only reads stored
//! lists, and an engine turns the corpus into ranked lists. [`TfIdfEngine`] is the content
//! baseline (TF-IDF cosine over lightly stemmed words, with a bonus for the same topic); the
//! stronger engine of the similarity issue replaces it behind the same trait.

use crate::language::Language;
use std::collections::HashMap;

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
}

impl Default for TfIdfEngine {
    fn default() -> Self {
        TfIdfEngine {
            title_weight: 3.0,
            same_topic_bonus: 0.05,
            query_terms: 40,
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

/// Splits text into lowercase word stems: letters and digits only, ё folded to е, stop words
/// dropped, each word cut to its first six characters (a crude stemmer that suits both
/// English and Russian inflection well enough for a baseline).
pub fn stems(text: &str) -> impl Iterator<Item = String> + '_ {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| w.chars().count() >= 3)
        .map(|w| w.to_lowercase().replace('ё', "е"))
        .filter(|w| !STOP_EN.contains(&w.as_str()) && !STOP_RU.contains(&w.as_str()))
        .map(|w| w.chars().take(6).collect())
}

impl TfIdfEngine {
    fn vectors(&self, docs: &[SimilarityDoc]) -> (Vec<Vec<(u32, f32)>>, usize) {
        let mut vocab: HashMap<String, u32> = HashMap::new();
        let mut tfs: Vec<HashMap<u32, f32>> = Vec::with_capacity(docs.len());
        let mut df: Vec<u32> = Vec::new();
        for d in docs {
            let mut tf: HashMap<u32, f32> = HashMap::new();
            let mut add = |w: String, weight: f32, tf: &mut HashMap<u32, f32>| {
                let next = vocab.len() as u32;
                let id = *vocab.entry(w).or_insert(next);
                if id as usize == df.len() {
                    df.push(0);
                }
                *tf.entry(id).or_insert(0.0) += weight;
            };
            for w in stems(&d.title) {
                add(w, self.title_weight, &mut tf);
            }
            for w in stems(&d.text) {
                add(w, 1.0, &mut tf);
            }
            for id in tf.keys() {
                df[*id as usize] += 1;
            }
            tfs.push(tf);
        }
        let n = docs.len().max(1) as f32;
        let vecs = tfs
            .into_iter()
            .map(|tf| {
                let mut v: Vec<(u32, f32)> = tf
                    .into_iter()
                    .map(|(t, f)| {
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
                v.sort_by(|a, b| b.1.total_cmp(&a.1));
                v
            })
            .collect();
        (vecs, df.len())
    }
}

impl RelatedEngine for TfIdfEngine {
    fn related_lists(&self, docs: &[SimilarityDoc], k: usize) -> Vec<(i64, Vec<Scored>)> {
        let (vecs, nterms) = self.vectors(docs);
        let mut postings: Vec<Vec<(u32, f32)>> = vec![Vec::new(); nterms];
        for (i, v) in vecs.iter().enumerate() {
            for &(t, w) in v {
                postings[t as usize].push((i as u32, w));
            }
        }
        let mut acc: Vec<f32> = vec![0.0; docs.len()];
        let mut touched: Vec<u32> = Vec::new();
        let mut out = Vec::with_capacity(docs.len());
        for (i, d) in docs.iter().enumerate() {
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
                let other = &docs[j as usize];
                let mut score = acc[j as usize];
                acc[j as usize] = 0.0;
                if j as usize == i
                    || other.lang != d.lang
                    || (d.group.is_some() && other.group == d.group)
                {
                    continue;
                }
                if other.topic == d.topic {
                    score += self.same_topic_bonus;
                }
                cands.push(Scored {
                    id: other.id,
                    score,
                });
            }
            touched.clear();
            cands.sort_by(|a, b| b.score.total_cmp(&a.score).then(a.id.cmp(&b.id)));
            cands.truncate(k);
            out.push((d.id, cands));
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
        let s: Vec<String> = stems("Ёлки the elections, выборы").collect();
        assert_eq!(s, vec!["елки", "electi", "выборы"]);
    }
}
