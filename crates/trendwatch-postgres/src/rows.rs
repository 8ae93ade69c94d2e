//! Turning PostgreSQL rows into domain values.

use sqlx::postgres::PgRow;
use sqlx::Row;
use trendwatch_core::article::{ArticleKind, ArticleSummary};
use trendwatch_core::{Alert, Language, Period, Status};

/// What reading a row may fail with.
pub type R<T> = Result<T, sqlx::Error>;

/// The columns [`summary`] reads, in order; every listing query selects these.
pub const SUMMARY_COLUMNS: &str = "a.id, a.lang, a.kind, a.slug, a.topic, a.title, a.lead, \
    a.published_at, a.period_key, a.status, a.alert, a.image_credit, a.translation_group";

/// A column whose value does not parse as the domain type it stands for.
pub fn bad(col: usize, what: impl std::fmt::Display) -> sqlx::Error {
    sqlx::Error::ColumnDecode {
        index: col.to_string(),
        source: what.to_string().into(),
    }
}

/// A text column parsed as `T` (languages, kinds, statuses, states).
pub fn parsed<T>(row: &PgRow, col: usize) -> R<T>
where
    T: std::str::FromStr,
    T::Err: std::fmt::Display,
{
    row.try_get::<String, _>(col)?
        .parse()
        .map_err(|e| bad(col, e))
}

pub fn lang(row: &PgRow, col: usize) -> R<Language> {
    parsed(row, col)
}

pub fn period(row: &PgRow, col: usize) -> R<Period> {
    Period::from_key(row.try_get(col)?).map_err(|e| bad(col, e))
}

/// Reads the [`SUMMARY_COLUMNS`] starting at column 0.
pub fn summary(row: &PgRow) -> R<ArticleSummary> {
    Ok(ArticleSummary {
        id: row.try_get(0)?,
        lang: lang(row, 1)?,
        kind: parsed::<ArticleKind>(row, 2)?,
        slug: row.try_get(3)?,
        topic: row.try_get(4)?,
        title: row.try_get(5)?,
        lead: row.try_get(6)?,
        published_at: row.try_get(7)?,
        period: period(row, 8)?,
        status: parsed::<Status>(row, 9)?,
        alert: parsed::<Alert>(row, 10)?,
        image_credit: row.try_get(11)?,
        translation_group: row.try_get(12)?,
    })
}

/// Every row through `f`, stopping at the first that does not read.
pub fn all<T>(rows: Vec<PgRow>, f: impl Fn(&PgRow) -> R<T>) -> R<Vec<T>> {
    rows.iter().map(f).collect()
}
