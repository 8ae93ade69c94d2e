//! The baseline every similar-articles figure is compared with: plain BM25 "more like this"
//! (tantivy's `MoreLikeThisQuery`) over an in-memory index, with tantivy's own simple
//! tokenizer, lowercasing and the Snowball stemmer of the corpus language. Used by
//! `trendwatch eval related` only.

use tantivy::collector::TopDocs;
use tantivy::query::MoreLikeThisQuery;
use tantivy::schema::{IndexRecordOption, Schema, TextFieldIndexing, TextOptions};
use tantivy::tokenizer::{
    Language as StemLanguage, LowerCaser, SimpleTokenizer, Stemmer, TextAnalyzer,
};
use tantivy::{doc, DocAddress, Index, IndexReader};
use trendwatch_core::Language;

/// An in-memory BM25 index of a corpus, queried document by document.
pub struct MltBaseline {
    reader: IndexReader,
    len: usize,
}

impl MltBaseline {
    /// Indexes `texts` (one per document, in order) analysed for `lang`.
    pub fn build(texts: &[String], lang: Language) -> tantivy::Result<Self> {
        let mut schema = Schema::builder();
        let indexing = TextFieldIndexing::default()
            .set_tokenizer("plain")
            .set_index_option(IndexRecordOption::WithFreqsAndPositions);
        let text = schema.add_text_field(
            "text",
            TextOptions::default()
                .set_indexing_options(indexing)
                .set_stored(),
        );
        let index = Index::create_in_ram(schema.build());
        let stem = match lang {
            Language::En => StemLanguage::English,
            Language::Ru => StemLanguage::Russian,
        };
        index.tokenizers().register(
            "plain",
            TextAnalyzer::builder(SimpleTokenizer::default())
                .filter(LowerCaser)
                .filter(Stemmer::new(stem))
                .build(),
        );
        // One indexing thread and one commit: a single segment whose document ids follow
        // insertion order, so a hit's address is the corpus position.
        let mut writer = index.writer_with_num_threads(1, 256 * 1024 * 1024)?;
        for t in texts {
            writer.add_document(doc!(text => t.as_str()))?;
        }
        writer.commit()?;
        let reader = index.reader()?;
        let segments = reader.searcher().segment_readers().len();
        if segments > 1 {
            return Err(tantivy::TantivyError::InternalError(format!(
                "expected one segment, got {segments}"
            )));
        }
        Ok(MltBaseline {
            reader,
            len: texts.len(),
        })
    }

    /// Documents most like document `i`, best first, at most `limit`, never `i` itself.
    pub fn ranked(&self, i: usize, limit: usize) -> tantivy::Result<Vec<(usize, f32)>> {
        let searcher = self.reader.searcher();
        // Lucene's defaults, except that a word found once counts: titles and snippets
        // rarely repeat a word.
        let query = MoreLikeThisQuery::builder()
            .with_min_doc_frequency(1)
            .with_min_term_frequency(1)
            .with_max_query_terms(25)
            .with_document(DocAddress::new(0, i as u32));
        let hits = searcher.search(&query, &TopDocs::with_limit(limit + 1))?;
        Ok(hits
            .into_iter()
            .map(|(score, a)| (a.doc_id as usize, score))
            .filter(|&(j, _)| j != i)
            .take(limit)
            .collect())
    }

    /// Number of indexed documents.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether no document was indexed.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}
