//! Books and accounts: what a posting can point at.

use crate::money::Currency;
use serde::Serialize;
use std::fmt;
use std::str::FromStr;

pub type BookId = i64;
pub type AccountId = i64;
pub type EntryId = i64;
pub type MemberId = i64;
pub type LoanId = i64;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum BookKind {
    /// A self-help group's own books.
    Group,
    /// The program's books (revolving funds granted to groups, program costs).
    Program,
}

/// A set of accounts that balances on its own. One per SHG, one per program.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Book {
    pub id: BookId,
    pub kind: BookKind,
    pub name: String,
    pub currency: Currency,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum AccountType {
    Asset,
    Liability,
    Equity,
    Income,
    Expense,
}

/// Postings carry signed amounts: debits positive, credits negative. The
/// normal side says which sign a healthy balance of the account has.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Side {
    Debit,
    Credit,
}

impl AccountType {
    pub fn normal_side(self) -> Side {
        match self {
            AccountType::Asset | AccountType::Expense => Side::Debit,
            AccountType::Liability | AccountType::Equity | AccountType::Income => Side::Credit,
        }
    }

    pub const ALL: [AccountType; 5] = [
        AccountType::Asset,
        AccountType::Liability,
        AccountType::Equity,
        AccountType::Income,
        AccountType::Expense,
    ];
}

impl Side {
    /// Turns a signed ledger balance into the figure people read: a savings
    /// account (credit-normal) holding -500 in ledger terms shows as 500.
    pub fn present(self, signed_balance: i64) -> i64 {
        match self {
            Side::Debit => signed_balance,
            Side::Credit => signed_balance.saturating_neg(),
        }
    }
}

macro_rules! text_enum {
    ($ty:ty, $what:literal, { $($variant:path => $text:literal),+ $(,)? }) => {
        impl $ty {
            pub fn as_str(self) -> &'static str {
                match self { $($variant => $text),+ }
            }
        }
        impl fmt::Display for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
        impl FromStr for $ty {
            type Err = String;
            fn from_str(s: &str) -> Result<Self, String> {
                match s {
                    $($text => Ok($variant),)+
                    other => Err(format!(
                        concat!("unknown ", $what, " {:?}: expected one of {}"),
                        other,
                        [$($text),+].join(", ")
                    )),
                }
            }
        }
    };
}

text_enum!(BookKind, "book kind", {
    BookKind::Group => "group",
    BookKind::Program => "program",
});
text_enum!(AccountType, "account type", {
    AccountType::Asset => "asset",
    AccountType::Liability => "liability",
    AccountType::Equity => "equity",
    AccountType::Income => "income",
    AccountType::Expense => "expense",
});
text_enum!(Side, "side", {
    Side::Debit => "debit",
    Side::Credit => "credit",
});

/// An account in a book. Header accounts (a control account whose members
/// hold the detail, such as "Member compulsory savings") take no postings;
/// their figure is the sum of their children.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Account {
    pub id: AccountId,
    pub book_id: BookId,
    pub code: String,
    pub name: String,
    pub account_type: AccountType,
    pub normal_side: Side,
    pub parent_id: Option<AccountId>,
    pub postable: bool,
    pub member_id: Option<MemberId>,
    pub loan_id: Option<LoanId>,
    pub currency: Currency,
}

/// An account to be created; the store assigns the id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAccount {
    pub code: String,
    pub name: String,
    pub account_type: AccountType,
    /// Code of the header account this one rolls up into.
    pub parent_code: Option<String>,
    pub postable: bool,
    pub member_id: Option<MemberId>,
    pub loan_id: Option<LoanId>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn assets_and_expenses_are_debit_normal_the_rest_credit_normal() {
        assert_eq!(AccountType::Asset.normal_side(), Side::Debit);
        assert_eq!(AccountType::Expense.normal_side(), Side::Debit);
        assert_eq!(AccountType::Liability.normal_side(), Side::Credit);
        assert_eq!(AccountType::Equity.normal_side(), Side::Credit);
        assert_eq!(AccountType::Income.normal_side(), Side::Credit);
    }

    #[test]
    fn a_credit_normal_balance_is_presented_positive() {
        assert_eq!(Side::Credit.present(-50_000), 50_000);
        assert_eq!(Side::Debit.present(-50_000), -50_000);
    }

    #[test]
    fn text_forms_round_trip_and_unknowns_name_the_choices() {
        for t in AccountType::ALL {
            assert_eq!(t.as_str().parse::<AccountType>(), Ok(t));
        }
        let err = "cash".parse::<AccountType>().unwrap_err();
        assert!(err.contains("asset, liability, equity, income, expense"));
    }
}
