//! Reports built from loaded books: plain values in, text or JSON out.

pub mod export;

use crate::loans::portfolio::{dcb, monthly_periods, par_and_ageing, Ageing, DcbRow, Par};
use crate::loans::product::LoanStatus;
use crate::money::format_minor;
use crate::store::LoanWithState;
use chrono::NaiveDate;
use serde::Serialize;
use std::fmt::Write as _;

/// Portfolio quality of a group or of the whole program as of a date.
#[derive(Debug, Clone, Serialize)]
pub struct PortfolioReport {
    pub as_of: NaiveDate,
    pub active_loans: usize,
    pub par: Par,
    pub par1: String,
    pub par30: String,
    pub par90: String,
    pub ageing: Ageing,
    pub dcb: Vec<DcbRow>,
}

/// Active loans only: closed loans owe nothing and written-off loans have
/// left the portfolio.
pub fn portfolio(loans: &[LoanWithState], as_of: NaiveDate, from: NaiveDate) -> PortfolioReport {
    let active: Vec<&LoanWithState> = loans
        .iter()
        .filter(|l| l.loan.status == LoanStatus::Active)
        .collect();
    let (par, ageing) = par_and_ageing(active.iter().map(|l| &l.state), as_of);
    let periods = monthly_periods(from, as_of);
    let dcb = dcb(active.iter().map(|l| &l.state), &periods);
    let ratio = |days| format!("{:.4}", par.ratio(days));
    PortfolioReport {
        as_of,
        active_loans: active.len(),
        par1: ratio(1),
        par30: ratio(30),
        par90: ratio(90),
        par,
        ageing,
        dcb,
    }
}

impl PortfolioReport {
    pub fn text(&self, minor_units: u32) -> String {
        let m = |v: i64| format_minor(v, minor_units);
        let mut out = String::new();
        let _ = writeln!(
            out,
            "portfolio as of {}: {} active loans",
            self.as_of, self.active_loans
        );
        let _ = writeln!(
            out,
            "  principal outstanding  {:>14}",
            m(self.par.principal_outstanding)
        );
        let _ = writeln!(
            out,
            "  PAR1   {}   PAR30   {}   PAR90   {}",
            self.par1, self.par30, self.par90
        );
        let _ = writeln!(
            out,
            "  ageing (days past due)   loans   principal outstanding   overdue"
        );
        let a = &self.ageing;
        for (name, b) in [
            ("current", &a.current),
            ("1-30", &a.d1_30),
            ("31-60", &a.d31_60),
            ("61-90", &a.d61_90),
            ("91-180", &a.d91_180),
            ("over 180", &a.over_180),
        ] {
            let _ = writeln!(
                out,
                "    {name:<20} {:>7}   {:>21}   {:>7}",
                b.loans,
                m(b.principal_outstanding),
                m(b.overdue_total)
            );
        }
        let _ = writeln!(
            out,
            "  DCB   period                   opening    demand  advance-met  collected  in-advance   closing"
        );
        for r in &self.dcb {
            let _ = writeln!(
                out,
                "        {} .. {}  {:>9} {:>9} {:>12} {:>10} {:>11} {:>9}",
                r.period_start,
                r.period_end,
                m(r.opening_overdue),
                m(r.demand),
                m(r.advance_adjusted),
                m(r.collected_against_due),
                m(r.collected_in_advance),
                m(r.closing_overdue)
            );
        }
        out
    }
}
