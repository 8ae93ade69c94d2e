//! Topics: the fixed set of subjects on which analysts comment every week. They are part of the
//! site configuration; the defaults are the five topics of the reference monitor.

use crate::language::Language;
use serde::{Deserialize, Serialize};

/// One topic, with its URL slug, names in each language and the spellings importers accept.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Topic {
    /// Stable identifier, used in URLs and in the database (`security`).
    pub slug: String,
    /// English name ("Security").
    pub name_en: String,
    /// Russian name ("Безопасность").
    pub name_ru: String,
    /// Other names importers recognise, e.g. the headings used by an older site.
    #[serde(default)]
    pub aliases: Vec<String>,
}

impl Topic {
    /// The name shown to readers of `lang`.
    pub fn name(&self, lang: Language) -> &str {
        match lang {
            Language::En => &self.name_en,
            Language::Ru => &self.name_ru,
        }
    }

    fn new(slug: &str, en: &str, ru: &str, aliases: &[&str]) -> Topic {
        Topic {
            slug: slug.into(),
            name_en: en.into(),
            name_ru: ru.into(),
            aliases: aliases.iter().map(|a| a.to_string()).collect(),
        }
    }
}

/// The ordered set of topics of one site.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Topics(pub Vec<Topic>);

impl Default for Topics {
    /// The five topics of the reference monitor. The two bilateral topics are named after the
    /// relationship rather than a country so the same defaults serve the fictional sample
    /// archive; the reference site's own headings are kept as aliases for importing it.
    fn default() -> Self {
        Topics(vec![
            Topic::new(
                "ruling-elite",
                "The ruling elite",
                "Правящая элита",
                &["Ruling elite", "Elite", "Правящая элита"],
            ),
            Topic::new(
                "society",
                "Society and political parties",
                "Общество и политические партии",
                &["Society", "Political parties", "Общество"],
            ),
            Topic::new("security", "Security", "Безопасность", &["Безопасность"]),
            Topic::new(
                "west",
                "Relations with the West",
                "Отношения с Западом",
                &[
                    "Belarus-West relations",
                    "Belarus – West relations",
                    "Belarus–West relations",
                    "Беларусь – Запад",
                    "Беларусь-Запад",
                ],
            ),
            Topic::new(
                "east",
                "Relations with the East",
                "Отношения с Востоком",
                &[
                    "Belarus-Russia relations",
                    "Belarus – Russia relations",
                    "Belarus–Russia relations",
                    "Беларусь – Россия",
                    "Беларусь-Россия",
                ],
            ),
        ])
    }
}

fn normalise(name: &str) -> String {
    name.chars()
        .map(|c| match c {
            '–' | '—' | '-' => ' ',
            c => c,
        })
        .collect::<String>()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

impl Topics {
    /// Finds a topic by slug, by its name in any language or by an alias, ignoring case,
    /// dashes and spacing.
    pub fn find(&self, name: &str) -> Option<&Topic> {
        let wanted = normalise(name);
        if wanted.is_empty() {
            return None;
        }
        self.0.iter().find(|t| {
            t.slug == name.trim()
                || normalise(&t.slug) == wanted
                || normalise(&t.name_en) == wanted
                || normalise(&t.name_ru) == wanted
                || t.aliases.iter().any(|a| normalise(a) == wanted)
        })
    }

    /// Finds a topic by its slug only.
    pub fn by_slug(&self, slug: &str) -> Option<&Topic> {
        self.0.iter().find(|t| t.slug == slug)
    }

    /// Iterates over the topics in display order.
    pub fn iter(&self) -> impl Iterator<Item = &Topic> {
        self.0.iter()
    }

    /// The slugs of every topic, for error messages that list what was expected.
    pub fn slugs(&self) -> String {
        self.0
            .iter()
            .map(|t| t.slug.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_by_name_alias_and_slug() {
        let topics = Topics::default();
        assert_eq!(
            topics.find("Security").map(|t| t.slug.as_str()),
            Some("security")
        );
        assert_eq!(
            topics.find("security").map(|t| t.slug.as_str()),
            Some("security")
        );
        assert_eq!(
            topics
                .find("Belarus - Russia   relations")
                .map(|t| t.slug.as_str()),
            Some("east")
        );
        assert_eq!(
            topics.find("Безопасность").map(|t| t.slug.as_str()),
            Some("security")
        );
        assert!(topics.find("Sports").is_none());
        assert!(topics.find("").is_none());
    }
}
