//! Which member borrows what, when, and how she repays: a script per group,
//! written so that every state a loan can be in shows up by the last meeting
//! however many weeks the demo covers (from `MIN_WEEKS`).
//!
//! Weeks count meetings from 0 (the first) to `weeks - 1` (the last, on or
//! just before "today"). Pure: the store is driven by `sim`.

use super::rng::SplitMix64;

/// Fewer weeks cannot fit a loan that is more than 30 days late next to one
/// written off after months of arrears.
pub const MIN_WEEKS: u32 = 12;
/// The scripted roles need this many different borrowers.
pub const MIN_MEMBERS: u32 = 10;

/// Indices into `crate::loans::product::templates()`.
pub const BUSINESS: usize = 0;
pub const PETTY_TRADE: usize = 1;
pub const START_UP: usize = 2;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Behaviour {
    /// Pays what is due at every meeting she attends.
    OnTime,
    /// Skips some weeks and pays half in others; catches up now and then.
    Irregular,
    /// On time until this week, then nothing: more than 30 days late by the end.
    StopsAt(u32),
    /// Stops paying, the group writes the loan off after months of arrears
    /// and later recovers a little of it.
    WrittenOff {
        stop: u32,
        write_off: u32,
        recover: u32,
    },
    /// Falls behind (a reason code, never detail), the group adds periods,
    /// then she pays on the new schedule.
    Rescheduled {
        stop: u32,
        at: u32,
        reason: &'static str,
    },
    /// On time, then pays everything that is left in this week.
    PaysOffAt(u32),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Decision {
    pub week: u32,
    pub approve: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoanPlan {
    /// Index into the group's members.
    pub member: usize,
    pub template: usize,
    /// Minor units (paise).
    pub principal: i64,
    pub purpose: String,
    pub apply: u32,
    pub decide: Option<Decision>,
    /// Moves to the next meeting when the cash box cannot pay it out.
    pub disburse: Option<u32>,
    pub behaviour: Behaviour,
}

impl LoanPlan {
    /// Weeks in which the story needs her at the meeting.
    pub fn must_attend(&self, week: u32, last: u32) -> bool {
        match self.behaviour {
            Behaviour::PaysOffAt(w) => w == week,
            // So that the demo always shows loans with nothing overdue.
            Behaviour::OnTime => week == last,
            _ => false,
        }
    }

    /// Weeks in which she has stopped coming regularly.
    pub fn in_default(&self, week: u32) -> bool {
        match self.behaviour {
            Behaviour::StopsAt(stop) | Behaviour::WrittenOff { stop, .. } => week >= stop,
            Behaviour::Rescheduled { stop, at, .. } => (stop..at).contains(&week),
            _ => false,
        }
    }
}

/// Whole rupees between `lo` and `hi` in steps of ₹500, as paise.
fn rupees(rng: &mut SplitMix64, lo: i64, hi: i64) -> i64 {
    rng.range(lo / 500, hi / 500) * 500 * 100
}

/// The group's loans for `weeks` meetings and `members` members (at least
/// `MIN_WEEKS` and `MIN_MEMBERS`; the caller checks).
pub fn plan_loans(
    weeks: u32,
    members: usize,
    purposes: &[String],
    rng: &mut SplitMix64,
) -> Vec<LoanPlan> {
    let last = weeks.saturating_sub(1);
    let mut order: Vec<usize> = (0..members).collect();
    rng.shuffle(&mut order);
    let mut who = order.into_iter();
    let mut plans = Vec::new();
    let mut add = |rng: &mut SplitMix64,
                   member: usize,
                   template: usize,
                   (lo, hi): (i64, i64),
                   apply: u32,
                   decide: Option<Decision>,
                   disburse: Option<u32>,
                   behaviour: Behaviour| {
        let purpose = rng.pick(purposes).cloned().unwrap_or_default();
        plans.push(LoanPlan {
            member,
            template,
            principal: rupees(rng, lo, hi),
            purpose,
            apply,
            decide,
            disburse,
            behaviour,
        });
    };
    let approve = |week| {
        Some(Decision {
            week,
            approve: true,
        })
    };
    let mut next = || who.next().unwrap_or(0);

    // Early loans, paid out of the bank linkage money.
    let a = next();
    add(
        rng,
        a,
        PETTY_TRADE,
        (5_000, 8_000),
        0,
        approve(1),
        Some(1),
        Behaviour::OnTime,
    );
    let b = next();
    add(
        rng,
        b,
        BUSINESS,
        (10_000, 15_000),
        0,
        approve(1),
        Some(1),
        Behaviour::OnTime,
    );
    let c = next();
    add(
        rng,
        c,
        PETTY_TRADE,
        (5_000, 8_000),
        1,
        approve(2),
        Some(2),
        Behaviour::Irregular,
    );

    let d = next();
    // Anchored to the end, so that her 26-week loan is still running when
    // she stops paying and is more than 30 days late at the last meeting.
    let d_stop = last - (weeks / 8).clamp(5, 10);
    let d_out = d_stop.saturating_sub(12).max(3);
    add(
        rng,
        d,
        PETTY_TRADE,
        (5_000, 8_000),
        d_out - 1,
        approve(d_out),
        Some(d_out),
        Behaviour::StopsAt(d_stop),
    );
    // She asks for a second loan while the first runs; the group says no.
    let j_apply = (d_out + (weeks / 8).clamp(1, 6)).min(last - 2);
    add(
        rng,
        d,
        BUSINESS,
        (10_000, 15_000),
        j_apply,
        Some(Decision {
            week: j_apply + 1,
            approve: false,
        }),
        None,
        Behaviour::OnTime,
    );

    let e = next();
    // Clamped so that she stops while she still owes (26 weekly
    // installments) and the group acts within months, however long the demo.
    let e_stop = 1 + (weeks / 6).clamp(2, 12);
    let e_write_off = e_stop + (weeks * 35 / 100).clamp(5, 26);
    let e_recover = (e_write_off + (weeks / 6).clamp(2, 12)).min(last);
    add(
        rng,
        e,
        PETTY_TRADE,
        (6_000, 9_000),
        0,
        approve(1),
        Some(1),
        Behaviour::WrittenOff {
            stop: e_stop,
            write_off: e_write_off,
            recover: e_recover,
        },
    );

    let f = next();
    // Also anchored to the end: the new schedule is still running at the
    // last meeting.
    let f_at = last - (weeks / 10).clamp(4, 8);
    let f_stop = f_at - (weeks / 10).clamp(3, 8);
    let f_out = f_stop.saturating_sub((weeks / 8).clamp(2, 10)).max(2);
    let reason = if rng.chance(50) {
        "illness"
    } else {
        "business-loss"
    };
    add(
        rng,
        f,
        PETTY_TRADE,
        (6_000, 9_000),
        f_out - 1,
        approve(f_out),
        Some(f_out),
        Behaviour::Rescheduled {
            stop: f_stop,
            at: f_at,
            reason,
        },
    );

    let g = next();
    let g_off = 3 + (weeks / 3).clamp(4, 20);
    add(
        rng,
        g,
        PETTY_TRADE,
        (4_000, 6_000),
        2,
        approve(3),
        Some(3),
        Behaviour::PaysOffAt(g_off),
    );
    if g_off + 2 < last {
        // Paid off early, she borrows again for a bigger business.
        add(
            rng,
            g,
            BUSINESS,
            (8_000, 12_000),
            g_off + 1,
            approve(g_off + 2),
            Some(g_off + 2),
            Behaviour::OnTime,
        );
    }

    let k = next();
    let k_out = (weeks * 3 / 10).max(3);
    add(
        rng,
        k,
        START_UP,
        (10_000, 15_000),
        k_out - 1,
        approve(k_out),
        Some(k_out),
        Behaviour::OnTime,
    );

    // Decided at the last meeting, paid out at the next one (after today).
    let h = next();
    add(
        rng,
        h,
        BUSINESS,
        (8_000, 12_000),
        last - 1,
        approve(last),
        None,
        Behaviour::OnTime,
    );
    // Asked for at the last meeting; the group decides next time.
    let i = next();
    add(
        rng,
        i,
        PETTY_TRADE,
        (4_000, 6_000),
        last,
        None,
        None,
        Behaviour::OnTime,
    );

    // A 26-week loan paid on time ends in week 27: her next loan follows.
    if 31 < last {
        add(
            rng,
            a,
            BUSINESS,
            (12_000, 20_000),
            30,
            approve(31),
            Some(31),
            Behaviour::OnTime,
        );
    }
    if members > 10 {
        let l = next();
        let out = (weeks / 2).max(4);
        add(
            rng,
            l,
            BUSINESS,
            (8_000, 12_000),
            out - 1,
            approve(out),
            Some(out),
            Behaviour::OnTime,
        );
    }
    if members > 11 {
        let l = next();
        let out = (weeks * 65 / 100).max(5);
        add(
            rng,
            l,
            PETTY_TRADE,
            (5_000, 7_000),
            out - 1,
            approve(out),
            Some(out),
            Behaviour::Irregular,
        );
    }
    // Some of the rest borrow at some point; some never do.
    for m in who_rest(&mut next, members.saturating_sub(12)) {
        if rng.chance(50) {
            let out = rng.range(i64::from(weeks / 3), i64::from(last - 3)) as u32;
            let template = if rng.chance(50) {
                BUSINESS
            } else {
                PETTY_TRADE
            };
            add(
                rng,
                m,
                template,
                (5_000, 10_000),
                out - 1,
                approve(out),
                Some(out),
                Behaviour::OnTime,
            );
        }
    }
    plans
}

/// The next loan of a member whose last one closed: bigger, for a business
/// that has started to pay, asked for at the next meeting.
pub fn repeat_loan(
    member: usize,
    week: u32,
    purposes: &[String],
    rng: &mut SplitMix64,
) -> LoanPlan {
    let template = if rng.chance(60) {
        BUSINESS
    } else {
        PETTY_TRADE
    };
    let behaviour = if rng.chance(20) {
        Behaviour::Irregular
    } else {
        Behaviour::OnTime
    };
    LoanPlan {
        member,
        template,
        principal: rupees(rng, 8_000, 20_000),
        purpose: rng.pick(purposes).cloned().unwrap_or_default(),
        apply: week + 1,
        decide: Some(Decision {
            week: week + 2,
            approve: true,
        }),
        disburse: Some(week + 2),
        behaviour,
    }
}

fn who_rest(next: &mut impl FnMut() -> usize, n: usize) -> Vec<usize> {
    (0..n).map(|_| next()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn purposes() -> Vec<String> {
        vec!["pickles".into(), "weaving".into()]
    }

    #[test]
    fn the_plan_is_the_same_for_the_same_seed() {
        let plan = |seed| plan_loans(52, 14, &purposes(), &mut SplitMix64::new(seed));
        assert_eq!(plan(7), plan(7));
        assert_ne!(plan(7), plan(8));
    }

    #[test]
    fn every_scripted_event_falls_inside_the_year() {
        for weeks in MIN_WEEKS..=520 {
            for members in MIN_MEMBERS as usize..=20 {
                let plans = plan_loans(weeks, members, &purposes(), &mut SplitMix64::new(1));
                let last = weeks - 1;
                for p in &plans {
                    assert!(p.member < members);
                    assert!(p.principal >= 400_000, "{p:?}");
                    if let Some(d) = p.decide {
                        assert!(p.apply < d.week && d.week <= last, "{weeks}: {p:?}");
                    }
                    if let Some(w) = p.disburse {
                        assert_eq!(p.decide.map(|d| d.week), Some(w));
                    }
                    match p.behaviour {
                        Behaviour::StopsAt(stop) => {
                            let out = p.disburse.unwrap();
                            assert!(out + 2 <= stop, "{weeks}: pays at least once");
                            assert!(stop < out + 26, "{weeks}: still owes when she stops");
                            assert!(7 * (last - stop) > 30, "{weeks}: over 30 days late");
                        }
                        Behaviour::WrittenOff {
                            stop,
                            write_off,
                            recover,
                        } => {
                            assert!(p.disburse.unwrap() < stop);
                            assert!(stop < p.disburse.unwrap() + 26, "{weeks}: still owes");
                            assert!(7 * (write_off - stop) > 30);
                            assert!(write_off < recover && recover <= last);
                        }
                        Behaviour::Rescheduled { stop, at, .. } => {
                            assert!(p.disburse.unwrap() < stop && stop < at && at < last);
                            assert!(stop < p.disburse.unwrap() + 26, "{weeks}: still owes");
                        }
                        Behaviour::PaysOffAt(w) => {
                            assert!(p.disburse.unwrap() < w && w < last);
                            assert!(w < p.disburse.unwrap() + 26, "{weeks}: still owes");
                        }
                        _ => {}
                    }
                }
                // One loan of each kind of ending: pending, approved,
                // rejected and paid out.
                assert!(plans.iter().any(|p| p.decide.is_none()));
                assert!(plans
                    .iter()
                    .any(|p| p.decide.is_some_and(|d| d.approve) && p.disburse.is_none()));
                assert!(plans.iter().any(|p| p.decide.is_some_and(|d| !d.approve)));
            }
        }
    }

    #[test]
    fn borrowers_never_hold_two_loans_at_once_except_the_refused_one() {
        let plans = plan_loans(52, 15, &purposes(), &mut SplitMix64::new(7));
        let mut seen = std::collections::HashMap::new();
        for p in plans.iter().filter(|p| p.disburse.is_some()) {
            seen.entry(p.member)
                .or_insert_with(Vec::new)
                .push(p.clone());
        }
        for loans in seen.values().filter(|l| l.len() > 1) {
            // A second loan only after the first ended: a 26-week loan paid
            // on time (week 27) or one paid off early.
            let first = &loans[0];
            let ends = match first.behaviour {
                Behaviour::PaysOffAt(w) => w,
                _ => first.disburse.unwrap() + 26,
            };
            assert!(loans[1].disburse.unwrap() > ends, "{loans:?}");
        }
    }
}
