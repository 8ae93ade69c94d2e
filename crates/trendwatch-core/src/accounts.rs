//! Who works in the newsroom and what each may do: roles, the password rules, and e-mail
//! addresses as account names. Hashing and sessions, which need randomness, live in the
//! service layer (`trendwatch_service::accounts`); this module only decides.

use std::fmt;
use std::str::FromStr;

/// What a desk account may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Role {
    /// Writes and submits their own drafts, translates.
    Analyst,
    /// Edits any article, reviews, schedules, publishes and unpublishes; curates
    /// storylines, similar lists and forecasts.
    Editor,
    /// Everything an editor does, and manages accounts and settings.
    Admin,
}

impl Role {
    /// Every role, least powerful first.
    pub const ALL: [Role; 3] = [Role::Analyst, Role::Editor, Role::Admin];

    /// Stable identifier for storage and the CLI.
    pub fn code(self) -> &'static str {
        match self {
            Role::Analyst => "analyst",
            Role::Editor => "editor",
            Role::Admin => "admin",
        }
    }

    /// Whether this role includes everything `other` may do (roles are nested: an admin is
    /// also an editor, an editor also an analyst).
    pub fn includes(self, other: Role) -> bool {
        self >= other
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl FromStr for Role {
    type Err = String;

    fn from_str(s: &str) -> Result<Role, String> {
        Role::ALL
            .into_iter()
            .find(|r| r.code() == s)
            .ok_or_else(|| format!("unknown role {s:?}: expected analyst, editor or admin"))
    }
}

/// Shortest password accepted, in characters.
pub const MIN_PASSWORD_CHARS: usize = 8;
/// Longest password accepted, in characters: long passphrases are welcome, but hashing an
/// unbounded input is work an attacker could ask for.
pub const MAX_PASSWORD_CHARS: usize = 128;

/// The most common passwords of public breach lists (and this site's own words), refused
/// whatever their length. Compared without case.
const COMMON_PASSWORDS: &[&str] = &[
    "12345678",
    "123456789",
    "1234567890",
    "12345678910",
    "123123123",
    "11111111",
    "00000000",
    "87654321",
    "88888888",
    "99999999",
    "password",
    "password1",
    "password12",
    "password123",
    "passw0rd",
    "p@ssw0rd",
    "p@ssword",
    "qwertyui",
    "qwerty123",
    "qwertyuiop",
    "1q2w3e4r",
    "1q2w3e4r5t",
    "1qaz2wsx",
    "zaq12wsx",
    "asdfghjk",
    "asdfghjkl",
    "zxcvbnm1",
    "iloveyou",
    "iloveyou1",
    "sunshine",
    "princess",
    "football",
    "baseball",
    "welcome1",
    "welcome123",
    "letmein1",
    "trustno1",
    "superman",
    "starwars",
    "whatever",
    "dragon12",
    "master123",
    "monkey123",
    "abc12345",
    "abcd1234",
    "aa123456",
    "admin123",
    "administrator",
    "changeme",
    "computer",
    "internet",
    "michelle",
    "jennifer",
    "corvette",
    "mercedes",
    "liverpool",
    "chelsea1",
    "arsenal1",
    "charlie1",
    "shadow12",
    "michael1",
    "jordan23",
    "hello123",
    "freedom1",
    "whatever1",
    "qazwsxedc",
    "123qweasd",
    "q1w2e3r4",
    "q1w2e3r4t5",
    "123456qwerty",
    "qwerty12",
    "secret12",
    "default1",
    "newsroom",
    "trendwatch",
    "trendwatch1",
    "editor123",
    "analyst1",
    "йцукенгш",
    "пароль123",
    "qwertyqwerty",
    "1111111111",
    "7777777777",
];

/// Why a password was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PasswordError {
    /// Fewer than [`MIN_PASSWORD_CHARS`] characters.
    #[error("the password has {0} characters; at least {MIN_PASSWORD_CHARS} are required")]
    TooShort(usize),
    /// More than [`MAX_PASSWORD_CHARS`] characters.
    #[error("the password has {0} characters; at most {MAX_PASSWORD_CHARS} are accepted")]
    TooLong(usize),
    /// One of the most common passwords, or one character repeated.
    #[error("this password is among the most common ones; choose another")]
    Common,
}

/// Checks a new password against the rules: 8 to 128 characters, not a common password.
/// Every character counts (no truncation, no trimming).
pub fn check_password(password: &str) -> Result<(), PasswordError> {
    let n = password.chars().count();
    if n < MIN_PASSWORD_CHARS {
        return Err(PasswordError::TooShort(n));
    }
    if n > MAX_PASSWORD_CHARS {
        return Err(PasswordError::TooLong(n));
    }
    let lowered = password.to_lowercase();
    let mut chars = lowered.chars();
    let first = chars.next();
    let one_repeated = chars.all(|c| Some(c) == first);
    if one_repeated || COMMON_PASSWORDS.contains(&lowered.as_str()) {
        return Err(PasswordError::Common);
    }
    Ok(())
}

/// An account's name: an e-mail address, trimmed and lower-cased so that one person cannot
/// hold two accounts by case. Checked for shape only (one `@`, a dot in the domain, no
/// spaces or controls); whether it receives mail is for the invitation to find out.
pub fn normalise_email(raw: &str) -> Result<String, String> {
    let email = raw.trim().to_lowercase();
    let expected = || format!("{raw:?} is not an e-mail address (expected name@example.org)");
    if email.len() > 254 || email.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(expected());
    }
    let (local, domain) = email.split_once('@').ok_or_else(expected)?;
    let domain_ok = domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !domain.contains('@')
        && !domain.contains("..");
    if local.is_empty() || !domain_ok {
        return Err(expected());
    }
    Ok(email)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_are_nested_and_read_back() {
        assert!(Role::Admin.includes(Role::Editor) && Role::Editor.includes(Role::Analyst));
        assert!(!Role::Analyst.includes(Role::Editor) && !Role::Editor.includes(Role::Admin));
        for r in Role::ALL {
            assert_eq!(r.code().parse::<Role>(), Ok(r));
        }
        assert!("root".parse::<Role>().is_err());
    }

    #[test]
    fn passwords_are_held_to_length_and_commonness_without_truncation() {
        assert_eq!(check_password("short12"), Err(PasswordError::TooShort(7)));
        assert_eq!(check_password("Password123"), Err(PasswordError::Common));
        assert_eq!(check_password("zzzzzzzzzz"), Err(PasswordError::Common));
        assert_eq!(check_password("пароль123"), Err(PasswordError::Common));
        assert_eq!(check_password("correct horse battery"), Ok(()));
        // Characters, not bytes: eight Cyrillic letters are enough.
        assert_eq!(check_password("жёлтыйкот"), Ok(()));
        let long = "a1".repeat(64);
        assert_eq!(check_password(&long), Ok(()));
        assert_eq!(
            check_password(&format!("{long}x")),
            Err(PasswordError::TooLong(129))
        );
    }

    #[test]
    fn emails_are_trimmed_lowered_and_shape_checked() {
        assert_eq!(
            normalise_email("  Ana.Editor@Example.ORG "),
            Ok("ana.editor@example.org".to_string())
        );
        for bad in [
            "ana",
            "ana@",
            "@example.org",
            "ana@example",
            "a b@example.org",
            "a@b@c.org",
            "ana@.org",
        ] {
            assert!(normalise_email(bad).is_err(), "{bad}");
        }
    }
}

/// A desk account, as everything but the login check sees it (no password hash).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    /// Database id.
    pub id: i64,
    /// E-mail address (normalised, see [`normalise_email`]).
    pub email: String,
    /// Name shown in the desk and on bylines.
    pub name: String,
    /// What the account may do.
    pub role: Role,
    /// A disabled account cannot log in and has no sessions.
    pub disabled: bool,
    /// When it was created (UTC).
    pub created_at: time::OffsetDateTime,
}

/// An account to create.
#[derive(Clone, PartialEq, Eq)]
pub struct NewUser {
    /// E-mail address (normalised).
    pub email: String,
    /// Name shown in the desk.
    pub name: String,
    /// What the account may do.
    pub role: Role,
    /// The password's Argon2id hash (PHC string), never the password.
    pub password_hash: String,
    /// When it is created (UTC).
    pub created_at: time::OffsetDateTime,
}

/// An account with its password hash: only the login check reads it.
#[derive(Clone, PartialEq, Eq)]
pub struct StoredUser {
    /// The account.
    pub user: User,
    /// Argon2id hash (PHC string).
    pub password_hash: String,
}

/// Hashes are secrets too: debug output (and so logs) never show them.
impl fmt::Debug for StoredUser {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StoredUser")
            .field("user", &self.user)
            .field("password_hash", &"<redacted>")
            .finish()
    }
}

impl fmt::Debug for NewUser {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NewUser")
            .field("email", &self.email)
            .field("name", &self.name)
            .field("role", &self.role)
            .field("password_hash", &"<redacted>")
            .finish()
    }
}

/// One line of the audit log: who did what to what, and when. Never a secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEntry {
    /// When (UTC).
    pub at: time::OffsetDateTime,
    /// The account that acted, if one was signed in (a failed sign-in has none).
    pub actor: Option<i64>,
    /// What happened, a stable identifier (`sign-in`, `sign-in refused`, `invitation`,
    /// `invitation accepted`, `password changed`, `account disabled`).
    pub action: String,
    /// What it was done to: an address, an account, an article.
    pub subject: String,
}

/// An invitation to the desk, as the store keeps it (found by the hash of its token).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invitation {
    /// The address invited (normalised); the account will have it.
    pub email: String,
    /// The role the account will have.
    pub role: Role,
    /// The admin who invited.
    pub invited_by: i64,
    /// When the link stops working (UTC).
    pub expires_at: time::OffsetDateTime,
    /// When it was used, if it was (a link works once).
    pub used_at: Option<time::OffsetDateTime>,
}

/// A signed-in session, as the store keeps it: found by the hash of its token (the token
/// itself is only ever in the user's cookie).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    /// Whose it is.
    pub user: User,
    /// When it began (UTC): the absolute timeout counts from here.
    pub created_at: time::OffsetDateTime,
    /// When it was last used (UTC): the idle timeout counts from here.
    pub last_seen_at: time::OffsetDateTime,
}

/// A personal token of the JSON API, as its owner sees it in the desk (never its value).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiTokenInfo {
    /// Token id.
    pub id: i64,
    /// The owner's name for it ("import script").
    pub name: String,
    /// When it was made (UTC).
    pub created_at: time::OffsetDateTime,
    /// When it was last used (UTC).
    pub last_used_at: Option<time::OffsetDateTime>,
    /// When it was revoked (UTC); a revoked token opens nothing.
    pub revoked_at: Option<time::OffsetDateTime>,
}

/// An account's two-step sign-in, as the store keeps it.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct TotpState {
    /// The confirmed secret: sign-ins need a code.
    pub secret: Option<Vec<u8>>,
    /// A secret shown for setting up, not yet confirmed with a code.
    pub pending: Option<Vec<u8>>,
    /// The last time step a code was accepted for.
    pub last_step: i64,
}

impl std::fmt::Debug for TotpState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TotpState")
            .field("enabled", &self.secret.is_some())
            .field("pending", &self.pending.is_some())
            .field("last_step", &self.last_step)
            .finish()
    }
}
