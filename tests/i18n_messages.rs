//! Every message the code can put in front of a person has a Hindi text.
//!
//! The messages live where their rules live (error enums, constructors,
//! form handlers), so this test reads the source: each `#[error("…")]`, and
//! each literal or `format!` message given to `AppError::invalid`,
//! `OutcomeError::new` or a field's `invalid`, in the modules a page can
//! reach. A new rule without a translation fails here, naming the message.

use sakhi::i18n::{is_translated, message, Lang};
use std::path::{Path, PathBuf};

/// Where page-reachable messages are written.
const SOURCES: [&str; 12] = [
    "src/program.rs",
    "src/store",
    "src/web",
    "src/money",
    "src/auth",
    "src/loans",
    "src/savings",
    "src/borrowings",
    "src/meetings",
    "src/outcomes",
    "src/groups",
    "src/ledger",
];

/// Errors that only ever reach the log: a 5xx page says "something went
/// wrong" and never shows them.
const INTERNAL: [&str; 9] = [
    "cannot create folder {0}: {1}",
    "database error: {0}",
    "the database cannot be reached: {0}",
    "migration failed: {0}",
    "template error: {0}",
    "internal error: {0}",
    "password hashing failed: {0}",
    "operating system random number generator failed: {0}",
    "stored data is inconsistent: {0}",
];

fn rust_files(path: &Path, out: &mut Vec<PathBuf>) {
    if path.is_file() {
        out.push(path.to_path_buf());
        return;
    }
    let Ok(entries) = std::fs::read_dir(path) else {
        return;
    };
    for entry in entries.flatten() {
        let p = entry.path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|e| e == "rs") {
            out.push(p);
        }
    }
}

/// The string literal starting at `text[start]` (a `"`), unescaped as Rust
/// does, with where it ends.
fn literal(text: &str, start: usize) -> (String, usize) {
    let bytes = text.as_bytes();
    let mut out = String::new();
    let mut i = start + 1;
    while i < bytes.len() && bytes[i] != b'"' {
        if bytes[i] == b'\\' && i + 1 < bytes.len() {
            match bytes[i + 1] {
                b'n' => out.push('\n'),
                b'\n' => {
                    i += 2;
                    while i < bytes.len() && (bytes[i] as char).is_whitespace() {
                        i += 1;
                    }
                    continue;
                }
                other => out.push(other as char),
            }
            i += 2;
            continue;
        }
        let ch = text[i..].chars().next().unwrap_or(' ');
        out.push(ch);
        i += ch.len_utf8();
    }
    (out, i + 1)
}

/// `{field}`, `{0}`, `{:?}` … become `{0}`, `{1}` … in order.
fn numbered(message: &str) -> String {
    let mut out = String::new();
    let mut n = 0;
    let mut rest = message;
    while let Some(open) = rest.find('{') {
        let Some(close) = rest[open..].find('}') else {
            break;
        };
        out.push_str(&rest[..open]);
        out.push_str(&format!("{{{n}}}"));
        n += 1;
        rest = &rest[open + close + 1..];
    }
    out.push_str(rest);
    out
}

/// The arguments of the call whose `(` ends at `open`: each one's message
/// when it is a literal (`"…"` or `"…".into()`) or a `format!` literal.
fn arguments(text: &str, open: usize) -> Vec<Option<String>> {
    let bytes = text.as_bytes();
    let mut args = Vec::new();
    let mut depth = 0usize;
    let mut start = open;
    let mut i = open;
    while i < bytes.len() {
        match bytes[i] {
            b'(' | b'[' | b'{' => depth += 1,
            b')' | b']' | b'}' if depth > 0 => depth -= 1,
            b')' | b']' | b'}' | b',' if depth == 0 => {
                args.push(message_at(text, start, i));
                if bytes[i] != b',' {
                    break;
                }
                start = i + 1;
            }
            b'"' => {
                i = literal(text, i).1;
                continue;
            }
            _ => {}
        }
        i += 1;
    }
    args
}

fn message_at(text: &str, start: usize, end: usize) -> Option<String> {
    let arg = text[start..end].trim_start();
    let at = end - arg.len();
    if arg.starts_with('"') {
        Some(literal(text, at).0)
    } else if arg.starts_with("format!(") {
        let quote = at + arg.find('"')?;
        Some(numbered(&literal(text, quote).0))
    } else {
        None
    }
}

/// Calls that carry a person-facing message: the call, what its first
/// argument must be (empty: anything), and which argument holds it.
const CARRIERS: [(&str, &str, usize); 7] = [
    ("AppError::invalid(", "", 1),
    ("OutcomeError::new(", "", 1),
    (" invalid(", "", 1),
    ("StoreError::Invalid(", "", 0),
    ("StoreError::LoanState(", "", 0),
    ("StoreError::Duplicate(", "", 0),
    // The loan terms form: `set(form, field, accepts, …)`.
    (" set(", "form,", 2),
];

fn messages_in(text: &str, out: &mut Vec<String>) {
    for (at, _) in text.match_indices("#[error(") {
        let rest = &text[at + "#[error(".len()..];
        let quote = text.len() - rest.trim_start().len();
        if text[quote..].starts_with('"') {
            out.push(numbered(&literal(text, quote).0));
        }
    }
    for (call, first, index) in CARRIERS {
        for (at, _) in text.match_indices(call) {
            let after = &text[at + call.len()..];
            if !after.trim_start().starts_with(first) {
                continue;
            }
            if let Some(Some(m)) = arguments(text, at + call.len()).into_iter().nth(index) {
                out.push(m);
            }
        }
    }
}

/// Messages written where no call above carries them.
const ALSO_SHOWN: [&str; 2] = [
    "something went wrong on our side; the error has been logged",
    // Shown instead of a 503's cause (src/web/error.rs).
    sakhi::web::UNAVAILABLE,
];

fn page_messages() -> Vec<String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    for source in SOURCES {
        rust_files(&root.join(source), &mut files);
    }
    let mut found: Vec<String> = ALSO_SHOWN.iter().map(|m| m.to_string()).collect();
    // The throwaway PostgreSQL cluster is for tests and `sakhi bench`.
    files.retain(|f| !f.ends_with("src/store/pg_cluster.rs"));
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap_or_default();
        messages_in(&text, &mut found);
    }
    // Schedule rules name CLI flags; forms show them without the dashes.
    let mut found: Vec<String> = found
        .into_iter()
        .map(|m| m.replace("--", ""))
        .filter(|m| !INTERNAL.contains(&m.as_str()))
        .filter(|m| m.chars().any(|c| c.is_alphabetic()) && m != "{0}: {1}")
        .collect();
    found.sort();
    found.dedup();
    found
}

#[test]
fn the_source_scan_finds_the_messages() {
    let found = page_messages();
    for known in [
        "cannot be in the future",
        "the payment must be more than zero",
        "{0} amounts have at most {1} decimal places; {2} has more (Sakhi never rounds what you type)",
        "too many attempts: try again in {0} seconds",
        "every must be at least 1",
    ] {
        assert!(found.iter().any(|m| m == known), "{known:?} not found");
    }
    assert!(found.len() > 120, "only {} messages found", found.len());
}

#[test]
fn every_message_a_page_can_show_has_a_hindi_text() {
    let missing: Vec<String> = page_messages()
        .into_iter()
        .filter(|m| !is_translated(Lang::Hi, &probe(m)))
        .collect();
    assert!(
        missing.is_empty(),
        "{} messages have no Hindi text in src/i18n/messages.hi.toml:\n{}",
        missing.len(),
        missing.join("\n")
    );
}

/// A message as the code would produce it: each slot filled with a value.
fn probe(pattern: &str) -> String {
    let mut text = pattern.to_string();
    for n in 0..6 {
        text = text.replace(&format!("{{{n}}}"), &format!("x{n}"));
    }
    text
}

#[test]
fn a_member_meets_generic_refusals_in_manipuri() {
    for english in [
        "not found",
        "you do not have access to this",
        "the form has expired or did not come from this site: reload the page and try again",
        "too many attempts: try again in 30 seconds",
        "choose en, hi or mni",
    ] {
        let text = message(Lang::Mni, english);
        assert!(
            text.chars().any(|c| ('\u{ABC0}'..='\u{ABFF}').contains(&c)),
            "{english:?} is {text:?} in Manipuri"
        );
    }
}

#[test]
fn hindi_messages_are_in_devanagari_with_their_values() {
    let text = message(Lang::Hi, "too many attempts: try again in 30 seconds");
    assert!(text.contains("30"), "{text}");
    assert!(
        text.chars().any(|c| ('\u{0900}'..='\u{097F}').contains(&c)),
        "{text}"
    );
}
