//! Page-size budgets measured on the rendered demo pages (a year of weekly
//! meetings, 12–15 members a group): a member's page within 10 KB of HTML and
//! CSS together, treasurer and staff pages within 40 KB.

mod common;

use common::web_world::{client, input};
use common::*;
use sakhi::demo::{load_demo, DemoOptions, DEMO_PASSWORD, DEMO_PIN};
use sakhi::store::Store;
use sakhi::web::{app, AppState};
use std::sync::Arc;

async fn sign_in(base: &str, fields: &[(&str, &str)]) -> reqwest::Client {
    let c = client();
    let page = c
        .get(format!("{base}/login"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let csrf = input(&page, "csrf");
    let mut form = vec![("csrf", csrf.as_str())];
    form.extend_from_slice(fields);
    let res = c
        .post(format!("{base}/login"))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303, "{fields:?}");
    c
}

async fn size(c: &reqwest::Client, url: String) -> usize {
    let res = c.get(&url).send().await.unwrap();
    assert_eq!(res.status(), 200, "{url}");
    res.text().await.unwrap().len()
}

#[tokio::test]
async fn demo_pages_fit_their_budgets() {
    let db = sqlite().await;
    let store: Arc<dyn Store> = Arc::new(db.store);
    let today = chrono::Local::now().date_naive();
    let key = Arc::new(sakhi::crypto::IdentityKey::generate().unwrap());
    load_demo(
        store.as_ref(),
        &DemoOptions {
            identity_key: Some(key.clone()),
            ..DemoOptions::new(today)
        },
    )
    .await
    .unwrap();
    let group = store
        .groups()
        .await
        .unwrap()
        .into_iter()
        .find(|g| g.name == "Lotus SHG")
        .expect("the demo has Lotus SHG")
        .id;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let mut state = AppState::new(store.clone()).unwrap();
    state.identity_key = Some(key);
    let router = app(state);
    tokio::spawn(async move { axum::serve(listener, router).await });

    let css = reqwest::get(format!("{base}/static/style.css"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
        .len();
    let member = sign_in(
        &base,
        &[("kind", "member"), ("code", "LOT-01"), ("pin", DEMO_PIN)],
    )
    .await;
    let me = size(&member, format!("{base}/me")).await;
    println!("member page {me} B + stylesheet {css} B");
    assert!(me + css <= 10 * 1024, "member page {me} + css {css}");

    let treasurer = sign_in(
        &base,
        &[
            ("kind", "staff"),
            ("username", "treasurer1"),
            ("password", DEMO_PASSWORD),
        ],
    )
    .await;
    let member = store
        .members(group)
        .await
        .unwrap()
        .first()
        .expect("the demo group has members")
        .id;
    // Report pages with their default period (the financial year so far)
    // and a whole year back, the longest a treasurer is likely to ask for.
    let year_ago = today - chrono::Days::new(365);
    let mut paths = vec![
        format!("/groups/{group}"),
        format!("/groups/{group}/meetings/new"),
        format!("/groups/{group}/loans"),
        format!("/groups/{group}/reports"),
    ];
    for (report, _) in sakhi::web::pages::reports::REPORTS {
        let who = if report == "passbook" {
            format!("member={member}&")
        } else {
            String::new()
        };
        paths.push(format!("/groups/{group}/reports/{report}?{who}"));
        paths.push(format!(
            "/groups/{group}/reports/{report}?{who}from={year_ago}"
        ));
    }
    paths.push(format!(
        "/groups/{group}/reports/general-ledger?from={year_ago}&account=1000"
    ));
    for path in paths {
        let html = size(&treasurer, format!("{base}{path}")).await;
        println!("{path}: {html} B + stylesheet {css} B");
        assert!(html + css <= 40 * 1024, "{path}: {html} + css {css}");
    }
    let staff = sign_in(
        &base,
        &[
            ("kind", "staff"),
            ("username", "staff"),
            ("password", DEMO_PASSWORD),
        ],
    )
    .await;
    for path in [
        "/staff",
        "/reports/program",
        "/reports/program/trial-balance",
    ] {
        let html = size(&staff, format!("{base}{path}")).await;
        println!("{path}: {html} B");
        assert!(html + css <= 40 * 1024, "{path}: {html} + css {css}");
    }

    // Client records and linkage reports on the demo's invented women: every
    // page within the budget, every flag rule shown somewhere, and the
    // linked view refused for the women who did not consent to it.
    for path in ["/clients", "/reports/linkage", "/access-log"] {
        let html = size(&staff, format!("{base}{path}")).await;
        println!("{path}: {html} B");
        assert!(html + css <= 40 * 1024, "{path}: {html} + css {css}");
    }
    let (mut largest, mut linked, mut refused) = (0, 0, 0);
    let mut flags = std::collections::BTreeSet::new();
    for client in store.clients().await.unwrap() {
        let html = size(&staff, format!("{base}/clients/{}", client.code)).await;
        largest = largest.max(html);
        let res = staff
            .get(format!("{base}/clients/{}/report", client.code))
            .send()
            .await
            .unwrap();
        match res.status().as_u16() {
            200 => {
                let page = res.text().await.unwrap();
                assert!(
                    page.len() + css <= 40 * 1024,
                    "{}: {}",
                    client.code,
                    page.len()
                );
                for (rule, text) in [
                    ("business_loan", "no business recorded 90 days"),
                    ("stalled", "Repayments stalled around a relapse"),
                    ("closed", "A business closed while its loan is outstanding"),
                    ("review", "No review in 90 days"),
                ] {
                    if page.contains(text) {
                        flags.insert(rule);
                    }
                }
                linked += 1;
            }
            422 => refused += 1,
            other => panic!("{}: {other}", client.code),
        }
    }
    println!("client pages: largest {largest} B; linked views {linked}, refused {refused}");
    assert!(
        largest + css <= 40 * 1024,
        "client page {largest} + css {css}"
    );
    assert!(linked > 0 && refused > 0);
    assert_eq!(
        flags.len(),
        4,
        "every follow-up rule fires somewhere: {flags:?}"
    );
}
