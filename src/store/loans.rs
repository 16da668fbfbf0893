//! Loan persistence: the lifecycle operations that read a loan's state and
//! post its entry in one transaction, on both backends.

use super::StoreResult;
use crate::groups::GroupId;
use crate::ledger::MemberId;
use crate::ledger::{EntryId, IdempotencyKey, LoanId};
use crate::loans::product::{Loan, LoanProduct, LoanSettings, LoanSource, LoanStatus, ProductId};
use crate::loans::state::{AllocationLine, LoanState};
use async_trait::async_trait;
use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::Serialize;

/// Which of the group's money accounts a payment goes through.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Fund {
    Cash,
    Bank,
}

impl Fund {
    pub fn account_code(self) -> &'static str {
        match self {
            Fund::Cash => crate::ledger::chart::shg::CASH,
            Fund::Bank => crate::ledger::chart::shg::BANK,
        }
    }
}

/// A product with the number of loans made with it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProductUse {
    pub product: LoanProduct,
    pub loans: i64,
}

#[derive(Debug, Clone)]
pub struct LoanApplication {
    pub group_id: GroupId,
    pub member_id: MemberId,
    /// The stored product the loan is made with, if any: it must be
    /// program-wide or this group's, and not retired.
    pub product_id: Option<ProductId>,
    pub settings: LoanSettings,
    pub source: LoanSource,
    /// Which business the loan is for.
    pub purpose: String,
    pub principal: i64,
    pub applied_on: NaiveDate,
}

/// A change to the remaining schedule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reschedule {
    pub on: NaiveDate,
    /// Installments added to those that remain.
    pub extra_periods: u32,
    /// Periods at the start of the new schedule that pay interest only.
    pub moratorium: u32,
    pub new_rate: Option<Decimal>,
    /// A code such as `illness`, `business-loss`, `relocation`: never detail.
    pub reason_code: String,
}

/// What a money-moving loan operation did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LoanOperation {
    pub loan: Loan,
    pub entry_id: EntryId,
    /// True when the idempotency key had already done this operation.
    pub replayed: bool,
    pub allocation: Vec<AllocationLine>,
}

/// One repayment in a batch: what `repay_loan` takes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Repayment {
    pub loan_id: LoanId,
    pub amount: i64,
    pub on: NaiveDate,
    pub into: Fund,
    pub key: IdempotencyKey,
}

/// Which loans a read returns. The narrowing happens in the query, so a
/// member's page or a meeting does not read a whole group's history of
/// installments and payments to keep a few loans.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LoanScope {
    /// The groups whose loans are read; `None` reads every group's.
    pub groups: Option<Vec<GroupId>>,
    /// Only these loans; `None` does not narrow by loan.
    pub loans: Option<Vec<LoanId>>,
    pub member_id: Option<MemberId>,
    /// Only loans in these states (the state they are in now); `None`
    /// reads loans in every state.
    pub statuses: Option<Vec<LoanStatus>>,
}

/// The loans something may still happen to: closed and rejected ones are
/// done. Written-off loans stay, since money may still be recovered on them
/// and the group lends no more to her.
pub const OPEN: [LoanStatus; 4] = [
    LoanStatus::Applied,
    LoanStatus::Approved,
    LoanStatus::Active,
    LoanStatus::WrittenOff,
];

impl LoanScope {
    pub fn group(group_id: GroupId) -> LoanScope {
        LoanScope::groups(vec![group_id])
    }

    /// These loans, in one read.
    pub fn loans(loans: Vec<LoanId>) -> LoanScope {
        LoanScope {
            loans: Some(loans),
            ..LoanScope::default()
        }
    }

    /// Several groups' loans in one read (the demo's meetings of a week).
    pub fn groups(groups: Vec<GroupId>) -> LoanScope {
        LoanScope {
            groups: Some(groups),
            ..LoanScope::default()
        }
    }

    pub fn member(member_id: MemberId) -> LoanScope {
        LoanScope {
            member_id: Some(member_id),
            ..LoanScope::default()
        }
    }

    /// Leaves out closed and rejected loans (see [`OPEN`]).
    pub fn open_only(self) -> LoanScope {
        self.in_states(&OPEN)
    }

    pub fn in_states(self, statuses: &[LoanStatus]) -> LoanScope {
        LoanScope {
            statuses: Some(statuses.to_vec()),
            ..self
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LoanWithState {
    pub loan: Loan,
    pub state: LoanState,
}

#[async_trait]
pub trait LoanStore: Send + Sync {
    async fn create_product(
        &self,
        group_id: Option<GroupId>,
        name: &str,
        settings: &LoanSettings,
    ) -> StoreResult<LoanProduct>;

    /// The products a new loan in the group may use: the program-wide ones
    /// and the group's own, retired ones left out; program-wide first.
    async fn products(&self, group_id: GroupId) -> StoreResult<Vec<LoanProduct>>;

    /// Every program-wide product, retired ones too, with how many loans
    /// were made with each: the program admin's list, in one query however
    /// many products and loans there are.
    async fn program_products(&self) -> StoreResult<Vec<ProductUse>>;

    /// Retires a product from the given day (no new loan may use it) or,
    /// with `None`, offers it again. Existing loans keep their own settings.
    /// Bringing back a program product whose name another active program
    /// product now has is a conflict.
    async fn set_product_retired(
        &self,
        product_id: ProductId,
        retired_on: Option<NaiveDate>,
    ) -> StoreResult<LoanProduct>;

    async fn apply_for_loan(&self, application: &LoanApplication) -> StoreResult<Loan>;

    /// Records the group's resolution approving or rejecting an application.
    async fn decide_loan(
        &self,
        loan_id: LoanId,
        approve: bool,
        on: NaiveDate,
        resolution: &str,
    ) -> StoreResult<Loan>;

    /// Pays out an approved loan and fixes its schedule (version 1).
    async fn disburse_loan(
        &self,
        loan_id: LoanId,
        on: NaiveDate,
        first_due: Option<NaiveDate>,
        from: Fund,
        key: &IdempotencyKey,
    ) -> StoreResult<LoanOperation>;

    /// Allocates a payment by the product's rule and posts it; refuses more
    /// than can be paid. The loan closes when nothing is left.
    async fn repay_loan(
        &self,
        loan_id: LoanId,
        amount: i64,
        on: NaiveDate,
        into: Fund,
        key: &IdempotencyKey,
    ) -> StoreResult<LoanOperation>;

    /// Many repayments in one transaction (group commit): each answers as
    /// `repay_loan` would alone, in the order given, so two repayments of
    /// one loan see each other. Only a failure of the database itself is
    /// the outer error, and then nothing of the batch was posted.
    async fn repay_loans(
        &self,
        batch: &[Repayment],
    ) -> StoreResult<Vec<StoreResult<LoanOperation>>> {
        let mut answers = Vec::with_capacity(batch.len());
        for r in batch {
            answers.push(
                self.repay_loan(r.loan_id, r.amount, r.on, r.into, &r.key)
                    .await,
            );
        }
        Ok(answers)
    }

    /// Charges the product's late fine to each installment late as of the
    /// date that has not been fined yet. Returns the total charged.
    async fn charge_late_fines(&self, loan_id: LoanId, as_of: NaiveDate) -> StoreResult<i64>;

    /// `charge_late_fines` for each (loan, as of) in one transaction, all or
    /// none, in a fixed number of statements however many loans: the
    /// treasurer's "charge late fines" for a whole group, and the demo's
    /// week. Returns the total charged to each, in the order given (a loan
    /// given twice is fined once).
    async fn charge_late_fines_on(&self, loans: &[(LoanId, NaiveDate)]) -> StoreResult<Vec<i64>>;

    /// A new schedule for what remains; the old one stays in history.
    async fn reschedule_loan(&self, loan_id: LoanId, change: &Reschedule) -> StoreResult<Loan>;

    /// Writes off the principal still owed (with the approving resolution).
    async fn write_off_loan(
        &self,
        loan_id: LoanId,
        on: NaiveDate,
        resolution: &str,
        key: &IdempotencyKey,
    ) -> StoreResult<LoanOperation>;

    /// Money received on a written-off loan, up to what was written off.
    async fn recover_loan(
        &self,
        loan_id: LoanId,
        amount: i64,
        on: NaiveDate,
        into: Fund,
        key: &IdempotencyKey,
    ) -> StoreResult<LoanOperation>;

    async fn loan(&self, loan_id: LoanId) -> StoreResult<LoanWithState>;

    /// Every loan of a group (or of all groups), with its current state, in
    /// three queries however many loans there are.
    async fn loans(&self, group_id: Option<GroupId>) -> StoreResult<Vec<LoanWithState>>;

    /// The loans in a scope, ordered by id, with their current state: one
    /// query when none match, four otherwise, reading only those loans'
    /// schedules, payments and charges.
    async fn loans_in(&self, scope: &LoanScope) -> StoreResult<Vec<LoanWithState>>;

    /// Every loan disbursed on or before `as_of` as it stood at the end of
    /// that day: the schedule version then in force (a later reschedule does
    /// not rewrite the arrears history), payments and charges up to that day,
    /// and the status it had then.
    async fn loans_as_of(
        &self,
        group_id: Option<GroupId>,
        as_of: NaiveDate,
    ) -> StoreResult<Vec<LoanWithState>>;

    /// `loans_as_of` narrowed to the loans active at the end of `as_of`
    /// (paid out, and not yet closed or written off), the only ones PAR,
    /// ageing and DCB count: a program's closed loans and their payment
    /// histories are not read.
    async fn portfolio_as_of(
        &self,
        group_id: Option<GroupId>,
        as_of: NaiveDate,
    ) -> StoreResult<Vec<LoanWithState>>;

    /// The group whose books hold the loan, and their currency, in one
    /// read: what a request must know before it may post to the loan,
    /// without loading its schedule and payments.
    async fn loan_group(&self, loan_id: LoanId) -> StoreResult<LoanGroup>;
}

/// Whose books a loan is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LoanGroup {
    pub group_id: GroupId,
    pub currency: crate::money::Currency,
}
