//! The program report as it may leave the program (exported or printed):
//! every count from 1 to 10 hidden, with whatever would give it back by
//! subtraction, and every rate or statistic over 10 or fewer women hidden
//! (see [`crate::reports::suppression`]).
//!
//! Breakdowns that add up to a shown total are suppressed as tables, so
//! their complements are chosen together. The survival curve leaves as
//! monthly readings only, without its per-day counts of closures, and each
//! reading is hidden once 10 or fewer businesses remain at risk. (A fall
//! between two readings with their numbers at risk still bounds how many
//! closed between them; the monthly grain keeps that from naming a day.)

use super::program::{IncomeAt, ProgramReport};
use super::response::ResponseRow;
use super::survival::SurvivalCurve;
use crate::reports::suppression::{count, share, statistic, Cell, CountTable, Rate};
use chrono::NaiveDate;
use serde::Serialize;

/// Months at which an exported survival curve is read.
pub const CURVE_MONTHS: u32 = 24;
/// Days per month on the survival curve's axis (365 / 12, rounded).
const DAYS_PER_MONTH: i64 = 30;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Breakdown {
    pub categories: Vec<&'static str>,
    pub counts: Vec<Cell>,
    pub total: Cell,
}

fn breakdown(categories: Vec<&'static str>, counts: Vec<u64>) -> Breakdown {
    let labels = categories.iter().map(|c| c.to_string()).collect();
    match CountTable::breakdown("", labels, counts.clone()) {
        Ok(table) => {
            let t = table.suppress();
            Breakdown {
                categories,
                counts: t.cells.into_iter().next().unwrap_or_default(),
                total: t.row_totals.first().copied().unwrap_or(Cell::Suppressed),
            }
        }
        // No categories: nothing to hide, and nothing to show.
        Err(_) => Breakdown {
            categories,
            counts: Vec::new(),
            total: count(counts.iter().sum()),
        },
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SurvivalExport {
    pub businesses: Cell,
    pub closed: Cell,
    pub at_6_months: Rate,
    pub at_12_months: Rate,
    /// `(month, S)` for months 1 to [`CURVE_MONTHS`].
    pub monthly: Vec<(u32, Rate)>,
}

fn survival(c: &SurvivalCurve) -> SurvivalExport {
    let open = u64::from(c.businesses);
    // Closed and still open add up to the businesses: protect them together.
    let parts = breakdown(
        vec!["closed", "open"],
        vec![
            u64::from(c.closed),
            open.saturating_sub(u64::from(c.closed)),
        ],
    );
    let hidden_total = parts.total.is_suppressed();
    let read = |survival: Option<f64>, at_risk: u32| {
        if hidden_total {
            Rate::Suppressed
        } else {
            statistic(survival, u64::from(at_risk))
        }
    };
    let monthly = (1..=CURVE_MONTHS)
        .map(|m| {
            let day = i64::from(m) * DAYS_PER_MONTH;
            (m, read(c.read_at(day), c.at_risk_on(day)))
        })
        .collect();
    SurvivalExport {
        businesses: parts.total,
        closed: parts.counts.first().copied().unwrap_or(Cell::Suppressed),
        at_6_months: read(c.at_6_months.survival, c.at_6_months.at_risk),
        at_12_months: read(c.at_12_months.survival, c.at_12_months.at_risk),
        monthly,
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct IncomeAtExport {
    pub months_after_start: u32,
    pub women: Cell,
    pub share_outside_sex_work: Rate,
}

fn income_at(i: &IncomeAt) -> IncomeAtExport {
    IncomeAtExport {
        months_after_start: i.months_after_start,
        women: count(u64::from(i.clients)),
        share_outside_sex_work: statistic(i.share_outside_sex_work, u64::from(i.clients)),
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BandExport {
    pub band: &'static str,
    pub survival: SurvivalExport,
    pub income_6_months: IncomeAtExport,
    pub income_12_months: IncomeAtExport,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StatusExport {
    pub status: &'static str,
    pub repayment_rate: Rate,
    pub par30: Rate,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RelapseExport {
    pub window_days: i64,
    /// Relapsed and not, of the women whose first loan is old enough.
    pub women: Breakdown,
    pub share: Rate,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct IncomeMonthExport {
    pub month: NaiveDate,
    pub women: Cell,
    pub share_outside_sex_work: Rate,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ResponseExport {
    pub advocacy_group: String,
    pub year: i32,
    pub quarter: u32,
    pub cases: Cell,
    /// Within 48 hours and not, of the cases whose 48 hours are decided.
    pub decided: Breakdown,
    pub share_within_48h: Rate,
    pub median_hours_to_response: Rate,
    pub p90_hours_to_response: Rate,
    pub median_hours_to_resolution: Rate,
    pub p90_hours_to_resolution: Rate,
}

fn response(r: &ResponseRow) -> ResponseExport {
    let (within, counted) = (u64::from(r.within_48h), u64::from(r.counted));
    ResponseExport {
        advocacy_group: r.advocacy_group.clone(),
        year: r.year,
        quarter: r.quarter,
        cases: count(u64::from(r.cases)),
        decided: breakdown(
            vec!["within_48h", "later_or_not_yet"],
            vec![within, counted.saturating_sub(within)],
        ),
        share_within_48h: share(within, counted),
        median_hours_to_response: statistic(r.median_hours_to_response, u64::from(r.responded)),
        p90_hours_to_response: statistic(r.p90_hours_to_response, u64::from(r.responded)),
        median_hours_to_resolution: statistic(r.median_hours_to_resolution, u64::from(r.resolved)),
        p90_hours_to_resolution: statistic(r.p90_hours_to_resolution, u64::from(r.resolved)),
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ProgramExport {
    pub as_of: NaiveDate,
    /// Consented and not consented, with the total.
    pub women: Breakdown,
    pub survival: SurvivalExport,
    /// Businesses by detox band, then each band's figures.
    pub businesses_by_band: Breakdown,
    pub by_detox_band: Vec<BandExport>,
    /// Women by rehabilitation status, then each status's figures.
    pub women_by_status: Breakdown,
    pub repayment_by_status: Vec<StatusExport>,
    pub relapse_after_first_loan: RelapseExport,
    pub income_trend: Vec<IncomeMonthExport>,
    pub response: Vec<ResponseExport>,
}

impl ProgramReport {
    /// The report as it may leave the program; see the module docs.
    pub fn export(&self) -> ProgramExport {
        let rel = &self.relapse_after_first_loan;
        let (relapsed, eligible) = (u64::from(rel.relapsed), u64::from(rel.women));
        ProgramExport {
            as_of: self.as_of,
            women: breakdown(
                vec!["consented", "not_consented"],
                vec![
                    u64::from(self.women_consented),
                    u64::from(self.women_not_consented),
                ],
            ),
            survival: survival(&self.survival),
            businesses_by_band: breakdown(
                self.by_detox_band.iter().map(|b| b.band.code()).collect(),
                self.by_detox_band
                    .iter()
                    .map(|b| u64::from(b.survival.businesses))
                    .collect(),
            ),
            by_detox_band: self
                .by_detox_band
                .iter()
                .map(|b| BandExport {
                    band: b.band.code(),
                    survival: survival(&b.survival),
                    income_6_months: income_at(&b.income_6_months),
                    income_12_months: income_at(&b.income_12_months),
                })
                .collect(),
            women_by_status: breakdown(
                self.repayment_by_status
                    .iter()
                    .map(|s| s.status.code())
                    .collect(),
                self.repayment_by_status
                    .iter()
                    .map(|s| u64::from(s.women))
                    .collect(),
            ),
            repayment_by_status: self
                .repayment_by_status
                .iter()
                .map(|s| StatusExport {
                    status: s.status.code(),
                    repayment_rate: statistic(s.repayment_rate, u64::from(s.borrowers)),
                    par30: statistic(s.par30, u64::from(s.borrowers)),
                })
                .collect(),
            relapse_after_first_loan: RelapseExport {
                window_days: rel.window_days,
                women: breakdown(
                    vec!["relapsed", "not_relapsed"],
                    vec![relapsed, eligible.saturating_sub(relapsed)],
                ),
                share: share(relapsed, eligible),
            },
            income_trend: self
                .income_trend
                .iter()
                .map(|m| IncomeMonthExport {
                    month: m.month,
                    women: count(u64::from(m.clients)),
                    share_outside_sex_work: statistic(
                        m.share_outside_sex_work,
                        u64::from(m.clients),
                    ),
                })
                .collect(),
            response: self.response.iter().map(response).collect(),
        }
    }
}
