//! Savings: thrift, voluntary savings, withdrawals, social fund, fines and
//! the share-out at the end of a cycle. Pure: accounts in, entries out.

pub mod shareout;

use crate::ledger::{
    chart, Account, AccountType, Book, EntryDraft, EntryError, IdempotencyKey, NewEntry,
    TrialBalance,
};
use crate::money::Money;
use chrono::NaiveDate;
use shareout::{distribute, ShareBasis, ShareOutError};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SavingsError {
    #[error(transparent)]
    Entry(#[from] EntryError),
    #[error(transparent)]
    ShareOut(#[from] ShareOutError),
    #[error("a withdrawal needs the group resolution that approved it")]
    MissingResolution,
    #[error("the books have no account {0}")]
    MissingAccount(String),
    #[error("there is no surplus to share out")]
    NoSurplus,
}

fn draft<'b>(
    book: &'b Book,
    on: NaiveDate,
    kind: &str,
    key: &IdempotencyKey,
) -> Result<EntryDraft<'b>, EntryError> {
    EntryDraft::of_kind(book, on, kind, key)
}

/// `amount` from `debit` to `credit` as an entry of `kind`.
fn transfer(
    book: &Book,
    kind: &str,
    (debit, credit): (&Account, &Account),
    amount: i64,
    on: NaiveDate,
    key: &IdempotencyKey,
) -> Result<NewEntry, SavingsError> {
    Ok(draft(book, on, kind, key)?
        .transfer(debit, credit, money(book, amount))
        .build()?)
}

fn money(book: &Book, minor: i64) -> Money {
    Money::from_minor(minor, book.currency)
}

/// Thrift or voluntary savings paid in at a meeting.
pub fn deposit(
    book: &Book,
    fund: &Account,
    savings: &Account,
    amount: i64,
    on: NaiveDate,
    key: &IdempotencyKey,
) -> Result<NewEntry, SavingsError> {
    transfer(book, "savings-deposit", (fund, savings), amount, on, key)
}

/// Savings paid back to a member, on a recorded group resolution. The store
/// refuses it if her balance would go below zero (`post_all_guarded`).
pub fn withdrawal(
    book: &Book,
    savings: &Account,
    fund: &Account,
    amount: i64,
    on: NaiveDate,
    key: &IdempotencyKey,
    resolution: &str,
) -> Result<NewEntry, SavingsError> {
    if resolution.trim().is_empty() {
        return Err(SavingsError::MissingResolution);
    }
    Ok(draft(book, on, "savings-withdrawal", key)?
        .memo(&format!("resolution {}", resolution.trim()))
        .transfer(savings, fund, money(book, amount))
        .build()?)
}

/// Into the social / welfare fund (which is never shared out).
pub fn social_fund_contribution(
    book: &Book,
    fund: &Account,
    social_fund: &Account,
    amount: i64,
    on: NaiveDate,
    key: &IdempotencyKey,
) -> Result<NewEntry, SavingsError> {
    transfer(
        book,
        "social-fund-contribution",
        (fund, social_fund),
        amount,
        on,
        key,
    )
}

/// Out of the social fund to a member in need.
pub fn social_fund_payout(
    book: &Book,
    social_fund: &Account,
    fund: &Account,
    amount: i64,
    on: NaiveDate,
    key: &IdempotencyKey,
) -> Result<NewEntry, SavingsError> {
    transfer(
        book,
        "social-fund-payout",
        (social_fund, fund),
        amount,
        on,
        key,
    )
}

/// A fine set by the group's rules (late arrival, missed meeting).
pub fn fine(
    book: &Book,
    fund: &Account,
    fine_income: &Account,
    amount: i64,
    on: NaiveDate,
    key: &IdempotencyKey,
) -> Result<NewEntry, SavingsError> {
    transfer(book, "fine", (fund, fine_income), amount, on, key)
}

/// One member's savings accounts as the share-out sees them.
#[derive(Debug, Clone)]
pub struct MemberSavings {
    pub member_id: i64,
    pub compulsory: Account,
    pub voluntary: Account,
    /// Presented balances (positive = the group owes her).
    pub compulsory_balance: i64,
    pub voluntary_balance: i64,
}

/// How a group shares out, chosen by its rules.
#[derive(Debug, Clone, Copy)]
pub struct ShareOutTerms<'a> {
    pub basis: ShareBasis,
    /// VSLA-style cycles pay savings back out; SHGs keep them.
    pub return_savings: bool,
    /// Where returned savings are paid from.
    pub fund: &'a Account,
    pub on: NaiveDate,
    /// Keys of the share-out's entries start with this, so a re-sent
    /// share-out posts nothing twice.
    pub key_prefix: &'a str,
}

/// The entries of a share-out, to be posted together.
#[derive(Debug, Clone)]
pub struct ShareOutPlan {
    pub surplus: i64,
    pub shares: Vec<shareout::Share>,
    /// Closes income and expense accounts into surplus / retained earnings.
    pub closing: Option<NewEntry>,
    /// Surplus to each member's compulsory savings.
    pub distribution: Option<NewEntry>,
    /// Savings (with shares) paid out in cash, when the cycle returns them.
    pub payout: Option<NewEntry>,
}

/// Plans the share-out from the book's current trial balance: income and
/// expenses (write-offs included) close into surplus, and the distributable
/// surplus is divided by `basis` with every paisa placed (largest remainder).
pub fn share_out(
    tb: &TrialBalance,
    accounts: &[Account],
    members: &[MemberSavings],
    terms: &ShareOutTerms<'_>,
) -> Result<ShareOutPlan, SavingsError> {
    let ShareOutTerms {
        basis,
        return_savings,
        fund,
        on,
        key_prefix,
    } = *terms;
    let book = &tb.book;
    let by_id = |id| accounts.iter().find(|a| a.id == id);
    let surplus_account = accounts
        .iter()
        .find(|a| a.code == chart::shg::SURPLUS)
        .ok_or_else(|| SavingsError::MissingAccount(chart::shg::SURPLUS.into()))?;
    let key = |suffix: &str| IdempotencyKey::new(&format!("{key_prefix}/{suffix}"));

    let mut closing = draft(book, on, "closing", &key("closing")?)?
        .memo("income and expenses closed into surplus");
    let mut net = 0_i64;
    let mut lines = 0;
    for line in &tb.lines {
        let closes = matches!(
            line.account_type,
            AccountType::Income | AccountType::Expense
        );
        if !closes || line.balance == 0 {
            continue;
        }
        let account = by_id(line.account_id)
            .ok_or_else(|| SavingsError::MissingAccount(line.code.clone()))?;
        closing = closing.signed(account, money(book, -line.balance));
        net += line.balance;
        lines += 1;
    }
    let closing = if lines > 0 {
        Some(closing.signed(surplus_account, money(book, net)).build()?)
    } else {
        None
    };
    let surplus_balance = tb
        .lines
        .iter()
        .find(|l| l.code == chart::shg::SURPLUS)
        .map(|l| l.balance)
        .unwrap_or(0);
    // Credit balances are negative: income less expenses is -net.
    let surplus = -(surplus_balance + net);
    if surplus <= 0 {
        return Err(SavingsError::NoSurplus);
    }
    let weights: Vec<(i64, i64)> = members
        .iter()
        .map(|m| (m.member_id, m.compulsory_balance + m.voluntary_balance))
        .collect();
    let shares = distribute(surplus, &weights, basis)?;
    let mut distribution = draft(book, on, "share-out", &key("shares")?)?
        .memo("surplus shared out")
        .debit(surplus_account, money(book, surplus));
    for (m, share) in members.iter().zip(&shares) {
        if share.amount > 0 {
            distribution = distribution.credit(&m.compulsory, money(book, share.amount));
        }
    }
    let payout = if return_savings {
        let mut payout = draft(book, on, "savings-return", &key("return")?)?
            .memo("savings returned at the end of the cycle");
        let mut total = 0;
        for (m, share) in members.iter().zip(&shares) {
            let compulsory = m.compulsory_balance + share.amount;
            if compulsory > 0 {
                payout = payout.debit(&m.compulsory, money(book, compulsory));
                total += compulsory;
            }
            if m.voluntary_balance > 0 {
                payout = payout.debit(&m.voluntary, money(book, m.voluntary_balance));
                total += m.voluntary_balance;
            }
        }
        Some(payout.credit(fund, money(book, total)).build()?)
    } else {
        None
    };
    Ok(ShareOutPlan {
        surplus,
        shares,
        closing,
        distribution: Some(distribution.build()?),
        payout,
    })
}
