//! Accounts and sessions of the desk in SQLite (tables of migration 0012).

use rusqlite::{params, Connection, OptionalExtension};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;
use trendwatch_core::accounts::{NewUser, Role, Session, StoredUser, User};

const USER_COLUMNS: &str = "u.id, u.email, u.name, u.role, u.disabled, u.created_at";

pub(crate) fn time_to_sql(t: OffsetDateTime) -> String {
    // UTC with a fixed width, so that text order is time order.
    t.to_offset(time::UtcOffset::UTC)
        .format(&Rfc3339)
        .unwrap_or_default()
}

pub(crate) fn time_of(r: &rusqlite::Row<'_>, i: usize) -> rusqlite::Result<OffsetDateTime> {
    let text: String = r.get(i)?;
    OffsetDateTime::parse(&text, &Rfc3339).map_err(|e| {
        rusqlite::Error::FromSqlConversionFailure(i, rusqlite::types::Type::Text, Box::new(e))
    })
}

fn user_of(r: &rusqlite::Row<'_>) -> rusqlite::Result<User> {
    let role: String = r.get(3)?;
    Ok(User {
        id: r.get(0)?,
        email: r.get(1)?,
        name: r.get(2)?,
        role: role.parse::<Role>().map_err(|e| {
            rusqlite::Error::FromSqlConversionFailure(3, rusqlite::types::Type::Text, e.into())
        })?,
        disabled: r.get(4)?,
        created_at: time_of(r, 5)?,
    })
}

/// Inserts an account; `None` when the address already has one.
pub fn create_user(conn: &Connection, u: &NewUser) -> rusqlite::Result<Option<i64>> {
    let inserted = conn
        .prepare_cached(
            "INSERT INTO users (email, name, role, password_hash, created_at) \
             VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (email) DO NOTHING",
        )?
        .execute(params![
            u.email,
            u.name,
            u.role.code(),
            u.password_hash,
            time_to_sql(u.created_at)
        ])?;
    Ok((inserted == 1).then(|| conn.last_insert_rowid()))
}

pub fn user_by_email(conn: &Connection, email: &str) -> rusqlite::Result<Option<StoredUser>> {
    conn.prepare_cached(&format!(
        "SELECT {USER_COLUMNS}, u.password_hash FROM users u WHERE u.email = ?1"
    ))?
    .query_row([email], |r| {
        Ok(StoredUser {
            user: user_of(r)?,
            password_hash: r.get(6)?,
        })
    })
    .optional()
}

pub fn users(conn: &Connection) -> rusqlite::Result<Vec<User>> {
    conn.prepare_cached(&format!("SELECT {USER_COLUMNS} FROM users u ORDER BY u.id"))?
        .query_map([], user_of)?
        .collect()
}

/// Sets a column of one account and ends its sessions; `false` when there is no such account.
fn update_and_end_sessions(
    conn: &mut Connection,
    sql: &str,
    value: &dyn rusqlite::ToSql,
    id: i64,
) -> rusqlite::Result<bool> {
    let tx = conn.transaction()?;
    let changed = tx.execute(sql, params![value, id])?;
    tx.execute("DELETE FROM sessions WHERE user_id = ?1", [id])?;
    tx.commit()?;
    Ok(changed == 1)
}

pub fn set_disabled(conn: &mut Connection, id: i64, disabled: bool) -> rusqlite::Result<bool> {
    if !disabled {
        return Ok(conn.execute("UPDATE users SET disabled = 0 WHERE id = ?1", [id])? == 1);
    }
    update_and_end_sessions(conn, "UPDATE users SET disabled = ?1 WHERE id = ?2", &1, id)
}

pub fn set_password_hash(conn: &mut Connection, id: i64, hash: &str) -> rusqlite::Result<bool> {
    update_and_end_sessions(
        conn,
        "UPDATE users SET password_hash = ?1 WHERE id = ?2",
        &hash,
        id,
    )
}

pub fn create_session(
    conn: &Connection,
    token_hash: &[u8],
    user_id: i64,
    at: OffsetDateTime,
) -> rusqlite::Result<()> {
    let at = time_to_sql(at);
    conn.prepare_cached(
        "INSERT INTO sessions (token_hash, user_id, created_at, last_seen_at) VALUES (?1, ?2, ?3, ?3)",
    )?
    .execute(params![token_hash, user_id, at])?;
    Ok(())
}

pub fn session(conn: &Connection, token_hash: &[u8]) -> rusqlite::Result<Option<Session>> {
    conn.prepare_cached(&format!(
        "SELECT {USER_COLUMNS}, s.created_at, s.last_seen_at FROM sessions s \
         JOIN users u ON u.id = s.user_id WHERE s.token_hash = ?1"
    ))?
    .query_row([token_hash], |r| {
        Ok(Session {
            user: user_of(r)?,
            created_at: time_of(r, 6)?,
            last_seen_at: time_of(r, 7)?,
        })
    })
    .optional()
}

pub fn touch_session(
    conn: &Connection,
    token_hash: &[u8],
    at: OffsetDateTime,
) -> rusqlite::Result<()> {
    conn.prepare_cached("UPDATE sessions SET last_seen_at = ?1 WHERE token_hash = ?2")?
        .execute(params![time_to_sql(at), token_hash])?;
    Ok(())
}

pub fn end_session(conn: &Connection, token_hash: &[u8]) -> rusqlite::Result<()> {
    conn.prepare_cached("DELETE FROM sessions WHERE token_hash = ?1")?
        .execute([token_hash])?;
    Ok(())
}

pub fn end_sessions_of(conn: &Connection, user_id: i64) -> rusqlite::Result<u64> {
    Ok(conn
        .prepare_cached("DELETE FROM sessions WHERE user_id = ?1")?
        .execute([user_id])? as u64)
}

pub fn create_invitation(
    conn: &Connection,
    token_hash: &[u8],
    i: &trendwatch_core::accounts::Invitation,
    at: OffsetDateTime,
) -> rusqlite::Result<()> {
    conn.prepare_cached(
        "INSERT INTO invitations (token_hash, email, role, invited_by, created_at, expires_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?
    .execute(params![
        token_hash,
        i.email,
        i.role.code(),
        i.invited_by,
        time_to_sql(at),
        time_to_sql(i.expires_at)
    ])?;
    Ok(())
}

pub fn invitation(
    conn: &Connection,
    token_hash: &[u8],
) -> rusqlite::Result<Option<trendwatch_core::accounts::Invitation>> {
    conn.prepare_cached(
        "SELECT email, role, invited_by, expires_at, used_at FROM invitations WHERE token_hash = ?1",
    )?
    .query_row([token_hash], |r| {
        let role: String = r.get(1)?;
        let used: Option<String> = r.get(4)?;
        Ok(trendwatch_core::accounts::Invitation {
            email: r.get(0)?,
            role: role.parse::<Role>().map_err(|e| {
                rusqlite::Error::FromSqlConversionFailure(1, rusqlite::types::Type::Text, e.into())
            })?,
            invited_by: r.get(2)?,
            expires_at: time_of(r, 3)?,
            used_at: match used {
                Some(_) => Some(time_of(r, 4)?),
                None => None,
            },
        })
    })
    .optional()
}

/// Marks the invitation used and creates the account, or neither. `Ok(None)`: the
/// invitation is unknown or used, or the address has an account.
pub fn accept_invitation(
    conn: &mut Connection,
    token_hash: &[u8],
    user: &NewUser,
) -> rusqlite::Result<Option<i64>> {
    let tx = conn.transaction()?;
    let marked = tx.execute(
        "UPDATE invitations SET used_at = ?1 WHERE token_hash = ?2 AND used_at IS NULL",
        params![time_to_sql(user.created_at), token_hash],
    )?;
    if marked != 1 {
        return Ok(None);
    }
    let Some(id) = create_user(&tx, user)? else {
        return Ok(None);
    };
    tx.commit()?;
    Ok(Some(id))
}

/// Records a password reset under the hash of its token.
pub fn create_password_reset(
    conn: &Connection,
    token_hash: &[u8],
    user_id: i64,
    at: OffsetDateTime,
    expires_at: OffsetDateTime,
) -> rusqlite::Result<()> {
    conn.prepare_cached(
        "INSERT INTO password_resets (token_hash, user_id, created_at, expires_at) \
         VALUES (?1, ?2, ?3, ?4)",
    )?
    .execute(params![
        token_hash,
        user_id,
        time_to_sql(at),
        time_to_sql(expires_at)
    ])?;
    Ok(())
}

/// The account a reset token is for, if the token is unused, unexpired at `now` and its
/// account enabled.
pub fn password_reset_user(
    conn: &Connection,
    token_hash: &[u8],
    now: OffsetDateTime,
) -> rusqlite::Result<Option<i64>> {
    conn.prepare_cached(
        "SELECT r.user_id FROM password_resets r JOIN users u ON u.id = r.user_id \
         WHERE r.token_hash = ?1 AND r.used_at IS NULL AND r.expires_at > ?2 AND NOT u.disabled",
    )?
    .query_row(params![token_hash, time_to_sql(now)], |r| r.get(0))
    .optional()
}

/// Uses a reset token: sets the password, marks every reset of the account used and ends
/// its sessions, in one transaction. `None` when the token is not valid at `now`.
pub fn use_password_reset(
    conn: &mut Connection,
    token_hash: &[u8],
    password_hash: &str,
    now: OffsetDateTime,
) -> rusqlite::Result<Option<i64>> {
    let tx = conn.transaction()?;
    let Some(user) = password_reset_user(&tx, token_hash, now)? else {
        return Ok(None);
    };
    tx.execute(
        "UPDATE password_resets SET used_at = ?2 WHERE user_id = ?1 AND used_at IS NULL",
        params![user, time_to_sql(now)],
    )?;
    tx.execute(
        "UPDATE users SET password_hash = ?1 WHERE id = ?2",
        params![password_hash, user],
    )?;
    end_sessions_of(&tx, user)?;
    tx.commit()?;
    Ok(Some(user))
}

pub fn record_audit(
    conn: &Connection,
    e: &trendwatch_core::accounts::AuditEntry,
) -> rusqlite::Result<()> {
    conn.prepare_cached(
        "INSERT INTO audit_log (at, actor_id, action, subject) VALUES (?1, ?2, ?3, ?4)",
    )?
    .execute(params![time_to_sql(e.at), e.actor, e.action, e.subject])?;
    Ok(())
}

pub fn audit_log(
    conn: &Connection,
    limit: u64,
) -> rusqlite::Result<Vec<trendwatch_core::accounts::AuditEntry>> {
    conn.prepare_cached(
        "SELECT at, actor_id, action, subject FROM audit_log ORDER BY id DESC LIMIT ?1",
    )?
    .query_map([limit as i64], |r| {
        Ok(trendwatch_core::accounts::AuditEntry {
            at: time_of(r, 0)?,
            actor: r.get(1)?,
            action: r.get(2)?,
            subject: r.get(3)?,
        })
    })?
    .collect()
}

/// Records a personal API token.
pub fn create_api_token(
    conn: &Connection,
    user_id: i64,
    name: &str,
    token_hash: &[u8],
    at: OffsetDateTime,
) -> rusqlite::Result<i64> {
    conn.prepare_cached(
        "INSERT INTO api_tokens (user_id, name, token_hash, created_at) VALUES (?1, ?2, ?3, ?4)",
    )?
    .execute(params![user_id, name, token_hash, time_to_sql(at)])?;
    Ok(conn.last_insert_rowid())
}

/// The live account of a live token, marking the token used.
pub fn api_token_user(
    conn: &Connection,
    token_hash: &[u8],
    at: OffsetDateTime,
) -> rusqlite::Result<Option<User>> {
    let user = conn
        .prepare_cached(&format!(
            "SELECT {USER_COLUMNS} FROM api_tokens t JOIN users u ON u.id = t.user_id \
             WHERE t.token_hash = ?1 AND t.revoked_at IS NULL AND u.disabled = 0"
        ))?
        .query_row([token_hash], user_of)
        .optional()?;
    if user.is_some() {
        conn.prepare_cached("UPDATE api_tokens SET last_used_at = ?2 WHERE token_hash = ?1")?
            .execute(params![token_hash, time_to_sql(at)])?;
    }
    Ok(user)
}

/// An account's tokens, newest first.
pub fn api_tokens_of(
    conn: &Connection,
    user_id: i64,
) -> rusqlite::Result<Vec<trendwatch_core::accounts::ApiTokenInfo>> {
    let opt = |r: &rusqlite::Row<'_>, i: usize| match r.get::<_, Option<String>>(i)? {
        Some(_) => time_of(r, i).map(Some),
        None => Ok(None),
    };
    conn.prepare_cached(
        "SELECT id, name, created_at, last_used_at, revoked_at FROM api_tokens \
         WHERE user_id = ?1 ORDER BY id DESC",
    )?
    .query_map([user_id], |r| {
        Ok(trendwatch_core::accounts::ApiTokenInfo {
            id: r.get(0)?,
            name: r.get(1)?,
            created_at: time_of(r, 2)?,
            last_used_at: opt(r, 3)?,
            revoked_at: opt(r, 4)?,
        })
    })?
    .collect()
}

/// Revokes one of an account's tokens; `false` when it has no such token.
pub fn revoke_api_token(
    conn: &Connection,
    user_id: i64,
    id: i64,
    at: OffsetDateTime,
) -> rusqlite::Result<bool> {
    Ok(conn
        .prepare_cached(
            "UPDATE api_tokens SET revoked_at = COALESCE(revoked_at, ?3) \
             WHERE id = ?1 AND user_id = ?2",
        )?
        .execute(params![id, user_id, time_to_sql(at)])?
        == 1)
}

pub fn totp_state(
    conn: &Connection,
    user_id: i64,
) -> rusqlite::Result<trendwatch_core::accounts::TotpState> {
    conn.prepare_cached(
        "SELECT totp_secret, totp_pending, totp_last_step FROM users WHERE id = ?1",
    )?
    .query_row([user_id], |r| {
        Ok(trendwatch_core::accounts::TotpState {
            secret: r.get(0)?,
            pending: r.get(1)?,
            last_step: r.get(2)?,
        })
    })
    .optional()
    .map(Option::unwrap_or_default)
}

pub fn enable_totp(
    conn: &mut Connection,
    user_id: i64,
    secret: &[u8],
    recovery: &[[u8; 32]],
) -> rusqlite::Result<()> {
    let tx = conn.transaction()?;
    tx.execute(
        "UPDATE users SET totp_secret = ?2, totp_pending = NULL, totp_last_step = 0 WHERE id = ?1",
        params![user_id, secret],
    )?;
    tx.execute("DELETE FROM recovery_codes WHERE user_id = ?1", [user_id])?;
    for h in recovery {
        tx.execute(
            "INSERT INTO recovery_codes (user_id, code_hash) VALUES (?1, ?2)",
            params![user_id, &h[..]],
        )?;
    }
    tx.commit()
}

pub fn disable_totp(conn: &mut Connection, user_id: i64) -> rusqlite::Result<()> {
    let tx = conn.transaction()?;
    tx.execute(
        "UPDATE users SET totp_secret = NULL, totp_pending = NULL, totp_last_step = 0 WHERE id = ?1",
        [user_id],
    )?;
    tx.execute("DELETE FROM recovery_codes WHERE user_id = ?1", [user_id])?;
    tx.commit()
}
