//! The group's own money beyond the meeting: its rules (thrift amount,
//! share-out basis), what it borrows or is granted from outside and its
//! repayments to the lender, social fund payouts, late fines, recoveries on
//! written-off loans, and the share-out at the end of the cycle.

use super::GroupBooks;
use crate::borrowings::{BorrowingSource, NewBorrowing};
use crate::groups::GroupRules;
use crate::ledger::chart;
use crate::loans::product::LoanStatus;
use crate::money::Sign;
use crate::savings::shareout::ShareBasis;
use crate::store::{LoanScope, ShareOutRequest};
use crate::web::authz::{allowed, require, Action};
use crate::web::forms::{amount, fund, key, new_key, past_date, today};
use crate::web::session::{CheckedForm, Session};
use crate::web::{page_context, render, AppError, AppState, PageError};
use axum::extract::{Path, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde::Serialize;

#[derive(Serialize)]
struct BorrowingRow {
    id: i64,
    source: &'static str,
    lender: String,
    reference: String,
    principal: String,
    owed: String,
    due_today: String,
    status: &'static str,
}

#[derive(Serialize)]
struct WrittenOff {
    id: i64,
    purpose: String,
}

pub async fn page(
    State(state): State<AppState>,
    session: Session,
    Path(group_id): Path<i64>,
) -> Result<Html<String>, PageError> {
    require(&session.principal, Action::ReadGroup(group_id))?;
    let books = GroupBooks::load(&state, group_id).await?;
    let rules = state.store.group_rules(group_id).await?;
    let today = today();
    let borrowings: Vec<BorrowingRow> = state
        .store
        .borrowings(group_id)
        .await?
        .into_iter()
        .map(|b| {
            let due = crate::loans::portfolio::arrears(&b.state, today)
                .overdue
                .total();
            BorrowingRow {
                id: b.borrowing.id,
                source: b.borrowing.source.as_str(),
                lender: b.borrowing.lender,
                reference: b.borrowing.reference,
                principal: books.money(b.borrowing.principal),
                owed: books.money(b.state.principal_outstanding()),
                due_today: books.money(due),
                status: b.borrowing.status.as_str(),
            }
        })
        .collect();
    let written_off: Vec<WrittenOff> = state
        .store
        .loans_in(&LoanScope::group(group_id).open_only())
        .await?
        .into_iter()
        .filter(|l| l.loan.status == LoanStatus::WrittenOff)
        .map(|l| WrittenOff {
            id: l.loan.id,
            purpose: l.loan.purpose,
        })
        .collect();
    let products = super::loans::product_choices(&state, group_id).await?;
    let mut ctx = page_context(&session);
    ctx.insert("group", &books.group);
    ctx.insert(
        "thrift",
        &super::plain(rules.thrift_amount, books.book.currency),
    );
    ctx.insert("equal_shares", &(rules.share_basis == ShareBasis::Equal));
    ctx.insert("return_savings", &rules.return_savings_at_share_out);
    ctx.insert(
        "social_fund",
        &books.money(-books.balance(chart::shg::SOCIAL_FUND)),
    );
    ctx.insert("borrowings", &borrowings);
    ctx.insert("written_off", &written_off);
    ctx.insert("products", &products);
    ctx.insert("today", &today);
    ctx.insert("key", &new_key("funds")?);
    ctx.insert(
        "keeps_books",
        &allowed(&session.principal, Action::KeepBooks(group_id)),
    );
    Ok(render(&state, "funds.html", session.lang, ctx).await?)
}

fn back(group_id: i64) -> Response {
    Redirect::to(&format!("/groups/{group_id}/funds")).into_response()
}

pub async fn set_rules(
    State(state): State<AppState>,
    Path(group_id): Path<i64>,
    form: CheckedForm,
) -> Result<Response, PageError> {
    require(&form.session.principal, Action::KeepBooks(group_id))?;
    let book = super::book_of(&state, group_id).await?;
    let thrift = if form.get("thrift").trim().is_empty() {
        0
    } else {
        amount(&form, "thrift", book.currency, Sign::NonNegative)?
    };
    let rules = GroupRules {
        thrift_amount: thrift,
        share_basis: match form.get("share_basis") {
            "equal" => ShareBasis::Equal,
            "" | "savings" => ShareBasis::ProportionalToSavings,
            _ => return Err(AppError::invalid("share_basis", "savings or equal").into()),
        },
        return_savings_at_share_out: !form.get("return_savings").is_empty(),
    };
    state.store.set_group_rules(group_id, &rules).await?;
    Ok(back(group_id))
}

pub async fn receive(
    State(state): State<AppState>,
    Path(group_id): Path<i64>,
    form: CheckedForm,
) -> Result<Response, PageError> {
    require(&form.session.principal, Action::KeepBooks(group_id))?;
    let book = super::book_of(&state, group_id).await?;
    let source: BorrowingSource = form
        .get("source")
        .parse()
        .map_err(|e: String| AppError::invalid("source", e))?;
    let principal = amount(&form, "principal", book.currency, Sign::Positive)?;
    let terms = if source.repayable() {
        let (_, base) = super::loans::chosen_product(&state, group_id, &form).await?;
        let mut terms = super::loans::own_terms(&form, base, book.currency)?;
        // Banks take interest first.
        terms.allocation = crate::loans::allocation::AllocationRule::InterestFirst;
        super::loans::check_terms(&terms, principal, book.currency.minor_units())?;
        Some(terms)
    } else {
        None
    };
    let borrowing = NewBorrowing {
        group_id,
        source,
        lender: form.get("lender").to_string(),
        reference: form.get("reference").to_string(),
        principal,
        received_on: past_date(&form, "on")?,
        first_due: None,
        terms,
        resolution: form.get("resolution").to_string(),
    };
    state
        .store
        .receive_borrowing(&borrowing, fund(&form)?, &key(&form)?)
        .await?;
    Ok(back(group_id))
}

pub async fn repay_lender(
    State(state): State<AppState>,
    Path((group_id, borrowing_id)): Path<(i64, i64)>,
    form: CheckedForm,
) -> Result<Response, PageError> {
    require(&form.session.principal, Action::KeepBooks(group_id))?;
    let borrowing = state.store.borrowing(borrowing_id).await?;
    if borrowing.borrowing.group_id != group_id {
        return Err(AppError::NotFound.into());
    }
    let book = super::book_of(&state, group_id).await?;
    let paid = amount(&form, "amount", book.currency, Sign::Positive)?;
    state
        .store
        .repay_borrowing(
            borrowing_id,
            paid,
            past_date(&form, "on")?,
            fund(&form)?,
            &key(&form)?,
        )
        .await?;
    Ok(back(group_id))
}

pub async fn social_payout(
    State(state): State<AppState>,
    Path(group_id): Path<i64>,
    form: CheckedForm,
) -> Result<Response, PageError> {
    require(&form.session.principal, Action::KeepBooks(group_id))?;
    let book = super::book_of(&state, group_id).await?;
    let paid = amount(&form, "amount", book.currency, Sign::Positive)?;
    let social = state
        .store
        .account_by_code(book.id, chart::shg::SOCIAL_FUND)
        .await?;
    let cash = state
        .store
        .account_by_code(book.id, fund(&form)?.account_code())
        .await?;
    let entry = crate::savings::social_fund_payout(
        &book,
        &social,
        &cash,
        paid,
        past_date(&form, "on")?,
        &key(&form)?,
    )
    .map_err(crate::store::StoreError::from)?;
    // Never more than the fund holds, nor more cash than is in the box.
    state
        .store
        .post_all_guarded(&[entry], &[social.id, cash.id])
        .await?;
    Ok(back(group_id))
}

pub async fn late_fines(
    State(state): State<AppState>,
    Path(group_id): Path<i64>,
    form: CheckedForm,
) -> Result<Response, PageError> {
    require(&form.session.principal, Action::KeepBooks(group_id))?;
    let on = past_date(&form, "on")?;
    let active = LoanScope::group(group_id).in_states(&[LoanStatus::Active]);
    let loans: Vec<_> = state
        .store
        .loans_in(&active)
        .await?
        .iter()
        .map(|l| (l.loan.id, on))
        .collect();
    // All of the group's loans in one transaction: fined together or not at all.
    state.store.charge_late_fines_on(&loans).await?;
    Ok(back(group_id))
}

pub async fn recover(
    State(state): State<AppState>,
    Path(group_id): Path<i64>,
    form: CheckedForm,
) -> Result<Response, PageError> {
    require(&form.session.principal, Action::KeepBooks(group_id))?;
    let loan_id: i64 = form
        .get("loan")
        .parse()
        .map_err(|_| AppError::invalid("loan", "choose a written-off loan"))?;
    if state.store.loan(loan_id).await?.loan.group_id != group_id {
        return Err(AppError::NotFound.into());
    }
    let book = super::book_of(&state, group_id).await?;
    let paid = amount(&form, "amount", book.currency, Sign::Positive)?;
    state
        .store
        .recover_loan(
            loan_id,
            paid,
            past_date(&form, "on")?,
            fund(&form)?,
            &key(&form)?,
        )
        .await?;
    Ok(back(group_id))
}

pub async fn share_out(
    State(state): State<AppState>,
    Path(group_id): Path<i64>,
    form: CheckedForm,
) -> Result<Response, PageError> {
    require(&form.session.principal, Action::KeepBooks(group_id))?;
    let rules = state.store.group_rules(group_id).await?;
    let key = key(&form)?;
    state
        .store
        .share_out(&ShareOutRequest {
            group_id,
            on: past_date(&form, "on")?,
            basis: rules.share_basis,
            return_savings: rules.return_savings_at_share_out,
            fund: fund(&form)?,
            key_prefix: key.as_str(),
        })
        .await?;
    Ok(back(group_id))
}
