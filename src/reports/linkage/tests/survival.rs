//! Kaplan–Meier worked by hand.

use super::*;
use crate::reports::linkage::survival::{kaplan_meier, lifetime, Lifetime};

fn life(days: i64, closed: bool) -> Lifetime {
    Lifetime { days, closed }
}

#[test]
fn survival_at_6_and_12_months_is_worked_by_hand() {
    // Seven businesses (days, closed?):
    //   30 closed, 100 censored, 150 closed, 200 closed, 250 censored,
    //   400 closed, 400 censored.
    // Day  30: at risk 7, 1 closed -> S = 6/7
    // Day 100: 1 censored (at risk 6)
    // Day 150: at risk 5, 1 closed -> S = 6/7 * 4/5 = 24/35
    // Day 200: at risk 4, 1 closed -> S = 24/35 * 3/4 = 18/35
    // Day 250: 1 censored (at risk 3)
    // Day 400: at risk 2, 1 closed  -> S = 18/35 * 1/2 = 9/35
    // S(183) = 24/35 with 4 at risk (200, 250, 400, 400);
    // S(365) = 18/35 with 2 at risk (400, 400).
    let curve = kaplan_meier(&[
        life(30, true),
        life(100, false),
        life(150, true),
        life(200, true),
        life(250, false),
        life(400, true),
        life(400, false),
    ]);
    let close = |a: f64, b: f64| (a - b).abs() < 1e-12;
    assert_eq!((curve.businesses, curve.closed), (7, 4));
    let s6 = curve.at_6_months.survival.unwrap();
    let s12 = curve.at_12_months.survival.unwrap();
    assert!(close(s6, 24.0 / 35.0), "{s6}");
    assert!(close(s12, 18.0 / 35.0), "{s12}");
    assert_eq!(
        (curve.at_6_months.at_risk, curve.at_12_months.at_risk),
        (4, 2)
    );
    let steps: Vec<(i64, u32, u32, u32)> = curve
        .steps
        .iter()
        .map(|s| (s.day, s.at_risk, s.closed, s.censored))
        .collect();
    assert_eq!(
        steps,
        vec![
            (30, 7, 1, 0),
            (100, 6, 0, 1),
            (150, 5, 1, 0),
            (200, 4, 1, 0),
            (250, 3, 0, 1),
            (400, 2, 1, 1),
        ]
    );
    assert!(close(curve.steps[5].survival, 9.0 / 35.0));
}

#[test]
fn survival_past_the_last_observation_is_unknown_unless_all_closed() {
    let censored = kaplan_meier(&[life(10, false)]);
    assert_eq!(censored.at_6_months.survival, None);
    let all_closed = kaplan_meier(&[life(10, true)]);
    assert_eq!(all_closed.at_12_months.survival, Some(0.0));
    assert_eq!(kaplan_meier(&[]).at_6_months.survival, None);
}

#[test]
fn a_lifetime_ends_at_the_first_closed_check_or_is_censored_at_the_last_check() {
    let as_of = d(2026, 1, 1);
    let start = d(2025, 1, 1);
    let b = |checks: &[(NaiveDate, BusinessStatus)]| business(1, start, vec![], checks);
    use BusinessStatus::{Closed, Operating, Paused};
    // Closed on 31 Jan (day 30), reopened later: the closure is the event.
    assert_eq!(
        lifetime(
            &b(&[(d(2025, 1, 31), Closed), (d(2025, 6, 1), Operating)]),
            as_of
        ),
        Some(life(30, true))
    );
    // Operating on day 50, paused on 11 Apr (day 100): censored at day 100.
    assert_eq!(
        lifetime(
            &b(&[(d(2025, 2, 20), Operating), (d(2025, 4, 11), Paused)]),
            as_of
        ),
        Some(life(100, false))
    );
    // Never checked: censored at its start. A check after the date is unseen.
    assert_eq!(lifetime(&b(&[]), as_of), Some(life(0, false)));
    assert_eq!(
        lifetime(&b(&[(d(2026, 2, 1), Closed)]), as_of),
        Some(life(0, false))
    );
    assert_eq!(lifetime(&b(&[]), d(2024, 12, 31)), None);
}

#[test]
fn an_exported_curve_hides_readings_once_10_or_fewer_remain_at_risk() {
    use crate::reports::linkage::program::program_report;
    use crate::reports::suppression::{Cell, Rate};
    // 20 businesses started 1 Jan 2025. Ten closed at day 100 (11 Apr); ten
    // still operating at day 400 (5 Feb 2026). S = 10/20 = 0.5 from day 100.
    // At risk: 20 up to day 100, 10 after. Monthly readings (30-day months):
    // months 1-3 (days 30-90) S = 1 with 20 at risk; from month 4 (day 120)
    // only 10 are at risk, so every later reading is hidden.
    let mut women = Vec::new();
    for n in 1..=20u32 {
        let mut w = woman(n, d(2024, 12, 1));
        let check = if n <= 10 {
            (d(2025, 4, 11), BusinessStatus::Closed)
        } else {
            (d(2026, 2, 5), BusinessStatus::Operating)
        };
        w.businesses
            .push(business(i64::from(n), d(2025, 1, 1), vec![], &[check]));
        women.push(w);
    }
    let report = program_report(&women, &[], d(2026, 3, 1));
    assert_eq!(report.survival.read_at(100), Some(0.5));
    let out = report.export().survival;
    assert_eq!(
        (out.businesses, out.closed),
        (Cell::Shown(20), Cell::Suppressed)
    );
    assert_eq!(out.monthly[2], (3, Rate::Shown(1.0)));
    assert_eq!(out.monthly[3], (4, Rate::Suppressed));
    assert_eq!(out.at_6_months, Rate::Suppressed);
}
