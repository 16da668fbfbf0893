//! The journal entries loan operations post. Pure: accounts in, entries out.

use super::state::{AllocationLine, Component};
use crate::ledger::{Account, Book, EntryDraft, EntryError, EntryKind, IdempotencyKey, NewEntry};
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
        Ok(EntryDraft::new(
            &self.book,
            on,
            EntryKind::new(kind)?,
            key.clone(),
        ))
    }

    /// Principal out of the fund into the member's loan account.
    pub fn disbursement(
        &self,
        principal: i64,
        on: NaiveDate,
        key: &IdempotencyKey,
        memo: &str,
    ) -> Result<NewEntry, EntryError> {
        self.draft(on, "loan-disbursement", key)?
            .memo(memo)
            .debit(&self.member_loan, self.money(principal))
            .credit(&self.fund, self.money(principal))
            .build()
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
        self.draft(on, "loan-write-off", key)?
            .memo(memo)
            .debit(&self.write_offs, self.money(principal))
            .credit(&self.member_loan, self.money(principal))
            .build()
    }

    /// Money received on a written-off loan is income of its own kind.
    pub fn recovery(
        &self,
        amount: i64,
        on: NaiveDate,
        key: &IdempotencyKey,
        memo: &str,
    ) -> Result<NewEntry, EntryError> {
        self.draft(on, "loan-recovery", key)?
            .memo(memo)
            .debit(&self.fund, self.money(amount))
            .credit(&self.recoveries, self.money(amount))
            .build()
    }
}
