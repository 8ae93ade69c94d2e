//! The newsroom's articles in SQLite (tables of migration 0015), and taking a published
//! article off the public archive when an editor unpublishes it.

use crate::accounts::{time_of, time_to_sql};
use crate::rows;
use rusqlite::{params, Connection, OptionalExtension};
use time::OffsetDateTime;
use trendwatch_core::newsroom::{
    DeskArticle, DeskComment, DeskContent, DeskFilter, DeskLock, DeskRevision, DeskState,
    DeskSummary, PublishedMark, LOCK_MINUTES,
};
use trendwatch_store::EditError;

fn bad(col: usize, what: impl std::fmt::Display) -> rusqlite::Error {
    rusqlite::Error::FromSqlConversionFailure(
        col,
        rusqlite::types::Type::Text,
        what.to_string().into(),
    )
}

fn state_of(r: &rusqlite::Row<'_>, i: usize) -> rusqlite::Result<DeskState> {
    r.get::<_, String>(i)?.parse().map_err(|e| bad(i, e))
}

fn content_of(r: &rusqlite::Row<'_>, i: usize) -> rusqlite::Result<DeskContent> {
    serde_json::from_str(&r.get::<_, String>(i)?).map_err(|e| bad(i, e))
}

fn opt_time(r: &rusqlite::Row<'_>, i: usize) -> rusqlite::Result<Option<OffsetDateTime>> {
    match r.get::<_, Option<String>>(i)? {
        Some(_) => time_of(r, i).map(Some),
        None => Ok(None),
    }
}

fn to_json(content: &DeskContent) -> Result<String, EditError> {
    serde_json::to_string(content)
        .map_err(|e| EditError::Invalid(format!("the content cannot be stored: {e}")))
}

fn backend(e: rusqlite::Error) -> EditError {
    EditError::Backend(crate::store_err(e))
}

const SUMMARY_COLUMNS: &str = "d.id, d.lang, d.topic, d.period, d.title, d.state, d.author_id, \
     u.name, d.updated_at, d.scheduled_at";

fn summary_of(r: &rusqlite::Row<'_>) -> rusqlite::Result<DeskSummary> {
    Ok(DeskSummary {
        id: r.get(0)?,
        lang: rows::lang(r, 1)?,
        topic: r.get(2)?,
        period: rows::period(r, 3)?,
        title: r.get(4)?,
        state: state_of(r, 5)?,
        author_id: r.get(6)?,
        author_name: r.get(7)?,
        updated_at: time_of(r, 8)?,
        scheduled_at: opt_time(r, 9)?,
    })
}

/// Creates a desk article with its first revision, in one transaction.
pub fn create(
    conn: &mut Connection,
    content: &DeskContent,
    author: i64,
    translation_of: Option<i64>,
    at: OffsetDateTime,
) -> Result<i64, EditError> {
    let json = to_json(content)?;
    let at = time_to_sql(at);
    let tx = conn.transaction().map_err(backend)?;
    if let Some(t) = translation_of {
        let exists = tx
            .query_row("SELECT 1 FROM desk_articles WHERE id = ?1", [t], |_| Ok(()))
            .optional()
            .map_err(backend)?;
        if exists.is_none() {
            return Err(EditError::NotFound(format!("no desk article {t}")));
        }
    }
    tx.execute(
        "INSERT INTO desk_articles (lang, topic, period, title, state, author_id, revision, \
           translation_of, updated_at, updated_by) \
         VALUES (?1, ?2, ?3, ?4, 'draft', ?5, 1, ?6, ?7, ?5)",
        params![
            content.lang.code(),
            content.topic,
            content.period.key(),
            content.title,
            author,
            translation_of,
            at
        ],
    )
    .map_err(backend)?;
    let id = tx.last_insert_rowid();
    tx.execute(
        "INSERT INTO desk_revisions (desk_id, number, content, author_id, at, note) \
         VALUES (?1, 1, ?2, ?3, ?4, 'created')",
        params![id, json, author, at],
    )
    .map_err(backend)?;
    tx.commit().map_err(backend)?;
    Ok(id)
}

/// A desk article with its current content, author, last editor and lock.
pub fn article(conn: &Connection, id: i64) -> rusqlite::Result<Option<DeskArticle>> {
    conn.prepare_cached(
        "SELECT d.id, d.state, d.author_id, a.name, d.revision, r.content, d.translation_of, \
                d.scheduled_at, d.published_revision, d.updated_at, e.name, \
                d.locked_by, l.name, d.locked_at, d.published_at, d.updated_by \
         FROM desk_articles d \
         JOIN users a ON a.id = d.author_id \
         JOIN users e ON e.id = d.updated_by \
         JOIN desk_revisions r ON r.desk_id = d.id AND r.number = d.revision \
         LEFT JOIN users l ON l.id = d.locked_by \
         WHERE d.id = ?1",
    )?
    .query_row([id], |r| {
        let lock = match r.get::<_, Option<i64>>(11)? {
            Some(user_id) => Some(DeskLock {
                user_id,
                user_name: r.get::<_, Option<String>>(12)?.unwrap_or_default(),
                since: time_of(r, 13)?,
            }),
            None => None,
        };
        Ok(DeskArticle {
            id: r.get(0)?,
            state: state_of(r, 1)?,
            author_id: r.get(2)?,
            author_name: r.get(3)?,
            revision: r.get(4)?,
            content: content_of(r, 5)?,
            translation_of: r.get(6)?,
            scheduled_at: opt_time(r, 7)?,
            article_key: trendwatch_core::newsroom::article_key(r.get(0)?),
            published_revision: r.get(8)?,
            published_at: opt_time(r, 14)?,
            updated_at: time_of(r, 9)?,
            updated_by_id: r.get(15)?,
            updated_by: r.get(10)?,
            lock,
        })
    })
    .optional()
}

/// Desk articles matching a filter.
pub fn list(conn: &Connection, filter: &DeskFilter) -> rusqlite::Result<Vec<DeskSummary>> {
    let states: Vec<&str> = filter.states.iter().map(|s| s.code()).collect();
    let states_json = serde_json::to_string(&states).unwrap_or_else(|_| "[]".into());
    conn.prepare_cached(&format!(
        "SELECT {SUMMARY_COLUMNS} FROM desk_articles d JOIN users u ON u.id = d.author_id \
         WHERE (?1 IS NULL OR d.period = ?1) AND (?2 IS NULL OR d.author_id = ?2) \
           AND (?3 = '[]' OR d.state IN (SELECT value FROM json_each(?3))) \
         ORDER BY d.period DESC, d.topic, d.lang, d.id"
    ))?
    .query_map(
        params![filter.period.map(|p| p.key()), filter.author, states_json],
        summary_of,
    )?
    .collect()
}

/// The first version of a commentary and its translations.
pub fn translations(conn: &Connection, id: i64) -> rusqlite::Result<Vec<DeskSummary>> {
    conn.prepare_cached(&format!(
        "WITH root AS (SELECT COALESCE(translation_of, id) AS id FROM desk_articles WHERE id = ?1) \
         SELECT {SUMMARY_COLUMNS} FROM desk_articles d JOIN users u ON u.id = d.author_id, root \
         WHERE d.id = root.id OR d.translation_of = root.id ORDER BY d.lang, d.id"
    ))?
    .query_map([id], summary_of)?
    .collect()
}

/// Saves a new revision if `base` is still current; see `Store::save_desk_content`.
pub fn save(
    conn: &mut Connection,
    id: i64,
    base: i64,
    content: &DeskContent,
    by: i64,
    note: &str,
    at: OffsetDateTime,
) -> Result<i64, EditError> {
    let json = to_json(content)?;
    // IMMEDIATE: the revision check and the write happen under the write lock, so two saves
    // from the same revision cannot both pass the check.
    let tx = conn
        .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
        .map_err(backend)?;
    let current: Option<(i64, String)> = tx
        .query_row(
            "SELECT d.revision, r.content FROM desk_articles d \
             JOIN desk_revisions r ON r.desk_id = d.id AND r.number = d.revision WHERE d.id = ?1",
            [id],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()
        .map_err(backend)?;
    let Some((current, current_json)) = current else {
        return Err(EditError::NotFound(format!("no desk article {id}")));
    };
    if current != base {
        return Err(EditError::Stale { base, current });
    }
    if current_json == json {
        return Ok(current);
    }
    let next = current + 1;
    let at = time_to_sql(at);
    tx.execute(
        "INSERT INTO desk_revisions (desk_id, number, content, author_id, at, note) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![id, next, json, by, at, note],
    )
    .map_err(backend)?;
    tx.execute(
        "UPDATE desk_articles SET revision = ?2, lang = ?3, topic = ?4, period = ?5, title = ?6, \
           updated_at = ?7, updated_by = ?8, locked_by = ?8, locked_at = ?7 WHERE id = ?1",
        params![
            id,
            next,
            content.lang.code(),
            content.topic,
            content.period.key(),
            content.title,
            at,
            by
        ],
    )
    .map_err(backend)?;
    tx.commit().map_err(backend)?;
    Ok(next)
}

/// Every revision, newest first.
pub fn revisions(conn: &Connection, id: i64) -> rusqlite::Result<Vec<DeskRevision>> {
    conn.prepare_cached(
        "SELECT r.number, r.at, u.name, r.note, r.content FROM desk_revisions r \
         JOIN users u ON u.id = r.author_id WHERE r.desk_id = ?1 ORDER BY r.number DESC",
    )?
    .query_map([id], |r| {
        Ok(DeskRevision {
            number: r.get(0)?,
            at: time_of(r, 1)?,
            author_name: r.get(2)?,
            note: r.get(3)?,
            content: content_of(r, 4)?,
        })
    })?
    .collect()
}

/// Compare-and-set of the state; see `Store::set_desk_state`.
#[allow(clippy::too_many_arguments)]
pub fn set_state(
    conn: &Connection,
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
        .flatten()
        .map(time_to_sql);
    let changed = conn
        .prepare_cached(
            "UPDATE desk_articles SET state = ?3, scheduled_at = ?4, \
               published_revision = CASE WHEN ?8 THEN ?5 ELSE published_revision END, \
               published_at = CASE WHEN ?8 THEN ?9 ELSE published_at END, \
               updated_at = ?6, updated_by = ?7 \
             WHERE id = ?1 AND state = ?2",
        )
        .and_then(|mut s| {
            s.execute(params![
                id,
                from.code(),
                to.code(),
                scheduled,
                published.and_then(|p| p.revision),
                time_to_sql(at),
                by,
                published.is_some(),
                published.and_then(|p| p.at).map(time_to_sql)
            ])
        })
        .map_err(backend)?;
    if changed == 1 {
        return Ok(());
    }
    let now: Option<String> = conn
        .query_row("SELECT state FROM desk_articles WHERE id = ?1", [id], |r| {
            r.get(0)
        })
        .optional()
        .map_err(backend)?;
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

/// Scheduled articles due at `now`.
pub fn due(conn: &Connection, now: OffsetDateTime) -> rusqlite::Result<Vec<i64>> {
    conn.prepare_cached(
        "SELECT id FROM desk_articles WHERE state = 'scheduled' AND scheduled_at <= ?1 \
         ORDER BY scheduled_at, id",
    )?
    .query_map([time_to_sql(now)], |r| r.get(0))?
    .collect()
}

/// The earliest scheduled time.
pub fn next_scheduled(conn: &Connection) -> rusqlite::Result<Option<OffsetDateTime>> {
    conn.prepare_cached(
        "SELECT scheduled_at FROM desk_articles WHERE state = 'scheduled' \
         ORDER BY scheduled_at LIMIT 1",
    )?
    .query_row([], |r| time_of(r, 0))
    .optional()
}

/// Adds a review comment.
pub fn add_comment(
    conn: &Connection,
    id: i64,
    by: i64,
    text: &str,
    at: OffsetDateTime,
) -> Result<(), EditError> {
    let inserted = conn
        .execute(
            "INSERT INTO desk_comments (desk_id, author_id, at, text) \
             SELECT id, ?2, ?3, ?4 FROM desk_articles WHERE id = ?1",
            params![id, by, time_to_sql(at), text],
        )
        .map_err(backend)?;
    if inserted == 0 {
        return Err(EditError::NotFound(format!("no desk article {id}")));
    }
    Ok(())
}

/// Review comments, oldest first.
pub fn comments(conn: &Connection, id: i64) -> rusqlite::Result<Vec<DeskComment>> {
    conn.prepare_cached(
        "SELECT c.at, u.name, c.text FROM desk_comments c JOIN users u ON u.id = c.author_id \
         WHERE c.desk_id = ?1 ORDER BY c.id",
    )?
    .query_map([id], |r| {
        Ok(DeskComment {
            at: time_of(r, 0)?,
            author_name: r.get(1)?,
            text: r.get(2)?,
        })
    })?
    .collect()
}

/// Takes the post lock unless someone else holds a fresh one; returns theirs.
pub fn lock(
    conn: &mut Connection,
    id: i64,
    user: i64,
    at: OffsetDateTime,
) -> rusqlite::Result<Option<DeskLock>> {
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    let fresh_after = time_to_sql(at - time::Duration::minutes(LOCK_MINUTES));
    let held: Option<DeskLock> = tx
        .query_row(
            "SELECT d.locked_by, u.name, d.locked_at FROM desk_articles d \
             JOIN users u ON u.id = d.locked_by \
             WHERE d.id = ?1 AND d.locked_by <> ?2 AND d.locked_at > ?3",
            params![id, user, fresh_after],
            |r| {
                Ok(DeskLock {
                    user_id: r.get(0)?,
                    user_name: r.get(1)?,
                    since: time_of(r, 2)?,
                })
            },
        )
        .optional()?;
    if held.is_none() {
        tx.execute(
            "UPDATE desk_articles SET locked_by = ?2, locked_at = ?3 WHERE id = ?1",
            params![id, user, time_to_sql(at)],
        )?;
    }
    tx.commit()?;
    Ok(held)
}

/// Deletes the public article with `key` and what hangs on it, refreshing its storyline's
/// statistics and advancing the generations (pages and the search index follow them).
pub fn remove_article(conn: &mut Connection, key: &str) -> rusqlite::Result<Option<i64>> {
    let tx = conn.transaction()?;
    let found: Option<(i64, Option<i64>)> = tx
        .query_row(
            "SELECT a.id, x.storyline_id FROM articles a \
             LEFT JOIN article_storylines x ON x.article_id = a.id WHERE a.key = ?1",
            [key],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    let Some((id, storyline)) = found else {
        return Ok(None);
    };
    tx.execute("DELETE FROM articles WHERE id = ?1", [id])?;
    if let Some(s) = storyline {
        let left: i64 = tx.query_row(
            "SELECT count(*) FROM article_storylines WHERE storyline_id = ?1",
            [s],
            |r| r.get(0),
        )?;
        if left == 0 {
            tx.execute("DELETE FROM storylines WHERE id = ?1", [s])?;
        } else {
            crate::storylines::refresh_stats(&tx, &[s])?;
        }
    }
    tx.execute(
        "UPDATE meta SET value = value + 1 \
         WHERE name IN ('generation', 'text_generation', 'threading_generation')",
        [],
    )?;
    crate::log_text_changes(&tx, &[id])?;
    tx.commit()?;
    Ok(Some(id))
}
