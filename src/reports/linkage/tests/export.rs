//! What leaves the program: small counts and what gives them away hidden.

use super::*;
use crate::outcomes::{Incident, IncidentKind, Perpetrator};
use crate::reports::linkage::program::program_report;
use crate::reports::suppression::{Cell, Rate};
use chrono::{Duration, TimeZone, Utc};

fn case(group: &str, day: u32, hours: i64) -> Incident {
    let reported = Utc.with_ymd_and_hms(2026, 2, day, 9, 0, 0).unwrap();
    Incident {
        advocacy_group: group.to_string(),
        reported_at: reported,
        kind: IncidentKind::Harassment,
        perpetrator: Perpetrator::PoliceOrSecurity,
        first_response_at: Some(reported + Duration::hours(hours)),
        actions: vec![],
        resolved_at: None,
        outcome: None,
    }
}

#[test]
fn the_export_hides_small_counts_and_what_would_give_them_back() {
    // 12 women consent, 3 have withdrawn: the 3 is hidden, and so is the 12
    // (15 - 12 would give the 3 back); the total 15 stays.
    let mut women: Vec<ClientFacts> = (1..=15).map(|n| woman(n, d(2025, 1, 1))).collect();
    for w in women.iter_mut().take(3) {
        w.consent.push(consent(false, d(2026, 1, 1)));
    }
    // East: 24 cases, 12 answered in 10 hours and 12 in 60 -> 12 / 24 within
    // 48 h; median rank ceil(12) = 12 -> 10 h; p90 rank ceil(21.6) = 22 ->
    // 60 h. West: 3 cases, all hidden.
    let mut incidents: Vec<Incident> = (1..=24)
        .map(|k| case("East", k, if k <= 12 { 10 } else { 60 }))
        .collect();
    incidents.extend((1..=3).map(|k| case("West", k, 5)));
    let out = program_report(&women, &incidents, d(2026, 3, 31)).export();
    assert_eq!(out.women.counts, vec![Cell::Suppressed, Cell::Suppressed]);
    assert_eq!(out.women.total, Cell::Shown(15));
    // All 12 have no completed detox: 12 shown, the zeros shown.
    assert_eq!(
        out.women_by_status.counts,
        vec![
            Cell::Shown(12),
            Cell::Shown(0),
            Cell::Shown(0),
            Cell::Shown(0)
        ]
    );
    let east = &out.response[0];
    assert_eq!(east.cases, Cell::Shown(24));
    assert_eq!(east.share_within_48h, Rate::Shown(0.5));
    assert_eq!(east.median_hours_to_response, Rate::Shown(10.0));
    assert_eq!(east.p90_hours_to_response, Rate::Shown(60.0));
    assert_eq!(east.median_hours_to_resolution, Rate::Empty);
    let west = &out.response[1];
    assert_eq!(west.cases, Cell::Suppressed);
    assert_eq!(west.share_within_48h, Rate::Suppressed);
    assert_eq!(west.median_hours_to_response, Rate::Suppressed);
    // No businesses: nothing to read.
    assert_eq!(out.survival.businesses, Cell::Shown(0));
    assert_eq!(out.survival.at_6_months, Rate::Empty);
    let json = serde_json::to_string(&out).unwrap();
    assert!(!json.contains("C-0000"), "no client code leaves");
}
