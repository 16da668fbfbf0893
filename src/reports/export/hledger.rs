//! An hledger journal that ledger reads too.
//!
//! Checked with hledger 1.25 (`hledger -f FILE check -s ordereddates`) and
//! ledger 3.3 (`ledger -f FILE --pedantic balance`). Where the two tools
//! differ, the file keeps to what both accept:
//! - descriptions: hledger ends a description at the first `;`, ledger only
//!   at two spaces (or a tab) before `;`; memos therefore lose their `;`
//!   (written `,`) and runs of spaces. hledger splits `kind | memo` into
//!   payee and note; ledger keeps the whole text as the payee;
//! - tags: ledger `--pedantic` wants every metadata key declared with `tag`,
//!   which hledger 1.25 parses and ignores; each tag sits on its own comment
//!   line, key first, so ledger reads the rest as the value even when it
//!   holds commas or colons;
//! - the display name of an account goes on an indented comment line under
//!   its `account` directive: ledger reads the rest of the directive's own
//!   line as the account name, so a trailing `; comment` would rename it;
//! - commodity format uses the `format` sub-directive, which both read
//!   (hledger's one-line `commodity 1000.00 INR` form is not ledger's);
//! - balance assertions are `= AMOUNT` on zero postings of one final
//!   transaction per book, the form both check. hledger checks them by
//!   default; ledger too (`--permissive` would turn them off).

use super::{
    kind_word, one_line, BookExport, Dialect, ExportError, ExportOptions, Plan, PlannedBook,
};
use crate::ledger::{Account, AccountId, BookId};
use crate::money::{format_minor, Currency};
use std::collections::HashMap;
use std::fmt::Write as _;

/// Tags written on transactions, declared for ledger's `--pedantic`.
const TAGS: [&str; 3] = ["sakhi-entry", "kind", "reverses"];

/// The journal of `books`, entries of all of them merged in date order.
pub fn journal(books: &[BookExport<'_>], options: &ExportOptions) -> Result<String, ExportError> {
    let plan = Plan::new(books, options)?;
    let names = plan.names(Dialect::Ledger)?;
    let width = names
        .iter()
        .flat_map(|n| n.values())
        .map(String::len)
        .max()
        .unwrap_or(0);
    let mut out = String::new();
    header(&mut out, &plan, options);

    for tag in TAGS {
        let _ = writeln!(out, "tag {tag}");
    }
    out.push('\n');
    for currency in &plan.currencies {
        let sample = format_minor(1_000 * currency.scale(), currency.minor_units());
        let _ = writeln!(out, "commodity {}", currency.code());
        let _ = writeln!(out, "    format {sample} {}", currency.code());
    }

    for (book, names) in plan.books.iter().zip(&names) {
        declare_accounts(&mut out, book, names);
    }

    for (index, entry) in &plan.entries {
        let book = &plan.books[*index];
        let names = &names[*index];
        let currency = book.export.book.currency;
        out.push('\n');
        let _ = writeln!(
            out,
            "{} * {}",
            entry.business_date,
            description(&entry.kind, &entry.memo)
        );
        let _ = writeln!(out, "    ; sakhi-entry: {}", entry.id);
        let _ = writeln!(out, "    ; kind: {}", kind_word(&entry.kind));
        if let Some(original) = entry.reverses {
            let _ = writeln!(out, "    ; reverses: {original}");
        }
        for p in &entry.postings {
            // Plan::new checked that every posting's account is named.
            let name = names.get(&p.account_id).map(String::as_str).unwrap_or("");
            let _ = writeln!(out, "    {name:<width$}  {}", amount(p.amount, currency));
        }
    }

    for (book, names) in plan.books.iter().zip(&names) {
        let lines = &book.export.trial_balance.lines;
        if lines.is_empty() {
            continue;
        }
        let currency = book.export.book.currency;
        out.push('\n');
        let _ = writeln!(
            out,
            "{} * closing balances | {} trial balance",
            plan.closing, book.export.namespace
        );
        let mut sorted: Vec<(&str, i64)> = lines
            .iter()
            .map(|l| {
                let name = names.get(&l.account_id).map(String::as_str).unwrap_or("");
                (name, l.balance)
            })
            .collect();
        sorted.sort_unstable();
        for (name, balance) in sorted {
            let _ = writeln!(
                out,
                "    {name:<width$}  {} = {}",
                amount(0, currency),
                amount(balance, currency)
            );
        }
    }
    Ok(out)
}

/// hledger and ledger account names of a book's accounts, as the journal
/// writes them (for a caller that compares the tools' reports with Sakhi's).
pub fn account_names(
    namespace: &str,
    book_id: BookId,
    accounts: &[Account],
) -> Result<HashMap<AccountId, String>, ExportError> {
    super::book_account_names(Dialect::Ledger, namespace, book_id, accounts)
}

fn header(out: &mut String, plan: &Plan<'_>, options: &ExportOptions) {
    out.push_str("; Sakhi books exported for hledger and ledger.\n");
    out.push_str(
        "; Check: hledger -f FILE check -s ordereddates   or   ledger -f FILE --pedantic balance\n",
    );
    match options.until {
        Some(until) => {
            let _ = writeln!(out, "; Entries up to and including {until}.");
        }
        None => out.push_str("; All entries.\n"),
    }
    out.push_str(";\n");
    for book in &plan.books {
        let b = book.export.book;
        let _ = writeln!(
            out,
            "; {} = {} (book {}, {}, {})",
            book.export.namespace,
            one_line(&b.name),
            b.id,
            b.kind,
            b.currency.code()
        );
    }
    out.push('\n');
}

fn declare_accounts(out: &mut String, book: &PlannedBook<'_>, names: &HashMap<AccountId, String>) {
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
    out.push('\n');
    for (name, display) in accounts {
        let _ = writeln!(out, "account {name}");
        let display = one_line(display);
        if !display.is_empty() {
            let _ = writeln!(out, "    ; {display}");
        }
    }
}

/// `kind | memo`: the kind as a bare word, the memo on one line without `;`.
fn description(kind: &str, memo: &str) -> String {
    let memo = one_line(memo).replace(';', ",");
    if memo.is_empty() {
        kind_word(kind)
    } else {
        format!("{} | {memo}", kind_word(kind))
    }
}

/// Exact decimal text from minor units, then the commodity: `-10.50 INR`.
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

    fn export_with<R>(until: Option<chrono::NaiveDate>, f: impl FnOnce(&str) -> R) -> R {
        let accounts = accounts();
        let all = entries();
        let entries: Vec<_> = all
            .into_iter()
            .filter(|e| until.is_none_or(|u| e.business_date <= u))
            .collect();
        let tb = trial_balance(until);
        let export = BookExport {
            book: &tb.book,
            namespace: "group-7",
            accounts: &accounts,
            entries: &entries,
            trial_balance: &tb,
        };
        let text = journal(
            &[export],
            &ExportOptions {
                until,
                today: d(2026, 3, 31),
            },
        )
        .unwrap();
        f(&text)
    }

    #[test]
    fn accounts_are_declared_with_ascii_names_and_display_names_in_comments() {
        export_with(None, |text| {
            assert!(
                text.contains("commodity INR\n    format 1000.00 INR\n"),
                "{text}"
            );
            assert!(
                text.contains("\naccount assets:group-7:1000-cash-in-hand\n    ; Cash in hand\n")
            );
            assert!(text.contains(
                "\naccount liabilities:group-7:2000-member-compulsory-savings\n    ; Member compulsory savings\n"
            ));
            assert!(text.contains(
                "\naccount liabilities:group-7:2000-member-compulsory-savings:2000-M001\n    ; Member compulsory savings — M001\n"
            ));
            // A name in Devanagari only: the code names the account.
            assert!(text.contains("\naccount liabilities:group-7:2100\n    ; सामाजिक कोष\n"));
            assert!(text.contains("; group-7 = Lotus SHG (book 3, group, INR)\n"));
            for tag in ["sakhi-entry", "kind", "reverses"] {
                assert!(text.contains(&format!("\ntag {tag}\n")));
            }
        });
    }

    #[test]
    fn a_transaction_carries_its_id_kind_and_exact_amounts() {
        export_with(None, |text| {
            let w = "liabilities:group-7:2000-member-compulsory-savings:2000-M001".len();
            let expected = format!(
                "\n2026-03-01 * savings-deposit | weekly thrift\n    ; sakhi-entry: 101\n    ; kind: savings-deposit\n    {:<w$}  500.00 INR\n    {:<w$}  -500.00 INR\n",
                "assets:group-7:1000-cash-in-hand",
                "liabilities:group-7:2000-member-compulsory-savings:2000-M001",
            );
            assert!(text.contains(&expected), "{text}");
            assert!(text.contains(
                "\n2026-03-09 * reversal | fine waived\n    ; sakhi-entry: 104\n    ; kind: reversal\n    ; reverses: 102\n"
            ));
        });
    }

    #[test]
    fn a_hostile_memo_cannot_forge_a_transaction_or_a_comment() {
        export_with(None, |text| {
            assert!(
                text.contains("\n2026-03-02 * fine | , foo 2020-01-01 fake assets:cash 1 INR\n"),
                "{text}"
            );
            // No line of the file starts with the forged date or posting.
            assert!(!text.lines().any(|l| l.starts_with("2020-01-01")));
            assert!(!text
                .lines()
                .any(|l| l.trim_start().starts_with("assets:cash")));
            assert!(text.contains("\n2026-03-05 * social-fund | \"quoted\" \\ back\n"));
        });
    }

    #[test]
    fn the_closing_assertions_are_the_trial_balance_on_the_last_date() {
        export_with(None, |text| {
            let w = "liabilities:group-7:2000-member-compulsory-savings:2000-M001".len();
            let expected = format!(
                "\n2026-03-09 * closing balances | group-7 trial balance\n    {:<w$}  0.00 INR = 525.00 INR\n    {:<w$}  0.00 INR = 0.00 INR\n    {:<w$}  0.00 INR = -500.00 INR\n    {:<w$}  0.00 INR = -25.00 INR\n",
                "assets:group-7:1000-cash-in-hand",
                "income:group-7:4010-fine-income",
                "liabilities:group-7:2000-member-compulsory-savings:2000-M001",
                "liabilities:group-7:2100",
            );
            assert!(text.ends_with(&expected), "{text}");
        });
    }

    #[test]
    fn until_cuts_the_entries_and_asserts_the_balances_of_that_day() {
        export_with(Some(d(2026, 3, 2)), |text| {
            assert!(text.contains("; Entries up to and including 2026-03-02.\n"));
            assert!(!text.contains("2026-03-05"));
            assert!(text.contains("\n2026-03-02 * closing balances | group-7 trial balance\n"));
            assert!(text.contains(" 0.00 INR = 510.50 INR\n"));
            assert!(text.contains(" 0.00 INR = -10.50 INR\n"));
        });
    }

    #[test]
    fn amounts_follow_the_currency_minor_units() {
        let ugx = Currency::from_code("UGX").unwrap();
        let kwd = Currency::from_code("KWD").unwrap();
        assert_eq!(amount(-125_000, ugx), "-125000 UGX");
        assert_eq!(amount(5, kwd), "0.005 KWD");
        assert_eq!(
            amount(i64::MIN, Currency::inr()),
            "-92233720368547758.08 INR"
        );
    }
}
