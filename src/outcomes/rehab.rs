//! The rehabilitation record: detox, substitution therapy, shelter,
//! training, return to family, relapses and periodic reviews.

use super::{codes, past, period_end, short_text, OutcomeError, OutcomeResult};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

codes!(
    /// Where detox happened: at home with family support, or in a clinic.
    DetoxSetting { Home => "home", Clinic => "clinic" }
);
codes!(DetoxOutcome {
    Completed => "completed",
    LeftEarly => "left_early",
    Transferred => "transferred",
});
codes!(
    /// Opioid substitution therapy, as a status that changes over time.
    OstStatus {
        Started => "started",
        Continuing => "continuing",
        Interrupted => "interrupted",
        Stopped => "stopped",
    }
);
codes!(
    /// Why she came to the shelter, as a category: the story itself is not
    /// written here.
    ShelterReason {
        DetoxAftercare => "detox_aftercare",
        Violence => "violence",
        NoHome => "no_home",
        FamilyConflict => "family_conflict",
        Other => "other",
    }
);
codes!(ReintegrationKind {
    Contact => "contact",
    Visit => "visit",
    ReturnHome => "return_home",
});
codes!(ReportedBy {
    Herself => "herself",
    Peer => "peer",
    Counsellor => "counsellor",
    Family => "family",
    Other => "other",
});

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DetoxEpisode {
    pub setting: DetoxSetting,
    pub started_on: NaiveDate,
    pub ended_on: Option<NaiveDate>,
    /// Known once the episode has ended.
    pub outcome: Option<DetoxOutcome>,
}

impl DetoxEpisode {
    pub fn new(
        setting: DetoxSetting,
        started_on: NaiveDate,
        ended_on: Option<NaiveDate>,
        outcome: Option<DetoxOutcome>,
        today: NaiveDate,
    ) -> OutcomeResult<Self> {
        let started_on = past("started_on", started_on, today)?;
        let ended_on = period_end("ended_on", started_on, ended_on, today)?;
        if outcome.is_some() != ended_on.is_some() {
            return Err(OutcomeError::new(
                "outcome",
                "give an outcome exactly when the episode has an end date",
            ));
        }
        Ok(DetoxEpisode {
            setting,
            started_on,
            ended_on,
            outcome,
        })
    }

    /// The day detox was completed, the milestone the linkage reports count
    /// months from.
    pub fn completed_on(&self) -> Option<NaiveDate> {
        match self.outcome {
            Some(DetoxOutcome::Completed) => self.ended_on,
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OstChange {
    pub effective_on: NaiveDate,
    pub status: OstStatus,
}

impl OstChange {
    pub fn new(
        effective_on: NaiveDate,
        status: OstStatus,
        today: NaiveDate,
    ) -> OutcomeResult<Self> {
        Ok(OstChange {
            effective_on: past("effective_on", effective_on, today)?,
            status,
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShelterStay {
    pub admitted_on: NaiveDate,
    pub exited_on: Option<NaiveDate>,
    pub reason: ShelterReason,
}

impl ShelterStay {
    pub fn new(
        admitted_on: NaiveDate,
        exited_on: Option<NaiveDate>,
        reason: ShelterReason,
        today: NaiveDate,
    ) -> OutcomeResult<Self> {
        let admitted_on = past("admitted_on", admitted_on, today)?;
        Ok(ShelterStay {
            admitted_on,
            exited_on: period_end("exited_on", admitted_on, exited_on, today)?,
            reason,
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Training {
    /// The course as the program names it: "Tailoring", "Food processing".
    pub course: String,
    pub started_on: NaiveDate,
    pub ended_on: Option<NaiveDate>,
    pub completed: bool,
}

impl Training {
    pub fn new(
        course: &str,
        started_on: NaiveDate,
        ended_on: Option<NaiveDate>,
        completed: bool,
        today: NaiveDate,
    ) -> OutcomeResult<Self> {
        let started_on = past("started_on", started_on, today)?;
        let ended_on = period_end("ended_on", started_on, ended_on, today)?;
        if completed && ended_on.is_none() {
            return Err(OutcomeError::new(
                "ended_on",
                "a completed course needs its end date",
            ));
        }
        Ok(Training {
            course: short_text("course", course, 60)?,
            started_on,
            ended_on,
            completed,
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReintegrationEvent {
    pub on: NaiveDate,
    pub kind: ReintegrationKind,
}

impl ReintegrationEvent {
    pub fn new(on: NaiveDate, kind: ReintegrationKind, today: NaiveDate) -> OutcomeResult<Self> {
        Ok(ReintegrationEvent {
            on: past("on", on, today)?,
            kind,
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Relapse {
    pub on: NaiveDate,
    pub reported_by: ReportedBy,
}

impl Relapse {
    pub fn new(on: NaiveDate, reported_by: ReportedBy, today: NaiveDate) -> OutcomeResult<Self> {
        Ok(Relapse {
            on: past("on", on, today)?,
            reported_by,
        })
    }
}

/// The days of a 28-day recall window.
pub const RECALL_DAYS: u8 = 28;
/// The top of the self-rated wellbeing scale (0 = worst).
pub const WELLBEING_MAX: u8 = 20;

/// A periodic review with 28-day recall, the way outcome instruments such as
/// the Treatment Outcomes Profile ask: how many of the last 28 days.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Review {
    pub on: NaiveDate,
    pub days_used: u8,
    pub days_injected: u8,
    pub days_paid_work: u8,
    pub housing_problem: bool,
    pub wellbeing: u8,
}

impl Review {
    pub fn new(
        on: NaiveDate,
        days_used: u8,
        days_injected: u8,
        days_paid_work: u8,
        housing_problem: bool,
        wellbeing: u8,
        today: NaiveDate,
    ) -> OutcomeResult<Self> {
        let recall = |field, days: u8| {
            if days > RECALL_DAYS {
                Err(OutcomeError::new(field, "must be between 0 and 28 days"))
            } else {
                Ok(days)
            }
        };
        let days_used = recall("days_used", days_used)?;
        let days_injected = recall("days_injected", days_injected)?;
        if days_injected > days_used {
            return Err(OutcomeError::new(
                "days_injected",
                "cannot be more than the days used",
            ));
        }
        if wellbeing > WELLBEING_MAX {
            return Err(OutcomeError::new("wellbeing", "must be between 0 and 20"));
        }
        Ok(Review {
            on: past("on", on, today)?,
            days_used,
            days_injected,
            days_paid_work: recall("days_paid_work", days_paid_work)?,
            housing_problem,
            wellbeing,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, m, day).unwrap()
    }

    #[test]
    fn a_detox_episode_has_an_outcome_exactly_when_it_has_ended() {
        let today = d(11, 24);
        let done = DetoxEpisode::new(
            DetoxSetting::Clinic,
            d(1, 5),
            Some(d(1, 26)),
            Some(DetoxOutcome::Completed),
            today,
        )
        .unwrap();
        assert_eq!(done.completed_on(), Some(d(1, 26)));
        let open = DetoxEpisode::new(DetoxSetting::Home, d(11, 1), None, None, today).unwrap();
        assert_eq!(open.completed_on(), None);
        let err = DetoxEpisode::new(
            DetoxSetting::Home,
            d(11, 1),
            None,
            Some(DetoxOutcome::Completed),
            today,
        )
        .unwrap_err();
        assert_eq!(err.field, "outcome");
        let left = DetoxEpisode::new(
            DetoxSetting::Home,
            d(1, 5),
            Some(d(1, 9)),
            Some(DetoxOutcome::LeftEarly),
            today,
        )
        .unwrap();
        assert_eq!(left.completed_on(), None);
    }

    #[test]
    fn a_review_keeps_to_the_28_day_window_and_the_wellbeing_scale() {
        let today = d(11, 24);
        assert!(Review::new(d(11, 1), 3, 1, 20, false, 14, today).is_ok());
        assert_eq!(
            Review::new(d(11, 1), 29, 0, 0, false, 10, today)
                .unwrap_err()
                .field,
            "days_used"
        );
        assert_eq!(
            Review::new(d(11, 1), 2, 3, 0, false, 10, today)
                .unwrap_err()
                .field,
            "days_injected"
        );
        assert_eq!(
            Review::new(d(11, 1), 0, 0, 0, false, 21, today)
                .unwrap_err()
                .field,
            "wellbeing"
        );
        assert_eq!(
            Review::new(d(12, 1), 0, 0, 0, false, 10, today)
                .unwrap_err()
                .field,
            "on"
        );
    }

    #[test]
    fn a_completed_course_has_an_end_date() {
        let today = d(11, 24);
        assert_eq!(
            Training::new("Tailoring", d(2, 1), None, true, today)
                .unwrap_err()
                .field,
            "ended_on"
        );
        assert!(Training::new("Tailoring", d(2, 1), Some(d(4, 30)), true, today).is_ok());
    }
}
