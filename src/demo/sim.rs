//! Drives the store through one group's year, meeting by meeting, the way a
//! treasurer would: paperwork before the meeting (applications, decisions,
//! reschedules), the meeting itself posted all or nothing, and what happens
//! after it (write-offs, recoveries, the bank installment).

use super::fixture::{Fixture, RosterGroup};
use super::plan::{Behaviour, LoanPlan};
use super::rng::SplitMix64;
use crate::borrowings::{BorrowingId, BorrowingSource, BorrowingWithState, NewBorrowing};
use crate::groups::{GroupId, GroupRules, NewGroup, NewMember};
use crate::ledger::{IdempotencyKey, LoanId, MemberId};
use crate::loans::allocation::{payable, LateFine};
use crate::loans::product::{LoanSettings, LoanSource, LoanStatus, ProductId};
use crate::loans::schedule::Frequency;
use crate::loans::state::{Component, LoanState};
use crate::meetings::{Expense, MeetingDraft, MemberLines};
use crate::money::Currency;
use crate::store::{
    Fund, LoanApplication, LoanScope, LoanWithState, MeetingRecord, MeetingSubmission, Reschedule,
    Store, UserId,
};
use anyhow::{bail, ensure, Context};
use chrono::{Datelike, Days, NaiveDate};
use rust_decimal::Decimal;
use std::collections::{HashMap, HashSet};

/// The loans a meeting may pay out, be repaid on, or is waiting on: a
/// written-off loan's long history of waivers is not read every week.
const IN_HAND: [LoanStatus; 3] = [
    LoanStatus::Applied,
    LoanStatus::Approved,
    LoanStatus::Active,
];

/// ₹50 of compulsory thrift per meeting.
pub const THRIFT: i64 = 5_000;

/// What every group's run shares.
pub struct Shared<'a> {
    pub store: &'a dyn Store,
    pub fixture: &'a Fixture,
    pub weeks: u32,
}

struct SimMember {
    id: MemberId,
    /// Percent of meetings she comes to while things go well.
    attendance: u64,
    /// Her voluntary savings, so a withdrawal never asks for more.
    voluntary: i64,
    /// Meetings of thrift she still owes.
    missed: u32,
}

struct BankLoan {
    id: BorrowingId,
    /// The earliest installment not yet paid; `None` once repaid.
    next_due: Option<NaiveDate>,
    /// The loan as last read, while nothing has been paid on it since: a
    /// group short of cash waits weeks to pay, and the loan stands still.
    read: Option<BorrowingWithState>,
}

/// Figures of one group's run.
pub struct GroupFigures {
    pub members: usize,
    pub meetings: usize,
}

pub struct GroupRun<'a> {
    shared: &'a Shared<'a>,
    /// 1-based, as in `treasurer1` and the idempotency keys.
    number: usize,
    name: String,
    group_id: GroupId,
    treasurer: UserId,
    dates: Vec<NaiveDate>,
    members: Vec<SimMember>,
    plans: Vec<LoanPlan>,
    loan_ids: Vec<Option<LoanId>>,
    /// Loans closed or rejected as of the last read: that read leaves them
    /// out, so this is how the story still knows they are done.
    finished: HashSet<LoanId>,
    /// Loans the group wrote off: the read before each meeting leaves them
    /// out too, but they are not done (the group lends no more to her).
    written_off: HashSet<LoanId>,
    rng: SplitMix64,
    resolutions: u32,
    bank: Option<BankLoan>,
    /// Cash in the box by the story; each meeting's close checks it
    /// against the books.
    cash: i64,
    /// The program's loan products, in `templates()` order.
    products: Vec<(ProductId, LoanSettings)>,
}

/// Holds the meetings of `runs` week by week with the program's loan
/// products (in `templates()` order). A week's meetings of every group go
/// to the database together: one read of their open loans, one
/// `record_meetings`; what each group does around its meeting stays its
/// own. Returns what each group made.
pub async fn meet_together(
    runs: &mut [GroupRun<'_>],
    products: &[(ProductId, LoanSettings)],
    progress: &dyn super::Progress,
) -> anyhow::Result<Vec<GroupFigures>> {
    let Some(first) = runs.first() else {
        return Ok(Vec::new());
    };
    let store = first.shared.store;
    let weeks = first.dates.len();
    let groups: Vec<GroupId> = runs.iter().map(|r| r.group_id).collect();
    for run in runs.iter_mut() {
        run.products = products.to_vec();
    }
    for week in 0..weeks {
        for run in runs.iter_mut() {
            let result = run.before_meeting(week).await;
            result.with_context(|| run.context(week))?;
        }
        let mut loans = store
            .loans_in(&LoanScope::groups(groups.clone()).in_states(&IN_HAND))
            .await?;
        // Late fines are charged before the meeting, so that what is due
        // includes them; then the fined loans are read again.
        let dates: HashMap<GroupId, NaiveDate> =
            runs.iter().map(|r| (r.group_id, r.dates[week])).collect();
        let unfined: Vec<(LoanId, NaiveDate)> = loans
            .iter()
            .filter_map(|l| {
                let on = *dates.get(&l.loan.group_id)?;
                unfined_late(l, on).then_some((l.loan.id, on))
            })
            .collect();
        if !unfined.is_empty() {
            let charged = store.charge_late_fines_on(&unfined).await?;
            let fined: Vec<LoanId> = unfined
                .iter()
                .zip(charged)
                .filter(|(_, total)| *total > 0)
                .map(|((id, _), _)| *id)
                .collect();
            if !fined.is_empty() {
                let mut again: HashMap<LoanId, LoanWithState> = store
                    .loans_in(&LoanScope::loans(fined))
                    .await?
                    .into_iter()
                    .map(|l| (l.loan.id, l))
                    .collect();
                for l in loans.iter_mut() {
                    if let Some(fresh) = again.remove(&l.loan.id) {
                        *l = fresh;
                    }
                }
            }
        }
        let mut open: HashMap<GroupId, Vec<LoanWithState>> = HashMap::new();
        for l in loans {
            open.entry(l.loan.group_id).or_default().push(l);
        }
        let mut batch = Vec::with_capacity(runs.len());
        let mut expected = Vec::with_capacity(runs.len());
        for run in runs.iter_mut() {
            let loans = open.remove(&run.group_id).unwrap_or_default();
            let result = run.meeting(week, loans);
            let (submission, cash) = result.with_context(|| run.context(week))?;
            batch.push(submission);
            expected.push(cash);
        }
        let records = store
            .record_meetings(&batch)
            .await
            .with_context(|| format!("the meetings of week {}", week + 1))?;
        ensure!(
            records.len() == batch.len(),
            "{} meetings were posted, {} answered",
            batch.len(),
            records.len()
        );
        for ((run, (submission, record)), cash) in runs
            .iter_mut()
            .zip(batch.iter().zip(&records))
            .zip(expected)
        {
            let result = run
                .after_meeting(week, &submission.draft, record, cash)
                .await;
            result.with_context(|| run.context(week))?;
        }
        progress.advance(runs.len() as u64);
    }
    tracing::info!(groups = runs.len(), weeks, "demo groups loaded");
    Ok(runs
        .iter()
        .map(|r| GroupFigures {
            members: r.members.len(),
            meetings: weeks,
        })
        .collect())
}

/// The meeting dates of a group: one a week, the last `offset` days before
/// `today` (groups meet on different weekdays).
pub fn meeting_dates(today: NaiveDate, weeks: u32, offset: u64) -> anyhow::Result<Vec<NaiveDate>> {
    let last = today
        .checked_sub_days(Days::new(offset))
        .context("today is too early in the calendar")?;
    (0..weeks)
        .map(|w| {
            last.checked_sub_days(Days::new(7 * u64::from(weeks - 1 - w)))
                .context("the demo year starts before the calendar does")
        })
        .collect()
}

/// Whether an active loan has an installment late past its grace days and
/// not fined yet. Charging is a write, and most weeks there is nothing to
/// charge.
fn unfined_late(l: &LoanWithState, on: NaiveDate) -> bool {
    let settings = &l.loan.settings;
    if l.loan.status != LoanStatus::Active || settings.late_fine == LateFine::None {
        return false;
    }
    let grace = i64::from(settings.late_fine_grace_days);
    l.state.installments.iter().any(|i| {
        (on - i.due_date).num_days() > grace
            && i.outstanding(Component::Principal) + i.outstanding(Component::Interest) > 0
            && i.due.penalty == 0
    })
}

/// What the installments due by `on` still ask for: paying exactly this
/// settles them and never prepays a later one (which would reschedule the
/// loan behind the story's back).
fn due_by(state: &LoanState, on: NaiveDate) -> i64 {
    state
        .installments
        .iter()
        .filter(|i| i.due_date <= on)
        .map(|i| i.outstanding_total().max(0))
        .sum()
}

/// Half of a payment in whole rupees, or all of it when that is under ₹1.
fn half(amount: i64) -> i64 {
    let half = amount / 2 / 100 * 100;
    if half > 0 {
        half
    } else {
        amount
    }
}

fn key(text: &str) -> anyhow::Result<IdempotencyKey> {
    IdempotencyKey::new(text).with_context(|| format!("idempotency key {text:?}"))
}

impl<'a> GroupRun<'a> {
    /// Creates the group, its rules and its members' PINs.
    pub async fn create(
        shared: &'a Shared<'a>,
        number: usize,
        roster: &RosterGroup,
        dates: Vec<NaiveDate>,
        treasurer: UserId,
        pin_hash: &str,
        mut rng: SplitMix64,
    ) -> anyhow::Result<GroupRun<'a>> {
        let store = shared.store;
        let first = *dates.first().context("a demo needs meetings")?;
        let mut new_members = Vec::new();
        for (code, name) in &roster.members {
            // Founders joined a few weeks before the first recorded meeting.
            let weeks_before = rng.range(1, 8) as u64;
            let joined = first
                .checked_sub_days(Days::new(7 * weeks_before))
                .context("joining date out of range")?;
            new_members.push(NewMember::new(code, name, joined)?);
        }
        let setup = store
            .create_group(
                &NewGroup::new(&roster.name, Currency::inr(), new_members)?
                    .with_code(&roster.code)?,
            )
            .await
            .with_context(|| format!("creating {}", roster.name))?;
        let group_id = setup.group.id;
        store
            .set_group_rules(
                group_id,
                &GroupRules {
                    thrift_amount: THRIFT,
                    ..GroupRules::default()
                },
            )
            .await?;
        store.assign_treasurer(treasurer, group_id).await?;
        let mut members = Vec::new();
        for (code, _) in &roster.members {
            let member = setup
                .members
                .iter()
                .find(|m| &m.code == code)
                .with_context(|| format!("member {code} was not created"))?;
            store
                .set_member_pin(member.id, pin_hash)
                .await
                .with_context(|| format!("PIN for {code}"))?;
            members.push(SimMember {
                id: member.id,
                attendance: rng.range(85, 97) as u64,
                voluntary: 0,
                missed: 0,
            });
        }
        let plans = super::plan::plan_loans(
            shared.weeks,
            members.len(),
            &shared.fixture.purposes,
            &mut rng,
        );
        Ok(GroupRun {
            shared,
            number,
            name: roster.name.clone(),
            group_id,
            treasurer,
            dates,
            members,
            loan_ids: vec![None; plans.len()],
            finished: HashSet::new(),
            written_off: HashSet::new(),
            plans,
            rng,
            resolutions: 0,
            bank: None,
            cash: 0,
            products: Vec::new(),
        })
    }

    fn key(&self, suffix: &str) -> anyhow::Result<IdempotencyKey> {
        key(&format!("demo/g{}/{suffix}", self.number))
    }

    /// The next number in the group's resolution book.
    fn resolution(&mut self, on: NaiveDate) -> String {
        self.resolutions += 1;
        format!("R-{}-{:03}", on.year(), self.resolutions)
    }

    pub fn group_id(&self) -> GroupId {
        self.group_id
    }

    fn context(&self, week: usize) -> String {
        let on = self
            .dates
            .get(week)
            .map(|d| d.to_string())
            .unwrap_or_default();
        format!("{}, meeting of {on} (week {})", self.name, week + 1)
    }

    /// What happens before the week's meeting: the bank loan at the first,
    /// then applications, decisions and reschedules.
    async fn before_meeting(&mut self, week: usize) -> anyhow::Result<()> {
        let on = self.dates[week];
        if week == 0 {
            self.receive_bank_loan(on).await?;
        }
        self.paperwork(u32::try_from(week)?, on).await
    }

    /// The week's meeting as the treasurer writes it down, from the group's
    /// loans in hand as they stand before it (late fines charged), and the
    /// cash that should be in the box at the close.
    fn meeting(
        &mut self,
        week: usize,
        open_loans: Vec<LoanWithState>,
    ) -> anyhow::Result<(MeetingSubmission, i64)> {
        let on = self.dates[week];
        let loans = self.in_hand(open_loans);
        let (draft, expected) = self.draft(u32::try_from(week)?, on, &loans, self.cash);
        let submission = MeetingSubmission {
            draft,
            key: self.key(&format!("w{}", week + 1))?,
            recorded_by: Some(self.treasurer),
        };
        Ok((submission, expected))
    }

    /// What follows the posted meeting: the story checks the books agree
    /// with it, then write-offs, recoveries and the bank installment.
    async fn after_meeting(
        &mut self,
        week: usize,
        draft: &MeetingDraft,
        record: &MeetingRecord,
        expected: i64,
    ) -> anyhow::Result<()> {
        ensure!(
            record.meeting.expected_cash == expected,
            "the demo expected {expected} paise in the cash box, the books say {}",
            record.meeting.expected_cash
        );
        for (m, lines) in self.members.iter_mut().zip(&draft.members) {
            m.voluntary += lines.voluntary - lines.withdrawal;
        }
        let week = u32::try_from(week)?;
        let on = draft.held_on;
        self.cash = expected;
        self.settle(week, on).await?;
        self.plan_repeats(week);
        Ok(())
    }

    /// The bank linkage loan that funds the first year's lending, received
    /// in cash on the day of the first meeting.
    async fn receive_bank_loan(&mut self, on: NaiveDate) -> anyhow::Result<()> {
        let store = self.shared.store;
        let bank = &self.shared.fixture.bank;
        let (_, base) = self
            .products
            .get(super::plan::BUSINESS)
            .context("no business loan product")?;
        let terms = LoanSettings {
            rate: Decimal::from(bank.rate_percent_a_year),
            installments: bank.monthly_installments,
            ..base.clone()
        };
        let resolution = self.resolution(on);
        let members = i64::try_from(self.members.len())?;
        let op = store
            .receive_borrowing(
                &NewBorrowing {
                    group_id: self.group_id,
                    source: BorrowingSource::BankLinkage,
                    lender: bank.lender.clone(),
                    reference: format!(
                        "{}/{}/{:03}",
                        bank.reference_prefix,
                        on.year(),
                        self.number
                    ),
                    principal: members * bank.rupees_per_member * 100,
                    received_on: on,
                    first_due: None,
                    terms: Some(terms),
                    resolution,
                },
                Fund::Cash,
                &self.key("bank")?,
            )
            .await?;
        self.cash += op.borrowing.principal;
        let read = store.borrowing(op.borrowing.id).await?;
        self.bank = Some(BankLoan {
            id: op.borrowing.id,
            next_due: read.state.installments.iter().map(|i| i.due_date).min(),
            read: Some(read),
        });
        Ok(())
    }

    /// Applications, decisions and reschedules, dated on the meeting day.
    async fn paperwork(&mut self, week: u32, on: NaiveDate) -> anyhow::Result<()> {
        let store = self.shared.store;
        for idx in 0..self.plans.len() {
            let plan = self.plans[idx].clone();
            if plan.apply == week {
                let (product_id, settings) = self
                    .products
                    .get(plan.template)
                    .context("no such loan product")?;
                let loan = store
                    .apply_for_loan(&LoanApplication {
                        group_id: self.group_id,
                        member_id: self.members[plan.member].id,
                        product_id: Some(*product_id),
                        settings: settings.clone(),
                        source: LoanSource::GroupFund,
                        purpose: plan.purpose.clone(),
                        principal: plan.principal,
                        applied_on: on,
                    })
                    .await?;
                self.loan_ids[idx] = Some(loan.id);
            }
            let Some(id) = self.loan_ids[idx] else {
                continue;
            };
            if let Some(decision) = plan.decide.filter(|d| d.week == week) {
                let resolution = self.resolution(on);
                store
                    .decide_loan(id, decision.approve, on, &resolution)
                    .await?;
            }
            if let Behaviour::Rescheduled { stop, at, reason } = plan.behaviour {
                if at == week {
                    let loan = store.loan(id).await?.loan;
                    if loan.status == LoanStatus::Active {
                        let missed = at - stop;
                        // Months for a monthly loan, at least one.
                        let extra_periods = match loan.settings.frequency {
                            Frequency::Week => missed,
                            Frequency::Month => missed.div_ceil(4),
                        };
                        store
                            .reschedule_loan(
                                id,
                                &Reschedule {
                                    on,
                                    extra_periods,
                                    moratorium: 0,
                                    new_rate: None,
                                    reason_code: reason.to_string(),
                                },
                            )
                            .await?;
                    }
                }
            }
        }
        Ok(())
    }

    /// Notes which of the story's loans the read before the meeting left
    /// out (closed or rejected: done) and keys the rest by id.
    fn in_hand(&mut self, loans: Vec<LoanWithState>) -> HashMap<LoanId, LoanWithState> {
        let open: HashSet<LoanId> = loans.iter().map(|l| l.loan.id).collect();
        self.finished.extend(
            self.loan_ids
                .iter()
                .flatten()
                .filter(|id| !open.contains(id) && !self.written_off.contains(id)),
        );
        loans.into_iter().map(|l| (l.loan.id, l)).collect()
    }

    /// The meeting as the treasurer writes it down, and the cash that should
    /// be in the box at the close.
    fn draft(
        &mut self,
        week: u32,
        on: NaiveDate,
        loans: &HashMap<LoanId, LoanWithState>,
        cash_before: i64,
    ) -> (MeetingDraft, i64) {
        let last = self.shared.weeks - 1;
        // Social fund on the first meeting of each month.
        let social_fund = on.day() <= 7;
        let active = |idx: usize| {
            self.loan_ids[idx]
                .and_then(|id| loans.get(&id))
                .filter(|l| l.loan.status == LoanStatus::Active)
        };
        let mut lines = Vec::with_capacity(self.members.len());
        for (i, m) in self.members.iter_mut().enumerate() {
            let hers: Vec<usize> = (0..self.plans.len())
                .filter(|&p| self.plans[p].member == i && active(p).is_some())
                .collect();
            let must = hers.iter().any(|&p| self.plans[p].must_attend(week, last));
            let defaulting = hers.iter().any(|&p| self.plans[p].in_default(week));
            let attendance = if defaulting { 50 } else { m.attendance };
            let present = self.rng.chance(attendance) || must;
            let mut line = MemberLines {
                member_id: m.id,
                present,
                ..MemberLines::default()
            };
            if !present {
                // Absent: nothing paid this week; she may catch up later.
                m.missed += 1;
                lines.push(line);
                continue;
            }
            line.thrift = THRIFT;
            if m.missed > 0 && self.rng.chance(40) {
                line.thrift += THRIFT;
                m.missed -= 1;
            }
            if self.rng.chance(12) {
                line.voluntary = self.rng.range(2, 20) * 1_000;
            }
            if self.rng.chance(4) {
                // Late to the meeting.
                line.fine = 1_000;
            }
            if social_fund {
                line.social_fund = 1_000;
            }
            if m.voluntary >= 10_000 && self.rng.chance(3) {
                let amount = m.voluntary * self.rng.range(30, 80) / 100 / 1_000 * 1_000;
                line.withdrawal = amount.min(m.voluntary);
            }
            for &p in &hers {
                let Some(l) = active(p) else { continue };
                let rule = l.loan.settings.allocation;
                let can = payable(&l.state, on, rule);
                let due = due_by(&l.state, on).min(can);
                let amount = match self.plans[p].behaviour {
                    Behaviour::OnTime => due,
                    Behaviour::Irregular => match self.rng.below(100) {
                        0..=19 => 0,
                        20..=44 => half(due),
                        _ => due,
                    },
                    Behaviour::StopsAt(stop) | Behaviour::WrittenOff { stop, .. } => {
                        if week < stop {
                            due
                        } else {
                            0
                        }
                    }
                    Behaviour::Rescheduled { stop, at, .. } => {
                        if week < stop || week >= at {
                            due
                        } else {
                            0
                        }
                    }
                    Behaviour::PaysOffAt(off) => {
                        if week >= off {
                            can
                        } else {
                            due
                        }
                    }
                };
                if amount > 0 {
                    line.repayments.push((l.loan.id, amount));
                }
            }
            lines.push(line);
        }

        let mut draft = MeetingDraft {
            group_id: self.group_id,
            held_on: on,
            members: lines,
            withdrawal_resolution: None,
            disbursements: Vec::new(),
            expenses: Vec::new(),
            cash_counted: None,
        };
        let totals = draft.totals();
        let mut cash = cash_before + totals.cash_in() - totals.cash_out();
        if cash < 0 {
            // The box cannot pay the withdrawals today: they wait.
            for m in &mut draft.members {
                cash += m.withdrawal;
                m.withdrawal = 0;
            }
        }
        if draft.members.iter().any(|m| m.withdrawal > 0) {
            draft.withdrawal_resolution = Some(self.resolution(on));
        }
        if self.rng.chance(8) {
            if let Some(kind) = self.rng.pick(&self.shared.fixture.expenses) {
                let amount = self.rng.range(kind.min_rupees, kind.max_rupees) * 100;
                if amount <= cash {
                    draft.expenses.push(Expense {
                        description: kind.description.clone(),
                        amount,
                    });
                    cash -= amount;
                }
            }
        }
        for idx in 0..self.plans.len() {
            if self.plans[idx].disburse != Some(week) {
                continue;
            }
            let approved = self.loan_ids[idx]
                .and_then(|id| loans.get(&id))
                .filter(|l| l.loan.status == LoanStatus::Approved);
            let Some(l) = approved else { continue };
            if l.loan.principal <= cash {
                draft.disbursements.push(l.loan.id);
                cash -= l.loan.principal;
            } else {
                // Not enough in the box: paid out at a later meeting.
                self.plans[idx].disburse = Some(week + 1).filter(|&w| w <= last);
            }
        }
        draft.cash_counted = match self.rng.below(100) {
            // A small shortage for the staff dashboard to flag.
            0..=5 => Some((cash - self.rng.range(1, 5) * 1_000).max(0)),
            6..=91 => Some(cash),
            _ => None,
        };
        (draft, cash)
    }

    /// A member whose loan closed may ask for the next one, while the year
    /// has room to show her repaying it. Goes by the loans as they stood
    /// before the meeting.
    fn plan_repeats(&mut self, week: u32) {
        if week + 8 > self.shared.weeks - 1 {
            return;
        }
        for member in 0..self.members.len() {
            let mut borrowed = false;
            let mut open = false;
            for (p, plan) in self.plans.iter().enumerate() {
                if plan.member != member {
                    continue;
                }
                borrowed = true;
                // Not applied for yet, running, or written off (the group
                // lends no more to her).
                open |= self.loan_ids[p].is_none_or(|id| !self.finished.contains(&id));
            }
            if borrowed && !open && self.rng.chance(25) {
                let plan = super::plan::repeat_loan(
                    member,
                    week,
                    &self.shared.fixture.purposes,
                    &mut self.rng,
                );
                self.plans.push(plan);
                self.loan_ids.push(None);
            }
        }
    }

    /// Write-offs and recoveries (decided at the meeting, posted after it)
    /// and the bank installment, paid from the cash the meeting left.
    async fn settle(&mut self, week: u32, on: NaiveDate) -> anyhow::Result<()> {
        let store = self.shared.store;
        for idx in 0..self.plans.len() {
            let Behaviour::WrittenOff {
                write_off, recover, ..
            } = self.plans[idx].behaviour
            else {
                continue;
            };
            let Some(id) = self.loan_ids[idx] else {
                continue;
            };
            if write_off == week && store.loan(id).await?.loan.status == LoanStatus::Active {
                let resolution = self.resolution(on);
                store
                    .write_off_loan(
                        id,
                        on,
                        &resolution,
                        &self.key(&format!("loan{id}/write-off"))?,
                    )
                    .await?;
                self.written_off.insert(id);
            }
            if recover == week && store.loan(id).await?.loan.status == LoanStatus::WrittenOff {
                let amount = self.rng.range(2, 6) * 10_000;
                store
                    .recover_loan(
                        id,
                        amount,
                        on,
                        Fund::Cash,
                        &self.key(&format!("loan{id}/recovery"))?,
                    )
                    .await?;
                self.cash += amount;
            }
        }
        let Some(bank) = self.bank.as_ref() else {
            return Ok(());
        };
        if bank.next_due.is_none_or(|d| d > on) {
            return Ok(());
        }
        let id = bank.id;
        let borrowing = match bank.read.clone() {
            Some(read) => read,
            None => store.borrowing(id).await?,
        };
        let Some(terms) = borrowing.borrowing.terms.as_ref() else {
            bail!("the bank loan has no terms");
        };
        let due = due_by(&borrowing.state, on).min(payable(&borrowing.state, on, terms.allocation));
        // Short of cash, the group pays the bank late rather than lending less.
        if due > self.cash {
            if let Some(bank) = self.bank.as_mut() {
                bank.read = Some(borrowing);
            }
            return Ok(());
        }
        if due > 0 {
            store
                .repay_borrowing(
                    id,
                    due,
                    on,
                    Fund::Cash,
                    &self.key(&format!("bank/w{}", week + 1))?,
                )
                .await?;
            self.cash -= due;
        }
        let next_due = borrowing
            .state
            .installments
            .iter()
            .filter(|i| i.due_date > on && i.outstanding_total() > 0)
            .map(|i| i.due_date)
            .min();
        self.bank = Some(BankLoan {
            id,
            next_due,
            read: None,
        });
        Ok(())
    }
}
