//! The treasurer's checks on her books: cash counted against the books (a
//! difference is posted with its reason), the bank passbook against the bank
//! account, corrections by reversal, and members' PINs.

use super::GroupBooks;
use crate::auth::{self, Token};
use crate::ledger::{chart, AccountType, IdempotencyKey, NewEntry};
use crate::money::{Money, Sign};
use crate::web::authz::{allowed, require, require_member, Action};
use crate::web::session::{CheckedForm, Session};
use crate::web::{page_context, render, AppError, AppState, PageError};
use axum::extract::{Path, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use chrono::NaiveDate;
use serde::Serialize;

fn today() -> NaiveDate {
    chrono::Local::now().date_naive()
}

fn past_date(form: &CheckedForm, name: &str) -> Result<NaiveDate, AppError> {
    let text = form.get(name).trim();
    if text.is_empty() {
        return Ok(today());
    }
    let date = NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .map_err(|_| AppError::invalid(name, "a date like 2026-11-23"))?;
    if date > today() {
        return Err(AppError::invalid(name, "cannot be in the future"));
    }
    Ok(date)
}

#[derive(Serialize)]
struct CountRow {
    on: NaiveDate,
    counted: String,
    books: String,
    difference: String,
    reason: String,
}

pub async fn cash_page(
    State(state): State<AppState>,
    session: Session,
    Path(group_id): Path<i64>,
) -> Result<Html<String>, PageError> {
    require(&session.principal, Action::ReadGroup(group_id))?;
    let books = GroupBooks::load(&state, group_id).await?;
    let counts: Vec<CountRow> = state
        .store
        .cash_counts(group_id)
        .await?
        .into_iter()
        .map(|c| CountRow {
            on: c.counted_on,
            counted: books.money(c.counted),
            books: books.money(c.books),
            difference: books.money(c.difference()),
            reason: c.reason,
        })
        .collect();
    let key = Token::try_new().map_err(|e| AppError::Internal(e.to_string()))?;
    let mut ctx = page_context(&session);
    ctx.insert("group", &books.group);
    ctx.insert("books_say", &books.money(books.balance(chart::shg::CASH)));
    ctx.insert("counts", &counts);
    ctx.insert("today", &today());
    ctx.insert("key", &format!("cash-{}", key.as_str()));
    ctx.insert(
        "keeps_books",
        &allowed(&session.principal, Action::KeepBooks(group_id)),
    );
    Ok(render(&state, "cash.html", session.lang, ctx)?)
}

pub async fn count_cash(
    State(state): State<AppState>,
    Path(group_id): Path<i64>,
    form: CheckedForm,
) -> Result<Response, PageError> {
    require(&form.session.principal, Action::KeepBooks(group_id))?;
    let books = GroupBooks::load(&state, group_id).await?;
    let counted = Money::parse(form.get("counted"), books.book.currency, Sign::NonNegative)
        .map_err(|e| AppError::invalid("counted", e.to_string()))?;
    let key = IdempotencyKey::new(form.get("key"))
        .map_err(|_| AppError::invalid("key", "the form is incomplete: reload the page"))?;
    state
        .store
        .record_cash_count(
            group_id,
            past_date(&form, "on")?,
            counted.minor(),
            form.get("reason"),
            &key,
            form.session.principal.user().map(|u| u.id),
        )
        .await?;
    Ok(Redirect::to(&format!("/groups/{group_id}/cash")).into_response())
}

#[derive(Serialize)]
struct BankLine {
    date: NaiveDate,
    memo: String,
    amount: String,
}

pub async fn bank_page(
    State(state): State<AppState>,
    session: Session,
    Path(group_id): Path<i64>,
) -> Result<Html<String>, PageError> {
    require(&session.principal, Action::ReadGroup(group_id))?;
    let books = GroupBooks::load(&state, group_id).await?;
    let reading = state.store.latest_bank_reading(group_id).await?;
    let bank = state
        .store
        .account_by_code(books.book.id, chart::shg::BANK)
        .await?;
    // Entries after the passbook date are the ones the passbook cannot show yet.
    let seen_until = reading.as_ref().map(|r| r.passbook_date);
    let first = state.store.history(bank.id, 1, 200).await?;
    let last_page = first.page_count().max(1) as u32;
    let page = if last_page > 1 {
        state.store.history(bank.id, last_page, 200).await?
    } else {
        first
    };
    let unseen: Vec<BankLine> = page
        .lines
        .iter()
        .filter(|l| seen_until.is_none_or(|d| l.business_date > d))
        .map(|l| BankLine {
            date: l.business_date,
            memo: if l.memo.is_empty() {
                l.kind.replace('-', " ")
            } else {
                l.memo.clone()
            },
            amount: books.money(l.amount),
        })
        .collect();
    let mut ctx = page_context(&session);
    ctx.insert("group", &books.group);
    ctx.insert("bank", &books.money(books.balance(chart::shg::BANK)));
    ctx.insert(
        "reading",
        &reading.map(|r| {
            (
                r.passbook_date,
                books.money(r.passbook_balance),
                books.money(r.books),
                books.money(r.passbook_balance - r.books),
            )
        }),
    );
    ctx.insert("unseen", &unseen);
    ctx.insert("today", &today());
    ctx.insert(
        "keeps_books",
        &allowed(&session.principal, Action::KeepBooks(group_id)),
    );
    Ok(render(&state, "bank.html", session.lang, ctx)?)
}

pub async fn read_passbook(
    State(state): State<AppState>,
    Path(group_id): Path<i64>,
    form: CheckedForm,
) -> Result<Response, PageError> {
    require(&form.session.principal, Action::KeepBooks(group_id))?;
    let books = GroupBooks::load(&state, group_id).await?;
    let balance = Money::parse(form.get("balance"), books.book.currency, Sign::Any)
        .map_err(|e| AppError::invalid("balance", e.to_string()))?;
    state
        .store
        .record_bank_reading(
            group_id,
            past_date(&form, "passbook_date")?,
            balance.minor(),
            form.session.principal.user().map(|u| u.id),
        )
        .await?;
    Ok(Redirect::to(&format!("/groups/{group_id}/bank")).into_response())
}

/// Kinds a treasurer corrects by reversal. Loan money is corrected through
/// the loan (its allocation is part of the loan's record).
pub const REVERSIBLE: [&str; 7] = [
    "savings-deposit",
    "savings-withdrawal",
    "fine",
    "social-fund-contribution",
    "social-fund-payout",
    "expense",
    "cash-difference",
];

pub async fn reverse(
    State(state): State<AppState>,
    Path((group_id, entry_id)): Path<(i64, i64)>,
    form: CheckedForm,
) -> Result<Response, PageError> {
    require(&form.session.principal, Action::KeepBooks(group_id))?;
    let books = GroupBooks::load(&state, group_id).await?;
    let original = state.store.entry(entry_id).await?;
    if original.book_id != books.book.id {
        return Err(AppError::NotFound.into());
    }
    if !REVERSIBLE.contains(&original.kind.as_str()) {
        return Err(AppError::invalid(
            "entry",
            "loan payments and payouts are corrected on the loan's page, not by reversal",
        )
        .into());
    }
    let reason = form.get("reason").trim();
    if reason.is_empty() || reason.chars().count() > 200 {
        return Err(AppError::invalid("reason", "say why, 1 to 200 characters").into());
    }
    let key = IdempotencyKey::new(&format!("reverse-{entry_id}"))
        .map_err(|e| AppError::Internal(e.to_string()))?;
    let reversal = NewEntry::reversal_of(
        &original,
        &books.book,
        today().max(original.business_date),
        key,
        reason,
    )
    .map_err(crate::store::StoreError::from)?;
    // A reversal may not take cash or a member's savings below nothing.
    let mut floors = Vec::new();
    for p in original.postings.iter() {
        let account = state.store.account(p.account_id).await?;
        if account.member_id.is_some() && account.account_type == AccountType::Liability
            || account.code == chart::shg::CASH
        {
            floors.push(account.id);
        }
    }
    state.store.post_all_guarded(&[reversal], &floors).await?;
    Ok(Redirect::to(&format!("/groups/{group_id}")).into_response())
}

pub async fn set_pin(
    State(state): State<AppState>,
    Path((group_id, member_id)): Path<(i64, i64)>,
    form: CheckedForm,
) -> Result<Response, PageError> {
    let principal = &form.session.principal;
    if !(allowed(principal, Action::KeepBooks(group_id))
        || allowed(principal, Action::Approve(group_id)))
    {
        require(principal, Action::KeepBooks(group_id))?;
    }
    let member = state.store.member(member_id).await?;
    require_member(principal, &member)?;
    if member.group_id != group_id {
        return Err(AppError::NotFound.into());
    }
    let pin = form.get("pin").to_string();
    auth::check_pin(&pin).map_err(|e| AppError::invalid("pin", e.to_string()))?;
    let hash = tokio::task::spawn_blocking(move || auth::hash_secret(&pin))
        .await
        .map_err(|e| AppError::Internal(e.to_string()))?
        .map_err(|e| AppError::Internal(e.to_string()))?;
    state.store.set_member_pin(member_id, &hash).await?;
    Ok(Redirect::to(&format!("/groups/{group_id}/members/{member_id}/passbook")).into_response())
}
