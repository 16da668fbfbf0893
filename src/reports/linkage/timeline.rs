//! Her loans, businesses and rehabilitation milestones on one timeline.
//! Items carry dates, kinds, ids, amounts and vocabulary codes only: the
//! one free text is a training course's name. A loan's purpose is typed by
//! a treasurer and is left out.

use super::facts::ClientFacts;
use super::loans::disbursed_by;
use crate::ledger::LoanId;
use crate::loans::product::LoanStatus;
use crate::outcomes::Code;
use chrono::NaiveDate;
use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TimelineKind {
    DetoxStarted,
    DetoxEnded,
    OstChanged,
    ShelterAdmitted,
    ShelterExited,
    TrainingStarted,
    TrainingEnded,
    Reintegration,
    Relapse,
    Review,
    LoanDisbursed,
    LoanPayment,
    LoanClosed,
    LoanWrittenOff,
    BusinessStarted,
    BusinessChecked,
}

/// One dated event. `code` is a vocabulary code that qualifies the kind
/// (detox outcome, OST status, shelter reason, business kind or status,
/// reintegration kind, who reported a relapse, training completed or not).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TimelineItem {
    pub date: NaiveDate,
    pub kind: TimelineKind,
    pub code: Option<&'static str>,
    pub loan_id: Option<LoanId>,
    pub business_id: Option<i64>,
    /// Minor units: principal disbursed, or the amount of a payment.
    pub amount: Option<i64>,
    pub course: Option<String>,
}

fn item(date: NaiveDate, kind: TimelineKind) -> TimelineItem {
    TimelineItem {
        date,
        kind,
        code: None,
        loan_id: None,
        business_id: None,
        amount: None,
        course: None,
    }
}

/// Everything on or before `as_of`, in date order (same day: by kind, then
/// in the order found).
pub fn timeline(facts: &ClientFacts, as_of: NaiveDate) -> Vec<TimelineItem> {
    use TimelineKind as K;
    let mut out = Vec::new();
    for e in &facts.detox {
        out.push(item(e.started_on, K::DetoxStarted));
        if let Some(end) = e.ended_on {
            out.push(TimelineItem {
                code: e.outcome.map(Code::code),
                ..item(end, K::DetoxEnded)
            });
        }
    }
    for c in &facts.ost {
        out.push(TimelineItem {
            code: Some(c.status.code()),
            ..item(c.effective_on, K::OstChanged)
        });
    }
    for s in &facts.shelter {
        let reason = Some(s.reason.code());
        out.push(TimelineItem {
            code: reason,
            ..item(s.admitted_on, K::ShelterAdmitted)
        });
        if let Some(exit) = s.exited_on {
            out.push(item(exit, K::ShelterExited));
        }
    }
    for t in &facts.training {
        out.push(TimelineItem {
            course: Some(t.course.clone()),
            ..item(t.started_on, K::TrainingStarted)
        });
        if let Some(end) = t.ended_on {
            out.push(TimelineItem {
                course: Some(t.course.clone()),
                code: Some(if t.completed {
                    "completed"
                } else {
                    "not_completed"
                }),
                ..item(end, K::TrainingEnded)
            });
        }
    }
    for r in &facts.reintegration {
        out.push(TimelineItem {
            code: Some(r.kind.code()),
            ..item(r.on, K::Reintegration)
        });
    }
    for r in &facts.relapses {
        out.push(TimelineItem {
            code: Some(r.reported_by.code()),
            ..item(r.on, K::Relapse)
        });
    }
    for r in &facts.reviews {
        out.push(item(r.on, K::Review));
    }
    for l in &facts.loans {
        let Some(disbursed_on) = disbursed_by(&l.loan, as_of) else {
            continue;
        };
        let id = Some(l.loan.id);
        out.push(TimelineItem {
            loan_id: id,
            amount: Some(l.loan.principal),
            ..item(disbursed_on, K::LoanDisbursed)
        });
        for p in &l.state.payments {
            let amount = p
                .lines
                .iter()
                .map(|x| x.amount)
                .fold(0, i64::saturating_add);
            out.push(TimelineItem {
                loan_id: id,
                amount: Some(amount),
                ..item(p.paid_on, K::LoanPayment)
            });
        }
        if let Some(closed) = l.loan.closed_on {
            let kind = match l.loan.status {
                LoanStatus::WrittenOff => K::LoanWrittenOff,
                _ => K::LoanClosed,
            };
            out.push(TimelineItem {
                loan_id: id,
                ..item(closed, kind)
            });
        }
    }
    for b in &facts.businesses {
        out.push(TimelineItem {
            code: Some(b.business.kind.code()),
            business_id: Some(b.id),
            ..item(b.business.started_on, K::BusinessStarted)
        });
        for c in &b.checks {
            out.push(TimelineItem {
                code: Some(c.status.code()),
                business_id: Some(b.id),
                ..item(c.on, K::BusinessChecked)
            });
        }
    }
    out.retain(|i| i.date <= as_of);
    // Stable: same-day items of one kind keep the order they were found in.
    out.sort_by_key(|i| (i.date, i.kind));
    out
}
