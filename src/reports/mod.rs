//! Reports built from loaded books: plain values in, text, tables or CSV
//! out. Nothing here reads the database or knows about the web: the store
//! hands in trial balances, journals and loans; the pages and the CLI hand
//! the results to people.

pub mod cash_book;
pub mod grading;
pub mod ledgers;
pub mod sheet;
pub mod statements;

pub mod charts;

pub mod linkage;
pub mod suppression;

pub mod export;

use crate::loans::portfolio::{dcb, monthly_periods, par_and_ageing, Ageing, DcbRow, Par};
use crate::loans::product::LoanStatus;
use crate::money::format_minor;
use crate::store::LoanWithState;
use chrono::NaiveDate;
use serde::Serialize;
use sheet::{Cell, Sheet};
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
    /// The ageing buckets with PAR ratios: the PAR ageing sheet.
    pub fn par_sheet(&self) -> Sheet {
        let mut s = Sheet::new(&["bucket", "loans", "principal_outstanding", "overdue"]);
        for (name, b) in self.buckets() {
            s.push(vec![
                Cell::text(name),
                Cell::Count(i64::from(b.loans)),
                Cell::Money(b.principal_outstanding),
                Cell::Money(b.overdue_total),
            ]);
        }
        s.push(vec![
            Cell::text("total"),
            Cell::Count(i64::try_from(self.active_loans).unwrap_or(i64::MAX)),
            Cell::Money(self.par.principal_outstanding),
        ]);
        for (name, days, at_risk) in [
            ("par1", 1, self.par.at_risk_1),
            ("par30", 30, self.par.at_risk_30),
            ("par90", 90, self.par.at_risk_90),
        ] {
            s.push(vec![
                Cell::text(name),
                Cell::Empty,
                Cell::Money(at_risk),
                Cell::Ratio(self.par.ratio(days)),
            ]);
        }
        s
    }

    /// Ageing buckets in order, with their names (also the i18n key suffixes).
    pub fn buckets(&self) -> [(&'static str, &crate::loans::portfolio::Bucket); 6] {
        let a = &self.ageing;
        [
            ("current", &a.current),
            ("d1_30", &a.d1_30),
            ("d31_60", &a.d31_60),
            ("d61_90", &a.d61_90),
            ("d91_180", &a.d91_180),
            ("over_180", &a.over_180),
        ]
    }

    /// Demand, collection and balance per month.
    pub fn dcb_sheet(&self) -> Sheet {
        let mut s = Sheet::new(&[
            "period_start",
            "period_end",
            "opening_overdue",
            "demand",
            "advance_adjusted",
            "collected_against_due",
            "collected_in_advance",
            "closing_overdue",
        ]);
        for r in &self.dcb {
            s.push(vec![
                Cell::Date(r.period_start),
                Cell::Date(r.period_end),
                Cell::Money(r.opening_overdue),
                Cell::Money(r.demand),
                Cell::Money(r.advance_adjusted),
                Cell::Money(r.collected_against_due),
                Cell::Money(r.collected_in_advance),
                Cell::Money(r.closing_overdue),
            ]);
        }
        s
    }

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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::loans::product::{templates, Loan, LoanSource};
    use crate::loans::state::{InstallmentState, LoanState, Parts};

    fn d(m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, m, day).unwrap_or_default()
    }

    /// One active loan of 2,000: 1,000 principal due 1 March and 1 April,
    /// nothing paid. On 15 April it is 45 days past due.
    #[test]
    fn par_and_dcb_sheets_of_one_late_loan() {
        let inst = |number, due_date| InstallmentState {
            number,
            due_date,
            due: Parts {
                principal: 100_000,
                ..Parts::default()
            },
            paid: Parts::default(),
            waived: Parts::default(),
        };
        let loan = Loan {
            id: 1,
            group_id: 1,
            member_id: 1,
            product_id: None,
            source: LoanSource::GroupFund,
            purpose: "vegetables".into(),
            principal: 200_000,
            settings: templates()[0].1.clone(),
            status: LoanStatus::Active,
            applied_on: d(2, 1),
            approved_on: Some(d(2, 1)),
            resolution: None,
            disbursed_on: Some(d(2, 1)),
            disbursement_entry_id: Some(1),
            closed_on: None,
            schedule_version: 1,
        };
        let loans = [LoanWithState {
            loan,
            state: LoanState {
                installments: vec![inst(1, d(3, 1)), inst(2, d(4, 1))],
                payments: vec![],
            },
        }];
        let r = portfolio(&loans, d(4, 15), d(3, 1));
        let par =
            String::from_utf8(r.par_sheet().to_csv(2).unwrap_or_default()).unwrap_or_default();
        assert!(par.contains("\nd31_60,1,2000.00,2000.00\n"), "{par}");
        assert!(
            par.contains("\npar30,,2000.00,1.0000\npar90,,0.00,0.0000\n"),
            "{par}"
        );
        let dcb =
            String::from_utf8(r.dcb_sheet().to_csv(2).unwrap_or_default()).unwrap_or_default();
        // March: 1,000 falls due, nothing collected. 1-15 April: another
        // 1,000, closing with 2,000 overdue.
        assert_eq!(
            dcb.lines().skip(1).collect::<Vec<_>>(),
            [
                "2026-03-01,2026-03-31,0.00,1000.00,0.00,0.00,0.00,1000.00",
                "2026-04-01,2026-04-15,1000.00,1000.00,0.00,0.00,0.00,2000.00",
            ]
        );
    }
}
