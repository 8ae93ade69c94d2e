//! `trendwatch eval`: quality of the text analysis measured on labelled corpora that nobody
//! on the team wrote (`../shared/corpora/`), read by path and never copied into the project.
//!
//! Accepted formats, told apart by file name and content:
//! - MStream JSON lines: `{"Id", "clusterNo", "textCleaned"}` (GoogleNews stories);
//! - `label<TAB>text` TSV (Rakib's GoogleNews-T/S/TS);
//! - BBC JSON lines: `{"id", "category", "title", "text"}`;
//! - Reuters-21578 JSON lines: `{"newid", "topics", "title", "body", "date"}` (first topic);
//! - RIA JSON lines: `{"id", "topic", "title", "text", "datetime"}`, `datetime` as
//!   `09:20 20.10.2023` (RIA's sections as labels);
//! - the generic JSON lines `{"id", "title", "text", "label", "lang", "time"}` (title, lang and
//!   time optional; `time` as `YYYY-MM-DD…`).

use anyhow::{bail, Context};
use serde::Serialize;
use serde_json::Value;
use std::path::Path;
use std::time::Instant;
use trendwatch_core::clustering_metrics::{score, ClusterScores};
use trendwatch_core::threading::{Threader, ThreadingConfig};

/// One labelled item.
#[derive(Debug, Clone)]
pub struct Item {
    /// Headline (may be empty).
    pub title: String,
    /// Text.
    pub text: String,
    /// Gold label (the first, when the corpus gives several).
    pub label: String,
    /// Every gold label (Reuters documents can have several topics).
    pub labels: Vec<String>,
    /// Days since 1970-01-01, when the corpus has times.
    pub day: Option<i64>,
}

fn day_of(s: &str) -> Option<i64> {
    let d = trendwatch_import::dates::parse_datetime(s).or_else(|| {
        // RIA's "09:20 20.10.2023": the date after the time, day first.
        let date = s.split_whitespace().last()?;
        let mut p = date.split('.').map(|x| x.parse::<i32>().ok());
        let (d, m, y) = (p.next()??, p.next()??, p.next()??);
        let month = time::Month::try_from(u8::try_from(m).ok()?).ok()?;
        let date = time::Date::from_calendar_date(y, month, u8::try_from(d).ok()?).ok()?;
        Some(time::PrimitiveDateTime::new(date, time::Time::MIDNIGHT))
    })?;
    Some(
        (d.date() - time::Date::from_calendar_date(1970, time::Month::January, 1).ok()?)
            .whole_days(),
    )
}

fn text_of(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        _ => String::new(),
    }
}

/// Reads a corpus in any of the accepted formats, in file order.
pub fn load(path: &Path) -> anyhow::Result<Vec<Item>> {
    let data =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let mut items = Vec::new();
    for (n, line) in data.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        let at = || format!("{}:{}", path.display(), n + 1);
        if line.starts_with('{') {
            let v: Value =
                serde_json::from_str(line).with_context(|| format!("{}: invalid JSON", at()))?;
            let item = if let Some(c) = v.get("clusterNo") {
                Item {
                    title: String::new(),
                    text: text_of(&v["textCleaned"]),
                    label: text_of(c),
                    labels: vec![text_of(c)],
                    day: None,
                }
            } else if let Some(topics) = v.get("topics").and_then(Value::as_array) {
                let Some(first) = topics.first() else {
                    continue;
                };
                Item {
                    title: text_of(&v["title"]),
                    text: text_of(&v["body"]),
                    label: text_of(first),
                    labels: topics.iter().map(text_of).collect(),
                    day: v.get("date").map(text_of).and_then(|d| day_of(&d)),
                }
            } else if let (Some(t), Some(_), Some(_)) =
                (v.get("topic"), v.get("text"), v.get("datetime"))
            {
                Item {
                    title: text_of(&v["title"]),
                    text: text_of(&v["text"]),
                    label: text_of(t),
                    labels: vec![text_of(t)],
                    day: v.get("datetime").map(text_of).and_then(|d| day_of(&d)),
                }
            } else if let Some(c) = v.get("category") {
                Item {
                    title: text_of(&v["title"]),
                    text: text_of(&v["text"]),
                    label: text_of(c),
                    labels: vec![text_of(c)],
                    day: None,
                }
            } else if let Some(l) = v.get("label") {
                Item {
                    title: v.get("title").map(text_of).unwrap_or_default(),
                    text: text_of(&v["text"]),
                    label: text_of(l),
                    labels: vec![text_of(l)],
                    day: v.get("time").map(text_of).and_then(|d| day_of(&d)),
                }
            } else {
                bail!(
                    "{}: expected a labelled item (clusterNo, topics, category or label)",
                    at()
                );
            };
            items.push(item);
        } else if let Some((label, text)) = line.split_once('\t') {
            items.push(Item {
                title: String::new(),
                text: text.to_string(),
                label: label.to_string(),
                labels: vec![label.to_string()],
                day: None,
            });
        } else {
            bail!("{}: expected JSON lines or label<TAB>text", at());
        }
    }
    if items.is_empty() {
        bail!("{}: no labelled items", path.display());
    }
    Ok(items)
}

/// What `eval threads` prints.
#[derive(Debug, Serialize)]
pub struct ThreadsReport {
    /// The corpus file.
    pub corpus: String,
    /// Scores against the gold labels.
    #[serde(flatten)]
    pub scores: ClusterScores,
    /// Documents threaded per second (one pass, one core).
    pub docs_per_second: f64,
    /// Articles in the largest storyline.
    pub largest_storyline: usize,
    /// The largest storyline's share of all articles.
    pub largest_share: f64,
    /// What the largest storyline holds, to read rather than score (is it one story, or a
    /// catch-all?): its five most frequent gold labels with their counts…
    pub largest_labels: Vec<(String, usize)>,
    /// …and its first ten headlines.
    pub largest_titles: Vec<String>,
    /// Share of the storylines that hold a single article.
    pub single_article_storylines: f64,
    /// Share of the articles that are in a storyline of two or more.
    pub articles_in_multi: f64,
    /// The configuration used.
    pub config: ThreadingConfig,
}

/// Threads the corpus in file order (or by time when every item has one) and scores it.
pub fn threads(path: &Path, config: &ThreadingConfig) -> anyhow::Result<ThreadsReport> {
    let mut items = load(path)?;
    if items.iter().all(|i| i.day.is_some()) {
        items.sort_by_key(|i| i.day);
    }
    let started = Instant::now();
    let mut threader = Threader::new(config.clone());
    let assigned: Vec<usize> = items
        .iter()
        .map(|i| threader.add(&i.title, &i.text, i.day).storyline)
        .collect();
    // Storylines merged later in the stream take their members along.
    let predicted: Vec<usize> = assigned.iter().map(|&s| threader.resolve(s)).collect();
    let secs = started.elapsed().as_secs_f64();
    let gold: Vec<&str> = items.iter().map(|i| i.label.as_str()).collect();
    let mut sizes: std::collections::HashMap<usize, usize> = std::collections::HashMap::new();
    for &s in &predicted {
        *sizes.entry(s).or_insert(0) += 1;
    }
    let n = items.len().max(1) as f64;
    let largest = sizes.values().copied().max().unwrap_or(0);
    // The largest storyline (the lowest number among equals, so the choice is stable).
    let biggest = sizes
        .iter()
        .filter(|(_, &c)| c == largest)
        .map(|(&s, _)| s)
        .min();
    let members: Vec<&Item> = items
        .iter()
        .zip(&predicted)
        .filter(|(_, &s)| Some(s) == biggest)
        .map(|(i, _)| i)
        .collect();
    let mut labels: std::collections::HashMap<&str, usize> = std::collections::HashMap::new();
    for m in &members {
        *labels.entry(m.label.as_str()).or_insert(0) += 1;
    }
    let mut largest_labels: Vec<(String, usize)> = labels
        .into_iter()
        .map(|(l, c)| (l.to_string(), c))
        .collect();
    largest_labels.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    largest_labels.truncate(5);
    let largest_titles: Vec<String> = members.iter().take(10).map(|m| m.title.clone()).collect();
    let singles = sizes.values().filter(|&&c| c == 1).count();
    Ok(ThreadsReport {
        corpus: path.display().to_string(),
        scores: score(&predicted, &gold),
        docs_per_second: items.len() as f64 / secs.max(1e-9),
        largest_storyline: largest,
        largest_share: largest as f64 / n,
        largest_labels,
        largest_titles,
        single_article_storylines: singles as f64 / sizes.len().max(1) as f64,
        articles_in_multi: (items.len() - singles) as f64 / n,
        config: config.clone(),
    })
}

impl std::fmt::Display for ThreadsReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let s = &self.scores;
        writeln!(f, "corpus            {}", self.corpus)?;
        writeln!(f, "items             {}", s.items)?;
        writeln!(f, "gold stories      {}", s.classes)?;
        writeln!(f, "storylines        {}", s.clusters)?;
        writeln!(f, "NMI               {:.4}", s.nmi)?;
        writeln!(
            f,
            "pairwise P/R/F1   {:.4} / {:.4} / {:.4}",
            s.pairwise_precision, s.pairwise_recall, s.pairwise_f1
        )?;
        writeln!(f, "B-cubed F1        {:.4}", s.bcubed_f1)?;
        writeln!(
            f,
            "largest           {} articles ({:.1}% of all)",
            self.largest_storyline,
            self.largest_share * 100.0
        )?;
        let labels: Vec<String> = self
            .largest_labels
            .iter()
            .map(|(l, c)| format!("{l} ({c})"))
            .collect();
        writeln!(f, "largest's labels  {}", labels.join(", "))?;
        for t in &self.largest_titles {
            writeln!(f, "  {t}")?;
        }
        writeln!(
            f,
            "single-article    {:.1}% of storylines; {:.1}% of articles in storylines of 2+",
            self.single_article_storylines * 100.0,
            self.articles_in_multi * 100.0
        )?;
        write!(f, "documents/s       {:.0}", self.docs_per_second)
    }
}
