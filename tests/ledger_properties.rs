//! Property tests: random sequences of valid and invalid entries, batches,
//! reversals and replays keep the ledger's invariants on both backends.

mod common;

use common::*;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use sakhi::ledger::{Account, EntryId, IdempotencyKey, NewEntry};
use sakhi::money::{Currency, Money};
use sakhi::store::pg_cluster::cluster_for_tests;
use sakhi::store::{Store, StoreError};
use std::collections::HashMap;

#[derive(Debug, Clone)]
enum Op {
    /// Lines on accounts (by index), the last line balancing the rest
    /// unless `unbalance` is non-zero.
    Post {
        key: u8,
        lines: Vec<(usize, i64)>,
        unbalance: i64,
    },
    /// Several posts in one all-or-nothing call.
    Batch(Vec<(u8, Vec<(usize, i64)>)>),
    /// Re-send an earlier accepted entry exactly.
    Replay(usize),
    /// Reverse an earlier accepted entry.
    Reverse(usize),
}

fn lines() -> impl Strategy<Value = Vec<(usize, i64)>> {
    prop::collection::vec((0..10_usize, -50_000_i64..50_000), 1..4)
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (0..12_u8, lines(), prop_oneof![4 => Just(0_i64), 1 => -100_i64..100])
            .prop_map(|(key, lines, unbalance)| Op::Post { key, lines, unbalance }),
        2 => prop::collection::vec((0..12_u8, lines()), 1..4).prop_map(Op::Batch),
        1 => (0..64_usize).prop_map(Op::Replay),
        2 => (0..64_usize).prop_map(Op::Reverse),
    ]
}

struct Model {
    accounts: Vec<Account>,
    balances: HashMap<i64, i64>,
    /// Key → (content hash, entry id) of every accepted entry.
    keys: HashMap<String, ([u8; 32], EntryId)>,
    accepted: Vec<(NewEntry, EntryId)>,
    reversed: HashMap<EntryId, EntryId>,
    reversals: Vec<EntryId>,
    entry_count: i64,
}

impl Model {
    fn apply(&mut self, e: &NewEntry, id: EntryId) {
        for p in e.postings() {
            *self.balances.entry(p.account_id).or_default() += p.amount;
        }
        self.keys.insert(
            e.idempotency_key().as_str().to_string(),
            (e.content_hash(), id),
        );
        self.accepted.push((e.clone(), id));
        self.entry_count += 1;
    }

    /// What posting `e` should do: `Some(id)` replays, `None` posts anew,
    /// `Err` is a conflict.
    fn expect(&self, e: &NewEntry) -> Result<Option<EntryId>, ()> {
        match self.keys.get(e.idempotency_key().as_str()) {
            Some((hash, id)) if *hash == e.content_hash() => Ok(Some(*id)),
            Some(_) => Err(()),
            None => Ok(None),
        }
    }
}

fn build(
    g: &Lotus,
    accounts: &[Account],
    key: &str,
    lines: &[(usize, i64)],
    unbalance: i64,
) -> Option<NewEntry> {
    let inr = Currency::inr();
    let mut d = draft(&g.book, day(5), "test", key);
    let mut sum = 0;
    for (i, amount) in lines {
        d = d.signed(&accounts[*i], Money::from_minor(*amount, inr));
        sum += amount;
    }
    // Balance on an account not already used, so the entry has ≥ 2 lines.
    let used: Vec<usize> = lines.iter().map(|l| l.0).collect();
    let free = (0..accounts.len()).find(|i| !used.contains(i))?;
    d = d.signed(&accounts[free], Money::from_minor(-sum + unbalance, inr));
    d.build().ok()
}

async fn run(store: &dyn Store, ops: Vec<Op>) -> Result<(), TestCaseError> {
    let g = lotus(store, "Prop SHG").await;
    let accounts: Vec<Account> = [&g.cash, &g.bank, &g.interest, &g.fines]
        .into_iter()
        .cloned()
        .chain(g.savings.iter().cloned())
        .chain(g.voluntary.iter().cloned())
        .collect();
    let mut m = Model {
        accounts,
        balances: HashMap::new(),
        keys: HashMap::new(),
        accepted: Vec::new(),
        reversed: HashMap::new(),
        reversals: Vec::new(),
        entry_count: 0,
    };
    let mut fresh_key = 0;
    for op in ops {
        match op {
            Op::Post {
                key,
                lines,
                unbalance,
            } => {
                let built = build(&g, &m.accounts, &format!("k{key}"), &lines, unbalance);
                // The core refuses exactly the unbalanced entries and zero lines.
                let sum: i64 = lines.iter().map(|l| l.1).sum();
                let valid = unbalance == 0 && sum != 0 && lines.iter().all(|l| l.1 != 0);
                prop_assert_eq!(
                    built.is_some(),
                    valid,
                    "lines {:?} unbalance {}",
                    lines,
                    unbalance
                );
                let Some(e) = built else { continue };
                let result = store.post(&e).await;
                match (m.expect(&e), result) {
                    (Ok(Some(id)), Ok(o)) => prop_assert!(o.replayed && o.entry_id == id),
                    (Ok(None), Ok(o)) => {
                        prop_assert!(!o.replayed);
                        m.apply(&e, o.entry_id);
                    }
                    (Err(()), Err(StoreError::IdempotencyConflict { .. })) => {}
                    (want, got) => prop_assert!(false, "expected {want:?}, got {got:?}"),
                }
            }
            Op::Batch(items) => {
                let entries: Vec<NewEntry> = items
                    .iter()
                    .filter_map(|(key, lines)| build(&g, &m.accounts, &format!("k{key}"), lines, 0))
                    .collect();
                if entries.is_empty() {
                    continue;
                }
                let mut seen: HashMap<&str, [u8; 32]> = HashMap::new();
                let inner_conflict = entries.iter().any(|e| {
                    let h = e.content_hash();
                    matches!(seen.insert(e.idempotency_key().as_str(), h), Some(p) if p != h)
                });
                let conflict = inner_conflict || entries.iter().any(|e| m.expect(e).is_err());
                match store.post_all(&entries).await {
                    Ok(outcomes) => {
                        prop_assert!(!conflict, "a conflicting batch was accepted");
                        for (e, o) in entries.iter().zip(outcomes) {
                            match m.expect(e) {
                                Ok(Some(id)) => prop_assert!(o.replayed && o.entry_id == id),
                                _ => {
                                    prop_assert!(!o.replayed);
                                    m.apply(e, o.entry_id);
                                }
                            }
                        }
                    }
                    Err(err) => prop_assert!(conflict, "batch refused: {err}"),
                }
            }
            Op::Replay(i) => {
                if m.accepted.is_empty() {
                    continue;
                }
                let (e, id) = m.accepted[i % m.accepted.len()].clone();
                let o = store
                    .post(&e)
                    .await
                    .map_err(|e| TestCaseError::fail(e.to_string()))?;
                prop_assert!(o.replayed && o.entry_id == id);
            }
            Op::Reverse(i) => {
                if m.accepted.is_empty() {
                    continue;
                }
                let (_, id) = m.accepted[i % m.accepted.len()].clone();
                let original = store
                    .entry(id)
                    .await
                    .map_err(|e| TestCaseError::fail(e.to_string()))?;
                fresh_key += 1;
                let key = IdempotencyKey::new(&format!("rev{fresh_key}")).unwrap();
                let Ok(rev) = NewEntry::reversal_of(&original, &g.book, day(6), key, "fix") else {
                    prop_assert!(
                        m.reversals.contains(&id),
                        "a plain entry could not be reversed"
                    );
                    continue;
                };
                match (m.reversed.get(&id), store.post(&rev).await) {
                    (None, Ok(o)) => {
                        m.reversed.insert(id, o.entry_id);
                        m.reversals.push(o.entry_id);
                        m.apply(&rev, o.entry_id);
                    }
                    (Some(first), Err(StoreError::AlreadyReversed { reversal, .. })) => {
                        prop_assert_eq!(*first, reversal)
                    }
                    (want, got) => prop_assert!(false, "reversal: expected {want:?}, got {got:?}"),
                }
            }
        }
    }
    for a in &m.accounts {
        let stored = store
            .balance(a.id)
            .await
            .map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(
            stored,
            m.balances.get(&a.id).copied().unwrap_or(0),
            "account {}",
            a.code
        );
    }
    let tb = store
        .trial_balance(g.book.id, None)
        .await
        .map_err(|e| TestCaseError::fail(e.to_string()))?;
    prop_assert!(tb.is_balanced());
    let report = store
        .verify()
        .await
        .map_err(|e| TestCaseError::fail(e.to_string()))?;
    prop_assert!(report.is_ok(), "{}", report);
    prop_assert_eq!(report.entries, m.entry_count, "a replay posted twice");
    Ok(())
}

fn runner(cases: u32) -> TestRunner {
    TestRunner::new(Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    })
}

#[test]
fn ledger_invariants_hold_under_random_operations_on_sqlite() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let strategy = prop::collection::vec(op(), 1..30);
    let result = runner(48).run(&strategy, |ops| {
        rt.block_on(async {
            let db = sqlite().await;
            run(&db.store, ops).await
        })
    });
    if let Err(e) = result {
        panic!("{e}");
    }
}

#[test]
fn ledger_invariants_hold_under_random_operations_on_postgres() {
    let Some(cluster) = cluster_for_tests() else {
        return;
    };
    let rt = tokio::runtime::Runtime::new().unwrap();
    let strategy = prop::collection::vec(op(), 1..30);
    let result = runner(24).run(&strategy, |ops| {
        rt.block_on(async {
            let store = database_in(&cluster).await;
            let outcome = run(&store, ops).await;
            store.pool().close().await;
            outcome
        })
    });
    if let Err(e) = result {
        panic!("{e}");
    }
}
