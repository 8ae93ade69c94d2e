//! Storyline queries and editor operations of the SQLite backend.

use crate::rows::{self, SUMMARY_COLUMNS};
use rusqlite::{params, Connection, OptionalExtension};
use trendwatch_core::article::ArticleSummary;
use trendwatch_core::storyline::{
    representative_headline, storylines_opened, topics_by_frequency, NewAssignment,
    StorylineDetail, StorylineSummary, StorylineTarget, ThreadDoc,
};
use trendwatch_core::{Language, Period};
use trendwatch_store::EditError;

pub fn threading_corpus(conn: &Connection) -> rusqlite::Result<Vec<ThreadDoc>> {
    let mut stmt = conn.prepare_cached(
        "SELECT a.id, a.lang, a.translation_group, a.title, a.lead, a.published_at, x.storyline_id \
         FROM articles a LEFT JOIN article_storylines x ON x.article_id = a.id \
         WHERE a.duplicate_of IS NULL ORDER BY a.published_at, a.id",
    )?;
    let docs = stmt.query_map([], thread_doc)?.collect();
    docs
}

/// The articles with an id above `after_id` that have no storyline yet, as
/// [`threading_corpus`] lists them. (A range of the table's own key: a scan of every
/// article, to read whether it is a duplicate, cost 100 ms at 100,000 articles.)
pub fn unthreaded(conn: &Connection, after_id: i64) -> rusqlite::Result<Vec<ThreadDoc>> {
    let mut stmt = conn.prepare_cached(
        "SELECT a.id, a.lang, a.translation_group, a.title, a.lead, a.published_at, NULL \
         FROM articles a WHERE a.id > ?1 AND a.duplicate_of IS NULL \
         AND NOT EXISTS (SELECT 1 FROM article_storylines x WHERE x.article_id = a.id) \
         ORDER BY a.published_at, a.id",
    )?;
    let docs = stmt.query_map([after_id], thread_doc)?.collect();
    docs
}

fn thread_doc(r: &rusqlite::Row<'_>) -> rusqlite::Result<ThreadDoc> {
    Ok(ThreadDoc {
        article_id: r.get(0)?,
        lang: rows::lang(r, 1)?,
        group: r.get(2)?,
        title: r.get(3)?,
        text: r.get(4)?,
        published_at: rows::datetime(r, 5)?,
        storyline: r.get(6)?,
    })
}

/// Assigns articles to storylines, creating the plan's new ones first; returns the ids of
/// those, `New(k)` being the `k`-th.
pub fn assign(conn: &mut Connection, assignments: &[NewAssignment]) -> rusqlite::Result<Vec<i64>> {
    let tx = conn.transaction()?;
    let mut created: Vec<i64> = Vec::new();
    {
        let mut insert = tx.prepare_cached(
            "INSERT INTO article_storylines (article_id, storyline_id, confidence, manual) \
             VALUES (?1, ?2, ?3, 0) \
             ON CONFLICT (article_id) DO UPDATE SET storyline_id = excluded.storyline_id, \
             confidence = excluded.confidence WHERE manual = 0",
        )?;
        // New storylines are created in the plan's order (their ids follow it); the
        // assignments are then written in article order, so that the foreign-key checks visit
        // the articles' pages in table order instead of at random.
        let new_storylines = storylines_opened(assignments);
        {
            // Prepared once: a first import creates thousands of storylines.
            let mut create = tx.prepare_cached("INSERT INTO storylines (title) VALUES (NULL)")?;
            for _ in 0..new_storylines {
                create.execute([])?;
                created.push(tx.last_insert_rowid());
            }
        }
        let mut in_article_order: Vec<&NewAssignment> = assignments.iter().collect();
        in_article_order.sort_unstable_by_key(|a| a.article_id);
        let mut touched: Vec<i64> = Vec::new();
        for a in in_article_order {
            let id = match a.target {
                StorylineTarget::Existing(id) => id,
                StorylineTarget::New(k) => created[k],
            };
            insert.execute(params![a.article_id, id, a.confidence])?;
            touched.push(id);
        }
        touched.sort_unstable();
        touched.dedup();
        let started = std::time::Instant::now();
        // A first import touches every storyline: one pass over everything is cheaper then.
        if touched.len() > 200 {
            refresh_all_stats(&tx)?;
        } else {
            refresh_stats(&tx, &touched)?;
        }
        tracing::debug!(
            elapsed_ms = started.elapsed().as_millis() as u64,
            storylines = touched.len(),
            "storyline statistics refreshed"
        );
    }
    tx.execute(
        "UPDATE meta SET value = value + 1 WHERE name = 'generation'",
        [],
    )?;
    tx.commit()?;
    Ok(created)
}

/// Recomputes the statistics of every storyline.
pub fn refresh_all_stats(conn: &Connection) -> rusqlite::Result<()> {
    conn.execute("DELETE FROM storyline_stats", [])?;
    let started = std::time::Instant::now();
    write_stats(conn, None)?;
    tracing::debug!(
        elapsed_ms = started.elapsed().as_millis() as u64,
        "storyline statistics computed"
    );
    Ok(())
}

/// Recomputes the statistics of the given storylines.
pub fn refresh_stats(conn: &Connection, ids: &[i64]) -> rusqlite::Result<()> {
    let mut del = conn.prepare_cached("DELETE FROM storyline_stats WHERE storyline_id = ?1")?;
    let mut seen: Vec<i64> = Vec::with_capacity(ids.len());
    for &id in ids {
        if seen.contains(&id) {
            continue;
        }
        seen.push(id);
        del.execute([id])?;
        write_stats(conn, Some(id))?;
    }
    Ok(())
}

/// One commentary of a storyline, as its statistics need it.
struct Member {
    storyline: i64,
    lang: String,
    article_id: i64,
    period_key: i64,
    published_at: String,
    title: String,
    lead: String,
    status: String,
    topic: String,
}

/// Writes the statistics row of each language of storyline `id` (of every storyline: `None`)
/// from one read of its commentaries. Aggregated here rather than in SQL: the
/// representative headline needs every headline and lead anyway, and one pass over the rows
/// replaced three correlated subqueries per storyline and language (a first import of 10,000
/// articles in 9,000 storylines: 250 ms of the import's critical path).
fn write_stats(conn: &Connection, id: Option<i64>) -> rusqlite::Result<()> {
    // One storyline's read starts from the index on `storyline_id`. Every storyline's read
    // walks the articles in table order and is grouped here: reading them in storyline order
    // visited the article pages at random, and with SQLite's small page cache a first import
    // of 10,000 articles re-read pages some 10,000 times.
    const COLUMNS: &str = "x.storyline_id, a.lang, a.id, a.period_key, a.published_at, a.title, \
         a.lead, a.status, a.topic";
    let mut read = match id {
        Some(_) => conn.prepare_cached(&format!(
            "SELECT {COLUMNS} FROM article_storylines x CROSS JOIN articles a \
             ON a.id = x.article_id WHERE x.storyline_id = ?1"
        ))?,
        None => conn.prepare_cached(&format!(
            "SELECT {COLUMNS} FROM articles a CROSS JOIN article_storylines x \
             ON x.article_id = a.id WHERE ?1 IS NULL"
        ))?,
    };
    let mut members = read
        .query_map([id], |r| {
            Ok(Member {
                storyline: r.get(0)?,
                lang: r.get(1)?,
                article_id: r.get(2)?,
                period_key: r.get(3)?,
                published_at: r.get(4)?,
                title: r.get(5)?,
                lead: r.get(6)?,
                status: r.get(7)?,
                topic: r.get(8)?,
            })
        })?
        .collect::<rusqlite::Result<Vec<Member>>>()?;
    // One storyline and language at a time, oldest first.
    members.sort_unstable_by(|a, b| {
        (a.storyline, &a.lang, &a.published_at, a.article_id).cmp(&(
            b.storyline,
            &b.lang,
            &b.published_at,
            b.article_id,
        ))
    });
    let mut write = conn.prepare_cached(
        "INSERT INTO storyline_stats (storyline_id, lang, articles, first_period, last_period, \
         last_published_at, latest_title, latest_status, topics, title) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
    )?;
    for group in members.chunk_by(|a, b| a.storyline == b.storyline && a.lang == b.lang) {
        let Some(latest) = group.last() else {
            continue;
        };
        let first = group.iter().map(|m| m.period_key).min().unwrap_or(0);
        let last = group.iter().map(|m| m.period_key).max().unwrap_or(0);
        let docs: Vec<(&str, &str)> = group
            .iter()
            .map(|m| (m.title.as_str(), m.lead.as_str()))
            .collect();
        let title = representative_headline(&docs).map(|i| group[i].title.as_str());
        write.execute(params![
            latest.storyline,
            latest.lang,
            group.len() as i64,
            first,
            last,
            latest.published_at,
            latest.title,
            latest.status,
            topics_by_frequency(group.iter().map(|m| m.topic.as_str())),
            title,
        ])?;
    }
    Ok(())
}

/// Recomputes the statistics of the storylines the given articles belong to.
pub fn refresh_stats_of_articles(conn: &Connection, article_ids: &[i64]) -> rusqlite::Result<()> {
    let mut ids = Vec::new();
    for &a in article_ids {
        if let Some(s) = storyline_of(conn, a)? {
            ids.push(s);
        }
    }
    refresh_stats(conn, &ids)
}

/// The storylines of an article and of its translations (what a move takes them out of).
fn storylines_of_group(conn: &Connection, article_id: i64) -> rusqlite::Result<Vec<i64>> {
    let mut stmt = conn.prepare_cached(
        "SELECT DISTINCT x.storyline_id FROM article_storylines x JOIN articles a ON a.id = x.article_id \
         WHERE a.id = ?1 OR (a.translation_group IS NOT NULL AND a.translation_group = \
           (SELECT translation_group FROM articles WHERE id = ?1))",
    )?;
    let v = stmt.query_map([article_id], |r| r.get(0))?.collect();
    v
}

pub fn storyline_of(conn: &Connection, article_id: i64) -> rusqlite::Result<Option<i64>> {
    conn.prepare_cached("SELECT storyline_id FROM article_storylines WHERE article_id = ?1")?
        .query_row([article_id], |r| r.get(0))
        .optional()
}

/// The summary of storyline `id` in `lang`, or `None` if it has no article in that language.
/// Reads the statistics kept by [`refresh_stats`], so it costs the same for any length.
pub fn summary(
    conn: &Connection,
    id: i64,
    lang: Language,
) -> rusqlite::Result<Option<StorylineSummary>> {
    let bad = |e| {
        rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Integer, Box::new(e))
    };
    conn.prepare_cached(
        "SELECT s.title, COALESCE(t.title, t.latest_title), t.articles, t.first_period, t.last_period, \
         t.latest_status, t.topics FROM storyline_stats t JOIN storylines s ON s.id = t.storyline_id \
         WHERE t.storyline_id = ?1 AND t.lang = ?2",
    )?
    .query_row(params![id, lang.code()], |r| {
        let title: Option<String> = r.get(0)?;
        let topics: String = r.get(6)?;
        Ok(StorylineSummary {
            id,
            titled_by_editor: title.is_some(),
            title: match title {
                Some(t) => t,
                None => r.get(1)?,
            },
            articles: r.get::<_, i64>(2)? as u64,
            first: Period::from_key(r.get(3)?).map_err(bad)?,
            last: Period::from_key(r.get(4)?).map_err(bad)?,
            latest_status: rows::status(r, 5)?,
            topics: topics
                .split(',')
                .filter(|t| !t.is_empty())
                .map(str::to_string)
                .collect(),
        })
    })
    .optional()
}

/// A page of a storyline's articles in one language, newest first: `?1` the storyline, `?2`
/// the language, `?3` and `?4` the limit and offset.
pub(crate) fn detail_sql() -> String {
    // The unary `+` keeps SQLite on the storyline's members: otherwise it walks every article
    // of the language in publication order to skip the sort (12 ms a page at 10,000 articles).
    format!(
        "SELECT {SUMMARY_COLUMNS} FROM article_storylines x JOIN articles a ON a.id = x.article_id \
         WHERE x.storyline_id = ?1 AND +a.lang = ?2 \
         ORDER BY a.period_key DESC, a.published_at DESC, a.id DESC LIMIT ?3 OFFSET ?4"
    )
}

pub fn detail(
    conn: &Connection,
    id: i64,
    lang: Language,
    page: u64,
) -> rusqlite::Result<Option<StorylineDetail>> {
    let Some(summary) = summary(conn, id, lang)? else {
        return Ok(None);
    };
    let mut stmt = conn.prepare_cached(&detail_sql())?;
    let limit = trendwatch_store::STORYLINE_PAGE_ARTICLES;
    let offset =
        i64::try_from(page.max(1).saturating_sub(1).saturating_mul(limit)).unwrap_or(i64::MAX);
    let mut articles = stmt
        .query_map(
            params![id, lang.code(), limit as i64, offset],
            rows::summary,
        )?
        .collect::<rusqlite::Result<Vec<ArticleSummary>>>()?;
    // The latest ones were fetched; the page reads oldest first.
    articles.reverse();
    Ok(Some(StorylineDetail { summary, articles }))
}

fn summaries_of(
    conn: &Connection,
    ids: Vec<i64>,
    lang: Language,
) -> rusqlite::Result<Vec<StorylineSummary>> {
    let mut out = Vec::with_capacity(ids.len());
    for id in ids {
        if let Some(s) = summary(conn, id, lang)? {
            out.push(s);
        }
    }
    Ok(out)
}

use trendwatch_store::SHOWN_STORYLINES_SQL as SHOWN;

/// The storylines of `lang`, the most recently active first; `shown_only`: only those
/// readers are pointed to.
pub fn recent(
    conn: &Connection,
    lang: Language,
    limit: u64,
    shown_only: bool,
) -> rusqlite::Result<Vec<StorylineSummary>> {
    let shown = if shown_only {
        format!("AND {SHOWN}")
    } else {
        String::new()
    };
    let ids = conn
        .prepare_cached(&format!(
            "SELECT storyline_id FROM storyline_stats WHERE lang = ?1 {shown} \
             ORDER BY last_published_at DESC, storyline_id DESC LIMIT ?2"
        ))?
        .query_map(params![lang.code(), limit as i64], |r| r.get(0))?
        .collect::<rusqlite::Result<Vec<i64>>>()?;
    summaries_of(conn, ids, lang)
}

/// Other storylines that share a topic with `id`, most recently active in `lang` first.
/// Read from `storyline_stats` newest first, stopping at `limit`: aggregating every article
/// of the topics instead cost about 5 ms a storyline page at 10,000 articles.
pub fn related(
    conn: &Connection,
    id: i64,
    lang: Language,
    limit: u64,
) -> rusqlite::Result<Vec<StorylineSummary>> {
    // The storyline's topics in every language.
    let mut own = std::collections::HashSet::new();
    let mut topics =
        conn.prepare_cached("SELECT topics FROM storyline_stats WHERE storyline_id = ?1")?;
    for t in topics.query_map([id], |r| r.get::<_, String>(0))? {
        own.extend(t?.split(',').filter(|t| !t.is_empty()).map(str::to_string));
    }
    if own.is_empty() || limit == 0 {
        return Ok(Vec::new());
    }
    let mut ids = Vec::new();
    let mut newest = conn.prepare_cached(&format!(
        "SELECT storyline_id, topics FROM storyline_stats WHERE lang = ?1 AND {SHOWN} \
         ORDER BY last_published_at DESC, storyline_id DESC"
    ))?;
    let mut rows = newest.query([lang.code()])?;
    while let Some(row) = rows.next()? {
        let other: i64 = row.get(0)?;
        let topics: String = row.get(1)?;
        if other != id && topics.split(',').any(|t| own.contains(t)) {
            ids.push(other);
            if ids.len() as u64 >= limit {
                break;
            }
        }
    }
    summaries_of(conn, ids, lang)
}

fn exists(conn: &Connection, id: i64) -> Result<(), EditError> {
    let found: Option<i64> = conn
        .query_row("SELECT id FROM storylines WHERE id = ?1", [id], |r| {
            r.get(0)
        })
        .optional()
        .map_err(crate::store_err)?;
    found
        .map(|_| ())
        .ok_or_else(|| EditError::NotFound(format!("storyline {id} does not exist")))
}

/// After an editor's decision: pages follow `generation`; a threader kept between
/// publications starts again from the store (`threading_generation`).
fn bump(conn: &Connection) -> Result<(), EditError> {
    conn.execute(
        "UPDATE meta SET value = value + 1 WHERE name IN ('generation', 'threading_generation')",
        [],
    )
    .map_err(crate::store_err)?;
    Ok(())
}

pub fn rename(conn: &mut Connection, id: i64, title: Option<String>) -> Result<(), EditError> {
    let tx = conn.transaction().map_err(crate::store_err)?;
    exists(&tx, id)?;
    let title = title
        .map(|t| t.split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|t| !t.is_empty());
    tx.execute(
        "UPDATE storylines SET title = ?2 WHERE id = ?1",
        params![id, title],
    )
    .map_err(crate::store_err)?;
    bump(&tx)?;
    tx.commit().map_err(crate::store_err)?;
    Ok(())
}

pub fn merge(conn: &mut Connection, from: i64, into: i64) -> Result<(), EditError> {
    if from == into {
        return Err(EditError::Invalid(format!(
            "cannot merge storyline {from} into itself"
        )));
    }
    let tx = conn.transaction().map_err(crate::store_err)?;
    exists(&tx, from)?;
    exists(&tx, into)?;
    tx.execute(
        "UPDATE article_storylines SET storyline_id = ?2, manual = 1, confidence = 1 WHERE storyline_id = ?1",
        params![from, into],
    )
    .map_err(crate::store_err)?;
    tx.execute("DELETE FROM storylines WHERE id = ?1", [from])
        .map_err(crate::store_err)?;
    refresh_stats(&tx, &[into]).map_err(crate::store_err)?;
    bump(&tx)?;
    tx.commit().map_err(crate::store_err)?;
    Ok(())
}

fn new_storyline(conn: &Connection) -> Result<i64, EditError> {
    conn.execute("INSERT INTO storylines (title) VALUES (NULL)", [])
        .map_err(crate::store_err)?;
    Ok(conn.last_insert_rowid())
}

pub fn move_article(
    conn: &mut Connection,
    article_id: i64,
    to: Option<i64>,
) -> Result<i64, EditError> {
    let tx = conn.transaction().map_err(crate::store_err)?;
    let group: Option<Option<String>> = tx
        .query_row(
            "SELECT translation_group FROM articles WHERE id = ?1",
            [article_id],
            |r| r.get(0),
        )
        .optional()
        .map_err(crate::store_err)?;
    let Some(group) = group else {
        return Err(EditError::NotFound(format!(
            "article {article_id} does not exist"
        )));
    };
    let previous = storylines_of_group(&tx, article_id).map_err(crate::store_err)?;
    let target = match to {
        Some(id) => {
            exists(&tx, id)?;
            id
        }
        None => new_storyline(&tx)?,
    };
    tx.execute(
        "INSERT INTO article_storylines (article_id, storyline_id, confidence, manual) \
         SELECT id, ?2, 1, 1 FROM articles WHERE id = ?1 OR (?3 IS NOT NULL AND translation_group = ?3) \
         ON CONFLICT (article_id) DO UPDATE SET storyline_id = excluded.storyline_id, confidence = 1, manual = 1",
        params![article_id, target, group],
    )
    .map_err(crate::store_err)?;
    // A storyline left without articles is removed.
    tx.execute(
        "DELETE FROM storylines WHERE id NOT IN (SELECT storyline_id FROM article_storylines)",
        [],
    )
    .map_err(crate::store_err)?;
    let mut touched = previous;
    touched.push(target);
    refresh_stats(&tx, &touched).map_err(crate::store_err)?;
    bump(&tx)?;
    tx.commit().map_err(crate::store_err)?;
    Ok(target)
}

pub fn split(conn: &mut Connection, id: i64, from_article: i64) -> Result<i64, EditError> {
    let tx = conn.transaction().map_err(crate::store_err)?;
    exists(&tx, id)?;
    let at: Option<String> = tx
        .query_row(
            "SELECT a.published_at FROM articles a JOIN article_storylines x ON x.article_id = a.id \
             WHERE a.id = ?1 AND x.storyline_id = ?2",
            params![from_article, id],
            |r| r.get(0),
        )
        .optional()
        .map_err(crate::store_err)?;
    let Some(at) = at else {
        return Err(EditError::NotFound(format!(
            "article {from_article} is not in storyline {id}"
        )));
    };
    let before: i64 = tx
        .query_row(
            "SELECT COUNT(*) FROM article_storylines x JOIN articles a ON a.id = x.article_id \
             WHERE x.storyline_id = ?1 AND a.published_at < ?2",
            params![id, at],
            |r| r.get(0),
        )
        .map_err(crate::store_err)?;
    if before == 0 {
        return Err(EditError::Invalid(format!(
            "article {from_article} is the first of storyline {id}: splitting there would leave it empty"
        )));
    }
    let new = new_storyline(&tx)?;
    tx.execute(
        "UPDATE article_storylines SET storyline_id = ?3, manual = 1, confidence = 1 \
         WHERE storyline_id = ?1 AND article_id IN (SELECT id FROM articles WHERE published_at >= ?2)",
        params![id, at, new],
    )
    .map_err(crate::store_err)?;
    tx.execute(
        "UPDATE article_storylines SET manual = 1 WHERE storyline_id = ?1",
        params![id],
    )
    .map_err(crate::store_err)?;
    refresh_stats(&tx, &[id, new]).map_err(crate::store_err)?;
    bump(&tx)?;
    tx.commit().map_err(crate::store_err)?;
    Ok(new)
}
