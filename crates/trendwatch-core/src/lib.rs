//! The Trendwatch domain: what a weekly commentary is, which week it covers, how its status and
//! alert are expressed, and the text analysis used to relate commentaries to each other.
//!
//! This crate does no I/O at all (no files, no network, no database, no clock): every function
//! is a pure transformation, so the storage backends, the importers and the web layer can all
//! rely on the same rules and the rules can be tested in isolation.

pub mod accounts;
pub mod archive_rules;
pub mod article;
pub mod clustering_metrics;
pub mod content_url;
pub mod duplicates;
pub mod dynamics;
pub mod forecast;
pub mod language;
pub mod limits;
pub mod newsletter;
pub mod newsroom;
pub mod parallel;
pub mod period;
pub mod ranking_metrics;
pub mod related;
pub mod same_story;
pub mod sanitize;
pub mod similarity;
pub mod slug;
pub mod status;
pub mod storyline;
pub mod text;
pub mod threading;
pub mod topic;

pub use article::{ArticleDraft, ArticleKind, DraftError};
pub use language::Language;
pub use period::Period;
pub use status::{Alert, Status};
pub use topic::{Topic, Topics};
