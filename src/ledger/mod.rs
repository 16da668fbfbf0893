//! The pure double-entry core: books, accounts, entries and the rules they obey.
//! No database or web types here; `store` and `web` depend on this, never the
//! other way round.

pub mod accounts;
pub mod balances;
pub mod chart;
pub mod entry;

pub use accounts::{
    Account, AccountId, AccountType, Book, BookId, BookKind, EntryId, LoanId, MemberId, NewAccount,
    Side,
};
pub use balances::{HistoryLine, HistoryPage, TrialBalance, TrialBalanceLine};
pub use entry::{
    EntryDraft, EntryError, EntryKind, IdempotencyKey, NewEntry, PostedEntry, Posting,
};
