//! Women by rehabilitation status and loan standing: the one
//! cross-tabulation of the rehabilitation record against loans, allowed only
//! for the whole program. A group of 10 to 20 women is small enough that
//! such a table would name people, so the function asks for a
//! [`ProgramScope`], which cannot be made for a group.

use super::facts::ClientFacts;
use super::loans::{disbursed_by, owed_as_of};
use super::program::consenting;
use super::recovery::{rehab_status, RehabStatus};
use crate::loans::portfolio::arrears;
use crate::loans::product::LoanStatus;
use crate::reports::suppression::{CountTable, ProgramScope};
use chrono::NaiveDate;
use serde::Serialize;

/// Her loans summed up by the worst of them, as of a date. Ordered from
/// best to worst.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LoanStanding {
    NoLoan,
    Repaid,
    Current,
    Late1To30Days,
    LateOver30Days,
    WrittenOff,
}

impl LoanStanding {
    pub const ALL: [LoanStanding; 6] = [
        LoanStanding::NoLoan,
        LoanStanding::Repaid,
        LoanStanding::Current,
        LoanStanding::Late1To30Days,
        LoanStanding::LateOver30Days,
        LoanStanding::WrittenOff,
    ];

    pub fn code(self) -> &'static str {
        match self {
            LoanStanding::NoLoan => "no_loan",
            LoanStanding::Repaid => "repaid",
            LoanStanding::Current => "current",
            LoanStanding::Late1To30Days => "late_1_30_days",
            LoanStanding::LateOver30Days => "late_over_30_days",
            LoanStanding::WrittenOff => "written_off",
        }
    }
}

/// The worst standing among her loans disbursed by the date. A loan's
/// written-off status is the one the store gives (its `loans_as_of` gives
/// the status on a past date).
pub fn loan_standing(facts: &ClientFacts, as_of: NaiveDate) -> LoanStanding {
    facts
        .loans
        .iter()
        .filter(|l| disbursed_by(&l.loan, as_of).is_some())
        .map(|l| {
            if l.loan.status == LoanStatus::WrittenOff {
                return LoanStanding::WrittenOff;
            }
            if owed_as_of(&l.state, as_of) == 0 {
                return LoanStanding::Repaid;
            }
            match arrears(&l.state, as_of).days_past_due {
                0 => LoanStanding::Current,
                1..=30 => LoanStanding::Late1To30Days,
                _ => LoanStanding::LateOver30Days,
            }
        })
        .max()
        .unwrap_or(LoanStanding::NoLoan)
}

/// Consenting women counted by status (rows) and loan standing (columns),
/// before suppression: call [`CountTable::suppress`] before it leaves the
/// program.
pub fn rehab_status_by_loan_standing(
    _scope: ProgramScope,
    clients: &[ClientFacts],
    as_of: NaiveDate,
) -> CountTable {
    let (women, _) = consenting(clients, as_of);
    let cells: Vec<Vec<u64>> = RehabStatus::ALL
        .iter()
        .map(|&status| {
            LoanStanding::ALL
                .iter()
                .map(|&standing| {
                    let n = women
                        .iter()
                        .filter(|c| {
                            rehab_status(c, as_of) == status && loan_standing(c, as_of) == standing
                        })
                        .count();
                    u64::try_from(n).unwrap_or(u64::MAX)
                })
                .collect()
        })
        .collect();
    CountTable {
        row_labels: RehabStatus::ALL
            .iter()
            .map(|s| s.code().to_string())
            .collect(),
        column_labels: LoanStanding::ALL
            .iter()
            .map(|s| s.code().to_string())
            .collect(),
        cells,
    }
}
