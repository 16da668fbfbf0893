//! Program staff: every group's health at a glance.

use super::GroupBooks;
use crate::ledger::chart;
use crate::loans::portfolio::par_and_ageing;
use crate::loans::product::LoanStatus;
use crate::store::LoanWithState;
use crate::web::authz::{require, Action};
use crate::web::session::Session;
use crate::web::{page_context, render, AppError, AppState, PageError};
use axum::extract::State;
use axum::response::Html;
use serde::Serialize;
use std::collections::HashMap;

#[derive(Serialize)]
pub struct GroupHealth {
    id: i64,
    name: String,
    savings: String,
    loans_outstanding: String,
    par30: String,
    attendance: String,
    last_meeting: Option<chrono::NaiveDate>,
    cash_difference: Option<String>,
}

/// Every group's financial health as of `today`: the staff dashboard and
/// the program linkage report show the same figures.
/// `loans` are every group's loans, read once by the caller.
pub async fn group_health(
    state: &AppState,
    loans: &[LoanWithState],
    today: chrono::NaiveDate,
) -> Result<Vec<GroupHealth>, AppError> {
    let mut active_by_group: HashMap<i64, Vec<_>> = HashMap::new();
    for l in loans.iter().filter(|l| l.loan.status == LoanStatus::Active) {
        active_by_group
            .entry(l.loan.group_id)
            .or_default()
            .push(&l.state);
    }
    let compulsory = format!("{}-", chart::shg::COMPULSORY_SAVINGS);
    let voluntary = format!("{}-", chart::shg::VOLUNTARY_SAVINGS);
    let latest: HashMap<i64, _> = state
        .store
        .latest_meetings()
        .await?
        .into_iter()
        .map(|m| (m.group_id, m))
        .collect();
    let mut rows = Vec::new();
    for (group, tb) in crate::store::group_trial_balances(state.store.as_ref(), None).await? {
        let books = GroupBooks::from_trial_balance(group, tb);
        let group = &books.group;
        let savings: i64 = books
            .balances
            .iter()
            .filter(|(code, _)| code.starts_with(&compulsory) || code.starts_with(&voluntary))
            .map(|(_, b)| -b)
            .sum();
        let active = active_by_group.remove(&group.id).unwrap_or_default();
        let (par, _) = par_and_ageing(active, today);
        let meeting = latest.get(&group.id);
        rows.push(GroupHealth {
            id: group.id,
            name: group.name.clone(),
            savings: books.money(savings),
            loans_outstanding: books.money(par.principal_outstanding),
            par30: format!("{:.1}%", par.ratio(30) * rust_decimal::Decimal::from(100)),
            attendance: meeting
                .filter(|m| m.enrolled > 0)
                .map(|m| format!("{}%", m.present * 100 / m.enrolled))
                .unwrap_or_else(|| "–".into()),
            last_meeting: meeting.map(|m| m.held_on),
            cash_difference: meeting
                .and_then(|m| m.cash_difference())
                .filter(|d| *d != 0)
                .map(|d| books.money(d)),
        });
    }
    Ok(rows)
}

pub async fn dashboard(
    State(state): State<AppState>,
    session: Session,
) -> Result<Html<String>, PageError> {
    require(&session.principal, Action::ProgramOverview)?;
    let today = crate::web::forms::today();
    let loans = state.store.loans(None).await?;
    let rows = group_health(&state, &loans, today).await?;
    let mut ctx = page_context(&session);
    ctx.insert("groups", &rows);
    ctx.insert("today", &today);
    Ok(render(&state, "staff.html", session.lang, ctx).await?)
}
