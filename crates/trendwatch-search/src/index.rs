//! The tantivy index in `<data>/search/`: one document per article, analysed by
//! [`crate::analyzer`], stamped at every commit with the store generation it reflects so that
//! a stale or missing index is noticed (and rebuilt) at start.
//!
//! Writers are short-lived: the server only reads (and reloads on every commit), the importer
//! and `trendwatch reindex` open a writer, commit and close it. So two processes never hold
//! the writer lock for long.

use crate::analyzer::{pair_terms, TrendwatchTokenizer, ANALYZER, PAIRS_ANALYZER};
use crate::query::{ParsedQuery, QueryError};
use serde::Serialize;
use std::ops::Bound;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use tantivy::collector::{Count, TopDocs};
use tantivy::query::{AllQuery, BooleanQuery, Occur, PhraseQuery, Query, RangeQuery, TermQuery};
use tantivy::schema::{
    Field, IndexRecordOption, Schema, TextFieldIndexing, TextOptions, Value, FAST, INDEXED, STORED,
    STRING,
};
use tantivy::snippet::SnippetGenerator;
use tantivy::tokenizer::{TextAnalyzer, TokenStream};
use tantivy::{
    DocAddress, Index, IndexReader, IndexWriter, Order, ReloadPolicy, TantivyDocument, Term,
};
use trendwatch_core::sanitize::escape_html;

/// What the index holds of one article: the core's
/// [`ArticleText`](trendwatch_core::article::ArticleText), as the store reads it.
pub use trendwatch_core::article::ArticleText as SearchDoc;

/// Most indexed words a `prefix*` stands for (the most frequent ones).
pub const MAX_EXPANSIONS: usize = 200;

/// Ordering of results.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Sort {
    /// Best match first (BM25, headline matches weigh more).
    #[default]
    Relevance,
    /// Newest first.
    Date,
}

/// One result.
#[derive(Debug, Clone, Serialize)]
pub struct Hit {
    /// Article id.
    pub id: i64,
    /// Language code.
    pub lang: String,
    /// Topic slug.
    pub topic: String,
    /// Status.
    pub status: String,
    /// Publication day, days since 1970-01-01.
    pub day: i64,
    /// URL slug.
    pub slug: String,
    /// Headline.
    pub title: String,
    /// A passage with the matched words in `<mark>`: the text is escaped, the marks are the
    /// only markup.
    pub snippet_html: String,
    /// Relevance score (0 when sorted by date).
    pub score: f32,
}

/// One page of results.
#[derive(Debug, Clone, Serialize)]
pub struct Results {
    /// How many articles match in all.
    pub total: usize,
    /// This page's results.
    pub hits: Vec<Hit>,
}

/// Failures of the index itself (as opposed to a reader's bad query).
#[derive(Debug, thiserror::Error)]
pub enum SearchError {
    /// The query was refused.
    #[error(transparent)]
    Query(#[from] QueryError),
    /// Tantivy failed.
    #[error("search index {path}: {source}")]
    Index {
        /// The index folder.
        path: PathBuf,
        /// What went wrong.
        source: tantivy::TantivyError,
    },
    /// The blocking task that ran the query ended without an answer (it panicked).
    #[error("search task failed: {0}")]
    Task(String),
}

#[derive(Clone, Copy)]
struct Fields {
    id: Field,
    lang: Field,
    topic: Field,
    status: Field,
    day: Field,
    slug: Field,
    /// The headline, stored only (headline matches rank higher through `all`).
    title: Field,
    /// The lead, stored only (the snippet when the body does not match).
    lead: Field,
    /// The body, stored only (the source of snippets).
    body: Field,
    /// Headline (twice, so that a headline match ranks higher), lead and body together,
    /// indexed: every word is matched here, so a query word is one posting list and one
    /// term query, which the ranking can prune (block-max WAND) and count from its
    /// document frequency.
    all: Field,
    /// Headline, lead and body as word pairs (see [`TrendwatchTokenizer::pairs`]): phrases
    /// are matched here.
    pairs: Field,
}

fn schema() -> (Schema, Fields) {
    let mut s = Schema::builder();
    // Indexed with positions (for snippets, and for phrases of three words and more), not
    // stored: the stored fields are the headline, lead and body themselves.
    let text = |analyzer: &str| {
        TextOptions::default().set_indexing_options(
            TextFieldIndexing::default()
                .set_tokenizer(analyzer)
                .set_index_option(IndexRecordOption::WithFreqsAndPositions),
        )
    };
    let fields = Fields {
        id: s.add_i64_field("id", INDEXED | STORED | FAST),
        lang: s.add_text_field("lang", STRING | STORED),
        topic: s.add_text_field("topic", STRING | STORED),
        status: s.add_text_field("status", STRING | STORED),
        day: s.add_i64_field("day", INDEXED | STORED | FAST),
        slug: s.add_text_field("slug", STORED),
        title: s.add_text_field("title", STORED),
        lead: s.add_text_field("lead", STORED),
        body: s.add_text_field("body", STORED),
        all: s.add_text_field("all", text(ANALYZER)),
        pairs: s.add_text_field("pairs", text(PAIRS_ANALYZER)),
    };
    (s.build(), fields)
}

/// The search index of one data directory.
pub struct SearchIndex {
    path: PathBuf,
    index: Index,
    reader: IndexReader,
    fields: Fields,
}

/// Indexes a bulk import's articles while the import goes on: [`BulkWriter::upsert`] hands each
/// batch to tantivy's indexing threads and returns, so that indexing runs alongside the
/// writing of the next batches and the similar-articles rebuild instead of after them.
/// Nothing is visible until [`BulkWriter::commit`]; dropped uncommitted (the import failed),
/// it leaves the index as it was, stale against the database, and the next start repairs it.
pub struct BulkWriter {
    index: Arc<SearchIndex>,
    writer: IndexWriter,
}

impl BulkWriter {
    /// Replaces (or adds) the given articles.
    pub fn upsert(&self, docs: &[SearchDoc]) -> Result<(), SearchError> {
        self.index.stage(&self.writer, docs)
    }

    /// Commits everything upserted, stamped with `generation`.
    pub fn commit(self, generation: u64) -> Result<(), SearchError> {
        self.index.commit(self.writer, generation)
    }
}

/// Heap given to a writer; tantivy's minimum is 15 MB per thread.
const WRITER_HEAP: usize = 64 * 1024 * 1024;

impl SearchIndex {
    /// Opens the index in `dir`, creating it (empty, unstamped) when missing or when its
    /// schema is not this version's.
    pub fn open(dir: &Path) -> Result<Self, SearchError> {
        let err = |source| SearchError::Index {
            path: dir.to_path_buf(),
            source,
        };
        std::fs::create_dir_all(dir)
            .map_err(|e| err(tantivy::TantivyError::IoError(std::sync::Arc::new(e))))?;
        let (schema, fields) = schema();
        let index = match Index::open_in_dir(dir) {
            Ok(index) if index.schema() == schema => index,
            _ => {
                // Missing or from another version: start afresh; the caller sees it unstamped
                // and rebuilds it from the database.
                for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
                    let _ = std::fs::remove_file(entry.path());
                }
                Index::create_in_dir(dir, schema).map_err(err)?
            }
        };
        index
            .tokenizers()
            .register(ANALYZER, TextAnalyzer::from(TrendwatchTokenizer::default()));
        index.tokenizers().register(
            PAIRS_ANALYZER,
            TextAnalyzer::from(TrendwatchTokenizer::pairs()),
        );
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::OnCommitWithDelay)
            .try_into()
            .map_err(err)?;
        Ok(SearchIndex {
            path: dir.to_path_buf(),
            index,
            reader,
            fields,
        })
    }

    fn err(&self, source: tantivy::TantivyError) -> SearchError {
        SearchError::Index {
            path: self.path.clone(),
            source,
        }
    }

    /// The store generation recorded by the last commit, `None` for a new index.
    pub fn stamp(&self) -> Option<u64> {
        let metas = self.index.load_metas().ok()?;
        metas.payload.as_deref()?.parse().ok()
    }

    /// Picks up commits made since the last reload (another process's import, say) now,
    /// rather than when the file watcher notices them.
    pub fn reload(&self) -> Result<(), SearchError> {
        self.reader.reload().map_err(|e| self.err(e))
    }

    /// Number of indexed articles, as of the last reload.
    pub fn len(&self) -> u64 {
        self.reader.searcher().num_docs()
    }

    /// Whether nothing is indexed.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// A writer for `docs` documents: one indexing thread for a few (publishing one
    /// article), one per core for a bulk import.
    fn writer(&self, docs: usize) -> Result<IndexWriter, SearchError> {
        let threads = if docs < 1_000 {
            1
        } else {
            std::thread::available_parallelism().map_or(1, |n| n.get().min(4))
        };
        self.index
            .writer_with_num_threads(threads, WRITER_HEAP * threads)
            .map_err(|e| self.err(e))
    }

    fn document(&self, d: &SearchDoc) -> TantivyDocument {
        let f = self.fields;
        let mut doc = TantivyDocument::default();
        doc.add_i64(f.id, d.id);
        doc.add_text(f.lang, &d.lang);
        doc.add_text(f.topic, &d.topic);
        doc.add_text(f.status, &d.status);
        doc.add_i64(f.day, d.day);
        doc.add_text(f.slug, &d.slug);
        doc.add_text(f.title, &d.title);
        doc.add_text(f.lead, &d.lead);
        doc.add_text(f.body, &d.text);
        // Separate values of one field: positions do not run from one into the next, so a
        // phrase never spans the headline and the lead.
        for part in [&d.title, &d.title, &d.lead, &d.text] {
            doc.add_text(f.all, part);
        }
        for part in [&d.title, &d.lead, &d.text] {
            doc.add_text(f.pairs, part);
        }
        doc
    }

    fn commit(&self, mut writer: IndexWriter, generation: u64) -> Result<(), SearchError> {
        let mut prepared = writer.prepare_commit().map_err(|e| self.err(e))?;
        prepared.set_payload(&generation.to_string());
        prepared.commit().map_err(|e| self.err(e))?;
        writer.wait_merging_threads().map_err(|e| self.err(e))?;
        self.reader.reload().map_err(|e| self.err(e))
    }

    /// Replaces (or adds) the given articles and removes `deleted`, in one commit stamped
    /// with `generation`.
    pub fn upsert(
        &self,
        docs: &[SearchDoc],
        deleted: &[i64],
        generation: u64,
    ) -> Result<(), SearchError> {
        let writer = self.writer(docs.len())?;
        for id in deleted {
            writer.delete_term(Term::from_field_i64(self.fields.id, *id));
        }
        self.stage(&writer, docs)?;
        self.commit(writer, generation)
    }

    /// Hands `docs` to `writer`, each replacing its earlier version (a delete only affects
    /// documents added before it, so nothing of this batch).
    fn stage(&self, writer: &IndexWriter, docs: &[SearchDoc]) -> Result<(), SearchError> {
        for d in docs {
            writer.delete_term(Term::from_field_i64(self.fields.id, d.id));
            writer
                .add_document(self.document(d))
                .map_err(|e| self.err(e))?;
        }
        Ok(())
    }

    /// A writer that takes a bulk import's articles batch by batch, as they are written, and
    /// commits them all at once at the end (see [`BulkWriter`]).
    pub fn bulk_writer(self: &Arc<Self>, expected_docs: usize) -> Result<BulkWriter, SearchError> {
        Ok(BulkWriter {
            writer: self.writer(expected_docs)?,
            index: self.clone(),
        })
    }

    /// Empties the index and indexes `docs`, stamped with `generation`.
    pub fn rebuild(
        &self,
        docs: impl IntoIterator<Item = SearchDoc>,
        generation: u64,
    ) -> Result<usize, SearchError> {
        let writer = self
            .index
            .writer(WRITER_HEAP * 2)
            .map_err(|e| self.err(e))?;
        writer.delete_all_documents().map_err(|e| self.err(e))?;
        let mut n = 0;
        for d in docs {
            writer
                .add_document(self.document(&d))
                .map_err(|e| self.err(e))?;
            n += 1;
        }
        self.commit(writer, generation)?;
        Ok(n)
    }

    /// Terms of `text` as the index analyses them, with their positions.
    fn analyse(&self, field: Field, text: &str) -> Vec<(usize, Term)> {
        let mut analyzer = TextAnalyzer::from(TrendwatchTokenizer::default());
        let mut stream = analyzer.token_stream(text);
        let mut out = Vec::new();
        while stream.advance() {
            let t = stream.token();
            out.push((t.position, Term::from_field_text(field, &t.text)));
        }
        out
    }

    /// A word, or "these words in this order" (stop words between them aside), anywhere in
    /// the article; `None` when the text has no indexable word.
    fn anywhere(&self, text: &str) -> Option<Box<dyn Query>> {
        let terms = self.analyse(self.fields.all, text);
        let term = |field: Field, text: &str| -> Box<dyn Query> {
            Box::new(TermQuery::new(
                Term::from_field_text(field, text),
                IndexRecordOption::WithFreqs,
            ))
        };
        match terms.len() {
            0 => None,
            1 => Some(Box::new(TermQuery::new(
                terms[0].1.clone(),
                IndexRecordOption::WithFreqs,
            ))),
            _ => {
                let words: Vec<String> = terms
                    .iter()
                    .filter_map(|(_, t)| t.value().as_str().map(str::to_string))
                    .collect();
                let pairs = pair_terms(words.iter().map(String::as_str));
                if pairs.len() == 1 {
                    return Some(term(self.fields.pairs, &pairs[0]));
                }
                Some(Box::new(PhraseQuery::new(
                    pairs
                        .iter()
                        .map(|p| Term::from_field_text(self.fields.pairs, p))
                        .collect(),
                )))
            }
        }
    }

    /// The query of `q`, with each of its prefixes already expanded (`prefixed`, in order).
    fn to_query(&self, q: &ParsedQuery, prefixed: &[Vec<String>]) -> Box<dyn Query> {
        let f = self.fields;
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        for text in q.words.iter().chain(&q.phrases) {
            // A stop word alone ("the") constrains nothing and is skipped.
            if let Some(c) = self.anywhere(text) {
                clauses.push((Occur::Must, c));
            }
        }
        for terms in prefixed {
            clauses.push((Occur::Must, self.any_of(terms)));
        }
        for text in &q.excluded {
            if let Some(c) = self.anywhere(text) {
                clauses.push((Occur::MustNot, c));
            }
        }
        let exact = |field: Field, v: &str| -> Box<dyn Query> {
            Box::new(TermQuery::new(
                Term::from_field_text(field, v),
                IndexRecordOption::Basic,
            ))
        };
        for (field, v) in [
            (f.topic, &q.topic),
            (f.status, &q.status),
            (f.lang, &q.lang),
        ] {
            if let Some(v) = v {
                clauses.push((Occur::Must, exact(field, v)));
            }
        }
        if q.from.is_some() || q.to.is_some() {
            let day = |d: time::Date| {
                Term::from_field_i64(f.day, i64::from(d.to_julian_day() - 2_440_588))
            };
            let lower = q.from.map_or(Bound::Unbounded, |d| Bound::Included(day(d)));
            let upper = q.to.map_or(Bound::Unbounded, |d| Bound::Included(day(d)));
            clauses.push((Occur::Must, Box::new(RangeQuery::new(lower, upper))));
        }
        if !clauses.iter().any(|(o, _)| *o == Occur::Must) {
            clauses.push((Occur::Must, Box::new(AllQuery)));
        }
        // One required clause alone is searched as itself: a lone term query is ranked with
        // block-max WAND and counted from its document frequency, which a boolean query
        // around it prevents.
        if clauses.len() == 1 {
            if let Some((_, only)) = clauses.pop() {
                return only;
            }
        }
        Box::new(BooleanQuery::new(clauses))
    }

    /// Any of `terms` (of the `all` field); none matches nothing.
    fn any_of(&self, terms: &[String]) -> Box<dyn Query> {
        let term = |t: &str| -> Box<dyn Query> {
            Box::new(TermQuery::new(
                Term::from_field_text(self.fields.all, t),
                IndexRecordOption::WithFreqs,
            ))
        };
        match terms {
            // No word begins so: a term that cannot occur (terms have no spaces).
            [] => term(" "),
            [only] => term(only),
            _ => Box::new(BooleanQuery::new(
                terms.iter().map(|t| (Occur::Should, term(t))).collect(),
            )),
        }
    }

    /// The indexed terms that begin as `prefix` does, the most frequent [`MAX_EXPANSIONS`].
    /// The prefix is normalised as words are (lower case, ё as е), and cut to its stem when
    /// that is shorter, so that `borders*` also finds "border".
    pub fn expand_prefix(&self, prefix: &str) -> Vec<String> {
        let mut normal: String = prefix.to_lowercase().replace('ё', "е");
        if let [(_, stem)] = self.analyse(self.fields.all, prefix).as_slice() {
            let value = stem.value();
            if let Some(stem) = value.as_str() {
                if normal.starts_with(stem) {
                    normal = stem.to_string();
                }
            }
        }
        let mut found: std::collections::HashMap<String, u32> = Default::default();
        let searcher = self.reader.searcher();
        for segment in searcher.segment_readers() {
            let Ok(inverted) = segment.inverted_index(self.fields.all) else {
                continue;
            };
            let Ok(mut stream) = inverted.terms().range().ge(normal.as_bytes()).into_stream()
            else {
                continue;
            };
            while stream.advance() {
                if !stream.key().starts_with(normal.as_bytes()) {
                    break;
                }
                if let Ok(term) = std::str::from_utf8(stream.key()) {
                    *found.entry(term.to_string()).or_default() += stream.value().doc_freq;
                }
            }
        }
        let mut terms: Vec<(String, u32)> = found.into_iter().collect();
        terms.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        terms.truncate(MAX_EXPANSIONS);
        terms.into_iter().map(|(t, _)| t).collect()
    }

    /// A "Did you mean" for a query that found nothing: the query as typed, with each word
    /// the archive does not have replaced by the nearest word the archive has (at most one
    /// edit for words of up to five letters, two beyond), the most frequent among equals, as
    /// an article writes it. `None` when no word could be corrected.
    pub fn suggest(&self, raw: &str, q: &ParsedQuery) -> Option<String> {
        let searcher = self.reader.searcher();
        let mut corrected = raw.to_string();
        let mut changed = false;
        for word in &q.words {
            let terms = self.analyse(self.fields.all, word);
            let [(_, term)] = terms.as_slice() else {
                continue;
            };
            if searcher.doc_freq(term).unwrap_or(0) > 0 {
                continue;
            }
            let Some(surface) = self.nearest_word(&searcher, word) else {
                continue;
            };
            // Keep the reader's capitalisation of the first letter.
            let surface = if word.chars().next().is_some_and(char::is_lowercase) {
                surface.to_lowercase()
            } else {
                surface
            };
            corrected = corrected.replacen(word.as_str(), &surface, 1);
            changed = true;
        }
        changed.then_some(corrected)
    }

    /// The archive's word nearest to `typed`. The index holds stems, and a stem can be much
    /// shorter than its word ("Гергиев" is "герг"), so this works in two steps: stems with the
    /// same first letter that are near some beginning of the typed word are candidates (the
    /// ones nearest, then most frequent, first); each is then read as an article writes it,
    /// and the written word nearest to what was typed wins. Reading only one first letter
    /// keeps the scan a small part of the term dictionary; a typo there is rare.
    fn nearest_word(&self, searcher: &tantivy::Searcher, typed: &str) -> Option<String> {
        const VERIFIED: usize = 8;
        let mut normal = String::new();
        trendwatch_core::text::normalise_into(typed, &mut normal);
        let word: Vec<char> = normal.chars().collect();
        let first = *word.first()?;
        let max = if word.len() <= 5 { 1 } else { 2 };
        let mut from = [0u8; 4];
        let from = first.encode_utf8(&mut from).as_bytes().to_vec();
        let to = char::from_u32(first as u32 + 1).map(|c| c.to_string().into_bytes());
        // Stem → (distance to the nearest beginning of the typed word, documents).
        let mut candidates: std::collections::HashMap<String, (usize, u32)> = Default::default();
        for segment in searcher.segment_readers() {
            let Ok(inverted) = segment.inverted_index(self.fields.all) else {
                continue;
            };
            let mut range = inverted.terms().range().ge(&from);
            if let Some(to) = &to {
                range = range.lt(to);
            }
            let Ok(mut stream) = range.into_stream() else {
                continue;
            };
            while stream.advance() {
                let Ok(term) = std::str::from_utf8(stream.key()) else {
                    continue;
                };
                let len = term.chars().count();
                if len * 2 < word.len() || len > word.len() + max {
                    continue;
                }
                let nearest = (len.saturating_sub(max).max(1)..=(len + max).min(word.len()))
                    .map(|k| {
                        let start: String = word[..k].iter().collect();
                        strsim::damerau_levenshtein(&start, term)
                    })
                    .min()
                    .unwrap_or(usize::MAX);
                if nearest <= max {
                    let e = candidates.entry(term.to_string()).or_insert((nearest, 0));
                    e.1 += stream.value().doc_freq;
                }
            }
        }
        let mut candidates: Vec<(String, (usize, u32))> = candidates.into_iter().collect();
        candidates.sort_by(|a, b| {
            (a.1 .0, std::cmp::Reverse(a.1 .1), &a.0).cmp(&(
                b.1 .0,
                std::cmp::Reverse(b.1 .1),
                &b.0,
            ))
        });
        candidates
            .iter()
            .take(VERIFIED)
            .filter_map(|(term, (_, docs))| {
                let written = self.written_form(searcher, term)?;
                let mut written_normal = String::new();
                trendwatch_core::text::normalise_into(&written, &mut written_normal);
                let d = strsim::damerau_levenshtein(&normal, &written_normal);
                (d > 0 && d <= max).then_some((d, std::cmp::Reverse(*docs), written))
            })
            .min()
            .map(|(_, _, written)| written)
    }

    /// How `term` is written in the first article that has it: the original word, not its
    /// stem ("Chelsea", not "chelsea" or "chelse").
    fn written_form(&self, searcher: &tantivy::Searcher, term: &str) -> Option<String> {
        let query = TermQuery::new(
            Term::from_field_text(self.fields.all, term),
            IndexRecordOption::Basic,
        );
        let (_, address) = searcher
            .search(&query, &TopDocs::with_limit(1))
            .ok()?
            .into_iter()
            .next()?;
        let doc: TantivyDocument = searcher.doc(address).ok()?;
        for field in [self.fields.title, self.fields.lead, self.fields.body] {
            let text = doc.get_first(field).and_then(|v| v.as_str()).unwrap_or("");
            let mut found = None;
            trendwatch_core::text::analyze(text, |t| {
                if found.is_none() && t.term == term {
                    found = Some(text[t.from..t.to].to_string());
                }
            });
            if found.is_some() {
                return found;
            }
        }
        None
    }

    /// Every word of the query's words, phrases and expanded prefixes, any of them: what
    /// snippets highlight.
    fn highlighted(&self, q: &ParsedQuery, prefixed: &[Vec<String>]) -> BooleanQuery {
        let clauses: Vec<(Occur, Box<dyn Query>)> = q
            .words
            .iter()
            .chain(&q.phrases)
            .flat_map(|text| self.analyse(self.fields.all, text))
            .map(|(_, term)| term)
            .chain(
                prefixed
                    .iter()
                    .flatten()
                    .map(|t| Term::from_field_text(self.fields.all, t)),
            )
            .map(|term| -> (Occur, Box<dyn Query>) {
                (
                    Occur::Should,
                    Box::new(TermQuery::new(term, IndexRecordOption::WithFreqs)),
                )
            })
            .collect();
        BooleanQuery::new(clauses)
    }

    /// Inverse document frequency of an analysed term in article bodies, `ln(N / df)`
    /// (smoothed), for incremental similar-list updates.
    pub fn idf(&self, term: &str) -> f32 {
        self.idf_in(&self.reader.searcher(), term)
    }

    fn idf_in(&self, searcher: &tantivy::Searcher, term: &str) -> f32 {
        let n = searcher.num_docs().max(1) as f32;
        let df = searcher
            .doc_freq(&Term::from_field_text(self.fields.all, term))
            .unwrap_or(0) as f32;
        ((n + 1.0) / (df + 1.0)).ln().max(0.0)
    }

    /// The `limit` articles that best match (BM25) the `max_terms` terms of `terms`
    /// (analysed terms and their weights in one article) that weigh most times their
    /// inverse document frequency: the candidate neighbours of an article for an
    /// incremental similar-list update.
    pub fn more_like(
        &self,
        terms: &[(String, f32)],
        max_terms: usize,
        limit: usize,
    ) -> Result<Vec<i64>, SearchError> {
        let f = self.fields;
        let searcher = self.reader.searcher();
        let mut weighted: Vec<(&str, f32)> = terms
            .iter()
            .map(|(t, w)| (t.as_str(), w * self.idf_in(&searcher, t)))
            .collect();
        weighted.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(b.0)));
        // A plain disjunction of term queries, which tantivy ranks with block-max WAND,
        // skipping most of the archive; a language filter or per-term boosts around it
        // would make it score every article sharing any term (10 ms at 100,000 articles).
        // Articles of another language seldom share a stem and are dropped by the engine.
        let should: Vec<(Occur, Box<dyn Query>)> = weighted
            .iter()
            .take(max_terms)
            .map(|(t, _)| -> (Occur, Box<dyn Query>) {
                (
                    Occur::Should,
                    Box::new(TermQuery::new(
                        Term::from_field_text(f.all, t),
                        IndexRecordOption::WithFreqs,
                    )),
                )
            })
            .collect();
        if should.is_empty() {
            return Ok(Vec::new());
        }
        let query = BooleanQuery::new(should);
        let hits = searcher
            .search(&query, &TopDocs::with_limit(limit.max(1)))
            .map_err(|e| self.err(e))?;
        let mut ids = Vec::with_capacity(hits.len());
        for (_, address) in hits {
            let reader = searcher.segment_reader(address.segment_ord);
            let column = reader.fast_fields().i64("id").map_err(|e| self.err(e))?;
            if let Some(id) = column.first(address.doc_id) {
                ids.push(id);
            }
        }
        Ok(ids)
    }

    /// Runs a parsed query: one page of `per_page` results starting at `offset`.
    pub fn search(
        &self,
        q: &ParsedQuery,
        sort: Sort,
        offset: usize,
        per_page: usize,
    ) -> Result<Results, SearchError> {
        // Words that are all stop words or symbols ("the", "!!!") would constrain nothing
        // and list the whole archive: say so instead.
        if q.has_text()
            && q.prefixes.is_empty()
            && q.words
                .iter()
                .chain(&q.phrases)
                .all(|t| self.analyse(self.fields.all, t).is_empty())
        {
            let typed: Vec<&str> = q
                .words
                .iter()
                .chain(&q.phrases)
                .map(String::as_str)
                .collect();
            return Err(crate::query::QueryError::NothingToFind(typed.join(" ")).into());
        }
        let searcher = self.reader.searcher();
        // Each prefix is looked up in the term dictionary once, for the query and the snippets.
        let prefixed: Vec<Vec<String>> = q.prefixes.iter().map(|p| self.expand_prefix(p)).collect();
        let query = self.to_query(q, &prefixed);
        let top = TopDocs::with_limit(per_page.max(1)).and_offset(offset);
        // Filters alone have nothing to rank by relevance: newest first.
        let sort = if q.has_text() { sort } else { Sort::Date };
        let (addresses, total): (Vec<(f32, DocAddress)>, usize) = match sort {
            // Apart, so that the ranking can skip blocks that cannot make the top (block-max
            // WAND) and the count can do without scores (a single term's count is its
            // document frequency).
            Sort::Relevance => (
                searcher.search(&query, &top).map_err(|e| self.err(e))?,
                query.count(&searcher).map_err(|e| self.err(e))?,
            ),
            Sort::Date => {
                let (hits, total) = searcher
                    .search(
                        &query,
                        &(top.order_by_fast_field::<i64>("day", Order::Desc), Count),
                    )
                    .map_err(|e| self.err(e))?;
                (hits.into_iter().map(|(_, a)| (0.0, a)).collect(), total)
            }
        };
        // The generator takes the terms of the `all` field of a query of every searched word
        // (phrases match word pairs, which a snippet of single words cannot show) and is
        // applied to the body.
        let mut snippets =
            SnippetGenerator::create(&searcher, &self.highlighted(q, &prefixed), self.fields.all)
                .map_err(|e| self.err(e))?;
        snippets.set_max_num_chars(220);
        let f = self.fields;
        let mut hits = Vec::with_capacity(addresses.len());
        for (score, address) in addresses {
            let doc: TantivyDocument = searcher.doc(address).map_err(|e| self.err(e))?;
            let text = |field: Field| {
                doc.get_first(field)
                    .and_then(|v| v.as_str())
                    .unwrap_or_default()
                    .to_string()
            };
            let int = |field: Field| doc.get_first(field).and_then(|v| v.as_i64()).unwrap_or(0);
            let body = text(f.body);
            let snippet = snippets.snippet(&body);
            let snippet_html = if snippet.is_empty() {
                // No body match (a headline match): the lead, or the body's opening.
                let lead = text(f.lead);
                let source = if lead.is_empty() { body } else { lead };
                escape_html(&opening(&source, 220))
            } else {
                with_ellipses(
                    &body,
                    snippet.fragment(),
                    marked(snippet.fragment(), snippet.highlighted()),
                )
            };
            hits.push(Hit {
                id: int(f.id),
                lang: text(f.lang),
                topic: text(f.topic),
                status: text(f.status),
                day: int(f.day),
                slug: text(f.slug),
                title: text(f.title),
                snippet_html,
                score,
            });
        }
        Ok(Results { total, hits })
    }
}

/// The first `chars` characters of `text`, cut at a word boundary, with an ellipsis.
fn opening(text: &str, chars: usize) -> String {
    if text.chars().count() <= chars {
        return text.to_string();
    }
    let cut: String = text.chars().take(chars).collect();
    let cut = cut.rsplit_once(' ').map_or(cut.as_str(), |(a, _)| a);
    format!("{cut}…")
}

/// `html` (the marked `fragment` of `text`) with "…" where the fragment cuts a sentence: at
/// its start unless it starts the text or a sentence, at its end unless it ends the text or a
/// sentence.
fn with_ellipses(text: &str, fragment: &str, html: String) -> String {
    let ends_sentence = |s: &str| s.trim_end().ends_with(['.', '!', '?', '…', '"', '»']);
    let Some(start) = text.find(fragment) else {
        return html;
    };
    let cut_before = start > 0 && !ends_sentence(&text[..start]);
    // The fragment stops at its last word: a full stop right after it ends the sentence.
    let rest = text[start + fragment.len()..].trim_start();
    let end = match rest.chars().next() {
        None => String::new(),
        Some(c @ ('.' | '!' | '?' | '…')) => c.to_string(),
        Some(_) if ends_sentence(fragment) => String::new(),
        Some(_) => "…".to_string(),
    };
    format!("{}{}{end}", if cut_before { "…" } else { "" }, html.trim())
}

/// The fragment with its highlighted ranges in `<mark>`, everything else escaped by the one
/// escaping function the site uses.
fn marked(fragment: &str, ranges: &[std::ops::Range<usize>]) -> String {
    let mut out = String::with_capacity(fragment.len() + 32);
    let mut at = 0;
    for r in ranges {
        if r.start < at || r.end > fragment.len() {
            continue;
        }
        out.push_str(&escape_html(&fragment[at..r.start]));
        out.push_str("<mark>");
        out.push_str(&escape_html(&fragment[r.start..r.end]));
        out.push_str("</mark>");
        at = r.end;
    }
    out.push_str(&escape_html(&fragment[at..]));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::query::parse;

    fn doc(
        id: i64,
        lang: &str,
        topic: &str,
        status: &str,
        day: i64,
        title: &str,
        text: &str,
    ) -> SearchDoc {
        SearchDoc {
            id,
            lang: lang.into(),
            topic: topic.into(),
            status: status.into(),
            day,
            slug: format!("a-{id}"),
            title: title.into(),
            lead: String::new(),
            text: text.into(),
            key: format!("k{id}"),
        }
    }

    fn sample(dir: &Path) -> SearchIndex {
        let index = SearchIndex::open(dir).expect("open");
        index
            .rebuild(
                vec![
                    doc(1, "en", "security", "worsened", 100, "Border tension grows", "Troops gathered at the northern border of Arvenia. <script>alert(1)</script>"),
                    doc(2, "en", "economy", "improved", 200, "Central bank cuts rates", "The central bank of Arvenia cut its rate; the border trade grew."),
                    doc(3, "ru", "security", "unchanged", 150, "Напряжённость на границе", "Войска собрались у северной границы Арвении."),
                    doc(4, "en", "security", "unchanged", 300, "Bank of the border", "A border bank opened, not the central one."),
                ],
                7,
            )
            .expect("rebuild");
        index
    }

    fn ids(r: &Results) -> Vec<i64> {
        r.hits.iter().map(|h| h.id).collect()
    }

    #[test]
    fn words_phrases_exclusions_filters_and_sorting() {
        let dir = tempfile::tempdir().expect("tempdir");
        let index = sample(dir.path());
        assert_eq!(index.stamp(), Some(7));
        let run = |q: &str, sort| {
            index
                .search(&parse(q).expect("valid"), sort, 0, 10)
                .expect("search")
        };
        // Stemming: "borders" finds "border"; the body-only match ranks after the headlines.
        let borders = run("borders", Sort::Relevance);
        assert_eq!((borders.total, ids(&borders).last().copied()), (3, Some(2)));
        assert_eq!(ids(&run("\"central bank\"", Sort::Relevance)), vec![2]);
        assert_eq!(
            ids(&run("border -\"central bank\"", Sort::Date)),
            vec![4, 1]
        );
        assert_eq!(ids(&run("border topic:security", Sort::Date)), vec![4, 1]);
        assert_eq!(ids(&run("border from:1970-05-01", Sort::Date)), vec![4, 2]);
        // Russian: ё folded, inflection stemmed.
        assert_eq!(ids(&run("напряженность границ", Sort::Relevance)), vec![3]);
        assert_eq!(
            ids(&run("topic:security lang:ru", Sort::Relevance)),
            vec![3]
        );
        // Pagination.
        let page2 = index
            .search(&parse("border").expect("valid"), Sort::Date, 2, 2)
            .expect("search");
        assert_eq!((page2.total, ids(&page2)), (3, vec![1]));
    }

    #[test]
    fn prefix_search_finds_every_word_that_begins_so() {
        let dir = tempfile::tempdir().expect("tempdir");
        let index = sample(dir.path());
        let run = |q: &str| {
            index
                .search(&parse(q).expect("valid"), Sort::Date, 0, 10)
                .expect("search")
        };
        // "bord*" finds "border" (every English article), and the snippet marks the word.
        let bord = run("bord*");
        assert_eq!(ids(&bord), vec![4, 2, 1]);
        assert!(bord
            .hits
            .iter()
            .any(|h| h.snippet_html.contains("<mark>border</mark>")));
        // A prefix longer than the stem ("borders*") still finds "border".
        assert_eq!(ids(&run("borders*")), vec![4, 2, 1]);
        assert_eq!(ids(&run("cent* bord*")), vec![4, 2]);
        // Cyrillic, with ё folded.
        assert_eq!(ids(&run("напряжё* lang:ru")), vec![3]);
        assert_eq!(run("zzzq*").total, 0);
        assert_eq!(index.expand_prefix("bord"), vec!["border".to_string()]);
    }

    #[test]
    fn did_you_mean_corrects_misspelt_words_from_the_archive() {
        let dir = tempfile::tempdir().expect("tempdir");
        let index = SearchIndex::open(dir.path()).expect("open");
        let docs = vec![
            doc(1, "en", "society", "unchanged", 1, "Chelsea quarter votes", "Residents of the Chelsea quarter of Arvenia's capital voted. Chelsea turnout was high."),
            doc(2, "en", "society", "unchanged", 2, "Arsenal workers strike", "Workers at the state Arsenal in Arvenia went on strike."),
            doc(3, "ru", "society", "unchanged", 3, "Министр Гергиев ушёл", "Министр культуры Арвении Гергиев подал в отставку."),
            doc(4, "en", "society", "unchanged", 4, "Chelsey market", "A fictional Chelsey market opened once."),
        ];
        index.rebuild(docs, 1).expect("rebuild");
        let suggest = |raw: &str| index.suggest(raw, &parse(raw).expect("valid"));
        // The most frequent of equally near words wins (Chelsea over Chelsey), as written.
        assert_eq!(suggest("Chelsae").as_deref(), Some("Chelsea"));
        assert_eq!(suggest("Arsenel strike").as_deref(), Some("Arsenal strike"));
        assert_eq!(suggest("arsenel").as_deref(), Some("arsenal"));
        assert_eq!(suggest("Гергиеф").as_deref(), Some("Гергиев"));
        // Words the archive has, and words with nothing near, are left alone.
        assert_eq!(suggest("Chelsea"), None);
        assert_eq!(suggest("Xylophone"), None);
        // The suggestion finds what the misspelling did not.
        let fixed = suggest("Гергиеф").expect("suggestion");
        let found = index
            .search(&parse(&fixed).expect("valid"), Sort::Relevance, 0, 10)
            .expect("search");
        assert_eq!(ids(&found), vec![3]);
    }

    #[test]
    fn snippets_that_cut_a_sentence_show_an_ellipsis() {
        let dir = tempfile::tempdir().expect("tempdir");
        let index = SearchIndex::open(dir.path()).expect("open");
        let filler = "The assembly debated the budget for a long time and nothing happened ";
        let long = format!(
            "{}while the harbour strike went on {}",
            filler.repeat(5),
            filler.repeat(5)
        );
        index
            .rebuild(
                vec![
                    doc(1, "en", "economy", "unchanged", 100, "Long", &long),
                    doc(
                        2,
                        "en",
                        "economy",
                        "unchanged",
                        100,
                        "Short",
                        "The harbour strike ended.",
                    ),
                ],
                1,
            )
            .expect("rebuild");
        let r = index
            .search(&parse("harbour").expect("valid"), Sort::Relevance, 0, 10)
            .expect("search");
        let snippet = |id: i64| {
            r.hits
                .iter()
                .find(|h| h.id == id)
                .map(|h| h.snippet_html.clone())
                .expect("hit")
        };
        let cut = snippet(1);
        assert!(cut.starts_with('…') && cut.ends_with('…'), "{cut}");
        assert!(cut.contains("<mark>harbour</mark>"), "{cut}");
        // A whole text is not cut.
        assert_eq!(snippet(2), "The <mark>harbour</mark> strike ended.");
    }

    #[test]
    fn snippets_mark_matches_and_escape_the_text() {
        let dir = tempfile::tempdir().expect("tempdir");
        let index = sample(dir.path());
        let r = index
            .search(&parse("troops").expect("valid"), Sort::Relevance, 0, 10)
            .expect("search");
        let s = &r.hits[0].snippet_html;
        assert!(s.contains("<mark>Troops</mark>"), "{s}");
        assert!(
            s.contains("&lt;script&gt;") && !s.contains("<script>"),
            "{s}"
        );
    }

    #[test]
    fn upsert_replaces_and_deletes_and_reopening_keeps_the_stamp() {
        let dir = tempfile::tempdir().expect("tempdir");
        let index = sample(dir.path());
        index
            .upsert(
                &[doc(
                    2,
                    "en",
                    "economy",
                    "improved",
                    200,
                    "Harvest record",
                    "Farmers report a record.",
                )],
                &[4],
                8,
            )
            .expect("upsert");
        let run = |q: &str| {
            ids(&index
                .search(&parse(q).expect("valid"), Sort::Date, 0, 10)
                .expect("search"))
        };
        assert_eq!(run("harvest"), vec![2]);
        assert!(run("\"central bank\"").is_empty());
        assert_eq!(run("border"), vec![1]);
        drop(index);
        let again = SearchIndex::open(dir.path()).expect("reopen");
        assert_eq!((again.stamp(), again.len()), (Some(8), 3));
    }
}
