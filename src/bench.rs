//! `sakhi bench`: figures printed, never asserted.
//!
//! `sakhi bench ledger` posts typical three-line repayment entries through the
//! store (one per transaction, then 1,000 per transaction) and, for scale,
//! inserts the same rows with plain multi-row SQL on the same database.

use crate::groups::{NewGroup, NewMember};
use crate::ledger::{chart, Account, Book, EntryDraft, EntryKind, IdempotencyKey, NewEntry};
use crate::money::{Currency, Money};
use crate::store::pg_cluster::{ClusterOptions, TempCluster};
use crate::store::postgres::PgStore;
use crate::store::sqlite::SqliteStore;
use crate::store::Store;
use anyhow::Context;
use chrono::NaiveDate;
use clap::{Args, Subcommand, ValueEnum};
use std::time::{Duration, Instant};

#[derive(Debug, Subcommand)]
pub enum BenchCommand {
    /// Entries per second posted through the ledger, against raw SQL inserts.
    Ledger(LedgerBenchArgs),
    /// Arrears, PAR and ageing for a large portfolio as of a date.
    Par(ParBenchArgs),
}

#[derive(Debug, Args)]
pub struct ParBenchArgs {
    /// Active loans in the portfolio.
    #[arg(long, default_value_t = 100_000)]
    pub loans: usize,
    /// Weekly installments per loan.
    #[arg(long, default_value_t = 52)]
    pub installments: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum BenchBackend {
    Sqlite,
    Postgres,
    All,
}

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

pub async fn run(command: &BenchCommand) -> anyhow::Result<()> {
    match command {
        BenchCommand::Ledger(args) => ledger(args).await,
        BenchCommand::Par(args) => par(args),
    }
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

async fn ledger(args: &LedgerBenchArgs) -> anyhow::Result<()> {
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

/// A year of weekly loans: most paid on time, some a few weeks late, some
/// stopped paying. Built in memory: this measures the engine, not the disk.
fn par(args: &ParBenchArgs) -> anyhow::Result<()> {
    use crate::loans::allocation::{allocate, apply, AllocationRule};
    use crate::loans::portfolio::{arrears, par_and_ageing};
    use crate::loans::schedule::{
        generate, Amortization, Frequency, InterestMethod, InterestPeriod, LoanTerms, RatePer,
    };
    use crate::loans::state::{InstallmentState, LoanState, Parts};

    let start = NaiveDate::from_ymd_opt(2025, 1, 6).context("date")?;
    let as_of = NaiveDate::from_ymd_opt(2026, 1, 5).context("date")?;
    let built = Instant::now();
    let mut states = Vec::with_capacity(args.loans);
    for i in 0..args.loans {
        let disbursed = start + chrono::Days::new((i % 28) as u64);
        let schedule = generate(&LoanTerms {
            principal: 500_000 + (i % 50) as i64 * 10_000,
            rate: rust_decimal::Decimal::from(24),
            rate_per: RatePer::Year,
            installments: args.installments,
            every: 1,
            frequency: Frequency::Week,
            method: InterestMethod::Flat,
            amortization: Amortization::EqualInstallments,
            interest_period: InterestPeriod::Repayment,
            disbursed,
            first_due: None,
            grace_principal: 0,
            grace_interest: 0,
            interest_free: 0,
            installment_multiple: 100,
            minor_units: 2,
        })?;
        let mut state = LoanState {
            installments: schedule
                .installments
                .iter()
                .map(|r| InstallmentState {
                    number: r.number,
                    due_date: r.due_date,
                    due: Parts {
                        principal: r.principal,
                        interest: r.interest,
                        ..Parts::default()
                    },
                    paid: Parts::default(),
                    waived: Parts::default(),
                })
                .collect(),
            payments: Vec::new(),
        };
        // 80% pay on the due date, 12% pay three weeks late, 8% stop halfway.
        let (delay, stop) = match i % 25 {
            0..=19 => (0, u32::MAX),
            20..=22 => (21, u32::MAX),
            _ => (0, args.installments / 2),
        };
        let dues: Vec<(u32, NaiveDate, i64)> = state
            .installments
            .iter()
            .map(|r| (r.number, r.due_date, r.due.total()))
            .collect();
        for (n, due, amount) in dues {
            let paid_on = due + chrono::Days::new(delay);
            if n > stop || paid_on > as_of {
                break;
            }
            let lines = allocate(&state, amount, paid_on, AllocationRule::Standard)?;
            apply(&mut state, paid_on, &lines);
        }
        states.push(state);
    }
    let payments: usize = states.iter().map(|s| s.payments.len()).sum();
    println!(
        "sakhi bench par: {} loans x {} weekly installments, {} payments (built in {:.1} s)",
        args.loans,
        args.installments,
        payments,
        built.elapsed().as_secs_f64()
    );
    let started = Instant::now();
    let overdue_loans = states
        .iter()
        .filter(|s| arrears(s, as_of).days_past_due > 0)
        .count();
    let arrears_s = started.elapsed().as_secs_f64();
    let started = Instant::now();
    let (figures, ageing) = par_and_ageing(states.iter(), as_of);
    let par_s = started.elapsed().as_secs_f64();
    println!("  arrears of every loan as of {as_of}   {arrears_s:>8.3} s  ({overdue_loans} loans overdue)");
    println!("  PAR and ageing, one pass          {par_s:>8.3} s");
    println!(
        "  total                             {:>8.3} s",
        arrears_s + par_s
    );
    println!(
        "  PAR1 {:.4}  PAR30 {:.4}  PAR90 {:.4}  ({} loans more than 180 days late)",
        figures.ratio(1),
        figures.ratio(30),
        figures.ratio(90),
        ageing.over_180.loans
    );
    Ok(())
}
