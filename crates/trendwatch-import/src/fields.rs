//! Building a draft from a map of named fields: shared by JSON lines and Markdown front
//! matter, so both accept the same names (documented in the README).

use crate::dates::parse_datetime;
use serde_json::{Map, Value};
use trendwatch_core::{ArticleDraft, Language};

/// Text of a field given as a string, number or (TOML) datetime.
fn text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        // The `toml` crate serialises datetimes as this private single-key table.
        Value::Object(o) => o.get("$__toml_private_datetime").and_then(text),
        _ => None,
    }
}

fn list(v: &Value) -> Vec<String> {
    match v {
        Value::Array(a) => a.iter().filter_map(text).collect(),
        Value::String(s) => s
            .split(',')
            .map(|x| x.trim().to_string())
            .filter(|x| !x.is_empty())
            .collect(),
        _ => Vec::new(),
    }
}

/// The first present field among `names`.
fn pick<'a>(map: &'a Map<String, Value>, names: &[&str]) -> Option<&'a Value> {
    names
        .iter()
        .find_map(|n| map.get(*n))
        .filter(|v| !v.is_null())
}

fn pick_text(
    map: &Map<String, Value>,
    field: &str,
    names: &[&str],
) -> Result<Option<String>, String> {
    match pick(map, names) {
        None => Ok(None),
        Some(v) => text(v)
            .map(Some)
            .ok_or_else(|| format!("field `{field}`: expected a string, found {v}")),
    }
}

/// Fills a draft from `map`. `body_html` is the body when the caller already has it (the
/// Markdown after the front matter); otherwise `body_html`, `body` (Markdown) or `body_text`.
pub fn draft_from_map(
    map: &Map<String, Value>,
    body_html: Option<String>,
) -> Result<ArticleDraft, String> {
    let mut d = ArticleDraft {
        key: pick_text(map, "id", &["id", "key"])?,
        kind: pick_text(map, "kind", &["kind", "type"])?,
        title: pick_text(map, "title", &["title"])?.unwrap_or_default(),
        lead: pick_text(map, "lead", &["lead", "summary", "description"])?,
        period: pick_text(map, "period", &["period", "week"])?,
        status: pick_text(map, "status", &["status"])?,
        rationale: pick_text(map, "rationale", &["rationale", "status_rationale"])?,
        alert: pick_text(map, "alert", &["alert"])?,
        image_url: pick_text(map, "image", &["image", "image_url"])?,
        image_credit: pick_text(
            map,
            "image_credit",
            &["image_credit", "credit", "photo_credit"],
        )?,
        image_alt: pick_text(map, "image_alt", &["image_alt", "alt", "image_description"])?,
        source_url: pick_text(map, "source_url", &["source_url", "url"])?,
        slug: pick_text(map, "slug", &["slug"])?,
        translation_group: pick_text(
            map,
            "translation_group",
            &["translation_group", "translationKey", "translation_key"],
        )?,
        ..ArticleDraft::default()
    };
    if let Some(l) = pick_text(map, "lang", &["lang", "language"])? {
        d.lang = Some(
            l.parse::<Language>()
                .map_err(|e| format!("field `lang`: {e}"))?,
        );
    }
    d.topic = match pick(map, &["topic", "category", "section"]) {
        Some(v) => {
            Some(text(v).ok_or_else(|| format!("field `topic`: expected a string, found {v}"))?)
        }
        None => {
            // Hugo `categories = [...]`, Zola `[taxonomies] topics = [...]`.
            let from_list = pick(map, &["topics", "categories"]).map(list);
            let from_tax = map
                .get("taxonomies")
                .and_then(|t| t.as_object())
                .and_then(|t| pick(t, &["topics", "topic", "categories"]).map(list));
            from_list.or(from_tax).and_then(|l| l.into_iter().next())
        }
    };
    if let Some(raw) = pick_text(map, "date", &["published_at", "date", "published"])? {
        d.published_at = Some(parse_datetime(&raw).ok_or_else(|| {
            format!("field `date`: {raw:?} is not a date: expected e.g. 2017-08-07 12:25")
        })?);
    }
    d.authors = pick(map, &["authors", "author"])
        .map(list)
        .unwrap_or_default();
    d.tags = pick(map, &["tags"]).map(list).unwrap_or_default();
    if d.tags.is_empty() {
        if let Some(t) = map.get("taxonomies").and_then(|t| t.get("tags")) {
            d.tags = list(t);
        }
    }
    d.similar_titles = pick(map, &["similar", "similar_titles"])
        .map(list)
        .unwrap_or_default();
    if let Some(v) = map.get("forecasts") {
        let items = v.as_array().ok_or_else(|| {
            "field `forecasts`: expected a list of {statement, probability, resolve_by}".to_string()
        })?;
        for (i, f) in items.iter().enumerate() {
            let obj = f.as_object().ok_or_else(|| {
                format!("field `forecasts[{i}]`: expected {{statement, probability, resolve_by}}")
            })?;
            let get = |k: &str| obj.get(k).and_then(text).unwrap_or_default();
            d.forecasts.push(trendwatch_core::forecast::ForecastDraft {
                statement: get("statement"),
                probability: get("probability"),
                resolve_by: get("resolve_by"),
                outcome: obj.get("outcome").and_then(text),
            });
        }
    }
    d.body_html = match body_html {
        Some(b) => b,
        None => {
            if let Some(h) = pick_text(map, "body_html", &["body_html", "html"])? {
                h
            } else if let Some(md) = pick_text(map, "body", &["body", "content", "markdown"])? {
                crate::markdown::to_html(&md)?
            } else if let Some(t) = pick_text(map, "body_text", &["body_text", "text"])? {
                trendwatch_core::sanitize::paragraphs_to_html(t.split("\n\n"))
            } else {
                String::new()
            }
        }
    };
    Ok(d)
}
