//! The cash book: every receipt and payment through cash in hand and the
//! bank account, day by day, with each day's opening and closing balances,
//! the way an SHG's cash book is kept on paper (receipts on one side,
//! payments on the other, cash and bank in separate columns).

use super::sheet::{Cell, Sheet};
use crate::ledger::{AccountId, PostedEntry};
use chrono::NaiveDate;
use serde::Serialize;
use std::collections::HashMap;

/// One entry that moved cash or bank money.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CashLine {
    pub entry_id: i64,
    pub date: NaiveDate,
    pub kind: String,
    pub memo: String,
    /// Codes of the other accounts of the entry: who paid or was paid, and
    /// for what (`2000-M1`, `4000`).
    pub particulars: String,
    pub cash_in: i64,
    pub cash_out: i64,
    pub bank_in: i64,
    pub bank_out: i64,
}

/// Cash and bank balances together.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Funds {
    pub cash: i64,
    pub bank: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CashDay {
    pub date: NaiveDate,
    pub opening: Funds,
    pub receipts: Funds,
    pub payments: Funds,
    pub closing: Funds,
    pub lines: Vec<CashLine>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CashBook {
    pub from: Option<NaiveDate>,
    pub until: NaiveDate,
    pub opening: Funds,
    pub receipts: Funds,
    pub payments: Funds,
    pub closing: Funds,
    /// Only days on which money moved.
    pub days: Vec<CashDay>,
}

/// The accounts the cash book follows, and the codes of every account (for
/// the particulars column).
pub struct CashAccounts<'a> {
    pub cash: AccountId,
    pub bank: AccountId,
    pub codes: &'a HashMap<AccountId, String>,
}

fn add(a: &mut i64, v: i64) {
    *a = a.saturating_add(v);
}

/// The cash book over the journal of `from..=until`, starting from the cash
/// and bank balances at the end of the day before `from`.
pub fn cash_book(
    journal: &[PostedEntry],
    accounts: &CashAccounts<'_>,
    opening: Funds,
    from: Option<NaiveDate>,
    until: NaiveDate,
) -> CashBook {
    let mut book = CashBook {
        from,
        until,
        opening,
        receipts: Funds::default(),
        payments: Funds::default(),
        closing: opening,
        days: Vec::new(),
    };
    for e in journal {
        let (mut cash, mut bank) = (0_i64, 0_i64);
        let mut others: Vec<&str> = Vec::new();
        for p in &e.postings {
            if p.account_id == accounts.cash {
                add(&mut cash, p.amount);
            } else if p.account_id == accounts.bank {
                add(&mut bank, p.amount);
            } else {
                let code = accounts
                    .codes
                    .get(&p.account_id)
                    .map_or("?", String::as_str);
                if !others.contains(&code) {
                    others.push(code);
                }
            }
        }
        if cash == 0 && bank == 0 {
            continue;
        }
        let line = CashLine {
            entry_id: e.id,
            date: e.business_date,
            kind: e.kind.clone(),
            memo: e.memo.clone(),
            particulars: others.join(" "),
            cash_in: cash.max(0),
            cash_out: cash.min(0).saturating_neg(),
            bank_in: bank.max(0),
            bank_out: bank.min(0).saturating_neg(),
        };
        if book.days.last().is_none_or(|d| d.date != e.business_date) {
            book.days.push(CashDay {
                date: e.business_date,
                opening: book.closing,
                receipts: Funds::default(),
                payments: Funds::default(),
                closing: book.closing,
                lines: Vec::new(),
            });
        }
        if let Some(day) = book.days.last_mut() {
            add(&mut day.receipts.cash, line.cash_in);
            add(&mut day.receipts.bank, line.bank_in);
            add(&mut day.payments.cash, line.cash_out);
            add(&mut day.payments.bank, line.bank_out);
            add(&mut day.closing.cash, cash);
            add(&mut day.closing.bank, bank);
            book.closing = day.closing;
            day.lines.push(line);
        }
    }
    for d in &book.days {
        add(&mut book.receipts.cash, d.receipts.cash);
        add(&mut book.receipts.bank, d.receipts.bank);
        add(&mut book.payments.cash, d.payments.cash);
        add(&mut book.payments.bank, d.payments.bank);
    }
    book
}

impl CashBook {
    /// Every line, with the day's opening and closing rows around it.
    pub fn sheet(&self) -> Sheet {
        let mut s = Sheet::new(&[
            "date",
            "entry",
            "kind",
            "particulars",
            "memo",
            "cash_in",
            "cash_out",
            "bank_in",
            "bank_out",
            "cash_balance",
            "bank_balance",
        ]);
        let balance_row = |s: &mut Sheet, date: Option<NaiveDate>, what: &str, f: Funds| {
            s.push(vec![
                Cell::date(date),
                Cell::Empty,
                Cell::text(what),
                Cell::Empty,
                Cell::Empty,
                Cell::Empty,
                Cell::Empty,
                Cell::Empty,
                Cell::Empty,
                Cell::Money(f.cash),
                Cell::Money(f.bank),
            ]);
        };
        balance_row(&mut s, self.from, "opening", self.opening);
        for d in &self.days {
            let mut running = d.opening;
            for l in &d.lines {
                running.cash = running
                    .cash
                    .saturating_add(l.cash_in)
                    .saturating_sub(l.cash_out);
                running.bank = running
                    .bank
                    .saturating_add(l.bank_in)
                    .saturating_sub(l.bank_out);
                s.push(vec![
                    Cell::Date(l.date),
                    Cell::Count(l.entry_id),
                    Cell::text(&l.kind),
                    Cell::text(&l.particulars),
                    Cell::text(&l.memo),
                    Cell::Money(l.cash_in),
                    Cell::Money(l.cash_out),
                    Cell::Money(l.bank_in),
                    Cell::Money(l.bank_out),
                    Cell::Money(running.cash),
                    Cell::Money(running.bank),
                ]);
            }
        }
        s.push(vec![
            Cell::Date(self.until),
            Cell::Empty,
            Cell::text("closing"),
            Cell::Empty,
            Cell::Empty,
            Cell::Money(self.receipts.cash),
            Cell::Money(self.payments.cash),
            Cell::Money(self.receipts.bank),
            Cell::Money(self.payments.bank),
            Cell::Money(self.closing.cash),
            Cell::Money(self.closing.bank),
        ]);
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reports::statements::tests::{chart, d, journal};

    #[test]
    fn days_open_where_the_last_closed_and_a_transfer_is_out_of_cash_into_bank() {
        let codes: HashMap<AccountId, String> =
            chart().into_iter().map(|a| (a.id, a.code)).collect();
        let accounts = CashAccounts {
            cash: 1,
            bank: 2,
            codes: &codes,
        };
        // From 9 March: cash at the end of 8 March was 1,000 - 300 = 700,
        // bank 300.
        let march: Vec<PostedEntry> = journal()
            .into_iter()
            .filter(|e| e.business_date >= d(3, 9))
            .collect();
        let opening = Funds {
            cash: 70_000,
            bank: 30_000,
        };
        let cb = cash_book(&march, &accounts, opening, Some(d(3, 9)), d(3, 31));
        // 9 Mar: loan out 600 -> 100. 16 Mar: in 112 + 5 + 20 = 137 -> 237.
        // 23 Mar: tea 30 -> 207. 31 Mar: the closing entry moves no cash.
        let days: Vec<(NaiveDate, i64, i64, i64, i64)> = cb
            .days
            .iter()
            .map(|x| {
                (
                    x.date,
                    x.opening.cash,
                    x.receipts.cash,
                    x.payments.cash,
                    x.closing.cash,
                )
            })
            .collect();
        assert_eq!(
            days,
            [
                (d(3, 9), 70_000, 0, 60_000, 10_000),
                (d(3, 16), 10_000, 13_700, 0, 23_700),
                (d(3, 23), 23_700, 0, 3_000, 20_700),
            ]
        );
        assert_eq!(
            cb.closing,
            Funds {
                cash: 20_700,
                bank: 30_000
            }
        );
        assert_eq!((cb.receipts.cash, cb.payments.cash), (13_700, 63_000));
        assert_eq!(cb.days[1].lines[0].particulars, "1100-M1 4000");

        // The whole month: the banking on 2 March is one line, out of cash
        // and into the bank.
        let all = cash_book(&journal(), &accounts, Funds::default(), None, d(3, 31));
        let banked = &all.days[0].lines[1];
        assert_eq!((banked.cash_out, banked.bank_in), (30_000, 30_000));
        assert_eq!(
            all.days[0].closing,
            Funds {
                cash: 70_000,
                bank: 30_000
            }
        );
        assert_eq!(all.closing, cb.closing);

        let csv = String::from_utf8(cb.sheet().to_csv(2).unwrap_or_default()).unwrap_or_default();
        let lines: Vec<&str> = csv.lines().collect();
        assert_eq!(lines[1], "2026-03-09,,opening,,,,,,,700.00,300.00");
        assert_eq!(
            lines[2],
            "2026-03-09,3,loan-disbursement,1100-M1,,0.00,600.00,0.00,0.00,100.00,300.00"
        );
        assert_eq!(
            lines.last().copied(),
            Some("2026-03-31,,closing,,,137.00,630.00,0.00,0.00,207.00,300.00")
        );
    }
}
