//! A member's own page (what she wants to know first: savings, what she owes,
//! when, anything overdue) and the printable passbook.

use super::{amount, GroupBooks};
use crate::groups::Member;
use crate::ledger::{chart, AccountId, HistoryLine};
use crate::loans::portfolio::arrears;
use crate::loans::product::LoanStatus;
use crate::store::{LoanScope, StoreError, MAX_PER_PAGE};
use crate::web::authz::require_member;
use crate::web::forms::today;
use crate::web::session::{Principal, Session};
use crate::web::{page_context, render, AppError, AppState, PageError};
use axum::extract::{Path, State};
use axum::response::Html;
use chrono::NaiveDate;
use serde::Serialize;
use std::collections::HashSet;

#[derive(Serialize)]
struct LoanView {
    id: i64,
    purpose: String,
    principal: String,
    outstanding: String,
    next_due: Option<NaiveDate>,
    next_amount: String,
    overdue: Option<String>,
    overdue_since: Option<NaiveDate>,
}

#[derive(Serialize)]
struct LineView {
    date: NaiveDate,
    what: String,
    account: &'static str,
    amount: String,
    money_in: bool,
}

/// Her loans that still run, with the next installment and any arrears.
async fn loans_of(
    state: &AppState,
    books: &GroupBooks,
    member: &Member,
) -> Result<Vec<LoanView>, AppError> {
    let today = today();
    let loans = state
        .store
        .loans_in(&LoanScope::member(member.id).open_only())
        .await?;
    Ok(loans
        .into_iter()
        .filter(|l| l.loan.status == LoanStatus::Active)
        .map(|l| {
            let a = arrears(&l.state, today);
            let next = l
                .state
                .installments
                .iter()
                .find(|i| i.due_date > today && i.outstanding_total() > 0);
            let overdue = a.overdue.total();
            LoanView {
                id: l.loan.id,
                purpose: l.loan.purpose.clone(),
                principal: books.money(l.loan.principal),
                outstanding: books.money(l.state.outstanding_total()),
                next_due: next.map(|i| i.due_date),
                next_amount: books.money(next.map(|i| i.outstanding_total()).unwrap_or(0)),
                overdue: (overdue > 0).then(|| books.money(overdue)),
                overdue_since: a.oldest_overdue_due_date,
            }
        })
        .collect())
}

/// The latest lines of her savings and loan accounts, newest first, without
/// corrected entries and their reversals: she sees the corrected picture.
async fn recent_lines(
    state: &AppState,
    books: &GroupBooks,
    member: &Member,
    lang: crate::i18n::Lang,
    limit: usize,
) -> Result<Vec<LineView>, AppError> {
    let mut labels = Vec::with_capacity(3);
    for (header, label) in [
        (chart::shg::COMPULSORY_SAVINGS, "member.compulsory_savings"),
        (chart::shg::VOLUNTARY_SAVINGS, "member.voluntary_savings"),
        (chart::shg::LOANS_TO_MEMBERS, "member.loans"),
    ] {
        let code = chart::member_account_code(header, &member.code);
        let id = books
            .account_id(&code)
            .ok_or_else(|| StoreError::not_found("account", &code))?;
        labels.push((id, label));
    }
    let accounts: Vec<AccountId> = labels.iter().map(|(id, _)| *id).collect();
    // Twice what she is shown: each correction takes two of an account's
    // lines out (the corrected entry and its reversal).
    let per_account = u32::try_from(limit)
        .unwrap_or(MAX_PER_PAGE)
        .saturating_mul(2)
        .min(MAX_PER_PAGE);
    let mut lines: Vec<(HistoryLine, &'static str)> = state
        .store
        .latest_lines(&accounts, per_account)
        .await?
        .into_iter()
        .filter_map(|(account, line)| {
            let label = labels.iter().find(|(id, _)| *id == account)?.1;
            Some((line, label))
        })
        .collect();
    let reversed: HashSet<i64> = lines.iter().filter_map(|(l, _)| l.reverses).collect();
    lines.retain(|(l, _)| l.reverses.is_none() && !reversed.contains(&l.entry_id));
    lines.sort_by_key(|(l, _)| std::cmp::Reverse((l.business_date, l.entry_id)));
    lines.truncate(limit);
    Ok(lines
        .into_iter()
        .map(|(l, account)| {
            let key = match l.kind.as_str() {
                "savings-deposit" => "member.deposit",
                "savings-withdrawal" | "savings-return" => "member.withdrawal",
                "loan-repayment" | "loan-recovery" => "member.repayment",
                "loan-disbursement" => "member.loan_received",
                "fine" => "member.fine",
                _ => "member.correction",
            };
            let what = if key == "member.correction" && !l.kind.is_empty() {
                crate::i18n::entry_kind(lang, &l.kind)
            } else {
                crate::i18n::t(lang, key).to_string()
            };
            LineView {
                date: l.business_date,
                what,
                account,
                amount: books.money(l.amount.abs()),
                money_in: l.amount < 0,
            }
        })
        .collect())
}

async fn member_page(
    state: &AppState,
    session: &Session,
    member: Member,
    template: &str,
    limit: usize,
) -> Result<Html<String>, PageError> {
    require_member(&session.principal, &member)?;
    let books = GroupBooks::load(state, member.group_id).await?;
    let (compulsory, voluntary) = books.savings_of(&member.code);
    let mut ctx = page_context(session);
    ctx.insert("member", &member);
    ctx.insert("group", &books.group);
    ctx.insert("today", &today());
    ctx.insert("savings", &books.money(compulsory + voluntary));
    ctx.insert("compulsory", &books.money(compulsory));
    ctx.insert("voluntary", &books.money(voluntary));
    ctx.insert("loans", &loans_of(state, &books, &member).await?);
    ctx.insert(
        "lines",
        &recent_lines(state, &books, &member, session.lang, limit).await?,
    );
    ctx.insert(
        "loan_balance",
        &amount(books.loan_of(&member.code), books.book.currency),
    );
    Ok(render(state, template, session.lang, ctx).await?)
}

pub async fn own_page(
    State(state): State<AppState>,
    session: Session,
) -> Result<Html<String>, PageError> {
    let Principal::Member(member) = session.principal.clone() else {
        return Err(AppError::NotFound.into());
    };
    member_page(&state, &session, member, "member.html", 10).await
}

pub async fn passbook(
    State(state): State<AppState>,
    session: Session,
    Path((group, member)): Path<(i64, i64)>,
) -> Result<Html<String>, PageError> {
    let member = state.store.member(member).await?;
    if member.group_id != group {
        return Err(AppError::NotFound.into());
    }
    member_page(&state, &session, member, "passbook.html", 200).await
}
