//! Read models over balances: trial balance and an account's history.

use super::accounts::{Account, AccountId, AccountType, Book, EntryId};
use chrono::NaiveDate;
use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TrialBalanceLine {
    pub account_id: AccountId,
    pub code: String,
    pub name: String,
    pub account_type: AccountType,
    /// Signed ledger balance: debit positive, credit negative.
    pub balance: i64,
}

impl TrialBalanceLine {
    pub fn debit(&self) -> i128 {
        i128::from(self.balance).max(0)
    }
    /// i128 because the credit of `i64::MIN` has no i64 form.
    pub fn credit(&self) -> i128 {
        (-i128::from(self.balance)).max(0)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TrialBalance {
    pub book: Book,
    /// `None`: current maintained balances; `Some(d)`: as of the end of `d`.
    pub as_of: Option<NaiveDate>,
    pub lines: Vec<TrialBalanceLine>,
}

impl TrialBalance {
    pub fn total_debits(&self) -> i128 {
        self.lines.iter().map(TrialBalanceLine::debit).sum()
    }
    pub fn total_credits(&self) -> i128 {
        self.lines.iter().map(TrialBalanceLine::credit).sum()
    }
    /// A book whose debits equal its credits; anything else is corruption.
    pub fn is_balanced(&self) -> bool {
        self.total_debits() == self.total_credits()
    }
    pub fn total_for(&self, account_type: AccountType) -> i128 {
        self.lines
            .iter()
            .filter(|l| l.account_type == account_type)
            .map(|l| i128::from(l.balance))
            .sum()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HistoryLine {
    pub entry_id: EntryId,
    pub business_date: NaiveDate,
    pub kind: String,
    pub memo: String,
    pub reverses: Option<EntryId>,
    pub amount: i64,
    /// Signed balance of the account after this posting.
    pub running_balance: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HistoryPage {
    pub account: Account,
    pub page: u32,
    pub per_page: u32,
    pub total_lines: u64,
    pub lines: Vec<HistoryLine>,
}

impl HistoryPage {
    pub fn page_count(&self) -> u64 {
        self.total_lines.div_ceil(u64::from(self.per_page.max(1)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_negative_balance_shows_in_the_credit_column() {
        let line = |balance| TrialBalanceLine {
            account_id: 1,
            code: "2000".into(),
            name: "Savings".into(),
            account_type: AccountType::Liability,
            balance,
        };
        assert_eq!((line(-500).debit(), line(-500).credit()), (0, 500));
        assert_eq!((line(700).debit(), line(700).credit()), (700, 0));
        assert_eq!(line(i64::MIN).credit(), 1_i128 << 63);
    }
}
