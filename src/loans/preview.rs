//! Schedule preview: terms as a person types them (decimal text) in, a
//! schedule with amounts as exact decimal strings out. Shared by
//! `sakhi schedule` and, later, `POST /api/v1/schedules/preview`.

use super::schedule::{
    generate, Amortization, Frequency, InterestMethod, InterestPeriod, LoanTerms, RatePer,
    Schedule, ScheduleError,
};
use crate::money::{format_minor, Currency, Money, Sign};
use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::Serialize;
use std::fmt::Write as _;
use std::str::FromStr;

/// Terms with amounts still as text, as they arrive from a flag or a form.
#[derive(Debug, Clone)]
pub struct PreviewRequest {
    pub principal: String,
    pub rate: String,
    pub rate_per: RatePer,
    pub installments: u32,
    pub every: u32,
    pub frequency: Frequency,
    pub method: InterestMethod,
    pub amortization: Amortization,
    pub interest_period: InterestPeriod,
    pub disbursed: NaiveDate,
    pub first_due: Option<NaiveDate>,
    pub grace_principal: u32,
    pub grace_interest: u32,
    pub interest_free: u32,
    /// `None`: the currency's minor unit.
    pub installment_multiple: Option<String>,
    pub currency: String,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PreviewError {
    #[error("--{flag}: {message}")]
    Field { flag: &'static str, message: String },
    #[error(transparent)]
    Schedule(#[from] ScheduleError),
}

fn field(flag: &'static str, message: impl ToString) -> PreviewError {
    PreviewError::Field {
        flag,
        message: message.to_string(),
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PreviewRow {
    pub number: u32,
    pub due_date: NaiveDate,
    pub principal: String,
    pub interest: String,
    pub total: String,
    pub balance: String,
}

/// The schedule as other tools read it: amounts as strings with exactly the
/// currency's decimals.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Preview {
    pub currency: Currency,
    pub installments: Vec<PreviewRow>,
    pub total_principal: String,
    pub total_interest: String,
    pub total_due: String,
}

impl PreviewRequest {
    pub fn terms(&self) -> Result<(LoanTerms, Currency), PreviewError> {
        let currency = Currency::from_code(&self.currency).map_err(|e| field("currency", e))?;
        let amount = |flag: &'static str, text: &str| {
            Money::parse(text, currency, Sign::Any)
                .map(Money::minor)
                .map_err(|e| field(flag, e))
        };
        let principal = amount("principal", &self.principal)?;
        let rate = Decimal::from_str(self.rate.trim()).map_err(|_| {
            field(
                "rate",
                format!(
                    "{:?} is not a number: write a percentage like 12 or 1.5",
                    self.rate
                ),
            )
        })?;
        let installment_multiple = match &self.installment_multiple {
            Some(text) => amount("installment-multiple", text)?,
            None => 1,
        };
        Ok((
            LoanTerms {
                principal,
                rate,
                rate_per: self.rate_per,
                installments: self.installments,
                every: self.every,
                frequency: self.frequency,
                method: self.method,
                amortization: self.amortization,
                interest_period: self.interest_period,
                disbursed: self.disbursed,
                first_due: self.first_due,
                grace_principal: self.grace_principal,
                grace_interest: self.grace_interest,
                interest_free: self.interest_free,
                installment_multiple,
                minor_units: currency.minor_units(),
            },
            currency,
        ))
    }

    pub fn preview(&self) -> Result<Preview, PreviewError> {
        let (terms, currency) = self.terms()?;
        Ok(Preview::new(&generate(&terms)?, currency))
    }
}

impl Preview {
    pub fn new(schedule: &Schedule, currency: Currency) -> Preview {
        let units = currency.minor_units();
        let text = |minor: i64| format_minor(minor, units);
        Preview {
            currency,
            installments: schedule
                .installments
                .iter()
                .map(|i| PreviewRow {
                    number: i.number,
                    due_date: i.due_date,
                    principal: text(i.principal),
                    interest: text(i.interest),
                    total: text(i.total),
                    balance: text(i.balance),
                })
                .collect(),
            total_principal: text(schedule.total_principal),
            total_interest: text(schedule.total_interest),
            total_due: text(schedule.total_due),
        }
    }

    /// A plain table for a terminal.
    pub fn table(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "{:>4}  {:<10}  {:>14}  {:>14}  {:>14}  {:>14}",
            "no", "due", "principal", "interest", "total", "balance"
        );
        for r in &self.installments {
            let _ = writeln!(
                out,
                "{:>4}  {:<10}  {:>14}  {:>14}  {:>14}  {:>14}",
                r.number, r.due_date, r.principal, r.interest, r.total, r.balance
            );
        }
        let _ = writeln!(
            out,
            "{:>4}  {:<10}  {:>14}  {:>14}  {:>14}",
            "", self.currency, self.total_principal, self.total_interest, self.total_due
        );
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fineract_reference() -> PreviewRequest {
        PreviewRequest {
            principal: "5000".into(),
            rate: "12".into(),
            rate_per: RatePer::Year,
            installments: 18,
            every: 1,
            frequency: Frequency::Month,
            method: InterestMethod::Declining,
            amortization: Amortization::EqualInstallments,
            interest_period: InterestPeriod::Repayment,
            disbursed: NaiveDate::from_ymd_opt(2022, 11, 1).unwrap(),
            first_due: None,
            grace_principal: 0,
            grace_interest: 0,
            interest_free: 0,
            installment_multiple: Some("1".into()),
            currency: "INR".into(),
        }
    }

    #[test]
    fn the_reference_loan_renders_as_the_issue_shows() {
        let p = fineract_reference().preview().unwrap();
        let json = serde_json::to_string(&p).unwrap();
        assert!(json.starts_with(
            "{\"currency\":\"INR\",\"installments\":[{\"number\":1,\"due_date\":\"2022-12-01\",\
             \"principal\":\"255.00\",\"interest\":\"50.00\",\"total\":\"305.00\",\"balance\":\"4745.00\"}"
        ), "{json}");
        assert!(json.ends_with(
            "\"total_principal\":\"5000.00\",\"total_interest\":\"488.22\",\"total_due\":\"5488.22\"}"
        ), "{json}");
    }

    #[test]
    fn text_fields_are_refused_with_the_flag_named() {
        let mut r = fineract_reference();
        r.principal = "5000.001".into();
        assert!(r
            .preview()
            .unwrap_err()
            .to_string()
            .starts_with("--principal: INR amounts have at most 2"));
        let mut r = fineract_reference();
        r.rate = "twelve".into();
        assert!(r
            .preview()
            .unwrap_err()
            .to_string()
            .starts_with("--rate: \"twelve\" is not a number"));
        let mut r = fineract_reference();
        r.currency = "XYZ".into();
        assert!(r
            .preview()
            .unwrap_err()
            .to_string()
            .starts_with("--currency: unknown currency"));
        let mut r = fineract_reference();
        r.principal = "0".into();
        assert_eq!(
            r.preview().unwrap_err().to_string(),
            "--principal must be greater than zero"
        );
    }

    #[test]
    fn the_table_shows_every_installment_and_the_totals() {
        let table = fineract_reference().preview().unwrap().table();
        assert_eq!(table.lines().count(), 1 + 18 + 1);
        assert!(table.contains("2022-12-01"));
        assert!(table.lines().last().unwrap().contains("5488.22"));
    }
}
