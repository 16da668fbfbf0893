//! The journal entries loan operations post. Pure: accounts in, entries out.

use super::state::{AllocationLine, Component};
use crate::ledger::{Account, Book, EntryDraft, EntryError, IdempotencyKey, NewEntry};
use crate::money::Money;
use chrono::NaiveDate;

/// The accounts of a group book a loan's money moves through.
#[derive(Debug, Clone)]
pub struct LoanAccounts {
    pub book: Book,
    /// Cash in hand or the bank account: where money is paid from or into.
    pub fund: Account,
    /// The member's own principal receivable.
    pub member_loan: Account,
    pub interest_income: Account,
    pub fine_income: Account,
    pub other_income: Account,
    pub write_offs: Account,
    pub recoveries: Account,
}

impl LoanAccounts {
    fn money(&self, minor: i64) -> Money {
        Money::from_minor(minor, self.book.currency)
    }

    fn draft(
        &self,
        on: NaiveDate,
        kind: &str,
        key: &IdempotencyKey,
    ) -> Result<EntryDraft<'_>, EntryError> {
        EntryDraft::of_kind(&self.book, on, kind, key)
    }

    /// A two-line entry: `amount` from `debit` to `credit`.
    fn transfer(
        &self,
        kind: &str,
        (debit, credit, amount): (&Account, &Account, i64),
        on: NaiveDate,
        key: &IdempotencyKey,
        memo: &str,
    ) -> Result<NewEntry, EntryError> {
        self.draft(on, kind, key)?
            .memo(memo)
            .transfer(debit, credit, self.money(amount))
            .build()
    }

    /// Principal out of the fund into the member's loan account.
    pub fn disbursement(
        &self,
        principal: i64,
        on: NaiveDate,
        key: &IdempotencyKey,
        memo: &str,
    ) -> Result<NewEntry, EntryError> {
        let lines = (&self.member_loan, &self.fund, principal);
        self.transfer("loan-disbursement", lines, on, key, memo)
    }

    /// Cash in; each component to its account: principal reduces the loan,
    /// interest, penalties and fees are income when received (cash basis).
    pub fn repayment(
        &self,
        lines: &[AllocationLine],
        on: NaiveDate,
        key: &IdempotencyKey,
        memo: &str,
    ) -> Result<NewEntry, EntryError> {
        let total = |c: Component| -> i64 {
            lines
                .iter()
                .filter(|l| l.component == c)
                .map(|l| l.amount)
                .sum()
        };
        let received: i64 = lines.iter().map(|l| l.amount).sum();
        let mut draft = self
            .draft(on, "loan-repayment", key)?
            .memo(memo)
            .debit(&self.fund, self.money(received));
        for (component, account) in [
            (Component::Principal, &self.member_loan),
            (Component::Interest, &self.interest_income),
            (Component::Penalty, &self.fine_income),
            (Component::Fee, &self.other_income),
        ] {
            let amount = total(component);
            if amount != 0 {
                draft = draft.credit(account, self.money(amount));
            }
        }
        draft.build()
    }

    /// The principal still owed leaves the books as a loss.
    pub fn write_off(
        &self,
        principal: i64,
        on: NaiveDate,
        key: &IdempotencyKey,
        memo: &str,
    ) -> Result<NewEntry, EntryError> {
        let lines = (&self.write_offs, &self.member_loan, principal);
        self.transfer("loan-write-off", lines, on, key, memo)
    }

    /// Money received on a written-off loan is income of its own kind.
    pub fn recovery(
        &self,
        amount: i64,
        on: NaiveDate,
        key: &IdempotencyKey,
        memo: &str,
    ) -> Result<NewEntry, EntryError> {
        let lines = (&self.fund, &self.recoveries, amount);
        self.transfer("loan-recovery", lines, on, key, memo)
    }
}
