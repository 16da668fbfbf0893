//! The 48-hour response metric worked by hand.

use crate::outcomes::{Incident, IncidentKind, Perpetrator};
use crate::reports::linkage::response::{nearest_rank, response_times};
use chrono::{DateTime, Duration, TimeZone, Utc};

fn at(m: u32, day: u32, h: u32, min: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, m, day, h, min, 0).unwrap()
}

/// A case reported at `reported`, first response and resolution that many
/// minutes later.
fn case(
    group: &str,
    reported: DateTime<Utc>,
    response: Option<i64>,
    resolution: Option<i64>,
) -> Incident {
    Incident {
        advocacy_group: group.to_string(),
        reported_at: reported,
        kind: IncidentKind::Violence,
        perpetrator: Perpetrator::Partner,
        first_response_at: response.map(|m| reported + Duration::minutes(m)),
        actions: vec![],
        resolved_at: resolution.map(|m| reported + Duration::minutes(m)),
        outcome: None,
    }
}

#[test]
fn nearest_rank_takes_the_value_at_rank_ceil_p_n() {
    let v = [6, 20, 47, 48, 72];
    assert_eq!(nearest_rank(&v, 50), Some(47)); // ceil(2.5) = 3
    assert_eq!(nearest_rank(&v, 90), Some(72)); // ceil(4.5) = 5
    assert_eq!(nearest_rank(&[30, 72, 100, 200], 50), Some(72)); // rank 2
    assert_eq!(nearest_rank(&[30, 72, 100, 200], 90), Some(200)); // ceil(3.6) = 4
    assert_eq!(nearest_rank(&[5], 90), Some(5));
    assert_eq!(nearest_rank(&[], 50), None);
}

#[test]
fn the_48_hour_metric_is_worked_by_hand() {
    let h = |hours: i64| Some(hours * 60);
    let east = "East crisis team";
    let incidents = vec![
        // Q1 2026, East: hours to first response / to resolution.
        case(east, at(1, 5, 10, 0), h(6), h(30)),   // A
        case(east, at(1, 20, 8, 0), h(20), h(100)), // B
        case(east, at(2, 3, 9, 0), Some(47 * 60 + 30), h(200)), // C 47.5 h
        case(east, at(2, 25, 12, 0), h(48), None),  // D exactly 48 h: in time
        case(east, at(3, 10, 0, 0), h(72), h(72)),  // E
        case(east, at(3, 30, 0, 0), None, None),    // F no response, > 48 h old
        // Q2 2026, East, measured at 10 Apr 12:00:
        case(east, at(4, 9, 20, 0), None, None), // G 16 h old: left out
        case(east, at(4, 10, 10, 0), h(3), None), // H answered after `at`: open
        case(east, at(4, 8, 12, 0), None, None), // I exactly 48 h old: left out
        case(east, at(4, 8, 11, 59), None, None), // J 48 h 1 min old: late
        // Another team, and a case reported after `at`.
        case("West crisis team", at(2, 1, 9, 0), h(1), None),
        case(east, at(4, 11, 9, 0), h(1), None),
    ];
    let rows = response_times(&incidents, at(4, 10, 12, 0));
    assert_eq!(rows.len(), 3);
    // East Q1: 6 cases, all decided (A-E answered, F overdue); within 48 h:
    // A, B, C, D -> 4 / 6. Response hours sorted 6, 20, 47.5, 48, 72:
    // median rank ceil(2.5) = 3 -> 47.5; p90 rank ceil(4.5) = 5 -> 72.
    // Resolution hours (A, B, C, E) sorted 30, 72, 100, 200: median rank 2
    // -> 72; p90 rank ceil(3.6) = 4 -> 200.
    let q1 = &rows[0];
    assert_eq!(
        (q1.advocacy_group.as_str(), q1.year, q1.quarter),
        (east, 2026, 1)
    );
    assert_eq!((q1.cases, q1.counted, q1.within_48h), (6, 6, 4));
    assert_eq!(q1.share_within_48h, Some(4.0 / 6.0));
    assert_eq!(q1.responded, 5);
    assert_eq!(q1.median_hours_to_response, Some(47.5));
    assert_eq!(q1.p90_hours_to_response, Some(72.0));
    assert_eq!(q1.resolved, 4);
    assert_eq!(q1.median_hours_to_resolution, Some(72.0));
    assert_eq!(q1.p90_hours_to_resolution, Some(200.0));
    // East Q2: G, H, I left out; J counted, not in time -> 0 / 1.
    let q2 = &rows[1];
    assert_eq!(
        (q2.quarter, q2.cases, q2.counted, q2.within_48h),
        (2, 4, 1, 0)
    );
    assert_eq!(q2.share_within_48h, Some(0.0));
    assert_eq!(q2.median_hours_to_response, None);
    let west = &rows[2];
    assert_eq!((west.cases, west.within_48h), (1, 1));
}
