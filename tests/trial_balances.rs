//! Every group's trial balance read together (`store::group_trial_balances`,
//! a constant number of queries) must give each book's own
//! `trial_balance(book, as_of)` to the paisa, on SQLite and on PostgreSQL:
//! with entries before, on and after the date, a reversal that straddles
//! it, a group with no entries, and the program book's entries left out.

mod common;

use chrono::NaiveDate;
use common::*;
use sakhi::ledger::{chart, IdempotencyKey, NewEntry};
use sakhi::money::Currency;
use sakhi::store::{group_trial_balances, Store};

/// Three groups' entries on days 2 to 20 of the month; what the first
/// group's cash holds at the end of each test date is worked out by hand
/// in `the_story`.
async fn the_story(store: &dyn Store) {
    let a = lotus(store, "Lotus SHG").await;
    let b = lotus(store, "Jasmine SHG").await;
    let quiet = lotus(store, "Marigold SHG").await;

    // The program's own book has entries too; they belong to no group.
    let program = store
        .create_program_book("Program", Currency::inr())
        .await
        .unwrap();
    let program_cash = store
        .account_by_code(program.id, chart::program::CASH)
        .await
        .unwrap();
    let fund = store
        .account_by_code(program.id, chart::program::GRANTS_RECEIVED)
        .await
        .unwrap();
    store
        .post(
            &draft(&program, day(5), "grant", "program-grant")
                .debit(&program_cash, rupees(9_000))
                .credit(&fund, rupees(9_000))
                .build()
                .unwrap(),
        )
        .await
        .unwrap();

    // Lotus: thrift on days 2, 10 (the test date itself) and 18; a loan
    // paid out of cash on day 12 and reversed on day 15.
    for (i, (member, amount, date)) in [(0, 500, 2), (1, 300, 10), (2, 700, 18)]
        .into_iter()
        .enumerate()
    {
        store
            .post(&thrift(
                &a,
                member,
                amount,
                day(date),
                &format!("a-thrift-{i}"),
            ))
            .await
            .unwrap();
    }
    let loan = store
        .post(
            &draft(&a.book, day(12), "loan-disbursement", "a-loan")
                .debit(&a.loans[0], rupees(400))
                .credit(&a.cash, rupees(400))
                .build()
                .unwrap(),
        )
        .await
        .unwrap();
    let original = store.entry(loan.entry_id).await.unwrap();
    store
        .post(
            &NewEntry::reversal_of(
                &original,
                &a.book,
                day(15),
                IdempotencyKey::new("a-loan-reversal").unwrap(),
                "paid to the wrong member",
            )
            .unwrap(),
        )
        .await
        .unwrap();

    // Jasmine: voluntary savings before and after; fines on the date.
    store
        .post(
            &draft(&b.book, day(3), "savings-deposit", "b-voluntary")
                .debit(&b.bank, rupees(1_250))
                .credit(&b.voluntary[1], rupees(1_250))
                .build()
                .unwrap(),
        )
        .await
        .unwrap();
    store
        .post(
            &draft(&b.book, day(10), "fine", "b-fine")
                .debit(&b.cash, rupees(25))
                .credit(&b.fines, rupees(25))
                .build()
                .unwrap(),
        )
        .await
        .unwrap();
    store
        .post(&thrift(&b, 2, 60, day(20), "b-thrift"))
        .await
        .unwrap();

    let groups = store.groups().await.unwrap();
    assert_eq!(groups.len(), 3);
    for as_of in [
        None,
        Some(day(1)),
        Some(day(9)),
        Some(day(10)),
        Some(day(13)),
        Some(day(15)),
        Some(day(31)),
    ] {
        let together = group_trial_balances(store, as_of).await.unwrap();
        assert_eq!(
            together.iter().map(|(g, _)| g.clone()).collect::<Vec<_>>(),
            groups,
            "as of {as_of:?}: every group once, in the order groups() gives"
        );
        for (group, tb) in &together {
            let alone = store.trial_balance(group.book_id, as_of).await.unwrap();
            assert_eq!(tb, &alone, "{} as of {as_of:?}", group.name);
            assert!(tb.is_balanced(), "{} as of {as_of:?}", group.name);
        }
    }

    // The figures themselves, by hand, so that two equal wrong answers
    // cannot pass.
    let cash_of =
        |tbs: &[(sakhi::groups::Group, sakhi::ledger::TrialBalance)], book: i64, account: i64| {
            tbs.iter()
                .find(|(g, _)| g.book_id == book)
                .and_then(|(_, tb)| tb.lines.iter().find(|l| l.account_id == account))
                .map(|l| l.balance)
        };
    let expected_cash: [(Option<NaiveDate>, i64); 7] = [
        (Some(day(1)), 0),
        (Some(day(9)), 500),
        (Some(day(10)), 800),
        // Day 12's loan is out of the cash until day 15's reversal.
        (Some(day(13)), 400),
        (Some(day(15)), 800),
        (Some(day(31)), 1_500),
        (None, 1_500),
    ];
    for (as_of, rupees_held) in expected_cash {
        let tbs = group_trial_balances(store, as_of).await.unwrap();
        assert_eq!(
            cash_of(&tbs, a.book.id, a.cash.id),
            Some(rupees_held * 100),
            "Lotus cash as of {as_of:?}"
        );
        assert_eq!(
            cash_of(&tbs, a.book.id, a.loans[0].id),
            Some(if as_of == Some(day(13)) { 40_000 } else { 0 }),
            "Lotus loan to M001 as of {as_of:?}"
        );
    }
    let on_the_day = group_trial_balances(store, Some(day(10))).await.unwrap();
    assert_eq!(
        cash_of(&on_the_day, b.book.id, b.voluntary[1].id),
        Some(-125_000)
    );
    assert_eq!(cash_of(&on_the_day, b.book.id, b.fines.id), Some(-2_500));
    assert_eq!(cash_of(&on_the_day, b.book.id, b.savings[2].id), Some(0));
    let quiet_tb = &on_the_day
        .iter()
        .find(|(g, _)| g.book_id == quiet.book.id)
        .expect("the quiet group is there")
        .1;
    assert!(!quiet_tb.lines.is_empty());
    assert!(quiet_tb.lines.iter().all(|l| l.balance == 0));
    // No group's lines come from the program's book.
    for (_, tb) in &on_the_day {
        assert!(tb
            .lines
            .iter()
            .all(|l| l.account_id != program_cash.id && l.account_id != fund.id));
    }
}

#[tokio::test]
async fn every_groups_trial_balance_read_together_matches_its_own_on_sqlite() {
    let db = sqlite().await;
    the_story(&db.store).await;
}

#[tokio::test]
async fn every_groups_trial_balance_read_together_matches_its_own_on_postgres() {
    let Some(db) = postgres().await else { return };
    the_story(&db.store).await;
}
