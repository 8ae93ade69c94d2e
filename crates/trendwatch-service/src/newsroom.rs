//! The newsroom's work on desk articles: creating, saving (never over someone else's save),
//! the workflow from draft to publication, scheduled publication, and unpublishing. Rules
//! come from `trendwatch_core::newsroom`; the store keeps desk articles apart from the
//! public archive, and publishing copies one in through the [`Publisher`], the same path an
//! import takes.

use crate::accounts::record_audit;
use crate::Publisher;
use std::sync::Arc;
use time::{OffsetDateTime, PrimitiveDateTime};
use trendwatch_core::accounts::User;
use trendwatch_core::newsroom::{
    self, DeskArticle, DeskContent, DeskLock, DeskState, FieldProblem, PublishedMark,
    StorylineChoice, Transition, WorkflowError,
};
use trendwatch_core::{ArticleKind, Topics};
use trendwatch_store::{EditError, Store, StoreError};

/// The threader's storyline for a draft ([`Newsroom::suggest_storyline`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StorylineSuggestion {
    /// An existing storyline, or a new one.
    pub choice: StorylineChoice,
    /// The existing storyline's title, as readers see it.
    pub title: Option<String>,
}

/// Why a newsroom action was refused.
#[derive(Debug, thiserror::Error)]
pub enum NewsroomError {
    /// The account may not do this.
    #[error("{0}")]
    Forbidden(String),
    /// No such desk article.
    #[error("no such article in the desk")]
    NotFound,
    /// The content does not pass the checks; each problem names its field.
    #[error("the article is not ready: {}", .0.iter().map(|p| p.message.as_str()).collect::<Vec<_>>().join(" "))]
    Problems(Vec<FieldProblem>),
    /// The save started from an older revision than the current one.
    #[error("the article was changed meanwhile (this copy: revision {base}; current: {current})")]
    Stale {
        /// Revision the save started from.
        base: i64,
        /// The current revision.
        current: i64,
    },
    /// The action makes no sense now (wrong state, a time in the past, a missing comment).
    #[error("{0}")]
    Invalid(String),
    /// The store or the publication failed.
    #[error(transparent)]
    Backend(#[from] anyhow::Error),
}

impl From<EditError> for NewsroomError {
    fn from(e: EditError) -> Self {
        match e {
            EditError::NotFound(_) => NewsroomError::NotFound,
            EditError::Invalid(m) => NewsroomError::Invalid(m),
            EditError::Stale { base, current } => NewsroomError::Stale { base, current },
            EditError::Backend(b) => NewsroomError::Backend(b.into()),
        }
    }
}

impl From<StoreError> for NewsroomError {
    fn from(e: StoreError) -> Self {
        NewsroomError::Backend(e.into())
    }
}

impl From<WorkflowError> for NewsroomError {
    fn from(e: WorkflowError) -> Self {
        match e {
            WorkflowError::Forbidden(m) => NewsroomError::Forbidden(m),
            WorkflowError::WrongState(m) => NewsroomError::Invalid(m),
        }
    }
}

/// What an editor or analyst asks of an article besides saving it.
#[derive(Debug, Clone, Default)]
pub struct ActionRequest {
    /// A review comment (required when requesting changes).
    pub comment: Option<String>,
    /// When to publish (for scheduling).
    pub at: Option<OffsetDateTime>,
}

/// The newsroom of one site.
pub struct Newsroom {
    store: Arc<dyn Store>,
    publisher: Arc<Publisher>,
    topics: Topics,
    zone: jiff::tz::TimeZone,
    /// Woken when something is scheduled, so the scheduler re-reads its next time.
    schedule_changed: tokio::sync::Notify,
    /// What publications left to derive (search index, storylines, similar lists), running
    /// after the publish request was answered; see [`Newsroom::settle`].
    derivations: tokio::sync::Mutex<tokio::task::JoinSet<()>>,
}

impl Newsroom {
    /// A newsroom writing through `publisher`; `zone` is the office's time zone, in whose
    /// wall-clock time articles carry their publication time.
    pub fn new(
        store: Arc<dyn Store>,
        publisher: Arc<Publisher>,
        topics: Topics,
        zone: jiff::tz::TimeZone,
    ) -> Newsroom {
        Newsroom {
            store,
            publisher,
            topics,
            zone,
            schedule_changed: tokio::sync::Notify::new(),
            derivations: tokio::sync::Mutex::new(tokio::task::JoinSet::new()),
        }
    }

    /// The site's topics.
    pub fn topics(&self) -> &Topics {
        &self.topics
    }

    /// The office's wall-clock time at instant `t`.
    pub fn wall_clock(&self, t: OffsetDateTime) -> PrimitiveDateTime {
        let offset = jiff::Timestamp::from_second(t.unix_timestamp())
            .map(|ts| self.zone.to_offset(ts).seconds())
            .unwrap_or(0);
        let local = t
            .to_offset(time::UtcOffset::from_whole_seconds(offset).unwrap_or(time::UtcOffset::UTC));
        PrimitiveDateTime::new(local.date(), local.time())
    }

    /// The instant of the office's wall-clock time `t` (a time skipped by a daylight-saving
    /// change is taken after the change).
    pub fn instant(&self, t: PrimitiveDateTime) -> OffsetDateTime {
        let civil = jiff::civil::DateTime::new(
            t.year() as i16,
            u8::from(t.month()) as i8,
            t.day() as i8,
            t.hour() as i8,
            t.minute() as i8,
            t.second() as i8,
            0,
        );
        let seconds = civil
            .ok()
            .and_then(|c| self.zone.to_ambiguous_timestamp(c).compatible().ok())
            .map(|ts| ts.as_second());
        match seconds.and_then(|s| OffsetDateTime::from_unix_timestamp(s).ok()) {
            Some(t) => t,
            None => t.assume_utc(),
        }
    }

    /// A desk article, for reading.
    pub async fn article(&self, id: i64) -> Result<DeskArticle, NewsroomError> {
        self.store
            .desk_article(id)
            .await?
            .ok_or(NewsroomError::NotFound)
    }

    /// Opens an article in `user`'s writing form: returns it with the other person who has
    /// it open, if anyone does (the post lock), and takes the lock otherwise.
    pub async fn open(
        &self,
        user: &User,
        id: i64,
        now: OffsetDateTime,
    ) -> Result<(DeskArticle, Option<DeskLock>), NewsroomError> {
        let article = self.article(id).await?;
        let held = if newsroom::may_edit(article.state, user.role, article.author_id == user.id) {
            self.store.lock_desk_article(id, user.id, now).await?
        } else {
            None
        };
        Ok((article, held))
    }

    /// Starts a draft; with `translation_of`, the other language's version of that
    /// commentary (same topic and week). Returns the new desk article's id.
    pub async fn create(
        &self,
        user: &User,
        content: DeskContent,
        translation_of: Option<i64>,
        now: OffsetDateTime,
    ) -> Result<i64, NewsroomError> {
        if self.topics.find(&content.topic).is_none() {
            return Err(NewsroomError::Invalid(format!(
                "unknown topic “{}”",
                content.topic
            )));
        }
        // Translations hang on the commentary's first version, whichever one is translated.
        let root = match translation_of {
            Some(t) => Some(self.article(t).await?.translation_of.unwrap_or(t)),
            None => None,
        };
        if let Some(root) = root {
            let taken = self.store.desk_translations(root).await?;
            if taken.iter().any(|s| s.lang == content.lang) {
                return Err(NewsroomError::Invalid(format!(
                    "this commentary already has a {} version",
                    content.lang.code()
                )));
            }
        }
        let id = self
            .store
            .create_desk_article(&content, user.id, root, now)
            .await?;
        record_audit(
            &self.store,
            now,
            Some(user.id),
            "draft created",
            &desk_subject(id, &content),
        )
        .await;
        Ok(id)
    }

    /// Starts the `lang` version of article `id`: a draft with its topic, week, status,
    /// image and forecasts, and the original's text to translate from.
    pub async fn translate(
        &self,
        user: &User,
        id: i64,
        lang: trendwatch_core::Language,
        now: OffsetDateTime,
    ) -> Result<i64, NewsroomError> {
        let original = self.article(id).await?;
        let mut content = original.content.clone();
        content.lang = lang;
        content.authors = vec![user.name.clone()];
        self.create(user, content, Some(id), now).await
    }

    /// Saves `content` over revision `base` of article `id`. Refused as stale when someone
    /// else saved since `base`; never overwrites. Returns the revision after the save.
    pub async fn save(
        &self,
        user: &User,
        id: i64,
        base: i64,
        content: &DeskContent,
        now: OffsetDateTime,
    ) -> Result<i64, NewsroomError> {
        let article = self.article(id).await?;
        if !newsroom::may_edit(article.state, user.role, article.author_id == user.id) {
            return Err(NewsroomError::Forbidden(format!(
                "an article that is {} can only be changed by an editor",
                article.state.label()
            )));
        }
        if self.topics.find(&content.topic).is_none() {
            return Err(NewsroomError::Problems(vec![FieldProblem {
                field: "topic",
                message: format!("Unknown topic “{}”.", content.topic),
            }]));
        }
        Ok(self
            .store
            .save_desk_content(id, base, content, user.id, "saved", now)
            .await?)
    }

    /// Restores revision `number` as a new revision (the history keeps everything).
    pub async fn restore(
        &self,
        user: &User,
        id: i64,
        number: i64,
        now: OffsetDateTime,
    ) -> Result<i64, NewsroomError> {
        let article = self.article(id).await?;
        if !newsroom::may_edit(article.state, user.role, article.author_id == user.id) {
            return Err(NewsroomError::Forbidden(
                "only an editor can change this article now".into(),
            ));
        }
        let revisions = self.store.desk_revisions(id).await?;
        let old = revisions
            .into_iter()
            .find(|r| r.number == number)
            .ok_or(NewsroomError::NotFound)?;
        Ok(self
            .store
            .save_desk_content(
                id,
                article.revision,
                &old.content,
                user.id,
                &format!("restored revision {number}"),
                now,
            )
            .await?)
    }

    /// Everything that keeps `article` from going to review or publication: the content's
    /// own checks, and the archive's (the week's commentary on its topic and language is
    /// already taken; its headline is used by another commentary of the week).
    pub async fn problems(
        &self,
        article: &DeskArticle,
    ) -> Result<Vec<FieldProblem>, NewsroomError> {
        let c = &article.content;
        let mut out = c.problems(&self.topics);
        let week = self.store.week(c.lang, c.period).await?;
        let own_id = self.store.article_id_by_key(&article.article_key).await?;
        if let Some(other) = week
            .iter()
            .find(|a| a.kind == ArticleKind::Weekly && a.topic == c.topic && Some(a.id) != own_id)
        {
            out.push(FieldProblem {
                field: "period",
                message: format!(
                    "Week {} already has a published commentary on this topic: “{}”.",
                    c.period, other.title
                ),
            });
        }
        let others = self
            .store
            .desk_articles(&trendwatch_core::newsroom::DeskFilter {
                period: Some(c.period),
                ..Default::default()
            })
            .await?;
        if let Some(other) = others.iter().find(|o| {
            o.id != article.id
                && o.lang == c.lang
                && o.topic == c.topic
                && o.state != DeskState::Unpublished
                && o.state != DeskState::Published
        }) {
            out.push(FieldProblem {
                field: "period",
                message: format!(
                    "{} is already writing this week's commentary on this topic (“{}”, {}).",
                    other.author_name,
                    other.title,
                    other.state.label()
                ),
            });
        }
        let title = c.title.trim().to_lowercase();
        if !title.is_empty()
            && week
                .iter()
                .any(|a| Some(a.id) != own_id && a.title.trim().to_lowercase() == title)
        {
            out.push(FieldProblem {
                field: "title",
                message: "Another commentary of this week has this headline.".into(),
            });
        }
        Ok(out)
    }

    /// Takes workflow step `t` on article `id` for `user`. Submitting, scheduling and
    /// publishing first check the content ([`Newsroom::problems`]). Returns the new state.
    pub async fn act(
        &self,
        user: &User,
        id: i64,
        t: Transition,
        request: ActionRequest,
        now: OffsetDateTime,
    ) -> Result<DeskState, NewsroomError> {
        let article = self.article(id).await?;
        let to = newsroom::transition(article.state, t, user.role, article.author_id == user.id)?;
        let comment = request
            .comment
            .as_deref()
            .map(str::trim)
            .filter(|c| !c.is_empty());
        if matches!(
            t,
            Transition::Submit | Transition::Schedule | Transition::Publish
        ) {
            let problems = self.problems(&article).await?;
            if !problems.is_empty() {
                return Err(NewsroomError::Problems(problems));
            }
        }
        let mut scheduled_at = None;
        match t {
            Transition::RequestChanges if comment.is_none() => {
                return Err(NewsroomError::Invalid(
                    "say what should change: a comment is required".into(),
                ));
            }
            Transition::Schedule => {
                let at = request.at.ok_or_else(|| {
                    NewsroomError::Invalid("a publication time is required".into())
                })?;
                if at <= now {
                    return Err(NewsroomError::Invalid(
                        "the publication time has passed: choose a later one, or publish now"
                            .into(),
                    ));
                }
                scheduled_at = Some(at);
            }
            Transition::Publish => {
                self.publish_now(&article, user.id, now).await?;
            }
            Transition::Unpublish => {
                self.take_down(&article).await?;
            }
            _ => {}
        }
        if let Some(c) = comment {
            self.store.add_desk_comment(id, user.id, c, now).await?;
        }
        if t != Transition::Publish {
            self.store
                .set_desk_state(id, article.state, to, scheduled_at, None, user.id, now)
                .await?;
        }
        if t == Transition::Schedule || article.state == DeskState::Scheduled {
            self.schedule_changed.notify_one();
        }
        record_audit(
            &self.store,
            now,
            Some(user.id),
            &format!("article {}", to.label()),
            &desk_subject(id, &article.content),
        )
        .await;
        Ok(to)
    }

    /// Copies the current revision into the public archive through the publisher (written,
    /// indexed, threaded and related), marks the revision published, and sets the state.
    async fn publish_now(
        &self,
        article: &DeskArticle,
        by: i64,
        now: OffsetDateTime,
    ) -> Result<(), NewsroomError> {
        let body_html = trendwatch_import::markdown::to_html(&article.content.body_markdown)
            .map_err(|m| {
                NewsroomError::Problems(vec![FieldProblem {
                    field: "body",
                    message: m,
                }])
            })?;
        let published_at = self.wall_clock(article.published_at.unwrap_or(now));
        // Every version carries the group of the commentary's first version.
        let group = Some(newsroom::translation_group(
            article.translation_of.unwrap_or(article.id),
        ));
        let draft = article.content.to_article_draft(
            article.article_key.clone(),
            body_html,
            published_at,
            group,
        );
        // A change to an article readers already saw is dated, with its note.
        let mut draft = draft;
        if article.published_revision.is_some() {
            draft.updated_at = Some(self.wall_clock(now));
            draft.correction = Some(article.content.correction.clone());
        }
        let new = draft.prepare(&self.topics).map_err(|e| {
            NewsroomError::Problems(vec![FieldProblem {
                field: "body",
                message: e.to_string(),
            }])
        })?;
        // The state changes first, compare-and-set: of two publishers (two web nodes'
        // schedulers, or a scheduler and an editor) only one goes on to write.
        let mark = PublishedMark {
            revision: Some(article.revision),
            at: Some(article.published_at.unwrap_or(now)),
        };
        self.store
            .set_desk_state(
                article.id,
                article.state,
                DeskState::Published,
                None,
                Some(mark),
                by,
                now,
            )
            .await?;
        let written = match self.publisher.write(std::slice::from_ref(&new)).await {
            Ok(results) => match results.into_iter().next() {
                Some(Ok(outcome)) => {
                    // Readers see the article as soon as it is written (pages follow the
                    // store's generation); the search index, storylines and similar lists
                    // follow off the request's path. A crash before they are done is
                    // completed at the next start (the derived mark lags behind).
                    let publisher = self.publisher.clone();
                    let id = outcome.id();
                    // An editor's storyline choice holds at the first publication; later,
                    // storylines are curated on the published article.
                    let chosen = match article.content.storyline_choice() {
                        Some(StorylineChoice::New) if article.published_revision.is_none() => {
                            Some(None)
                        }
                        Some(StorylineChoice::Existing(s))
                            if article.published_revision.is_none() =>
                        {
                            Some(Some(s))
                        }
                        _ => None,
                    };
                    let mut running = self.derivations.lock().await;
                    // Finished ones are dropped as new ones start.
                    while running.try_join_next().is_some() {}
                    running.spawn(async move {
                        if let Err(e) = publisher.derive_written(&[id]).await {
                            tracing::error!(article = id, error = %e, "derivation after publication failed");
                        }
                        if let Some(to) = chosen {
                            if let Err(e) = publisher.move_article(id, to).await {
                                tracing::warn!(article = id, error = %e, "the chosen storyline was not applied");
                            }
                        }
                    });
                    Ok(())
                }
                Some(Err(e)) => Err(NewsroomError::Invalid(e.to_string())),
                None => Err(NewsroomError::Invalid("nothing was written".into())),
            },
            Err(e) => Err(NewsroomError::Backend(e)),
        };
        if let Err(e) = written {
            // Back to where it was, marks included: the desk shows what readers see.
            let before = PublishedMark {
                revision: article.published_revision,
                at: article.published_at,
            };
            self.store
                .set_desk_state(
                    article.id,
                    DeskState::Published,
                    article.state,
                    article.scheduled_at,
                    Some(before),
                    by,
                    now,
                )
                .await?;
            return Err(e);
        }
        Ok(())
    }

    /// Where the threader would put `article` if it were published now: its storyline
    /// (with its title) or a new one. The whole archive is threaded again for it, without
    /// writing anything, so this is asked for on demand rather than on every page.
    pub async fn suggest_storyline(
        &self,
        article: &DeskArticle,
    ) -> Result<StorylineSuggestion, NewsroomError> {
        let mut docs = self.store.threading_corpus().await?;
        let c = &article.content;
        let text = if c.lead.trim().is_empty() {
            c.body_markdown.chars().take(1000).collect()
        } else {
            c.lead.clone()
        };
        // A translation follows the storyline of its published original.
        let group = newsroom::translation_group(article.translation_of.unwrap_or(article.id));
        const PROBE: i64 = i64::MIN;
        docs.push(trendwatch_core::storyline::ThreadDoc {
            article_id: PROBE,
            lang: c.lang,
            group: Some(group),
            title: c.title.clone(),
            text,
            published_at: self.wall_clock(OffsetDateTime::now_utc()),
            storyline: None,
        });
        let settings = self.publisher.settings().storylines.clone();
        let plan =
            tokio::task::spawn_blocking(move || trendwatch_core::storyline::plan(&docs, &settings))
                .await
                .map_err(|e| NewsroomError::Backend(e.into()))?;
        let target = plan
            .iter()
            .find(|a| a.article_id == PROBE)
            .map(|a| a.target);
        Ok(match target {
            Some(trendwatch_core::storyline::StorylineTarget::Existing(id)) => {
                let title = self
                    .store
                    .storyline_summary(id, c.lang)
                    .await?
                    .map(|s| s.title);
                StorylineSuggestion {
                    choice: StorylineChoice::Existing(id),
                    title,
                }
            }
            _ => StorylineSuggestion {
                choice: StorylineChoice::New,
                title: None,
            },
        })
    }

    /// Removes the public copy of an article (the desk keeps it) and drops it from the
    /// search index; similar lists skip removed articles when they are read.
    async fn take_down(&self, article: &DeskArticle) -> Result<(), NewsroomError> {
        if let Some(id) = self.store.remove_article(&article.article_key).await? {
            self.publisher.forget(&[id]).await?;
        }
        Ok(())
    }

    /// Waits until what earlier publications left to derive (search index, storylines,
    /// similar lists) is done: for benchmarks, tests and a clean shutdown.
    pub async fn settle(&self) {
        let mut running = self.derivations.lock().await;
        while running.join_next().await.is_some() {}
    }

    /// The publisher it writes through.
    pub fn publisher(&self) -> &Arc<Publisher> {
        &self.publisher
    }

    /// Publishes every scheduled article whose time has come (also those missed while the
    /// server was down). Returns how many were published.
    pub async fn publish_due(&self, now: OffsetDateTime) -> Result<usize, NewsroomError> {
        let mut published = 0;
        for id in self.store.due_desk_articles(now).await? {
            let article = self.article(id).await?;
            // Published (or unscheduled) since the list was read, by another node's
            // scheduler or an editor: publishing from the state read now would publish twice.
            if article.state != DeskState::Scheduled {
                continue;
            }
            match self.publish_now(&article, article.updated_by_id, now).await {
                Ok(()) => {
                    published += 1;
                    record_audit(
                        &self.store,
                        now,
                        None,
                        "article published on schedule",
                        &desk_subject(id, &article.content),
                    )
                    .await;
                }
                Err(e) => {
                    // Another node's scheduler (or an editor) took it first: the state moved
                    // on, and the publication is theirs. Nothing failed here.
                    if self
                        .article(id)
                        .await
                        .is_ok_and(|now| now.state != DeskState::Scheduled)
                    {
                        tracing::debug!(
                            article = id,
                            "scheduled article taken by another publisher"
                        );
                        continue;
                    }
                    // Sent back to the desk rather than retried forever: an editor decides.
                    tracing::error!(article = id, error = %e, "scheduled publication failed");
                    self.store
                        .set_desk_state(
                            id,
                            DeskState::Scheduled,
                            DeskState::ChangesRequested,
                            None,
                            None,
                            article.updated_by_id,
                            now,
                        )
                        .await?;
                    self.store
                        .add_desk_comment(
                            id,
                            article.updated_by_id,
                            &format!("The scheduled publication failed: {e}"),
                            now,
                        )
                        .await?;
                }
            }
        }
        Ok(published)
    }

    /// Runs for as long as the server does: publishes scheduled articles at their time,
    /// waking at the next scheduled time, when something is scheduled, and at least every
    /// `check` (so a schedule made by another process is seen).
    pub async fn run_scheduler(self: Arc<Self>, check: std::time::Duration) {
        loop {
            let now = OffsetDateTime::now_utc();
            if let Err(e) = self.publish_due(now).await {
                tracing::error!(error = %e, "scheduler: publishing due articles failed");
            }
            let next = match self.store.next_scheduled().await {
                Ok(next) => next,
                Err(e) => {
                    tracing::error!(error = %e, "scheduler: the schedule cannot be read");
                    None
                }
            };
            let mut wait = check;
            if let Some(next) = next {
                let until = (next - OffsetDateTime::now_utc()).max(time::Duration::ZERO);
                wait = wait.min(until.unsigned_abs());
            }
            tokio::select! {
                _ = tokio::time::sleep(wait) => {}
                _ = self.schedule_changed.notified() => {}
            }
        }
    }
}

/// How the audit log names a desk article.
fn desk_subject(id: i64, c: &DeskContent) -> String {
    format!(
        "desk article {id} ({} {} {}): {}",
        c.lang.code(),
        c.topic,
        c.period,
        c.title
    )
}
