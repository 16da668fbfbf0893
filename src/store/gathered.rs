//! Many rows read as one.
//!
//! sqlx hands each SQLite row from its worker thread to the caller's, and
//! for reads of thousands of rows (a program's loans, a meeting batch's
//! accounts) those hand-offs cost more than SQLite's own work. A select
//! that gathers its rows into one ([`Gathered::gather`]) is answered in one
//! hand-off and decoded here ([`AllRows`]). SQLite gathers rows into one
//! JSON array; PostgreSQL gathers what it builds and sends fastest: JSON
//! for small reads, one array per column for loans, one text for loan lines
//! (see `loan_lines`).

use super::shared::AccountRow;
use chrono::NaiveDate;
use serde::de::DeserializeOwned;
use sqlx::postgres::PgRow;
use sqlx::sqlite::SqliteRow;
use sqlx::{FromRow, Postgres, Row, Sqlite};

/// Rows that a backend gathers from many rows into one.
pub(super) trait Gathered<DB: sqlx::Database>: Sized {
    /// The select list gathering `columns` (comma-separated) of every row.
    fn gather(columns: &str) -> String;
    /// The rows gathered in the one row that select answers.
    fn ungather(row: &DB::Row) -> Result<Vec<Self>, sqlx::Error>;
}

/// Every row a gathering select gathered: what its one row decodes to.
pub(super) struct AllRows<T>(pub Vec<T>);

impl<'r, T: Gathered<Sqlite>> FromRow<'r, SqliteRow> for AllRows<T> {
    fn from_row(row: &'r SqliteRow) -> Result<Self, sqlx::Error> {
        T::ungather(row).map(AllRows)
    }
}

impl<'r, T: Gathered<Postgres>> FromRow<'r, PgRow> for AllRows<T> {
    fn from_row(row: &'r PgRow) -> Result<Self, sqlx::Error> {
        T::ungather(row).map(AllRows)
    }
}

impl<T: DeserializeOwned> Gathered<Sqlite> for T {
    fn gather(columns: &str) -> String {
        format!("json_group_array(json_array({columns}))")
    }

    fn ungather(row: &SqliteRow) -> Result<Vec<Self>, sqlx::Error> {
        json_rows(row.try_get(0)?)
    }
}

/// Rows PostgreSQL gathers as JSON too: they have free text, or are few.
macro_rules! gathered_as_json_on_postgres {
    ($($row:ty),+) => {$(
        impl Gathered<Postgres> for $row {
            fn gather(columns: &str) -> String {
                format!("CAST(json_agg(json_build_array({columns})) AS TEXT)")
            }

            fn ungather(row: &PgRow) -> Result<Vec<Self>, sqlx::Error> {
                json_rows(row.try_get(0)?)
            }
        }
    )+};
}

/// A bank loan's installment: borrowing, number, due date, principal, interest.
pub(super) type BorrowingInstallment = (i64, i32, NaiveDate, i64, i64);
/// A repayment line of a bank loan: borrowing, entry, paid on, installment,
/// component, amount.
pub(super) type BorrowingAllocation = (i64, i64, NaiveDate, i32, String, i64);

gathered_as_json_on_postgres!(
    AccountRow,
    (i64, i64, String),
    BorrowingInstallment,
    BorrowingAllocation
);

/// One `array_agg` per column: the aggregates of one select see the rows
/// in the same order, so the arrays line up.
pub(super) fn arrays_of(columns: &str) -> String {
    columns
        .split(',')
        .map(|c| format!("array_agg({})", c.trim()))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Column `i` of a row of `arrays_of`; NULL when no row matched.
pub(super) fn column<T>(row: &PgRow, i: usize) -> Result<Vec<T>, sqlx::Error>
where
    Vec<T>: for<'r> sqlx::Decode<'r, Postgres> + sqlx::Type<Postgres>,
{
    Ok(row.try_get::<Option<Vec<T>>, _>(i)?.unwrap_or_default())
}

pub(super) fn same_lengths(lengths: &[usize]) -> Result<usize, sqlx::Error> {
    let n = lengths.first().copied().unwrap_or(0);
    if lengths.iter().all(|&l| l == n) {
        Ok(n)
    } else {
        Err(corrupt(format!("gathered columns of lengths {lengths:?}")))
    }
}

/// The rows of a JSON array, or none when nothing matched (PostgreSQL's
/// `json_agg` of nothing is NULL).
pub(super) fn json_rows<T: DeserializeOwned>(json: Option<String>) -> Result<Vec<T>, sqlx::Error> {
    match json {
        None => Ok(Vec::new()),
        Some(text) => serde_json::from_str(&text).map_err(|e| corrupt(format!("rows: {e}"))),
    }
}

pub(super) fn corrupt(message: String) -> sqlx::Error {
    sqlx::Error::Decode(message.into())
}
