//! Storage errors. Named constraint violations become answers a person can
//! act on; everything else is a `Database` error (a 500, logged with cause).

use crate::ledger::{EntryError, EntryId};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("{what} {id} was not found")]
    NotFound { what: &'static str, id: String },
    #[error(
        "idempotency key {key:?} was already used for entry {entry_id} with different content"
    )]
    IdempotencyConflict { key: String, entry_id: EntryId },
    #[error("entry {original} has already been reversed by entry {reversal}")]
    AlreadyReversed {
        original: EntryId,
        reversal: EntryId,
    },
    #[error("invalid reversal: {0}")]
    InvalidReversal(String),
    #[error("{0}")]
    Duplicate(String),
    #[error("a balance would exceed the largest amount Sakhi can hold")]
    Overflow,
    #[error("{0}")]
    Invalid(String),
    #[error(transparent)]
    Entry(#[from] EntryError),
    #[error(transparent)]
    Allocation(#[from] crate::loans::allocation::AllocationError),
    #[error(transparent)]
    Schedule(#[from] crate::loans::schedule::ScheduleError),
    #[error("account {account} holds {available} minor units; this would take it below zero")]
    InsufficientBalance { account: String, available: i64 },
    /// A loan operation that the loan's state does not allow.
    #[error("{0}")]
    LoanState(String),
    /// Data in the database that the code cannot read back: a bug or tampering.
    #[error("stored data is inconsistent: {0}")]
    Corrupt(String),
    #[error("database error: {0}")]
    Database(#[source] sqlx::Error),
    #[error("migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
}

impl StoreError {
    pub fn not_found(what: &'static str, id: impl ToString) -> StoreError {
        StoreError::NotFound {
            what,
            id: id.to_string(),
        }
    }
}

impl From<sqlx::Error> for StoreError {
    fn from(err: sqlx::Error) -> StoreError {
        let Some(db) = err.as_database_error() else {
            return StoreError::Database(err);
        };
        // PostgreSQL reports the constraint by name; SQLite only in the
        // message ("UNIQUE constraint failed: table.col, …"), so look at both.
        let constraint = db.constraint().unwrap_or_default().to_string();
        let message = db.message().to_string();
        let names = |pg: &str, sqlite: &str| constraint == pg || message.contains(sqlite);
        if names("entries_reversed_once", "journal_entries.reverses_entry_id") {
            return StoreError::InvalidReversal("that entry has already been reversed".into());
        }
        if names(
            "members_code_unique",
            "members.group_id, members.member_code",
        ) {
            return StoreError::Duplicate("a member with this code is already in the group".into());
        }
        if names("users_username_unique", "users.username") {
            return StoreError::Duplicate("a user with this username already exists".into());
        }
        if names("member_logins_code_unique", "member_logins.login_code") {
            return StoreError::Duplicate(
                "this member code already signs in a member of another group: give her a code \
                 unique across the program"
                    .into(),
            );
        }
        // Linking a member to the client she is already linked to trips the
        // primary key first on PostgreSQL; SQLite's message for it names
        // `client_members.member_id` too, so both backends answer alike.
        if names("client_members_member_unique", "client_members.member_id")
            || constraint == "client_members_pkey"
        {
            return StoreError::Duplicate(
                "this member account is already linked to a client".into(),
            );
        }
        if names("shg_groups_code_unique", "shg_groups.code") {
            return StoreError::Duplicate("another group already has this code".into());
        }
        if names("loan_products_program_name_unique", "loan_products.name") {
            return StoreError::Duplicate(
                "name: another program loan product on offer already has this name".into(),
            );
        }
        if names("clients_code_unique", "clients.code") {
            return StoreError::Duplicate("that client code is taken".into());
        }
        if names("accounts_code_unique", "accounts.book_id, accounts.code") {
            return StoreError::Duplicate(
                "an account with this code is already in the book".into(),
            );
        }
        // 22003: numeric value out of range (PostgreSQL); the typeof check (SQLite).
        if db.code().as_deref() == Some("22003") || message.contains("typeof(balance)") {
            return StoreError::Overflow;
        }
        StoreError::Database(err)
    }
}
