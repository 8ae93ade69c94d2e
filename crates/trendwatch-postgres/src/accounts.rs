//! Accounts, sessions, invitations, password resets, two-step sign-in and API tokens of the
//! desk in PostgreSQL.

use crate::rows::{self, R};
use sqlx::postgres::PgRow;
use sqlx::AssertSqlSafe;
use sqlx::{PgConnection, Row};
use time::OffsetDateTime;
use trendwatch_core::accounts::{
    ApiTokenInfo, AuditEntry, Invitation, NewUser, Role, Session, StoredUser, TotpState, User,
};

const USER_COLUMNS: &str = "u.id, u.email, u.name, u.role, u.disabled, u.created_at";

fn user_of(r: &PgRow) -> R<User> {
    Ok(User {
        id: r.try_get(0)?,
        email: r.try_get(1)?,
        name: r.try_get(2)?,
        role: rows::parsed::<Role>(r, 3)?,
        disabled: r.try_get(4)?,
        created_at: r.try_get(5)?,
    })
}

/// Inserts an account; `None` when the address already has one.
pub async fn create_user(c: &mut PgConnection, u: &NewUser) -> R<Option<i64>> {
    sqlx::query_scalar(
        "INSERT INTO users (email, name, role, password_hash, created_at) \
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (email) DO NOTHING RETURNING id",
    )
    .bind(&u.email)
    .bind(&u.name)
    .bind(u.role.code())
    .bind(&u.password_hash)
    .bind(u.created_at)
    .fetch_optional(c)
    .await
}

pub async fn user_by_email(c: &mut PgConnection, email: &str) -> R<Option<StoredUser>> {
    let row = sqlx::query(AssertSqlSafe(format!(
        "SELECT {USER_COLUMNS}, u.password_hash FROM users u WHERE u.email = $1"
    )))
    .bind(email)
    .fetch_optional(c)
    .await?;
    row.map(|r| {
        Ok(StoredUser {
            user: user_of(&r)?,
            password_hash: r.try_get(6)?,
        })
    })
    .transpose()
}

pub async fn users(c: &mut PgConnection) -> R<Vec<User>> {
    let found = sqlx::query(AssertSqlSafe(format!(
        "SELECT {USER_COLUMNS} FROM users u ORDER BY u.id"
    )))
    .fetch_all(c)
    .await?;
    rows::all(found, user_of)
}

/// Disables or enables an account, ending its sessions when disabling; `false` when there is
/// no such account. Runs inside the caller's transaction.
pub async fn set_disabled(c: &mut PgConnection, id: i64, disabled: bool) -> R<bool> {
    let changed = sqlx::query("UPDATE users SET disabled = $1 WHERE id = $2")
        .bind(disabled)
        .bind(id)
        .execute(&mut *c)
        .await?
        .rows_affected();
    if disabled {
        end_sessions_of(c, id).await?;
    }
    Ok(changed == 1)
}

/// Sets the password hash and ends the account's sessions.
pub async fn set_password_hash(c: &mut PgConnection, id: i64, hash: &str) -> R<bool> {
    let changed = sqlx::query("UPDATE users SET password_hash = $1 WHERE id = $2")
        .bind(hash)
        .bind(id)
        .execute(&mut *c)
        .await?
        .rows_affected();
    end_sessions_of(c, id).await?;
    Ok(changed == 1)
}

pub async fn session(c: &mut PgConnection, token_hash: &[u8]) -> R<Option<Session>> {
    let row = sqlx::query(AssertSqlSafe(format!(
        "SELECT {USER_COLUMNS}, s.created_at, s.last_seen_at FROM sessions s \
         JOIN users u ON u.id = s.user_id WHERE s.token_hash = $1"
    )))
    .bind(token_hash)
    .fetch_optional(c)
    .await?;
    row.map(|r| {
        Ok(Session {
            user: user_of(&r)?,
            created_at: r.try_get(6)?,
            last_seen_at: r.try_get(7)?,
        })
    })
    .transpose()
}

pub async fn end_sessions_of(c: &mut PgConnection, user_id: i64) -> R<u64> {
    Ok(sqlx::query("DELETE FROM sessions WHERE user_id = $1")
        .bind(user_id)
        .execute(c)
        .await?
        .rows_affected())
}

pub async fn invitation(c: &mut PgConnection, token_hash: &[u8]) -> R<Option<Invitation>> {
    let row = sqlx::query(
        "SELECT email, role, invited_by, expires_at, used_at FROM invitations WHERE token_hash = $1",
    )
    .bind(token_hash)
    .fetch_optional(c)
    .await?;
    row.map(|r| {
        Ok(Invitation {
            email: r.try_get(0)?,
            role: rows::parsed::<Role>(&r, 1)?,
            invited_by: r.try_get(2)?,
            expires_at: r.try_get(3)?,
            used_at: r.try_get(4)?,
        })
    })
    .transpose()
}

/// Marks the invitation used and creates the account, or neither (the caller commits only
/// on `Some`). `Ok(None)`: the invitation is unknown or used, or the address has an account.
pub async fn accept_invitation(
    c: &mut PgConnection,
    token_hash: &[u8],
    user: &NewUser,
) -> R<Option<i64>> {
    let marked = sqlx::query(
        "UPDATE invitations SET used_at = $1 WHERE token_hash = $2 AND used_at IS NULL",
    )
    .bind(user.created_at)
    .bind(token_hash)
    .execute(&mut *c)
    .await?
    .rows_affected();
    if marked != 1 {
        return Ok(None);
    }
    create_user(c, user).await
}

/// The account a reset token is for, if the token is unused, unexpired at `now` and its
/// account enabled.
pub async fn password_reset_user(
    c: &mut PgConnection,
    token_hash: &[u8],
    now: OffsetDateTime,
) -> R<Option<i64>> {
    sqlx::query_scalar(
        "SELECT r.user_id FROM password_resets r JOIN users u ON u.id = r.user_id \
         WHERE r.token_hash = $1 AND r.used_at IS NULL AND r.expires_at > $2 AND NOT u.disabled",
    )
    .bind(token_hash)
    .bind(now)
    .fetch_optional(c)
    .await
}

/// Uses a reset token: sets the password, marks every reset of the account used and ends
/// its sessions (the caller's transaction). `None` when the token is not valid at `now`.
pub async fn use_password_reset(
    c: &mut PgConnection,
    token_hash: &[u8],
    password_hash: &str,
    now: OffsetDateTime,
) -> R<Option<i64>> {
    // FOR UPDATE: two uses of one token at once, the second waits and then finds it used.
    let user: Option<i64> = sqlx::query_scalar(
        "SELECT r.user_id FROM password_resets r JOIN users u ON u.id = r.user_id \
         WHERE r.token_hash = $1 AND r.used_at IS NULL AND r.expires_at > $2 AND NOT u.disabled \
         FOR UPDATE OF r",
    )
    .bind(token_hash)
    .bind(now)
    .fetch_optional(&mut *c)
    .await?;
    let Some(user) = user else {
        return Ok(None);
    };
    sqlx::query("UPDATE password_resets SET used_at = $2 WHERE user_id = $1 AND used_at IS NULL")
        .bind(user)
        .bind(now)
        .execute(&mut *c)
        .await?;
    sqlx::query("UPDATE users SET password_hash = $1 WHERE id = $2")
        .bind(password_hash)
        .bind(user)
        .execute(&mut *c)
        .await?;
    end_sessions_of(c, user).await?;
    Ok(Some(user))
}

pub async fn audit_log(c: &mut PgConnection, limit: u64) -> R<Vec<AuditEntry>> {
    let found = sqlx::query(
        "SELECT at, actor_id, action, subject FROM audit_log ORDER BY id DESC LIMIT $1",
    )
    .bind(limit as i64)
    .fetch_all(c)
    .await?;
    rows::all(found, |r| {
        Ok(AuditEntry {
            at: r.try_get(0)?,
            actor: r.try_get(1)?,
            action: r.try_get(2)?,
            subject: r.try_get(3)?,
        })
    })
}

/// The live account of a live token, marking the token used.
pub async fn api_token_user(
    c: &mut PgConnection,
    token_hash: &[u8],
    at: OffsetDateTime,
) -> R<Option<User>> {
    let row = sqlx::query(AssertSqlSafe(format!(
        "SELECT {USER_COLUMNS} FROM api_tokens t JOIN users u ON u.id = t.user_id \
         WHERE t.token_hash = $1 AND t.revoked_at IS NULL AND NOT u.disabled"
    )))
    .bind(token_hash)
    .fetch_optional(&mut *c)
    .await?;
    let user = row.as_ref().map(user_of).transpose()?;
    if user.is_some() {
        sqlx::query("UPDATE api_tokens SET last_used_at = $2 WHERE token_hash = $1")
            .bind(token_hash)
            .bind(at)
            .execute(c)
            .await?;
    }
    Ok(user)
}

/// An account's tokens, newest first.
pub async fn api_tokens_of(c: &mut PgConnection, user_id: i64) -> R<Vec<ApiTokenInfo>> {
    let found = sqlx::query(
        "SELECT id, name, created_at, last_used_at, revoked_at FROM api_tokens \
         WHERE user_id = $1 ORDER BY id DESC",
    )
    .bind(user_id)
    .fetch_all(c)
    .await?;
    rows::all(found, |r| {
        Ok(ApiTokenInfo {
            id: r.try_get(0)?,
            name: r.try_get(1)?,
            created_at: r.try_get(2)?,
            last_used_at: r.try_get(3)?,
            revoked_at: r.try_get(4)?,
        })
    })
}

pub async fn totp_state(c: &mut PgConnection, user_id: i64) -> R<TotpState> {
    let row =
        sqlx::query("SELECT totp_secret, totp_pending, totp_last_step FROM users WHERE id = $1")
            .bind(user_id)
            .fetch_optional(c)
            .await?;
    Ok(match row {
        Some(r) => TotpState {
            secret: r.try_get(0)?,
            pending: r.try_get(1)?,
            last_step: r.try_get(2)?,
        },
        None => TotpState::default(),
    })
}

/// Turns two-step sign-in on with its recovery codes (the caller's transaction).
pub async fn enable_totp(
    c: &mut PgConnection,
    user_id: i64,
    secret: &[u8],
    recovery: &[[u8; 32]],
) -> R<()> {
    sqlx::query(
        "UPDATE users SET totp_secret = $2, totp_pending = NULL, totp_last_step = 0 WHERE id = $1",
    )
    .bind(user_id)
    .bind(secret)
    .execute(&mut *c)
    .await?;
    sqlx::query("DELETE FROM recovery_codes WHERE user_id = $1")
        .bind(user_id)
        .execute(&mut *c)
        .await?;
    let hashes: Vec<Vec<u8>> = recovery.iter().map(|h| h.to_vec()).collect();
    sqlx::query(
        "INSERT INTO recovery_codes (user_id, code_hash) SELECT $1, h FROM unnest($2::bytea[]) AS h \
         ON CONFLICT DO NOTHING",
    )
    .bind(user_id)
    .bind(hashes)
    .execute(c)
    .await?;
    Ok(())
}

/// Turns two-step sign-in off and forgets the recovery codes (the caller's transaction).
pub async fn disable_totp(c: &mut PgConnection, user_id: i64) -> R<()> {
    sqlx::query(
        "UPDATE users SET totp_secret = NULL, totp_pending = NULL, totp_last_step = 0 WHERE id = $1",
    )
    .bind(user_id)
    .execute(&mut *c)
    .await?;
    sqlx::query("DELETE FROM recovery_codes WHERE user_id = $1")
        .bind(user_id)
        .execute(c)
        .await?;
    Ok(())
}
