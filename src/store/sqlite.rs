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

    /// A consistent copy of the live database in a new file at `target`;
    /// returns its size in bytes. `VACUUM INTO` reads one snapshot in a read
    /// transaction, so writers (a running server) carry on meanwhile and the
    /// copy holds every transaction committed before it began and none after.
    /// The copy is written to a temporary file beside `target`, flushed to
    /// disk and only then linked into place, refusing an existing file: an
    /// interrupted backup never leaves half a database under the name, and a
    /// backup never overwrites anything (least of all an older backup).
    async fn backup_into(&self, target: &Path) -> super::StoreResult<u64> {
        use super::StoreError;
        let refused = |what: String| StoreError::Invalid(format!("{}: {what}", target.display()));
        if target.symlink_metadata().is_ok() {
            return Err(refused(
                "already exists; a backup never overwrites a file, choose a new name".into(),
            ));
        }
        let folder = match target.parent() {
            Some(p) if !p.as_os_str().is_empty() => p,
            _ => Path::new("."),
        };
        let io = |e: std::io::Error| refused(e.to_string());
        let temp = tempfile::Builder::new()
            .prefix(".sakhi-backup-")
            .tempfile_in(folder)
            .map_err(io)?;
        let temp_path = temp
            .path()
            .to_str()
            .ok_or_else(|| refused("the folder's name is not valid UTF-8".into()))?
            .to_string();
        // SQLite accepts an empty file as the target of VACUUM INTO.
        sqlx::query("VACUUM INTO $1")
            .bind(&temp_path)
            .execute(&self.pool)
            .await?;
        temp.as_file().sync_all().map_err(io)?;
        let size = temp.as_file().metadata().map_err(io)?.len();
        temp.persist_noclobber(target)
            .map_err(|e| match e.error.kind() {
                std::io::ErrorKind::AlreadyExists => {
                    refused("appeared while the backup was being written; it was left alone".into())
                }
                _ => io(e.error),
            })?;
        // The new name must survive a power cut too.
        std::fs::File::open(folder)
            .and_then(|dir| dir.sync_all())
            .map_err(io)?;
        Ok(size)
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
