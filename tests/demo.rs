//! The demo loader on both backends: a small demo verifies, shows every loan
//! state, lets every demo person sign in, refuses a second load, and comes
//! out the same for the same seed. A year's demo with an identity key tells
//! the clients' stories with every kind of record, the consent mix and what
//! the follow-up flags look for, and keeps names and narratives sealed.

mod common;

use chrono::{Duration, NaiveDate};
use common::*;
use sakhi::auth::verify_secret;
use sakhi::crypto::IdentityKey;
use sakhi::demo::{
    load_demo, DemoOptions, DemoSummary, CRISIS_TEAMS, DEMO_PASSWORD, DEMO_PIN, PARTNER,
};
use sakhi::ledger::chart;
use sakhi::loans::portfolio;
use sakhi::loans::product::LoanStatus;
use sakhi::outcomes::{
    BusinessStatus, ConsentEvent, ConsentPurpose, ConsentState, Identity, IncomeSource, Record,
};
use sakhi::store::{Role, Store};
use std::collections::{HashMap, HashSet};
use std::sync::Arc;

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 20).unwrap()
}

fn small() -> DemoOptions {
    DemoOptions {
        groups: 2,
        members_per_group: (12, 12),
        weeks: 12,
        seed: 7,
        today: today(),
        identity_key: None,
    }
}

/// A year of meetings, so loans are old enough for the follow-up flags.
fn year(key: &Arc<IdentityKey>) -> DemoOptions {
    DemoOptions {
        groups: 2,
        members_per_group: (12, 15),
        weeks: 52,
        seed: 7,
        today: today(),
        identity_key: Some(key.clone()),
    }
}

#[tokio::test]
async fn demo_outcomes_with_a_key_on_sqlite() {
    let db = sqlite().await;
    let key = Arc::new(IdentityKey::generate().unwrap());
    let summary = load_demo(&db.store, &year(&key)).await.unwrap();
    assert!(db.store.verify().await.unwrap().is_ok());
    let secrets = check_outcomes(&db.store, &summary, Some(&key), true).await;

    // Names, phones, localities and narratives are nowhere in the database
    // files in plain text (the WAL included). Member display names are in
    // the members table by design; the sealed identities must not hold them.
    let mut bytes = Vec::new();
    for entry in std::fs::read_dir(db._dir.path()).unwrap() {
        bytes.extend(std::fs::read(entry.unwrap().path()).unwrap());
    }
    assert!(bytes.len() > 100_000, "the database files were read");
    let contains =
        |hay: &[u8], needle: &str| hay.windows(needle.len()).any(|w| w == needle.as_bytes());
    for text in secrets
        .phones
        .iter()
        .chain(&secrets.addresses)
        .chain(&secrets.narratives)
    {
        assert!(
            !contains(&bytes, text),
            "plain text in the database: {text}"
        );
    }
    assert!(!contains(&bytes, "+91 90000"));
    assert!(!contains(&bytes, "phone on file"));
    assert!(!contains(&bytes, "full_name"));
    for (blob, name) in &secrets.blobs {
        assert!(!contains(blob, name), "a name in its sealed identity");
        assert!(!contains(blob, "Imphal"));
    }
}

#[tokio::test]
async fn demo_outcomes_with_a_key_on_postgres() {
    let Some(db) = postgres().await else { return };
    let key = Arc::new(IdentityKey::generate().unwrap());
    let summary = load_demo(&db.store, &year(&key)).await.unwrap();
    assert!(db.store.verify().await.unwrap().is_ok());
    check_outcomes(&db.store, &summary, Some(&key), true).await;
}

#[tokio::test]
async fn demo_on_sqlite() {
    let db = sqlite().await;
    let summary = load_demo(&db.store, &small()).await.unwrap();
    check(&db.store, &summary).await;
    check_outcomes(&db.store, &summary, None, false).await;

    // The same seed in another empty database: the same demo.
    let other = sqlite().await;
    let again = load_demo(&other.store, &small()).await.unwrap();
    assert_eq!(
        fingerprint(&db.store).await,
        fingerprint(&other.store).await
    );
    assert_eq!(
        DemoSummary {
            elapsed: summary.elapsed,
            ..again
        },
        summary
    );
}

#[tokio::test]
async fn demo_on_postgres() {
    let Some(db) = postgres().await else { return };
    let summary = load_demo(&db.store, &small()).await.unwrap();
    check(&db.store, &summary).await;
    check_outcomes(&db.store, &summary, None, false).await;
}

/// Loans as (group, member code, status, principal, schedule version),
/// meetings as (group, date, cash in, cash out, expected, counted), and
/// outcome records and incidents by member code (client codes are random).
/// The demo as content: groups run side by side, so loan ids interleave
/// differently from run to run; a business names its loans by member code
/// and the loan's place among hers instead.
async fn fingerprint(store: &dyn Store) -> (Vec<String>, Vec<String>) {
    let mut loans = Vec::new();
    let mut meetings = Vec::new();
    let mut member_of = HashMap::new();
    for c in store.clients().await.unwrap() {
        member_of.insert(c.id, c.members[0].member_code.clone());
    }
    let mut codes = HashMap::new();
    for g in store.groups().await.unwrap() {
        for m in store.members(g.id).await.unwrap() {
            codes.insert(m.id, m.code);
        }
    }
    let mut all_loans: Vec<_> = store.loans(None).await.unwrap();
    all_loans.sort_by_key(|l| l.loan.id);
    let mut nth: HashMap<i64, usize> = HashMap::new();
    let mut label = HashMap::new();
    for l in &all_loans {
        let n = nth.entry(l.loan.member_id).or_default();
        *n += 1;
        label.insert(l.loan.id, format!("{}#{n}", codes[&l.loan.member_id]));
    }
    for r in store.all_records().await.unwrap() {
        let mut json = serde_json::to_value(&r.record).unwrap();
        relabel_loans(&mut json, &label);
        loans.push(format!(
            "{} {} {}",
            member_of[&r.client_id], r.recorded_by, json
        ));
    }
    for i in store.all_incidents().await.unwrap() {
        loans.push(format!(
            "{} {}",
            member_of[&i.client_id],
            serde_json::to_string(&i.incident).unwrap()
        ));
    }
    for g in store.groups().await.unwrap() {
        let members = store.members(g.id).await.unwrap();
        for l in store.loans(Some(g.id)).await.unwrap() {
            let code = &members
                .iter()
                .find(|m| m.id == l.loan.member_id)
                .unwrap()
                .code;
            loans.push(format!(
                "{} {code} {} {} v{}",
                g.name, l.loan.status, l.loan.principal, l.loan.schedule_version
            ));
        }
        for m in store.meetings(g.id, 1_000).await.unwrap() {
            meetings.push(format!(
                "{} {} {} {} {} {:?}",
                g.name, m.held_on, m.cash_in, m.cash_out, m.expected_cash, m.counted_cash
            ));
        }
    }
    (loans, meetings)
}

/// Every `"loans": [ids]` in a record, as labels.
fn relabel_loans(json: &mut serde_json::Value, label: &HashMap<i64, String>) {
    match json {
        serde_json::Value::Object(map) => {
            for (key, value) in map.iter_mut() {
                if key == "loans" {
                    if let serde_json::Value::Array(ids) = value {
                        for id in ids.iter_mut() {
                            if let Some(n) = id.as_i64() {
                                *id = serde_json::Value::String(label[&n].clone());
                            }
                        }
                    }
                } else {
                    relabel_loans(value, label);
                }
            }
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(|v| relabel_loans(v, label)),
        _ => {}
    }
}

async fn check(store: &dyn Store, summary: &DemoSummary) {
    assert!(store.verify().await.unwrap().is_ok());
    assert_eq!(summary.groups, 2);
    assert_eq!(summary.members, 24);
    assert_eq!(summary.meetings, 24);
    assert!(summary.entries > 10 * summary.meetings, "{summary}");

    // Every state a loan can be in.
    let loans = store.loans(None).await.unwrap();
    assert_eq!(summary.loans, loans.len());
    let has = |status| loans.iter().any(|l| l.loan.status == status);
    for status in [
        LoanStatus::Applied,
        LoanStatus::Approved,
        LoanStatus::Rejected,
        LoanStatus::Active,
        LoanStatus::Closed,
        LoanStatus::WrittenOff,
    ] {
        assert!(has(status), "no {status} loan:\n{summary}");
    }
    let dpd = |l: &sakhi::store::LoanWithState| portfolio::arrears(&l.state, today()).days_past_due;
    let active: Vec<_> = loans
        .iter()
        .filter(|l| l.loan.status == LoanStatus::Active)
        .collect();
    assert!(active.iter().any(|l| dpd(l) == 0), "an active loan on time");
    assert!(
        active.iter().any(|l| dpd(l) > 30),
        "an active loan over 30 days late"
    );
    assert!(
        active.iter().any(|l| l.loan.schedule_version > 1),
        "a rescheduled loan"
    );
    let f = summary.loan_figures;
    assert!(f.active_on_time > 0 && f.active_late > 0 && f.rescheduled > 0);

    // The written-off loans brought a little back.
    let mut recovered = 0;
    for g in store.groups().await.unwrap() {
        let recoveries = store
            .account_by_code(g.book_id, chart::shg::RECOVERIES)
            .await
            .unwrap();
        recovered -= store.balance(recoveries.id).await.unwrap();
    }
    assert!(recovered > 0);

    // No meeting after today; every meeting counted or not, some short.
    let mut short = 0;
    for g in store.groups().await.unwrap() {
        let meetings = store.meetings(g.id, 1_000).await.unwrap();
        assert_eq!(meetings.len(), 12);
        assert!(meetings.iter().all(|m| m.held_on <= today()));
        assert!(meetings.iter().all(|m| m.expected_cash >= 0));
        short += meetings
            .iter()
            .filter(|m| m.cash_difference().is_some_and(|d| d < 0))
            .count();
    }
    assert!(short > 0, "some meetings count a shortage");

    // Every member signs in with her code alone; codes are unique.
    let mut codes = std::collections::HashSet::new();
    for g in store.groups().await.unwrap() {
        for m in store.members(g.id).await.unwrap() {
            assert!(codes.insert(m.code.clone()));
            let (found, pin_hash, _) = store.member_login(&m.code).await.unwrap().unwrap();
            assert_eq!(found.id, m.id);
            assert!(!pin_hash.is_empty());
        }
    }
    assert_eq!(codes.len(), 24);
    let (_, pin_hash, _) = store.member_login("LOT-01").await.unwrap().unwrap();
    assert!(verify_secret(DEMO_PIN, &pin_hash));

    // The users in the table sign in with the demo password.
    for (login, role) in [
        ("admin", Role::Admin),
        ("staff", Role::Staff),
        ("counsellor", Role::Counsellor),
        ("treasurer1", Role::Treasurer),
        ("treasurer2", Role::Treasurer),
    ] {
        let (user, _) = store.user_login(login).await.unwrap().unwrap();
        assert_eq!(user.role, role);
        assert!(!user.must_change_password);
        assert!(summary.logins.iter().any(|(_, l, _)| l == login));
    }
    let (treasurer, hash) = store.user_login("treasurer2").await.unwrap().unwrap();
    assert!(verify_secret(DEMO_PASSWORD, &hash));
    let groups = store.groups().await.unwrap();
    let iris = groups.iter().find(|g| g.name == "Iris SHG").unwrap();
    assert_eq!(
        store.treasurer_groups(treasurer.id).await.unwrap(),
        vec![iris.id]
    );

    // A second load is refused and changes nothing.
    let entries = store.verify().await.unwrap().entries;
    let err = load_demo(store, &small()).await.unwrap_err();
    assert!(err.to_string().contains("empty database"), "{err}");
    assert_eq!(store.verify().await.unwrap().entries, entries);
    assert_eq!(store.groups().await.unwrap().len(), 2);
}

/// What must never be in the database in plain text.
#[derive(Default)]
struct Secrets {
    phones: Vec<String>,
    addresses: Vec<String>,
    narratives: Vec<String>,
    /// (sealed identity, the name sealed in it)
    blobs: Vec<(Vec<u8>, String)>,
}

/// The clients' records as the demo promises them; `year` for a demo long
/// enough for every kind of record and every flag.
async fn check_outcomes(
    store: &dyn Store,
    summary: &DemoSummary,
    key: Option<&IdentityKey>,
    year: bool,
) -> Secrets {
    let today = today();
    let o = summary.outcomes;
    let clients = store.clients().await.unwrap();
    assert_eq!(o.clients, clients.len());
    // About four in five members.
    assert!(
        (60..=95).contains(&(clients.len() * 100 / summary.members)),
        "{summary}"
    );
    let mut members = HashMap::new();
    for g in store.groups().await.unwrap() {
        for m in store.members(g.id).await.unwrap() {
            members.insert(m.id, m);
        }
    }
    let mut secrets = Secrets::default();
    for c in &clients {
        assert_eq!(c.members.len(), 1);
        let member = &members[&c.members[0].member_id];
        let sealed = store.identity(c.id).await.unwrap();
        assert_eq!(c.has_identity, key.is_some());
        let Some(key) = key else {
            assert!(sealed.is_none());
            continue;
        };
        let sealed = sealed.expect("an identity with a key");
        assert_eq!(sealed.key_fingerprint, key.fingerprint());
        let json = key
            .open_string(&sealed.bytes, format!("identity:{}", c.code).as_bytes())
            .expect("the identity opens with the key and its context");
        let identity: Identity = serde_json::from_str(&json).unwrap();
        assert_eq!(identity.full_name, member.display_name);
        let phone = identity.phone.clone().unwrap();
        assert!(phone.starts_with("+91 90000 0"), "{phone}");
        let address = identity.address.clone().unwrap();
        assert!(address.ends_with("Imphal East") || address.ends_with("Imphal West"));
        assert!(identity.family_contact.unwrap().contains("phone on file"));
        secrets.phones.push(phone);
        secrets.addresses.push(address);
        secrets.blobs.push((sealed.bytes, identity.full_name));
    }
    assert_eq!(o.identities, if key.is_some() { clients.len() } else { 0 });
    if key.is_none() {
        assert!(store.sealing_fingerprints().await.unwrap().is_empty());
    }

    // Records: read back, dated within the story's year and never after
    // today, by the counsellor or the livelihood staff.
    let records = store.all_records().await.unwrap();
    assert_eq!(o.records, records.len());
    let mut by_client: HashMap<i64, Vec<&Record>> = HashMap::new();
    let mut kinds = HashSet::new();
    for r in &records {
        let on = r.record.event_on();
        assert!(on <= today && on >= today - Duration::days(450), "{on}");
        assert!(
            ["Demo counsellor", "Program staff (demo)"].contains(&r.recorded_by.as_str()),
            "{}",
            r.recorded_by
        );
        kinds.insert(r.record.kind());
        by_client.entry(r.client_id).or_default().push(&r.record);
        if let Record::Income(i) = &r.record {
            let max = match i.source {
                IncomeSource::Business => 9_000,
                IncomeSource::Wages => 6_000,
                IncomeSource::SexWork => 8_000,
                IncomeSource::Other => 2_000,
            };
            assert!((0..=max * 100).contains(&i.amount), "{i:?}");
        }
    }
    assert!(clients.iter().all(|c| by_client.contains_key(&c.id)));
    for kind in ["consent", "detox", "review", "income", "business"] {
        assert!(kinds.contains(kind), "no {kind} record");
    }

    // Consent: most link their records, a few never do, one withdraws,
    // one shares with the named partner.
    let mut linked = 0;
    let mut never = 0;
    let mut withdrawn = 0;
    let mut partner = 0;
    for c in &clients {
        let events: Vec<ConsentEvent> = by_client[&c.id]
            .iter()
            .filter_map(|r| match r {
                Record::Consent(e) => Some(e.clone()),
                _ => None,
            })
            .collect();
        let state = ConsentState::as_of(&events, today);
        assert!(state.has(ConsentPurpose::ReceiveServices));
        linked += usize::from(state.allows_linkage());
        let link_events = events
            .iter()
            .filter(|e| e.purpose == ConsentPurpose::LinkRecords);
        never += usize::from(link_events.clone().count() == 0);
        withdrawn += usize::from(link_events.clone().any(|e| !e.given));
        partner += usize::from(state.shares_with(PARTNER));
    }
    assert!(linked * 10 >= clients.len() * 7, "most link their records");
    assert!(never >= 1 && withdrawn >= 1 && partner >= 1);

    // Incidents: the crisis teams, mostly answered within 48 hours.
    let midnight = today.and_hms_opt(0, 0, 0).unwrap().and_utc();
    let incidents = store.all_incidents().await.unwrap();
    assert_eq!(o.incidents, incidents.len());
    assert!(!incidents.is_empty());
    let code_of: HashMap<i64, String> =
        clients.iter().map(|c| (c.id, c.code.to_string())).collect();
    for i in &incidents {
        assert!(CRISIS_TEAMS.contains(&i.incident.advocacy_group.as_str()));
        assert!(i.incident.reported_at < midnight);
        assert!(i.incident.first_response_at.is_none_or(|at| at < midnight));
        match (key, &i.narrative) {
            (None, narrative) => assert!(narrative.is_none()),
            (Some(key), Some(sealed)) => {
                let context = format!("incident:{}", code_of[&i.client_id]);
                let text = key.open_string(&sealed.bytes, context.as_bytes()).unwrap();
                assert!(!text.is_empty());
                secrets.narratives.push(text.to_string());
            }
            (Some(_), None) => panic!("a narrative is sealed with a key"),
        }
    }
    if !year {
        return secrets;
    }
    // About three cases for ten clients (12 in the default demo), at most 14.
    assert!(
        (clients.len() / 5..=15).contains(&incidents.len()),
        "{}",
        incidents.len()
    );
    let late = incidents
        .iter()
        .filter(|i| {
            i.incident
                .hours_to_first_response()
                .is_some_and(|h| h > 48.0)
        })
        .count();
    let quick = incidents
        .iter()
        .filter(|i| {
            i.incident
                .hours_to_first_response()
                .is_some_and(|h| h <= 48.0)
        })
        .count();
    assert!(
        late >= 1 && quick > late,
        "{late} late, {quick} within 48 h"
    );
    assert!(incidents.iter().any(|i| i.incident.resolved_at.is_none()));
    assert!(incidents.iter().any(|i| i.incident.resolved_at.is_some()));

    for kind in [
        "consent",
        "detox",
        "ost",
        "shelter",
        "training",
        "reintegration",
        "relapse",
        "review",
        "business",
        "status_check",
        "income",
    ] {
        assert!(kinds.contains(kind), "no {kind} record");
    }

    // What the follow-up flags look for.
    let loans: HashMap<i64, _> = store
        .loans(None)
        .await
        .unwrap()
        .into_iter()
        .map(|l| (l.loan.id, l))
        .collect();
    let ids: HashMap<i64, &Record> = records.iter().map(|r| (r.id, &r.record)).collect();
    let mut funded = HashSet::new();
    let mut latest: HashMap<i64, (NaiveDate, BusinessStatus)> = HashMap::new();
    for r in &records {
        match &r.record {
            Record::Business(b) => funded.extend(b.loans.iter().copied()),
            Record::StatusCheck(c) => {
                assert!(matches!(ids[&c.business], Record::Business(_)));
                let slot = latest
                    .entry(c.business)
                    .or_insert((c.check.on, c.check.status));
                if c.check.on >= slot.0 {
                    *slot = (c.check.on, c.check.status);
                }
            }
            _ => {}
        }
    }
    let client_members: HashSet<i64> = clients.iter().map(|c| c.members[0].member_id).collect();
    let unfunded = loans.values().any(|l| {
        client_members.contains(&l.loan.member_id)
            && l.loan.status == LoanStatus::Active
            && l.loan
                .disbursed_on
                .is_some_and(|d| d <= today - Duration::days(90))
            && !funded.contains(&l.loan.id)
    });
    assert!(
        unfunded,
        "a business loan over 90 days old with no business"
    );
    let closed_owing = latest.iter().any(|(id, (_, status))| {
        let Record::Business(b) = ids[id] else {
            return false;
        };
        *status == BusinessStatus::Closed
            && b.loans.iter().any(|l| {
                loans[l].loan.status == LoanStatus::Active
                    && loans[l].state.principal_outstanding() > 0
            })
    });
    assert!(closed_owing, "a business closed while its loan is owed");
    let stale = clients.iter().any(|c| {
        by_client[&c.id]
            .iter()
            .filter_map(|r| match r {
                Record::Review(v) => Some(v.on),
                _ => None,
            })
            .max()
            .is_some_and(|last| last < today - Duration::days(90))
    });
    assert!(stale, "a client with no review in the last 90 days");
    let reviewed_lately = clients
        .iter()
        .filter(|c| {
            by_client[&c.id]
                .iter()
                .any(|r| matches!(r, Record::Review(v) if v.on >= today - Duration::days(90)))
        })
        .count();
    assert!(
        reviewed_lately * 10 >= clients.len() * 8,
        "most were reviewed lately"
    );

    // Most get better: fewer days of use at the last review than at intake,
    // and a smaller share of income from sex work in the last months.
    let mut better = 0;
    let mut with_reviews = 0;
    let mut share_falls = 0;
    let mut share_rises = 0;
    for c in &clients {
        let reviews: Vec<_> = by_client[&c.id]
            .iter()
            .filter_map(|r| match r {
                Record::Review(v) => Some(v),
                _ => None,
            })
            .collect();
        if reviews.len() >= 3 {
            with_reviews += 1;
            better += usize::from(reviews.last().unwrap().days_used < reviews[0].days_used);
        }
        let incomes: Vec<_> = by_client[&c.id]
            .iter()
            .filter_map(|r| match r {
                Record::Income(i) => Some(i.clone()),
                _ => None,
            })
            .collect();
        let months: Vec<NaiveDate> = {
            let mut m: Vec<_> = incomes.iter().map(|i| i.month).collect();
            m.sort();
            m.dedup();
            m
        };
        if months.len() < 9 || !incomes.iter().any(|i| i.source == IncomeSource::SexWork) {
            continue;
        }
        let share = |from: NaiveDate, to: NaiveDate| {
            let part: Vec<_> = incomes
                .iter()
                .filter(|i| i.month >= from && i.month <= to)
                .cloned()
                .collect();
            sakhi::outcomes::livelihood::share_outside_sex_work(&part).unwrap_or(0.0)
        };
        let first = share(months[0], months[2]);
        let last = share(months[months.len() - 3], months[months.len() - 1]);
        if last > first {
            share_falls += 1;
        } else if last < first {
            share_rises += 1;
        }
    }
    assert!(
        better * 10 >= with_reviews * 6,
        "{better} of {with_reviews}"
    );
    assert!(
        share_falls > 2 * share_rises,
        "{share_falls} vs {share_rises}"
    );
    secrets
}
