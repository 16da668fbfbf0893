//! Writing a client's records in a batch on both backends: once per key,
//! a re-sent record answers its first id, a changed one is a conflict that
//! writes nothing of its batch, and a batch and single adds see each other.

mod common;

use chrono::NaiveDate;
use common::*;
use sakhi::auth::hash_secret;
use sakhi::i18n::Lang;
use sakhi::outcomes::{ClientCode, Record, Relapse, ReportedBy};
use sakhi::store::auth::NewUser;
use sakhi::store::{Role, Store, StoreError};

fn relapse(days: u64) -> Record {
    let on = NaiveDate::from_ymd_opt(2026, 1, 1)
        .unwrap()
        .checked_add_days(chrono::Days::new(days))
        .unwrap();
    Record::Relapse(Relapse {
        on,
        reported_by: ReportedBy::Peer,
    })
}

fn batch(items: &[(&str, u64)]) -> Vec<(String, Record)> {
    items
        .iter()
        .map(|(k, d)| (k.to_string(), relapse(*d)))
        .collect()
}

#[tokio::test]
async fn records_in_batches_on_sqlite() {
    let db = sqlite().await;
    records_in_batches(&db.store).await;
}

#[tokio::test]
async fn records_in_batches_on_postgres() {
    let Some(db) = postgres().await else { return };
    records_in_batches(&db.store).await;
}

async fn records_in_batches(store: &dyn Store) {
    let g = lotus(store, "Lotus SHG").await;
    let hash = hash_secret("pw").unwrap();
    let counsellor = store
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
    let client = store
        .create_client(
            &ClientCode::generate().unwrap(),
            &[g.setup.members[0].id],
            None,
            counsellor.id,
        )
        .await
        .unwrap();
    let other = store
        .create_client(
            &ClientCode::generate().unwrap(),
            &[g.setup.members[1].id],
            None,
            counsellor.id,
        )
        .await
        .unwrap();
    let count = |id| async move { store.records(id).await.unwrap().len() };

    // Written in the order given, with their ids.
    let first = store
        .add_records(
            client.id,
            &batch(&[("k1", 1), ("k2", 2), ("k3", 3)]),
            counsellor.id,
        )
        .await
        .unwrap();
    assert_eq!(first.len(), 3);
    assert!(first.windows(2).all(|w| w[0] < w[1]));
    let stored = store.records(client.id).await.unwrap();
    assert_eq!(
        stored.iter().map(|r| r.id).collect::<Vec<_>>(),
        first.clone()
    );
    assert_eq!(stored[1].record, relapse(2));
    assert_eq!(stored[1].recorded_by, "Counsellor");

    // Sent again: the same ids and nothing new; a re-sent key beside a new
    // one answers its first id and writes the new one.
    let again = store
        .add_records(
            client.id,
            &batch(&[("k1", 1), ("k2", 2), ("k3", 3)]),
            counsellor.id,
        )
        .await
        .unwrap();
    assert_eq!(again, first);
    let mixed = store
        .add_records(client.id, &batch(&[("k4", 4), ("k2", 2)]), counsellor.id)
        .await
        .unwrap();
    assert_eq!(mixed[1], first[1]);
    assert!(mixed[0] > first[2]);
    assert_eq!(count(client.id).await, 4);

    // A key is per client: another client's k1 is her own record.
    let hers = store
        .add_records(other.id, &batch(&[("k1", 9)]), counsellor.id)
        .await
        .unwrap();
    assert_ne!(hers[0], first[0]);

    // A key sent again with other values: a conflict, and the batch's new
    // record is not written either.
    let conflict = store
        .add_records(client.id, &batch(&[("k5", 5), ("k1", 11)]), counsellor.id)
        .await;
    assert!(
        matches!(conflict, Err(StoreError::Duplicate(_))),
        "{conflict:?}"
    );
    assert_eq!(count(client.id).await, 4);

    // The same key twice in one batch: once when the records agree, a
    // conflict when they do not.
    let twice = store
        .add_records(client.id, &batch(&[("k6", 6), ("k6", 6)]), counsellor.id)
        .await
        .unwrap();
    assert_eq!(twice[0], twice[1]);
    let clash = store
        .add_records(client.id, &batch(&[("k7", 7), ("k7", 8)]), counsellor.id)
        .await;
    assert!(matches!(clash, Err(StoreError::Duplicate(_))), "{clash:?}");
    assert_eq!(count(client.id).await, 5);

    // Single adds and batches share the keys.
    assert_eq!(
        store
            .add_record(client.id, &relapse(3), "k3", counsellor.id)
            .await
            .unwrap(),
        first[2]
    );
    assert!(matches!(
        store
            .add_record(client.id, &relapse(30), "k3", counsellor.id)
            .await,
        Err(StoreError::Duplicate(_))
    ));
    let single = store
        .add_record(client.id, &relapse(10), "k10", counsellor.id)
        .await
        .unwrap();
    assert_eq!(
        store
            .add_records(client.id, &batch(&[("k10", 10)]), counsellor.id)
            .await
            .unwrap(),
        vec![single]
    );

    // Nothing to write; and a batch larger than one INSERT takes.
    assert!(store
        .add_records(client.id, &[], counsellor.id)
        .await
        .unwrap()
        .is_empty());
    let many: Vec<(String, Record)> = (0..1_000)
        .map(|n| (format!("many/{n}"), relapse(100 + n)))
        .collect();
    let written = store
        .add_records(client.id, &many, counsellor.id)
        .await
        .unwrap();
    assert_eq!(written.len(), 1_000);
    assert!(written.windows(2).all(|w| w[0] < w[1]));
    assert_eq!(count(client.id).await, 1_006);
    let replayed = store
        .add_records(client.id, &many, counsellor.id)
        .await
        .unwrap();
    assert_eq!(replayed, written);
    assert_eq!(count(client.id).await, 1_006);
}
