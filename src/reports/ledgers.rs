//! Ledgers: the general ledger (every account's postings with opening,
//! running and closing balances), the loan ledger (one row per loan), and a
//! member's passbook (her savings and loan lines).
//!
//! Balances are shown on the account's normal side (savings owed to a
//! member read positive), like the statements; debit and credit columns are
//! always positive amounts.

use super::sheet::{Cell, Sheet};
use crate::groups::Member;
use crate::ledger::{Account, AccountId, AccountType, PostedEntry};
use crate::loans::portfolio::arrears;
use crate::loans::product::LoanStatus;
use crate::loans::state::Component;
use crate::store::LoanWithState;
use chrono::NaiveDate;
use serde::Serialize;
use std::collections::HashMap;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LedgerLine {
    pub date: NaiveDate,
    pub entry_id: i64,
    pub kind: String,
    pub memo: String,
    pub debit: i64,
    pub credit: i64,
    /// After this line, on the normal side.
    pub balance: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LedgerAccount {
    pub account_id: AccountId,
    pub code: String,
    pub name: String,
    pub account_type: AccountType,
    pub opening: i64,
    pub debits: i64,
    pub credits: i64,
    pub closing: i64,
    pub lines: Vec<LedgerLine>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GeneralLedger {
    pub from: Option<NaiveDate>,
    pub until: NaiveDate,
    /// Postable accounts with an opening balance or a posting, in code order.
    pub accounts: Vec<LedgerAccount>,
}

/// The general ledger of `from..=until`. `opening` holds each account's
/// signed balance at the end of the day before `from` (empty when the
/// period starts with the books).
pub fn general_ledger(
    journal: &[PostedEntry],
    accounts: &[Account],
    opening: &HashMap<AccountId, i64>,
    from: Option<NaiveDate>,
    until: NaiveDate,
) -> GeneralLedger {
    let mut ledger: Vec<LedgerAccount> = accounts
        .iter()
        .filter(|a| a.postable)
        .map(|a| {
            let open = a
                .normal_side
                .present(opening.get(&a.id).copied().unwrap_or(0));
            LedgerAccount {
                account_id: a.id,
                code: a.code.clone(),
                name: a.name.clone(),
                account_type: a.account_type,
                opening: open,
                debits: 0,
                credits: 0,
                closing: open,
                lines: Vec::new(),
            }
        })
        .collect();
    ledger.sort_by(|a, b| a.code.cmp(&b.code));
    let position: HashMap<AccountId, usize> = ledger
        .iter()
        .enumerate()
        .map(|(i, a)| (a.account_id, i))
        .collect();
    for e in journal {
        for p in &e.postings {
            let Some(acc) = position.get(&p.account_id).and_then(|&i| ledger.get_mut(i)) else {
                continue;
            };
            let (debit, credit) = (p.amount.max(0), p.amount.min(0).saturating_neg());
            acc.debits = acc.debits.saturating_add(debit);
            acc.credits = acc.credits.saturating_add(credit);
            acc.closing = acc
                .closing
                .saturating_add(acc.account_type.normal_side().present(p.amount));
            acc.lines.push(LedgerLine {
                date: e.business_date,
                entry_id: e.id,
                kind: e.kind.clone(),
                memo: e.memo.clone(),
                debit,
                credit,
                balance: acc.closing,
            });
        }
    }
    ledger.retain(|a| a.opening != 0 || !a.lines.is_empty());
    GeneralLedger {
        from,
        until,
        accounts: ledger,
    }
}

impl GeneralLedger {
    /// One account's ledger, by code.
    pub fn account(&self, code: &str) -> Option<&LedgerAccount> {
        self.accounts.iter().find(|a| a.code == code)
    }

    /// Every line of every account, each account opened and closed by a
    /// balance row.
    pub fn sheet(&self) -> Sheet {
        let mut s = Sheet::new(&[
            "code", "account", "date", "entry", "kind", "memo", "debit", "credit", "balance",
        ]);
        for a in &self.accounts {
            let edge = |what: &str, date: Option<NaiveDate>, debit, credit, balance| {
                vec![
                    Cell::text(&a.code),
                    Cell::text(&a.name),
                    Cell::date(date),
                    Cell::Empty,
                    Cell::text(what),
                    Cell::Empty,
                    debit,
                    credit,
                    Cell::Money(balance),
                ]
            };
            s.push(edge(
                "opening",
                self.from,
                Cell::Empty,
                Cell::Empty,
                a.opening,
            ));
            for l in &a.lines {
                s.push(vec![
                    Cell::text(&a.code),
                    Cell::text(&a.name),
                    Cell::Date(l.date),
                    Cell::Count(l.entry_id),
                    Cell::text(&l.kind),
                    Cell::text(&l.memo),
                    Cell::Money(l.debit),
                    Cell::Money(l.credit),
                    Cell::Money(l.balance),
                ]);
            }
            s.push(edge(
                "closing",
                Some(self.until),
                Cell::Money(a.debits),
                Cell::Money(a.credits),
                a.closing,
            ));
        }
        s
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LoanLedgerRow {
    pub loan_id: i64,
    pub member_code: String,
    pub member_name: String,
    pub disbursed_on: Option<NaiveDate>,
    pub disbursed: i64,
    pub principal_repaid: i64,
    pub interest_paid: i64,
    /// Late fines and fees paid on the loan.
    pub fines_paid: i64,
    /// Principal still owed (written-off principal is not owed to the books).
    pub outstanding: i64,
    pub status: LoanStatus,
    /// Only for loans still running; 0 when nothing is late.
    pub days_past_due: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LoanLedger {
    pub as_of: NaiveDate,
    pub rows: Vec<LoanLedgerRow>,
    pub disbursed: i64,
    pub principal_repaid: i64,
    pub interest_paid: i64,
    pub fines_paid: i64,
    pub outstanding: i64,
}

/// The loan ledger as of a date, from the loans as they stood then
/// (`LoanStore::loans_as_of`): payments made after `as_of` do not count.
pub fn loan_ledger(loans: &[LoanWithState], members: &[Member], as_of: NaiveDate) -> LoanLedger {
    let by_id: HashMap<i64, &Member> = members.iter().map(|m| (m.id, m)).collect();
    let mut ledger = LoanLedger {
        as_of,
        rows: Vec::new(),
        disbursed: 0,
        principal_repaid: 0,
        interest_paid: 0,
        fines_paid: 0,
        outstanding: 0,
    };
    for l in loans
        .iter()
        .filter(|l| l.loan.disbursed_on.is_some_and(|d| d <= as_of))
    {
        let (mut principal, mut interest, mut fines) = (0_i64, 0_i64, 0_i64);
        for p in l.state.payments.iter().filter(|p| p.paid_on <= as_of) {
            for line in &p.lines {
                let slot = match line.component {
                    Component::Principal => &mut principal,
                    Component::Interest => &mut interest,
                    Component::Penalty | Component::Fee => &mut fines,
                };
                *slot = slot.saturating_add(line.amount);
            }
        }
        let a = arrears(&l.state, as_of);
        let member = by_id.get(&l.loan.member_id);
        let row = LoanLedgerRow {
            loan_id: l.loan.id,
            member_code: member.map(|m| m.code.clone()).unwrap_or_default(),
            member_name: member.map(|m| m.display_name.clone()).unwrap_or_default(),
            disbursed_on: l.loan.disbursed_on,
            disbursed: l.loan.principal,
            principal_repaid: principal,
            interest_paid: interest,
            fines_paid: fines,
            outstanding: a.principal_outstanding,
            status: l.loan.status,
            days_past_due: if l.loan.status == LoanStatus::Active {
                a.days_past_due
            } else {
                0
            },
        };
        ledger.disbursed = ledger.disbursed.saturating_add(row.disbursed);
        ledger.principal_repaid = ledger.principal_repaid.saturating_add(principal);
        ledger.interest_paid = ledger.interest_paid.saturating_add(interest);
        ledger.fines_paid = ledger.fines_paid.saturating_add(fines);
        ledger.outstanding = ledger.outstanding.saturating_add(row.outstanding);
        ledger.rows.push(row);
    }
    ledger.rows.sort_by_key(|r| (r.disbursed_on, r.loan_id));
    ledger
}

impl LoanLedger {
    pub fn sheet(&self) -> Sheet {
        let mut s = Sheet::new(&[
            "loan",
            "member_code",
            "member",
            "disbursed_on",
            "disbursed",
            "principal_repaid",
            "interest_paid",
            "fines_paid",
            "outstanding",
            "status",
            "days_past_due",
        ]);
        for r in &self.rows {
            s.push(vec![
                Cell::Count(r.loan_id),
                Cell::text(&r.member_code),
                Cell::text(&r.member_name),
                Cell::date(r.disbursed_on),
                Cell::Money(r.disbursed),
                Cell::Money(r.principal_repaid),
                Cell::Money(r.interest_paid),
                Cell::Money(r.fines_paid),
                Cell::Money(r.outstanding),
                Cell::text(r.status.as_str()),
                Cell::Count(i64::from(r.days_past_due)),
            ]);
        }
        s.push(vec![
            Cell::Empty,
            Cell::Empty,
            Cell::text("total"),
            Cell::Empty,
            Cell::Money(self.disbursed),
            Cell::Money(self.principal_repaid),
            Cell::Money(self.interest_paid),
            Cell::Money(self.fines_paid),
            Cell::Money(self.outstanding),
        ]);
        s
    }
}

/// A member's own accounts the passbook follows.
#[derive(Debug, Clone, Copy)]
pub struct MemberAccounts {
    pub compulsory: AccountId,
    pub voluntary: AccountId,
    pub loan: AccountId,
}

/// Her three balances, as she reads them: savings the group owes her, and
/// loan principal she owes the group.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct MemberBalances {
    pub compulsory: i64,
    pub voluntary: i64,
    pub loan: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PassbookLine {
    pub date: NaiveDate,
    pub entry_id: i64,
    pub kind: String,
    pub memo: String,
    /// What the entry did to each balance: savings in positive, a loan
    /// received positive, a repayment negative.
    pub change: MemberBalances,
    pub balance: MemberBalances,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Passbook {
    pub from: Option<NaiveDate>,
    pub until: NaiveDate,
    pub opening: MemberBalances,
    pub lines: Vec<PassbookLine>,
    pub closing: MemberBalances,
}

/// Her passbook over the journal of a period, from her balances at the end
/// of the day before `from`. Corrections and their reversals both show: a
/// passbook must add up to the balance the books hold.
pub fn passbook(
    journal: &[PostedEntry],
    accounts: MemberAccounts,
    opening: MemberBalances,
    from: Option<NaiveDate>,
    until: NaiveDate,
) -> Passbook {
    let mut balance = opening;
    let mut lines = Vec::new();
    for e in journal {
        let mut change = MemberBalances::default();
        let mut mine = false;
        for p in &e.postings {
            // Savings are credit-normal: a credit (negative) adds to them.
            let slot = if p.account_id == accounts.compulsory {
                Some((&mut change.compulsory, p.amount.saturating_neg()))
            } else if p.account_id == accounts.voluntary {
                Some((&mut change.voluntary, p.amount.saturating_neg()))
            } else if p.account_id == accounts.loan {
                Some((&mut change.loan, p.amount))
            } else {
                None
            };
            if let Some((v, amount)) = slot {
                *v = v.saturating_add(amount);
                mine = true;
            }
        }
        if !mine {
            continue;
        }
        balance.compulsory = balance.compulsory.saturating_add(change.compulsory);
        balance.voluntary = balance.voluntary.saturating_add(change.voluntary);
        balance.loan = balance.loan.saturating_add(change.loan);
        lines.push(PassbookLine {
            date: e.business_date,
            entry_id: e.id,
            kind: e.kind.clone(),
            memo: e.memo.clone(),
            change,
            balance,
        });
    }
    Passbook {
        from,
        until,
        opening,
        lines,
        closing: balance,
    }
}

impl Passbook {
    pub fn sheet(&self) -> Sheet {
        let mut s = Sheet::new(&[
            "date",
            "entry",
            "kind",
            "memo",
            "compulsory_savings",
            "voluntary_savings",
            "loan",
            "compulsory_balance",
            "voluntary_balance",
            "loan_balance",
        ]);
        let edge = |date, what: &str, b: MemberBalances| {
            vec![
                Cell::date(date),
                Cell::Empty,
                Cell::text(what),
                Cell::Empty,
                Cell::Empty,
                Cell::Empty,
                Cell::Empty,
                Cell::Money(b.compulsory),
                Cell::Money(b.voluntary),
                Cell::Money(b.loan),
            ]
        };
        s.push(edge(self.from, "opening", self.opening));
        for l in &self.lines {
            s.push(vec![
                Cell::Date(l.date),
                Cell::Count(l.entry_id),
                Cell::text(&l.kind),
                Cell::text(&l.memo),
                Cell::Money(l.change.compulsory),
                Cell::Money(l.change.voluntary),
                Cell::Money(l.change.loan),
                Cell::Money(l.balance.compulsory),
                Cell::Money(l.balance.voluntary),
                Cell::Money(l.balance.loan),
            ]);
        }
        s.push(edge(Some(self.until), "closing", self.closing));
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::loans::product::{templates, Loan, LoanSource};
    use crate::loans::state::{AllocationLine, InstallmentState, LoanState, Parts, Payment};
    use crate::reports::statements::tests::{chart, d, journal};

    #[test]
    fn the_general_ledger_runs_each_account_from_its_opening_balance() {
        let from = d(3, 9);
        let march: Vec<PostedEntry> = journal()
            .into_iter()
            .filter(|e| e.business_date >= from)
            .collect();
        // At the end of 8 March: cash 700 (debit), bank 300, M1 and M2's
        // savings 500 each (credit: negative signed).
        let opening = HashMap::from([(1, 70_000), (2, 30_000), (7, -50_000), (8, -50_000)]);
        let gl = general_ledger(&march, &chart(), &opening, Some(from), d(3, 31));
        let cash = gl.account("1000");
        let lines: Vec<(i64, i64, i64)> = cash
            .map(|a| {
                a.lines
                    .iter()
                    .map(|l| (l.debit, l.credit, l.balance))
                    .collect()
            })
            .unwrap_or_default();
        // 700 - 600 = 100; + 112 = 212; + 5 = 217; + 20 = 237; - 30 = 207.
        assert_eq!(
            lines,
            [
                (0, 60_000, 10_000),
                (11_200, 0, 21_200),
                (500, 0, 21_700),
                (2_000, 0, 23_700),
                (0, 3_000, 20_700),
            ]
        );
        let cash = gl.account("1000").cloned();
        assert_eq!(
            cash.map(|a| (a.opening, a.debits, a.credits, a.closing)),
            Some((70_000, 13_700, 63_000, 20_700))
        );
        // Savings read positive; M1's savings did not move, but she is listed
        // because she has a balance. M2's loan account has neither: left out.
        assert_eq!(
            gl.account("2000-M1").map(|a| (a.opening, a.closing)),
            Some((50_000, 50_000))
        );
        assert!(gl.account("1100-M2").is_none());
        // Interest: credited 12, then closed out (debited 12) on 31 March.
        assert_eq!(
            gl.account("4000").map(|a| (a.debits, a.credits, a.closing)),
            Some((1_200, 1_200, 0))
        );
        // Headers take no postings and are not listed.
        assert!(gl.account("1100").is_none());
        let csv = String::from_utf8(gl.sheet().to_csv(2).unwrap_or_default()).unwrap_or_default();
        assert!(
            csv.contains("\n1000,name 1000,2026-03-09,,opening,,,,700.00\n"),
            "{csv}"
        );
        assert!(csv.contains("\n1000,name 1000,2026-03-31,,closing,,137.00,630.00,207.00\n"));
    }

    fn loan(id: i64, member_id: i64, status: LoanStatus, disbursed: NaiveDate) -> Loan {
        Loan {
            id,
            group_id: 1,
            member_id,
            product_id: None,
            source: LoanSource::GroupFund,
            purpose: "goats".into(),
            principal: 60_000,
            settings: templates()[0].1.clone(),
            status,
            applied_on: disbursed,
            approved_on: Some(disbursed),
            resolution: None,
            disbursed_on: Some(disbursed),
            disbursement_entry_id: Some(1),
            closed_on: None,
            schedule_version: 1,
        }
    }

    fn member(id: i64, code: &str) -> Member {
        Member {
            id,
            group_id: 1,
            code: code.into(),
            display_name: format!("Member {code}"),
            joined_on: d(1, 1),
        }
    }

    /// Two installments of 300 principal + 12 interest, due 9 Apr and 9 May.
    fn state(payments: Vec<Payment>) -> LoanState {
        let due = Parts {
            principal: 30_000,
            interest: 1_200,
            ..Parts::default()
        };
        let inst = |number, due_date| InstallmentState {
            number,
            due_date,
            due,
            paid: Parts::default(),
            waived: Parts::default(),
        };
        LoanState {
            installments: vec![inst(1, d(4, 9)), inst(2, d(5, 9))],
            payments,
        }
    }

    fn line(installment: u32, component: Component, amount: i64) -> AllocationLine {
        AllocationLine {
            installment,
            component,
            amount,
        }
    }

    #[test]
    fn the_loan_ledger_counts_payments_up_to_the_date_and_days_late_of_running_loans() {
        // M1 paid installment 1 on 9 Apr (12 interest + 300 principal) and a
        // ₹10 fine with 100 principal on 20 May; installment 2 (due 9 May) is
        // then 200 principal + 12 interest short.
        let m1 = state(vec![
            Payment {
                paid_on: d(4, 9),
                lines: vec![
                    line(1, Component::Interest, 1_200),
                    line(1, Component::Principal, 30_000),
                ],
            },
            Payment {
                paid_on: d(5, 20),
                lines: vec![
                    line(2, Component::Penalty, 1_000),
                    line(2, Component::Principal, 10_000),
                ],
            },
        ]);
        let loans = vec![
            LoanWithState {
                loan: loan(7, 1, LoanStatus::Active, d(3, 9)),
                state: m1,
            },
            // Disbursed after the date: not in the ledger.
            LoanWithState {
                loan: loan(8, 2, LoanStatus::Active, d(6, 1)),
                state: state(vec![]),
            },
        ];
        let members = [member(1, "M1"), member(2, "M2")];
        let on = d(5, 31);
        let ll = loan_ledger(&loans, &members, on);
        assert_eq!(ll.rows.len(), 1);
        let r = &ll.rows[0];
        assert_eq!(
            (
                r.member_code.as_str(),
                r.disbursed,
                r.principal_repaid,
                r.interest_paid,
                r.fines_paid,
                r.outstanding
            ),
            ("M1", 60_000, 40_000, 1_200, 1_000, 20_000)
        );
        // 9 May to 31 May: 22 days past due.
        assert_eq!(r.days_past_due, 22);
        // On 15 May the 20 May payment has not happened yet.
        let earlier = loan_ledger(&loans, &members, d(5, 15));
        assert_eq!(
            (
                earlier.rows[0].principal_repaid,
                earlier.rows[0].fines_paid,
                earlier.rows[0].outstanding,
                earlier.rows[0].days_past_due
            ),
            (30_000, 0, 30_000, 6)
        );
        let csv = String::from_utf8(ll.sheet().to_csv(2).unwrap_or_default()).unwrap_or_default();
        assert!(
            csv.contains(
                "\n7,M1,Member M1,2026-03-09,600.00,400.00,12.00,10.00,200.00,active,22\n"
            ),
            "{csv}"
        );
        assert!(csv.ends_with(",,total,,600.00,400.00,12.00,10.00,200.00,,\n"));
    }

    #[test]
    fn a_passbook_follows_her_savings_and_loan_and_ends_at_her_balances() {
        // M1's savings (7) and loan (4) in the example chart; it gives her
        // no voluntary account, so 99, which nothing posts to.
        let accounts = MemberAccounts {
            compulsory: 7,
            voluntary: 99,
            loan: 4,
        };
        let pb = passbook(
            &journal(),
            accounts,
            MemberBalances::default(),
            None,
            d(3, 31),
        );
        let lines: Vec<(NaiveDate, i64, i64, i64)> = pb
            .lines
            .iter()
            .map(|l| (l.date, l.change.compulsory, l.change.loan, l.balance.loan))
            .collect();
        // Saved 500; received a loan of 600; repaid 100 of principal.
        assert_eq!(
            lines,
            [
                (d(3, 2), 50_000, 0, 0),
                (d(3, 9), 0, 60_000, 60_000),
                (d(3, 16), 0, -10_000, 50_000)
            ]
        );
        assert_eq!(
            pb.closing,
            MemberBalances {
                compulsory: 50_000,
                voluntary: 0,
                loan: 50_000
            }
        );
        let csv = String::from_utf8(pb.sheet().to_csv(2).unwrap_or_default()).unwrap_or_default();
        assert!(
            csv.contains("\n2026-03-16,4,loan-repayment,,0.00,0.00,-100.00,500.00,0.00,500.00\n"),
            "{csv}"
        );
    }
}
