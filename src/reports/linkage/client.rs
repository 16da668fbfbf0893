//! One woman's linked view: her loans, businesses, income and
//! rehabilitation on one page, with the follow-ups it calls for. Refused
//! outright unless she allows her records to be linked on the date.

use super::facts::ClientFacts;
use super::flags::{flags, Flag, FlagRules};
use super::income::{income_series, IncomeMonth};
use super::loans::{summarise, total, LoanSummary, LoansTotal};
use super::recovery::{milestones, Milestones};
use super::timeline::{timeline, TimelineItem};
use crate::ledger::LoanId;
use crate::loans::product::Loan;
use crate::outcomes::livelihood::status_on;
use crate::outcomes::{BusinessKind, BusinessStatus, ClientCode};
use chrono::NaiveDate;
use serde::Serialize;

/// She has not consented (or has withdrawn consent) to linking her
/// finances with her rehabilitation record. Says nothing else about her.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("she has not consented to linking her records")]
pub struct NotConsented;

/// A business with its status on the date.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BusinessSummary {
    pub id: i64,
    pub kind: BusinessKind,
    pub started_on: NaiveDate,
    pub status: BusinessStatus,
    /// The check that set the status, or the start when none has.
    pub status_since: NaiveDate,
    pub loans: Vec<LoanId>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ClientReport {
    pub code: ClientCode,
    pub as_of: NaiveDate,
    pub loans: Vec<LoanSummary>,
    pub loans_total: LoansTotal,
    pub businesses: Vec<BusinessSummary>,
    pub income: Vec<IncomeMonth>,
    pub milestones: Milestones,
    pub timeline: Vec<TimelineItem>,
    pub rules: FlagRules,
    pub flags: Vec<Flag>,
}

/// Every disbursed loan is a business loan: the program lends for
/// businesses, and a loan's purpose is free text typed by a treasurer, not
/// a vocabulary to decide on. A caller with a better rule passes its own.
pub fn every_loan_is_for_business(_: &Loan) -> bool {
    true
}

/// Her linked view as of the date, with the standard flag rules.
pub fn client_report(
    facts: &ClientFacts,
    as_of: NaiveDate,
    is_business_loan: &dyn Fn(&Loan) -> bool,
) -> Result<ClientReport, NotConsented> {
    client_report_with(facts, as_of, &FlagRules::STANDARD, is_business_loan)
}

pub fn client_report_with(
    facts: &ClientFacts,
    as_of: NaiveDate,
    rules: &FlagRules,
    is_business_loan: &dyn Fn(&Loan) -> bool,
) -> Result<ClientReport, NotConsented> {
    if !facts.allows_linkage(as_of) {
        return Err(NotConsented);
    }
    let loans: Vec<LoanSummary> = facts
        .loans
        .iter()
        .filter_map(|l| summarise(l, as_of, is_business_loan))
        .collect();
    let businesses = facts
        .businesses
        .iter()
        .filter_map(|b| {
            let status = status_on(b.business.started_on, &b.checks, as_of)?;
            let status_since = b
                .checks
                .iter()
                .filter(|c| c.on <= as_of)
                .map(|c| c.on)
                .max()
                .unwrap_or(b.business.started_on);
            Some(BusinessSummary {
                id: b.id,
                kind: b.business.kind,
                started_on: b.business.started_on,
                status,
                status_since,
                loans: b.business.loans.clone(),
            })
        })
        .collect();
    Ok(ClientReport {
        code: facts.code.clone(),
        as_of,
        loans_total: total(&loans),
        loans,
        businesses,
        income: income_series(&facts.incomes, as_of),
        milestones: milestones(facts, as_of),
        timeline: timeline(facts, as_of),
        rules: *rules,
        flags: flags(facts, as_of, rules, is_business_loan),
    })
}
