//! The newsroom's articles in PostgreSQL, and taking a published article off the public
//! archive when an editor unpublishes it.

use crate::rows::{self, R};
use crate::{bump, Db};
use sqlx::postgres::PgRow;
use sqlx::AssertSqlSafe;
use sqlx::{PgConnection, Row};
use time::OffsetDateTime;
use trendwatch_core::newsroom::{
    DeskArticle, DeskComment, DeskContent, DeskFilter, DeskLock, DeskRevision, DeskState,
    DeskSummary, PublishedMark, LOCK_MINUTES,
};
use trendwatch_store::EditError;

fn content_of(r: &PgRow, i: usize) -> R<DeskContent> {
    serde_json::from_str(&r.try_get::<String, _>(i)?).map_err(|e| rows::bad(i, e))
}

fn to_json(content: &DeskContent) -> Result<String, EditError> {
    serde_json::to_string(content)
        .map_err(|e| EditError::Invalid(format!("the content cannot be stored: {e}")))
}

const SUMMARY_COLUMNS: &str = "d.id, d.lang, d.topic, d.period, d.title, d.state, d.author_id, \
     u.name, d.updated_at, d.scheduled_at";

fn summary_of(r: &PgRow) -> R<DeskSummary> {
    Ok(DeskSummary {
        id: r.try_get(0)?,
        lang: rows::lang(r, 1)?,
        topic: r.try_get(2)?,
        period: rows::period(r, 3)?,
        title: r.try_get(4)?,
        state: rows::parsed(r, 5)?,
        author_id: r.try_get(6)?,
        author_name: r.try_get(7)?,
        updated_at: r.try_get(8)?,
        scheduled_at: r.try_get(9)?,
    })
}

/// Creates a desk article with its first revision (the caller's transaction).
pub async fn create(
    c: &mut PgConnection,
    content: &DeskContent,
    author: i64,
    translation_of: Option<i64>,
    at: OffsetDateTime,
) -> Result<i64, EditError> {
    let json = to_json(content)?;
    if let Some(t) = translation_of {
        let exists: Option<i32> = sqlx::query_scalar("SELECT 1 FROM desk_articles WHERE id = $1")
            .bind(t)
            .fetch_optional(&mut *c)
            .await
            .edit()?;
        if exists.is_none() {
            return Err(EditError::NotFound(format!("no desk article {t}")));
        }
    }
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO desk_articles (lang, topic, period, title, state, author_id, revision, \
           translation_of, updated_at, updated_by) \
         VALUES ($1, $2, $3, $4, 'draft', $5, 1, $6, $7, $5) RETURNING id",
    )
    .bind(content.lang.code())
    .bind(&content.topic)
    .bind(content.period.key())
    .bind(&content.title)
    .bind(author)
    .bind(translation_of)
    .bind(at)
    .fetch_one(&mut *c)
    .await
    .edit()?;
    sqlx::query(
        "INSERT INTO desk_revisions (desk_id, number, content, author_id, at, note) \
         VALUES ($1, 1, $2, $3, $4, 'created')",
    )
    .bind(id)
    .bind(json)
    .bind(author)
    .bind(at)
    .execute(c)
    .await
    .edit()?;
    Ok(id)
}

/// A desk article with its current content, author, last editor and lock.
pub async fn article(c: &mut PgConnection, id: i64) -> R<Option<DeskArticle>> {
    let row = sqlx::query(
        "SELECT d.id, d.state, d.author_id, a.name, d.revision, r.content, d.translation_of, \
                d.scheduled_at, d.published_revision, d.updated_at, e.name, \
                d.locked_by, l.name, d.locked_at, d.published_at, d.updated_by \
         FROM desk_articles d \
         JOIN users a ON a.id = d.author_id \
         JOIN users e ON e.id = d.updated_by \
         JOIN desk_revisions r ON r.desk_id = d.id AND r.number = d.revision \
         LEFT JOIN users l ON l.id = d.locked_by \
         WHERE d.id = $1",
    )
    .bind(id)
    .fetch_optional(c)
    .await?;
    row.map(|r| {
        let lock = match r.try_get::<Option<i64>, _>(11)? {
            Some(user_id) => Some(DeskLock {
                user_id,
                user_name: r.try_get::<Option<String>, _>(12)?.unwrap_or_default(),
                since: r.try_get(13)?,
            }),
            None => None,
        };
        let id: i64 = r.try_get(0)?;
        Ok(DeskArticle {
            id,
            state: rows::parsed(&r, 1)?,
            author_id: r.try_get(2)?,
            author_name: r.try_get(3)?,
            revision: r.try_get(4)?,
            content: content_of(&r, 5)?,
            translation_of: r.try_get(6)?,
            scheduled_at: r.try_get(7)?,
            article_key: trendwatch_core::newsroom::article_key(id),
            published_revision: r.try_get(8)?,
            published_at: r.try_get(14)?,
            updated_at: r.try_get(9)?,
            updated_by_id: r.try_get(15)?,
            updated_by: r.try_get(10)?,
            lock,
        })
    })
    .transpose()
}

/// Desk articles matching a filter.
pub async fn list(c: &mut PgConnection, filter: &DeskFilter) -> R<Vec<DeskSummary>> {
    let states: Vec<String> = filter.states.iter().map(|s| s.code().to_string()).collect();
    let found = sqlx::query(AssertSqlSafe(format!(
        "SELECT {SUMMARY_COLUMNS} FROM desk_articles d JOIN users u ON u.id = d.author_id \
         WHERE ($1::int IS NULL OR d.period = $1) AND ($2::bigint IS NULL OR d.author_id = $2) \
           AND (cardinality($3::text[]) = 0 OR d.state = ANY($3)) \
         ORDER BY d.period DESC, d.topic, d.lang, d.id"
    )))
    .bind(filter.period.map(|p| p.key()))
    .bind(filter.author)
    .bind(states)
    .fetch_all(c)
    .await?;
    rows::all(found, summary_of)
}

/// The first version of a commentary and its translations.
pub async fn translations(c: &mut PgConnection, id: i64) -> R<Vec<DeskSummary>> {
    let found = sqlx::query(AssertSqlSafe(format!(
        "WITH root AS (SELECT COALESCE(translation_of, id) AS id FROM desk_articles WHERE id = $1) \
         SELECT {SUMMARY_COLUMNS} FROM desk_articles d JOIN users u ON u.id = d.author_id, root \
         WHERE d.id = root.id OR d.translation_of = root.id ORDER BY d.lang, d.id"
    )))
    .bind(id)
    .fetch_all(c)
    .await?;
    rows::all(found, summary_of)
}

/// Saves a new revision if `base` is still current (the caller's transaction).
pub async fn save(
    c: &mut PgConnection,
    id: i64,
    base: i64,
    content: &DeskContent,
    by: i64,
    note: &str,
    at: OffsetDateTime,
) -> Result<i64, EditError> {
    let json = to_json(content)?;
    // FOR UPDATE: the revision check and the write hold the article's row, so two saves from
    // the same revision, on any nodes, cannot both pass the check.
    let current = sqlx::query(
        "SELECT d.revision, r.content FROM desk_articles d \
         JOIN desk_revisions r ON r.desk_id = d.id AND r.number = d.revision WHERE d.id = $1 \
         FOR UPDATE OF d",
    )
    .bind(id)
    .fetch_optional(&mut *c)
    .await
    .edit()?;
    let Some(current) = current else {
        return Err(EditError::NotFound(format!("no desk article {id}")));
    };
    let (current, current_json): (i64, String) =
        (current.try_get(0).edit()?, current.try_get(1).edit()?);
    if current != base {
        return Err(EditError::Stale { base, current });
    }
    if current_json == json {
        return Ok(current);
    }
    let next = current + 1;
    sqlx::query(
        "INSERT INTO desk_revisions (desk_id, number, content, author_id, at, note) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(id)
    .bind(next)
    .bind(json)
    .bind(by)
    .bind(at)
    .bind(note)
    .execute(&mut *c)
    .await
    .edit()?;
    sqlx::query(
        "UPDATE desk_articles SET revision = $2, lang = $3, topic = $4, period = $5, title = $6, \
           updated_at = $7, updated_by = $8, locked_by = $8, locked_at = $7 WHERE id = $1",
    )
    .bind(id)
    .bind(next)
    .bind(content.lang.code())
    .bind(&content.topic)
    .bind(content.period.key())
    .bind(&content.title)
    .bind(at)
    .bind(by)
    .execute(c)
    .await
    .edit()?;
    Ok(next)
}

/// Every revision, newest first.
pub async fn revisions(c: &mut PgConnection, id: i64) -> R<Vec<DeskRevision>> {
    let found = sqlx::query(
        "SELECT r.number, r.at, u.name, r.note, r.content FROM desk_revisions r \
         JOIN users u ON u.id = r.author_id WHERE r.desk_id = $1 ORDER BY r.number DESC",
    )
    .bind(id)
    .fetch_all(c)
    .await?;
    rows::all(found, |r| {
        Ok(DeskRevision {
            number: r.try_get(0)?,
            at: r.try_get(1)?,
            author_name: r.try_get(2)?,
            note: r.try_get(3)?,
            content: content_of(r, 4)?,
        })
    })
}

/// Compare-and-set of the state; see `Store::set_desk_state`.
#[allow(clippy::too_many_arguments)]
pub async fn set_state(
    c: &mut PgConnection,
    id: i64,
    from: DeskState,
    to: DeskState,
    scheduled_at: Option<OffsetDateTime>,
    published: Option<PublishedMark>,
    by: i64,
    at: OffsetDateTime,
) -> Result<(), EditError> {
    let scheduled = (to == DeskState::Scheduled)
        .then_some(scheduled_at)
        .flatten();
    let changed = sqlx::query(
        "UPDATE desk_articles SET state = $3, scheduled_at = $4, \
           published_revision = CASE WHEN $8 THEN $5 ELSE published_revision END, \
           published_at = CASE WHEN $8 THEN $9 ELSE published_at END, \
           updated_at = $6, updated_by = $7 \
         WHERE id = $1 AND state = $2",
    )
    .bind(id)
    .bind(from.code())
    .bind(to.code())
    .bind(scheduled)
    .bind(published.and_then(|p| p.revision))
    .bind(at)
    .bind(by)
    .bind(published.is_some())
    .bind(published.and_then(|p| p.at))
    .execute(&mut *c)
    .await
    .edit()?
    .rows_affected();
    if changed == 1 {
        return Ok(());
    }
    let now: Option<String> = sqlx::query_scalar("SELECT state FROM desk_articles WHERE id = $1")
        .bind(id)
        .fetch_optional(c)
        .await
        .edit()?;
    match now {
        None => Err(EditError::NotFound(format!("no desk article {id}"))),
        Some(s) => Err(EditError::Invalid(format!(
            "the article is no longer {} (it is {}): someone changed it meanwhile",
            from.label(),
            s.parse::<DeskState>()
                .map(|s| s.label())
                .unwrap_or("unknown")
        ))),
    }
}

/// Review comments, oldest first.
pub async fn comments(c: &mut PgConnection, id: i64) -> R<Vec<DeskComment>> {
    let found = sqlx::query(
        "SELECT c.at, u.name, c.text FROM desk_comments c JOIN users u ON u.id = c.author_id \
         WHERE c.desk_id = $1 ORDER BY c.id",
    )
    .bind(id)
    .fetch_all(c)
    .await?;
    rows::all(found, |r| {
        Ok(DeskComment {
            at: r.try_get(0)?,
            author_name: r.try_get(1)?,
            text: r.try_get(2)?,
        })
    })
}

/// Takes the post lock unless someone else holds a fresh one; returns theirs (the caller's
/// transaction).
pub async fn lock(
    c: &mut PgConnection,
    id: i64,
    user: i64,
    at: OffsetDateTime,
) -> R<Option<DeskLock>> {
    let fresh_after = at - time::Duration::minutes(LOCK_MINUTES);
    // The row is locked first, so two editors opening the article at once do not both take it.
    sqlx::query("SELECT 1 FROM desk_articles WHERE id = $1 FOR UPDATE")
        .bind(id)
        .execute(&mut *c)
        .await?;
    let held = sqlx::query(
        "SELECT d.locked_by, u.name, d.locked_at FROM desk_articles d \
         JOIN users u ON u.id = d.locked_by \
         WHERE d.id = $1 AND d.locked_by <> $2 AND d.locked_at > $3",
    )
    .bind(id)
    .bind(user)
    .bind(fresh_after)
    .fetch_optional(&mut *c)
    .await?;
    let held = held
        .map(|r| {
            Ok::<_, sqlx::Error>(DeskLock {
                user_id: r.try_get(0)?,
                user_name: r.try_get(1)?,
                since: r.try_get(2)?,
            })
        })
        .transpose()?;
    if held.is_none() {
        sqlx::query("UPDATE desk_articles SET locked_by = $2, locked_at = $3 WHERE id = $1")
            .bind(id)
            .bind(user)
            .bind(at)
            .execute(c)
            .await?;
    }
    Ok(held)
}

/// Deletes the public article with `key` and what hangs on it, refreshing its storyline's
/// statistics and advancing the generations (the caller's transaction).
pub async fn remove_article(c: &mut PgConnection, key: &str) -> R<Option<i64>> {
    let found = sqlx::query(
        "SELECT a.id, x.storyline_id FROM articles a \
         LEFT JOIN article_storylines x ON x.article_id = a.id WHERE a.key = $1",
    )
    .bind(key)
    .fetch_optional(&mut *c)
    .await?;
    let Some(found) = found else {
        return Ok(None);
    };
    let (id, storyline): (i64, Option<i64>) = (found.try_get(0)?, found.try_get(1)?);
    sqlx::query("DELETE FROM articles WHERE id = $1")
        .bind(id)
        .execute(&mut *c)
        .await?;
    if let Some(s) = storyline {
        let left: i64 =
            sqlx::query_scalar("SELECT count(*) FROM article_storylines WHERE storyline_id = $1")
                .bind(s)
                .fetch_one(&mut *c)
                .await?;
        if left == 0 {
            sqlx::query("DELETE FROM storylines WHERE id = $1")
                .bind(s)
                .execute(&mut *c)
                .await?;
        } else {
            crate::storylines::refresh_stats(c, &[s]).await?;
        }
    }
    bump(
        c,
        &["generation", "text_generation", "threading_generation"],
    )
    .await?;
    crate::log_text_changes(c, &[id]).await?;
    Ok(Some(id))
}
