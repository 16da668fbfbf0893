//! Repayments over the API committed many to a transaction (group commit),
//! through the real router on SQLite and PostgreSQL: concurrent requests on
//! a few loans, some repeating a key and one paying more than its loan owes,
//! each get the answer they would have had alone, and the books agree.
//! And when PostgreSQL is gone, a repayment is a prompt 503 to try again.

mod common;

use common::server::{lending, serve_in_process, treasurer_token};
use common::*;
use reqwest::StatusCode;
use sakhi::groups::{NewGroup, NewMember};
use sakhi::ledger::chart;
use sakhi::money::Currency;
use sakhi::store::Store;
use serde_json::{json, Value};
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

const REQUESTS: usize = 64;
/// Keys sent twice at once: one copy posts, the other replays it.
const REPEATED: usize = 6;

/// `12345` paise as the API takes it: "123.45".
fn rupees_text(minor: i64) -> String {
    format!("{}.{:02}", minor / 100, minor % 100)
}

#[derive(Debug, Clone)]
struct Request {
    loan: i64,
    amount: i64,
    key: String,
}

async fn post(
    client: &reqwest::Client,
    base: &str,
    token: &str,
    r: &Request,
) -> (StatusCode, Value) {
    let res = client
        .post(format!("{base}/api/v1/loans/{}/repayments", r.loan))
        .bearer_auth(token)
        .json(&json!({"amount": rupees_text(r.amount), "idempotency_key": r.key}))
        .send()
        .await
        .unwrap();
    (res.status(), res.json().await.unwrap())
}

async fn concurrent_repayments(store: Arc<dyn Store>) {
    let l = lending(store.as_ref(), 4).await;
    // The treasurer keeps a second group too, and another treasurer keeps
    // only that one: the API caller's groups are read in one query.
    let joined = common::web_world::today() - chrono::Days::new(200);
    let other = store
        .create_group(
            &NewGroup::new(
                "Other SHG",
                Currency::inr(),
                vec![NewMember::new("OT-01", "Other", joined).unwrap()],
            )
            .unwrap(),
        )
        .await
        .unwrap();
    let (treasurer, _) = store.user_login("treasurer").await.unwrap().unwrap();
    store
        .assign_treasurer(treasurer.id, other.group.id)
        .await
        .unwrap();
    let outsider_token = treasurer_token(store.as_ref(), "outsider", other.group.id).await;

    let mut owed = BTreeMap::new();
    for &loan in &l.loans {
        owed.insert(
            loan,
            store.loan(loan).await.unwrap().state.outstanding_total(),
        );
    }
    let cash = store
        .account_by_code(l.book, chart::shg::CASH)
        .await
        .unwrap();
    let cash_before = store.balance(cash.id).await.unwrap();

    // Distinct keys spread over the loans, small amounts; the first few
    // sent twice; and one that pays more than its whole loan owes.
    let over = Request {
        loan: l.loans[3],
        amount: owed[&l.loans[3]] + 1,
        key: "over".into(),
    };
    let distinct: Vec<Request> = (0..REQUESTS - REPEATED - 1)
        .map(|i| Request {
            loan: l.loans[i % l.loans.len()],
            amount: 100 + ((i * 37) % 900) as i64,
            key: format!("gc-{i}"),
        })
        .collect();
    let mut plan = distinct.clone();
    plan.extend(distinct[..REPEATED].iter().cloned());
    plan.push(over.clone());
    assert_eq!(plan.len(), REQUESTS);

    let base = serve_in_process(store.clone()).await;
    let start = Arc::new(tokio::sync::Barrier::new(plan.len()));
    let tasks: Vec<_> = plan
        .into_iter()
        .map(|r| {
            let (base, token, start) = (base.clone(), l.token.clone(), start.clone());
            tokio::spawn(async move {
                let client = reqwest::Client::new();
                start.wait().await;
                let (status, body) = post(&client, &base, &token, &r).await;
                (r, status, body)
            })
        })
        .collect();
    let mut answers: HashMap<String, Vec<(StatusCode, Value)>> = HashMap::new();
    for t in tasks {
        let (r, status, body) = t.await.unwrap();
        answers.entry(r.key).or_default().push((status, body));
    }

    let refusal = &answers["over"];
    assert_eq!(refusal.len(), 1);
    let (status, body) = &refusal[0];
    assert_eq!(*status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let said = body["fields"]["amount"].as_str().unwrap_or_default();
    assert!(
        said.contains("more than") && said.contains("outstanding"),
        "the refusal names the amount and the rule: {body}"
    );
    let mut accepted: BTreeMap<String, i64> = BTreeMap::new();
    for (i, r) in distinct.iter().enumerate() {
        let got = &answers[&r.key];
        let created: Vec<&Value> = got
            .iter()
            .filter(|(s, _)| *s == StatusCode::CREATED)
            .map(|(_, b)| b)
            .collect();
        assert_eq!(created.len(), 1, "{}: {got:?}", r.key);
        let entry_id = created[0]["entry_id"].as_i64().unwrap();
        assert_eq!(created[0]["replayed"], false);
        if i < REPEATED {
            let replay = got
                .iter()
                .find(|(s, _)| *s == StatusCode::OK)
                .unwrap_or_else(|| panic!("{}: no replay among {got:?}", r.key));
            assert_eq!(replay.1["replayed"], true, "{}", r.key);
            assert_eq!(replay.1["entry_id"].as_i64(), Some(entry_id), "{}", r.key);
        } else {
            assert_eq!(got.len(), 1, "{}", r.key);
        }
        accepted.insert(r.key.clone(), entry_id);
    }

    // The ledger holds exactly the accepted repayments, once each.
    let mut posted: BTreeMap<String, (i64, i64)> = BTreeMap::new();
    for e in store.journal(l.book, None, None).await.unwrap() {
        if e.kind == "loan-repayment" {
            let received: i64 = e.postings.iter().map(|p| p.amount).filter(|a| *a > 0).sum();
            assert!(posted.insert(e.idempotency_key, (e.id, received)).is_none());
        }
    }
    assert_eq!(
        posted
            .iter()
            .map(|(k, (id, _))| (k.clone(), *id))
            .collect::<BTreeMap<_, _>>(),
        accepted
    );
    let mut paid: BTreeMap<i64, i64> = BTreeMap::new();
    for r in &distinct {
        assert_eq!(posted[&r.key].1, r.amount, "{}", r.key);
        *paid.entry(r.loan).or_default() += r.amount;
    }
    let accepted_sum: i64 = paid.values().sum();
    let tb = store.trial_balance(l.book, None).await.unwrap();
    assert!(tb.is_balanced());
    let cash_line = tb
        .lines
        .iter()
        .find(|line| line.account_id == cash.id)
        .unwrap();
    assert_eq!(cash_line.balance - cash_before, accepted_sum);
    for (loan, before) in &owed {
        let after = store.loan(*loan).await.unwrap();
        assert!(
            paid[loan] <= *before,
            "loan {loan}: paid {} of {before}",
            paid[loan]
        );
        assert!(
            after.state.outstanding_total() <= before - paid[loan],
            "loan {loan}"
        );
        let account = store
            .account_by_code(
                l.book,
                &chart::member_account_code(
                    chart::shg::LOANS_TO_MEMBERS,
                    &store.member(after.loan.member_id).await.unwrap().code,
                ),
            )
            .await
            .unwrap();
        let line = tb
            .lines
            .iter()
            .find(|line| line.account_id == account.id)
            .unwrap();
        assert_eq!(
            line.balance,
            after.state.principal_outstanding(),
            "loan {loan}"
        );
    }
    let report = store.verify().await.unwrap();
    assert!(report.is_ok(), "{report}");

    // Another group's treasurer learns nothing of these loans, as before.
    let client = reqwest::Client::new();
    let probe = Request {
        loan: l.loans[0],
        amount: 100,
        key: "outsider".into(),
    };
    let (status, body) = post(&client, &base, &outsider_token, &probe).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    // And the treasurer's second group does not hide her first.
    let (status, body) = post(&client, &base, &l.token, &probe).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_repayments_commit_together_and_answer_alone_on_sqlite() {
    let db = sqlite().await;
    concurrent_repayments(Arc::new(db.store)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_repayments_commit_together_and_answer_alone_on_postgres() {
    let Some(db) = postgres().await else { return };
    concurrent_repayments(Arc::new(database_in(&db.cluster).await)).await;
}

/// The database stops between two repayments: the second is answered 503,
/// with `Retry-After` and the JSON error every API refusal has, telling the
/// treasurer to send it again with the same key; not a 500, and not after
/// the default 30 s pool timeout.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_repayment_while_postgres_is_down_is_a_503_to_send_again() {
    let Some(cluster) = sakhi::store::pg_cluster::cluster_for_tests() else {
        return;
    };
    let url = cluster.create_database("outage").unwrap();
    // Short, so that a regression to waiting on the pool fails fast here.
    let pool = sqlx::postgres::PgPoolOptions::new()
        .max_connections(4)
        .acquire_timeout(std::time::Duration::from_secs(2))
        .connect(&url)
        .await
        .unwrap();
    let store = sakhi::store::postgres::PgStore::from_pool(pool);
    store.migrate().await.unwrap();
    let store: Arc<dyn Store> = Arc::new(store);
    let l = lending(store.as_ref(), 1).await;
    let base = serve_in_process(store.clone()).await;
    let client = reqwest::Client::new();
    let before = Request {
        loan: l.loans[0],
        amount: 100,
        key: "before-outage".into(),
    };
    let (status, body) = post(&client, &base, &l.token, &before).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");

    // Stops the server and deletes its socket.
    drop(cluster);
    let res = tokio::time::timeout(
        std::time::Duration::from_secs(60),
        client
            .post(format!("{base}/api/v1/loans/{}/repayments", l.loans[0]))
            .bearer_auth(&l.token)
            .json(&json!({"amount": "1.00", "idempotency_key": "during-outage"}))
            .send(),
    )
    .await
    .expect("an answer, not a hang")
    .unwrap();
    assert_eq!(res.status(), StatusCode::SERVICE_UNAVAILABLE);
    let retry_after: u64 = res
        .headers()
        .get(reqwest::header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
        .expect("a Retry-After in seconds");
    assert!(retry_after > 0);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"], sakhi::web::UNAVAILABLE, "{body}");
    assert_eq!(body["fields"], json!({}), "{body}");
}
