//! Her rehabilitation milestones as of a date, and the two groupings the
//! program reports use: rehabilitation status and months since detox.
//!
//! # Rehabilitation status (as of a date), first match wins
//!
//! 1. [`RehabStatus::RecentRelapse`]: a relapse dated 0 to
//!    [`RECENT_RELAPSE_DAYS`] (90) days before the date. It comes first so
//!    that "relapsed recently" means the same for everyone, on substitution
//!    therapy or not.
//! 2. [`RehabStatus::OnOst`]: her latest OST change on or before the date
//!    is `started` or `continuing`.
//! 3. [`RehabStatus::DetoxCompleted`]: a detox episode completed on or
//!    before the date (and, by the rules above, no relapse in the last 90
//!    days and not on OST).
//! 4. [`RehabStatus::NoCompletedDetox`]: none of the above (no detox
//!    recorded, or every episode left early or was transferred).
//!
//! # Months since detox at business start
//!
//! Whole calendar months from her latest detox completed on or before the
//! day the business started, to that day: under 6, 6 to under 12, 12 or
//! more; or no completed detox by then.

use super::calendar::{days_between, whole_months};
use super::facts::ClientFacts;
use crate::outcomes::{OstStatus, ReintegrationKind};
use chrono::NaiveDate;
use serde::Serialize;

/// A relapse this many days before the date or fewer is recent.
pub const RECENT_RELAPSE_DAYS: i64 = 90;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RehabStatus {
    NoCompletedDetox,
    DetoxCompleted,
    RecentRelapse,
    OnOst,
}

impl RehabStatus {
    pub const ALL: [RehabStatus; 4] = [
        RehabStatus::NoCompletedDetox,
        RehabStatus::DetoxCompleted,
        RehabStatus::RecentRelapse,
        RehabStatus::OnOst,
    ];

    pub fn code(self) -> &'static str {
        match self {
            RehabStatus::NoCompletedDetox => "no_completed_detox",
            RehabStatus::DetoxCompleted => "detox_completed",
            RehabStatus::RecentRelapse => "recent_relapse",
            RehabStatus::OnOst => "on_ost",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DetoxBand {
    NoCompletedDetox,
    Under6Months,
    From6To12Months,
    Over12Months,
}

impl DetoxBand {
    pub const ALL: [DetoxBand; 4] = [
        DetoxBand::NoCompletedDetox,
        DetoxBand::Under6Months,
        DetoxBand::From6To12Months,
        DetoxBand::Over12Months,
    ];

    pub fn code(self) -> &'static str {
        match self {
            DetoxBand::NoCompletedDetox => "no_completed_detox",
            DetoxBand::Under6Months => "under_6_months",
            DetoxBand::From6To12Months => "6_to_12_months",
            DetoxBand::Over12Months => "12_months_or_more",
        }
    }

    fn of_months(months: Option<u32>) -> DetoxBand {
        match months {
            None => DetoxBand::NoCompletedDetox,
            Some(0..=5) => DetoxBand::Under6Months,
            Some(6..=11) => DetoxBand::From6To12Months,
            Some(_) => DetoxBand::Over12Months,
        }
    }
}

/// Her rehabilitation record summed up as of a date.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Milestones {
    pub detox_episodes: u32,
    pub detox_completed: u32,
    pub last_detox_completed_on: Option<NaiveDate>,
    /// Whole months since the latest completed detox.
    pub months_since_detox: Option<u32>,
    pub relapses: u32,
    pub last_relapse_on: Option<NaiveDate>,
    /// Relapses after the latest completed detox.
    pub relapses_since_detox: u32,
    pub on_ost: bool,
    pub shelter_stays: u32,
    pub in_shelter: bool,
    pub trainings_completed: u32,
    /// Course names of the completed trainings (the only free text the
    /// linked view carries).
    pub courses_completed: Vec<String>,
    pub returned_home_on: Option<NaiveDate>,
    pub last_review_on: Option<NaiveDate>,
    pub status: RehabStatus,
}

fn count(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// The latest detox completed on or before `on`.
pub fn detox_completed_by(facts: &ClientFacts, on: NaiveDate) -> Option<NaiveDate> {
    facts
        .detox
        .iter()
        .filter_map(|e| e.completed_on())
        .filter(|&d| d <= on)
        .max()
}

fn on_ost(facts: &ClientFacts, as_of: NaiveDate) -> bool {
    let latest = facts
        .ost
        .iter()
        .enumerate()
        .filter(|(_, c)| c.effective_on <= as_of)
        // Same-day changes: the one recorded last stands.
        .max_by_key(|(i, c)| (c.effective_on, *i))
        .map(|(_, c)| c.status);
    matches!(latest, Some(OstStatus::Started | OstStatus::Continuing))
}

/// Her status as of the date; see the module rules.
pub fn rehab_status(facts: &ClientFacts, as_of: NaiveDate) -> RehabStatus {
    let recent = facts.relapses.iter().any(|r| {
        let ago = days_between(r.on, as_of);
        (0..=RECENT_RELAPSE_DAYS).contains(&ago)
    });
    if recent {
        RehabStatus::RecentRelapse
    } else if on_ost(facts, as_of) {
        RehabStatus::OnOst
    } else if detox_completed_by(facts, as_of).is_some() {
        RehabStatus::DetoxCompleted
    } else {
        RehabStatus::NoCompletedDetox
    }
}

/// Months since detox on the day a business started; see the module rules.
pub fn detox_band(facts: &ClientFacts, business_started_on: NaiveDate) -> DetoxBand {
    DetoxBand::of_months(
        detox_completed_by(facts, business_started_on)
            .and_then(|d| whole_months(d, business_started_on)),
    )
}

pub fn milestones(facts: &ClientFacts, as_of: NaiveDate) -> Milestones {
    let detox: Vec<_> = facts
        .detox
        .iter()
        .filter(|e| e.started_on <= as_of)
        .collect();
    let last_detox = detox_completed_by(facts, as_of);
    let relapses: Vec<NaiveDate> = facts
        .relapses
        .iter()
        .map(|r| r.on)
        .filter(|&on| on <= as_of)
        .collect();
    let shelter: Vec<_> = facts
        .shelter
        .iter()
        .filter(|s| s.admitted_on <= as_of)
        .collect();
    let courses_completed: Vec<String> = facts
        .training
        .iter()
        .filter(|t| t.completed && t.ended_on.is_some_and(|e| e <= as_of))
        .map(|t| t.course.clone())
        .collect();
    Milestones {
        detox_episodes: count(detox.len()),
        detox_completed: count(
            detox
                .iter()
                .filter(|e| e.completed_on().is_some_and(|d| d <= as_of))
                .count(),
        ),
        last_detox_completed_on: last_detox,
        months_since_detox: last_detox.and_then(|d| whole_months(d, as_of)),
        relapses: count(relapses.len()),
        last_relapse_on: relapses.iter().copied().max(),
        relapses_since_detox: count(
            relapses
                .iter()
                .filter(|&&r| last_detox.is_some_and(|d| r > d))
                .count(),
        ),
        on_ost: on_ost(facts, as_of),
        shelter_stays: count(shelter.len()),
        in_shelter: shelter
            .iter()
            .any(|s| s.exited_on.is_none_or(|e| e > as_of)),
        trainings_completed: count(courses_completed.len()),
        courses_completed,
        returned_home_on: facts
            .reintegration
            .iter()
            .filter(|r| r.kind == ReintegrationKind::ReturnHome && r.on <= as_of)
            .map(|r| r.on)
            .min(),
        last_review_on: facts
            .reviews
            .iter()
            .map(|r| r.on)
            .filter(|&on| on <= as_of)
            .max(),
        status: rehab_status(facts, as_of),
    }
}
