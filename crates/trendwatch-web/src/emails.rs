//! What Trendwatch's e-mails say: the weekly digest (text and HTML, from the same commentaries
//! as the weekly overview page), subscription confirmations, and the desk's invitations and
//! password resets. Templates in `templates/email_*`; every link is absolute, from the site's
//! public address. Sending is the service's ([`trendwatch_service::mailer`]).

use crate::i18n::{newsletter_strings, NewsletterStrings};
use crate::public_address::PublicAddress;
use crate::views::{article_url, week_url};
use crate::SiteConfig;
use askama::Template;
use std::sync::Arc;
use trendwatch_core::newsletter::Subscriber;
use trendwatch_core::{Alert, Language};
use trendwatch_service::mailer::Email;
use trendwatch_service::newsletter::{DigestIssue, Letters, ReaderLinks};

/// One commentary in a digest.
struct DigestItem {
    topic: String,
    symbol: &'static str,
    status: &'static str,
    alert: Option<&'static str>,
    title: String,
    lead: String,
    url: String,
}

#[derive(Template)]
#[template(path = "email_digest.html")]
struct DigestHtml<'a> {
    lang: &'static str,
    subject: &'a str,
    site_name: &'a str,
    heading: &'a str,
    items: &'a [DigestItem],
    week_url: &'a str,
    preferences_url: &'a str,
    unsubscribe_url: &'a str,
    w: &'static NewsletterStrings,
}

#[derive(Template)]
#[template(path = "email_digest.txt")]
struct DigestText<'a> {
    site_name: &'a str,
    heading: &'a str,
    items: &'a [DigestItem],
    week_url: &'a str,
    preferences_url: &'a str,
    unsubscribe_url: &'a str,
    w: &'static NewsletterStrings,
}

/// A short message with one link to act on.
#[derive(Template)]
#[template(path = "email_note.txt")]
struct Note<'a> {
    greeting: &'a str,
    body: &'a str,
    action: &'a str,
    url: &'a str,
    extra: Option<&'a str>,
    site_name: &'a str,
}

/// The site's [`Letters`]: its names, topics and public address.
pub struct SiteLetters {
    site: Arc<SiteConfig>,
    public: Arc<PublicAddress>,
}

impl SiteLetters {
    /// Letters of `site`, linking to `public`.
    pub fn new(site: Arc<SiteConfig>, public: Arc<PublicAddress>) -> SiteLetters {
        SiteLetters { site, public }
    }

    fn page(&self, lang: Language, page: &str, token: &str) -> String {
        self.public
            .absolute(&crate::views::newsletter_url(lang, page, token))
    }

    fn note(&self, to: &str, subject: String, note: &Note<'_>) -> Email {
        Email {
            to: to.to_string(),
            subject,
            // A template of plain strings cannot fail to render.
            text: note.render().unwrap_or_default(),
            html: None,
            unsubscribe: None,
        }
    }

    /// The invitation to join the desk, with its one-time link.
    pub fn invitation(&self, to: &str, link: &str, role: &str, expires: &str) -> Email {
        let site_name = self.site.name(Language::En);
        let body = format!(
            "You are invited to write for {site_name} as {role}. The link below lets you choose \
             your name and password; it works once, until {expires}."
        );
        self.note(
            to,
            format!("Your invitation to the {site_name} desk"),
            &Note {
                greeting: "Hello,",
                body: &body,
                action: "Join the desk",
                url: link,
                extra: Some("If you did not expect this message, you can ignore it."),
                site_name,
            },
        )
    }

    /// The password reset link of a desk account.
    pub fn password_reset(&self, to: &str, link: &str, minutes: i64) -> Email {
        let site_name = self.site.name(Language::En);
        let body = format!(
            "Someone (we hope you) asked to choose a new password for your account on the \
             {site_name} desk. The link below works once, for {minutes} minutes."
        );
        self.note(
            to,
            format!("Choose a new password for the {site_name} desk"),
            &Note {
                greeting: "Hello,",
                body: &body,
                action: "Choose a new password",
                url: link,
                extra: Some(
                    "If you did not ask for it, ignore this message: your password stays as it is.",
                ),
                site_name,
            },
        )
    }
}

impl Letters for SiteLetters {
    fn confirmation(&self, reader: &Subscriber, links: &ReaderLinks) -> Email {
        let lang = reader.language;
        let w = newsletter_strings(lang);
        let site_name = self.site.name(lang);
        let url = links.confirm.as_deref().map_or_else(
            || self.page(lang, "preferences", &links.manage),
            |t| self.page(lang, "confirm", t),
        );
        self.note(
            &reader.email,
            format!("{}: {}", site_name, w.confirm_subject),
            &Note {
                greeting: w.greeting,
                body: w.confirm_body,
                action: w.confirm_button,
                url: &url,
                extra: Some(w.not_you),
                site_name,
            },
        )
    }

    fn already_subscribed(&self, reader: &Subscriber, links: &ReaderLinks) -> Email {
        let lang = reader.language;
        let w = newsletter_strings(lang);
        let site_name = self.site.name(lang);
        let url = self.page(lang, "preferences", &links.manage);
        self.note(
            &reader.email,
            format!("{}: {}", site_name, w.already_subject),
            &Note {
                greeting: w.greeting,
                body: w.already_body,
                action: w.preferences,
                url: &url,
                extra: Some(w.not_you),
                site_name,
            },
        )
    }

    fn digest(
        &self,
        issue: &DigestIssue,
        reader: &Subscriber,
        links: &ReaderLinks,
    ) -> Option<Email> {
        let lang = issue.language;
        let mut articles = issue.for_reader(reader);
        if articles.is_empty() {
            return None;
        }
        // In the order of the site's topics, as on the weekly overview page.
        let place = |slug: &str| self.site.topics.iter().position(|t| t.slug == slug);
        articles.sort_by_key(|a| place(&a.topic).unwrap_or(usize::MAX));
        let w = newsletter_strings(lang);
        let site_name = self.site.name(lang);
        let items: Vec<DigestItem> = articles
            .iter()
            .map(|a| DigestItem {
                topic: self
                    .site
                    .topics
                    .by_slug(&a.topic)
                    .map_or_else(|| a.topic.clone(), |t| t.name(lang).to_string()),
                symbol: a.status.symbol(),
                status: a.status.label(lang),
                alert: (a.alert != Alert::None).then(|| a.alert.label(lang)),
                title: a.title.clone(),
                lead: a.lead.clone(),
                url: self.public.absolute(&article_url(lang, &a.slug)),
            })
            .collect();
        let heading = format!("{} {}", w.week_of, issue.period.label(lang));
        let subject = format!("{site_name}: {heading}");
        let week = self.public.absolute(&week_url(lang, issue.period));
        let preferences = self.page(lang, "preferences", &links.manage);
        let unsubscribe = self.page(lang, "unsubscribe", &links.manage);
        let html = DigestHtml {
            lang: lang.code(),
            subject: &subject,
            site_name,
            heading: &heading,
            items: &items,
            week_url: &week,
            preferences_url: &preferences,
            unsubscribe_url: &unsubscribe,
            w,
        };
        let text = DigestText {
            site_name,
            heading: &heading,
            items: &items,
            week_url: &week,
            preferences_url: &preferences,
            unsubscribe_url: &unsubscribe,
            w,
        };
        let (text, html) = (text.render().ok()?, html.render().ok()?);
        Some(Email {
            to: reader.email.clone(),
            subject,
            text,
            html: Some(html),
            unsubscribe: Some(unsubscribe),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;
    use trendwatch_core::article::{ArticleKind, ArticleSummary};
    use trendwatch_core::newsletter::SubscriberState;
    use trendwatch_core::{Period, Status};

    fn letters() -> SiteLetters {
        let site = SiteConfig {
            name_en: "Arvenia Monitor (sample data)".into(),
            base_url: "https://monitor.example".into(),
            ..SiteConfig::default()
        };
        let public = PublicAddress::of_site(&site, "http://localhost").expect("address");
        SiteLetters::new(Arc::new(site), Arc::new(public))
    }

    fn summary(topic: &str, title: &str, status: Status, alert: Alert) -> ArticleSummary {
        ArticleSummary {
            id: 1,
            lang: Language::En,
            kind: ArticleKind::Weekly,
            slug: format!("{topic}-w47"),
            topic: topic.into(),
            title: title.into(),
            lead: format!("What happened in {topic} & why it matters."),
            published_at: datetime!(2026-11-23 10:21),
            period: Period::new(2026, 47).expect("week"),
            status,
            alert,
            image_credit: None,
            translation_group: None,
        }
    }

    fn reader(topics: &[&str]) -> Subscriber {
        Subscriber {
            id: 7,
            email: "reader@example.org".into(),
            language: Language::En,
            topics: topics.iter().map(|t| t.to_string()).collect(),
            state: SubscriberState::Confirmed,
            created_at: time::OffsetDateTime::UNIX_EPOCH,
        }
    }

    fn issue() -> DigestIssue {
        DigestIssue {
            period: Period::new(2026, 47).expect("week"),
            language: Language::En,
            // Out of the site's topic order on purpose, and with markup in a headline.
            articles: vec![
                summary(
                    "society",
                    "Budget <script>alert(1)</script> passes",
                    Status::Worsened,
                    Alert::Risk,
                ),
                summary(
                    "security",
                    "Border talks resume",
                    Status::Improved,
                    Alert::None,
                ),
            ],
        }
    }

    fn links() -> ReaderLinks {
        ReaderLinks {
            manage: "7.0.00112233445566778899aabbccddeeff".into(),
            confirm: None,
        }
    }

    #[test]
    fn the_digest_in_text_and_html() {
        let email = letters()
            .digest(&issue(), &reader(&[]), &links())
            .expect("a digest");
        assert_eq!(
            email.unsubscribe.as_deref(),
            Some("https://monitor.example/en/newsletter/unsubscribe?t=7.0.00112233445566778899aabbccddeeff")
        );
        insta::assert_snapshot!("digest_subject", email.subject);
        insta::assert_snapshot!("digest_text", email.text);
        insta::assert_snapshot!("digest_html", email.html.expect("html"));
    }

    #[test]
    fn c2_markup_in_a_headline_is_escaped_in_the_html_digest() {
        let html = letters()
            .digest(&issue(), &reader(&[]), &links())
            .and_then(|e| e.html)
            .expect("html");
        assert!(!html.contains("<script>"));
        assert!(html.contains("&#60;script&#62;") || html.contains("&lt;script&gt;"));
    }

    #[test]
    fn a_reader_gets_the_chosen_topics_only_and_nothing_when_none_has_a_commentary() {
        let l = letters();
        let one = l
            .digest(&issue(), &reader(&["security"]), &links())
            .expect("a digest");
        assert!(one.text.contains("Border talks resume") && !one.text.contains("Budget"));
        assert!(l
            .digest(&issue(), &reader(&["politics"]), &links())
            .is_none());
    }
}
