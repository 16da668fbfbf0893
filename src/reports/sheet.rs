//! One table shape for every report, and the one CSV writer they all share.
//!
//! A report turns itself into a [`Sheet`] (a header row and typed cells);
//! [`Sheet::to_csv`] writes it. Amounts are written as plain decimals with
//! the currency's minor units (`1250.50`): no symbol, no grouping commas, so
//! a spreadsheet or a bank's upload reads them as numbers. Column names are
//! fixed snake_case English on purpose: tools match on them, whatever
//! language the person reading the page chose.

use crate::money::format_minor;
use chrono::NaiveDate;
use rust_decimal::Decimal;

/// One cell, typed so that every report formats the same kind of value the
/// same way.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cell {
    Text(String),
    /// Minor units of the book's currency.
    Money(i64),
    Count(i64),
    Date(NaiveDate),
    /// A fraction (0.925 for 92.5 %), written with four decimals.
    Ratio(Decimal),
    Empty,
}

impl Cell {
    pub fn text(s: impl Into<String>) -> Cell {
        Cell::Text(s.into())
    }

    pub fn date(d: Option<NaiveDate>) -> Cell {
        d.map_or(Cell::Empty, Cell::Date)
    }

    fn write(&self, minor_units: u32) -> String {
        match self {
            Cell::Text(s) => defuse_formula(s),
            Cell::Money(m) => format_minor(*m, minor_units),
            Cell::Count(n) => n.to_string(),
            Cell::Date(d) => d.format("%Y-%m-%d").to_string(),
            Cell::Ratio(r) => format!("{:.4}", r.round_dp(4)),
            Cell::Empty => String::new(),
        }
    }
}

/// Text that a spreadsheet would run as a formula (a member named
/// `=HYPERLINK(…)`) gets a leading apostrophe, so opening the file never
/// runs anything. Amounts are `Money` cells and keep their minus sign.
pub fn defuse_formula(s: &str) -> String {
    match s.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{s}"),
        _ => s.to_string(),
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sheet {
    pub header: Vec<&'static str>,
    pub rows: Vec<Vec<Cell>>,
}

#[derive(Debug, thiserror::Error)]
#[error("could not write the CSV: {0}")]
pub struct CsvError(String);

impl Sheet {
    pub fn new(header: &[&'static str]) -> Sheet {
        Sheet {
            header: header.to_vec(),
            rows: Vec::new(),
        }
    }

    pub fn push(&mut self, row: Vec<Cell>) {
        self.rows.push(row);
    }

    /// The sheet as CSV: a header row, then one record per row. Rows
    /// shorter than the header are padded with empty cells so every record
    /// has the same number of fields.
    pub fn to_csv(&self, minor_units: u32) -> Result<Vec<u8>, CsvError> {
        let mut w = csv::Writer::from_writer(Vec::new());
        w.write_record(&self.header)
            .map_err(|e| CsvError(e.to_string()))?;
        let width = self.header.len();
        for row in &self.rows {
            let mut fields: Vec<String> = row.iter().map(|c| c.write(minor_units)).collect();
            fields.resize(width.max(fields.len()), String::new());
            w.write_record(&fields)
                .map_err(|e| CsvError(e.to_string()))?;
        }
        w.into_inner().map_err(|e| CsvError(e.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_are_plain_decimals_and_text_is_quoted_when_it_must_be() {
        let mut s = Sheet::new(&["date", "memo", "amount", "share", "count"]);
        s.push(vec![
            Cell::Date(NaiveDate::from_ymd_opt(2026, 3, 5).unwrap_or_default()),
            Cell::text("tea, biscuits \"for 12\""),
            Cell::Money(125_050),
            Cell::Ratio(Decimal::new(925, 3)),
            Cell::Count(3),
        ]);
        s.push(vec![
            Cell::Empty,
            Cell::text("=HYPERLINK(\"x\")"),
            Cell::Money(-5),
        ]);
        let text = String::from_utf8(s.to_csv(2).unwrap_or_default()).unwrap_or_default();
        assert_eq!(
            text,
            "date,memo,amount,share,count\n\
             2026-03-05,\"tea, biscuits \"\"for 12\"\"\",1250.50,0.9250,3\n\
             ,\"'=HYPERLINK(\"\"x\"\")\",-0.05,,\n"
        );
    }

    #[test]
    fn a_currency_without_minor_units_writes_whole_numbers() {
        let mut s = Sheet::new(&["amount"]);
        s.push(vec![Cell::Money(1250)]);
        let text = String::from_utf8(s.to_csv(0).unwrap_or_default()).unwrap_or_default();
        assert_eq!(text, "amount\n1250\n");
    }
}
