//! One type for every kind of rehabilitation, livelihood and consent record,
//! so the store writes and reads them through one door.

use super::{
    Business, ConsentEvent, DetoxEpisode, MonthlyIncome, OstChange, ReintegrationEvent, Relapse,
    Review, ShelterStay, StatusCheck, Training,
};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// A status check names the business (a `Business` record's id) it is about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BusinessCheck {
    pub business: i64,
    pub check: StatusCheck,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "value", rename_all = "snake_case")]
pub enum Record {
    Detox(DetoxEpisode),
    Ost(OstChange),
    Shelter(ShelterStay),
    Training(Training),
    Reintegration(ReintegrationEvent),
    Relapse(Relapse),
    Review(Review),
    Business(Business),
    StatusCheck(BusinessCheck),
    Income(MonthlyIncome),
    Consent(ConsentEvent),
}

impl Record {
    /// The kind as stored; matches the `outcome_records.kind` check.
    pub fn kind(&self) -> &'static str {
        match self {
            Record::Detox(_) => "detox",
            Record::Ost(_) => "ost",
            Record::Shelter(_) => "shelter",
            Record::Training(_) => "training",
            Record::Reintegration(_) => "reintegration",
            Record::Relapse(_) => "relapse",
            Record::Review(_) => "review",
            Record::Business(_) => "business",
            Record::StatusCheck(_) => "status_check",
            Record::Income(_) => "income",
            Record::Consent(_) => "consent",
        }
    }

    /// The day the record is about, for ordering a timeline.
    pub fn event_on(&self) -> NaiveDate {
        match self {
            Record::Detox(r) => r.started_on,
            Record::Ost(r) => r.effective_on,
            Record::Shelter(r) => r.admitted_on,
            Record::Training(r) => r.started_on,
            Record::Reintegration(r) => r.on,
            Record::Relapse(r) => r.on,
            Record::Review(r) => r.on,
            Record::Business(r) => r.started_on,
            Record::StatusCheck(r) => r.check.on,
            Record::Income(r) => r.month,
            Record::Consent(r) => r.on,
        }
    }

    /// Consent and livelihood records are the ones a counsellor shares with
    /// the livelihood team; the rest is the rehabilitation record proper.
    pub fn is_rehabilitation(&self) -> bool {
        matches!(
            self,
            Record::Detox(_)
                | Record::Ost(_)
                | Record::Shelter(_)
                | Record::Training(_)
                | Record::Reintegration(_)
                | Record::Relapse(_)
                | Record::Review(_)
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::outcomes::{Relapse, ReportedBy};

    #[test]
    fn a_record_round_trips_through_its_stored_form() {
        let on = NaiveDate::from_ymd_opt(2026, 5, 2).unwrap();
        let r = Record::Relapse(Relapse {
            on,
            reported_by: ReportedBy::Peer,
        });
        let json = serde_json::to_string(&r).unwrap();
        assert_eq!(
            json,
            r#"{"kind":"relapse","value":{"on":"2026-05-02","reported_by":"peer"}}"#
        );
        assert_eq!(serde_json::from_str::<Record>(&json).unwrap(), r);
        assert_eq!(r.kind(), "relapse");
        assert_eq!(r.event_on(), on);
    }
}
