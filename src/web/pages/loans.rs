//! Loans outside the meeting: application, the group's decision, payout,
//! the schedule, a repayment between meetings; rescheduling and write-off
//! need program staff.

use super::GroupBooks;
use crate::loans::allocation::LateFine;
use crate::loans::portfolio::arrears;
use crate::loans::product::{LoanSettings, LoanSource, LoanStatus};
use crate::money::Sign;
use crate::store::{LoanApplication, Reschedule};
use crate::web::authz::{allowed, require, Action};
use crate::web::forms::{amount, fund, key, new_key, past_date, today};
use crate::web::session::{CheckedForm, Session};
use crate::web::{page_context, render, AppError, AppState, PageError};
use axum::extract::{Path, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::Serialize;
use std::collections::HashMap;

#[derive(Serialize)]
struct LoanRow {
    id: i64,
    member: String,
    purpose: String,
    status: &'static str,
    principal: String,
    outstanding: String,
    days_late: u32,
}

pub async fn list(
    State(state): State<AppState>,
    session: Session,
    Path(group_id): Path<i64>,
) -> Result<Html<String>, PageError> {
    require(&session.principal, Action::ReadGroup(group_id))?;
    let books = GroupBooks::load(&state, group_id).await?;
    let members = state.store.members(group_id).await?;
    let names: HashMap<i64, String> = members
        .iter()
        .map(|m| (m.id, m.display_name.clone()))
        .collect();
    let today = today();
    let rows: Vec<LoanRow> = state
        .store
        .loans(Some(group_id))
        .await?
        .iter()
        .rev()
        .map(|l| LoanRow {
            id: l.loan.id,
            member: names.get(&l.loan.member_id).cloned().unwrap_or_default(),
            purpose: l.loan.purpose.clone(),
            status: l.loan.status.as_str(),
            principal: books.money(l.loan.principal),
            outstanding: books.money(l.state.outstanding_total()),
            days_late: if l.loan.status == LoanStatus::Active {
                arrears(&l.state, today).days_past_due
            } else {
                0
            },
        })
        .collect();
    let products = product_choices(&state, group_id).await?;
    let mut ctx = page_context(&session);
    ctx.insert("group", &books.group);
    ctx.insert("loans", &rows);
    ctx.insert("members", &members);
    ctx.insert("products", &products);
    ctx.insert("today", &today);
    ctx.insert(
        "keeps_books",
        &allowed(&session.principal, Action::KeepBooks(group_id)),
    );
    Ok(render(&state, "loans.html", session.lang, ctx).await?)
}

pub async fn apply(
    State(state): State<AppState>,
    Path(group_id): Path<i64>,
    form: CheckedForm,
) -> Result<Response, PageError> {
    require(&form.session.principal, Action::KeepBooks(group_id))?;
    let book = super::book_of(&state, group_id).await?;
    let member_id: i64 = form
        .get("member")
        .parse()
        .map_err(|_| AppError::invalid("member", "choose a member"))?;
    let member = state.store.member(member_id).await?;
    if member.group_id != group_id {
        return Err(AppError::invalid("member", "not a member of this group").into());
    }
    let (product_id, base) = chosen_product(&state, group_id, &form).await?;
    let principal = amount(&form, "principal", book.currency, Sign::Positive)?;
    let purpose = form.get("purpose").trim();
    if purpose.is_empty() || purpose.chars().count() > 100 {
        return Err(AppError::invalid("purpose", "say which business, 1 to 100 characters").into());
    }
    let settings = own_terms(&form, base, book.currency)?;
    check_terms(&settings, principal, book.currency.minor_units())?;
    let source: LoanSource = match form.get("source") {
        "" => LoanSource::GroupFund,
        s => s
            .parse()
            .map_err(|e: String| AppError::invalid("source", e))?,
    };
    let loan = state
        .store
        .apply_for_loan(&LoanApplication {
            group_id,
            member_id,
            product_id,
            settings,
            source,
            purpose: purpose.to_string(),
            principal,
            applied_on: past_date(&form, "applied_on")?,
        })
        .await?;
    Ok(Redirect::to(&format!("/groups/{group_id}/loans/{}", loan.id)).into_response())
}

/// The loan, when the person may do `action` in its group and it is that
/// group's loan.
async fn loan_in(
    state: &AppState,
    session: &Session,
    action: Action,
    loan_id: i64,
) -> Result<crate::store::LoanWithState, AppError> {
    require(&session.principal, action)?;
    let group_id = action.group().ok_or(AppError::NotFound)?;
    scoped_loan(state, group_id, loan_id).await
}

/// Products a form may offer, as `p<id>`: the program-wide products on
/// offer, then the group's own. Retired products are not among them.
pub(super) async fn product_choices(
    state: &AppState,
    group_id: i64,
) -> Result<Vec<(String, String)>, AppError> {
    Ok(state
        .store
        .products(group_id)
        .await?
        .into_iter()
        .map(|p| (format!("p{}", p.id), p.name))
        .collect())
}

/// The product the form names (`p<id>`): one of those `product_choices`
/// offers. A retired product, another group's, or anything else is refused
/// at the field.
pub(super) async fn chosen_product(
    state: &AppState,
    group_id: i64,
    form: &CheckedForm,
) -> Result<(Option<i64>, LoanSettings), AppError> {
    let refused = || {
        AppError::invalid(
            "product",
            "choose one of the loan products on offer (a retired product takes no new loans)",
        )
    };
    let id: i64 = form
        .get("product")
        .strip_prefix('p')
        .and_then(|id| id.parse().ok())
        .ok_or_else(refused)?;
    state
        .store
        .products(group_id)
        .await?
        .into_iter()
        .find(|p| p.id == id)
        .map(|p| (Some(p.id), p.settings))
        .ok_or_else(refused)
}

/// The loan's own terms: the product's, with whatever the form sets.
pub(super) fn own_terms(
    form: &CheckedForm,
    mut s: LoanSettings,
    currency: crate::money::Currency,
) -> Result<LoanSettings, AppError> {
    fn set<T: std::str::FromStr>(
        form: &CheckedForm,
        name: &str,
        accepts: &str,
        into: &mut T,
    ) -> Result<(), AppError> {
        let text = form.get(name).trim();
        if !text.is_empty() {
            *into = text
                .parse()
                .map_err(|_| AppError::invalid(name, accepts.to_string()))?;
        }
        Ok(())
    }
    set(form, "rate", "a rate like 24 or 1.5", &mut s.rate)?;
    set(form, "rate_per", "year or month", &mut s.rate_per)?;
    set(form, "method", "flat or declining", &mut s.method)?;
    set(
        form,
        "amortization",
        "equal-installments or equal-principal",
        &mut s.amortization,
    )?;
    set(form, "frequency", "week or month", &mut s.frequency)?;
    set(form, "every", "a whole number from 1", &mut s.every)?;
    set(
        form,
        "installments",
        "a whole number from 1",
        &mut s.installments,
    )?;
    set(
        form,
        "grace_principal",
        "a whole number of periods",
        &mut s.grace_principal,
    )?;
    set(
        form,
        "grace_interest",
        "a whole number of periods",
        &mut s.grace_interest,
    )?;
    set(
        form,
        "interest_free",
        "a whole number of periods",
        &mut s.interest_free,
    )?;
    set(
        form,
        "interest_period",
        "repayment or daily",
        &mut s.interest_period,
    )?;
    set(
        form,
        "allocation",
        "standard or interest-first",
        &mut s.allocation,
    )?;
    set(
        form,
        "prepayment",
        "reduce-installment or shorten-term",
        &mut s.prepayment,
    )?;
    set(
        form,
        "late_fine_grace_days",
        "a whole number of days",
        &mut s.late_fine_grace_days,
    )?;
    if !form.get("installment_multiple").trim().is_empty() {
        s.installment_multiple = amount(form, "installment_multiple", currency, Sign::Positive)?;
    }
    // A late fine is a flat amount per late installment or a percentage of
    // what is overdue; zero removes it.
    match (form.get("late_fine").trim(), form.get("late_fine_kind")) {
        ("", _) => {}
        (text, "percent") => {
            let percent: rust_decimal::Decimal = text
                .parse()
                .map_err(|_| AppError::invalid("late_fine", "a percentage like 2 or 2.5"))?;
            s.late_fine = if percent.is_zero() {
                LateFine::None
            } else {
                LateFine::PercentOfOverdue { percent }
            };
        }
        _ => {
            let fine = amount(form, "late_fine", currency, Sign::NonNegative)?;
            s.late_fine = if fine == 0 {
                LateFine::None
            } else {
                LateFine::Flat { amount: fine }
            };
        }
    }
    Ok(s)
}

/// Terms that cannot make a schedule are refused when typed, not at payout.
pub(super) fn check_terms(
    settings: &LoanSettings,
    principal: i64,
    minor_units: u32,
) -> Result<(), AppError> {
    let terms = settings.terms(principal, today(), None, minor_units);
    crate::loans::schedule::generate(&terms)
        .map(|_| ())
        .map_err(|e| crate::web::forms::schedule_refusal(&e))
}

/// A group's own product: one on offer with the group's terms, under a name.
pub async fn create_product(
    State(state): State<AppState>,
    Path(group_id): Path<i64>,
    form: CheckedForm,
) -> Result<Response, PageError> {
    require(&form.session.principal, Action::KeepBooks(group_id))?;
    let book = super::book_of(&state, group_id).await?;
    let name = form.get("name").trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(AppError::invalid("name", "1 to 100 characters").into());
    }
    let (_, base) = chosen_product(&state, group_id, &form).await?;
    let settings = own_terms(&form, base, book.currency)?;
    check_terms(&settings, 100 * 100, book.currency.minor_units())?;
    state
        .store
        .create_product(Some(group_id), name, &settings)
        .await?;
    Ok(Redirect::to(&format!("/groups/{group_id}/loans")).into_response())
}

async fn scoped_loan(
    state: &AppState,
    group_id: i64,
    loan_id: i64,
) -> Result<crate::store::LoanWithState, AppError> {
    let loan = state.store.loan(loan_id).await?;
    if loan.loan.group_id != group_id {
        return Err(AppError::NotFound);
    }
    Ok(loan)
}

#[derive(Serialize)]
struct InstallmentRow {
    number: u32,
    due_date: NaiveDate,
    principal: String,
    interest: String,
    due: String,
    outstanding: String,
    late: bool,
}

pub async fn show(
    State(state): State<AppState>,
    session: Session,
    Path((group_id, loan_id)): Path<(i64, i64)>,
) -> Result<Html<String>, PageError> {
    let l = loan_in(&state, &session, Action::ReadGroup(group_id), loan_id).await?;
    let books = GroupBooks::load(&state, group_id).await?;
    let member = state.store.member(l.loan.member_id).await?;
    let today = today();
    let rows: Vec<InstallmentRow> = l
        .state
        .installments
        .iter()
        .map(|i| InstallmentRow {
            number: i.number,
            due_date: i.due_date,
            principal: books.money(i.due.principal),
            interest: books.money(i.due.interest),
            due: books.money(i.due.total()),
            outstanding: books.money(i.outstanding_total()),
            late: i.due_date < today && i.outstanding_total() > 0,
        })
        .collect();
    let mut ctx = page_context(&session);
    ctx.insert("group", &books.group);
    ctx.insert("loan", &l.loan);
    ctx.insert("status", l.loan.status.as_str());
    ctx.insert("member", &member);
    ctx.insert("principal", &books.money(l.loan.principal));
    ctx.insert("outstanding", &books.money(l.state.outstanding_total()));
    ctx.insert(
        "owes_today",
        &books.money(arrears(&l.state, today).overdue.total()),
    );
    ctx.insert("installments", &rows);
    ctx.insert("today", &today);
    ctx.insert("key", &new_key("loan")?);
    ctx.insert(
        "keeps_books",
        &allowed(&session.principal, Action::KeepBooks(group_id)),
    );
    ctx.insert(
        "approves",
        &allowed(&session.principal, Action::Approve(group_id)),
    );
    Ok(render(&state, "loan.html", session.lang, ctx).await?)
}

fn back(group_id: i64, loan_id: i64) -> Response {
    Redirect::to(&format!("/groups/{group_id}/loans/{loan_id}")).into_response()
}

fn resolution(form: &CheckedForm) -> Result<String, AppError> {
    let r = form.get("resolution").trim();
    if r.is_empty() || r.chars().count() > 50 {
        return Err(AppError::invalid(
            "resolution",
            "the group resolution number, 1 to 50 characters",
        ));
    }
    Ok(r.to_string())
}

pub async fn decide(
    State(state): State<AppState>,
    Path((group_id, loan_id)): Path<(i64, i64)>,
    form: CheckedForm,
) -> Result<Response, PageError> {
    loan_in(&state, &form.session, Action::KeepBooks(group_id), loan_id).await?;
    let approve = match form.get("decision") {
        "approve" => true,
        "reject" => false,
        _ => return Err(AppError::invalid("decision", "approve or reject").into()),
    };
    state
        .store
        .decide_loan(
            loan_id,
            approve,
            past_date(&form, "on")?,
            &resolution(&form)?,
        )
        .await?;
    Ok(back(group_id, loan_id))
}

pub async fn disburse(
    State(state): State<AppState>,
    Path((group_id, loan_id)): Path<(i64, i64)>,
    form: CheckedForm,
) -> Result<Response, PageError> {
    loan_in(&state, &form.session, Action::KeepBooks(group_id), loan_id).await?;
    state
        .store
        .disburse_loan(
            loan_id,
            past_date(&form, "on")?,
            None,
            fund(&form)?,
            &key(&form)?,
        )
        .await?;
    Ok(back(group_id, loan_id))
}

pub async fn repay(
    State(state): State<AppState>,
    Path((group_id, loan_id)): Path<(i64, i64)>,
    form: CheckedForm,
) -> Result<Response, PageError> {
    loan_in(&state, &form.session, Action::KeepBooks(group_id), loan_id).await?;
    let book = super::book_of(&state, group_id).await?;
    let paid = amount(&form, "amount", book.currency, Sign::Positive)?;
    state
        .store
        .repay_loan(
            loan_id,
            paid,
            past_date(&form, "on")?,
            fund(&form)?,
            &key(&form)?,
        )
        .await?;
    Ok(back(group_id, loan_id))
}

pub async fn reschedule(
    State(state): State<AppState>,
    Path((group_id, loan_id)): Path<(i64, i64)>,
    form: CheckedForm,
) -> Result<Response, PageError> {
    loan_in(&state, &form.session, Action::Approve(group_id), loan_id).await?;
    let count = |name: &str| -> Result<u32, AppError> {
        let t = form.get(name).trim();
        if t.is_empty() {
            return Ok(0);
        }
        t.parse()
            .map_err(|_| AppError::invalid(name, "a whole number, 0 or more"))
    };
    let new_rate = match form.get("new_rate").trim() {
        "" => None,
        t => Some(
            t.parse::<Decimal>()
                .map_err(|_| AppError::invalid("new_rate", "a rate like 18 or 18.5"))?,
        ),
    };
    state
        .store
        .reschedule_loan(
            loan_id,
            &Reschedule {
                on: past_date(&form, "on")?,
                extra_periods: count("extra_periods")?,
                moratorium: count("moratorium")?,
                new_rate,
                reason_code: form.get("reason_code").trim().to_string(),
            },
        )
        .await?;
    Ok(back(group_id, loan_id))
}

pub async fn write_off(
    State(state): State<AppState>,
    Path((group_id, loan_id)): Path<(i64, i64)>,
    form: CheckedForm,
) -> Result<Response, PageError> {
    loan_in(&state, &form.session, Action::Approve(group_id), loan_id).await?;
    state
        .store
        .write_off_loan(
            loan_id,
            past_date(&form, "on")?,
            &resolution(&form)?,
            &key(&form)?,
        )
        .await?;
    Ok(back(group_id, loan_id))
}
