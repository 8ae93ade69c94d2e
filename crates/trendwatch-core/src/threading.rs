//! Storyline threading: an online news-stream clusterer in the manner of Miranda et al.
//! (EMNLP 2018). Documents arrive in publication order; each is compared with the storylines
//! active in a time window and joins the most similar one above a threshold, or opens a new
//! storyline. One pass, deterministic for the same input.
//!
//! Representation: TF-IDF over word stems with document frequencies learned online (only
//! from the documents seen so far, as in a live archive), title words counted extra. A
//! storyline's centroid is the sum of its members' unit-length vectors; similarity is the
//! cosine between the new document and that centroid. The centroid's norm is kept up to date
//! as members join, so a comparison costs only the new document's terms.

use crate::similarity::{for_each_stem_cut, FnvMap};

/// Settings of the threader (the `[storylines]` table of the configuration).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ThreadingConfig {
    /// Minimum cosine similarity to join a storyline.
    pub threshold: f64,
    /// How many times a title word counts compared with a body word.
    pub title_weight: f64,
    /// A storyline is a candidate only if its last article is at most this many days older
    /// than the new one (ignored for items without time).
    pub window_days: i64,
    /// Words are cut to this many characters (a crude stemmer); 0 uses the shared text
    /// analysis (Snowball stems and stop words) instead.
    pub stem_chars: usize,
    /// When a new document is close to two storylines at once, they are merged if their
    /// centroids' cosine reaches this value (the document bridges one story told twice).
    pub merge_threshold: f64,
    /// Larger storylines attract more: the joining threshold is divided by
    /// `1 + size_bonus · ln(members)`, as a story with many articles is more likely to go on.
    pub size_bonus: f64,
    /// Members counted for the size bonus at most, so a long-running storyline does not
    /// swallow everything (the bonus is for young stories proving they go on).
    pub size_bonus_cap: u32,
    /// Every this many documents, storylines of at most two articles that nothing joined
    /// for as long are merged into their most similar storyline when the centroids' cosine
    /// reaches `consolidate_threshold` (0 turns consolidation off).
    pub consolidate_every: usize,
    /// See `consolidate_every`.
    pub consolidate_threshold: f64,
    /// A storyline that took an article lately joins more easily: the threshold is divided by
    /// `1 + recency_bonus · exp(−gap / recency_docs)`, `gap` counting the articles since.
    pub recency_bonus: f64,
    /// See `recency_bonus`.
    pub recency_docs: f64,
    /// How much of a document's similarity to the archive as a whole (the mean of every
    /// article so far) is taken off its similarity to a storyline, as
    /// `(cos − b·bg) / (1 − b·bg)`. Long articles share so many common words with every
    /// large storyline that their raw cosine with any of them clears a low threshold; a
    /// headline's similarity to the whole archive is near zero, so short texts are unchanged.
    pub background: f64,
    /// A storyline takes an article (or merges with another) only if afterwards the mean
    /// cosine between two of its articles is at least this many times the mean between any
    /// two articles of the archive (0 turns the check off). Without it, a storyline can grow
    /// by small steps into a catch-all of a whole topic: each new long article is close
    /// enough to the centroid while the articles no longer resemble each other. Measured as
    /// a ratio to the archive's own mean, it holds for headlines and for long texts alike.
    pub coherence: f64,
}

impl Default for ThreadingConfig {
    fn default() -> Self {
        ThreadingConfig {
            threshold: 0.30,
            title_weight: 2.0,
            window_days: 120,
            stem_chars: 0,
            merge_threshold: 0.3,
            size_bonus: 0.6,
            size_bonus_cap: 30,
            consolidate_every: 1000,
            consolidate_threshold: 0.05,
            recency_bonus: 0.6,
            recency_docs: 20.0,
            background: 1.0,
            coherence: 5.5,
        }
    }
}

/// Articles after which the whole archive's mean counts half, in the background (see
/// [`ThreadingConfig::background`]) and in the coherence floor (see
/// [`ThreadingConfig::coherence`]): a young archive's mean says little.
const BACKGROUND_GROWTH: f64 = 10.0;

/// The storyline a document joined, and how sure the threader was.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Assignment {
    /// 0-based storyline number, in order of creation.
    pub storyline: usize,
    /// The cosine with the storyline joined, or 1 − best cosine when a new one was opened.
    pub confidence: f64,
    /// Whether this document opened the storyline.
    pub opened: bool,
}

#[derive(Debug, Default)]
struct Storyline {
    members: u32,
    last_doc: u32,
    centroid: FnvMap<u32, f64>,
    norm_sq: f64,
    last_day: Option<i64>,
    /// Dropped from some postings lists once out of the time window (see
    /// [`Threader::candidates`]); an article added to it later puts it back.
    expired: bool,
}

/// A storyline's entry in `Threader::dots` while the document shares no term with it (dot
/// products are never negative: every weight is).
const UNTOUCHED: f64 = -1.0;

/// The online threader. Feed documents in publication order with [`Threader::add`].
#[derive(Debug, Default)]
pub struct Threader {
    config: ThreadingConfig,
    vocab: FnvMap<String, u32>,
    df: Vec<u32>,
    docs: u32,
    storylines: Vec<Storyline>,
    /// term → storylines that contain it, for finding candidates without a full scan.
    postings: Vec<Vec<u32>>,
    /// Union-find parents: a merged storyline points to the one it was merged into.
    parent: Vec<u32>,
    /// The sum of every document's unit vector so far, and its squared norm: the archive's
    /// background, for [`ThreadingConfig::background`].
    global: FnvMap<u32, f64>,
    global_norm_sq: f64,
    /// Per storyline, the last visit stamp, to count each storyline once per term.
    visited: Vec<u32>,
    visit: u32,
    /// Scratch for [`Threader::add`], kept between calls: per storyline, the document's dot
    /// product with its centroid (`UNTOUCHED` between calls), the storylines touched, and one
    /// term's candidates. Dense arrays instead of a hash map per document: threading was
    /// the import's critical path.
    dots: Vec<f64>,
    touched: Vec<u32>,
    term_candidates: Vec<u32>,
}

impl Threader {
    /// A threader with `config`.
    pub fn new(config: ThreadingConfig) -> Threader {
        Threader {
            config,
            ..Threader::default()
        }
    }

    /// The storyline `s` now belongs to, after any merges.
    pub fn resolve(&self, mut s: usize) -> usize {
        while self.parent[s] as usize != s {
            s = self.parent[s] as usize;
        }
        s
    }

    /// The mean cosine between two different articles of the archive so far, counting in
    /// over the first [`BACKGROUND_GROWTH`] articles (two articles of one story would
    /// otherwise make the whole archive look like a story).
    fn archive_coherence(&self) -> f64 {
        let n = f64::from(self.docs);
        if n < 2.0 {
            return 0.0;
        }
        let mean = ((self.global_norm_sq - n) / (n * (n - 1.0))).max(0.0);
        mean * n / (n + BACKGROUND_GROWTH)
    }

    /// Whether a storyline may go from (`members`, `norm_sq`) to (`new_members`,
    /// `new_norm_sq`): its coherence (the mean cosine between two of its articles) must stay
    /// at least [`ThreadingConfig::coherence`] times the archive's, or not fall (so an
    /// editor's looser storyline is not closed by it).
    fn stays_coherent(
        &self,
        members: u32,
        norm_sq: f64,
        new_members: u32,
        new_norm_sq: f64,
    ) -> bool {
        if self.config.coherence <= 0.0 || new_members < 2 {
            return true;
        }
        let coherence = |m: u32, norm_sq: f64| {
            let m = f64::from(m);
            (norm_sq - m) / (m * (m - 1.0)).max(1.0)
        };
        let after = coherence(new_members, new_norm_sq);
        after >= self.config.coherence * self.archive_coherence()
            || (members >= 2 && after >= coherence(members, norm_sq))
    }

    /// The dot product of two storylines' centroids.
    fn centroid_dot(&self, a: usize, b: usize) -> f64 {
        let (x, y) = (&self.storylines[a], &self.storylines[b]);
        let (small, large) = if x.centroid.len() <= y.centroid.len() {
            (x, y)
        } else {
            (y, x)
        };
        small
            .centroid
            .iter()
            .map(|(t, w)| w * large.centroid.get(t).copied().unwrap_or(0.0))
            .sum()
    }

    /// Whether merging storylines `a` and `b` keeps the larger one's coherence (see
    /// [`Threader::stays_coherent`]).
    fn merge_stays_coherent(&self, a: usize, b: usize) -> bool {
        let (x, y) = (&self.storylines[a], &self.storylines[b]);
        let large = if x.members >= y.members { x } else { y };
        self.stays_coherent(
            large.members,
            large.norm_sq,
            x.members + y.members,
            x.norm_sq + y.norm_sq + 2.0 * self.centroid_dot(a, b),
        )
    }

    fn centroid_cosine(&self, a: usize, b: usize) -> f64 {
        let (x, y) = (&self.storylines[a], &self.storylines[b]);
        self.centroid_dot(a, b) / (x.norm_sq.sqrt() * y.norm_sq.sqrt()).max(1e-12)
    }

    /// Puts an expired storyline back in the postings of all its terms, as it takes an
    /// article again (a duplicate entry is harmless: [`Threader::candidates`] drops it).
    fn revive(&mut self, s: usize) {
        if !self.storylines[s].expired {
            return;
        }
        self.storylines[s].expired = false;
        for &t in self.storylines[s].centroid.keys() {
            self.postings[t as usize].push(s as u32);
        }
    }

    /// Merges storyline `from` into `into` (both current).
    fn merge(&mut self, from: usize, into: usize) {
        self.revive(into);
        let moved = std::mem::take(&mut self.storylines[from]);
        let target = &mut self.storylines[into];
        target.members += moved.members;
        for (t, w) in moved.centroid {
            let e = target.centroid.entry(t).or_insert(0.0);
            if *e == 0.0 {
                self.postings[t as usize].push(into as u32);
            }
            target.norm_sq += (*e + w) * (*e + w) - *e * *e;
            *e += w;
        }
        target.last_day = match (target.last_day, moved.last_day) {
            (Some(a), Some(b)) => Some(a.max(b)),
            (a, b) => a.or(b),
        };
        self.parent[from] = into as u32;
    }

    fn idf(&self, term: u32) -> f64 {
        let df = f64::from(self.df.get(term as usize).copied().unwrap_or(0));
        ((f64::from(self.docs) + 1.0) / (df + 1.0)).ln() + 1.0
    }

    fn term_counts(&mut self, title: &str, text: &str) -> Vec<(u32, f64)> {
        let mut counts: FnvMap<u32, f64> = FnvMap::default();
        let mut add = |w: &str,
                       weight: f64,
                       vocab: &mut FnvMap<String, u32>,
                       df: &mut Vec<u32>,
                       postings: &mut Vec<Vec<u32>>| {
            let id = match vocab.get(w) {
                Some(&id) => id,
                None => {
                    let id = vocab.len() as u32;
                    vocab.insert(w.to_string(), id);
                    df.push(0);
                    postings.push(Vec::new());
                    id
                }
            };
            *counts.entry(id).or_insert(0.0) += weight;
        };
        let (tw, cut) = (self.config.title_weight, self.config.stem_chars);
        if cut == 0 {
            crate::text::analyze(title, |t| {
                add(
                    t.term,
                    tw,
                    &mut self.vocab,
                    &mut self.df,
                    &mut self.postings,
                )
            });
            crate::text::analyze(text, |t| {
                add(
                    t.term,
                    1.0,
                    &mut self.vocab,
                    &mut self.df,
                    &mut self.postings,
                )
            });
        } else {
            for_each_stem_cut(title, cut, |w| {
                add(w, tw, &mut self.vocab, &mut self.df, &mut self.postings)
            });
            for_each_stem_cut(text, cut, |w| {
                add(w, 1.0, &mut self.vocab, &mut self.df, &mut self.postings)
            });
        }
        let mut v: Vec<(u32, f64)> = counts.into_iter().collect();
        v.sort_by_key(|(t, _)| *t);
        v
    }

    /// A fresh stamp for [`Threader::visited`]: storylines marked with it were seen in this
    /// scan. On wrap-around the old marks are cleared, so no stale mark matches.
    fn next_visit(&mut self) -> u32 {
        self.visit = self.visit.wrapping_add(1);
        if self.visit == 0 {
            self.visited.iter_mut().for_each(|v| *v = 0);
            self.visit = 1;
        }
        self.visit
    }

    /// Sets `out` to the current storylines that hold `term`, each once. The term's postings list is
    /// compacted on the way, so that scanning it stays proportional to the storylines that
    /// can still take an article (without this, an archive of many storylines over years
    /// costs quadratic time): entries of storylines merged into another are dropped (a merge
    /// adds the surviving storyline to every term of the merged one), and so, when `day` is
    /// known, are storylines whose last article is out of the time window (articles come in
    /// publication order, so they stay out unless an article is added to them by hand).
    fn candidates_into(&mut self, term: u32, day: Option<i64>, out: &mut Vec<u32>) {
        out.clear();
        let visit = self.next_visit();
        let window = self.config.window_days;
        let mut list = std::mem::take(&mut self.postings[term as usize]);
        list.retain(|&s| {
            let s = s as usize;
            if self.parent[s] as usize != s || self.visited[s] == visit {
                return false;
            }
            self.visited[s] = visit;
            let story = &mut self.storylines[s];
            if let (Some(d), Some(last)) = (day, story.last_day) {
                if d - last > window {
                    story.expired = true;
                    return false;
                }
            }
            out.push(s as u32);
            true
        });
        self.postings[term as usize] = list;
    }

    /// Opens an empty storyline (for one known from elsewhere, e.g. the database) and
    /// returns its number.
    pub fn open_storyline(&mut self) -> usize {
        self.visited.push(0);
        self.dots.push(UNTOUCHED);
        self.parent.push(self.storylines.len() as u32);
        self.storylines.push(Storyline::default());
        self.storylines.len() - 1
    }

    /// Adds a document to a storyline chosen by someone else (an editor, or an earlier run),
    /// so later documents are compared with it.
    pub fn add_fixed(&mut self, storyline: usize, title: &str, text: &str, day: Option<i64>) {
        let terms = self.term_counts(title, text);
        let doc = self.unit_vector(&terms);
        let s = self.resolve(storyline);
        self.insert(s, &terms, &doc, day);
    }

    fn unit_vector(&self, terms: &[(u32, f64)]) -> Vec<(u32, f64)> {
        let mut doc: Vec<(u32, f64)> = terms
            .iter()
            .map(|&(t, c)| (t, (1.0 + c.ln()) * self.idf(t)))
            .collect();
        let norm = doc.iter().map(|(_, w)| w * w).sum::<f64>().sqrt();
        if norm > 0.0 {
            for (_, w) in &mut doc {
                *w /= norm;
            }
        }
        doc
    }

    fn insert(&mut self, s: usize, terms: &[(u32, f64)], doc: &[(u32, f64)], day: Option<i64>) {
        self.revive(s);
        let story = &mut self.storylines[s];
        story.members += 1;
        story.last_doc = self.docs;
        for &(t, w) in doc {
            let e = story.centroid.entry(t).or_insert(0.0);
            if *e == 0.0 {
                self.postings[t as usize].push(s as u32);
            }
            story.norm_sq += (*e + w) * (*e + w) - *e * *e;
            *e += w;
        }
        for &(t, _) in terms {
            self.df[t as usize] += 1;
        }
        for &(t, w) in doc {
            let e = self.global.entry(t).or_insert(0.0);
            self.global_norm_sq += (*e + w) * (*e + w) - *e * *e;
            *e += w;
        }
        if let Some(d) = day {
            story.last_day = Some(story.last_day.map_or(d, |l| l.max(d)));
        }
        self.docs += 1;
    }

    /// Threads one document published on `day` (days since any fixed epoch; `None` when
    /// unknown) and returns the storyline it joined.
    pub fn add(&mut self, title: &str, text: &str, day: Option<i64>) -> Assignment {
        let terms = self.term_counts(title, text);
        // The document's unit-length tf-idf vector (log-scaled tf).
        let doc = self.unit_vector(&terms);
        let doc_norm = doc.iter().map(|(_, w)| w * w).sum::<f64>().sqrt();
        // The document's dot product with the whole archive; each candidate storyline's own
        // part is taken out below, so the background is "every other article" (in a young
        // archive the candidates are most of it).
        let global_dot: f64 = doc
            .iter()
            .map(|(t, w)| w * self.global.get(t).copied().unwrap_or(0.0))
            .sum();
        let mut best: Option<(usize, f64, f64)> = None;
        let mut close: Vec<usize> = Vec::new();
        if doc_norm > 0.0 {
            let mut touched = std::mem::take(&mut self.touched);
            let mut term_candidates = std::mem::take(&mut self.term_candidates);
            for &(t, w) in &doc {
                self.candidates_into(t, day, &mut term_candidates);
                for &s in &term_candidates {
                    let c = self.storylines[s as usize]
                        .centroid
                        .get(&t)
                        .copied()
                        .unwrap_or(0.0);
                    let dot = &mut self.dots[s as usize];
                    if *dot == UNTOUCHED {
                        *dot = 0.0;
                        touched.push(s);
                    }
                    *dot += w * c;
                }
            }
            touched.sort_unstable();
            let cands: Vec<(u32, f64)> = touched
                .iter()
                .map(|&s| (s, std::mem::replace(&mut self.dots[s as usize], UNTOUCHED)))
                .collect();
            touched.clear();
            self.touched = touched;
            self.term_candidates = term_candidates;
            for &(s, dot) in &cands {
                let story = &self.storylines[s as usize];
                if let (Some(d), Some(last)) = (day, story.last_day) {
                    if d - last > self.config.window_days {
                        continue;
                    }
                }
                // The rest of the archive's norm, taking the storyline's members as
                // orthogonal to the rest (they are far closer to each other than to it).
                let rest_norm_sq = self.global_norm_sq - story.norm_sq;
                let rest = if rest_norm_sq > 1e-9 {
                    (global_dot - dot) / rest_norm_sq.sqrt()
                } else {
                    0.0
                };
                // When one storyline is most of the archive, "the rest" says little; the
                // whole archive's mean, counting in as the archive grows, keeps such a
                // storyline from taking everything.
                let n = f64::from(self.docs);
                let whole = global_dot / self.global_norm_sq.sqrt().max(1e-12) * n
                    / (n + BACKGROUND_GROWTH);
                let bg = (self.config.background * rest.max(whole)).clamp(0.0, 0.95);
                let cos = (dot / story.norm_sq.sqrt().max(1e-12) - bg) / (1.0 - bg);
                // Compare against a size-adjusted threshold: score = cos / threshold(size).
                let needed = self.config.threshold
                    / (1.0
                        + self.config.size_bonus
                            * f64::from(story.members.clamp(1, self.config.size_bonus_cap.max(1)))
                                .ln());
                // Stories are told in bursts: one that took an article lately is more likely
                // to take this one (by stream position, which also works without dates).
                let gap = f64::from(self.docs.saturating_sub(story.last_doc));
                let needed = needed
                    / (1.0
                        + self.config.recency_bonus
                            * (-gap / self.config.recency_docs.max(1.0)).exp());
                let mut rel = cos / needed.max(1e-12);
                // A storyline whose articles would stop resembling each other takes no more:
                // this bounds the catch-alls that long texts otherwise grow.
                if rel >= 1.0
                    && !self.stays_coherent(
                        story.members,
                        story.norm_sq,
                        story.members + 1,
                        story.norm_sq + 2.0 * dot + doc_norm * doc_norm,
                    )
                {
                    rel = rel.min(0.999);
                }
                if rel >= 1.0 {
                    close.push(s as usize);
                }
                if best.is_none_or(|(_, b, _)| rel > b) {
                    best = Some((s as usize, rel, cos));
                }
            }
        }
        let assignment = match best {
            Some((s, rel, cos)) if rel >= 1.0 => Assignment {
                storyline: s,
                confidence: cos,
                opened: false,
            },
            other => {
                let opened = self.open_storyline();
                Assignment {
                    storyline: opened,
                    confidence: 1.0 - other.map_or(0.0, |(_, _, c)| c),
                    opened: true,
                }
            }
        };
        let s = assignment.storyline;
        // A document close to several storylines may reveal one story told twice.
        for other in close {
            if other != s
                && self.resolve(other) == other
                && self.centroid_cosine(s, other) >= self.config.merge_threshold
                && self.merge_stays_coherent(s, other)
            {
                self.merge(other, s);
            }
        }
        self.insert(s, &terms, &doc, day);
        let every = self.config.consolidate_every;
        if every > 0 && (self.docs as usize).is_multiple_of(every) {
            self.consolidate();
        }
        assignment
    }

    /// Merges small storylines that stopped growing into their most similar storyline.
    pub fn consolidate(&mut self) {
        let every = self.config.consolidate_every.max(1) as u32;
        for s in 0..self.storylines.len() {
            let visit = self.next_visit();
            let story = &self.storylines[s];
            // Each small storyline is looked at once, at the first pass after it went idle:
            // looking again at every pass costs quadratic time on an archive of many single
            // articles, for merges that almost never come later.
            let idle = self.docs - story.last_doc;
            if self.resolve(s) != s
                || story.members == 0
                || story.members > 2
                || idle < every
                || idle >= 2 * every
            {
                continue;
            }
            let mut cands: Vec<usize> = Vec::new();
            let window = self.config.window_days;
            for t in story.centroid.keys() {
                for &o in &self.postings[*t as usize] {
                    let o = self.resolve(o as usize);
                    if o == s || self.visited[o] == visit {
                        continue;
                    }
                    self.visited[o] = visit;
                    // As for joining, a storyline more than the window apart in time is not
                    // the same story.
                    let apart = match (story.last_day, self.storylines[o].last_day) {
                        (Some(a), Some(b)) => (a - b).abs() > window,
                        _ => false,
                    };
                    if !apart {
                        cands.push(o);
                    }
                }
            }
            cands.sort_unstable();
            let best = cands
                .into_iter()
                .map(|o| (o, self.centroid_cosine(s, o)))
                .fold(None::<(usize, f64)>, |b, (o, c)| {
                    if b.is_none_or(|(_, bc)| c > bc) {
                        Some((o, c))
                    } else {
                        b
                    }
                });
            if let Some((o, c)) = best {
                if c >= self.config.consolidate_threshold && self.merge_stays_coherent(s, o) {
                    self.merge(s, o);
                }
            }
        }
    }

    /// Number of storylines opened so far.
    pub fn storylines(&self) -> usize {
        self.storylines.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn threads_same_story_together_and_is_deterministic() {
        let docs = [
            "army drills near northern border tanks",
            "parliament passes budget first reading",
            "northern border drills continue tanks",
            "budget reading parliament vote deficit",
            "tanks leave northern border after drills",
        ];
        let run = || {
            let mut t = Threader::new(ThreadingConfig::default());
            docs.iter()
                .map(|d| t.add("", d, None).storyline)
                .collect::<Vec<_>>()
        };
        let a = run();
        assert_eq!(a, vec![0, 1, 0, 1, 0]);
        assert_eq!(a, run());
    }

    #[test]
    fn a_storyline_whose_articles_stop_resembling_each_other_takes_no_more() {
        // Each article shares a word with the one before it and none with the others: a
        // chain that, scored against the centroid alone with the size and recency bonuses,
        // would grow one storyline without end.
        let words: Vec<String> = (0..60).map(|i| format!("word{i}x")).collect();
        let mut docs: Vec<String> = (0..59)
            .map(|i| format!("{} {} common", words[i], words[i + 1]))
            .collect();
        // Unrelated articles give the archive a background to compare with.
        docs.extend((0..40).map(|i| format!("other{i}y filler{i}z")));
        let run = |coherence: f64| {
            let mut t = Threader::new(ThreadingConfig {
                coherence,
                ..ThreadingConfig::default()
            });
            let mut sizes: FnvMap<usize, usize> = FnvMap::default();
            let assigned: Vec<usize> = docs.iter().map(|d| t.add("", d, None).storyline).collect();
            for s in assigned {
                *sizes.entry(t.resolve(s)).or_insert(0) += 1;
            }
            sizes.values().copied().max().unwrap_or(0)
        };
        let unbounded = run(0.0);
        let bounded = run(ThreadingConfig::default().coherence);
        assert!(
            unbounded >= 15,
            "the chain should collapse without the floor: {unbounded} vs {bounded}"
        );
        assert!(bounded <= 6, "the floor should stop the chain: {bounded}");
    }

    #[test]
    fn window_keeps_old_storylines_closed() {
        let mut t = Threader::new(ThreadingConfig::default());
        assert_eq!(t.add("", "gas price talks", Some(0)).storyline, 0);
        assert_eq!(t.add("", "gas price talks resume", Some(500)).storyline, 1);
    }
}
