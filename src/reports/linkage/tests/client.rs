//! One woman's linked view: consent gate, loan figures, timeline.

use super::*;
use crate::outcomes::{IncomeSource, MonthlyIncome, Training};
use crate::outcomes::{OstChange, OstStatus};
use crate::reports::linkage::client::{client_report, every_loan_is_for_business, NotConsented};
use crate::reports::linkage::recovery::{detox_band, rehab_status, DetoxBand, RehabStatus};
use crate::reports::linkage::timeline::TimelineKind;

/// Loan 7: 3,000 in three installments of 1,000 due 1 Feb, 1 Mar, 1 Apr
/// 2026. Paid 1,000 on 1 Feb (on time) and 1,000 on 5 Mar (4 days late);
/// April's unpaid.
fn borrower() -> ClientFacts {
    let mut c = woman(1, d(2025, 12, 1));
    c.loans.push(loan(
        7,
        d(2026, 1, 10),
        &[
            (d(2026, 2, 1), 1_000),
            (d(2026, 3, 1), 1_000),
            (d(2026, 4, 1), 1_000),
        ],
        &[(d(2026, 2, 1), 1, 1_000), (d(2026, 3, 5), 2, 1_000)],
    ));
    c
}

#[test]
fn without_linkage_consent_the_linked_view_is_refused() {
    let mut c = borrower();
    c.consent.clear();
    assert_eq!(
        client_report(&c, d(2026, 4, 15), &every_loan_is_for_business),
        Err(NotConsented)
    );
    // Given, then withdrawn: refused from the day of withdrawal on.
    let mut w = borrower();
    w.consent.push(consent(false, d(2026, 4, 15)));
    assert!(client_report(&w, d(2026, 4, 14), &every_loan_is_for_business).is_ok());
    assert_eq!(
        client_report(&w, d(2026, 4, 15), &every_loan_is_for_business),
        Err(NotConsented)
    );
}

#[test]
fn the_loan_summary_is_worked_by_hand() {
    // As of 15 Apr: repaid 2,000; principal owed 1,000; April's installment
    // (1 Apr) unpaid -> 14 days past due. Due to date 3,000, collected
    // against it 2,000. On time: February only -> 1 of 3.
    let r = client_report(&borrower(), d(2026, 4, 15), &every_loan_is_for_business).unwrap();
    let l = &r.loans[0];
    assert_eq!(
        (l.principal, l.repaid, l.outstanding, l.days_past_due),
        (3_000, 2_000, 1_000, 14)
    );
    assert_eq!((l.due_to_date, l.collected_against_due), (3_000, 2_000));
    assert_eq!((l.installments_due, l.installments_on_time), (3, 1));
    assert_eq!(l.on_time_share, Some(1.0 / 3.0));
    assert_eq!(r.loans_total.outstanding, 1_000);
    // As of 4 Mar, payments after it do not count: March's is 3 days late.
    let earlier = client_report(&borrower(), d(2026, 3, 4), &every_loan_is_for_business).unwrap();
    assert_eq!(earlier.loans[0].repaid, 1_000);
    assert_eq!(earlier.loans[0].days_past_due, 3);
}

#[test]
fn the_timeline_is_in_date_order_and_carries_no_loan_purpose() {
    let mut c = borrower();
    c.detox
        .push(completed_detox(d(2025, 12, 1), d(2025, 12, 22)));
    c.training.push(Training {
        course: "Tailoring".to_string(),
        started_on: d(2026, 1, 5),
        ended_on: Some(d(2026, 3, 31)),
        completed: true,
    });
    c.businesses.push(business(4, d(2026, 2, 1), vec![7], &[]));
    c.incomes.push(MonthlyIncome {
        month: d(2026, 3, 1),
        source: IncomeSource::Business,
        amount: 3_000,
    });
    c.incomes.push(MonthlyIncome {
        month: d(2026, 3, 1),
        source: IncomeSource::SexWork,
        amount: 1_000,
    });
    let r = client_report(&c, d(2026, 4, 15), &every_loan_is_for_business).unwrap();
    let kinds: Vec<TimelineKind> = r.timeline.iter().map(|i| i.kind).collect();
    use TimelineKind as K;
    assert_eq!(
        kinds,
        vec![
            K::DetoxStarted,
            K::DetoxEnded,
            K::TrainingStarted,
            K::LoanDisbursed,
            K::LoanPayment,
            K::BusinessStarted,
            K::LoanPayment,
            K::TrainingEnded,
        ]
    );
    assert!(r.timeline.windows(2).all(|w| w[0].date <= w[1].date));
    let json = serde_json::to_string(&r).unwrap();
    assert!(!json.contains("secret"), "the loan purpose is not shown");
    assert!(json.contains("Tailoring"));
    // March: 4,000 earned, 3,000 outside sex work.
    assert_eq!(r.income[0].share_outside_sex_work, Some(0.75));
    assert_eq!(
        r.milestones.courses_completed,
        vec!["Tailoring".to_string()]
    );
    assert_eq!(r.milestones.months_since_detox, Some(3));
    assert_eq!(r.businesses[0].status, BusinessStatus::Operating);
}

#[test]
fn rehabilitation_status_puts_a_recent_relapse_first_then_ost_then_detox() {
    let as_of = d(2026, 6, 30);
    let mut c = woman(1, d(2025, 1, 1));
    assert_eq!(rehab_status(&c, as_of), RehabStatus::NoCompletedDetox);
    c.detox.push(completed_detox(d(2025, 1, 1), d(2025, 1, 21)));
    assert_eq!(rehab_status(&c, as_of), RehabStatus::DetoxCompleted);
    c.ost.push(OstChange {
        effective_on: d(2026, 1, 1),
        status: OstStatus::Started,
    });
    assert_eq!(rehab_status(&c, as_of), RehabStatus::OnOst);
    // 31 Mar -> 30 Jun is 91 days: not recent. 1 Apr is 90: recent.
    c.relapses.push(relapse(d(2026, 3, 31)));
    assert_eq!(rehab_status(&c, as_of), RehabStatus::OnOst);
    c.relapses.push(relapse(d(2026, 4, 1)));
    assert_eq!(rehab_status(&c, as_of), RehabStatus::RecentRelapse);
}

#[test]
fn detox_bands_count_whole_months_to_the_business_start() {
    let mut c = woman(1, d(2025, 1, 1));
    assert_eq!(detox_band(&c, d(2025, 7, 14)), DetoxBand::NoCompletedDetox);
    c.detox
        .push(completed_detox(d(2024, 12, 20), d(2025, 1, 15)));
    assert_eq!(detox_band(&c, d(2025, 7, 14)), DetoxBand::Under6Months);
    assert_eq!(detox_band(&c, d(2025, 7, 15)), DetoxBand::From6To12Months);
    assert_eq!(detox_band(&c, d(2026, 1, 14)), DetoxBand::From6To12Months);
    assert_eq!(detox_band(&c, d(2026, 1, 15)), DetoxBand::Over12Months);
}
