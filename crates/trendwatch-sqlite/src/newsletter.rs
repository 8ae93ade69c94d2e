//! The weekly digest's subscriptions, site secrets and send queue in SQLite (tables of
//! migration 0019).

use crate::accounts::{time_of, time_to_sql};
use crate::rows;
use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};
use time::OffsetDateTime;
use trendwatch_core::newsletter::{
    Delivery, DeliveryState, DigestSend, SubscribeOutcome, Subscriber, SubscriberState,
    SubscriptionRequest,
};
use trendwatch_core::{Language, Period};

const SUBSCRIBER_COLUMNS: &str = "s.id, s.email, s.lang, s.topics, s.state, s.created_at";

fn subscriber_of(r: &rusqlite::Row<'_>) -> rusqlite::Result<Subscriber> {
    let topics: String = r.get(3)?;
    let state: String = r.get(4)?;
    Ok(Subscriber {
        id: r.get(0)?,
        email: r.get(1)?,
        language: rows::lang(r, 2)?,
        topics: topics
            .split(',')
            .filter(|t| !t.is_empty())
            .map(str::to_string)
            .collect(),
        state: state.parse().map_err(|e: String| {
            rusqlite::Error::FromSqlConversionFailure(4, rusqlite::types::Type::Text, e.into())
        })?,
        created_at: time_of(r, 5)?,
    })
}

fn topics_to_sql(topics: &[String]) -> String {
    topics.join(",")
}

/// See [`trendwatch_store::Store::site_secret`].
pub fn site_secret(conn: &Connection, name: &str, fresh: [u8; 32]) -> rusqlite::Result<[u8; 32]> {
    conn.prepare_cached(
        "INSERT INTO site_secrets (name, value) VALUES (?1, ?2) ON CONFLICT (name) DO NOTHING",
    )?
    .execute(params![name, fresh.as_slice()])?;
    let stored: Vec<u8> = conn
        .prepare_cached("SELECT value FROM site_secrets WHERE name = ?1")?
        .query_row([name], |r| r.get(0))?;
    stored.try_into().map_err(|_| {
        rusqlite::Error::FromSqlConversionFailure(
            0,
            rusqlite::types::Type::Blob,
            format!("site secret {name:?} is not 32 bytes").into(),
        )
    })
}

/// See [`trendwatch_store::Store::subscribe`].
pub fn subscribe(
    conn: &mut Connection,
    request: &SubscriptionRequest,
    at: OffsetDateTime,
) -> rusqlite::Result<SubscribeOutcome> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let existing: Option<(i64, String)> = tx
        .prepare_cached("SELECT id, state FROM subscribers WHERE email = ?1")?
        .query_row([&request.email], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    let topics = topics_to_sql(&request.topics);
    let lang = request.language.code();
    let outcome = match existing {
        None => {
            tx.prepare_cached(
                "INSERT INTO subscribers (email, lang, topics, state, created_at) \
                 VALUES (?1, ?2, ?3, 'pending', ?4)",
            )?
            .execute(params![request.email, lang, topics, time_to_sql(at)])?;
            SubscribeOutcome::NeedsConfirmation(tx.last_insert_rowid())
        }
        Some((id, state)) if state == SubscriberState::Confirmed.code() => {
            tx.prepare_cached("UPDATE subscribers SET lang = ?2, topics = ?3 WHERE id = ?1")?
                .execute(params![id, lang, topics])?;
            SubscribeOutcome::AlreadyConfirmed(id)
        }
        Some((id, _)) => {
            tx.prepare_cached(
                "UPDATE subscribers SET lang = ?2, topics = ?3, state = 'pending', \
                 failure = NULL WHERE id = ?1",
            )?
            .execute(params![id, lang, topics])?;
            SubscribeOutcome::NeedsConfirmation(id)
        }
    };
    tx.commit()?;
    Ok(outcome)
}

/// See [`trendwatch_store::Store::subscriber`].
pub fn subscriber(conn: &Connection, id: i64) -> rusqlite::Result<Option<Subscriber>> {
    conn.prepare_cached(&format!(
        "SELECT {SUBSCRIBER_COLUMNS} FROM subscribers s WHERE s.id = ?1"
    ))?
    .query_row([id], subscriber_of)
    .optional()
}

/// See [`trendwatch_store::Store::confirm_subscriber`].
pub fn confirm(conn: &Connection, id: i64, at: OffsetDateTime) -> rusqlite::Result<bool> {
    Ok(conn
        .prepare_cached(
            "UPDATE subscribers SET state = 'confirmed', confirmed_at = ?2 \
             WHERE id = ?1 AND state = 'pending'",
        )?
        .execute(params![id, time_to_sql(at)])?
        == 1)
}

/// See [`trendwatch_store::Store::set_subscriber_preferences`].
pub fn set_preferences(
    conn: &Connection,
    id: i64,
    language: Language,
    topics: &[String],
) -> rusqlite::Result<bool> {
    Ok(conn
        .prepare_cached("UPDATE subscribers SET lang = ?2, topics = ?3 WHERE id = ?1")?
        .execute(params![id, language.code(), topics_to_sql(topics)])?
        == 1)
}

/// See [`trendwatch_store::Store::unsubscribe`].
pub fn unsubscribe(conn: &mut Connection, id: i64) -> rusqlite::Result<bool> {
    let tx = conn.transaction()?;
    let changed = tx
        .prepare_cached("UPDATE subscribers SET state = 'unsubscribed' WHERE id = ?1")?
        .execute([id])?
        == 1;
    tx.prepare_cached(
        "DELETE FROM digest_recipients WHERE subscriber_id = ?1 AND state = 'pending'",
    )?
    .execute([id])?;
    tx.commit()?;
    Ok(changed)
}

/// See [`trendwatch_store::Store::subscriber_counts`].
pub fn counts(conn: &Connection, language: Language) -> rusqlite::Result<(u64, u64, u64, u64)> {
    let mut stmt = conn
        .prepare_cached("SELECT state, COUNT(*) FROM subscribers WHERE lang = ?1 GROUP BY state")?;
    let mut counts = (0, 0, 0, 0);
    let rows = stmt.query_map([language.code()], |r| {
        Ok((r.get::<_, String>(0)?, r.get::<_, u64>(1)?))
    })?;
    for row in rows {
        let (state, n) = row?;
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

fn send_of(r: &rusqlite::Row<'_>) -> rusqlite::Result<DigestSend> {
    Ok(DigestSend {
        id: r.get(0)?,
        period: rows::period(r, 1)?,
        language: rows::lang(r, 2)?,
        created_at: time_of(r, 3)?,
        pending: r.get(4)?,
        sent: r.get(5)?,
        failed: r.get(6)?,
        interrupted: r.get(7)?,
        skipped: r.get(8)?,
    })
}

/// See [`trendwatch_store::Store::digest_send`].
pub fn send(conn: &Connection, id: i64) -> rusqlite::Result<Option<DigestSend>> {
    conn.prepare_cached(&format!(
        "SELECT {SEND_COLUMNS} FROM digest_sends d WHERE d.id = ?1"
    ))?
    .query_row([id], send_of)
    .optional()
}

/// See [`trendwatch_store::Store::digest_sends`].
pub fn sends(conn: &Connection, limit: u64) -> rusqlite::Result<Vec<DigestSend>> {
    conn.prepare_cached(&format!(
        "SELECT {SEND_COLUMNS} FROM digest_sends d ORDER BY d.id DESC LIMIT ?1"
    ))?
    .query_map([limit], send_of)?
    .collect()
}

/// See [`trendwatch_store::Store::start_digest_send`].
pub fn start(
    conn: &mut Connection,
    period: Period,
    language: Language,
    by: Option<i64>,
    at: OffsetDateTime,
) -> rusqlite::Result<DigestSend> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let existing: Option<i64> = tx
        .prepare_cached("SELECT id FROM digest_sends WHERE period_key = ?1 AND lang = ?2")?
        .query_row(params![period.key(), language.code()], |r| r.get(0))
        .optional()?;
    let id = match existing {
        Some(id) => id,
        None => {
            tx.prepare_cached(
                "INSERT INTO digest_sends (period_key, lang, created_by, created_at) \
                 VALUES (?1, ?2, ?3, ?4)",
            )?
            .execute(params![period.key(), language.code(), by, time_to_sql(at)])?;
            let id = tx.last_insert_rowid();
            tx.prepare_cached(
                "INSERT INTO digest_recipients (send_id, subscriber_id) \
                 SELECT ?1, id FROM subscribers WHERE lang = ?2 AND state = 'confirmed'",
            )?
            .execute(params![id, language.code()])?;
            id
        }
    };
    let send = send(&tx, id)?.ok_or(rusqlite::Error::QueryReturnedNoRows)?;
    tx.commit()?;
    Ok(send)
}

/// See [`trendwatch_store::Store::interrupt_digest_deliveries`].
pub fn interrupt(conn: &Connection, id: i64) -> rusqlite::Result<u64> {
    Ok(conn
        .prepare_cached(
            "UPDATE digest_recipients SET state = 'interrupted' \
             WHERE send_id = ?1 AND state = 'sending'",
        )?
        .execute([id])? as u64)
}

/// See [`trendwatch_store::Store::claim_digest_recipient`].
pub fn claim(
    conn: &mut Connection,
    id: i64,
    at: OffsetDateTime,
) -> rusqlite::Result<Option<Subscriber>> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let next = tx
        .prepare_cached(&format!(
            "SELECT {SUBSCRIBER_COLUMNS} FROM digest_recipients r \
             JOIN subscribers s ON s.id = r.subscriber_id \
             WHERE r.send_id = ?1 AND r.state = 'pending' AND s.state = 'confirmed' \
             ORDER BY r.subscriber_id LIMIT 1"
        ))?
        .query_row([id], subscriber_of)
        .optional()?;
    if let Some(s) = &next {
        tx.prepare_cached(
            "UPDATE digest_recipients SET state = ?3, updated_at = ?4 \
             WHERE send_id = ?1 AND subscriber_id = ?2",
        )?
        .execute(params![
            id,
            s.id,
            DeliveryState::Sending.code(),
            time_to_sql(at)
        ])?;
    } else {
        // Readers who left or failed since the send started are not waited for.
        tx.prepare_cached(
            "DELETE FROM digest_recipients WHERE send_id = ?1 AND state = 'pending'",
        )?
        .execute([id])?;
    }
    tx.commit()?;
    Ok(next)
}

/// See [`trendwatch_store::Store::finish_digest_delivery`].
pub fn finish(
    conn: &mut Connection,
    id: i64,
    subscriber: i64,
    delivery: &Delivery,
    at: OffsetDateTime,
) -> rusqlite::Result<()> {
    let tx = conn.transaction()?;
    let (state, error) = match delivery {
        Delivery::Sent => (DeliveryState::Sent, None),
        Delivery::Skipped => (DeliveryState::Skipped, None),
        Delivery::PermanentFailure(e) | Delivery::TemporaryFailure(e) => {
            (DeliveryState::Failed, Some(e.as_str()))
        }
    };
    tx.prepare_cached(
        "UPDATE digest_recipients SET state = ?3, error = ?4, updated_at = ?5 \
         WHERE send_id = ?1 AND subscriber_id = ?2",
    )?
    .execute(params![
        id,
        subscriber,
        state.code(),
        error,
        time_to_sql(at)
    ])?;
    if let Delivery::PermanentFailure(e) = delivery {
        tx.prepare_cached(
            "UPDATE subscribers SET state = 'suppressed', failure = ?2 WHERE id = ?1",
        )?
        .execute(params![subscriber, e])?;
    }
    tx.commit()
}
