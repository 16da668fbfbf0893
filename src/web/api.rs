//! `/api/v1`: what the pages do, as JSON, for bearer tokens an admin issues.
//! Errors are `{"error": …, "fields": {…}}` with a 4xx status. The route
//! table below builds both the router and the OpenAPI document, so the two
//! cannot drift apart.

use super::authz::{require, require_member, Action};
use super::forms::today;
use super::pages::GroupBooks;
use super::session::Principal;
use super::{AppError, AppState};
use crate::auth::{parse_bearer, ApiToken, TokenHash};
use crate::ledger::{chart, IdempotencyKey};
use crate::loans::allocation::AllocationError;
use crate::loans::portfolio::arrears;
use crate::loans::preview::{PreviewError, PreviewRequest};
use crate::meetings::{Expense, MeetingDraft, MemberLines};
use crate::money::{format_minor, Money, Sign};
use crate::store::{Fund, LoanScope, Repayment, Role, StoreError};
use axum::extract::{FromRequest, FromRequestParts, Path, Request, State};
use axum::http::request::Parts;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post, MethodRouter};
use axum::{Json, Router};
use chrono::NaiveDate;
use serde_json::{json, Map, Value};
use std::str::FromStr;

/// The person behind a bearer token.
pub struct ApiCaller(pub Principal);

impl FromRequestParts<AppState> for ApiCaller {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        let token = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(parse_bearer)
            .ok_or(AppError::Unauthenticated)?;
        let (user, groups) = state
            .store
            .api_token_user(TokenHash::of(token).as_str())
            .await?
            .ok_or(AppError::Unauthenticated)?;
        Ok(ApiCaller(Principal::with_groups(user, groups)))
    }
}

/// The id in an API path. One that is not a number, or is beyond what an
/// id can be, names nothing: the JSON 404 of any unknown id, not axum's
/// plain-text 400 in a shape no API client expects.
pub struct Id(pub i64);

impl<S: Send + Sync> FromRequestParts<S> for Id {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, AppError> {
        Path::<i64>::from_request_parts(parts, state)
            .await
            .map(|Path(id)| Id(id))
            .map_err(|_| AppError::NotFound)
    }
}

/// A JSON object body; anything else is a 422 that says what was wrong.
pub struct Body(pub Map<String, Value>);

const MAX_BODY_BYTES: usize = 256 * 1024;

impl FromRequest<AppState> for Body {
    type Rejection = AppError;

    async fn from_request(req: Request, _: &AppState) -> Result<Self, AppError> {
        let bytes = axum::body::to_bytes(req.into_body(), MAX_BODY_BYTES)
            .await
            .map_err(|_| AppError::invalid("body", "at most 256 KB of JSON"))?;
        match serde_json::from_slice::<Value>(&bytes) {
            Ok(Value::Object(map)) => match nul_in(&map) {
                // PostgreSQL cannot store NUL in text (SQLite can): refused
                // here, the API answers the same on both backends.
                Some(field) => Err(AppError::invalid(
                    &field,
                    "must not contain the NUL character (U+0000)",
                )),
                None => Ok(Body(map)),
            },
            Ok(_) => Err(AppError::invalid("body", "a JSON object is expected")),
            Err(e) => Err(AppError::invalid("body", format!("not valid JSON: {e}"))),
        }
    }
}

/// Where in a JSON object a NUL character is, if anywhere, named the way
/// refusals name fields: `label`, `members[0].thrift`.
fn nul_in(map: &Map<String, Value>) -> Option<String> {
    fn at(value: &Value, path: String) -> Option<String> {
        match value {
            Value::String(s) if s.contains('\0') => Some(path),
            Value::Array(items) => items
                .iter()
                .enumerate()
                .find_map(|(i, v)| at(v, format!("{path}[{i}]"))),
            Value::Object(map) => within(map, &format!("{path}.")),
            _ => None,
        }
    }
    fn within(map: &Map<String, Value>, prefix: &str) -> Option<String> {
        map.iter().find_map(|(k, v)| {
            let path = format!("{prefix}{}", k.replace('\0', ""));
            if k.contains('\0') {
                Some(path)
            } else {
                at(v, path)
            }
        })
    }
    within(map, "")
}

impl Body {
    fn text(&self, name: &str) -> Result<Option<String>, AppError> {
        match self.0.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(Value::Number(n)) => Ok(Some(n.to_string())),
            Some(_) => Err(AppError::invalid(name, "a string or number is expected")),
        }
    }

    fn required(&self, name: &str) -> Result<String, AppError> {
        self.text(name)?
            .filter(|s| !s.trim().is_empty())
            .ok_or_else(|| AppError::invalid(name, "is required"))
    }

    fn count(&self, name: &str, default: u32) -> Result<u32, AppError> {
        match self.0.get(name) {
            None | Some(Value::Null) => Ok(default),
            Some(Value::Number(n)) => n
                .as_u64()
                .and_then(|n| u32::try_from(n).ok())
                .ok_or_else(|| AppError::invalid(name, "a whole number from 0 to 4294967295")),
            Some(_) => Err(AppError::invalid(name, "a whole number is expected")),
        }
    }

    fn date(&self, name: &str) -> Result<Option<NaiveDate>, AppError> {
        self.text(name)?
            .map(|t| {
                NaiveDate::parse_from_str(t.trim(), "%Y-%m-%d")
                    .map_err(|_| AppError::invalid(name, "a date like 2026-11-23"))
            })
            .transpose()
    }

    fn choice<T: FromStr<Err = E>, E: std::fmt::Display>(
        &self,
        name: &str,
        default: Option<T>,
    ) -> Result<T, AppError> {
        match (self.text(name)?, default) {
            (Some(t), _) => t
                .parse()
                .map_err(|e: E| AppError::invalid(name, e.to_string())),
            (None, Some(d)) => Ok(d),
            (None, None) => Err(AppError::invalid(name, "is required")),
        }
    }

    fn key(&self) -> Result<IdempotencyKey, AppError> {
        let text = self.required("idempotency_key")?;
        IdempotencyKey::new(&text).map_err(|e| AppError::invalid("idempotency_key", e.to_string()))
    }
}

fn amount(
    body: &Body,
    name: &str,
    currency: crate::money::Currency,
    sign: Sign,
) -> Result<i64, AppError> {
    let text = body.required(name)?;
    Money::parse(&text, currency, sign)
        .map(|m| m.minor())
        .map_err(|e| AppError::invalid(name, e.to_string()))
}

struct ApiRoute {
    method: &'static str,
    path: &'static str,
    summary: &'static str,
    handler: MethodRouter<AppState>,
}

fn routes() -> Vec<ApiRoute> {
    let r = |method, path, summary, handler| ApiRoute {
        method,
        path,
        summary,
        handler,
    };
    vec![
        r("get", "/api/v1/openapi.json", "This document", get(openapi)),
        r(
            "post",
            "/api/v1/schedules/preview",
            "A repayment schedule from terms, as `sakhi schedule`",
            post(preview),
        ),
        r(
            "get",
            "/api/v1/groups",
            "Groups the caller may see",
            get(groups),
        ),
        r(
            "get",
            "/api/v1/groups/{group}",
            "A group's cash, bank and totals",
            get(group),
        ),
        r(
            "get",
            "/api/v1/groups/{group}/members",
            "Members with savings and loan balances",
            get(members),
        ),
        r(
            "get",
            "/api/v1/groups/{group}/loans",
            "The group's loans with what each owes",
            get(loans),
        ),
        r(
            "get",
            "/api/v1/groups/{group}/meetings",
            "The group's latest meetings",
            get(meetings),
        ),
        r(
            "post",
            "/api/v1/groups/{group}/meetings",
            "Record a meeting, all or nothing (idempotent by key)",
            post(record_meeting),
        ),
        r(
            "get",
            "/api/v1/members/{member}/balances",
            "One member's savings and loans",
            get(balances),
        ),
        r(
            "get",
            "/api/v1/loans/{loan}",
            "A loan with its schedule and payments",
            get(loan),
        ),
        r(
            "post",
            "/api/v1/loans/{loan}/repayments",
            "Record a repayment (idempotent by key)",
            post(repay),
        ),
        r("get", "/api/v1/tokens", "API tokens (admin)", get(tokens)),
        r(
            "post",
            "/api/v1/tokens",
            "Issue a token for a user (admin); shown once",
            post(issue_token),
        ),
        r(
            "delete",
            "/api/v1/tokens/{token}",
            "Revoke a token (admin)",
            delete(revoke_token),
        ),
    ]
}

pub fn router() -> Router<AppState> {
    let mut router = Router::new();
    let mut merged: std::collections::BTreeMap<&str, MethodRouter<AppState>> = Default::default();
    for route in routes() {
        let entry = merged.remove(route.path);
        let handler = match entry {
            Some(existing) => existing.merge(route.handler),
            None => route.handler,
        };
        merged.insert(route.path, handler);
    }
    for (path, handler) in merged {
        let relative = path.strip_prefix("/api/v1").unwrap_or(path);
        router = router.route(relative, handler);
    }
    router.fallback(api_not_found)
}

/// Anything under `/api/v1` that is not a route: the API's JSON 404.
pub async fn api_not_found() -> AppError {
    AppError::NotFound
}

/// The OpenAPI 3.0 document, built from the same table as the router.
pub fn openapi_document() -> Value {
    let mut paths = Map::new();
    for route in routes() {
        let params: Vec<Value> = route
            .path
            .split('/')
            .filter_map(|s| s.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
            .map(|name| json!({"name": name, "in": "path", "required": true, "schema": {"type": "integer"}}))
            .collect();
        let mut op = json!({
            "summary": route.summary,
            "parameters": params,
            "responses": {
                "200": {"description": "OK", "content": {"application/json": {}}},
                "4XX": {"description": "The request was refused", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
            }
        });
        if route.path != "/api/v1/openapi.json" {
            op["security"] = json!([{"bearer": []}]);
        }
        if route.method == "post" {
            op["requestBody"] = json!({"required": true, "content": {"application/json": {"schema": {"type": "object"}}}});
        }
        let entry = paths
            .entry(route.path.to_string())
            .or_insert_with(|| json!({}));
        entry[route.method] = op;
    }
    json!({
        "openapi": "3.0.3",
        "info": {"title": "Sakhi API", "version": "1"},
        "paths": paths,
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": {"Error": {"type": "object", "required": ["error"], "properties": {
                "error": {"type": "string"},
                "fields": {"type": "object", "additionalProperties": {"type": "string"}}
            }}}
        }
    })
}

async fn openapi() -> Json<Value> {
    Json(openapi_document())
}

async fn preview(ApiCaller(_): ApiCaller, body: Body) -> Result<Json<Value>, AppError> {
    use crate::loans::schedule::{Amortization, InterestPeriod, RatePer};
    let request = PreviewRequest {
        principal: body.required("principal")?,
        rate: body.required("rate")?,
        rate_per: body.choice("rate_per", Some(RatePer::Year))?,
        installments: body.count("installments", 0)?,
        every: body.count("every", 1)?,
        frequency: body.choice("frequency", None)?,
        method: body.choice("method", None)?,
        amortization: body.choice("amortization", Some(Amortization::EqualInstallments))?,
        interest_period: body.choice("interest_period", Some(InterestPeriod::Repayment))?,
        disbursed: body
            .date("disbursed")?
            .ok_or_else(|| AppError::invalid("disbursed", "is required"))?,
        first_due: body.date("first_due")?,
        grace_principal: body.count("grace_principal", 0)?,
        grace_interest: body.count("grace_interest", 0)?,
        interest_free: body.count("interest_free", 0)?,
        installment_multiple: body.text("installment_multiple")?,
        currency: body.text("currency")?.unwrap_or_else(|| "INR".into()),
    };
    match request.preview() {
        Ok(p) => Ok(Json(
            serde_json::to_value(p).map_err(|e| AppError::Internal(e.to_string()))?,
        )),
        Err(PreviewError::Field { flag, message }) => Err(AppError::invalid(
            &flag.replace('-', "_"),
            message.replace("--", ""),
        )),
        Err(PreviewError::Schedule(e)) => Err(super::forms::schedule_refusal(&e)),
    }
}

fn visible(principal: &Principal, group: i64) -> bool {
    super::authz::allowed(principal, Action::ReadGroup(group))
}

async fn groups(
    State(state): State<AppState>,
    ApiCaller(p): ApiCaller,
) -> Result<Json<Value>, AppError> {
    let groups: Vec<Value> = state
        .store
        .groups()
        .await?
        .into_iter()
        .filter(|g| visible(&p, g.id))
        .map(|g| json!({"id": g.id, "name": g.name}))
        .collect();
    Ok(Json(json!({ "groups": groups })))
}

async fn group(
    State(state): State<AppState>,
    ApiCaller(p): ApiCaller,
    Id(id): Id,
) -> Result<Json<Value>, AppError> {
    require(&p, Action::ReadGroup(id))?;
    let b = GroupBooks::load(&state, id).await?;
    let units = b.book.currency.minor_units();
    Ok(Json(json!({
        "id": id,
        "name": b.group.name,
        "currency": b.book.currency,
        "cash_in_hand": format_minor(b.balance(chart::shg::CASH), units),
        "bank_balance": format_minor(b.balance(chart::shg::BANK), units),
    })))
}

async fn members(
    State(state): State<AppState>,
    ApiCaller(p): ApiCaller,
    Id(id): Id,
) -> Result<Json<Value>, AppError> {
    require(&p, Action::ReadGroup(id))?;
    let b = GroupBooks::load(&state, id).await?;
    let units = b.book.currency.minor_units();
    let members: Vec<Value> = state
        .store
        .members(id)
        .await?
        .into_iter()
        .map(|m| {
            let (compulsory, voluntary) = b.savings_of(&m.code);
            json!({
                "id": m.id, "code": m.code, "name": m.display_name,
                "compulsory_savings": format_minor(compulsory, units),
                "voluntary_savings": format_minor(voluntary, units),
                "loan_principal_outstanding": format_minor(b.loan_of(&m.code), units),
            })
        })
        .collect();
    Ok(Json(json!({ "members": members })))
}

fn loan_json(l: &crate::store::LoanWithState, units: u32, today: NaiveDate) -> Value {
    let a = arrears(&l.state, today);
    json!({
        "id": l.loan.id,
        "member_id": l.loan.member_id,
        "purpose": l.loan.purpose,
        "status": l.loan.status.as_str(),
        "principal": format_minor(l.loan.principal, units),
        "principal_outstanding": format_minor(l.state.principal_outstanding(), units),
        "outstanding": format_minor(l.state.outstanding_total(), units),
        "overdue": format_minor(a.overdue.total(), units),
        "days_past_due": a.days_past_due,
    })
}

async fn loans(
    State(state): State<AppState>,
    ApiCaller(p): ApiCaller,
    Id(id): Id,
) -> Result<Json<Value>, AppError> {
    require(&p, Action::ReadGroup(id))?;
    let book = super::pages::book_of(&state, id).await?;
    let units = book.currency.minor_units();
    let loans: Vec<Value> = state
        .store
        .loans(Some(id))
        .await?
        .iter()
        .map(|l| loan_json(l, units, today()))
        .collect();
    Ok(Json(json!({ "loans": loans })))
}

async fn loan(
    State(state): State<AppState>,
    ApiCaller(p): ApiCaller,
    Id(id): Id,
) -> Result<Json<Value>, AppError> {
    let l = state.store.loan(id).await?;
    require(&p, Action::ReadGroup(l.loan.group_id)).map_err(|_| AppError::NotFound)?;
    let book = super::pages::book_of(&state, l.loan.group_id).await?;
    let units = book.currency.minor_units();
    let mut body = loan_json(&l, units, today());
    body["installments"] = l
        .state
        .installments
        .iter()
        .map(|i| {
            json!({
                "number": i.number, "due_date": i.due_date,
                "due": format_minor(i.due.total(), units),
                "outstanding": format_minor(i.outstanding_total(), units),
            })
        })
        .collect();
    Ok(Json(body))
}

async fn balances(
    State(state): State<AppState>,
    ApiCaller(p): ApiCaller,
    Id(id): Id,
) -> Result<Json<Value>, AppError> {
    let member = state.store.member(id).await?;
    require_member(&p, &member)?;
    let b = GroupBooks::load(&state, member.group_id).await?;
    let units = b.book.currency.minor_units();
    let (compulsory, voluntary) = b.savings_of(&member.code);
    let loans: Vec<Value> = state
        .store
        .loans_in(&LoanScope::member(id))
        .await?
        .iter()
        .map(|l| loan_json(l, units, today()))
        .collect();
    Ok(Json(json!({
        "member_id": id, "code": member.code,
        "compulsory_savings": format_minor(compulsory, units),
        "voluntary_savings": format_minor(voluntary, units),
        "loans": loans,
    })))
}

async fn repay(
    State(state): State<AppState>,
    ApiCaller(p): ApiCaller,
    Id(id): Id,
    body: Body,
) -> Result<Response, AppError> {
    // Only where the loan is kept: the posting transaction reads the loan
    // itself, under its lock.
    let home = state.store.loan_group(id).await?;
    require(&p, Action::KeepBooks(home.group_id))?;
    let value = amount(&body, "amount", home.currency, Sign::Positive)?;
    let on = body.date("on")?.unwrap_or_else(today);
    if on > today() {
        return Err(AppError::invalid(
            "on",
            "a repayment cannot be dated in the future",
        ));
    }
    let fund = match body.text("into")?.as_deref() {
        None | Some("cash") => Fund::Cash,
        Some("bank") => Fund::Bank,
        Some(_) => return Err(AppError::invalid("into", "cash or bank")),
    };
    let op = state
        .repayments
        .repay(Repayment {
            loan_id: id,
            amount: value,
            on,
            into: fund,
            key: body.key()?,
        })
        .await
        .map_err(|e| match e {
            // The rule the amount broke, against the field, as every other
            // refusal of this request is.
            AppError::Store(
                refusal @ StoreError::Allocation(AllocationError::Overpayment { .. }),
            ) => AppError::invalid("amount", refusal.to_string()),
            other => other,
        })?;
    let status = if op.replayed {
        StatusCode::OK
    } else {
        StatusCode::CREATED
    };
    Ok((
        status,
        Json(json!({
            "loan_id": id,
            "entry_id": op.entry_id,
            "replayed": op.replayed,
            "status": op.loan.status.as_str(),
            "allocation": op.allocation,
        })),
    )
        .into_response())
}

async fn meetings(
    State(state): State<AppState>,
    ApiCaller(p): ApiCaller,
    Id(id): Id,
) -> Result<Json<Value>, AppError> {
    require(&p, Action::ReadGroup(id))?;
    let list = state.store.meetings(id, 50).await?;
    Ok(Json(json!({ "meetings": list })))
}

fn lines_of(body: &Body, currency: crate::money::Currency) -> Result<Vec<MemberLines>, AppError> {
    let Some(list) = body.0.get("members") else {
        return Ok(Vec::new());
    };
    let Value::Array(list) = list else {
        return Err(AppError::invalid(
            "members",
            "a list of member lines is expected",
        ));
    };
    list.iter()
        .enumerate()
        .map(|(i, item)| {
            let Value::Object(map) = item else {
                return Err(AppError::invalid(
                    &format!("members[{i}]"),
                    "an object is expected",
                ));
            };
            let line = Body(map.clone());
            let money = |name: &str| -> Result<i64, AppError> {
                match line.text(name)? {
                    None => Ok(0),
                    Some(t) => Money::parse(&t, currency, Sign::NonNegative)
                        .map(|m| m.minor())
                        .map_err(|e| {
                            AppError::invalid(&format!("members[{i}].{name}"), e.to_string())
                        }),
                }
            };
            let member_id = match map.get("member_id") {
                Some(Value::Number(n)) => n.as_i64().ok_or_else(|| {
                    AppError::invalid(&format!("members[{i}].member_id"), "an id")
                })?,
                _ => {
                    return Err(AppError::invalid(
                        &format!("members[{i}].member_id"),
                        "is required",
                    ))
                }
            };
            let repayments = match map.get("repayments") {
                None | Some(Value::Null) => Vec::new(),
                Some(Value::Array(rs)) => rs
                    .iter()
                    .enumerate()
                    .map(|(j, r)| {
                        let field = format!("members[{i}].repayments[{j}]");
                        let Value::Object(r) = r else {
                            return Err(AppError::invalid(
                                &field,
                                "an object with loan_id and amount",
                            ));
                        };
                        let r = Body(r.clone());
                        let loan_id = r
                            .count("loan_id", 0)
                            .map_err(|_| AppError::invalid(&format!("{field}.loan_id"), "an id"))?;
                        let amount = Money::parse(&r.required("amount")?, currency, Sign::Positive)
                            .map_err(|e| {
                                AppError::invalid(&format!("{field}.amount"), e.to_string())
                            })?;
                        Ok((i64::from(loan_id), amount.minor()))
                    })
                    .collect::<Result<_, _>>()?,
                Some(_) => {
                    return Err(AppError::invalid(
                        &format!("members[{i}].repayments"),
                        "a list",
                    ))
                }
            };
            Ok(MemberLines {
                member_id,
                present: !matches!(map.get("present"), Some(Value::Bool(false))),
                thrift: money("thrift")?,
                voluntary: money("voluntary")?,
                fine: money("fine")?,
                social_fund: money("social_fund")?,
                withdrawal: money("withdrawal")?,
                repayments,
            })
        })
        .collect()
}

async fn record_meeting(
    State(state): State<AppState>,
    ApiCaller(p): ApiCaller,
    Id(id): Id,
    body: Body,
) -> Result<Response, AppError> {
    require(&p, Action::KeepBooks(id))?;
    let book = super::pages::book_of(&state, id).await?;
    let currency = book.currency;
    let key = body.key()?;
    let expenses = match body.0.get("expenses") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(list)) => list
            .iter()
            .enumerate()
            .map(|(i, e)| {
                let Value::Object(e) = e else {
                    return Err(AppError::invalid(&format!("expenses[{i}]"), "an object"));
                };
                let e = Body(e.clone());
                Ok(Expense {
                    description: e.text("description")?.unwrap_or_default(),
                    amount: amount(&e, "amount", currency, Sign::Positive).map_err(|_| {
                        AppError::invalid(&format!("expenses[{i}].amount"), "a positive amount")
                    })?,
                })
            })
            .collect::<Result<_, _>>()?,
        Some(_) => return Err(AppError::invalid("expenses", "a list")),
    };
    let disbursements = match body.0.get("disbursements") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(list)) => list
            .iter()
            .map(|v| {
                v.as_i64()
                    .ok_or_else(|| AppError::invalid("disbursements", "a list of loan ids"))
            })
            .collect::<Result<_, _>>()?,
        Some(_) => return Err(AppError::invalid("disbursements", "a list of loan ids")),
    };
    let cash_counted = match body.text("cash_counted")? {
        None => None,
        Some(t) => Some(
            Money::parse(&t, currency, Sign::NonNegative)
                .map_err(|e| AppError::invalid("cash_counted", e.to_string()))?
                .minor(),
        ),
    };
    let draft = MeetingDraft {
        group_id: id,
        held_on: body
            .date("held_on")?
            .ok_or_else(|| AppError::invalid("held_on", "is required"))?,
        members: lines_of(&body, currency)?,
        withdrawal_resolution: body.text("withdrawal_resolution")?,
        disbursements,
        expenses,
        cash_counted,
    };
    let problems = draft.check(today());
    if !problems.is_empty() {
        return Err(AppError::Invalid {
            message: problems
                .iter()
                .map(|e| format!("{}: {}", e.field, e.message))
                .collect::<Vec<_>>()
                .join("; "),
            fields: problems.into_iter().map(|e| (e.field, e.message)).collect(),
        });
    }
    let record = state
        .store
        .record_meeting(&draft, &key, p.user().map(|u| u.id))
        .await?;
    let status = if record.replayed {
        StatusCode::OK
    } else {
        StatusCode::CREATED
    };
    Ok((status, Json(json!(record))).into_response())
}

fn admin(p: &Principal) -> Result<(), AppError> {
    require(p, Action::Administer)
}

async fn tokens(
    State(state): State<AppState>,
    ApiCaller(p): ApiCaller,
) -> Result<Json<Value>, AppError> {
    admin(&p)?;
    Ok(Json(json!({ "tokens": state.store.api_tokens().await? })))
}

async fn issue_token(
    State(state): State<AppState>,
    ApiCaller(p): ApiCaller,
    body: Body,
) -> Result<Response, AppError> {
    admin(&p)?;
    let username = body.required("username")?;
    let label = body.required("label")?;
    if label.chars().count() > 100 {
        return Err(AppError::invalid("label", "at most 100 characters"));
    }
    let (id, token, role) = issue_for(state.store.as_ref(), &username, &label).await?;
    Ok((
        StatusCode::CREATED,
        Json(json!({"id": id, "token": token, "user": crate::auth::normalize_username(&username), "role": role})),
    )
        .into_response())
}

async fn revoke_token(
    State(state): State<AppState>,
    ApiCaller(p): ApiCaller,
    Id(id): Id,
) -> Result<StatusCode, AppError> {
    admin(&p)?;
    state.store.revoke_api_token(id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Issues a token for a user: from the API, and from the command line (the
/// first token has no admin token to issue it with).
pub async fn issue_for(
    store: &dyn crate::store::Store,
    username: &str,
    label: &str,
) -> Result<(i64, String, Role), AppError> {
    let (user, _) = store
        .user_login(&crate::auth::normalize_username(username))
        .await?
        .ok_or_else(|| AppError::invalid("username", "no such user"))?;
    let token = ApiToken::try_new()?;
    let id = store
        .create_api_token(user.id, label, token.hash().as_str())
        .await?;
    Ok((id, token.as_str().to_string(), user.role))
}
