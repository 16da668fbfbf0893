//! Each follow-up flag fires at its boundary and not a day before.

use super::*;
use crate::reports::linkage::client::every_loan_is_for_business;
use crate::reports::linkage::flags::{flags, Flag, FlagRule, FlagRules};

fn raised(c: &ClientFacts, as_of: NaiveDate, rule: FlagRule) -> Vec<Flag> {
    flags(c, as_of, &FlagRules::STANDARD, &every_loan_is_for_business)
        .into_iter()
        .filter(|f| f.rule == rule)
        .collect()
}

/// Disbursed 1 Jan 2026, 10,000 due 1 Jul, unpaid. 1 Jan + 90 days =
/// 1 Apr (31 + 28 + 31 = 90).
fn unbusinessed() -> ClientFacts {
    let mut c = woman(1, d(2025, 12, 1));
    c.loans
        .push(loan(7, d(2026, 1, 1), &[(d(2026, 7, 1), 10_000)], &[]));
    c
}

#[test]
fn a_business_loan_without_a_business_is_flagged_from_day_90() {
    let rule = FlagRule::BusinessLoanWithoutBusiness;
    let c = unbusinessed();
    assert!(raised(&c, d(2026, 3, 31), rule).is_empty(), "day 89");
    assert_eq!(
        raised(&c, d(2026, 4, 1), rule),
        vec![Flag {
            rule,
            since: d(2026, 4, 1),
            loan_id: Some(7),
            business_id: None,
        }]
    );
    // A caller whose rule says the loan is not for a business: no flag.
    let never = |_: &Loan| false;
    assert!(flags(&c, d(2026, 4, 1), &FlagRules::STANDARD, &never)
        .iter()
        .all(|f| f.rule != rule));
}

#[test]
fn a_business_naming_the_loan_clears_the_flag_from_its_start() {
    let rule = FlagRule::BusinessLoanWithoutBusiness;
    let mut c = unbusinessed();
    c.businesses.push(business(3, d(2026, 4, 2), vec![7], &[]));
    assert_eq!(raised(&c, d(2026, 4, 1), rule).len(), 1);
    assert!(raised(&c, d(2026, 4, 2), rule).is_empty());
    // A business that does not name the loan does not clear it.
    let mut other = unbusinessed();
    other
        .businesses
        .push(business(3, d(2026, 2, 1), vec![8], &[]));
    assert_eq!(raised(&other, d(2026, 4, 1), rule).len(), 1);
}

#[test]
fn a_repaid_loan_is_not_followed_up_for_a_business() {
    let mut c = woman(1, d(2025, 12, 1));
    c.loans.push(loan(
        7,
        d(2026, 1, 1),
        &[(d(2026, 2, 1), 10_000)],
        &[(d(2026, 2, 1), 1, 10_000)],
    ));
    assert!(raised(&c, d(2026, 4, 1), FlagRule::BusinessLoanWithoutBusiness).is_empty());
}

/// 1,000 due on the 1st of each month Feb..Jul 2026; Feb, Mar and Apr paid
/// on their due dates. Relapse 10 Apr; relapse + 30 days = 10 May; May's
/// installment (1 May) falls in the window, unpaid at the end of 10 Apr.
fn relapsed_with(payments_after: &[(NaiveDate, u32, i64)]) -> ClientFacts {
    let mut c = woman(1, d(2025, 12, 1));
    let dues: Vec<(NaiveDate, i64)> = (2..=7).map(|m| (d(2026, m, 1), 1_000)).collect();
    let mut payments = vec![
        (d(2026, 2, 1), 1, 1_000),
        (d(2026, 3, 1), 2, 1_000),
        (d(2026, 4, 1), 3, 1_000),
    ];
    payments.extend_from_slice(payments_after);
    c.loans.push(loan(7, d(2026, 1, 1), &dues, &payments));
    c.relapses.push(relapse(d(2026, 4, 10)));
    c
}

#[test]
fn no_payment_in_the_30_days_after_a_relapse_is_a_stall() {
    let rule = FlagRule::RepaymentStalledAfterRelapse;
    let c = relapsed_with(&[]);
    // 9 May: the window has not passed, and DPD (1 May -> 9 May) is 8.
    assert!(raised(&c, d(2026, 5, 9), rule).is_empty());
    assert_eq!(
        raised(&c, d(2026, 5, 10), rule),
        vec![Flag {
            rule,
            since: d(2026, 5, 10),
            loan_id: Some(7),
            business_id: None,
        }]
    );
    // A payment on the window's last day (10 May) is in time.
    let paid = relapsed_with(&[(d(2026, 5, 10), 4, 1_000)]);
    assert!(raised(&paid, d(2026, 6, 1), rule).is_empty());
    // One day later (11 May) is not: the stall was established on 10 May.
    let late = relapsed_with(&[(d(2026, 5, 11), 4, 1_000)]);
    assert_eq!(raised(&late, d(2026, 6, 1), rule)[0].since, d(2026, 5, 10));
}

#[test]
fn nothing_due_after_a_relapse_is_no_stall() {
    // May's installment paid early, on 5 Apr: at the end of 10 Apr nothing
    // due by 10 May is unpaid; June's falls after the window.
    let c = relapsed_with(&[(d(2026, 4, 5), 4, 1_000)]);
    assert!(raised(&c, d(2026, 5, 31), FlagRule::RepaymentStalledAfterRelapse).is_empty());
}

/// 1,000 due 1 Feb 2026, 500 of it paid in advance on 20 Jan (so a payment
/// falls in any window from early January, and the "no payment" branch
/// stays quiet). DPD counts from 1 Feb: 30 days on 3 Mar (28 + 2).
fn late_after(relapse_on: NaiveDate) -> ClientFacts {
    let mut c = woman(1, d(2025, 12, 1));
    c.loans.push(loan(
        7,
        d(2026, 1, 1),
        &[(d(2026, 2, 1), 1_000)],
        &[(d(2026, 1, 20), 1, 500)],
    ));
    c.relapses.push(relapse(relapse_on));
    c
}

#[test]
fn being_30_days_late_within_60_days_of_a_relapse_is_a_stall() {
    let rule = FlagRule::RepaymentStalledAfterRelapse;
    // Relapse 2 Jan: the window runs to 2 Jan + 60 = 3 Mar, the day DPD
    // reaches 30.
    let c = late_after(d(2026, 1, 2));
    assert!(raised(&c, d(2026, 3, 2), rule).is_empty(), "DPD 29");
    assert_eq!(raised(&c, d(2026, 3, 3), rule)[0].since, d(2026, 3, 3));
    // Relapse 1 Jan: the window ends 2 Mar, one day before DPD 30.
    let early = late_after(d(2026, 1, 1));
    assert!(raised(&early, d(2026, 6, 1), rule).is_empty());
}

/// Business 4 started 1 Feb 2026 with loan 7 (10,000 due 1 May).
fn closed_business(paid: i64, status: BusinessStatus) -> ClientFacts {
    let mut c = woman(1, d(2025, 12, 1));
    c.loans.push(loan(
        7,
        d(2026, 1, 15),
        &[(d(2026, 5, 1), 10_000)],
        &[(d(2026, 5, 1), 1, paid)],
    ));
    c.businesses.push(business(
        4,
        d(2026, 2, 1),
        vec![7],
        &[(d(2026, 6, 1), status)],
    ));
    c
}

#[test]
fn a_business_closed_while_its_loan_owes_anything_is_flagged() {
    let rule = FlagRule::BusinessClosedWithLoanOutstanding;
    let c = closed_business(9_999, BusinessStatus::Closed);
    assert!(
        raised(&c, d(2026, 5, 31), rule).is_empty(),
        "still operating"
    );
    assert_eq!(
        raised(&c, d(2026, 6, 1), rule),
        vec![Flag {
            rule,
            since: d(2026, 6, 1),
            loan_id: Some(7),
            business_id: Some(4),
        }]
    );
    assert!(raised(
        &closed_business(10_000, BusinessStatus::Closed),
        d(2026, 6, 1),
        rule
    )
    .is_empty());
    assert!(raised(
        &closed_business(9_999, BusinessStatus::Paused),
        d(2026, 6, 1),
        rule
    )
    .is_empty());
}

#[test]
fn a_review_is_overdue_after_90_days_counted_from_intake_when_there_is_none() {
    let rule = FlagRule::NoRecentReview;
    // Last review 1 Jan 2026: 1 Apr is day 90, 2 Apr day 91.
    let mut c = woman(1, d(2025, 12, 1));
    c.reviews.push(review(d(2026, 1, 1)));
    assert!(raised(&c, d(2026, 4, 1), rule).is_empty());
    assert_eq!(raised(&c, d(2026, 4, 2), rule)[0].since, d(2026, 4, 2));
    // Never reviewed: counted from her consent on 1 Jan 2026.
    let fresh = woman(2, d(2026, 1, 1));
    assert!(raised(&fresh, d(2026, 4, 1), rule).is_empty());
    assert_eq!(raised(&fresh, d(2026, 4, 2), rule).len(), 1);
}
