//! Exports of the books in the plain-text formats of independent accounting
//! tools (hledger/ledger journals, beancount), so that someone who does not
//! trust Sakhi's arithmetic can check it with software Sakhi did not write.
//!
//! Pure: the caller loads books, accounts, entries and trial balances from
//! the store and hands them here; this module only writes text.
//!
//! Both formats share the same shape:
//! - account names are ASCII and hierarchical: type root, then the book's
//!   namespace (`group-3`, `program-1`), then the account's code with a slug
//!   of its name (`assets:group-3:1000-cash-in-hand`); a member's
//!   sub-account sits under its header (`…:1100-loans-to-members-principal:1100-M001`).
//!   The code makes the name unique within a book and the namespace across
//!   books, so a whole-program export never mixes two groups' cash; the
//!   display name, which may be in any script, goes in a comment/metadata;
//! - amounts are written from integer minor units (`format_minor`), never
//!   through a float;
//! - free text (memos, names) is flattened to one line and stripped of
//!   whatever the format would read as syntax;
//! - every postable account ends with a balance assertion taken from Sakhi's
//!   own trial balance, so the tool recomputes each balance from the entries
//!   and fails if any differs by one paisa.

pub mod beancount;
pub mod hledger;

use crate::groups::Group;
use crate::ledger::{Account, AccountId, AccountType, Book, BookId, BookKind, EntryId};
use crate::ledger::{PostedEntry, TrialBalance};
use crate::money::Currency;
use chrono::NaiveDate;
use std::collections::{HashMap, HashSet};

/// One book, with everything its export needs, as read from the store.
#[derive(Debug, Clone, Copy)]
pub struct BookExport<'a> {
    pub book: &'a Book,
    /// ASCII namespace of the book's accounts, from [`book_namespace`].
    pub namespace: &'a str,
    /// Every account of the book, headers included.
    pub accounts: &'a [Account],
    /// The book's entries up to the export's `until`, in date order.
    pub entries: &'a [PostedEntry],
    /// The trial balance as of the export's `until` (current when `None`).
    pub trial_balance: &'a TrialBalance,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExportOptions {
    /// Last business date exported; `None` exports everything.
    pub until: Option<NaiveDate>,
    /// Dates the closing assertions only when there is neither an `until`
    /// nor any entry to date them by.
    pub today: NaiveDate,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ExportError {
    #[error("entry {entry} belongs to book {entry_book}, not to the exported book {book}")]
    ForeignEntry {
        entry: EntryId,
        entry_book: BookId,
        book: BookId,
    },
    #[error("entry {entry} posts to account {account}, which is not an account of book {book}")]
    UnknownAccount {
        entry: EntryId,
        account: AccountId,
        book: BookId,
    },
    #[error("entry {entry} is dated {date}, after the export's last date {until}")]
    AfterUntil {
        entry: EntryId,
        date: NaiveDate,
        until: NaiveDate,
    },
    #[error("entries of book {book} are not in date order at entry {entry}")]
    OutOfOrder { book: BookId, entry: EntryId },
    #[error(
        "the trial balance of book {book} is as of {found:?}, but the export runs until {wanted:?}"
    )]
    TrialBalanceDate {
        book: BookId,
        wanted: Option<NaiveDate>,
        found: Option<NaiveDate>,
    },
    #[error("the trial balance handed in for book {book} is book {found}'s")]
    TrialBalanceBook { book: BookId, found: BookId },
    #[error("trial balance line for account {account} is not an account of book {book}")]
    UnknownTrialBalanceAccount { account: AccountId, book: BookId },
    #[error("account {account} of book {book} has a parent chain that loops or is too deep")]
    ParentChain { account: AccountId, book: BookId },
    #[error("book namespace {0:?} is not valid: use lower-case ASCII letters, digits and dashes, starting with a letter")]
    BadNamespace(String),
    #[error("two books share the namespace {0:?}")]
    DuplicateNamespace(String),
    #[error("accounts {first} and {second} would both be exported as {name:?}")]
    NameClash {
        name: String,
        first: AccountId,
        second: AccountId,
    },
    #[error("account {account} code {code:?} has no letters or digits to name it by")]
    BadCode { account: AccountId, code: String },
    #[error("currency code {0:?} cannot be written as a commodity symbol")]
    BadCurrency(String),
    #[error("the closing date {0} has no next day to assert balances on")]
    DateOverflow(NaiveDate),
}

/// The namespace of a book's accounts in an export: `group-<group id>` for a
/// group's book (the id `--group` takes), `program-<book id>` for a program
/// book. Ids, not names: names may repeat, change or be in any script.
pub fn book_namespace(book: &Book, group: Option<&Group>) -> String {
    match (group, book.kind) {
        (Some(g), _) => format!("group-{}", g.id),
        (None, BookKind::Program) => format!("program-{}", book.id),
        (None, BookKind::Group) => format!("book-{}", book.id),
    }
}

/// The checked, merged input of a whole export.
struct Plan<'a> {
    books: Vec<PlannedBook<'a>>,
    /// Every entry of every book, in date order (then book, then id), so the
    /// file's dates never go backwards (`hledger check ordereddates`).
    entries: Vec<(usize, &'a PostedEntry)>,
    /// The date the closing balances are asserted on (end of day).
    closing: NaiveDate,
    /// The first business date in the file (or `closing` when empty).
    opening: NaiveDate,
    /// Currencies in first-seen book order.
    currencies: Vec<Currency>,
}

struct PlannedBook<'a> {
    export: BookExport<'a>,
    /// Path segments after the type root, per account: namespace first.
    paths: HashMap<AccountId, (AccountType, Vec<String>)>,
}

/// How a dialect spells account names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Dialect {
    /// hledger and ledger: lower-case roots and slugs.
    Ledger,
    /// beancount: every component starts with a capital or a digit.
    Beancount,
}

impl<'a> Plan<'a> {
    fn new(books: &[BookExport<'a>], options: &ExportOptions) -> Result<Plan<'a>, ExportError> {
        let mut namespaces = HashSet::new();
        let mut planned = Vec::with_capacity(books.len());
        let mut currencies: Vec<Currency> = Vec::new();
        let mut entries = Vec::new();
        for (index, export) in books.iter().enumerate() {
            check_namespace(export.namespace)?;
            if !namespaces.insert(export.namespace) {
                return Err(ExportError::DuplicateNamespace(
                    export.namespace.to_string(),
                ));
            }
            let book = export.book;
            check_currency(book.currency)?;
            if !currencies.contains(&book.currency) {
                currencies.push(book.currency);
            }
            let tb = export.trial_balance;
            if tb.book.id != book.id {
                return Err(ExportError::TrialBalanceBook {
                    book: book.id,
                    found: tb.book.id,
                });
            }
            if tb.as_of != options.until {
                return Err(ExportError::TrialBalanceDate {
                    book: book.id,
                    wanted: options.until,
                    found: tb.as_of,
                });
            }
            let ids: HashSet<AccountId> = export.accounts.iter().map(|a| a.id).collect();
            for line in &tb.lines {
                if !ids.contains(&line.account_id) {
                    return Err(ExportError::UnknownTrialBalanceAccount {
                        account: line.account_id,
                        book: book.id,
                    });
                }
            }
            let mut previous: Option<NaiveDate> = None;
            for entry in export.entries {
                if entry.book_id != book.id {
                    return Err(ExportError::ForeignEntry {
                        entry: entry.id,
                        entry_book: entry.book_id,
                        book: book.id,
                    });
                }
                if let Some(until) = options.until {
                    if entry.business_date > until {
                        return Err(ExportError::AfterUntil {
                            entry: entry.id,
                            date: entry.business_date,
                            until,
                        });
                    }
                }
                if previous.is_some_and(|p| p > entry.business_date) {
                    return Err(ExportError::OutOfOrder {
                        book: book.id,
                        entry: entry.id,
                    });
                }
                previous = Some(entry.business_date);
                for p in &entry.postings {
                    if !ids.contains(&p.account_id) {
                        return Err(ExportError::UnknownAccount {
                            entry: entry.id,
                            account: p.account_id,
                            book: book.id,
                        });
                    }
                }
                entries.push((index, entry));
            }
            planned.push(PlannedBook {
                export: *export,
                paths: account_paths(export.namespace, book.id, export.accounts)?,
            });
        }
        // Stable sort: within a book the store's (date, id) order is kept.
        entries.sort_by_key(|(index, e)| (e.business_date, *index));
        let last = entries.last().map(|(_, e)| e.business_date);
        let first = entries.first().map(|(_, e)| e.business_date);
        let closing = options.until.or(last).unwrap_or(options.today);
        Ok(Plan {
            books: planned,
            entries,
            closing,
            opening: first.unwrap_or(closing).min(closing),
            currencies,
        })
    }

    /// Full account names in a dialect, checked unique across the export.
    fn names(&self, dialect: Dialect) -> Result<Vec<HashMap<AccountId, String>>, ExportError> {
        let mut seen: HashMap<String, AccountId> = HashMap::new();
        let mut all = Vec::with_capacity(self.books.len());
        for book in &self.books {
            let mut names = HashMap::with_capacity(book.paths.len());
            for (id, (account_type, path)) in &book.paths {
                let name = render_name(dialect, *account_type, path);
                // Different codes can slug to the same text ("10.1", "10-1").
                if let Some(first) = seen.insert(name.clone(), *id) {
                    let (first, second) = (first.min(*id), first.max(*id));
                    return Err(ExportError::NameClash {
                        name,
                        first,
                        second,
                    });
                }
                names.insert(*id, name);
            }
            all.push(names);
        }
        Ok(all)
    }
}

/// The names one book's accounts get in a dialect, as the writers write
/// them: for a caller that compares a tool's report with Sakhi's figures.
fn book_account_names(
    dialect: Dialect,
    namespace: &str,
    book_id: BookId,
    accounts: &[Account],
) -> Result<HashMap<AccountId, String>, ExportError> {
    check_namespace(namespace)?;
    let paths = account_paths(namespace, book_id, accounts)?;
    let mut seen: HashMap<String, AccountId> = HashMap::with_capacity(paths.len());
    let mut names = HashMap::with_capacity(paths.len());
    for (id, (account_type, path)) in paths {
        let name = render_name(dialect, account_type, &path);
        if let Some(first) = seen.insert(name.clone(), id) {
            return Err(ExportError::NameClash {
                name,
                first: first.min(id),
                second: first.max(id),
            });
        }
        names.insert(id, name);
    }
    Ok(names)
}

fn check_namespace(ns: &str) -> Result<(), ExportError> {
    let ok = ns.bytes().next().is_some_and(|b| b.is_ascii_lowercase())
        && ns
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    if ok {
        Ok(())
    } else {
        Err(ExportError::BadNamespace(ns.to_string()))
    }
}

/// Both formats take an upper-case alphabetic code as a bare commodity
/// symbol; anything else would need quoting rules that differ between them.
fn check_currency(currency: Currency) -> Result<(), ExportError> {
    let code = currency.code();
    if !code.is_empty() && code.bytes().all(|b| b.is_ascii_uppercase()) {
        Ok(())
    } else {
        Err(ExportError::BadCurrency(code.to_string()))
    }
}

/// Deep enough for any chart; a longer chain can only be a loop.
const MAX_DEPTH: usize = 16;

/// Each account's type root and its path: namespace, then one segment per
/// ancestor and itself. Top-level accounts read `code-name-slug`; an account
/// under a header reads by its code alone, because its name repeats the
/// header's ("Member compulsory savings — M001").
fn account_paths(
    namespace: &str,
    book_id: BookId,
    accounts: &[Account],
) -> Result<HashMap<AccountId, (AccountType, Vec<String>)>, ExportError> {
    let by_id: HashMap<AccountId, &Account> = accounts.iter().map(|a| (a.id, a)).collect();
    let mut paths = HashMap::with_capacity(by_id.len());
    for account in accounts {
        let mut chain: Vec<&Account> = vec![account];
        let mut current = account;
        while let Some(parent) = current.parent_id.and_then(|id| by_id.get(&id)) {
            if chain.len() >= MAX_DEPTH {
                return Err(ExportError::ParentChain {
                    account: account.id,
                    book: book_id,
                });
            }
            chain.push(*parent);
            current = parent;
        }
        let mut path = vec![namespace.to_string()];
        for (depth, a) in chain.iter().rev().enumerate() {
            let code = code_component(a)?;
            let slug = if depth == 0 { slug(&a.name) } else { None };
            path.push(match slug {
                Some(s) => format!("{code}-{s}"),
                None => code,
            });
        }
        paths.insert(account.id, (account.account_type, path));
    }
    Ok(paths)
}

/// The code with anything but ASCII letters, digits and dashes turned into
/// dashes (runs collapsed, ends trimmed).
fn code_component(account: &Account) -> Result<String, ExportError> {
    let words = ascii_words(&account.code);
    if words.is_empty() {
        return Err(ExportError::BadCode {
            account: account.id,
            code: account.code.clone(),
        });
    }
    Ok(words.join("-"))
}

/// Longest slug kept; whole words only.
const MAX_SLUG: usize = 40;

/// Lower-case ASCII words of a name, dash-joined: "Cash in hand — नकद" reads
/// `cash-in-hand`. `None` when the name has no ASCII word (a name in Meitei
/// or Devanagari script): the code alone then names the account.
fn slug(name: &str) -> Option<String> {
    let mut out = String::new();
    for word in ascii_words(name) {
        let extra = if out.is_empty() { 0 } else { 1 } + word.len();
        if out.len() + extra > MAX_SLUG {
            break;
        }
        if !out.is_empty() {
            out.push('-');
        }
        out.push_str(&word.to_ascii_lowercase());
    }
    (!out.is_empty()).then_some(out)
}

fn ascii_words(text: &str) -> Vec<&str> {
    text.split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect()
}

fn root(dialect: Dialect, account_type: AccountType) -> &'static str {
    match (dialect, account_type) {
        (Dialect::Ledger, AccountType::Asset) => "assets",
        (Dialect::Ledger, AccountType::Liability) => "liabilities",
        (Dialect::Ledger, AccountType::Equity) => "equity",
        (Dialect::Ledger, AccountType::Income) => "income",
        (Dialect::Ledger, AccountType::Expense) => "expenses",
        (Dialect::Beancount, AccountType::Asset) => "Assets",
        (Dialect::Beancount, AccountType::Liability) => "Liabilities",
        (Dialect::Beancount, AccountType::Equity) => "Equity",
        (Dialect::Beancount, AccountType::Income) => "Income",
        (Dialect::Beancount, AccountType::Expense) => "Expenses",
    }
}

fn render_name(dialect: Dialect, account_type: AccountType, path: &[String]) -> String {
    let mut name = root(dialect, account_type).to_string();
    for segment in path {
        name.push(':');
        match dialect {
            Dialect::Ledger => name.push_str(segment),
            // Beancount components start with a capital letter or a digit.
            Dialect::Beancount => {
                let mut chars = segment.chars();
                if let Some(first) = chars.next() {
                    name.push(first.to_ascii_uppercase());
                    name.push_str(chars.as_str());
                }
            }
        }
    }
    name
}

/// Free text on one line: control characters (newlines, tabs) and Unicode
/// line/paragraph separators become spaces, runs of whitespace one space,
/// ends trimmed. A memo can then never start a line of its own (a forged
/// transaction or directive), and never holds the two spaces that ledger
/// reads as the end of a payee.
fn one_line(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for word in text
        .split(|c: char| c.is_whitespace() || c.is_control() || c == '\u{2028}' || c == '\u{2029}')
        .filter(|w| !w.is_empty())
    {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
    out
}

/// An entry kind as a bare word: the store keeps kinds to lower-case
/// letters, digits and dashes, but an export re-checks what it writes.
fn kind_word(kind: &str) -> String {
    let words = ascii_words(kind);
    if words.is_empty() {
        "entry".to_string()
    } else {
        words.join("-").to_ascii_lowercase()
    }
}

#[cfg(test)]
pub(crate) mod fixture {
    //! A tiny hand-made book shared by the writers' tests: one group (id 7,
    //! book 3) with cash, a member's savings under its header, fines, and a
    //! member whose header-less account has a name in Devanagari script.

    use super::*;
    use crate::ledger::{Posting, TrialBalanceLine};
    use chrono::{TimeZone, Utc};

    pub fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    pub fn book() -> Book {
        Book {
            id: 3,
            kind: BookKind::Group,
            name: "Lotus SHG".into(),
            currency: Currency::inr(),
        }
    }

    fn account(id: AccountId, code: &str, name: &str, t: AccountType) -> Account {
        Account {
            id,
            book_id: 3,
            code: code.into(),
            name: name.into(),
            account_type: t,
            normal_side: t.normal_side(),
            parent_id: None,
            postable: true,
            member_id: None,
            loan_id: None,
            currency: Currency::inr(),
        }
    }

    pub fn accounts() -> Vec<Account> {
        let mut header = account(
            20,
            "2000",
            "Member compulsory savings",
            AccountType::Liability,
        );
        header.postable = false;
        let mut sunita = account(
            21,
            "2000-M001",
            "Member compulsory savings — M001",
            AccountType::Liability,
        );
        sunita.parent_id = Some(20);
        vec![
            account(10, "1000", "Cash in hand", AccountType::Asset),
            header,
            sunita,
            account(30, "2100", "सामाजिक कोष", AccountType::Liability),
            account(40, "4010", "Fine income", AccountType::Income),
        ]
    }

    fn entry(
        id: EntryId,
        date: NaiveDate,
        kind: &str,
        memo: &str,
        postings: &[(AccountId, i64)],
    ) -> PostedEntry {
        PostedEntry {
            id,
            book_id: 3,
            business_date: date,
            recorded_at: Utc.with_ymd_and_hms(2026, 3, 1, 10, 0, 0).unwrap(),
            kind: kind.into(),
            memo: memo.into(),
            idempotency_key: format!("k{id}"),
            reverses: None,
            postings: postings
                .iter()
                .map(|&(account_id, amount)| Posting { account_id, amount })
                .collect(),
        }
    }

    /// Thrift ₹500 on 1 March, a ₹10.50 fine whose memo tries to forge a
    /// transaction on 2 March, ₹25 to the social fund on 5 March, and the
    /// fine reversed on 9 March.
    pub fn entries() -> Vec<PostedEntry> {
        let mut reversal = entry(
            104,
            d(2026, 3, 9),
            "reversal",
            "  fine waived\r\n",
            &[(10, -1_050), (40, 1_050)],
        );
        reversal.reverses = Some(102);
        vec![
            entry(
                101,
                d(2026, 3, 1),
                "savings-deposit",
                "weekly thrift",
                &[(10, 50_000), (21, -50_000)],
            ),
            entry(
                102,
                d(2026, 3, 2),
                "fine",
                "; foo\n2020-01-01 fake\n    assets:cash  1 INR",
                &[(10, 1_050), (40, -1_050)],
            ),
            entry(
                103,
                d(2026, 3, 5),
                "social-fund",
                "\"quoted\" \\ back",
                &[(10, 2_500), (30, -2_500)],
            ),
            reversal,
        ]
    }

    /// By hand: cash 500 + 10.50 + 25 - 10.50 = 525.00; savings -500.00;
    /// social fund -25.00; fines 0. As of 2 March: cash 510.50, savings
    /// -500.00, social fund 0, fines -10.50.
    pub fn trial_balance(as_of: Option<NaiveDate>) -> TrialBalance {
        let cut = as_of == Some(d(2026, 3, 2));
        let line = |account_id, code: &str, name: &str, t, balance| TrialBalanceLine {
            account_id,
            code: code.into(),
            name: name.into(),
            account_type: t,
            balance,
        };
        TrialBalance {
            book: book(),
            as_of,
            lines: vec![
                line(
                    10,
                    "1000",
                    "Cash in hand",
                    AccountType::Asset,
                    if cut { 51_050 } else { 52_500 },
                ),
                line(
                    21,
                    "2000-M001",
                    "Member compulsory savings — M001",
                    AccountType::Liability,
                    -50_000,
                ),
                line(
                    30,
                    "2100",
                    "सामाजिक कोष",
                    AccountType::Liability,
                    if cut { 0 } else { -2_500 },
                ),
                line(
                    40,
                    "4010",
                    "Fine income",
                    AccountType::Income,
                    if cut { -1_050 } else { 0 },
                ),
            ],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::fixture::*;
    use super::*;

    #[test]
    fn a_group_book_is_named_by_its_group_id_and_a_program_book_by_its_book_id() {
        let group = Group {
            id: 7,
            book_id: 3,
            name: "Lotus SHG".into(),
            code: Some("LOT".into()),
        };
        assert_eq!(book_namespace(&book(), Some(&group)), "group-7");
        let program = Book {
            id: 1,
            kind: BookKind::Program,
            ..book()
        };
        assert_eq!(book_namespace(&program, None), "program-1");
    }

    #[test]
    fn slugs_keep_ascii_words_and_drop_other_scripts() {
        assert_eq!(slug("Cash in hand").as_deref(), Some("cash-in-hand"));
        assert_eq!(
            slug("Social / welfare fund").as_deref(),
            Some("social-welfare-fund")
        );
        assert_eq!(slug("Cash — नकद").as_deref(), Some("cash"));
        assert_eq!(slug("सामाजिक कोष"), None);
        assert_eq!(slug("ꯁꯥꯟꯇꯣꯝꯕꯤ"), None);
        // 40 characters at most, cut between words.
        let long = slug("Cash differences (shortage less overage) and then some more").unwrap();
        assert_eq!(long, "cash-differences-shortage-less-overage");
    }

    #[test]
    fn free_text_is_flattened_to_one_line() {
        assert_eq!(
            one_line("  a\n2020-01-01 fake\r\n\tb\u{2028}c  d "),
            "a 2020-01-01 fake b c d"
        );
        assert_eq!(one_line("\n\n"), "");
    }

    #[test]
    fn a_posting_to_another_books_account_is_refused() {
        let accounts = accounts();
        let mut entries = entries();
        entries[0].postings[0].account_id = 99;
        let tb = trial_balance(None);
        let export = BookExport {
            book: &tb.book,
            namespace: "group-7",
            accounts: &accounts,
            entries: &entries,
            trial_balance: &tb,
        };
        let options = ExportOptions {
            until: None,
            today: d(2026, 3, 31),
        };
        assert_eq!(
            hledger::journal(&[export], &options).unwrap_err(),
            ExportError::UnknownAccount {
                entry: 101,
                account: 99,
                book: 3
            }
        );
    }

    #[test]
    fn an_entry_after_until_or_a_trial_balance_of_another_date_is_refused() {
        let accounts = accounts();
        let entries = entries();
        let tb = trial_balance(Some(d(2026, 3, 2)));
        let export = BookExport {
            book: &tb.book,
            namespace: "group-7",
            accounts: &accounts,
            entries: &entries,
            trial_balance: &tb,
        };
        let until = |u| ExportOptions {
            until: u,
            today: d(2026, 3, 31),
        };
        assert_eq!(
            hledger::journal(&[export], &until(Some(d(2026, 3, 2)))).unwrap_err(),
            ExportError::AfterUntil {
                entry: 103,
                date: d(2026, 3, 5),
                until: d(2026, 3, 2)
            }
        );
        assert_eq!(
            beancount::file(&[export], &until(None)).unwrap_err(),
            ExportError::TrialBalanceDate {
                book: 3,
                wanted: None,
                found: Some(d(2026, 3, 2))
            }
        );
    }

    #[test]
    fn codes_that_slug_alike_are_refused_rather_than_merged() {
        let mut accounts = accounts();
        accounts[0].code = "10.1".into();
        accounts[0].name = "".into();
        accounts[3].code = "10-1".into();
        accounts[3].name = "".into();
        let tb = TrialBalance {
            lines: vec![],
            ..trial_balance(None)
        };
        let export = BookExport {
            book: &tb.book,
            namespace: "group-7",
            accounts: &accounts,
            entries: &[],
            trial_balance: &tb,
        };
        let options = ExportOptions {
            until: None,
            today: d(2026, 3, 31),
        };
        // Apart (asset and liability roots) they coexist; under one root they clash.
        let mut same = accounts.clone();
        same[3].account_type = AccountType::Asset;
        let export_same = BookExport {
            accounts: &same,
            ..export
        };
        assert!(hledger::journal(&[export], &options).is_ok());
        assert_eq!(
            hledger::journal(&[export_same], &options).unwrap_err(),
            ExportError::NameClash {
                name: "assets:group-7:10-1".into(),
                first: 10,
                second: 30
            }
        );
    }

    #[test]
    fn namespaces_must_be_ascii_and_distinct() {
        let accounts = accounts();
        let tb = trial_balance(None);
        let export = |namespace| BookExport {
            book: &tb.book,
            namespace,
            accounts: &accounts,
            entries: &[],
            trial_balance: &tb,
        };
        let options = ExportOptions {
            until: None,
            today: d(2026, 3, 31),
        };
        assert_eq!(
            hledger::journal(&[export("Group 7")], &options).unwrap_err(),
            ExportError::BadNamespace("Group 7".into())
        );
        assert_eq!(
            hledger::journal(&[export("group-7"), export("group-7")], &options).unwrap_err(),
            ExportError::DuplicateNamespace("group-7".into())
        );
    }
}
