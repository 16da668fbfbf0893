//! A group grading summary built from the books: the "Panchsutra" a
//! DAY-NRLM grading or a bank linkage asks for (regular meetings, regular
//! savings, internal lending, timely repayment, books kept up to date),
//! with attendance alongside, each measured over the last twelve months (or
//! since the group was formed, if later), scored, and added up to a grade.
//!
//! # Convention and bands
//!
//! DAY-NRLM grades SHGs on the five Panchsutra before the revolving fund
//! (about 3 months after formation), before the community investment fund
//! (6–9 months) and before bank linkage; the older SGSY/NABARD-style grading
//! scores a group out of 100 and reads **A (very good) from 85 points, B
//! (good) from 75, C (needs improvement) below 75**, with bank linkage for A
//! and B groups. States publish their own score sheets; what follows is this
//! program's reading of them, kept as data ([`RULES`], [`GRADES`]) so that a
//! program can change a threshold without touching the arithmetic:
//!
//! | indicator | measure | points |
//! |---|---|---|
//! | meetings | meetings held / meetings expected at the group's frequency | 20 |
//! | attendance | members present / members enrolled, over those meetings | 10 |
//! | savings | member-meetings with thrift paid that day / member-meetings | 20 |
//! | lending | mean of (members who borrowed / members) and (lent out / (lent out + cash + bank)) | 15 |
//! | repayment | collected / fell due (DCB over the window, arrears at its start included) | 20 |
//! | books | meeting interval / days since the last entry or meeting (at most 1) | 15 |
//!
//! Each indicator's ratio (capped at 1) falls in the first band whose
//! threshold it reaches; below every band it scores 0. An indicator with
//! nothing to measure (no meetings, nothing fell due) scores 0: a group that
//! has not lent yet has no repayment record to show a bank.

use super::sheet::{Cell, Sheet};
use crate::groups::Member;
use crate::ledger::{chart, Account, MemberId, PostedEntry};
use crate::loans::portfolio::dcb;
use crate::loans::product::LoanStatus;
use crate::meetings::MeetingSummary;
use crate::store::LoanWithState;
use chrono::{Months, NaiveDate};
use rust_decimal::Decimal;
use serde::Serialize;
use std::collections::{HashMap, HashSet};
use std::fmt;
use std::str::FromStr;

/// How often the group has agreed to meet. Groups do not record it yet, so
/// the page asks (weekly by default, as most SHGs of the program meet).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Frequency {
    #[default]
    Weekly,
    Fortnightly,
    Monthly,
}

impl Frequency {
    pub const ALL: [Frequency; 3] = [
        Frequency::Weekly,
        Frequency::Fortnightly,
        Frequency::Monthly,
    ];

    /// Days between meetings; a month counts as 30 so a year expects 12.
    pub fn days(self) -> i64 {
        match self {
            Frequency::Weekly => 7,
            Frequency::Fortnightly => 14,
            Frequency::Monthly => 30,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Frequency::Weekly => "weekly",
            Frequency::Fortnightly => "fortnightly",
            Frequency::Monthly => "monthly",
        }
    }
}

impl fmt::Display for Frequency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Frequency {
    type Err = String;
    fn from_str(s: &str) -> Result<Frequency, String> {
        Frequency::ALL
            .into_iter()
            .find(|f| f.as_str() == s)
            .ok_or_else(|| "one of weekly, fortnightly, monthly".to_string())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Indicator {
    Meetings,
    Attendance,
    Savings,
    Lending,
    Repayment,
    Books,
}

impl Indicator {
    pub fn as_str(self) -> &'static str {
        match self {
            Indicator::Meetings => "meetings",
            Indicator::Attendance => "attendance",
            Indicator::Savings => "savings",
            Indicator::Lending => "lending",
            Indicator::Repayment => "repayment",
            Indicator::Books => "books",
        }
    }
}

/// How one indicator scores: `(ratio at least, in thousandths; points)`,
/// best band first.
#[derive(Debug, Clone, Copy)]
pub struct Rule {
    pub indicator: Indicator,
    pub max_points: u32,
    pub bands: &'static [(u32, u32)],
}

pub const RULES: [Rule; 6] = [
    Rule {
        indicator: Indicator::Meetings,
        max_points: 20,
        bands: &[(900, 20), (750, 15), (500, 10), (250, 5)],
    },
    Rule {
        indicator: Indicator::Attendance,
        max_points: 10,
        bands: &[(900, 10), (750, 7), (500, 4)],
    },
    Rule {
        indicator: Indicator::Savings,
        max_points: 20,
        bands: &[(900, 20), (750, 15), (500, 10), (250, 5)],
    },
    Rule {
        indicator: Indicator::Lending,
        max_points: 15,
        bands: &[(500, 15), (300, 10), (100, 5)],
    },
    Rule {
        indicator: Indicator::Repayment,
        max_points: 20,
        bands: &[(950, 20), (900, 15), (800, 10), (700, 5)],
    },
    Rule {
        indicator: Indicator::Books,
        max_points: 15,
        bands: &[(1000, 15), (500, 10), (250, 5)],
    },
];

/// `(at least these points, grade)`, best first; below all of them, "C".
pub const GRADES: [(u32, &str); 2] = [(85, "A"), (75, "B")];
pub const LOWEST_GRADE: &str = "C";

impl Rule {
    pub fn points(&self, ratio: Option<Decimal>) -> u32 {
        let Some(r) = ratio else { return 0 };
        let per_mille = (r * Decimal::from(1000)).floor();
        self.bands
            .iter()
            .find(|(at_least, _)| per_mille >= Decimal::from(*at_least))
            .map_or(0, |&(_, points)| points)
    }
}

pub fn grade(points: u32) -> &'static str {
    GRADES
        .iter()
        .find(|(at_least, _)| points >= *at_least)
        .map_or(LOWEST_GRADE, |&(_, g)| g)
}

/// What the grading reads from the books.
pub struct GradingInput<'a> {
    pub as_of: NaiveDate,
    /// When the group started: its first member's joining date.
    pub formed_on: NaiveDate,
    pub frequency: Frequency,
    pub meetings: &'a [MeetingSummary],
    pub members: &'a [Member],
    /// Days on which each member paid compulsory thrift (see [`thrift_days`]).
    pub thrift_days: &'a HashSet<(MemberId, NaiveDate)>,
    /// Loans as they stood at the end of `as_of`.
    pub loans: &'a [LoanWithState],
    /// Loan principal outstanding with members, by the books.
    pub lent_out: i64,
    /// Cash in hand and at the bank.
    pub liquid: i64,
    /// Date of the latest entry in the books on or before `as_of`.
    pub last_entry: Option<NaiveDate>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Score {
    pub indicator: Indicator,
    pub numerator: i64,
    pub denominator: i64,
    /// `None` when there was nothing to measure.
    pub ratio: Option<Decimal>,
    pub points: u32,
    pub max_points: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Grading {
    pub as_of: NaiveDate,
    pub window_start: NaiveDate,
    pub frequency: Frequency,
    pub scores: Vec<Score>,
    pub total: u32,
    pub max_total: u32,
    pub grade: &'static str,
    /// Lent out / (lent out + cash + bank), one half of the lending measure.
    pub fund_utilisation: Option<Decimal>,
    pub lent_out: i64,
    pub liquid: i64,
    pub last_activity: Option<NaiveDate>,
}

fn ratio(numerator: i64, denominator: i64) -> Option<Decimal> {
    if denominator <= 0 {
        return None;
    }
    let r = Decimal::from(numerator.max(0)).checked_div(Decimal::from(denominator))?;
    Some(r.min(Decimal::ONE))
}

/// The days each member paid compulsory thrift: credits to her compulsory
/// savings account (`2000-…`), from the journal of the window.
pub fn thrift_days(
    journal: &[PostedEntry],
    accounts: &[Account],
) -> HashSet<(MemberId, NaiveDate)> {
    let prefix = format!("{}-", chart::shg::COMPULSORY_SAVINGS);
    let owner: HashMap<i64, MemberId> = accounts
        .iter()
        .filter(|a| a.code.starts_with(&prefix))
        .filter_map(|a| a.member_id.map(|m| (a.id, m)))
        .collect();
    let mut days = HashSet::new();
    for e in journal {
        for p in e.postings.iter().filter(|p| p.amount < 0) {
            if let Some(&m) = owner.get(&p.account_id) {
                days.insert((m, e.business_date));
            }
        }
    }
    days
}

pub fn grading(input: &GradingInput<'_>) -> Grading {
    let as_of = input.as_of;
    let year_ago = as_of.checked_sub_months(Months::new(12)).unwrap_or(as_of);
    let start = input.formed_on.max(year_ago).min(as_of);
    let interval = input.frequency.days();
    let in_window: Vec<&MeetingSummary> = input
        .meetings
        .iter()
        .filter(|m| m.held_on >= start && m.held_on <= as_of)
        .collect();

    // Regular meetings: at least one is expected as soon as the group exists.
    let expected = ((as_of - start).num_days() / interval).max(1);
    let held = i64::try_from(in_window.len()).unwrap_or(i64::MAX);

    let present: i64 = in_window.iter().map(|m| m.present).sum();
    let enrolled: i64 = in_window.iter().map(|m| m.enrolled).sum();

    let mut member_meetings = 0_i64;
    let mut paid = 0_i64;
    for m in &in_window {
        for member in input.members.iter().filter(|x| x.joined_on <= m.held_on) {
            member_meetings += 1;
            if input.thrift_days.contains(&(member.id, m.held_on)) {
                paid += 1;
            }
        }
    }

    let members = i64::try_from(
        input
            .members
            .iter()
            .filter(|m| m.joined_on <= as_of)
            .count(),
    )
    .unwrap_or(i64::MAX);
    let borrowers: HashSet<MemberId> = input
        .loans
        .iter()
        .filter(|l| {
            l.loan.status == LoanStatus::Active
                || l.loan
                    .disbursed_on
                    .is_some_and(|d| d >= start && d <= as_of)
        })
        .map(|l| l.loan.member_id)
        .collect();
    let borrowers = i64::try_from(borrowers.len()).unwrap_or(i64::MAX);
    let utilisation = ratio(input.lent_out, input.lent_out.saturating_add(input.liquid));
    let lending = match (ratio(borrowers, members), utilisation) {
        (Some(a), Some(b)) => Some((a + b) / Decimal::TWO),
        (a, b) => a.or(b).map(|r| r / Decimal::TWO),
    };

    let row = dcb(input.loans.iter().map(|l| &l.state), &[(start, as_of)]);
    let (due, collected) = row.first().map_or((0, 0), |r| {
        (
            r.opening_overdue.saturating_add(r.demand),
            r.advance_adjusted.saturating_add(r.collected_against_due),
        )
    });

    let last_meeting = input
        .meetings
        .iter()
        .map(|m| m.held_on)
        .filter(|d| *d <= as_of)
        .max();
    let last_activity = last_meeting.max(input.last_entry);
    let since = last_activity.map_or(i64::MAX, |d| (as_of - d).num_days());
    let books = if since <= interval {
        last_activity.map(|_| Decimal::ONE)
    } else {
        ratio(interval, since)
    };

    let measured = [
        (Indicator::Meetings, held, expected, ratio(held, expected)),
        (
            Indicator::Attendance,
            present,
            enrolled,
            ratio(present, enrolled),
        ),
        (
            Indicator::Savings,
            paid,
            member_meetings,
            ratio(paid, member_meetings),
        ),
        (Indicator::Lending, borrowers, members, lending),
        (Indicator::Repayment, collected, due, ratio(collected, due)),
        (Indicator::Books, interval, since.min(36_500), books),
    ];
    let scores: Vec<Score> = RULES
        .iter()
        .zip(measured)
        .map(|(rule, (indicator, numerator, denominator, ratio))| Score {
            indicator,
            numerator,
            denominator,
            ratio,
            points: rule.points(ratio),
            max_points: rule.max_points,
        })
        .collect();
    let total = scores.iter().map(|s| s.points).sum();
    Grading {
        as_of,
        window_start: start,
        frequency: input.frequency,
        total,
        max_total: RULES.iter().map(|r| r.max_points).sum(),
        grade: grade(total),
        scores,
        fund_utilisation: utilisation,
        lent_out: input.lent_out,
        liquid: input.liquid,
        last_activity,
    }
}

impl Grading {
    pub fn sheet(&self) -> Sheet {
        let mut s = Sheet::new(&[
            "indicator",
            "numerator",
            "denominator",
            "ratio",
            "points",
            "max_points",
        ]);
        for sc in &self.scores {
            // Repayment is measured in money; the others count things.
            let figure = if sc.indicator == Indicator::Repayment {
                Cell::Money
            } else {
                Cell::Count
            };
            s.push(vec![
                Cell::text(sc.indicator.as_str()),
                figure(sc.numerator),
                figure(sc.denominator),
                sc.ratio.map_or(Cell::Empty, Cell::Ratio),
                Cell::Count(i64::from(sc.points)),
                Cell::Count(i64::from(sc.max_points)),
            ]);
        }
        s.push(vec![
            Cell::text("total"),
            Cell::Empty,
            Cell::Empty,
            Cell::Empty,
            Cell::Count(i64::from(self.total)),
            Cell::Count(i64::from(self.max_total)),
        ]);
        s.push(vec![Cell::text("grade"), Cell::text(self.grade)]);
        s.push(vec![
            Cell::text("window_start"),
            Cell::Date(self.window_start),
        ]);
        s.push(vec![Cell::text("as_of"), Cell::Date(self.as_of)]);
        s.push(vec![
            Cell::text("frequency"),
            Cell::text(self.frequency.as_str()),
        ]);
        s.push(vec![
            Cell::text("fund_utilisation"),
            Cell::Money(self.lent_out),
            Cell::Money(self.lent_out.saturating_add(self.liquid)),
            self.fund_utilisation.map_or(Cell::Empty, Cell::Ratio),
        ]);
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::loans::product::{templates, Loan, LoanSource};
    use crate::loans::state::{
        AllocationLine, Component, InstallmentState, LoanState, Parts, Payment,
    };

    fn d(m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, m, day).unwrap_or_default()
    }

    fn member(id: i64, joined_on: NaiveDate) -> Member {
        Member {
            id,
            group_id: 1,
            code: format!("M{id}"),
            display_name: format!("M{id}"),
            joined_on,
        }
    }

    fn meeting(id: i64, held_on: NaiveDate, present: i64, enrolled: i64) -> MeetingSummary {
        MeetingSummary {
            id,
            group_id: 1,
            held_on,
            present,
            enrolled,
            cash_in: 0,
            cash_out: 0,
            expected_cash: 0,
            counted_cash: None,
        }
    }

    #[test]
    fn bands_run_from_best_to_worst_and_the_points_add_up_to_100() {
        for rule in RULES {
            assert_eq!(
                rule.bands.first().map(|b| b.1),
                Some(rule.max_points),
                "{:?}",
                rule.indicator
            );
            assert!(rule
                .bands
                .windows(2)
                .all(|w| w[0].0 > w[1].0 && w[0].1 > w[1].1));
        }
        assert_eq!(RULES.iter().map(|r| r.max_points).sum::<u32>(), 100);
        assert_eq!(
            (grade(85), grade(84), grade(75), grade(74)),
            ("A", "B", "B", "C")
        );
        let meetings = RULES[0];
        assert_eq!(meetings.points(Some(Decimal::new(9, 1))), 20);
        assert_eq!(meetings.points(Some(Decimal::new(8999, 4))), 15);
        assert_eq!(meetings.points(Some(Decimal::new(2, 1))), 0);
        assert_eq!(meetings.points(None), 0);
    }

    /// A monthly group formed on 1 January 2026 with three members (M3
    /// joined on 1 March), graded on 30 June: 180 days, so 6 meetings
    /// expected; 5 held (no meeting in April).
    #[test]
    fn a_monthly_group_graded_after_six_months() {
        let members = [member(1, d(1, 1)), member(2, d(1, 1)), member(3, d(3, 1))];
        let meetings = [
            meeting(1, d(1, 5), 2, 2),
            meeting(2, d(2, 5), 2, 2),
            meeting(3, d(3, 5), 3, 3),
            meeting(4, d(5, 5), 2, 3),
            meeting(5, d(6, 5), 3, 3),
        ];
        // Member-meetings: 2 + 2 + 3 + 3 + 3 = 13. Thrift paid at 11 of
        // them: M1 all 5, M2 all but May (4), M3 in March and June (2).
        let mut thrift = HashSet::new();
        for m in &meetings {
            thrift.insert((1, m.held_on));
            if m.held_on != d(5, 5) {
                thrift.insert((2, m.held_on));
            }
        }
        thrift.insert((3, d(3, 5)));
        thrift.insert((3, d(6, 5)));
        // One loan to M1 on 5 Feb: installments of 1,000 due 5 Mar, 5 Apr,
        // 5 May, 5 Jun, 5 Jul. She paid March and April on time, and on
        // 5 June 500 of May's and all of June's: 4,000 fell due by 30 June,
        // 3,500 was collected.
        let inst = |n, due_date| InstallmentState {
            number: n,
            due_date,
            due: Parts {
                principal: 1_000,
                ..Parts::default()
            },
            paid: Parts::default(),
            waived: Parts::default(),
        };
        let line = |n, amount| AllocationLine {
            installment: n,
            component: Component::Principal,
            amount,
        };
        let pay = |on, lines| Payment { paid_on: on, lines };
        let state = LoanState {
            installments: vec![
                inst(1, d(3, 5)),
                inst(2, d(4, 5)),
                inst(3, d(5, 5)),
                inst(4, d(6, 5)),
                inst(5, d(7, 5)),
            ],
            payments: vec![
                pay(d(3, 5), vec![line(1, 1_000)]),
                pay(d(4, 5), vec![line(2, 1_000)]),
                pay(d(6, 5), vec![line(3, 500), line(4, 1_000)]),
            ],
        };
        let loan = Loan {
            id: 1,
            group_id: 1,
            member_id: 1,
            product_id: None,
            source: LoanSource::GroupFund,
            purpose: "tailoring".into(),
            principal: 5_000,
            settings: templates()[0].1.clone(),
            status: LoanStatus::Active,
            applied_on: d(2, 5),
            approved_on: Some(d(2, 5)),
            resolution: None,
            disbursed_on: Some(d(2, 5)),
            disbursement_entry_id: Some(9),
            closed_on: None,
            schedule_version: 1,
        };
        let loans = [LoanWithState { loan, state }];
        let input = |frequency| GradingInput {
            as_of: d(6, 30),
            formed_on: d(1, 1),
            frequency,
            meetings: &meetings,
            members: &members,
            thrift_days: &thrift,
            loans: &loans,
            // 1,500 lent out; 8,500 in cash and bank: utilisation 0.15.
            lent_out: 1_500,
            liquid: 8_500,
            last_entry: Some(d(6, 12)),
        };
        let g = grading(&input(Frequency::Monthly));
        let got: Vec<(Indicator, i64, i64, u32)> = g
            .scores
            .iter()
            .map(|s| (s.indicator, s.numerator, s.denominator, s.points))
            .collect();
        assert_eq!(
            got,
            [
                // 5 / 6 = 0.833: the 75 % band, 15 points.
                (Indicator::Meetings, 5, 6, 15),
                // (2 + 2 + 3 + 2 + 3) / (2 + 2 + 3 + 3 + 3) = 12 / 13 = 0.923.
                (Indicator::Attendance, 12, 13, 10),
                // 11 / 13 = 0.846: 15 points.
                (Indicator::Savings, 11, 13, 15),
                // Borrowers 1 / 3 = 0.333, utilisation 0.15: mean 0.2417,
                // the 10 % band: 5 points.
                (Indicator::Lending, 1, 3, 5),
                // 3,500 / 4,000 = 0.875: the 80 % band, 10 points.
                (Indicator::Repayment, 3_500, 4_000, 10),
                // Last entry 12 June, 18 days before: within 30, 15 points.
                (Indicator::Books, 30, 18, 15),
            ]
        );
        assert_eq!(g.window_start, d(1, 1));
        assert_eq!(g.total, 70);
        assert_eq!(g.grade, "C");
        assert_eq!(g.fund_utilisation, Some(Decimal::new(15, 2)));
        let csv = String::from_utf8(g.sheet().to_csv(2).unwrap_or_default()).unwrap_or_default();
        assert!(
            csv.contains("\nrepayment,35.00,40.00,0.8750,10,20\n"),
            "{csv}"
        );
        assert!(csv.contains("\ntotal,,,,70,100\ngrade,C,,,,\n"), "{csv}");

        // Graded weekly instead, the same five meetings are far too few:
        // 180 / 7 = 25 expected, 0.2: no points; books 18 days old against
        // a 7-day interval: 7 / 18 = 0.389, the 25 % band.
        let weekly = grading(&input(Frequency::Weekly));
        assert_eq!(
            (weekly.scores[0].denominator, weekly.scores[0].points),
            (25, 0)
        );
        assert_eq!(weekly.scores[5].points, 5);
    }

    #[test]
    fn thrift_days_are_credits_to_compulsory_savings_only() {
        use crate::reports::statements::tests::{chart, journal};
        let mut accounts = chart();
        for a in accounts.iter_mut() {
            a.member_id = match a.code.as_str() {
                "2000-M1" | "1100-M1" => Some(1),
                "2000-M2" => Some(2),
                _ => None,
            };
        }
        let days = thrift_days(&journal(), &accounts);
        let date = NaiveDate::from_ymd_opt(2026, 3, 2).unwrap_or_default();
        assert_eq!(days, HashSet::from([(1, date), (2, date)]));
    }
}
