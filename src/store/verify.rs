//! The result of `sakhi verify`: what was checked and what is wrong.

use serde::Serialize;
use std::fmt;

/// Problems of one kind beyond this many are counted, not listed.
pub const MAX_LISTED: usize = 20;

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct VerifyReport {
    pub books: i64,
    pub accounts: i64,
    pub entries: i64,
    pub postings: i64,
    pub reversals: i64,
    pub checks: Vec<CheckResult>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CheckResult {
    pub name: &'static str,
    /// Findings, at most `MAX_LISTED` of them.
    pub problems: Vec<String>,
    /// All findings, including those not listed.
    pub problem_count: usize,
}

impl VerifyReport {
    pub fn is_ok(&self) -> bool {
        self.checks.iter().all(|c| c.problem_count == 0)
    }

    /// Every listed finding, prefixed with its check's name.
    pub fn problems(&self) -> Vec<String> {
        self.checks
            .iter()
            .flat_map(|c| c.problems.iter().map(move |p| format!("{}: {p}", c.name)))
            .collect()
    }

    pub fn problem_count(&self) -> usize {
        self.checks.iter().map(|c| c.problem_count).sum()
    }

    pub fn record(&mut self, name: &'static str, problems: Vec<String>) {
        let problem_count = problems.len();
        self.checks.push(CheckResult {
            name,
            problems: problems.into_iter().take(MAX_LISTED).collect(),
            problem_count,
        });
    }
}

impl fmt::Display for VerifyReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "checked {} books, {} accounts, {} entries ({} reversals), {} postings",
            self.books, self.accounts, self.entries, self.reversals, self.postings
        )?;
        for check in &self.checks {
            if check.problem_count == 0 {
                writeln!(f, "  ok    {}", check.name)?;
            } else {
                writeln!(
                    f,
                    "  FAIL  {} ({} problems)",
                    check.name, check.problem_count
                )?;
                for p in &check.problems {
                    writeln!(f, "          {p}")?;
                }
                if check.problem_count > check.problems.len() {
                    writeln!(
                        f,
                        "          … and {} more",
                        check.problem_count - check.problems.len()
                    )?;
                }
            }
        }
        if self.is_ok() {
            write!(f, "verify: OK")
        } else {
            write!(f, "verify: {} problems found", self.problem_count())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_report_with_any_problem_is_not_ok_and_lists_at_most_twenty() {
        let mut r = VerifyReport::default();
        r.record("balances", vec![]);
        assert!(r.is_ok());
        r.record(
            "entries sum to zero",
            (0..25).map(|i| format!("entry {i}")).collect(),
        );
        assert!(!r.is_ok());
        assert_eq!(r.problem_count(), 25);
        let text = r.to_string();
        assert!(text.contains("FAIL  entries sum to zero (25 problems)"));
        assert!(text.contains("… and 5 more"));
        assert!(text.ends_with("verify: 25 problems found"));
    }
}
