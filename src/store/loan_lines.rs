//! Loans' installments, payment lines and charges as the store reads them.
//!
//! Each kind comes back as one row holding one JSON array of every line of
//! every loan read (`Dialect::json_rows`), not a row per loan or per line:
//! sqlx hands each SQLite row from its worker thread to the caller's, and
//! those hand-offs cost more than SQLite's own work. The lines are put in
//! the order `LoanState::assemble` needs here rather than in SQL, where an
//! ordered aggregate sorted every loan's lines again.

use super::dialect::Dialect;
use super::{StoreError, StoreResult};
use crate::ledger::{EntryId, LoanId};
use crate::loans::state::{self, AdjustmentKind, Component, LoanState, Parts};
use chrono::NaiveDate;
use serde::de::{Deserialize, DeserializeOwned, Deserializer, Error as _};
use std::collections::HashMap;

/// Every loan's installments of one schedule version. `from` comes before
/// the table (`loans l CROSS JOIN `); the query goes on with a `WHERE`
/// joining `x.loan_id` to the loans wanted and picking the version.
pub(super) fn installments_select<D: Dialect>(from: &str) -> String {
    format!(
        "SELECT {} FROM {from}loan_installments x",
        D::json_rows("x.loan_id, x.number, x.due_date, x.principal, x.interest, x.fee, x.penalty")
    )
}

/// What was paid on the loans, gathered as `installments_select`.
pub(super) fn allocations_select<D: Dialect>(from: &str) -> String {
    format!(
        "SELECT {} FROM {from}loan_allocations x",
        D::json_rows("x.loan_id, x.paid_on, x.entry_id, x.installment, x.component, x.amount")
    )
}

/// Charges and waivers on the loans, gathered as `installments_select`.
pub(super) fn adjustments_select<D: Dialect>(from: &str) -> String {
    format!(
        "SELECT {} FROM {from}loan_adjustments x",
        D::json_rows("x.loan_id, x.id, x.installment, x.component, x.kind, x.amount")
    )
}

/// A stored date as JSON text. Both backends write `YYYY-MM-DD`; that
/// shape is read by hand (chrono's general parser was a visible part of
/// reading a program's loans), anything else by chrono.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(super) struct Day(NaiveDate);

impl<'de> Deserialize<'de> for Day {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = <&str>::deserialize(d)?;
        iso_day(text)
            .or_else(|| text.parse().ok())
            .map(Day)
            .ok_or_else(|| D::Error::custom(format!("not a date: {text:?}")))
    }
}

fn iso_day(text: &str) -> Option<NaiveDate> {
    let b = text.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let number = |range: std::ops::Range<usize>| -> Option<u32> {
        b[range].iter().try_fold(0u32, |n, &c| {
            c.is_ascii_digit().then(|| n * 10 + u32::from(c - b'0'))
        })
    };
    let year = i32::try_from(number(0..4)?).ok()?;
    NaiveDate::from_ymd_opt(year, number(5..7)?, number(8..10)?)
}

/// Loan, number, due date, principal, interest, fee, penalty.
pub(super) type InstallmentLine = (LoanId, i32, Day, i64, i64, i64, i64);
/// Loan, paid on, entry, installment, component, amount.
pub(super) type AllocationLine = (LoanId, Day, EntryId, i32, Component, i64);
/// Loan, adjustment id, installment, component, charge or waiver, amount.
pub(super) type AdjustmentLine = (LoanId, i64, i32, Component, AdjustmentKind, i64);

/// The lines of one select's answer: a JSON array, or none when no line
/// matched (PostgreSQL's `json_agg` of nothing is NULL).
pub(super) fn lines<T: DeserializeOwned>(what: &str, json: Option<String>) -> StoreResult<Vec<T>> {
    match json {
        None => Ok(Vec::new()),
        Some(text) => serde_json::from_str(&text)
            .map_err(|e| StoreError::Corrupt(format!("{what} lines: {e}"))),
    }
}

/// Each loan's state from its lines, which may come in any order; loans
/// without a schedule are not in the map.
pub(super) fn states_of(
    mut installments: Vec<InstallmentLine>,
    mut allocations: Vec<AllocationLine>,
    mut adjustments: Vec<AdjustmentLine>,
) -> StoreResult<HashMap<LoanId, LoanState>> {
    // Sorting lines that already come in order (they usually do, read by
    // index) is one pass. Payment lines: by date, then entry, as `assemble`
    // asks, then installment and component name.
    installments.sort_unstable_by_key(|&(loan, n, ..)| (loan, n));
    allocations
        .sort_unstable_by_key(|&(loan, on, entry, n, c, _)| (loan, on, entry, n, c.as_str()));
    adjustments.sort_unstable_by_key(|&(loan, id, ..)| (loan, id));

    let mut by_loan: HashMap<LoanId, (Vec<_>, Vec<_>, Vec<_>)> = HashMap::new();
    for rows in installments.chunk_by(|a, b| a.0 == b.0) {
        let schedule = rows
            .iter()
            .map(|&(_, n, due, principal, interest, fee, penalty)| {
                let parts = Parts {
                    penalty,
                    fee,
                    interest,
                    principal,
                };
                (n as u32, due.0, parts)
            })
            .collect();
        by_loan.insert(rows[0].0, (schedule, Vec::new(), Vec::new()));
    }
    for rows in allocations.chunk_by(|a, b| a.0 == b.0) {
        if let Some(loan) = by_loan.get_mut(&rows[0].0) {
            loan.1 = rows
                .iter()
                .map(|&(_, on, entry, n, component, amount)| {
                    let line = state::AllocationLine {
                        installment: n as u32,
                        component,
                        amount,
                    };
                    (entry, on.0, line)
                })
                .collect();
        }
    }
    for rows in adjustments.chunk_by(|a, b| a.0 == b.0) {
        if let Some(loan) = by_loan.get_mut(&rows[0].0) {
            loan.2 = rows
                .iter()
                .map(|&(_, _, n, c, kind, amount)| (n as u32, c, kind, amount))
                .collect();
        }
    }
    Ok(by_loan
        .into_iter()
        .map(|(id, (schedule, paid, adjusted))| (id, LoanState::assemble(schedule, paid, adjusted)))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iso_days_are_read_by_hand_and_checked() {
        let day = |y, m, d| NaiveDate::from_ymd_opt(y, m, d);
        assert_eq!(iso_day("2026-11-24"), day(2026, 11, 24));
        assert_eq!(iso_day("2024-02-29"), day(2024, 2, 29));
        assert_eq!(iso_day("2026-02-29"), None);
        assert_eq!(iso_day("2026-13-01"), None);
        assert_eq!(iso_day("2026-1-01"), None);
        assert_eq!(iso_day("2026/11/24"), None);
        assert_eq!(iso_day("２026-11-24"), None);
    }

    #[test]
    fn lines_out_of_order_are_put_in_order_per_loan() {
        let states = of(
            Some(
                r#"[[7,2,"2026-02-08",100,10,0,0],[9,1,"2026-01-01",50,0,0,0],[7,1,"2026-02-01",100,10,0,0]]"#
                    .into(),
            ),
            Some(
                r#"[[7,"2026-02-08",31,2,"principal",40],[7,"2026-02-01",30,1,"principal",100],
                    [7,"2026-02-01",30,1,"interest",10],[7,"2026-02-08",31,2,"interest",10]]"#
                    .into(),
            ),
            Some(r#"[[7,5,2,"penalty","charge",5],[7,4,2,"penalty","waiver",5]]"#.into()),
        )
        .unwrap();
        assert_eq!(states.len(), 2);
        let seven = &states[&7];
        let numbers: Vec<u32> = seven.installments.iter().map(|i| i.number).collect();
        assert_eq!(numbers, [1, 2]);
        let dates: Vec<NaiveDate> = seven.payments.iter().map(|p| p.paid_on).collect();
        assert_eq!(dates, [day("2026-02-01"), day("2026-02-08")]);
        assert_eq!(seven.installments[0].paid.principal, 100);
        assert_eq!(seven.installments[1].paid.principal, 40);
        assert_eq!(seven.installments[1].due.penalty, 5);
        assert_eq!(seven.installments[1].waived.penalty, 5);
        assert!(states[&9].payments.is_empty());
    }

    #[test]
    fn no_lines_and_bad_lines() {
        assert!(of(None, Some("[]".into()), None).unwrap().is_empty());
        let bad_date = of(Some(r#"[[7,1,"1 Feb",100,10,0,0]]"#.into()), None, None);
        assert!(matches!(bad_date, Err(StoreError::Corrupt(_))));
        let bad_component = of(
            None,
            Some(r#"[[7,"2026-02-01",30,1,"tip",10]]"#.into()),
            None,
        );
        assert!(matches!(bad_component, Err(StoreError::Corrupt(_))));
    }

    fn of(
        installments: Option<String>,
        allocations: Option<String>,
        adjustments: Option<String>,
    ) -> StoreResult<HashMap<LoanId, LoanState>> {
        states_of(
            lines("installment", installments)?,
            lines("payment", allocations)?,
            lines("charge", adjustments)?,
        )
    }

    fn day(text: &str) -> NaiveDate {
        text.parse().unwrap()
    }
}
