//! Money the group itself receives from outside: a bank linkage loan or a
//! community investment fund (CIF) loan that the group owes back on its own
//! schedule, and a program revolving fund that it keeps as capital. The group
//! on-lends this money to members as ordinary member loans.
//!
//! Pure: terms in, schedule and entries out. Repayments to the lender reuse
//! the member-loan engine (schedule, state, allocation) under the
//! interest-first rule that Indian banks apply.

use crate::groups::GroupId;
use crate::ledger::NewEntry;
use crate::ledger::{chart, Account, Book, EntryDraft, EntryError, EntryId, IdempotencyKey};
use crate::loans::product::LoanSettings;
use crate::loans::state::{AllocationLine, Component, LoanState};
use crate::money::Money;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

pub type BorrowingId = i64;

/// Where the group's outside money came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum BorrowingSource {
    /// A bank loan to the group (SHG–bank linkage): owed back on the bank's
    /// schedule, with interest.
    BankLinkage,
    /// A loan from the federation or program's community investment fund:
    /// owed back on its own schedule.
    CommunityInvestmentFund,
    /// A grant to the group's corpus: kept as capital, never repaid.
    RevolvingFund,
}

impl BorrowingSource {
    pub const ALL: [BorrowingSource; 3] = [
        BorrowingSource::BankLinkage,
        BorrowingSource::CommunityInvestmentFund,
        BorrowingSource::RevolvingFund,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            BorrowingSource::BankLinkage => "bank-linkage",
            BorrowingSource::CommunityInvestmentFund => "community-investment-fund",
            BorrowingSource::RevolvingFund => "revolving-fund",
        }
    }

    /// Whether the group owes the money back on a schedule.
    pub fn repayable(self) -> bool {
        !matches!(self, BorrowingSource::RevolvingFund)
    }

    /// The account the money is owed to (a liability) or kept in (capital).
    pub fn account_code(self) -> &'static str {
        match self {
            BorrowingSource::BankLinkage => chart::shg::BANK_LOAN_PAYABLE,
            BorrowingSource::CommunityInvestmentFund => chart::shg::CIF_PAYABLE,
            BorrowingSource::RevolvingFund => chart::shg::REVOLVING_FUND,
        }
    }
}

impl fmt::Display for BorrowingSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for BorrowingSource {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        BorrowingSource::ALL
            .into_iter()
            .find(|b| b.as_str() == s)
            .ok_or_else(|| {
                format!(
                    "source must be bank-linkage, community-investment-fund or revolving-fund, not {s:?}"
                )
            })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum BorrowingStatus {
    /// Owed in part or whole (a revolving fund stays active: it is capital).
    Active,
    Closed,
}

impl BorrowingStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            BorrowingStatus::Active => "active",
            BorrowingStatus::Closed => "closed",
        }
    }
}

impl FromStr for BorrowingStatus {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "active" => Ok(BorrowingStatus::Active),
            "closed" => Ok(BorrowingStatus::Closed),
            other => Err(format!("unknown borrowing status {other:?}")),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BorrowingError {
    #[error("{field} is required")]
    Missing { field: &'static str },
    #[error("{field} must be at most {max} characters")]
    TooLong { field: &'static str, max: usize },
    #[error("principal must be more than zero")]
    NotPositive,
    #[error("a {0} is repaid on a schedule: give its rate, installments and frequency")]
    TermsRequired(BorrowingSource),
    #[error("a revolving fund is a grant and has no repayment terms")]
    TermsNotAllowed,
    #[error("a revolving fund is the group's capital and is not repaid")]
    NotRepayable,
}

/// Money the group receives, as the treasurer records it from the sanction
/// letter or the program's transfer advice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewBorrowing {
    pub group_id: GroupId,
    pub source: BorrowingSource,
    /// The bank branch, federation or program that lent or granted it.
    pub lender: String,
    /// The sanction or transfer reference on the lender's papers.
    pub reference: String,
    pub principal: i64,
    pub received_on: NaiveDate,
    pub first_due: Option<NaiveDate>,
    /// The lender's terms; required for loans, absent for grants.
    pub terms: Option<LoanSettings>,
    /// The group resolution that accepted the money.
    pub resolution: String,
}

impl NewBorrowing {
    pub fn check(&self) -> Result<(), BorrowingError> {
        text("lender", &self.lender, 100)?;
        text("reference", &self.reference, 50)?;
        text("resolution", &self.resolution, 50)?;
        if self.principal <= 0 {
            return Err(BorrowingError::NotPositive);
        }
        match (self.source.repayable(), &self.terms) {
            (true, None) => Err(BorrowingError::TermsRequired(self.source)),
            (false, Some(_)) => Err(BorrowingError::TermsNotAllowed),
            _ => Ok(()),
        }
    }
}

fn text(field: &'static str, value: &str, max: usize) -> Result<(), BorrowingError> {
    let value = value.trim();
    if value.is_empty() {
        return Err(BorrowingError::Missing { field });
    }
    if value.chars().count() > max {
        return Err(BorrowingError::TooLong { field, max });
    }
    Ok(())
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Borrowing {
    pub id: BorrowingId,
    pub group_id: GroupId,
    pub source: BorrowingSource,
    pub lender: String,
    pub reference: String,
    pub principal: i64,
    pub received_on: NaiveDate,
    pub terms: Option<LoanSettings>,
    pub resolution: String,
    pub status: BorrowingStatus,
    pub closed_on: Option<NaiveDate>,
    pub receipt_entry_id: EntryId,
}

/// A borrowing with what the group still owes on it; grants have an empty
/// schedule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BorrowingWithState {
    pub borrowing: Borrowing,
    pub state: LoanState,
}

/// The accounts of a group book a borrowing's money moves through.
#[derive(Debug, Clone)]
pub struct BorrowingAccounts {
    pub book: Book,
    /// Cash in hand or the bank account.
    pub fund: Account,
    /// What the group owes the lender, or its capital for a grant.
    pub owed_to: Account,
    pub interest_expense: Account,
}

impl BorrowingAccounts {
    fn money(&self, minor: i64) -> Money {
        Money::from_minor(minor, self.book.currency)
    }

    /// The money arrives in the fund; the group now owes it (or holds it as
    /// capital).
    pub fn receipt(
        &self,
        principal: i64,
        on: NaiveDate,
        key: &IdempotencyKey,
        memo: &str,
    ) -> Result<NewEntry, EntryError> {
        EntryDraft::of_kind(&self.book, on, "borrowing-received", key)?
            .memo(memo)
            .transfer(&self.fund, &self.owed_to, self.money(principal))
            .build()
    }

    /// Paid to the lender: principal reduces what is owed; interest,
    /// penalties and charges are the group's expense.
    pub fn repayment(
        &self,
        lines: &[AllocationLine],
        on: NaiveDate,
        key: &IdempotencyKey,
        memo: &str,
    ) -> Result<NewEntry, EntryError> {
        let principal: i64 = lines
            .iter()
            .filter(|l| l.component == Component::Principal)
            .map(|l| l.amount)
            .sum();
        let paid: i64 = lines.iter().map(|l| l.amount).sum();
        let mut draft = EntryDraft::of_kind(&self.book, on, "borrowing-repayment", key)?.memo(memo);
        if principal > 0 {
            draft = draft.debit(&self.owed_to, self.money(principal));
        }
        if paid > principal {
            draft = draft.debit(&self.interest_expense, self.money(paid - principal));
        }
        draft.credit(&self.fund, self.money(paid)).build()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ledger::{AccountType, BookKind, Side};
    use crate::loans::allocation::AllocationRule;
    use crate::money::Currency;

    fn book() -> Book {
        Book {
            id: 1,
            kind: BookKind::Group,
            name: "Lotus".into(),
            currency: Currency::inr(),
        }
    }

    fn account(id: i64, code: &str, t: AccountType) -> Account {
        Account {
            id,
            book_id: 1,
            code: code.into(),
            name: code.into(),
            account_type: t,
            normal_side: t.normal_side(),
            parent_id: None,
            postable: true,
            member_id: None,
            loan_id: None,
            currency: Currency::inr(),
        }
    }

    fn accounts() -> BorrowingAccounts {
        BorrowingAccounts {
            book: book(),
            fund: account(1, "1010", AccountType::Asset),
            owed_to: account(2, "2200", AccountType::Liability),
            interest_expense: account(3, "5020", AccountType::Expense),
        }
    }

    fn day(d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 3, d).unwrap()
    }

    fn key(k: &str) -> IdempotencyKey {
        IdempotencyKey::new(k).unwrap()
    }

    #[test]
    fn a_receipt_owes_the_lender_what_arrived_in_the_bank() {
        let e = accounts()
            .receipt(10_000_000, day(1), &key("b1"), "bank linkage")
            .unwrap();
        let lines: Vec<(i64, i64)> = e
            .postings()
            .iter()
            .map(|p| (p.account_id, p.amount))
            .collect();
        assert_eq!(lines, [(1, 10_000_000), (2, -10_000_000)]);
    }

    #[test]
    fn a_repayment_splits_principal_from_interest_expense() {
        let lines = [
            AllocationLine {
                installment: 1,
                component: Component::Interest,
                amount: 100_000,
            },
            AllocationLine {
                installment: 1,
                component: Component::Principal,
                amount: 800_000,
            },
        ];
        let e = accounts()
            .repayment(&lines, day(30), &key("r1"), "to bank")
            .unwrap();
        let mut got: Vec<(i64, i64)> = e
            .postings()
            .iter()
            .map(|p| (p.account_id, p.amount))
            .collect();
        got.sort();
        assert_eq!(got, [(1, -900_000), (2, 800_000), (3, 100_000)]);
        assert_eq!(Side::Debit, AccountType::Expense.normal_side());
    }

    #[test]
    fn loans_need_terms_and_grants_refuse_them() {
        let settings = crate::loans::product::templates()[0].1.clone();
        let mut b = NewBorrowing {
            group_id: 1,
            source: BorrowingSource::BankLinkage,
            lender: "Imphal branch".into(),
            reference: "SL/2026/14".into(),
            principal: 10_000_000,
            received_on: day(1),
            first_due: None,
            terms: None,
            resolution: "R-7".into(),
        };
        assert_eq!(
            b.check(),
            Err(BorrowingError::TermsRequired(BorrowingSource::BankLinkage))
        );
        b.terms = Some(LoanSettings {
            allocation: AllocationRule::InterestFirst,
            ..settings.clone()
        });
        assert_eq!(b.check(), Ok(()));
        b.source = BorrowingSource::RevolvingFund;
        assert_eq!(b.check(), Err(BorrowingError::TermsNotAllowed));
        b.terms = None;
        assert_eq!(b.check(), Ok(()));
        b.lender = " ".into();
        assert_eq!(b.check(), Err(BorrowingError::Missing { field: "lender" }));
        assert_eq!(
            "grant".parse::<BorrowingSource>().unwrap_err(),
            "source must be bank-linkage, community-investment-fund or revolving-fund, not \"grant\""
        );
    }
}
