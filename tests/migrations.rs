//! Upgrading a database that already has people in it: migration 0005
//! rebuilds SQLite's `users` table (to let counsellors in), and everything
//! that points at a user (sessions, treasurer groups) must survive it.

mod common;

use sakhi::auth::hash_secret;
use sakhi::i18n::Lang;
use sakhi::store::auth::NewUser;
use sakhi::store::sqlite::SqliteStore;
use sakhi::store::{AuthStore, OutcomesStore, Role, SessionOwner, Store};
use std::borrow::Cow;

#[tokio::test]
async fn users_and_their_sessions_survive_the_counsellor_migration_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite:{}", dir.path().join("old.db").display());
    let store = SqliteStore::open(&url).await.unwrap();
    // The database as the previous release left it: migrations 1 to 4.
    let mut before = sqlx::migrate::Migrator::new(std::path::Path::new("migrations/sqlite"))
        .await
        .unwrap();
    before.migrations = Cow::Owned(before.migrations[..4].to_vec());
    before.run(store.pool()).await.unwrap();

    // A group as that release wrote it (today's code would write columns
    // that later migrations add).
    sqlx::query(
        "INSERT INTO books (id, kind, name, currency, created_at) \
         VALUES (1, 'group', 'Lotus SHG', 'INR', '2026-01-01T00:00:00Z'); \
         INSERT INTO shg_groups (id, book_id, name, created_at) \
         VALUES (1, 1, 'Lotus SHG', '2026-01-01T00:00:00Z')",
    )
    .execute(store.pool())
    .await
    .unwrap();
    let group_id = 1;
    let hash = hash_secret("old password").unwrap();
    let treasurer = store
        .create_user(&NewUser {
            username: "treasurer1",
            display_name: "Treasurer One",
            role: Role::Treasurer,
            password_hash: &hash,
            must_change_password: false,
            lang: Lang::Hi,
        })
        .await
        .unwrap();
    store
        .assign_treasurer(treasurer.id, group_id)
        .await
        .unwrap();
    let now = chrono::Utc::now().timestamp();
    store
        .create_session(
            "session-hash",
            SessionOwner::User(treasurer.id),
            "csrf",
            now,
            now + 3600,
        )
        .await
        .unwrap();

    store.migrate().await.unwrap();

    let users = store.users().await.unwrap();
    assert_eq!(users.len(), 1);
    assert_eq!(users[0].id, treasurer.id);
    assert_eq!(users[0].lang, Lang::Hi);
    assert_eq!(
        store.treasurer_groups(treasurer.id).await.unwrap(),
        vec![group_id]
    );
    assert!(store.session("session-hash", now).await.unwrap().is_some());
    let orphans: Vec<(String,)> = sqlx::query_as("SELECT \"table\" FROM pragma_foreign_key_check")
        .fetch_all(store.pool())
        .await
        .unwrap();
    assert!(orphans.is_empty(), "{orphans:?}");
    // Groups from before codes keep working, with no code.
    assert_eq!(store.group(group_id).await.unwrap().code, None);
    // Counsellors can now be created.
    store
        .create_user(&NewUser {
            username: "counsellor",
            display_name: "Counsellor",
            role: Role::Counsellor,
            password_hash: &hash,
            must_change_password: false,
            lang: Lang::En,
        })
        .await
        .unwrap();
    assert!(store.verify().await.unwrap().is_ok());
}

#[tokio::test]
async fn nobody_can_edit_the_access_log_or_an_outcome_record_on_sqlite() {
    let db = common::sqlite().await;
    let store = &db.store;
    let lotus = common::lotus(store, "Lotus SHG").await;
    let hash = hash_secret("pw").unwrap();
    let staff = store
        .create_user(&NewUser {
            username: "staff",
            display_name: "Staff",
            role: Role::Staff,
            password_hash: &hash,
            must_change_password: false,
            lang: Lang::En,
        })
        .await
        .unwrap();
    let code = sakhi::outcomes::ClientCode::generate().unwrap();
    let client = store
        .create_client(&code, &[lotus.setup.members[0].id], None, staff.id)
        .await
        .unwrap();
    let on = chrono::NaiveDate::from_ymd_opt(2026, 3, 1).unwrap();
    let relapse = sakhi::outcomes::Record::Relapse(sakhi::outcomes::Relapse {
        on,
        reported_by: sakhi::outcomes::ReportedBy::Peer,
    });
    store
        .add_record(client.id, &relapse, "k", staff.id)
        .await
        .unwrap();
    store
        .log_access(&sakhi::store::Access {
            user_id: staff.id,
            actor: "Staff",
            role: "staff",
            client_id: Some(client.id),
            record: "rehabilitation",
            page: "/clients/{code}",
            reason: None,
        })
        .await
        .unwrap();
    for sql in [
        "UPDATE access_log SET actor = 'nobody'",
        "DELETE FROM access_log",
        "UPDATE outcome_records SET payload = '{}'",
        "DELETE FROM outcome_records",
    ] {
        let refused = sqlx::query(sql).execute(store.pool()).await;
        assert!(refused.is_err(), "{sql} must be refused");
    }
    assert_eq!(
        store
            .access_log(Some(client.id), None, 10)
            .await
            .unwrap()
            .len(),
        1
    );
    assert_eq!(store.records(client.id).await.unwrap().len(), 1);
}
