//! Worked examples for the linkage reports, computed by hand in comments.
//! Shared builders live here; each file tests one part.

mod client;
mod export;
mod flags;
mod program;
mod response;
mod survival;

use super::facts::{BusinessFacts, ClientFacts};
use crate::loans::product::{templates, Loan, LoanSource, LoanStatus};
use crate::loans::state::{AllocationLine, Component, InstallmentState, LoanState, Parts, Payment};
use crate::outcomes::{
    Business, BusinessKind, BusinessStatus, ClientCode, ConsentEvent, ConsentPurpose, DetoxEpisode,
    DetoxOutcome, DetoxSetting, Relapse, ReportedBy, Review, StatusCheck,
};
use crate::store::LoanWithState;
use chrono::NaiveDate;

pub fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap()
}

/// A woman who consented to linkage on `on`.
pub fn woman(n: u32, on: NaiveDate) -> ClientFacts {
    let mut c = ClientFacts::new(ClientCode::parse(&format!("C-{n:08}")).unwrap());
    c.consent.push(consent(true, on));
    c
}

pub fn consent(given: bool, on: NaiveDate) -> ConsentEvent {
    ConsentEvent {
        purpose: ConsentPurpose::LinkRecords,
        partner: None,
        given,
        on,
    }
}

/// A loan of principal-only installments `(due, amount)`, paid by
/// `(paid_on, installment number, amount)`.
pub fn loan(
    id: i64,
    disbursed: NaiveDate,
    installments: &[(NaiveDate, i64)],
    payments: &[(NaiveDate, u32, i64)],
) -> LoanWithState {
    let principal = installments.iter().map(|i| i.1).sum();
    let mut state = LoanState {
        installments: installments
            .iter()
            .zip(1..)
            .map(|(&(due_date, amount), number)| InstallmentState {
                number,
                due_date,
                due: Parts {
                    principal: amount,
                    ..Parts::default()
                },
                paid: Parts::default(),
                waived: Parts::default(),
            })
            .collect(),
        payments: Vec::new(),
    };
    for &(paid_on, installment, amount) in payments {
        state.payments.push(Payment {
            paid_on,
            lines: vec![AllocationLine {
                installment,
                component: Component::Principal,
                amount,
            }],
        });
        state.installments[installment as usize - 1].paid.principal += amount;
    }
    LoanWithState {
        loan: Loan {
            id,
            group_id: 1,
            member_id: 1,
            product_id: None,
            source: LoanSource::GroupFund,
            purpose: "a secret typed by the treasurer".to_string(),
            principal,
            settings: templates()[0].1.clone(),
            status: LoanStatus::Active,
            applied_on: disbursed,
            approved_on: Some(disbursed),
            resolution: None,
            disbursed_on: Some(disbursed),
            disbursement_entry_id: None,
            closed_on: None,
            schedule_version: 1,
        },
        state,
    }
}

pub fn business(
    id: i64,
    started_on: NaiveDate,
    loans: Vec<i64>,
    checks: &[(NaiveDate, BusinessStatus)],
) -> BusinessFacts {
    BusinessFacts {
        id,
        business: Business {
            kind: BusinessKind::Tailoring,
            started_on,
            loans,
        },
        checks: checks
            .iter()
            .map(|&(on, status)| StatusCheck { on, status })
            .collect(),
    }
}

pub fn completed_detox(started_on: NaiveDate, ended_on: NaiveDate) -> DetoxEpisode {
    DetoxEpisode {
        setting: DetoxSetting::Clinic,
        started_on,
        ended_on: Some(ended_on),
        outcome: Some(DetoxOutcome::Completed),
    }
}

pub fn relapse(on: NaiveDate) -> Relapse {
    Relapse {
        on,
        reported_by: ReportedBy::Herself,
    }
}

pub fn review(on: NaiveDate) -> Review {
    Review {
        on,
        days_used: 0,
        days_injected: 0,
        days_paid_work: 20,
        housing_problem: false,
        wellbeing: 14,
    }
}
