//! Repayment schedule generator following Apache Fineract's cumulative
//! schedule engine conventions.
//!
//! All amounts are `i64` minor units (paise for INR). Rates are
//! [`Decimal`] percentages (`12` means 12 %). Every computation is done in
//! [`Decimal`] with checked arithmetic and every rounding is half-even
//! ([`RoundingStrategy::MidpointNearestEven`]), so no input can make
//! [`generate`] panic: broken terms and overflow come back as
//! [`ScheduleError`].
//!
//! # Conventions
//!
//! * **Per-period rate** `r` = annual rate / 12 × `every` for monthly
//!   repayments and annual rate / 52 × `every` for weekly ones. A rate stated
//!   per month counts as 12 × that rate a year.
//! * **Interest of a period** is charged on the principal outstanding at the
//!   start of the period: balance × `r` ([`InterestPeriod::Repayment`]) or
//!   balance × annual rate × days / 365 ([`InterestPeriod::Daily`], days from
//!   the previous due date, or disbursement, to this due date). Flat interest
//!   uses the original principal instead of the balance. Each period's
//!   interest is rounded half-even to the minor unit.
//! * **Declining, equal installments**: EMI = P·r / (1 − (1+r)^−m) over the
//!   m = installments − grace_principal amortizing periods (P / m when r = 0),
//!   rounded to the nearest installment multiple; principal part = EMI −
//!   interest charged for the period.
//! * **Equal principal** (declining or flat): principal part = P / m rounded
//!   half-even to the minor unit and then, when `installment_multiple` > 1,
//!   half-even to the nearest multiple (the interest varies per period, so
//!   the multiple is applied to the principal part, which stays equal).
//! * **Flat, equal installments**: installment = P / m + that period's
//!   interest, rounded to the nearest multiple; principal takes the
//!   difference. Total flat interest is the exact sum of the periods'
//!   interest rounded once; each period pays its own rounded interest and the
//!   last absorbs the residue (a period's interest is capped so that the
//!   running total never passes the rounded total, which keeps the last
//!   period's interest non-negative).
//! * **Principal grace** (`grace_principal` = g): the first g installments
//!   pay interest only.
//! * **Interest-free periods** (`interest_free` = f): the first f periods are
//!   charged no interest (flat total interest covers only the remaining
//!   periods). A declining EMI is not recomputed, so those installments pay
//!   the whole EMI as principal.
//! * **Interest payment grace** (`grace_interest` = k): the interest of the
//!   first k periods is charged (and amortization of the EMI proceeds as if it
//!   were paid, so principal parts are unchanged) but it is deferred, without
//!   interest on it, and collected in installment k + 1.
//! * A principal part is never negative and never more than the balance.
//!   The last installment repays the whole remaining balance, so the
//!   principal column sums exactly to the loan.
//! * **Due dates**: first due = `first_due`, or disbursement + one period
//!   (`every` weeks or months); installment k is due first due + (k − 1) ×
//!   `every` periods, always computed from the first due date, so a month end
//!   clamps (Jan 31 → Feb 28/29) without drifting (→ Mar 31).
//! * The `balance` column is the principal outstanding after the installment.
//! * Beyond the stated rules, terms are refused when `installments` exceeds
//!   [`MAX_INSTALLMENTS`] (bounds work and memory), when `minor_units`
//!   exceeds [`MAX_MINOR_UNITS`], when a due date leaves chrono's calendar, or
//!   when an amount overflows `i64`.

use std::fmt;
use std::str::FromStr;

use chrono::{Days, Months, NaiveDate};
use rust_decimal::prelude::ToPrimitive;
use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Deserialize, Serialize};
use thiserror::Error;

/// Longest accepted term, in installments (100 years of monthly repayments).
/// Bounds the work and memory one request can ask for.
pub const MAX_INSTALLMENTS: u32 = 1200;

/// Most minor units a currency may have: 10^18 still fits an `i64`.
pub const MAX_MINOR_UNITS: u32 = 18;

const ROUNDING: RoundingStrategy = RoundingStrategy::MidpointNearestEven;

/// The error returned when a CLI spelling of one of the schedule enums is
/// not recognised.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("{flag} must be one of: {accepted} (got '{got}')")]
pub struct ParseChoiceError {
    /// The CLI flag, e.g. `--rate-per`.
    pub flag: &'static str,
    /// The accepted spellings, comma separated.
    pub accepted: &'static str,
    /// What was given.
    pub got: String,
}

/// Defines a fieldless enum with kebab-case serde names, `as_str`,
/// `Display` and a `FromStr` accepting exactly those names.
macro_rules! choice_enum {
    (
        $(#[$meta:meta])*
        $name:ident, $flag:literal, $accepted:literal {
            $($(#[$vmeta:meta])* $variant:ident => $text:literal),+ $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[serde(rename_all = "kebab-case")]
        pub enum $name {
            $($(#[$vmeta])* $variant),+
        }

        impl $name {
            /// The CLI / JSON spelling.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $(Self::$variant => $text),+
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl FromStr for $name {
            type Err = ParseChoiceError;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s {
                    $($text => Ok(Self::$variant),)+
                    _ => Err(ParseChoiceError {
                        flag: $flag,
                        accepted: $accepted,
                        got: s.to_owned(),
                    }),
                }
            }
        }
    };
}

choice_enum! {
    /// What the stated rate is per.
    RatePer, "--rate-per", "year, month" {
        /// A nominal annual rate.
        Year => "year",
        /// A monthly rate; counts as 12 × the rate a year.
        Month => "month",
    }
}

choice_enum! {
    /// The unit of the repayment period (`every` of these).
    Frequency, "--frequency", "week, month" {
        /// Weekly; a year has 52 of them.
        Week => "week",
        /// Monthly; a year has 12 of them.
        Month => "month",
    }
}

choice_enum! {
    /// How interest is charged.
    InterestMethod, "--method", "flat, declining" {
        /// On the original principal for every period.
        Flat => "flat",
        /// On the principal outstanding at the start of each period.
        Declining => "declining",
    }
}

choice_enum! {
    /// How the installments are shaped.
    Amortization, "--amortization", "equal-installments, equal-principal" {
        /// Equal totals (EMI / flat installment); principal takes the rest.
        EqualInstallments => "equal-installments",
        /// Equal principal parts; interest varies.
        EqualPrincipal => "equal-principal",
    }
}

choice_enum! {
    /// How a period's interest is measured.
    InterestPeriod, "--interest-period", "repayment, daily" {
        /// A whole repayment period at the per-period rate.
        Repayment => "repayment",
        /// Actual days in the period at annual rate / 365 a day.
        Daily => "daily",
    }
}

/// Everything that determines a repayment schedule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoanTerms {
    /// Amount disbursed, minor units, > 0.
    pub principal: i64,
    /// Percent, >= 0, at most 100 % a month.
    pub rate: Decimal,
    pub rate_per: RatePer,
    /// Number of installments, 1..=[`MAX_INSTALLMENTS`].
    pub installments: u32,
    /// Repay every N weeks/months, >= 1.
    pub every: u32,
    pub frequency: Frequency,
    pub method: InterestMethod,
    pub amortization: Amortization,
    pub interest_period: InterestPeriod,
    pub disbursed: NaiveDate,
    /// Defaults to one period after disbursement.
    pub first_due: Option<NaiveDate>,
    /// The first N installments pay interest only.
    pub grace_principal: u32,
    /// The interest of the first N periods is deferred to installment N + 1.
    pub grace_interest: u32,
    /// The first N periods are charged no interest.
    pub interest_free: u32,
    /// EMI / flat installment (equal principal: the principal part) is
    /// rounded to a multiple of this many minor units, >= 1.
    pub installment_multiple: i64,
    /// Decimal places of the currency (INR = 2), at most [`MAX_MINOR_UNITS`].
    pub minor_units: u32,
}

/// One row of the schedule. Amounts are minor units.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Installment {
    /// 1-based.
    pub number: u32,
    pub due_date: NaiveDate,
    pub principal: i64,
    /// Interest collected with this installment (deferred interest included).
    pub interest: i64,
    /// `principal + interest`.
    pub total: i64,
    /// Principal outstanding after this installment.
    pub balance: i64,
}

/// A full repayment schedule. Amounts are minor units.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Schedule {
    pub installments: Vec<Installment>,
    /// Always equal to the loan's principal.
    pub total_principal: i64,
    pub total_interest: i64,
    pub total_due: i64,
}

/// Why terms were refused; one variant per rule.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ScheduleError {
    #[error("--principal must be greater than zero")]
    PrincipalNotPositive,
    #[error("--rate must not be negative")]
    RateNegative,
    #[error("--rate must not exceed 100% a month")]
    RateTooHigh,
    #[error("--installments must be at least 1")]
    NoInstallments,
    #[error("--installments must be at most {}", MAX_INSTALLMENTS)]
    TooManyInstallments,
    #[error("--every must be at least 1")]
    EveryZero,
    #[error("--installment-multiple must be a positive whole number of minor units")]
    InstallmentMultipleNotPositive,
    #[error("--minor-units must be at most {}", MAX_MINOR_UNITS)]
    MinorUnitsTooLarge,
    #[error("--first-due must be after --disbursed")]
    FirstDueNotAfterDisbursed,
    #[error("--grace-principal must be shorter than the term (installments)")]
    GracePrincipalTooLong,
    #[error("--grace-interest must be shorter than the term (installments)")]
    GraceInterestTooLong,
    #[error("--interest-free must be shorter than the term (installments)")]
    InterestFreeTooLong,
    #[error(
        "due dates fall outside the supported calendar: use an earlier --disbursed or --first-due, \
         or fewer --installments or a smaller --every"
    )]
    DateOutOfRange,
    #[error(
        "amounts overflow 64-bit minor units: use a smaller --principal, --rate or --installment-multiple"
    )]
    Overflow,
}

pub use crate::money::format_minor;

/// Generates the repayment schedule for `terms`.
pub fn generate(terms: &LoanTerms) -> Result<Schedule, ScheduleError> {
    validate(terms)?;
    let dates = due_dates(terms)?;
    let n = terms.installments;
    let amortizing = n - terms.grace_principal; // >= 1 after validation
    let principal = Decimal::from(terms.principal);
    let annual = annual_fraction(terms)?;
    let rate = per_period_rate(terms, annual)?;

    let charged = match terms.method {
        InterestMethod::Flat => Charged::Flat(flat_interest(terms, &dates, annual, rate)?),
        InterestMethod::Declining => Charged::Declining,
    };
    let principal_rule = match (terms.amortization, terms.method) {
        (Amortization::EqualPrincipal, _) => {
            PrincipalRule::Fixed(equal_principal_part(terms, amortizing)?)
        }
        (Amortization::EqualInstallments, InterestMethod::Declining) => {
            PrincipalRule::Emi(emi(terms, principal, rate, amortizing)?)
        }
        (Amortization::EqualInstallments, InterestMethod::Flat) => {
            PrincipalRule::FlatInstallment(div(principal, Decimal::from(amortizing))?)
        }
    };

    let mut rows = Vec::with_capacity(dates.len());
    let mut balance = terms.principal;
    let mut deferred: i64 = 0;
    let mut previous = terms.disbursed;
    let mut total_interest: i64 = 0;
    let mut total_due: i64 = 0;
    for (index, &due_date) in dates.iter().enumerate() {
        let number = u32::try_from(index + 1).map_err(|_| ScheduleError::Overflow)?;
        let interest_charged = if number <= terms.interest_free {
            0
        } else {
            match &charged {
                Charged::Flat(per_period) => per_period.get(index).copied().unwrap_or(0),
                Charged::Declining => {
                    let days = (due_date - previous).num_days();
                    period_interest(terms, Decimal::from(balance), annual, rate, days)?
                }
            }
        };

        let principal_part = if number == n {
            balance
        } else if number <= terms.grace_principal {
            0
        } else {
            let wanted = match principal_rule {
                PrincipalRule::Fixed(part) => part,
                PrincipalRule::Emi(emi) => emi
                    .checked_sub(interest_charged)
                    .ok_or(ScheduleError::Overflow)?,
                PrincipalRule::FlatInstallment(share) => {
                    let installment = add(share, Decimal::from(interest_charged))?;
                    round_to_multiple(installment, terms.installment_multiple)?
                        .checked_sub(interest_charged)
                        .ok_or(ScheduleError::Overflow)?
                }
            };
            wanted.clamp(0, balance)
        };

        let interest = if number <= terms.grace_interest {
            deferred = deferred
                .checked_add(interest_charged)
                .ok_or(ScheduleError::Overflow)?;
            0
        } else {
            let collected = interest_charged
                .checked_add(deferred)
                .ok_or(ScheduleError::Overflow)?;
            deferred = 0;
            collected
        };

        balance -= principal_part; // 0 <= principal_part <= balance
        let total = principal_part
            .checked_add(interest)
            .ok_or(ScheduleError::Overflow)?;
        total_interest = total_interest
            .checked_add(interest)
            .ok_or(ScheduleError::Overflow)?;
        total_due = total_due
            .checked_add(total)
            .ok_or(ScheduleError::Overflow)?;
        rows.push(Installment {
            number,
            due_date,
            principal: principal_part,
            interest,
            total,
            balance,
        });
        previous = due_date;
    }

    Ok(Schedule {
        installments: rows,
        total_principal: terms.principal,
        total_interest,
        total_due,
    })
}

/// Where a period's interest comes from.
enum Charged {
    /// Precomputed flat interest per period (already summing to the total).
    Flat(Vec<i64>),
    /// On the outstanding balance, computed as the schedule runs.
    Declining,
}

/// How a (non-grace, non-last) installment's principal part is found.
#[derive(Clone, Copy)]
enum PrincipalRule {
    /// The same principal every period (equal principal).
    Fixed(i64),
    /// EMI minus the period's interest (declining, equal installments).
    Emi(i64),
    /// (principal share + interest) rounded to the multiple, minus interest.
    FlatInstallment(Decimal),
}

fn validate(terms: &LoanTerms) -> Result<(), ScheduleError> {
    if terms.principal <= 0 {
        return Err(ScheduleError::PrincipalNotPositive);
    }
    if terms.installments < 1 {
        return Err(ScheduleError::NoInstallments);
    }
    if terms.installments > MAX_INSTALLMENTS {
        return Err(ScheduleError::TooManyInstallments);
    }
    if terms.every < 1 {
        return Err(ScheduleError::EveryZero);
    }
    if terms.rate < Decimal::ZERO {
        return Err(ScheduleError::RateNegative);
    }
    // Compare the monthly-equivalent rate with 100 % without dividing.
    let limit = match terms.rate_per {
        RatePer::Month => Decimal::ONE_HUNDRED,
        RatePer::Year => Decimal::from(1200),
    };
    if terms.rate > limit {
        return Err(ScheduleError::RateTooHigh);
    }
    if terms.installment_multiple < 1 {
        return Err(ScheduleError::InstallmentMultipleNotPositive);
    }
    if terms.minor_units > MAX_MINOR_UNITS {
        return Err(ScheduleError::MinorUnitsTooLarge);
    }
    if let Some(first_due) = terms.first_due {
        if first_due <= terms.disbursed {
            return Err(ScheduleError::FirstDueNotAfterDisbursed);
        }
    }
    if terms.grace_principal >= terms.installments {
        return Err(ScheduleError::GracePrincipalTooLong);
    }
    if terms.grace_interest >= terms.installments {
        return Err(ScheduleError::GraceInterestTooLong);
    }
    if terms.interest_free >= terms.installments {
        return Err(ScheduleError::InterestFreeTooLong);
    }
    Ok(())
}

/// `start` + `count` weeks or months (month ends clamp), `None` past the
/// calendar.
fn add_periods(start: NaiveDate, frequency: Frequency, count: u64) -> Option<NaiveDate> {
    match frequency {
        Frequency::Month => {
            let months = u32::try_from(count).ok()?;
            start.checked_add_months(Months::new(months))
        }
        Frequency::Week => start.checked_add_days(Days::new(count.checked_mul(7)?)),
    }
}

fn due_dates(terms: &LoanTerms) -> Result<Vec<NaiveDate>, ScheduleError> {
    let every = u64::from(terms.every);
    let first = match terms.first_due {
        Some(date) => date,
        None => add_periods(terms.disbursed, terms.frequency, every)
            .ok_or(ScheduleError::DateOutOfRange)?,
    };
    (0..u64::from(terms.installments))
        .map(|k| {
            k.checked_mul(every)
                .and_then(|periods| add_periods(first, terms.frequency, periods))
                .ok_or(ScheduleError::DateOutOfRange)
        })
        .collect()
}

/// The nominal annual rate as a fraction (12 % a year → 0.12; 1 % a month →
/// 0.12).
fn annual_fraction(terms: &LoanTerms) -> Result<Decimal, ScheduleError> {
    let fraction = div(terms.rate, Decimal::ONE_HUNDRED)?;
    match terms.rate_per {
        RatePer::Year => Ok(fraction),
        RatePer::Month => mul(fraction, Decimal::from(12)),
    }
}

/// annual / 12 × every (monthly) or annual / 52 × every (weekly), as a
/// fraction. Multiplies before dividing to keep monthly-stated rates exact.
fn per_period_rate(terms: &LoanTerms, annual: Decimal) -> Result<Decimal, ScheduleError> {
    div(
        mul(annual, Decimal::from(terms.every))?,
        Decimal::from(periods_a_year(terms.frequency)),
    )
}

fn periods_a_year(frequency: Frequency) -> u32 {
    match frequency {
        Frequency::Month => 12,
        Frequency::Week => 52,
    }
}

/// Exact (unrounded) interest on `base` for one period of `days` days.
fn exact_interest(
    terms: &LoanTerms,
    base: Decimal,
    annual: Decimal,
    rate: Decimal,
    days: i64,
) -> Result<Decimal, ScheduleError> {
    match terms.interest_period {
        InterestPeriod::Repayment => mul(base, rate),
        InterestPeriod::Daily => div(
            mul(mul(base, annual)?, Decimal::from(days))?,
            Decimal::from(365),
        ),
    }
}

/// A declining period's interest, rounded half-even to the minor unit.
fn period_interest(
    terms: &LoanTerms,
    balance: Decimal,
    annual: Decimal,
    rate: Decimal,
    days: i64,
) -> Result<i64, ScheduleError> {
    round_minor(exact_interest(terms, balance, annual, rate, days)?)
}

/// Flat interest per period: each period's own interest rounded half-even,
/// capped so the running total never passes the total, with the last period
/// taking the remainder. Interest-free periods get 0. The total is the exact
/// total rounded once, computed with a single division
/// (P × annual × every × charged periods / periods a year, or
/// P × annual × charged days / 365) so that no per-period truncation can move
/// it across a rounding midpoint.
fn flat_interest(
    terms: &LoanTerms,
    dates: &[NaiveDate],
    annual: Decimal,
    rate: Decimal,
) -> Result<Vec<i64>, ScheduleError> {
    let principal = Decimal::from(terms.principal);
    let mut exact = Vec::with_capacity(dates.len());
    let mut previous = terms.disbursed;
    let mut charged_periods: i64 = 0;
    let mut charged_days: i64 = 0;
    for (index, &due) in dates.iter().enumerate() {
        let days = (due - previous).num_days();
        let value = if (index as u64) < u64::from(terms.interest_free) {
            Decimal::ZERO
        } else {
            charged_periods += 1;
            charged_days = charged_days
                .checked_add(days)
                .ok_or(ScheduleError::Overflow)?;
            exact_interest(terms, principal, annual, rate, days)?
        };
        exact.push(value);
        previous = due;
    }
    let exact_total = match terms.interest_period {
        InterestPeriod::Repayment => div(
            mul(
                mul(principal, annual)?,
                Decimal::from(u64::from(terms.every) * charged_periods.unsigned_abs()),
            )?,
            Decimal::from(periods_a_year(terms.frequency)),
        )?,
        InterestPeriod::Daily => div(
            mul(mul(principal, annual)?, Decimal::from(charged_days))?,
            Decimal::from(365),
        )?,
    };
    let total = round_minor(exact_total)?;
    let mut charged = Vec::with_capacity(exact.len());
    let mut running: i64 = 0;
    let last = exact.len().saturating_sub(1);
    for (index, value) in exact.into_iter().enumerate() {
        // running <= total throughout, so this is never negative.
        let remaining = total.checked_sub(running).ok_or(ScheduleError::Overflow)?;
        let interest = if index == last {
            remaining
        } else {
            round_minor(value)?.min(remaining)
        };
        running = running
            .checked_add(interest)
            .ok_or(ScheduleError::Overflow)?;
        charged.push(interest);
    }
    Ok(charged)
}

/// P / m rounded half-even to the minor unit, then to the installment
/// multiple.
fn equal_principal_part(terms: &LoanTerms, amortizing: u32) -> Result<i64, ScheduleError> {
    let share = div(Decimal::from(terms.principal), Decimal::from(amortizing))?;
    let part = round_minor(share)?;
    if terms.installment_multiple > 1 {
        round_to_multiple(Decimal::from(part), terms.installment_multiple)
    } else {
        Ok(part)
    }
}

/// Annuity installment P·r / (1 − (1+r)^−m), rounded to the nearest
/// installment multiple; P / m when r = 0.
fn emi(
    terms: &LoanTerms,
    principal: Decimal,
    rate: Decimal,
    periods: u32,
) -> Result<i64, ScheduleError> {
    let exact = if rate.is_zero() {
        div(principal, Decimal::from(periods))?
    } else {
        // P·r / (1 − (1+r)^−m) = P·r · f / (f − 1) with f = (1+r)^m.
        let interest = mul(principal, rate)?;
        match pow(add(Decimal::ONE, rate)?, periods) {
            // So large that f / (f − 1) is 1 to Decimal's precision.
            None => interest,
            Some(growth) => {
                let denominator = growth
                    .checked_sub(Decimal::ONE)
                    .ok_or(ScheduleError::Overflow)?;
                if denominator.is_zero() {
                    // r too small to register in (1+r)^m: the zero-rate case.
                    div(principal, Decimal::from(periods))?
                } else {
                    mul(interest, div(growth, denominator)?)?
                }
            }
        }
    };
    round_to_multiple(exact, terms.installment_multiple)
}

/// `base`^`exponent` by squaring; `None` on overflow.
fn pow(base: Decimal, exponent: u32) -> Option<Decimal> {
    let mut result = Decimal::ONE;
    let mut square = base;
    let mut remaining = exponent;
    while remaining > 0 {
        if remaining & 1 == 1 {
            result = result.checked_mul(square)?;
        }
        remaining >>= 1;
        if remaining > 0 {
            square = square.checked_mul(square)?;
        }
    }
    Some(result)
}

fn round_minor(value: Decimal) -> Result<i64, ScheduleError> {
    value
        .round_dp_with_strategy(0, ROUNDING)
        .to_i64()
        .ok_or(ScheduleError::Overflow)
}

/// `value` rounded half-even to the nearest multiple of `multiple` (>= 1).
fn round_to_multiple(value: Decimal, multiple: i64) -> Result<i64, ScheduleError> {
    let step = Decimal::from(multiple);
    let count = div(value, step)?.round_dp_with_strategy(0, ROUNDING);
    round_minor(mul(count, step)?)
}

fn add(a: Decimal, b: Decimal) -> Result<Decimal, ScheduleError> {
    a.checked_add(b).ok_or(ScheduleError::Overflow)
}

fn mul(a: Decimal, b: Decimal) -> Result<Decimal, ScheduleError> {
    a.checked_mul(b).ok_or(ScheduleError::Overflow)
}

fn div(a: Decimal, b: Decimal) -> Result<Decimal, ScheduleError> {
    a.checked_div(b).ok_or(ScheduleError::Overflow)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Datelike;
    use proptest::prelude::*;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    /// The Fineract reference loan: 5000.00 INR, 12 % a year, 18 monthly
    /// declining EMIs rounded to whole rupees, disbursed 2022-11-01.
    fn reference() -> LoanTerms {
        LoanTerms {
            principal: 500_000,
            rate: Decimal::from(12),
            rate_per: RatePer::Year,
            installments: 18,
            every: 1,
            frequency: Frequency::Month,
            method: InterestMethod::Declining,
            amortization: Amortization::EqualInstallments,
            interest_period: InterestPeriod::Repayment,
            disbursed: date(2022, 11, 1),
            first_due: None,
            grace_principal: 0,
            grace_interest: 0,
            interest_free: 0,
            installment_multiple: 100,
            minor_units: 2,
        }
    }

    /// A small monthly loan: `principal` paise, 12 % a year (r = 1 % a
    /// month), `n` installments, disbursed 2023-01-15, multiple 1 paisa.
    fn small(
        principal: i64,
        n: u32,
        method: InterestMethod,
        amortization: Amortization,
    ) -> LoanTerms {
        LoanTerms {
            principal,
            installments: n,
            method,
            amortization,
            disbursed: date(2023, 1, 15),
            installment_multiple: 1,
            ..reference()
        }
    }

    /// (principal, interest, total, balance) of every row.
    fn rows(schedule: &Schedule) -> Vec<(i64, i64, i64, i64)> {
        schedule
            .installments
            .iter()
            .map(|row| (row.principal, row.interest, row.total, row.balance))
            .collect()
    }

    fn dates(schedule: &Schedule) -> Vec<NaiveDate> {
        schedule
            .installments
            .iter()
            .map(|row| row.due_date)
            .collect()
    }

    fn refused(terms: LoanTerms) -> ScheduleError {
        generate(&terms).unwrap_err()
    }

    #[test]
    fn declining_equal_installments_matches_fineract_reference() {
        // r = 12 % / 12 = 1 % a month, n = 18, P = 5000.00.
        // (1.01)^18 = 1.196147...; EMI = 5000 × 0.01 × 1.196147 / 0.196147
        //           = 304.910... → nearest whole rupee = 305.00.
        // Row 1: interest = 5000.00 × 1 % = 50.00; principal = 305 − 50 =
        //        255.00; balance 4745.00.
        // Row 2: interest = 4745.00 × 1 % = 47.45; principal 257.55;
        //        balance 4487.45.
        // Rows 1–17 each total 305.00 (17 × 305 = 5185.00); Fineract's total
        // due is 5488.22, so row 18 totals 5488.22 − 5185.00 = 303.22:
        // it repays the remaining 300.22 with 1 % interest 3.0022 → 3.00.
        let schedule = generate(&reference()).unwrap();
        let rows = rows(&schedule);
        assert_eq!(rows.len(), 18);
        assert_eq!(rows[0], (25_500, 5_000, 30_500, 474_500));
        assert_eq!(rows[1], (25_755, 4_745, 30_500, 448_745));
        for row in &rows[..17] {
            assert_eq!(row.2, 30_500);
        }
        assert_eq!(rows[17], (30_022, 300, 30_322, 0));
        assert_eq!(schedule.installments[0].due_date, date(2022, 12, 1));
        assert_eq!(schedule.installments[17].due_date, date(2024, 5, 1));
        assert_eq!(schedule.total_principal, 500_000);
        assert_eq!(schedule.total_interest, 48_822);
        assert_eq!(schedule.total_due, 548_822);
        assert_eq!(format_minor(schedule.total_due, 2), "5488.22");
        assert_eq!(format_minor(rows[0].2, 2), "305.00");
    }

    #[test]
    fn declining_equal_installments_to_the_paisa() {
        // P = 10000.00, r = 1 %, n = 3: (1.01)^3 = 1.030301;
        // EMI = 100.00 × 1.030301 / 0.030301 = 3400.2211... → 3400.22.
        // 1: interest 100.00, principal 3300.22, balance 6699.78
        // 2: interest 66.9978 → 67.00, principal 3333.22, balance 3366.56
        // 3: interest 33.6656 → 33.67, principal 3366.56, total 3400.23
        let terms = small(
            1_000_000,
            3,
            InterestMethod::Declining,
            Amortization::EqualInstallments,
        );
        let schedule = generate(&terms).unwrap();
        assert_eq!(
            rows(&schedule),
            vec![
                (330_022, 10_000, 340_022, 669_978),
                (333_322, 6_700, 340_022, 336_656),
                (336_656, 3_367, 340_023, 0),
            ]
        );
        assert_eq!(schedule.total_interest, 20_067);
    }

    #[test]
    fn emi_rounds_to_whole_rupees() {
        // Same loan with a 1-rupee multiple: 3400.2211 → 3400.00.
        // 1: interest 100.00, principal 3300.00, balance 6700.00
        // 2: interest 67.00, principal 3333.00, balance 3367.00
        // 3: interest 33.67, principal 3367.00 (residue), total 3400.67
        let terms = LoanTerms {
            installment_multiple: 100,
            ..small(
                1_000_000,
                3,
                InterestMethod::Declining,
                Amortization::EqualInstallments,
            )
        };
        let schedule = generate(&terms).unwrap();
        assert_eq!(
            rows(&schedule),
            vec![
                (330_000, 10_000, 340_000, 670_000),
                (333_300, 6_700, 340_000, 336_700),
                (336_700, 3_367, 340_067, 0),
            ]
        );
    }

    #[test]
    fn flat_interest_is_charged_on_the_original_principal() {
        // P = 1200.00, 12 % a year, 12 months: interest = 1200 × 1 % = 12.00
        // every month, principal 100.00, installment 112.00; total 144.00.
        let terms = small(
            120_000,
            12,
            InterestMethod::Flat,
            Amortization::EqualInstallments,
        );
        let schedule = generate(&terms).unwrap();
        for (k, row) in rows(&schedule).into_iter().enumerate() {
            let balance = 120_000 - 10_000 * (k as i64 + 1);
            assert_eq!(row, (10_000, 1_200, 11_200, balance));
        }
        assert_eq!(schedule.total_interest, 14_400);
        assert_eq!(schedule.total_due, 134_400);
    }

    #[test]
    fn flat_residues_land_on_the_last_installment() {
        // P = 1000.00, 10 % a year, 3 months: r = 0.1 / 12.
        // Interest a month = 1000.00 × 0.1 / 12 = 8.3333 → 8.33;
        // total = 1000.00 × 0.1 × 3 / 12 = 25.00 exactly, so the last
        // month carries 25.00 − 2 × 8.33 = 8.34.
        // Installment = 1000.00 / 3 + 8.33 = 341.6633 → 341.66, principal
        // 333.33; the last repays the remaining 333.34.
        let terms = LoanTerms {
            rate: Decimal::from(10),
            ..small(
                100_000,
                3,
                InterestMethod::Flat,
                Amortization::EqualInstallments,
            )
        };
        let schedule = generate(&terms).unwrap();
        assert_eq!(
            rows(&schedule),
            vec![
                (33_333, 833, 34_166, 66_667),
                (33_333, 833, 34_166, 33_334),
                (33_334, 834, 34_168, 0),
            ]
        );
        assert_eq!(schedule.total_interest, 2_500);
    }

    #[test]
    fn flat_installment_rounds_to_whole_rupees_with_principal_taking_the_difference() {
        // As above with a 1-rupee multiple: 341.6633 → 342.00, so principal
        // = 342.00 − 8.33 = 333.67 twice; balance 1000 − 667.34 = 332.66;
        // the last repays 332.66 + 8.34 interest = 341.00.
        let terms = LoanTerms {
            rate: Decimal::from(10),
            installment_multiple: 100,
            ..small(
                100_000,
                3,
                InterestMethod::Flat,
                Amortization::EqualInstallments,
            )
        };
        let schedule = generate(&terms).unwrap();
        assert_eq!(
            rows(&schedule),
            vec![
                (33_367, 833, 34_200, 66_633),
                (33_367, 833, 34_200, 33_266),
                (33_266, 834, 34_100, 0),
            ]
        );
        assert_eq!(schedule.total_due, 102_500);
    }

    #[test]
    fn equal_principal_charges_interest_on_the_declining_balance() {
        // P = 3000.00, 1 % a month, 3 months: principal 1000.00 each.
        // Interest: 3000 × 1 % = 30.00, 2000 × 1 % = 20.00, 1000 × 1 % = 10.00.
        let terms = small(
            300_000,
            3,
            InterestMethod::Declining,
            Amortization::EqualPrincipal,
        );
        let schedule = generate(&terms).unwrap();
        assert_eq!(
            rows(&schedule),
            vec![
                (100_000, 3_000, 103_000, 200_000),
                (100_000, 2_000, 102_000, 100_000),
                (100_000, 1_000, 101_000, 0),
            ]
        );
        assert_eq!(schedule.total_interest, 6_000);
    }

    #[test]
    fn equal_principal_rounds_the_principal_part_to_the_multiple() {
        // P = 1000.00, 3 months, multiple 1 rupee: 333.33 → 333.00 a month,
        // the last takes 334.00. Interest 1 % of 1000.00, 667.00, 334.00 =
        // 10.00, 6.67, 3.34.
        let terms = LoanTerms {
            installment_multiple: 100,
            ..small(
                100_000,
                3,
                InterestMethod::Declining,
                Amortization::EqualPrincipal,
            )
        };
        let schedule = generate(&terms).unwrap();
        assert_eq!(
            rows(&schedule),
            vec![
                (33_300, 1_000, 34_300, 66_700),
                (33_300, 667, 33_967, 33_400),
                (33_400, 334, 33_734, 0),
            ]
        );
    }

    #[test]
    fn weekly_every_two_weeks_uses_a_fifty_second_of_the_annual_rate() {
        // 26 % a year every 2 weeks: r = 0.26 / 52 × 2 = 1 %.
        // P = 4000.00 equal principal over 4: 1000.00 each, interest
        // 40.00, 30.00, 20.00, 10.00. Disbursed Mon 2024-01-01, due every
        // 14 days: Jan 15, Jan 29, Feb 12, Feb 26.
        let terms = LoanTerms {
            rate: Decimal::from(26),
            every: 2,
            frequency: Frequency::Week,
            disbursed: date(2024, 1, 1),
            ..small(
                400_000,
                4,
                InterestMethod::Declining,
                Amortization::EqualPrincipal,
            )
        };
        let schedule = generate(&terms).unwrap();
        assert_eq!(
            rows(&schedule),
            vec![
                (100_000, 4_000, 104_000, 300_000),
                (100_000, 3_000, 103_000, 200_000),
                (100_000, 2_000, 102_000, 100_000),
                (100_000, 1_000, 101_000, 0),
            ]
        );
        assert_eq!(
            dates(&schedule),
            vec![
                date(2024, 1, 15),
                date(2024, 1, 29),
                date(2024, 2, 12),
                date(2024, 2, 26)
            ]
        );
    }

    #[test]
    fn daily_interest_counts_the_days_in_each_period() {
        // P = 3600.00, 10 % a year, equal principal 1200.00 over 3 months,
        // disbursed 2023-01-01, due Feb 1 (31 days), Mar 1 (28), Apr 1 (31).
        // 1: 3600.00 × 0.10 × 31 / 365 = 30.5753 → 30.58
        // 2: 2400.00 × 0.10 × 28 / 365 = 18.4110 → 18.41
        // 3: 1200.00 × 0.10 × 31 / 365 = 10.1918 → 10.19
        let terms = LoanTerms {
            rate: Decimal::from(10),
            interest_period: InterestPeriod::Daily,
            disbursed: date(2023, 1, 1),
            ..small(
                360_000,
                3,
                InterestMethod::Declining,
                Amortization::EqualPrincipal,
            )
        };
        let schedule = generate(&terms).unwrap();
        assert_eq!(
            rows(&schedule),
            vec![
                (120_000, 3_058, 123_058, 240_000),
                (120_000, 1_841, 121_841, 120_000),
                (120_000, 1_019, 121_019, 0),
            ]
        );
        assert_eq!(schedule.total_interest, 5_918);
    }

    #[test]
    fn daily_flat_interest_counts_days_and_rounds_the_total_once() {
        // P = 3650.00 flat, 10 % a year, due Feb 1 (31 days), Mar 1 (28),
        // Apr 1 (31): 365000 × 0.1 / 365 = 100 paise a day, so interest
        // 31.00, 28.00, 31.00; total 3650.00 × 0.1 × 90 / 365 = 90.00.
        let terms = LoanTerms {
            rate: Decimal::from(10),
            interest_period: InterestPeriod::Daily,
            disbursed: date(2023, 1, 1),
            ..small(
                365_000,
                3,
                InterestMethod::Flat,
                Amortization::EqualPrincipal,
            )
        };
        let schedule = generate(&terms).unwrap();
        let interest: Vec<i64> = rows(&schedule).iter().map(|row| row.1).collect();
        assert_eq!(interest, vec![3_100, 2_800, 3_100]);
        assert_eq!(schedule.total_interest, 9_000);
    }

    #[test]
    fn principal_grace_pays_interest_only_then_amortizes_the_rest() {
        // P = 10000.00, 1 % a month, 3 installments, 1 of principal grace.
        // 1: interest only, 100.00.
        // EMI over the remaining 2: 100.00 × 1.0201 / 0.0201 = 5075.1243
        //    → 5075.12.
        // 2: interest 100.00, principal 4975.12, balance 5024.88
        // 3: interest 50.2488 → 50.25, principal 5024.88, total 5075.13
        let terms = LoanTerms {
            grace_principal: 1,
            ..small(
                1_000_000,
                3,
                InterestMethod::Declining,
                Amortization::EqualInstallments,
            )
        };
        let schedule = generate(&terms).unwrap();
        assert_eq!(
            rows(&schedule),
            vec![
                (0, 10_000, 10_000, 1_000_000),
                (497_512, 10_000, 507_512, 502_488),
                (502_488, 5_025, 507_513, 0),
            ]
        );
    }

    #[test]
    fn principal_grace_with_equal_principal_splits_over_the_remaining_periods() {
        // P = 3000.00, 1 % a month, 5 installments, 2 of grace: 30.00 interest
        // twice, then 1000.00 principal with 30.00, 20.00, 10.00 interest.
        let terms = LoanTerms {
            grace_principal: 2,
            ..small(
                300_000,
                5,
                InterestMethod::Declining,
                Amortization::EqualPrincipal,
            )
        };
        let schedule = generate(&terms).unwrap();
        assert_eq!(
            rows(&schedule),
            vec![
                (0, 3_000, 3_000, 300_000),
                (0, 3_000, 3_000, 300_000),
                (100_000, 3_000, 103_000, 200_000),
                (100_000, 2_000, 102_000, 100_000),
                (100_000, 1_000, 101_000, 0),
            ]
        );
    }

    #[test]
    fn interest_grace_defers_interest_to_the_first_installment_after_grace() {
        // P = 3000.00 equal principal, 1 % a month, 1 period of interest
        // grace. 1: 30.00 charged but deferred → pays principal only.
        // 2: its own 20.00 + deferred 30.00 = 50.00.  3: 10.00.
        let terms = LoanTerms {
            grace_interest: 1,
            ..small(
                300_000,
                3,
                InterestMethod::Declining,
                Amortization::EqualPrincipal,
            )
        };
        let schedule = generate(&terms).unwrap();
        assert_eq!(
            rows(&schedule),
            vec![
                (100_000, 0, 100_000, 200_000),
                (100_000, 5_000, 105_000, 100_000),
                (100_000, 1_000, 101_000, 0),
            ]
        );
        assert_eq!(schedule.total_interest, 6_000);
    }

    #[test]
    fn interest_grace_keeps_the_emi_amortization_and_collects_later() {
        // EMI loan of the to-the-paisa example (EMI 3400.22) with 2 periods of
        // interest grace: principal parts are unchanged (3300.22, 3333.22),
        // interest 100.00 and 67.00 is deferred, and installment 3 collects
        // 33.67 + 100.00 + 67.00 = 200.67 on top of its 3366.56 principal.
        let terms = LoanTerms {
            grace_interest: 2,
            ..small(
                1_000_000,
                3,
                InterestMethod::Declining,
                Amortization::EqualInstallments,
            )
        };
        let schedule = generate(&terms).unwrap();
        assert_eq!(
            rows(&schedule),
            vec![
                (330_022, 0, 330_022, 669_978),
                (333_322, 0, 333_322, 336_656),
                (336_656, 20_067, 356_723, 0),
            ]
        );
    }

    #[test]
    fn interest_free_periods_charge_no_interest() {
        // P = 3000.00 equal principal, 1 % a month, first period free:
        // interest 0, then 2000 × 1 % = 20.00, 1000 × 1 % = 10.00.
        let terms = LoanTerms {
            interest_free: 1,
            ..small(
                300_000,
                3,
                InterestMethod::Declining,
                Amortization::EqualPrincipal,
            )
        };
        let schedule = generate(&terms).unwrap();
        assert_eq!(
            rows(&schedule),
            vec![
                (100_000, 0, 100_000, 200_000),
                (100_000, 2_000, 102_000, 100_000),
                (100_000, 1_000, 101_000, 0),
            ]
        );
    }

    #[test]
    fn interest_free_periods_shrink_the_flat_total() {
        // P = 1200.00 flat, 1 % a month, 12 months, 2 free: 12.00 interest in
        // months 3–12 only, total 1200 × 1 % × 10 = 120.00. The free months'
        // installment is 100.00 + 0 = 100.00.
        let terms = LoanTerms {
            interest_free: 2,
            ..small(
                120_000,
                12,
                InterestMethod::Flat,
                Amortization::EqualInstallments,
            )
        };
        let schedule = generate(&terms).unwrap();
        let rows = rows(&schedule);
        assert_eq!(rows[0], (10_000, 0, 10_000, 110_000));
        assert_eq!(rows[1], (10_000, 0, 10_000, 100_000));
        assert_eq!(rows[2], (10_000, 1_200, 11_200, 90_000));
        assert_eq!(schedule.total_interest, 12_000);
    }

    #[test]
    fn month_ends_clamp_from_the_anchor_without_drifting() {
        // Disbursed Dec 31: Jan 31, Feb 29 (2024 is a leap year), Mar 31,
        // Apr 30 — each computed from Jan 31, so March is back on the 31st.
        let terms = LoanTerms {
            disbursed: date(2023, 12, 31),
            installments: 4,
            ..reference()
        };
        assert_eq!(
            dates(&generate(&terms).unwrap()),
            vec![
                date(2024, 1, 31),
                date(2024, 2, 29),
                date(2024, 3, 31),
                date(2024, 4, 30)
            ]
        );
        // Not a leap year: Feb 28.
        let terms = LoanTerms {
            disbursed: date(2022, 12, 31),
            installments: 3,
            ..reference()
        };
        assert_eq!(
            dates(&generate(&terms).unwrap()),
            vec![date(2023, 1, 31), date(2023, 2, 28), date(2023, 3, 31)]
        );
    }

    #[test]
    fn an_explicit_first_due_date_anchors_the_rest() {
        // Disbursed Jan 10, first due Jan 31 (21 days): then Feb 28, Mar 31.
        let terms = LoanTerms {
            disbursed: date(2023, 1, 10),
            first_due: Some(date(2023, 1, 31)),
            installments: 3,
            ..reference()
        };
        assert_eq!(
            dates(&generate(&terms).unwrap()),
            vec![date(2023, 1, 31), date(2023, 2, 28), date(2023, 3, 31)]
        );
    }

    #[test]
    fn zero_rate_splits_the_principal_evenly() {
        // P = 1000.00 at 0 %: EMI = 1000.00 / 3 = 333.33; last 333.34.
        let terms = LoanTerms {
            rate: Decimal::ZERO,
            ..small(
                100_000,
                3,
                InterestMethod::Declining,
                Amortization::EqualInstallments,
            )
        };
        let schedule = generate(&terms).unwrap();
        assert_eq!(
            rows(&schedule),
            vec![
                (33_333, 0, 33_333, 66_667),
                (33_333, 0, 33_333, 33_334),
                (33_334, 0, 33_334, 0),
            ]
        );
        // Whole rupees: 333.00, 333.00, 334.00.
        let schedule = generate(&LoanTerms {
            installment_multiple: 100,
            ..terms
        })
        .unwrap();
        let principal: Vec<i64> = rows(&schedule).iter().map(|row| row.0).collect();
        assert_eq!(principal, vec![33_300, 33_300, 33_400]);
        assert_eq!(schedule.total_interest, 0);
    }

    #[test]
    fn a_monthly_rate_is_used_as_stated_for_monthly_repayments() {
        // 1 % a month = 12 % a year: identical to the reference schedule.
        let terms = LoanTerms {
            rate: Decimal::ONE,
            rate_per: RatePer::Month,
            ..reference()
        };
        assert_eq!(generate(&terms).unwrap(), generate(&reference()).unwrap());
    }

    #[test]
    fn a_single_installment_repays_everything_at_once() {
        // P = 1000.00, 1 % a month, one month: 1000.00 + 10.00.
        let terms = small(
            100_000,
            1,
            InterestMethod::Declining,
            Amortization::EqualInstallments,
        );
        assert_eq!(
            rows(&generate(&terms).unwrap()),
            vec![(100_000, 1_000, 101_000, 0)]
        );
    }

    #[test]
    fn every_broken_rule_is_refused_with_its_own_error() {
        let base = reference;
        assert_eq!(
            refused(LoanTerms {
                principal: 0,
                ..base()
            }),
            ScheduleError::PrincipalNotPositive
        );
        assert_eq!(
            refused(LoanTerms {
                principal: -5,
                ..base()
            }),
            ScheduleError::PrincipalNotPositive
        );
        assert_eq!(
            refused(LoanTerms {
                rate: Decimal::NEGATIVE_ONE,
                ..base()
            }),
            ScheduleError::RateNegative
        );
        assert_eq!(
            refused(LoanTerms {
                rate: Decimal::new(10_001, 2),
                rate_per: RatePer::Month,
                ..base()
            }),
            ScheduleError::RateTooHigh
        );
        assert_eq!(
            refused(LoanTerms {
                rate: Decimal::new(120_001, 2),
                ..base()
            }),
            ScheduleError::RateTooHigh
        );
        assert_eq!(
            refused(LoanTerms {
                installments: 0,
                ..base()
            }),
            ScheduleError::NoInstallments
        );
        assert_eq!(
            refused(LoanTerms {
                installments: MAX_INSTALLMENTS + 1,
                ..base()
            }),
            ScheduleError::TooManyInstallments
        );
        assert_eq!(
            refused(LoanTerms { every: 0, ..base() }),
            ScheduleError::EveryZero
        );
        for multiple in [0, -100] {
            assert_eq!(
                refused(LoanTerms {
                    installment_multiple: multiple,
                    ..base()
                }),
                ScheduleError::InstallmentMultipleNotPositive
            );
        }
        assert_eq!(
            refused(LoanTerms {
                minor_units: 19,
                ..base()
            }),
            ScheduleError::MinorUnitsTooLarge
        );
        for first_due in [date(2022, 11, 1), date(2022, 10, 31)] {
            assert_eq!(
                refused(LoanTerms {
                    first_due: Some(first_due),
                    ..base()
                }),
                ScheduleError::FirstDueNotAfterDisbursed
            );
        }
        assert_eq!(
            refused(LoanTerms {
                grace_principal: 18,
                ..base()
            }),
            ScheduleError::GracePrincipalTooLong
        );
        assert_eq!(
            refused(LoanTerms {
                grace_interest: 18,
                ..base()
            }),
            ScheduleError::GraceInterestTooLong
        );
        assert_eq!(
            refused(LoanTerms {
                interest_free: 18,
                ..base()
            }),
            ScheduleError::InterestFreeTooLong
        );
        assert_eq!(
            refused(LoanTerms {
                disbursed: NaiveDate::MAX,
                ..base()
            }),
            ScheduleError::DateOutOfRange
        );
        assert_eq!(
            refused(LoanTerms {
                every: u32::MAX,
                ..base()
            }),
            ScheduleError::DateOutOfRange
        );
        // i64::MAX paise at 100 % a month: the first interest alone is
        // i64::MAX, so the installment overflows.
        assert_eq!(
            refused(LoanTerms {
                principal: i64::MAX,
                rate: Decimal::ONE_HUNDRED,
                rate_per: RatePer::Month,
                ..base()
            }),
            ScheduleError::Overflow
        );
    }

    #[test]
    fn limits_themselves_are_accepted() {
        // 100 % a month, grace one short of the term, the largest term.
        let terms = LoanTerms {
            rate: Decimal::ONE_HUNDRED,
            rate_per: RatePer::Month,
            grace_principal: 17,
            grace_interest: 17,
            interest_free: 17,
            ..reference()
        };
        assert!(generate(&terms).is_ok());
        let terms = LoanTerms {
            rate: Decimal::from(1200),
            installments: MAX_INSTALLMENTS,
            ..reference()
        };
        let schedule = generate(&terms).unwrap();
        assert_eq!(schedule.installments.last().unwrap().balance, 0);
    }

    #[test]
    fn error_messages_name_the_flag_and_what_it_accepts() {
        let cases = [
            (
                ScheduleError::PrincipalNotPositive,
                "--principal must be greater than zero",
            ),
            (
                ScheduleError::NoInstallments,
                "--installments must be at least 1",
            ),
            (
                ScheduleError::TooManyInstallments,
                "--installments must be at most 1200",
            ),
            (
                ScheduleError::GracePrincipalTooLong,
                "--grace-principal must be shorter than the term (installments)",
            ),
            (
                ScheduleError::GraceInterestTooLong,
                "--grace-interest must be shorter than the term (installments)",
            ),
            (
                ScheduleError::InterestFreeTooLong,
                "--interest-free must be shorter than the term (installments)",
            ),
            (
                ScheduleError::RateTooHigh,
                "--rate must not exceed 100% a month",
            ),
            (ScheduleError::RateNegative, "--rate must not be negative"),
            (ScheduleError::EveryZero, "--every must be at least 1"),
            (
                ScheduleError::InstallmentMultipleNotPositive,
                "--installment-multiple must be a positive whole number of minor units",
            ),
            (
                ScheduleError::FirstDueNotAfterDisbursed,
                "--first-due must be after --disbursed",
            ),
            (
                ScheduleError::MinorUnitsTooLarge,
                "--minor-units must be at most 18",
            ),
        ];
        for (error, message) in cases {
            assert_eq!(error.to_string(), message);
        }
        assert!(ScheduleError::Overflow.to_string().contains("--principal"));
        assert!(ScheduleError::DateOutOfRange
            .to_string()
            .contains("--installments"));
    }

    #[test]
    fn enums_parse_exactly_the_cli_spellings() {
        assert_eq!("year".parse::<RatePer>(), Ok(RatePer::Year));
        assert_eq!("month".parse::<RatePer>(), Ok(RatePer::Month));
        assert_eq!("week".parse::<Frequency>(), Ok(Frequency::Week));
        assert_eq!("month".parse::<Frequency>(), Ok(Frequency::Month));
        assert_eq!("flat".parse::<InterestMethod>(), Ok(InterestMethod::Flat));
        assert_eq!(
            "declining".parse::<InterestMethod>(),
            Ok(InterestMethod::Declining)
        );
        assert_eq!(
            "equal-installments".parse::<Amortization>(),
            Ok(Amortization::EqualInstallments)
        );
        assert_eq!(
            "equal-principal".parse::<Amortization>(),
            Ok(Amortization::EqualPrincipal)
        );
        assert_eq!(
            "repayment".parse::<InterestPeriod>(),
            Ok(InterestPeriod::Repayment)
        );
        assert_eq!("daily".parse::<InterestPeriod>(), Ok(InterestPeriod::Daily));
        for variant in [
            Amortization::EqualInstallments,
            Amortization::EqualPrincipal,
        ] {
            assert_eq!(variant.to_string().parse::<Amortization>(), Ok(variant));
        }
    }

    #[test]
    fn enum_parse_errors_list_what_is_accepted() {
        let cases = [
            (
                "Year".parse::<RatePer>().unwrap_err(),
                "--rate-per must be one of: year, month (got 'Year')",
            ),
            (
                "weekly".parse::<Frequency>().unwrap_err(),
                "--frequency must be one of: week, month (got 'weekly')",
            ),
            (
                "reducing".parse::<InterestMethod>().unwrap_err(),
                "--method must be one of: flat, declining (got 'reducing')",
            ),
            (
                "emi".parse::<Amortization>().unwrap_err(),
                "--amortization must be one of: equal-installments, equal-principal (got 'emi')",
            ),
            (
                "".parse::<InterestPeriod>().unwrap_err(),
                "--interest-period must be one of: repayment, daily (got '')",
            ),
        ];
        for (error, message) in cases {
            assert_eq!(error.to_string(), message);
        }
    }

    #[test]
    fn enums_serialize_in_kebab_case() {
        assert_eq!(
            serde_json::to_string(&Amortization::EqualInstallments).unwrap(),
            "\"equal-installments\""
        );
        assert_eq!(
            serde_json::from_str::<InterestPeriod>("\"daily\"").unwrap(),
            InterestPeriod::Daily
        );
        let terms = reference();
        let json = serde_json::to_string(&terms).unwrap();
        assert!(json.contains("\"equal-installments\""));
        assert_eq!(serde_json::from_str::<LoanTerms>(&json).unwrap(), terms);
    }

    #[test]
    fn format_minor_renders_plain_decimals() {
        assert_eq!(format_minor(30_500, 2), "305.00");
        assert_eq!(format_minor(548_822, 2), "5488.22");
        assert_eq!(format_minor(5, 2), "0.05");
        assert_eq!(format_minor(0, 2), "0.00");
        assert_eq!(format_minor(-5, 2), "-0.05");
        assert_eq!(format_minor(-123_456, 2), "-1234.56");
        assert_eq!(format_minor(1_234, 0), "1234");
        assert_eq!(format_minor(1_234, 3), "1.234");
        assert_eq!(format_minor(i64::MIN, 2), "-92233720368547758.08");
        assert_eq!(format_minor(i64::MAX, 18), "9.223372036854775807");
    }

    /// Valid terms over realistic ranges.
    fn valid_terms() -> impl Strategy<Value = LoanTerms> {
        (
            (
                1i64..=1_000_000_000_000,
                0i64..=10_000,
                prop_oneof![Just(RatePer::Year), Just(RatePer::Month)],
                1u32..=120,
                1u32..=4,
                prop_oneof![Just(Frequency::Week), Just(Frequency::Month)],
            ),
            (
                prop_oneof![Just(InterestMethod::Flat), Just(InterestMethod::Declining)],
                prop_oneof![
                    Just(Amortization::EqualInstallments),
                    Just(Amortization::EqualPrincipal)
                ],
                prop_oneof![Just(InterestPeriod::Repayment), Just(InterestPeriod::Daily)],
                0i64..20_000,
                proptest::option::of(1u64..=60),
                prop_oneof![Just(1i64), Just(5), Just(100), Just(1_000)],
            ),
            // Grace lengths as per-mille shares of the term (always shorter).
            (0u32..1000, 0u32..1000, 0u32..1000),
        )
            .prop_map(
                |(
                    (principal, rate_hundredths, rate_per, installments, every, frequency),
                    (method, amortization, interest_period, day, first_due_days, multiple),
                    (gp, gi, free),
                )| {
                    let disbursed = date(2000, 1, 1) + Days::new(day as u64);
                    // At most 100 % a month either way.
                    let rate = match rate_per {
                        RatePer::Year => Decimal::new(rate_hundredths * 12, 2),
                        RatePer::Month => Decimal::new(rate_hundredths, 2),
                    };
                    let below = |per_mille: u32| {
                        (u64::from(per_mille) * u64::from(installments) / 1000) as u32
                    };
                    LoanTerms {
                        principal,
                        rate,
                        rate_per,
                        installments,
                        every,
                        frequency,
                        method,
                        amortization,
                        interest_period,
                        disbursed,
                        first_due: first_due_days.map(|days| disbursed + Days::new(days)),
                        grace_principal: below(gp),
                        grace_interest: below(gi),
                        interest_free: below(free),
                        installment_multiple: multiple,
                        minor_units: 2,
                    }
                },
            )
    }

    /// Anything at all: extremes mixed with plausible values so that valid
    /// terms with extreme amounts, rates and dates are reached too.
    fn arbitrary_terms() -> impl Strategy<Value = LoanTerms> {
        let any_day = NaiveDate::MIN.num_days_from_ce()..=NaiveDate::MAX.num_days_from_ce();
        let day = prop_oneof![any_day.clone(), 700_000i32..=760_000]
            .prop_map(|day| NaiveDate::from_num_days_from_ce_opt(day).unwrap());
        let count = || prop_oneof![0u32..=3, 0u32..=1_300, any::<u32>()];
        let grace = || prop_oneof![2 => Just(0u32), 1 => count()];
        let rate = prop_oneof![
            (
                any::<u32>(),
                any::<u32>(),
                any::<u32>(),
                any::<bool>(),
                0u32..=28
            )
                .prop_map(|(lo, mid, hi, negative, scale)| {
                    Decimal::from_parts(lo, mid, hi, negative, scale)
                }),
            (-100i64..=120_000).prop_map(|hundredths| Decimal::new(hundredths, 2)),
            Just(Decimal::from(1200)),
            Just(Decimal::ONE_HUNDRED),
        ];
        (
            (
                prop_oneof![any::<i64>(), -10i64..=1_000_000, Just(i64::MAX)],
                rate,
                prop_oneof![Just(RatePer::Year), Just(RatePer::Month)],
                count(),
                count(),
                prop_oneof![Just(Frequency::Week), Just(Frequency::Month)],
            ),
            (
                prop_oneof![Just(InterestMethod::Flat), Just(InterestMethod::Declining)],
                prop_oneof![
                    Just(Amortization::EqualInstallments),
                    Just(Amortization::EqualPrincipal)
                ],
                prop_oneof![Just(InterestPeriod::Repayment), Just(InterestPeriod::Daily)],
                day.clone(),
                proptest::option::of(day),
                prop_oneof![any::<i64>(), -2i64..=1_000, Just(i64::MAX)],
            ),
            (grace(), grace(), grace(), prop_oneof![0u32..=4, 0u32..=40]),
        )
            .prop_map(
                |(
                    (principal, rate, rate_per, installments, every, frequency),
                    (method, amortization, interest_period, disbursed, first_due, multiple),
                    (grace_principal, grace_interest, interest_free, minor_units),
                )| LoanTerms {
                    principal,
                    rate,
                    rate_per,
                    installments,
                    every,
                    frequency,
                    method,
                    amortization,
                    interest_period,
                    disbursed,
                    first_due,
                    grace_principal,
                    grace_interest,
                    interest_free,
                    installment_multiple: multiple,
                    minor_units,
                },
            )
    }

    /// round_half_even(numerator / denominator) for positive denominators.
    fn div_half_even(numerator: i128, denominator: i128) -> i128 {
        let quotient = numerator / denominator;
        let twice_remainder = 2 * (numerator % denominator);
        match twice_remainder.cmp(&denominator) {
            std::cmp::Ordering::Less => quotient,
            std::cmp::Ordering::Greater => quotient + 1,
            std::cmp::Ordering::Equal => quotient + (quotient % 2),
        }
    }

    proptest! {
        #[test]
        fn principal_sums_exactly_to_the_loan(terms in valid_terms()) {
            let schedule = generate(&terms).unwrap();
            let principal: i64 = schedule.installments.iter().map(|row| row.principal).sum();
            prop_assert_eq!(principal, terms.principal);
            prop_assert_eq!(schedule.total_principal, terms.principal);
            let interest: i64 = schedule.installments.iter().map(|row| row.interest).sum();
            prop_assert_eq!(interest, schedule.total_interest);
            prop_assert_eq!(schedule.total_due, terms.principal + interest);
        }

        #[test]
        fn no_installment_part_is_negative(terms in valid_terms()) {
            let schedule = generate(&terms).unwrap();
            for row in &schedule.installments {
                prop_assert!(row.principal >= 0 && row.interest >= 0, "{:?}", row);
                prop_assert_eq!(row.total, row.principal + row.interest);
            }
        }

        #[test]
        fn balances_decrease_to_exactly_zero(terms in valid_terms()) {
            let schedule = generate(&terms).unwrap();
            let mut previous = terms.principal;
            for row in &schedule.installments {
                prop_assert_eq!(row.balance, previous - row.principal);
                prop_assert!(row.balance <= previous);
                previous = row.balance;
            }
            prop_assert_eq!(previous, 0);
        }

        #[test]
        fn there_is_one_row_per_installment_in_date_order(terms in valid_terms()) {
            let schedule = generate(&terms).unwrap();
            prop_assert_eq!(schedule.installments.len(), terms.installments as usize);
            let mut previous = terms.disbursed;
            for (k, row) in schedule.installments.iter().enumerate() {
                prop_assert_eq!(row.number as usize, k + 1);
                prop_assert!(row.due_date > previous);
                previous = row.due_date;
            }
        }

        #[test]
        fn flat_interest_sums_to_principal_times_rate_times_term_rounded_once(
            terms in valid_terms()
        ) {
            let terms = LoanTerms {
                method: InterestMethod::Flat,
                interest_period: InterestPeriod::Repayment,
                ..terms
            };
            let schedule = generate(&terms).unwrap();
            // Exact rational arithmetic: rate is percent with 2 decimals, so
            // P × (rate / 100) × every / periods a year × charged periods.
            let hundredths = terms.rate.mantissa()
                * 10i128.pow(2 - terms.rate.scale());
            let a_year = match terms.rate_per { RatePer::Year => 1, RatePer::Month => 12 };
            let periods = match terms.frequency { Frequency::Month => 12, Frequency::Week => 52 };
            let charged = i128::from(terms.installments - terms.interest_free);
            let numerator = i128::from(terms.principal) * hundredths * a_year
                * i128::from(terms.every) * charged;
            let expected = div_half_even(numerator, 10_000 * periods);
            prop_assert_eq!(i128::from(schedule.total_interest), expected);
        }

        #[test]
        fn generate_never_panics_on_arbitrary_input(terms in arbitrary_terms()) {
            if let Ok(schedule) = generate(&terms) {
                let principal: i64 = schedule.installments.iter().map(|row| row.principal).sum();
                prop_assert_eq!(principal, terms.principal);
                prop_assert_eq!(schedule.installments.last().map(|row| row.balance), Some(0));
            }
            let _ = format_minor(terms.principal, terms.minor_units);
        }
    }
}
