//! The weekly digest by e-mail: subscriptions with double opt-in, the signed links every
//! message carries (confirm, preferences, one-click unsubscribe), and sending a week's digest
//! from a queue kept in the store, so that a send that stopped half-way resumes without
//! sending anyone the same digest twice.
//!
//! What the messages say is not decided here: a [`Letters`] (the web crate's, with the site's
//! templates and absolute addresses) writes them.

use crate::mailer::{Email, MailError, Mailer};
use hmac::{Hmac, Mac};
use sha2::Sha256;
use std::sync::Arc;
use std::time::Duration;
use time::OffsetDateTime;
use tokio::sync::OnceCell;
use trendwatch_core::article::ArticleSummary;
use trendwatch_core::newsletter::{
    normalize_email, AddressError, Delivery, DigestSend, SubscribeOutcome, Subscriber,
    SubscriberState, SubscriptionRequest,
};
use trendwatch_core::{Language, Period, Topics};
use trendwatch_store::{JobLock, Store, StoreError};

/// How long a confirmation link works.
pub const CONFIRM_DAYS: i64 = 7;

/// Attempts at one message when the server fails for now (a permanent refusal is not retried).
const ATTEMPTS: u32 = 3;

/// How often a process waiting for a digest send that another process holds looks whether
/// it may take it over: the gap a stopped sender leaves in the pace at most.
const TAKE_OVER_CHECK: Duration = Duration::from_secs(1);

/// Name of the site secret that signs readers' links.
const LINK_SECRET: &str = "newsletter-links";

/// What a signed link lets its holder do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkPurpose {
    /// Confirm a pending subscription (expires after [`CONFIRM_DAYS`]).
    Confirm,
    /// Change preferences or unsubscribe (in every message; does not expire, as an
    /// unsubscribe link in an old digest must keep working).
    Manage,
}

impl LinkPurpose {
    fn code(self) -> &'static str {
        match self {
            LinkPurpose::Confirm => "confirm",
            LinkPurpose::Manage => "manage",
        }
    }
}

/// Why a link was refused. One message for all: a forged link learns nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("this link is not valid or has expired")]
pub struct BadLink;

/// Signs and checks readers' links: `<subscriber>.<expiry>.<HMAC-SHA256, 128 bits, hex>`
/// over the purpose, the subscriber and the expiry (0: none).
#[derive(Clone)]
pub struct LinkKey([u8; 32]);

impl LinkKey {
    /// The key from its 32 secret bytes.
    pub fn new(secret: [u8; 32]) -> LinkKey {
        LinkKey(secret)
    }

    fn mac(&self, purpose: LinkPurpose, subscriber: i64, expires: i64) -> Hmac<Sha256> {
        // A key of any length is accepted by HMAC, so this cannot fail.
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.0)
            .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
        mac.update(format!("{}:{subscriber}:{expires}", purpose.code()).as_bytes());
        mac
    }

    /// The token for `subscriber`, working until `expires` (or for ever).
    pub fn sign(
        &self,
        purpose: LinkPurpose,
        subscriber: i64,
        expires: Option<OffsetDateTime>,
    ) -> String {
        let expires = expires.map_or(0, OffsetDateTime::unix_timestamp);
        let tag = self
            .mac(purpose, subscriber, expires)
            .finalize()
            .into_bytes();
        let hex: String = tag[..16].iter().map(|b| format!("{b:02x}")).collect();
        format!("{subscriber}.{expires}.{hex}")
    }

    /// The subscriber a token was signed for, if it is genuine, for `purpose`, and not
    /// expired at `now`. The comparison takes the same time wherever the tags differ.
    pub fn verify(
        &self,
        purpose: LinkPurpose,
        token: &str,
        now: OffsetDateTime,
    ) -> Result<i64, BadLink> {
        let mut parts = token.split('.');
        let (Some(id), Some(expires), Some(hex), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(BadLink);
        };
        let id: i64 = id.parse().map_err(|_| BadLink)?;
        let expires: i64 = expires.parse().map_err(|_| BadLink)?;
        if hex.len() != 32 {
            return Err(BadLink);
        }
        let tag: Vec<u8> = (0..16)
            .map(|i| u8::from_str_radix(hex.get(2 * i..2 * i + 2).unwrap_or("zz"), 16))
            .collect::<Result<_, _>>()
            .map_err(|_| BadLink)?;
        self.mac(purpose, id, expires)
            .verify_truncated_left(&tag)
            .map_err(|_| BadLink)?;
        if expires != 0 && now.unix_timestamp() > expires {
            return Err(BadLink);
        }
        Ok(id)
    }
}

/// The week's commentaries a digest is made of: the same articles, in the same order, as
/// the weekly overview page of that week and language.
#[derive(Debug, Clone)]
pub struct DigestIssue {
    /// The week.
    pub period: Period,
    /// The edition.
    pub language: Language,
    /// The week's commentaries, as the weekly overview lists them.
    pub articles: Vec<ArticleSummary>,
}

impl DigestIssue {
    /// The commentaries of topics `reader` chose.
    pub fn for_reader<'a>(&'a self, reader: &'a Subscriber) -> Vec<&'a ArticleSummary> {
        self.articles
            .iter()
            .filter(|a| reader.wants(&a.topic))
            .collect()
    }
}

/// The signed links of one reader, as tokens; a [`Letters`] turns them into addresses.
#[derive(Debug, Clone)]
pub struct ReaderLinks {
    /// For the preferences page and the unsubscribe page (and `List-Unsubscribe`).
    pub manage: String,
    /// For confirming a pending subscription.
    pub confirm: Option<String>,
}

/// Writes the messages: subject, text and HTML, with the site's absolute links.
pub trait Letters: Send + Sync {
    /// "Confirm your subscription" to a pending reader.
    fn confirmation(&self, reader: &Subscriber, links: &ReaderLinks) -> Email;
    /// "You are already subscribed" to a confirmed reader who asked again (so the form's
    /// answer never has to say it).
    fn already_subscribed(&self, reader: &Subscriber, links: &ReaderLinks) -> Email;
    /// The digest of `issue` for `reader`; `None` when no topic the reader chose has a
    /// commentary that week.
    fn digest(
        &self,
        issue: &DigestIssue,
        reader: &Subscriber,
        links: &ReaderLinks,
    ) -> Option<Email>;
}

/// Why a subscription request was refused (shown next to the field).
#[derive(Debug, thiserror::Error)]
pub enum SubscribeError {
    /// The address is not one.
    #[error(transparent)]
    Address(#[from] AddressError),
    /// No e-mail is configured: the form is not offered.
    #[error("the newsletter is not available on this site")]
    Off,
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Subscriptions and digest sending of one site.
pub struct Newsletter {
    store: Arc<dyn Store>,
    mailer: Option<Arc<dyn Mailer>>,
    letters: Arc<dyn Letters>,
    topics: Topics,
    pace: Duration,
    key: OnceCell<LinkKey>,
}

impl Newsletter {
    /// The newsletter of `store`, sending through `mailer` (`None`: e-mail is off) at most
    /// one message per `pace`, with messages written by `letters`.
    pub fn new(
        store: Arc<dyn Store>,
        mailer: Option<Arc<dyn Mailer>>,
        letters: Arc<dyn Letters>,
        topics: Topics,
        pace: Duration,
    ) -> Newsletter {
        Newsletter {
            store,
            mailer,
            letters,
            topics,
            pace,
            key: OnceCell::new(),
        }
    }

    /// Whether e-mail is configured (the subscription form is offered only then).
    pub fn enabled(&self) -> bool {
        self.mailer.is_some()
    }

    /// The key that signs readers' links: the store's, made on first use.
    pub async fn key(&self) -> Result<&LinkKey, StoreError> {
        self.key
            .get_or_try_init(|| async {
                let fresh = crate::accounts::random_bytes::<32>();
                Ok(LinkKey::new(
                    self.store.site_secret(LINK_SECRET, fresh).await?,
                ))
            })
            .await
    }

    async fn links(
        &self,
        reader: &Subscriber,
        now: OffsetDateTime,
    ) -> Result<ReaderLinks, StoreError> {
        let key = self.key().await?;
        Ok(ReaderLinks {
            manage: key.sign(LinkPurpose::Manage, reader.id, None),
            confirm: (reader.state == SubscriberState::Pending).then(|| {
                key.sign(
                    LinkPurpose::Confirm,
                    reader.id,
                    Some(now + time::Duration::days(CONFIRM_DAYS)),
                )
            }),
        })
    }

    /// Topic slugs of the site among `chosen` (unknown ones dropped; all chosen means all).
    pub fn known_topics(&self, chosen: &[String]) -> Vec<String> {
        let known: Vec<String> = self
            .topics
            .iter()
            .filter(|t| chosen.iter().any(|c| c == &t.slug))
            .map(|t| t.slug.clone())
            .collect();
        if known.len() == self.topics.iter().count() {
            Vec::new()
        } else {
            known
        }
    }

    /// A reader asks for the digest. The address is recorded and the confirmation (or, for
    /// a reader already confirmed, a note with the preferences link) is sent in the
    /// background, so that the answer takes the same time whatever the address's state and
    /// never says it.
    pub async fn subscribe(
        self: &Arc<Self>,
        typed_email: &str,
        language: Language,
        topics: &[String],
        now: OffsetDateTime,
    ) -> Result<(), SubscribeError> {
        let Some(mailer) = self.mailer.clone() else {
            return Err(SubscribeError::Off);
        };
        let request = SubscriptionRequest {
            email: normalize_email(typed_email)?,
            language,
            topics: self.known_topics(topics),
        };
        let outcome = self.store.subscribe(&request, now).await?;
        let this = self.clone();
        tokio::spawn(async move {
            let id = match outcome {
                SubscribeOutcome::NeedsConfirmation(id)
                | SubscribeOutcome::AlreadyConfirmed(id) => id,
            };
            let email = async {
                let reader = this.store.subscriber(id).await?.ok_or_else(|| {
                    StoreError(format!("subscriber {id} vanished before its confirmation"))
                })?;
                let links = this.links(&reader, now).await?;
                Ok::<_, StoreError>(match outcome {
                    SubscribeOutcome::NeedsConfirmation(_) => {
                        this.letters.confirmation(&reader, &links)
                    }
                    SubscribeOutcome::AlreadyConfirmed(_) => {
                        this.letters.already_subscribed(&reader, &links)
                    }
                })
            };
            match email.await {
                Ok(email) => {
                    if let Err(e) = send_with_retries(mailer.as_ref(), &email).await {
                        tracing::warn!(
                            subscriber = id,
                            error = e.kind(),
                            "newsletter: confirmation not sent"
                        );
                    }
                }
                Err(e) => {
                    tracing::error!(subscriber = id, error = %e, "newsletter: confirmation not written")
                }
            }
        });
        Ok(())
    }

    /// The reader a link names, if the link is genuine and for `purpose`.
    pub async fn reader(
        &self,
        purpose: LinkPurpose,
        token: &str,
        now: OffsetDateTime,
    ) -> Result<Option<Subscriber>, StoreError> {
        let Ok(id) = self.key().await?.verify(purpose, token, now) else {
            return Ok(None);
        };
        self.store.subscriber(id).await
    }

    /// Confirms the subscription a confirmation link names; the reader, or `None` for a
    /// link that is not valid (or a reader who has left since).
    pub async fn confirm(
        &self,
        token: &str,
        now: OffsetDateTime,
    ) -> Result<Option<Subscriber>, StoreError> {
        let Some(reader) = self.reader(LinkPurpose::Confirm, token, now).await? else {
            return Ok(None);
        };
        match reader.state {
            SubscriberState::Pending => {
                self.store.confirm_subscriber(reader.id, now).await?;
                self.store.subscriber(reader.id).await
            }
            SubscriberState::Confirmed => Ok(Some(reader)),
            SubscriberState::Unsubscribed | SubscriberState::Suppressed => Ok(None),
        }
    }

    /// The manage token of `reader` (for the page shown after confirming).
    pub async fn manage_token(&self, reader: &Subscriber) -> Result<String, StoreError> {
        Ok(self.key().await?.sign(LinkPurpose::Manage, reader.id, None))
    }

    /// Changes the preferences of the reader a manage link names.
    pub async fn set_preferences(
        &self,
        token: &str,
        language: Language,
        topics: &[String],
        now: OffsetDateTime,
    ) -> Result<Option<Subscriber>, StoreError> {
        let Some(reader) = self.reader(LinkPurpose::Manage, token, now).await? else {
            return Ok(None);
        };
        let topics = self.known_topics(topics);
        self.store
            .set_subscriber_preferences(reader.id, language, &topics)
            .await?;
        self.store.subscriber(reader.id).await
    }

    /// Ends the subscription a manage link names (also the one-click unsubscribe of RFC
    /// 8058); `false` for a link that is not valid.
    pub async fn unsubscribe(&self, token: &str, now: OffsetDateTime) -> Result<bool, StoreError> {
        let Some(reader) = self.reader(LinkPurpose::Manage, token, now).await? else {
            return Ok(false);
        };
        self.store.unsubscribe(reader.id).await?;
        Ok(true)
    }

    /// The digest of `period` in `language`: the weekly overview's commentaries.
    pub async fn issue(
        &self,
        period: Period,
        language: Language,
    ) -> Result<DigestIssue, StoreError> {
        Ok(DigestIssue {
            period,
            language,
            articles: self.store.week(language, period).await?,
        })
    }

    /// Starts (or finds, if that week was started before) the digest of `period` in
    /// `language`; refused when the week has no published commentary.
    pub async fn start(
        &self,
        period: Period,
        language: Language,
        by: Option<i64>,
        now: OffsetDateTime,
    ) -> Result<DigestSend, DigestError> {
        if self.mailer.is_none() {
            return Err(DigestError::Off);
        }
        if self.store.week(language, period).await?.is_empty() {
            return Err(DigestError::EmptyWeek(period.to_string()));
        }
        let send = self
            .store
            .start_digest_send(period, language, by, now)
            .await?;
        if let Some(by) = by {
            crate::accounts::record_audit(
                &self.store,
                now,
                Some(by),
                "digest.started",
                &format!("{period} {}, {} recipients", language.code(), send.total()),
            )
            .await;
        }
        Ok(send)
    }

    /// Sends what is left of digest send `id`, one message per pace, and returns its counts
    /// at the end. Recipients a stopped process left in flight are marked interrupted first,
    /// never sent again.
    ///
    /// One process sends a given send at a time, holding its job lock: every web node
    /// resumes unfinished sends, and the CLI may run one too. While another process holds
    /// it, this one waits, and takes the send over if that process stops before the end
    /// (its lock ends with it, `kill -9` included); the pace is kept whoever sends.
    pub async fn run(&self, id: i64) -> Result<DigestSend, DigestError> {
        let mailer = self.mailer.clone().ok_or(DigestError::Off)?;
        let lock_name = format!("digest-send-{id}");
        let mut standing_by: Option<StandingBy> = None;
        let mut lock = loop {
            if let Some(lock) = self.store.try_lock_job(&lock_name).await? {
                break lock;
            }
            let send = self
                .store
                .digest_send(id)
                .await?
                .ok_or(DigestError::NoSuchSend(id))?;
            if send.finished() {
                return Ok(send);
            }
            if standing_by.is_none() {
                tracing::info!(
                    send = id,
                    "digest: another process is sending this digest; this one takes over if \
                     that process stops"
                );
                standing_by = Some(StandingBy::new());
            }
            tokio::time::sleep(TAKE_OVER_CHECK).await;
        };
        drop(standing_by);
        let done = self.run_holding(id, mailer, &mut lock).await;
        lock.release().await;
        done
    }

    /// [`Newsletter::run`] once this process holds the send's job lock `lock`.
    async fn run_holding(
        &self,
        id: i64,
        mailer: Arc<dyn Mailer>,
        lock: &mut JobLock,
    ) -> Result<DigestSend, DigestError> {
        let send = self
            .store
            .digest_send(id)
            .await?
            .ok_or(DigestError::NoSuchSend(id))?;
        let interrupted = self.store.interrupt_digest_deliveries(id).await?;
        if interrupted > 0 {
            tracing::warn!(
                send = id,
                interrupted,
                "digest: messages in flight when the last run stopped are not sent again"
            );
        }
        let issue = self.issue(send.period, send.language).await?;
        let mut pace = tokio::time::interval(self.pace.max(Duration::from_millis(1)));
        pace.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            // A lock whose connection broke may be another process's by now: stop rather
            // than send beside it.
            if let Err(e) = lock.confirm().await {
                tracing::warn!(send = id, error = %e, "digest: the send's lock was lost; stopping");
                return Err(e.into());
            }
            let now = OffsetDateTime::now_utc();
            let Some(reader) = self.store.claim_digest_recipient(id, now).await? else {
                break;
            };
            let links = self.links(&reader, now).await?;
            let delivery = match self.letters.digest(&issue, &reader, &links) {
                None => Delivery::Skipped,
                Some(email) => {
                    pace.tick().await;
                    match send_with_retries(mailer.as_ref(), &email).await {
                        Ok(()) => Delivery::Sent,
                        Err(MailError::Permanent(e)) => Delivery::PermanentFailure(e),
                        Err(MailError::Temporary(e)) => Delivery::TemporaryFailure(e),
                    }
                }
            };
            let outcome = match &delivery {
                Delivery::Sent => "sent",
                Delivery::Skipped => "skipped",
                Delivery::PermanentFailure(_) => "refused",
                Delivery::TemporaryFailure(_) => "failed",
            };
            metrics::counter!("digest_messages_total", "outcome" => outcome).increment(1);
            if !matches!(delivery, Delivery::Sent | Delivery::Skipped) {
                tracing::warn!(
                    send = id,
                    subscriber = reader.id,
                    "digest: a message was refused"
                );
            }
            self.store
                .finish_digest_delivery(id, reader.id, &delivery, OffsetDateTime::now_utc())
                .await?;
        }
        let done = self
            .store
            .digest_send(id)
            .await?
            .ok_or(DigestError::NoSuchSend(id))?;
        tracing::info!(
            send = id,
            sent = done.sent,
            failed = done.failed,
            skipped = done.skipped,
            interrupted = done.interrupted,
            "digest: send finished"
        );
        Ok(done)
    }

    /// Resumes every digest send that still has recipients (after a crash or restart),
    /// waiting for any that another process is sending (see [`Newsletter::run`]).
    pub async fn resume_unfinished(&self) -> Result<(), DigestError> {
        if self.mailer.is_none() {
            return Ok(());
        }
        for send in self.store.digest_sends(50).await? {
            if !send.finished() {
                self.run(send.id).await?;
            }
        }
        Ok(())
    }

    /// Resumes unfinished digest sends now and then every `check`, for as long as the
    /// server runs: after a restart, and when the process sending one stopped (a web node
    /// or the CLI, killed or crashed). Sends that another process is sending are waited for,
    /// so each runs in one place at a time.
    pub async fn keep_resuming(self: Arc<Self>, check: Duration) {
        loop {
            if let Err(e) = self.resume_unfinished().await {
                tracing::error!(error = %e, "digest: unfinished sends not resumed");
            }
            tokio::time::sleep(check).await;
        }
    }

    /// Sends one message now (invitations, password resets), retrying failures for now.
    pub async fn send_one(&self, email: &Email) -> Result<(), MailError> {
        match &self.mailer {
            Some(m) => send_with_retries(m.as_ref(), email).await,
            None => Err(MailError::Permanent("e-mail is not configured".into())),
        }
    }
}

/// This process's count in the `digest_sends_standing_by` gauge while it waits for a send
/// another process holds; dropped (the wait over, or the task stopped) it is taken back.
struct StandingBy;

impl StandingBy {
    fn new() -> StandingBy {
        metrics::gauge!("digest_sends_standing_by").increment(1.0);
        StandingBy
    }
}

impl Drop for StandingBy {
    fn drop(&mut self) {
        metrics::gauge!("digest_sends_standing_by").decrement(1.0);
    }
}

/// Why a digest could not be started or sent.
#[derive(Debug, thiserror::Error)]
pub enum DigestError {
    /// No `[mail]` host is configured.
    #[error("e-mail is not configured: set [mail] host in trendwatch.toml")]
    Off,
    /// Nothing is published for that week in that language.
    #[error("week {0} has no published commentary in this language")]
    EmptyWeek(String),
    /// No send with that id.
    #[error("no digest send {0}")]
    NoSuchSend(i64),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

async fn send_with_retries(mailer: &dyn Mailer, email: &Email) -> Result<(), MailError> {
    let mut wait = Duration::from_secs(1);
    let mut attempt = 1;
    loop {
        match mailer.send(email).await {
            Err(MailError::Temporary(_)) if attempt < ATTEMPTS => {
                // Back off before trying a server that failed for now.
                tokio::time::sleep(wait).await;
                wait *= 4;
                attempt += 1;
            }
            other => return other,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_verify_for_their_purpose_and_until_they_expire() {
        let key = LinkKey::new([7; 32]);
        let now = OffsetDateTime::UNIX_EPOCH + time::Duration::days(20_000);
        let confirm = key.sign(
            LinkPurpose::Confirm,
            42,
            Some(now + time::Duration::days(7)),
        );
        assert_eq!(key.verify(LinkPurpose::Confirm, &confirm, now), Ok(42));
        assert_eq!(key.verify(LinkPurpose::Manage, &confirm, now), Err(BadLink));
        assert_eq!(
            key.verify(
                LinkPurpose::Confirm,
                &confirm,
                now + time::Duration::days(8)
            ),
            Err(BadLink)
        );
        let manage = key.sign(LinkPurpose::Manage, 42, None);
        assert_eq!(
            key.verify(
                LinkPurpose::Manage,
                &manage,
                now + time::Duration::days(9_999)
            ),
            Ok(42)
        );
        // Another subscriber's id with this tag, another key, or a changed tag: refused.
        let forged = manage.replacen("42.", "43.", 1);
        assert_eq!(key.verify(LinkPurpose::Manage, &forged, now), Err(BadLink));
        let other = LinkKey::new([8; 32]);
        assert_eq!(
            other.verify(LinkPurpose::Manage, &manage, now),
            Err(BadLink)
        );
        for broken in [
            "",
            "42",
            "42.0",
            "42.0.zz",
            "x.0.00000000000000000000000000000000",
        ] {
            assert_eq!(key.verify(LinkPurpose::Manage, broken, now), Err(BadLink));
        }
    }
}
