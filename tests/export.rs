//! Exports checked by tools Sakhi did not write: the demo books, exported on
//! SQLite and on PostgreSQL, must pass `hledger check`, `ledger --pedantic`
//! and `bean-check`, and every account's balance in the tools' own reports
//! must equal Sakhi's trial balance to the paisa. A tampered assertion must
//! make each tool fail, so a pass means the tools really checked.
//!
//! A missing tool skips its part with one line on stderr, unless
//! `SAKHI_REQUIRE_TOOLS=1` (as in CI), which fails instead.

mod common;

use chrono::NaiveDate;
use common::*;
use sakhi::cli::{export_books, ExportFormat};
use sakhi::demo::{load_demo, DemoOptions};
use sakhi::ledger::{Account, AccountId, TrialBalance};
use sakhi::money::format_minor;
use sakhi::reports::export::{beancount, book_namespace, hledger};
use sakhi::store::Store;
use std::collections::HashMap;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 20).unwrap()
}

/// A mid-story date: some entries fall after it.
fn cut() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 10, 1).unwrap()
}

fn small() -> DemoOptions {
    DemoOptions {
        groups: 2,
        members_per_group: (12, 12),
        weeks: 12,
        seed: 7,
        ..DemoOptions::new(today())
    }
}

fn tools_required() -> bool {
    std::env::var("SAKHI_REQUIRE_TOOLS").is_ok_and(|v| matches!(v.trim(), "1" | "true" | "yes"))
}

/// The tool's path, or `None` after one line saying the check is skipped.
fn tool(name: &str) -> Option<PathBuf> {
    let found = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join(name))
            .find(|p| p.is_file())
    });
    if found.is_none() {
        assert!(
            !tools_required(),
            "SAKHI_REQUIRE_TOOLS=1 but {name} is not on PATH (apt-get install hledger ledger beancount)"
        );
        let _ = writeln!(
            std::io::stderr(),
            "export checks with {name} skipped: {name} not found (set SAKHI_REQUIRE_TOOLS=1 to fail instead)"
        );
    }
    found
}

fn run(program: &Path, args: &[&str]) -> Output {
    Command::new(program)
        .args(args)
        .env_remove("LEDGER_FILE")
        .env_remove("LEDGER_INIT")
        .output()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", program.display()))
}

fn ok(out: &Output, what: &str) -> String {
    assert!(
        out.status.success(),
        "{what} failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Each book's accounts and trial balance (as of `until`) and its namespace.
struct Expected {
    books: Vec<(String, Vec<Account>, TrialBalance)>,
}

async fn expected(store: &dyn Store, until: Option<NaiveDate>) -> Expected {
    let groups = store.groups().await.unwrap();
    let mut books = Vec::new();
    for book in store.books().await.unwrap() {
        let owner = groups.iter().find(|g| g.book_id == book.id);
        let accounts = store.accounts(book.id).await.unwrap();
        let tb = store.trial_balance(book.id, until).await.unwrap();
        books.push((book_namespace(&book, owner), accounts, tb));
    }
    Expected { books }
}

impl Expected {
    /// Every postable account by its exported name: (balance in minor
    /// units, minor units of its currency).
    fn balances(
        &self,
        names: impl Fn(&str, i64, &[Account]) -> HashMap<AccountId, String>,
    ) -> HashMap<String, (i64, u32)> {
        let mut out = HashMap::new();
        for (namespace, accounts, tb) in &self.books {
            let named = names(namespace, tb.book.id, accounts);
            for line in &tb.lines {
                let name = named[&line.account_id].clone();
                out.insert(name, (line.balance, tb.book.currency.minor_units()));
            }
        }
        out
    }
}

/// The fields of one CSV line with quoted fields (`"a","b"`), as hledger
/// writes it; bean-query's unquoted fields are split on commas.
fn csv_fields(line: &str) -> Vec<String> {
    line.split(',')
        .map(|f| f.trim().trim_matches('"').to_string())
        .collect()
}

/// Compares a tool's (account, amount text) rows with Sakhi's balances: the
/// same figure for every account, zero where the tool shows nothing, and no
/// account the trial balance does not have (header accounts show zero).
fn compare(
    tool: &str,
    rows: &[(String, String)],
    expected: &HashMap<String, (i64, u32)>,
    currency_suffix: &str,
) -> usize {
    let shown: HashMap<&str, &str> = rows.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
    let mut nonzero = 0;
    for (name, (balance, units)) in expected {
        let want = format!("{}{currency_suffix}", format_minor(*balance, *units));
        match shown.get(name.as_str()) {
            Some(got) if *balance == 0 => assert!(
                ["", "0", "0.00"].contains(got) || *got == want,
                "{tool}: {name} shows {got}, Sakhi says 0"
            ),
            Some(got) => {
                assert_eq!(*got, want, "{tool}: balance of {name}");
                nonzero += 1;
            }
            None => assert_eq!(*balance, 0, "{tool}: {name} is missing"),
        }
    }
    for (name, amount) in &shown {
        assert!(
            expected.contains_key(*name) || ["", "0", "0.00"].contains(amount),
            "{tool}: {name} = {amount} is not in Sakhi's trial balance"
        );
    }
    nonzero
}

/// The last line holding `marker` (a closing assertion) with its asserted
/// amount, the line's last two words, one paisa higher.
fn tamper(text: &str, marker: &str) -> String {
    let at = text.rfind(marker).expect("an assertion to tamper with");
    let start = text[..at].rfind('\n').map_or(0, |i| i + 1);
    let end = at + text[at..].find('\n').unwrap_or(text.len() - at);
    let line = &text[start..end];
    let words: Vec<&str> = line.split_whitespace().collect();
    let (amount, currency) = (words[words.len() - 2], words[words.len() - 1]);
    // INR has 2 decimals; a beancount assertion is written with 3.
    let decimals = amount.split_once('.').map_or(0, |(_, f)| f.len()) as u32;
    let scaled: i64 = amount.replace('.', "").parse().unwrap();
    let paisa = 10_i64.pow(decimals - 2);
    let old = format!("{amount} {currency}");
    let new = format!("{} {currency}", format_minor(scaled + paisa, decimals));
    let changed = match line.rfind(&old) {
        Some(i) => format!("{}{new}", &line[..i]),
        None => panic!("no amount at the end of {line:?}"),
    };
    format!("{}{changed}{}", &text[..start], &text[end..])
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

async fn hledger_round_trip(store: &dyn Store, until: Option<NaiveDate>, dir: &Path) {
    let text = export_books(store, ExportFormat::Hledger, None, until, today())
        .await
        .unwrap();
    let expected = expected(store, until)
        .await
        .balances(|ns, id, accounts| hledger::account_names(ns, id, accounts).unwrap());
    assert!(expected.len() > 40, "both groups' accounts are compared");
    let file = write(dir, "books.journal", &text);
    let f = file.to_str().unwrap();

    if let Some(hledger) = tool("hledger") {
        // -s: every account and commodity declared; ordereddates: the merged
        // books never go back in time; assertions are checked by default.
        ok(
            &run(&hledger, &["-f", f, "check", "-s", "ordereddates"]),
            "hledger check",
        );
        let csv = ok(
            &run(&hledger, &["-f", f, "balance", "--flat", "-E", "-O", "csv"]),
            "hledger balance",
        );
        let rows: Vec<(String, String)> = csv
            .lines()
            .skip(1)
            .map(csv_fields)
            .filter(|f| f.len() == 2 && f[0] != "total")
            .map(|f| (f[0].clone(), f[1].clone()))
            .collect();
        let nonzero = compare("hledger", &rows, &expected, " INR");
        assert!(nonzero > 20, "hledger shows real balances ({nonzero})");

        let bad = write(dir, "tampered.journal", &tamper(&text, "0.00 INR = "));
        let out = run(&hledger, &["-f", bad.to_str().unwrap(), "check"]);
        assert!(
            !out.status.success(),
            "hledger accepted a tampered assertion"
        );
        assert!(String::from_utf8_lossy(&out.stderr).contains("balance assertion"));
    }

    if let Some(ledger) = tool("ledger") {
        // --pedantic: accounts, commodities and tags must be declared.
        ok(
            &run(&ledger, &["-f", f, "--pedantic", "balance"]),
            "ledger --pedantic balance",
        );
        let report = ok(
            &run(
                &ledger,
                &[
                    "-f",
                    f,
                    "balance",
                    "--flat",
                    "--empty",
                    "--no-total",
                    "--balance-format",
                    "%(account)\t%(display_total)\n",
                ],
            ),
            "ledger balance",
        );
        let rows: Vec<(String, String)> = report
            .lines()
            .filter_map(|l| l.split_once('\t'))
            .map(|(a, b)| (a.trim().to_string(), b.trim().to_string()))
            .collect();
        let nonzero = compare("ledger", &rows, &expected, " INR");
        assert!(nonzero > 20, "ledger shows real balances ({nonzero})");
        let bad = write(dir, "tampered.journal", &tamper(&text, "0.00 INR = "));
        let out = run(&ledger, &["-f", bad.to_str().unwrap(), "balance"]);
        assert!(
            !out.status.success(),
            "ledger accepted a tampered assertion"
        );
    }
}

async fn beancount_round_trip(store: &dyn Store, until: Option<NaiveDate>, dir: &Path) {
    let text = export_books(store, ExportFormat::Beancount, None, until, today())
        .await
        .unwrap();
    let expected = expected(store, until)
        .await
        .balances(|ns, id, accounts| beancount::account_names(ns, id, accounts).unwrap());
    let file = write(dir, "books.beancount", &text);
    let f = file.to_str().unwrap();
    if let Some(check) = tool("bean-check") {
        ok(&run(&check, &[f]), "bean-check");
        let bad = write(dir, "tampered.beancount", &tamper(&text, " balance "));
        let out = run(&check, &[bad.to_str().unwrap()]);
        assert!(
            !out.status.success(),
            "bean-check accepted a tampered balance"
        );
    }
    if let Some(query) = tool("bean-query") {
        // -m: numbers without the currency (every demo book is in INR).
        let csv = ok(
            &run(
                &query,
                &[
                    "-m",
                    "-f",
                    "csv",
                    f,
                    "SELECT account, sum(position) GROUP BY account ORDER BY account",
                ],
            ),
            "bean-query",
        );
        let rows: Vec<(String, String)> = csv
            .lines()
            .skip(1)
            .map(csv_fields)
            .filter(|f| f.len() == 2)
            .map(|f| (f[0].clone(), f[1].clone()))
            .collect();
        let nonzero = compare("bean-query", &rows, &expected, "");
        assert!(nonzero > 20, "bean-query shows real balances ({nonzero})");
    }
}

/// One group's export holds only that group's accounts and checks alone.
async fn one_group(store: &dyn Store, dir: &Path) {
    let groups = store.groups().await.unwrap();
    let iris = groups.iter().find(|g| g.name == "Iris SHG").unwrap();
    let text = export_books(
        store,
        ExportFormat::Hledger,
        Some("iris shg"),
        Some(cut()),
        today(),
    )
    .await
    .unwrap();
    // Its code names the same group as its name does.
    assert_eq!(iris.code.as_deref(), Some("IRI"));
    let by_code = export_books(
        store,
        ExportFormat::Hledger,
        Some("iri"),
        Some(cut()),
        today(),
    )
    .await
    .unwrap();
    assert_eq!(by_code, text);
    let ours = format!(":group-{}:", iris.id);
    assert!(text.contains(&ours));
    assert!(text
        .lines()
        .filter(|l| l.contains(":group-"))
        .all(|l| l.contains(&ours)));
    assert!(!text.contains(&format!("\n{} ", today())));
    if let Some(hledger) = tool("hledger") {
        let file = write(dir, "iris.journal", &text);
        ok(
            &run(
                &hledger,
                &["-f", file.to_str().unwrap(), "check", "-s", "ordereddates"],
            ),
            "hledger check of one group",
        );
    }
    let err = export_books(store, ExportFormat::Hledger, Some("99"), None, today())
        .await
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("--group \"99\": no group has that id or name"),
        "{err}"
    );
}

async fn story(store: &dyn Store) {
    load_demo(store, &small()).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    for until in [None, Some(cut())] {
        hledger_round_trip(store, until, dir.path()).await;
        beancount_round_trip(store, until, dir.path()).await;
    }
    one_group(store, dir.path()).await;
}

#[tokio::test]
async fn demo_books_export_and_check_on_sqlite() {
    let db = sqlite().await;
    story(&db.store).await;
}

#[tokio::test]
async fn demo_books_export_and_check_on_postgres() {
    let Some(db) = postgres().await else { return };
    story(&db.store).await;
}

/// The command line: output to a file, and bad arguments exit 2 with a
/// message naming the flag.
#[test]
fn the_export_command_writes_a_file_and_names_bad_flags() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite:{}", dir.path().join("books.db").display());
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let store = sakhi::store::open(&url).await.unwrap();
        let g = lotus(store.as_ref(), "Lotus SHG").await;
        store.post(&thrift(&g, 0, 500, day(2), "t1")).await.unwrap();
    });
    let sakhi = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_sakhi"))
            .current_dir(dir.path())
            .env_remove("SAKHI_CONFIG")
            .env_remove("SAKHI_DATA_DIR")
            .env("SAKHI_DATABASE_URL", &url)
            .args(args)
            .output()
            .unwrap()
    };
    let out = sakhi(&["export", "hledger", "--group", "1", "--output", "g.journal"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = std::fs::read_to_string(dir.path().join("g.journal")).unwrap();
    assert!(text.contains("\n2026-03-02 * savings-deposit\n"), "{text}");
    assert!(text.contains("  500.00 INR\n"));

    for (args, flag) in [
        (
            vec!["export", "hledger", "--until", "2026-02-30"],
            "--until",
        ),
        (vec!["export", "hledger", "--group", "Rose SHG"], "--group"),
        (vec!["export", "csv"], "<FORMAT>"),
    ] {
        let out = sakhi(&args);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains(flag), "{args:?}: {stderr}");
    }
    let stderr =
        String::from_utf8_lossy(&sakhi(&["export", "beancount", "--group", "Rose SHG"]).stderr)
            .into_owned();
    assert!(stderr.contains("groups: 1 (Lotus SHG)"), "{stderr}");
}
