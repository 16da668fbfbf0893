//! The 48-hour response metric: per advocacy group and calendar quarter
//! (UTC, by when the case was reported), how fast the first response came
//! and how long cases took to resolve.
//!
//! # Rules
//!
//! * The metric is taken at an instant `at` (the end of the report day).
//!   Cases reported after it are left out, and responses or resolutions
//!   stamped after it have not happened yet, so a past report reads the same
//!   tomorrow.
//! * **Within 48 hours** means a first response 48 hours (2,880 minutes) or
//!   less after the report.
//! * **The 48-hour share** is `within / counted`. A case is counted once its
//!   48 hours are decided: it had a first response (in time or late), or it
//!   has none and more than 48 hours have passed by `at` (counted as not
//!   responded in time). A case with no response that is 48 hours old or
//!   younger is still open to a timely response and is left out.
//! * **Median and 90th percentile** use the nearest-rank method: sort the `n`
//!   values ascending and take the one at rank `ceil(p / 100 * n)` (1-based).
//!   The median of an even count is therefore the lower middle value, and
//!   every percentile is a time that some case really took. Hours to first
//!   response are over cases with a response by `at`; hours to resolution
//!   over cases resolved by `at`.
//! * Times are whole minutes, the precision anyone records; hours are for
//!   display.

use crate::outcomes::Incident;
use chrono::{DateTime, Datelike, Utc};
use serde::Serialize;
use std::collections::BTreeMap;

/// The response target, in minutes.
pub const TARGET_MINUTES: i64 = 48 * 60;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ResponseRow {
    pub advocacy_group: String,
    pub year: i32,
    /// 1 to 4.
    pub quarter: u32,
    /// Cases reported in the quarter (by `at`).
    pub cases: u32,
    /// Cases whose 48 hours are decided: the share's denominator.
    pub counted: u32,
    pub within_48h: u32,
    pub share_within_48h: Option<f64>,
    /// Cases with a first response by `at`.
    pub responded: u32,
    pub median_hours_to_response: Option<f64>,
    pub p90_hours_to_response: Option<f64>,
    /// Cases resolved by `at`.
    pub resolved: u32,
    pub median_hours_to_resolution: Option<f64>,
    pub p90_hours_to_resolution: Option<f64>,
}

/// The nearest-rank percentile of values sorted ascending: the value at
/// rank `ceil(p / 100 * n)`, 1-based; `None` for no values.
pub fn nearest_rank(sorted: &[i64], p: u32) -> Option<i64> {
    let n = sorted.len();
    if n == 0 {
        return None;
    }
    let p = usize::try_from(p.clamp(1, 100)).unwrap_or(100);
    let rank = (p * n).div_ceil(100);
    sorted.get(rank.max(1) - 1).copied()
}

fn hours(minutes: Option<i64>) -> Option<f64> {
    // Display only.
    minutes.map(|m| m as f64 / 60.0)
}

fn count(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

fn minutes(from: DateTime<Utc>, to: DateTime<Utc>) -> i64 {
    (to - from).num_minutes()
}

/// Rows ordered by advocacy group, then year and quarter.
pub fn response_times(incidents: &[Incident], at: DateTime<Utc>) -> Vec<ResponseRow> {
    let mut groups: BTreeMap<(&str, i32, u32), Vec<&Incident>> = BTreeMap::new();
    for i in incidents.iter().filter(|i| i.reported_at <= at) {
        let r = i.reported_at;
        let quarter = (r.month() - 1) / 3 + 1;
        groups
            .entry((i.advocacy_group.as_str(), r.year(), quarter))
            .or_default()
            .push(i);
    }
    groups
        .into_iter()
        .map(|((group, year, quarter), cases)| row(group, year, quarter, &cases, at))
        .collect()
}

fn row(
    group: &str,
    year: i32,
    quarter: u32,
    cases: &[&Incident],
    at: DateTime<Utc>,
) -> ResponseRow {
    let mut to_response: Vec<i64> = Vec::new();
    let mut to_resolution: Vec<i64> = Vec::new();
    let (mut counted, mut within) = (0usize, 0usize);
    for c in cases {
        let response = c
            .first_response_at
            .filter(|&t| t <= at)
            .map(|t| minutes(c.reported_at, t));
        match response {
            Some(m) => {
                to_response.push(m);
                counted += 1;
                if m <= TARGET_MINUTES {
                    within += 1;
                }
            }
            None if minutes(c.reported_at, at) > TARGET_MINUTES => counted += 1,
            None => {}
        }
        if let Some(t) = c.resolved_at.filter(|&t| t <= at) {
            to_resolution.push(minutes(c.reported_at, t));
        }
    }
    to_response.sort_unstable();
    to_resolution.sort_unstable();
    ResponseRow {
        advocacy_group: group.to_string(),
        year,
        quarter,
        cases: count(cases.len()),
        counted: count(counted),
        within_48h: count(within),
        // Display only.
        share_within_48h: (counted > 0).then(|| within as f64 / counted as f64),
        responded: count(to_response.len()),
        median_hours_to_response: hours(nearest_rank(&to_response, 50)),
        p90_hours_to_response: hours(nearest_rank(&to_response, 90)),
        resolved: count(to_resolution.len()),
        median_hours_to_resolution: hours(nearest_rank(&to_resolution, 50)),
        p90_hours_to_resolution: hours(nearest_rank(&to_resolution, 90)),
    }
}
