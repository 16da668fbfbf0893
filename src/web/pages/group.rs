//! The treasurer's group home: members with their savings and loans, cash
//! in hand, bank balance, who is overdue, and when the next meeting is.

use super::GroupBooks;
use crate::ledger::chart;
use crate::loans::portfolio::arrears;
use crate::loans::product::LoanStatus;
use crate::web::authz::{allowed, require, Action};
use crate::web::session::{Principal, Session};
use crate::web::{page_context, render, AppState, PageError};
use axum::extract::{Path, State};
use axum::response::Html;
use chrono::{Days, NaiveDate};
use serde::Serialize;
use std::collections::HashMap;

#[derive(Serialize)]
struct MemberRow {
    id: i64,
    code: String,
    name: String,
    savings: String,
    loan: String,
}

#[derive(Serialize)]
struct OverdueRow {
    member: String,
    loan_id: i64,
    amount: String,
    days: u32,
}

pub async fn group_home(
    State(state): State<AppState>,
    session: Session,
    Path(group_id): Path<i64>,
) -> Result<Html<String>, PageError> {
    require(&session.principal, Action::ReadGroup(group_id))?;
    let books = GroupBooks::load(&state, group_id).await?;
    let members = state.store.members(group_id).await?;
    let today = crate::web::forms::today();
    let names: HashMap<i64, &str> = members
        .iter()
        .map(|m| (m.id, m.display_name.as_str()))
        .collect();
    let rows: Vec<MemberRow> = members
        .iter()
        .map(|m| {
            let (compulsory, voluntary) = books.savings_of(&m.code);
            MemberRow {
                id: m.id,
                code: m.code.clone(),
                name: m.display_name.clone(),
                savings: books.money(compulsory + voluntary),
                loan: books.money(books.loan_of(&m.code)),
            }
        })
        .collect();
    let loans = state.store.loans(Some(group_id)).await?;
    let mut overdue: Vec<OverdueRow> = loans
        .iter()
        .filter(|l| l.loan.status == LoanStatus::Active)
        .filter_map(|l| {
            let a = arrears(&l.state, today);
            (a.days_past_due > 0).then(|| OverdueRow {
                member: names
                    .get(&l.loan.member_id)
                    .copied()
                    .unwrap_or("")
                    .to_string(),
                loan_id: l.loan.id,
                amount: books.money(a.overdue.total()),
                days: a.days_past_due,
            })
        })
        .collect();
    overdue.sort_by_key(|o| std::cmp::Reverse(o.days));
    let last = state.store.meetings(group_id, 1).await?.into_iter().next();
    let next_meeting: Option<NaiveDate> = last
        .as_ref()
        .and_then(|m| m.held_on.checked_add_days(Days::new(7)));
    let mut ctx = page_context(&session);
    ctx.insert("group", &books.group);
    ctx.insert("members", &rows);
    ctx.insert("cash", &books.money(books.balance(chart::shg::CASH)));
    ctx.insert("bank", &books.money(books.balance(chart::shg::BANK)));
    ctx.insert("overdue", &overdue);
    ctx.insert("last_meeting", &last);
    ctx.insert("next_meeting", &next_meeting);
    ctx.insert(
        "keeps_books",
        &allowed(&session.principal, Action::KeepBooks(group_id)),
    );
    let groups: Vec<i64> = match &session.principal {
        Principal::Treasurer { groups, .. } => groups.clone(),
        _ => Vec::new(),
    };
    ctx.insert("my_groups", &groups);
    Ok(render(&state, "group.html", session.lang, ctx).await?)
}
