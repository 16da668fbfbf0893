//! A loan's repayment state as plain values: what fell due per installment
//! and what was paid against it. Built by the store from schedule rows and
//! recorded allocations; read by allocation, arrears and portfolio code.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// The parts of an installment, in the order the standard rule pays them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Component {
    Penalty,
    Fee,
    Interest,
    Principal,
}

impl Component {
    pub const ALL: [Component; 4] = [
        Component::Penalty,
        Component::Fee,
        Component::Interest,
        Component::Principal,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Component::Penalty => "penalty",
            Component::Fee => "fee",
            Component::Interest => "interest",
            Component::Principal => "principal",
        }
    }
}

/// Amounts per component, in minor units.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Parts {
    pub penalty: i64,
    pub fee: i64,
    pub interest: i64,
    pub principal: i64,
}

impl Parts {
    pub fn get(&self, c: Component) -> i64 {
        match c {
            Component::Penalty => self.penalty,
            Component::Fee => self.fee,
            Component::Interest => self.interest,
            Component::Principal => self.principal,
        }
    }

    pub fn get_mut(&mut self, c: Component) -> &mut i64 {
        match c {
            Component::Penalty => &mut self.penalty,
            Component::Fee => &mut self.fee,
            Component::Interest => &mut self.interest,
            Component::Principal => &mut self.principal,
        }
    }

    pub fn total(&self) -> i64 {
        self.penalty + self.fee + self.interest + self.principal
    }
}

/// One installment: what is due and what has been paid against it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InstallmentState {
    pub number: u32,
    pub due_date: NaiveDate,
    pub due: Parts,
    pub paid: Parts,
    /// Amounts forgiven (write-off) or moved to a new schedule (reschedule).
    pub waived: Parts,
}

impl InstallmentState {
    pub fn outstanding(&self, c: Component) -> i64 {
        self.due.get(c) - self.paid.get(c) - self.waived.get(c)
    }

    pub fn outstanding_total(&self) -> i64 {
        Component::ALL.iter().map(|&c| self.outstanding(c)).sum()
    }

    pub fn is_settled(&self) -> bool {
        self.outstanding_total() == 0
    }
}

/// One payment applied to one component of one installment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct AllocationLine {
    pub installment: u32,
    pub component: Component,
    pub amount: i64,
}

/// A payment as recorded: its date and how it was split.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Payment {
    pub paid_on: NaiveDate,
    pub lines: Vec<AllocationLine>,
}

/// A loan's installments in due-date order, with the payments applied so far.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoanState {
    pub installments: Vec<InstallmentState>,
    pub payments: Vec<Payment>,
}

impl LoanState {
    pub fn principal_outstanding(&self) -> i64 {
        self.installments
            .iter()
            .map(|i| i.outstanding(Component::Principal))
            .sum()
    }

    pub fn outstanding_total(&self) -> i64 {
        self.installments
            .iter()
            .map(|i| i.outstanding_total())
            .sum()
    }
}

/// How an adjustment row changes an installment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AdjustmentKind {
    /// Adds to what is due (a late fine).
    Charge,
    /// Takes off what is outstanding (write-off, or moved to a new schedule).
    Waiver,
}

/// One stored schedule row: installment number, due date, scheduled parts.
pub type ScheduleRow = (u32, NaiveDate, Parts);
/// One stored allocation: the entry that paid, its date, and the line.
pub type PaidLine = (i64, NaiveDate, AllocationLine);
/// One stored adjustment: installment, component, kind, amount.
pub type Adjustment = (u32, Component, AdjustmentKind, i64);

impl LoanState {
    /// Rebuilds a loan's state from its stored rows. Allocations must come in
    /// (date, entry) order; lines for unknown installments are ignored.
    /// Installments come back ordered by number.
    pub fn assemble(
        schedule: Vec<ScheduleRow>,
        allocations: Vec<PaidLine>,
        adjustments: Vec<Adjustment>,
    ) -> LoanState {
        let mut installments: Vec<InstallmentState> = schedule
            .into_iter()
            .map(|(number, due_date, due)| InstallmentState {
                number,
                due_date,
                due,
                paid: Parts::default(),
                waived: Parts::default(),
            })
            .collect();
        // Sorted by number, so each allocation finds its installment by
        // binary search: loading a whole portfolio stays linear-ish.
        installments.sort_by_key(|i| i.number);
        let position = |installments: &[InstallmentState], n: u32| {
            installments.binary_search_by_key(&n, |i| i.number).ok()
        };
        for (n, component, kind, amount) in adjustments {
            if let Some(p) = position(&installments, n) {
                let parts = match kind {
                    AdjustmentKind::Charge => &mut installments[p].due,
                    AdjustmentKind::Waiver => &mut installments[p].waived,
                };
                *parts.get_mut(component) += amount;
            }
        }
        let mut payments: Vec<Payment> = Vec::new();
        let mut last_entry = None;
        for (entry, paid_on, line) in allocations {
            let Some(p) = position(&installments, line.installment) else {
                continue;
            };
            *installments[p].paid.get_mut(line.component) += line.amount;
            if last_entry != Some(entry) {
                payments.push(Payment {
                    paid_on,
                    lines: Vec::new(),
                });
                last_entry = Some(entry);
            }
            if let Some(payment) = payments.last_mut() {
                payment.lines.push(line);
            }
        }
        LoanState {
            installments,
            payments,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 5, d).unwrap()
    }

    #[test]
    fn assembling_adds_charges_to_due_waivers_and_payments_per_entry() {
        let due = Parts {
            principal: 1_000,
            interest: 100,
            ..Parts::default()
        };
        let line = |installment, component, amount| AllocationLine {
            installment,
            component,
            amount,
        };
        let state = LoanState::assemble(
            vec![(1, day(1), due), (2, day(8), due)],
            vec![
                (7, day(2), line(1, Component::Interest, 100)),
                (7, day(2), line(1, Component::Principal, 400)),
                (9, day(9), line(1, Component::Principal, 600)),
                (9, day(9), line(3, Component::Principal, 5)),
            ],
            vec![
                (2, Component::Penalty, AdjustmentKind::Charge, 20),
                (2, Component::Interest, AdjustmentKind::Waiver, 100),
            ],
        );
        assert!(state.installments[0].is_settled());
        assert_eq!(state.installments[1].outstanding(Component::Penalty), 20);
        assert_eq!(state.installments[1].outstanding(Component::Interest), 0);
        assert_eq!(state.payments.len(), 2);
        assert_eq!(
            state.payments[1].lines.len(),
            1,
            "unknown installment 3 is ignored"
        );
        assert_eq!(state.principal_outstanding(), 1_000);
    }
}
