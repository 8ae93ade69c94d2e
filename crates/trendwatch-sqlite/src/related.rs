//! Similar-articles data beyond the engine's full lists: editors' pins and exclusions, the
//! stored lists read back for incremental updates, the text of chosen articles, and the
//! search index's view of articles.

use crate::rows;
use crate::store_err;
use rusqlite::{params, params_from_iter, Connection, OptionalExtension};
use trendwatch_core::article::{ArticleText, RelatedOverride};
use trendwatch_core::similarity::{Scored, SimilarityDoc};
use trendwatch_store::EditError;

/// Columns of a [`SimilarityDoc`], from `articles a` joined with its storyline `s`.
pub(crate) const SIMILARITY_COLUMNS: &str =
    "a.id, a.lang, a.translation_group, a.topic, a.title, a.body_text, s.storyline_id, \
     CAST(julianday(substr(a.published_at, 1, 10)) - 2440587.5 AS INTEGER)";

/// Reads [`SIMILARITY_COLUMNS`].
pub(crate) fn similarity_doc(r: &rusqlite::Row<'_>) -> rusqlite::Result<SimilarityDoc> {
    Ok(SimilarityDoc {
        id: r.get(0)?,
        lang: rows::lang(r, 1)?,
        group: r.get(2)?,
        topic: r.get(3)?,
        title: r.get(4)?,
        text: r.get(5)?,
        storyline: r.get(6)?,
        day: r.get(7)?,
    })
}

/// `?,?,…` for `n` parameters.
fn sql_params(n: usize) -> String {
    vec!["?"; n].join(",")
}

/// SQLite allows 32,766 parameters per statement; lists are read in chunks well below that.
const CHUNK: usize = 10_000;

pub(crate) fn similarity_docs(
    conn: &Connection,
    ids: &[i64],
) -> rusqlite::Result<Vec<SimilarityDoc>> {
    let mut out = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(CHUNK) {
        let sql = format!(
            "SELECT {SIMILARITY_COLUMNS} FROM articles a \
             LEFT JOIN article_storylines s ON s.article_id = a.id \
             WHERE a.id IN ({}) AND a.duplicate_of IS NULL ORDER BY a.id",
            sql_params(chunk.len())
        );
        let mut stmt = conn.prepare(&sql)?;
        let docs = stmt.query_map(params_from_iter(chunk), similarity_doc)?;
        for d in docs {
            out.push(d?);
        }
    }
    Ok(out)
}

/// The stored form of a list: JSON arrays of ids and of scores, best first.
pub(crate) fn encode_list(list: &[Scored]) -> (String, String) {
    let ids: Vec<String> = list.iter().map(|s| s.id.to_string()).collect();
    let scores: Vec<String> = list.iter().map(|s| format!("{:.5}", s.score)).collect();
    (
        format!("[{}]", ids.join(",")),
        format!("[{}]", scores.join(",")),
    )
}

/// Reads [`encode_list`]'s arrays back; an entry that does not parse ends the list.
fn decode_list(ids: &str, scores: &str) -> Vec<Scored> {
    let items = |s: &str| -> Vec<String> {
        s.trim()
            .trim_start_matches('[')
            .trim_end_matches(']')
            .split(',')
            .map(|x| x.trim().to_string())
            .filter(|x| !x.is_empty())
            .collect()
    };
    items(ids)
        .iter()
        .zip(items(scores))
        .map_while(|(id, score)| {
            Some(Scored {
                id: id.parse().ok()?,
                score: score.parse().ok()?,
            })
        })
        .collect()
}

pub(crate) fn lists(conn: &Connection, ids: &[i64]) -> rusqlite::Result<Vec<(i64, Vec<Scored>)>> {
    let mut stmt = conn.prepare_cached("SELECT ids, scores FROM related WHERE article_id = ?1")?;
    let mut out = Vec::with_capacity(ids.len());
    for &id in ids {
        let list = stmt
            .query_row([id], |r| {
                let (ids, scores): (String, String) = (r.get(0)?, r.get(1)?);
                Ok(decode_list(&ids, &scores))
            })
            .optional()?
            .unwrap_or_default();
        out.push((id, list));
    }
    Ok(out)
}

pub(crate) fn set_override(
    conn: &mut Connection,
    article: i64,
    related: i64,
    kind: Option<RelatedOverride>,
) -> Result<(), EditError> {
    if article == related {
        return Err(EditError::Invalid(
            "an article cannot be pinned to or excluded from its own list".into(),
        ));
    }
    let tx = conn.transaction().map_err(store_err)?;
    for id in [article, related] {
        let exists = tx
            .query_row("SELECT 1 FROM articles WHERE id = ?1", [id], |_| Ok(()))
            .optional()
            .map_err(store_err)?;
        if exists.is_none() {
            return Err(EditError::NotFound(format!("no article with id {id}")));
        }
    }
    match kind {
        None => {
            tx.execute(
                "DELETE FROM related_overrides WHERE article_id = ?1 AND related_id = ?2",
                params![article, related],
            )
            .map_err(store_err)?;
        }
        Some(kind) => {
            tx.execute(
                "INSERT INTO related_overrides (article_id, related_id, kind, created) \
                 VALUES (?1, ?2, ?3, (SELECT COALESCE(MAX(created), 0) + 1 FROM related_overrides)) \
                 ON CONFLICT (article_id, related_id) DO UPDATE SET kind = excluded.kind",
                params![article, related, kind.code()],
            )
            .map_err(store_err)?;
        }
    }
    // Pages showing the list must be rendered anew.
    tx.execute(
        "UPDATE meta SET value = value + 1 WHERE name = 'generation'",
        [],
    )
    .map_err(store_err)?;
    tx.commit().map_err(store_err)?;
    Ok(())
}

pub(crate) fn overrides(
    conn: &Connection,
    article: i64,
) -> rusqlite::Result<Vec<(i64, RelatedOverride)>> {
    let mut stmt = conn.prepare_cached(
        "SELECT related_id, kind FROM related_overrides WHERE article_id = ?1 \
         ORDER BY kind DESC, created",
    )?;
    let rows = stmt.query_map([article], |r| {
        let kind: String = r.get(1)?;
        Ok((
            r.get(0)?,
            if kind == "pin" {
                RelatedOverride::Pin
            } else {
                RelatedOverride::Exclude
            },
        ))
    })?;
    rows.collect()
}

pub(crate) fn article_texts(
    conn: &Connection,
    ids: Option<&[i64]>,
) -> rusqlite::Result<Vec<ArticleText>> {
    const COLUMNS: &str = "id, lang, topic, status, \
         CAST(julianday(substr(published_at, 1, 10)) - 2440587.5 AS INTEGER), slug, title, lead, body_text, \
         key";
    let read = |r: &rusqlite::Row<'_>| {
        Ok(ArticleText {
            id: r.get(0)?,
            lang: r.get(1)?,
            topic: r.get(2)?,
            status: r.get(3)?,
            day: r.get(4)?,
            slug: r.get(5)?,
            title: r.get(6)?,
            lead: r.get(7)?,
            text: r.get(8)?,
            key: r.get(9)?,
        })
    };
    match ids {
        None => {
            let mut stmt = conn.prepare(&format!(
                "SELECT {COLUMNS} FROM articles WHERE duplicate_of IS NULL ORDER BY id"
            ))?;
            let rows = stmt.query_map([], read)?;
            rows.collect()
        }
        Some(ids) => {
            let mut out = Vec::with_capacity(ids.len());
            for chunk in ids.chunks(CHUNK) {
                let sql = format!(
                    "SELECT {COLUMNS} FROM articles WHERE id IN ({}) AND duplicate_of IS NULL \
                     ORDER BY id",
                    sql_params(chunk.len())
                );
                let mut stmt = conn.prepare(&sql)?;
                for t in stmt.query_map(params_from_iter(chunk), read)? {
                    out.push(t?);
                }
            }
            Ok(out)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_round_trip_through_their_stored_form() {
        let list = vec![
            Scored { id: 7, score: 0.5 },
            Scored {
                id: 12,
                score: 0.25,
            },
        ];
        let (ids, scores) = encode_list(&list);
        assert_eq!(ids, "[7,12]");
        assert_eq!(decode_list(&ids, &scores), list);
        assert!(decode_list("[]", "[]").is_empty());
    }
}
