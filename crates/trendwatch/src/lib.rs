//! Trendwatch as a library: configuration, starting the site on a listener, importing,
//! generating synthetic archives and the bundled sample. The `trendwatch` binary is a thin
//! command line over these, and every integration test uses the same functions.

pub mod app;
pub mod backup;
pub mod bench;
pub mod cli;
pub mod commands;
pub mod config;
pub mod digest;
pub mod eval;
pub mod eval_related;
pub mod export;
pub mod generate;
pub mod import;
pub mod migrate_store;
pub mod sample;

pub use app::{open_embedded_store, open_store, start, RunningApp};
pub use config::Config;
