//! Standard charts of accounts: the accounts a new SHG or program book starts with.

use super::accounts::{AccountType, MemberId, NewAccount};

/// Codes of the SHG chart that other modules post to by name.
pub mod shg {
    pub const CASH: &str = "1000";
    pub const BANK: &str = "1010";
    pub const LOANS_TO_MEMBERS: &str = "1100";
    pub const INTEREST_RECEIVABLE: &str = "1110";
    pub const COMPULSORY_SAVINGS: &str = "2000";
    pub const VOLUNTARY_SAVINGS: &str = "2010";
    pub const SOCIAL_FUND: &str = "2100";
    pub const BANK_LOAN_PAYABLE: &str = "2200";
    pub const CIF_PAYABLE: &str = "2210";
    pub const REVOLVING_FUND: &str = "3000";
    pub const SURPLUS: &str = "3100";
    pub const INTEREST_INCOME: &str = "4000";
    pub const FINE_INCOME: &str = "4010";
    pub const RECOVERIES: &str = "4020";
    pub const OTHER_INCOME: &str = "4090";
    pub const EXPENSES: &str = "5000";
    pub const WRITE_OFFS: &str = "5010";
    pub const BORROWING_INTEREST: &str = "5020";
    pub const CASH_DIFFERENCES: &str = "5030";

    /// Header accounts whose detail lives in one sub-account per member.
    pub const PER_MEMBER: [&str; 4] = [
        LOANS_TO_MEMBERS,
        INTEREST_RECEIVABLE,
        COMPULSORY_SAVINGS,
        VOLUNTARY_SAVINGS,
    ];
}

/// Codes of the program book's chart.
pub mod program {
    pub const CASH: &str = "1000";
    pub const BANK: &str = "1010";
    pub const FUNDS_WITH_GROUPS: &str = "1200";
    pub const GRANTS_RECEIVED: &str = "3000";
    pub const SURPLUS: &str = "3100";
    pub const OTHER_INCOME: &str = "4090";
    pub const PROGRAM_EXPENSES: &str = "5000";
}

struct Template {
    code: &'static str,
    name: &'static str,
    account_type: AccountType,
    per_member: bool,
}

const fn t(code: &'static str, name: &'static str, account_type: AccountType) -> Template {
    Template {
        code,
        name,
        account_type,
        per_member: false,
    }
}

const fn per_member(code: &'static str, name: &'static str, account_type: AccountType) -> Template {
    Template {
        code,
        name,
        account_type,
        per_member: true,
    }
}

const SHG_CHART: [Template; 19] = {
    use shg::*;
    use AccountType::*;
    [
        t(CASH, "Cash in hand", Asset),
        t(BANK, "Bank account", Asset),
        per_member(LOANS_TO_MEMBERS, "Loans to members (principal)", Asset),
        per_member(INTEREST_RECEIVABLE, "Interest receivable", Asset),
        per_member(COMPULSORY_SAVINGS, "Member compulsory savings", Liability),
        per_member(VOLUNTARY_SAVINGS, "Member voluntary savings", Liability),
        t(SOCIAL_FUND, "Social / welfare fund", Liability),
        t(BANK_LOAN_PAYABLE, "Bank loan payable", Liability),
        t(CIF_PAYABLE, "Community investment fund payable", Liability),
        t(REVOLVING_FUND, "Revolving fund / grants received", Equity),
        t(SURPLUS, "Surplus / retained earnings", Equity),
        t(INTEREST_INCOME, "Interest income", Income),
        t(FINE_INCOME, "Fine income", Income),
        t(RECOVERIES, "Recoveries of written-off loans", Income),
        t(OTHER_INCOME, "Other income", Income),
        t(EXPENSES, "Expenses", Expense),
        t(WRITE_OFFS, "Loans written off", Expense),
        t(BORROWING_INTEREST, "Interest paid on borrowings", Expense),
        t(
            CASH_DIFFERENCES,
            "Cash differences (shortage less overage)",
            Expense,
        ),
    ]
};

const PROGRAM_CHART: [Template; 7] = {
    use program::*;
    use AccountType::*;
    [
        t(CASH, "Cash in hand", Asset),
        t(BANK, "Bank account", Asset),
        t(
            FUNDS_WITH_GROUPS,
            "Revolving funds granted to groups",
            Asset,
        ),
        t(GRANTS_RECEIVED, "Grants received", Equity),
        t(SURPLUS, "Surplus / retained earnings", Equity),
        t(OTHER_INCOME, "Other income", Income),
        t(PROGRAM_EXPENSES, "Program expenses", Expense),
    ]
};

/// The code of a member's own sub-account under a per-member header.
pub fn member_account_code(header_code: &str, member_code: &str) -> String {
    format!("{header_code}-{member_code}")
}

/// The accounts of a new SHG book. Per-member headers take no postings.
pub fn shg_chart() -> Vec<NewAccount> {
    SHG_CHART
        .iter()
        .map(|tpl| NewAccount {
            code: tpl.code.to_string(),
            name: tpl.name.to_string(),
            account_type: tpl.account_type,
            parent_code: None,
            postable: !tpl.per_member,
            member_id: None,
            loan_id: None,
        })
        .collect()
}

/// A member's own accounts (savings and loan balances she owns), so that her
/// balance is one account read.
pub fn member_accounts(member_id: MemberId, member_code: &str) -> Vec<NewAccount> {
    SHG_CHART
        .iter()
        .filter(|tpl| tpl.per_member)
        .map(|tpl| NewAccount {
            code: member_account_code(tpl.code, member_code),
            name: format!("{} — {member_code}", tpl.name),
            account_type: tpl.account_type,
            parent_code: Some(tpl.code.to_string()),
            postable: true,
            member_id: Some(member_id),
            loan_id: None,
        })
        .collect()
}

pub fn program_chart() -> Vec<NewAccount> {
    PROGRAM_CHART
        .iter()
        .map(|tpl| NewAccount {
            code: tpl.code.to_string(),
            name: tpl.name.to_string(),
            account_type: tpl.account_type,
            parent_code: None,
            postable: true,
            member_id: None,
            loan_id: None,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn the_shg_chart_has_every_account_the_issue_names() {
        let chart = shg_chart();
        let names: Vec<&str> = chart.iter().map(|a| a.name.as_str()).collect();
        for wanted in [
            "Cash in hand",
            "Bank account",
            "Loans to members (principal)",
            "Interest receivable",
            "Member compulsory savings",
            "Member voluntary savings",
            "Social / welfare fund",
            "Bank loan payable",
            "Revolving fund / grants received",
            "Interest income",
            "Fine income",
            "Other income",
            "Expenses",
            "Surplus / retained earnings",
        ] {
            assert!(names.contains(&wanted), "missing {wanted}");
        }
        let codes: HashSet<&str> = chart.iter().map(|a| a.code.as_str()).collect();
        assert_eq!(codes.len(), chart.len(), "codes are unique");
    }

    #[test]
    fn a_member_gets_her_own_savings_and_loan_accounts_under_the_headers() {
        let mine = member_accounts(42, "M007");
        let codes: Vec<&str> = mine.iter().map(|a| a.code.as_str()).collect();
        assert_eq!(codes, ["1100-M007", "1110-M007", "2000-M007", "2010-M007"]);
        assert!(mine.iter().all(|a| a.member_id == Some(42) && a.postable));
        assert_eq!(
            mine[2].parent_code.as_deref(),
            Some(shg::COMPULSORY_SAVINGS)
        );
        assert_eq!(mine[2].account_type, AccountType::Liability);
    }

    #[test]
    fn per_member_headers_take_no_postings_of_their_own() {
        let chart = shg_chart();
        for a in &chart {
            let is_header = shg::PER_MEMBER.contains(&a.code.as_str());
            assert_eq!(a.postable, !is_header, "{}", a.code);
        }
    }
}
