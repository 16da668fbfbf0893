//! Share-out: dividing a group's surplus among its members, in minor units.
//!
//! Largest-remainder method: each member first gets
//! `floor(surplus × weight / total_weight)`; the paise left over (fewer than
//! the number of members) go one each to the members with the largest
//! remainders, ties broken by larger savings, then lower member id. So the
//! shares sum exactly to the surplus, every share is the floor or the ceiling
//! of the member's exact share, and the result does not depend on the order
//! of `members`. Arithmetic is in `i128`, so no input can overflow.

use serde::{Deserialize, Serialize};
use thiserror::Error;

/// How the surplus is weighted among members.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ShareBasis {
    /// Weight = the member's savings balance.
    ProportionalToSavings,
    /// Every member weighs the same.
    Equal,
}

/// One member's share, in minor units.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Share {
    pub member_id: i64,
    pub amount: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ShareOutError {
    #[error("surplus is {0} (a loss): a loss is not shared out")]
    NegativeSurplus(i64),
    #[error("no members to share among")]
    NoMembers,
    #[error("no member has savings; use equal shares")]
    NoSavings,
    #[error("member {member_id} has negative savings {savings}")]
    NegativeSavings { member_id: i64, savings: i64 },
    #[error("member {0} is listed more than once")]
    DuplicateMember(i64),
}

/// Divides `surplus` among `members` (`(member id, savings balance)`).
///
/// Shares come back in the order of `members`. Errors: negative surplus,
/// no members, a negative savings balance, a member id listed twice, and,
/// under [`ShareBasis::ProportionalToSavings`] with a positive surplus, all
/// savings zero. A zero surplus gives everyone zero.
pub fn distribute(
    surplus: i64,
    members: &[(i64, i64)],
    basis: ShareBasis,
) -> Result<Vec<Share>, ShareOutError> {
    if surplus < 0 {
        return Err(ShareOutError::NegativeSurplus(surplus));
    }
    if members.is_empty() {
        return Err(ShareOutError::NoMembers);
    }
    if let Some(&(member_id, savings)) = members.iter().find(|m| m.1 < 0) {
        return Err(ShareOutError::NegativeSavings { member_id, savings });
    }
    let mut ids: Vec<i64> = members.iter().map(|m| m.0).collect();
    ids.sort_unstable();
    if let Some(w) = ids.windows(2).find(|w| w[0] == w[1]) {
        return Err(ShareOutError::DuplicateMember(w[0]));
    }
    if surplus == 0 {
        return Ok(members
            .iter()
            .map(|&(member_id, _)| Share {
                member_id,
                amount: 0,
            })
            .collect());
    }

    let weight = |savings: i64| -> i128 {
        match basis {
            ShareBasis::ProportionalToSavings => i128::from(savings),
            ShareBasis::Equal => 1,
        }
    };
    let total_weight: i128 = members.iter().map(|m| weight(m.1)).sum();
    if total_weight == 0 {
        return Err(ShareOutError::NoSavings);
    }

    let surplus_wide = i128::from(surplus);
    // (floor share, remainder numerator over total_weight) per member.
    let mut split: Vec<(i128, i128)> = members
        .iter()
        .map(|m| {
            let exact = surplus_wide * weight(m.1);
            (exact / total_weight, exact % total_weight)
        })
        .collect();
    let handed_out: i128 = split.iter().map(|s| s.0).sum();
    let left_over = usize::try_from(surplus_wide - handed_out).unwrap_or(0);

    let mut order: Vec<usize> = (0..members.len()).collect();
    order.sort_unstable_by(|&a, &b| {
        split[b]
            .1
            .cmp(&split[a].1)
            .then(members[b].1.cmp(&members[a].1))
            .then(members[a].0.cmp(&members[b].0))
    });
    for &i in order.iter().take(left_over) {
        split[i].0 += 1;
    }

    Ok(members
        .iter()
        .zip(split)
        .map(|(&(member_id, _), (amount, _))| Share {
            member_id,
            // 0 <= amount <= surplus, so this always fits.
            amount: i64::try_from(amount).unwrap_or(i64::MAX),
        })
        .collect())
}

/// Surplus available to share: `interest + fines + other_income - expenses
/// - write_offs`. Negative means a loss (which [`distribute`] refuses).
/// Saturates at the `i64` range instead of overflowing.
pub fn distributable_surplus(
    interest: i64,
    fines: i64,
    other_income: i64,
    expenses: i64,
    write_offs: i64,
) -> i64 {
    let s = i128::from(interest) + i128::from(fines) + i128::from(other_income)
        - i128::from(expenses)
        - i128::from(write_offs);
    i64::try_from(s).unwrap_or(if s < 0 { i64::MIN } else { i64::MAX })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn amounts(shares: &[Share]) -> Vec<(i64, i64)> {
        shares.iter().map(|s| (s.member_id, s.amount)).collect()
    }

    #[test]
    fn proportional_rupees_1000_01_among_100_200_300() {
        // Surplus ₹1,000.01 = 100,001 paise; savings ₹100/200/300 =
        // 10,000/20,000/30,000 paise, total 60,000.
        // Exact shares: 100,001 × 1/6 = 16,666.833…; × 2/6 = 33,333.666…;
        // × 3/6 = 50,000.5.
        // Floors 16,666 + 33,333 + 50,000 = 99,999 -> 2 paise left over.
        // Remainders (over 60,000): 50,000 (0.833), 40,000 (0.667), 30,000 (0.5)
        // -> members 1 and 2 get one paisa each.
        let shares = distribute(
            100_001,
            &[(1, 10_000), (2, 20_000), (3, 30_000)],
            ShareBasis::ProportionalToSavings,
        )
        .expect("valid");
        assert_eq!(
            amounts(&shares),
            vec![(1, 16_667), (2, 33_334), (3, 50_000)]
        );
    }

    #[test]
    fn equal_100_paise_among_3() {
        // Floors 33 each = 99 -> 1 paisa left; all remainders equal (1/3).
        // Tie: larger savings (members 3 and 1 have 500), then lower id -> 1.
        let shares =
            distribute(100, &[(3, 500), (1, 500), (2, 100)], ShareBasis::Equal).expect("valid");
        assert_eq!(amounts(&shares), vec![(3, 33), (1, 34), (2, 33)]);
    }

    #[test]
    fn ties_by_lower_id_and_order_independent() {
        let a =
            distribute(1, &[(5, 100), (4, 100)], ShareBasis::ProportionalToSavings).expect("valid");
        assert_eq!(amounts(&a), vec![(5, 0), (4, 1)]);
        let b =
            distribute(1, &[(4, 100), (5, 100)], ShareBasis::ProportionalToSavings).expect("valid");
        assert_eq!(amounts(&b), vec![(4, 1), (5, 0)]);
    }

    #[test]
    fn zero_savings_member_gets_nothing_proportionally() {
        let s = distribute(
            10,
            &[(1, 0), (2, 3), (3, 0)],
            ShareBasis::ProportionalToSavings,
        )
        .expect("valid");
        assert_eq!(amounts(&s), vec![(1, 0), (2, 10), (3, 0)]);
    }

    #[test]
    fn errors_and_zero_surplus() {
        use ShareOutError::*;
        let p = ShareBasis::ProportionalToSavings;
        assert_eq!(distribute(-1, &[(1, 5)], p), Err(NegativeSurplus(-1)));
        assert_eq!(distribute(10, &[], p), Err(NoMembers));
        assert_eq!(distribute(10, &[(1, 0), (2, 0)], p), Err(NoSavings));
        assert_eq!(
            NoSavings.to_string(),
            "no member has savings; use equal shares"
        );
        assert_eq!(
            distribute(10, &[(1, 5), (2, -3)], p),
            Err(NegativeSavings {
                member_id: 2,
                savings: -3
            })
        );
        assert_eq!(
            distribute(10, &[(1, 5), (1, 3)], p),
            Err(DuplicateMember(1))
        );
        assert_eq!(
            distribute(10, &[(1, 0), (2, 0)], ShareBasis::Equal).map(|s| amounts(&s)),
            Ok(vec![(1, 5), (2, 5)])
        );
        let zero = distribute(0, &[(1, 0), (2, 7)], p).expect("zero surplus is fine");
        assert_eq!(amounts(&zero), vec![(1, 0), (2, 0)]);
    }

    #[test]
    fn no_overflow_at_extremes() {
        let s = distribute(
            i64::MAX,
            &[(1, i64::MAX), (2, i64::MAX), (3, 1)],
            ShareBasis::ProportionalToSavings,
        )
        .expect("valid");
        assert_eq!(
            s.iter().map(|x| i128::from(x.amount)).sum::<i128>(),
            i128::from(i64::MAX)
        );
    }

    #[test]
    fn surplus_arithmetic() {
        assert_eq!(
            distributable_surplus(50_000, 2_000, 1_000, 3_000, 10_000),
            40_000
        );
        assert_eq!(distributable_surplus(100, 0, 0, 300, 0), -200);
        assert_eq!(distributable_surplus(i64::MAX, 1, 0, 0, 0), i64::MAX);
        assert_eq!(distributable_surplus(0, 0, 0, i64::MAX, 2), i64::MIN);
    }

    proptest! {
        #[test]
        fn shares_sum_and_stay_within_floor_ceil(
            surplus in 0i64..=1_000_000_000_000,
            members in prop::collection::vec(0i64..=10_000_000, 1..20),
            equal in any::<bool>(),
        ) {
            let members: Vec<(i64, i64)> =
                members.into_iter().enumerate().map(|(i, s)| (i as i64 * 7 - 30, s)).collect();
            let basis = if equal { ShareBasis::Equal } else { ShareBasis::ProportionalToSavings };
            let total_w: i128 = members
                .iter()
                .map(|m| if equal { 1 } else { i128::from(m.1) })
                .sum();
            let result = distribute(surplus, &members, basis);
            if total_w == 0 && surplus > 0 {
                prop_assert_eq!(result, Err(ShareOutError::NoSavings));
                return Ok(());
            }
            let shares = result.expect("valid input");
            prop_assert_eq!(shares.len(), members.len());
            prop_assert_eq!(shares.iter().map(|s| s.amount).sum::<i64>(), surplus);
            for (s, m) in shares.iter().zip(&members) {
                prop_assert_eq!(s.member_id, m.0);
                if total_w == 0 {
                    prop_assert_eq!(s.amount, 0);
                    continue;
                }
                let w = if equal { 1 } else { i128::from(m.1) };
                let exact = i128::from(surplus) * w;
                let floor = exact / total_w;
                let ceil = floor + i128::from(exact % total_w != 0);
                let a = i128::from(s.amount);
                prop_assert!(floor <= a && a <= ceil, "{} not in [{}, {}]", a, floor, ceil);
            }
            // Order of members does not change anyone's share.
            let mut reversed = members.clone();
            reversed.reverse();
            let mut again = distribute(surplus, &reversed, basis).expect("valid input");
            again.reverse();
            prop_assert_eq!(again, shares);
        }
    }
}
