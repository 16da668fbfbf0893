//! Her loans as of a date: what was repaid, what is owed, how late, and how
//! often on time. Figures follow the conventions of
//! [`crate::loans::portfolio`]: only payments dated on or before the day
//! count, and waived amounts (written off, or moved to a new schedule) are
//! not due.

use crate::groups::GroupId;
use crate::ledger::LoanId;
use crate::loans::portfolio::arrears;
use crate::loans::product::{Loan, LoanStatus};
use crate::loans::state::{Component, InstallmentState, LoanState, Parts};
use crate::store::LoanWithState;
use chrono::NaiveDate;
use serde::Serialize;

/// One loan as of the report date. Money in minor units.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LoanSummary {
    pub loan_id: LoanId,
    pub group_id: GroupId,
    pub status: LoanStatus,
    /// Whether the caller's rule counts it as a business loan.
    pub business_loan: bool,
    pub disbursed_on: NaiveDate,
    pub closed_on: Option<NaiveDate>,
    pub principal: i64,
    /// Everything paid on or before the date, all components.
    pub repaid: i64,
    /// Principal still owed as of the date.
    pub outstanding: i64,
    pub days_past_due: u32,
    /// Net of waivers, on installments due on or before the date.
    pub due_to_date: i64,
    /// Paid against `due_to_date` (advance payments on later installments
    /// are not counted), so it never exceeds it.
    pub collected_against_due: i64,
    /// Installments with something due on or before the date.
    pub installments_due: u32,
    /// Of those, paid in full on or before their own due date.
    pub installments_on_time: u32,
    /// `installments_on_time / installments_due`, for display.
    pub on_time_share: Option<f64>,
}

/// Her loans together.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LoansTotal {
    pub loans: u32,
    pub principal: i64,
    pub repaid: i64,
    pub outstanding: i64,
    /// The worst of her loans.
    pub days_past_due: u32,
    pub due_to_date: i64,
    pub collected_against_due: i64,
    pub installments_due: u32,
    pub installments_on_time: u32,
    pub on_time_share: Option<f64>,
}

/// A loan counts in a report as of a day once it has been disbursed.
pub fn disbursed_by(loan: &Loan, as_of: NaiveDate) -> Option<NaiveDate> {
    loan.disbursed_on.filter(|&d| d <= as_of)
}

/// Paid per installment (aligned with `state.installments`) by payments on
/// or before `date`.
pub fn paid_by(state: &LoanState, date: NaiveDate) -> Vec<Parts> {
    let mut paid = vec![Parts::default(); state.installments.len()];
    for p in state.payments.iter().filter(|p| p.paid_on <= date) {
        for line in &p.lines {
            let slot = state
                .installments
                .iter()
                .position(|i| i.number == line.installment)
                .and_then(|i| paid.get_mut(i));
            if let Some(slot) = slot {
                let v = slot.get_mut(line.component);
                *v = v.saturating_add(line.amount);
            }
        }
    }
    paid
}

/// What an installment demands: due less waived, per component.
fn net_due(inst: &InstallmentState) -> i64 {
    Component::ALL
        .iter()
        .map(|&c| inst.due.get(c).saturating_sub(inst.waived.get(c)).max(0))
        .fold(0, i64::saturating_add)
}

/// What is left of an installment given what was paid, floored at zero per
/// component (an over-payment of one part does not pay another).
fn left(inst: &InstallmentState, paid: &Parts) -> i64 {
    Component::ALL
        .iter()
        .map(|&c| {
            inst.due
                .get(c)
                .saturating_sub(inst.waived.get(c))
                .saturating_sub(paid.get(c))
                .max(0)
        })
        .fold(0, i64::saturating_add)
}

/// Everything still owed (all installments, all components) at the end of
/// `date`.
pub fn owed_as_of(state: &LoanState, date: NaiveDate) -> i64 {
    let paid = paid_by(state, date);
    state
        .installments
        .iter()
        .zip(&paid)
        .map(|(i, p)| left(i, p))
        .fold(0, i64::saturating_add)
}

/// Whether an installment due on or before `date` was still unpaid at the
/// end of `at` (the relapse rule asks this of the relapse day).
pub fn unpaid_due_by(state: &LoanState, due_by: NaiveDate, at: NaiveDate) -> bool {
    let paid = paid_by(state, at);
    state
        .installments
        .iter()
        .zip(&paid)
        .any(|(i, p)| i.due_date <= due_by && left(i, p) > 0)
}

/// Collected against what fell due, and what fell due, to `as_of`: the
/// repayment rate's numerator and denominator.
pub fn collection(state: &LoanState, as_of: NaiveDate) -> (i64, i64) {
    let paid = paid_by(state, as_of);
    state
        .installments
        .iter()
        .zip(&paid)
        .filter(|(i, _)| i.due_date <= as_of)
        .fold((0i64, 0i64), |(collected, due), (i, p)| {
            let demand = net_due(i);
            let got = demand.saturating_sub(left(i, p));
            (collected.saturating_add(got), due.saturating_add(demand))
        })
}

/// One loan as of `as_of`, or `None` when it had not been disbursed then.
pub fn summarise(
    l: &LoanWithState,
    as_of: NaiveDate,
    is_business_loan: &dyn Fn(&Loan) -> bool,
) -> Option<LoanSummary> {
    let disbursed_on = disbursed_by(&l.loan, as_of)?;
    let state = &l.state;
    let repaid = state
        .payments
        .iter()
        .filter(|p| p.paid_on <= as_of)
        .flat_map(|p| &p.lines)
        .map(|line| line.amount)
        .fold(0, i64::saturating_add);
    let a = arrears(state, as_of);
    let (collected_against_due, due_to_date) = collection(state, as_of);
    let (mut installments_due, mut installments_on_time) = (0u32, 0u32);
    for (k, inst) in state.installments.iter().enumerate() {
        if inst.due_date > as_of || net_due(inst) == 0 {
            continue;
        }
        installments_due += 1;
        // Loans have tens of installments: recomputing per due date is cheap.
        let paid_then = paid_by(state, inst.due_date);
        if paid_then.get(k).is_some_and(|p| left(inst, p) == 0) {
            installments_on_time += 1;
        }
    }
    Some(LoanSummary {
        loan_id: l.loan.id,
        group_id: l.loan.group_id,
        status: l.loan.status,
        business_loan: is_business_loan(&l.loan),
        disbursed_on,
        closed_on: l.loan.closed_on.filter(|&d| d <= as_of),
        principal: l.loan.principal,
        repaid,
        outstanding: a.principal_outstanding,
        days_past_due: a.days_past_due,
        due_to_date,
        collected_against_due,
        installments_due,
        installments_on_time,
        on_time_share: ratio(installments_on_time, installments_due),
    })
}

fn ratio(part: u32, whole: u32) -> Option<f64> {
    // Display only.
    (whole > 0).then(|| f64::from(part) / f64::from(whole))
}

/// Her loans added up.
pub fn total(loans: &[LoanSummary]) -> LoansTotal {
    let mut t = LoansTotal {
        loans: 0,
        principal: 0,
        repaid: 0,
        outstanding: 0,
        days_past_due: 0,
        due_to_date: 0,
        collected_against_due: 0,
        installments_due: 0,
        installments_on_time: 0,
        on_time_share: None,
    };
    for l in loans {
        t.loans = t.loans.saturating_add(1);
        t.principal = t.principal.saturating_add(l.principal);
        t.repaid = t.repaid.saturating_add(l.repaid);
        t.outstanding = t.outstanding.saturating_add(l.outstanding);
        t.days_past_due = t.days_past_due.max(l.days_past_due);
        t.due_to_date = t.due_to_date.saturating_add(l.due_to_date);
        t.collected_against_due = t
            .collected_against_due
            .saturating_add(l.collected_against_due);
        t.installments_due = t.installments_due.saturating_add(l.installments_due);
        t.installments_on_time = t
            .installments_on_time
            .saturating_add(l.installments_on_time);
    }
    t.on_time_share = ratio(t.installments_on_time, t.installments_due);
    t
}
