//! Arrears and portfolio figures (PAR, ageing, DCB) as of any date.
//!
//! # Conventions
//!
//! * **As-of figures use dated payments.** What was paid against an
//!   installment *as of* a date is the sum of the allocation lines of
//!   `state.payments` with `paid_on <= as_of` (payments made *on* `as_of`
//!   count). The `paid` field of an installment (paid to date) is never read.
//! * **Waivers are not outstanding.** The loan handed in is the current
//!   schedule, so an installment's outstanding amount of a component is
//!   `due - waived - paid_as_of`, floored at zero per component (an
//!   over-payment of one component never offsets another, nor another
//!   installment). DCB amounts likewise use `due - waived` as what fell due.
//! * **Overdue** means due on or before `as_of` with something still
//!   outstanding at the end of `as_of`. An installment due *on* `as_of` and
//!   unpaid is overdue (it appears in [`LoanArrears::overdue`]) but has been
//!   past due for zero days.
//! * **Days past due (DPD)** = `as_of - due_date` of the oldest overdue
//!   installment, in days; 0 when nothing is overdue. DPD therefore counts
//!   from the day after the due date: an installment due on 1 March and
//!   unpaid is 1 day past due on 2 March.
//! * **PAR**: `PAR1` counts loans with DPD ≥ 1 (anything past due), `PAR30`
//!   loans with DPD > 30 and `PAR90` loans with DPD > 90. The amount at
//!   risk is the loan's *whole* principal outstanding (all installments),
//!   not just the overdue part.
//! * **Ageing** puts each loan with anything outstanding as of the date into
//!   one bucket by DPD: 0, 1–30, 31–60, 61–90, 91–180, over 180. Loans that
//!   are fully settled as of the date are left out.
//! * Allocation lines naming an installment number the loan does not have
//!   are ignored.

use chrono::{Datelike, Months, NaiveDate};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::state::{Component, InstallmentState, LoanState, Parts};

/// A loan's arrears as of a date.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoanArrears {
    /// `as_of - oldest_overdue_due_date` in days; 0 when nothing is overdue.
    pub days_past_due: u32,
    /// Installments due on or before `as_of` with something outstanding.
    pub overdue_installments: u32,
    /// Outstanding amounts of installments due on or before `as_of`.
    pub overdue: Parts,
    /// Principal outstanding over all installments (due or not) as of `as_of`.
    pub principal_outstanding: i64,
    /// Due date of the oldest installment due on or before `as_of` with
    /// something outstanding.
    pub oldest_overdue_due_date: Option<NaiveDate>,
}

/// A loan's arrears as of `as_of`, ignoring payments made after it.
///
/// O(installments + allocation lines); one allocation (a per-installment
/// buffer). Use [`par_and_ageing`] for many loans: it reuses one buffer.
pub fn arrears(state: &LoanState, as_of: NaiveDate) -> LoanArrears {
    let mut buf = Vec::new();
    loan_figures(state, as_of, &mut buf).arrears
}

/// Portfolio at risk as of a date, in minor units.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Par {
    /// Principal outstanding of all loans.
    pub principal_outstanding: i64,
    /// Principal outstanding of loans with DPD ≥ 1.
    pub at_risk_1: i64,
    /// Principal outstanding of loans with DPD > 30.
    pub at_risk_30: i64,
    /// Principal outstanding of loans with DPD > 90.
    pub at_risk_90: i64,
}

impl Par {
    /// Principal at risk for a threshold. Tracked thresholds are 1, 30 and
    /// 90; any other value uses the largest tracked threshold not above it
    /// (0 uses 1), which can only overstate the risk, never hide it.
    pub fn at_risk(&self, days: u32) -> i64 {
        match days {
            0..=29 => self.at_risk_1,
            30..=89 => self.at_risk_30,
            _ => self.at_risk_90,
        }
    }

    /// `at_risk(days) / principal_outstanding`, within `0..=1`; 0 when
    /// nothing is outstanding. See [`Par::at_risk`] for `days`.
    pub fn ratio(&self, days: u32) -> Decimal {
        if self.principal_outstanding <= 0 {
            return Decimal::ZERO;
        }
        let risk = self.at_risk(days).clamp(0, self.principal_outstanding);
        Decimal::from(risk)
            .checked_div(Decimal::from(self.principal_outstanding))
            .unwrap_or(Decimal::ZERO)
    }
}

/// Portfolio at risk as of `as_of`. See the module docs for thresholds.
pub fn par<'a>(loans: impl IntoIterator<Item = &'a LoanState>, as_of: NaiveDate) -> Par {
    par_and_ageing(loans, as_of).0
}

/// Loans of one ageing bucket.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Bucket {
    pub loans: u32,
    /// Principal outstanding over all installments of these loans.
    pub principal_outstanding: i64,
    /// Overdue amounts (all components) of these loans.
    pub overdue_total: i64,
}

/// Loans with anything outstanding, bucketed by days past due.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ageing {
    /// DPD 0 (includes loans with an installment due on `as_of` and unpaid).
    pub current: Bucket,
    pub d1_30: Bucket,
    pub d31_60: Bucket,
    pub d61_90: Bucket,
    pub d91_180: Bucket,
    pub over_180: Bucket,
}

impl Ageing {
    fn bucket_mut(&mut self, dpd: u32) -> &mut Bucket {
        match dpd {
            0 => &mut self.current,
            1..=30 => &mut self.d1_30,
            31..=60 => &mut self.d31_60,
            61..=90 => &mut self.d61_90,
            91..=180 => &mut self.d91_180,
            _ => &mut self.over_180,
        }
    }
}

/// Ageing of the portfolio as of `as_of`.
pub fn ageing<'a>(loans: impl IntoIterator<Item = &'a LoanState>, as_of: NaiveDate) -> Ageing {
    par_and_ageing(loans, as_of).1
}

/// PAR and ageing in one pass, reusing one buffer for all loans.
pub fn par_and_ageing<'a>(
    loans: impl IntoIterator<Item = &'a LoanState>,
    as_of: NaiveDate,
) -> (Par, Ageing) {
    let mut par = Par::default();
    let mut ageing = Ageing::default();
    let mut buf = Vec::new();
    for state in loans {
        let f = loan_figures(state, as_of, &mut buf);
        let a = &f.arrears;
        let po = a.principal_outstanding;
        let dpd = a.days_past_due;
        par.principal_outstanding = par.principal_outstanding.saturating_add(po);
        if dpd >= 1 {
            par.at_risk_1 = par.at_risk_1.saturating_add(po);
        }
        if dpd > 30 {
            par.at_risk_30 = par.at_risk_30.saturating_add(po);
        }
        if dpd > 90 {
            par.at_risk_90 = par.at_risk_90.saturating_add(po);
        }
        if f.outstanding_total > 0 {
            let b = ageing.bucket_mut(dpd);
            b.loans = b.loans.saturating_add(1);
            b.principal_outstanding = b.principal_outstanding.saturating_add(po);
            b.overdue_total = b.overdue_total.saturating_add(total(&a.overdue));
        }
    }
    (par, ageing)
}

/// One row of a demand–collection–balance report, in minor units (all
/// components: principal + interest + fee + penalty, net of waivers).
///
/// Identity: `closing_overdue = opening_overdue + demand - advance_adjusted
/// - collected_against_due`, which equals everything due by `period_end`
/// minus everything paid by `period_end` against those installments. When
/// no earlier advance meets this period's demand (`advance_adjusted == 0`)
/// this is `opening + demand - collected_against_due`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct DcbRow {
    pub period_start: NaiveDate,
    pub period_end: NaiveDate,
    /// Due before `period_start`, less what was paid before `period_start`
    /// against those installments.
    pub opening_overdue: i64,
    /// Due on installments whose due date falls in the period (gross: not
    /// reduced by earlier advances; see `advance_adjusted`).
    pub demand: i64,
    /// Paid before `period_start` against installments falling due in the
    /// period: part of `demand` already met by earlier advance collection.
    pub advance_adjusted: i64,
    /// Paid in the period against installments due on or before `period_end`.
    pub collected_against_due: i64,
    /// Paid in the period against installments due after `period_end`.
    pub collected_in_advance: i64,
    /// Everything due by `period_end` less everything paid by `period_end`
    /// against those installments.
    pub closing_overdue: i64,
}

/// DCB report over `periods` (each `(start, end)`, both inclusive; periods
/// need not be contiguous). One row per period, in the order given.
///
/// Cost O(periods × (installments + lines)) per loan, one reused buffer.
pub fn dcb<'a>(
    loans: impl IntoIterator<Item = &'a LoanState>,
    periods: &[(NaiveDate, NaiveDate)],
) -> Vec<DcbRow> {
    let mut rows: Vec<DcbRow> = periods
        .iter()
        .map(|&(start, end)| DcbRow {
            period_start: start,
            period_end: end,
            opening_overdue: 0,
            demand: 0,
            advance_adjusted: 0,
            collected_against_due: 0,
            collected_in_advance: 0,
            closing_overdue: 0,
        })
        .collect();
    // (paid_on, due_date of the installment paid, amount)
    let mut lines: Vec<(NaiveDate, NaiveDate, i64)> = Vec::new();
    for state in loans {
        lines.clear();
        for p in &state.payments {
            for l in &p.lines {
                if let Some(i) = index_of(&state.installments, l.installment) {
                    lines.push((p.paid_on, state.installments[i].due_date, l.amount));
                }
            }
        }
        for row in &mut rows {
            let (start, end) = (row.period_start, row.period_end);
            for inst in &state.installments {
                let net_due = total(&inst.due).saturating_sub(total(&inst.waived));
                if inst.due_date < start {
                    row.opening_overdue = row.opening_overdue.saturating_add(net_due);
                } else if inst.due_date <= end {
                    row.demand = row.demand.saturating_add(net_due);
                }
            }
            for &(paid_on, due_date, amount) in &lines {
                if paid_on < start {
                    if due_date < start {
                        row.opening_overdue = row.opening_overdue.saturating_sub(amount);
                    } else if due_date <= end {
                        row.advance_adjusted = row.advance_adjusted.saturating_add(amount);
                    }
                } else if paid_on <= end {
                    if due_date <= end {
                        row.collected_against_due =
                            row.collected_against_due.saturating_add(amount);
                    } else {
                        row.collected_in_advance = row.collected_in_advance.saturating_add(amount);
                    }
                }
            }
        }
    }
    for row in &mut rows {
        row.closing_overdue = row
            .opening_overdue
            .saturating_add(row.demand)
            .saturating_sub(row.advance_adjusted)
            .saturating_sub(row.collected_against_due);
    }
    rows
}

/// Calendar-month periods covering `from..=to`, inclusive ends. The first
/// starts at `from` and the last ends at `to`, so either may be a part
/// month. Empty when `from > to`.
pub fn monthly_periods(from: NaiveDate, to: NaiveDate) -> Vec<(NaiveDate, NaiveDate)> {
    let mut out = Vec::new();
    let mut start = from;
    while start <= to {
        let end = end_of_month(start).map_or(to, |e| e.min(to));
        out.push((start, end));
        match end.succ_opt() {
            Some(next) => start = next,
            None => break,
        }
    }
    out
}

fn end_of_month(d: NaiveDate) -> Option<NaiveDate> {
    d.with_day(1)?
        .checked_add_months(Months::new(1))?
        .pred_opt()
}

struct LoanFigures {
    arrears: LoanArrears,
    /// Everything outstanding (all installments, all components) as of the date.
    outstanding_total: i64,
}

fn total(p: &Parts) -> i64 {
    p.penalty
        .saturating_add(p.fee)
        .saturating_add(p.interest)
        .saturating_add(p.principal)
}

/// Index of installment `number`: direct when numbers run consecutively
/// (the usual case), otherwise a linear search.
fn index_of(insts: &[InstallmentState], number: u32) -> Option<usize> {
    let first = insts.first()?.number;
    if let Some(off) = number.checked_sub(first) {
        let i = usize::try_from(off).ok()?;
        if insts.get(i).is_some_and(|s| s.number == number) {
            return Some(i);
        }
    }
    insts.iter().position(|s| s.number == number)
}

/// Arrears plus total outstanding; `buf` is scratch space (paid-as-of per
/// installment), reused across calls.
fn loan_figures(state: &LoanState, as_of: NaiveDate, buf: &mut Vec<Parts>) -> LoanFigures {
    let insts = &state.installments;
    buf.clear();
    buf.resize(insts.len(), Parts::default());
    for p in state.payments.iter().filter(|p| p.paid_on <= as_of) {
        for l in &p.lines {
            if let Some(slot) = index_of(insts, l.installment).and_then(|i| buf.get_mut(i)) {
                let v = slot.get_mut(l.component);
                *v = v.saturating_add(l.amount);
            }
        }
    }
    let mut a = LoanArrears {
        days_past_due: 0,
        overdue_installments: 0,
        overdue: Parts::default(),
        principal_outstanding: 0,
        oldest_overdue_due_date: None,
    };
    let mut outstanding_total = 0i64;
    for (inst, paid) in insts.iter().zip(buf.iter()) {
        let mut out = Parts::default();
        for c in Component::ALL {
            *out.get_mut(c) = inst
                .due
                .get(c)
                .saturating_sub(inst.waived.get(c))
                .saturating_sub(paid.get(c))
                .max(0);
        }
        let out_total = total(&out);
        outstanding_total = outstanding_total.saturating_add(out_total);
        a.principal_outstanding = a.principal_outstanding.saturating_add(out.principal);
        if inst.due_date <= as_of && out_total > 0 {
            for c in Component::ALL {
                let v = a.overdue.get_mut(c);
                *v = v.saturating_add(out.get(c));
            }
            a.overdue_installments = a.overdue_installments.saturating_add(1);
            if a.oldest_overdue_due_date.is_none_or(|d| inst.due_date < d) {
                a.oldest_overdue_due_date = Some(inst.due_date);
            }
        }
    }
    if let Some(d) = a.oldest_overdue_due_date {
        a.days_past_due = u32::try_from((as_of - d).num_days()).unwrap_or(u32::MAX);
    }
    LoanFigures {
        arrears: a,
        outstanding_total,
    }
}

#[cfg(test)]
mod tests {
    use super::super::state::{AllocationLine, Payment};
    use super::*;
    use proptest::prelude::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).expect("valid test date")
    }

    fn parts(principal: i64, interest: i64) -> Parts {
        Parts {
            principal,
            interest,
            ..Parts::default()
        }
    }

    fn inst(number: u32, due_date: NaiveDate, due: Parts) -> InstallmentState {
        InstallmentState {
            number,
            due_date,
            due,
            paid: Parts::default(),
            waived: Parts::default(),
        }
    }

    fn line(installment: u32, component: Component, amount: i64) -> AllocationLine {
        AllocationLine {
            installment,
            component,
            amount,
        }
    }

    /// Fills each installment's `paid` (paid to date) from the payments, as
    /// the store would; the code under test must not read it.
    fn with_paid_to_date(mut s: LoanState) -> LoanState {
        for p in &s.payments {
            for l in &p.lines {
                if let Some(i) = s
                    .installments
                    .iter_mut()
                    .find(|i| i.number == l.installment)
                {
                    *i.paid.get_mut(l.component) += l.amount;
                }
            }
        }
        s
    }

    /// Four weekly installments of 2,500 principal + 300 interest, due
    /// 7, 14, 21, 28 Jan 2024.
    /// Payment 1, 7 Jan: installment 1 in full (300 interest, 2,500 principal).
    /// Payment 2, 16 Jan: 1,000 to installment 2 (300 interest, 700 principal).
    /// Payment 3, 5 Feb (late): clears everything else.
    fn small_loan() -> LoanState {
        let installments = (1..=4)
            .map(|n| inst(n, d(2024, 1, 7 * n), parts(2500, 300)))
            .collect();
        let payments = vec![
            Payment {
                paid_on: d(2024, 1, 7),
                lines: vec![
                    line(1, Component::Interest, 300),
                    line(1, Component::Principal, 2500),
                ],
            },
            Payment {
                paid_on: d(2024, 1, 16),
                lines: vec![
                    line(2, Component::Interest, 300),
                    line(2, Component::Principal, 700),
                ],
            },
            Payment {
                paid_on: d(2024, 2, 5),
                lines: vec![
                    line(2, Component::Principal, 1800),
                    line(3, Component::Interest, 300),
                    line(3, Component::Principal, 2500),
                    line(4, Component::Interest, 300),
                    line(4, Component::Principal, 2500),
                ],
            },
        ];
        with_paid_to_date(LoanState {
            installments,
            payments,
        })
    }

    #[test]
    fn arrears_with_partial_payment() {
        // As of 24 Jan (payments 1 and 2 only):
        //   inst 1: settled.
        //   inst 2 (due 14 Jan): principal 2500 - 700 = 1800, interest 0.
        //   inst 3 (due 21 Jan): principal 2500, interest 300.
        //   inst 4 (due 28 Jan): not yet due, principal 2500.
        // overdue = principal 1800 + 2500 = 4300, interest 300 (2 installments)
        // oldest overdue due date 14 Jan -> DPD = 24 - 14 = 10.
        // principal outstanding = 1800 + 2500 + 2500 = 6800.
        let a = arrears(&small_loan(), d(2024, 1, 24));
        assert_eq!(
            a,
            LoanArrears {
                days_past_due: 10,
                overdue_installments: 2,
                overdue: parts(4300, 300),
                principal_outstanding: 6800,
                oldest_overdue_due_date: Some(d(2024, 1, 14)),
            }
        );
    }

    #[test]
    fn arrears_before_and_after_late_payment() {
        let loan = small_loan();
        // 4 Feb, the day before payment 3: installments 2, 3, 4 all overdue.
        // principal 1800 + 2500 + 2500 = 6800, interest 300 + 300 = 600.
        // DPD from 14 Jan: 17 days to 31 Jan + 4 = 21.
        let before = arrears(&loan, d(2024, 2, 4));
        assert_eq!(
            before,
            LoanArrears {
                days_past_due: 21,
                overdue_installments: 3,
                overdue: parts(6800, 600),
                principal_outstanding: 6800,
                oldest_overdue_due_date: Some(d(2024, 1, 14)),
            }
        );
        // 5 Feb: payment 3 counts on its own day; nothing left.
        let after = arrears(&loan, d(2024, 2, 5));
        assert_eq!(
            after,
            LoanArrears {
                days_past_due: 0,
                overdue_installments: 0,
                overdue: Parts::default(),
                principal_outstanding: 0,
                oldest_overdue_due_date: None,
            }
        );
    }

    #[test]
    fn installment_due_on_as_of_is_overdue_but_zero_days_past_due() {
        let mut loan = small_loan();
        loan.payments.clear();
        // 7 Jan: installment 1 due today, unpaid.
        let a = arrears(&loan, d(2024, 1, 7));
        assert_eq!(a.days_past_due, 0);
        assert_eq!(a.overdue_installments, 1);
        assert_eq!(a.overdue, parts(2500, 300));
        assert_eq!(a.oldest_overdue_due_date, Some(d(2024, 1, 7)));
        assert_eq!(a.principal_outstanding, 10_000);
        // 8 Jan: one day past due.
        assert_eq!(arrears(&loan, d(2024, 1, 8)).days_past_due, 1);
        // 6 Jan: nothing due yet.
        let early = arrears(&loan, d(2024, 1, 6));
        assert_eq!(early.overdue_installments, 0);
        assert_eq!(early.oldest_overdue_due_date, None);
    }

    #[test]
    fn waived_amounts_are_not_outstanding() {
        let mut loan = small_loan();
        loan.payments.truncate(2);
        // Installment 2's remaining 1800 principal waived: as of 24 Jan only
        // installment 3 (due 21 Jan) is overdue -> DPD 3.
        loan.installments[1].waived.principal = 1800;
        let a = arrears(&loan, d(2024, 1, 24));
        assert_eq!(a.days_past_due, 3);
        assert_eq!(a.overdue, parts(2500, 300));
        assert_eq!(a.principal_outstanding, 5000);
    }

    /// Book as of 30 June 2024 (all amounts principal unless said):
    /// A: current. 10,000 due 7 Jul and 10,000 due 14 Jul (+500 interest
    ///    each).                                              po 20,000, DPD 0
    /// B: 2,000 + 200 interest due 20 Jun unpaid; 8,000 due 20 Jul.
    ///                                                        po 10,000, DPD 10
    /// C: 3,000 due 16 Apr paid that day; 3,000 due 16 May and 3,000 due
    ///    16 Jun unpaid.  16 May -> 30 Jun = 15 + 30 = 45.    po  6,000, DPD 45
    /// D: 2,000 due 2 Mar and 2,000 due 2 Apr unpaid.
    ///    2 Mar -> 30 Jun = 29 + 30 + 31 + 30 = 120.          po  4,000, DPD 120
    /// Total 40,000. PAR1 = B+C+D = 20,000 -> 0.5; PAR30 = C+D = 10,000 ->
    /// 0.25; PAR90 = D = 4,000 -> 0.1.
    fn book() -> Vec<LoanState> {
        let a = LoanState {
            installments: vec![
                inst(1, d(2024, 7, 7), parts(10_000, 500)),
                inst(2, d(2024, 7, 14), parts(10_000, 500)),
            ],
            payments: vec![],
        };
        let b = LoanState {
            installments: vec![
                inst(1, d(2024, 6, 20), parts(2_000, 200)),
                inst(2, d(2024, 7, 20), parts(8_000, 0)),
            ],
            payments: vec![],
        };
        let c = with_paid_to_date(LoanState {
            installments: vec![
                inst(1, d(2024, 4, 16), parts(3_000, 0)),
                inst(2, d(2024, 5, 16), parts(3_000, 0)),
                inst(3, d(2024, 6, 16), parts(3_000, 0)),
            ],
            payments: vec![Payment {
                paid_on: d(2024, 4, 16),
                lines: vec![line(1, Component::Principal, 3_000)],
            }],
        });
        let dd = LoanState {
            installments: vec![
                inst(1, d(2024, 3, 2), parts(2_000, 0)),
                inst(2, d(2024, 4, 2), parts(2_000, 0)),
            ],
            payments: vec![],
        };
        vec![a, b, c, dd]
    }

    #[test]
    fn par_on_small_book() {
        let book = book();
        let as_of = d(2024, 6, 30);
        let dpd: Vec<u32> = book
            .iter()
            .map(|l| arrears(l, as_of).days_past_due)
            .collect();
        assert_eq!(dpd, vec![0, 10, 45, 120]);
        let p = par(&book, as_of);
        assert_eq!(
            p,
            Par {
                principal_outstanding: 40_000,
                at_risk_1: 20_000,
                at_risk_30: 10_000,
                at_risk_90: 4_000,
            }
        );
        assert_eq!(p.ratio(1), Decimal::new(5, 1));
        assert_eq!(p.ratio(30), Decimal::new(25, 2));
        assert_eq!(p.ratio(90), Decimal::new(1, 1));
        assert_eq!(Par::default().ratio(30), Decimal::ZERO);
    }

    #[test]
    fn par_thresholds_are_strict_above_30_and_90() {
        // One loan, 1,000 due 1 Jan 2024 unpaid.
        let loan = LoanState {
            installments: vec![inst(1, d(2024, 1, 1), parts(1_000, 0))],
            payments: vec![],
        };
        let at = |as_of| par([&loan], as_of);
        // 31 Jan: DPD 30 -> PAR1 only.
        assert_eq!(
            (at(d(2024, 1, 31)).at_risk_1, at(d(2024, 1, 31)).at_risk_30),
            (1_000, 0)
        );
        // 1 Feb: DPD 31 -> PAR30.
        assert_eq!(at(d(2024, 2, 1)).at_risk_30, 1_000);
        // 31 Mar: DPD 90 (30 + 29 + 31) -> not PAR90; 1 Apr: DPD 91 -> PAR90.
        assert_eq!(arrears(&loan, d(2024, 3, 31)).days_past_due, 90);
        assert_eq!(at(d(2024, 3, 31)).at_risk_90, 0);
        assert_eq!(at(d(2024, 4, 1)).at_risk_90, 1_000);
        // 1 Jan: due today, DPD 0 -> not at risk.
        assert_eq!(at(d(2024, 1, 1)).at_risk_1, 0);
    }

    #[test]
    fn ageing_on_small_book() {
        // Overdue totals as of 30 Jun: B 2,200 (incl. interest), C 6,000, D 4,000.
        let (p, g) = par_and_ageing(&book(), d(2024, 6, 30));
        assert_eq!(p.principal_outstanding, 40_000);
        let bucket = |loans, principal_outstanding, overdue_total| Bucket {
            loans,
            principal_outstanding,
            overdue_total,
        };
        assert_eq!(
            g,
            Ageing {
                current: bucket(1, 20_000, 0),
                d1_30: bucket(1, 10_000, 2_200),
                d31_60: bucket(1, 6_000, 6_000),
                d61_90: Bucket::default(),
                d91_180: bucket(1, 4_000, 4_000),
                over_180: Bucket::default(),
            }
        );
        // A settled loan is left out of ageing.
        let settled = small_loan();
        assert_eq!(ageing([&settled], d(2024, 3, 1)), Ageing::default());
    }

    #[test]
    fn monthly_periods_are_calendar_months_clipped() {
        assert_eq!(
            monthly_periods(d(2024, 1, 15), d(2024, 3, 10)),
            vec![
                (d(2024, 1, 15), d(2024, 1, 31)),
                (d(2024, 2, 1), d(2024, 2, 29)),
                (d(2024, 3, 1), d(2024, 3, 10)),
            ]
        );
        assert_eq!(
            monthly_periods(d(2023, 12, 1), d(2023, 12, 31)),
            vec![(d(2023, 12, 1), d(2023, 12, 31))]
        );
        assert!(monthly_periods(d(2024, 2, 1), d(2024, 1, 31)).is_empty());
    }

    /// Installments of 1,000 principal + 100 interest = 1,100 due
    /// 25 Dec 2023 (#1), 10 Jan (#2), 25 Jan (#3), 10 Feb (#4), 25 Feb (#5),
    /// 10 Mar (#6).
    /// Payments (interest first, then principal):
    /// 25 Dec: 500 to #1 (100 + 400). 10 Jan: 1,100 to #2.
    /// 28 Jan: 600 to #1 (principal), 1,100 to #3, 1,100 to #4 (advance).
    /// 20 Feb: 500 to #5 (100 + 400), 200 to #6 (100 + 100, advance).
    fn dcb_loan() -> LoanState {
        let dates = [
            d(2023, 12, 25),
            d(2024, 1, 10),
            d(2024, 1, 25),
            d(2024, 2, 10),
            d(2024, 2, 25),
            d(2024, 3, 10),
        ];
        let installments = dates
            .iter()
            .zip(1..)
            .map(|(&due, n)| inst(n, due, parts(1_000, 100)))
            .collect();
        // (installment, interest, principal): interest first, as allocation does.
        let pay = |on, lines: &[(u32, i64, i64)]| Payment {
            paid_on: on,
            lines: lines
                .iter()
                .flat_map(|&(i, int, pr)| {
                    [
                        line(i, Component::Interest, int),
                        line(i, Component::Principal, pr),
                    ]
                })
                .filter(|l| l.amount != 0)
                .collect(),
        };
        with_paid_to_date(LoanState {
            installments,
            payments: vec![
                pay(d(2023, 12, 25), &[(1, 100, 400)]),
                pay(d(2024, 1, 10), &[(2, 100, 1_000)]),
                pay(
                    d(2024, 1, 28),
                    &[(1, 0, 600), (3, 100, 1_000), (4, 100, 1_000)],
                ),
                pay(d(2024, 2, 20), &[(5, 100, 400), (6, 100, 100)]),
            ],
        })
    }

    #[test]
    fn dcb_two_months_with_advance() {
        let loan = dcb_loan();
        let rows = dcb([&loan], &monthly_periods(d(2024, 1, 1), d(2024, 2, 29)));
        // January: opening = 1,100 (#1) - 500 = 600; demand = #2 + #3 = 2,200;
        // against due = 1,100 + 600 + 1,100 = 2,800; advance = 1,100 (#4);
        // closing = 600 + 2,200 - 0 - 2,800 = 0.
        // February: opening = 3,300 due - 3,300 paid = 0; demand = #4 + #5 =
        // 2,200, of which 1,100 (#4) was collected in January; against due =
        // 500 (#5); advance = 200 (#6); closing = 0 + 2,200 - 1,100 - 500 = 600
        // (= #5's unpaid 600).
        assert_eq!(
            rows,
            vec![
                DcbRow {
                    period_start: d(2024, 1, 1),
                    period_end: d(2024, 1, 31),
                    opening_overdue: 600,
                    demand: 2_200,
                    advance_adjusted: 0,
                    collected_against_due: 2_800,
                    collected_in_advance: 1_100,
                    closing_overdue: 0,
                },
                DcbRow {
                    period_start: d(2024, 2, 1),
                    period_end: d(2024, 2, 29),
                    opening_overdue: 0,
                    demand: 2_200,
                    advance_adjusted: 1_100,
                    collected_against_due: 500,
                    collected_in_advance: 200,
                    closing_overdue: 600,
                },
            ]
        );
        // Identity, and agreement with arrears at each period end.
        for r in &rows {
            assert_eq!(
                r.closing_overdue,
                r.opening_overdue + r.demand - r.advance_adjusted - r.collected_against_due
            );
            assert_eq!(
                r.closing_overdue,
                total(&arrears(&loan, r.period_end).overdue)
            );
        }
        // January had no earlier advance, so there the three-term identity holds.
        let jan = rows[0];
        assert_eq!(
            jan.closing_overdue,
            jan.opening_overdue + jan.demand - jan.collected_against_due
        );
        assert_eq!(rows[0].closing_overdue, rows[1].opening_overdue);
    }

    /// Random valid loans: 1..8 weekly installments from 1 Jan 2024, each
    /// paid a part (0..=due per component) in up to two dated payments,
    /// some installments partly waived.
    fn arb_loan() -> impl Strategy<Value = LoanState> {
        let inst_spec = (
            0i64..5_000,
            0i64..600,
            0i64..=100,
            0i64..=100,
            0u8..=100,
            0i64..120,
            0i64..120,
        );
        prop::collection::vec(inst_spec, 1..8).prop_map(|specs| {
            let base = d(2024, 1, 1);
            let mut installments = Vec::new();
            let mut payments = Vec::new();
            for (k, (pr, int, pct_a, pct_b, waive_pct, day_a, day_b)) in
                specs.into_iter().enumerate()
            {
                let n = u32::try_from(k).expect("small") + 1;
                let due_date = base + chrono::Days::new(7 * u64::from(n));
                let mut i = inst(n, due_date, parts(pr, int));
                if waive_pct > 80 {
                    i.waived.principal = pr / 2;
                }
                let net = pr - i.waived.principal;
                let pa = net * pct_a / 100;
                let pb = (net - pa) * pct_b / 100;
                let ia = int * pct_a / 100;
                let pay_a = base + chrono::Days::new(u64::try_from(day_a).expect("non-negative"));
                let pay_b = base + chrono::Days::new(u64::try_from(day_b).expect("non-negative"));
                payments.push(Payment {
                    paid_on: pay_a,
                    lines: vec![
                        line(n, Component::Interest, ia),
                        line(n, Component::Principal, pa),
                    ],
                });
                payments.push(Payment {
                    paid_on: pay_b,
                    lines: vec![line(n, Component::Principal, pb)],
                });
                installments.push(i);
            }
            with_paid_to_date(LoanState {
                installments,
                payments,
            })
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(128))]

        #[test]
        fn par_ratios_bounded_and_ordered(
            loans in prop::collection::vec(arb_loan(), 0..12),
            day in 0u64..150,
        ) {
            let as_of = d(2024, 1, 1) + chrono::Days::new(day);
            let p = par(&loans, as_of);
            let (r1, r30, r90) = (p.ratio(1), p.ratio(30), p.ratio(90));
            for r in [r1, r30, r90] {
                prop_assert!(r >= Decimal::ZERO && r <= Decimal::ONE);
            }
            prop_assert!(r90 <= r30 && r30 <= r1);
            prop_assert!(p.at_risk_90 <= p.at_risk_30 && p.at_risk_30 <= p.at_risk_1);
            prop_assert!(p.at_risk_1 <= p.principal_outstanding);
            // Ageing covers the same principal.
            let g = ageing(&loans, as_of);
            let buckets = [g.current, g.d1_30, g.d31_60, g.d61_90, g.d91_180, g.over_180];
            prop_assert_eq!(
                buckets.iter().map(|b| b.principal_outstanding).sum::<i64>(),
                p.principal_outstanding
            );
        }

        #[test]
        fn dcb_identity(
            loans in prop::collection::vec(arb_loan(), 0..6),
            start_day in 0u64..60,
        ) {
            let from = d(2024, 1, 1) + chrono::Days::new(start_day);
            let periods = monthly_periods(from, d(2024, 5, 31));
            let rows = dcb(&loans, &periods);
            prop_assert_eq!(rows.len(), periods.len());
            for r in &rows {
                prop_assert_eq!(
                    r.closing_overdue,
                    r.opening_overdue + r.demand - r.advance_adjusted - r.collected_against_due
                );
                let overdue: i64 = loans
                    .iter()
                    .map(|l| total(&arrears(l, r.period_end).overdue))
                    .sum();
                prop_assert_eq!(r.closing_overdue, overdue);
                if r.advance_adjusted == 0 {
                    prop_assert_eq!(
                        r.closing_overdue,
                        r.opening_overdue + r.demand - r.collected_against_due
                    );
                }
            }
            for w in rows.windows(2) {
                prop_assert_eq!(w[0].closing_overdue, w[1].opening_overdue);
            }
        }
    }
}
