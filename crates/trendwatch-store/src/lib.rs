//! The storage seam of Trendwatch. The web layer, the CLI and the importers talk to a
//! [`Store`]; each backend (SQLite today, PostgreSQL later) lives in its own crate with its
//! own migrations and implements this trait, so adding a backend touches nothing above it.

pub mod dump;

use async_trait::async_trait;
use trendwatch_core::accounts::{
    ApiTokenInfo, AuditEntry, Invitation, NewUser, Session, StoredUser, TotpState, User,
};
use trendwatch_core::article::{Article, ArticleSummary, ArticleText, NewArticle, RelatedOverride};
use trendwatch_core::forecast::{ForecastEntry, Outcome};
use trendwatch_core::newsletter::{
    Delivery, DigestSend, SubscribeOutcome, Subscriber, SubscriptionRequest,
};
use trendwatch_core::newsroom::{
    DeskArticle, DeskComment, DeskContent, DeskFilter, DeskLock, DeskRevision, DeskState,
    DeskSummary, PublishedMark,
};
use trendwatch_core::similarity::{Scored, SimilarityDoc};
use trendwatch_core::storyline::{NewAssignment, StorylineDetail, StorylineSummary, ThreadDoc};
use trendwatch_core::{Language, Period};

/// A failure of the backend itself (I/O, corruption, a lost connection). Never shown to
/// readers; the web layer logs it and renders a generic error page.
#[derive(Debug, thiserror::Error)]
#[error("storage error: {0}")]
pub struct StoreError(pub String);

/// How every message of an unavailable database begins (see [`StoreError::unavailable`]).
const UNAVAILABLE: &str = "the database is unavailable";

impl StoreError {
    /// The database cannot be reached now (stopped, restarting, out of connections): the
    /// failure passes by itself, and the site answers 503 rather than 500 meanwhile.
    pub fn unavailable(detail: impl std::fmt::Display) -> StoreError {
        StoreError(format!("{UNAVAILABLE}: {detail}"))
    }

    /// Whether this failure is [`StoreError::unavailable`].
    pub fn is_unavailable(&self) -> bool {
        self.0.starts_with(UNAVAILABLE)
    }
}

pub use trendwatch_core::archive_rules::WriteError;

/// The condition on `storyline_stats` that picks the storylines readers are pointed to
/// ([`trendwatch_core::storyline::SHOWN_FROM_ARTICLES`]). Each backend's partial index
/// `storyline_stats_shown` is written with the same text, which queries must repeat word for
/// word for the index to serve them.
pub const SHOWN_STORYLINES_SQL: &str = "articles >= 2";

/// A job lock this process holds (see [`Store::try_lock_job`]); released when dropped.
pub struct JobLock(Box<dyn HeldJobLock>);

impl JobLock {
    /// Wraps a backend's held lock.
    pub fn new(held: impl HeldJobLock + 'static) -> JobLock {
        JobLock(Box::new(held))
    }

    /// Confirms that the lock is still held: an error once it may have been lost (the
    /// database connection that held it broke), after which the job must stop, since
    /// another process may take it over.
    pub async fn confirm(&mut self) -> Result<(), StoreError> {
        self.0.confirm().await
    }

    /// Releases the lock now, for the next taker to find it free at once. Dropping it
    /// releases it too, but a database may only notice a moment later.
    pub async fn release(self) {
        self.0.release().await
    }
}

impl std::fmt::Debug for JobLock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("JobLock")
    }
}

/// What a backend keeps while a job lock is held: the thing whose end releases it.
#[async_trait]
pub trait HeldJobLock: Send + Sync {
    /// Whether the lock is still held (see [`JobLock::confirm`]).
    async fn confirm(&mut self) -> Result<(), StoreError>;

    /// Releases the lock (see [`JobLock::release`]).
    async fn release(self: Box<Self>);
}

/// What writing one article did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WriteOutcome {
    /// A new article was stored under this id.
    Created(i64),
    /// An article with the same key was replaced.
    Updated(i64),
}

impl WriteOutcome {
    /// The article's id either way.
    pub fn id(self) -> i64 {
        match self {
            WriteOutcome::Created(id) | WriteOutcome::Updated(id) => id,
        }
    }
}

/// How many text generations of changes a store keeps in its log
/// ([`Store::text_changes`]); an index further behind is rebuilt.
pub const TEXT_CHANGES_KEPT: i64 = 10_000;

/// Most articles a storyline page lists (the latest ones); a storyline followed for years can
/// hold hundreds.
pub const STORYLINE_PAGE_ARTICLES: u64 = 104;

/// Why an editor's change (to storylines, forecasts or accounts) was refused.
#[derive(Debug, thiserror::Error)]
pub enum EditError {
    /// The named storyline or article does not exist.
    #[error("{0}")]
    NotFound(String),
    /// The change makes no sense (e.g. merging a storyline into itself).
    #[error("{0}")]
    Invalid(String),
    /// A save started from revision `base`, but the article has moved on to `current`:
    /// someone else saved in between. Nothing was written.
    #[error("the article was changed meanwhile: this copy started from revision {base}, the current one is {current}")]
    Stale {
        /// The revision the save started from.
        base: i64,
        /// The article's current revision.
        current: i64,
    },
    /// The backend failed; nothing was changed.
    #[error(transparent)]
    Backend(#[from] StoreError),
}

/// One page of a listing, with the total for pagination.
#[derive(Debug, Clone, PartialEq)]
pub struct Page<T> {
    /// Items of this page.
    pub items: Vec<T>,
    /// Number of items over all pages.
    pub total: u64,
}

/// An article's address and date, as sitemaps list them.
#[derive(Debug, Clone, PartialEq)]
pub struct SitemapArticle {
    /// Language.
    pub lang: Language,
    /// URL slug.
    pub slug: String,
    /// Publication time (the office's wall clock).
    pub published_at: time::PrimitiveDateTime,
    /// Translation group, whose other members are the article's `hreflang` alternates.
    pub group: Option<String>,
    /// The week it covers (its weekly overview is listed too).
    pub period: Period,
}

/// A storyline's page in one language, as sitemaps list it.
#[derive(Debug, Clone, PartialEq)]
pub struct SitemapStoryline {
    /// Storyline id.
    pub id: i64,
    /// Language of the page.
    pub lang: Language,
    /// Publication time of its latest commentary in that language.
    pub last_published_at: time::PrimitiveDateTime,
}

/// What an article's public page shows, read together (see [`Store::article_page`]).
#[derive(Debug, Clone, PartialEq)]
pub struct ArticlePage {
    /// The article, with its forecasts.
    pub article: Article,
    /// Its other-language versions, as [`Store::translations`] lists them.
    pub translations: Vec<ArticleSummary>,
    /// Similar articles, as [`Store::similar`] lists them.
    pub similar: Vec<ArticleSummary>,
    /// The summary of its storyline in the article's language.
    pub storyline: Option<StorylineSummary>,
}

/// One key's count in a throttle shared by the web nodes (see [`Store::throttle_failure`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ThrottleRow {
    /// Which throttle: sign-ins by address, by account, API authentications, e-mails.
    pub scope: String,
    /// A client address or an account, as text.
    pub key: String,
    /// Failures (or requests, for a forgiving throttle) in a row; 0 after a success.
    pub failures: u32,
    /// When the count last changed.
    pub last: time::OffsetDateTime,
}

/// How long a throttle's row is kept after its last change: longer than any wait or quiet
/// time a throttle uses.
pub const THROTTLE_ROWS_KEPT: time::Duration = time::Duration::days(1);

/// A snapshot of a backend's connections (see [`Store::pool_status`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PoolStatus {
    /// Connections the backend keeps open (readers and writers).
    pub size: u32,
    /// Of those, how many are running a statement now.
    pub in_use: u32,
    /// Callers waiting for a connection.
    pub waiting: u32,
}

/// What an archive listing holds: the whole edition's, one topic's, one tag's, one
/// author's or one storyline's commentaries.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Listing {
    /// Every article of the language.
    All,
    /// A topic, by slug.
    Topic(String),
    /// A free tag, as written.
    Tag(String),
    /// An author, by name as written.
    Author(String),
    /// A storyline, by id.
    Storyline(i64),
}

/// Everything Trendwatch keeps. Implementations must make each article write atomic: an
/// article is stored whole (with its authors, tags and links) or not at all.
#[async_trait]
pub trait Store: Send + Sync + 'static {
    /// How many connections the backend keeps and how many are running a statement now,
    /// for the `store_connections` metrics (read at scrape time, without touching the
    /// database).
    fn pool_status(&self) -> PoolStatus;

    /// Writes a batch of articles, each one atomically, matching existing ones by key so a
    /// re-import updates instead of duplicating. One item's failure does not affect the others;
    /// the outer error is only for a backend failure that stopped the whole batch.
    async fn write_articles(
        &self,
        articles: &[NewArticle],
    ) -> Result<Vec<Result<WriteOutcome, WriteError>>, StoreError>;

    /// The article at `/{lang}/articles/{slug}`.
    async fn article(&self, lang: Language, slug: &str) -> Result<Option<Article>, StoreError>;

    /// The latest `limit` articles of `listing` in `lang`, whole, newest published first and
    /// without linked copies: what a feed carries.
    async fn feed_articles(
        &self,
        lang: Language,
        listing: &Listing,
        limit: u64,
    ) -> Result<Vec<Article>, StoreError>;

    /// Writes a consistent snapshot of the whole archive to `dest` (a new file), while the
    /// site keeps serving and writing: what `trendwatch backup` packs. The file is the
    /// backend's own format; [`Store::snapshot_file_name`] names it inside a backup.
    async fn snapshot(&self, dest: &std::path::Path) -> Result<(), StoreError>;

    /// The name a snapshot has in a backup and in a data directory.
    fn snapshot_file_name(&self) -> &'static str;

    /// Every article except linked copies, for the sitemap, oldest first.
    async fn sitemap_articles(&self) -> Result<Vec<SitemapArticle>, StoreError>;

    /// Every storyline page (storyline and language), for the sitemap.
    async fn sitemap_storylines(&self) -> Result<Vec<SitemapStoryline>, StoreError>;

    /// The other-language versions of an article's translation group.
    async fn translations(
        &self,
        group: &str,
        except_id: i64,
    ) -> Result<Vec<ArticleSummary>, StoreError>;

    /// The newest week with any commentary in `lang`.
    async fn latest_period(&self, lang: Language) -> Result<Option<Period>, StoreError>;

    /// The oldest week with any commentary in `lang`.
    async fn first_period(&self, lang: Language) -> Result<Option<Period>, StoreError>;

    /// Every commentary of one week in `lang`.
    async fn week(&self, lang: Language, period: Period)
        -> Result<Vec<ArticleSummary>, StoreError>;

    /// Weekly commentaries in `lang` whose period lies from `from` to `to` inclusive, by
    /// period then topic (for the dynamics grid and series).
    async fn weekly_between(
        &self,
        lang: Language,
        from: Period,
        to: Period,
    ) -> Result<Vec<ArticleSummary>, StoreError>;

    /// The nearest weeks before and after `period` that have commentaries in `lang`.
    async fn adjacent_periods(
        &self,
        lang: Language,
        period: Period,
    ) -> Result<(Option<Period>, Option<Period>), StoreError>;

    /// One page of a listing in `lang` (a topic's archive, a tag's, an author's), newest week
    /// first.
    async fn listing(
        &self,
        lang: Language,
        listing: &Listing,
        offset: u64,
        limit: u64,
    ) -> Result<Page<ArticleSummary>, StoreError>;

    /// The commentaries of one page of a listing, as [`Store::listing`] has them, without
    /// counting the whole listing: for pages that know its size already (see the web
    /// layer's page cache).
    async fn listing_items(
        &self,
        lang: Language,
        listing: &Listing,
        offset: u64,
        limit: u64,
    ) -> Result<Vec<ArticleSummary>, StoreError>;

    /// The years of a listing (by the ISO year of the week covered), newest first, each
    /// with how many of the listing's commentaries come before it in listing order: what a
    /// jump to a year needs to find its page.
    async fn listing_years(
        &self,
        lang: Language,
        listing: &Listing,
    ) -> Result<Vec<(i32, u64)>, StoreError>;

    /// "Similar articles" for one article: the ones its source listed (when they exist in
    /// the same language), then the engine's list, never the article or its translations.
    async fn similar(
        &self,
        article: &Article,
        limit: u64,
    ) -> Result<Vec<ArticleSummary>, StoreError>;

    /// The text of every article, for a related-articles engine.
    async fn similarity_corpus(&self) -> Result<Vec<SimilarityDoc>, StoreError>;

    /// The text of the given articles, as [`Store::similarity_corpus`] gives it, for an
    /// incremental update of similar lists.
    async fn similarity_docs(&self, ids: Vec<i64>) -> Result<Vec<SimilarityDoc>, StoreError>;

    /// The engine's stored lists (with scores) of the given articles, best first.
    async fn related_lists(&self, ids: Vec<i64>) -> Result<Vec<(i64, Vec<Scored>)>, StoreError>;

    /// Pins `related` in (or excludes it from) the similar list of `article`; `None` removes
    /// the editor's decision. Pins are listed first, in the order they were made.
    async fn set_related_override(
        &self,
        article: i64,
        related: i64,
        kind: Option<RelatedOverride>,
    ) -> Result<(), EditError>;

    /// The editor's decisions about one article's similar list, pins first in their order.
    async fn related_overrides(
        &self,
        article: i64,
    ) -> Result<Vec<(i64, RelatedOverride)>, StoreError>;

    /// What full-text search indexes of every article, or of the given ones. Articles kept as
    /// duplicates of another are left out.
    async fn article_texts(&self, ids: Option<Vec<i64>>) -> Result<Vec<ArticleText>, StoreError>;

    /// The articles whose text changed (written, rewritten or taken off) in the text
    /// generations after `after`, ascending; `None` when the store no longer keeps the log
    /// that far back (the caller rebuilds whatever follows the text instead). A search index
    /// stamped `after` catches up on these alone.
    async fn text_changes(&self, after: i64) -> Result<Option<Vec<i64>>, StoreError>;

    /// A number that changes whenever an article's text is written (not on other edits): the
    /// search index records the value it reflects, and is stale when the two differ.
    async fn text_generation(&self) -> Result<i64, StoreError>;

    /// The text generation at which storylines and similar lists were last completed
    /// (see [`Store::set_derived_generation`]); behind [`Store::text_generation`] when an
    /// import stopped before deriving them.
    async fn derived_generation(&self) -> Result<i64, StoreError>;

    /// Records that storylines and similar lists are complete as of text generation `g`.
    async fn set_derived_generation(&self, g: i64) -> Result<(), StoreError>;

    /// The id of the article with `key` (its identity across re-imports and edits).
    async fn article_id_by_key(&self, key: &str) -> Result<Option<i64>, StoreError>;

    /// The id of an article by language and slug.
    async fn article_id(&self, lang: Language, slug: &str) -> Result<Option<i64>, StoreError>;

    /// Replaces the engine's similar lists for the given articles.
    async fn replace_related(&self, lists: &[(i64, Vec<Scored>)]) -> Result<(), StoreError>;

    /// Every article with its headline, lead and current storyline, in publication order
    /// (time, then id), leaving out articles marked as duplicates of another.
    async fn threading_corpus(&self) -> Result<Vec<ThreadDoc>, StoreError>;

    /// The articles of [`Store::threading_corpus`] with an id above `after_id` that have no
    /// storyline yet, in the same order. (Ids only grow: an article written later has a
    /// higher id than every article stored then. A kept threader asks only past the ids it
    /// has seen, so that its question costs the new articles, not the archive.)
    async fn unthreaded_articles(&self, after_id: i64) -> Result<Vec<ThreadDoc>, StoreError>;

    /// A number that changes whenever what threading reads changes: an article written or
    /// taken off the archive, an editor's storyline decision; not the threader's own
    /// assignments. A threader kept between publications is still in step when the number
    /// moved by its own process's writes alone.
    async fn threading_generation(&self) -> Result<i64, StoreError>;

    /// Stores the threader's assignments (creating new storylines) in one transaction.
    /// Articles already assigned by an editor are left alone. Returns the ids of the new
    /// storylines: the `k`-th is the plan's `StorylineTarget::New(k)`.
    async fn assign_storylines(
        &self,
        assignments: &[NewAssignment],
    ) -> Result<Vec<i64>, StoreError>;

    /// The storyline an article belongs to.
    async fn storyline_of(&self, article_id: i64) -> Result<Option<i64>, StoreError>;

    /// A storyline's summary in `lang`; `None` if it has no article in that language.
    async fn storyline_summary(
        &self,
        id: i64,
        lang: Language,
    ) -> Result<Option<StorylineSummary>, StoreError>;

    /// Counts one more failure of `key` in throttle `scope` at `at` and returns the count.
    /// With `forgive_after`, the count starts again after that long without one (a throttle
    /// of requests rather than failures). Rows older than [`THROTTLE_ROWS_KEPT`] go.
    async fn throttle_failure(
        &self,
        scope: &str,
        key: &str,
        at: time::OffsetDateTime,
        forgive_after: Option<std::time::Duration>,
    ) -> Result<u32, StoreError>;

    /// Sets `key`'s count in `scope` to 0 after a success; the row stays a while, so that
    /// other nodes following [`Store::throttle_changes`] forget the failures too.
    async fn throttle_success(
        &self,
        scope: &str,
        key: &str,
        at: time::OffsetDateTime,
    ) -> Result<(), StoreError>;

    /// The row of `key` in throttle `scope`, if any: what a node reads before letting a
    /// client try a password, so that no node lags behind another there.
    async fn throttle_row(&self, scope: &str, key: &str)
        -> Result<Option<ThrottleRow>, StoreError>;

    /// Takes the lock on job `name` for this process, or `None` while another process
    /// holds it. A job that must run in one place at a time (a digest send, which every web
    /// node and the CLI may resume) runs only while its lock is held. The lock ends when the
    /// [`JobLock`] is dropped, and with the process that holds it, however that process
    /// stops: a `kill -9`'d holder leaves nothing for the others to wait out.
    async fn try_lock_job(&self, name: &str) -> Result<Option<JobLock>, StoreError>;

    /// Every throttle row changed at or after `since`.
    async fn throttle_changes(
        &self,
        since: time::OffsetDateTime,
    ) -> Result<Vec<ThrottleRow>, StoreError>;

    /// The article at `lang`/`slug` with what its page shows around it: translations, up to
    /// `similar` similar articles and its storyline. The default reads each part with its
    /// own method; a backend for which every statement is a network round trip overrides it
    /// to read the same in fewer.
    async fn article_page(
        &self,
        lang: Language,
        slug: &str,
        similar: u64,
    ) -> Result<Option<ArticlePage>, StoreError> {
        let Some(article) = self.article(lang, slug).await? else {
            return Ok(None);
        };
        let translations = match &article.content.translation_group {
            Some(group) => self.translations(group, article.id).await?,
            None => Vec::new(),
        };
        let similar = self.similar(&article, similar).await?;
        let storyline = match self.storyline_of(article.id).await? {
            Some(id) => self.storyline_summary(id, lang).await?,
            None => None,
        };
        Ok(Some(ArticlePage {
            article,
            translations,
            similar,
            storyline,
        }))
    }

    /// A storyline with its latest [`STORYLINE_PAGE_ARTICLES`] articles in `lang` (oldest
    /// first); `None` if it has none in that language.
    async fn storyline(
        &self,
        id: i64,
        lang: Language,
    ) -> Result<Option<StorylineDetail>, StoreError> {
        self.storyline_page(id, lang, 1).await
    }

    /// One page of a storyline's articles in `lang`, [`STORYLINE_PAGE_ARTICLES`] a page,
    /// oldest first within the page: page 1 holds the latest ones, page 2 those before them,
    /// and so on (empty past the last page). `None` if it has no article in that language.
    async fn storyline_page(
        &self,
        id: i64,
        lang: Language,
        page: u64,
    ) -> Result<Option<StorylineDetail>, StoreError>;

    /// Every storyline with commentaries in `lang`, one-commentary ones included, the most
    /// recently active first: what editors pick from.
    async fn recent_storylines(
        &self,
        lang: Language,
        limit: u64,
    ) -> Result<Vec<StorylineSummary>, StoreError>;

    /// The storylines readers are pointed to in `lang` (those with at least
    /// [`trendwatch_core::storyline::SHOWN_FROM_ARTICLES`] commentaries there), the most
    /// recently active first ("Recent trends").
    async fn shown_storylines(
        &self,
        lang: Language,
        limit: u64,
    ) -> Result<Vec<StorylineSummary>, StoreError>;

    /// Other storylines on the same topics, most recently active first.
    async fn related_storylines(
        &self,
        id: i64,
        lang: Language,
        limit: u64,
    ) -> Result<Vec<StorylineSummary>, StoreError>;

    /// Sets (or, with `None`, clears) the editor's title of a storyline.
    async fn rename_storyline(&self, id: i64, title: Option<String>) -> Result<(), EditError>;

    /// Moves every article of `from` into `into` (as an editor's decision) and deletes `from`.
    async fn merge_storylines(&self, from: i64, into: i64) -> Result<(), EditError>;

    /// Moves one article to storyline `to`, or to a new storyline when `None`; returns the
    /// storyline it is now in. Its translations move with it.
    async fn move_article(&self, article_id: i64, to: Option<i64>) -> Result<i64, EditError>;

    /// Splits storyline `id`: the articles published at or after `from_article` move to a new
    /// storyline, whose id is returned.
    async fn split_storyline(&self, id: i64, from_article: i64) -> Result<i64, EditError>;

    /// Forecasts of commentaries in `lang`, optionally only those of one topic or author,
    /// oldest resolve-by date first.
    async fn forecasts(
        &self,
        lang: Language,
        topic: Option<&str>,
        author: Option<&str>,
    ) -> Result<Vec<ForecastEntry>, StoreError>;

    /// Unresolved forecasts whose resolve-by date is before `today`, in every language.
    async fn overdue_forecasts(&self, today: time::Date) -> Result<Vec<ForecastEntry>, StoreError>;

    /// Records how a forecast turned out (an editor's decision, kept across re-imports).
    async fn resolve_forecast(&self, id: i64, outcome: Outcome) -> Result<(), EditError>;

    /// A number that changes whenever content changes, so caches of every process (and later
    /// every web node) know when to drop their pages.
    async fn generation(&self) -> Result<i64, StoreError>;

    /// How many articles there are in each language.
    async fn count_articles(&self) -> Result<Vec<(Language, u64)>, StoreError>;

    // Accounts and sessions of the desk.

    /// Creates an account; refused ([`EditError::Invalid`]) when the e-mail address already
    /// has one. Returns its id.
    async fn create_user(&self, user: &NewUser) -> Result<i64, EditError>;

    /// The account of an e-mail address (normalised), with its password hash, for login.
    async fn user_by_email(&self, email: &str) -> Result<Option<StoredUser>, StoreError>;

    /// Every account, oldest first.
    async fn users(&self) -> Result<Vec<User>, StoreError>;

    /// Disables or re-enables an account; disabling ends its sessions.
    async fn set_user_disabled(&self, id: i64, disabled: bool) -> Result<(), EditError>;

    /// Replaces an account's password hash and ends its sessions.
    async fn set_password_hash(&self, id: i64, password_hash: &str) -> Result<(), EditError>;

    /// Records a new session under the hash of its token.
    async fn create_session(
        &self,
        token_hash: &[u8],
        user_id: i64,
        at: time::OffsetDateTime,
    ) -> Result<(), StoreError>;

    /// The session of a token hash, with its account.
    async fn session(&self, token_hash: &[u8]) -> Result<Option<Session>, StoreError>;

    /// Marks a session used at `at` (for the idle timeout).
    async fn touch_session(
        &self,
        token_hash: &[u8],
        at: time::OffsetDateTime,
    ) -> Result<(), StoreError>;

    /// Ends one session (logout, or a timeout found).
    async fn end_session(&self, token_hash: &[u8]) -> Result<(), StoreError>;

    /// Ends every session of an account; returns how many there were.
    async fn end_sessions_of(&self, user_id: i64) -> Result<u64, StoreError>;

    /// Records a password reset of account `user_id` under the hash of its token.
    async fn create_password_reset(
        &self,
        token_hash: &[u8],
        user_id: i64,
        at: time::OffsetDateTime,
        expires_at: time::OffsetDateTime,
    ) -> Result<(), StoreError>;

    /// The account a reset token is for, if it is unused, unexpired at `now` and its account
    /// enabled.
    async fn password_reset_user(
        &self,
        token_hash: &[u8],
        now: time::OffsetDateTime,
    ) -> Result<Option<i64>, StoreError>;

    /// Uses a reset token: sets the password hash, marks every open reset of the account
    /// used and ends its sessions, in one transaction. `None` when the token is not valid.
    async fn use_password_reset(
        &self,
        token_hash: &[u8],
        password_hash: &str,
        now: time::OffsetDateTime,
    ) -> Result<Option<i64>, StoreError>;

    /// Records an invitation under the hash of its token.
    async fn create_invitation(
        &self,
        token_hash: &[u8],
        invitation: &Invitation,
        at: time::OffsetDateTime,
    ) -> Result<(), StoreError>;

    /// The invitation of a token hash, used or not.
    async fn invitation(&self, token_hash: &[u8]) -> Result<Option<Invitation>, StoreError>;

    /// Creates the invited account and marks the invitation used, in one transaction:
    /// refused ([`EditError::Invalid`]) when the invitation is unknown or already used, or
    /// the address already has an account. Expiry is the caller's rule to check.
    async fn accept_invitation(&self, token_hash: &[u8], user: &NewUser) -> Result<i64, EditError>;

    /// Appends a line to the audit log.
    async fn record_audit(&self, entry: &AuditEntry) -> Result<(), StoreError>;

    /// The newest `limit` lines of the audit log, newest first.
    async fn audit_log(&self, limit: u64) -> Result<Vec<AuditEntry>, StoreError>;

    /// An account's two-step sign-in.
    async fn totp_state(&self, user_id: i64) -> Result<TotpState, StoreError>;

    /// Keeps (or with `None` forgets) a secret being set up, not yet confirmed.
    async fn set_totp_pending(
        &self,
        user_id: i64,
        secret: Option<Vec<u8>>,
    ) -> Result<(), StoreError>;

    /// Turns two-step sign-in on with `secret` (confirmed), replacing the recovery codes
    /// with `recovery_hashes` (SHA-256 of each) and clearing the pending secret.
    async fn enable_totp(
        &self,
        user_id: i64,
        secret: Vec<u8>,
        recovery_hashes: Vec<[u8; 32]>,
    ) -> Result<(), StoreError>;

    /// Turns two-step sign-in off, forgetting the secret and the recovery codes.
    async fn disable_totp(&self, user_id: i64) -> Result<(), StoreError>;

    /// Accepts a code of time step `step` once: true only if no code of this or a later
    /// step was accepted before (a code seen once never works again).
    async fn use_totp_step(&self, user_id: i64, step: i64) -> Result<bool, StoreError>;

    /// Uses up a recovery code by its hash; true if it was there and unused.
    async fn use_recovery_code(
        &self,
        user_id: i64,
        code_hash: [u8; 32],
        at: time::OffsetDateTime,
    ) -> Result<bool, StoreError>;

    /// How many unused recovery codes an account has left.
    async fn recovery_codes_left(&self, user_id: i64) -> Result<u64, StoreError>;

    /// Records a sign-in that passed the password and waits for its second step.
    async fn create_pending_login(
        &self,
        token_hash: [u8; 32],
        user_id: i64,
        at: time::OffsetDateTime,
    ) -> Result<(), StoreError>;

    /// The account and start of a pending login (kept until it completes or expires).
    async fn pending_login(
        &self,
        token_hash: [u8; 32],
    ) -> Result<Option<(i64, time::OffsetDateTime)>, StoreError>;

    /// Ends a pending login.
    async fn end_pending_login(&self, token_hash: [u8; 32]) -> Result<(), StoreError>;

    /// Records a personal API token of `user_id` under the hash of its value; returns its id.
    async fn create_api_token(
        &self,
        user_id: i64,
        name: &str,
        token_hash: &[u8],
        at: time::OffsetDateTime,
    ) -> Result<i64, EditError>;

    /// The account a token hash belongs to, when the token is not revoked and the account
    /// not disabled; marks the token used at `at`.
    async fn api_token_user(
        &self,
        token_hash: &[u8],
        at: time::OffsetDateTime,
    ) -> Result<Option<User>, StoreError>;

    /// The tokens of an account, newest first.
    async fn api_tokens_of(&self, user_id: i64) -> Result<Vec<ApiTokenInfo>, StoreError>;

    /// Revokes token `id` of account `user_id` ([`EditError::NotFound`] when it has no such
    /// token).
    async fn revoke_api_token(
        &self,
        user_id: i64,
        id: i64,
        at: time::OffsetDateTime,
    ) -> Result<(), EditError>;

    // The newsroom's articles, kept apart from the public archive (see
    // `trendwatch_core::newsroom`): nothing below is ever read by a public page.

    /// Creates a desk article in state draft with `content` as revision 1; returns its id.
    async fn create_desk_article(
        &self,
        content: &DeskContent,
        author_id: i64,
        translation_of: Option<i64>,
        at: time::OffsetDateTime,
    ) -> Result<i64, EditError>;

    /// A desk article with its current content.
    async fn desk_article(&self, id: i64) -> Result<Option<DeskArticle>, StoreError>;

    /// Desk articles matching `filter`, by week, topic and language.
    async fn desk_articles(&self, filter: &DeskFilter) -> Result<Vec<DeskSummary>, StoreError>;

    /// The desk articles of one commentary in its languages: the first version and its
    /// translations (`id` is any of them).
    async fn desk_translations(&self, id: i64) -> Result<Vec<DeskSummary>, StoreError>;

    /// Saves `content` as a new revision of desk article `id`, if its current revision is
    /// still `base` ([`EditError::Stale`] otherwise: never overwrite someone else's save).
    /// Content equal to the current revision's makes no new revision. Returns the article's
    /// revision after the save.
    async fn save_desk_content(
        &self,
        id: i64,
        base: i64,
        content: &DeskContent,
        by: i64,
        note: &str,
        at: time::OffsetDateTime,
    ) -> Result<i64, EditError>;

    /// Every revision of a desk article, newest first.
    async fn desk_revisions(&self, id: i64) -> Result<Vec<DeskRevision>, StoreError>;

    /// Moves desk article `id` from state `from` to `to` (refused with
    /// [`EditError::Invalid`] when it is no longer in `from`, so that two nodes, or a
    /// scheduler and an editor, cannot both publish it). `scheduled_at` is kept for
    /// [`DeskState::Scheduled`] and cleared otherwise; `published`, when given, sets the
    /// published revision and first publication time exactly (a publication, or putting them
    /// back after a failed one).
    #[allow(clippy::too_many_arguments)]
    async fn set_desk_state(
        &self,
        id: i64,
        from: DeskState,
        to: DeskState,
        scheduled_at: Option<time::OffsetDateTime>,
        published: Option<PublishedMark>,
        by: i64,
        at: time::OffsetDateTime,
    ) -> Result<(), EditError>;

    /// Scheduled desk articles whose time is at or before `now`, earliest first.
    async fn due_desk_articles(&self, now: time::OffsetDateTime) -> Result<Vec<i64>, StoreError>;

    /// The earliest publication time of a scheduled desk article.
    async fn next_scheduled(&self) -> Result<Option<time::OffsetDateTime>, StoreError>;

    /// Adds a review comment.
    async fn add_desk_comment(
        &self,
        id: i64,
        by: i64,
        text: &str,
        at: time::OffsetDateTime,
    ) -> Result<(), EditError>;

    /// The review comments of a desk article, oldest first.
    async fn desk_comments(&self, id: i64) -> Result<Vec<DeskComment>, StoreError>;

    /// Marks desk article `id` open in `user`'s form (the post lock), unless someone else
    /// holds a lock younger than [`trendwatch_core::newsroom::LOCK_MINUTES`]: then returns
    /// theirs and takes nothing.
    async fn lock_desk_article(
        &self,
        id: i64,
        user: i64,
        at: time::OffsetDateTime,
    ) -> Result<Option<DeskLock>, StoreError>;

    /// Takes the article with `key` off the public archive (with its links, tags, forecasts
    /// and storyline place; the storyline's statistics are refreshed). Returns its id, or
    /// `None` when no article has that key.
    async fn remove_article(&self, key: &str) -> Result<Option<i64>, StoreError>;

    /// The article (language and slug) an address of an older site names, for its permanent
    /// redirect.
    async fn legacy_target(&self, path: &str) -> Result<Option<(Language, String)>, StoreError>;

    // --- The weekly digest (migration 0019) ---

    /// The site's secret called `name`, made from `fresh` on first use and the same ever
    /// after (every web node reads the one stored).
    async fn site_secret(&self, name: &str, fresh: [u8; 32]) -> Result<[u8; 32], StoreError>;

    /// Records a reader's request: a new address (or one that had left or was suppressed)
    /// becomes pending with these preferences; a pending one takes the new preferences; a
    /// confirmed one keeps its state and takes them too.
    async fn subscribe(
        &self,
        request: &SubscriptionRequest,
        at: time::OffsetDateTime,
    ) -> Result<SubscribeOutcome, StoreError>;

    /// One subscription by id.
    async fn subscriber(&self, id: i64) -> Result<Option<Subscriber>, StoreError>;

    /// Confirms a pending subscription (double opt-in); `false` when it is not pending.
    async fn confirm_subscriber(
        &self,
        id: i64,
        at: time::OffsetDateTime,
    ) -> Result<bool, StoreError>;

    /// Changes a subscription's edition and topics; `false` when there is none.
    async fn set_subscriber_preferences(
        &self,
        id: i64,
        language: Language,
        topics: &[String],
    ) -> Result<bool, StoreError>;

    /// Ends a subscription; its pending deliveries are dropped. `false` when there is none.
    async fn unsubscribe(&self, id: i64) -> Result<bool, StoreError>;

    /// Subscriptions by state in `language`: (pending, confirmed, unsubscribed, suppressed).
    async fn subscriber_counts(
        &self,
        language: Language,
    ) -> Result<(u64, u64, u64, u64), StoreError>;

    /// Starts the digest of `period` in `language` with every confirmed reader of that
    /// language as a recipient, in one transaction; when that week was started before,
    /// returns the existing send instead (sending again resumes it).
    async fn start_digest_send(
        &self,
        period: Period,
        language: Language,
        by: Option<i64>,
        at: time::OffsetDateTime,
    ) -> Result<DigestSend, StoreError>;

    /// Digest sends, newest first, with their counts.
    async fn digest_sends(&self, limit: u64) -> Result<Vec<DigestSend>, StoreError>;

    /// One digest send with its counts.
    async fn digest_send(&self, id: i64) -> Result<Option<DigestSend>, StoreError>;

    /// Recipients of send `id` left `sending` by a process that stopped become
    /// `interrupted` (never sent again); returns how many. Call before resuming a send.
    async fn interrupt_digest_deliveries(&self, id: i64) -> Result<u64, StoreError>;

    /// Claims the next pending recipient of send `id` (marks it `sending`) and returns the
    /// subscription; `None` when nobody is left. A reader who left since the send started
    /// is skipped.
    async fn claim_digest_recipient(
        &self,
        id: i64,
        at: time::OffsetDateTime,
    ) -> Result<Option<Subscriber>, StoreError>;

    /// Records how the delivery of send `id` to `subscriber` ended; a permanent failure
    /// also suppresses the address.
    async fn finish_digest_delivery(
        &self,
        id: i64,
        subscriber: i64,
        delivery: &Delivery,
        at: time::OffsetDateTime,
    ) -> Result<(), StoreError>;
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_shown_storylines_condition_follows_the_domain_rule() {
        assert_eq!(
            super::SHOWN_STORYLINES_SQL,
            format!(
                "articles >= {}",
                trendwatch_core::storyline::SHOWN_FROM_ARTICLES
            )
        );
    }
}
