//! Forecast storage of the SQLite backend.

use crate::rows::{self, SUMMARY_COLUMNS};
use rusqlite::{params, Connection, OptionalExtension};
use time::macros::format_description;
use time::Date;
use trendwatch_core::forecast::{Forecast, ForecastEntry, Outcome};
use trendwatch_core::Language;
use trendwatch_store::EditError;

const DATE: &[time::format_description::BorrowedFormatItem<'static>] =
    format_description!("[year]-[month]-[day]");

/// Writes an article's forecasts, keeping editors' resolutions of statements that remain.
pub fn write(conn: &Connection, article_id: i64, forecasts: &[Forecast]) -> rusqlite::Result<()> {
    let mut upsert = conn.prepare_cached(
        "INSERT INTO forecasts (article_id, position, statement, probability, resolve_by, outcome) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6) \
         ON CONFLICT (article_id, statement) DO UPDATE SET position = excluded.position, \
         probability = excluded.probability, resolve_by = excluded.resolve_by, \
         outcome = CASE WHEN resolved_manually = 1 THEN outcome ELSE excluded.outcome END",
    )?;
    let mut keep: Vec<String> = Vec::with_capacity(forecasts.len());
    for (i, f) in forecasts.iter().enumerate() {
        upsert.execute(params![
            article_id,
            i as i64,
            f.statement,
            f.probability,
            f.resolve_by.format(DATE).unwrap_or_default(),
            f.outcome.map(Outcome::code),
        ])?;
        keep.push(f.statement.clone());
    }
    // Statements the source no longer makes are removed.
    let existing: Vec<(i64, String)> = conn
        .prepare_cached("SELECT id, statement FROM forecasts WHERE article_id = ?1")?
        .query_map([article_id], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<rusqlite::Result<_>>()?;
    for (id, statement) in existing {
        if !keep.contains(&statement) {
            conn.execute("DELETE FROM forecasts WHERE id = ?1", [id])?;
        }
    }
    Ok(())
}

fn forecast_from(r: &rusqlite::Row, base: usize) -> rusqlite::Result<Forecast> {
    let bad = |e: String| {
        rusqlite::Error::FromSqlConversionFailure(base, rusqlite::types::Type::Text, e.into())
    };
    let date: String = r.get(base + 3)?;
    let outcome: Option<String> = r.get(base + 4)?;
    Ok(Forecast {
        id: r.get(base)?,
        statement: r.get(base + 1)?,
        probability: r.get(base + 2)?,
        resolve_by: Date::parse(&date, DATE).map_err(|e| bad(e.to_string()))?,
        outcome: outcome
            .map(|o| o.parse::<Outcome>().map_err(|e| bad(e.to_string())))
            .transpose()?,
    })
}

/// The forecasts of one article, in source order.
pub fn of_article(conn: &Connection, article_id: i64) -> rusqlite::Result<Vec<Forecast>> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, statement, probability, resolve_by, outcome FROM forecasts WHERE article_id = ?1 ORDER BY position",
    )?;
    let v = stmt
        .query_map([article_id], |r| forecast_from(r, 0))?
        .collect();
    v
}

fn entries(
    conn: &Connection,
    sql: &str,
    params: impl rusqlite::Params,
) -> rusqlite::Result<Vec<ForecastEntry>> {
    let mut stmt = conn.prepare_cached(sql)?;
    let rows: Vec<(Forecast, trendwatch_core::article::ArticleSummary)> = stmt
        .query_map(params, |r| Ok((forecast_from(r, 13)?, rows::summary(r)?)))?
        .collect::<rusqlite::Result<_>>()?;
    let mut authors = conn.prepare_cached(
        "SELECT name FROM article_authors WHERE article_id = ?1 ORDER BY position",
    )?;
    let mut out = Vec::with_capacity(rows.len());
    for (forecast, article) in rows {
        let names = authors
            .query_map([article.id], |r| r.get(0))?
            .collect::<rusqlite::Result<Vec<String>>>()?;
        out.push(ForecastEntry {
            forecast,
            article,
            authors: names,
        });
    }
    Ok(out)
}

pub fn list(
    conn: &Connection,
    lang: Language,
    topic: Option<&str>,
    author: Option<&str>,
) -> rusqlite::Result<Vec<ForecastEntry>> {
    entries(
        conn,
        &format!(
            "SELECT {SUMMARY_COLUMNS}, f.id, f.statement, f.probability, f.resolve_by, f.outcome \
             FROM forecasts f JOIN articles a ON a.id = f.article_id \
             WHERE a.lang = ?1 AND (?2 IS NULL OR a.topic = ?2) \
             AND (?3 IS NULL OR EXISTS (SELECT 1 FROM article_authors w WHERE w.article_id = a.id AND w.name = ?3)) \
             ORDER BY f.resolve_by, a.published_at, f.position"
        ),
        params![lang.code(), topic, author],
    )
}

pub fn overdue(conn: &Connection, today: Date) -> rusqlite::Result<Vec<ForecastEntry>> {
    entries(
        conn,
        &format!(
            "SELECT {SUMMARY_COLUMNS}, f.id, f.statement, f.probability, f.resolve_by, f.outcome \
             FROM forecasts f JOIN articles a ON a.id = f.article_id \
             WHERE f.outcome IS NULL AND f.resolve_by < ?1 ORDER BY f.resolve_by, a.published_at, f.position"
        ),
        params![today.format(DATE).unwrap_or_default()],
    )
}

pub fn resolve(conn: &mut Connection, id: i64, outcome: Outcome) -> Result<(), EditError> {
    let tx = conn.transaction().map_err(crate::store_err)?;
    let found: Option<i64> = tx
        .query_row("SELECT id FROM forecasts WHERE id = ?1", [id], |r| r.get(0))
        .optional()
        .map_err(crate::store_err)?;
    if found.is_none() {
        return Err(EditError::NotFound(format!("forecast {id} does not exist")));
    }
    tx.execute(
        "UPDATE forecasts SET outcome = ?2, resolved_manually = 1 WHERE id = ?1",
        params![id, outcome.code()],
    )
    .map_err(crate::store_err)?;
    tx.execute(
        "UPDATE meta SET value = value + 1 WHERE name = 'generation'",
        [],
    )
    .map_err(crate::store_err)?;
    tx.commit().map_err(crate::store_err)?;
    Ok(())
}
