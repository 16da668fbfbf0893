//! The livelihood record: businesses, their status over time, and monthly
//! income by source, so the share earned outside sex work can be followed.

use super::{codes, past, OutcomeError, OutcomeResult};
use crate::ledger::LoanId;
use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};

codes!(BusinessKind {
    Pickles => "pickles",
    DryFish => "dry_fish",
    Catering => "catering",
    Tailoring => "tailoring",
    PettyShop => "petty_shop",
    Weaving => "weaving",
    Livestock => "livestock",
    Vending => "vending",
    Other => "other",
});
codes!(BusinessStatus {
    Operating => "operating",
    Paused => "paused",
    Closed => "closed",
});
codes!(IncomeSource {
    Business => "business",
    Wages => "wages",
    SexWork => "sex_work",
    Other => "other",
});

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Business {
    pub kind: BusinessKind,
    pub started_on: NaiveDate,
    /// The loans that funded it; a business may have had none, or several.
    pub loans: Vec<LoanId>,
}

impl Business {
    pub fn new(
        kind: BusinessKind,
        started_on: NaiveDate,
        mut loans: Vec<LoanId>,
        today: NaiveDate,
    ) -> OutcomeResult<Self> {
        loans.sort_unstable();
        loans.dedup();
        Ok(Business {
            kind,
            started_on: past("started_on", started_on, today)?,
            loans,
        })
    }
}

/// What a field visit found: the business operating, paused or closed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusCheck {
    pub on: NaiveDate,
    pub status: BusinessStatus,
}

impl StatusCheck {
    pub fn new(
        on: NaiveDate,
        status: BusinessStatus,
        business_started_on: NaiveDate,
        today: NaiveDate,
    ) -> OutcomeResult<Self> {
        if on < business_started_on {
            return Err(OutcomeError::new(
                "on",
                "cannot be before the business started",
            ));
        }
        Ok(StatusCheck {
            on: past("on", on, today)?,
            status,
        })
    }
}

/// The business's status on a date: the latest check on or before it, and
/// "operating" from its start until the first check says otherwise.
pub fn status_on(
    started_on: NaiveDate,
    checks: &[StatusCheck],
    on: NaiveDate,
) -> Option<BusinessStatus> {
    if on < started_on {
        return None;
    }
    checks
        .iter()
        .filter(|c| c.on <= on)
        .max_by_key(|c| c.on)
        .map(|c| c.status)
        .or(Some(BusinessStatus::Operating))
}

/// Income earned in one calendar month from one source, in minor units.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MonthlyIncome {
    /// The first day of the month.
    pub month: NaiveDate,
    pub source: IncomeSource,
    pub amount: i64,
}

/// The largest monthly income one source may record: 10 lakh rupees in
/// paise. Anything above is a typing slip in a program of petty businesses.
pub const MAX_MONTHLY_INCOME: i64 = 100_000_000;

impl MonthlyIncome {
    pub fn new(
        month: NaiveDate,
        source: IncomeSource,
        amount: i64,
        today: NaiveDate,
    ) -> OutcomeResult<Self> {
        let month = month.with_day(1).unwrap_or(month);
        if month > today {
            return Err(OutcomeError::new("month", "cannot be in the future"));
        }
        if !(0..=MAX_MONTHLY_INCOME).contains(&amount) {
            return Err(OutcomeError::new(
                "amount",
                "must be zero or more, and at most 10,00,000",
            ));
        }
        Ok(MonthlyIncome {
            month,
            source,
            amount,
        })
    }
}

/// Income outside sex work as a share of all income, over the records
/// given; `None` when nothing was earned (a share of nothing is not 0 %).
pub fn share_outside_sex_work(incomes: &[MonthlyIncome]) -> Option<f64> {
    let total: i64 = incomes.iter().map(|i| i.amount).sum();
    if total == 0 {
        return None;
    }
    let outside: i64 = incomes
        .iter()
        .filter(|i| i.source != IncomeSource::SexWork)
        .map(|i| i.amount)
        .sum();
    // A ratio for display; the amounts themselves stay integers.
    Some(outside as f64 / total as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, m, day).unwrap()
    }

    #[test]
    fn a_business_operates_from_its_start_until_a_check_says_otherwise() {
        let checks = [
            StatusCheck {
                on: d(5, 1),
                status: BusinessStatus::Paused,
            },
            StatusCheck {
                on: d(7, 1),
                status: BusinessStatus::Operating,
            },
            StatusCheck {
                on: d(9, 15),
                status: BusinessStatus::Closed,
            },
        ];
        assert_eq!(status_on(d(3, 1), &checks, d(2, 28)), None);
        assert_eq!(
            status_on(d(3, 1), &checks, d(3, 1)),
            Some(BusinessStatus::Operating)
        );
        assert_eq!(
            status_on(d(3, 1), &checks, d(6, 30)),
            Some(BusinessStatus::Paused)
        );
        assert_eq!(
            status_on(d(3, 1), &checks, d(9, 14)),
            Some(BusinessStatus::Operating)
        );
        assert_eq!(
            status_on(d(3, 1), &checks, d(11, 1)),
            Some(BusinessStatus::Closed)
        );
    }

    #[test]
    fn income_months_start_on_the_first_and_amounts_are_bounded() {
        let today = d(11, 24);
        let i = MonthlyIncome::new(d(10, 17), IncomeSource::Business, 450_000, today).unwrap();
        assert_eq!(i.month, d(10, 1));
        assert_eq!(
            MonthlyIncome::new(d(10, 1), IncomeSource::Wages, -1, today)
                .unwrap_err()
                .field,
            "amount"
        );
        assert_eq!(
            MonthlyIncome::new(d(12, 1), IncomeSource::Wages, 1, today)
                .unwrap_err()
                .field,
            "month"
        );
        // The current month may be recorded as it goes.
        assert!(MonthlyIncome::new(d(11, 30), IncomeSource::Wages, 1, today).is_ok());
    }

    #[test]
    fn the_share_outside_sex_work_counts_every_other_source() {
        let today = d(11, 24);
        let rec = |s, a| MonthlyIncome::new(d(10, 1), s, a, today).unwrap();
        let incomes = [
            rec(IncomeSource::Business, 300_000),
            rec(IncomeSource::Wages, 100_000),
            rec(IncomeSource::SexWork, 100_000),
        ];
        assert_eq!(share_outside_sex_work(&incomes), Some(0.8));
        assert_eq!(share_outside_sex_work(&[]), None);
    }
}
