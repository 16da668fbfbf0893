//! A meeting posted all or nothing on both backends: thrift, voluntary
//! savings, a repayment, a fine, a withdrawal and an expense in one go; a
//! re-sent form (also twenty at once) saves it once; a bad line posts nothing.

mod common;

use chrono::NaiveDate;
use common::*;
use sakhi::groups::GroupRules;
use sakhi::ledger::{chart, IdempotencyKey};
use sakhi::loans::product::{templates, LoanSource};
use sakhi::meetings::{Expense, MeetingDraft, MemberLines};
use sakhi::store::{Fund, LoanApplication, MeetingSubmission, Store, StoreError};
use std::sync::Arc;

fn date(m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, m, d).unwrap()
}

fn key(k: &str) -> IdempotencyKey {
    IdempotencyKey::new(k).unwrap()
}

#[tokio::test]
async fn meetings_on_sqlite() {
    let db = Arc::new(sqlite().await);
    story(&db.store).await;
    let store: Arc<dyn Store> = Arc::new(db_clone_sqlite(&db).await);
    storm(store).await;
}

#[tokio::test]
async fn meetings_on_postgres() {
    let Some(db) = postgres().await else { return };
    story(&db.store).await;
    let store: Arc<dyn Store> = Arc::new(database_in(&db.cluster).await);
    storm(store).await;
}

async fn db_clone_sqlite(db: &SqliteDb) -> sakhi::store::sqlite::SqliteStore {
    sakhi::store::sqlite::SqliteStore::open(&format!("sqlite:{}", db.store.path().display()))
        .await
        .unwrap()
}

async fn cash(store: &dyn Store, g: &Lotus) -> i64 {
    store.balance(g.cash.id).await.unwrap()
}

/// A group whose thrift is ₹50 a meeting, M002 holding `voluntary` paise
/// of voluntary savings (in the cash box) since 1 January.
async fn thrift_group(store: &dyn Store, name: &str, voluntary: i64, seed: &str) -> Lotus {
    let g = lotus(store, name).await;
    store
        .set_group_rules(
            g.setup.group.id,
            &GroupRules {
                thrift_amount: 5_000,
                ..GroupRules::default()
            },
        )
        .await
        .unwrap();
    let deposit = sakhi::savings::deposit(
        &g.book,
        &g.cash,
        &g.voluntary[1],
        voluntary,
        date(1, 1),
        &key(seed),
    )
    .unwrap();
    store.post(&deposit).await.unwrap();
    g
}

async fn story(store: &dyn Store) {
    // M002 has ₹300 of voluntary savings and an active loan of ₹3,000.
    let g = thrift_group(store, "Meeting SHG", 30_000, "seed").await;
    let group = g.setup.group.id;
    let [m1, m2, m3] = [0, 1, 2].map(|i| g.setup.members[i].id);
    let loan = store
        .apply_for_loan(&LoanApplication {
            group_id: group,
            member_id: m2,
            product_id: None,
            settings: templates()[0].1.clone(),
            source: LoanSource::GroupFund,
            purpose: "pickles".into(),
            principal: 300_000,
            applied_on: date(1, 2),
        })
        .await
        .unwrap();
    store
        .decide_loan(loan.id, true, date(1, 2), "R-1")
        .await
        .unwrap();
    store
        .disburse_loan(loan.id, date(1, 3), None, Fund::Bank, &key("disb"))
        .await
        .unwrap();
    let cash_before = cash(store, &g).await;

    let draft = MeetingDraft {
        group_id: group,
        held_on: date(2, 7),
        members: vec![
            MemberLines {
                member_id: m1,
                present: true,
                thrift: 5_000,
                voluntary: 2_000,
                ..MemberLines::default()
            },
            MemberLines {
                member_id: m2,
                present: true,
                thrift: 10_000,
                fine: 1_000,
                withdrawal: 10_000,
                repayments: vec![(loan.id, 50_000)],
                ..MemberLines::default()
            },
            MemberLines {
                member_id: m3,
                present: false,
                social_fund: 500,
                ..MemberLines::default()
            },
        ],
        withdrawal_resolution: Some("R-2026-09".into()),
        disbursements: vec![],
        expenses: vec![Expense {
            description: "register book".into(),
            amount: 3_000,
        }],
        cash_counted: Some(cash_before + 55_500),
    };
    let saved = store
        .record_meeting(&draft, &key("meeting-1"), None)
        .await
        .unwrap();
    assert!(!saved.replayed);
    // In: 50 + 20 + 100 + 10 + 5 + 500 = ₹685; out: 100 + 30 = ₹130.
    assert_eq!(saved.meeting.cash_in, 68_500);
    assert_eq!(saved.meeting.cash_out, 13_000);
    assert_eq!(saved.meeting.expected_cash, cash_before + 55_500);
    assert_eq!(saved.meeting.cash_difference(), Some(0));
    assert_eq!(saved.meeting.present, 2);
    assert_eq!(saved.meeting.enrolled, 3);
    assert_eq!(saved.entry_ids.len(), 8);
    assert_eq!(cash(store, &g).await, cash_before + 55_500);
    assert_eq!(store.balance(g.voluntary[1].id).await.unwrap(), -20_000);

    // The same form again: the saved meeting, nothing posted twice.
    let again = store
        .record_meeting(&draft, &key("meeting-1"), None)
        .await
        .unwrap();
    assert!(again.replayed);
    assert_eq!(again.meeting, saved.meeting);
    assert_eq!(cash(store, &g).await, cash_before + 55_500);

    // Bad meetings post nothing at all.
    let cash_now = cash(store, &g).await;
    let entries_before = store.verify().await.unwrap().entries;
    let mut overdrawn = draft.clone();
    overdrawn.members[1].repayments.clear();
    overdrawn.members[1].withdrawal = 50_000;
    assert!(matches!(
        store
            .record_meeting(&overdrawn, &key("meeting-2"), None)
            .await,
        Err(StoreError::InsufficientBalance { .. })
    ));
    let mut overpaid = draft.clone();
    overpaid.members[1].withdrawal = 0;
    overpaid.members[1].repayments = vec![(loan.id, 99_000_000)];
    assert!(matches!(
        store
            .record_meeting(&overpaid, &key("meeting-3"), None)
            .await,
        Err(StoreError::Allocation(_))
    ));
    let other = lotus(store, "Other SHG").await;
    let mut stranger = draft.clone();
    stranger.members[0].member_id = other.setup.members[0].id;
    assert!(matches!(
        store.record_meeting(&stranger, &key("meeting-4"), None).await,
        Err(StoreError::Invalid(m)) if m.contains("not in this group")
    ));
    let mut wrong_loan = draft.clone();
    wrong_loan.members[0].repayments = vec![(loan.id, 100)];
    assert!(matches!(
        store.record_meeting(&wrong_loan, &key("meeting-5"), None).await,
        Err(StoreError::Invalid(m)) if m.contains("not a loan of member")
    ));
    let mut odd_thrift = draft.clone();
    odd_thrift.members[0].thrift = 7_000;
    assert!(matches!(
        store.record_meeting(&odd_thrift, &key("meeting-6"), None).await,
        Err(StoreError::Invalid(m)) if m.contains("thrift")
    ));
    assert_eq!(cash(store, &g).await, cash_now);
    assert_eq!(store.verify().await.unwrap().entries, entries_before);
    assert_eq!(store.meetings(group, 10).await.unwrap().len(), 1);

    // Cash count: ₹20 short, recorded with a reason.
    let count = store
        .record_cash_count(
            group,
            date(2, 8),
            cash_now - 2_000,
            "counting error at the close",
            &key("count-1"),
            None,
        )
        .await
        .unwrap();
    assert_eq!(count.difference(), -2_000);
    assert_eq!(cash(store, &g).await, cash_now - 2_000);
    let differences = store
        .account_by_code(g.book.id, chart::shg::CASH_DIFFERENCES)
        .await
        .unwrap();
    assert_eq!(store.balance(differences.id).await.unwrap(), 2_000);
    assert!(matches!(
        store.record_cash_count(group, date(2, 8), 1, "", &key("count-2"), None).await,
        Err(StoreError::Invalid(m)) if m.contains("reason")
    ));
    let reading = store
        .record_bank_reading(group, date(2, 8), 123_400, None)
        .await
        .unwrap();
    assert_eq!(reading.books, -300_000);
    assert_eq!(
        store.latest_bank_reading(group).await.unwrap(),
        Some(reading)
    );
    assert!(store.verify().await.unwrap().is_ok());
}

/// Twenty submissions of the same meeting form at once: one meeting, and
/// every answer describes it.
async fn storm(store: Arc<dyn Store>) {
    let g = lotus(store.as_ref(), "Storm SHG").await;
    let draft = MeetingDraft {
        group_id: g.setup.group.id,
        held_on: date(3, 1),
        members: vec![MemberLines {
            member_id: g.setup.members[0].id,
            present: true,
            thrift: 5_000,
            ..MemberLines::default()
        }],
        withdrawal_resolution: None,
        disbursements: vec![],
        expenses: vec![],
        cash_counted: None,
    };
    let mut tasks = Vec::new();
    for _ in 0..20 {
        let store = store.clone();
        let draft = draft.clone();
        tasks.push(tokio::spawn(async move {
            store.record_meeting(&draft, &key("storm"), None).await
        }));
    }
    let mut ids = std::collections::HashSet::new();
    let mut fresh = 0;
    for t in tasks {
        let record = t.await.unwrap().unwrap();
        ids.insert(record.meeting.id);
        fresh += usize::from(!record.replayed);
    }
    assert_eq!(ids.len(), 1);
    assert_eq!(fresh, 1);
    assert_eq!(store.balance(g.cash.id).await.unwrap(), 5_000);
    assert!(store.verify().await.unwrap().is_ok());
}

#[tokio::test]
async fn a_batch_of_meetings_posts_what_one_at_a_time_would_on_sqlite() {
    let batched = sqlite().await;
    let alone = sqlite().await;
    batch_story(&batched.store, &alone.store).await;
}

#[tokio::test]
async fn a_batch_of_meetings_posts_what_one_at_a_time_would_on_postgres() {
    let Some(db) = postgres().await else { return };
    let alone = database_in(&db.cluster).await;
    batch_story(&db.store, &alone).await;
}

/// Three groups, each with a thrift rule and M002 repaying an active loan;
/// the second group also pays out M001's approved loan at its meeting.
async fn batch_world(store: &dyn Store) -> Vec<(Lotus, MeetingDraft)> {
    let mut world = Vec::new();
    for (n, name) in ["Batch One SHG", "Batch Two SHG", "Batch Three SHG"]
        .into_iter()
        .enumerate()
    {
        let g = thrift_group(store, name, 400_000, &format!("seed-{n}")).await;
        let group = g.setup.group.id;
        let [m1, m2, m3] = [0, 1, 2].map(|i| g.setup.members[i].id);
        let apply = |member_id, principal| LoanApplication {
            group_id: group,
            member_id,
            product_id: None,
            settings: templates()[0].1.clone(),
            source: LoanSource::GroupFund,
            purpose: "tailoring".into(),
            principal,
            applied_on: date(1, 2),
        };
        let running = store.apply_for_loan(&apply(m2, 200_000)).await.unwrap();
        store
            .decide_loan(running.id, true, date(1, 2), "R-1")
            .await
            .unwrap();
        store
            .disburse_loan(running.id, date(1, 3), None, Fund::Cash, &key("disb"))
            .await
            .unwrap();
        let mut disbursements = Vec::new();
        if n == 1 {
            let approved = store.apply_for_loan(&apply(m1, 100_000)).await.unwrap();
            store
                .decide_loan(approved.id, true, date(2, 1), "R-2")
                .await
                .unwrap();
            disbursements.push(approved.id);
        }
        let draft = MeetingDraft {
            group_id: group,
            held_on: date(2, 7),
            members: vec![
                MemberLines {
                    member_id: m1,
                    present: true,
                    thrift: 5_000,
                    voluntary: 1_000 * (n as i64 + 1),
                    ..MemberLines::default()
                },
                MemberLines {
                    member_id: m2,
                    present: true,
                    thrift: 10_000,
                    fine: 1_000,
                    withdrawal: 20_000,
                    repayments: vec![(running.id, 30_000 + 10_000 * n as i64)],
                    ..MemberLines::default()
                },
                MemberLines {
                    member_id: m3,
                    present: false,
                    ..MemberLines::default()
                },
            ],
            withdrawal_resolution: Some(format!("R-2026-1{n}")),
            disbursements,
            expenses: vec![Expense {
                description: "register book".into(),
                amount: 2_500,
            }],
            cash_counted: None,
        };
        world.push((g, draft));
    }
    world
}

/// Each group's balances by account code, and how many entries its book has.
async fn books_of(store: &dyn Store, world: &[(Lotus, MeetingDraft)]) -> Vec<Vec<(String, i64)>> {
    let mut books = Vec::new();
    for (g, _) in world {
        let tb = store.trial_balance(g.book.id, None).await.unwrap();
        books.push(tb.lines.into_iter().map(|l| (l.code, l.balance)).collect());
    }
    books
}

async fn batch_story(batched: &dyn Store, alone: &dyn Store) {
    let world = batch_world(batched).await;
    let twin = batch_world(alone).await;
    let submissions: Vec<MeetingSubmission> = world
        .iter()
        .map(|(_, draft)| MeetingSubmission {
            draft: draft.clone(),
            key: key("week-6"),
            recorded_by: None,
        })
        .collect();

    // A batch is all or nothing: the third group's withdrawal overdraws
    // M002's savings, so the first two meetings are not saved either.
    let mut overdrawn = submissions.clone();
    overdrawn[2].draft.members[1].withdrawal = 900_000;
    let before = books_of(batched, &world).await;
    assert!(matches!(
        batched.record_meetings(&overdrawn).await,
        Err(StoreError::InsufficientBalance { .. })
    ));
    let mut twice = submissions.clone();
    twice.push(submissions[0].clone());
    assert!(matches!(
        batched.record_meetings(&twice).await,
        Err(StoreError::Invalid(m)) if m.contains("more than one meeting")
    ));
    assert_eq!(books_of(batched, &world).await, before);
    for (g, _) in &world {
        assert!(batched
            .meetings(g.setup.group.id, 5)
            .await
            .unwrap()
            .is_empty());
    }

    let records = batched.record_meetings(&submissions).await.unwrap();
    assert_eq!(records.len(), 3);
    let mut one_by_one = Vec::new();
    for (_, draft) in &twin {
        one_by_one.push(
            alone
                .record_meeting(draft, &key("week-6"), None)
                .await
                .unwrap(),
        );
    }
    for ((batch, single), (g, draft)) in records.iter().zip(&one_by_one).zip(&world) {
        assert!(!batch.replayed);
        assert_eq!(batch.meeting.group_id, g.setup.group.id);
        assert_eq!(batch.meeting.held_on, draft.held_on);
        assert_eq!(
            (
                batch.meeting.present,
                batch.meeting.enrolled,
                batch.meeting.cash_in
            ),
            (
                single.meeting.present,
                single.meeting.enrolled,
                single.meeting.cash_in
            )
        );
        assert_eq!(
            (batch.meeting.cash_out, batch.meeting.expected_cash),
            (single.meeting.cash_out, single.meeting.expected_cash)
        );
        assert_eq!(batch.entry_ids.len(), single.entry_ids.len());
        assert_eq!(batched.meeting(batch.meeting.id).await.unwrap(), *batch);
    }
    // Worked by hand for the first group: in 50 + 10 (M001) + 100 + 10
    // + 300 (M002) = ₹470; out 200 + 25 = ₹225; the box held 4,000 seeded
    // less the 2,000 loan paid out in cash.
    let first = &records[0].meeting;
    assert_eq!((first.cash_in, first.cash_out), (47_000, 22_500));
    assert_eq!(first.expected_cash, 400_000 - 200_000 + 47_000 - 22_500);
    assert_eq!(records[0].entry_ids.len(), 7);
    // The second group's meeting also paid out M001's ₹1,000 loan.
    assert_eq!(records[1].meeting.cash_out, 22_500 + 100_000);
    assert_eq!(records[1].entry_ids.len(), 8);
    assert_eq!(
        books_of(batched, &world).await,
        books_of(alone, &twin).await
    );

    // The batch again: every meeting is the one saved, nothing posts twice.
    let after = books_of(batched, &world).await;
    let again = batched.record_meetings(&submissions).await.unwrap();
    for (replayed, saved) in again.iter().zip(&records) {
        assert!(replayed.replayed);
        assert_eq!(replayed.meeting, saved.meeting);
        assert_eq!(replayed.entry_ids, saved.entry_ids);
    }
    assert_eq!(books_of(batched, &world).await, after);
    assert!(batched.verify().await.unwrap().is_ok());
    assert!(alone.verify().await.unwrap().is_ok());
}
