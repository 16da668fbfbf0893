//! A group's own rules: how much thrift each member pays per meeting and how
//! the surplus is shared. Set by the group, kept with it, applied by the store.

use crate::savings::shareout::ShareBasis;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupRules {
    /// Compulsory thrift per meeting, in minor units; 0 while the group has
    /// not fixed one (any positive amount is then accepted).
    pub thrift_amount: i64,
    pub share_basis: ShareBasis,
    /// VSLA-style groups pay savings back at the share-out; SHGs keep them.
    pub return_savings_at_share_out: bool,
}

impl Default for GroupRules {
    fn default() -> Self {
        GroupRules {
            thrift_amount: 0,
            share_basis: ShareBasis::ProportionalToSavings,
            return_savings_at_share_out: false,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum RulesError {
    #[error("thrift amount must not be negative")]
    NegativeThrift,
    #[error("thrift must be a positive amount")]
    NotPositive,
    #[error(
        "thrift must be the group's amount of {rule} minor units per meeting, or a whole \
         number of meetings' worth (catching up); {amount} is not"
    )]
    NotAMultiple { amount: i64, rule: i64 },
}

impl GroupRules {
    pub fn check(&self) -> Result<(), RulesError> {
        if self.thrift_amount < 0 {
            return Err(RulesError::NegativeThrift);
        }
        Ok(())
    }

    /// A member pays the fixed thrift, or several meetings' worth when she
    /// catches up on missed ones; anything else is a mistake at the table.
    pub fn check_thrift(&self, amount: i64) -> Result<(), RulesError> {
        if amount <= 0 {
            return Err(RulesError::NotPositive);
        }
        if self.thrift_amount > 0 && amount % self.thrift_amount != 0 {
            return Err(RulesError::NotAMultiple {
                amount,
                rule: self.thrift_amount,
            });
        }
        Ok(())
    }

    /// Meetings' worth of thrift an amount covers (1 when no amount is fixed).
    pub fn meetings_covered(&self, amount: i64) -> i64 {
        if self.thrift_amount > 0 {
            amount / self.thrift_amount
        } else {
            1
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules(thrift: i64) -> GroupRules {
        GroupRules {
            thrift_amount: thrift,
            ..GroupRules::default()
        }
    }

    #[test]
    fn thrift_is_the_fixed_amount_or_whole_meetings_of_it() {
        let r = rules(5_000);
        assert_eq!(r.check_thrift(5_000), Ok(()));
        assert_eq!(r.check_thrift(15_000), Ok(()));
        assert_eq!(r.meetings_covered(15_000), 3);
        assert_eq!(
            r.check_thrift(7_500),
            Err(RulesError::NotAMultiple {
                amount: 7_500,
                rule: 5_000
            })
        );
        assert_eq!(r.check_thrift(0), Err(RulesError::NotPositive));
        assert_eq!(r.check_thrift(-5_000), Err(RulesError::NotPositive));
    }

    #[test]
    fn without_a_fixed_amount_any_positive_thrift_is_accepted() {
        let r = rules(0);
        assert_eq!(r.check_thrift(1), Ok(()));
        assert_eq!(r.meetings_covered(1), 1);
        assert_eq!(rules(-1).check(), Err(RulesError::NegativeThrift));
    }
}
