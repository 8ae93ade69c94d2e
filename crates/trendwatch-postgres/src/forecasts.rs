//! Forecast storage of the PostgreSQL backend.

use crate::rows::{self, R, SUMMARY_COLUMNS};
use crate::{bump, Db};
use sqlx::postgres::PgRow;
use sqlx::AssertSqlSafe;
use sqlx::{PgConnection, Row};
use time::Date;
use trendwatch_core::article::ArticleSummary;
use trendwatch_core::forecast::{Forecast, ForecastEntry, Outcome};
use trendwatch_core::Language;
use trendwatch_store::EditError;

/// Writes an article's forecasts, keeping editors' resolutions of statements that remain.
pub async fn write(c: &mut PgConnection, article_id: i64, forecasts: &[Forecast]) -> R<()> {
    let statements: Vec<String> = forecasts.iter().map(|f| f.statement.clone()).collect();
    for (i, f) in forecasts.iter().enumerate() {
        sqlx::query(
            "INSERT INTO forecasts (article_id, position, statement, probability, resolve_by, outcome) \
             VALUES ($1, $2, $3, $4, $5, $6) \
             ON CONFLICT (article_id, statement) DO UPDATE SET position = excluded.position, \
             probability = excluded.probability, resolve_by = excluded.resolve_by, \
             outcome = CASE WHEN forecasts.resolved_manually THEN forecasts.outcome \
                            ELSE excluded.outcome END",
        )
        .bind(article_id)
        .bind(i as i64)
        .bind(&f.statement)
        .bind(f.probability)
        .bind(f.resolve_by)
        .bind(f.outcome.map(Outcome::code))
        .execute(&mut *c)
        .await?;
    }
    // Statements the source no longer makes are removed.
    sqlx::query("DELETE FROM forecasts WHERE article_id = $1 AND NOT (statement = ANY($2))")
        .bind(article_id)
        .bind(statements)
        .execute(c)
        .await?;
    Ok(())
}

fn forecast_from(r: &PgRow, base: usize) -> R<Forecast> {
    let outcome: Option<String> = r.try_get(base + 4)?;
    Ok(Forecast {
        id: r.try_get(base)?,
        statement: r.try_get(base + 1)?,
        probability: r.try_get(base + 2)?,
        resolve_by: r.try_get(base + 3)?,
        outcome: outcome
            .map(|o| o.parse::<Outcome>().map_err(|e| rows::bad(base + 4, e)))
            .transpose()?,
        made_in: None,
    })
}

/// The language in column `i`, for [`Forecast::made_in`]: `None` when it is `shown_in`.
fn made_in(r: &PgRow, i: usize, shown_in: Language) -> R<Option<Language>> {
    let lang = rows::lang(r, i)?;
    Ok((lang != shown_in).then_some(lang))
}

/// The forecasts of one article, in source order; for an article that makes none, those of
/// the translation that does, with [`Forecast::made_in`] saying so.
pub async fn of_article(c: &mut PgConnection, article_id: i64, lang: Language) -> R<Vec<Forecast>> {
    // Its own and its translations' in one statement (every article page asks): own first.
    let found = sqlx::query(
        "SELECT id, statement, probability, resolve_by, outcome, NULL::text, article_id, \
                0 AS src, position FROM forecasts WHERE article_id = $1 \
         UNION ALL \
         SELECT f.id, f.statement, f.probability, f.resolve_by, f.outcome, o.lang, o.id, 1, f.position \
         FROM articles a JOIN articles o ON o.translation_group = a.translation_group AND o.id <> a.id \
         JOIN forecasts f ON f.article_id = o.id \
         WHERE a.id = $1 AND a.translation_group IS NOT NULL \
         ORDER BY 8, 6, 7, 9",
    )
    .bind(article_id)
    .fetch_all(c)
    .await?;
    let rows: Vec<(Forecast, i64)> = rows::all(found, |r| {
        let mut f = forecast_from(r, 0)?;
        if r.try_get::<Option<String>, _>(5)?.is_some() {
            f.made_in = made_in(r, 5, lang)?;
        }
        Ok((f, r.try_get(6)?))
    })?;
    // Its own if it makes any; else one translation's: should two make them, the first.
    let first = rows.first().map(|(_, o)| *o);
    Ok(rows
        .into_iter()
        .filter(|(_, o)| Some(*o) == first)
        .map(|(f, _)| f)
        .collect())
}

/// Forecasts with the article that shows them and its authors, from rows of the summary
/// columns, the forecast's five and the language of the commentary that made it.
fn entries(found: Vec<PgRow>, page: Option<Language>) -> R<Vec<ForecastEntry>> {
    rows::all(found, |r| {
        let article: ArticleSummary = rows::summary(r)?;
        let mut forecast = forecast_from(r, 13)?;
        forecast.made_in = made_in(r, 18, page.unwrap_or(article.lang))?;
        Ok(ForecastEntry {
            forecast,
            article,
            authors: r.try_get(19)?,
        })
    })
}

const AUTHORS: &str =
    "ARRAY(SELECT w.name FROM article_authors w WHERE w.article_id = a.id ORDER BY w.position)";

/// Every forecast as the `lang` edition shows it: a commentary's forecasts count once, shown
/// with its `lang` version when there is one, else with the original in its language.
pub async fn list(
    c: &mut PgConnection,
    lang: Language,
    topic: Option<&str>,
    author: Option<&str>,
) -> R<Vec<ForecastEntry>> {
    let found = sqlx::query(AssertSqlSafe(format!(
        "SELECT {SUMMARY_COLUMNS}, f.id, f.statement, f.probability, f.resolve_by, f.outcome, o.lang, {AUTHORS} \
         FROM forecasts f JOIN articles o ON o.id = f.article_id \
         JOIN articles a ON a.id = CASE WHEN o.lang = $1 OR o.translation_group IS NULL THEN o.id \
           ELSE COALESCE((SELECT t.id FROM articles t WHERE t.translation_group = o.translation_group \
           AND t.lang = $1 ORDER BY t.id LIMIT 1), o.id) END \
         WHERE (o.lang = $1 OR o.translation_group IS NULL OR NOT EXISTS ( \
           SELECT 1 FROM forecasts g JOIN articles t ON t.id = g.article_id \
           WHERE t.translation_group = o.translation_group AND t.lang = $1)) \
         AND ($2::text IS NULL OR a.topic = $2) \
         AND ($3::text IS NULL OR EXISTS (SELECT 1 FROM article_authors w \
              WHERE w.article_id IN (a.id, o.id) AND w.name = $3)) \
         ORDER BY f.resolve_by, a.published_at, f.position"
    )))
    .bind(lang.code())
    .bind(topic)
    .bind(author)
    .fetch_all(c)
    .await?;
    entries(found, Some(lang))
}

/// Open forecasts whose date has passed.
pub async fn overdue(c: &mut PgConnection, today: Date) -> R<Vec<ForecastEntry>> {
    let found = sqlx::query(AssertSqlSafe(format!(
        "SELECT {SUMMARY_COLUMNS}, f.id, f.statement, f.probability, f.resolve_by, f.outcome, a.lang, {AUTHORS} \
         FROM forecasts f JOIN articles a ON a.id = f.article_id \
         WHERE f.outcome IS NULL AND f.resolve_by < $1 ORDER BY f.resolve_by, a.published_at, f.position"
    )))
    .bind(today)
    .fetch_all(c)
    .await?;
    entries(found, None)
}

/// An editor's resolution (the caller's transaction).
pub async fn resolve(c: &mut PgConnection, id: i64, outcome: Outcome) -> Result<(), EditError> {
    let changed =
        sqlx::query("UPDATE forecasts SET outcome = $2, resolved_manually = TRUE WHERE id = $1")
            .bind(id)
            .bind(outcome.code())
            .execute(&mut *c)
            .await
            .edit()?
            .rows_affected();
    if changed == 0 {
        return Err(EditError::NotFound(format!("forecast {id} does not exist")));
    }
    bump(c, &["generation"]).await.edit()
}
