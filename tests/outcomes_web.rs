//! Client records through the real router, on SQLite and PostgreSQL: a
//! counsellor creates a client with a sealed identity and records her
//! rehabilitation, livelihood, consent and an incident; the identity and the
//! narrative open only with a logged reason; the woman sees who looked; the
//! database holds no plaintext name; and nobody else (treasurers, admin,
//! members, anonymous visitors, API tokens) reaches any of it.

mod common;

use chrono::Days;
use common::web_world::*;
use common::*;
use sakhi::outcomes::{ClientCode, Record};
use std::path::Path;
use std::sync::Arc;

/// A form's kind, its fields, and the field a refusal must name.
type BadForm<'a> = (&'a str, Vec<(&'a str, String)>, &'a str);

const NAME: &str = "Zirkonia Testwoman";
const ADDRESS: &str = "Lane 7, Inventedleikai";
const NARRATIVE: &str = "Threatened at the Quilted market stall; peer advocate went along.";

#[tokio::test]
async fn client_records_on_sqlite() {
    let db = sqlite().await;
    let dir = db._dir.path().to_path_buf();
    let w = world(Arc::new(db.store)).await;
    story(&w, Some(&dir)).await;
}

#[tokio::test]
async fn client_records_on_postgres() {
    let Some(db) = postgres().await else { return };
    let w = world(Arc::new(db.store)).await;
    story(&w, None).await;
}

async fn csrf_of(c: &reqwest::Client, url: String) -> String {
    let (status, html) = get(c, url).await;
    assert_eq!(status, 200, "{html}");
    input(&html, "csrf")
}

async fn post(c: &reqwest::Client, url: String, form: &[(&str, &str)]) -> (u16, String, String) {
    let res = c.post(url).form(form).send().await.unwrap();
    let status = res.status().as_u16();
    let location = res
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    (status, location, res.text().await.unwrap())
}

async fn record_count(w: &World, code: &ClientCode) -> usize {
    let client = w.store.client(code).await.unwrap();
    w.store.records(client.id).await.unwrap().len()
}

async fn story(w: &World, sqlite_dir: Option<&Path>) {
    let base = &w.base;
    let c = user(w, "counsellor").await;
    let csrf = csrf_of(&c, format!("{base}/clients")).await;
    let group = w.a.group.id.to_string();

    // A new client: a random code, her identity sealed.
    let (status, location, _) = post(
        &c,
        format!("{base}/clients"),
        &[
            ("csrf", &csrf),
            ("group", &group),
            ("member_code", "LOT-01"),
            ("full_name", NAME),
            ("phone", "+91 90000 01234"),
            ("address", ADDRESS),
            ("family_contact", ""),
        ],
    )
    .await;
    assert_eq!(status, 303);
    let code = ClientCode::parse(location.trim_start_matches("/clients/")).unwrap();
    let url = format!("{base}/clients/{code}");

    // The record page shows her code and member account, never her name.
    let (status, page) = get(&c, url.clone()).await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("Lotus SHG LOT-01"));
    assert!(!page.contains(NAME));

    // The identity opens only with a reason, and the reason is logged.
    let (status, _, body) = post(&c, format!("{url}/identity/view"), &[("csrf", &csrf)]).await;
    assert_eq!(status, 422, "{body}");
    assert!(body.contains("reason"));
    let (status, _, body) = post(
        &c,
        format!("{url}/identity/view"),
        &[("csrf", &csrf), ("reason", "home visit planning")],
    )
    .await;
    assert_eq!(status, 200);
    assert!(body.contains(NAME) && body.contains(ADDRESS));

    // Records of every kind, each through its form.
    let today = today();
    let day = |n: u64| (today - Days::new(n)).to_string();
    let month = (today - Days::new(40)).format("%Y-%m").to_string();
    let loan = w.loan.to_string();
    let forms: Vec<(&str, Vec<(&str, String)>)> = vec![
        (
            "detox",
            vec![
                ("setting", "clinic".into()),
                ("started_on", day(300)),
                ("ended_on", day(280)),
                ("outcome", "completed".into()),
            ],
        ),
        (
            "ost",
            vec![("status", "started".into()), ("effective_on", day(270))],
        ),
        (
            "shelter",
            vec![
                ("admitted_on", day(279)),
                ("exited_on", day(200)),
                ("reason", "detox_aftercare".into()),
            ],
        ),
        (
            "training",
            vec![
                ("course", "Tailoring".into()),
                ("started_on", day(190)),
                ("ended_on", day(100)),
                ("completed", "1".into()),
            ],
        ),
        (
            "reintegration",
            vec![("event", "visit".into()), ("on", day(150))],
        ),
        (
            "relapse",
            vec![("on", day(60)), ("reported_by", "herself".into())],
        ),
        (
            "review",
            vec![
                ("on", day(30)),
                ("days_used", "2".into()),
                ("days_injected", "0".into()),
                ("days_paid_work", "20".into()),
                ("wellbeing", "14".into()),
            ],
        ),
        (
            "business",
            vec![
                ("business_kind", "pickles".into()),
                ("started_on", day(40)),
                ("loan", loan.clone()),
            ],
        ),
        (
            "income",
            vec![
                ("month", month.clone()),
                ("source", "business".into()),
                ("amount", "4,500".into()),
            ],
        ),
    ];
    for (i, (kind, fields)) in forms.iter().enumerate() {
        let key = format!("k-{i}");
        let mut form: Vec<(&str, &str)> = vec![("csrf", &csrf), ("key", &key)];
        form.extend(fields.iter().map(|(k, v)| (*k, v.as_str())));
        let (status, _, body) = post(&c, format!("{url}/records/{kind}"), &form).await;
        assert_eq!(status, 303, "{kind}: {body}");
    }
    assert_eq!(record_count(w, &code).await, forms.len());

    // A re-sent form adds nothing.
    let (status, _, _) = post(
        &c,
        format!("{url}/records/relapse"),
        &[
            ("csrf", &csrf),
            ("key", "k-5"),
            ("on", &day(60)),
            ("reported_by", "herself"),
        ],
    )
    .await;
    assert_eq!(status, 303);
    assert_eq!(record_count(w, &code).await, forms.len());

    // A status check names one of her businesses.
    let her_record = w.store.client(&code).await.unwrap();
    let business = w
        .store
        .records(her_record.id)
        .await
        .unwrap()
        .into_iter()
        .find(|r| matches!(r.record, Record::Business(_)))
        .unwrap()
        .id
        .to_string();
    let (status, _, body) = post(
        &c,
        format!("{url}/records/status_check"),
        &[
            ("csrf", &csrf),
            ("key", "k-check"),
            ("business", &business),
            ("on", &day(5)),
            ("status", "operating"),
        ],
    )
    .await;
    assert_eq!(status, 303, "{body}");

    // Bad input names its field and adds nothing.
    let before = record_count(w, &code).await;
    let bad: Vec<BadForm> = vec![
        (
            "review",
            vec![
                ("on", day(1)),
                ("days_used", "2".into()),
                ("days_injected", "3".into()),
                ("days_paid_work", "0".into()),
                ("wellbeing", "10".into()),
            ],
            "days_injected",
        ),
        (
            "review",
            vec![
                ("on", day(1)),
                ("days_used", "29".into()),
                ("days_injected", "0".into()),
                ("days_paid_work", "0".into()),
                ("wellbeing", "10".into()),
            ],
            "days_used",
        ),
        (
            "detox",
            vec![("setting", "hospital".into()), ("started_on", day(3))],
            "setting",
        ),
        (
            "detox",
            vec![
                ("setting", "home".into()),
                ("started_on", day(3)),
                ("ended_on", day(9)),
                ("outcome", "completed".into()),
            ],
            "ended_on",
        ),
        (
            "relapse",
            vec![
                ("on", (today + Days::new(3)).to_string()),
                ("reported_by", "peer".into()),
            ],
            "on",
        ),
        (
            "income",
            vec![
                ("month", month.clone()),
                ("source", "business".into()),
                ("amount", "12.345".into()),
            ],
            "amount",
        ),
        (
            "income",
            vec![
                ("month", "last month".into()),
                ("source", "wages".into()),
                ("amount", "100".into()),
            ],
            "month",
        ),
        (
            "business",
            vec![
                ("business_kind", "tailoring".into()),
                ("started_on", day(3)),
                ("loan", "999999".into()),
            ],
            "loan",
        ),
        (
            "status_check",
            vec![
                ("business", "999999".into()),
                ("on", day(1)),
                ("status", "closed".into()),
            ],
            "business",
        ),
        (
            "training",
            vec![("course", "Weaving\nsecret".into()), ("started_on", day(3))],
            "course",
        ),
    ];
    for (i, (kind, fields, field)) in bad.iter().enumerate() {
        let key = format!("bad-{i}");
        let mut form: Vec<(&str, &str)> = vec![("csrf", &csrf), ("key", &key)];
        form.extend(fields.iter().map(|(k, v)| (*k, v.as_str())));
        let (status, _, body) = post(&c, format!("{url}/records/{kind}"), &form).await;
        assert_eq!(status, 422, "{kind}/{field}: {body}");
        assert!(
            body.contains(&sakhi::i18n::field_label(sakhi::i18n::Lang::En, field)),
            "{kind}: the message names {field}: {body}"
        );
        assert!(!body.contains("secret"), "a refusal never repeats the text");
    }
    assert_eq!(record_count(w, &code).await, before);
    let (status, _, _) = post(
        &c,
        format!("{url}/records/nonsense"),
        &[("csrf", &csrf), ("key", "x")],
    )
    .await;
    assert_eq!(status, 404);

    // Consent: given, then withdrawn as easily.
    for (key, given) in [("c-1", "1"), ("c-2", "0")] {
        let (status, _, body) = post(
            &c,
            format!("{url}/consent"),
            &[
                ("csrf", &csrf),
                ("key", key),
                ("purpose", "link_records"),
                ("given", given),
            ],
        )
        .await;
        assert_eq!(status, 303, "{body}");
    }
    let (_, page) = get(&c, url.clone()).await;
    assert!(page.contains("Withdrawn"), "{page}");
    let (status, _, body) = post(
        &c,
        format!("{url}/consent"),
        &[
            ("csrf", &csrf),
            ("key", "c-3"),
            ("purpose", "share_with_partner"),
            ("given", "1"),
        ],
    )
    .await;
    assert_eq!(status, 422);
    assert!(body.contains("partner"));

    // Without linkage consent there is no linked view of her, and the
    // program report counts her only as "not consented" (and, being one,
    // shows that count as ≤10).
    let staff = user(w, "staff").await;
    let (status, body) = get(&staff, format!("{url}/report")).await;
    assert_eq!(status, 422, "{body}");
    assert!(body.contains("consented"));
    let (status, csv) = get(&staff, format!("{base}/reports/linkage?format=csv")).await;
    assert_eq!(status, 200);
    assert!(
        csv.contains("\"women\",\"Consented to linking\",\"0\""),
        "{csv}"
    );
    assert!(csv.contains("\"women\",\"Not consented\",\"≤10\""), "{csv}");
    assert!(csv.contains("\"women\",\"Total\",\"≤10\""), "{csv}");
    assert!(
        !csv.contains(code.as_str()),
        "no client code leaves in an export"
    );

    // With consent again, the linked view joins her loans, business and
    // recovery on one timeline.
    let (status, _, _) = post(
        &c,
        format!("{url}/consent"),
        &[
            ("csrf", &csrf),
            ("key", "c-4"),
            ("purpose", "link_records"),
            ("given", "1"),
        ],
    )
    .await;
    assert_eq!(status, 303);
    let (status, report) = get(&staff, format!("{url}/report")).await;
    assert_eq!(status, 200, "{report}");
    for expected in [
        "Loan paid out",
        "Detox ended",
        "Tailoring",
        "Relapse",
        "Business started",
        "<svg",
        "₹3,000.00",
        "Relapse in the last 90 days",
    ] {
        assert!(report.contains(expected), "{expected} in the linked view");
    }
    assert!(!report.contains(NAME));
    let (status, page) = get(&staff, format!("{base}/reports/linkage")).await;
    assert_eq!(status, 200);
    assert!(page.contains("<svg") && page.contains("Lotus SHG"));
    assert!(!page.contains(code.as_str()));
    let (status, _) = get(&c, format!("{url}/report")).await;
    assert_eq!(status, 403, "linkage reports are for program staff");

    // An incident with a sealed narrative.
    let reported = (chrono::Local::now() - chrono::Duration::hours(30))
        .format("%Y-%m-%dT%H:%M")
        .to_string();
    let responded = (chrono::Local::now() - chrono::Duration::hours(10))
        .format("%Y-%m-%dT%H:%M")
        .to_string();
    let (status, _, body) = post(
        &c,
        format!("{url}/incidents"),
        &[
            ("csrf", &csrf),
            ("key", "i-1"),
            ("incident_kind", "harassment"),
            ("perpetrator", "police_or_security"),
            ("advocacy_group", "Imphal East crisis team"),
            ("reported_at", &reported),
            ("first_response_at", &responded),
            ("action", "legal"),
            ("action", "counselling"),
            ("narrative", NARRATIVE),
        ],
    )
    .await;
    assert_eq!(status, 303, "{body}");
    let incidents = w.store.incidents(her_record.id).await.unwrap();
    assert_eq!(incidents.len(), 1);
    assert_eq!(incidents[0].incident.hours_to_first_response(), Some(20.0));
    let (_, page) = get(&c, url.clone()).await;
    assert!(page.contains("first response after 20.0 hours"), "{page}");
    assert!(!page.contains(NARRATIVE));
    let (status, _, body) = post(
        &c,
        format!("{url}/incidents/{}/narrative", incidents[0].id),
        &[
            ("csrf", &csrf),
            ("reason", "preparing the legal aid referral"),
        ],
    )
    .await;
    assert_eq!(status, 200);
    assert!(body.contains(NARRATIVE));

    // Nothing readable in the database files: the name, the address and
    // the narrative exist only sealed.
    if let Some(dir) = sqlite_dir {
        let _ = w.store.verify().await.unwrap();
        for entry in std::fs::read_dir(dir).unwrap() {
            let bytes = std::fs::read(entry.unwrap().path()).unwrap();
            for secret in [NAME, ADDRESS, NARRATIVE, "Zirkonia"] {
                assert!(
                    !bytes
                        .windows(secret.len())
                        .any(|win| win == secret.as_bytes()),
                    "{secret} appears in plain text"
                );
            }
        }
    }

    // Staff read the log; it holds who, what and why.
    let (status, log) = get(&staff, format!("{base}/access-log?client={code}")).await;
    assert_eq!(status, 200);
    for expected in [
        "home visit planning",
        "preparing the legal aid referral",
        "Linked report about her",
        "Name and contacts",
        "Incident narrative",
        "counsellor",
    ] {
        assert!(log.contains(expected), "{expected} in {log}");
    }

    // She sees who looked at her record; another member sees nobody.
    let her = member(w, "LOT-01").await;
    let (status, mine) = get(&her, format!("{base}/me/access")).await;
    assert_eq!(status, 200);
    assert!(mine.contains("Name and contacts") && mine.contains("home visit planning"));
    assert!(!mine.contains(NAME));
    let other = member(w, "LOT-02").await;
    let (_, theirs) = get(&other, format!("{base}/me/access")).await;
    assert!(theirs.contains("Nobody has looked yet"));

    // Nobody else reaches any of it, by page or form.
    let incident = incidents[0].id;
    let gets = [
        "/clients".to_string(),
        format!("/clients/{code}"),
        "/access-log".to_string(),
        format!("/access-log?client={code}"),
        format!("/clients/{code}/report"),
        "/reports/linkage".to_string(),
        "/reports/linkage?format=csv".to_string(),
    ];
    let posts = [
        "/clients".to_string(),
        "/clients/search".to_string(),
        format!("/clients/{code}/identity"),
        format!("/clients/{code}/identity/view"),
        format!("/clients/{code}/members"),
        format!("/clients/{code}/records/relapse"),
        format!("/clients/{code}/consent"),
        format!("/clients/{code}/incidents"),
        format!("/clients/{code}/incidents/{incident}"),
        format!("/clients/{code}/incidents/{incident}/narrative"),
    ];
    let outsiders = [
        (
            user(w, "treasurer-a").await,
            format!("{base}/groups/{}", w.a.group.id),
        ),
        (user(w, "admin").await, format!("{base}/admin")),
        (her, format!("{base}/me")),
    ];
    let records_before = record_count(w, &code).await;
    for (who, home) in &outsiders {
        let csrf = csrf_of(who, home.clone()).await;
        for path in &gets {
            let (status, body) = get(who, format!("{base}{path}")).await;
            assert_eq!(status, 403, "{path}");
            assert!(!body.contains(NAME) && !body.contains("Tailoring"));
        }
        for path in &posts {
            let (status, _, body) = post(
                who,
                format!("{base}{path}"),
                &[
                    ("csrf", &csrf),
                    ("key", "intruder"),
                    ("reason", "curious"),
                    ("name", "Zirk"),
                    ("on", &day(1)),
                    ("reported_by", "peer"),
                ],
            )
            .await;
            assert_eq!(status, 403, "{path}: {body}");
        }
    }
    let anonymous = client();
    for path in &gets {
        let (status, _) = get(&anonymous, format!("{base}{path}")).await;
        assert_eq!(status, 303, "{path}");
    }
    assert_eq!(record_count(w, &code).await, records_before);

    // The counsellor keeps to her records: no group's books exist for her.
    let (status, _) = get(&c, format!("{base}/groups/{}", w.a.group.id)).await;
    assert_eq!(status, 404);
}
