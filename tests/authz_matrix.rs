//! The authorization matrix: every page route and every API operation, for
//! every role, allowed or refused. Posts carry a valid CSRF token and an empty
//! or harmless body, so an allowed post answers 422 ("fill in the form") and a
//! refused one 403 or 404, and nothing changes in the books.

mod common;

use common::web_world::*;
use common::*;
use sakhi::store::Store;
use std::sync::Arc;

const ROLES: [&str; 7] = [
    "anonymous",
    "admin",
    "staff",
    "counsellor",
    "treasurer-a",
    "treasurer-b",
    "LOT-01",
];

/// Expected status per role, in `ROLES` order.
type Row = (&'static str, String, [u16; 7]);

async fn session(w: &World, who: &str) -> (reqwest::Client, String) {
    let c = client();
    if who == "anonymous" {
        return (c, String::new());
    }
    let page = c
        .get(format!("{}/login", w.base))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let csrf = input(&page, "csrf");
    let form: Vec<(&str, &str)> = if who.starts_with("LOT") {
        vec![
            ("csrf", &csrf),
            ("kind", "member"),
            ("code", who),
            ("pin", PIN),
        ]
    } else {
        vec![
            ("csrf", &csrf),
            ("kind", "staff"),
            ("username", who),
            ("password", PASSWORD),
        ]
    };
    let res = c
        .post(format!("{}/login", w.base))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303, "{who} signs in");
    // Any signed-in page carries the session's CSRF token in the sign-out form.
    let home = if who.starts_with("LOT") {
        "/me"
    } else {
        "/password"
    };
    let page = c
        .get(format!("{}{home}", w.base))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    (c, input(&page, "csrf"))
}

async fn matrix(store: Arc<dyn Store>) {
    let w = world(store).await;
    let (a, b) = (w.a.group.id, w.b.group.id);
    let m = w.a.members[0].id;
    let loan = w.loan;
    let treasurer_b = w
        .store
        .users()
        .await
        .unwrap()
        .into_iter()
        .find(|u| u.username == "treasurer-b")
        .unwrap()
        .id;
    let entry = w
        .store
        .loan(loan)
        .await
        .unwrap()
        .loan
        .disbursement_entry_id
        .unwrap();
    let grant = w
        .store
        .receive_borrowing(
            &sakhi::borrowings::NewBorrowing {
                group_id: a,
                source: sakhi::borrowings::BorrowingSource::RevolvingFund,
                lender: "Program".into(),
                reference: "RF-1".into(),
                principal: 100_000,
                received_on: today(),
                first_due: None,
                terms: None,
                resolution: "R-9".into(),
            },
            sakhi::store::Fund::Bank,
            &sakhi::ledger::IdempotencyKey::new("grant").unwrap(),
        )
        .await
        .unwrap()
        .borrowing
        .id;
    let business = w.business_loan.trim_start_matches('p').to_string();
    let products_before = w.store.program_products().await.unwrap();
    let settings_before = w.store.program_settings().await.unwrap();
    let entries_before = w.store.verify().await.unwrap().entries;
    let staff_id = w
        .store
        .users()
        .await
        .unwrap()
        .into_iter()
        .find(|u| u.username == "staff")
        .unwrap()
        .id;
    let code = sakhi::outcomes::ClientCode::generate().unwrap();
    w.store
        .create_client(&code, &[w.b.members[0].id], None, staff_id)
        .await
        .unwrap();

    //                                                   anon admin staff couns  t-a   t-b  member
    let pages: Vec<Row> = vec![
        ("GET", "/staff".into(), [303, 200, 200, 403, 403, 403, 403]),
        ("GET", "/admin".into(), [303, 200, 403, 403, 403, 403, 403]),
        ("GET", "/me".into(), [303, 404, 404, 404, 404, 404, 200]),
        (
            "GET",
            "/password".into(),
            [303, 200, 200, 200, 200, 200, 404],
        ),
        (
            "GET",
            format!("/groups/{a}"),
            [303, 200, 200, 404, 200, 404, 404],
        ),
        (
            "GET",
            format!("/groups/{b}"),
            [303, 200, 200, 404, 404, 200, 404],
        ),
        (
            "GET",
            format!("/groups/{a}/meetings/new"),
            [303, 403, 403, 404, 200, 404, 404],
        ),
        (
            "GET",
            format!("/groups/{a}/members/{m}/passbook"),
            [303, 200, 200, 404, 200, 404, 200],
        ),
        (
            "GET",
            format!("/groups/{a}/loans"),
            [303, 200, 200, 404, 200, 404, 404],
        ),
        (
            "GET",
            format!("/groups/{a}/loans/{loan}"),
            [303, 200, 200, 404, 200, 404, 404],
        ),
        (
            "GET",
            format!("/groups/{a}/cash"),
            [303, 200, 200, 404, 200, 404, 404],
        ),
        (
            "GET",
            format!("/groups/{a}/bank"),
            [303, 200, 200, 404, 200, 404, 404],
        ),
        (
            "POST",
            format!("/groups/{a}/meetings/new"),
            [303, 403, 403, 404, 200, 404, 404],
        ),
        (
            "POST",
            format!("/groups/{a}/meetings/review"),
            [303, 403, 403, 404, 422, 404, 404],
        ),
        (
            "POST",
            format!("/groups/{a}/meetings"),
            [303, 403, 403, 404, 422, 404, 404],
        ),
        (
            "POST",
            format!("/groups/{a}/loans"),
            [303, 403, 403, 404, 422, 404, 404],
        ),
        (
            "POST",
            format!("/groups/{a}/loans/{loan}/decision"),
            [303, 403, 403, 404, 422, 404, 404],
        ),
        (
            "POST",
            format!("/groups/{a}/loans/{loan}/disburse"),
            [303, 403, 403, 404, 422, 404, 404],
        ),
        (
            "POST",
            format!("/groups/{a}/loans/{loan}/repay"),
            [303, 403, 403, 404, 422, 404, 404],
        ),
        (
            "POST",
            format!("/groups/{a}/loans/{loan}/reschedule"),
            [303, 422, 422, 404, 403, 404, 404],
        ),
        (
            "POST",
            format!("/groups/{a}/loans/{loan}/write-off"),
            [303, 422, 422, 404, 403, 404, 404],
        ),
        (
            "POST",
            format!("/groups/{a}/cash"),
            [303, 403, 403, 404, 422, 404, 404],
        ),
        (
            "POST",
            format!("/groups/{a}/bank"),
            [303, 403, 403, 404, 422, 404, 404],
        ),
        (
            "POST",
            format!("/groups/{a}/entries/{entry}/reverse"),
            [303, 403, 403, 404, 422, 404, 404],
        ),
        (
            "POST",
            format!("/groups/{a}/members"),
            [303, 422, 403, 404, 422, 404, 404],
        ),
        (
            "POST",
            format!("/groups/{a}/members/{m}/pin"),
            [303, 422, 422, 404, 422, 404, 404],
        ),
        (
            "POST",
            "/admin/users".into(),
            [303, 422, 403, 403, 403, 403, 403],
        ),
        (
            "POST",
            format!("/admin/users/{treasurer_b}/groups"),
            [303, 422, 403, 403, 403, 403, 403],
        ),
        (
            "POST",
            "/admin/users/999999/active".into(),
            [303, 303, 403, 403, 403, 403, 403],
        ),
        (
            "POST",
            "/admin/groups".into(),
            [303, 422, 403, 403, 403, 403, 403],
        ),
        (
            "POST",
            "/admin/tokens".into(),
            [303, 422, 403, 403, 403, 403, 403],
        ),
        (
            "POST",
            "/admin/tokens/999999/revoke".into(),
            [303, 404, 403, 403, 403, 403, 403],
        ),
        // The program admin's products and settings: hers alone. An empty
        // form is refused at its first field, so nothing changes.
        (
            "GET",
            "/admin/products".into(),
            [303, 200, 403, 403, 403, 403, 403],
        ),
        (
            "POST",
            "/admin/products".into(),
            [303, 422, 403, 403, 403, 403, 403],
        ),
        (
            "POST",
            format!("/admin/products/{business}/status"),
            [303, 422, 403, 403, 403, 403, 403],
        ),
        (
            "GET",
            "/admin/settings".into(),
            [303, 200, 403, 403, 403, 403, 403],
        ),
        (
            "POST",
            "/admin/settings".into(),
            [303, 422, 403, 403, 403, 403, 403],
        ),
        ("POST", "/lang".into(), [303, 422, 422, 422, 422, 422, 422]),
        (
            "GET",
            format!("/groups/{a}/funds"),
            [303, 200, 200, 404, 200, 404, 404],
        ),
        (
            "POST",
            format!("/groups/{a}/funds/rules"),
            [303, 403, 403, 404, 303, 404, 404],
        ),
        (
            "POST",
            format!("/groups/{a}/funds/borrowings"),
            [303, 403, 403, 404, 422, 404, 404],
        ),
        (
            "POST",
            format!("/groups/{a}/funds/borrowings/{grant}/repay"),
            [303, 403, 403, 404, 422, 404, 404],
        ),
        (
            "POST",
            format!("/groups/{a}/funds/social-payout"),
            [303, 403, 403, 404, 422, 404, 404],
        ),
        (
            "POST",
            format!("/groups/{a}/funds/late-fines"),
            [303, 403, 403, 404, 303, 404, 404],
        ),
        (
            "POST",
            format!("/groups/{a}/funds/recovery"),
            [303, 403, 403, 404, 422, 404, 404],
        ),
        (
            "POST",
            format!("/groups/{a}/funds/share-out"),
            [303, 403, 403, 404, 422, 404, 404],
        ),
        (
            "GET",
            format!("/groups/{a}/reports"),
            [303, 200, 200, 404, 200, 404, 404],
        ),
        (
            "GET",
            format!("/groups/{b}/reports"),
            [303, 200, 200, 404, 404, 200, 404],
        ),
        (
            "GET",
            format!("/groups/{a}/reports/passbook?member={m}"),
            [303, 200, 200, 404, 200, 404, 404],
        ),
        (
            "GET",
            format!("/groups/{a}/reports/passbook?member={m}&format=csv"),
            [303, 200, 200, 404, 200, 404, 404],
        ),
        (
            "GET",
            "/reports/program".into(),
            [303, 200, 200, 403, 403, 403, 403],
        ),
        (
            "GET",
            "/reports/program?format=csv".into(),
            [303, 200, 200, 403, 403, 403, 403],
        ),
        (
            "GET",
            "/reports/program/trial-balance".into(),
            [303, 200, 200, 403, 403, 403, 403],
        ),
        (
            "GET",
            "/reports/program/trial-balance?format=csv".into(),
            [303, 200, 200, 403, 403, 403, 403],
        ),
        // Client records: counsellors and staff only; nobody else learns
        // even whether a code exists.
        (
            "GET",
            "/clients".into(),
            [303, 403, 200, 200, 403, 403, 403],
        ),
        (
            "POST",
            "/clients".into(),
            [303, 403, 422, 422, 403, 403, 403],
        ),
        (
            "POST",
            "/clients/search".into(),
            [303, 403, 422, 422, 403, 403, 403],
        ),
        (
            "GET",
            format!("/clients/{code}"),
            [303, 403, 200, 200, 403, 403, 403],
        ),
        (
            "GET",
            "/clients/C-00000000".into(),
            [303, 403, 404, 404, 403, 403, 403],
        ),
        (
            "POST",
            format!("/clients/{code}/identity"),
            [303, 403, 422, 422, 403, 403, 403],
        ),
        (
            "POST",
            format!("/clients/{code}/identity/view"),
            [303, 403, 422, 422, 403, 403, 403],
        ),
        (
            "POST",
            format!("/clients/{code}/members"),
            [303, 403, 422, 422, 403, 403, 403],
        ),
        (
            "POST",
            format!("/clients/{code}/records/relapse"),
            [303, 403, 422, 422, 403, 403, 403],
        ),
        (
            "POST",
            format!("/clients/{code}/consent"),
            [303, 403, 422, 422, 403, 403, 403],
        ),
        (
            "POST",
            format!("/clients/{code}/incidents"),
            [303, 403, 422, 422, 403, 403, 403],
        ),
        (
            "POST",
            format!("/clients/{code}/incidents/999999"),
            [303, 403, 404, 404, 403, 403, 403],
        ),
        (
            "POST",
            format!("/clients/{code}/incidents/999999/narrative"),
            [303, 403, 422, 422, 403, 403, 403],
        ),
        (
            "GET",
            "/access-log".into(),
            [303, 403, 200, 403, 403, 403, 403],
        ),
        (
            "GET",
            "/me/access".into(),
            [303, 403, 403, 403, 403, 403, 200],
        ),
    ];
    // Every group report, as a page and as CSV.
    let mut pages = pages;
    for report in sakhi::web::pages::reports::REPORTS
        .iter()
        .map(|r| r.0)
        .filter(|r| *r != "passbook")
    {
        for format in ["", "?format=csv"] {
            pages.push((
                "GET",
                format!("/groups/{a}/reports/{report}{format}"),
                [303, 200, 200, 404, 200, 404, 404],
            ));
        }
    }
    for (i, who) in ROLES.iter().enumerate() {
        let (c, csrf) = session(&w, who).await;
        for (method, path, expected) in &pages {
            let url = format!("{}{path}", w.base);
            let res = if *method == "GET" {
                c.get(url).send().await.unwrap()
            } else {
                c.post(url)
                    .form(&[("csrf", csrf.as_str())])
                    .send()
                    .await
                    .unwrap()
            };
            assert_eq!(res.status().as_u16(), expected[i], "{who} {method} {path}");
        }
    }

    // The API: a token per role (members have none); no token is 401.
    let mut tokens = vec![None];
    for who in ["admin", "staff", "treasurer-a", "treasurer-b"] {
        let (_, token, _) = sakhi::web::api::issue_for(w.store.as_ref(), who, "matrix")
            .await
            .unwrap();
        tokens.push(Some(token));
    }
    //                                                      none admin staff t-a  t-b
    let api: Vec<(&str, String, [u16; 5])> = vec![
        ("GET", "/openapi.json".into(), [200, 200, 200, 200, 200]),
        ("GET", "/groups".into(), [401, 200, 200, 200, 200]),
        ("GET", format!("/groups/{a}"), [401, 200, 200, 200, 404]),
        (
            "GET",
            format!("/groups/{a}/members"),
            [401, 200, 200, 200, 404],
        ),
        (
            "GET",
            format!("/groups/{a}/loans"),
            [401, 200, 200, 200, 404],
        ),
        (
            "GET",
            format!("/groups/{a}/meetings"),
            [401, 200, 200, 200, 404],
        ),
        (
            "GET",
            format!("/members/{m}/balances"),
            [401, 200, 200, 200, 404],
        ),
        ("GET", format!("/loans/{loan}"), [401, 200, 200, 200, 404]),
        (
            "POST",
            format!("/loans/{loan}/repayments"),
            [401, 403, 403, 422, 404],
        ),
        (
            "POST",
            format!("/groups/{a}/meetings"),
            [401, 403, 403, 422, 404],
        ),
        (
            "POST",
            "/schedules/preview".into(),
            [401, 422, 422, 422, 422],
        ),
        ("GET", "/tokens".into(), [401, 200, 403, 403, 403]),
        ("POST", "/tokens".into(), [401, 422, 403, 403, 403]),
        ("DELETE", "/tokens/999999".into(), [401, 404, 403, 403, 403]),
    ];
    // No API route serves client records: every token finds nothing there.
    for path in [
        "/clients".to_string(),
        format!("/clients/{code}"),
        "/access-log".into(),
    ] {
        for token in tokens.iter().flatten() {
            let res = reqwest::Client::new()
                .get(format!("{}/api/v1{path}", w.base))
                .bearer_auth(token)
                .send()
                .await
                .unwrap();
            assert_eq!(res.status().as_u16(), 404, "{path}");
        }
    }
    let documented = sakhi::web::api::openapi_document();
    for (method, path, expected) in &api {
        let template = documented["paths"].as_object().unwrap().keys().any(|p| {
            let concrete = p
                .replace("/api/v1", "")
                .replace("{group}", &a.to_string())
                .replace("{member}", &m.to_string())
                .replace("{loan}", &loan.to_string())
                .replace("{token}", "999999");
            &concrete == path
        });
        assert!(template, "{method} {path} is documented");
        for (i, token) in tokens.iter().enumerate() {
            let mut req = reqwest::Client::new()
                .request(method.parse().unwrap(), format!("{}/api/v1{path}", w.base));
            if let Some(t) = token {
                req = req.bearer_auth(t);
            }
            if *method != "GET" {
                req = req.json(&serde_json::json!({}));
            }
            let status = req.send().await.unwrap().status().as_u16();
            assert_eq!(status, expected[i], "token {i} {method} {path}");
        }
    }
    assert_eq!(
        documented["paths"].as_object().unwrap().len(),
        12,
        "every documented path is in the matrix"
    );
    assert_eq!(
        w.store.verify().await.unwrap().entries,
        entries_before,
        "nothing posted"
    );
    assert_eq!(w.store.program_products().await.unwrap(), products_before);
    assert_eq!(w.store.program_settings().await.unwrap(), settings_before);
}

#[tokio::test]
async fn every_role_on_every_route_on_sqlite() {
    let db = sqlite().await;
    matrix(Arc::new(db.store)).await;
}

#[tokio::test]
async fn every_role_on_every_route_on_postgres() {
    let Some(db) = postgres().await else { return };
    matrix(Arc::new(database_in(&db.cluster).await)).await;
}
