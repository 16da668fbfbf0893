//! HTML pages, one module per audience.

pub mod access_log;
pub mod admin;
pub mod books;
mod client_forms;
pub mod clients;
mod clients_facts;
pub mod funds;
pub mod group;
pub mod home;
pub mod linkage;
pub mod loans;
pub mod login;
pub mod meeting;
pub mod member;
pub mod reports;
pub mod staff;

use crate::groups::{Group, GroupId};
use crate::ledger::{chart, AccountId, Book, TrialBalance};
use crate::money::{Currency, Money};
use crate::web::{AppError, AppState};
use std::collections::HashMap;

/// `₹1,25,000.00`: amounts for people, in the book's currency and grouping.
pub fn amount(minor: i64, currency: Currency) -> String {
    Money::from_minor(minor, currency).grouped()
}

/// `1250.00`: amounts to put back into a form field.
pub fn plain(minor: i64, currency: Currency) -> String {
    if minor == 0 {
        return String::new();
    }
    Money::from_minor(minor, currency).plain()
}

/// The group's book (its currency), without reading its balances.
pub async fn book_of(state: &AppState, group_id: GroupId) -> Result<Book, AppError> {
    let group = state.store.group(group_id).await?;
    Ok(state.store.book(group.book_id).await?)
}

/// The last page of an account's history (its most recent lines, oldest
/// first). Two reads: the first tells how many pages there are.
pub async fn latest_history(
    state: &AppState,
    account_id: i64,
    per_page: u32,
) -> Result<crate::ledger::HistoryPage, AppError> {
    let first = state.store.history(account_id, 1, per_page).await?;
    let last_page = first.page_count().max(1) as u32;
    if last_page == 1 {
        return Ok(first);
    }
    Ok(state.store.history(account_id, last_page, per_page).await?)
}

pub struct GroupBooks {
    pub group: Group,
    pub book: Book,
    /// Balances by account code, signed (debit positive).
    pub balances: HashMap<String, i64>,
    /// Account ids by code.
    pub ids: HashMap<String, AccountId>,
}

impl GroupBooks {
    pub async fn load(state: &AppState, group_id: GroupId) -> Result<GroupBooks, AppError> {
        let group = state.store.group(group_id).await?;
        GroupBooks::of(state, group).await
    }

    /// The books of a group already read.
    pub async fn of(state: &AppState, group: Group) -> Result<GroupBooks, AppError> {
        let tb: TrialBalance = state.store.trial_balance(group.book_id, None).await?;
        Ok(GroupBooks::from_trial_balance(group, tb))
    }

    /// The books of a group from its current trial balance, already read
    /// (with every other group's by `store::group_trial_balances`).
    pub fn from_trial_balance(group: Group, tb: TrialBalance) -> GroupBooks {
        let ids = tb
            .lines
            .iter()
            .map(|l| (l.code.clone(), l.account_id))
            .collect();
        let balances = tb.lines.into_iter().map(|l| (l.code, l.balance)).collect();
        GroupBooks {
            group,
            book: tb.book,
            balances,
            ids,
        }
    }

    /// A postable account of the group's book.
    pub fn account_id(&self, code: &str) -> Option<AccountId> {
        self.ids.get(code).copied()
    }

    pub fn balance(&self, code: &str) -> i64 {
        self.balances.get(code).copied().unwrap_or(0)
    }

    /// What the group owes her (savings): credit balances read positive.
    pub fn savings_of(&self, member_code: &str) -> (i64, i64) {
        let of = |header| -self.balance(&chart::member_account_code(header, member_code));
        (
            of(chart::shg::COMPULSORY_SAVINGS),
            of(chart::shg::VOLUNTARY_SAVINGS),
        )
    }

    pub fn loan_of(&self, member_code: &str) -> i64 {
        self.balance(&chart::member_account_code(
            chart::shg::LOANS_TO_MEMBERS,
            member_code,
        ))
    }

    pub fn money(&self, minor: i64) -> String {
        amount(minor, self.book.currency)
    }
}
