//! Loans' installments, payment lines and charges as the store reads them.
//!
//! Each kind comes back as one row gathering every line of every loan
//! read (see `gathered`): JSON on SQLite, text lines on PostgreSQL
//! (`text_of`). The lines are put in
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

/// Loan lines PostgreSQL gathers as one text (`text_of`), each line read
/// by its fields function.
macro_rules! gathered_as_text_on_postgres {
    ($($line:ty => $fields:ident),+) => {$(
        impl Gathered<Postgres> for $line {
            fn gather(columns: &str) -> String {
                text_of(columns)
            }

            fn ungather(row: &PgRow) -> Result<Vec<Self>, sqlx::Error> {
                text_lines(row.try_get(0)?, $fields)
            }
        }
    )+};
}

gathered_as_text_on_postgres!(
    InstallmentLine => installment_fields,
    AllocationLine => allocation_fields,
    AdjustmentLine => adjustment_fields
);

fn installment_fields(f: &mut Fields<'_>) -> Result<InstallmentLine, String> {
    Ok((
        f.number()?,
        f.number()?,
        f.day()?,
        f.number()?,
        f.number()?,
        f.number()?,
        f.number()?,
    ))
}

fn allocation_fields(f: &mut Fields<'_>) -> Result<AllocationLine, String> {
    Ok((
        f.number()?,
        f.day()?,
        f.number()?,
        f.number()?,
        f.word(component)?,
        f.number()?,
    ))
}

fn adjustment_fields(f: &mut Fields<'_>) -> Result<AdjustmentLine, String> {
    Ok((
        f.number()?,
        f.number()?,
        f.number()?,
        f.word(component)?,
        f.word(adjustment_kind)?,
        f.number()?,
    ))
}

/// PostgreSQL gathers loan lines as one text: a line's fields joined by
/// commas, the lines by semicolons. Its fields are numbers, ISO dates
/// (sqlx sets `DateStyle` to ISO on every connection) and the program's
/// own words, none holding either mark, and none NULL (`concat_ws` would
/// skip it; the reader counts fields). On 2 cores this was read in about
/// 0.7 of the time of one array per column, whose every element
/// PostgreSQL sends and sqlx decodes on its own.
fn text_of(columns: &str) -> String {
    format!("string_agg(concat_ws(',', {columns}), ';')")
}

/// The lines of a `text_of` (NULL when no row matched).
fn text_lines<T>(
    text: Option<&str>,
    line: impl Fn(&mut Fields<'_>) -> Result<T, String>,
) -> Result<Vec<T>, sqlx::Error> {
    let Some(text) = text else {
        return Ok(Vec::new());
    };
    text.split(';')
        .map(|text| {
            let mut fields = Fields(text.split(','));
            line(&mut fields)
                .and_then(|parsed| match fields.0.next() {
                    None => Ok(parsed),
                    Some(_) => Err("more fields than expected".to_string()),
                })
                .map_err(|e| corrupt(format!("loan line {text:?}: {e}")))
        })
        .collect()
}

/// The fields of one gathered text line, read in order.
struct Fields<'a>(std::str::Split<'a, char>);

impl Fields<'_> {
    fn next(&mut self) -> Result<&str, String> {
        self.0
            .next()
            .ok_or_else(|| "fewer fields than expected".to_string())
    }

    fn number<N: std::str::FromStr>(&mut self) -> Result<N, String> {
        let text = self.next()?;
        text.parse().map_err(|_| format!("not a number: {text:?}"))
    }

    fn day(&mut self) -> Result<Day, String> {
        let text = self.next()?;
        iso_day(text)
            .map(Day)
            .ok_or_else(|| format!("not a date: {text:?}"))
    }

    fn word<W>(&mut self, read: impl Fn(&str) -> super::StoreResult<W>) -> Result<W, String> {
        read(self.next()?).map_err(|e| e.to_string())
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

/// Past this many lines, `states_of` works on two threads: a program's
/// lines take tens of milliseconds to put in order and assemble, while
/// the database, done with its part, leaves the other core idle.
const LINES_WORTH_A_THREAD: usize = 20_000;

/// Each loan's state from its lines, which may come in any order; loans
/// without a schedule are not in the map.
pub(super) fn states_of(
    mut installments: Vec<InstallmentLine>,
    mut allocations: Vec<AllocationLine>,
    mut adjustments: Vec<AdjustmentLine>,
) -> HashMap<LoanId, LoanState> {
    let threads = installments.len() + allocations.len() > LINES_WORTH_A_THREAD;
    // Payment lines: by date, then entry, as `assemble` asks, then
    // installment and component name.
    both(
        threads,
        || {
            allocations.sort_unstable_by_key(|&(loan, on, entry, n, c, _)| {
                (loan, on, entry, n, name_order(c))
            })
        },
        || {
            installments.sort_unstable_by_key(|&(loan, n, ..)| (loan, n));
            adjustments.sort_unstable_by_key(|&(loan, id, ..)| (loan, id));
        },
    );
    // Halves split between two loans.
    let mut middle = installments.len() / 2;
    while middle > 0
        && middle < installments.len()
        && installments[middle - 1].0 == installments[middle].0
    {
        middle += 1;
    }
    let (first, second) = installments.split_at(middle);
    let (mut states, more) = both(
        threads,
        || assembled(first, &allocations, &adjustments),
        || assembled(second, &allocations, &adjustments),
    );
    states.extend(more);
    states
}

/// `a` and `b`, on two threads when `threads`.
fn both<A: Send, B: Send>(
    threads: bool,
    a: impl FnOnce() -> A + Send,
    b: impl FnOnce() -> B + Send,
) -> (A, B) {
    if !threads {
        return (a(), b());
    }
    std::thread::scope(|scope| {
        let other = scope.spawn(a);
        let b = b();
        match other.join() {
            Ok(a) => (a, b),
            Err(panic) => std::panic::resume_unwind(panic),
        }
    })
}

/// The states of the loans of `installments`, with their lines among
/// `allocations` and `adjustments`; all three sorted by loan.
fn assembled(
    installments: &[InstallmentLine],
    mut allocations: &[AllocationLine],
    mut adjustments: &[AdjustmentLine],
) -> HashMap<LoanId, LoanState> {
    let mut states = HashMap::with_capacity(installments.len() / 8);
    for rows in installments.chunk_by(|a, b| a.0 == b.0) {
        let loan = rows[0].0;
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
        let paid = lines_of(loan, &mut allocations, |l| l.0)
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
        let adjusted = lines_of(loan, &mut adjustments, |l| l.0)
            .iter()
            .map(|&(_, _, n, c, kind, amount)| (n as u32, c, kind, amount))
            .collect();
        states.insert(loan, LoanState::assemble(schedule, paid, adjusted));
    }
    states
}

/// The lines of `loan` at the front of `lines` (sorted by loan), taken
/// off it; lines of loans before it, which have no schedule, are skipped.
fn lines_of<'a, T>(loan: LoanId, lines: &mut &'a [T], loan_of: impl Fn(&T) -> LoanId) -> &'a [T] {
    let start = lines.partition_point(|l| loan_of(l) < loan);
    let rest = &lines[start..];
    let end = rest.partition_point(|l| loan_of(l) == loan);
    let (mine, after) = rest.split_at(end);
    *lines = after;
    mine
}

/// Components in the order of their names, as the SQL that read payment
/// lines in order (`ORDER BY component`) gave them.
fn name_order(component: Component) -> u8 {
    match component {
        Component::Fee => 0,
        Component::Interest => 1,
        Component::Penalty => 2,
        Component::Principal => 3,
    }
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

    #[test]
    fn a_program_worth_two_threads_gives_each_loan_its_own_lines() {
        let loans: Vec<LoanId> = (1..=3_000).map(|k| k * 7 % 3_001).collect();
        let mut installments = Vec::new();
        let mut allocations = Vec::new();
        let mut adjustments = Vec::new();
        for &loan in loans.iter().rev() {
            let start = NaiveDate::from_ymd_opt(2026, 1, 5).unwrap();
            for n in (1..=8).rev() {
                let due = Day(start + chrono::Days::new(7 * n as u64));
                installments.push((loan, n, due, 100 + loan, 10, 0, 0));
                if (n as i64 + loan) % 3 != 0 {
                    let entry = loan * 100 + i64::from(n);
                    allocations.push((loan, due, entry, n, Component::Principal, 100 + loan));
                    allocations.push((loan, due, entry, n, Component::Interest, 10));
                }
            }
            if loan % 5 == 0 {
                adjustments.push((
                    loan,
                    loan,
                    2,
                    Component::Penalty,
                    AdjustmentKind::Charge,
                    25,
                ));
            }
        }
        assert!(installments.len() + allocations.len() > LINES_WORTH_A_THREAD);
        let together = states_of(
            installments.clone(),
            allocations.clone(),
            adjustments.clone(),
        );
        assert_eq!(together.len(), loans.len());
        for loan in loans {
            let mine = |l: LoanId| l == loan;
            let alone = states_of(
                installments.iter().filter(|l| mine(l.0)).copied().collect(),
                allocations.iter().filter(|l| mine(l.0)).copied().collect(),
                adjustments.iter().filter(|l| mine(l.0)).copied().collect(),
            );
            assert_eq!(together.get(&loan), alone.get(&loan), "loan {loan}");
            assert_eq!(together[&loan].installments.len(), 8);
        }
    }

    #[test]
    fn text_lines_are_read_field_by_field_and_checked() {
        let lines = text_lines(
            Some("7,2026-02-01,30,1,principal,100;7,2026-02-08,31,2,interest,-5"),
            allocation_fields,
        )
        .unwrap();
        assert_eq!(lines.len(), 2);
        let (loan, on, entry, n, c, amount) = lines[1];
        assert_eq!(
            (loan, on.0, entry, n, c, amount),
            (7, day("2026-02-08"), 31, 2, Component::Interest, -5)
        );
        assert!(text_lines(None, allocation_fields).unwrap().is_empty());
        for bad in [
            "7,2026-02-01,30,1,principal",
            "7,2026-02-01,30,1,principal,100,9",
            "7,1 Feb,30,1,principal,100",
            "7,2026-02-01,30,1,tip,100",
            "7,2026-02-01,thirty,1,principal,100",
            "7,2026-02-01,30,1,principal,99999999999999999999",
            "",
        ] {
            let error = text_lines(Some(bad), allocation_fields).err();
            assert!(
                matches!(error, Some(sqlx::Error::Decode(_))),
                "{bad:?} read"
            );
        }
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
