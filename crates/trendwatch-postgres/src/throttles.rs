//! The throttles shared by every web node (see `Store::throttle_failure`), with the same
//! rows as the SQLite backend's.

use crate::rows::R;
use sqlx::postgres::PgRow;
use sqlx::{PgConnection, Row};
use time::OffsetDateTime;
use trendwatch_store::{ThrottleRow, THROTTLE_ROWS_KEPT};

/// Unix milliseconds, as `throttles.last` holds them.
fn millis(t: OffsetDateTime) -> i64 {
    i64::try_from(t.unix_timestamp_nanos() / 1_000_000).unwrap_or(i64::MAX)
}

/// Counts a failure; returns the count.
pub async fn failure(
    c: &mut PgConnection,
    scope: &str,
    key: &str,
    at: OffsetDateTime,
    forgive_after: Option<std::time::Duration>,
) -> R<u32> {
    let now = millis(at);
    let quiet = forgive_after.map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX));
    let failures: i32 = sqlx::query_scalar(
        "INSERT INTO throttles (scope, key, failures, last) VALUES ($1, $2, 1, $3) \
         ON CONFLICT (scope, key) DO UPDATE SET \
           failures = CASE WHEN $4::bigint IS NOT NULL AND throttles.last < $3 - $4 THEN 1 \
                           ELSE throttles.failures + 1 END, \
           last = $3 \
         RETURNING failures",
    )
    .bind(scope)
    .bind(key)
    .bind(now)
    .bind(quiet)
    .fetch_one(&mut *c)
    .await?;
    sqlx::query("DELETE FROM throttles WHERE last < $1")
        .bind(now - THROTTLE_ROWS_KEPT.whole_milliseconds() as i64)
        .execute(&mut *c)
        .await?;
    Ok(u32::try_from(failures).unwrap_or(u32::MAX))
}

/// Sets the count to 0.
pub async fn success(c: &mut PgConnection, scope: &str, key: &str, at: OffsetDateTime) -> R<()> {
    sqlx::query(
        "INSERT INTO throttles (scope, key, failures, last) VALUES ($1, $2, 0, $3) \
         ON CONFLICT (scope, key) DO UPDATE SET failures = 0, last = $3",
    )
    .bind(scope)
    .bind(key)
    .bind(millis(at))
    .execute(c)
    .await?;
    Ok(())
}

/// The row of `key` in `scope`.
pub async fn row(c: &mut PgConnection, scope: &str, key: &str) -> R<Option<ThrottleRow>> {
    let found = sqlx::query(
        "SELECT scope, key, failures, last FROM throttles WHERE scope = $1 AND key = $2",
    )
    .bind(scope)
    .bind(key)
    .fetch_optional(c)
    .await?;
    found.as_ref().map(throttle_row).transpose()
}

/// Rows changed at or after `since`.
pub async fn changes(c: &mut PgConnection, since: OffsetDateTime) -> R<Vec<ThrottleRow>> {
    let found = sqlx::query(
        "SELECT scope, key, failures, last FROM throttles WHERE last >= $1 ORDER BY last",
    )
    .bind(millis(since))
    .fetch_all(c)
    .await?;
    crate::rows::all(found, throttle_row)
}

fn throttle_row(r: &PgRow) -> R<ThrottleRow> {
    let last: i64 = r.try_get(3)?;
    Ok(ThrottleRow {
        scope: r.try_get(0)?,
        key: r.try_get(1)?,
        failures: u32::try_from(r.try_get::<i32, _>(2)?).unwrap_or(u32::MAX),
        last: OffsetDateTime::from_unix_timestamp_nanos(i128::from(last) * 1_000_000)
            .unwrap_or(OffsetDateTime::UNIX_EPOCH),
    })
}
