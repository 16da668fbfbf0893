//! Storage errors. Named constraint violations become answers a person can
//! act on; a database that cannot be reached is `Unavailable` (worth trying
//! again later); everything else is a `Database` error (a 500, logged with
//! cause).

use crate::ledger::{EntryError, EntryId};
use std::sync::Arc;

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
    /// The database could not be reached or dropped the connection: nothing
    /// about the request itself is wrong, and the same request may succeed
    /// later. Shared (`Arc`) so that one outage can answer many requests
    /// with its real cause.
    #[error("the database cannot be reached: {0}")]
    Unavailable(#[source] Arc<sqlx::Error>),
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

    /// Whether the database, not the request, is what failed: the same
    /// request (with its idempotency key) may be sent again later.
    pub fn is_unavailable(&self) -> bool {
        matches!(self, StoreError::Unavailable(_))
    }
}

/// Errors of reaching the database rather than of what was asked of it.
/// An I/O error can also cut a `COMMIT` off before its answer arrives, so
/// the work may or may not have been done: the idempotency key makes the
/// retry that this invites safe either way.
fn unreachable(err: &sqlx::Error) -> bool {
    match err {
        sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::WorkerCrashed
        | sqlx::Error::Io(_)
        | sqlx::Error::Tls(_) => true,
        sqlx::Error::Protocol(message) => {
            let message = message.to_ascii_lowercase();
            message.contains("connection")
                && ["refused", "closed", "reset"]
                    .iter()
                    .any(|how| message.contains(how))
        }
        // PostgreSQL's own words for the same: class 08 is a connection
        // exception; 57P01-57P03 a server shutting down, crashed, or not
        // yet accepting connections.
        sqlx::Error::Database(db) => db.code().is_some_and(|code| {
            code.starts_with("08") || matches!(&*code, "57P01" | "57P02" | "57P03")
        }),
        _ => false,
    }
}

impl From<sqlx::Error> for StoreError {
    fn from(err: sqlx::Error) -> StoreError {
        if unreachable(&err) {
            return StoreError::Unavailable(Arc::new(err));
        }
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::borrow::Cow;
    use std::io;

    /// A database's own error with a SQLSTATE, as a driver would report it.
    #[derive(Debug)]
    struct Said(&'static str);

    impl std::fmt::Display for Said {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            write!(f, "SQLSTATE {}", self.0)
        }
    }

    impl std::error::Error for Said {}

    impl sqlx::error::DatabaseError for Said {
        fn message(&self) -> &str {
            "said by the server"
        }
        fn code(&self) -> Option<Cow<'_, str>> {
            Some(Cow::Borrowed(self.0))
        }
        fn as_error(&self) -> &(dyn std::error::Error + Send + Sync + 'static) {
            self
        }
        fn as_error_mut(&mut self) -> &mut (dyn std::error::Error + Send + Sync + 'static) {
            self
        }
        fn into_error(self: Box<Self>) -> Box<dyn std::error::Error + Send + Sync + 'static> {
            self
        }
        fn kind(&self) -> sqlx::error::ErrorKind {
            sqlx::error::ErrorKind::Other
        }
    }

    fn said(code: &'static str) -> sqlx::Error {
        sqlx::Error::Database(Box::new(Said(code)))
    }

    #[test]
    fn a_database_that_cannot_be_reached_is_unavailable() {
        for err in [
            sqlx::Error::PoolTimedOut,
            sqlx::Error::PoolClosed,
            sqlx::Error::WorkerCrashed,
            sqlx::Error::Io(io::Error::from(io::ErrorKind::ConnectionRefused)),
            sqlx::Error::Io(io::Error::from(io::ErrorKind::UnexpectedEof)),
            sqlx::Error::Tls("handshake failed".into()),
            sqlx::Error::Protocol("Connection refused by peer".into()),
            sqlx::Error::Protocol("the connection was closed".into()),
            said("08006"),
            said("57P01"),
            said("57P03"),
        ] {
            let text = err.to_string();
            let store = StoreError::from(err);
            assert!(store.is_unavailable(), "{text}: {store:?}");
            // The cause stays in the chain for the log.
            assert!(store.to_string().contains(&text), "{store}");
        }
    }

    #[test]
    fn a_request_the_database_refused_is_not_unavailable() {
        for err in [
            sqlx::Error::RowNotFound,
            sqlx::Error::Protocol("unexpected message type".into()),
            said("40001"),
            said("23505"),
            said("53100"),
        ] {
            let store = StoreError::from(err);
            assert!(!store.is_unavailable(), "{store:?}");
            assert!(matches!(store, StoreError::Database(_)), "{store:?}");
        }
        assert!(!StoreError::Overflow.is_unavailable());
        assert!(!StoreError::not_found("loan", 7).is_unavailable());
    }
}
