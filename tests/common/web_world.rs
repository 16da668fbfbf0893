//! A served app with two groups, every role, PINs and an overdue loan, for
//! the HTTP, API and browser tests.
#![allow(dead_code)]

use chrono::Days;
use sakhi::auth::hash_secret;
use sakhi::groups::{GroupRules, NewGroup, NewMember};
use sakhi::i18n::Lang;
use sakhi::ledger::IdempotencyKey;
use sakhi::loans::product::{templates, LoanSource};
use sakhi::money::Currency;
use sakhi::store::auth::NewUser;
use sakhi::store::{Fund, GroupSetup, LoanApplication, Role, Store};
use sakhi::web::{app, AppState};
use std::sync::Arc;

pub const PASSWORD: &str = "correct horse battery";
pub const PIN: &str = "2580";

pub struct World {
    pub base: String,
    pub store: Arc<dyn Store>,
    pub a: GroupSetup,
    pub b: GroupSetup,
    pub loan: i64,
    /// The program's stored business loan (the first built-in product), as
    /// the loan forms name it: `p<id>`.
    pub business_loan: String,
    /// The key the server seals identities and narratives with.
    pub key: Arc<sakhi::crypto::IdentityKey>,
}

pub fn today() -> chrono::NaiveDate {
    chrono::Local::now().date_naive()
}

pub async fn world(store: Arc<dyn Store>) -> World {
    let joined = today() - Days::new(200);
    let group = |name: &str, codes: &[(&str, &str)]| {
        NewGroup::new(
            name,
            Currency::inr(),
            codes
                .iter()
                .map(|(c, n)| NewMember::new(c, n, joined).unwrap())
                .collect(),
        )
        .unwrap()
    };
    let a = store
        .create_group(&group(
            "Lotus SHG",
            &[
                ("LOT-01", "Sanahanbi"),
                ("LOT-02", "<script>alert(1)</script>"),
            ],
        ))
        .await
        .unwrap();
    let b = store
        .create_group(&group("Iris SHG", &[("IRI-01", "Thoibi")]))
        .await
        .unwrap();
    store
        .set_group_rules(
            a.group.id,
            &GroupRules {
                thrift_amount: 5_000,
                ..GroupRules::default()
            },
        )
        .await
        .unwrap();
    let hash = hash_secret(PASSWORD).unwrap();
    for (username, role) in [
        ("admin", Role::Admin),
        ("staff", Role::Staff),
        ("counsellor", Role::Counsellor),
        ("treasurer-a", Role::Treasurer),
        ("treasurer-b", Role::Treasurer),
    ] {
        let user = store
            .create_user(&NewUser {
                username,
                display_name: username,
                role,
                password_hash: &hash,
                must_change_password: false,
                lang: Lang::En,
            })
            .await
            .unwrap();
        match username {
            "treasurer-a" => store.assign_treasurer(user.id, a.group.id).await.unwrap(),
            "treasurer-b" => store.assign_treasurer(user.id, b.group.id).await.unwrap(),
            _ => {}
        }
    }
    let pin = hash_secret(PIN).unwrap();
    for m in a.members.iter().chain(&b.members) {
        store.set_member_pin(m.id, &pin).await.unwrap();
    }
    // Cash in the box and a loan for Sanahanbi, first installment overdue.
    let seed = sakhi::savings::deposit(
        &a.book,
        &store.account_by_code(a.book.id, "1000").await.unwrap(),
        &store
            .account_by_code(a.book.id, "2010-LOT-01")
            .await
            .unwrap(),
        500_000,
        joined,
        &IdempotencyKey::new("seed").unwrap(),
    )
    .unwrap();
    store.post(&seed).await.unwrap();
    let (business_name, business_settings) = templates().remove(0);
    let business = store
        .products(a.group.id)
        .await
        .unwrap()
        .into_iter()
        .find(|p| p.group_id.is_none() && p.name == business_name)
        .expect("the migration stores the built-in products");
    assert_eq!(business.settings, business_settings);
    let loan = store
        .apply_for_loan(&LoanApplication {
            group_id: a.group.id,
            member_id: a.members[0].id,
            product_id: Some(business.id),
            settings: business.settings.clone(),
            source: LoanSource::GroupFund,
            purpose: "pickles".into(),
            principal: 300_000,
            applied_on: joined,
        })
        .await
        .unwrap();
    store
        .decide_loan(loan.id, true, joined, "R-1")
        .await
        .unwrap();
    store
        .disburse_loan(
            loan.id,
            today() - Days::new(45),
            None,
            Fund::Cash,
            &IdempotencyKey::new("disburse").unwrap(),
        )
        .await
        .unwrap();
    let key = Arc::new(sakhi::crypto::IdentityKey::generate().unwrap());
    let mut state = AppState::new(store.clone()).unwrap();
    state.identity_key = Some(key.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let router = app(state).into_make_service_with_connect_info::<std::net::SocketAddr>();
    tokio::spawn(async move { axum::serve(listener, router).await });
    World {
        base: format!("http://{addr}"),
        store,
        a,
        b,
        loan: loan.id,
        business_loan: format!("p{}", business.id),
        key,
    }
}

pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// The value of the first `name="…" value="…"` input in the page.
pub fn input(html: &str, name: &str) -> String {
    let needle = format!("name=\"{name}\" value=\"");
    let start = html
        .find(&needle)
        .unwrap_or_else(|| panic!("no {name} in {html}"))
        + needle.len();
    html[start..].split('"').next().unwrap().to_string()
}

pub async fn sign_in(w: &World, fields: &[(&str, &str)]) -> (reqwest::Client, reqwest::StatusCode) {
    let c = client();
    let page = c
        .get(format!("{}/login", w.base))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let csrf = input(&page, "csrf");
    let mut form: Vec<(&str, &str)> = vec![("csrf", &csrf)];
    form.extend_from_slice(fields);
    let res = c
        .post(format!("{}/login", w.base))
        .form(&form)
        .send()
        .await
        .unwrap();
    (c, res.status())
}

pub async fn user(w: &World, username: &str) -> reqwest::Client {
    let (c, status) = sign_in(
        w,
        &[
            ("kind", "staff"),
            ("username", username),
            ("password", PASSWORD),
        ],
    )
    .await;
    assert_eq!(status, 303, "{username} signs in");
    c
}

pub async fn member(w: &World, code: &str) -> reqwest::Client {
    let (c, status) = sign_in(w, &[("kind", "member"), ("code", code), ("pin", PIN)]).await;
    assert_eq!(status, 303, "{code} signs in");
    c
}

pub async fn get(c: &reqwest::Client, url: String) -> (u16, String) {
    let res = c.get(url).send().await.unwrap();
    (res.status().as_u16(), res.text().await.unwrap())
}
