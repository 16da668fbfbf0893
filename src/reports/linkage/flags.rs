//! Follow-up flags on one woman's linked record. Each rule is written down
//! here and its thresholds are data ([`FlagRules`]), so a page can say why
//! a flag is raised and tests can walk each boundary.
//!
//! # Rules (with the standard thresholds)
//!
//! * [`FlagRule::BusinessLoanWithoutBusiness`]: a business loan, disbursed
//!   90 days or more before the date and with something still owed, that no
//!   business started on or before the date names as one of its loans. A
//!   repaid or written-off loan is not followed up. Raised from disbursement
//!   + 90 days.
//! * [`FlagRule::RepaymentStalledAfterRelapse`]: a relapse, and a loan with
//!   something still owed as of the date, where either
//!   - **no payment**: at the end of the relapse day an installment due on
//!     or before relapse + 30 days was unpaid, and no payment on that loan is
//!     dated in the 30 days after the relapse day (relapse + 1 ..= relapse +
//!     30). Decided once those 30 days have passed; raised from relapse + 30;
//!   - **late**: the loan is 30 or more days past due on some day from the
//!     relapse day to relapse + 60 days (and not after the date). Raised from
//!     the first such day.
//!
//!   One flag per relapse and loan, raised from the earlier of the two.
//! * [`FlagRule::BusinessClosedWithLoanOutstanding`]: a business whose
//!   status on the date is closed, with one of its loans still owing
//!   anything. Raised from the check that found it closed.
//! * [`FlagRule::NoRecentReview`]: more than 90 days since her last review,
//!   or, when she has never had one, since she first consented to anything
//!   (her intake). Raised from the 91st day.

use super::calendar::{days_between, plus_days};
use super::facts::ClientFacts;
use super::loans::{disbursed_by, owed_as_of, unpaid_due_by};
use crate::ledger::LoanId;
use crate::loans::portfolio::arrears;
use crate::loans::product::Loan;
use crate::outcomes::livelihood::status_on;
use crate::outcomes::BusinessStatus;
use crate::store::LoanWithState;
use chrono::NaiveDate;
use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FlagRule {
    BusinessLoanWithoutBusiness,
    RepaymentStalledAfterRelapse,
    BusinessClosedWithLoanOutstanding,
    NoRecentReview,
}

/// The thresholds of the flag rules, in days.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct FlagRules {
    /// Days after disbursement by which a business loan should have a
    /// business.
    pub business_after_loan_days: u64,
    /// Days after a relapse in which a payment is expected when something
    /// is due.
    pub payment_after_relapse_days: u64,
    /// Days after a relapse in which being late counts against it.
    pub late_after_relapse_window_days: u64,
    /// Days past due that count as late in that window.
    pub late_after_relapse_dpd: u32,
    /// Days without a review before one is overdue.
    pub review_interval_days: i64,
}

impl FlagRules {
    pub const STANDARD: FlagRules = FlagRules {
        business_after_loan_days: 90,
        payment_after_relapse_days: 30,
        late_after_relapse_window_days: 60,
        late_after_relapse_dpd: 30,
        review_interval_days: 90,
    };
}

impl Default for FlagRules {
    fn default() -> Self {
        FlagRules::STANDARD
    }
}

/// One follow-up to do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Flag {
    pub rule: FlagRule,
    /// The first day the follow-up was needed (see each rule).
    pub since: NaiveDate,
    pub loan_id: Option<LoanId>,
    pub business_id: Option<i64>,
}

/// Every flag raised as of the date, ordered by `since`.
pub fn flags(
    facts: &ClientFacts,
    as_of: NaiveDate,
    rules: &FlagRules,
    is_business_loan: &dyn Fn(&Loan) -> bool,
) -> Vec<Flag> {
    let mut out = Vec::new();
    out.extend(loans_without_business(
        facts,
        as_of,
        rules,
        is_business_loan,
    ));
    out.extend(stalled_after_relapse(facts, as_of, rules));
    out.extend(closed_with_loan_owing(facts, as_of));
    out.extend(review_overdue(facts, as_of, rules));
    out.sort_by_key(|f| (f.since, f.rule, f.loan_id, f.business_id));
    out
}

/// Loans disbursed by the date that still owe something at its end.
fn owing_loans(facts: &ClientFacts, as_of: NaiveDate) -> impl Iterator<Item = &LoanWithState> {
    facts
        .loans
        .iter()
        .filter(move |l| disbursed_by(&l.loan, as_of).is_some() && owed_as_of(&l.state, as_of) > 0)
}

fn loans_without_business(
    facts: &ClientFacts,
    as_of: NaiveDate,
    rules: &FlagRules,
    is_business_loan: &dyn Fn(&Loan) -> bool,
) -> Vec<Flag> {
    owing_loans(facts, as_of)
        .filter(|l| is_business_loan(&l.loan))
        .filter_map(|l| {
            let due = plus_days(l.loan.disbursed_on?, rules.business_after_loan_days);
            let has_business = facts
                .businesses
                .iter()
                .any(|b| b.business.started_on <= as_of && b.business.loans.contains(&l.loan.id));
            (due <= as_of && !has_business).then_some(Flag {
                rule: FlagRule::BusinessLoanWithoutBusiness,
                since: due,
                loan_id: Some(l.loan.id),
                business_id: None,
            })
        })
        .collect()
}

fn stalled_after_relapse(facts: &ClientFacts, as_of: NaiveDate, rules: &FlagRules) -> Vec<Flag> {
    let mut out = Vec::new();
    let relapses = facts
        .relapses
        .iter()
        .map(|r| r.on)
        .filter(|&on| on <= as_of);
    for relapse in relapses {
        for l in owing_loans(facts, as_of) {
            let since = [
                no_payment_after(l, relapse, as_of, rules),
                late_after(l, relapse, as_of, rules),
            ]
            .into_iter()
            .flatten()
            .min();
            if let Some(since) = since {
                out.push(Flag {
                    rule: FlagRule::RepaymentStalledAfterRelapse,
                    since,
                    loan_id: Some(l.loan.id),
                    business_id: None,
                });
            }
        }
    }
    out
}

/// The "no payment" branch: the day it is established, if it is.
fn no_payment_after(
    l: &LoanWithState,
    relapse: NaiveDate,
    as_of: NaiveDate,
    rules: &FlagRules,
) -> Option<NaiveDate> {
    let window_end = plus_days(relapse, rules.payment_after_relapse_days);
    if window_end > as_of || !unpaid_due_by(&l.state, window_end, relapse) {
        return None;
    }
    let paid_in_window = l
        .state
        .payments
        .iter()
        .any(|p| p.paid_on > relapse && p.paid_on <= window_end);
    (!paid_in_window).then_some(window_end)
}

/// The "late" branch: the first day in the window with DPD at the
/// threshold, if any.
fn late_after(
    l: &LoanWithState,
    relapse: NaiveDate,
    as_of: NaiveDate,
    rules: &FlagRules,
) -> Option<NaiveDate> {
    let last = plus_days(relapse, rules.late_after_relapse_window_days).min(as_of);
    relapse
        .iter_days()
        .take_while(|&d| d <= last)
        .find(|&d| arrears(&l.state, d).days_past_due >= rules.late_after_relapse_dpd)
}

fn closed_with_loan_owing(facts: &ClientFacts, as_of: NaiveDate) -> Vec<Flag> {
    let mut out = Vec::new();
    for b in &facts.businesses {
        if status_on(b.business.started_on, &b.checks, as_of) != Some(BusinessStatus::Closed) {
            continue;
        }
        let Some(closed_on) = b
            .checks
            .iter()
            .filter(|c| c.on <= as_of)
            .max_by_key(|c| c.on)
            .map(|c| c.on)
        else {
            continue;
        };
        for l in owing_loans(facts, as_of).filter(|l| b.business.loans.contains(&l.loan.id)) {
            out.push(Flag {
                rule: FlagRule::BusinessClosedWithLoanOutstanding,
                since: closed_on,
                loan_id: Some(l.loan.id),
                business_id: Some(b.id),
            });
        }
    }
    out
}

fn review_overdue(facts: &ClientFacts, as_of: NaiveDate, rules: &FlagRules) -> Option<Flag> {
    let last = facts
        .reviews
        .iter()
        .map(|r| r.on)
        .filter(|&on| on <= as_of)
        .max()
        .or_else(|| facts.first_consent_on(as_of))?;
    let interval = u64::try_from(rules.review_interval_days).unwrap_or(0);
    (days_between(last, as_of) > rules.review_interval_days).then(|| Flag {
        rule: FlagRule::NoRecentReview,
        since: plus_days(last, interval + 1),
        loan_id: None,
        business_id: None,
    })
}
