//! Client records for counsellors and program staff: the pseudonymous
//! client, her sealed identity, rehabilitation, livelihood and consent
//! records, and incidents. Every read of these is written to the access log;
//! no other role reaches any of it (see `authz::Action::ClientRecords`).

use super::client_forms;
use super::clients_facts::her_loans;
use crate::crypto::IdentityKey;
use crate::groups::GroupId;
use crate::ledger::LoanId;
use crate::outcomes::{
    BusinessKind, BusinessStatus, ClientCode, Code, ConsentPurpose, ConsentState, DetoxOutcome,
    DetoxSetting, Identity, IncidentAction, IncidentKind, IncidentOutcome, IncomeSource, OstStatus,
    Perpetrator, Record, ReintegrationKind, ReportedBy, ShelterReason,
};
use crate::store::outcomes::{Client, StoredIncident};
use crate::store::Sealed;
use crate::web::access;
use crate::web::authz::{allowed, require, Action};
use crate::web::forms::{new_key, today};
use crate::web::session::{CheckedForm, Session};
use crate::web::{page_context, render, AppError, AppState, PageError};
use axum::extract::{Path, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde::Serialize;
use serde_json::{json, Value};
use std::collections::HashMap;

fn identity_context(code: &ClientCode) -> Vec<u8> {
    format!("identity:{code}").into_bytes()
}

fn narrative_context(code: &ClientCode) -> Vec<u8> {
    format!("incident:{code}").into_bytes()
}

fn key(state: &AppState) -> Result<&IdentityKey, AppError> {
    state.identity_key.as_deref().ok_or_else(|| {
        AppError::invalid(
            "identity",
            "no identity key is configured on this server: names and narratives cannot be \
             sealed or opened",
        )
    })
}

fn seal(key: &IdentityKey, text: &str, context: &[u8]) -> Result<Sealed, AppError> {
    Ok(Sealed {
        bytes: key
            .seal_str(text, context)
            .map_err(|e| AppError::Internal(e.to_string()))?,
        key_fingerprint: key.fingerprint(),
    })
}

fn open(key: &IdentityKey, sealed: &Sealed, context: &[u8]) -> Result<String, AppError> {
    key.open_string(&sealed.bytes, context)
        .map(|s| s.as_str().to_string())
        .map_err(|e| AppError::Internal(format!("a sealed record does not open: {e}")))
}

async fn client_by_code(state: &AppState, code: &str) -> Result<Client, AppError> {
    let code = ClientCode::parse(code).map_err(|_| AppError::NotFound)?;
    Ok(state.store.client(&code).await?)
}

/// The member account a form names: a group and a member code in it.
async fn member_in_form(state: &AppState, form: &CheckedForm) -> Result<i64, AppError> {
    let group: GroupId = form
        .get("group")
        .parse()
        .map_err(|_| AppError::invalid("group", "choose a group"))?;
    let code = form.get("member_code").trim();
    state
        .store
        .members(group)
        .await
        .map_err(|_| AppError::invalid("group", "choose a group"))?
        .into_iter()
        .find(|m| m.code.eq_ignore_ascii_case(code))
        .map(|m| m.id)
        .ok_or_else(|| AppError::invalid("member_code", "no member with this code in that group"))
}

#[derive(Serialize)]
struct ClientRow {
    code: String,
    members: Vec<String>,
    has_identity: bool,
    created_on: String,
}

fn client_row(c: &Client) -> ClientRow {
    ClientRow {
        code: c.code.to_string(),
        members: c
            .members
            .iter()
            .map(|m| format!("{} {}", m.group_name, m.member_code))
            .collect(),
        has_identity: c.has_identity,
        created_on: c.created_at.date_naive().to_string(),
    }
}

async fn list_page(
    state: &AppState,
    session: &Session,
    found: Option<Vec<(String, String)>>,
) -> Result<Html<String>, AppError> {
    let clients: Vec<ClientRow> = state
        .store
        .clients()
        .await?
        .iter()
        .map(client_row)
        .collect();
    let groups: Vec<(i64, String)> = state
        .store
        .groups()
        .await?
        .into_iter()
        .map(|g| (g.id, g.name))
        .collect();
    let mut ctx = page_context(session);
    ctx.insert("clients", &clients);
    ctx.insert("groups", &groups);
    ctx.insert("found", &found);
    ctx.insert("key_configured", &state.identity_key.is_some());
    ctx.insert(
        "sees_identity",
        &allowed(&session.principal, Action::ClientIdentity),
    );
    ctx.insert(
        "linkage",
        &allowed(&session.principal, Action::LinkageReports),
    );
    render(state, "clients.html", session.lang, ctx).await
}

pub async fn list(
    State(state): State<AppState>,
    session: Session,
) -> Result<Html<String>, PageError> {
    require(&session.principal, Action::ClientRecords)?;
    Ok(list_page(&state, &session, None).await?)
}

/// Finds clients by name. The name travels in the body of a POST (never in
/// a URL), each identity is opened in memory only, and the search itself is
/// logged (without what was searched for).
pub async fn search(
    State(state): State<AppState>,
    form: CheckedForm,
) -> Result<Html<String>, PageError> {
    require(&form.session.principal, Action::ClientIdentity)?;
    let key = key(&state)?;
    let wanted = form.get("name").trim().to_lowercase();
    if wanted.chars().count() < 2 {
        return Err(AppError::invalid("name", "type at least 2 letters of her name").into());
    }
    access::log(
        &state,
        &form.session.principal,
        None,
        "search",
        "/clients/search",
        None,
    )
    .await?;
    let mut found = Vec::new();
    for (code, sealed) in state.store.sealed_identities().await? {
        let json = open(key, &sealed, &identity_context(&code))?;
        let identity: Identity = serde_json::from_str(&json)
            .map_err(|e| AppError::Internal(format!("identity does not parse: {e}")))?;
        if identity.full_name.to_lowercase().contains(&wanted) {
            found.push((code.to_string(), identity.full_name.clone()));
        }
    }
    Ok(list_page(&state, &form.session, Some(found)).await?)
}

pub async fn create(
    State(state): State<AppState>,
    form: CheckedForm,
) -> Result<Response, PageError> {
    require(&form.session.principal, Action::ClientRecords)?;
    let user = form.session.principal.user().ok_or(AppError::Forbidden)?;
    let member = member_in_form(&state, &form).await?;
    let code = ClientCode::generate().map_err(|e| AppError::Internal(e.to_string()))?;
    let sealed = if form.get("full_name").trim().is_empty() {
        None
    } else {
        let identity = client_forms::identity(&form)?;
        let json =
            serde_json::to_string(&identity).map_err(|e| AppError::Internal(e.to_string()))?;
        Some(seal(key(&state)?, &json, &identity_context(&code))?)
    };
    state
        .store
        .create_client(&code, &[member], sealed.as_ref(), user.id)
        .await?;
    Ok(Redirect::to(&format!("/clients/{code}")).into_response())
}

pub async fn show(
    State(state): State<AppState>,
    session: Session,
    Path(code): Path<String>,
) -> Result<Html<String>, PageError> {
    require(&session.principal, Action::ClientRecords)?;
    let client = client_by_code(&state, &code).await?;
    Ok(client_page(&state, &session, &client, None, None).await?)
}

/// Opens her identity for one page view, with the reason asked and logged.
pub async fn view_identity(
    State(state): State<AppState>,
    Path(code): Path<String>,
    form: CheckedForm,
) -> Result<Html<String>, PageError> {
    require(&form.session.principal, Action::ClientIdentity)?;
    let client = client_by_code(&state, &code).await?;
    let reason = reason(&form)?;
    let key = key(&state)?;
    let sealed = state
        .store
        .identity(client.id)
        .await?
        .ok_or(AppError::NotFound)?;
    access::log(
        &state,
        &form.session.principal,
        Some(client.id),
        "identity",
        "/clients/{code}/identity/view",
        Some(&reason),
    )
    .await?;
    let json = open(key, &sealed, &identity_context(&client.code))?;
    let identity: Identity = serde_json::from_str(&json)
        .map_err(|e| AppError::Internal(format!("identity does not parse: {e}")))?;
    Ok(client_page(&state, &form.session, &client, Some(identity), None).await?)
}

fn reason(form: &CheckedForm) -> Result<String, AppError> {
    let reason = form.get("reason").trim();
    if reason.is_empty() || reason.chars().count() > 200 {
        return Err(AppError::invalid(
            "reason",
            "say why you need to see it (at most 200 characters)",
        ));
    }
    Ok(reason.to_string())
}

pub async fn set_identity(
    State(state): State<AppState>,
    Path(code): Path<String>,
    form: CheckedForm,
) -> Result<Response, PageError> {
    require(&form.session.principal, Action::ClientIdentity)?;
    let user = form.session.principal.user().ok_or(AppError::Forbidden)?;
    let client = client_by_code(&state, &code).await?;
    let identity = client_forms::identity(&form)?;
    let json = serde_json::to_string(&identity).map_err(|e| AppError::Internal(e.to_string()))?;
    let sealed = seal(key(&state)?, &json, &identity_context(&client.code))?;
    state
        .store
        .set_identity(client.id, &sealed, user.id)
        .await?;
    Ok(back(&client))
}

pub async fn link_member(
    State(state): State<AppState>,
    Path(code): Path<String>,
    form: CheckedForm,
) -> Result<Response, PageError> {
    let (_, client) = writer(&state, &form, &code).await?;
    let member = member_in_form(&state, &form).await?;
    state.store.link_member(client.id, member).await?;
    Ok(back(&client))
}

/// Who is writing to which client's record: the signed-in person (who
/// must be allowed client records) and the client the path names.
async fn writer<'f>(
    state: &AppState,
    form: &'f CheckedForm,
    code: &str,
) -> Result<(&'f crate::store::User, Client), AppError> {
    require(&form.session.principal, Action::ClientRecords)?;
    let user = form.session.principal.user().ok_or(AppError::Forbidden)?;
    Ok((user, client_by_code(state, code).await?))
}

/// The incident's narrative, sealed, when the form has one.
fn sealed_narrative(
    state: &AppState,
    form: &CheckedForm,
    client: &Client,
) -> Result<Option<Sealed>, AppError> {
    client_forms::narrative(form)?
        .map(|text| seal(key(state)?, &text, &narrative_context(&client.code)))
        .transpose()
}

fn back(client: &Client) -> Response {
    Redirect::to(&format!("/clients/{}", client.code)).into_response()
}

fn form_key(form: &CheckedForm) -> Result<String, AppError> {
    let key = form.get("key").trim();
    if key.is_empty() || key.len() > 100 {
        return Err(AppError::invalid(
            "key",
            "the form is incomplete: reload the page",
        ));
    }
    Ok(key.to_string())
}

pub async fn add_record(
    State(state): State<AppState>,
    Path((code, kind)): Path<(String, String)>,
    form: CheckedForm,
) -> Result<Response, PageError> {
    let (user, client) = writer(&state, &form, &code).await?;
    let loans: Vec<LoanId> = her_loans(&state, &client)
        .await?
        .iter()
        .map(|l| l.loan.id)
        .collect();
    let businesses: Vec<(i64, chrono::NaiveDate)> = state
        .store
        .records(client.id)
        .await?
        .into_iter()
        .filter_map(|r| match r.record {
            Record::Business(b) => Some((r.id, b.started_on)),
            _ => None,
        })
        .collect();
    let record = client_forms::record(&kind, &form, &loans, &businesses, today())?;
    state
        .store
        .add_record(client.id, &record, &form_key(&form)?, user.id)
        .await?;
    Ok(back(&client))
}

pub async fn consent(
    State(state): State<AppState>,
    Path(code): Path<String>,
    form: CheckedForm,
) -> Result<Response, PageError> {
    let (user, client) = writer(&state, &form, &code).await?;
    let event = client_forms::consent(&form, today())?;
    state
        .store
        .add_record(
            client.id,
            &Record::Consent(event),
            &form_key(&form)?,
            user.id,
        )
        .await?;
    Ok(back(&client))
}

pub async fn add_incident(
    State(state): State<AppState>,
    Path(code): Path<String>,
    form: CheckedForm,
) -> Result<Response, PageError> {
    let (user, client) = writer(&state, &form, &code).await?;
    let incident = client_forms::incident(&form, chrono::Utc::now())?;
    let narrative = sealed_narrative(&state, &form, &client)?;
    state
        .store
        .add_incident(
            client.id,
            &incident,
            narrative.as_ref(),
            &form_key(&form)?,
            user.id,
        )
        .await?;
    Ok(back(&client))
}

async fn incident_of(
    state: &AppState,
    client: &Client,
    id: i64,
) -> Result<StoredIncident, AppError> {
    state
        .store
        .incidents(client.id)
        .await?
        .into_iter()
        .find(|i| i.id == id)
        .ok_or(AppError::NotFound)
}

pub async fn update_incident(
    State(state): State<AppState>,
    Path((code, id)): Path<(String, i64)>,
    form: CheckedForm,
) -> Result<Response, PageError> {
    let (user, client) = writer(&state, &form, &code).await?;
    incident_of(&state, &client, id).await?;
    let incident = client_forms::incident(&form, chrono::Utc::now())?;
    let narrative = sealed_narrative(&state, &form, &client)?;
    state
        .store
        .update_incident(id, &incident, narrative.as_ref(), user.id)
        .await?;
    Ok(back(&client))
}

pub async fn view_narrative(
    State(state): State<AppState>,
    Path((code, id)): Path<(String, i64)>,
    form: CheckedForm,
) -> Result<Html<String>, PageError> {
    require(&form.session.principal, Action::ClientIdentity)?;
    let client = client_by_code(&state, &code).await?;
    let reason = reason(&form)?;
    let key = key(&state)?;
    let incident = incident_of(&state, &client, id).await?;
    let sealed = incident.narrative.ok_or(AppError::NotFound)?;
    access::log(
        &state,
        &form.session.principal,
        Some(client.id),
        "narrative",
        "/clients/{code}/incidents/{id}/narrative",
        Some(&reason),
    )
    .await?;
    let text = open(key, &sealed, &narrative_context(&client.code))?;
    Ok(client_page(&state, &form.session, &client, None, Some((id, text))).await?)
}

fn codes<T: Code>() -> Vec<&'static str> {
    T::ALL.iter().map(|v| v.code()).collect()
}

/// The value of a record as the page shows it: its fields, its id and who
/// recorded it.
fn row(id: i64, by: &str, value: &impl Serialize) -> Result<Value, AppError> {
    let mut v = serde_json::to_value(value).map_err(|e| AppError::Internal(e.to_string()))?;
    if let Value::Object(map) = &mut v {
        map.insert("id".into(), json!(id));
        map.insert("by".into(), json!(by));
    }
    Ok(v)
}

async fn client_page(
    state: &AppState,
    session: &Session,
    client: &Client,
    identity: Option<Identity>,
    narrative: Option<(i64, String)>,
) -> Result<Html<String>, AppError> {
    access::log(
        state,
        &session.principal,
        Some(client.id),
        "rehabilitation",
        "/clients/{code}",
        None,
    )
    .await?;
    let records = state.store.records(client.id).await?;
    let mut sections: HashMap<&'static str, Vec<Value>> = HashMap::new();
    let mut consent_events = Vec::new();
    let mut consent_rows = Vec::new();
    for r in &records {
        let value = match &r.record {
            Record::Detox(v) => row(r.id, &r.recorded_by, v)?,
            Record::Ost(v) => row(r.id, &r.recorded_by, v)?,
            Record::Shelter(v) => row(r.id, &r.recorded_by, v)?,
            Record::Training(v) => row(r.id, &r.recorded_by, v)?,
            Record::Reintegration(v) => row(r.id, &r.recorded_by, v)?,
            Record::Relapse(v) => row(r.id, &r.recorded_by, v)?,
            Record::Review(v) => row(r.id, &r.recorded_by, v)?,
            Record::Business(v) => row(r.id, &r.recorded_by, v)?,
            Record::StatusCheck(v) => {
                let mut value = row(r.id, &r.recorded_by, &v.check)?;
                if let Value::Object(map) = &mut value {
                    map.insert("business".into(), json!(v.business));
                }
                value
            }
            Record::Income(v) => {
                let mut value = row(r.id, &r.recorded_by, v)?;
                if let Value::Object(map) = &mut value {
                    map.insert(
                        "amount_text".into(),
                        json!(super::amount(v.amount, crate::money::Currency::inr())),
                    );
                    map.insert(
                        "month_text".into(),
                        json!(v.month.format("%Y-%m").to_string()),
                    );
                }
                value
            }
            Record::Consent(v) => {
                consent_events.push(v.clone());
                consent_rows.push(row(r.id, &r.recorded_by, v)?);
                continue;
            }
        };
        sections.entry(r.record.kind()).or_default().push(value);
    }
    let today = today();
    let consent_now = ConsentState::as_of(&consent_events, today);
    let consents: Vec<Value> = consent_now
        .entries()
        .map(|(purpose, partner, given, on)| {
            json!({"purpose": purpose.code(), "partner": partner, "given": given, "on": on})
        })
        .collect();
    let incidents: Vec<Value> = state
        .store
        .incidents(client.id)
        .await?
        .into_iter()
        .map(|i| {
            let opened = narrative
                .as_ref()
                .filter(|(id, _)| *id == i.id)
                .map(|(_, text)| text.clone());
            let local = |t: Option<chrono::DateTime<chrono::Utc>>| {
                t.map(|t| {
                    t.with_timezone(&chrono::Local)
                        .format("%Y-%m-%dT%H:%M")
                        .to_string()
                })
            };
            json!({
                "id": i.id,
                "kind": i.incident.kind.code(),
                "perpetrator": i.incident.perpetrator.code(),
                "advocacy_group": i.incident.advocacy_group,
                "reported_at": local(Some(i.incident.reported_at)),
                "first_response_at": local(i.incident.first_response_at),
                "resolved_at": local(i.incident.resolved_at),
                "actions": i.incident.actions.iter().map(|a| a.code()).collect::<Vec<_>>(),
                "outcome": i.incident.outcome.map(|o| o.code()),
                "hours_to_response": i.incident.hours_to_first_response().map(|h| format!("{h:.1}")),
                "has_narrative": i.narrative.is_some(),
                "narrative": opened,
                "by": i.recorded_by,
            })
        })
        .collect();
    let loans: Vec<Value> = her_loans(state, client)
        .await?
        .into_iter()
        .map(|l| {
            json!({
                "id": l.loan.id,
                "purpose": l.loan.purpose,
                "disbursed_on": l.loan.disbursed_on,
                "status": l.loan.status.as_str(),
            })
        })
        .collect();
    let choices: HashMap<&str, Vec<&str>> = HashMap::from([
        ("setting", codes::<DetoxSetting>()),
        ("detox_outcome", codes::<DetoxOutcome>()),
        ("ost", codes::<OstStatus>()),
        ("shelter_reason", codes::<ShelterReason>()),
        ("reintegration", codes::<ReintegrationKind>()),
        ("reported_by", codes::<ReportedBy>()),
        ("business_kind", codes::<BusinessKind>()),
        ("business_status", codes::<BusinessStatus>()),
        ("income_source", codes::<IncomeSource>()),
        ("purpose", codes::<ConsentPurpose>()),
        ("incident_kind", codes::<IncidentKind>()),
        ("perpetrator", codes::<Perpetrator>()),
        ("action", codes::<IncidentAction>()),
        ("incident_outcome", codes::<IncidentOutcome>()),
    ]);
    let groups: Vec<(i64, String)> = state
        .store
        .groups()
        .await?
        .into_iter()
        .map(|g| (g.id, g.name))
        .collect();
    let mut ctx = page_context(session);
    ctx.insert("client", &client_row(client));
    ctx.insert("identity", &identity);
    ctx.insert("sections", &sections);
    ctx.insert("consents", &consents);
    ctx.insert("consent_history", &consent_rows);
    ctx.insert("links_records", &consent_now.allows_linkage());
    ctx.insert("incidents", &incidents);
    ctx.insert("loans", &loans);
    ctx.insert("choices", &choices);
    ctx.insert("groups", &groups);
    ctx.insert("today", &today);
    ctx.insert("key", &new_key("client")?);
    ctx.insert("key_configured", &state.identity_key.is_some());
    ctx.insert(
        "sees_identity",
        &allowed(&session.principal, Action::ClientIdentity),
    );
    ctx.insert(
        "linkage",
        &allowed(&session.principal, Action::LinkageReports),
    );
    render(state, "client.html", session.lang, ctx).await
}
