//! Business survival by Kaplan–Meier.
//!
//! A business's lifetime runs in days from its start. It ends in an event
//! (closure) on the day of the first field check that found it closed, on
//! or before the report date. A business still operating or paused is
//! censored at its last check on or before the date, or at its start when
//! it was never checked: the record only knows it was running when someone
//! looked, and presuming it ran on until the report date would hide
//! closures nobody has visited yet.
//!
//! `S(t)` is the product over closure days `t_i <= t` of `1 - d_i / n_i`,
//! with `d_i` closures on day `t_i` and `n_i` businesses whose lifetime is
//! `t_i` days or more (a business censored on a closure day is still at risk
//! on it). `S(t)` is unknown (`None`) once every business has been censored
//! before `t` with the curve above zero. Six months is [`SIX_MONTHS_DAYS`]
//! (183) days, twelve [`TWELVE_MONTHS_DAYS`] (365).

use super::calendar::days_between;
use super::facts::BusinessFacts;
use crate::outcomes::BusinessStatus;
use chrono::NaiveDate;
use serde::Serialize;
use std::collections::BTreeMap;

pub const SIX_MONTHS_DAYS: i64 = 183;
pub const TWELVE_MONTHS_DAYS: i64 = 365;

/// One business's observed life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Lifetime {
    pub days: i64,
    /// True when it ended in closure, false when censored.
    pub closed: bool,
}

/// Its lifetime as of the date; `None` when it started after it.
pub fn lifetime(b: &BusinessFacts, as_of: NaiveDate) -> Option<Lifetime> {
    let start = b.business.started_on;
    if start > as_of {
        return None;
    }
    let mut checks: Vec<_> = b
        .checks
        .iter()
        .filter(|c| c.on <= as_of && c.on >= start)
        .collect();
    checks.sort_by_key(|c| c.on);
    if let Some(closed) = checks.iter().find(|c| c.status == BusinessStatus::Closed) {
        return Some(Lifetime {
            days: days_between(start, closed.on),
            closed: true,
        });
    }
    let last = checks.last().map_or(start, |c| c.on);
    Some(Lifetime {
        days: days_between(start, last),
        closed: false,
    })
}

/// One day of the curve on which something happened.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SurvivalStep {
    pub day: i64,
    pub at_risk: u32,
    pub closed: u32,
    pub censored: u32,
    /// `S` from this day on (display only).
    pub survival: f64,
}

/// The curve read at a time.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SurvivalPoint {
    pub day: i64,
    /// Businesses still observed on that day (lifetime of `day` or more).
    pub at_risk: u32,
    pub survival: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SurvivalCurve {
    pub businesses: u32,
    pub closed: u32,
    /// Starts at day 0 with `S = 1` only implicitly: the first step is the
    /// first day with a closure or a censoring.
    pub steps: Vec<SurvivalStep>,
    pub at_6_months: SurvivalPoint,
    pub at_12_months: SurvivalPoint,
}

fn count(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

impl SurvivalCurve {
    /// Businesses still observed on `day`: lifetime of `day` days or more.
    pub fn at_risk_on(&self, day: i64) -> u32 {
        self.steps
            .iter()
            .filter(|s| s.day >= day)
            .map(|s| s.closed.saturating_add(s.censored))
            .fold(0, u32::saturating_add)
    }

    /// `S(day)`; `None` when no business is left to observe on that day and
    /// the curve has not reached zero (see the module docs).
    pub fn read_at(&self, day: i64) -> Option<f64> {
        if self.businesses == 0 {
            return None;
        }
        let s = self
            .steps
            .iter()
            .take_while(|s| s.day <= day)
            .last()
            .map_or(1.0, |s| s.survival);
        (self.at_risk_on(day) > 0 || s == 0.0).then_some(s)
    }
}

pub fn kaplan_meier(lifetimes: &[Lifetime]) -> SurvivalCurve {
    let mut by_day: BTreeMap<i64, (u32, u32)> = BTreeMap::new();
    for l in lifetimes {
        let slot = by_day.entry(l.days).or_default();
        if l.closed {
            slot.0 += 1;
        } else {
            slot.1 += 1;
        }
    }
    let mut at_risk = count(lifetimes.len());
    let mut survival = 1.0;
    let mut steps = Vec::with_capacity(by_day.len());
    for (day, (closed, censored)) in by_day {
        if closed > 0 && at_risk > 0 {
            survival *= 1.0 - f64::from(closed) / f64::from(at_risk);
        }
        steps.push(SurvivalStep {
            day,
            at_risk,
            closed,
            censored,
            survival,
        });
        at_risk = at_risk.saturating_sub(closed + censored);
    }
    let mut curve = SurvivalCurve {
        businesses: count(lifetimes.len()),
        closed: count(lifetimes.iter().filter(|l| l.closed).count()),
        steps,
        at_6_months: SurvivalPoint {
            day: SIX_MONTHS_DAYS,
            at_risk: 0,
            survival: None,
        },
        at_12_months: SurvivalPoint {
            day: TWELVE_MONTHS_DAYS,
            at_risk: 0,
            survival: None,
        },
    };
    for day in [SIX_MONTHS_DAYS, TWELVE_MONTHS_DAYS] {
        let point = SurvivalPoint {
            day,
            at_risk: curve.at_risk_on(day),
            survival: curve.read_at(day),
        };
        if day == SIX_MONTHS_DAYS {
            curve.at_6_months = point;
        } else {
            curve.at_12_months = point;
        }
    }
    curve
}
