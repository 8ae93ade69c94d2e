//! Job locks (see `Store::try_lock_job`) as the operating system's file locks on files in
//! the data folder's `locks/`. SQLite has no lock that outlives a transaction, and a lease
//! row would have to be waited out after a `kill -9`; the kernel ends a file lock with the
//! process that holds it, which is the point of these locks.

use std::fs::{File, OpenOptions, TryLockError};
use std::path::Path;
use trendwatch_store::{HeldJobLock, JobLock, StoreError};

/// The folder of the lock files, under the data folder.
pub const LOCK_DIR: &str = "locks";

/// An open lock file whose lock this process holds; closing it releases the lock.
struct FileJobLock {
    _file: File,
}

#[async_trait::async_trait]
impl HeldJobLock for FileJobLock {
    async fn confirm(&mut self) -> Result<(), StoreError> {
        // The kernel keeps the lock for as long as the file is open.
        Ok(())
    }

    async fn release(self: Box<Self>) {
        // Closing the file releases its lock at once.
    }
}

/// Takes the lock on job `name` under `data_dir`, or `None` while another open file holds
/// it (in this process or another).
pub fn try_lock(data_dir: &Path, name: &str) -> Result<Option<JobLock>, StoreError> {
    if name.is_empty()
        || !name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    {
        return Err(StoreError(format!(
            "job lock name {name:?}: expected ASCII letters, digits, '-' and '_'"
        )));
    }
    let dir = data_dir.join(LOCK_DIR);
    std::fs::create_dir_all(&dir)
        .map_err(|e| StoreError(format!("cannot create {}: {e}", dir.display())))?;
    let path = dir.join(format!("{name}.lock"));
    let file = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(|e| StoreError(format!("cannot open {}: {e}", path.display())))?;
    match file.try_lock() {
        Ok(()) => Ok(Some(JobLock::new(FileJobLock { _file: file }))),
        Err(TryLockError::WouldBlock) => Ok(None),
        Err(TryLockError::Error(e)) => {
            Err(StoreError(format!("cannot lock {}: {e}", path.display())))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_job_lock_is_held_once_until_dropped() {
        let dir = tempfile::tempdir().expect("temp dir");
        let first = try_lock(dir.path(), "digest-send-1").expect("lock");
        assert!(first.is_some());
        // Another open file of this process is refused as another process would be.
        assert!(try_lock(dir.path(), "digest-send-1")
            .expect("lock")
            .is_none());
        assert!(try_lock(dir.path(), "digest-send-2")
            .expect("lock")
            .is_some());
        drop(first);
        assert!(try_lock(dir.path(), "digest-send-1")
            .expect("lock")
            .is_some());
        assert!(try_lock(dir.path(), "../escape").is_err());
    }
}
