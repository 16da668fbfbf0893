//! Storage: one trait, two backends (embedded SQLite and PostgreSQL) with the
//! same behaviour. The SQL is shared where the dialects agree (`shared.rs`);
//! each backend adds only its connection set-up and migrations.

pub mod auth;
#[macro_use]
mod auth_sql;
mod error;
pub mod funds;
mod gathered;
mod loan_lines;
#[macro_use]
mod funds_sql;
pub mod loans;
pub mod meetings;
pub mod outcomes;
#[macro_use]
mod outcomes_sql;
#[macro_use]
mod meetings_sql;
pub mod pg_cluster;
#[macro_use]
mod shared;
#[macro_use]
mod loans_sql;
pub mod postgres;
mod repayment;
pub mod sqlite;
mod verify;

pub use error::StoreError;
pub use verify::VerifyReport;

use crate::groups::{Group, GroupId, Member, NewGroup, NewMember};
use crate::ledger::{
    Account, AccountId, Book, BookId, EntryId, HistoryLine, HistoryPage, NewEntry, PostedEntry,
    TrialBalance,
};
use crate::money::Currency;
use crate::program::ProgramSettings;
use async_trait::async_trait;
use chrono::NaiveDate;
use serde::Serialize;
use std::sync::Arc;

pub type StoreResult<T> = Result<T, StoreError>;

/// Largest page of an account's history one call returns.
pub const MAX_PER_PAGE: u32 = 500;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// What happened to one entry handed to `post_all`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct PostOutcome {
    pub entry_id: EntryId,
    /// True when the idempotency key had already posted this same entry:
    /// nothing new was written.
    pub replayed: bool,
}

/// A group with its book, as created.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GroupSetup {
    pub group: Group,
    pub book: Book,
    pub members: Vec<Member>,
}

pub use auth::{AuthStore, Role, SessionOwner, User, UserId};
pub use funds::{BorrowingOperation, FundsStore, ShareOutDone, ShareOutRequest};
pub use loans::{
    Fund, LoanApplication, LoanGroup, LoanOperation, LoanScope, LoanStore, LoanWithState,
    ProductUse, Repayment, Reschedule,
};
pub use meetings::{BankReading, CashCount, MeetingRecord, MeetingStore, MeetingSubmission};
pub use outcomes::{Access, AccessLine, Client, ClientId, OutcomesStore, Sealed};

#[async_trait]
pub trait Store:
    LoanStore + FundsStore + AuthStore + MeetingStore + OutcomesStore + Send + Sync
{
    fn backend(&self) -> Backend;

    /// Applies the embedded migrations that have not run yet.
    async fn migrate(&self) -> StoreResult<()>;

    /// A cheap round trip, for the health endpoint.
    async fn ping(&self) -> StoreResult<()>;

    async fn create_program_book(&self, name: &str, currency: Currency) -> StoreResult<Book>;

    /// Creates the group, its book with the standard SHG chart, and each
    /// member with her own savings and loan accounts, in one transaction.
    async fn create_group(&self, group: &NewGroup) -> StoreResult<GroupSetup>;

    async fn add_member(&self, group_id: GroupId, member: &NewMember) -> StoreResult<Member>;

    async fn group(&self, id: GroupId) -> StoreResult<Group>;
    async fn groups(&self) -> StoreResult<Vec<Group>>;

    /// The program's name and defaults: one row by its key, cheap enough to
    /// read for every page (several servers may share one database, so no
    /// server keeps a copy that another's save would leave stale).
    async fn program_settings(&self) -> StoreResult<ProgramSettings>;

    /// Saves the program's settings; a name that does not fit is refused.
    async fn set_program_settings(&self, settings: &ProgramSettings) -> StoreResult<()>;
    async fn members(&self, group_id: GroupId) -> StoreResult<Vec<Member>>;

    async fn book(&self, id: BookId) -> StoreResult<Book>;
    async fn books(&self) -> StoreResult<Vec<Book>>;
    async fn account(&self, id: AccountId) -> StoreResult<Account>;
    async fn account_by_code(&self, book_id: BookId, code: &str) -> StoreResult<Account>;
    async fn accounts(&self, book_id: BookId) -> StoreResult<Vec<Account>>;

    /// Posts entries atomically: all of them or none. Entries whose key has
    /// already posted the same content are reported as replayed; a key reused
    /// with different content fails the whole call with a conflict.
    async fn post_all(&self, entries: &[NewEntry]) -> StoreResult<Vec<PostOutcome>>;

    /// Like `post_all`, and refused (nothing posted) if any `floors`
    /// account would end with a balance below zero on its normal side: a
    /// withdrawal never takes a member's savings below nothing.
    async fn post_all_guarded(
        &self,
        entries: &[NewEntry],
        floors: &[AccountId],
    ) -> StoreResult<Vec<PostOutcome>>;

    async fn post(&self, entry: &NewEntry) -> StoreResult<PostOutcome> {
        let outcomes = self.post_all(std::slice::from_ref(entry)).await?;
        outcomes
            .into_iter()
            .next()
            .ok_or_else(|| StoreError::Corrupt("posting one entry returned no outcome".into()))
    }

    async fn entry(&self, id: EntryId) -> StoreResult<PostedEntry>;

    /// The book's entries with their postings, in posting order (business
    /// date, then id), from `from` to `until` inclusive (either end open).
    /// Reports and exports read the journal through this one call.
    async fn journal(
        &self,
        book_id: BookId,
        from: Option<NaiveDate>,
        until: Option<NaiveDate>,
    ) -> StoreResult<Vec<PostedEntry>>;

    /// The maintained balance: one row read. Signed: debit positive.
    async fn balance(&self, account_id: AccountId) -> StoreResult<i64>;

    /// The balance at the end of `date`, summed from postings.
    async fn balance_as_of(&self, account_id: AccountId, date: NaiveDate) -> StoreResult<i64>;

    /// Every postable account of the book with its balance, now or as of a date.
    async fn trial_balance(
        &self,
        book_id: BookId,
        as_of: Option<NaiveDate>,
    ) -> StoreResult<TrialBalance>;

    /// Every book's `trial_balance(book, as_of)`, in the order `books()`
    /// gives, read in two queries however many books there are.
    async fn trial_balances(&self, as_of: Option<NaiveDate>) -> StoreResult<Vec<TrialBalance>>;

    /// The account's postings, oldest first, with the running balance.
    /// `page` counts from 1; `per_page` is 1 to `MAX_PER_PAGE`.
    async fn history(
        &self,
        account_id: AccountId,
        page: u32,
        per_page: u32,
    ) -> StoreResult<HistoryPage>;

    /// The latest `per_account` lines of each account, newest first, with
    /// the running balance after each (counted back from the maintained
    /// balance), accounts in the order given. One query that reads only
    /// those lines, where finding a history's last page counts and windows
    /// every line of the account. `per_account` is 1 to `MAX_PER_PAGE`.
    async fn latest_lines(
        &self,
        accounts: &[AccountId],
        per_account: u32,
    ) -> StoreResult<Vec<(AccountId, HistoryLine)>>;

    /// Recomputes and cross-checks everything that is maintained or promised.
    async fn verify(&self) -> StoreResult<VerifyReport>;

    /// A consistent copy of the live database in a new file (SQLite), taken
    /// while others keep writing; returns its size in bytes. Never
    /// overwrites a file. PostgreSQL refuses, naming `pg_dump`.
    async fn backup(&self, target: &std::path::Path) -> StoreResult<u64>;
}

/// When a commit is on disk.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Durability {
    /// A commit survives power loss: what every live server uses.
    #[default]
    Full,
    /// A commit survives a crash of the process but the last ones may be
    /// lost with the power (SQLite `synchronous=NORMAL` in WAL mode,
    /// PostgreSQL `synchronous_commit=off`); the database stays consistent
    /// either way. Only for bulk loads that are started over after a
    /// failure, like the demo books.
    Relaxed,
}

/// Opens the database a URL names: `postgres://…` or `sqlite:…`. Creates a
/// SQLite file (and its folder) when missing, and applies migrations.
pub async fn open(url: &str) -> StoreResult<Arc<dyn Store>> {
    open_with(url, Durability::Full).await
}

/// [`open`] with a chosen [`Durability`].
pub async fn open_with(url: &str, durability: Durability) -> StoreResult<Arc<dyn Store>> {
    let store: Arc<dyn Store> = if is_postgres_url(url) {
        Arc::new(postgres::PgStore::connect_with(url, durability).await?)
    } else {
        Arc::new(sqlite::SqliteStore::open_with(url, durability).await?)
    };
    store.migrate().await?;
    Ok(store)
}

/// Connects to the database a URL names without applying migrations: for
/// commands that must not change it (a backup copies it as it is). A SQLite
/// file that does not exist is an error here, not a new database.
pub async fn connect(url: &str) -> StoreResult<Arc<dyn Store>> {
    if is_postgres_url(url) {
        return Ok(Arc::new(postgres::PgStore::connect(url).await?));
    }
    let path = sqlite::sqlite_path(url);
    if !path.is_file() {
        return Err(StoreError::Invalid(format!(
            "no SQLite database at {}",
            path.display()
        )));
    }
    Ok(Arc::new(sqlite::SqliteStore::open(url).await?))
}

/// Every group with its book's trial balance, current (`None`) or at the
/// end of a date, in the order `groups()` gives. The program reports, the
/// staff dashboard and `sakhi bench reports` read them here, so a faster
/// read changes one place. Three queries however many groups there are.
pub async fn group_trial_balances(
    store: &dyn Store,
    as_of: Option<NaiveDate>,
) -> StoreResult<Vec<(Group, TrialBalance)>> {
    let groups = store.groups().await?;
    let mut by_book: std::collections::HashMap<BookId, TrialBalance> = store
        .trial_balances(as_of)
        .await?
        .into_iter()
        .map(|tb| (tb.book.id, tb))
        .collect();
    groups
        .into_iter()
        .map(|group| {
            let tb = by_book.remove(&group.book_id).ok_or_else(|| {
                StoreError::Corrupt(format!(
                    "group {} keeps book {}, which is missing",
                    group.id, group.book_id
                ))
            })?;
            Ok((group, tb))
        })
        .collect()
}

pub fn is_postgres_url(url: &str) -> bool {
    url.starts_with("postgres://") || url.starts_with("postgresql://")
}

fn check_page(page: u32, per_page: u32) -> StoreResult<()> {
    if page == 0 {
        return Err(StoreError::Invalid("page counts from 1".into()));
    }
    if per_page == 0 || per_page > MAX_PER_PAGE {
        return Err(StoreError::Invalid(format!(
            "per_page must be between 1 and {MAX_PER_PAGE}"
        )));
    }
    Ok(())
}
