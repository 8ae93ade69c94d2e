//! Turning SQLite rows into domain values, and domain values into column text.

use rusqlite::types::Type;
use rusqlite::Row;
use time::macros::format_description;
use time::PrimitiveDateTime;
use trendwatch_core::article::{ArticleKind, ArticleSummary};
use trendwatch_core::{Alert, Language, Period, Status};

/// The columns [`summary`] reads, in order; every listing query selects these.
pub const SUMMARY_COLUMNS: &str = "a.id, a.lang, a.kind, a.slug, a.topic, a.title, a.lead, \
    a.published_at, a.period_key, a.status, a.alert, a.image_credit, a.translation_group";

const DATETIME: &[time::format_description::BorrowedFormatItem<'static>] =
    format_description!("[year]-[month]-[day] [hour]:[minute]:[second]");

/// Formats a publication time for storage; sorts correctly as text.
pub fn datetime_to_sql(t: PrimitiveDateTime) -> String {
    t.format(DATETIME).unwrap_or_default()
}

fn bad(col: usize, what: impl std::fmt::Display) -> rusqlite::Error {
    rusqlite::Error::FromSqlConversionFailure(col, Type::Text, what.to_string().into())
}

pub fn lang(row: &Row, col: usize) -> rusqlite::Result<Language> {
    row.get::<_, String>(col)?.parse().map_err(|e| bad(col, e))
}

pub fn period(row: &Row, col: usize) -> rusqlite::Result<Period> {
    Period::from_key(row.get(col)?).map_err(|e| bad(col, e))
}

pub fn datetime(row: &Row, col: usize) -> rusqlite::Result<PrimitiveDateTime> {
    PrimitiveDateTime::parse(&row.get::<_, String>(col)?, DATETIME).map_err(|e| bad(col, e))
}

pub fn kind(row: &Row, col: usize) -> rusqlite::Result<ArticleKind> {
    row.get::<_, String>(col)?.parse().map_err(|e| bad(col, e))
}

pub fn status(row: &Row, col: usize) -> rusqlite::Result<Status> {
    row.get::<_, String>(col)?.parse().map_err(|e| bad(col, e))
}

pub fn alert(row: &Row, col: usize) -> rusqlite::Result<Alert> {
    row.get::<_, String>(col)?.parse().map_err(|e| bad(col, e))
}

/// Reads the [`SUMMARY_COLUMNS`] starting at column 0.
pub fn summary(row: &Row) -> rusqlite::Result<ArticleSummary> {
    Ok(ArticleSummary {
        id: row.get(0)?,
        lang: lang(row, 1)?,
        kind: kind(row, 2)?,
        slug: row.get(3)?,
        topic: row.get(4)?,
        title: row.get(5)?,
        lead: row.get(6)?,
        published_at: datetime(row, 7)?,
        period: period(row, 8)?,
        status: status(row, 9)?,
        alert: alert(row, 10)?,
        image_credit: row.get(11)?,
        translation_group: row.get(12)?,
    })
}
