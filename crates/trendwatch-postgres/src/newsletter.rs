//! The weekly digest's subscriptions, site secrets and send queue in PostgreSQL.

use crate::rows::{self, R};
use sqlx::postgres::PgRow;
use sqlx::AssertSqlSafe;
use sqlx::{PgConnection, Row};
use time::OffsetDateTime;
use trendwatch_core::newsletter::{
    Delivery, DeliveryState, DigestSend, SubscribeOutcome, Subscriber, SubscriberState,
    SubscriptionRequest,
};
use trendwatch_core::{Language, Period};

const SUBSCRIBER_COLUMNS: &str = "s.id, s.email, s.lang, s.topics, s.state, s.created_at";

fn subscriber_of(r: &PgRow) -> R<Subscriber> {
    let topics: String = r.try_get(3)?;
    Ok(Subscriber {
        id: r.try_get(0)?,
        email: r.try_get(1)?,
        language: rows::lang(r, 2)?,
        topics: topics
            .split(',')
            .filter(|t| !t.is_empty())
            .map(str::to_string)
            .collect(),
        state: rows::parsed(r, 4)?,
        created_at: r.try_get(5)?,
    })
}

/// See [`trendwatch_store::Store::site_secret`]: the first value stored under `name` wins,
/// on every node.
pub async fn site_secret(c: &mut PgConnection, name: &str, fresh: [u8; 32]) -> R<[u8; 32]> {
    sqlx::query(
        "INSERT INTO site_secrets (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING",
    )
    .bind(name)
    .bind(&fresh[..])
    .execute(&mut *c)
    .await?;
    let stored: Vec<u8> = sqlx::query_scalar("SELECT value FROM site_secrets WHERE name = $1")
        .bind(name)
        .fetch_one(c)
        .await?;
    stored
        .try_into()
        .map_err(|_| rows::bad(0, format!("site secret {name:?} is not 32 bytes")))
}

/// See [`trendwatch_store::Store::subscribe`] (the caller's transaction, under the write lock).
pub async fn subscribe(
    c: &mut PgConnection,
    request: &SubscriptionRequest,
    at: OffsetDateTime,
) -> R<SubscribeOutcome> {
    let existing = sqlx::query("SELECT id, state FROM subscribers WHERE email = $1")
        .bind(&request.email)
        .fetch_optional(&mut *c)
        .await?;
    let topics = request.topics.join(",");
    let lang = request.language.code();
    Ok(match existing {
        None => {
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO subscribers (email, lang, topics, state, created_at) \
                 VALUES ($1, $2, $3, 'pending', $4) RETURNING id",
            )
            .bind(&request.email)
            .bind(lang)
            .bind(&topics)
            .bind(at)
            .fetch_one(c)
            .await?;
            SubscribeOutcome::NeedsConfirmation(id)
        }
        Some(row) => {
            let (id, state): (i64, String) = (row.try_get(0)?, row.try_get(1)?);
            if state == SubscriberState::Confirmed.code() {
                sqlx::query("UPDATE subscribers SET lang = $2, topics = $3 WHERE id = $1")
                    .bind(id)
                    .bind(lang)
                    .bind(&topics)
                    .execute(c)
                    .await?;
                SubscribeOutcome::AlreadyConfirmed(id)
            } else {
                sqlx::query(
                    "UPDATE subscribers SET lang = $2, topics = $3, state = 'pending', \
                     failure = NULL WHERE id = $1",
                )
                .bind(id)
                .bind(lang)
                .bind(&topics)
                .execute(c)
                .await?;
                SubscribeOutcome::NeedsConfirmation(id)
            }
        }
    })
}

/// See [`trendwatch_store::Store::subscriber`].
pub async fn subscriber(c: &mut PgConnection, id: i64) -> R<Option<Subscriber>> {
    let row = sqlx::query(AssertSqlSafe(format!(
        "SELECT {SUBSCRIBER_COLUMNS} FROM subscribers s WHERE s.id = $1"
    )))
    .bind(id)
    .fetch_optional(c)
    .await?;
    row.as_ref().map(subscriber_of).transpose()
}

/// See [`trendwatch_store::Store::unsubscribe`] (the caller's transaction).
pub async fn unsubscribe(c: &mut PgConnection, id: i64) -> R<bool> {
    let changed = sqlx::query("UPDATE subscribers SET state = 'unsubscribed' WHERE id = $1")
        .bind(id)
        .execute(&mut *c)
        .await?
        .rows_affected()
        == 1;
    sqlx::query("DELETE FROM digest_recipients WHERE subscriber_id = $1 AND state = 'pending'")
        .bind(id)
        .execute(c)
        .await?;
    Ok(changed)
}

/// See [`trendwatch_store::Store::subscriber_counts`].
pub async fn counts(c: &mut PgConnection, language: Language) -> R<(u64, u64, u64, u64)> {
    let found =
        sqlx::query("SELECT state, COUNT(*) FROM subscribers WHERE lang = $1 GROUP BY state")
            .bind(language.code())
            .fetch_all(c)
            .await?;
    let mut counts = (0, 0, 0, 0);
    for row in found {
        let (state, n): (String, i64) = (row.try_get(0)?, row.try_get(1)?);
        let n = n as u64;
        match state.as_str() {
            "pending" => counts.0 = n,
            "confirmed" => counts.1 = n,
            "unsubscribed" => counts.2 = n,
            _ => counts.3 = n,
        }
    }
    Ok(counts)
}

const SEND_COLUMNS: &str = "d.id, d.period_key, d.lang, d.created_at, \
    (SELECT COUNT(*) FROM digest_recipients r WHERE r.send_id = d.id AND r.state IN ('pending', 'sending')), \
    (SELECT COUNT(*) FROM digest_recipients r WHERE r.send_id = d.id AND r.state = 'sent'), \
    (SELECT COUNT(*) FROM digest_recipients r WHERE r.send_id = d.id AND r.state = 'failed'), \
    (SELECT COUNT(*) FROM digest_recipients r WHERE r.send_id = d.id AND r.state = 'interrupted'), \
    (SELECT COUNT(*) FROM digest_recipients r WHERE r.send_id = d.id AND r.state = 'skipped')";

fn send_of(r: &PgRow) -> R<DigestSend> {
    let count = |i: usize| r.try_get::<i64, _>(i).map(|n| n as u64);
    Ok(DigestSend {
        id: r.try_get(0)?,
        period: rows::period(r, 1)?,
        language: rows::lang(r, 2)?,
        created_at: r.try_get(3)?,
        pending: count(4)?,
        sent: count(5)?,
        failed: count(6)?,
        interrupted: count(7)?,
        skipped: count(8)?,
    })
}

/// See [`trendwatch_store::Store::digest_send`].
pub async fn send(c: &mut PgConnection, id: i64) -> R<Option<DigestSend>> {
    let row = sqlx::query(AssertSqlSafe(format!(
        "SELECT {SEND_COLUMNS} FROM digest_sends d WHERE d.id = $1"
    )))
    .bind(id)
    .fetch_optional(c)
    .await?;
    row.as_ref().map(send_of).transpose()
}

/// See [`trendwatch_store::Store::digest_sends`].
pub async fn sends(c: &mut PgConnection, limit: u64) -> R<Vec<DigestSend>> {
    let found = sqlx::query(AssertSqlSafe(format!(
        "SELECT {SEND_COLUMNS} FROM digest_sends d ORDER BY d.id DESC LIMIT $1"
    )))
    .bind(limit as i64)
    .fetch_all(c)
    .await?;
    rows::all(found, send_of)
}

/// See [`trendwatch_store::Store::start_digest_send`] (the caller's transaction, under the
/// write lock).
pub async fn start(
    c: &mut PgConnection,
    period: Period,
    language: Language,
    by: Option<i64>,
    at: OffsetDateTime,
) -> R<DigestSend> {
    let existing: Option<i64> =
        sqlx::query_scalar("SELECT id FROM digest_sends WHERE period_key = $1 AND lang = $2")
            .bind(period.key())
            .bind(language.code())
            .fetch_optional(&mut *c)
            .await?;
    let id = match existing {
        Some(id) => id,
        None => {
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO digest_sends (period_key, lang, created_by, created_at) \
                 VALUES ($1, $2, $3, $4) RETURNING id",
            )
            .bind(period.key())
            .bind(language.code())
            .bind(by)
            .bind(at)
            .fetch_one(&mut *c)
            .await?;
            sqlx::query(
                "INSERT INTO digest_recipients (send_id, subscriber_id) \
                 SELECT $1, id FROM subscribers WHERE lang = $2 AND state = 'confirmed'",
            )
            .bind(id)
            .bind(language.code())
            .execute(&mut *c)
            .await?;
            id
        }
    };
    send(c, id).await?.ok_or(sqlx::Error::RowNotFound)
}

/// See [`trendwatch_store::Store::claim_digest_recipient`] (the caller's transaction).
/// `FOR UPDATE SKIP LOCKED`: senders on several nodes each take a different reader.
pub async fn claim(c: &mut PgConnection, id: i64, at: OffsetDateTime) -> R<Option<Subscriber>> {
    let row = sqlx::query(AssertSqlSafe(format!(
        "SELECT {SUBSCRIBER_COLUMNS} FROM digest_recipients r \
         JOIN subscribers s ON s.id = r.subscriber_id \
         WHERE r.send_id = $1 AND r.state = 'pending' AND s.state = 'confirmed' \
         ORDER BY r.subscriber_id LIMIT 1 FOR UPDATE OF r SKIP LOCKED"
    )))
    .bind(id)
    .fetch_optional(&mut *c)
    .await?;
    let next = row.as_ref().map(subscriber_of).transpose()?;
    if let Some(s) = &next {
        sqlx::query(
            "UPDATE digest_recipients SET state = $3, updated_at = $4 \
             WHERE send_id = $1 AND subscriber_id = $2",
        )
        .bind(id)
        .bind(s.id)
        .bind(DeliveryState::Sending.code())
        .bind(at)
        .execute(c)
        .await?;
    } else {
        // Readers who left or failed since the send started are not waited for.
        sqlx::query("DELETE FROM digest_recipients WHERE send_id = $1 AND state = 'pending'")
            .bind(id)
            .execute(c)
            .await?;
    }
    Ok(next)
}

/// See [`trendwatch_store::Store::finish_digest_delivery`] (the caller's transaction).
pub async fn finish(
    c: &mut PgConnection,
    id: i64,
    subscriber: i64,
    delivery: &Delivery,
    at: OffsetDateTime,
) -> R<()> {
    let (state, error) = match delivery {
        Delivery::Sent => (DeliveryState::Sent, None),
        Delivery::Skipped => (DeliveryState::Skipped, None),
        Delivery::PermanentFailure(e) | Delivery::TemporaryFailure(e) => {
            (DeliveryState::Failed, Some(e.as_str()))
        }
    };
    sqlx::query(
        "UPDATE digest_recipients SET state = $3, error = $4, updated_at = $5 \
         WHERE send_id = $1 AND subscriber_id = $2",
    )
    .bind(id)
    .bind(subscriber)
    .bind(state.code())
    .bind(error)
    .bind(at)
    .execute(&mut *c)
    .await?;
    if let Delivery::PermanentFailure(e) = delivery {
        sqlx::query("UPDATE subscribers SET state = 'suppressed', failure = $2 WHERE id = $1")
            .bind(subscriber)
            .bind(e)
            .execute(c)
            .await?;
    }
    Ok(())
}
