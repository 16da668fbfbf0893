//! Savings on both backends: thrift, voluntary savings and withdrawals, the
//! social fund, fines and expenses, then a share-out that places every paisa.

mod common;

use chrono::NaiveDate;
use common::*;
use sakhi::ledger::{chart, Account, IdempotencyKey};
use sakhi::savings::shareout::ShareBasis;
use sakhi::savings::{self, MemberSavings, SavingsError, ShareOutTerms};
use sakhi::store::{Store, StoreError};

fn on() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 12, 20).unwrap()
}

fn key(k: &str) -> IdempotencyKey {
    IdempotencyKey::new(k).unwrap()
}

#[tokio::test]
async fn savings_and_share_out_on_sqlite() {
    let db = sqlite().await;
    story(&db.store).await;
}

#[tokio::test]
async fn savings_and_share_out_on_postgres() {
    let Some(db) = postgres().await else { return };
    story(&db.store).await;
}

async fn account(store: &dyn Store, g: &Lotus, code: &str) -> Account {
    store.account_by_code(g.book.id, code).await.unwrap()
}

async fn story(store: &dyn Store) {
    let g = lotus(store, "Lotus SHG").await;
    let b = &g.book;
    let social = account(store, &g, chart::shg::SOCIAL_FUND).await;
    let expenses = account(store, &g, chart::shg::EXPENSES).await;

    // Thrift of ₹100, ₹200, ₹300.
    for (i, rupees) in [100, 200, 300].into_iter().enumerate() {
        let e = savings::deposit(
            b,
            &g.cash,
            &g.savings[i],
            rupees * 100,
            on(),
            &key(&format!("thrift/{i}")),
        )
        .unwrap();
        store.post(&e).await.unwrap();
    }

    // Voluntary savings: a withdrawal needs a resolution and never overdraws.
    let e = savings::deposit(b, &g.cash, &g.voluntary[1], 4_000, on(), &key("vol/1")).unwrap();
    store.post(&e).await.unwrap();
    assert_eq!(
        savings::withdrawal(b, &g.voluntary[1], &g.cash, 4_000, on(), &key("w0"), " ").unwrap_err(),
        SavingsError::MissingResolution
    );
    let too_much =
        savings::withdrawal(b, &g.voluntary[1], &g.cash, 5_000, on(), &key("w1"), "R-9").unwrap();
    match store
        .post_all_guarded(&[too_much], &[g.voluntary[1].id])
        .await
    {
        Err(StoreError::InsufficientBalance { account, available }) => {
            assert_eq!((account.as_str(), available), ("2010-M002", 4_000));
        }
        other => panic!("expected InsufficientBalance, got {other:?}"),
    }
    assert_eq!(
        store.balance(g.voluntary[1].id).await.unwrap(),
        -4_000,
        "nothing posted"
    );
    let ok =
        savings::withdrawal(b, &g.voluntary[1], &g.cash, 4_000, on(), &key("w2"), "R-9").unwrap();
    store
        .post_all_guarded(&[ok], &[g.voluntary[1].id])
        .await
        .unwrap();

    // The social fund takes ₹30 and pays ₹20; it cannot pay out what it lacks.
    let c =
        savings::social_fund_contribution(b, &g.cash, &social, 3_000, on(), &key("sf/in")).unwrap();
    store.post(&c).await.unwrap();
    let p = savings::social_fund_payout(b, &social, &g.cash, 2_000, on(), &key("sf/out1")).unwrap();
    store.post_all_guarded(&[p], &[social.id]).await.unwrap();
    let p = savings::social_fund_payout(b, &social, &g.cash, 2_000, on(), &key("sf/out2")).unwrap();
    assert!(matches!(
        store.post_all_guarded(&[p], &[social.id]).await,
        Err(StoreError::InsufficientBalance {
            available: 1_000,
            ..
        })
    ));

    // Fines of ₹1,050.01 and ₹50 of expenses leave a surplus of ₹1,000.01.
    let f = savings::fine(b, &g.cash, &g.fines, 105_001, on(), &key("fines")).unwrap();
    store.post(&f).await.unwrap();
    let spent = draft(b, on(), "expense", "stationery")
        .debit(&expenses, rupees(50))
        .credit(&g.cash, rupees(50))
        .build()
        .unwrap();
    store.post(&spent).await.unwrap();

    // Share-out by savings 100 : 200 : 300. Exact shares are 166.668333…,
    // 333.336666… and 500.005 rupees: floors 16,666 + 33,333 + 50,000 paise
    // leave 2 paise, which go to the largest remainders (0.8333 and 0.6666).
    let tb = store.trial_balance(b.id, None).await.unwrap();
    let accounts = store.accounts(b.id).await.unwrap();
    let mut members = Vec::new();
    for i in 0..3 {
        members.push(MemberSavings {
            member_id: g.setup.members[i].id,
            compulsory: g.savings[i].clone(),
            voluntary: g.voluntary[i].clone(),
            compulsory_balance: -store.balance(g.savings[i].id).await.unwrap(),
            voluntary_balance: -store.balance(g.voluntary[i].id).await.unwrap(),
        });
    }
    let terms = ShareOutTerms {
        basis: ShareBasis::ProportionalToSavings,
        return_savings: true,
        fund: &g.cash,
        on: on(),
        key_prefix: "cycle-2026",
    };
    let plan = savings::share_out(&tb, &accounts, &members, &terms).unwrap();
    assert_eq!(plan.surplus, 100_001);
    let shares: Vec<i64> = plan.shares.iter().map(|s| s.amount).collect();
    assert_eq!(shares, [16_667, 33_334, 50_000]);
    let entries: Vec<_> = [plan.closing, plan.distribution, plan.payout]
        .into_iter()
        .flatten()
        .collect();
    assert_eq!(entries.len(), 3);
    store.post_all(&entries).await.unwrap();
    assert!(store
        .post_all(&entries)
        .await
        .unwrap()
        .iter()
        .all(|o| o.replayed));

    // Income and expenses are closed, every member was paid out, and only
    // the social fund's ₹10 is left in cash.
    let tb = store.trial_balance(b.id, None).await.unwrap();
    for line in &tb.lines {
        let expected = match line.code.as_str() {
            c if c == chart::shg::CASH => 1_000,
            c if c == chart::shg::SOCIAL_FUND => -1_000,
            _ => 0,
        };
        assert_eq!(line.balance, expected, "account {}", line.code);
    }
    let report = store.verify().await.unwrap();
    assert!(report.is_ok(), "{report}");

    // With nothing earned since, there is nothing to share.
    let accounts = store.accounts(b.id).await.unwrap();
    let again = ShareOutTerms {
        key_prefix: "cycle-2027",
        ..terms
    };
    assert_eq!(
        savings::share_out(&tb, &accounts, &members, &again).unwrap_err(),
        SavingsError::NoSurplus
    );
}
