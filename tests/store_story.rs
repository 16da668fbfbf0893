//! One story of a group's books, told on SQLite and on PostgreSQL: the two
//! backends must behave the same.

mod common;

use common::*;
use sakhi::ledger::{EntryError, IdempotencyKey, NewEntry};
use sakhi::store::{Store, StoreError};
use std::sync::Arc;

/// Raw SQL, for what the store API must not allow (and for corrupting data
/// on purpose to see `verify` notice).
enum Raw<'a> {
    Sqlite(&'a sqlx::SqlitePool),
    Pg(&'a sqlx::PgPool),
}

impl Raw<'_> {
    async fn exec(&self, sql: &str) -> Result<u64, String> {
        match self {
            Raw::Sqlite(p) => sqlx::query(sql)
                .execute(*p)
                .await
                .map(|r| r.rows_affected()),
            Raw::Pg(p) => sqlx::query(sql)
                .execute(*p)
                .await
                .map(|r| r.rows_affected()),
        }
        .map_err(|e| e.to_string())
    }
}

#[tokio::test]
async fn the_story_on_sqlite() {
    let db = sqlite().await;
    story(&db.store, Raw::Sqlite(db.store.pool())).await;
}

#[tokio::test]
async fn the_story_on_postgres() {
    let Some(db) = postgres().await else { return };
    story(&db.store, Raw::Pg(db.store.pool())).await;
}

#[tokio::test]
async fn concurrent_posts_with_one_key_post_once_on_sqlite() {
    let db = sqlite().await;
    let store: Arc<dyn Store> = Arc::new(db.store);
    same_key_storm(store).await;
}

#[tokio::test]
async fn concurrent_posts_with_one_key_post_once_on_postgres() {
    let Some(db) = postgres().await else { return };
    let store: Arc<dyn Store> = Arc::new(db.store);
    same_key_storm(store).await;
    drop(db.cluster);
}

async fn story(store: &dyn Store, raw: Raw<'_>) {
    let g = lotus(store, "Lotus SHG").await;
    let other = lotus(store, "Iris SHG").await;

    // The chart: 19 group accounts, 4 per member.
    let accounts = store.accounts(g.book.id).await.unwrap();
    assert_eq!(accounts.len(), 19 + 3 * 4);
    assert_eq!(g.setup.members.len(), 3);
    assert!(g.savings[0].member_id == Some(g.setup.members[0].id));
    let header = accounts.iter().find(|a| a.code == "2000").unwrap();
    assert!(!header.postable);
    assert_eq!(g.savings[0].parent_id, Some(header.id));

    // A thrift deposit: one row read gives each balance.
    let first = thrift(&g, 0, 50, day(3), "m1/thrift/M001");
    let posted = store.post(&first).await.unwrap();
    assert!(!posted.replayed);
    assert_eq!(store.balance(g.cash.id).await.unwrap(), 5_000);
    assert_eq!(store.balance(g.savings[0].id).await.unwrap(), -5_000);

    // A replay with the same key and content posts nothing new.
    let again = store.post(&first).await.unwrap();
    assert_eq!(again.entry_id, posted.entry_id);
    assert!(again.replayed);
    assert_eq!(store.balance(g.cash.id).await.unwrap(), 5_000);

    // The same key with different content is a conflict that names the entry.
    let different = thrift(&g, 0, 60, day(3), "m1/thrift/M001");
    match store.post(&different).await {
        Err(StoreError::IdempotencyConflict { key, entry_id }) => {
            assert_eq!(key, "m1/thrift/M001");
            assert_eq!(entry_id, posted.entry_id);
        }
        other => panic!("expected a conflict, got {other:?}"),
    }
    // Keys are unique per book: another group may use the same key.
    let elsewhere = store
        .post(&thrift(&other, 0, 10, day(3), "m1/thrift/M001"))
        .await
        .unwrap();
    assert!(!elsewhere.replayed);

    // A meeting posts atomically: a conflict in its last entry posts none of it.
    let meeting = vec![
        thrift(&g, 1, 50, day(10), "m2/thrift/M002"),
        thrift(&g, 2, 50, day(10), "m2/thrift/M003"),
        thrift(&g, 0, 99, day(10), "m1/thrift/M001"),
    ];
    assert!(matches!(
        store.post_all(&meeting).await,
        Err(StoreError::IdempotencyConflict { .. })
    ));
    assert_eq!(store.balance(g.savings[1].id).await.unwrap(), 0);
    assert_eq!(store.balance(g.cash.id).await.unwrap(), 5_000);

    // The same meeting, corrected, posts all its entries; re-sending it posts
    // nothing and returns the same ids.
    let meeting = vec![
        thrift(&g, 1, 50, day(10), "m2/thrift/M002"),
        thrift(&g, 2, 50, day(10), "m2/thrift/M003"),
        draft(&g.book, day(10), "fine", "m2/fine/M003")
            .debit(&g.cash, rupees(5))
            .credit(&g.fines, rupees(5))
            .build()
            .unwrap(),
        first.clone(),
    ];
    let outcomes = store.post_all(&meeting).await.unwrap();
    assert_eq!(
        outcomes.iter().map(|o| o.replayed).collect::<Vec<_>>(),
        [false, false, false, true]
    );
    assert_eq!(outcomes[3].entry_id, posted.entry_id);
    let resent = store.post_all(&meeting).await.unwrap();
    assert!(resent.iter().all(|o| o.replayed));
    assert_eq!(
        resent.iter().map(|o| o.entry_id).collect::<Vec<_>>(),
        outcomes.iter().map(|o| o.entry_id).collect::<Vec<_>>()
    );
    assert_eq!(store.balance(g.cash.id).await.unwrap(), 15_500);

    // ₹1,000 banked from cash, then ₹305 received: ₹255 back from the bank
    // account and ₹50 of interest (the loan engine has its own story).
    let loan = draft(&g.book, day(12), "bank-deposit", "bank/deposit")
        .debit(&g.bank, rupees(1000))
        .credit(&g.cash, rupees(1000))
        .build()
        .unwrap();
    // Cash goes negative: the ledger records it; cash checks belong to the meeting.
    store.post(&loan).await.unwrap();
    let repayment = draft(&g.book, day(20), "repayment", "loan/M002/repay/1")
        .debit(&g.cash, rupees(305))
        .credit(&g.bank, rupees(255))
        .credit(&g.interest, rupees(50))
        .build()
        .unwrap();
    let repaid = store.post(&repayment).await.unwrap();
    assert_eq!(store.balance(g.bank.id).await.unwrap(), 74_500);

    // Balance as of a date sums postings up to the end of that day.
    assert_eq!(store.balance_as_of(g.cash.id, day(2)).await.unwrap(), 0);
    assert_eq!(store.balance_as_of(g.cash.id, day(3)).await.unwrap(), 5_000);
    assert_eq!(
        store.balance_as_of(g.cash.id, day(12)).await.unwrap(),
        -84_500
    );
    assert_eq!(
        store.balance_as_of(g.cash.id, day(31)).await.unwrap(),
        -54_000
    );
    assert_eq!(store.balance(g.cash.id).await.unwrap(), -54_000);

    // Trial balance: debits equal credits, now and as of any date.
    let tb = store.trial_balance(g.book.id, None).await.unwrap();
    assert!(tb.is_balanced());
    assert_eq!(tb.total_debits(), 74_500);
    assert_eq!(tb.lines.len(), 15 + 3 * 4, "postable accounts only");
    let tb_then = store.trial_balance(g.book.id, Some(day(10))).await.unwrap();
    assert!(tb_then.is_balanced());
    assert_eq!(tb_then.total_debits(), 15_500);
    assert_eq!(tb_then.total_for(sakhi::ledger::AccountType::Income), -500);

    // The journal gives every entry once, in date order, with its postings,
    // and its range ends are inclusive.
    let journal = store.journal(g.book.id, None, None).await.unwrap();
    assert!(journal
        .windows(2)
        .all(|w| w[0].business_date <= w[1].business_date));
    for e in &journal {
        assert_eq!(e, &store.entry(e.id).await.unwrap());
    }
    let to_day_10 = store.journal(g.book.id, None, Some(day(10))).await.unwrap();
    let from_day_11 = store.journal(g.book.id, Some(day(11)), None).await.unwrap();
    assert!(!to_day_10.is_empty() && !from_day_11.is_empty());
    assert_eq!(to_day_10.len() + from_day_11.len(), journal.len());
    let debits_to_day_10: i64 = to_day_10
        .iter()
        .flat_map(|e| &e.postings)
        .filter(|p| p.amount > 0)
        .map(|p| p.amount)
        .sum();
    assert!(debits_to_day_10 >= 15_500);

    // A reversal undoes the repayment; the original stays.
    let original = store.entry(repaid.entry_id).await.unwrap();
    assert_eq!(original.postings.len(), 3);
    let reversal = NewEntry::reversal_of(
        &original,
        &g.book,
        day(21),
        IdempotencyKey::new("fix/repay/1").unwrap(),
        "amount typed wrong",
    )
    .unwrap();
    let reversed = store.post(&reversal).await.unwrap();
    assert_eq!(store.balance(g.bank.id).await.unwrap(), 100_000);
    assert_eq!(store.balance(g.interest.id).await.unwrap(), 0);
    assert_eq!(store.entry(repaid.entry_id).await.unwrap(), original);
    assert_eq!(
        store.entry(reversed.entry_id).await.unwrap().reverses,
        Some(repaid.entry_id)
    );
    // Replaying the reversal is fine; a second, different reversal is not.
    assert!(store.post(&reversal).await.unwrap().replayed);
    let twice = NewEntry::reversal_of(
        &original,
        &g.book,
        day(22),
        IdempotencyKey::new("fix/repay/1-again").unwrap(),
        "again",
    )
    .unwrap();
    match store.post(&twice).await {
        Err(StoreError::AlreadyReversed {
            original: o,
            reversal: r,
        }) => {
            assert_eq!((o, r), (repaid.entry_id, reversed.entry_id));
        }
        other => panic!("expected AlreadyReversed, got {other:?}"),
    }
    // A reversal cannot be reversed.
    let reversal_entry = store.entry(reversed.entry_id).await.unwrap();
    assert_eq!(
        NewEntry::reversal_of(
            &reversal_entry,
            &g.book,
            day(22),
            IdempotencyKey::new("x").unwrap(),
            ""
        ),
        Err(EntryError::ReversalOfReversal(reversed.entry_id))
    );
    // A forged "reversal" that does not mirror its original is refused.
    let mut forged_original = store.entry(posted.entry_id).await.unwrap();
    forged_original.postings[0].amount = 9_000;
    forged_original.postings[1].amount = -9_000;
    let forged = NewEntry::reversal_of(
        &forged_original,
        &g.book,
        day(22),
        IdempotencyKey::new("forged").unwrap(),
        "",
    )
    .unwrap();
    assert!(matches!(
        store.post(&forged).await,
        Err(StoreError::InvalidReversal(_))
    ));

    // Another group's account cannot appear in this book's entry.
    let foreign = draft(&g.book, day(22), "transfer", "foreign")
        .debit(&g.cash, rupees(1))
        .credit(&other.cash, rupees(1))
        .build();
    assert!(matches!(foreign, Err(EntryError::ForeignAccount { .. })));

    // History of M001's savings with a running balance, paginated.
    for week in 0..4 {
        store
            .post(&thrift(&g, 0, 50, day(13 + week), &format!("w{week}/M001")))
            .await
            .unwrap();
    }
    let page1 = store.history(g.savings[0].id, 1, 2).await.unwrap();
    assert_eq!(page1.total_lines, 5);
    assert_eq!(page1.page_count(), 3);
    let running: Vec<i64> = page1.lines.iter().map(|l| l.running_balance).collect();
    assert_eq!(running, [-5_000, -10_000]);
    let page3 = store.history(g.savings[0].id, 3, 2).await.unwrap();
    assert_eq!(page3.lines.len(), 1);
    assert_eq!(page3.lines[0].running_balance, -25_000);
    assert_eq!(page3.lines[0].business_date, day(16));
    assert!(matches!(
        store.history(g.savings[0].id, 0, 2).await,
        Err(StoreError::Invalid(_))
    ));
    assert!(matches!(
        store.history(g.savings[0].id, 1, 501).await,
        Err(StoreError::Invalid(_))
    ));
    assert!(matches!(
        store.history(999_999, 1, 10).await,
        Err(StoreError::NotFound { .. })
    ));

    // The books check out.
    let report = store.verify().await.unwrap();
    assert!(report.is_ok(), "{report}");
    assert_eq!(report.books, 2);
    assert_eq!(report.reversals, 1);

    // The schema itself refuses to change history.
    for sql in [
        "UPDATE journal_entries SET memo = 'edited'",
        "DELETE FROM journal_entries",
        "UPDATE postings SET amount = amount * 2",
        "DELETE FROM postings",
    ] {
        let err = raw.exec(sql).await.expect_err(sql);
        assert!(err.contains("immutable"), "{sql}: {err}");
    }

    // Tampering with a maintained balance is caught by verify.
    raw.exec(&format!(
        "UPDATE accounts SET balance = balance + 1 WHERE id = {}",
        g.cash.id
    ))
    .await
    .unwrap();
    let report = store.verify().await.unwrap();
    assert!(!report.is_ok());
    let text = report.to_string();
    assert!(text.contains("account 1000 of book"), "{text}");
    assert!(
        text.contains("every book's trial balance is zero"),
        "{text}"
    );
}

async fn same_key_storm(store: Arc<dyn Store>) {
    let g = lotus(store.as_ref(), "Storm SHG").await;
    let entry = thrift(&g, 0, 50, day(3), "storm");
    let mut tasks = Vec::new();
    for _ in 0..20 {
        let store = store.clone();
        let entry = entry.clone();
        tasks.push(tokio::spawn(async move { store.post(&entry).await }));
    }
    let mut ids = Vec::new();
    for t in tasks {
        ids.push(t.await.unwrap().unwrap());
    }
    assert_eq!(ids.iter().filter(|o| !o.replayed).count(), 1);
    assert!(ids.iter().all(|o| o.entry_id == ids[0].entry_id));
    assert_eq!(store.balance(g.cash.id).await.unwrap(), 5_000);
    assert!(store.verify().await.unwrap().is_ok());
}
