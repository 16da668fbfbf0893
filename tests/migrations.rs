//! Upgrading a database that already has people in it: migration 0005
//! rebuilds SQLite's `users` table (to let counsellors in), and everything
//! that points at a user (sessions, treasurer groups) must survive it.
//! Migration 0007 (program admin) adds product retirement, program settings
//! and the built-in products as stored ones: products and loans made before
//! it keep working, on both backends.

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

/// A database as release 6 left it: a group with a member, its own product,
/// a loan made with that product and one made from a built-in template
/// (no stored product), written the way that release wrote them. With
/// `program_names`, program-wide products too (the demo stored them).
fn version_6_rows(program_names: &[&str]) -> String {
    let (_, business) = sakhi::loans::product::templates().remove(0);
    let json = serde_json::to_string(&business).unwrap();
    let mut machine = business.clone();
    machine.installments = 6;
    let machine = serde_json::to_string(&machine).unwrap();
    let mut sql = format!(
        "INSERT INTO books (kind, name, currency, created_at) \
         VALUES ('group', 'Lotus SHG', 'INR', '2026-01-01T00:00:00Z'); \
         INSERT INTO shg_groups (book_id, name, created_at, code) \
         SELECT id, 'Lotus SHG', '2026-01-01T00:00:00Z', 'LOT' FROM books; \
         INSERT INTO members (group_id, member_code, display_name, joined_on) \
         SELECT id, 'LOT-01', 'Sanahanbi', '2026-01-01' FROM shg_groups; \
         INSERT INTO loan_products (group_id, name, settings, created_at) \
         SELECT id, 'Machine loan', '{machine}', '2026-01-02T00:00:00Z' FROM shg_groups; \
         INSERT INTO loans (group_id, member_id, product_id, source, purpose, principal, \
         settings, status, applied_on) \
         SELECT m.group_id, m.id, p.id, 'group-fund', 'sewing machine', 600000, p.settings, \
         'applied', '2026-02-01' FROM members m, loan_products p; \
         INSERT INTO loans (group_id, member_id, product_id, source, purpose, principal, \
         settings, status, applied_on) \
         SELECT group_id, id, NULL, 'group-fund', 'pickles', 300000, '{json}', 'applied', \
         '2026-02-02' FROM members; "
    );
    for name in program_names {
        sql.push_str(&format!(
            "INSERT INTO loan_products (group_id, name, settings, created_at) \
             VALUES (NULL, '{name}', '{json}', '2026-01-03T00:00:00Z'); "
        ));
    }
    sql
}

/// Runs migrations 1 to 6 only, then writes `rows`.
macro_rules! at_version_6 {
    ($store:expr, $folder:literal, $rows:expr) => {{
        let mut before = sqlx::migrate::Migrator::new(std::path::Path::new($folder))
            .await
            .unwrap();
        assert_eq!(before.migrations[5].version, 6);
        before.migrations = Cow::Owned(before.migrations[..6].to_vec());
        before.run($store.pool()).await.unwrap();
        sqlx::raw_sql(&$rows).execute($store.pool()).await.unwrap();
    }};
}

/// After the upgrade: the old products and loans as they were, the built-in
/// products stored (none existed), and the new columns in use.
async fn upgraded_keeps_products_and_loans(store: &dyn Store) {
    let group = store.groups().await.unwrap().remove(0);
    let loans = store.loans(Some(group.id)).await.unwrap();
    assert_eq!(loans.len(), 2);
    let offered = store.products(group.id).await.unwrap();
    let machine = offered
        .iter()
        .find(|p| p.name == "Machine loan")
        .expect("the group's own product is still offered");
    assert_eq!(machine.group_id, Some(group.id));
    assert_eq!(machine.settings.installments, 6);
    assert_eq!(machine.retired_on, None);
    let with_machine = loans
        .iter()
        .find(|l| l.loan.product_id == Some(machine.id))
        .unwrap();
    assert_eq!(with_machine.loan.settings, machine.settings);
    assert_eq!(with_machine.loan.principal, 600_000);
    let templated = loans.iter().find(|l| l.loan.product_id.is_none()).unwrap();
    assert_eq!(
        templated.loan.settings,
        sakhi::loans::product::templates()[0].1
    );
    // The built-in products are now stored program products on offer.
    let program = store.program_products().await.unwrap();
    let builtin = sakhi::loans::product::templates();
    assert_eq!(program.len(), builtin.len());
    for (name, settings) in &builtin {
        let stored = program.iter().find(|p| p.product.name == *name).unwrap();
        assert_eq!(&stored.product.settings, settings);
        assert_eq!((stored.product.group_id, stored.loans), (None, 0));
        assert!(offered.iter().any(|p| p.id == stored.product.id));
    }
    assert_eq!(
        store.program_settings().await.unwrap(),
        sakhi::program::ProgramSettings::default()
    );
    // Retiring the old product leaves its loan as it was.
    let on = chrono::NaiveDate::from_ymd_opt(2026, 3, 1).unwrap();
    let retired = store
        .set_product_retired(machine.id, Some(on))
        .await
        .unwrap();
    assert_eq!(retired.retired_on, Some(on));
    assert!(!store
        .products(group.id)
        .await
        .unwrap()
        .iter()
        .any(|p| p.id == machine.id));
    assert_eq!(
        store.loan(with_machine.loan.id).await.unwrap().loan,
        with_machine.loan
    );
    assert!(store.verify().await.unwrap().is_ok());
}

/// Program products of one name, as a release-6 demo could have left them:
/// the oldest stays on offer, the others are retired; nothing is seeded
/// over products the program already has.
async fn upgraded_keeps_one_product_per_name(store: &dyn Store) {
    let program = store.program_products().await.unwrap();
    assert_eq!(program.len(), 3, "{program:?}");
    let active: Vec<_> = program.iter().filter(|p| !p.product.is_retired()).collect();
    let names: Vec<&str> = active.iter().map(|p| p.product.name.as_str()).collect();
    assert_eq!(names, ["Old business loan", "Old trade loan"]);
    let twins: Vec<i64> = program
        .iter()
        .filter(|p| p.product.name == "Old business loan")
        .map(|p| p.product.id)
        .collect();
    let oldest = twins.iter().min().unwrap();
    assert!(active.iter().any(|p| p.product.id == *oldest));
}

#[tokio::test]
async fn a_version_6_database_keeps_its_products_and_loans_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite:{}", dir.path().join("v6.db").display());
    let store = SqliteStore::open(&url).await.unwrap();
    at_version_6!(store, "migrations/sqlite", version_6_rows(&[]));
    store.migrate().await.unwrap();
    upgraded_keeps_products_and_loans(&store).await;

    let url = format!("sqlite:{}", dir.path().join("demo-v6.db").display());
    let store = SqliteStore::open(&url).await.unwrap();
    let names = ["Old business loan", "Old trade loan", "Old business loan"];
    at_version_6!(store, "migrations/sqlite", version_6_rows(&names));
    store.migrate().await.unwrap();
    upgraded_keeps_one_product_per_name(&store).await;
}

#[tokio::test]
async fn a_version_6_database_keeps_its_products_and_loans_on_postgres() {
    let Some(cluster) = sakhi::store::pg_cluster::cluster_for_tests() else {
        return;
    };
    let open = |name: &'static str| {
        let url = cluster.create_database(name).unwrap();
        async move {
            sakhi::store::postgres::PgStore::connect(&url)
                .await
                .unwrap()
        }
    };
    let store = open("sakhi_v6").await;
    at_version_6!(store, "migrations/postgres", version_6_rows(&[]));
    store.migrate().await.unwrap();
    upgraded_keeps_products_and_loans(&store).await;

    let store = open("sakhi_demo_v6").await;
    let names = ["Old business loan", "Old trade loan", "Old business loan"];
    at_version_6!(store, "migrations/postgres", version_6_rows(&names));
    store.migrate().await.unwrap();
    upgraded_keeps_one_product_per_name(&store).await;
}

/// Migration 0007 stores `templates()` as JSON text: this holds the two to
/// each other, so a change to either is caught.
async fn new_database_has_the_built_in_products(store: &dyn Store) {
    let stored: Vec<(String, sakhi::loans::product::LoanSettings)> = store
        .program_products()
        .await
        .unwrap()
        .into_iter()
        .map(|p| (p.product.name, p.product.settings))
        .collect();
    let mut builtin: Vec<(String, _)> = sakhi::loans::product::templates()
        .into_iter()
        .map(|(name, settings)| (name.to_string(), settings))
        .collect();
    builtin.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(stored, builtin);
}

#[tokio::test]
async fn a_new_database_stores_the_built_in_products_on_sqlite() {
    let db = common::sqlite().await;
    new_database_has_the_built_in_products(&db.store).await;
}

#[tokio::test]
async fn a_new_database_stores_the_built_in_products_on_postgres() {
    let Some(db) = common::postgres().await else {
        return;
    };
    new_database_has_the_built_in_products(&db.store).await;
}
