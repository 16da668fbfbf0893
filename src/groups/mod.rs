//! Self-help groups and their members.

pub mod rules;

pub use rules::{GroupRules, RulesError};

use crate::ledger::{BookId, MemberId};
use crate::money::Currency;
use chrono::NaiveDate;
use serde::Serialize;

pub type GroupId = i64;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GroupError {
    #[error("{field} is required")]
    Missing { field: &'static str },
    #[error("{field} must be at most {max} characters")]
    TooLong { field: &'static str, max: usize },
    #[error("member code {0:?} is not valid: use 1 to 20 letters, digits and dashes")]
    BadMemberCode(String),
    #[error("group code {0:?} is not valid: use 1 to 10 letters and digits")]
    BadGroupCode(String),
    #[error("member code {0} appears twice")]
    DuplicateMemberCode(String),
}

/// A group to be created with its book and chart of accounts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewGroup {
    name: String,
    currency: Currency,
    members: Vec<NewMember>,
    code: Option<String>,
}

impl NewGroup {
    pub fn new(
        name: &str,
        currency: Currency,
        members: Vec<NewMember>,
    ) -> Result<Self, GroupError> {
        let name = checked_text("group name", name, 100)?;
        let mut seen = std::collections::HashSet::new();
        for m in &members {
            if !seen.insert(m.code.to_ascii_uppercase()) {
                return Err(GroupError::DuplicateMemberCode(m.code.clone()));
            }
        }
        Ok(NewGroup {
            name,
            currency,
            members,
            code: None,
        })
    }

    /// The group's short code: 1 to 10 letters or digits, kept upper-case.
    pub fn with_code(mut self, code: &str) -> Result<Self, GroupError> {
        let code = code.trim().to_ascii_uppercase();
        if code.is_empty() || code.len() > 10 || !code.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return Err(GroupError::BadGroupCode(code));
        }
        self.code = Some(code);
        Ok(self)
    }

    pub fn code(&self) -> Option<&str> {
        self.code.as_deref()
    }
    pub fn name(&self) -> &str {
        &self.name
    }
    pub fn currency(&self) -> Currency {
        self.currency
    }
    pub fn members(&self) -> &[NewMember] {
        &self.members
    }
}

/// A member to be enrolled. The display name is what her group calls her; her
/// legal identity lives elsewhere, encrypted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewMember {
    code: String,
    display_name: String,
    joined_on: NaiveDate,
}

impl NewMember {
    pub fn new(code: &str, display_name: &str, joined_on: NaiveDate) -> Result<Self, GroupError> {
        let code = code.trim();
        let code_ok = (1..=20).contains(&code.len())
            && code.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
        if !code_ok {
            return Err(GroupError::BadMemberCode(code.to_string()));
        }
        Ok(NewMember {
            code: code.to_string(),
            display_name: checked_text("display name", display_name, 100)?,
            joined_on,
        })
    }
    pub fn code(&self) -> &str {
        &self.code
    }
    pub fn display_name(&self) -> &str {
        &self.display_name
    }
    pub fn joined_on(&self) -> NaiveDate {
        self.joined_on
    }
}

fn checked_text(field: &'static str, text: &str, max: usize) -> Result<String, GroupError> {
    let text = text.trim();
    if text.is_empty() {
        return Err(GroupError::Missing { field });
    }
    if text.chars().count() > max {
        return Err(GroupError::TooLong { field, max });
    }
    Ok(text.to_string())
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Group {
    pub id: GroupId,
    pub book_id: BookId,
    pub name: String,
    /// A short unique code ("LOT"); groups made before codes have none.
    pub code: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Member {
    pub id: MemberId,
    pub group_id: GroupId,
    pub code: String,
    pub display_name: String,
    pub joined_on: NaiveDate,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 1, 5).unwrap()
    }

    #[test]
    fn member_codes_are_short_and_plain() {
        assert!(NewMember::new("M-001", "Sanahanbi", day()).is_ok());
        assert_eq!(
            NewMember::new("M 001", "x", day()),
            Err(GroupError::BadMemberCode("M 001".into()))
        );
        assert!(NewMember::new(&"M".repeat(21), "x", day()).is_err());
        assert_eq!(
            NewMember::new("M1", "  ", day()),
            Err(GroupError::Missing {
                field: "display name"
            })
        );
    }

    #[test]
    fn a_group_refuses_an_empty_name_and_repeated_member_codes() {
        let m = |c| NewMember::new(c, "A", day()).unwrap();
        assert_eq!(
            NewGroup::new("", Currency::inr(), vec![]),
            Err(GroupError::Missing {
                field: "group name"
            })
        );
        assert_eq!(
            NewGroup::new("Lotus", Currency::inr(), vec![m("M1"), m("m1")]),
            Err(GroupError::DuplicateMemberCode("m1".into()))
        );
    }
}
