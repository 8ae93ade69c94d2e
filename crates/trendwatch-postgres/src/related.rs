//! Similar-articles data beyond the engine's full lists: editors' pins and exclusions, the
//! stored lists, the text of chosen articles, and the search index's view of articles.

use crate::rows::{self, R};
use crate::{bump, Db};
use sqlx::{AssertSqlSafe, PgConnection, Row};
use trendwatch_core::article::{ArticleText, RelatedOverride};
use trendwatch_core::similarity::{Scored, SimilarityDoc};
use trendwatch_store::EditError;

/// The filter to `ids` (bound as `$1`) of a query that reads all rows or some: two
/// statements rather than one with `$1 IS NULL OR column = ANY($1)`, whose generic plan
/// (see `plan_cache_mode` in the crate root) can never use the index and scans the table.
pub fn only_ids(column: &str, ids: Option<&[i64]>) -> String {
    match ids {
        Some(_) => format!("AND {column} = ANY($1)"),
        None => "AND $1::bigint[] IS NULL".to_string(),
    }
}

/// The similarity engine's documents: all (`None`) or those with the given ids.
pub async fn similarity_docs(c: &mut PgConnection, ids: Option<&[i64]>) -> R<Vec<SimilarityDoc>> {
    let found = sqlx::query(AssertSqlSafe(format!(
        "SELECT a.id, a.lang, a.translation_group, a.topic, a.title, a.body_text, s.storyline_id, \
                (a.published_at::date - DATE '1970-01-01') \
         FROM articles a LEFT JOIN article_storylines s ON s.article_id = a.id \
         WHERE a.duplicate_of IS NULL {} ORDER BY a.id",
        only_ids("a.id", ids)
    )))
    .bind(ids)
    .fetch_all(c)
    .await?;
    rows::all(found, |r| {
        Ok(SimilarityDoc {
            id: r.try_get(0)?,
            lang: rows::lang(r, 1)?,
            group: r.try_get(2)?,
            topic: r.try_get(3)?,
            title: r.try_get(4)?,
            text: r.try_get(5)?,
            storyline: r.try_get(6)?,
            day: r.try_get(7)?,
        })
    })
}

/// The stored lists of the given articles (empty for those without one), in that order.
pub async fn lists(c: &mut PgConnection, ids: &[i64]) -> R<Vec<(i64, Vec<Scored>)>> {
    let found = sqlx::query(
        "SELECT q.id, r.ids, r.scores FROM unnest($1::bigint[]) WITH ORDINALITY AS q(id, ord) \
         LEFT JOIN related r ON r.article_id = q.id ORDER BY q.ord",
    )
    .bind(ids)
    .fetch_all(c)
    .await?;
    rows::all(found, |r| {
        let ids: Option<Vec<i64>> = r.try_get(1)?;
        let scores: Option<Vec<f32>> = r.try_get(2)?;
        let list = ids
            .unwrap_or_default()
            .into_iter()
            .zip(scores.unwrap_or_default())
            .map(|(id, score)| Scored { id, score })
            .collect();
        Ok((r.try_get(0)?, list))
    })
}

/// Stores lists; a full rebuild (a list for every article) first empties the table, so lists
/// of articles that no longer have neighbours do not linger.
pub async fn replace(c: &mut PgConnection, lists: &[(i64, Vec<Scored>)]) -> R<()> {
    let articles: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM articles")
        .fetch_one(&mut *c)
        .await?;
    if lists.len() as i64 >= articles {
        sqlx::query("DELETE FROM related").execute(&mut *c).await?;
    }
    // In chunks, each one statement: a full rebuild writes a list for every article.
    for chunk in lists.chunks(1000) {
        let article_ids: Vec<i64> = chunk.iter().map(|(id, _)| *id).collect();
        // Arrays of arrays must be rectangular in PostgreSQL; each list goes as text.
        let ids: Vec<String> = chunk
            .iter()
            .map(|(_, l)| {
                let v: Vec<String> = l.iter().map(|s| s.id.to_string()).collect();
                format!("{{{}}}", v.join(","))
            })
            .collect();
        let scores: Vec<String> = chunk
            .iter()
            .map(|(_, l)| {
                let v: Vec<String> = l.iter().map(|s| s.score.to_string()).collect();
                format!("{{{}}}", v.join(","))
            })
            .collect();
        sqlx::query(
            "INSERT INTO related (article_id, ids, scores) \
             SELECT a, i::bigint[], s::real[] FROM unnest($1::bigint[], $2::text[], $3::text[]) AS t(a, i, s) \
             ON CONFLICT (article_id) DO UPDATE SET ids = excluded.ids, scores = excluded.scores",
        )
        .bind(article_ids)
        .bind(ids)
        .bind(scores)
        .execute(&mut *c)
        .await?;
    }
    Ok(())
}

/// Pins, excludes or clears one article in another's list (the caller's transaction).
pub async fn set_override(
    c: &mut PgConnection,
    article: i64,
    related: i64,
    kind: Option<RelatedOverride>,
) -> Result<(), EditError> {
    if article == related {
        return Err(EditError::Invalid(
            "an article cannot be pinned to or excluded from its own list".into(),
        ));
    }
    for id in [article, related] {
        let exists: Option<i32> = sqlx::query_scalar("SELECT 1 FROM articles WHERE id = $1")
            .bind(id)
            .fetch_optional(&mut *c)
            .await
            .edit()?;
        if exists.is_none() {
            return Err(EditError::NotFound(format!("no article with id {id}")));
        }
    }
    match kind {
        None => {
            sqlx::query("DELETE FROM related_overrides WHERE article_id = $1 AND related_id = $2")
                .bind(article)
                .bind(related)
                .execute(&mut *c)
                .await
                .edit()?;
        }
        Some(kind) => {
            sqlx::query(
                "INSERT INTO related_overrides (article_id, related_id, kind, created) \
                 VALUES ($1, $2, $3, (SELECT COALESCE(MAX(created), 0) + 1 FROM related_overrides)) \
                 ON CONFLICT (article_id, related_id) DO UPDATE SET kind = excluded.kind",
            )
            .bind(article)
            .bind(related)
            .bind(kind.code())
            .execute(&mut *c)
            .await
            .edit()?;
        }
    }
    // Pages showing the list must be rendered anew.
    bump(c, &["generation"]).await.edit()
}

/// Editors' pins (in the order made) and exclusions of one article's list.
pub async fn overrides(c: &mut PgConnection, article: i64) -> R<Vec<(i64, RelatedOverride)>> {
    let found = sqlx::query(
        "SELECT related_id, kind FROM related_overrides WHERE article_id = $1 \
         ORDER BY kind DESC, created",
    )
    .bind(article)
    .fetch_all(c)
    .await?;
    rows::all(found, |r| {
        let kind: String = r.try_get(1)?;
        Ok((
            r.try_get(0)?,
            if kind == "pin" {
                RelatedOverride::Pin
            } else {
                RelatedOverride::Exclude
            },
        ))
    })
}

/// What the search index keeps of articles: all (`None`) or the given ones.
pub async fn article_texts(c: &mut PgConnection, ids: Option<&[i64]>) -> R<Vec<ArticleText>> {
    let found = sqlx::query(AssertSqlSafe(format!(
        "SELECT id, lang, topic, status, (published_at::date - DATE '1970-01-01')::bigint, slug, \
                title, lead, body_text, key \
         FROM articles WHERE duplicate_of IS NULL {} ORDER BY id",
        only_ids("id", ids)
    )))
    .bind(ids)
    .fetch_all(c)
    .await?;
    rows::all(found, |r| {
        Ok(ArticleText {
            id: r.try_get(0)?,
            lang: r.try_get(1)?,
            topic: r.try_get(2)?,
            status: r.try_get(3)?,
            day: r.try_get(4)?,
            slug: r.try_get(5)?,
            title: r.try_get(6)?,
            lead: r.try_get(7)?,
            text: r.try_get(8)?,
            key: r.try_get(9)?,
        })
    })
}
