//! Narrow reads on both backends: a member's loans and a group's open loans
//! are exactly what the whole group's read holds for them, and an account's
//! latest lines are the end of its history.

mod common;

use chrono::NaiveDate;
use common::*;
use sakhi::ledger::{AccountId, IdempotencyKey};
use sakhi::loans::product::{LoanSettings, LoanSource, LoanStatus};
use sakhi::loans::schedule::Frequency;
use sakhi::store::{Fund, LoanApplication, LoanScope, LoanWithState, Store, StoreError};

fn date(m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, m, d).unwrap()
}

fn key(k: &str) -> IdempotencyKey {
    IdempotencyKey::new(k).unwrap()
}

/// A program product, made three monthly installments.
fn settings() -> LoanSettings {
    let (_, settings) = sakhi::loans::product::templates()
        .into_iter()
        .next()
        .unwrap();
    LoanSettings {
        frequency: Frequency::Month,
        installments: 3,
        ..settings
    }
}

async fn apply(store: &dyn Store, g: &Lotus, member: usize, principal: i64) -> i64 {
    store
        .apply_for_loan(&LoanApplication {
            group_id: g.setup.group.id,
            member_id: g.setup.members[member].id,
            product_id: None,
            settings: settings(),
            source: LoanSource::GroupFund,
            purpose: "vegetable stall".into(),
            principal,
            applied_on: date(1, 5),
        })
        .await
        .unwrap()
        .id
}

async fn active(store: &dyn Store, g: &Lotus, member: usize, principal: i64, k: &str) -> i64 {
    let id = apply(store, g, member, principal).await;
    store
        .decide_loan(id, true, date(1, 8), "R-2026-01")
        .await
        .unwrap();
    store
        .disburse_loan(id, date(1, 10), None, Fund::Cash, &key(k))
        .await
        .unwrap();
    id
}

fn ids(loans: &[LoanWithState]) -> Vec<i64> {
    loans.iter().map(|l| l.loan.id).collect()
}

#[tokio::test]
async fn loan_scopes_on_sqlite() {
    let db = sqlite().await;
    loan_scopes(&db.store).await;
}

#[tokio::test]
async fn loan_scopes_on_postgres() {
    let Some(db) = postgres().await else { return };
    loan_scopes(&db.store).await;
}

#[tokio::test]
async fn latest_lines_on_sqlite() {
    let db = sqlite().await;
    latest_lines(&db.store).await;
}

#[tokio::test]
async fn latest_lines_on_postgres() {
    let Some(db) = postgres().await else { return };
    latest_lines(&db.store).await;
}

async fn loan_scopes(store: &dyn Store) {
    let lotus = lotus(store, "Lotus SHG").await;
    let iris = common::lotus(store, "Iris SHG").await;
    store
        .post_all(&[
            thrift(&lotus, 0, 50_000, date(1, 2), "seed-lotus"),
            thrift(&iris, 0, 50_000, date(1, 2), "seed-iris"),
        ])
        .await
        .unwrap();

    // Her loans in Lotus: one running and part repaid, one repaid in full,
    // one rejected, one only applied for; another member's running loan
    // and one written off; and a loan in Iris.
    let running = active(store, &lotus, 0, 1_000_000, "d-running").await;
    store
        .repay_loan(running, 150_000, date(2, 10), Fund::Cash, &key("r-1"))
        .await
        .unwrap();
    let repaid = active(store, &lotus, 0, 500_000, "d-repaid").await;
    // Everything, once every installment is due.
    let owed = store.loan(repaid).await.unwrap().state.outstanding_total();
    let closed = store
        .repay_loan(repaid, owed, date(5, 1), Fund::Cash, &key("r-2"))
        .await
        .unwrap();
    assert_eq!(closed.loan.status, LoanStatus::Closed);
    let rejected = apply(store, &lotus, 0, 200_000).await;
    store
        .decide_loan(rejected, false, date(1, 8), "R-2026-02")
        .await
        .unwrap();
    let applied = apply(store, &lotus, 0, 300_000).await;
    let other = active(store, &lotus, 1, 400_000, "d-other").await;
    let written_off = active(store, &lotus, 2, 200_000, "d-written-off").await;
    store
        .write_off_loan(written_off, date(3, 1), "R-2026-03", &key("w-1"))
        .await
        .unwrap();
    let elsewhere = active(store, &iris, 0, 600_000, "d-iris").await;

    let her = lotus.setup.members[0].id;
    let whole = store.loans(Some(lotus.setup.group.id)).await.unwrap();
    let of = |pick: &dyn Fn(&LoanWithState) -> bool| -> Vec<LoanWithState> {
        whole.iter().filter(|l| pick(l)).cloned().collect()
    };

    // Her loans: what the group's read holds for her, states and all.
    let mine = store.loans_in(&LoanScope::member(her)).await.unwrap();
    assert_eq!(ids(&mine), vec![running, repaid, rejected, applied]);
    assert_eq!(mine, of(&|l| l.loan.member_id == her));
    let part_repaid = &mine[0];
    assert_eq!(part_repaid.state, store.loan(running).await.unwrap().state);
    assert!(part_repaid.state.outstanding_total() > 0);
    assert_eq!(part_repaid.state.payments.len(), 1);

    // Open ones leave out closed and rejected loans, nothing else.
    let open =
        |l: &LoanWithState| !matches!(l.loan.status, LoanStatus::Closed | LoanStatus::Rejected);
    let mine_open = store
        .loans_in(&LoanScope::member(her).open_only())
        .await
        .unwrap();
    assert_eq!(ids(&mine_open), vec![running, applied]);
    assert_eq!(mine_open, of(&|l| l.loan.member_id == her && open(l)));
    let group_open = store
        .loans_in(&LoanScope::group(lotus.setup.group.id).open_only())
        .await
        .unwrap();
    assert_eq!(ids(&group_open), vec![running, applied, other, written_off]);
    assert_eq!(group_open, of(&open));
    assert_eq!(group_open[3].loan.status, LoanStatus::WrittenOff);

    // Scopes combine; the whole group and everything read as before.
    assert_eq!(
        store
            .loans_in(&LoanScope::group(lotus.setup.group.id))
            .await
            .unwrap(),
        whole
    );
    assert_eq!(
        store.loans_in(&LoanScope::default()).await.unwrap(),
        store.loans(None).await.unwrap()
    );
    let iris_and_her = LoanScope {
        groups: Some(vec![iris.setup.group.id]),
        loans: None,
        member_id: Some(her),
        statuses: None,
    };
    assert!(store.loans_in(&iris_and_her).await.unwrap().is_empty());
    let hers_in_iris = LoanScope {
        member_id: Some(iris.setup.members[0].id),
        ..iris_and_her.clone()
    };
    assert_eq!(
        ids(&store.loans_in(&hers_in_iris).await.unwrap()),
        vec![elsewhere]
    );
    assert!(store
        .loans_in(&LoanScope::member(999_999))
        .await
        .unwrap()
        .is_empty());

    // Several groups in one read; loans picked by id; states picked.
    let both = store
        .loans_in(&LoanScope::groups(vec![
            lotus.setup.group.id,
            iris.setup.group.id,
        ]))
        .await
        .unwrap();
    let mut expected = whole.clone();
    expected.extend(store.loans(Some(iris.setup.group.id)).await.unwrap());
    expected.sort_by_key(|l| l.loan.id);
    assert_eq!(both, expected);
    assert!(store
        .loans_in(&LoanScope::groups(Vec::new()))
        .await
        .unwrap()
        .is_empty());
    let picked = store
        .loans_in(&LoanScope::loans(vec![elsewhere, running]))
        .await
        .unwrap();
    assert_eq!(ids(&picked), vec![running, elsewhere]);
    assert_eq!(picked[0], mine[0]);
    let in_hand = store
        .loans_in(
            &LoanScope::group(lotus.setup.group.id)
                .in_states(&[LoanStatus::Applied, LoanStatus::Active]),
        )
        .await
        .unwrap();
    assert_eq!(ids(&in_hand), vec![running, applied, other]);

    // The portfolio on a day is what `loans_as_of` says was active then:
    // before the write-off (1 March) and the repayment in full (1 May),
    // on those days, and after; states and all.
    for day in [date(2, 15), date(3, 1), date(4, 30), date(5, 1), date(6, 1)] {
        for group in [Some(lotus.setup.group.id), None] {
            let active_then: Vec<LoanWithState> = store
                .loans_as_of(group, day)
                .await
                .unwrap()
                .into_iter()
                .filter(|l| l.loan.status == LoanStatus::Active)
                .collect();
            assert_eq!(
                store.portfolio_as_of(group, day).await.unwrap(),
                active_then,
                "{day} {group:?}"
            );
        }
    }
    let before_write_off = store
        .portfolio_as_of(Some(lotus.setup.group.id), date(2, 15))
        .await
        .unwrap();
    assert_eq!(
        ids(&before_write_off),
        vec![running, repaid, other, written_off]
    );
    let after = store
        .portfolio_as_of(Some(lotus.setup.group.id), date(6, 1))
        .await
        .unwrap();
    assert_eq!(ids(&after), vec![running, other]);
}

async fn latest_lines(store: &dyn Store) {
    let g = lotus(store, "Lotus SHG").await;
    let entries: Vec<_> = (1..=7)
        .map(|d| thrift(&g, 0, 100 * i64::from(d), date(1, d), &format!("t{d}")))
        .chain([thrift(&g, 1, 40, date(1, 3), "other")])
        .collect();
    store.post_all(&entries).await.unwrap();
    let (hers, other, none) = (g.savings[0].id, g.savings[1].id, g.savings[2].id);

    // Newest first, running balances as her history has them.
    let history = store.history(hers, 1, 50).await.unwrap().lines;
    let lines = store.latest_lines(&[hers], 3).await.unwrap();
    let expected: Vec<_> = history.iter().rev().take(3).cloned().collect();
    assert_eq!(
        lines,
        expected.into_iter().map(|l| (hers, l)).collect::<Vec<_>>()
    );
    assert_eq!(lines[0].1.running_balance, -280_000); // ₹2,800 saved
    assert_eq!(lines[2].1.running_balance, -150_000);

    // Several accounts in the order given, each once; an account without
    // lines has none.
    let both = store
        .latest_lines(&[other, hers, none, other], 10)
        .await
        .unwrap();
    let accounts: Vec<AccountId> = both.iter().map(|(a, _)| *a).collect();
    assert_eq!(accounts, [vec![other], vec![hers; 7]].concat());
    assert_eq!(both[0].1.amount, -4_000);
    assert_eq!(both[0].1.running_balance, -4_000);
    assert_eq!(both[7].1.running_balance, -10_000);
    assert!(store.latest_lines(&[], 10).await.unwrap().is_empty());
    assert!(matches!(
        store.latest_lines(&[hers], 0).await,
        Err(StoreError::Invalid(_))
    ));
}
