//! A loan's life on both backends: application, approval, disbursement,
//! repayments allocated by rule, a late fine, a reschedule, a write-off and a
//! recovery, with the books checked at the end.

mod common;

use chrono::NaiveDate;
use common::*;
use rust_decimal::Decimal;
use sakhi::ledger::{chart, IdempotencyKey};
use sakhi::loans::allocation::{AllocationError, AllocationRule, LateFine, PrepaymentRule};
use sakhi::loans::portfolio;
use sakhi::loans::product::{LoanSettings, LoanSource, LoanStatus};
use sakhi::loans::schedule::{Amortization, Frequency, InterestMethod, InterestPeriod, RatePer};
use sakhi::loans::state::Component;
use sakhi::store::{Fund, LoanApplication, Reschedule, Store, StoreError};
use std::sync::Arc;

fn date(m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, m, d).unwrap()
}

fn key(k: &str) -> IdempotencyKey {
    IdempotencyKey::new(k).unwrap()
}

/// 12% a year declining, 3 monthly installments, paisa rounding, standard
/// allocation, ₹50 late fine after 5 days.
fn settings() -> LoanSettings {
    LoanSettings {
        rate: Decimal::from(12),
        rate_per: RatePer::Year,
        method: InterestMethod::Declining,
        amortization: Amortization::EqualInstallments,
        interest_period: InterestPeriod::Repayment,
        frequency: Frequency::Month,
        every: 1,
        installments: 3,
        grace_principal: 0,
        grace_interest: 0,
        interest_free: 0,
        installment_multiple: 1,
        allocation: AllocationRule::Standard,
        prepayment: PrepaymentRule::ShortenTerm,
        late_fine: LateFine::Flat { amount: 5_000 },
        late_fine_grace_days: 5,
    }
}

fn application(g: &Lotus, member: usize, principal: i64, on: NaiveDate) -> LoanApplication {
    LoanApplication {
        group_id: g.setup.group.id,
        member_id: g.setup.members[member].id,
        product_id: None,
        settings: settings(),
        source: LoanSource::GroupFund,
        purpose: "tailoring machine".into(),
        principal,
        applied_on: on,
    }
}

async fn active_loan(store: &dyn Store, g: &Lotus, member: usize, principal: i64, k: &str) -> i64 {
    let loan = store
        .apply_for_loan(&application(g, member, principal, date(1, 5)))
        .await
        .unwrap();
    store
        .decide_loan(loan.id, true, date(1, 8), "R-2026-04")
        .await
        .unwrap();
    store
        .disburse_loan(loan.id, date(1, 10), None, Fund::Cash, &key(k))
        .await
        .unwrap();
    loan.id
}

#[tokio::test]
async fn a_loans_life_on_sqlite() {
    let db = sqlite().await;
    story(&db.store).await;
}

#[tokio::test]
async fn a_loans_life_on_postgres() {
    let Some(db) = postgres().await else { return };
    story(&db.store).await;
}

#[tokio::test]
async fn concurrent_repayments_never_exceed_what_is_owed_on_sqlite() {
    let db = sqlite().await;
    contention(Arc::new(db.store)).await;
}

#[tokio::test]
async fn concurrent_repayments_never_exceed_what_is_owed_on_postgres() {
    let Some(db) = postgres().await else { return };
    contention(Arc::new(db.store)).await;
    drop(db.cluster);
}

async fn story(store: &dyn Store) {
    let g = lotus(store, "Lotus SHG").await;
    let member_loan = |i: usize| g.loans[i].id;

    // Products: the program's built-in ones (stored by the migration), then
    // the group's own.
    let product = store
        .create_product(Some(g.setup.group.id), "Machine loan", &settings())
        .await
        .unwrap();
    let offered = store.products(g.setup.group.id).await.unwrap();
    let builtin = sakhi::loans::product::templates().len();
    assert_eq!(offered.len(), builtin + 1);
    assert!(offered[..builtin].iter().all(|p| p.group_id.is_none()));
    assert_eq!(offered[builtin], product);
    let mut broken = settings();
    broken.installments = 0;
    assert!(matches!(
        store.create_product(None, "Broken", &broken).await,
        Err(StoreError::Schedule(_))
    ));

    // Application → approval → disbursement.
    let loan = store
        .apply_for_loan(&application(&g, 0, 300_000, date(1, 5)))
        .await
        .unwrap();
    assert_eq!(loan.status, LoanStatus::Applied);
    assert!(matches!(
        store
            .disburse_loan(loan.id, date(1, 10), None, Fund::Cash, &key("early"))
            .await,
        Err(StoreError::LoanState(_))
    ));
    let approved = store
        .decide_loan(loan.id, true, date(1, 8), "R-2026-04")
        .await
        .unwrap();
    assert_eq!(approved.resolution.as_deref(), Some("R-2026-04"));
    let out = store
        .disburse_loan(
            loan.id,
            date(1, 10),
            None,
            Fund::Cash,
            &key("loan1/disburse"),
        )
        .await
        .unwrap();
    assert_eq!(out.loan.status, LoanStatus::Active);
    let again = store
        .disburse_loan(
            loan.id,
            date(1, 10),
            None,
            Fund::Cash,
            &key("loan1/disburse"),
        )
        .await
        .unwrap();
    assert!(again.replayed && again.entry_id == out.entry_id);
    assert_eq!(store.balance(member_loan(0)).await.unwrap(), 300_000);
    assert_eq!(store.balance(g.cash.id).await.unwrap(), -300_000);

    // The schedule (hand-checked): EMI 1,020.07; interest 30.00, 20.10, 10.10.
    let state = store.loan(loan.id).await.unwrap().state;
    let rows: Vec<(NaiveDate, i64, i64)> = state
        .installments
        .iter()
        .map(|i| (i.due_date, i.due.principal, i.due.interest))
        .collect();
    assert_eq!(
        rows,
        [
            (date(2, 10), 99_007, 3_000),
            (date(3, 10), 99_997, 2_010),
            (date(4, 10), 100_996, 1_010)
        ]
    );

    // More than is owed is refused and posts nothing.
    assert!(matches!(
        store
            .repay_loan(loan.id, 400_000, date(2, 10), Fund::Cash, &key("too-much"))
            .await,
        Err(StoreError::Allocation(AllocationError::Overpayment {
            outstanding: 306_020
        }))
    ));
    assert_eq!(store.balance(member_loan(0)).await.unwrap(), 300_000);

    // On time: interest first within the installment, then principal.
    let paid = store
        .repay_loan(
            loan.id,
            102_007,
            date(2, 10),
            Fund::Cash,
            &key("loan1/pay1"),
        )
        .await
        .unwrap();
    let split: Vec<(u32, Component, i64)> = paid
        .allocation
        .iter()
        .map(|l| (l.installment, l.component, l.amount))
        .collect();
    assert_eq!(
        split,
        [
            (1, Component::Interest, 3_000),
            (1, Component::Principal, 99_007)
        ]
    );
    assert_eq!(store.balance(member_loan(0)).await.unwrap(), 200_993);
    assert_eq!(store.balance(g.interest.id).await.unwrap(), -3_000);
    // A replay returns the same split; the same key for another amount conflicts.
    let replay = store
        .repay_loan(
            loan.id,
            102_007,
            date(2, 10),
            Fund::Cash,
            &key("loan1/pay1"),
        )
        .await
        .unwrap();
    assert!(replay.replayed);
    assert_eq!(replay.allocation.len(), 2);
    assert!(matches!(
        store
            .repay_loan(loan.id, 500, date(2, 10), Fund::Cash, &key("loan1/pay1"))
            .await,
        Err(StoreError::IdempotencyConflict { .. })
    ));

    // Ten days late on installment 2: a ₹50 fine, charged once.
    assert_eq!(
        store.charge_late_fines(loan.id, date(3, 12)).await.unwrap(),
        0,
        "within grace"
    );
    assert_eq!(
        store.charge_late_fines(loan.id, date(3, 20)).await.unwrap(),
        5_000
    );
    assert_eq!(
        store.charge_late_fines(loan.id, date(3, 20)).await.unwrap(),
        0
    );
    let state = store.loan(loan.id).await.unwrap().state;
    let arrears = portfolio::arrears(&state, date(3, 20));
    assert_eq!(arrears.days_past_due, 10);
    assert_eq!(arrears.overdue.penalty, 5_000);
    assert_eq!(arrears.overdue.interest, 2_010);
    assert_eq!(arrears.overdue.principal, 99_997);

    // A partial payment pays the fine, then interest, then principal.
    let partial = store
        .repay_loan(loan.id, 50_000, date(3, 20), Fund::Cash, &key("loan1/pay2"))
        .await
        .unwrap();
    let split: Vec<(Component, i64)> = partial
        .allocation
        .iter()
        .map(|l| (l.component, l.amount))
        .collect();
    assert_eq!(
        split,
        [
            (Component::Penalty, 5_000),
            (Component::Interest, 2_010),
            (Component::Principal, 42_990)
        ]
    );
    assert_eq!(store.balance(g.fines.id).await.unwrap(), -5_000);
    let all = store.loans(Some(g.setup.group.id)).await.unwrap();
    let par = portfolio::par(all.iter().map(|l| &l.state), date(3, 20));
    assert_eq!(par.principal_outstanding, 300_000 - 99_007 - 42_990);
    assert_eq!(par.at_risk_1, par.principal_outstanding);
    assert_eq!(par.at_risk_30, 0);

    // Rescheduled over three new months; the old schedule stays in history.
    let bad_reason = Reschedule {
        on: date(3, 25),
        extra_periods: 2,
        moratorium: 0,
        new_rate: None,
        reason_code: "she relapsed".into(),
    };
    assert!(matches!(
        store.reschedule_loan(loan.id, &bad_reason).await,
        Err(StoreError::Invalid(_))
    ));
    let rescheduled = store
        .reschedule_loan(
            loan.id,
            &Reschedule {
                reason_code: "business-loss".into(),
                ..bad_reason
            },
        )
        .await
        .unwrap();
    assert_eq!(rescheduled.schedule_version, 2);
    let state = store.loan(loan.id).await.unwrap().state;
    assert_eq!(state.installments.len(), 3);
    assert_eq!(state.installments[0].due_date, date(4, 25));
    // Principal 1,580.03 at 1% a month: the first new installment's interest
    // is 15.80 (installment 2's interest and fine were paid, so nothing is carried).
    assert_eq!(state.principal_outstanding(), 158_003);
    assert_eq!(state.installments[0].due.interest, 1_580);
    assert!(store.verify().await.unwrap().is_ok());

    // Paying off everything closes the loan.
    let owed = state.outstanding_total();
    let closing = store
        .repay_loan(loan.id, owed, date(4, 1), Fund::Cash, &key("loan1/close"))
        .await
        .unwrap();
    assert_eq!(closing.loan.status, LoanStatus::Closed);
    assert_eq!(store.balance(member_loan(0)).await.unwrap(), 0);

    // A second loan is written off, then partly recovered.
    let second = active_loan(store, &g, 1, 100_000, "loan2/disburse").await;
    let off = store
        .write_off_loan(second, date(6, 1), "R-2026-11", &key("loan2/write-off"))
        .await
        .unwrap();
    assert_eq!(off.loan.status, LoanStatus::WrittenOff);
    assert_eq!(store.balance(member_loan(1)).await.unwrap(), 0);
    let write_offs = store
        .account_by_code(g.book.id, chart::shg::WRITE_OFFS)
        .await
        .unwrap();
    assert_eq!(store.balance(write_offs.id).await.unwrap(), 100_000);
    assert!(matches!(
        store
            .repay_loan(second, 1_000, date(6, 2), Fund::Cash, &key("late"))
            .await,
        Err(StoreError::LoanState(_))
    ));
    store
        .recover_loan(
            second,
            30_000,
            date(7, 1),
            Fund::Cash,
            &key("loan2/recover1"),
        )
        .await
        .unwrap();
    assert!(matches!(
        store
            .recover_loan(
                second,
                80_000,
                date(7, 2),
                Fund::Cash,
                &key("loan2/recover2")
            )
            .await,
        Err(StoreError::Invalid(_))
    ));
    let recoveries = store
        .account_by_code(g.book.id, chart::shg::RECOVERIES)
        .await
        .unwrap();
    assert_eq!(store.balance(recoveries.id).await.unwrap(), -30_000);

    // A rejected application can never be paid out.
    let third = store
        .apply_for_loan(&application(&g, 2, 50_000, date(2, 1)))
        .await
        .unwrap();
    store
        .decide_loan(third.id, false, date(2, 3), "R-2026-07")
        .await
        .unwrap();
    assert!(matches!(
        store
            .disburse_loan(third.id, date(2, 4), None, Fund::Cash, &key("loan3"))
            .await,
        Err(StoreError::LoanState(_))
    ));

    let statuses: Vec<LoanStatus> = store
        .loans(Some(g.setup.group.id))
        .await
        .unwrap()
        .iter()
        .map(|l| l.loan.status)
        .collect();
    assert_eq!(
        statuses,
        [
            LoanStatus::Closed,
            LoanStatus::WrittenOff,
            LoanStatus::Rejected
        ]
    );
    let report = store.verify().await.unwrap();
    assert!(report.is_ok(), "{report}");
    assert!(store
        .trial_balance(g.book.id, None)
        .await
        .unwrap()
        .is_balanced());
}

async fn contention(store: Arc<dyn Store>) {
    let g = lotus(store.as_ref(), "Busy SHG").await;
    let loan = active_loan(store.as_ref(), &g, 0, 60_000, "busy/disburse").await;
    let owed = store.loan(loan).await.unwrap().state.outstanding_total();
    let mut tasks = Vec::new();
    for i in 0..30 {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            store
                .repay_loan(
                    loan,
                    5_000,
                    date(2, 10),
                    Fund::Cash,
                    &key(&format!("busy/{i}")),
                )
                .await
        }));
    }
    let mut accepted = 0;
    for t in tasks {
        match t.await.unwrap() {
            Ok(op) => accepted += op.allocation.iter().map(|l| l.amount).sum::<i64>(),
            Err(StoreError::Allocation(AllocationError::Overpayment { .. }))
            | Err(StoreError::LoanState(_)) => {}
            Err(e) => panic!("unexpected refusal: {e}"),
        }
    }
    assert!(accepted <= owed, "accepted {accepted} of {owed}");
    assert_eq!(accepted, owed / 5_000 * 5_000);
    let cash = store.balance(g.cash.id).await.unwrap();
    assert_eq!(cash, -60_000 + accepted);
    assert!(store.verify().await.unwrap().is_ok());
}

#[tokio::test]
async fn late_fines_for_many_loans_at_once_on_sqlite() {
    let db = sqlite().await;
    fines_for_many(&db.store).await;
}

#[tokio::test]
async fn late_fines_for_many_loans_at_once_on_postgres() {
    let Some(db) = postgres().await else { return };
    fines_for_many(&db.store).await;
}

/// Installments fall due on the 10th of February, March and April; the
/// fine is ₹50 an installment more than 5 days late, charged once.
async fn fines_for_many(store: &dyn Store) {
    let g = lotus(store, "Fines SHG").await;
    let a = active_loan(store, &g, 0, 300_000, "a").await;
    let b = active_loan(store, &g, 1, 300_000, "b").await;
    let pending = store
        .apply_for_loan(&application(&g, 2, 50_000, date(1, 5)))
        .await
        .unwrap()
        .id;
    let penalties = |id| async move {
        let state = store.loan(id).await.unwrap().state;
        state
            .installments
            .iter()
            .map(|i| i.due.penalty)
            .sum::<i64>()
    };

    // A is 2 days late (within grace), B 10 days: only B is fined.
    assert_eq!(
        store
            .charge_late_fines_on(&[(a, date(2, 12)), (b, date(2, 20))])
            .await
            .unwrap(),
        [0, 5_000]
    );
    // On 20 March A is late on two installments, B on one more; A given
    // twice is fined once.
    assert_eq!(
        store
            .charge_late_fines_on(&[(a, date(3, 20)), (b, date(3, 20)), (a, date(3, 20))])
            .await
            .unwrap(),
        [10_000, 5_000, 0]
    );
    // A loan not paid out refuses the whole batch: A is not fined either.
    assert!(matches!(
        store
            .charge_late_fines_on(&[(a, date(4, 20)), (pending, date(4, 20))])
            .await,
        Err(StoreError::LoanState(_))
    ));
    assert_eq!(penalties(a).await, 10_000);
    assert_eq!(
        store.charge_late_fines(a, date(4, 20)).await.unwrap(),
        5_000
    );
    assert_eq!(penalties(a).await, 15_000);
    assert_eq!(penalties(b).await, 10_000);
    assert!(store.charge_late_fines_on(&[]).await.unwrap().is_empty());
    assert!(store.verify().await.unwrap().is_ok());
}
