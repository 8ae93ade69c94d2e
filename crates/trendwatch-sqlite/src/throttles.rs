//! The throttles shared by every process on the archive (see `Store::throttle_failure`).

use rusqlite::{params, Connection};
use time::OffsetDateTime;
use trendwatch_store::{ThrottleRow, THROTTLE_ROWS_KEPT};

/// Unix milliseconds, as `throttles.last` holds them.
fn millis(t: OffsetDateTime) -> i64 {
    i64::try_from(t.unix_timestamp_nanos() / 1_000_000).unwrap_or(i64::MAX)
}

/// Counts a failure; returns the count.
pub fn failure(
    conn: &Connection,
    scope: &str,
    key: &str,
    at: OffsetDateTime,
    forgive_after: Option<std::time::Duration>,
) -> rusqlite::Result<u32> {
    let now = millis(at);
    let quiet = forgive_after.map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX));
    let failures: i64 = conn.query_row(
        "INSERT INTO throttles (scope, key, failures, last) VALUES (?1, ?2, 1, ?3) \
         ON CONFLICT (scope, key) DO UPDATE SET \
           failures = CASE WHEN ?4 IS NOT NULL AND throttles.last < ?3 - ?4 THEN 1 \
                           ELSE throttles.failures + 1 END, \
           last = ?3 \
         RETURNING failures",
        params![scope, key, now, quiet],
        |r| r.get(0),
    )?;
    conn.execute(
        "DELETE FROM throttles WHERE last < ?1",
        params![now - THROTTLE_ROWS_KEPT.whole_milliseconds() as i64],
    )?;
    Ok(u32::try_from(failures).unwrap_or(u32::MAX))
}

/// Sets the count to 0.
pub fn success(
    conn: &Connection,
    scope: &str,
    key: &str,
    at: OffsetDateTime,
) -> rusqlite::Result<()> {
    conn.execute(
        "INSERT INTO throttles (scope, key, failures, last) VALUES (?1, ?2, 0, ?3) \
         ON CONFLICT (scope, key) DO UPDATE SET failures = 0, last = ?3",
        params![scope, key, millis(at)],
    )?;
    Ok(())
}

/// The row of `key` in `scope`.
pub fn row(conn: &Connection, scope: &str, key: &str) -> rusqlite::Result<Option<ThrottleRow>> {
    let mut stmt = conn.prepare_cached(
        "SELECT scope, key, failures, last FROM throttles WHERE scope = ?1 AND key = ?2",
    )?;
    let mut rows = stmt.query_map(params![scope, key], throttle_row)?;
    rows.next().transpose()
}

fn throttle_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<ThrottleRow> {
    let last: i64 = r.get(3)?;
    Ok(ThrottleRow {
        scope: r.get(0)?,
        key: r.get(1)?,
        failures: u32::try_from(r.get::<_, i64>(2)?).unwrap_or(u32::MAX),
        last: OffsetDateTime::from_unix_timestamp_nanos(i128::from(last) * 1_000_000)
            .unwrap_or(OffsetDateTime::UNIX_EPOCH),
    })
}

/// Rows changed at or after `since`.
pub fn changes(conn: &Connection, since: OffsetDateTime) -> rusqlite::Result<Vec<ThrottleRow>> {
    let mut stmt = conn.prepare_cached(
        "SELECT scope, key, failures, last FROM throttles WHERE last >= ?1 ORDER BY last",
    )?;
    let rows = stmt.query_map(params![millis(since)], throttle_row)?;
    rows.collect()
}
