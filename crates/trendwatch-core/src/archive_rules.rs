//! The rules of the archive that every storage backend applies in the same way: one weekly
//! commentary per topic, week and language; one article per translation group and language;
//! one slug per article and language, dated when a headline repeats.
//!
//! A backend looks up what the archive already holds ([`Neighbours`], and whether a slug is
//! taken for [`slug`]) inside the transaction that writes the article; the decision is made
//! here, so a second backend cannot drift from the first.

use crate::article::NewArticle;
use crate::{Language, Period};

/// Why one article was not written. The rest of its batch is unaffected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WriteError {
    /// Another weekly commentary already covers this topic, week and language.
    #[error(
        "duplicate week: {topic} {period} ({lang}) already has \"{existing_title}\" (key {existing_key}); \
         \"{title}\" (key {key}) would be a second commentary for the same week"
    )]
    DuplicateWeek {
        /// Topic slug.
        topic: String,
        /// The contested week.
        period: Period,
        /// Language.
        lang: Language,
        /// Headline of the article already stored.
        existing_title: String,
        /// Key of the article already stored.
        existing_key: String,
        /// Headline of the rejected article.
        title: String,
        /// Key of the rejected article.
        key: String,
    },
    /// Another article of the same translation group already exists in this language.
    #[error("translation group {group:?} already has a {lang} article (key {existing_key})")]
    DuplicateTranslation {
        /// Group id.
        group: String,
        /// Language.
        lang: Language,
        /// Key of the article already stored.
        existing_key: String,
    },
    /// The slug (and its dated variant) is taken by other articles.
    #[error("slug {slug:?} is already used by another {lang} article")]
    SlugTaken {
        /// The slug.
        slug: String,
        /// Language.
        lang: Language,
    },
    /// The backend failed while writing this article; nothing of it was kept.
    #[error("{0}")]
    Backend(String),
}

/// What the archive holds that an article being written (`a`) may clash with, all other than
/// `a` itself (an article with the same key is its own earlier version).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Neighbours {
    /// Key and headline of another commentary on the week that `a` claims
    /// ([`claimed_week`]), if any.
    pub week_holder: Option<(String, String)>,
    /// Key of another article of `a`'s translation group in `a`'s language, if any.
    pub translation_holder: Option<String>,
}

/// The topic, week and language that a weekly commentary holds alone; other kinds of article
/// claim none.
pub fn claimed_week(a: &NewArticle) -> Option<(&str, Period, Language)> {
    (a.kind == crate::ArticleKind::Weekly).then_some((a.topic.as_str(), a.period, a.lang))
}

/// Decides whether `a` may be written next to its `neighbours`.
// Rejections are rare and not on a hot path, so the large, flat error is kept for easy matching.
#[allow(clippy::result_large_err)]
pub fn check(a: &NewArticle, neighbours: Neighbours) -> Result<(), WriteError> {
    if let Some((existing_key, existing_title)) = neighbours.week_holder {
        return Err(WriteError::DuplicateWeek {
            topic: a.topic.clone(),
            period: a.period,
            lang: a.lang,
            existing_title,
            existing_key,
            title: a.title.clone(),
            key: a.key.clone(),
        });
    }
    if let (Some(existing_key), Some(group)) = (neighbours.translation_holder, &a.translation_group)
    {
        return Err(WriteError::DuplicateTranslation {
            group: group.clone(),
            lang: a.lang,
            existing_key,
        });
    }
    Ok(())
}

/// The slug `a` is stored under: its headline's slug, or, when another article of its
/// language already has that (weekly "No change" headlines repeat), the slug with the
/// publication date appended. `taken` answers whether another article of `a`'s language uses
/// a slug; a backend error passes through.
#[allow(clippy::result_large_err)]
pub fn slug<E>(
    a: &NewArticle,
    mut taken: impl FnMut(&str) -> Result<bool, E>,
) -> Result<Result<String, WriteError>, E> {
    if !taken(&a.slug)? {
        return Ok(Ok(a.slug.clone()));
    }
    let dated = format!("{}-{}", a.slug, a.published_at.date());
    if !taken(&dated)? {
        return Ok(Ok(dated));
    }
    Ok(Err(WriteError::SlugTaken {
        slug: a.slug.clone(),
        lang: a.lang,
    }))
}

/// Whether what the archive holds for `later` ([`Neighbours`], the slugs [`slug`] asks
/// about) may differ once `earlier` is written before it in the same batch. A backend that
/// looks up a whole batch's neighbours in one read must look again for such an article.
///
/// Conservative: it compares every field the lookups use, so "no" is certain and "yes" only
/// possible. A rewrite (`earlier_is_rewrite`) may also give up the week, group or slug its
/// older version held, so it counts for every later article of its language.
pub fn may_depend_on(later: &NewArticle, earlier: &NewArticle, earlier_is_rewrite: bool) -> bool {
    if later.key == earlier.key {
        return true;
    }
    if later.lang != earlier.lang {
        return false;
    }
    let later_dated = format!("{}-{}", later.slug, later.published_at.date());
    let earlier_dated = format!("{}-{}", earlier.slug, earlier.published_at.date());
    earlier_is_rewrite
        || (later.topic == earlier.topic && later.period == earlier.period)
        || (later.translation_group.is_some()
            && later.translation_group == earlier.translation_group)
        || [&earlier.slug, &earlier_dated].contains(&&later.slug)
        || [&earlier.slug, &earlier_dated].contains(&&later_dated)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{ArticleDraft, Topics};
    use time::macros::datetime;

    fn article(kind: crate::ArticleKind) -> NewArticle {
        let mut a = ArticleDraft {
            key: Some("k".into()),
            lang: Some(Language::En),
            topic: Some("security".into()),
            title: "No change".into(),
            body_html: "<p>Text.</p>".into(),
            published_at: Some(datetime!(2026-10-19 11:00)),
            translation_group: Some("g".into()),
            ..ArticleDraft::default()
        }
        .prepare(&Topics::default())
        .expect("valid draft");
        a.kind = kind;
        a
    }

    #[test]
    fn a_batch_neighbour_matters_only_where_the_lookups_could_see_it() {
        let first = article(crate::ArticleKind::Weekly);
        let mut other = article(crate::ArticleKind::Weekly);
        other.key = "other".into();
        other.translation_group = None;
        other.slug = "another-headline".into();
        other.topic = "economy".into();
        assert!(!may_depend_on(&other, &first, false), "nothing shared");
        assert!(
            may_depend_on(&other, &first, true),
            "a rewrite may free what it held"
        );
        let mut other_lang = first.clone();
        other_lang.key = "ru".into();
        other_lang.lang = Language::Ru;
        assert!(!may_depend_on(&other_lang, &first, true), "another edition");
        let same_key = first.clone();
        assert!(may_depend_on(&same_key, &first, false));
        let mut same_week = other.clone();
        same_week.topic = first.topic.clone();
        assert!(may_depend_on(&same_week, &first, false));
        let mut same_group = other.clone();
        same_group.translation_group = first.translation_group.clone();
        assert!(may_depend_on(&same_group, &first, false));
        let mut same_slug = other.clone();
        same_slug.slug = first.slug.clone();
        assert!(may_depend_on(&same_slug, &first, false));
        // The earlier article took the dated slug the later one would fall back to.
        let mut dated = other.clone();
        dated.published_at = first.published_at;
        dated.slug = first.slug.clone();
        let mut earlier = first.clone();
        earlier.slug = format!("{}-{}", first.slug, first.published_at.date());
        assert!(may_depend_on(&dated, &earlier, false));
    }

    #[test]
    fn only_weekly_commentaries_claim_their_week() {
        let weekly = article(crate::ArticleKind::Weekly);
        assert_eq!(
            claimed_week(&weekly),
            Some(("security", weekly.period, Language::En))
        );
        assert_eq!(claimed_week(&article(crate::ArticleKind::Other)), None);
    }

    #[test]
    fn a_taken_week_is_refused_before_a_taken_translation() {
        let a = article(crate::ArticleKind::Weekly);
        let both = Neighbours {
            week_holder: Some(("w".into(), "Earlier".into())),
            translation_holder: Some("t".into()),
        };
        assert!(matches!(
            check(&a, both),
            Err(WriteError::DuplicateWeek { existing_key, .. }) if existing_key == "w"
        ));
        let translation = Neighbours {
            translation_holder: Some("t".into()),
            ..Neighbours::default()
        };
        assert!(matches!(
            check(&a, translation),
            Err(WriteError::DuplicateTranslation { existing_key, .. }) if existing_key == "t"
        ));
        assert_eq!(check(&a, Neighbours::default()), Ok(()));
    }

    #[test]
    fn a_repeated_headline_gets_the_date_and_then_gives_up() {
        let a = article(crate::ArticleKind::Weekly);
        let free = slug::<()>(&a, |_| Ok(false));
        assert_eq!(free, Ok(Ok("no-change".to_string())));
        let dated = slug::<()>(&a, |s| Ok(s == "no-change"));
        assert_eq!(dated, Ok(Ok("no-change-2026-10-19".to_string())));
        let none = slug::<()>(&a, |_| Ok(true));
        assert!(matches!(none, Ok(Err(WriteError::SlugTaken { .. }))));
        assert_eq!(slug(&a, |_| Err("disk")), Err("disk"));
    }
}
