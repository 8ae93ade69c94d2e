//! Job locks (see `Store::try_lock_job`) as PostgreSQL's session advisory locks, each held
//! on a connection of its own, taken out of the pool. The server ends the lock with that
//! connection: when the process holding it stops, by whatever means, its socket closes and
//! the lock is free at once, with no lease to wait out.

use crate::Db;
use sqlx::pool::PoolConnection;
use sqlx::{Connection, PgConnection, Postgres};
use trendwatch_store::{HeldJobLock, JobLock, StoreError};

/// The first key of every job lock (the second is the name's hash), keeping them apart from
/// [`crate::WRITE_LOCK`] and from any other advisory lock of the database.
const JOB_LOCK_CLASS: i32 = 0x7477_6a6c; // "twjl"

/// The connection whose session holds a job lock.
struct SessionJobLock {
    conn: PgConnection,
    name: String,
}

#[async_trait::async_trait]
impl HeldJobLock for SessionJobLock {
    async fn confirm(&mut self) -> Result<(), StoreError> {
        // A detached connection never reconnects, so an answer here comes from the session
        // that holds the lock.
        self.conn.ping().await.db()
    }

    async fn release(mut self: Box<Self>) {
        // Unlocked first: the server ends a closed session's locks only once it notices.
        let unlocked = sqlx::query("SELECT pg_advisory_unlock($1, hashtext($2))")
            .bind(JOB_LOCK_CLASS)
            .bind(&self.name)
            .execute(&mut self.conn)
            .await;
        if let Err(e) = unlocked {
            tracing::warn!(job = %self.name, error = %e, "job lock: not unlocked; it ends with its connection");
        }
        if let Err(e) = self.conn.close().await {
            tracing::warn!(job = %self.name, error = %e, "job lock: its connection did not close cleanly");
        }
    }
}

/// Takes the lock on job `name` on `conn`, which leaves the pool while it holds the lock;
/// `None` (and the connection back to the pool) while another session holds it.
pub async fn try_lock(
    mut conn: PoolConnection<Postgres>,
    name: &str,
) -> Result<Option<JobLock>, StoreError> {
    let taken: bool = sqlx::query_scalar("SELECT pg_try_advisory_lock($1, hashtext($2))")
        .bind(JOB_LOCK_CLASS)
        .bind(name)
        .fetch_one(&mut *conn)
        .await
        .db()?;
    Ok(taken.then(|| {
        JobLock::new(SessionJobLock {
            conn: conn.detach(),
            name: name.to_string(),
        })
    }))
}
