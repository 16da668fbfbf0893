//! The access log: staff read all of it, and a woman sees who looked at her
//! own record. Nobody can change it (the tables refuse updates and deletes).

use crate::outcomes::ClientCode;
use crate::store::AccessLine;
use crate::web::authz::{require, Action};
use crate::web::session::{Principal, Session};
use crate::web::{page_context, render, AppError, AppState, PageError};
use axum::extract::{Query, State};
use axum::response::Html;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

#[derive(Serialize)]
struct LineView {
    when: String,
    actor: String,
    role: String,
    client: Option<String>,
    record: String,
    page: String,
    reason: Option<String>,
}

fn views(lines: Vec<AccessLine>) -> Vec<LineView> {
    lines
        .into_iter()
        .map(|l| LineView {
            when: l
                .at
                .with_timezone(&chrono::Local)
                .format("%Y-%m-%d %H:%M")
                .to_string(),
            actor: l.actor,
            role: l.role,
            client: l.client.map(|c| c.to_string()),
            record: l.record,
            page: l.page,
            reason: l.reason,
        })
        .collect()
}

/// How many lines one page shows.
const LINES: u32 = 200;

#[derive(Deserialize)]
pub struct Filter {
    #[serde(default)]
    client: String,
    #[serde(default)]
    since: String,
}

pub async fn staff_view(
    State(state): State<AppState>,
    session: Session,
    Query(filter): Query<Filter>,
) -> Result<Html<String>, PageError> {
    require(&session.principal, Action::LinkageReports)?;
    let client = match filter.client.trim() {
        "" => None,
        text => {
            let code = ClientCode::parse(text)?;
            Some(state.store.client(&code).await?.id)
        }
    };
    let since = match filter.since.trim() {
        "" => None,
        text => Some(
            NaiveDate::parse_from_str(text, "%Y-%m-%d")
                .map_err(|_| AppError::invalid("since", "a date like 2026-11-23"))?,
        ),
    };
    let lines = state.store.access_log(client, since, LINES).await?;
    let mut ctx = page_context(&session);
    ctx.insert("lines", &views(lines));
    ctx.insert("client", filter.client.trim());
    ctx.insert("since", filter.since.trim());
    ctx.insert("own", &false);
    Ok(render(&state, "access_log.html", session.lang, ctx).await?)
}

/// Who looked at her record: names, roles, when and what, newest first.
pub async fn own_view(
    State(state): State<AppState>,
    session: Session,
) -> Result<Html<String>, PageError> {
    let Principal::Member(member) = &session.principal else {
        return Err(AppError::Forbidden.into());
    };
    let lines: Vec<AccessLine> = match state.store.client_of_member(member.id).await? {
        Some(client) => state.store.access_log(Some(client.id), None, LINES).await?,
        None => Vec::new(),
    };
    let mut ctx = page_context(&session);
    ctx.insert("lines", &views(lines));
    ctx.insert("own", &true);
    Ok(render(&state, "access_log.html", session.lang, ctx).await?)
}
