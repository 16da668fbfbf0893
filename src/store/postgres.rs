//! PostgreSQL: for deployments where several stateless servers share one database.

use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use std::str::FromStr;
use std::time::Duration;
use tokio::sync::MutexGuard;

/// Why `sakhi backup` does not copy a PostgreSQL database, and what to do.
pub const BACKUP_ADVICE: &str = "sakhi backup copies SQLite databases only; back up \
     PostgreSQL with pg_dump -Fc (see \"Backup and restore\" in the README)";

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

pub struct PgStore {
    pub(crate) pool: PgPool,
}

impl PgStore {
    pub async fn connect(url: &str) -> super::StoreResult<PgStore> {
        PgStore::connect_with(url, super::Durability::Full).await
    }

    pub async fn connect_with(
        url: &str,
        durability: super::Durability,
    ) -> super::StoreResult<PgStore> {
        // JIT compiles a plan when its estimated cost is high, which the
        // whole-program reads (every loan's lines) are; compiling cost more
        // than it saved on every one measured (the program PAR read ran
        // 15-25% slower with it).
        let mut options = PgConnectOptions::from_str(url)?.options([("jit", "off")]);
        if durability == super::Durability::Relaxed {
            options = options.options([("synchronous_commit", "off")]);
        }
        let pool = PgPoolOptions::new()
            .max_connections(32)
            .acquire_timeout(Duration::from_secs(30))
            .connect_with(options)
            .await?;
        Ok(PgStore { pool })
    }

    /// A store over a pool set up elsewhere, for settings `connect` does
    /// not offer (a test of an outage wants a short acquire timeout).
    pub fn from_pool(pool: PgPool) -> PgStore {
        PgStore { pool }
    }

    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    /// PostgreSQL has its own consistent online backup, `pg_dump`, which
    /// runs where the database is and needs no copy of the files here.
    async fn backup_into(&self, _target: &std::path::Path) -> super::StoreResult<u64> {
        Err(super::StoreError::Invalid(BACKUP_ADVICE.into()))
    }

    /// PostgreSQL orders concurrent writers itself (row locks on the balances
    /// they touch), so there is no in-process lock.
    async fn begin_write(&self) -> super::StoreResult<(Option<MutexGuard<'_, ()>>, Tx)> {
        Ok((None, self.pool.begin().await?))
    }
}

impl_auth_store!(PgStore, sqlx::Postgres);
impl_meeting_store!(PgStore, sqlx::Postgres);
impl_outcomes_store!(PgStore, sqlx::Postgres);
impl_funds_store!(PgStore, sqlx::Postgres, " FOR UPDATE");
impl_loan_store!(PgStore, sqlx::Postgres, " FOR UPDATE");
impl_store!(PgStore, sqlx::Postgres, Backend::Postgres);
