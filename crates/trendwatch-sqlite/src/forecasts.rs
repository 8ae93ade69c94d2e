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
        made_in: None,
    })
}

/// The language in column `i`, for [`Forecast::made_in`]: `None` when it is `shown_in`.
fn made_in(r: &rusqlite::Row, i: usize, shown_in: Language) -> rusqlite::Result<Option<Language>> {
    let code: String = r.get(i)?;
    let lang = code.parse::<Language>().map_err(|e| {
        rusqlite::Error::FromSqlConversionFailure(
            i,
            rusqlite::types::Type::Text,
            e.to_string().into(),
        )
    })?;
    Ok((lang != shown_in).then_some(lang))
}

/// The forecasts of one article, in source order; for an article that makes none, those of
/// the translation that does (the English original's, on its Russian translation), with
/// [`Forecast::made_in`] saying so.
pub fn of_article(
    conn: &Connection,
    article_id: i64,
    lang: Language,
) -> rusqlite::Result<Vec<Forecast>> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, statement, probability, resolve_by, outcome FROM forecasts WHERE article_id = ?1 ORDER BY position",
    )?;
    let own: Vec<Forecast> = stmt
        .query_map([article_id], |r| forecast_from(r, 0))?
        .collect::<rusqlite::Result<_>>()?;
    if !own.is_empty() {
        return Ok(own);
    }
    let mut stmt = conn.prepare_cached(
        "SELECT f.id, f.statement, f.probability, f.resolve_by, f.outcome, o.lang, o.id \
         FROM articles a JOIN articles o ON o.translation_group = a.translation_group AND o.id <> a.id \
         JOIN forecasts f ON f.article_id = o.id \
         WHERE a.id = ?1 AND a.translation_group IS NOT NULL ORDER BY o.lang, o.id, f.position",
    )?;
    let rows: Vec<(Forecast, i64)> = stmt
        .query_map([article_id], |r| {
            let mut f = forecast_from(r, 0)?;
            f.made_in = made_in(r, 5, lang)?;
            Ok((f, r.get(6)?))
        })?
        .collect::<rusqlite::Result<_>>()?;
    // One translation's forecasts: should two make them, the first.
    let first = rows.first().map(|(_, o)| *o);
    Ok(rows
        .into_iter()
        .filter(|(_, o)| Some(*o) == first)
        .map(|(f, _)| f)
        .collect())
}

/// Forecasts with the article that shows them: `sql` selects the summary columns, the
/// forecast's five and the language of the commentary that made it, which is kept as
/// [`Forecast::made_in`] when it is not `page` (or, without a page, the showing article's).
fn entries(
    conn: &Connection,
    page: Option<Language>,
    sql: &str,
    params: impl rusqlite::Params,
) -> rusqlite::Result<Vec<ForecastEntry>> {
    let mut stmt = conn.prepare_cached(sql)?;
    let rows: Vec<(Forecast, trendwatch_core::article::ArticleSummary)> = stmt
        .query_map(params, |r| {
            let article = rows::summary(r)?;
            let mut forecast = forecast_from(r, 13)?;
            forecast.made_in = made_in(r, 18, page.unwrap_or(article.lang))?;
            Ok((forecast, article))
        })?
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

/// Every forecast as the `lang` edition shows it: a commentary's forecasts count once, shown
/// with its `lang` version when there is one (the original's forecasts when that version
/// makes none of its own), else with the original in its language. So both editions' track
/// records score the same forecasts.
pub fn list(
    conn: &Connection,
    lang: Language,
    topic: Option<&str>,
    author: Option<&str>,
) -> rusqlite::Result<Vec<ForecastEntry>> {
    entries(
        conn,
        Some(lang),
        &format!(
            "SELECT {SUMMARY_COLUMNS}, f.id, f.statement, f.probability, f.resolve_by, f.outcome, o.lang \
             FROM forecasts f JOIN articles o ON o.id = f.article_id \
             JOIN articles a ON a.id = CASE WHEN o.lang = ?1 OR o.translation_group IS NULL THEN o.id \
               ELSE COALESCE((SELECT t.id FROM articles t WHERE t.translation_group = o.translation_group \
               AND t.lang = ?1 ORDER BY t.id LIMIT 1), o.id) END \
             WHERE (o.lang = ?1 OR o.translation_group IS NULL OR NOT EXISTS ( \
               SELECT 1 FROM forecasts g JOIN articles t ON t.id = g.article_id \
               WHERE t.translation_group = o.translation_group AND t.lang = ?1)) \
             AND (?2 IS NULL OR a.topic = ?2) \
             AND (?3 IS NULL OR EXISTS (SELECT 1 FROM article_authors w WHERE w.article_id IN (a.id, o.id) AND w.name = ?3)) \
             ORDER BY f.resolve_by, a.published_at, f.position"
        ),
        params![lang.code(), topic, author],
    )
}

pub fn overdue(conn: &Connection, today: Date) -> rusqlite::Result<Vec<ForecastEntry>> {
    entries(
        conn,
        None,
        &format!(
            "SELECT {SUMMARY_COLUMNS}, f.id, f.statement, f.probability, f.resolve_by, f.outcome, a.lang \
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
