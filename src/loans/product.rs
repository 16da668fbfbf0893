//! Loan products and a loan's own record.

use super::allocation::{AllocationRule, LateFine, PrepaymentRule};
use super::schedule::{
    Amortization, Frequency, InterestMethod, InterestPeriod, LoanTerms, RatePer,
};
use crate::groups::GroupId;
use crate::ledger::{EntryId, LoanId, MemberId};
use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

pub type ProductId = i64;

/// Everything a product fixes about its loans except the amount and dates.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoanSettings {
    pub rate: Decimal,
    pub rate_per: RatePer,
    pub method: InterestMethod,
    pub amortization: Amortization,
    pub interest_period: InterestPeriod,
    pub frequency: Frequency,
    pub every: u32,
    pub installments: u32,
    pub grace_principal: u32,
    pub grace_interest: u32,
    pub interest_free: u32,
    /// Minor units; 100 rounds installments to whole rupees.
    pub installment_multiple: i64,
    pub allocation: AllocationRule,
    pub prepayment: PrepaymentRule,
    pub late_fine: LateFine,
    /// Days after a due date before a late fine applies.
    pub late_fine_grace_days: u32,
}

impl LoanSettings {
    pub fn terms(
        &self,
        principal: i64,
        disbursed: NaiveDate,
        first_due: Option<NaiveDate>,
        minor_units: u32,
    ) -> LoanTerms {
        LoanTerms {
            principal,
            rate: self.rate,
            rate_per: self.rate_per,
            installments: self.installments,
            every: self.every,
            frequency: self.frequency,
            method: self.method,
            amortization: self.amortization,
            interest_period: self.interest_period,
            disbursed,
            first_due,
            grace_principal: self.grace_principal,
            grace_interest: self.grace_interest,
            interest_free: self.interest_free,
            installment_multiple: self.installment_multiple,
            minor_units,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LoanProduct {
    pub id: ProductId,
    /// `None`: a program-wide product any group may use.
    pub group_id: Option<GroupId>,
    pub name: String,
    pub settings: LoanSettings,
    /// From this day no new loan may use it. Loans made with it keep their
    /// own copy of its settings, so retiring changes none of them.
    pub retired_on: Option<NaiveDate>,
}

impl LoanProduct {
    pub fn is_retired(&self) -> bool {
        self.retired_on.is_some()
    }
}

/// Where the money lent comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum LoanSource {
    /// The group's own savings, lent internally.
    GroupFund,
    /// A bank loan to the group, on-lent to members.
    BankLinkage,
    /// The program's revolving or community investment fund held by the group.
    RevolvingFund,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum LoanStatus {
    Applied,
    Approved,
    Rejected,
    Active,
    Closed,
    WrittenOff,
}

macro_rules! kebab_text {
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
                        concat!($what, " must be one of {} (got {:?})"),
                        [$($text),+].join(", "),
                        other
                    )),
                }
            }
        }
    };
}

kebab_text!(LoanSource, "source", {
    LoanSource::GroupFund => "group-fund",
    LoanSource::BankLinkage => "bank-linkage",
    LoanSource::RevolvingFund => "revolving-fund",
});
kebab_text!(LoanStatus, "status", {
    LoanStatus::Applied => "applied",
    LoanStatus::Approved => "approved",
    LoanStatus::Rejected => "rejected",
    LoanStatus::Active => "active",
    LoanStatus::Closed => "closed",
    LoanStatus::WrittenOff => "written-off",
});

/// A loan as recorded. Its money lives in journal entries; its schedule in
/// versioned installment rows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Loan {
    pub id: LoanId,
    pub group_id: GroupId,
    pub member_id: MemberId,
    pub product_id: Option<ProductId>,
    pub source: LoanSource,
    pub purpose: String,
    pub principal: i64,
    pub settings: LoanSettings,
    pub status: LoanStatus,
    pub applied_on: NaiveDate,
    pub approved_on: Option<NaiveDate>,
    pub resolution: Option<String>,
    pub disbursed_on: Option<NaiveDate>,
    pub disbursement_entry_id: Option<EntryId>,
    pub closed_on: Option<NaiveDate>,
    pub schedule_version: i32,
}

/// The built-in program-wide products. Every database is seeded with them
/// (migration 0007 stores them as program products, with these names and
/// these settings as JSON); from then on the stored products are what groups
/// are offered, and the program admin changes them there.
pub fn templates() -> Vec<(&'static str, LoanSettings)> {
    let base = LoanSettings {
        rate: Decimal::from(24),
        rate_per: RatePer::Year,
        method: InterestMethod::Declining,
        amortization: Amortization::EqualInstallments,
        interest_period: InterestPeriod::Repayment,
        frequency: Frequency::Month,
        every: 1,
        installments: 12,
        grace_principal: 0,
        grace_interest: 0,
        interest_free: 0,
        installment_multiple: 100,
        allocation: AllocationRule::InterestFirst,
        prepayment: PrepaymentRule::ShortenTerm,
        late_fine: LateFine::None,
        late_fine_grace_days: 7,
    };
    vec![
        (
            "Business loan, 12 months, 2% a month declining",
            base.clone(),
        ),
        (
            "Petty trade loan, 26 weeks, 1% a month flat",
            LoanSettings {
                rate: Decimal::from(1),
                rate_per: RatePer::Month,
                method: InterestMethod::Flat,
                frequency: Frequency::Week,
                installments: 26,
                allocation: AllocationRule::Standard,
                late_fine: LateFine::Flat { amount: 1_000 },
                ..base.clone()
            },
        ),
        (
            "Start-up loan, 18 months, 2 months' principal grace",
            LoanSettings {
                installments: 18,
                grace_principal: 2,
                ..base
            },
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::loans::schedule::generate;

    #[test]
    fn every_template_makes_a_valid_schedule() {
        let day = NaiveDate::from_ymd_opt(2026, 1, 15).unwrap();
        for (name, settings) in templates() {
            let schedule = generate(&settings.terms(1_000_000, day, None, 2));
            assert!(schedule.is_ok(), "{name}: {schedule:?}");
        }
    }

    #[test]
    fn statuses_and_sources_round_trip_as_text() {
        for s in [
            "applied",
            "approved",
            "rejected",
            "active",
            "closed",
            "written-off",
        ] {
            assert_eq!(s.parse::<LoanStatus>().map(LoanStatus::as_str), Ok(s));
        }
        assert!("bank"
            .parse::<LoanSource>()
            .unwrap_err()
            .contains("group-fund"));
    }
}
