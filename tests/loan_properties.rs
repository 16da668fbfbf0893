//! Random loan lives through the real store (SQLite): whatever the order of
//! repayments, late fines, reschedules and overpayment attempts, the books
//! stay verified, the member's loan account equals the loan's principal
//! outstanding, and no payment is ever accepted above what can be paid.

mod common;

use chrono::{Days, NaiveDate};
use common::*;
use proptest::prelude::*;
use rust_decimal::Decimal;
use sakhi::ledger::IdempotencyKey;
use sakhi::loans::allocation::{payable, AllocationRule, LateFine, PrepaymentRule};
use sakhi::loans::product::{LoanSettings, LoanSource, LoanStatus};
use sakhi::loans::schedule::{Amortization, Frequency, InterestMethod, InterestPeriod, RatePer};
use sakhi::store::{Fund, LoanApplication, Reschedule, Store, StoreError};

#[derive(Debug, Clone)]
enum Step {
    /// Pay this per-mille share of what can be paid on the day.
    Repay(u16),
    /// Try to pay more than can be paid.
    Overpay(i64),
    Fine,
    Reschedule {
        extra: u32,
        moratorium: u32,
    },
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        6 => (1u16..=1000).prop_map(Step::Repay),
        1 => (1i64..100_000).prop_map(Step::Overpay),
        1 => Just(Step::Fine),
        1 => (0u32..3, 0u32..2).prop_map(|(extra, moratorium)| Step::Reschedule { extra, moratorium }),
    ]
}

fn settings(rule: AllocationRule, method: InterestMethod, weekly: bool) -> LoanSettings {
    LoanSettings {
        rate: Decimal::from(24),
        rate_per: RatePer::Year,
        method,
        amortization: Amortization::EqualInstallments,
        interest_period: InterestPeriod::Repayment,
        frequency: if weekly {
            Frequency::Week
        } else {
            Frequency::Month
        },
        every: 1,
        installments: 6,
        grace_principal: 0,
        grace_interest: 0,
        interest_free: 0,
        installment_multiple: 100,
        allocation: rule,
        prepayment: PrepaymentRule::ShortenTerm,
        late_fine: LateFine::Flat { amount: 2_000 },
        late_fine_grace_days: 3,
    }
}

async fn life(
    principal: i64,
    settings: LoanSettings,
    steps: Vec<(u8, Step)>,
) -> Result<(), TestCaseError> {
    let db = sqlite().await;
    let store: &dyn Store = &db.store;
    let g = lotus(store, "Property SHG").await;
    let start = NaiveDate::from_ymd_opt(2026, 1, 10).unwrap();
    let loan = store
        .apply_for_loan(&LoanApplication {
            group_id: g.setup.group.id,
            member_id: g.setup.members[0].id,
            product_id: None,
            settings: settings.clone(),
            source: LoanSource::GroupFund,
            purpose: "petty shop".into(),
            principal,
            applied_on: start,
        })
        .await
        .unwrap();
    store
        .decide_loan(loan.id, true, start, "R-1")
        .await
        .unwrap();
    store
        .disburse_loan(
            loan.id,
            start,
            None,
            Fund::Cash,
            &IdempotencyKey::new("d").unwrap(),
        )
        .await
        .unwrap();
    let mut on = start;
    for (n, (days, step)) in steps.into_iter().enumerate() {
        on = on + Days::new(u64::from(days));
        let current = store.loan(loan.id).await.unwrap();
        if current.loan.status != LoanStatus::Active {
            break;
        }
        let can_pay = payable(&current.state, on, settings.allocation);
        let key = IdempotencyKey::new(&format!("s{n}")).unwrap();
        match step {
            Step::Repay(share) => {
                let amount = (can_pay * i64::from(share) / 1000).max(1).min(can_pay);
                if amount > 0 {
                    store
                        .repay_loan(loan.id, amount, on, Fund::Cash, &key)
                        .await
                        .unwrap();
                }
            }
            Step::Overpay(extra) => {
                let refused = store
                    .repay_loan(loan.id, can_pay + extra, on, Fund::Cash, &key)
                    .await;
                prop_assert!(
                    matches!(refused, Err(StoreError::Allocation(_))),
                    "{refused:?}"
                );
            }
            Step::Fine => {
                store.charge_late_fines(loan.id, on).await.unwrap();
            }
            Step::Reschedule { extra, moratorium } => {
                let change = Reschedule {
                    on,
                    extra_periods: extra,
                    moratorium,
                    new_rate: None,
                    reason_code: "illness".into(),
                };
                // A reschedule may be refused (nothing left to reschedule);
                // it must never break the books.
                let _ = store.reschedule_loan(loan.id, &change).await;
            }
        }
        let report = store.verify().await.unwrap();
        prop_assert!(report.is_ok(), "after step {n}: {:?}", report.problems());
        let now = store.loan(loan.id).await.unwrap();
        let account = -store.balance(g.loans[0].id).await.unwrap();
        prop_assert_eq!(-account, now.state.principal_outstanding());
        prop_assert!(now.state.principal_outstanding() >= 0);
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]
    #[test]
    fn any_loan_life_keeps_the_books_verified(
        principal in 50_000i64..2_000_000,
        interest_first in any::<bool>(),
        flat in any::<bool>(),
        weekly in any::<bool>(),
        steps in prop::collection::vec((0u8..40, step()), 1..14),
    ) {
        let rule = if interest_first { AllocationRule::InterestFirst } else { AllocationRule::Standard };
        let method = if flat { InterestMethod::Flat } else { InterestMethod::Declining };
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        runtime.block_on(life(principal, settings(rule, method, weekly), steps))?;
    }
}
