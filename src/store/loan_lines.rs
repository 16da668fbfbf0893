//! Loans' installments, payment lines and charges as the store reads them.
//!
//! Each kind comes back as one row gathering every line of every loan
//! read (see `gathered`). PostgreSQL gathers these lines into one array per
//! column, which it builds in half the time of JSON. The lines are put in
//! the order `LoanState::assemble` needs here rather than in SQL, where an
//! ordered aggregate sorted every loan's lines again.

use super::gathered::{corrupt, Gathered};
use super::loans_sql::{adjustment_kind, component};
use crate::ledger::{EntryId, LoanId};
use crate::loans::state::{self, AdjustmentKind, Component, LoanState, Parts};
use chrono::NaiveDate;
use serde::de::{Deserialize, Deserializer, Error as _};
use sqlx::postgres::PgRow;
use sqlx::{Postgres, Row};
use std::collections::HashMap;

/// One `array_agg` per column: the aggregates of one select see the rows
/// in the same order, so the arrays line up.
fn arrays_of(columns: &str) -> String {
    columns
        .split(',')
        .map(|c| format!("array_agg({})", c.trim()))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Column `i` of a row of `arrays_of`; NULL when no row matched.
fn column<T>(row: &PgRow, i: usize) -> Result<Vec<T>, sqlx::Error>
where
    Vec<T>: for<'r> sqlx::Decode<'r, Postgres> + sqlx::Type<Postgres>,
{
    Ok(row.try_get::<Option<Vec<T>>, _>(i)?.unwrap_or_default())
}

fn same_lengths(lengths: &[usize]) -> Result<usize, sqlx::Error> {
    let n = lengths.first().copied().unwrap_or(0);
    if lengths.iter().all(|&l| l == n) {
        Ok(n)
    } else {
        Err(corrupt(format!("gathered columns of lengths {lengths:?}")))
    }
}

fn components(names: Vec<String>) -> Result<Vec<Component>, sqlx::Error> {
    names
        .iter()
        .map(|name| component(name).map_err(|e| corrupt(e.to_string())))
        .collect()
}

impl Gathered<Postgres> for InstallmentLine {
    fn gather(columns: &str) -> String {
        arrays_of(columns)
    }

    fn ungather(row: &PgRow) -> Result<Vec<Self>, sqlx::Error> {
        let loans: Vec<LoanId> = column(row, 0)?;
        let numbers: Vec<i32> = column(row, 1)?;
        let due: Vec<NaiveDate> = column(row, 2)?;
        let principal: Vec<i64> = column(row, 3)?;
        let interest: Vec<i64> = column(row, 4)?;
        let fee: Vec<i64> = column(row, 5)?;
        let penalty: Vec<i64> = column(row, 6)?;
        let n = same_lengths(&[
            loans.len(),
            numbers.len(),
            due.len(),
            principal.len(),
            interest.len(),
            fee.len(),
            penalty.len(),
        ])?;
        Ok((0..n)
            .map(|k| {
                let day = Day(due[k]);
                (
                    loans[k],
                    numbers[k],
                    day,
                    principal[k],
                    interest[k],
                    fee[k],
                    penalty[k],
                )
            })
            .collect())
    }
}

impl Gathered<Postgres> for AllocationLine {
    fn gather(columns: &str) -> String {
        arrays_of(columns)
    }

    fn ungather(row: &PgRow) -> Result<Vec<Self>, sqlx::Error> {
        let loans: Vec<LoanId> = column(row, 0)?;
        let paid_on: Vec<NaiveDate> = column(row, 1)?;
        let entries: Vec<EntryId> = column(row, 2)?;
        let installments: Vec<i32> = column(row, 3)?;
        let components = components(column(row, 4)?)?;
        let amounts: Vec<i64> = column(row, 5)?;
        let n = same_lengths(&[
            loans.len(),
            paid_on.len(),
            entries.len(),
            installments.len(),
            components.len(),
            amounts.len(),
        ])?;
        Ok((0..n)
            .map(|k| {
                let day = Day(paid_on[k]);
                (
                    loans[k],
                    day,
                    entries[k],
                    installments[k],
                    components[k],
                    amounts[k],
                )
            })
            .collect())
    }
}

impl Gathered<Postgres> for AdjustmentLine {
    fn gather(columns: &str) -> String {
        arrays_of(columns)
    }

    fn ungather(row: &PgRow) -> Result<Vec<Self>, sqlx::Error> {
        let loans: Vec<LoanId> = column(row, 0)?;
        let ids: Vec<i64> = column(row, 1)?;
        let installments: Vec<i32> = column(row, 2)?;
        let components = components(column(row, 3)?)?;
        let kinds = column::<String>(row, 4)?
            .iter()
            .map(|kind| adjustment_kind(kind).map_err(|e| corrupt(e.to_string())))
            .collect::<Result<Vec<_>, _>>()?;
        let amounts: Vec<i64> = column(row, 5)?;
        let n = same_lengths(&[
            loans.len(),
            ids.len(),
            installments.len(),
            components.len(),
            kinds.len(),
            amounts.len(),
        ])?;
        Ok((0..n)
            .map(|k| {
                (
                    loans[k],
                    ids[k],
                    installments[k],
                    components[k],
                    kinds[k],
                    amounts[k],
                )
            })
            .collect())
    }
}

/// Every loan's installments of one schedule version. `from` comes before
/// the table (`loans l CROSS JOIN `); the query goes on with a `WHERE`
/// joining `x.loan_id` to the loans wanted and picking the version.
pub(super) fn installments_select<DB: sqlx::Database>(from: &str) -> String
where
    InstallmentLine: Gathered<DB>,
{
    format!(
        "SELECT {} FROM {from}loan_installments x",
        InstallmentLine::gather(
            "x.loan_id, x.number, x.due_date, x.principal, x.interest, x.fee, x.penalty"
        )
    )
}

/// What was paid on the loans, gathered as `installments_select`.
pub(super) fn allocations_select<DB: sqlx::Database>(from: &str) -> String
where
    AllocationLine: Gathered<DB>,
{
    format!(
        "SELECT {} FROM {from}loan_allocations x",
        AllocationLine::gather(
            "x.loan_id, x.paid_on, x.entry_id, x.installment, x.component, x.amount"
        )
    )
}

/// Charges and waivers on the loans, gathered as `installments_select`.
pub(super) fn adjustments_select<DB: sqlx::Database>(from: &str) -> String
where
    AdjustmentLine: Gathered<DB>,
{
    format!(
        "SELECT {} FROM {from}loan_adjustments x",
        AdjustmentLine::gather("x.loan_id, x.id, x.installment, x.component, x.kind, x.amount")
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

/// Each loan's state from its lines, which may come in any order; loans
/// without a schedule are not in the map.
pub(super) fn states_of(
    mut installments: Vec<InstallmentLine>,
    mut allocations: Vec<AllocationLine>,
    mut adjustments: Vec<AdjustmentLine>,
) -> HashMap<LoanId, LoanState> {
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
    by_loan
        .into_iter()
        .map(|(id, (schedule, paid, adjusted))| (id, LoanState::assemble(schedule, paid, adjusted)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::gathered::json_rows;

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
        assert!(matches!(bad_date, Err(sqlx::Error::Decode(_))));
        let bad_component = of(
            None,
            Some(r#"[[7,"2026-02-01",30,1,"tip",10]]"#.into()),
            None,
        );
        assert!(matches!(bad_component, Err(sqlx::Error::Decode(_))));
    }

    fn of(
        installments: Option<String>,
        allocations: Option<String>,
        adjustments: Option<String>,
    ) -> Result<HashMap<LoanId, LoanState>, sqlx::Error> {
        Ok(states_of(
            json_rows(installments)?,
            json_rows(allocations)?,
            json_rows(adjustments)?,
        ))
    }

    fn day(text: &str) -> NaiveDate {
        text.parse().unwrap()
    }
}
