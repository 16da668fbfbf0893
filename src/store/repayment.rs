//! One repayment decided in memory, before anything is written: the same
//! decision for `repay_loan`, for a meeting's repayments and for a batch
//! committed together over HTTP, so that all three post the same books.

use super::{StoreError, StoreResult};
use crate::ledger::{IdempotencyKey, LoanId, NewEntry};
use crate::loans::allocation;
use crate::loans::entries::LoanAccounts;
use crate::loans::product::{Loan, LoanStatus};
use crate::loans::state::{AllocationLine, Component, LoanState, Parts};
use chrono::NaiveDate;

pub(super) fn expect_status(loan: &Loan, wanted: LoanStatus, doing: &str) -> StoreResult<()> {
    if loan.status == wanted {
        Ok(())
    } else {
        Err(StoreError::LoanState(format!(
            "loan {} is {}; only a loan that is {} can be {doing}",
            loan.id, loan.status, wanted
        )))
    }
}

/// What a repayment changes besides its entry and its allocation rows.
#[derive(Debug, Clone)]
pub(super) enum Aftermath {
    Continues,
    Closes,
    /// Principal paid ahead of schedule, and the product recomputes or
    /// shortens the rest: what `before` still owed moves to a new schedule
    /// version made of `rows`.
    Reschedules {
        before: LoanState,
        rows: Vec<(u32, NaiveDate, Parts)>,
    },
}

#[derive(Debug, Clone)]
pub(super) struct PlannedRepayment {
    pub loan_id: LoanId,
    /// The schedule version the payment was allocated against.
    pub version: i32,
    pub on: NaiveDate,
    pub entry: NewEntry,
    pub lines: Vec<AllocationLine>,
    pub aftermath: Aftermath,
}

/// Decides a repayment of `loan`, whose current schedule stands as `state`,
/// and moves both on to how they stand after it (status, schedule version,
/// what is paid). On a refusal neither is touched.
pub(super) fn plan(
    loan: &mut Loan,
    state: &mut LoanState,
    accounts: &LoanAccounts,
    amount: i64,
    on: NaiveDate,
    key: &IdempotencyKey,
) -> StoreResult<PlannedRepayment> {
    expect_status(loan, LoanStatus::Active, "repaid")?;
    if loan.disbursed_on.is_some_and(|d| on < d) {
        return Err(StoreError::Invalid(
            "a repayment cannot be dated before the disbursement".into(),
        ));
    }
    let lines = allocation::allocate(state, amount, on, loan.settings.allocation)?;
    let entry = accounts.repayment(&lines, on, key, &format!("loan {}", loan.id))?;
    let mut after = state.clone();
    allocation::apply(&mut after, on, &lines);
    let aftermath = if after.outstanding_total() == 0 {
        Aftermath::Closes
    } else if lines.iter().any(|l| {
        l.component == Component::Principal
            && after
                .installments
                .iter()
                .any(|i| i.number == l.installment && i.due_date > on)
    }) {
        // The product says whether the rest is recomputed or shortened.
        let units = accounts.book.currency.minor_units();
        let terms =
            loan.settings
                .terms(loan.principal, loan.disbursed_on.unwrap_or(on), None, units);
        let rescheduled =
            allocation::reschedule_after_prepayment(&terms, &after, on, loan.settings.prepayment)?;
        if rescheduled == after.installments {
            Aftermath::Continues
        } else {
            let rows: Vec<(u32, NaiveDate, Parts)> = rescheduled
                .iter()
                .map(|i| {
                    let mut left = Parts::default();
                    for c in Component::ALL {
                        *left.get_mut(c) = i.outstanding(c).max(0);
                    }
                    (i.number, i.due_date, left)
                })
                .filter(|(_, _, p)| p.total() > 0)
                .collect();
            Aftermath::Reschedules {
                before: after.clone(),
                rows,
            }
        }
    } else {
        Aftermath::Continues
    };
    let version = loan.schedule_version;
    match &aftermath {
        Aftermath::Continues => *state = after,
        Aftermath::Closes => {
            *state = after;
            loan.status = LoanStatus::Closed;
            loan.closed_on = Some(on);
        }
        Aftermath::Reschedules { rows, .. } => {
            // The new version starts with nothing paid on it.
            *state = LoanState::assemble(rows.clone(), Vec::new(), Vec::new());
            loan.schedule_version += 1;
        }
    }
    Ok(PlannedRepayment {
        loan_id: loan.id,
        version,
        on,
        entry,
        lines,
        aftermath,
    })
}

/// An entry a loan operation's key already posted, and what it was.
#[derive(Debug, Clone)]
pub(super) struct EarlierUse {
    pub entry_id: crate::ledger::EntryId,
    /// The loan whose event the entry is, if any.
    pub loan_id: Option<LoanId>,
    /// That event's kind (`repaid`, `disbursed`, …).
    pub kind: Option<String>,
    pub date: NaiveDate,
    /// What the entry received into the fund.
    pub received: i64,
    pub allocation: Vec<AllocationLine>,
}

impl EarlierUse {
    /// Whether the entry was this same operation: the loan, the event, the
    /// day and (where the operation has one) the amount.
    pub fn is_same(&self, loan: &Loan, event: &str, on: NaiveDate, amount: Option<i64>) -> bool {
        self.loan_id == Some(loan.id)
            && self.kind.as_deref() == Some(event)
            && self.date == on
            && amount.is_none_or(|a| a == self.received)
    }

    pub fn conflict(&self, key: &IdempotencyKey) -> StoreError {
        StoreError::IdempotencyConflict {
            key: key.as_str().to_string(),
            entry_id: self.entry_id,
        }
    }

    /// The earlier operation, answered again.
    pub fn replayed(&self, loan: &Loan) -> super::LoanOperation {
        super::LoanOperation {
            loan: loan.clone(),
            entry_id: self.entry_id,
            replayed: true,
            allocation: self.allocation.clone(),
        }
    }

    /// The answer to a re-sent repayment.
    pub fn answer(&self, loan: &Loan, r: &super::Repayment) -> StoreResult<super::LoanOperation> {
        if self.is_same(loan, "repaid", r.on, Some(r.amount)) {
            Ok(self.replayed(loan))
        } else {
            Err(self.conflict(&r.key))
        }
    }
}
