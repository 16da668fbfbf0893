//! Program-level figures: consent, repayment by status, relapse after the
//! first loan, bands, and the program-only cross-tab.

use super::*;
use crate::outcomes::{IncomeSource, MonthlyIncome};
use crate::reports::linkage::crosstab::{rehab_status_by_loan_standing, LoanStanding};
use crate::reports::linkage::program::program_report;
use crate::reports::linkage::recovery::{DetoxBand, RehabStatus};
use crate::reports::suppression::ProgramScope;

/// Three borrowers with detox completed in 2025, each with a 2,000 loan of
/// two 1,000 installments due 1 Feb and 1 Mar 2026:
/// - woman 1 paid both on time;
/// - woman 2 paid February only;
/// - woman 3 paid nothing, and relapsed on 1 Mar 2026.
fn three() -> Vec<ClientFacts> {
    let dues = [(d(2026, 2, 1), 1_000), (d(2026, 3, 1), 1_000)];
    let mut out = Vec::new();
    for (n, payments) in [
        vec![(d(2026, 2, 1), 1, 1_000), (d(2026, 3, 1), 2, 1_000)],
        vec![(d(2026, 2, 1), 1, 1_000)],
        vec![],
    ]
    .into_iter()
    .enumerate()
    {
        let n = u32::try_from(n).unwrap() + 1;
        let mut c = woman(n, d(2025, 1, 1));
        c.detox.push(completed_detox(d(2025, 1, 1), d(2025, 1, 21)));
        c.loans
            .push(loan(i64::from(n), d(2026, 1, 1), &dues, &payments));
        out.push(c);
    }
    out[2].relapses.push(relapse(d(2026, 3, 1)));
    out
}

fn status(
    r: &crate::reports::linkage::ProgramReport,
    s: RehabStatus,
) -> &crate::reports::linkage::program::StatusRepayment {
    r.repayment_by_status
        .iter()
        .find(|x| x.status == s)
        .unwrap()
}

#[test]
fn repayment_rate_and_par30_by_rehabilitation_status_are_worked_by_hand() {
    // As of 15 Apr 2026. Detox completed (women 1, 2): due 4,000, collected
    // 3,000 -> 0.75. Woman 2 owes 1,000 from 1 Mar: DPD 45 > 30, so PAR30 =
    // 1,000 at risk of 1,000 outstanding = 1.0.
    // Recent relapse (woman 3, relapse 45 days ago): due 2,000, collected 0;
    // DPD from 1 Feb = 73, PAR30 = 2,000 / 2,000.
    let r = program_report(&three(), &[], d(2026, 4, 15));
    let done = status(&r, RehabStatus::DetoxCompleted);
    assert_eq!((done.women, done.borrowers, done.loans), (2, 2, 2));
    assert_eq!((done.due_to_date, done.collected), (4_000, 3_000));
    assert_eq!(done.repayment_rate, Some(0.75));
    assert_eq!(
        (done.principal_outstanding, done.at_risk_30),
        (1_000, 1_000)
    );
    assert_eq!(done.par30, Some(1.0));
    let relapsed = status(&r, RehabStatus::RecentRelapse);
    assert_eq!(
        (relapsed.women, relapsed.due_to_date, relapsed.collected),
        (1, 2_000, 0)
    );
    assert_eq!(relapsed.repayment_rate, Some(0.0));
    let none = status(&r, RehabStatus::NoCompletedDetox);
    assert_eq!(
        (none.women, none.repayment_rate, none.par30),
        (0, None, None)
    );
}

#[test]
fn withdrawing_consent_takes_a_woman_out_of_every_program_figure() {
    let mut women = three();
    women[1].consent.push(consent(false, d(2026, 4, 1)));
    // Before the withdrawal she is in; from its day on she is only counted.
    let before = program_report(&women, &[], d(2026, 3, 31));
    assert_eq!((before.women_consented, before.women_not_consented), (3, 0));
    let after = program_report(&women, &[], d(2026, 4, 15));
    assert_eq!((after.women_consented, after.women_not_consented), (2, 1));
    // Only woman 1 is left under "detox completed": 2,000 due, all paid.
    let done = status(&after, RehabStatus::DetoxCompleted);
    assert_eq!(
        (done.women, done.due_to_date, done.collected),
        (1, 2_000, 2_000)
    );
    assert_eq!(done.par30, None, "nothing outstanding");
    let table =
        rehab_status_by_loan_standing(ProgramScope::whole_program(), &women, d(2026, 4, 15));
    let total: u64 = table.cells.iter().flatten().sum();
    assert_eq!(total, 2);
}

#[test]
fn relapse_in_the_year_after_the_first_loan_counts_the_365th_day() {
    // First loans 1 Jan 2025; as of 1 Jan 2026 they are 365 days old.
    // Woman 1 relapsed on 1 Jan 2026 (day 365): counts. Woman 2 on 2 Jan
    // 2026 (day 366): does not (and is after the date anyway). Woman 3's
    // first loan (2 Jan 2025) is 364 days old: not yet eligible.
    let mut women = Vec::new();
    for (n, first, relapse_on) in [
        (1, d(2025, 1, 1), Some(d(2026, 1, 1))),
        (2, d(2025, 1, 1), Some(d(2026, 1, 2))),
        (3, d(2025, 1, 2), Some(d(2025, 6, 1))),
        (4, d(2025, 1, 1), None),
    ] {
        let mut c = woman(n, d(2024, 12, 1));
        c.loans
            .push(loan(i64::from(n), first, &[(d(2025, 2, 1), 1_000)], &[]));
        c.relapses.extend(relapse_on.map(relapse));
        women.push(c);
    }
    let r = program_report(&women, &[], d(2026, 1, 1)).relapse_after_first_loan;
    // Eligible: 1, 2, 4; relapsed within 365 days: woman 1 -> 1 / 3.
    assert_eq!((r.women, r.relapsed), (3, 1));
    assert_eq!(r.share, Some(1.0 / 3.0));
}

#[test]
fn bands_group_survival_by_business_and_income_by_woman() {
    // Woman 1: detox completed 21 Jan 2025, business 10 Mar 2025 (1 month
    // -> under 6), closed on 8 Jul 2025 (120 days). Income in September
    // 2025 (6 months after March): business 3,000 + sex work 1,000.
    // Woman 2: no detox, business 1 Mar 2025 operating, checked 1 Mar 2026
    // (365 days, censored).
    let mut w1 = woman(1, d(2025, 1, 1));
    w1.detox
        .push(completed_detox(d(2025, 1, 1), d(2025, 1, 21)));
    w1.businesses.push(business(
        1,
        d(2025, 3, 10),
        vec![],
        &[(d(2025, 7, 8), BusinessStatus::Closed)],
    ));
    for (source, amount) in [
        (IncomeSource::Business, 3_000),
        (IncomeSource::SexWork, 1_000),
    ] {
        w1.incomes.push(MonthlyIncome {
            month: d(2025, 9, 1),
            source,
            amount,
        });
    }
    let mut w2 = woman(2, d(2025, 1, 1));
    w2.businesses.push(business(
        2,
        d(2025, 3, 1),
        vec![],
        &[(d(2026, 3, 1), BusinessStatus::Operating)],
    ));
    let r = program_report(&[w1, w2], &[], d(2026, 3, 31));
    let band = |b| r.by_detox_band.iter().find(|x| x.band == b).unwrap();
    let under6 = band(DetoxBand::Under6Months);
    assert_eq!((under6.survival.businesses, under6.survival.closed), (1, 1));
    assert_eq!(under6.survival.at_6_months.survival, Some(0.0));
    assert_eq!(under6.income_6_months.clients, 1);
    assert_eq!(
        (
            under6.income_6_months.total,
            under6.income_6_months.outside_sex_work
        ),
        (4_000, 3_000)
    );
    assert_eq!(under6.income_6_months.share_outside_sex_work, Some(0.75));
    assert_eq!(
        under6.income_12_months.clients, 0,
        "no record for March 2026"
    );
    let none = band(DetoxBand::NoCompletedDetox);
    assert_eq!(none.survival.at_12_months.survival, Some(1.0));
    assert_eq!(none.survival.at_12_months.at_risk, 1);
    // Program-wide: day 120 one of two closes -> S = 1/2 from then on.
    assert_eq!(r.survival.at_6_months.survival, Some(0.5));
    assert_eq!(r.income_trend.len(), 1);
}

#[test]
fn the_cross_tab_puts_each_consenting_woman_in_one_cell() {
    // As of 15 Apr 2026: woman 1 repaid; woman 2 late over 30 days; woman 3
    // (recent relapse) late over 30 days.
    let t = rehab_status_by_loan_standing(ProgramScope::whole_program(), &three(), d(2026, 4, 15));
    let row = |s: RehabStatus| RehabStatus::ALL.iter().position(|&x| x == s).unwrap();
    let col = |s: LoanStanding| LoanStanding::ALL.iter().position(|&x| x == s).unwrap();
    assert_eq!(
        t.cells[row(RehabStatus::DetoxCompleted)][col(LoanStanding::Repaid)],
        1
    );
    assert_eq!(
        t.cells[row(RehabStatus::DetoxCompleted)][col(LoanStanding::LateOver30Days)],
        1
    );
    assert_eq!(
        t.cells[row(RehabStatus::RecentRelapse)][col(LoanStanding::LateOver30Days)],
        1
    );
    // Everything here is a small count: nothing of it leaves the program.
    let out = t.suppress();
    assert!(out
        .cells
        .iter()
        .flatten()
        .all(|c| c.shown().is_none_or(|n| n == 0)));
    assert!(out.grand_total.is_suppressed());
}
