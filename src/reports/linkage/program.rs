//! Program-level linkage figures over many women. Only women who allow
//! linkage on the report date are in them; the others are only counted, as
//! not consented, so withdrawing consent takes a woman out of every figure
//! from the day she withdraws.
//!
//! # Definitions
//!
//! * **Detox band** of a business: months since her detox at its start (see
//!   [`super::recovery`]). Survival is per business, by the band of each
//!   business; income is per woman, anchored on her first business (the
//!   earliest started on or before the date) and its band.
//! * **Income at 6 and 12 months**: her income in the calendar month 6 (or
//!   12) months after the month her first business started, counted only
//!   when that month has begun and she recorded income for it (a month with
//!   no record is missing, not zero). Amounts are pooled over women.
//! * **Repayment by rehabilitation status** (her status on the date): over
//!   the loans disbursed by the date, collected against what fell due to the
//!   date (both net of waivers; advance payments on later installments are
//!   not counted), and PAR30 as [`crate::loans::portfolio`] defines it
//!   (principal outstanding of loans more than 30 days past due, over all
//!   principal outstanding).
//! * **Relapse in the year after the first loan**: among women whose first
//!   disbursement was 365 days or more before the date, the share with a
//!   relapse dated from that disbursement day to 365 days after it.

use super::calendar::{days_between, month_start_after, plus_days};
use super::facts::ClientFacts;
use super::income::{month_income, pooled_income_series, IncomeMonth};
use super::loans::{collection, disbursed_by};
use super::recovery::{detox_band, rehab_status, DetoxBand, RehabStatus};
use super::response::{response_times, ResponseRow};
use super::survival::{kaplan_meier, lifetime, Lifetime, SurvivalCurve};
use crate::loans::portfolio::par;
use crate::outcomes::Incident;
use chrono::{NaiveDate, NaiveTime};
use serde::Serialize;

/// Days after the first disbursement in which a relapse counts.
pub const RELAPSE_AFTER_LOAN_DAYS: i64 = 365;

/// Her income in one month after her first business started, pooled.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct IncomeAt {
    pub months_after_start: u32,
    /// Women with income recorded for that month.
    pub clients: u32,
    pub total: i64,
    pub outside_sex_work: i64,
    pub share_outside_sex_work: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BandOutcomes {
    pub band: DetoxBand,
    pub survival: SurvivalCurve,
    /// Women whose first business started in this band.
    pub women: u32,
    pub income_6_months: IncomeAt,
    pub income_12_months: IncomeAt,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StatusRepayment {
    pub status: RehabStatus,
    /// Women in this status on the date.
    pub women: u32,
    /// Of those, women with a loan disbursed by the date.
    pub borrowers: u32,
    pub loans: u32,
    pub due_to_date: i64,
    pub collected: i64,
    pub repayment_rate: Option<f64>,
    pub principal_outstanding: i64,
    pub at_risk_30: i64,
    pub par30: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RelapseAfterFirstLoan {
    pub window_days: i64,
    /// Women whose first disbursement was at least `window_days` ago.
    pub women: u32,
    pub relapsed: u32,
    pub share: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ProgramReport {
    pub as_of: NaiveDate,
    pub women_consented: u32,
    pub women_not_consented: u32,
    /// All businesses of consenting women.
    pub survival: SurvivalCurve,
    pub by_detox_band: Vec<BandOutcomes>,
    pub repayment_by_status: Vec<StatusRepayment>,
    pub relapse_after_first_loan: RelapseAfterFirstLoan,
    /// Program monthly income, pooled, for the trend chart.
    pub income_trend: Vec<IncomeMonth>,
    /// Incidents carry no client code: the response metric is about the
    /// advocacy teams, not about linked records.
    pub response: Vec<ResponseRow>,
}

fn count(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

fn ratio(part: i64, whole: i64) -> Option<f64> {
    // Display only.
    (whole > 0).then(|| part as f64 / whole as f64)
}

/// The women who allow linkage on the date, and how many do not.
pub fn consenting(clients: &[ClientFacts], as_of: NaiveDate) -> (Vec<&ClientFacts>, u32) {
    let (yes, no): (Vec<&ClientFacts>, Vec<&ClientFacts>) =
        clients.iter().partition(|c| c.allows_linkage(as_of));
    (yes, count(no.len()))
}

pub fn program_report(
    clients: &[ClientFacts],
    incidents: &[Incident],
    as_of: NaiveDate,
) -> ProgramReport {
    let (women, not_consented) = consenting(clients, as_of);
    let all_lifetimes: Vec<Lifetime> = women
        .iter()
        .flat_map(|c| c.businesses.iter().filter_map(|b| lifetime(b, as_of)))
        .collect();
    // The last second of the report day: cases and responses stamped that
    // day count. Built without arithmetic, so no date can overflow it.
    let last_second = NaiveTime::from_hms_opt(23, 59, 59).unwrap_or(NaiveTime::MIN);
    let end_of_day = as_of.and_time(last_second).and_utc();
    ProgramReport {
        as_of,
        women_consented: count(women.len()),
        women_not_consented: not_consented,
        survival: kaplan_meier(&all_lifetimes),
        by_detox_band: by_detox_band(&women, as_of),
        repayment_by_status: repayment_by_status(&women, as_of),
        relapse_after_first_loan: relapse_after_first_loan(&women, as_of),
        income_trend: pooled_income_series(women.iter().map(|c| c.incomes.as_slice()), as_of),
        response: response_times(incidents, end_of_day),
    }
}

fn income_at(women: &[(&ClientFacts, NaiveDate)], months: u32, as_of: NaiveDate) -> IncomeAt {
    let (mut clients, mut total, mut outside) = (0usize, 0i64, 0i64);
    for (c, started) in women {
        let Some(month) = month_start_after(*started, months).filter(|&m| m <= as_of) else {
            continue;
        };
        if let Some((t, o)) = month_income(&c.incomes, month) {
            clients += 1;
            total = total.saturating_add(t);
            outside = outside.saturating_add(o);
        }
    }
    IncomeAt {
        months_after_start: months,
        clients: count(clients),
        total,
        outside_sex_work: outside,
        share_outside_sex_work: ratio(outside, total),
    }
}

fn by_detox_band(women: &[&ClientFacts], as_of: NaiveDate) -> Vec<BandOutcomes> {
    DetoxBand::ALL
        .iter()
        .map(|&band| {
            let lifetimes: Vec<Lifetime> = women
                .iter()
                .flat_map(|c| {
                    c.businesses
                        .iter()
                        .filter(move |b| detox_band(c, b.business.started_on) == band)
                        .filter_map(|b| lifetime(b, as_of))
                })
                .collect();
            let first_business: Vec<(&ClientFacts, NaiveDate)> = women
                .iter()
                .filter_map(|c| {
                    let first = c
                        .businesses
                        .iter()
                        .map(|b| b.business.started_on)
                        .filter(|&s| s <= as_of)
                        .min()?;
                    (detox_band(c, first) == band).then_some((*c, first))
                })
                .collect();
            BandOutcomes {
                band,
                survival: kaplan_meier(&lifetimes),
                women: count(first_business.len()),
                income_6_months: income_at(&first_business, 6, as_of),
                income_12_months: income_at(&first_business, 12, as_of),
            }
        })
        .collect()
}

fn repayment_by_status(women: &[&ClientFacts], as_of: NaiveDate) -> Vec<StatusRepayment> {
    RehabStatus::ALL
        .iter()
        .map(|&status| {
            let in_status: Vec<&ClientFacts> = women
                .iter()
                .copied()
                .filter(|c| rehab_status(c, as_of) == status)
                .collect();
            let loans: Vec<_> = in_status
                .iter()
                .flat_map(|c| &c.loans)
                .filter(|l| disbursed_by(&l.loan, as_of).is_some())
                .collect();
            let (collected, due) = loans
                .iter()
                .map(|l| collection(&l.state, as_of))
                .fold((0i64, 0i64), |(c, d), (lc, ld)| {
                    (c.saturating_add(lc), d.saturating_add(ld))
                });
            let p = par(loans.iter().map(|l| &l.state), as_of);
            StatusRepayment {
                status,
                women: count(in_status.len()),
                borrowers: count(
                    in_status
                        .iter()
                        .filter(|c| {
                            c.loans
                                .iter()
                                .any(|l| disbursed_by(&l.loan, as_of).is_some())
                        })
                        .count(),
                ),
                loans: count(loans.len()),
                due_to_date: due,
                collected,
                repayment_rate: ratio(collected, due),
                principal_outstanding: p.principal_outstanding,
                at_risk_30: p.at_risk_30,
                par30: ratio(p.at_risk_30, p.principal_outstanding),
            }
        })
        .collect()
}

fn relapse_after_first_loan(women: &[&ClientFacts], as_of: NaiveDate) -> RelapseAfterFirstLoan {
    let window = u64::try_from(RELAPSE_AFTER_LOAN_DAYS).unwrap_or(365);
    let (mut eligible, mut relapsed) = (0usize, 0usize);
    for c in women {
        let Some(first) = c
            .loans
            .iter()
            .filter_map(|l| disbursed_by(&l.loan, as_of))
            .min()
        else {
            continue;
        };
        if days_between(first, as_of) < RELAPSE_AFTER_LOAN_DAYS {
            continue;
        }
        eligible += 1;
        let end = plus_days(first, window);
        if c.relapses.iter().any(|r| r.on >= first && r.on <= end) {
            relapsed += 1;
        }
    }
    RelapseAfterFirstLoan {
        window_days: RELAPSE_AFTER_LOAN_DAYS,
        women: count(eligible),
        relapsed: count(relapsed),
        share: ratio(
            i64::try_from(relapsed).unwrap_or(i64::MAX),
            i64::try_from(eligible).unwrap_or(i64::MAX),
        ),
    }
}
