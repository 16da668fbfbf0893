//! Financial statements from a book: trial balance, balance sheet, and
//! income and expenditure for a period. Pure: trial balances, accounts and
//! journal entries in, plain values out.
//!
//! Amounts on statements are *presented*: each account on its normal side,
//! so savings owed to members read positive on the liabilities side and a
//! loss reads negative. Per-member accounts (a member's savings, her loan)
//! roll up into their header ("Member compulsory savings"), as a statement
//! shows the group's position, not each woman's.

use super::sheet::{Cell, Sheet};
use crate::ledger::{Account, AccountId, AccountType, PostedEntry, TrialBalance};
use chrono::NaiveDate;
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};

/// The entry kind that closes income and expenses into surplus at the
/// share-out. It is bookkeeping, not the period's earnings, so income and
/// expenditure leaves it out.
pub const CLOSING_KIND: &str = "closing";

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StatementLine {
    pub code: String,
    pub name: String,
    pub amount: i64,
}

/// An account of the book after per-member accounts are rolled up into
/// their header: code, name, type and signed balance (debit positive).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RolledLine {
    pub code: String,
    pub name: String,
    pub account_type: AccountType,
    pub balance: i64,
}

/// The trial balance with each sub-account added into its header, in code
/// order. Accounts missing from `accounts` stay as they are.
pub fn roll_up(tb: &TrialBalance, accounts: &[Account]) -> Vec<RolledLine> {
    let by_id: HashMap<AccountId, &Account> = accounts.iter().map(|a| (a.id, a)).collect();
    let mut out: BTreeMap<String, RolledLine> = BTreeMap::new();
    for line in &tb.lines {
        let header = by_id
            .get(&line.account_id)
            .and_then(|a| a.parent_id)
            .and_then(|p| by_id.get(&p));
        let (code, name) = match header {
            Some(h) => (h.code.clone(), h.name.clone()),
            None => (line.code.clone(), line.name.clone()),
        };
        let slot = out.entry(code.clone()).or_insert_with(|| RolledLine {
            code,
            name,
            account_type: line.account_type,
            balance: 0,
        });
        slot.balance = slot.balance.saturating_add(line.balance);
    }
    out.into_values().collect()
}

/// Trial balances of group books added up account by account, each
/// member's account under its header (`1100-M001` into `1100`), for the
/// program's consolidated trial balance. Header names come from the
/// standard SHG chart, which every group book is created from.
pub fn consolidate(tbs: &[TrialBalance]) -> Vec<RolledLine> {
    let chart = crate::ledger::chart::shg_chart();
    let mut out: BTreeMap<String, RolledLine> = BTreeMap::new();
    for tb in tbs {
        for line in &tb.lines {
            let header = line
                .code
                .split_once('-')
                .map(|(h, _)| h)
                .filter(|h| crate::ledger::chart::shg::PER_MEMBER.contains(h));
            let code = header.unwrap_or(&line.code).to_string();
            let name = match header {
                Some(h) => chart
                    .iter()
                    .find(|a| a.code == h)
                    .map_or_else(|| line.name.clone(), |a| a.name.clone()),
                None => line.name.clone(),
            };
            let slot = out.entry(code.clone()).or_insert_with(|| RolledLine {
                code,
                name,
                account_type: line.account_type,
                balance: 0,
            });
            slot.balance = slot.balance.saturating_add(line.balance);
        }
    }
    out.into_values().collect()
}

/// Rolled-up lines as a trial balance sheet (debit and credit columns).
pub fn rolled_sheet(lines: &[RolledLine]) -> Sheet {
    let mut s = Sheet::new(&["code", "account", "type", "debit", "credit"]);
    let (mut debits, mut credits) = (0_i64, 0_i64);
    for l in lines {
        let (dr, cr) = (l.balance.max(0), l.balance.min(0).saturating_neg());
        debits = debits.saturating_add(dr);
        credits = credits.saturating_add(cr);
        s.push(vec![
            Cell::text(&l.code),
            Cell::text(&l.name),
            Cell::text(l.account_type.as_str()),
            Cell::Money(dr),
            Cell::Money(cr),
        ]);
    }
    s.push(vec![
        Cell::Empty,
        Cell::text("total"),
        Cell::Empty,
        Cell::Money(debits),
        Cell::Money(credits),
    ]);
    s
}

fn presented(account_type: AccountType, signed: i64) -> i64 {
    account_type.normal_side().present(signed)
}

/// The trial balance as a sheet: every postable account with its debit or
/// credit, and a totals row that must show equal columns.
pub fn trial_balance_sheet(tb: &TrialBalance) -> Sheet {
    let mut s = Sheet::new(&["code", "account", "type", "debit", "credit"]);
    for l in &tb.lines {
        s.push(vec![
            Cell::text(&l.code),
            Cell::text(&l.name),
            Cell::text(l.account_type.as_str()),
            Cell::Money(clamp(l.debit())),
            Cell::Money(clamp(l.credit())),
        ]);
    }
    s.push(vec![
        Cell::Empty,
        Cell::text("total"),
        Cell::Empty,
        Cell::Money(clamp(tb.total_debits())),
        Cell::Money(clamp(tb.total_credits())),
    ]);
    s
}

/// Totals are summed in i128 by the trial balance; a group's books never
/// come near i64, and a saturated figure is still visibly wrong, not wrapped.
pub fn clamp(v: i128) -> i64 {
    i64::try_from(v).unwrap_or(if v < 0 { i64::MIN } else { i64::MAX })
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BalanceSheet {
    pub as_of: Option<NaiveDate>,
    pub assets: Vec<StatementLine>,
    pub liabilities: Vec<StatementLine>,
    pub capital: Vec<StatementLine>,
    /// Income less expenses not yet closed into surplus.
    pub current_surplus: i64,
    pub total_assets: i64,
    pub total_liabilities: i64,
    /// Capital accounts plus the current surplus.
    pub total_capital: i64,
}

impl BalanceSheet {
    /// Liabilities and capital together.
    pub fn total_claims(&self) -> i64 {
        self.total_liabilities.saturating_add(self.total_capital)
    }

    /// Assets equal liabilities plus capital: it follows from double entry,
    /// so anything else means the books are corrupt.
    pub fn is_balanced(&self) -> bool {
        self.total_assets == self.total_claims()
    }

    pub fn sheet(&self) -> Sheet {
        let mut s = Sheet::new(&["side", "code", "account", "amount"]);
        for (side, lines) in [
            ("asset", &self.assets),
            ("liability", &self.liabilities),
            ("capital", &self.capital),
        ] {
            for l in lines {
                s.push(vec![
                    Cell::text(side),
                    Cell::text(&l.code),
                    Cell::text(&l.name),
                    Cell::Money(l.amount),
                ]);
            }
        }
        s.push(vec![
            Cell::text("capital"),
            Cell::Empty,
            Cell::text("current surplus"),
            Cell::Money(self.current_surplus),
        ]);
        s.push(vec![
            Cell::text("total"),
            Cell::Empty,
            Cell::text("assets"),
            Cell::Money(self.total_assets),
        ]);
        s.push(vec![
            Cell::text("total"),
            Cell::Empty,
            Cell::text("liabilities and capital"),
            Cell::Money(self.total_claims()),
        ]);
        s
    }
}

/// The balance sheet from a trial balance (current or as of a date).
pub fn balance_sheet(tb: &TrialBalance, accounts: &[Account]) -> BalanceSheet {
    let mut bs = BalanceSheet {
        as_of: tb.as_of,
        assets: Vec::new(),
        liabilities: Vec::new(),
        capital: Vec::new(),
        current_surplus: 0,
        total_assets: 0,
        total_liabilities: 0,
        total_capital: 0,
    };
    for l in roll_up(tb, accounts) {
        let amount = presented(l.account_type, l.balance);
        let line = StatementLine {
            code: l.code,
            name: l.name,
            amount,
        };
        match l.account_type {
            AccountType::Asset => {
                bs.total_assets = bs.total_assets.saturating_add(amount);
                bs.assets.push(line);
            }
            AccountType::Liability => {
                bs.total_liabilities = bs.total_liabilities.saturating_add(amount);
                bs.liabilities.push(line);
            }
            AccountType::Equity => {
                bs.total_capital = bs.total_capital.saturating_add(amount);
                bs.capital.push(line);
            }
            // Credit-normal income minus debit-normal expense, signed: the
            // negated sum of both signed balances.
            AccountType::Income | AccountType::Expense => {
                bs.current_surplus = bs.current_surplus.saturating_sub(l.balance);
            }
        }
    }
    bs.total_capital = bs.total_capital.saturating_add(bs.current_surplus);
    bs
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IncomeExpenditure {
    pub from: Option<NaiveDate>,
    pub until: NaiveDate,
    pub income: Vec<StatementLine>,
    pub expenditure: Vec<StatementLine>,
    pub total_income: i64,
    pub total_expenditure: i64,
}

impl IncomeExpenditure {
    /// Income less expenditure: negative is a deficit.
    pub fn surplus(&self) -> i64 {
        self.total_income.saturating_sub(self.total_expenditure)
    }

    pub fn sheet(&self) -> Sheet {
        let mut s = Sheet::new(&["side", "code", "account", "amount"]);
        for (side, lines) in [("income", &self.income), ("expenditure", &self.expenditure)] {
            for l in lines {
                s.push(vec![
                    Cell::text(side),
                    Cell::text(&l.code),
                    Cell::text(&l.name),
                    Cell::Money(l.amount),
                ]);
            }
        }
        for (what, amount) in [
            ("total income", self.total_income),
            ("total expenditure", self.total_expenditure),
            ("surplus", self.surplus()),
        ] {
            s.push(vec![
                Cell::text("total"),
                Cell::Empty,
                Cell::text(what),
                Cell::Money(amount),
            ]);
        }
        s
    }
}

/// Income and expenditure from the period's journal (`from..=until`, as the
/// store read it). Every income and expense account of the chart is listed,
/// earning or not, so two periods compare line by line. Closing entries are
/// left out (see [`CLOSING_KIND`]); reversals count, as they undo what they
/// reverse within the books.
pub fn income_expenditure(
    journal: &[PostedEntry],
    accounts: &[Account],
    from: Option<NaiveDate>,
    until: NaiveDate,
) -> IncomeExpenditure {
    let mut moved: HashMap<AccountId, i64> = HashMap::new();
    for e in journal.iter().filter(|e| e.kind != CLOSING_KIND) {
        for p in &e.postings {
            let v = moved.entry(p.account_id).or_default();
            *v = v.saturating_add(p.amount);
        }
    }
    let mut ie = IncomeExpenditure {
        from,
        until,
        income: Vec::new(),
        expenditure: Vec::new(),
        total_income: 0,
        total_expenditure: 0,
    };
    let mut ordered: Vec<&Account> = accounts
        .iter()
        .filter(|a| a.postable)
        .filter(|a| matches!(a.account_type, AccountType::Income | AccountType::Expense))
        .collect();
    ordered.sort_by(|a, b| a.code.cmp(&b.code));
    for a in ordered {
        let amount = presented(a.account_type, moved.get(&a.id).copied().unwrap_or(0));
        let line = StatementLine {
            code: a.code.clone(),
            name: a.name.clone(),
            amount,
        };
        if a.account_type == AccountType::Income {
            ie.total_income = ie.total_income.saturating_add(amount);
            ie.income.push(line);
        } else {
            ie.total_expenditure = ie.total_expenditure.saturating_add(amount);
            ie.expenditure.push(line);
        }
    }
    ie
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::ledger::{Book, BookKind, Posting, TrialBalanceLine};
    use crate::money::Currency;
    use chrono::Utc;

    pub fn d(m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, m, day).unwrap_or_default()
    }

    pub fn book() -> Book {
        Book {
            id: 1,
            kind: BookKind::Group,
            name: "Lotus SHG".into(),
            currency: Currency::inr(),
        }
    }

    pub fn account(
        id: AccountId,
        code: &str,
        t: AccountType,
        parent: Option<AccountId>,
    ) -> Account {
        Account {
            id,
            book_id: 1,
            code: code.into(),
            name: format!("name {code}"),
            account_type: t,
            normal_side: t.normal_side(),
            parent_id: parent,
            postable: !matches!(code, "1100" | "2000"),
            member_id: None,
            loan_id: None,
            currency: Currency::inr(),
        }
    }

    /// A small SHG chart: cash, bank, a loans header with two members'
    /// loans, a savings header with two members' savings, the social fund,
    /// surplus, interest and fine income, expenses.
    pub fn chart() -> Vec<Account> {
        use AccountType::*;
        vec![
            account(1, "1000", Asset, None),
            account(2, "1010", Asset, None),
            account(3, "1100", Asset, None),
            account(4, "1100-M1", Asset, Some(3)),
            account(5, "1100-M2", Asset, Some(3)),
            account(6, "2000", Liability, None),
            account(7, "2000-M1", Liability, Some(6)),
            account(8, "2000-M2", Liability, Some(6)),
            account(9, "2100", Liability, None),
            account(10, "3100", Equity, None),
            account(11, "4000", Income, None),
            account(12, "4010", Income, None),
            account(13, "5000", Expense, None),
        ]
    }

    pub fn entry(id: i64, on: NaiveDate, kind: &str, postings: &[(AccountId, i64)]) -> PostedEntry {
        PostedEntry {
            id,
            book_id: 1,
            business_date: on,
            recorded_at: Utc::now(),
            kind: kind.into(),
            memo: String::new(),
            idempotency_key: format!("k{id}"),
            reverses: None,
            postings: postings
                .iter()
                .map(|&(account_id, amount)| Posting { account_id, amount })
                .collect(),
        }
    }

    /// The worked example's journal (rupees × 100 = paise):
    /// 1. 2 Mar: M1 and M2 save ₹500 each (cash 1,000 / savings).
    /// 2. 2 Mar: ₹300 of cash banked.
    /// 3. 9 Mar: loan to M1 of ₹600 from cash.
    /// 4. 16 Mar: M1 repays ₹100 principal + ₹12 interest in cash; fine ₹5
    ///    from M2; social fund ₹20 from M2.
    /// 5. 23 Mar: tea for the meeting ₹30 from cash.
    /// 6. 31 Mar: income and expenses closed into surplus.
    pub fn journal() -> Vec<PostedEntry> {
        vec![
            entry(
                1,
                d(3, 2),
                "savings-deposit",
                &[(1, 100_000), (7, -50_000), (8, -50_000)],
            ),
            entry(2, d(3, 2), "transfer", &[(2, 30_000), (1, -30_000)]),
            entry(
                3,
                d(3, 9),
                "loan-disbursement",
                &[(4, 60_000), (1, -60_000)],
            ),
            entry(
                4,
                d(3, 16),
                "loan-repayment",
                &[(1, 11_200), (4, -10_000), (11, -1_200)],
            ),
            entry(5, d(3, 16), "fine", &[(1, 500), (12, -500)]),
            entry(
                6,
                d(3, 16),
                "social-fund-contribution",
                &[(1, 2_000), (9, -2_000)],
            ),
            entry(7, d(3, 23), "expense", &[(13, 3_000), (1, -3_000)]),
            entry(
                8,
                d(3, 31),
                "closing",
                &[(11, 1_200), (12, 500), (13, -3_000), (10, 1_300)],
            ),
        ]
    }

    /// The trial balance at the end of a day, summed from the journal.
    pub fn tb_as_of(until: NaiveDate) -> TrialBalance {
        let mut balances: BTreeMap<AccountId, i64> = BTreeMap::new();
        for e in journal().iter().filter(|e| e.business_date <= until) {
            for p in &e.postings {
                *balances.entry(p.account_id).or_default() += p.amount;
            }
        }
        TrialBalance {
            book: book(),
            as_of: Some(until),
            lines: chart()
                .into_iter()
                .filter(|a| a.postable)
                .map(|a| TrialBalanceLine {
                    account_id: a.id,
                    balance: balances.get(&a.id).copied().unwrap_or(0),
                    code: a.code,
                    name: a.name,
                    account_type: a.account_type,
                })
                .collect(),
        }
    }

    #[test]
    fn the_balance_sheet_before_closing_carries_the_current_surplus() {
        let bs = balance_sheet(&tb_as_of(d(3, 30)), &chart());
        // Cash: 1,000 - 300 - 600 + 112 + 5 + 20 - 30 = 207; bank 300;
        // loans: M1 600 - 100 = 500 (M2 none). Assets 1,007.
        let amounts: Vec<(&str, i64)> = bs
            .assets
            .iter()
            .map(|l| (l.code.as_str(), l.amount))
            .collect();
        assert_eq!(
            amounts,
            [("1000", 20_700), ("1010", 30_000), ("1100", 50_000)]
        );
        assert_eq!(bs.total_assets, 100_700);
        // Savings 500 + 500 rolled into the header; social fund 20.
        let owed: Vec<(&str, i64)> = bs
            .liabilities
            .iter()
            .map(|l| (l.code.as_str(), l.amount))
            .collect();
        assert_eq!(owed, [("2000", 100_000), ("2100", 2_000)]);
        assert_eq!(bs.liabilities[0].name, "name 2000");
        // Surplus account still empty; current surplus 12 + 5 - 30 = -13.
        assert_eq!(bs.current_surplus, -1_300);
        assert_eq!(bs.total_capital, -1_300);
        assert_eq!(bs.total_claims(), 100_000 + 2_000 - 1_300);
        assert!(bs.is_balanced());
    }

    #[test]
    fn after_closing_the_deficit_sits_in_surplus_and_it_still_balances() {
        let bs = balance_sheet(&tb_as_of(d(3, 31)), &chart());
        assert_eq!(bs.current_surplus, 0);
        assert_eq!(
            bs.capital,
            vec![StatementLine {
                code: "3100".into(),
                name: "name 3100".into(),
                amount: -1_300
            }]
        );
        assert_eq!(bs.total_assets, 100_700);
        assert!(bs.is_balanced());
    }

    #[test]
    fn income_and_expenditure_ignores_the_closing_entry_and_periods_outside() {
        let in_march: Vec<PostedEntry> = journal()
            .into_iter()
            .filter(|e| e.business_date >= d(3, 10))
            .collect();
        let ie = income_expenditure(&in_march, &chart(), Some(d(3, 10)), d(3, 31));
        let income: Vec<(&str, i64)> = ie
            .income
            .iter()
            .map(|l| (l.code.as_str(), l.amount))
            .collect();
        assert_eq!(income, [("4000", 1_200), ("4010", 500)]);
        assert_eq!(ie.total_income, 1_700);
        assert_eq!(ie.total_expenditure, 3_000);
        assert_eq!(ie.surplus(), -1_300);
        // Before the repayment nothing was earned; the lines are still there.
        let early: Vec<PostedEntry> = journal()
            .into_iter()
            .filter(|e| e.business_date <= d(3, 9))
            .collect();
        let ie = income_expenditure(&early, &chart(), None, d(3, 9));
        assert_eq!(
            (ie.income.len(), ie.expenditure.len(), ie.surplus()),
            (2, 1, 0)
        );
    }

    #[test]
    fn two_groups_consolidate_under_the_chart_headers() {
        use crate::ledger::TrialBalanceLine;
        let line = |code: &str, t, balance| TrialBalanceLine {
            account_id: 0,
            code: code.into(),
            name: format!("own name {code}"),
            account_type: t,
            balance,
        };
        let tb = |lines| TrialBalance {
            book: book(),
            as_of: None,
            lines,
        };
        use AccountType::*;
        // Group 1: cash 700, M1's savings 500, M2's 200. Group 2: cash 300,
        // its member LOT-01's savings 300 (a code with a dash of its own).
        let all = consolidate(&[
            tb(vec![
                line("1000", Asset, 70_000),
                line("2000-M1", Liability, -50_000),
                line("2000-M2", Liability, -20_000),
            ]),
            tb(vec![
                line("1000", Asset, 30_000),
                line("2000-LOT-01", Liability, -30_000),
            ]),
        ]);
        let got: Vec<(&str, &str, i64)> = all
            .iter()
            .map(|l| (l.code.as_str(), l.name.as_str(), l.balance))
            .collect();
        assert_eq!(
            got,
            [
                ("1000", "own name 1000", 100_000),
                ("2000", "Member compulsory savings", -100_000)
            ]
        );
        let csv =
            String::from_utf8(rolled_sheet(&all).to_csv(2).unwrap_or_default()).unwrap_or_default();
        assert!(csv.ends_with("\n,total,,1000.00,1000.00\n"), "{csv}");
    }

    #[test]
    fn the_trial_balance_sheet_totals_equal_columns() {
        let s = trial_balance_sheet(&tb_as_of(d(3, 30)));
        let csv = String::from_utf8(s.to_csv(2).unwrap_or_default()).unwrap_or_default();
        assert!(
            csv.starts_with("code,account,type,debit,credit\n1000,name 1000,asset,207.00,0.00\n")
        );
        // Debits: cash 207 + bank 300 + M1's loan 500 + expenses 30 = 1,037;
        // credits: savings 500 + 500 + social fund 20 + interest 12 + fines 5
        // = 1,037.
        assert!(csv.ends_with(",total,,1037.00,1037.00\n"), "{csv}");
    }
}
