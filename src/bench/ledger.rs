//! `sakhi bench ledger`: typical three-line repayment entries posted through
//! the store (one per transaction, then 1,000 per transaction) and, for
//! scale, the same rows inserted with plain multi-row SQL on the same
//! database.

use super::BenchBackend;
use crate::groups::{NewGroup, NewMember};
use crate::ledger::{chart, Account, Book, EntryDraft, EntryKind, IdempotencyKey, NewEntry};
use crate::money::{Currency, Money};
use crate::store::pg_cluster::{ClusterOptions, TempCluster};
use crate::store::postgres::PgStore;
use crate::store::sqlite::SqliteStore;
use crate::store::Store;
use anyhow::Context;
use chrono::NaiveDate;
use clap::Args;
use std::time::{Duration, Instant};

#[derive(Debug, Args)]
pub struct LedgerBenchArgs {
    #[arg(long, value_enum, default_value = "all")]
    pub backend: BenchBackend,
    /// Entries posted one per transaction.
    #[arg(long, default_value_t = 3_000)]
    pub single: usize,
    /// Entries posted in batches (and inserted raw).
    #[arg(long, default_value_t = 100_000)]
    pub batched: usize,
    #[arg(long, default_value_t = 1_000)]
    pub batch_size: usize,
    /// Use this PostgreSQL database instead of starting a throwaway cluster.
    /// Its tables are written to: never point this at real books.
    #[arg(long, env = "SAKHI_BENCH_POSTGRES_URL")]
    pub postgres_url: Option<String>,
}

struct Figures {
    single_per_s: f64,
    batched_per_s: f64,
    raw_per_s: f64,
}

impl Figures {
    fn print(&self, backend: &str, args: &LedgerBenchArgs) {
        println!("{backend}:");
        println!(
            "  one entry per transaction   {:>10.0} entries/s  ({} entries, durable commits)",
            self.single_per_s, args.single
        );
        println!(
            "  {} entries per transaction {:>10.0} entries/s  ({} entries)",
            args.batch_size, self.batched_per_s, args.batched
        );
        println!(
            "  raw multi-row SQL inserts   {:>10.0} entries/s  (same rows, no checks, no balances)",
            self.raw_per_s
        );
        println!(
            "  batched / raw               {:>10.2}",
            self.batched_per_s / self.raw_per_s.max(f64::MIN_POSITIVE)
        );
    }
}

pub async fn ledger(args: &LedgerBenchArgs) -> anyhow::Result<()> {
    anyhow::ensure!(args.batch_size > 0, "--batch-size must be at least 1");
    println!(
        "sakhi bench ledger: 3-posting repayment entries (cash / member loan / interest income)"
    );
    if matches!(args.backend, BenchBackend::Sqlite | BenchBackend::All) {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("bench.db");
        let store = SqliteStore::open(&path.display().to_string()).await?;
        store.migrate().await?;
        let figures = measure(&store, args, |rows| {
            let pool = store.pool().clone();
            async move { raw_insert_sqlite(&pool, rows).await }
        })
        .await?;
        figures.print("sqlite (WAL, synchronous=FULL)", args);
    }
    if matches!(args.backend, BenchBackend::Postgres | BenchBackend::All) {
        let (_cluster, url) = match &args.postgres_url {
            Some(url) => (None, url.clone()),
            None => match TempCluster::start_with(ClusterOptions::durable())? {
                Some(cluster) => {
                    let url = cluster.create_database("sakhi_bench")?;
                    (Some(cluster), url)
                }
                None => {
                    println!("postgres: skipped (no PostgreSQL server binaries found)");
                    return Ok(());
                }
            },
        };
        let store = PgStore::connect(&url).await?;
        store.migrate().await?;
        let figures = measure(&store, args, |rows| {
            let pool = store.pool().clone();
            async move { raw_insert_postgres(&pool, rows).await }
        })
        .await?;
        figures.print("postgres (fsync on, synchronous_commit on)", args);
    }
    Ok(())
}

/// The books a benchmark posts to: one group of 15 members.
struct Fixture {
    book: Book,
    cash: Account,
    interest: Account,
    loans: Vec<Account>,
}

async fn fixture(store: &dyn Store) -> anyhow::Result<Fixture> {
    let joined = NaiveDate::from_ymd_opt(2026, 1, 1).context("date")?;
    let members = (1..=15)
        .map(|i| NewMember::new(&format!("M{i:03}"), &format!("Member {i}"), joined))
        .collect::<Result<Vec<_>, _>>()?;
    let setup = store
        .create_group(&NewGroup::new("Bench group", Currency::inr(), members)?)
        .await?;
    let book = setup.book;
    let cash = store.account_by_code(book.id, chart::shg::CASH).await?;
    let interest = store
        .account_by_code(book.id, chart::shg::INTEREST_INCOME)
        .await?;
    let mut loans = Vec::new();
    for m in &setup.members {
        let code = chart::member_account_code(chart::shg::LOANS_TO_MEMBERS, &m.code);
        loans.push(store.account_by_code(book.id, &code).await?);
    }
    Ok(Fixture {
        book,
        cash,
        interest,
        loans,
    })
}

fn repayment(f: &Fixture, prefix: &str, i: usize) -> anyhow::Result<NewEntry> {
    let inr = Currency::inr();
    let day = NaiveDate::from_ymd_opt(2026, 1, 1)
        .and_then(|d| d.checked_add_days(chrono::Days::new((i / 500) as u64)))
        .context("date")?;
    let principal = 25_000 + (i % 100) as i64;
    let interest = 5_000;
    let entry = EntryDraft::new(
        &f.book,
        day,
        EntryKind::new("repayment")?,
        IdempotencyKey::new(&format!("{prefix}-{i}"))?,
    )
    .debit(&f.cash, Money::from_minor(principal + interest, inr))
    .credit(
        &f.loans[i % f.loans.len()],
        Money::from_minor(principal, inr),
    )
    .credit(&f.interest, Money::from_minor(interest, inr))
    .build()?;
    Ok(entry)
}

async fn measure<S, R, Fut>(store: &S, args: &LedgerBenchArgs, raw: R) -> anyhow::Result<Figures>
where
    S: Store,
    R: Fn(Vec<NewEntry>) -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<()>>,
{
    let f = fixture(store).await?;

    let entries = (0..args.single)
        .map(|i| repayment(&f, "single", i))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let started = Instant::now();
    for e in &entries {
        store.post(e).await?;
    }
    let single_per_s = rate(args.single, started.elapsed());

    let entries = (0..args.batched)
        .map(|i| repayment(&f, "batched", i))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let started = Instant::now();
    for batch in entries.chunks(args.batch_size) {
        store.post_all(batch).await?;
    }
    let batched_per_s = rate(args.batched, started.elapsed());

    let entries = (0..args.batched)
        .map(|i| repayment(&f, "raw", i))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let started = Instant::now();
    for batch in entries.chunks(args.batch_size) {
        raw(batch.to_vec()).await?;
    }
    let raw_per_s = rate(args.batched, started.elapsed());

    Ok(Figures {
        single_per_s,
        batched_per_s,
        raw_per_s,
    })
}

fn rate(count: usize, elapsed: Duration) -> f64 {
    count as f64 / elapsed.as_secs_f64().max(f64::MIN_POSITIVE)
}

/// The baseline: the same entry and posting rows, inserted with plain
/// multi-row SQL in one transaction, with ids picked by the writer: no
/// idempotency lookup, no hashing of content, no balance maintenance.
macro_rules! raw_insert {
    ($name:ident, $db:ty, $pool:ty) => {
        async fn $name(pool: &$pool, entries: Vec<NewEntry>) -> anyhow::Result<()> {
            let mut tx = pool.begin().await?;
            let (max_id,): (i64,) = sqlx::query_as("SELECT COALESCE(MAX(id), 0) FROM journal_entries")
                .fetch_one(&mut *tx)
                .await?;
            let recorded_at = chrono::Utc::now();
            let placeholder_hash = vec![0_u8; 32];
            let ids: Vec<i64> = (1..=entries.len() as i64).map(|i| max_id + i).collect();
            let mut qb = sqlx::QueryBuilder::<$db>::new(
                "INSERT INTO journal_entries (id, book_id, business_date, recorded_at, kind, memo, \
                 idempotency_key, content_hash, reverses_entry_id) ",
            );
            qb.push_values(entries.iter().zip(&ids), |mut row, (e, id)| {
                row.push_bind(*id)
                    .push_bind(e.book_id())
                    .push_bind(e.business_date())
                    .push_bind(recorded_at)
                    .push_bind(e.kind().as_str())
                    .push_bind(e.memo())
                    .push_bind(e.idempotency_key().as_str())
                    .push_bind(placeholder_hash.as_slice())
                    .push_bind(e.reverses());
            });
            qb.build().execute(&mut *tx).await?;
            let rows: Vec<(i64, i32, &NewEntry, i64, i64)> = entries
                .iter()
                .zip(&ids)
                .flat_map(|(e, id)| {
                    e.postings()
                        .iter()
                        .enumerate()
                        .map(move |(n, p)| (*id, n as i32 + 1, e, p.account_id, p.amount))
                })
                .collect();
            let mut qb = sqlx::QueryBuilder::<$db>::new(
                "INSERT INTO postings (entry_id, line_no, book_id, account_id, amount, business_date) ",
            );
            qb.push_values(&rows, |mut row, (id, line, e, account, amount)| {
                row.push_bind(*id)
                    .push_bind(*line)
                    .push_bind(e.book_id())
                    .push_bind(*account)
                    .push_bind(*amount)
                    .push_bind(e.business_date());
            });
            qb.build().execute(&mut *tx).await?;
            tx.commit().await?;
            Ok(())
        }
    };
}

raw_insert!(raw_insert_sqlite, sqlx::Sqlite, sqlx::SqlitePool);
raw_insert!(raw_insert_postgres, sqlx::Postgres, sqlx::PgPool);
