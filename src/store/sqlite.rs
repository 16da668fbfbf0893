//! The embedded default: one SQLite file, WAL, durable commits, foreign keys on.

use sqlx::sqlite::SqliteSynchronous;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions};
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;
use tokio::sync::{Mutex, MutexGuard};

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");

pub struct SqliteStore {
    pub(crate) pool: SqlitePool,
    /// SQLite allows one writer at a time. Queuing writers here, in-process,
    /// is fairer and faster than letting them spin on SQLITE_BUSY.
    write_lock: Mutex<()>,
    path: PathBuf,
}

impl SqliteStore {
    /// Opens (creating if needed) the database a `sqlite:` URL or a plain
    /// file path names.
    pub async fn open(url: &str) -> super::StoreResult<SqliteStore> {
        SqliteStore::open_with(url, super::Durability::Full).await
    }

    pub async fn open_with(
        url: &str,
        durability: super::Durability,
    ) -> super::StoreResult<SqliteStore> {
        let path = sqlite_path(url);
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| {
                super::StoreError::Invalid(format!("cannot create folder {}: {e}", dir.display()))
            })?;
        }
        let options = SqliteConnectOptions::from_str("sqlite:")?
            .filename(&path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            // Full: a commit survives power loss, not only a crash.
            .synchronous(match durability {
                super::Durability::Full => SqliteSynchronous::Full,
                super::Durability::Relaxed => SqliteSynchronous::Normal,
            })
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(30));
        let pool = SqlitePoolOptions::new()
            .max_connections(8)
            .connect_with(options)
            .await?;
        Ok(SqliteStore {
            pool,
            write_lock: Mutex::new(()),
            path,
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn pool(&self) -> &SqlitePool {
        &self.pool
    }

    async fn begin_write(&self) -> super::StoreResult<(Option<MutexGuard<'_, ()>>, Tx)> {
        let guard = self.write_lock.lock().await;
        // IMMEDIATE takes the write lock at BEGIN, so a transaction that reads
        // (idempotency keys) before it writes cannot fail to upgrade later.
        let tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        Ok((Some(guard), tx))
    }
}

/// `sqlite:data/sakhi.db`, `sqlite://data/sakhi.db` and `data/sakhi.db` all
/// name the same file.
pub fn sqlite_path(url: &str) -> PathBuf {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
        .unwrap_or(url);
    let rest = rest.split('?').next().unwrap_or(rest);
    PathBuf::from(rest)
}

impl_auth_store!(SqliteStore, sqlx::Sqlite);
impl_meeting_store!(SqliteStore, sqlx::Sqlite);
impl_outcomes_store!(SqliteStore, sqlx::Sqlite);
impl_funds_store!(SqliteStore, sqlx::Sqlite, "");
impl_loan_store!(SqliteStore, sqlx::Sqlite, "");
impl_store!(SqliteStore, sqlx::Sqlite, Backend::Sqlite);

#[cfg(test)]
mod tests {
    use super::sqlite_path;
    use std::path::PathBuf;

    #[test]
    fn urls_and_plain_paths_name_the_same_file() {
        for url in [
            "sqlite:data/sakhi.db",
            "sqlite://data/sakhi.db",
            "data/sakhi.db",
            "sqlite:data/sakhi.db?mode=rwc",
        ] {
            assert_eq!(sqlite_path(url), PathBuf::from("data/sakhi.db"), "{url}");
        }
    }
}
