//! WordPress exports (WXR, "WordPress eXtended RSS", from Tools → Export): posts with their
//! HTML, categories mapped to topics, tags, authors, featured images with their captions as
//! credits, publication dates, the old addresses (`/2017/08/07/slug/`, `/?p=123`) for
//! permanent redirects, and Polylang's translation links where the export has them.
//!
//! Read with quick-xml, which never expands entities beyond the five of XML and character
//! references; a document type declaration is refused outright (no DTD, no XXE, no billion
//! laughs). Attachments are read for featured images and are not articles themselves; pages,
//! drafts and other kinds of post are reported, each with its line.

use crate::{Context, Parsed};
use quick_xml::events::Event;
use quick_xml::Reader;
use std::collections::HashMap;
use time::macros::format_description;
use time::PrimitiveDateTime;
use trendwatch_core::{ArticleDraft, Language};

/// Whether `head` (the start of a file, lower-cased) is a WordPress export.
pub fn looks_like_wxr(head: &str) -> bool {
    head.contains("<rss") && head.contains("wordpress.org/export/")
}

/// One `<item>` as the export has it.
#[derive(Debug, Default)]
struct Item {
    line: usize,
    title: String,
    link: String,
    content: String,
    excerpt: String,
    creator: String,
    post_id: String,
    post_date: String,
    post_name: String,
    status: String,
    post_type: String,
    attachment_url: String,
    /// (domain, nicename, name) of each `<category>`.
    terms: Vec<(String, String, String)>,
    meta: HashMap<String, String>,
}

/// What the channel says besides its items.
#[derive(Debug, Default)]
struct Channel {
    language: String,
    base_url: String,
    /// Author login → display name.
    authors: HashMap<String, String>,
}

fn line_at(text: &str, pos: u64) -> usize {
    let pos = (pos as usize).min(text.len());
    text.as_bytes()[..pos]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}

/// Parses a WordPress export: one [`Parsed`] per post, page or other entry that is not an
/// attachment.
pub fn parse(text: &str, context: &Context) -> Vec<Parsed> {
    match read(text) {
        Ok((channel, items)) => convert(&channel, items, context),
        Err((line, reason)) => vec![Parsed::err(Some(line), reason)],
    }
}

fn read(text: &str) -> Result<(Channel, Vec<Item>), (usize, String)> {
    let mut reader = Reader::from_str(text);
    let mut path: Vec<String> = Vec::new();
    let mut channel = Channel::default();
    let mut items = Vec::new();
    let mut item: Option<Item> = None;
    let mut buf = String::new();
    let mut author = (String::new(), String::new());
    let mut meta = (String::new(), String::new());
    let mut term: Option<(String, String)> = None;
    loop {
        let at = reader.buffer_position();
        let event = reader.read_event().map_err(|e| {
            (
                line_at(text, reader.error_position()),
                format!("not well-formed XML: {e}"),
            )
        })?;
        match event {
            Event::DocType(_) => return Err((
                line_at(text, at),
                "a document type declaration (<!DOCTYPE …>): refused, a WordPress export has none"
                    .into(),
            )),
            Event::Start(e) => {
                let name = String::from_utf8_lossy(e.name().as_ref()).to_string();
                if name == "item" {
                    item = Some(Item {
                        line: line_at(text, at),
                        ..Item::default()
                    });
                } else if name == "category" {
                    let attr = |key: &str| {
                        e.try_get_attribute(key)
                            .ok()
                            .flatten()
                            .and_then(|a| a.unescape_value().ok().map(|v| v.to_string()))
                            .unwrap_or_default()
                    };
                    term = Some((attr("domain"), attr("nicename")));
                }
                path.push(name);
                buf.clear();
            }
            Event::Text(t) => {
                let s = t
                    .xml10_content()
                    .map_err(|e| (line_at(text, at), e.to_string()))?;
                buf.push_str(&s);
            }
            Event::CData(c) => {
                let s = c.decode().map_err(|e| (line_at(text, at), e.to_string()))?;
                buf.push_str(&s);
            }
            Event::GeneralRef(r) => {
                let name = r.decode().map_err(|e| (line_at(text, at), e.to_string()))?;
                if let Ok(Some(c)) = r.resolve_char_ref() {
                    buf.push(c);
                } else if let Some(s) = quick_xml::escape::resolve_xml_entity(&name) {
                    buf.push_str(s);
                } else {
                    return Err((
                        line_at(text, at),
                        format!("unknown entity &{name}; (only XML's own are read)"),
                    ));
                }
            }
            Event::End(e) => {
                let name = String::from_utf8_lossy(e.name().as_ref()).to_string();
                let value = std::mem::take(&mut buf);
                let parent = path.len().checked_sub(2).map(|i| path[i].as_str());
                match (item.as_mut(), name.as_str()) {
                    (Some(it), "item") => {
                        items.push(std::mem::take(it));
                        item = None;
                    }
                    (Some(it), field) => match field {
                        "title" => it.title = value,
                        "link" => it.link = value,
                        "content:encoded" => it.content = value,
                        "excerpt:encoded" => it.excerpt = value,
                        "dc:creator" => it.creator = value,
                        "wp:post_id" => it.post_id = value,
                        "wp:post_date" => it.post_date = value,
                        "wp:post_name" => it.post_name = value,
                        "wp:status" => it.status = value,
                        "wp:post_type" => it.post_type = value,
                        "wp:attachment_url" => it.attachment_url = value,
                        "wp:meta_key" => meta.0 = value,
                        "wp:meta_value" => meta.1 = value,
                        "wp:postmeta" => {
                            let (k, v) = std::mem::take(&mut meta);
                            it.meta.insert(k, v);
                        }
                        "category" => {
                            if let Some((domain, nicename)) = term.take() {
                                it.terms.push((domain, nicename, value));
                            }
                        }
                        _ => {}
                    },
                    (None, "language") if parent == Some("channel") => channel.language = value,
                    (None, "wp:base_site_url") => channel.base_url = value,
                    (None, "wp:author_login") => author.0 = value,
                    (None, "wp:author_display_name") => author.1 = value,
                    (None, "wp:author") => {
                        let (login, name) = std::mem::take(&mut author);
                        channel.authors.insert(login, name);
                    }
                    _ => {}
                }
                path.pop();
            }
            Event::Eof => break,
            _ => {}
        }
    }
    if items.is_empty() && channel.base_url.is_empty() {
        return Err((1, "no WordPress channel found in this export".into()));
    }
    Ok((channel, items))
}

const WP_DATE: &[time::format_description::BorrowedFormatItem<'static>] =
    format_description!("[year]-[month]-[day] [hour]:[minute]:[second]");

/// The path of an address of the old site (`https://host/2017/08/07/slug/` → that path),
/// when it is on the site's own host.
fn path_of(url: &str, base: &str) -> Option<String> {
    let rest = url.strip_prefix(base.trim_end_matches('/')).or_else(|| {
        url.split_once("://")
            .and_then(|(_, r)| r.find('/').map(|i| &r[i..]))
    })?;
    let path = if rest.is_empty() { "/" } else { rest };
    path.starts_with('/').then(|| path.to_string())
}

fn convert(channel: &Channel, items: Vec<Item>, context: &Context) -> Vec<Parsed> {
    let attachments: HashMap<&str, &Item> = items
        .iter()
        .filter(|i| i.post_type == "attachment")
        .map(|i| (i.post_id.as_str(), i))
        .collect();
    let site_lang = channel
        .language
        .split(['-', '_'])
        .next()
        .and_then(|l| l.to_ascii_lowercase().parse::<Language>().ok());
    let mut out = Vec::new();
    for item in items.iter().filter(|i| i.post_type != "attachment") {
        let line = Some(item.line);
        let what = format!(
            "WordPress {} {} ({:?})",
            item.post_type, item.post_id, item.title
        );
        if item.post_type != "post" {
            out.push(Parsed::err(
                line,
                format!("{what}: only posts are imported, not {}s", item.post_type),
            ));
            continue;
        }
        // Drafts and posts waiting for review become drafts in the desk (the importer decides
        // who owns them); other states (private, scheduled, trashed) are not brought in.
        let unpublished = matches!(item.status.as_str(), "draft" | "pending");
        if item.status != "publish" && !unpublished {
            out.push(Parsed::err(
                line,
                format!(
                    "{what}: its status is {:?}; published posts, drafts and pending posts are imported",
                    item.status
                ),
            ));
            continue;
        }
        let categories: Vec<&(String, String, String)> =
            item.terms.iter().filter(|t| t.0 == "category").collect();
        let topic = categories
            .iter()
            .find_map(|(_, nicename, name)| context.topic_of(name, nicename));
        let Some(topic) = topic else {
            let names: Vec<&str> = categories.iter().map(|c| c.2.as_str()).collect();
            out.push(Parsed::err(
                line,
                format!(
                    "{what}: no category maps to a topic (categories: {}). Map one in \
                     trendwatch.toml under [import.categories], e.g. \"{}\" = \"{}\"; topics: {}",
                    if names.is_empty() {
                        "none".to_string()
                    } else {
                        names.join(", ")
                    },
                    names.first().copied().unwrap_or("Uncategorized"),
                    context
                        .topics
                        .iter()
                        .next()
                        .map_or("security", |t| t.slug.as_str()),
                    context.topics.slugs()
                ),
            ));
            continue;
        };
        let published_at = match PrimitiveDateTime::parse(item.post_date.trim(), WP_DATE) {
            Ok(t) => t,
            Err(_) => {
                out.push(Parsed::err(
                    line,
                    format!(
                        "{what}: wp:post_date {:?} is not a date (expected 2017-08-07 10:21:00)",
                        item.post_date
                    ),
                ));
                continue;
            }
        };
        let term = |domain: &str| {
            item.terms
                .iter()
                .find(|t| t.0 == domain)
                .map(|t| t.1.clone())
        };
        let lang = term("language")
            .and_then(|l| l.parse::<Language>().ok())
            .or(site_lang);
        let image = item
            .meta
            .get("_thumbnail_id")
            .and_then(|id| attachments.get(id.as_str()));
        let mut legacy_paths = vec![format!("/?p={}", item.post_id.trim())];
        if let Some(p) = path_of(&item.link, &channel.base_url) {
            if p != "/" && !legacy_paths.contains(&p) {
                legacy_paths.push(p);
            }
        }
        let draft = ArticleDraft {
            key: Some(format!("wordpress-{}", item.post_id.trim())),
            lang,
            topic: Some(topic),
            title: item.title.clone(),
            lead: Some(item.excerpt.trim().to_string()).filter(|l| !l.is_empty()),
            body_html: item.content.clone(),
            published_at: Some(published_at),
            authors: channel
                .authors
                .get(&item.creator)
                .cloned()
                .or_else(|| Some(item.creator.clone()).filter(|c| !c.is_empty()))
                .into_iter()
                .collect(),
            tags: item
                .terms
                .iter()
                .filter(|t| t.0 == "post_tag")
                .map(|t| t.2.clone())
                .collect(),
            slug: Some(item.post_name.clone()).filter(|s| trendwatch_core::slug::is_slug(s)),
            translation_group: term("post_translations"),
            image_url: image.map(|a| a.attachment_url.clone()),
            image_credit: image
                .map(|a| a.excerpt.trim().to_string())
                .filter(|c| !c.is_empty()),
            image_alt: image
                .and_then(|a| a.meta.get("_wp_attachment_image_alt").cloned())
                .filter(|a| !a.is_empty()),
            legacy_paths,
            unpublished,
            ..ArticleDraft::default()
        };
        out.push(Parsed::ok(line, draft));
    }
    if out.is_empty() {
        out.push(Parsed::err(None, "the export holds no posts"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEAD: &str = r#"<?xml version="1.0" encoding="UTF-8" ?>
<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:wp="http://wordpress.org/export/1.2/" xmlns:excerpt="http://wordpress.org/export/1.2/excerpt/">
<channel><language>en-US</language><wp:base_site_url>https://old.example</wp:base_site_url>
"#;

    fn item(category: &str, status: &str) -> String {
        format!(
            r#"<item><title>Drills &amp; talks</title><link>https://old.example/2017/08/07/drills/</link>
<dc:creator><![CDATA[ana]]></dc:creator><content:encoded><![CDATA[<p>Text.</p>]]></content:encoded>
<excerpt:encoded><![CDATA[]]></excerpt:encoded><wp:post_id>12</wp:post_id>
<wp:post_date><![CDATA[2017-08-07 10:21:00]]></wp:post_date><wp:post_name><![CDATA[drills]]></wp:post_name>
<wp:status><![CDATA[{status}]]></wp:status><wp:post_type><![CDATA[post]]></wp:post_type>
<category domain="category" nicename="x"><![CDATA[{category}]]></category></item>"#
        )
    }

    #[test]
    fn a_post_reads_with_its_topic_entities_and_old_addresses() {
        let text = format!("{HEAD}{}</channel></rss>", item("Security", "publish"));
        assert_eq!(
            crate::detect(&text),
            Some(crate::Format::Wordpress),
            "told from HTML by its namespace"
        );
        let parsed = parse(&text, &Context::default());
        let draft = parsed[0].result.clone().expect("a post");
        assert_eq!(draft.title, "Drills & talks");
        assert_eq!(draft.topic.as_deref(), Some("security"));
        assert_eq!(draft.lang, Some(Language::En));
        assert_eq!(draft.key.as_deref(), Some("wordpress-12"));
        assert_eq!(
            draft.legacy_paths,
            vec!["/?p=12".to_string(), "/2017/08/07/drills/".to_string()]
        );
        assert_eq!(draft.authors, vec!["ana".to_string()]);
    }

    #[test]
    fn f2_a_document_type_declaration_is_refused_at_once() {
        let laughs = format!(
            "<?xml version=\"1.0\"?>\n<!DOCTYPE rss [<!ENTITY a \"aaaaaaaaaa\"><!ENTITY b \"&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;\">]>\n{}",
            &HEAD[HEAD.find("<rss").expect("rss")..]
        ) + &item("&b;", "publish") + "</channel></rss>";
        let started = std::time::Instant::now();
        let parsed = parse(&laughs, &Context::default());
        assert!(started.elapsed() < std::time::Duration::from_secs(1));
        assert_eq!(parsed.len(), 1);
        let err = parsed[0].result.clone().expect_err("refused");
        assert!(err.contains("document type declaration"), "{err}");
        assert_eq!(parsed[0].line, Some(2));
        // An entity that is not XML's own is refused too, without a DTD.
        let text = format!(
            "{HEAD}{}</channel></rss>",
            item("Security", "publish").replace("&amp;", "&unknown;")
        );
        let err = parse(&text, &Context::default())[0]
            .result
            .clone()
            .expect_err("refused");
        assert!(err.contains("unknown entity"), "{err}");
    }

    #[test]
    fn broken_xml_and_unmapped_categories_name_their_line() {
        let cut = format!("{HEAD}{}", &item("Security", "publish")[..200]);
        let parsed = parse(&cut, &Context::default());
        assert!(parsed[0].result.is_err());
        let text = format!("{HEAD}{}</channel></rss>", item("Culture", "publish"));
        let parsed = parse(&text, &Context::default());
        assert_eq!(parsed[0].line, Some(4));
        let mapped = Context {
            categories: [("culture".to_string(), "society".to_string())].into(),
            ..Context::default()
        };
        let draft = parse(&text, &mapped)[0].result.clone().expect("mapped");
        assert_eq!(draft.topic.as_deref(), Some("society"));
    }
}
