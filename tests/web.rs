//! The treasurer's and member's pages through the real router on a random
//! port, on SQLite and PostgreSQL: sign-in, the full meeting flow, idempotent
//! re-submits (also concurrent), the authorization matrix, CSRF refusal, HTML
//! escaping, bad input that posts nothing, sign-in throttling and page sizes.

mod common;

use chrono::Days;
use common::web_world::*;
use common::*;
use sakhi::i18n::Lang;
use sakhi::money::Currency;
use sakhi::store::Store;
use std::sync::Arc;

/// The meeting form as a browser would post it, with changes.
async fn meeting_form(
    w: &World,
    c: &reqwest::Client,
    changes: &[(String, String)],
) -> Vec<(String, String)> {
    let (status, html) = get(
        c,
        format!("{}/groups/{}/meetings/new", w.base, w.a.group.id),
    )
    .await;
    assert_eq!(status, 200, "{html}");
    let mut fields = vec![
        ("csrf".to_string(), input(&html, "csrf")),
        ("key".to_string(), input(&html, "key")),
        ("held_on".to_string(), input(&html, "held_on")),
    ];
    for m in &w.a.members {
        fields.push((format!("m{}_present", m.id), "1".into()));
        fields.push((
            format!("m{}_thrift", m.id),
            input(&html, &format!("m{}_thrift", m.id)),
        ));
    }
    fields.push((
        format!("loan{}_repay", w.loan),
        input(&html, &format!("loan{}_repay", w.loan)),
    ));
    for (k, v) in changes {
        fields.retain(|(name, _)| name != k);
        fields.push((k.clone(), v.clone()));
    }
    fields
}

async fn cash(w: &World) -> i64 {
    let account = w.store.account_by_code(w.a.book.id, "1000").await.unwrap();
    w.store.balance(account.id).await.unwrap()
}

async fn all(store: Arc<dyn Store>) {
    let w = world(store).await;
    meeting_flow(&w).await;
    bad_input_posts_nothing(&w).await;
    authorization_matrix(&w).await;
    csrf_and_escaping(&w).await;
    throttled_sign_in(&w).await;
    page_budgets(&w).await;
    loan_pages(&w).await;
    book_checks(&w).await;
    admin_pages(&w).await;
    languages(&w).await;
    group_funds(&w).await;
    program_products(&w).await;
    program_settings(&w).await;
    assert!(w.store.verify().await.unwrap().is_ok());
}

#[tokio::test]
async fn pages_on_sqlite() {
    let db = sqlite().await;
    all(Arc::new(db.store)).await;
}

#[tokio::test]
async fn pages_on_postgres() {
    let Some(db) = postgres().await else { return };
    all(Arc::new(database_in(&db.cluster).await)).await;
}

async fn meeting_flow(w: &World) {
    let t = user(w, "treasurer-a").await;
    let before = cash(w).await;
    let fields = meeting_form(w, &t, &[]).await;
    // The form pre-fills the thrift rule and what the loan owes today.
    let thrift = &fields
        .iter()
        .find(|f| f.0 == format!("m{}_thrift", w.a.members[0].id))
        .unwrap()
        .1;
    assert_eq!(thrift, "50.00");
    let repay: i64 = {
        let text = &fields
            .iter()
            .find(|f| f.0 == format!("loan{}_repay", w.loan))
            .unwrap()
            .1;
        sakhi::money::Money::parse(text, Currency::inr(), sakhi::money::Sign::NonNegative)
            .unwrap()
            .minor()
    };
    assert!(repay > 0, "an installment is overdue");

    let review = t
        .post(format!(
            "{}/groups/{}/meetings/review",
            w.base, w.a.group.id
        ))
        .form(&fields)
        .send()
        .await
        .unwrap();
    assert_eq!(review.status(), 200);
    let html = review.text().await.unwrap();
    let expected =
        sakhi::money::Money::from_minor(before + 10_000 + repay, Currency::inr()).grouped();
    assert!(
        html.contains(&expected),
        "expected cash {expected} in {html}"
    );

    let save = |fields: Vec<(String, String)>| {
        let t = t.clone();
        let url = format!("{}/groups/{}/meetings", w.base, w.a.group.id);
        async move { t.post(url).form(&fields).send().await.unwrap() }
    };
    // Two concurrent submits of the same form, then a third: one meeting.
    let (first, second) = tokio::join!(save(fields.clone()), save(fields.clone()));
    assert_eq!(first.status(), 303);
    assert_eq!(second.status(), 303);
    let location = first.headers()["location"].to_str().unwrap().to_string();
    assert_eq!(second.headers()["location"].to_str().unwrap(), location);
    let third = save(fields.clone()).await;
    assert_eq!(third.headers()["location"].to_str().unwrap(), location);
    assert_eq!(cash(w).await, before + 10_000 + repay);
    assert_eq!(w.store.meetings(w.a.group.id, 10).await.unwrap().len(), 1);
    let (status, html) = get(&t, format!("{}{location}", w.base)).await;
    assert_eq!(status, 200);
    assert!(html.contains("Meeting saved."));

    // Sanahanbi signs in and sees her savings with the new thrift.
    let m = member(w, "lot-01").await;
    let (status, html) = get(&m, format!("{}/me", w.base)).await;
    assert_eq!(status, 200, "{html}");
    assert!(html.contains("Hello, Sanahanbi"));
    assert!(
        html.contains("₹5,050.00"),
        "savings 5,000 + 50 thrift: {html}"
    );
}

async fn bad_input_posts_nothing(w: &World) {
    let t = user(w, "treasurer-a").await;
    let before = cash(w).await;
    let m1 = w.a.members[0].id;
    let future = (today() + Days::new(3)).to_string();
    let cases: Vec<(Vec<(String, String)>, String)> = vec![
        (
            vec![(format!("m{m1}_thrift"), "50.001".into())],
            format!("m{m1}_thrift"),
        ),
        (
            vec![(format!("m{m1}_voluntary"), "-10".into())],
            format!("m{m1}_voluntary"),
        ),
        (
            vec![(format!("m{m1}_fine"), "ten".into())],
            format!("m{m1}_fine"),
        ),
        (
            vec![(format!("m{m1}_thrift"), "99999999999999999".into())],
            format!("m{m1}_thrift"),
        ),
        (vec![("held_on".into(), future)], "held_on".into()),
        (
            vec![("held_on".into(), "31/12/2026".into())],
            "held_on".into(),
        ),
        (
            vec![(format!("loan{}_repay", w.loan), "999999".into())],
            format!("loan{}_repay", w.loan),
        ),
        (
            vec![
                (format!("m{m1}_withdrawal",), "999999".into()),
                ("withdrawal_resolution".into(), "R-3".into()),
            ],
            format!("m{m1}_withdrawal"),
        ),
        (
            vec![(format!("m{m1}_withdrawal"), "10".into())],
            "withdrawal_resolution".into(),
        ),
        (
            vec![(format!("m{}_thrift", w.b.members[0].id), "50".into())],
            format!("m{}_thrift", w.b.members[0].id),
        ),
        (
            vec![("loan999999_repay".into(), "10".into())],
            "loan999999_repay".into(),
        ),
        (
            vec![(format!("m{m1}_thrift"), "70".into())],
            format!("m{m1}_thrift"),
        ),
        (
            vec![("expense0_amount".into(), "20".into())],
            "expense0_description".into(),
        ),
    ];
    for (changes, field) in cases {
        let fields = meeting_form(w, &t, &changes).await;
        for url in ["review", ""] {
            let res = t
                .post(
                    format!("{}/groups/{}/meetings/{url}", w.base, w.a.group.id)
                        .trim_end_matches('/')
                        .to_string(),
                )
                .form(&fields)
                .send()
                .await
                .unwrap();
            assert_eq!(res.status(), 422, "{changes:?} to {url}");
            let html = res.text().await.unwrap();
            // The message sits at the field: the field's input is followed by an error.
            let at = html
                .find(&format!("name=\"{field}\""))
                .or_else(|| html.find(&format!("data-field=\"{field}\"")))
                .unwrap_or_else(|| panic!("{field} not re-rendered"));
            let rest = &html[at..];
            let end = [rest.find("</tr>"), rest.find("</p>"), rest.find("</li>")]
                .into_iter()
                .flatten()
                .min()
                .unwrap();
            let near = &html[at.saturating_sub(60)..at + end];
            assert!(
                near.contains("class=\"error\""),
                "no error at {field}: {changes:?}"
            );
        }
    }
    assert_eq!(cash(w).await, before);
}

async fn authorization_matrix(w: &World) {
    let (a, b) = (w.a.group.id, w.b.group.id);
    let ma = w.a.members[0].id;
    let mb = w.b.members[0].id;
    let routes = [
        format!("/groups/{a}"),
        format!("/groups/{a}/meetings/new"),
        format!("/groups/{a}/members/{ma}/passbook"),
        format!("/groups/{b}"),
        format!("/groups/{b}/members/{mb}/passbook"),
        format!("/groups/{a}/members/{mb}/passbook"),
        "/me".to_string(),
        "/staff".to_string(),
    ];
    // Expected status per route, in the order above.
    let matrix: [(&str, [u16; 8]); 6] = [
        ("anonymous", [303, 303, 303, 303, 303, 303, 303, 303]),
        ("admin", [200, 403, 200, 200, 200, 404, 404, 200]),
        ("staff", [200, 403, 200, 200, 200, 404, 404, 200]),
        ("treasurer-a", [200, 200, 200, 404, 404, 404, 404, 403]),
        ("treasurer-b", [404, 404, 404, 200, 200, 404, 404, 403]),
        ("LOT-01", [404, 404, 200, 404, 404, 404, 200, 403]),
    ];
    for (who, expected) in matrix {
        let c = match who {
            "anonymous" => client(),
            "LOT-01" => member(w, who).await,
            name => user(w, name).await,
        };
        for (route, want) in routes.iter().zip(expected) {
            let (status, _) = get(&c, format!("{}{route}", w.base)).await;
            assert_eq!(status, want, "{who} GET {route}");
        }
    }
    // Posting a meeting to another group is refused and posts nothing.
    let tb = user(w, "treasurer-b").await;
    let (_, page) = get(&tb, format!("{}/groups/{b}", w.base)).await;
    let csrf = input(&page, "csrf");
    let res = tb
        .post(format!("{}/groups/{a}/meetings", w.base))
        .form(&[
            ("csrf", csrf.as_str()),
            ("key", "meeting-x"),
            ("held_on", &today().to_string()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
}

async fn csrf_and_escaping(w: &World) {
    let t = user(w, "treasurer-a").await;
    let before = cash(w).await;
    let mut fields = meeting_form(w, &t, &[]).await;
    fields.retain(|f| f.0 != "csrf");
    fields.push(("csrf".into(), "forged".into()));
    let res = t
        .post(format!("{}/groups/{}/meetings", w.base, w.a.group.id))
        .form(&fields)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    assert_eq!(cash(w).await, before);
    // Sign-in without the page's token is refused too.
    let res = client()
        .post(format!("{}/login", w.base))
        .form(&[
            ("csrf", "x"),
            ("kind", "staff"),
            ("username", "admin"),
            ("password", PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);

    let (_, html) = get(&t, format!("{}/groups/{}", w.base, w.a.group.id)).await;
    assert!(
        html.contains("&lt;script&gt;alert(1)&lt;&#x2F;script&gt;"),
        "{html}"
    );
    assert!(!html.contains("<script>"));
}

async fn throttled_sign_in(w: &World) {
    for _ in 0..6 {
        let (_, status) = sign_in(
            w,
            &[
                ("kind", "staff"),
                ("username", "staff"),
                ("password", "wrong password!"),
            ],
        )
        .await;
        assert!(status == 401 || status == 429, "{status}");
    }
    // Now even the right password waits.
    let (_, status) = sign_in(
        w,
        &[
            ("kind", "staff"),
            ("username", "staff"),
            ("password", PASSWORD),
        ],
    )
    .await;
    assert_eq!(status, 429);
    let (_, status) = sign_in(
        w,
        &[("kind", "member"), ("code", "LOT-01"), ("pin", "1111")],
    )
    .await;
    assert_eq!(status, 401, "a wrong PIN is a plain refusal the first time");
    w.store
        .clear_login_failures("acct:user:staff")
        .await
        .unwrap();
}

async fn page_budgets(w: &World) {
    let css = reqwest::get(format!("{}/static/style.css", w.base))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let m = member(w, "LOT-01").await;
    let (_, html) = get(&m, format!("{}/me", w.base)).await;
    assert!(
        html.len() + css.len() <= 10 * 1024,
        "member page {} + css {}",
        html.len(),
        css.len()
    );
    let t = user(w, "treasurer-a").await;
    for route in [
        format!("/groups/{}", w.a.group.id),
        format!("/groups/{}/meetings/new", w.a.group.id),
        format!("/groups/{}/reports", w.a.group.id),
        format!("/groups/{}/reports/general-ledger", w.a.group.id),
        format!("/groups/{}/reports/cash-book", w.a.group.id),
        format!("/groups/{}/reports/grading", w.a.group.id),
    ] {
        let (_, html) = get(&t, format!("{}{route}", w.base)).await;
        assert!(
            html.len() + css.len() <= 40 * 1024,
            "{route}: {} + css {}",
            html.len(),
            css.len()
        );
    }
}

async fn loan_pages(w: &World) {
    let t = user(w, "treasurer-a").await;
    let g = w.a.group.id;
    let (status, html) = get(&t, format!("{}/groups/{g}/loans", w.base)).await;
    assert_eq!(status, 200, "{html}");
    let csrf = input(&html, "csrf");
    let post = |c: reqwest::Client, path: String, form: Vec<(&'static str, String)>| async move {
        c.post(path).form(&form).send().await.unwrap()
    };
    let m2 = w.a.members[1].id.to_string();
    // Bad input first: no loan is created.
    let apply = |member: String, principal: &'static str| {
        post(
            t.clone(),
            format!("{}/groups/{g}/loans", w.base),
            vec![
                ("csrf", csrf.clone()),
                ("member", member),
                ("purpose", "dry fish".into()),
                ("principal", principal.into()),
                ("product", w.business_loan.clone()),
            ],
        )
    };
    let bad = apply(m2.clone(), "-5").await;
    assert_eq!(bad.status(), 422);
    let stranger = apply(w.b.members[0].id.to_string(), "500").await;
    assert_eq!(stranger.status(), 422);
    let applied = apply(m2.clone(), "1200").await;
    assert_eq!(applied.status(), 303);
    let path = applied.headers()["location"].to_str().unwrap().to_string();
    let loan_url = format!("{}{path}", w.base);
    let decided = post(
        t.clone(),
        format!("{loan_url}/decision"),
        vec![
            ("csrf", csrf.clone()),
            ("decision", "approve".into()),
            ("resolution", "R-77".into()),
        ],
    )
    .await;
    assert_eq!(decided.status(), 303);
    let (_, html) = get(&t, loan_url.clone()).await;
    let key = input(&html, "key");
    let paid_out = post(
        t.clone(),
        format!("{loan_url}/disburse"),
        vec![
            ("csrf", csrf.clone()),
            ("key", key.clone()),
            ("fund", "cash".into()),
        ],
    )
    .await;
    assert_eq!(paid_out.status(), 303);
    let (_, html) = get(&t, loan_url.clone()).await;
    assert!(html.contains("Repayment schedule"), "{html}");
    // Rescheduling needs program staff.
    let refused = post(
        t.clone(),
        format!("{loan_url}/reschedule"),
        vec![
            ("csrf", csrf.clone()),
            ("extra_periods", "2".into()),
            ("reason_code", "illness".into()),
        ],
    )
    .await;
    assert_eq!(refused.status(), 403);
    let s = user(w, "staff").await;
    let (_, html) = get(&s, loan_url.clone()).await;
    let staff_csrf = input(&html, "csrf");
    let rescheduled = post(
        s.clone(),
        format!("{loan_url}/reschedule"),
        vec![
            ("csrf", staff_csrf),
            ("extra_periods", "2".into()),
            ("reason_code", "illness".into()),
        ],
    )
    .await;
    assert_eq!(rescheduled.status(), 303);
    let loan_id: i64 = path.rsplit('/').next().unwrap().parse().unwrap();
    assert_eq!(
        w.store.loan(loan_id).await.unwrap().loan.schedule_version,
        2
    );
    // The group's own product, and a loan's own terms over it.
    let made = post(
        t.clone(),
        format!("{}/groups/{g}/loans/products", w.base),
        vec![
            ("csrf", csrf.clone()),
            ("name", "Weekly tailoring".into()),
            ("product", w.business_loan.clone()),
            ("frequency", "week".into()),
            ("installments", "26".into()),
        ],
    )
    .await;
    assert_eq!(made.status(), 303);
    let product = w.store.products(g).await.unwrap().pop().unwrap();
    assert_eq!(product.settings.installments, 26);
    let own = post(
        t.clone(),
        format!("{}/groups/{g}/loans", w.base),
        vec![
            ("csrf", csrf.clone()),
            ("member", m2.clone()),
            ("purpose", "tailoring".into()),
            ("principal", "2600".into()),
            ("product", format!("p{}", product.id)),
            ("rate", "18".into()),
            ("grace_principal", "2".into()),
            ("late_fine", "2".into()),
            ("late_fine_kind", "percent".into()),
        ],
    )
    .await;
    assert_eq!(own.status(), 303);
    let own_id: i64 = own.headers()["location"]
        .to_str()
        .unwrap()
        .rsplit('/')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    let own_loan = w.store.loan(own_id).await.unwrap().loan;
    assert_eq!(own_loan.product_id, Some(product.id));
    assert_eq!(
        (own_loan.settings.installments, own_loan.settings.rate),
        (26, 18.into())
    );
    assert_eq!(own_loan.settings.grace_principal, 2);
    assert_eq!(
        own_loan.settings.late_fine,
        sakhi::loans::allocation::LateFine::PercentOfOverdue { percent: 2.into() }
    );
    let zero = post(
        t.clone(),
        format!("{}/groups/{g}/loans", w.base),
        vec![
            ("csrf", csrf.clone()),
            ("member", m2.clone()),
            ("purpose", "tailoring".into()),
            ("principal", "2600".into()),
            ("product", w.business_loan.clone()),
            ("installments", "0".into()),
        ],
    )
    .await;
    assert_eq!(zero.status(), 422);
    // Another group's treasurer cannot see it.
    let tb = user(w, "treasurer-b").await;
    assert_eq!(get(&tb, loan_url).await.0, 404);
}

async fn book_checks(w: &World) {
    let t = user(w, "treasurer-a").await;
    let g = w.a.group.id;
    let (status, html) = get(&t, format!("{}/groups/{g}/cash", w.base)).await;
    assert_eq!(status, 200);
    let csrf = input(&html, "csrf");
    let key = input(&html, "key");
    let before = cash(w).await;
    let counted = sakhi::money::Money::from_minor(before - 1_000, Currency::inr()).plain();
    // A difference needs a reason; then it is posted.
    let res = t
        .post(format!("{}/groups/{g}/cash", w.base))
        .form(&[
            ("csrf", csrf.as_str()),
            ("key", key.as_str()),
            ("counted", counted.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 422);
    let res = t
        .post(format!("{}/groups/{g}/cash", w.base))
        .form(&[
            ("csrf", csrf.as_str()),
            ("key", key.as_str()),
            ("counted", counted.as_str()),
            ("reason", "torn note"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    assert_eq!(cash(w).await, before - 1_000);
    let res = t
        .post(format!("{}/groups/{g}/bank", w.base))
        .form(&[
            ("csrf", csrf.as_str()),
            ("balance", "0"),
            ("passbook_date", &today().to_string()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    assert_eq!(get(&t, format!("{}/groups/{g}/bank", w.base)).await.0, 200);

    // Correcting the meeting's ₹50 thrift of Sanahanbi by reversal.
    let meeting = w.store.meetings(g, 1).await.unwrap().remove(0);
    let record = w.store.meeting(meeting.id).await.unwrap();
    let mut thrift = None;
    let mut repayment = None;
    for id in &record.entry_ids {
        let e = w.store.entry(*id).await.unwrap();
        match e.kind.as_str() {
            "savings-deposit" if thrift.is_none() => thrift = Some(e.id),
            "loan-repayment" => repayment = Some(e.id),
            _ => {}
        }
    }
    let (thrift, repayment) = (thrift.unwrap(), repayment.unwrap());
    let res = t
        .post(format!("{}/groups/{g}/entries/{repayment}/reverse", w.base))
        .form(&[("csrf", csrf.as_str()), ("reason", "wrong loan")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 422, "loan money is corrected on the loan");
    let res = t
        .post(format!("{}/groups/{g}/entries/{thrift}/reverse", w.base))
        .form(&[
            ("csrf", csrf.as_str()),
            ("reason", "typed for the wrong member"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    let again = t
        .post(format!("{}/groups/{g}/entries/{thrift}/reverse", w.base))
        .form(&[
            ("csrf", csrf.as_str()),
            ("reason", "typed for the wrong member"),
        ])
        .send()
        .await
        .unwrap();
    assert!(
        again.status().is_redirection() || again.status() == 409,
        "{}",
        again.status()
    );
    // Her page shows the corrected picture, without the reversal clutter.
    let m = member(w, "LOT-01").await;
    let (_, html) = get(&m, format!("{}/me", w.base)).await;
    assert!(
        html.contains("₹5,000.00") && !html.contains("₹5,050.00"),
        "the ₹50 thrift is gone: {html}"
    );
    assert!(
        !html.contains("reversal") && !html.contains("Correction"),
        "{html}"
    );
    let tb = user(w, "treasurer-b").await;
    let (_, page) = get(&tb, format!("{}/groups/{}", w.base, w.b.group.id)).await;
    let other_csrf = input(&page, "csrf");
    let res = tb
        .post(format!("{}/groups/{g}/entries/{thrift}/reverse", w.base))
        .form(&[("csrf", other_csrf.as_str()), ("reason", "x")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);

    // A new PIN: weak ones are refused; the member signs in with the new one.
    let m2 = w.a.members[1].id;
    let res = t
        .post(format!("{}/groups/{g}/members/{m2}/pin", w.base))
        .form(&[("csrf", csrf.as_str()), ("pin", "1234")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 422);
    let res = t
        .post(format!("{}/groups/{g}/members/{m2}/pin", w.base))
        .form(&[("csrf", csrf.as_str()), ("pin", "731946")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    let (_, status) = sign_in(
        w,
        &[("kind", "member"), ("code", "LOT-02"), ("pin", "731946")],
    )
    .await;
    assert_eq!(status, 303);
}

/// The text of the first `<code>…</code>` in the page.
fn code_in(html: &str) -> String {
    let start = html.find("<code>").expect("a code element") + "<code>".len();
    html[start..].split("</code>").next().unwrap().to_string()
}

async fn admin_pages(w: &World) {
    let s = user(w, "staff").await;
    assert_eq!(get(&s, format!("{}/admin", w.base)).await.0, 403);
    let admin = user(w, "admin").await;
    let (status, html) = get(&admin, format!("{}/admin", w.base)).await;
    assert_eq!(status, 200);
    let csrf = input(&html, "csrf");
    let bad = admin
        .post(format!("{}/admin/users", w.base))
        .form(&[
            ("csrf", csrf.as_str()),
            ("username", "Bad Name!"),
            ("display_name", "x"),
            ("role", "treasurer"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 422);
    let made = admin
        .post(format!("{}/admin/users", w.base))
        .form(&[
            ("csrf", csrf.as_str()),
            ("username", "treasurer-c"),
            ("display_name", "Memcha"),
            ("role", "treasurer"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(made.status(), 200);
    let html = made.text().await.unwrap();
    let password = code_in(&html);
    assert_eq!(password.len(), 16);
    let users = w.store.users().await.unwrap();
    let new = users.iter().find(|u| u.username == "treasurer-c").unwrap();
    let res = admin
        .post(format!("{}/admin/users/{}/groups", w.base, new.id))
        .form(&[
            ("csrf", csrf.as_str()),
            ("group", &w.a.group.id.to_string()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    // First sign-in: every page sends her to change the one-time password.
    let (c, status) = sign_in(
        w,
        &[
            ("kind", "staff"),
            ("username", "treasurer-c"),
            ("password", &password),
        ],
    )
    .await;
    assert_eq!(status, 303);
    let res = c
        .get(format!("{}/groups/{}", w.base, w.a.group.id))
        .send()
        .await
        .unwrap();
    assert_eq!(res.headers()["location"], "/password");
    let (_, html) = get(&c, format!("{}/password", w.base)).await;
    let csrf_c = input(&html, "csrf");
    let short = c
        .post(format!("{}/password", w.base))
        .form(&[
            ("csrf", csrf_c.as_str()),
            ("current", password.as_str()),
            ("new", "short"),
            ("repeat", "short"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(short.status(), 422);
    let changed = c
        .post(format!("{}/password", w.base))
        .form(&[
            ("csrf", csrf_c.as_str()),
            ("current", password.as_str()),
            ("new", "a much longer secret"),
            ("repeat", "a much longer secret"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(changed.status(), 303);
    assert_eq!(
        get(&c, format!("{}/groups/{}", w.base, w.a.group.id))
            .await
            .0,
        200
    );
    // She enrolls a new member in her group.
    let (_, html) = get(&c, format!("{}/groups/{}", w.base, w.a.group.id)).await;
    let csrf_c = input(&html, "csrf");
    let res = c
        .post(format!("{}/groups/{}/members", w.base, w.a.group.id))
        .form(&[
            ("csrf", csrf_c.as_str()),
            ("code", "LOT-03"),
            ("name", "Ibemhal"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    let res = c
        .post(format!("{}/groups/{}/members", w.base, w.a.group.id))
        .form(&[
            ("csrf", csrf_c.as_str()),
            ("code", "LOT 03"),
            ("name", "Ibemhal"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 422);
    assert_eq!(w.store.members(w.a.group.id).await.unwrap().len(), 3);
    // Tokens: issued on the page, shown once, revoked.
    let issued = admin
        .post(format!("{}/admin/tokens", w.base))
        .form(&[
            ("csrf", csrf.as_str()),
            ("user", &new.id.to_string()),
            ("label", "sync"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(issued.status(), 200);
    assert!(code_in(&issued.text().await.unwrap()).starts_with("sakhi_"));
}

async fn languages(w: &World) {
    let s = user(w, "staff").await;
    let (_, html) = get(&s, format!("{}/staff", w.base)).await;
    assert!(html.contains("All groups"));
    let csrf = input(&html, "csrf");
    let res = s
        .post(format!("{}/lang", w.base))
        .form(&[("csrf", csrf.as_str()), ("lang", "hi")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    let (_, html) = get(&s, format!("{}/staff", w.base)).await;
    assert!(html.contains("lang=\"hi\""), "{html}");
    assert!(!html.contains("All groups"), "{html}");
    let res = s
        .post(format!("{}/lang", w.base))
        .form(&[("csrf", csrf.as_str()), ("lang", "fr")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 422);
    // Refusals and error pages speak her language too, field name and all.
    let html = res.text().await.unwrap();
    assert!(html.contains("lang=\"hi\""), "{html}");
    let hindi = sakhi::i18n::message(Lang::Hi, "choose en, hi or mni");
    assert_ne!(
        hindi, "choose en, hi or mni",
        "the refusal has a Hindi text"
    );
    assert!(html.contains(&sakhi::web::escape(&hindi)), "{html}");
    assert!(html.contains(sakhi::i18n::t(Lang::Hi, "common.check_input")));
    let (status, html) = get(&s, format!("{}/groups/999999", w.base)).await;
    assert_eq!(status, 404);
    assert!(
        html.contains(sakhi::i18n::t(Lang::Hi, "common.not_found")),
        "{html}"
    );
    // A treasurer in Hindi typing a paisa too many: the amount rule in Hindi.
    let t = user(w, "treasurer-a").await;
    let (_, html) = get(&t, format!("{}/groups/{}", w.base, w.a.group.id)).await;
    let t_csrf = input(&html, "csrf");
    let set_lang = |lang: &'static str| {
        t.post(format!("{}/lang", w.base))
            .form(&[("csrf", t_csrf.clone()), ("lang", lang.to_string())])
            .send()
    };
    assert_eq!(set_lang("hi").await.unwrap().status(), 303);
    let res = t
        .post(format!(
            "{}/groups/{}/loans/{}/repay",
            w.base, w.a.group.id, w.loan
        ))
        .form(&[
            ("csrf", t_csrf.as_str()),
            ("key", "repay-hindi-decimals"),
            ("amount", "10.505"),
            ("fund", "cash"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 422);
    let html = res.text().await.unwrap();
    let english =
        sakhi::money::Money::parse("10.505", Currency::inr(), sakhi::money::Sign::Positive)
            .unwrap_err()
            .to_string();
    let hindi = sakhi::i18n::message(Lang::Hi, &english);
    assert_ne!(hindi, english, "the amount rule has a Hindi text");
    assert!(html.contains(&sakhi::web::escape(&hindi)), "{html}");
    assert!(
        html.contains(&sakhi::i18n::field_label(Lang::Hi, "amount")),
        "{html}"
    );
    assert_eq!(set_lang("en").await.unwrap().status(), 303);
    // A member in Manipuri: the member page in Meitei Mayek.
    let m = member(w, "LOT-01").await;
    let (_, html) = get(&m, format!("{}/me", w.base)).await;
    let csrf = input(&html, "csrf");
    m.post(format!("{}/lang", w.base))
        .form(&[("csrf", csrf.as_str()), ("lang", "mni")])
        .send()
        .await
        .unwrap();
    let (_, html) = get(&m, format!("{}/me", w.base)).await;
    assert!(html.contains("lang=\"mni-Mtei\""), "{html}");
    assert!(
        html.chars().any(|c| ('\u{ABC0}'..='\u{ABFF}').contains(&c)),
        "{html}"
    );
    let (status, html) = get(&m, format!("{}/groups/{}", w.base, w.b.group.id)).await;
    assert!(status == 403 || status == 404, "{status}");
    assert!(html.contains("lang=\"mni-Mtei\""), "{html}");
    let res = s
        .post(format!("{}/lang", w.base))
        .form(&[("csrf", csrf.as_str()), ("lang", "en")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403, "another session's token is refused");
}

async fn group_funds(w: &World) {
    let t = user(w, "treasurer-a").await;
    let g = w.a.group.id;
    let url = |path: &str| format!("{}/groups/{g}/funds{path}", w.base);
    let (status, html) = get(&t, url("")).await;
    assert_eq!(status, 200);
    let csrf = input(&html, "csrf");
    let key = input(&html, "key");
    let send = |path: &str, form: Vec<(&str, String)>| {
        let mut form = form;
        form.push(("csrf", csrf.clone()));
        t.post(url(path)).form(&form).send()
    };
    let res = send(
        "/rules",
        vec![("thrift", "60".into()), ("share_basis", "equal".into())],
    )
    .await
    .unwrap();
    assert_eq!(res.status(), 303);
    let rules = w.store.group_rules(g).await.unwrap();
    assert_eq!(rules.thrift_amount, 6_000);
    let res = send("/rules", vec![("thrift", "-1".into())]).await.unwrap();
    assert_eq!(res.status(), 422);

    // A bank linkage loan of ₹60,000 into the bank, then ₹1,000 to the bank.
    let receive = vec![
        ("key", format!("{key}-r")),
        ("source", "bank-linkage".into()),
        ("lender", "Demo Gramin Bank".into()),
        ("reference", "SL-1".into()),
        ("principal", "60000".into()),
        ("product", w.business_loan.clone()),
        ("rate", "12".into()),
        ("installments", "24".into()),
        ("resolution", "R-12".into()),
        ("fund", "bank".into()),
    ];
    assert_eq!(
        send("/borrowings", receive.clone()).await.unwrap().status(),
        303
    );
    assert_eq!(
        send("/borrowings", receive).await.unwrap().status(),
        303,
        "a re-send records it once"
    );
    let borrowings = w.store.borrowings(g).await.unwrap();
    assert_eq!(borrowings.len(), 1);
    let id = borrowings[0].borrowing.id;
    let paid = send(
        &format!("/borrowings/{id}/repay"),
        vec![
            ("key", format!("{key}-p")),
            ("amount", "1000".into()),
            ("fund", "bank".into()),
        ],
    )
    .await
    .unwrap();
    assert_eq!(paid.status(), 303);
    let owed = w.store.account_by_code(w.a.book.id, "2200").await.unwrap();
    assert!(-w.store.balance(owed.id).await.unwrap() < 6_000_000);

    // The social fund holds nothing: a payout is refused, nothing posted.
    let res = send(
        "/social-payout",
        vec![("key", format!("{key}-f")), ("amount", "10".into())],
    )
    .await
    .unwrap();
    assert_eq!(res.status(), 409);
    assert_eq!(send("/late-fines", vec![]).await.unwrap().status(), 303);

    // Share-out: income closes into equal shares; nothing is left to share again.
    let res = send("/share-out", vec![("key", format!("{key}-s"))])
        .await
        .unwrap();
    let status = res.status();
    assert_eq!(status, 303, "{}", res.text().await.unwrap());
    let interest = w.store.account_by_code(w.a.book.id, "4000").await.unwrap();
    assert_eq!(w.store.balance(interest.id).await.unwrap(), 0);
    // A written-off loan pays a little back.
    let staff_key = sakhi::ledger::IdempotencyKey::new("write-off").unwrap();
    w.store
        .write_off_loan(w.loan, today(), "R-13", &staff_key)
        .await
        .unwrap();
    let res = send(
        "/recovery",
        vec![
            ("key", format!("{key}-v")),
            ("loan", w.loan.to_string()),
            ("amount", "10".into()),
        ],
    )
    .await
    .unwrap();
    assert_eq!(res.status(), 303);

    let res = send("/share-out", vec![("key", format!("{key}-s2"))])
        .await
        .unwrap();
    assert_eq!(res.status(), 422);
}

/// The text of the HTML element that starts at the first `start` after
/// `anchor`, up to `end`: one table row, one error message.
fn slice_after<'h>(html: &'h str, anchor: &str, end: &str) -> &'h str {
    let at = html
        .find(anchor)
        .unwrap_or_else(|| panic!("no {anchor} in {html}"));
    let rest = &html[at..];
    &rest[..rest.find(end).unwrap_or(rest.len())]
}

/// A refusal page names the field before its message.
async fn refused_at(res: reqwest::Response, field: &str, case: &str) {
    assert_eq!(res.status(), 422, "{case}");
    let html = res.text().await.unwrap();
    assert!(
        html.contains(&format!(
            "class=\"error\">{}: ",
            sakhi::i18n::field_label(Lang::En, field)
        )),
        "{case}: {field} not named in {html}"
    );
}

/// The program admin's products: made on the admin page, offered to a
/// group and copied into a loan; retired, neither offered nor accepted
/// while the loan keeps its terms; brought back. Bad input changes nothing.
async fn program_products(w: &World) {
    let admin = user(w, "admin").await;
    let (_, html) = get(&admin, format!("{}/admin", w.base)).await;
    assert!(html.contains("href=\"/admin/products\""), "{html}");
    assert!(html.contains("href=\"/admin/settings\""), "{html}");
    let csrf = input(&html, "csrf");
    let (status, html) = get(&admin, format!("{}/admin/products", w.base)).await;
    assert_eq!(status, 200, "{html}");
    // Each built-in product's terms in plain words, with its loans.
    let business_id: i64 = w.business_loan[1..].parse().unwrap();
    let listed = w.store.program_products().await.unwrap();
    let business = listed.iter().find(|p| p.product.id == business_id).unwrap();
    let made_with_it = w
        .store
        .loans(None)
        .await
        .unwrap()
        .iter()
        .filter(|l| l.loan.product_id == Some(business_id))
        .count();
    assert!(made_with_it > 0);
    assert_eq!(business.loans, made_with_it as i64);
    let row = slice_after(&html, &business.product.name, "</tr>");
    for words in [
        "24% a year",
        "Declining balance",
        "12 monthly installments",
        "No late fine",
    ] {
        assert!(row.contains(words), "{words} in {row}");
    }
    assert!(
        row.contains(&format!("class=\"r\">{made_with_it}<")),
        "{row}"
    );
    let petty = slice_after(&html, "Petty trade loan", "</tr>");
    for words in [
        "1% a month",
        "Flat",
        "26 weekly installments",
        "Late fine ₹10.00 per late installment, after 7 days",
    ] {
        assert!(petty.contains(words), "{words} in {petty}");
    }

    let send = |path: &str, form: Vec<(&'static str, String)>| {
        let mut form = form;
        form.push(("csrf", csrf.clone()));
        admin
            .post(format!("{}/admin/products{path}", w.base))
            .form(&form)
            .send()
    };
    let goat = |changes: &[(&'static str, &str)]| {
        let mut form: Vec<(&'static str, String)> = vec![
            ("name", "Goat rearing loan".into()),
            ("product", w.business_loan.clone()),
            ("rate", "18".into()),
            ("rate_per", "year".into()),
            ("installments", "10".into()),
            ("late_fine", "5".into()),
            ("late_fine_kind", "flat".into()),
        ];
        for &(k, v) in changes {
            form.retain(|(name, _)| *name != k);
            form.push((k, v.to_string()));
        }
        form
    };
    let long_name = "x".repeat(101);
    let before = w.store.program_products().await.unwrap();
    for (changes, field) in [
        (vec![("name", "")], "name"),
        (vec![("name", "   ")], "name"),
        (vec![("name", long_name.as_str())], "name"),
        (vec![("rate", "abc")], "rate"),
        (vec![("installments", "0")], "installments"),
        (vec![("installments", "-1")], "installments"),
        (vec![("product", "p999999")], "product"),
        (vec![("product", "t0")], "product"),
        (vec![("late_fine", "5.001")], "late_fine"),
    ] {
        let res = send("", goat(&changes)).await.unwrap();
        refused_at(res, field, &format!("{changes:?}")).await;
    }
    let res = send(
        &format!("/{business_id}/status"),
        vec![("status", "gone".into())],
    )
    .await
    .unwrap();
    refused_at(res, "status", "status gone").await;
    assert_eq!(w.store.program_products().await.unwrap(), before);

    let made = send("", goat(&[])).await.unwrap();
    assert_eq!(made.status(), 303);
    assert_eq!(made.headers()["location"], "/admin/products");
    let goat_product = w
        .store
        .program_products()
        .await
        .unwrap()
        .into_iter()
        .find(|p| p.product.name == "Goat rearing loan")
        .unwrap()
        .product;
    let terms = &goat_product.settings;
    assert_eq!(goat_product.group_id, None);
    assert_eq!(
        (terms.rate, terms.installments, terms.late_fine.clone()),
        (
            18.into(),
            10,
            sakhi::loans::allocation::LateFine::Flat { amount: 500 }
        )
    );
    // What the form left empty comes from the product it started from.
    assert_eq!(terms.method, business.product.settings.method);
    assert_eq!(terms.frequency, business.product.settings.frequency);
    // One name per product on offer: a second is a conflict and adds nothing.
    let twice = send("", goat(&[])).await.unwrap();
    assert_eq!(twice.status(), 409);
    assert_eq!(
        w.store.program_products().await.unwrap().len(),
        before.len() + 1
    );

    // The treasurer is offered it and a loan made with it has its terms.
    let t = user(w, "treasurer-a").await;
    let g = w.a.group.id;
    let option = format!(
        "<option value=\"p{}\">Goat rearing loan</option>",
        goat_product.id
    );
    let (_, html) = get(&t, format!("{}/groups/{g}/loans", w.base)).await;
    assert!(html.contains(&option), "{html}");
    let t_csrf = input(&html, "csrf");
    let apply = |product: String| {
        t.post(format!("{}/groups/{g}/loans", w.base))
            .form(&[
                ("csrf", t_csrf.clone()),
                ("member", w.a.members[1].id.to_string()),
                ("purpose", "goats".into()),
                ("principal", "5000".into()),
                ("product", product),
            ])
            .send()
    };
    let applied = apply(format!("p{}", goat_product.id)).await.unwrap();
    assert_eq!(applied.status(), 303);
    let loan_id: i64 = applied.headers()["location"]
        .to_str()
        .unwrap()
        .rsplit('/')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    let loan = w.store.loan(loan_id).await.unwrap().loan;
    assert_eq!(loan.product_id, Some(goat_product.id));
    assert_eq!(&loan.settings, terms);

    // Retired: not offered, not accepted, and the loan keeps its terms.
    let retired = send(
        &format!("/{}/status", goat_product.id),
        vec![("status", "retired".into())],
    )
    .await
    .unwrap();
    assert_eq!(retired.status(), 303);
    let (_, html) = get(&admin, format!("{}/admin/products", w.base)).await;
    let row = slice_after(&html, "Goat rearing loan", "</tr>");
    assert!(row.contains(&format!("retired since {}", today())), "{row}");
    assert!(row.contains("Bring back"), "{row}");
    assert!(row.contains("class=\"r\">1<"), "{row}");
    let (_, html) = get(&t, format!("{}/groups/{g}/loans", w.base)).await;
    assert!(!html.contains(&option), "{html}");
    let loans_before = w.store.loans(Some(g)).await.unwrap().len();
    let refused = apply(format!("p{}", goat_product.id)).await.unwrap();
    refused_at(refused, "product", "a retired product").await;
    let own = t
        .post(format!("{}/groups/{g}/loans/products", w.base))
        .form(&[
            ("csrf", t_csrf.clone()),
            ("name", "Our goat loan".into()),
            ("product", format!("p{}", goat_product.id)),
        ])
        .send()
        .await
        .unwrap();
    refused_at(own, "product", "a group product from a retired one").await;
    // The store refuses it to every other caller too.
    let direct = w
        .store
        .apply_for_loan(&sakhi::store::LoanApplication {
            group_id: g,
            member_id: w.a.members[1].id,
            product_id: Some(goat_product.id),
            settings: terms.clone(),
            source: sakhi::loans::product::LoanSource::GroupFund,
            purpose: "goats".into(),
            principal: 500_000,
            applied_on: today(),
        })
        .await;
    assert!(
        matches!(&direct, Err(sakhi::store::StoreError::Invalid(m)) if m.starts_with("product")),
        "{direct:?}"
    );
    assert_eq!(w.store.loans(Some(g)).await.unwrap().len(), loans_before);
    assert_eq!(&w.store.loan(loan_id).await.unwrap().loan.settings, terms);

    // Brought back, it is offered again.
    let back = send(
        &format!("/{}/status", goat_product.id),
        vec![("status", "active".into())],
    )
    .await
    .unwrap();
    assert_eq!(back.status(), 303);
    let (_, html) = get(&t, format!("{}/groups/{g}/loans", w.base)).await;
    assert!(html.contains(&option), "{html}");
    // Nobody but the admin reaches the page or its forms.
    assert_eq!(get(&t, format!("{}/admin/products", w.base)).await.0, 403);
    let tried = t
        .post(format!(
            "{}/admin/products/{}/status",
            w.base, goat_product.id
        ))
        .form(&[("csrf", t_csrf.as_str()), ("status", "retired")])
        .send()
        .await
        .unwrap();
    assert_eq!(tried.status(), 403);
    assert!(w
        .store
        .products(g)
        .await
        .unwrap()
        .iter()
        .any(|p| p.id == goat_product.id));
}

/// The program's name in every header; its default language for new
/// accounts and member logins; its default currency for new groups.
async fn program_settings(w: &World) {
    let admin = user(w, "admin").await;
    let (status, html) = get(&admin, format!("{}/admin/settings", w.base)).await;
    assert_eq!(status, 200, "{html}");
    assert!(!html.contains("class=\"program\""), "no name yet: {html}");
    let csrf = input(&html, "csrf");
    let save = |name: &str, lang: &str, currency: &str| {
        admin
            .post(format!("{}/admin/settings", w.base))
            .form(&[
                ("csrf", csrf.as_str()),
                ("program_name", name),
                ("default_lang", lang),
                ("default_currency", currency),
            ])
            .send()
    };
    let before = w.store.program_settings().await.unwrap();
    let long_name = "x".repeat(81);
    for (name, lang, currency, field) in [
        ("", "hi", "NPR", "program_name"),
        ("  ", "hi", "NPR", "program_name"),
        (long_name.as_str(), "hi", "NPR", "program_name"),
        ("Two\nlines", "hi", "NPR", "program_name"),
        ("Manipur Sakhi Network", "fr", "NPR", "default_lang"),
        ("Manipur Sakhi Network", "", "NPR", "default_lang"),
        ("Manipur Sakhi Network", "hi", "XYZ", "default_currency"),
        ("Manipur Sakhi Network", "hi", "", "default_currency"),
    ] {
        let res = save(name, lang, currency).await.unwrap();
        refused_at(res, field, &format!("{name:?} {lang:?} {currency:?}")).await;
    }
    assert_eq!(w.store.program_settings().await.unwrap(), before);

    let saved = save("Manipur Sakhi Network", "hi", "npr").await.unwrap();
    assert_eq!(saved.status(), 303);
    let settings = w.store.program_settings().await.unwrap();
    assert_eq!(settings.name.as_deref(), Some("Manipur Sakhi Network"));
    assert_eq!(settings.lang, sakhi::i18n::Lang::Hi);
    assert_eq!(settings.currency.code(), "NPR");
    // Every page header, whoever reads it, signed in or not.
    let header = "<span class=\"program\">Manipur Sakhi Network</span>";
    let t = user(w, "treasurer-a").await;
    let m = member(w, "LOT-01").await;
    for (c, path) in [
        (&admin, "/admin/settings".to_string()),
        (&t, format!("/groups/{}", w.a.group.id)),
        (&m, "/me".to_string()),
        (&client(), "/login".to_string()),
    ] {
        let (status, html) = get(c, format!("{}{path}", w.base)).await;
        assert_eq!(status, 200, "{path}");
        assert!(html.contains(header), "{path}: {html}");
    }

    // A new user with no language chosen gets the default; one chosen is kept;
    // one Sakhi does not have is refused.
    let new_user = |username: &'static str, lang: &'static str| {
        admin
            .post(format!("{}/admin/users", w.base))
            .form(&[
                ("csrf", csrf.as_str()),
                ("username", username),
                ("display_name", "Ngambi"),
                ("role", "staff"),
                ("lang", lang),
            ])
            .send()
    };
    let refused = new_user("staff-fr", "fr").await.unwrap();
    refused_at(refused, "lang", "lang fr").await;
    assert_eq!(new_user("staff-2", "").await.unwrap().status(), 200);
    assert_eq!(new_user("staff-3", "mni").await.unwrap().status(), 200);
    let users = w.store.users().await.unwrap();
    let lang_of = |name: &str| users.iter().find(|u| u.username == name).map(|u| u.lang);
    assert_eq!(lang_of("staff-fr"), None);
    assert_eq!(lang_of("staff-2"), Some(sakhi::i18n::Lang::Hi));
    assert_eq!(lang_of("staff-3"), Some(sakhi::i18n::Lang::Mni));

    // A new member's first PIN makes her login in the default language.
    let g = w.a.group.id;
    let enrolled = admin
        .post(format!("{}/groups/{g}/members", w.base))
        .form(&[
            ("csrf", csrf.as_str()),
            ("code", "LOT-09"),
            ("name", "Tombi"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(enrolled.status(), 303);
    let tombi = w
        .store
        .members(g)
        .await
        .unwrap()
        .into_iter()
        .find(|m| m.code == "LOT-09")
        .unwrap();
    let pinned = admin
        .post(format!("{}/groups/{g}/members/{}/pin", w.base, tombi.id))
        .form(&[("csrf", csrf.as_str()), ("pin", PIN)])
        .send()
        .await
        .unwrap();
    assert_eq!(pinned.status(), 303);
    let tombi_session = member(w, "LOT-09").await;
    let (_, html) = get(&tombi_session, format!("{}/me", w.base)).await;
    assert!(html.contains("lang=\"hi\""), "{html}");

    // A new group keeps its books in the default currency.
    let made = admin
        .post(format!("{}/admin/groups", w.base))
        .form(&[("csrf", csrf.as_str()), ("name", "Kangla SHG")])
        .send()
        .await
        .unwrap();
    assert_eq!(made.status(), 303);
    let kangla = w
        .store
        .groups()
        .await
        .unwrap()
        .into_iter()
        .find(|g| g.name == "Kangla SHG")
        .unwrap();
    let book = w.store.book(kangla.book_id).await.unwrap();
    assert_eq!(book.currency.code(), "NPR");
    // The groups made before keep theirs.
    assert_eq!(w.a.book.currency.code(), "INR");
    assert_eq!(
        w.store.book(w.a.book.id).await.unwrap().currency.code(),
        "INR"
    );
}
