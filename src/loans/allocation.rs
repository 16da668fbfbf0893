//! Splitting a repayment over a loan's installments, rescheduling the
//! remaining installments after a prepayment, and late fines.
//!
//! All amounts are `i64` minor units (paise for INR); nothing here formats
//! money, so error messages carry raw minor units for the web layer to
//! format.
//!
//! # Conventions
//!
//! * **Order of installments**: by due date, then by number (the order
//!   [`LoanState`] keeps them in). "Oldest first" always means this order.
//! * **Outstanding** of a component is `due − paid − waived`, computed
//!   without overflow and never taken as less than zero: an inconsistent row
//!   (paid or waived above what was due) simply has nothing to pay. Sums are
//!   computed in `i128` and capped at `i64::MAX`, so no state can make these
//!   functions panic.
//! * Installment numbers are assumed unique within a loan, as the store
//!   builds them; allocation lines name installments by number.
//! * **Allocation is all or nothing**: [`allocate`] either returns lines that
//!   add up to exactly the payment or an error, and never changes the state;
//!   [`apply`] records the lines.
//!
//! # Allocation rules
//!
//! * [`AllocationRule::Standard`]: installment by installment, oldest first,
//!   and within one installment penalty → fee → interest → principal. Once
//!   the installments due are settled, the rest of the payment pays the
//!   following installments *as scheduled* (their interest included): the
//!   borrower has paid future installments ahead, which changes no later
//!   installment.
//! * [`AllocationRule::InterestFirst`] (the RBI-style rule): all outstanding
//!   penalty (oldest first), then all fee, then the interest of every
//!   installment due on or before the payment date, then principal oldest
//!   first, including the principal of installments not yet due. **The
//!   interest of an installment not yet due is never collected ahead**: it
//!   has not been earned, and the money goes to principal instead, so a
//!   payment beyond what is due is a prepayment that reduces the principal.
//!   That leaves those future installments with scheduled interest on a
//!   balance that no longer exists; [`reschedule_after_prepayment`] moves it
//!   to a new schedule on the reduced principal.
//!
//! [`payable`] is the most a payment may be under a rule: everything
//! outstanding under `Standard`; under `InterestFirst` all outstanding
//! penalty and fee, the interest of installments due on or before the
//! payment date, and all outstanding principal.

use std::fmt;
use std::str::FromStr;

use chrono::NaiveDate;
use rust_decimal::prelude::ToPrimitive;
use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Deserialize, Serialize};
use thiserror::Error;

use super::schedule::{self, LoanTerms, ParseChoiceError, Schedule, ScheduleError};
use super::state::{AllocationLine, Component, InstallmentState, LoanState, Parts, Payment};

/// How a repayment is split over installments and components; chosen per
/// product. See the module documentation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum AllocationRule {
    /// Oldest installment first; penalty → fee → interest → principal
    /// within each.
    Standard,
    /// All penalty, all fee, then interest due, then principal; the interest
    /// of installments not yet due is not collected ahead.
    InterestFirst,
}

impl AllocationRule {
    /// The configuration / JSON spelling.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Standard => "standard",
            Self::InterestFirst => "interest-first",
        }
    }
}

impl fmt::Display for AllocationRule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for AllocationRule {
    type Err = ParseChoiceError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "standard" => Ok(Self::Standard),
            "interest-first" => Ok(Self::InterestFirst),
            _ => Err(ParseChoiceError {
                flag: "--allocation-rule",
                accepted: "standard, interest-first",
                got: s.to_owned(),
            }),
        }
    }
}

/// What happens to the remaining installments after principal was prepaid.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum PrepaymentRule {
    /// Same number of remaining installments, smaller amounts.
    ReduceInstallment,
    /// Installments no larger than before, fewer of them.
    ShortenTerm,
}

impl PrepaymentRule {
    /// The configuration / JSON spelling.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::ReduceInstallment => "reduce-installment",
            Self::ShortenTerm => "shorten-term",
        }
    }
}

impl fmt::Display for PrepaymentRule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for PrepaymentRule {
    type Err = ParseChoiceError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "reduce-installment" => Ok(Self::ReduceInstallment),
            "shorten-term" => Ok(Self::ShortenTerm),
            _ => Err(ParseChoiceError {
                flag: "--prepayment-rule",
                accepted: "reduce-installment, shorten-term",
                got: s.to_owned(),
            }),
        }
    }
}

/// Why a payment could not be allocated or a loan rescheduled.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum AllocationError {
    #[error("the payment must be more than zero")]
    NotPositive,
    /// `outstanding` is what [`payable`] allows, in minor units.
    #[error("the payment is more than the {outstanding} minor units outstanding")]
    Overpayment { outstanding: i64 },
    #[error("the remaining installments could not be rescheduled: {0}")]
    Reschedule(#[from] ScheduleError),
    #[error("the rescheduled installments' amounts or numbers overflow")]
    Overflow,
}

/// A late fine, per product.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum LateFine {
    /// No fine.
    #[default]
    None,
    /// This many minor units per overdue installment.
    Flat { amount: i64 },
    /// This percentage (`2` means 2 %) of the installment's outstanding
    /// principal + interest.
    PercentOfOverdue { percent: Decimal },
}

/// Outstanding amount of one component, never below zero.
fn owed(row: &InstallmentState, component: Component) -> i64 {
    let left = i128::from(row.due.get(component))
        - i128::from(row.paid.get(component))
        - i128::from(row.waived.get(component));
    cap(left)
}

/// `value` limited to `0..=i64::MAX`.
fn cap(value: i128) -> i64 {
    i64::try_from(value.max(0)).unwrap_or(i64::MAX)
}

/// Indices of the installments, oldest first (due date, then number).
fn oldest_first(state: &LoanState) -> Vec<usize> {
    let mut order: Vec<usize> = (0..state.installments.len()).collect();
    order.sort_by_key(|&i| {
        let row = &state.installments[i];
        (row.due_date, row.number)
    });
    order
}

/// The (installment index, component) pairs a rule may pay, in the order it
/// pays them.
fn slots(state: &LoanState, paid_on: NaiveDate, rule: AllocationRule) -> Vec<(usize, Component)> {
    let order = oldest_first(state);
    let mut slots = Vec::with_capacity(order.len() * Component::ALL.len());
    match rule {
        AllocationRule::Standard => {
            for &i in &order {
                for component in Component::ALL {
                    slots.push((i, component));
                }
            }
        }
        AllocationRule::InterestFirst => {
            // Component::ALL is penalty, fee, interest, principal: the
            // rule's phases.
            for component in Component::ALL {
                for &i in &order {
                    let not_yet_due = state.installments[i].due_date > paid_on;
                    if component == Component::Interest && not_yet_due {
                        continue;
                    }
                    slots.push((i, component));
                }
            }
        }
    }
    slots
}

fn slots_total(state: &LoanState, slots: &[(usize, Component)]) -> i64 {
    cap(slots
        .iter()
        .map(|&(i, component)| i128::from(owed(&state.installments[i], component)))
        .sum())
}

/// The most a payment on `paid_on` may be under `rule` (see the module
/// documentation), in minor units, capped at `i64::MAX`.
pub fn payable(state: &LoanState, paid_on: NaiveDate, rule: AllocationRule) -> i64 {
    slots_total(state, &slots(state, paid_on, rule))
}

/// Splits a payment of `amount` minor units made on `paid_on` over the
/// loan's installments under `rule`.
///
/// Returns one line per (installment, component) paid, in the order the
/// rule applies them, each positive and at most that component's
/// outstanding; the lines add up to exactly `amount`. Partial payments are
/// fine. Refuses a payment that is not positive ([`AllocationError::NotPositive`])
/// or that is more than [`payable`] ([`AllocationError::Overpayment`], with
/// the payable amount); nothing is allocated then.
pub fn allocate(
    state: &LoanState,
    amount: i64,
    paid_on: NaiveDate,
    rule: AllocationRule,
) -> Result<Vec<AllocationLine>, AllocationError> {
    if amount <= 0 {
        return Err(AllocationError::NotPositive);
    }
    let slots = slots(state, paid_on, rule);
    let outstanding = slots_total(state, &slots);
    if amount > outstanding {
        return Err(AllocationError::Overpayment { outstanding });
    }
    let mut left = amount;
    let mut lines = Vec::new();
    for (i, component) in slots {
        if left == 0 {
            break;
        }
        let row = &state.installments[i];
        let take = owed(row, component).min(left);
        if take > 0 {
            lines.push(AllocationLine {
                installment: row.number,
                component,
                amount: take,
            });
            left -= take;
        }
    }
    Ok(lines)
}

/// Adds `lines` (as returned by [`allocate`] for this state) to the
/// installments' `paid` amounts and records them as one [`Payment`] on
/// `paid_on`.
///
/// A line naming an installment number the loan does not have is skipped
/// and left out of the recorded payment, so the recorded payments always
/// add up to what was added to `paid`. Additions saturate at `i64::MAX`.
/// With no line applied, no payment is recorded.
pub fn apply(state: &mut LoanState, paid_on: NaiveDate, lines: &[AllocationLine]) {
    let mut applied = Vec::with_capacity(lines.len());
    for line in lines {
        let row = state
            .installments
            .iter_mut()
            .find(|row| row.number == line.installment);
        if let Some(row) = row {
            let paid = row.paid.get_mut(line.component);
            *paid = paid.saturating_add(line.amount);
            applied.push(*line);
        }
    }
    if !applied.is_empty() {
        state.payments.push(Payment {
            paid_on,
            lines: applied,
        });
    }
}

/// Whether a not-yet-due installment was paid ahead as an installment
/// (anything but principal paid on it), so its period stays as scheduled.
fn paid_ahead(row: &InstallmentState) -> bool {
    row.paid.penalty != 0 || row.paid.fee != 0 || row.paid.interest != 0
}

/// Whether principal or interest is still outstanding.
fn open(row: &InstallmentState) -> bool {
    owed(row, Component::Principal) > 0 || owed(row, Component::Interest) > 0
}

/// Whether anything refers to the row beyond its scheduled principal and
/// interest (so it must be kept for the payment history or its charges).
fn touched(row: &InstallmentState) -> bool {
    row.paid != Parts::default()
        || row.waived != Parts::default()
        || row.due.penalty != 0
        || row.due.fee != 0
}

/// The regular installment amount of a run of installment totals: the
/// largest but the last (which only absorbs rounding), or the only one.
fn regular_installment(totals: &[i64]) -> i64 {
    match totals.split_last() {
        None => 0,
        Some((&last, [])) => last,
        Some((_, rest)) => rest.iter().copied().max().unwrap_or(0),
    }
}

fn schedule_totals(schedule: &Schedule) -> Vec<i64> {
    schedule.installments.iter().map(|row| row.total).collect()
}

/// The loan's installments after principal was prepaid, the remaining ones
/// recomputed under `rule`. Call it right after [`apply`]ing a prepayment,
/// with `as_of` = the payment date.
///
/// * Installments due on or before `as_of` stay as they are, and so does
///   every later installment *paid ahead* (penalty, fee or interest paid on
///   it, as the `Standard` rule does): its period stays as scheduled. The
///   installments after the last of these are the *remaining* ones.
/// * A **prepayment** is principal paid on a remaining installment (what
///   `InterestFirst` does with money beyond what is due). Without one,
///   nothing needs recomputing and the list comes back unchanged (so under
///   `Standard` this is a no-op).
/// * The remaining installments with principal or interest outstanding are
///   replaced by a schedule from [`schedule::generate`] for their
///   outstanding principal, with `terms`' rate, method and frequency,
///   disbursed = due date of the last installment before them (or
///   `terms.disbursed`), first due = the first of their due dates, no grace
///   and no interest-free periods, over
///   * [`PrepaymentRule::ReduceInstallment`]: as many installments as
///     they were;
///   * [`PrepaymentRule::ShortenTerm`]: the smallest n (from 1 up to as many
///     as they were) whose regular installment is at most the old one
///     ("regular installment" = the largest total but the last row's, which
///     only absorbs rounding; with one row, that row's total).
/// * Replaced installments that anything refers to (the prepaid ones, or
///   ones with penalty/fee or waived amounts) are kept under their numbers
///   with their paid amounts, so recorded allocations still match; their
///   outstanding principal and interest is *moved to the new schedule* by
///   adding it to `waived` (its documented use). Their penalty and fee stay
///   outstanding. Untouched replaced installments are dropped.
/// * New installments are numbered on from the highest number kept, have
///   zero `paid` and `waived`, and the result is in due-date order (a kept,
///   settled prepaid installment and a new one may share a due date).
///
/// Interest is recomputed on the reduced principal from the last kept due
/// date; the scheduled interest the moved installments carried is not
/// charged. If the prepayment left no principal, no installment is
/// generated and the remaining interest is simply moved off.
pub fn reschedule_after_prepayment(
    terms: &LoanTerms,
    state: &LoanState,
    as_of: NaiveDate,
    rule: PrepaymentRule,
) -> Result<Vec<InstallmentState>, AllocationError> {
    let rows: Vec<&InstallmentState> = oldest_first(state)
        .into_iter()
        .map(|i| &state.installments[i])
        .collect();
    let split = rows
        .iter()
        .rposition(|row| row.due_date <= as_of || paid_ahead(row))
        .map_or(0, |last| last + 1);
    let (kept, remaining) = rows.split_at(split);
    let replaced: Vec<&InstallmentState> = remaining.iter().copied().filter(|r| open(r)).collect();
    if !replaced.iter().any(|row| row.paid.principal > 0) {
        return Ok(state.installments.clone());
    }

    let principal = i64::try_from(
        replaced
            .iter()
            .map(|row| i128::from(owed(row, Component::Principal)))
            .sum::<i128>(),
    )
    .map_err(|_| AllocationError::Overflow)?;
    let old_totals: Vec<i64> = replaced
        .iter()
        .map(|row| row.due.principal.saturating_add(row.due.interest))
        .collect();
    let old_installment = regular_installment(&old_totals);

    let mut result: Vec<InstallmentState> = kept.iter().map(|&row| row.clone()).collect();
    for &row in remaining {
        if !open(row) {
            result.push(row.clone());
        } else if touched(row) {
            let mut moved = row.clone();
            for component in [Component::Principal, Component::Interest] {
                let waived = moved.waived.get_mut(component);
                *waived = waived.saturating_add(owed(row, component));
            }
            result.push(moved);
        }
    }

    let first_due = replaced.first().map(|row| row.due_date);
    if let Some(first_due) = first_due.filter(|_| principal > 0) {
        let count = u32::try_from(replaced.len()).map_err(|_| AllocationError::Overflow)?;
        let new_terms = |installments: u32| LoanTerms {
            principal,
            installments,
            disbursed: kept.last().map_or(terms.disbursed, |row| row.due_date),
            first_due: Some(first_due),
            grace_principal: 0,
            grace_interest: 0,
            interest_free: 0,
            ..terms.clone()
        };
        let schedule = match rule {
            PrepaymentRule::ReduceInstallment => schedule::generate(&new_terms(count))?,
            PrepaymentRule::ShortenTerm => {
                let mut chosen = None;
                for n in 1..=count {
                    let candidate = schedule::generate(&new_terms(n))?;
                    if regular_installment(&schedule_totals(&candidate)) <= old_installment {
                        chosen = Some(candidate);
                        break;
                    }
                }
                match chosen {
                    Some(schedule) => schedule,
                    None => schedule::generate(&new_terms(count))?,
                }
            }
        };
        let last_number = result.iter().map(|row| row.number).max().unwrap_or(0);
        for row in schedule.installments {
            let number = last_number
                .checked_add(row.number)
                .ok_or(AllocationError::Overflow)?;
            result.push(InstallmentState {
                number,
                due_date: row.due_date,
                due: Parts {
                    principal: row.principal,
                    interest: row.interest,
                    ..Parts::default()
                },
                paid: Parts::default(),
                waived: Parts::default(),
            });
        }
    }
    result.sort_by_key(|row| (row.due_date, row.number));
    Ok(result)
}

/// The late fine per installment as of `as_of`: `(installment number,
/// fine)` for every installment overdue by more than `grace_days` days
/// (`as_of` − due date > `grace_days`) that still has principal or interest
/// outstanding, oldest first; installments whose fine is zero are left out.
///
/// * [`LateFine::Flat`]: the amount for each such installment.
/// * [`LateFine::PercentOfOverdue`]: percent × (outstanding principal +
///   interest of that installment) / 100, rounded half-even to the minor
///   unit (saturating at `i64::MAX`; a negative percent fines nothing).
///
/// This computes the fine each time it is asked: the caller posts it (as a
/// penalty) **once per installment** and keeps track of which installments
/// were fined.
pub fn late_fine_lines(
    state: &LoanState,
    as_of: NaiveDate,
    grace_days: u32,
    fine: &LateFine,
) -> Vec<(u32, i64)> {
    let mut lines = Vec::new();
    for i in oldest_first(state) {
        let row = &state.installments[i];
        let days_late = as_of.signed_duration_since(row.due_date).num_days();
        if days_late <= i64::from(grace_days) {
            continue;
        }
        let overdue = i128::from(owed(row, Component::Principal))
            + i128::from(owed(row, Component::Interest));
        if overdue == 0 {
            continue;
        }
        let amount = match fine {
            LateFine::None => 0,
            LateFine::Flat { amount } => *amount,
            LateFine::PercentOfOverdue { percent } => percent_of(overdue, *percent),
        };
        if amount > 0 {
            lines.push((row.number, amount));
        }
    }
    lines
}

/// The total of [`late_fine_lines`] (saturating at `i64::MAX`).
pub fn late_fine(state: &LoanState, as_of: NaiveDate, grace_days: u32, fine: &LateFine) -> i64 {
    late_fine_lines(state, as_of, grace_days, fine)
        .iter()
        .fold(0i64, |total, &(_, amount)| total.saturating_add(amount))
}

/// `percent` % of `amount`, rounded half-even; 0 for a negative percent,
/// `i64::MAX` when it does not fit.
fn percent_of(amount: i128, percent: Decimal) -> i64 {
    if percent <= Decimal::ZERO {
        return 0;
    }
    Decimal::try_from_i128_with_scale(amount, 0)
        .ok()
        .and_then(|amount| amount.checked_mul(percent))
        .and_then(|product| product.checked_div(Decimal::ONE_HUNDRED))
        .map(|fine| fine.round_dp_with_strategy(0, RoundingStrategy::MidpointNearestEven))
        .and_then(|fine| fine.to_i64())
        .unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::loans::schedule::{
        Amortization, Frequency, InterestMethod, InterestPeriod, RatePer,
    };
    use proptest::prelude::*;
    use Component::{Fee, Interest, Penalty, Principal};

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    fn row(number: u32, due_date: NaiveDate, principal: i64, interest: i64) -> InstallmentState {
        InstallmentState {
            number,
            due_date,
            due: Parts {
                principal,
                interest,
                ..Parts::default()
            },
            paid: Parts::default(),
            waived: Parts::default(),
        }
    }

    fn line(installment: u32, component: Component, amount: i64) -> AllocationLine {
        AllocationLine {
            installment,
            component,
            amount,
        }
    }

    /// Three installments of principal 1000 + interest 100, due on the 1st
    /// of February, March and April 2024.
    fn three_installments() -> LoanState {
        LoanState {
            installments: vec![
                row(1, date(2024, 2, 1), 1000, 100),
                row(2, date(2024, 3, 1), 1000, 100),
                row(3, date(2024, 4, 1), 1000, 100),
            ],
            payments: Vec::new(),
        }
    }

    #[test]
    fn standard_pays_the_oldest_installment_penalty_then_interest_then_principal() {
        let mut state = three_installments();
        state.installments[0].due.penalty = 20;
        // 500 on 10 Feb: #1 penalty 20 (480 left), no fee, interest 100
        // (380 left), principal 380.
        let paid_on = date(2024, 2, 10);
        let lines = allocate(&state, 500, paid_on, AllocationRule::Standard).unwrap();
        assert_eq!(
            lines,
            vec![
                line(1, Penalty, 20),
                line(1, Interest, 100),
                line(1, Principal, 380)
            ]
        );
        apply(&mut state, paid_on, &lines);
        assert_eq!(state.installments[0].outstanding(Principal), 620);
        assert_eq!(state.payments.len(), 1);

        // 2000 on 5 Mar: #1's remaining principal 620 (1380 left), #2
        // interest 100 (1280) and principal 1000 (280), then #3, not due
        // until April, is paid ahead: interest 100 (180) and principal 180.
        let paid_on = date(2024, 3, 5);
        let lines = allocate(&state, 2000, paid_on, AllocationRule::Standard).unwrap();
        assert_eq!(
            lines,
            vec![
                line(1, Principal, 620),
                line(2, Interest, 100),
                line(2, Principal, 1000),
                line(3, Interest, 100),
                line(3, Principal, 180),
            ]
        );
        apply(&mut state, paid_on, &lines);
        assert!(state.installments[0].is_settled() && state.installments[1].is_settled());
        // 3320 due in all − 500 − 2000 = 820, all on #3.
        assert_eq!(state.outstanding_total(), 820);
        assert_eq!(state.installments[2].outstanding(Principal), 820);
    }

    #[test]
    fn interest_first_collects_the_interest_of_both_overdue_installments_before_any_principal() {
        let mut state = three_installments();
        state.installments[0].due.penalty = 20;
        state.installments[1].due.fee = 50;
        // On 10 Mar #1 and #2 are overdue. 500: penalty #1 20 (480 left),
        // fee #2 50 (430), interest #1 100 (330), interest #2 100 (230),
        // principal #1 230. #3's interest is not due yet.
        let lines = allocate(
            &state,
            500,
            date(2024, 3, 10),
            AllocationRule::InterestFirst,
        )
        .unwrap();
        assert_eq!(
            lines,
            vec![
                line(1, Penalty, 20),
                line(2, Fee, 50),
                line(1, Interest, 100),
                line(2, Interest, 100),
                line(1, Principal, 230),
            ]
        );
        // The same 500 under the standard rule finishes #1's principal
        // before #2's fee: 20 + 100 + 380.
        let standard = allocate(&state, 500, date(2024, 3, 10), AllocationRule::Standard).unwrap();
        assert_eq!(standard.last(), Some(&line(1, Principal, 380)));
    }

    #[test]
    fn interest_first_prepays_principal_and_never_collects_interest_not_yet_due() {
        let state = three_installments();
        // On 10 Feb only #1 is due. Payable: #1 interest 100 + principal
        // 3 × 1000 = 3100 (the standard rule would take all 3300).
        let paid_on = date(2024, 2, 10);
        assert_eq!(
            payable(&state, paid_on, AllocationRule::InterestFirst),
            3100
        );
        assert_eq!(payable(&state, paid_on, AllocationRule::Standard), 3300);
        // 1500: interest #1 100 (1400 left), principal #1 1000 (400), then
        // principal of #2, not due yet: 400. #2's interest is left alone.
        let lines = allocate(&state, 1500, paid_on, AllocationRule::InterestFirst).unwrap();
        assert_eq!(
            lines,
            vec![
                line(1, Interest, 100),
                line(1, Principal, 1000),
                line(2, Principal, 400)
            ]
        );
        // Paying everything payable leaves only the future interest.
        let mut state = state;
        let all = allocate(&state, 3100, paid_on, AllocationRule::InterestFirst).unwrap();
        assert!(all
            .iter()
            .all(|l| l.component != Interest || l.installment == 1));
        apply(&mut state, paid_on, &all);
        assert_eq!(state.principal_outstanding(), 0);
        assert_eq!(state.outstanding_total(), 200);
    }

    #[test]
    fn overpayment_is_refused_with_the_payable_amount_and_zero_or_negative_payments_are_refused() {
        let mut state = three_installments();
        state.installments[0].due.penalty = 20;
        let paid_on = date(2024, 2, 10);
        // Standard: 3 × 1100 + 20 = 3320.
        let error = allocate(&state, 3321, paid_on, AllocationRule::Standard).unwrap_err();
        assert_eq!(error, AllocationError::Overpayment { outstanding: 3320 });
        assert_eq!(
            error.to_string(),
            "the payment is more than the 3320 minor units outstanding"
        );
        assert!(allocate(&state, 3320, paid_on, AllocationRule::Standard).is_ok());
        // Interest-first on 10 Feb: 20 + 100 + 3000 = 3120.
        assert_eq!(
            allocate(&state, 3121, paid_on, AllocationRule::InterestFirst),
            Err(AllocationError::Overpayment { outstanding: 3120 })
        );
        for amount in [0, -5, i64::MIN] {
            for rule in [AllocationRule::Standard, AllocationRule::InterestFirst] {
                assert_eq!(
                    allocate(&state, amount, paid_on, rule),
                    Err(AllocationError::NotPositive)
                );
            }
        }
        assert_eq!(
            AllocationError::NotPositive.to_string(),
            "the payment must be more than zero"
        );
    }

    #[test]
    fn apply_adds_the_lines_and_records_one_payment() {
        let mut state = three_installments();
        let lines = [line(2, Interest, 40), line(9, Principal, 5)];
        apply(&mut state, date(2024, 1, 5), &lines);
        assert_eq!(state.installments[1].paid.interest, 40);
        // The line naming no installment is neither added nor recorded.
        assert_eq!(
            state.payments,
            vec![Payment {
                paid_on: date(2024, 1, 5),
                lines: vec![line(2, Interest, 40)],
            }]
        );
        apply(&mut state, date(2024, 1, 6), &[]);
        assert_eq!(state.payments.len(), 1);
    }

    /// 12,000.00 at 24 % a year, monthly, 12 declining equal installments,
    /// disbursed 15 Jan 2024, due on the 15th from February.
    fn twelve_thousand() -> LoanTerms {
        LoanTerms {
            principal: 1_200_000,
            rate: Decimal::from(24),
            rate_per: RatePer::Year,
            installments: 12,
            every: 1,
            frequency: Frequency::Month,
            method: InterestMethod::Declining,
            amortization: Amortization::EqualInstallments,
            interest_period: InterestPeriod::Repayment,
            disbursed: date(2024, 1, 15),
            first_due: None,
            grace_principal: 0,
            grace_interest: 0,
            interest_free: 0,
            installment_multiple: 1,
            minor_units: 2,
        }
    }

    fn state_of(terms: &LoanTerms) -> LoanState {
        let schedule = schedule::generate(terms).unwrap();
        LoanState {
            installments: schedule
                .installments
                .iter()
                .map(|r| row(r.number, r.due_date, r.principal, r.interest))
                .collect(),
            payments: Vec::new(),
        }
    }

    /// The 12,000 loan with installments 1 and 2 paid on time and 3,000.00
    /// prepaid on 20 Mar 2024 under the interest-first rule.
    ///
    /// By hand: r = 2 % a month, EMI = 1,200,000 × 0.02 / (1 − 1.02^−12)
    /// = 113,471.8… → 113,472. #1: interest 24,000, principal 89,472,
    /// balance 1,110,528. #2: interest 22,210.56 → 22,211, principal 91,261,
    /// balance 1,019,267. #3: interest 20,385.34 → 20,385, principal
    /// 93,087; #4: interest 18,523.6 → 18,524, principal 94,948; #5:
    /// interest 16,624.64 → 16,625, principal 96,847; #6: principal 98,784.
    /// Nothing is due on 20 Mar, so the 300,000 goes to principal: #3
    /// 93,087, #4 94,948, #5 96,847 and 15,118 of #6.
    fn prepaid_twelve_thousand() -> LoanState {
        let mut state = state_of(&twelve_thousand());
        for (k, paid_on) in [(0, date(2024, 2, 15)), (1, date(2024, 3, 15))] {
            let amount = state.installments[k].outstanding_total();
            assert_eq!(amount, 113_472);
            let lines = allocate(&state, amount, paid_on, AllocationRule::Standard).unwrap();
            apply(&mut state, paid_on, &lines);
        }
        let paid_on = date(2024, 3, 20);
        let lines = allocate(&state, 300_000, paid_on, AllocationRule::InterestFirst).unwrap();
        assert_eq!(
            lines,
            vec![
                line(3, Principal, 93_087),
                line(4, Principal, 94_948),
                line(5, Principal, 96_847),
                line(6, Principal, 15_118),
            ]
        );
        apply(&mut state, paid_on, &lines);
        state
    }

    #[test]
    fn reduce_installment_keeps_ten_installments_with_a_smaller_emi() {
        let state = prepaid_twelve_thousand();
        let new = reschedule_after_prepayment(
            &twelve_thousand(),
            &state,
            date(2024, 3, 20),
            PrepaymentRule::ReduceInstallment,
        )
        .unwrap();
        // By hand: remaining principal 1,019,267 − 300,000 = 719,267 over
        // the 10 months left: EMI = 719,267 × 0.02 / (1 − 1.02^−10)
        // = 80,073.4… → 80,073. First new row: interest 14,385.34 → 14,385,
        // principal 65,688. Last (10th): principal 78,510 + interest 1,570
        // = 80,080 (rounding residue).
        let fresh: Vec<&InstallmentState> = new.iter().filter(|r| r.number > 6).collect();
        assert_eq!(fresh.len(), 10);
        assert_eq!(
            fresh.iter().map(|r| r.number).collect::<Vec<_>>(),
            (7..=16).collect::<Vec<_>>()
        );
        assert_eq!(fresh[0].due_date, date(2024, 4, 15));
        assert_eq!(fresh[9].due_date, date(2025, 1, 15));
        assert_eq!(
            (fresh[0].due.principal, fresh[0].due.interest),
            (65_688, 14_385)
        );
        assert!(fresh[..9].iter().all(|r| r.due.total() == 80_073));
        assert_eq!(
            (fresh[9].due.principal, fresh[9].due.interest),
            (78_510, 1_570)
        );
        assert!(fresh
            .iter()
            .all(|r| r.paid == Parts::default() && r.waived == Parts::default()));

        // #1 and #2 are untouched; #3–#6 keep what was paid on them, and
        // their outstanding principal and interest moved to the new rows.
        assert_eq!(new[0], state.installments[0]);
        assert_eq!(new[1], state.installments[1]);
        let kept = |n: u32| new.iter().find(|r| r.number == n).unwrap();
        assert_eq!(kept(3).paid.principal, 93_087);
        assert_eq!(kept(3).waived.interest, 20_385);
        assert!(kept(3).is_settled());
        // #6: 98,784 − 15,118 = 83,666 principal and 14,688 interest moved.
        assert_eq!(kept(6).paid.principal, 15_118);
        assert_eq!(
            (kept(6).waived.principal, kept(6).waived.interest),
            (83_666, 14_688)
        );
        assert!(kept(6).is_settled());
        assert_eq!(new.len(), 16);
        assert!(new.windows(2).all(|w| w[0].due_date <= w[1].due_date));
        let principal: i64 = new.iter().map(|r| r.outstanding(Principal)).sum();
        assert_eq!(principal, 719_267);
    }

    #[test]
    fn shorten_term_keeps_the_emi_and_needs_seven_installments() {
        let state = prepaid_twelve_thousand();
        let new = reschedule_after_prepayment(
            &twelve_thousand(),
            &state,
            date(2024, 3, 20),
            PrepaymentRule::ShortenTerm,
        )
        .unwrap();
        // By hand, EMI on 719,267 at 2 % over n months vs the old 113,472:
        // n = 6: 14,385.34 / (1 − 1.02^−6) = 128,407.6… → 128,408 > 113,472;
        // n = 7: 14,385.34 / (1 − 1.02^−7) = 111,135.4… → 111,135 ≤ 113,472.
        // So 7 installments (the last 108,958 + 2,179 = 111,137), ending
        // 15 Oct 2024 instead of 15 Jan 2025.
        let fresh: Vec<&InstallmentState> = new.iter().filter(|r| r.number > 6).collect();
        assert_eq!(fresh.len(), 7);
        assert!(fresh[..6].iter().all(|r| r.due.total() == 111_135));
        assert_eq!(
            (fresh[6].due.principal, fresh[6].due.interest),
            (108_958, 2_179)
        );
        assert_eq!(fresh[6].due_date, date(2024, 10, 15));
        let principal: i64 = new.iter().map(|r| r.outstanding(Principal)).sum();
        assert_eq!(principal, 719_267);
    }

    #[test]
    fn rescheduling_without_a_prepayment_returns_the_list_unchanged() {
        let terms = twelve_thousand();
        let mut state = state_of(&terms);
        for rule in [
            PrepaymentRule::ReduceInstallment,
            PrepaymentRule::ShortenTerm,
        ] {
            let same = reschedule_after_prepayment(&terms, &state, date(2024, 3, 20), rule);
            assert_eq!(same, Ok(state.installments.clone()));
        }
        // Paying four EMIs on 20 Mar under the standard rule settles #1
        // and #2 and pays #3 and #4 ahead: the schedule stays, since their
        // interest was paid with them.
        let paid_on = date(2024, 3, 20);
        let lines = allocate(&state, 4 * 113_472, paid_on, AllocationRule::Standard).unwrap();
        apply(&mut state, paid_on, &lines);
        let same =
            reschedule_after_prepayment(&terms, &state, paid_on, PrepaymentRule::ShortenTerm);
        assert_eq!(same, Ok(state.installments.clone()));
        // And rescheduling twice changes nothing the second time.
        let prepaid = prepaid_twelve_thousand();
        let once = LoanState {
            installments: reschedule_after_prepayment(
                &terms,
                &prepaid,
                paid_on,
                PrepaymentRule::ReduceInstallment,
            )
            .unwrap(),
            payments: prepaid.payments.clone(),
        };
        let twice =
            reschedule_after_prepayment(&terms, &once, paid_on, PrepaymentRule::ReduceInstallment);
        assert_eq!(twice, Ok(once.installments.clone()));
    }

    #[test]
    fn prepaying_all_the_principal_moves_the_future_interest_off() {
        let terms = twelve_thousand();
        let mut state = state_of(&terms);
        let paid_on = date(2024, 1, 20); // nothing due yet
        let all = payable(&state, paid_on, AllocationRule::InterestFirst);
        assert_eq!(all, 1_200_000);
        let lines = allocate(&state, all, paid_on, AllocationRule::InterestFirst).unwrap();
        apply(&mut state, paid_on, &lines);
        let new = reschedule_after_prepayment(&terms, &state, paid_on, PrepaymentRule::ShortenTerm)
            .unwrap();
        assert_eq!(new.len(), 12);
        assert!(new.iter().all(InstallmentState::is_settled));
    }

    /// #1 (due 1 Feb) has 500 of its 1100 paid: 600 principal + interest
    /// outstanding; #2 (due 1 Mar) is unpaid: 1100; #3 is due 1 Apr.
    fn partly_paid() -> LoanState {
        let mut state = three_installments();
        state.installments[0].paid = Parts {
            interest: 100,
            principal: 400,
            ..Parts::default()
        };
        state
    }

    #[test]
    fn a_flat_late_fine_applies_per_installment_overdue_beyond_the_grace_days() {
        let state = partly_paid();
        let as_of = date(2024, 3, 5); // #1 is 33 days late, #2 is 4
        let fine = LateFine::Flat { amount: 5000 };
        assert_eq!(
            late_fine_lines(&state, as_of, 3, &fine),
            vec![(1, 5000), (2, 5000)]
        );
        assert_eq!(late_fine(&state, as_of, 3, &fine), 10_000);
        // 4 days late is not more than 4 grace days.
        assert_eq!(late_fine_lines(&state, as_of, 4, &fine), vec![(1, 5000)]);
        // On the due date itself nothing is late, even without grace.
        assert_eq!(late_fine(&state, date(2024, 2, 1), 0, &fine), 0);
        assert_eq!(late_fine(&state, date(2024, 2, 2), 0, &fine), 5000);
        assert_eq!(late_fine(&state, as_of, 0, &LateFine::None), 0);
    }

    #[test]
    fn a_percent_late_fine_is_on_outstanding_principal_and_interest_rounded_half_even() {
        let mut state = partly_paid();
        let as_of = date(2024, 3, 5);
        // 1.5 %: #1 600 × 0.015 = 9; #2 1100 × 0.015 = 16.5 → 16 (even).
        let fine = LateFine::PercentOfOverdue {
            percent: Decimal::new(15, 1),
        };
        assert_eq!(
            late_fine_lines(&state, as_of, 3, &fine),
            vec![(1, 9), (2, 16)]
        );
        assert_eq!(late_fine(&state, as_of, 3, &fine), 25);
        // 2.5 %: #2 1100 × 0.025 = 27.5 → 28 (even).
        let fine = LateFine::PercentOfOverdue {
            percent: Decimal::new(25, 1),
        };
        assert_eq!(
            late_fine_lines(&state, as_of, 3, &fine),
            vec![(1, 15), (2, 28)]
        );
        // An installment with only a penalty left is not fined again.
        state.installments[0].paid.principal = 1000;
        state.installments[0].due.penalty = 15;
        assert_eq!(late_fine_lines(&state, as_of, 3, &fine), vec![(2, 28)]);
    }

    #[test]
    fn rules_parse_and_serialize_in_kebab_case() {
        assert_eq!("standard".parse(), Ok(AllocationRule::Standard));
        assert_eq!("interest-first".parse(), Ok(AllocationRule::InterestFirst));
        assert_eq!(
            "reduce-installment".parse(),
            Ok(PrepaymentRule::ReduceInstallment)
        );
        assert_eq!("shorten-term".parse(), Ok(PrepaymentRule::ShortenTerm));
        assert_eq!(
            "Standard"
                .parse::<AllocationRule>()
                .unwrap_err()
                .to_string(),
            "--allocation-rule must be one of: standard, interest-first (got 'Standard')"
        );
        assert!("shorten".parse::<PrepaymentRule>().is_err());
        assert_eq!(AllocationRule::InterestFirst.to_string(), "interest-first");
        assert_eq!(
            serde_json::to_string(&AllocationRule::InterestFirst).unwrap(),
            "\"interest-first\""
        );
        assert_eq!(
            serde_json::from_str::<PrepaymentRule>("\"reduce-installment\"").unwrap(),
            PrepaymentRule::ReduceInstallment
        );
        let fine = LateFine::PercentOfOverdue {
            percent: Decimal::new(15, 1),
        };
        let json = serde_json::to_string(&fine).unwrap();
        assert_eq!(json, r#"{"kind":"percent-of-overdue","percent":"1.5"}"#);
        assert_eq!(serde_json::from_str::<LateFine>(&json).unwrap(), fine);
    }

    /// A consistent loan: 1–8 installments a month apart, random parts,
    /// partly paid or waived, and a payment date anywhere around them.
    /// `amount × per_mille / 1000`, in integers: test shares of money stay exact.
    fn per_mille(amount: i64, per_mille: i64) -> i64 {
        (i128::from(amount) * i128::from(per_mille) / 1000) as i64
    }

    fn loan_and_date() -> impl Strategy<Value = (LoanState, NaiveDate)> {
        let part = || prop_oneof![2 => Just(0i64), 3 => 0i64..=50_000];
        let parts = (part(), part(), part(), 0i64..=200_000).prop_map(|(pe, fe, i, p)| Parts {
            penalty: pe,
            fee: fe,
            interest: i,
            principal: p,
        });
        let fraction = || prop_oneof![Just(0_i64), Just(1000), 0_i64..1000];
        let one = (
            parts,
            [fraction(), fraction(), fraction(), fraction()],
            0_i64..200,
        );
        (prop::collection::vec(one, 1..=8), 0i64..=300).prop_map(|(rows, offset)| {
            let start = date(2024, 1, 31);
            let installments = rows
                .into_iter()
                .enumerate()
                .map(|(k, (due, fractions, waive))| {
                    let mut paid = Parts::default();
                    let mut waived = Parts::default();
                    for (component, fraction) in Component::ALL.into_iter().zip(fractions) {
                        let amount = due.get(component);
                        let w = per_mille(amount, waive);
                        *waived.get_mut(component) = w;
                        *paid.get_mut(component) = per_mille(amount - w, fraction);
                    }
                    let number = k as u32 + 1;
                    InstallmentState {
                        number,
                        due_date: start
                            .checked_add_months(chrono::Months::new(number))
                            .unwrap(),
                        due,
                        paid,
                        waived,
                    }
                })
                .collect();
            let paid_on = start + chrono::Days::new(offset as u64);
            (
                LoanState {
                    installments,
                    payments: Vec::new(),
                },
                paid_on,
            )
        })
    }

    fn any_rule() -> impl Strategy<Value = AllocationRule> {
        prop_oneof![
            Just(AllocationRule::Standard),
            Just(AllocationRule::InterestFirst)
        ]
    }

    proptest! {
        #[test]
        fn allocation_never_pays_more_than_a_component_owes_and_sums_to_the_payment(
            (state, paid_on) in loan_and_date(),
            rule in any_rule(),
            share in 0_i64..=1000,
        ) {
            let most = payable(&state, paid_on, rule);
            prop_assume!(most > 0);
            let amount = per_mille(most, share).clamp(1, most);
            let lines = allocate(&state, amount, paid_on, rule).unwrap();
            prop_assert_eq!(lines.iter().map(|l| l.amount).sum::<i64>(), amount);
            for l in &lines {
                prop_assert!(l.amount > 0);
                let row = state.installments.iter().find(|r| r.number == l.installment).unwrap();
                let paid_here: i64 = lines
                    .iter()
                    .filter(|o| o.installment == l.installment && o.component == l.component)
                    .map(|o| o.amount)
                    .sum();
                prop_assert!(paid_here <= row.outstanding(l.component), "{:?}", l);
            }
            let mut after = state.clone();
            apply(&mut after, paid_on, &lines);
            for r in &after.installments {
                for c in Component::ALL {
                    prop_assert!(r.outstanding(c) >= 0, "{:?}", r);
                }
            }
            prop_assert_eq!(after.outstanding_total(), state.outstanding_total() - amount);
        }

        #[test]
        fn paying_the_payable_amount_settles_everything_payable(
            (state, paid_on) in loan_and_date(),
            rule in any_rule(),
        ) {
            let most = payable(&state, paid_on, rule);
            prop_assume!(most > 0);
            prop_assert_eq!(
                allocate(&state, most + 1, paid_on, rule),
                Err(AllocationError::Overpayment { outstanding: most })
            );
            let mut after = state.clone();
            apply(&mut after, paid_on, &allocate(&state, most, paid_on, rule).unwrap());
            prop_assert_eq!(payable(&after, paid_on, rule), 0);
            prop_assert_eq!(after.principal_outstanding(), 0);
            if rule == AllocationRule::Standard {
                prop_assert_eq!(after.outstanding_total(), 0);
            }
        }

        #[test]
        fn standard_never_pays_a_later_installment_while_an_earlier_one_owes_anything(
            (state, paid_on) in loan_and_date(),
            share in 0_i64..=1000,
        ) {
            let most = payable(&state, paid_on, AllocationRule::Standard);
            prop_assume!(most > 0);
            let amount = per_mille(most, share).clamp(1, most);
            let lines = allocate(&state, amount, paid_on, AllocationRule::Standard).unwrap();
            let mut after = state.clone();
            apply(&mut after, paid_on, &lines);
            for l in &lines {
                // Installments are numbered in due-date order here.
                for earlier in after.installments.iter().filter(|r| r.number < l.installment) {
                    prop_assert!(earlier.is_settled(), "{:?} before {:?}", earlier, l);
                }
                let this = after.installments.iter().find(|r| r.number == l.installment).unwrap();
                for before in Component::ALL.iter().filter(|&&c| c < l.component) {
                    prop_assert_eq!(this.outstanding(*before), 0);
                }
            }
        }

        #[test]
        fn interest_first_pays_principal_only_after_all_charges_and_due_interest(
            (state, paid_on) in loan_and_date(),
            share in 0_i64..=1000,
        ) {
            let rule = AllocationRule::InterestFirst;
            let most = payable(&state, paid_on, rule);
            prop_assume!(most > 0);
            let amount = per_mille(most, share).clamp(1, most);
            let lines = allocate(&state, amount, paid_on, rule).unwrap();
            let mut after = state.clone();
            apply(&mut after, paid_on, &lines);
            for l in &lines {
                let row = state.installments.iter().find(|r| r.number == l.installment).unwrap();
                prop_assert!(l.component != Interest || row.due_date <= paid_on);
            }
            if lines.iter().any(|l| l.component == Principal) {
                for r in &after.installments {
                    prop_assert_eq!(r.outstanding(Penalty) + r.outstanding(Fee), 0);
                    if r.due_date <= paid_on {
                        prop_assert_eq!(r.outstanding(Interest), 0);
                    }
                }
            }
        }

        #[test]
        fn allocation_never_panics_on_an_inconsistent_state(
            dues in prop::collection::vec((any::<i64>(), any::<i64>(), any::<i64>()), 0..5),
            amount in any::<i64>(),
            rule in any_rule(),
        ) {
            let state = LoanState {
                installments: dues
                    .iter()
                    .enumerate()
                    .map(|(k, &(due, paid, waived))| InstallmentState {
                        number: k as u32 + 1,
                        due_date: date(2024, 1, 1),
                        due: Parts { principal: due, interest: due, penalty: due, fee: due },
                        paid: Parts { principal: paid, ..Parts::default() },
                        waived: Parts { interest: waived, ..Parts::default() },
                    })
                    .collect(),
                payments: Vec::new(),
            };
            let paid_on = date(2024, 1, 1);
            let most = payable(&state, paid_on, rule);
            prop_assert!(most >= 0);
            if let Ok(lines) = allocate(&state, amount, paid_on, rule) {
                prop_assert!(amount > 0 && amount <= most);
                prop_assert_eq!(lines.iter().map(|l| i128::from(l.amount)).sum::<i128>(), i128::from(amount));
            }
            let fine = LateFine::PercentOfOverdue { percent: Decimal::MAX };
            prop_assert!(late_fine(&state, date(2025, 1, 1), 0, &fine) >= 0);
        }

        #[test]
        fn rescheduling_a_prepayment_keeps_the_principal_and_every_paid_amount(
            principal in 10_000i64..=5_000_000,
            rate in 0i64..=3_600,
            installments in 2u32..=24,
            equal_principal in any::<bool>(),
            paid_through in 0usize..=3,
            prepay_share in 10_i64..=1000,
            shorten in any::<bool>(),
        ) {
            let terms = LoanTerms {
                principal,
                rate: Decimal::new(rate, 2),
                installments,
                amortization: if equal_principal {
                    Amortization::EqualPrincipal
                } else {
                    Amortization::EqualInstallments
                },
                ..twelve_thousand()
            };
            let mut state = state_of(&terms);
            let paid_through = paid_through.min(installments as usize - 1);
            let mut paid_on = terms.disbursed + chrono::Days::new(5);
            for k in 0..paid_through {
                paid_on = state.installments[k].due_date;
                let amount = state.installments[k].outstanding_total();
                let lines = allocate(&state, amount, paid_on, AllocationRule::Standard).unwrap();
                apply(&mut state, paid_on, &lines);
            }
            paid_on = paid_on + chrono::Days::new(3);
            let rule = AllocationRule::InterestFirst;
            let most = payable(&state, paid_on, rule);
            let amount = per_mille(most, prepay_share).clamp(1, most);
            let lines = allocate(&state, amount, paid_on, rule).unwrap();
            apply(&mut state, paid_on, &lines);

            let prepayment_rule = if shorten {
                PrepaymentRule::ShortenTerm
            } else {
                PrepaymentRule::ReduceInstallment
            };
            let new = reschedule_after_prepayment(&terms, &state, paid_on, prepayment_rule).unwrap();
            let principal_left: i64 = new.iter().map(|r| r.outstanding(Principal)).sum();
            prop_assert_eq!(principal_left, state.principal_outstanding());
            for old in &state.installments {
                if old.paid != Parts::default() {
                    let kept = new.iter().find(|r| r.number == old.number).unwrap();
                    prop_assert_eq!(kept.paid, old.paid);
                    prop_assert_eq!(kept.due, old.due);
                }
            }
            let mut numbers: Vec<u32> = new.iter().map(|r| r.number).collect();
            numbers.sort_unstable();
            numbers.dedup();
            prop_assert_eq!(numbers.len(), new.len());
            prop_assert!(new.windows(2).all(|w| w[0].due_date <= w[1].due_date));
            for r in &new {
                for c in Component::ALL {
                    prop_assert!(r.outstanding(c) >= 0);
                }
            }
            // Not more installments to come than before.
            let to_come = |rows: &[InstallmentState]| {
                rows.iter().filter(|r| r.due_date > paid_on && !r.is_settled()).count()
            };
            prop_assert!(to_come(&new) <= to_come(&state.installments));
            // Rescheduling the result again changes nothing.
            let again = LoanState { installments: new.clone(), payments: state.payments.clone() };
            prop_assert_eq!(
                reschedule_after_prepayment(&terms, &again, paid_on, prepayment_rule),
                Ok(new)
            );
        }
    }
}
