//! The treasurer's checks on her books: cash counted against the books (a
//! difference is posted with its reason), the bank passbook against the bank
//! account, corrections by reversal, and members' PINs.

use super::GroupBooks;
use crate::auth;
use crate::ledger::{chart, AccountType, IdempotencyKey, NewEntry};
use crate::money::Sign;
use crate::web::authz::{allowed, require, require_member, Action};
use crate::web::forms::{self, amount, past_date, today};
use crate::web::session::{CheckedForm, Session};
use crate::web::{page_context, render, AppError, AppState, PageError};
use axum::extract::{Path, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use chrono::NaiveDate;
use serde::Serialize;

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
    let key = forms::new_key("cash")?;
    let mut ctx = page_context(&session);
    ctx.insert("group", &books.group);
    ctx.insert("books_say", &books.money(books.balance(chart::shg::CASH)));
    ctx.insert("counts", &counts);
    ctx.insert("today", &today());
    ctx.insert("key", &key);
    ctx.insert(
        "keeps_books",
        &allowed(&session.principal, Action::KeepBooks(group_id)),
    );
    Ok(render(&state, "cash.html", session.lang, ctx).await?)
}

pub async fn count_cash(
    State(state): State<AppState>,
    Path(group_id): Path<i64>,
    form: CheckedForm,
) -> Result<Response, PageError> {
    require(&form.session.principal, Action::KeepBooks(group_id))?;
    let book = super::book_of(&state, group_id).await?;
    let counted = amount(&form, "counted", book.currency, Sign::NonNegative)?;
    let key = forms::key(&form)?;
    state
        .store
        .record_cash_count(
            group_id,
            past_date(&form, "on")?,
            counted,
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
    let page = super::latest_history(&state, bank.id, 200).await?;
    let unseen: Vec<BankLine> = page
        .lines
        .iter()
        .filter(|l| seen_until.is_none_or(|d| l.business_date > d))
        .map(|l| BankLine {
            date: l.business_date,
            memo: if l.memo.is_empty() {
                crate::i18n::entry_kind(session.lang, &l.kind)
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
    Ok(render(&state, "bank.html", session.lang, ctx).await?)
}

pub async fn read_passbook(
    State(state): State<AppState>,
    Path(group_id): Path<i64>,
    form: CheckedForm,
) -> Result<Response, PageError> {
    require(&form.session.principal, Action::KeepBooks(group_id))?;
    let book = super::book_of(&state, group_id).await?;
    let balance = amount(&form, "balance", book.currency, Sign::Any)?;
    state
        .store
        .record_bank_reading(
            group_id,
            past_date(&form, "passbook_date")?,
            balance,
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
    let book = super::book_of(&state, group_id).await?;
    let original = state.store.entry(entry_id).await?;
    if original.book_id != book.id {
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
        &book,
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
    let hash = forms::hash_secret(pin).await?;
    state.store.set_member_pin(member_id, &hash).await?;
    Ok(Redirect::to(&format!("/groups/{group_id}/members/{member_id}/passbook")).into_response())
}
