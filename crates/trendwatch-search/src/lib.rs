//! Full-text search for Trendwatch — a tantivy index inside the data directory, analysed by
//! the core's shared text analysis — and the BM25 baseline of the similar-articles
//! evaluation.

pub mod analyzer;
pub mod index;
pub mod mlt;
pub mod query;
pub mod readers;

pub use index::{BulkWriter, Hit, Results, SearchDoc, SearchError, SearchIndex, Sort};
pub use query::{parse, ParsedQuery, QueryError};
pub use readers::{LocalSearch, Search};
