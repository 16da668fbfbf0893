//! HTTP tests: the real router on a random port.

mod common;

use common::*;
use sakhi::store::Store;
use sakhi::web::{app, templates, AppState};
use std::sync::Arc;

async fn serve(store: Arc<dyn Store>) -> String {
    let state = AppState {
        store,
        templates: Arc::new(templates().unwrap()),
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app(state)).await });
    format!("http://{addr}")
}

#[tokio::test]
async fn health_reports_the_database_and_backend() {
    let db = sqlite().await;
    let base = serve(Arc::new(db.store)).await;
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
    let base = serve(Arc::new(db.store)).await;
    let res = reqwest::get(format!("{base}/health")).await.unwrap();
    assert_eq!(res.status(), 503);
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["database"], "unreachable");
}

#[tokio::test]
async fn the_home_page_lists_groups_with_names_escaped() {
    let db = sqlite().await;
    lotus(&db.store, "<script>alert(1)</script> SHG").await;
    let base = serve(Arc::new(db.store)).await;
    let res = reqwest::get(&base).await.unwrap();
    assert_eq!(res.status(), 200);
    assert!(res.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/html"));
    let html = res.text().await.unwrap();
    assert!(html.contains("<h1>Sakhi</h1>"));
    assert!(
        html.contains("&lt;script&gt;alert(1)&lt;&#x2F;script&gt; SHG"),
        "{html}"
    );
    assert!(!html.contains("<script>"));
    let css = reqwest::get(format!("{base}/static/style.css"))
        .await
        .unwrap();
    assert_eq!(css.status(), 200);
    assert_eq!(css.headers()["content-type"], "text/css; charset=utf-8");
}

#[tokio::test]
async fn unknown_routes_are_404() {
    let db = sqlite().await;
    let base = serve(Arc::new(db.store)).await;
    let res = reqwest::get(format!("{base}/no/such/page")).await.unwrap();
    assert_eq!(res.status(), 404);
}
