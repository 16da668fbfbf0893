//! Incidents of violence, harassment or extortion, and the peer advocacy
//! response to them. Perpetrators are recorded as categories, never names;
//! the narrative is sealed by the store like an identity record.

use super::{codes, short_text, OutcomeError, OutcomeResult};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

codes!(IncidentKind {
    Violence => "violence",
    Harassment => "harassment",
    Extortion => "extortion",
});
codes!(Perpetrator {
    Partner => "partner",
    Family => "family",
    Client => "client",
    PoliceOrSecurity => "police_or_security",
    Other => "other",
});
codes!(IncidentAction {
    Medical => "medical",
    Legal => "legal",
    PoliceLiaison => "police_liaison",
    Counselling => "counselling",
    FamilyMediation => "family_mediation",
    Shelter => "shelter",
});
codes!(IncidentOutcome {
    Resolved => "resolved",
    Referred => "referred",
    WithdrawnByHer => "withdrawn_by_her",
    Unresolved => "unresolved",
});

/// One case. Times are instants because the response metric counts hours.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Incident {
    /// The peer advocacy team that responded, e.g. "Imphal East crisis team".
    pub advocacy_group: String,
    pub reported_at: DateTime<Utc>,
    pub kind: IncidentKind,
    pub perpetrator: Perpetrator,
    pub first_response_at: Option<DateTime<Utc>>,
    pub actions: Vec<IncidentAction>,
    pub resolved_at: Option<DateTime<Utc>>,
    pub outcome: Option<IncidentOutcome>,
}

impl Incident {
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        advocacy_group: &str,
        reported_at: DateTime<Utc>,
        kind: IncidentKind,
        perpetrator: Perpetrator,
        first_response_at: Option<DateTime<Utc>>,
        mut actions: Vec<IncidentAction>,
        resolved_at: Option<DateTime<Utc>>,
        outcome: Option<IncidentOutcome>,
        now: DateTime<Utc>,
    ) -> OutcomeResult<Self> {
        if reported_at > now {
            return Err(OutcomeError::new("reported_at", "cannot be in the future"));
        }
        let not_before_report = |field, at: Option<DateTime<Utc>>| match at {
            Some(at) if at < reported_at => Err(OutcomeError::new(
                field,
                "cannot be before the case was reported",
            )),
            Some(at) if at > now => Err(OutcomeError::new(field, "cannot be in the future")),
            other => Ok(other),
        };
        let first_response_at = not_before_report("first_response_at", first_response_at)?;
        let resolved_at = not_before_report("resolved_at", resolved_at)?;
        if resolved_at.is_some() && first_response_at.is_none() {
            return Err(OutcomeError::new(
                "first_response_at",
                "a resolved case had a first response: give its time",
            ));
        }
        if let (Some(first), Some(resolved)) = (first_response_at, resolved_at) {
            if resolved < first {
                return Err(OutcomeError::new(
                    "resolved_at",
                    "cannot be before the first response",
                ));
            }
        }
        if outcome.is_some() != resolved_at.is_some() {
            return Err(OutcomeError::new(
                "outcome",
                "give an outcome exactly when the case is closed",
            ));
        }
        actions.sort_unstable();
        actions.dedup();
        Ok(Incident {
            advocacy_group: short_text("advocacy_group", advocacy_group, 60)?,
            reported_at,
            kind,
            perpetrator,
            first_response_at,
            actions,
            resolved_at,
            outcome,
        })
    }

    /// Hours from report to first response, when there was one.
    pub fn hours_to_first_response(&self) -> Option<f64> {
        self.first_response_at.map(|at| hours(self.reported_at, at))
    }

    pub fn hours_to_resolution(&self) -> Option<f64> {
        self.resolved_at.map(|at| hours(self.reported_at, at))
    }
}

fn hours(from: DateTime<Utc>, to: DateTime<Utc>) -> f64 {
    // Whole minutes are the precision anyone records; the f64 is for display.
    (to - from).num_minutes() as f64 / 60.0
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(day: u32, hour: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 10, day, hour, 0, 0).unwrap()
    }

    fn case(
        first: Option<DateTime<Utc>>,
        resolved: Option<DateTime<Utc>>,
    ) -> OutcomeResult<Incident> {
        Incident::new(
            "Imphal East crisis team",
            at(1, 9),
            IncidentKind::Violence,
            Perpetrator::Partner,
            first,
            vec![
                IncidentAction::Medical,
                IncidentAction::Counselling,
                IncidentAction::Medical,
            ],
            resolved,
            resolved.map(|_| IncidentOutcome::Resolved),
            at(20, 0),
        )
    }

    #[test]
    fn hours_are_counted_from_the_report() {
        let c = case(Some(at(2, 21)), Some(at(5, 9))).unwrap();
        assert_eq!(c.hours_to_first_response(), Some(36.0));
        assert_eq!(c.hours_to_resolution(), Some(96.0));
        assert_eq!(
            c.actions,
            vec![IncidentAction::Medical, IncidentAction::Counselling]
        );
    }

    #[test]
    fn times_keep_their_order() {
        assert_eq!(
            case(Some(at(1, 8)), None).unwrap_err().field,
            "first_response_at"
        );
        assert_eq!(
            case(None, Some(at(3, 9))).unwrap_err().field,
            "first_response_at"
        );
        assert_eq!(
            case(Some(at(3, 9)), Some(at(2, 9))).unwrap_err().field,
            "resolved_at"
        );
        assert_eq!(
            case(Some(at(21, 9)), None).unwrap_err().field,
            "first_response_at"
        );
        assert!(case(None, None)
            .unwrap()
            .hours_to_first_response()
            .is_none());
    }
}
