//! Accounts of the desk: passwords hashed with Argon2id, logins that do not tell an unknown
//! address from a wrong password, and sessions kept by the hash of a random token with idle
//! and absolute timeouts. The rules (roles, password policy) are the core's
//! (`trendwatch_core::accounts`); the store keeps only hashes.

use argon2::password_hash::rand_core::{OsRng, RngCore};
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use sha2::{Digest, Sha256};
use std::fmt;
use std::sync::Arc;
use time::{Duration, OffsetDateTime};
use trendwatch_core::accounts::{
    check_password, normalise_email, ApiTokenInfo, AuditEntry, Invitation, NewUser, PasswordError,
    Role, User,
};
use trendwatch_store::{EditError, Store, StoreError};

/// Why an account could not be created or changed.
#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    /// The e-mail address is malformed.
    #[error("email: {0}")]
    Email(String),
    /// The password breaks the rules.
    #[error("password: {0}")]
    Password(#[from] PasswordError),
    /// The store refused (the address already has an account) or failed.
    #[error(transparent)]
    Store(#[from] EditError),
    /// Hashing failed (it does not, with valid parameters; kept rather than unwrapped).
    #[error("password hashing failed: {0}")]
    Hashing(String),
}

/// Why a login was refused. An unknown address, a wrong password and a disabled account give
/// the same answer, so that the login form does not tell who has an account.
#[derive(Debug, thiserror::Error)]
pub enum LoginError {
    /// Unknown address, wrong password, or a disabled account.
    #[error("the e-mail address or the password is wrong")]
    Refused,
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A secret token: a session's (held in the user's cookie) or an invitation's (held in its
/// one-time link). 256 random bits, hex-encoded; the store keeps only its hash. Never logged.
#[derive(Clone, PartialEq, Eq)]
pub struct SecretToken(String);

impl SecretToken {
    /// The token as sent in the cookie or the link.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// A token as read from a cookie or a link.
    pub fn from_text(value: &str) -> SecretToken {
        SecretToken(value.to_string())
    }

    /// What the store keeps instead of the token: its SHA-256. A fast hash suffices for a
    /// 256-bit random value, which cannot be guessed; it keeps a stolen database from
    /// yielding live sessions.
    pub fn hash(&self) -> [u8; 32] {
        Sha256::digest(self.0.as_bytes()).into()
    }

    /// The anti-forgery token of a session: what every desk form carries in a hidden field
    /// (besides the same-origin check). Derived from the session's token, which another site
    /// cannot read, so it needs no storage and changes with every sign-in.
    pub fn csrf_token(&self) -> String {
        let digest = Sha256::new()
            .chain_update(b"trendwatch csrf\0")
            .chain_update(self.0.as_bytes())
            .finalize();
        digest.iter().map(|b| format!("{b:02x}")).collect()
    }

    /// Whether `sent` is this session's anti-forgery token. Compares every byte whatever
    /// the first difference, so the time taken tells nothing about the token.
    pub fn csrf_matches(&self, sent: &str) -> bool {
        let expected = self.csrf_token();
        expected.len() == sent.len()
            && expected
                .bytes()
                .zip(sent.bytes())
                .fold(0u8, |acc, (a, b)| acc | (a ^ b))
                == 0
    }

    pub(crate) fn random() -> SecretToken {
        SecretToken(random_hex(32))
    }
}

/// `n` random bytes from the operating system, hex-encoded: for tokens and for names nobody
/// may guess (uploaded files).
pub fn random_hex(n: usize) -> String {
    let mut bytes = vec![0u8; n];
    OsRng.fill_bytes(&mut bytes);
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// `N` random bytes from the operating system (for keys).
pub fn random_bytes<const N: usize>() -> [u8; N] {
    let mut bytes = [0u8; N];
    OsRng.fill_bytes(&mut bytes);
    bytes
}

impl fmt::Debug for SecretToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretToken(<redacted>)")
    }
}

/// Hashes a password that passes the rules, with Argon2id and a random salt (the `argon2`
/// crate's defaults: 19 MiB, 2 passes, OWASP's recommendation).
pub fn hash_password(password: &str) -> Result<String, AccountError> {
    check_password(password)?;
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| AccountError::Hashing(e.to_string()))
}

/// A hash of no one's password, verified against when the address is unknown so that the
/// answer takes as long as for a wrong password.
fn dummy_hash() -> &'static str {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DUMMY.get_or_init(|| {
        let salt = SaltString::generate(&mut OsRng);
        Argon2::default()
            .hash_password(b"no account has this password", &salt)
            .map(|h| h.to_string())
            .unwrap_or_default()
    })
}

/// Whether `password` matches the PHC-string `hash`.
pub fn verify_password(hash: &str, password: &str) -> bool {
    PasswordHash::new(hash).is_ok_and(|parsed| {
        Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok()
    })
}

/// What a right password leads to.
#[derive(Debug)]
pub enum SignIn {
    /// A session: the sign-in is complete.
    Session(SecretToken, User),
    /// The account has two-step sign-in: this token (for a short-lived cookie) stands for the
    /// sign-in until its code is given (`Accounts::finish_sign_in`).
    SecondStep(SecretToken),
}

impl SignIn {
    /// The session, when the sign-in needed no second step.
    pub fn session(self) -> Option<(SecretToken, User)> {
        match self {
            SignIn::Session(t, u) => Some((t, u)),
            SignIn::SecondStep(_) => None,
        }
    }
}

/// How long sessions last.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionLimits {
    /// A session unused this long ends.
    pub idle: Duration,
    /// A session ends this long after login, however used.
    pub absolute: Duration,
}

impl Default for SessionLimits {
    /// Two hours idle, twelve hours in all: a working day at the desk, one login.
    fn default() -> Self {
        SessionLimits {
            idle: Duration::hours(2),
            absolute: Duration::hours(12),
        }
    }
}

/// Creates accounts, logs in and out, and finds the account of a session.
pub struct Accounts {
    pub(crate) store: Arc<dyn Store>,
    limits: SessionLimits,
}

impl Accounts {
    /// Accounts kept in `store`, sessions held to `limits`.
    pub fn new(store: Arc<dyn Store>, limits: SessionLimits) -> Accounts {
        Accounts { store, limits }
    }

    pub(crate) async fn audit(
        &self,
        at: OffsetDateTime,
        actor: Option<i64>,
        action: &str,
        subject: &str,
    ) {
        record_audit(&self.store, at, actor, action, subject).await
    }

    /// The newest `limit` lines of the audit log, newest first.
    pub async fn audit_log(&self, limit: u64) -> Result<Vec<AuditEntry>, StoreError> {
        self.store.audit_log(limit).await
    }

    /// Creates an account after checking the address and the password.
    pub async fn add_user(
        &self,
        email: &str,
        name: &str,
        role: Role,
        password: &str,
        now: OffsetDateTime,
    ) -> Result<i64, AccountError> {
        let email = normalise_email(email).map_err(AccountError::Email)?;
        let name = match name.trim() {
            "" => email.split('@').next().unwrap_or_default().to_string(),
            n => n.to_string(),
        };
        let password_hash = hash_password(password)?;
        let id = self
            .store
            .create_user(&NewUser {
                email,
                name,
                role,
                password_hash,
                created_at: now,
            })
            .await?;
        Ok(id)
    }

    /// Checks an address and a password and opens a new session (a new token at every
    /// login). Unknown addresses cost one Argon2 verification too.
    pub async fn log_in(
        &self,
        email: &str,
        password: &str,
        now: OffsetDateTime,
    ) -> Result<SignIn, LoginError> {
        let stored = match normalise_email(email) {
            Ok(email) => self.store.user_by_email(&email).await?,
            Err(_) => None,
        };
        let hash = stored
            .as_ref()
            .map_or(dummy_hash(), |s| s.password_hash.as_str())
            .to_string();
        let password = password.to_string();
        let matches = tokio::task::spawn_blocking(move || verify_password(&hash, &password))
            .await
            .unwrap_or(false);
        let user = match stored {
            Some(s) if matches && !s.user.disabled => s.user,
            _ => {
                let typed = email.trim().to_lowercase();
                self.audit(now, None, "sign-in refused", &typed).await;
                return Err(LoginError::Refused);
            }
        };
        if self.store.totp_state(user.id).await?.secret.is_some() {
            // The password was right; the session waits for the second step.
            let pending = SecretToken::random();
            self.store
                .create_pending_login(pending.hash(), user.id, now)
                .await?;
            self.audit(
                now,
                Some(user.id),
                "sign-in: password accepted, code asked",
                &user.email,
            )
            .await;
            return Ok(SignIn::SecondStep(pending));
        }
        let token = self.open_session(&user, now).await?;
        Ok(SignIn::Session(token, user))
    }

    /// Opens a session for `user` (whose sign-in is complete) and records it.
    pub(crate) async fn open_session(
        &self,
        user: &User,
        now: OffsetDateTime,
    ) -> Result<SecretToken, StoreError> {
        let token = SecretToken::random();
        self.store
            .create_session(&token.hash(), user.id, now)
            .await?;
        self.audit(now, Some(user.id), "sign-in", &user.email).await;
        Ok(token)
    }

    /// The account of a session token, if the session is open and within its timeouts;
    /// marks it used. A session past a timeout is ended.
    pub async fn session(
        &self,
        token: &SecretToken,
        now: OffsetDateTime,
    ) -> Result<Option<User>, StoreError> {
        let hash = token.hash();
        let Some(session) = self.store.session(&hash).await? else {
            return Ok(None);
        };
        let expired = now - session.last_seen_at > self.limits.idle
            || now - session.created_at > self.limits.absolute
            || session.user.disabled;
        if expired {
            self.store.end_session(&hash).await?;
            return Ok(None);
        }
        self.store.touch_session(&hash, now).await?;
        Ok(Some(session.user))
    }

    /// Ends a session (logout) of `user`.
    pub async fn log_out(
        &self,
        token: &SecretToken,
        user: &User,
        now: OffsetDateTime,
    ) -> Result<(), StoreError> {
        self.store.end_session(&token.hash()).await?;
        self.audit(now, Some(user.id), "sign-out", &user.email)
            .await;
        Ok(())
    }

    /// Whether `password` is the current password of account `user` (for changing it).
    pub async fn check_current_password(
        &self,
        user: &User,
        password: &str,
    ) -> Result<bool, StoreError> {
        let Some(stored) = self.store.user_by_email(&user.email).await? else {
            return Ok(false);
        };
        let password = password.to_string();
        Ok(
            tokio::task::spawn_blocking(move || verify_password(&stored.password_hash, &password))
                .await
                .unwrap_or(false),
        )
    }

    /// Replaces an account's password (the rules apply) and ends all its sessions.
    pub async fn change_password(&self, id: i64, password: &str) -> Result<(), AccountError> {
        let hash = hash_password(password)?;
        self.store.set_password_hash(id, &hash).await?;
        let now = OffsetDateTime::now_utc();
        self.audit(now, Some(id), "password changed", &format!("account {id}"))
            .await;
        Ok(())
    }
}

/// How long an invitation link works.
pub const INVITATION_LIFETIME: Duration = Duration::days(7);

/// How long a password reset link works.
pub const RESET_LIFETIME: Duration = Duration::minutes(60);

/// Why a password reset link was refused, or its new password.
#[derive(Debug, thiserror::Error)]
pub enum ResetError {
    /// Unknown, used, expired, or its account disabled, alike.
    #[error("this link is not valid: it may have expired or been used already")]
    NotValid,
    /// The chosen password breaks the rules.
    #[error("password: {0}")]
    Password(#[from] PasswordError),
    /// The store failed, or hashing did.
    #[error("{0}")]
    Failed(String),
}

impl Accounts {
    /// A reset link for the enabled account of `email`: its token and the account's address,
    /// or `None` for an unknown, malformed or disabled address. The caller answers the same
    /// either way and sends the e-mail off the request's path, so the reply tells nothing.
    pub async fn request_password_reset(
        &self,
        email: &str,
        now: OffsetDateTime,
    ) -> Result<Option<(SecretToken, String)>, StoreError> {
        let Ok(email) = normalise_email(email) else {
            return Ok(None);
        };
        let Some(stored) = self.store.user_by_email(&email).await? else {
            return Ok(None);
        };
        if stored.user.disabled {
            return Ok(None);
        }
        let token = SecretToken::random();
        let id = stored.user.id;
        self.store
            .create_password_reset(&token.hash(), id, now, now + RESET_LIFETIME)
            .await?;
        self.audit(
            now,
            Some(id),
            "password reset requested",
            &format!("account {id}"),
        )
        .await;
        Ok(Some((token, email)))
    }

    /// Whether a reset link is valid now (the form is shown only then).
    pub async fn open_password_reset(
        &self,
        token: &SecretToken,
        now: OffsetDateTime,
    ) -> Result<bool, StoreError> {
        Ok(self
            .store
            .password_reset_user(&token.hash(), now)
            .await?
            .is_some())
    }

    /// Sets the password of the account a reset link is for; the link and every other open
    /// reset of the account stop working and its sessions end. Two-step sign-in stays on.
    pub async fn reset_password(
        &self,
        token: &SecretToken,
        password: &str,
        now: OffsetDateTime,
    ) -> Result<i64, ResetError> {
        if !self
            .open_password_reset(token, now)
            .await
            .map_err(|e| ResetError::Failed(e.to_string()))?
        {
            return Err(ResetError::NotValid);
        }
        let hash = match hash_password(password) {
            Ok(h) => h,
            Err(AccountError::Password(p)) => return Err(ResetError::Password(p)),
            Err(e) => return Err(ResetError::Failed(e.to_string())),
        };
        let id = self
            .store
            .use_password_reset(&token.hash(), &hash, now)
            .await
            .map_err(|e| ResetError::Failed(e.to_string()))?
            .ok_or(ResetError::NotValid)?;
        self.audit(now, Some(id), "password reset", &format!("account {id}"))
            .await;
        Ok(id)
    }
}

/// Why an invitation link was refused: unknown, used or expired alike, so that a guessed link
/// learns nothing.
#[derive(Debug, thiserror::Error)]
pub enum InvitationError {
    /// Unknown, already used, or past its date.
    #[error("this invitation link is not valid: it may have expired or been used already")]
    NotValid,
    /// The chosen password breaks the rules.
    #[error("password: {0}")]
    Password(#[from] PasswordError),
    /// The store failed, or hashing did.
    #[error("{0}")]
    Failed(String),
}

impl Accounts {
    /// Invites `email` to the desk with `role`, on behalf of the admin `by`; returns the
    /// one-time token of the link to pass on (valid for [`INVITATION_LIFETIME`]).
    pub async fn invite(
        &self,
        email: &str,
        role: Role,
        by: &User,
        now: OffsetDateTime,
    ) -> Result<SecretToken, AccountError> {
        let email = normalise_email(email).map_err(AccountError::Email)?;
        let token = SecretToken::random();
        let invitation = Invitation {
            email,
            role,
            invited_by: by.id,
            expires_at: now + INVITATION_LIFETIME,
            used_at: None,
        };
        let subject = format!("{} as {role}", invitation.email);
        self.store
            .create_invitation(&token.hash(), &invitation, now)
            .await
            .map_err(|e| AccountError::Store(EditError::Backend(e)))?;
        self.audit(now, Some(by.id), "invitation", &subject).await;
        Ok(token)
    }

    /// The invitation a link's token opens, if it is still valid.
    pub async fn open_invitation(
        &self,
        token: &SecretToken,
        now: OffsetDateTime,
    ) -> Result<Invitation, InvitationError> {
        match self.store.invitation(&token.hash()).await {
            Ok(Some(i)) if i.used_at.is_none() && now < i.expires_at => Ok(i),
            Ok(_) => Err(InvitationError::NotValid),
            Err(e) => Err(InvitationError::Failed(e.to_string())),
        }
    }

    /// Creates the invited account with the name and password its owner chose; the link
    /// then stops working. Returns the new account's id.
    pub async fn accept_invitation(
        &self,
        token: &SecretToken,
        name: &str,
        password: &str,
        now: OffsetDateTime,
    ) -> Result<i64, InvitationError> {
        let invitation = self.open_invitation(token, now).await?;
        let password_hash = hash_password(password).map_err(|e| match e {
            AccountError::Password(p) => InvitationError::Password(p),
            other => InvitationError::Failed(other.to_string()),
        })?;
        let name = match name.trim() {
            "" => invitation
                .email
                .split('@')
                .next()
                .unwrap_or_default()
                .to_string(),
            n => n.to_string(),
        };
        let user = NewUser {
            email: invitation.email,
            name,
            role: invitation.role,
            password_hash,
            created_at: now,
        };
        let subject = format!("{} as {}", user.email, user.role);
        let id = self
            .store
            .accept_invitation(&token.hash(), &user)
            .await
            .map_err(|e| match e {
                EditError::Invalid(_) => InvitationError::NotValid,
                other => InvitationError::Failed(other.to_string()),
            })?;
        self.audit(now, Some(id), "invitation accepted", &subject)
            .await;
        Ok(id)
    }

    /// An admin (`by`) disables or re-enables account `id`; disabling ends its sessions. An
    /// admin cannot disable their own account (the desk would lose its last key).
    pub async fn set_disabled(
        &self,
        by: &User,
        id: i64,
        disabled: bool,
        now: OffsetDateTime,
    ) -> Result<(), EditError> {
        if disabled && by.id == id {
            return Err(EditError::Invalid(
                "you cannot disable your own account".into(),
            ));
        }
        self.store.set_user_disabled(id, disabled).await?;
        let action = if disabled {
            "account disabled"
        } else {
            "account enabled"
        };
        let subject = self
            .store
            .users()
            .await?
            .into_iter()
            .find(|u| u.id == id)
            .map_or_else(|| format!("account {id}"), |u| u.email);
        self.audit(now, Some(by.id), action, &subject).await;
        Ok(())
    }

    /// Every account, oldest first.
    pub async fn users(&self) -> Result<Vec<User>, StoreError> {
        self.store.users().await
    }

    /// Makes a personal API token for `user`, named `name`; returns its value, shown once
    /// (the store keeps its hash). The token acts with its owner's role.
    pub async fn create_api_token(
        &self,
        user: &User,
        name: &str,
        now: OffsetDateTime,
    ) -> Result<SecretToken, EditError> {
        let name: String = name.trim().chars().take(100).collect();
        if name.is_empty() {
            return Err(EditError::Invalid(
                "name the token after what will use it (\"import script\")".into(),
            ));
        }
        // The prefix tells a leaked token's kind at a glance (and to secret scanners).
        let token = SecretToken(format!("{API_TOKEN_PREFIX}{}", random_hex(32)));
        self.store
            .create_api_token(user.id, &name, &token.hash(), now)
            .await?;
        self.audit(now, Some(user.id), "API token created", &name)
            .await;
        Ok(token)
    }

    /// The account an API token acts for, if the token is live and the account enabled.
    pub async fn api_user(
        &self,
        token: &SecretToken,
        now: OffsetDateTime,
    ) -> Result<Option<User>, StoreError> {
        if !token.as_str().starts_with(API_TOKEN_PREFIX) {
            return Ok(None);
        }
        self.store.api_token_user(&token.hash(), now).await
    }

    /// The API tokens of `user`, newest first.
    pub async fn api_tokens(&self, user: &User) -> Result<Vec<ApiTokenInfo>, StoreError> {
        self.store.api_tokens_of(user.id).await
    }

    /// Revokes one of `user`'s API tokens.
    pub async fn revoke_api_token(
        &self,
        user: &User,
        id: i64,
        now: OffsetDateTime,
    ) -> Result<(), EditError> {
        self.store.revoke_api_token(user.id, id, now).await?;
        self.audit(
            now,
            Some(user.id),
            "API token revoked",
            &format!("token {id}"),
        )
        .await;
        Ok(())
    }
}

/// How every personal API token begins.
pub const API_TOKEN_PREFIX: &str = "tw_";

/// Appends to the audit log. The action has already happened, so a failure to record it is
/// logged rather than undoing or refusing it.
pub(crate) async fn record_audit(
    store: &Arc<dyn Store>,
    at: OffsetDateTime,
    actor: Option<i64>,
    action: &str,
    subject: &str,
) {
    // What a visitor typed is kept, but not without bound.
    let subject: String = subject.chars().take(254).collect();
    let entry = AuditEntry {
        at,
        actor,
        action: action.to_string(),
        subject,
    };
    if let Err(e) = store.record_audit(&entry).await {
        tracing::error!(error = %e, action, "audit log not written");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn accounts(limits: SessionLimits) -> (Accounts, tempfile::TempDir) {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = trendwatch_sqlite::SqliteStore::open(dir.path()).expect("open");
        (Accounts::new(Arc::new(store), limits), dir)
    }

    fn at(minutes: i64) -> OffsetDateTime {
        time::macros::datetime!(2026-11-30 09:00 UTC) + Duration::minutes(minutes)
    }

    #[tokio::test]
    async fn passwords_are_stored_as_argon2id_and_checked_by_the_rules() {
        let (accounts, _dir) = accounts(SessionLimits::default()).await;
        let id = accounts
            .add_user(
                " Ana@Example.org",
                "",
                Role::Admin,
                "correct horse battery",
                at(0),
            )
            .await
            .expect("created");
        let stored = accounts
            .store
            .user_by_email("ana@example.org")
            .await
            .expect("read")
            .expect("account");
        assert_eq!(stored.user.id, id);
        assert_eq!(stored.user.name, "ana");
        assert!(stored.password_hash.starts_with("$argon2id$"), "{stored:?}");
        assert!(!stored.password_hash.contains("horse"));
        assert!(
            !format!("{stored:?}").contains("argon2id"),
            "debug output hides the hash"
        );
        for (password, refused) in [
            ("short", true),
            ("password123", true),
            ("ok but long enough", false),
        ] {
            let r = accounts
                .add_user(
                    &format!("{}@example.org", password.len()),
                    "",
                    Role::Analyst,
                    password,
                    at(0),
                )
                .await;
            assert_eq!(r.is_err(), refused, "{password}: {r:?}");
        }
        assert!(matches!(
            accounts
                .add_user(
                    "ANA@example.org",
                    "",
                    Role::Editor,
                    "another good one",
                    at(0)
                )
                .await,
            Err(AccountError::Store(EditError::Invalid(_)))
        ));
        assert!(matches!(
            accounts
                .add_user(
                    "not an address",
                    "",
                    Role::Editor,
                    "another good one",
                    at(0)
                )
                .await,
            Err(AccountError::Email(_))
        ));
    }

    #[tokio::test]
    async fn logins_refuse_alike_and_sessions_end_by_timeout_logout_and_password_change() {
        let limits = SessionLimits {
            idle: Duration::minutes(30),
            absolute: Duration::minutes(90),
        };
        let (accounts, _dir) = accounts(limits).await;
        let id = accounts
            .add_user(
                "ana@example.org",
                "Ana",
                Role::Editor,
                "correct horse battery",
                at(0),
            )
            .await
            .expect("created");
        let wrong = accounts
            .log_in("ana@example.org", "wrong horse battery", at(0))
            .await
            .map(|s| s.session().expect("no second step"));
        let unknown = accounts
            .log_in("bob@example.org", "correct horse battery", at(0))
            .await
            .map(|s| s.session().expect("no second step"));
        assert_eq!(
            (format!("{:?}", wrong.err()), format!("{:?}", unknown.err())),
            ("Some(Refused)".to_string(), "Some(Refused)".to_string())
        );
        let (t1, user) = accounts
            .log_in("ANA@example.org", "correct horse battery", at(0))
            .await
            .map(|s| s.session().expect("no second step"))
            .expect("login");
        assert_eq!(user.id, id);
        let (t2, _) = accounts
            .log_in("ana@example.org", "correct horse battery", at(0))
            .await
            .map(|s| s.session().expect("no second step"))
            .expect("login");
        assert_ne!(t1, t2, "a new token at every login");
        assert_eq!(t1.as_str().len(), 64);
        assert!(!format!("{t1:?}").contains(t1.as_str()));

        // Used every 20 minutes, t1 stays open until the absolute limit.
        for m in [20, 40, 60, 80] {
            assert!(
                accounts.session(&t1, at(m)).await.expect("read").is_some(),
                "{m}"
            );
        }
        assert!(
            accounts
                .session(&t1, at(100))
                .await
                .expect("read")
                .is_none(),
            "absolute"
        );
        // t2, unused for over 30 minutes, is idle-expired.
        assert!(
            accounts.session(&t2, at(31)).await.expect("read").is_none(),
            "idle"
        );

        let (t3, _) = accounts
            .log_in("ana@example.org", "correct horse battery", at(200))
            .await
            .map(|s| s.session().expect("no second step"))
            .expect("login");
        accounts.log_out(&t3, &user, at(200)).await.expect("logout");
        assert!(
            accounts
                .session(&t3, at(201))
                .await
                .expect("read")
                .is_none(),
            "logout"
        );

        let (t4, _) = accounts
            .log_in("ana@example.org", "correct horse battery", at(300))
            .await
            .map(|s| s.session().expect("no second step"))
            .expect("login");
        accounts
            .change_password(id, "a brand new passphrase")
            .await
            .expect("change");
        assert!(
            accounts
                .session(&t4, at(301))
                .await
                .expect("read")
                .is_none(),
            "password change"
        );
        assert!(accounts
            .log_in("ana@example.org", "correct horse battery", at(302))
            .await
            .map(|s| s.session().expect("no second step"))
            .is_err());

        let (t5, _) = accounts
            .log_in("ana@example.org", "a brand new passphrase", at(400))
            .await
            .map(|s| s.session().expect("no second step"))
            .expect("login");
        accounts
            .store
            .set_user_disabled(id, true)
            .await
            .expect("disable");
        assert!(
            accounts
                .session(&t5, at(401))
                .await
                .expect("read")
                .is_none(),
            "disabled"
        );
        assert!(
            accounts
                .log_in("ana@example.org", "a brand new passphrase", at(402))
                .await
                .map(|s| s.session().expect("no second step"))
                .is_err(),
            "a disabled account cannot log in"
        );
    }

    #[tokio::test]
    async fn an_invitation_works_once_and_only_until_it_expires() {
        let (accounts, _dir) = accounts(SessionLimits::default()).await;
        accounts
            .add_user(
                "admin@example.org",
                "",
                Role::Admin,
                "correct horse battery",
                at(0),
            )
            .await
            .expect("admin");
        let admin = accounts.users().await.expect("users").remove(0);
        let token = accounts
            .invite("Ben@Example.org", Role::Editor, &admin, at(0))
            .await
            .expect("invite");
        let weak = accounts
            .accept_invitation(&token, "Ben", "short", at(1))
            .await;
        assert!(
            matches!(weak, Err(InvitationError::Password(_))),
            "{weak:?}"
        );
        let id = accounts
            .accept_invitation(&token, "Ben", "a good long passphrase", at(1))
            .await
            .expect("accepted");
        let users = accounts.users().await.expect("users");
        let ben = users.iter().find(|u| u.id == id).expect("ben");
        assert_eq!(
            (ben.email.as_str(), ben.role, ben.name.as_str()),
            ("ben@example.org", Role::Editor, "Ben")
        );
        assert!(accounts
            .log_in("ben@example.org", "a good long passphrase", at(2))
            .await
            .map(|s| s.session().expect("no second step"))
            .is_ok());
        let again = accounts
            .accept_invitation(&token, "Eve", "another passphrase", at(3))
            .await;
        assert!(matches!(again, Err(InvitationError::NotValid)), "used once");

        let late = accounts
            .invite("cy@example.org", Role::Analyst, &admin, at(0))
            .await
            .expect("invite");
        let expired = accounts
            .accept_invitation(
                &late,
                "",
                "a good long passphrase",
                at(0) + INVITATION_LIFETIME,
            )
            .await;
        assert!(matches!(expired, Err(InvitationError::NotValid)), "expired");
        let guessed = SecretToken::from_text("00");
        assert!(matches!(
            accounts.open_invitation(&guessed, at(0)).await,
            Err(InvitationError::NotValid)
        ));
    }
}
