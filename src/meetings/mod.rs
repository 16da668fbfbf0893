//! A group meeting as the treasurer runs it: who came, what each member paid
//! in or took out, loans paid out, expenses, and the cash counted at the
//! close. Pure: the draft is checked here; the store posts it all or nothing.

use crate::groups::GroupId;
use crate::ledger::{LoanId, MemberId};
use chrono::NaiveDate;
use serde::Serialize;

/// What one member did at the meeting. Amounts are minor units; zero means
/// nothing of that kind.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct MemberLines {
    pub member_id: MemberId,
    pub present: bool,
    /// Compulsory thrift (the group's amount, or whole meetings of it).
    pub thrift: i64,
    pub voluntary: i64,
    pub fine: i64,
    pub social_fund: i64,
    /// Paid out of her voluntary savings, on the meeting's resolution.
    pub withdrawal: i64,
    pub repayments: Vec<(LoanId, i64)>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Expense {
    pub description: String,
    pub amount: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MeetingDraft {
    pub group_id: GroupId,
    pub held_on: NaiveDate,
    pub members: Vec<MemberLines>,
    /// The group resolution that approved the withdrawals of this meeting.
    pub withdrawal_resolution: Option<String>,
    /// Approved loans paid out at the meeting.
    pub disbursements: Vec<LoanId>,
    pub expenses: Vec<Expense>,
    /// Cash counted at the close, when the treasurer counted it.
    pub cash_counted: Option<i64>,
}

/// A problem with one field of the meeting form: the field's form name and
/// what it accepts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> FieldError {
        FieldError {
            field: field.into(),
            message: message.into(),
        }
    }
}

/// Cash in and out of the box as the meeting's lines say (loans paid out are
/// added by whoever knows their principal).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct MeetingTotals {
    pub thrift: i64,
    pub voluntary: i64,
    pub repayments: i64,
    pub fines: i64,
    pub social_fund: i64,
    pub withdrawals: i64,
    pub expenses: i64,
    pub present: usize,
}

impl MeetingTotals {
    pub fn cash_in(&self) -> i64 {
        self.thrift + self.voluntary + self.repayments + self.fines + self.social_fund
    }
    pub fn cash_out(&self) -> i64 {
        self.withdrawals + self.expenses
    }
}

pub const MAX_EXPENSE_DESCRIPTION: usize = 100;
pub const MAX_RESOLUTION: usize = 50;

/// Why a draft whose every amount is valid can still not be taken: their
/// sum is beyond what an amount can hold.
pub const TOO_LARGE: &str = "the amounts in this meeting are too large to add up";

impl MeetingDraft {
    /// The totals of a draft that `check` accepted (it refuses one whose
    /// amounts do not add up, so these sums cannot overflow).
    pub fn totals(&self) -> MeetingTotals {
        let mut t = MeetingTotals::default();
        for m in &self.members {
            t.thrift += m.thrift;
            t.voluntary += m.voluntary;
            t.fines += m.fine;
            t.social_fund += m.social_fund;
            t.withdrawals += m.withdrawal;
            t.repayments += m.repayments.iter().map(|r| r.1).sum::<i64>();
            t.present += usize::from(m.present);
        }
        t.expenses = self.expenses.iter().map(|e| e.amount).sum();
        t
    }

    /// The totals, or `None` when the amounts are too large to add up: each
    /// fits in an amount, but a total, or the cash in or out, would not.
    pub fn checked_totals(&self) -> Option<MeetingTotals> {
        let mut t = MeetingTotals::default();
        for m in &self.members {
            t.thrift = t.thrift.checked_add(m.thrift)?;
            t.voluntary = t.voluntary.checked_add(m.voluntary)?;
            t.fines = t.fines.checked_add(m.fine)?;
            t.social_fund = t.social_fund.checked_add(m.social_fund)?;
            t.withdrawals = t.withdrawals.checked_add(m.withdrawal)?;
            for r in &m.repayments {
                t.repayments = t.repayments.checked_add(r.1)?;
            }
            t.present += usize::from(m.present);
        }
        for e in &self.expenses {
            t.expenses = t.expenses.checked_add(e.amount)?;
        }
        t.thrift
            .checked_add(t.voluntary)?
            .checked_add(t.repayments)?
            .checked_add(t.fines)?
            .checked_add(t.social_fund)?;
        t.withdrawals.checked_add(t.expenses)?;
        Some(t)
    }

    /// Everything that can be checked without the books: no negative
    /// amounts, no meeting in the future, a resolution for withdrawals,
    /// expenses described, each member once. Field names match the form.
    pub fn check(&self, today: NaiveDate) -> Vec<FieldError> {
        let mut errors = Vec::new();
        if self.held_on > today {
            errors.push(FieldError::new(
                "held_on",
                "a meeting that was held cannot be dated in the future",
            ));
        }
        let mut seen = std::collections::HashSet::new();
        for m in &self.members {
            let id = m.member_id;
            if !seen.insert(id) {
                errors.push(FieldError::new(
                    format!("m{id}"),
                    "this member appears twice",
                ));
            }
            for (name, amount) in [
                ("thrift", m.thrift),
                ("voluntary", m.voluntary),
                ("fine", m.fine),
                ("social_fund", m.social_fund),
                ("withdrawal", m.withdrawal),
            ] {
                if amount < 0 {
                    errors.push(FieldError::new(
                        format!("m{id}_{name}"),
                        "enter zero or a positive amount",
                    ));
                }
            }
            for (loan, amount) in &m.repayments {
                if *amount < 0 {
                    errors.push(FieldError::new(
                        format!("loan{loan}_repay"),
                        "enter zero or a positive amount",
                    ));
                }
            }
        }
        let withdrawals = self.members.iter().any(|m| m.withdrawal > 0);
        let resolution = self
            .withdrawal_resolution
            .as_deref()
            .map(str::trim)
            .unwrap_or("");
        if withdrawals && resolution.is_empty() {
            errors.push(FieldError::new(
                "withdrawal_resolution",
                "withdrawals need the number of the group resolution that approved them",
            ));
        }
        if resolution.chars().count() > MAX_RESOLUTION {
            errors.push(FieldError::new(
                "withdrawal_resolution",
                format!("at most {MAX_RESOLUTION} characters"),
            ));
        }
        for (i, e) in self.expenses.iter().enumerate() {
            let description = e.description.trim();
            if e.amount <= 0 {
                errors.push(FieldError::new(
                    format!("expense{i}_amount"),
                    "an expense is a positive amount",
                ));
            }
            if description.is_empty() || description.chars().count() > MAX_EXPENSE_DESCRIPTION {
                errors.push(FieldError::new(
                    format!("expense{i}_description"),
                    format!("say what the money was spent on (1 to {MAX_EXPENSE_DESCRIPTION} characters)"),
                ));
            }
        }
        if self.cash_counted.is_some_and(|c| c < 0) {
            errors.push(FieldError::new(
                "cash_counted",
                "counted cash is zero or more",
            ));
        }
        if self.checked_totals().is_none() {
            errors.push(FieldError::new("form", TOO_LARGE));
        }
        errors
    }
}

/// A meeting as recorded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MeetingSummary {
    pub id: i64,
    pub group_id: GroupId,
    pub held_on: NaiveDate,
    pub present: i64,
    pub enrolled: i64,
    pub cash_in: i64,
    pub cash_out: i64,
    /// Cash in hand by the books after the meeting.
    pub expected_cash: i64,
    pub counted_cash: Option<i64>,
}

impl MeetingSummary {
    /// Counted less expected: negative is a shortage.
    pub fn cash_difference(&self) -> Option<i64> {
        self.counted_cash.map(|c| c - self.expected_cash)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, d).unwrap()
    }

    fn draft() -> MeetingDraft {
        MeetingDraft {
            group_id: 1,
            held_on: day(20),
            members: vec![
                MemberLines {
                    member_id: 1,
                    present: true,
                    thrift: 5_000,
                    repayments: vec![(7, 30_000)],
                    ..MemberLines::default()
                },
                MemberLines {
                    member_id: 2,
                    present: false,
                    fine: 1_000,
                    withdrawal: 2_000,
                    ..MemberLines::default()
                },
            ],
            withdrawal_resolution: Some("R-12".into()),
            disbursements: vec![],
            expenses: vec![Expense {
                description: "register book".into(),
                amount: 4_000,
            }],
            cash_counted: Some(30_000),
        }
    }

    #[test]
    fn totals_add_each_kind_of_money() {
        let t = draft().totals();
        assert_eq!(t.cash_in(), 5_000 + 30_000 + 1_000);
        assert_eq!(t.cash_out(), 2_000 + 4_000);
        assert_eq!(t.present, 1);
    }

    #[test]
    fn amounts_valid_alone_but_too_large_together_are_refused_not_overflowed() {
        let mut d = draft();
        d.members[0].voluntary = i64::MAX;
        assert_eq!(d.checked_totals(), None, "voluntary + thrift + repayments");
        assert_eq!(d.check(day(20)), vec![FieldError::new("form", TOO_LARGE)]);
        let mut d = draft();
        d.members[1].voluntary = i64::MAX - (5_000 + 30_000 + 1_000);
        assert!(d.checked_totals().is_some(), "exactly the largest cash in");
        assert_eq!(d.check(day(20)), vec![]);
    }

    #[test]
    fn a_good_draft_has_no_errors() {
        assert_eq!(draft().check(day(20)), vec![]);
    }

    #[test]
    fn each_mistake_is_named_by_its_field() {
        let mut d = draft();
        d.held_on = day(21);
        d.members[0].thrift = -1;
        d.members[0].repayments[0].1 = -5;
        d.withdrawal_resolution = Some("  ".into());
        d.expenses[0].description.clear();
        d.cash_counted = Some(-1);
        d.members.push(MemberLines {
            member_id: 1,
            ..MemberLines::default()
        });
        let fields: Vec<String> = d.check(day(20)).into_iter().map(|e| e.field).collect();
        assert_eq!(
            fields,
            [
                "held_on",
                "m1_thrift",
                "loan7_repay",
                "m1",
                "withdrawal_resolution",
                "expense0_description",
                "cash_counted"
            ]
        );
    }
}
