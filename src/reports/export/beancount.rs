//! A beancount (v2) file: `bean-check FILE` verifies it, including one
//! `balance` directive per postable account.
//!
//! Beancount differs from hledger in ways that shape the file:
//! - account components must start with a capital letter or a digit
//!   (`Assets:Group-3:1000-cash-in-hand`), and the five roots are fixed;
//! - accounts must be opened (dated) before their first posting; all open on
//!   the first date of the export;
//! - a `balance` directive checks the balance at the *start* of its day, so
//!   the closing balances are asserted on the day after the last date; and
//!   it includes sub-accounts, which is why only postable accounts (never a
//!   header, whose children hold the detail) are asserted;
//! - a `balance` directive tolerates a difference of one unit of its
//!   amount's last digit (0.01 for `525.00`); the closing balances carry one
//!   digit more than the currency (`525.000 INR`), so one paisa off fails;
//! - text is in double-quoted strings, where `"` and `\` are escaped.
//!   Beancount strings may span lines; the export still writes one line.

use super::{
    kind_word, one_line, BookExport, Dialect, ExportError, ExportOptions, Plan, PlannedBook,
};
use crate::ledger::{Account, AccountId, BookId};
use crate::money::{format_minor, Currency};
use std::collections::HashMap;
use std::fmt::Write as _;

/// The beancount file of `books`, entries of all of them in date order.
pub fn file(books: &[BookExport<'_>], options: &ExportOptions) -> Result<String, ExportError> {
    let plan = Plan::new(books, options)?;
    let names = plan.names(Dialect::Beancount)?;
    let width = names
        .iter()
        .flat_map(|n| n.values())
        .map(String::len)
        .max()
        .unwrap_or(0);
    let assert_on = plan
        .closing
        .succ_opt()
        .ok_or(ExportError::DateOverflow(plan.closing))?;
    let mut out = String::new();
    out.push_str("; Sakhi books exported for beancount. Check: bean-check FILE\n");
    match options.until {
        Some(until) => {
            let _ = writeln!(out, "; Entries up to and including {until}.");
        }
        None => out.push_str("; All entries.\n"),
    }
    out.push_str("option \"title\" \"Sakhi books\"\n");
    for currency in &plan.currencies {
        let _ = writeln!(out, "option \"operating_currency\" \"{}\"", currency.code());
    }
    out.push('\n');
    for currency in &plan.currencies {
        let _ = writeln!(out, "{} commodity {}", plan.opening, currency.code());
        let _ = writeln!(out, "  name: {}", quoted(currency.name()));
    }
    for (book, names) in plan.books.iter().zip(&names) {
        open_accounts(&mut out, book, names, &plan);
    }

    for (index, entry) in &plan.entries {
        let book = &plan.books[*index];
        let names = &names[*index];
        let currency = book.export.book.currency;
        out.push('\n');
        let _ = writeln!(
            out,
            "{} * {} {}",
            entry.business_date,
            quoted(&kind_word(&entry.kind)),
            quoted(&entry.memo)
        );
        let _ = writeln!(out, "  sakhi-entry: {}", entry.id);
        if let Some(original) = entry.reverses {
            let _ = writeln!(out, "  reverses: {original}");
        }
        for p in &entry.postings {
            // Plan::new checked that every posting's account is named.
            let name = names.get(&p.account_id).map(String::as_str).unwrap_or("");
            let _ = writeln!(out, "  {name:<width$}  {}", amount(p.amount, currency));
        }
    }

    for (book, names) in plan.books.iter().zip(&names) {
        let currency = book.export.book.currency;
        let mut lines: Vec<(&str, i64)> = book
            .export
            .trial_balance
            .lines
            .iter()
            .map(|l| {
                let name = names.get(&l.account_id).map(String::as_str).unwrap_or("");
                (name, l.balance)
            })
            .collect();
        lines.sort_unstable();
        out.push('\n');
        let _ = writeln!(
            out,
            "; {}: Sakhi's trial balance at the end of {}",
            book.export.namespace, plan.closing
        );
        for (name, balance) in lines {
            let _ = writeln!(
                out,
                "{assert_on} balance {name:<width$}  {}",
                exact_amount(balance, currency)
            );
        }
    }
    Ok(out)
}

/// Beancount account names of a book's accounts, as the file writes them.
pub fn account_names(
    namespace: &str,
    book_id: BookId,
    accounts: &[Account],
) -> Result<HashMap<AccountId, String>, ExportError> {
    super::book_account_names(Dialect::Beancount, namespace, book_id, accounts)
}

fn open_accounts(
    out: &mut String,
    book: &PlannedBook<'_>,
    names: &HashMap<AccountId, String>,
    plan: &Plan<'_>,
) {
    let b = book.export.book;
    out.push('\n');
    let _ = writeln!(
        out,
        "; {} = {} (book {}, {}, {})",
        book.export.namespace,
        one_line(&b.name),
        b.id,
        b.kind,
        b.currency.code()
    );
    let mut accounts: Vec<(&str, &str)> = book
        .export
        .accounts
        .iter()
        .map(|a| {
            let name = names.get(&a.id).map(String::as_str).unwrap_or("");
            (name, a.name.as_str())
        })
        .collect();
    accounts.sort_unstable();
    for (name, display) in accounts {
        let _ = writeln!(out, "{} open {name} {}", plan.opening, b.currency.code());
        let _ = writeln!(out, "  name: {}", quoted(display));
    }
}

/// A beancount string: one line, `\` and `"` escaped.
fn quoted(text: &str) -> String {
    let flat = one_line(text);
    let mut out = String::with_capacity(flat.len() + 2);
    out.push('"');
    for c in flat.chars() {
        if c == '"' || c == '\\' {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
    out
}

/// An amount with one digit more than the currency has, so that
/// beancount's tolerance (one unit of the last digit) is below one minor
/// unit: `525.000 INR`.
fn exact_amount(minor: i64, currency: Currency) -> String {
    format!(
        "{} {}",
        format_minor(i128::from(minor) * 10, currency.minor_units() + 1),
        currency.code()
    )
}

fn amount(minor: i64, currency: Currency) -> String {
    format!(
        "{} {}",
        format_minor(minor, currency.minor_units()),
        currency.code()
    )
}

#[cfg(test)]
mod tests {
    use super::super::fixture::*;
    use super::*;

    fn export() -> String {
        let accounts = accounts();
        let entries = entries();
        let tb = trial_balance(None);
        let export = BookExport {
            book: &tb.book,
            namespace: "group-7",
            accounts: &accounts,
            entries: &entries,
            trial_balance: &tb,
        };
        file(
            &[export],
            &ExportOptions {
                until: None,
                today: d(2026, 3, 31),
            },
        )
        .unwrap()
    }

    #[test]
    fn accounts_open_on_the_first_date_with_capitalised_components() {
        let text = export();
        assert!(text.contains("2026-03-01 commodity INR\n  name: \"Indian rupee\"\n"));
        assert!(text.contains(
            "2026-03-01 open Assets:Group-7:1000-cash-in-hand INR\n  name: \"Cash in hand\"\n"
        ));
        assert!(text.contains(
            "2026-03-01 open Liabilities:Group-7:2000-member-compulsory-savings:2000-M001 INR\n  name: \"Member compulsory savings — M001\"\n"
        ));
        assert!(text
            .contains("2026-03-01 open Liabilities:Group-7:2100 INR\n  name: \"सामाजिक कोष\"\n"));
    }

    #[test]
    fn memos_are_escaped_strings_on_one_line() {
        let text = export();
        assert!(
            text.contains(
                "\n2026-03-02 * \"fine\" \"; foo 2020-01-01 fake assets:cash 1 INR\"\n  sakhi-entry: 102\n"
            ),
            "{text}"
        );
        assert!(text.contains("\n2026-03-05 * \"social-fund\" \"\\\"quoted\\\" \\\\ back\"\n"));
        assert!(text.contains("  sakhi-entry: 104\n  reverses: 102\n"));
        assert!(!text.lines().any(|l| l.starts_with("2020-01-01")));
    }

    #[test]
    fn balances_are_asserted_on_the_day_after_the_last_date() {
        let text = export();
        let w = "Liabilities:Group-7:2000-member-compulsory-savings:2000-M001".len();
        let expected = format!(
            "2026-03-10 balance {:<w$}  525.000 INR\n2026-03-10 balance {:<w$}  0.000 INR\n2026-03-10 balance {:<w$}  -500.000 INR\n2026-03-10 balance {:<w$}  -25.000 INR\n",
            "Assets:Group-7:1000-cash-in-hand",
            "Income:Group-7:4010-fine-income",
            "Liabilities:Group-7:2000-member-compulsory-savings:2000-M001",
            "Liabilities:Group-7:2100",
        );
        assert!(text.ends_with(&expected), "{text}");
    }
}
