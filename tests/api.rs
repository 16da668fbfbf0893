//! `/api/v1` through the real router on both backends: bearer tokens, the
//! OpenAPI document against the routes, the schedule preview against the
//! CLI's worked example, idempotent repayments and meetings, scoping, JSON
//! errors with fields.

mod common;

use common::web_world::*;
use common::*;
use reqwest::StatusCode;
use sakhi::store::Store;
use serde_json::{json, Value};
use std::sync::Arc;

struct Api {
    base: String,
    token: String,
}

impl Api {
    async fn as_user(w: &World, username: &str) -> Api {
        let (_, token, _) = sakhi::web::api::issue_for(w.store.as_ref(), username, "test")
            .await
            .unwrap();
        Api {
            base: format!("{}/api/v1", w.base),
            token,
        }
    }

    async fn get(&self, path: &str) -> (StatusCode, Value) {
        let res = reqwest::Client::new()
            .get(format!("{}{path}", self.base))
            .bearer_auth(&self.token)
            .send()
            .await
            .unwrap();
        (res.status(), res.json().await.unwrap_or(Value::Null))
    }

    async fn post(&self, path: &str, body: &Value) -> (StatusCode, Value) {
        let res = reqwest::Client::new()
            .post(format!("{}{path}", self.base))
            .bearer_auth(&self.token)
            .json(body)
            .send()
            .await
            .unwrap();
        (res.status(), res.json().await.unwrap_or(Value::Null))
    }
}

async fn all(store: Arc<dyn Store>) {
    let w = world(store).await;
    openapi_lists_every_route(&w).await;
    tokens_are_required_and_revocable(&w).await;
    preview_matches_the_cli(&w).await;
    repayments_and_meetings(&w).await;
    assert!(w.store.verify().await.unwrap().is_ok());
}

#[tokio::test]
async fn api_on_sqlite() {
    let db = sqlite().await;
    all(Arc::new(db.store)).await;
}

#[tokio::test]
async fn api_on_postgres() {
    let Some(db) = postgres().await else { return };
    all(Arc::new(database_in(&db.cluster).await)).await;
}

async fn openapi_lists_every_route(w: &World) {
    let doc: Value = reqwest::get(format!("{}/api/v1/openapi.json", w.base))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(doc["openapi"], "3.0.3");
    let paths = doc["paths"].as_object().unwrap();
    assert!(paths.len() >= 10);
    // Every documented operation is routed (never 404/405 for a made-up id),
    // and an undocumented path is not.
    let admin = Api::as_user(w, "admin").await;
    for (path, ops) in paths {
        let concrete = path
            .replace("{group}", &w.a.group.id.to_string())
            .replace("{member}", &w.a.members[0].id.to_string())
            .replace("{loan}", &w.loan.to_string())
            .replace("{token}", "999999");
        for method in ops.as_object().unwrap().keys() {
            let res = reqwest::Client::new()
                .request(
                    method.to_uppercase().parse().unwrap(),
                    format!("{}{concrete}", w.base),
                )
                .bearer_auth(&admin.token)
                .json(&json!({}))
                .send()
                .await
                .unwrap();
            assert_ne!(
                res.status(),
                StatusCode::METHOD_NOT_ALLOWED,
                "{method} {path}"
            );
            if !concrete.contains("999999") {
                assert_ne!(res.status(), StatusCode::NOT_FOUND, "{method} {path}");
            }
        }
    }
    let (status, body) = admin.get("/no-such-thing").await;
    assert_eq!(status, 404);
    assert_eq!(body["error"], "not found");
}

async fn tokens_are_required_and_revocable(w: &World) {
    let res = reqwest::get(format!("{}/api/v1/groups", w.base))
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
    assert_eq!(res.headers()["www-authenticate"], "Bearer");
    let body: Value = res.json().await.unwrap();
    assert!(body["error"].is_string());

    let admin = Api::as_user(w, "admin").await;
    let (status, issued) = admin
        .post(
            "/tokens",
            &json!({"username": "treasurer-b", "label": "phone app"}),
        )
        .await;
    assert_eq!(status, 201);
    let tb = Api {
        base: admin.base.clone(),
        token: issued["token"].as_str().unwrap().to_string(),
    };
    let (status, groups) = tb.get("/groups").await;
    assert_eq!(status, 200);
    assert_eq!(
        groups["groups"].as_array().unwrap().len(),
        1,
        "only her group"
    );
    // Another group's records are "not found", not "forbidden".
    assert_eq!(tb.get(&format!("/groups/{}", w.a.group.id)).await.0, 404);
    assert_eq!(tb.get(&format!("/loans/{}", w.loan)).await.0, 404);
    assert_eq!(
        tb.get(&format!("/members/{}/balances", w.a.members[0].id))
            .await
            .0,
        404
    );
    // A treasurer does not administer tokens.
    assert_eq!(tb.get("/tokens").await.0, 403);
    let id = issued["id"].as_i64().unwrap();
    let res = reqwest::Client::new()
        .delete(format!("{}/tokens/{id}", admin.base))
        .bearer_auth(&admin.token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204);
    assert_eq!(tb.get("/groups").await.0, 401);
    let (status, body) = admin
        .post("/tokens", &json!({"username": "nobody", "label": "x"}))
        .await;
    assert_eq!(status, 422);
    assert!(body["fields"]["username"].is_string());
}

async fn preview_matches_the_cli(w: &World) {
    let api = Api::as_user(w, "treasurer-a").await;
    let (status, body) = api
        .post(
            "/schedules/preview",
            &json!({
                "principal": "5000", "rate": "12", "rate_per": "year", "installments": 18,
                "every": 1, "frequency": "month", "method": "declining",
                "amortization": "equal-installments", "interest_period": "repayment",
                "disbursed": "2022-11-01", "installment_multiple": "1"
            }),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["currency"], "INR");
    assert_eq!(body["total_interest"], "488.22");
    assert_eq!(body["total_due"], "5488.22");
    assert_eq!(body["installments"][0]["due_date"], "2022-12-01");
    assert_eq!(body["installments"][0]["interest"], "50.00");
    for (bad, field) in [
        (
            json!({"principal": "-5", "rate": "12", "installments": 3, "frequency": "month", "method": "flat", "disbursed": "2022-11-01"}),
            "principal",
        ),
        (
            json!({"principal": "5000", "rate": "12", "installments": 3, "frequency": "fortnight", "method": "flat", "disbursed": "2022-11-01"}),
            "frequency",
        ),
        (
            json!({"principal": "5000", "rate": "12", "installments": "three", "frequency": "month", "method": "flat", "disbursed": "2022-11-01"}),
            "installments",
        ),
        (
            json!({"principal": "5000", "rate": "12", "installments": 3, "frequency": "month", "method": "flat", "disbursed": "1 Nov"}),
            "disbursed",
        ),
    ] {
        let (status, body) = api.post("/schedules/preview", &bad).await;
        assert_eq!(status, 422, "{bad}");
        assert!(body["fields"][field].is_string(), "{field}: {body}");
    }
    let res = reqwest::Client::new()
        .post(format!("{}/schedules/preview", api.base))
        .bearer_auth(&api.token)
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 422);
}

async fn repayments_and_meetings(w: &World) {
    let api = Api::as_user(w, "treasurer-a").await;
    let path = format!("/loans/{}/repayments", w.loan);
    let body = json!({"amount": "100.00", "idempotency_key": "api-repay-1"});
    let (status, first) = api.post(&path, &body).await;
    assert_eq!(status, 201, "{first}");
    let (status, again) = api.post(&path, &body).await;
    assert_eq!(status, 200);
    assert_eq!(again["entry_id"], first["entry_id"]);
    assert_eq!(again["replayed"], true);
    for (bad, field) in [
        (
            json!({"amount": "1.001", "idempotency_key": "k2"}),
            "amount",
        ),
        (json!({"amount": "0", "idempotency_key": "k3"}), "amount"),
        (json!({"amount": "100"}), "idempotency_key"),
        (
            json!({"amount": "100", "idempotency_key": "k4", "on": "2999-01-01"}),
            "on",
        ),
        (
            json!({"amount": "100", "idempotency_key": "k5", "into": "pocket"}),
            "into",
        ),
    ] {
        let (status, body) = api.post(&path, &bad).await;
        assert_eq!(status, 422, "{bad}: {body}");
        assert!(body["fields"][field].is_string(), "{field}: {body}");
    }
    let (status, body) = api
        .post(
            &path,
            &json!({"amount": "99999999", "idempotency_key": "k6"}),
        )
        .await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(
        api.post(
            "/loans/999999/repayments",
            &json!({"amount": "1", "idempotency_key": "k7"})
        )
        .await
        .0,
        404
    );

    let m = w.a.members[0].id;
    let meeting = json!({
        "idempotency_key": "api-meeting-1",
        "held_on": today().to_string(),
        "members": [{"member_id": m, "thrift": "50"}],
        "cash_counted": null
    });
    let group = format!("/groups/{}/meetings", w.a.group.id);
    let (status, saved) = api.post(&group, &meeting).await;
    assert_eq!(status, 201, "{saved}");
    let (status, replay) = api.post(&group, &meeting).await;
    assert_eq!(status, 200);
    assert_eq!(replay["meeting"]["id"], saved["meeting"]["id"]);
    let stranger = json!({
        "idempotency_key": "api-meeting-2",
        "held_on": today().to_string(),
        "members": [{"member_id": w.b.members[0].id, "thrift": "50"}]
    });
    let (status, body) = api.post(&group, &stranger).await;
    assert_eq!(status, 422, "{body}");
    let (status, balances) = api.get(&format!("/members/{m}/balances")).await;
    assert_eq!(status, 200);
    assert_eq!(balances["voluntary_savings"], "5000.00");
    assert_eq!(balances["compulsory_savings"], "50.00");
}
