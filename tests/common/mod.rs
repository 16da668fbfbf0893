//! Shared set-up for the integration tests: a fresh database per test on each
//! backend. PostgreSQL runs in a throwaway cluster the test starts itself.
#![allow(dead_code)]

pub mod browser;
pub mod server;
pub mod web_world;

use chrono::NaiveDate;
use sakhi::groups::{NewGroup, NewMember};
use sakhi::ledger::{chart, Account, Book, EntryDraft, EntryKind, IdempotencyKey, NewEntry};
use sakhi::money::{Currency, Money};
use sakhi::store::pg_cluster::{cluster_for_tests, TempCluster};
use sakhi::store::postgres::PgStore;
use sakhi::store::sqlite::SqliteStore;
use sakhi::store::{GroupSetup, Store};
use std::sync::atomic::{AtomicUsize, Ordering};

pub struct SqliteDb {
    pub _dir: tempfile::TempDir,
    pub store: SqliteStore,
}

pub async fn sqlite() -> SqliteDb {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!("sqlite:{}", dir.path().join("test.db").display());
    let store = SqliteStore::open(&url).await.expect("open sqlite");
    store.migrate().await.expect("migrate sqlite");
    SqliteDb { _dir: dir, store }
}

pub struct PgDb {
    // Field order matters: the pool closes before the cluster stops.
    pub store: PgStore,
    pub cluster: TempCluster,
}

/// `None` (after one clear line) when PostgreSQL is not installed, unless
/// `SAKHI_REQUIRE_POSTGRES=1`, in which case the cluster helper panics.
pub async fn postgres() -> Option<PgDb> {
    let cluster = cluster_for_tests()?;
    let store = database_in(&cluster).await;
    Some(PgDb { store, cluster })
}

/// A fresh, migrated database in a running cluster.
pub async fn database_in(cluster: &TempCluster) -> PgStore {
    static N: AtomicUsize = AtomicUsize::new(0);
    let name = format!("sakhi_test_{}", N.fetch_add(1, Ordering::SeqCst));
    let url = cluster.create_database(&name).expect("create database");
    let store = PgStore::connect(&url).await.expect("connect postgres");
    store.migrate().await.expect("migrate postgres");
    store
}

pub fn day(d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 3, d).expect("valid test date")
}

pub fn rupees(r: i64) -> Money {
    Money::from_minor(r * 100, Currency::inr())
}

pub struct Lotus {
    pub setup: GroupSetup,
    pub book: Book,
    pub cash: Account,
    pub bank: Account,
    pub interest: Account,
    pub fines: Account,
    /// Compulsory savings of M001, M002, M003.
    pub savings: Vec<Account>,
    /// Loan principal of M001, M002, M003.
    pub loans: Vec<Account>,
    /// Voluntary savings of M001, M002, M003.
    pub voluntary: Vec<Account>,
}

/// A group of three members with the standard chart.
pub async fn lotus(store: &dyn Store, name: &str) -> Lotus {
    let members = ["M001", "M002", "M003"]
        .iter()
        .map(|c| NewMember::new(c, &format!("Member {c}"), day(1)).unwrap())
        .collect();
    let setup = store
        .create_group(&NewGroup::new(name, Currency::inr(), members).unwrap())
        .await
        .expect("create group");
    let book = setup.book.clone();
    let by_code =
        |code: String| async move { store.account_by_code(book.id, &code).await.unwrap() };
    let mut savings = Vec::new();
    let mut loans = Vec::new();
    let mut voluntary = Vec::new();
    for m in ["M001", "M002", "M003"] {
        voluntary.push(by_code(chart::member_account_code(chart::shg::VOLUNTARY_SAVINGS, m)).await);
        savings.push(
            by_code(chart::member_account_code(
                chart::shg::COMPULSORY_SAVINGS,
                m,
            ))
            .await,
        );
        loans.push(by_code(chart::member_account_code(chart::shg::LOANS_TO_MEMBERS, m)).await);
    }
    Lotus {
        cash: by_code(chart::shg::CASH.into()).await,
        bank: by_code(chart::shg::BANK.into()).await,
        interest: by_code(chart::shg::INTEREST_INCOME.into()).await,
        fines: by_code(chart::shg::FINE_INCOME.into()).await,
        book: setup.book.clone(),
        setup,
        savings,
        loans,
        voluntary,
    }
}

pub fn draft<'b>(book: &'b Book, date: NaiveDate, kind: &str, key: &str) -> EntryDraft<'b> {
    EntryDraft::new(
        book,
        date,
        EntryKind::new(kind).unwrap(),
        IdempotencyKey::new(key).unwrap(),
    )
}

/// Cash in, member savings up.
pub fn thrift(g: &Lotus, member: usize, amount: i64, date: NaiveDate, key: &str) -> NewEntry {
    draft(&g.book, date, "savings-deposit", key)
        .debit(&g.cash, rupees(amount))
        .credit(&g.savings[member], rupees(amount))
        .build()
        .unwrap()
}
