//! HTTP tests: the real router on a random port.

mod common;

use common::server::serve_in_process;
use common::*;
use std::sync::Arc;

#[tokio::test]
async fn health_reports_the_database_and_backend() {
    let db = sqlite().await;
    let base = serve_in_process(Arc::new(db.store)).await;
    let res = reqwest::get(format!("{base}/health")).await.unwrap();
    assert_eq!(res.status(), 200);
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["status"], "ok");
    assert_eq!(body["database"], "ok");
    assert_eq!(body["backend"], "sqlite");
}

#[tokio::test]
async fn health_is_503_when_the_database_is_gone() {
    let db = sqlite().await;
    db.store.pool().close().await;
    let base = serve_in_process(Arc::new(db.store)).await;
    let res = reqwest::get(format!("{base}/health")).await.unwrap();
    assert_eq!(res.status(), 503);
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["database"], "unreachable");
}

#[tokio::test]
async fn the_home_page_sends_strangers_to_sign_in_and_the_stylesheet_is_cached() {
    let db = sqlite().await;
    let base = serve_in_process(Arc::new(db.store)).await;
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let res = client.get(&base).send().await.unwrap();
    assert_eq!(res.status(), 303);
    assert_eq!(res.headers()["location"], "/login");
    let css = reqwest::get(format!("{base}/static/style.css"))
        .await
        .unwrap();
    assert_eq!(css.status(), 200);
    assert_eq!(css.headers()["content-type"], "text/css; charset=utf-8");
}

#[tokio::test]
async fn unknown_routes_are_404() {
    let db = sqlite().await;
    let base = serve_in_process(Arc::new(db.store)).await;
    let res = reqwest::get(format!("{base}/no/such/page")).await.unwrap();
    assert_eq!(res.status(), 404);
}
