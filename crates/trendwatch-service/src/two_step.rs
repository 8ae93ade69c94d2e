//! Optional two-step sign-in (SECURITY.md A4): a time-based code (TOTP, RFC 6238: HMAC-SHA1,
//! six digits, 30-second steps, one step of clock drift either way) from an authenticator
//! app, after the password. Each code works once (the store keeps the last step accepted);
//! wrong codes count against the account's sign-in throttle in the web layer; ten recovery
//! codes, shown once, are kept only as SHA-256 and work once each. Changing the password
//! leaves two-step sign-in on: a reset never bypasses it.

use crate::accounts::{random_hex, Accounts, LoginError, SecretToken};
use sha2::{Digest, Sha256};
use time::{Duration, OffsetDateTime};
use totp_rs::{Algorithm, Secret, TOTP};
use trendwatch_core::accounts::User;
use trendwatch_store::StoreError;

/// Seconds a code stands for.
pub const STEP_SECONDS: i64 = 30;
/// Recovery codes made when two-step sign-in is turned on.
pub const RECOVERY_CODES: usize = 10;
/// How long a sign-in may wait for its code.
pub const PENDING_LIFETIME: Duration = Duration::minutes(5);

/// What the setup page shows: the secret to type into an app, and the `otpauth://` address
/// a QR code would carry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Setup {
    /// The secret in base32, grouped by four for typing.
    pub secret: String,
    /// `otpauth://totp/…` for apps that read it.
    pub uri: String,
}

/// Why a code was refused.
#[derive(Debug, thiserror::Error)]
pub enum CodeError {
    /// Wrong, used already, or the sign-in expired: one answer for all.
    #[error("the code is wrong or was used already")]
    Refused,
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

fn totp(secret: &[u8]) -> Option<TOTP> {
    TOTP::new(Algorithm::SHA1, 6, 1, STEP_SECONDS as u64, secret.to_vec()).ok()
}

/// The step of `code` for `secret` at `now` (this step or one either side), if it matches.
pub fn matching_step(secret: &[u8], code: &str, now: OffsetDateTime) -> Option<i64> {
    let code: String = code.chars().filter(|c| !c.is_whitespace()).collect();
    if code.len() != 6 || !code.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let totp = totp(secret)?;
    let current = now.unix_timestamp().div_euclid(STEP_SECONDS);
    (current - 1..=current + 1).find(|step| {
        u64::try_from(step * STEP_SECONDS)
            .map(|t| totp.generate(t) == code)
            .unwrap_or(false)
    })
}

/// The code an app shows at `now` for `secret` (for tests and the setup check).
pub fn code_at(secret: &[u8], now: OffsetDateTime) -> Option<String> {
    let t = u64::try_from(now.unix_timestamp()).ok()?;
    Some(totp(secret)?.generate(t))
}

/// A secret's base32 form, as apps take it.
pub fn encode_secret(secret: &[u8]) -> String {
    match Secret::Raw(secret.to_vec()).to_encoded() {
        Secret::Encoded(s) => s,
        Secret::Raw(_) => String::new(),
    }
}

/// A secret from its base32 form (spaces allowed), as the setup page shows it.
pub fn decode_secret(encoded: &str) -> Option<Vec<u8>> {
    let compact: String = encoded.chars().filter(|c| !c.is_whitespace()).collect();
    Secret::Encoded(compact).to_bytes().ok()
}

fn hash_code(code: &str) -> [u8; 32] {
    let normal: String = code
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_lowercase())
        .collect();
    Sha256::digest(normal.as_bytes()).into()
}

impl Accounts {
    /// Whether `user` signs in in two steps.
    pub async fn two_step_enabled(&self, user: &User) -> Result<bool, StoreError> {
        Ok(self.store.totp_state(user.id).await?.secret.is_some())
    }

    /// Recovery codes `user` has left.
    pub async fn recovery_codes_left(&self, user: &User) -> Result<u64, StoreError> {
        self.store.recovery_codes_left(user.id).await
    }

    /// Starts setting up two-step sign-in: a new secret (160 bits, as RFC 4226 recommends),
    /// kept as pending until a code from it is confirmed.
    pub async fn start_two_step(&self, user: &User, issuer: &str) -> Result<Setup, StoreError> {
        let hex = random_hex(20);
        let secret: Vec<u8> = (0..hex.len())
            .step_by(2)
            .filter_map(|i| u8::from_str_radix(&hex[i..i + 2], 16).ok())
            .collect();
        self.store
            .set_totp_pending(user.id, Some(secret.clone()))
            .await?;
        let encoded = encode_secret(&secret);
        let label = |s: &str| {
            s.bytes()
                .map(|b| match b {
                    b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'@' => {
                        (b as char).to_string()
                    }
                    _ => format!("%{b:02X}"),
                })
                .collect::<String>()
        };
        Ok(Setup {
            secret: encoded
                .as_bytes()
                .chunks(4)
                .map(|c| String::from_utf8_lossy(c).into_owned())
                .collect::<Vec<_>>()
                .join(" "),
            uri: format!(
                "otpauth://totp/{}:{}?secret={encoded}&issuer={}&algorithm=SHA1&digits=6&period={STEP_SECONDS}",
                label(issuer),
                label(&user.email),
                label(issuer)
            ),
        })
    }

    /// Confirms the pending secret with a code from it and turns two-step sign-in on;
    /// returns the recovery codes, to be shown once.
    pub async fn confirm_two_step(
        &self,
        user: &User,
        code: &str,
        now: OffsetDateTime,
    ) -> Result<Vec<String>, CodeError> {
        let state = self.store.totp_state(user.id).await?;
        let secret = state.pending.ok_or(CodeError::Refused)?;
        let step = matching_step(&secret, code, now).ok_or(CodeError::Refused)?;
        let codes: Vec<String> = (0..RECOVERY_CODES)
            .map(|_| {
                let h = random_hex(5);
                format!("{}-{}", &h[..5], &h[5..])
            })
            .collect();
        let hashes = codes.iter().map(|c| hash_code(c)).collect();
        self.store.enable_totp(user.id, secret, hashes).await?;
        // The confirming code is used: it cannot also sign anyone in.
        self.store.use_totp_step(user.id, step).await?;
        self.audit(
            now,
            Some(user.id),
            "two-step sign-in turned on",
            &user.email,
        )
        .await;
        Ok(codes)
    }

    /// Turns two-step sign-in off (the web layer asks for the password first).
    pub async fn disable_two_step(
        &self,
        user: &User,
        now: OffsetDateTime,
    ) -> Result<(), StoreError> {
        self.store.disable_totp(user.id).await?;
        self.audit(
            now,
            Some(user.id),
            "two-step sign-in turned off",
            &user.email,
        )
        .await;
        Ok(())
    }

    /// The account a pending sign-in stands for, while it has not expired.
    pub async fn pending_user(
        &self,
        pending: &SecretToken,
        now: OffsetDateTime,
    ) -> Result<Option<User>, StoreError> {
        let Some((user_id, started)) = self.store.pending_login(pending.hash()).await? else {
            return Ok(None);
        };
        if now - started > PENDING_LIFETIME {
            self.store.end_pending_login(pending.hash()).await?;
            return Ok(None);
        }
        Ok(self
            .store
            .users()
            .await?
            .into_iter()
            .find(|u| u.id == user_id && !u.disabled))
    }

    /// Completes a pending sign-in with a code from the app (each works once) or a recovery
    /// code (each works once): opens the session.
    pub async fn finish_sign_in(
        &self,
        pending: &SecretToken,
        code: &str,
        now: OffsetDateTime,
    ) -> Result<(SecretToken, User), LoginError> {
        let Some(user) = self.pending_user(pending, now).await? else {
            return Err(LoginError::Refused);
        };
        let state = self.store.totp_state(user.id).await?;
        let Some(secret) = state.secret else {
            return Err(LoginError::Refused);
        };
        let accepted = match matching_step(&secret, code, now) {
            Some(step) => self.store.use_totp_step(user.id, step).await?,
            None => {
                self.store
                    .use_recovery_code(user.id, hash_code(code), now)
                    .await?
            }
        };
        if !accepted {
            self.audit(
                now,
                Some(user.id),
                "sign-in refused: wrong code",
                &user.email,
            )
            .await;
            return Err(LoginError::Refused);
        }
        self.store.end_pending_login(pending.hash()).await?;
        let token = self.open_session(&user, now).await?;
        Ok((token, user))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc_6238_test_vector() {
        // RFC 6238 appendix B, SHA-1: the secret "12345678901234567890", at 59 s, is
        // 94287082 in eight digits, so 287082 in six.
        let at = OffsetDateTime::from_unix_timestamp(59).expect("time");
        assert_eq!(
            code_at(b"12345678901234567890", at).as_deref(),
            Some("287082")
        );
        assert_eq!(
            matching_step(b"12345678901234567890", "287 082", at),
            Some(1)
        );
        assert_eq!(matching_step(b"12345678901234567890", "287083", at), None);
        assert_eq!(matching_step(b"12345678901234567890", "28708x", at), None);
    }
}
