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
