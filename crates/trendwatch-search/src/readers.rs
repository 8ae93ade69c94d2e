//! What readers' search asks of an index, as a trait the web layer holds (as it holds the
//! storage trait), so that it neither knows the engine nor runs a query on the async runtime:
//! a tantivy search is CPU and disk work of up to tens of milliseconds, which on a runtime
//! thread would stall every other request that thread serves.

use crate::{ParsedQuery, Results, SearchError, SearchIndex, Sort};
use std::sync::Arc;

/// Readers' search: one page of results, and a correction when nothing was found.
#[async_trait::async_trait]
pub trait Search: Send + Sync + 'static {
    /// One page of `per_page` results of `query`, from `offset`, in `sort` order.
    async fn search(
        &self,
        query: ParsedQuery,
        sort: Sort,
        offset: usize,
        per_page: usize,
    ) -> Result<Results, SearchError>;

    /// "Did you mean": the query as typed (`raw`) with unknown words corrected, if any was.
    async fn suggest(&self, raw: String, query: ParsedQuery) -> Option<String>;
}

/// The tantivy index of this node, queried on the blocking pool.
pub struct LocalSearch(pub Arc<SearchIndex>);

#[async_trait::async_trait]
impl Search for LocalSearch {
    async fn search(
        &self,
        query: ParsedQuery,
        sort: Sort,
        offset: usize,
        per_page: usize,
    ) -> Result<Results, SearchError> {
        let index = self.0.clone();
        tokio::task::spawn_blocking(move || index.search(&query, sort, offset, per_page))
            .await
            .map_err(|e| SearchError::Task(e.to_string()))?
    }

    async fn suggest(&self, raw: String, query: ParsedQuery) -> Option<String> {
        let index = self.0.clone();
        tokio::task::spawn_blocking(move || index.suggest(&raw, &query))
            .await
            .ok()
            .flatten()
    }
}
