//! The demo loader on both backends: a small demo verifies, shows every loan
//! state, lets every demo person sign in, refuses a second load, and comes
//! out the same for the same seed.

mod common;

use chrono::NaiveDate;
use common::*;
use sakhi::auth::verify_secret;
use sakhi::demo::{load_demo, DemoOptions, DemoSummary, DEMO_PASSWORD, DEMO_PIN};
use sakhi::ledger::chart;
use sakhi::loans::portfolio;
use sakhi::loans::product::LoanStatus;
use sakhi::store::{Role, Store};

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 20).unwrap()
}

fn small() -> DemoOptions {
    DemoOptions {
        groups: 2,
        members_per_group: (12, 12),
        weeks: 12,
        seed: 7,
        today: today(),
        identity_key: None,
    }
}

#[tokio::test]
async fn demo_on_sqlite() {
    let db = sqlite().await;
    let summary = load_demo(&db.store, &small()).await.unwrap();
    check(&db.store, &summary).await;

    // The same seed in another empty database: the same demo.
    let other = sqlite().await;
    let again = load_demo(&other.store, &small()).await.unwrap();
    assert_eq!(
        fingerprint(&db.store).await,
        fingerprint(&other.store).await
    );
    assert_eq!(
        DemoSummary {
            elapsed: summary.elapsed,
            ..again
        },
        summary
    );
}

#[tokio::test]
async fn demo_on_postgres() {
    let Some(db) = postgres().await else { return };
    let summary = load_demo(&db.store, &small()).await.unwrap();
    check(&db.store, &summary).await;
}

/// Loans as (group, member code, status, principal, schedule version),
/// meetings as (group, date, cash in, cash out, expected, counted).
async fn fingerprint(store: &dyn Store) -> (Vec<String>, Vec<String>) {
    let mut loans = Vec::new();
    let mut meetings = Vec::new();
    for g in store.groups().await.unwrap() {
        let members = store.members(g.id).await.unwrap();
        for l in store.loans(Some(g.id)).await.unwrap() {
            let code = &members
                .iter()
                .find(|m| m.id == l.loan.member_id)
                .unwrap()
                .code;
            loans.push(format!(
                "{} {code} {} {} v{}",
                g.name, l.loan.status, l.loan.principal, l.loan.schedule_version
            ));
        }
        for m in store.meetings(g.id, 1_000).await.unwrap() {
            meetings.push(format!(
                "{} {} {} {} {} {:?}",
                g.name, m.held_on, m.cash_in, m.cash_out, m.expected_cash, m.counted_cash
            ));
        }
    }
    (loans, meetings)
}

async fn check(store: &dyn Store, summary: &DemoSummary) {
    assert!(store.verify().await.unwrap().is_ok());
    assert_eq!(summary.groups, 2);
    assert_eq!(summary.members, 24);
    assert_eq!(summary.meetings, 24);
    assert!(summary.entries > 10 * summary.meetings, "{summary}");

    // Every state a loan can be in.
    let loans = store.loans(None).await.unwrap();
    assert_eq!(summary.loans, loans.len());
    let has = |status| loans.iter().any(|l| l.loan.status == status);
    for status in [
        LoanStatus::Applied,
        LoanStatus::Approved,
        LoanStatus::Rejected,
        LoanStatus::Active,
        LoanStatus::Closed,
        LoanStatus::WrittenOff,
    ] {
        assert!(has(status), "no {status} loan:\n{summary}");
    }
    let dpd = |l: &sakhi::store::LoanWithState| portfolio::arrears(&l.state, today()).days_past_due;
    let active: Vec<_> = loans
        .iter()
        .filter(|l| l.loan.status == LoanStatus::Active)
        .collect();
    assert!(active.iter().any(|l| dpd(l) == 0), "an active loan on time");
    assert!(
        active.iter().any(|l| dpd(l) > 30),
        "an active loan over 30 days late"
    );
    assert!(
        active.iter().any(|l| l.loan.schedule_version > 1),
        "a rescheduled loan"
    );
    let f = summary.loan_figures;
    assert!(f.active_on_time > 0 && f.active_late > 0 && f.rescheduled > 0);

    // The written-off loans brought a little back.
    let mut recovered = 0;
    for g in store.groups().await.unwrap() {
        let recoveries = store
            .account_by_code(g.book_id, chart::shg::RECOVERIES)
            .await
            .unwrap();
        recovered -= store.balance(recoveries.id).await.unwrap();
    }
    assert!(recovered > 0);

    // No meeting after today; every meeting counted or not, some short.
    let mut short = 0;
    for g in store.groups().await.unwrap() {
        let meetings = store.meetings(g.id, 1_000).await.unwrap();
        assert_eq!(meetings.len(), 12);
        assert!(meetings.iter().all(|m| m.held_on <= today()));
        assert!(meetings.iter().all(|m| m.expected_cash >= 0));
        short += meetings
            .iter()
            .filter(|m| m.cash_difference().is_some_and(|d| d < 0))
            .count();
    }
    assert!(short > 0, "some meetings count a shortage");

    // Every member signs in with her code alone; codes are unique.
    let mut codes = std::collections::HashSet::new();
    for g in store.groups().await.unwrap() {
        for m in store.members(g.id).await.unwrap() {
            assert!(codes.insert(m.code.clone()));
            let (found, pin_hash, _) = store.member_login(&m.code).await.unwrap().unwrap();
            assert_eq!(found.id, m.id);
            assert!(!pin_hash.is_empty());
        }
    }
    assert_eq!(codes.len(), 24);
    let (_, pin_hash, _) = store.member_login("LOT-01").await.unwrap().unwrap();
    assert!(verify_secret(DEMO_PIN, &pin_hash));

    // The users in the table sign in with the demo password.
    for (login, role) in [
        ("admin", Role::Admin),
        ("staff", Role::Staff),
        ("treasurer1", Role::Treasurer),
        ("treasurer2", Role::Treasurer),
    ] {
        let (user, _) = store.user_login(login).await.unwrap().unwrap();
        assert_eq!(user.role, role);
        assert!(!user.must_change_password);
        assert!(summary.logins.iter().any(|(_, l, _)| l == login));
    }
    let (treasurer, hash) = store.user_login("treasurer2").await.unwrap().unwrap();
    assert!(verify_secret(DEMO_PASSWORD, &hash));
    let groups = store.groups().await.unwrap();
    let iris = groups.iter().find(|g| g.name == "Iris SHG").unwrap();
    assert_eq!(
        store.treasurer_groups(treasurer.id).await.unwrap(),
        vec![iris.id]
    );

    // A second load is refused and changes nothing.
    let entries = store.verify().await.unwrap().entries;
    let err = load_demo(store, &small()).await.unwrap_err();
    assert!(err.to_string().contains("empty database"), "{err}");
    assert_eq!(store.verify().await.unwrap().entries, entries);
    assert_eq!(store.groups().await.unwrap().len(), 2);
}
