//! Storyline queries and editors' storyline operations of the PostgreSQL backend.

use crate::rows::{self, R, SUMMARY_COLUMNS};
use crate::{bump, Db};
use sqlx::postgres::PgRow;
use sqlx::AssertSqlSafe;
use sqlx::{PgConnection, Row};
use time::PrimitiveDateTime;
use trendwatch_core::storyline::{
    representative_headline, storylines_opened, topics_by_frequency, NewAssignment,
    StorylineDetail, StorylineSummary, StorylineTarget, ThreadDoc,
};
use trendwatch_core::{Language, Period};
use trendwatch_store::EditError;

fn thread_doc(r: &PgRow) -> R<ThreadDoc> {
    Ok(ThreadDoc {
        article_id: r.try_get(0)?,
        lang: rows::lang(r, 1)?,
        group: r.try_get(2)?,
        title: r.try_get(3)?,
        text: r.try_get(4)?,
        published_at: r.try_get(5)?,
        storyline: r.try_get(6)?,
    })
}

/// Every article the threader reads, oldest first, with its storyline if it has one.
pub async fn threading_corpus(c: &mut PgConnection) -> R<Vec<ThreadDoc>> {
    let found = sqlx::query(
        "SELECT a.id, a.lang, a.translation_group, a.title, a.lead, a.published_at, x.storyline_id \
         FROM articles a LEFT JOIN article_storylines x ON x.article_id = a.id \
         WHERE a.duplicate_of IS NULL ORDER BY a.published_at, a.id",
    )
    .fetch_all(c)
    .await?;
    rows::all(found, thread_doc)
}

/// The articles with an id above `after_id` that have no storyline yet.
pub async fn unthreaded(c: &mut PgConnection, after_id: i64) -> R<Vec<ThreadDoc>> {
    let found = sqlx::query(
        "SELECT a.id, a.lang, a.translation_group, a.title, a.lead, a.published_at, NULL::bigint \
         FROM articles a WHERE a.id > $1 AND a.duplicate_of IS NULL \
         AND NOT EXISTS (SELECT 1 FROM article_storylines x WHERE x.article_id = a.id) \
         ORDER BY a.published_at, a.id",
    )
    .bind(after_id)
    .fetch_all(c)
    .await?;
    rows::all(found, thread_doc)
}

/// Assigns articles to storylines, creating the plan's new ones first; returns the ids of
/// those, `New(k)` being the `k`-th. Editors' manual placements are kept.
pub async fn assign(c: &mut PgConnection, assignments: &[NewAssignment]) -> R<Vec<i64>> {
    let opened = storylines_opened(assignments);
    // New storylines in the plan's order (their ids follow it), in one statement.
    let created: Vec<i64> = sqlx::query_scalar(
        "INSERT INTO storylines (title) SELECT NULL FROM generate_series(1, $1) ORDER BY 1 RETURNING id",
    )
    .bind(opened as i64)
    .fetch_all(&mut *c)
    .await?;
    let mut created = created;
    created.sort_unstable();
    let mut article_ids = Vec::with_capacity(assignments.len());
    let mut targets = Vec::with_capacity(assignments.len());
    let mut confidences = Vec::with_capacity(assignments.len());
    for a in assignments {
        let id = match a.target {
            StorylineTarget::Existing(id) => id,
            StorylineTarget::New(k) => *created.get(k).ok_or_else(|| {
                rows::bad(0, format!("assignment to new storyline {k} of {opened}"))
            })?,
        };
        article_ids.push(a.article_id);
        targets.push(id);
        confidences.push(a.confidence);
    }
    sqlx::query(
        "INSERT INTO article_storylines (article_id, storyline_id, confidence, manual) \
         SELECT a, s, c, FALSE FROM unnest($1::bigint[], $2::bigint[], $3::float8[]) AS t(a, s, c) \
         ORDER BY a \
         ON CONFLICT (article_id) DO UPDATE SET storyline_id = excluded.storyline_id, \
         confidence = excluded.confidence WHERE NOT article_storylines.manual",
    )
    .bind(&article_ids)
    .bind(&targets)
    .bind(&confidences)
    .execute(&mut *c)
    .await?;
    let mut touched = targets;
    touched.sort_unstable();
    touched.dedup();
    // A first import touches every storyline: one pass over everything is cheaper then.
    if touched.len() > 200 {
        refresh_all_stats(c).await?;
    } else {
        refresh_stats(c, &touched).await?;
    }
    bump(c, &["generation"]).await?;
    Ok(created)
}

/// Recomputes the statistics of every storyline.
pub async fn refresh_all_stats(c: &mut PgConnection) -> R<()> {
    sqlx::query("DELETE FROM storyline_stats")
        .execute(&mut *c)
        .await?;
    write_stats(c, None).await
}

/// Recomputes the statistics of the given storylines.
pub async fn refresh_stats(c: &mut PgConnection, ids: &[i64]) -> R<()> {
    let mut ids = ids.to_vec();
    ids.sort_unstable();
    ids.dedup();
    if ids.is_empty() {
        return Ok(());
    }
    sqlx::query("DELETE FROM storyline_stats WHERE storyline_id = ANY($1)")
        .bind(&ids)
        .execute(&mut *c)
        .await?;
    write_stats(c, Some(&ids)).await
}

/// One commentary of a storyline, as its statistics need it.
struct Member {
    storyline: i64,
    lang: String,
    article_id: i64,
    period_key: i32,
    published_at: PrimitiveDateTime,
    title: String,
    lead: String,
    status: String,
    topic: String,
}

/// Writes the statistics row of each language of the given storylines (every storyline:
/// `None`) from one read of their commentaries. Aggregated here rather than in SQL because
/// the representative headline needs every headline and lead anyway (the same code as the
/// SQLite backend's, in `trendwatch_core::storyline`).
async fn write_stats(c: &mut PgConnection, ids: Option<&[i64]>) -> R<()> {
    let found = sqlx::query(AssertSqlSafe(format!(
        "SELECT x.storyline_id, a.lang, a.id, a.period_key, a.published_at, a.title, a.lead, \
                a.status, a.topic \
         FROM article_storylines x JOIN articles a ON a.id = x.article_id \
         WHERE TRUE {}",
        crate::related::only_ids("x.storyline_id", ids)
    )))
    .bind(ids)
    .fetch_all(&mut *c)
    .await?;
    let mut members = rows::all(found, |r| {
        Ok(Member {
            storyline: r.try_get(0)?,
            lang: r.try_get(1)?,
            article_id: r.try_get(2)?,
            period_key: r.try_get(3)?,
            published_at: r.try_get(4)?,
            title: r.try_get(5)?,
            lead: r.try_get(6)?,
            status: r.try_get(7)?,
            topic: r.try_get(8)?,
        })
    })?;
    // One storyline and language at a time, oldest first.
    members.sort_unstable_by(|a, b| {
        (a.storyline, &a.lang, a.published_at, a.article_id).cmp(&(
            b.storyline,
            &b.lang,
            b.published_at,
            b.article_id,
        ))
    });
    let mut cols = StatsColumns::default();
    for group in members.chunk_by(|a, b| a.storyline == b.storyline && a.lang == b.lang) {
        let Some(latest) = group.last() else {
            continue;
        };
        let docs: Vec<(&str, &str)> = group
            .iter()
            .map(|m| (m.title.as_str(), m.lead.as_str()))
            .collect();
        cols.storyline.push(latest.storyline);
        cols.lang.push(latest.lang.clone());
        cols.articles.push(group.len() as i64);
        cols.first
            .push(group.iter().map(|m| m.period_key).min().unwrap_or(0));
        cols.last
            .push(group.iter().map(|m| m.period_key).max().unwrap_or(0));
        cols.published.push(latest.published_at);
        cols.latest_title.push(latest.title.clone());
        cols.status.push(latest.status.clone());
        cols.topics
            .push(topics_by_frequency(group.iter().map(|m| m.topic.as_str())));
        cols.title
            .push(representative_headline(&docs).map(|i| group[i].title.clone()));
    }
    // Column arrays, one statement per 5,000 rows.
    const CHUNK: usize = 5000;
    for start in (0..cols.storyline.len()).step_by(CHUNK) {
        let end = (start + CHUNK).min(cols.storyline.len());
        sqlx::query(
            "INSERT INTO storyline_stats (storyline_id, lang, articles, first_period, last_period, \
             last_published_at, latest_title, latest_status, topics, title) \
             SELECT * FROM unnest($1::bigint[], $2::text[], $3::bigint[], $4::int[], $5::int[], \
               $6::timestamp[], $7::text[], $8::text[], $9::text[], $10::text[])",
        )
        .bind(&cols.storyline[start..end])
        .bind(&cols.lang[start..end])
        .bind(&cols.articles[start..end])
        .bind(&cols.first[start..end])
        .bind(&cols.last[start..end])
        .bind(&cols.published[start..end])
        .bind(&cols.latest_title[start..end])
        .bind(&cols.status[start..end])
        .bind(&cols.topics[start..end])
        .bind(&cols.title[start..end])
        .execute(&mut *c)
        .await?;
    }
    Ok(())
}

/// The rows of `storyline_stats` to write, column by column (bound as arrays).
#[derive(Default)]
struct StatsColumns {
    storyline: Vec<i64>,
    lang: Vec<String>,
    articles: Vec<i64>,
    first: Vec<i32>,
    last: Vec<i32>,
    published: Vec<PrimitiveDateTime>,
    latest_title: Vec<String>,
    status: Vec<String>,
    topics: Vec<String>,
    title: Vec<Option<String>>,
}

/// Recomputes the statistics of the storylines the given articles belong to.
pub async fn refresh_stats_of_articles(c: &mut PgConnection, article_ids: &[i64]) -> R<()> {
    if article_ids.is_empty() {
        return Ok(());
    }
    let ids: Vec<i64> = sqlx::query_scalar(
        "SELECT DISTINCT storyline_id FROM article_storylines WHERE article_id = ANY($1)",
    )
    .bind(article_ids)
    .fetch_all(&mut *c)
    .await?;
    refresh_stats(c, &ids).await
}

pub async fn storyline_of(c: &mut PgConnection, article_id: i64) -> R<Option<i64>> {
    sqlx::query_scalar("SELECT storyline_id FROM article_storylines WHERE article_id = $1")
        .bind(article_id)
        .fetch_optional(c)
        .await
}

/// The columns of a storyline's summary, from `storyline_stats t` and `storylines s`.
pub const STORYLINE_COLUMNS: &str = "t.storyline_id, s.title, COALESCE(t.title, t.latest_title), \
     t.articles, t.first_period, t.last_period, t.latest_status, t.topics";

use trendwatch_store::SHOWN_STORYLINES_SQL as SHOWN;

/// The tables [`STORYLINE_COLUMNS`] come from, for summaries by storyline.
const STORYLINE_FROM: &str = "FROM storyline_stats t JOIN storylines s ON s.id = t.storyline_id";

/// Joins [`STORYLINE_COLUMNS`] of the storyline of `articles a` in its own language, or NULLs.
pub const SUMMARY_OF_ARTICLE_JOIN: &str = "LEFT JOIN article_storylines x ON x.article_id = a.id \
     LEFT JOIN storyline_stats t ON t.storyline_id = x.storyline_id AND t.lang = a.lang \
     LEFT JOIN storylines s ON s.id = t.storyline_id";

/// A storyline's summary from a row of [`STORYLINE_COLUMNS`].
fn summary_row(r: &PgRow) -> R<StorylineSummary> {
    summary_at(r, 0)?.ok_or_else(|| rows::bad(0, "a storyline without an id"))
}

/// A storyline's summary from [`STORYLINE_COLUMNS`] starting at column `at`; `None` where a
/// left join found none.
pub fn summary_at(r: &PgRow, at: usize) -> R<Option<StorylineSummary>> {
    let Some(id) = r.try_get::<Option<i64>, _>(at)? else {
        return Ok(None);
    };
    let title: Option<String> = r.try_get(at + 1)?;
    let topics: String = r.try_get(at + 7)?;
    Ok(Some(StorylineSummary {
        id,
        titled_by_editor: title.is_some(),
        title: match title {
            Some(t) => t,
            None => r.try_get(at + 2)?,
        },
        articles: r.try_get::<i64, _>(at + 3)? as u64,
        first: Period::from_key(r.try_get(at + 4)?).map_err(|e| rows::bad(at + 4, e))?,
        last: Period::from_key(r.try_get(at + 5)?).map_err(|e| rows::bad(at + 5, e))?,
        latest_status: rows::parsed(r, at + 6)?,
        topics: topics
            .split(',')
            .filter(|t| !t.is_empty())
            .map(str::to_string)
            .collect(),
    }))
}

/// The summaries of storylines `ids` in `lang`, in that order, leaving out those without an
/// article in that language.
async fn summaries_of(
    c: &mut PgConnection,
    ids: &[i64],
    lang: Language,
) -> R<Vec<StorylineSummary>> {
    // `= ANY` and the order restored here: a join against `unnest(...) WITH ORDINALITY` was
    // planned anew for every page (0.35 ms, most of an uncached article page's database time).
    let mut found = sqlx::query(AssertSqlSafe(format!(
        "SELECT {STORYLINE_COLUMNS} {STORYLINE_FROM} WHERE t.storyline_id = ANY($1) AND t.lang = $2"
    )))
    .bind(ids)
    .bind(lang.code())
    .fetch_all(c)
    .await?;
    found.sort_by_key(|r| {
        let id: i64 = r.try_get(0).unwrap_or_default();
        ids.iter().position(|i| *i == id).unwrap_or(usize::MAX)
    });
    rows::all(found, summary_row)
}

/// The summary of storyline `id` in `lang`, or `None` if it has no article in that language.
pub async fn summary(c: &mut PgConnection, id: i64, lang: Language) -> R<Option<StorylineSummary>> {
    Ok(summaries_of(c, &[id], lang).await?.pop())
}

/// A page of a storyline's articles in one language, oldest first of the latest ones.
pub async fn detail(
    c: &mut PgConnection,
    id: i64,
    lang: Language,
    page: u64,
) -> R<Option<StorylineDetail>> {
    let Some(summary) = summary(c, id, lang).await? else {
        return Ok(None);
    };
    let limit = trendwatch_store::STORYLINE_PAGE_ARTICLES;
    let offset =
        i64::try_from(page.max(1).saturating_sub(1).saturating_mul(limit)).unwrap_or(i64::MAX);
    let found = sqlx::query(AssertSqlSafe(format!(
        "SELECT {SUMMARY_COLUMNS} FROM article_storylines x JOIN articles a ON a.id = x.article_id \
         WHERE x.storyline_id = $1 AND a.lang = $2 \
         ORDER BY a.period_key DESC, a.published_at DESC, a.id DESC LIMIT $3 OFFSET $4"
    )))
    .bind(id)
    .bind(lang.code())
    .bind(limit as i64)
    .bind(offset)
    .fetch_all(c)
    .await?;
    let mut articles = rows::all(found, rows::summary)?;
    // The latest ones were fetched; the page reads oldest first.
    articles.reverse();
    Ok(Some(StorylineDetail { summary, articles }))
}

/// The storylines of `lang`, the most recently active first; `shown_only`: only those
/// readers are pointed to.
pub async fn recent(
    c: &mut PgConnection,
    lang: Language,
    limit: u64,
    shown_only: bool,
) -> R<Vec<StorylineSummary>> {
    let shown = if shown_only {
        format!("AND t.{SHOWN}")
    } else {
        String::new()
    };
    // One statement: "Recent trends" is on every article page.
    let found = sqlx::query(AssertSqlSafe(format!(
        "SELECT {STORYLINE_COLUMNS} {STORYLINE_FROM} WHERE t.lang = $1 {shown} \
         ORDER BY t.last_published_at DESC, t.storyline_id DESC LIMIT $2"
    )))
    .bind(lang.code())
    .bind(limit as i64)
    .fetch_all(c)
    .await?;
    rows::all(found, summary_row)
}

/// Other storylines that share a topic with `id`, most recently active in `lang` first.
pub async fn related(
    c: &mut PgConnection,
    id: i64,
    lang: Language,
    limit: u64,
) -> R<Vec<StorylineSummary>> {
    let own: Vec<String> =
        sqlx::query_scalar("SELECT topics FROM storyline_stats WHERE storyline_id = $1")
            .bind(id)
            .fetch_all(&mut *c)
            .await?;
    let own: Vec<String> = own
        .iter()
        .flat_map(|t| t.split(','))
        .filter(|t| !t.is_empty())
        .map(str::to_string)
        .collect();
    if own.is_empty() || limit == 0 {
        return Ok(Vec::new());
    }
    // `string_to_array(topics, ',') && $2`: shares a topic; newest first, stopping at `limit`.
    let ids: Vec<i64> = sqlx::query_scalar(AssertSqlSafe(format!(
        "SELECT storyline_id FROM storyline_stats WHERE lang = $1 AND storyline_id <> $3 \
         AND {SHOWN} AND string_to_array(topics, ',') && $2::text[] \
         ORDER BY last_published_at DESC, storyline_id DESC LIMIT $4"
    )))
    .bind(lang.code())
    .bind(&own)
    .bind(id)
    .bind(limit as i64)
    .fetch_all(&mut *c)
    .await?;
    summaries_of(c, &ids, lang).await
}

async fn exists(c: &mut PgConnection, id: i64) -> Result<(), EditError> {
    let found: Option<i64> = sqlx::query_scalar("SELECT id FROM storylines WHERE id = $1")
        .bind(id)
        .fetch_optional(c)
        .await
        .edit()?;
    found
        .map(|_| ())
        .ok_or_else(|| EditError::NotFound(format!("storyline {id} does not exist")))
}

/// After an editor's decision: pages follow `generation`; a threader kept between
/// publications starts again from the store (`threading_generation`).
async fn edited(c: &mut PgConnection) -> Result<(), EditError> {
    bump(c, &["generation", "threading_generation"])
        .await
        .edit()
}

pub async fn rename(c: &mut PgConnection, id: i64, title: Option<String>) -> Result<(), EditError> {
    exists(c, id).await?;
    let title = title
        .map(|t| t.split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|t| !t.is_empty());
    sqlx::query("UPDATE storylines SET title = $2 WHERE id = $1")
        .bind(id)
        .bind(title)
        .execute(&mut *c)
        .await
        .edit()?;
    edited(c).await
}

pub async fn merge(c: &mut PgConnection, from: i64, into: i64) -> Result<(), EditError> {
    exists(c, from).await?;
    exists(c, into).await?;
    sqlx::query(
        "UPDATE article_storylines SET storyline_id = $2, manual = TRUE, confidence = 1 \
         WHERE storyline_id = $1",
    )
    .bind(from)
    .bind(into)
    .execute(&mut *c)
    .await
    .edit()?;
    sqlx::query("DELETE FROM storylines WHERE id = $1")
        .bind(from)
        .execute(&mut *c)
        .await
        .edit()?;
    refresh_stats(c, &[into]).await.edit()?;
    edited(c).await
}

async fn new_storyline(c: &mut PgConnection) -> Result<i64, EditError> {
    sqlx::query_scalar("INSERT INTO storylines (title) VALUES (NULL) RETURNING id")
        .fetch_one(c)
        .await
        .edit()
}

pub async fn move_article(
    c: &mut PgConnection,
    article_id: i64,
    to: Option<i64>,
) -> Result<i64, EditError> {
    let group: Option<Option<String>> =
        sqlx::query_scalar("SELECT translation_group FROM articles WHERE id = $1")
            .bind(article_id)
            .fetch_optional(&mut *c)
            .await
            .edit()?;
    let Some(group) = group else {
        return Err(EditError::NotFound(format!(
            "article {article_id} does not exist"
        )));
    };
    // The storylines of the article and of its translations (what the move takes them out of).
    let previous: Vec<i64> = sqlx::query_scalar(
        "SELECT DISTINCT x.storyline_id FROM article_storylines x JOIN articles a ON a.id = x.article_id \
         WHERE a.id = $1 OR ($2::text IS NOT NULL AND a.translation_group = $2)",
    )
    .bind(article_id)
    .bind(&group)
    .fetch_all(&mut *c)
    .await
    .edit()?;
    let target = match to {
        Some(id) => {
            exists(c, id).await?;
            id
        }
        None => new_storyline(c).await?,
    };
    sqlx::query(
        "INSERT INTO article_storylines (article_id, storyline_id, confidence, manual) \
         SELECT id, $2, 1, TRUE FROM articles WHERE id = $1 OR ($3::text IS NOT NULL AND translation_group = $3) \
         ON CONFLICT (article_id) DO UPDATE SET storyline_id = excluded.storyline_id, \
         confidence = 1, manual = TRUE",
    )
    .bind(article_id)
    .bind(target)
    .bind(&group)
    .execute(&mut *c)
    .await
    .edit()?;
    // A storyline left without articles is removed.
    sqlx::query(
        "DELETE FROM storylines s WHERE s.id = ANY($1) \
         AND NOT EXISTS (SELECT 1 FROM article_storylines x WHERE x.storyline_id = s.id)",
    )
    .bind(&previous)
    .execute(&mut *c)
    .await
    .edit()?;
    let mut touched = previous;
    touched.push(target);
    refresh_stats(c, &touched).await.edit()?;
    edited(c).await?;
    Ok(target)
}

pub async fn split(c: &mut PgConnection, id: i64, from_article: i64) -> Result<i64, EditError> {
    exists(c, id).await?;
    let at: Option<PrimitiveDateTime> = sqlx::query_scalar(
        "SELECT a.published_at FROM articles a JOIN article_storylines x ON x.article_id = a.id \
         WHERE a.id = $1 AND x.storyline_id = $2",
    )
    .bind(from_article)
    .bind(id)
    .fetch_optional(&mut *c)
    .await
    .edit()?;
    let Some(at) = at else {
        return Err(EditError::NotFound(format!(
            "article {from_article} is not in storyline {id}"
        )));
    };
    let before: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM article_storylines x JOIN articles a ON a.id = x.article_id \
         WHERE x.storyline_id = $1 AND a.published_at < $2",
    )
    .bind(id)
    .bind(at)
    .fetch_one(&mut *c)
    .await
    .edit()?;
    if before == 0 {
        return Err(EditError::Invalid(format!(
            "article {from_article} is the first of storyline {id}: splitting there would leave it empty"
        )));
    }
    let new = new_storyline(c).await?;
    sqlx::query(
        "UPDATE article_storylines SET storyline_id = $3, manual = TRUE, confidence = 1 \
         WHERE storyline_id = $1 AND article_id IN (SELECT id FROM articles WHERE published_at >= $2)",
    )
    .bind(id)
    .bind(at)
    .bind(new)
    .execute(&mut *c)
    .await
    .edit()?;
    sqlx::query("UPDATE article_storylines SET manual = TRUE WHERE storyline_id = $1")
        .bind(id)
        .execute(&mut *c)
        .await
        .edit()?;
    refresh_stats(c, &[id, new]).await.edit()?;
    edited(c).await?;
    Ok(new)
}
