//! The meeting, the way a treasurer runs it: one form (attendance, each
//! member's money, loans paid out, expenses, cash counted), a review of the
//! totals and expected against counted cash, then one atomic save. The form
//! carries its own idempotency key, so a double tap or a re-sent request
//! saves the meeting once and shows it.

use super::{plain, GroupBooks};
use crate::groups::{GroupRules, Member};
use crate::i18n::Lang;
use crate::ledger::{chart, IdempotencyKey};
use crate::loans::allocation::payable;
use crate::loans::portfolio::arrears;
use crate::loans::product::{Loan, LoanStatus};
use crate::meetings::{Expense, MeetingDraft, MemberLines};
use crate::money::{Money, Sign};
use crate::store::{LoanScope, LoanWithState, StoreError};
use crate::web::authz::{require, Action};
use crate::web::forms::today;
use crate::web::session::{CheckedForm, Session};
use crate::web::{page_context, render, AppError, AppState, PageError};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use chrono::NaiveDate;
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};

/// Expense rows the form offers.
const EXPENSE_ROWS: usize = 3;

struct Books {
    books: GroupBooks,
    members: Vec<Member>,
    active: Vec<LoanWithState>,
    approved: Vec<Loan>,
    rules: GroupRules,
}

impl Books {
    async fn load(state: &AppState, group_id: i64) -> Result<Books, AppError> {
        let books = GroupBooks::load(state, group_id).await?;
        let members = state.store.members(group_id).await?;
        // A meeting acts on running and approved loans only: not reading
        // the group's finished ones keeps this page's cost from growing
        // with the group's history.
        let loans = state
            .store
            .loans_in(&LoanScope::group(group_id).open_only())
            .await?;
        let rules = state.store.group_rules(group_id).await?;
        let (active, rest): (Vec<_>, Vec<_>) = loans
            .into_iter()
            .partition(|l| l.loan.status == LoanStatus::Active);
        let approved = rest
            .into_iter()
            .filter(|l| l.loan.status == LoanStatus::Approved)
            .map(|l| l.loan)
            .collect();
        Ok(Books {
            books,
            members,
            active,
            approved,
            rules,
        })
    }

    fn currency(&self) -> crate::money::Currency {
        self.books.book.currency
    }
}

#[derive(Serialize, Default)]
struct LoanField {
    id: i64,
    purpose: String,
    owes_today: String,
    repay: String,
}

#[derive(Serialize, Default)]
struct MemberFields {
    id: i64,
    code: String,
    name: String,
    present: bool,
    thrift: String,
    voluntary: String,
    fine: String,
    social_fund: String,
    withdrawal: String,
    loans: Vec<LoanField>,
}

#[derive(Serialize)]
struct ApprovedField {
    id: i64,
    member: String,
    purpose: String,
    principal: String,
    checked: bool,
}

#[derive(Serialize, Default)]
struct ExpenseField {
    description: String,
    amount: String,
}

/// What the form shows: values as typed (or pre-filled) and errors by field.
#[derive(Serialize)]
struct FormView {
    key: String,
    held_on: String,
    members: Vec<MemberFields>,
    approved: Vec<ApprovedField>,
    expenses: Vec<ExpenseField>,
    cash_counted: String,
    withdrawal_resolution: String,
    errors: BTreeMap<String, String>,
    /// Errors about fields the form does not have (another group's member,
    /// an unknown loan): shown at the top, named.
    stray_errors: Vec<(String, String)>,
}

fn get<'a>(fields: &'a [(String, String)], name: &str) -> &'a str {
    crate::web::session::field(fields, name)
}

impl FormView {
    /// A fresh form: everyone present, the group's thrift and what each
    /// loan owes today pre-filled.
    fn fresh(b: &Books) -> Result<FormView, AppError> {
        let today = today();
        let currency = b.currency();
        let members = b
            .members
            .iter()
            .map(|m| MemberFields {
                id: m.id,
                code: m.code.clone(),
                name: m.display_name.clone(),
                present: true,
                thrift: plain(b.rules.thrift_amount, currency),
                loans: b
                    .active
                    .iter()
                    .filter(|l| l.loan.member_id == m.id)
                    .map(|l| {
                        let due = arrears(&l.state, today).overdue.total();
                        LoanField {
                            id: l.loan.id,
                            purpose: l.loan.purpose.clone(),
                            owes_today: b.books.money(due),
                            repay: plain(due, currency),
                        }
                    })
                    .collect(),
                ..MemberFields::default()
            })
            .collect();
        let key = crate::web::forms::new_key("meeting")?;
        Ok(FormView {
            key,
            held_on: today.to_string(),
            members,
            approved: approved_fields(b, |_| false),
            expenses: (0..EXPENSE_ROWS).map(|_| ExpenseField::default()).collect(),
            cash_counted: String::new(),
            withdrawal_resolution: String::new(),
            errors: BTreeMap::new(),
            stray_errors: Vec::new(),
        })
    }

    /// The form as it was posted, to show again with its errors.
    fn posted(
        b: &Books,
        fields: &[(String, String)],
        errors: BTreeMap<String, String>,
    ) -> FormView {
        let today = today();
        let mut shown: std::collections::HashSet<String> =
            ["key", "held_on", "cash_counted", "withdrawal_resolution"]
                .into_iter()
                .map(String::from)
                .collect();
        for m in &b.members {
            for f in [
                "present",
                "thrift",
                "voluntary",
                "fine",
                "social_fund",
                "withdrawal",
            ] {
                shown.insert(format!("m{}_{f}", m.id));
            }
        }
        shown.extend(b.active.iter().map(|l| format!("loan{}_repay", l.loan.id)));
        shown.extend(b.approved.iter().map(|l| format!("disburse{}", l.id)));
        for i in 0..EXPENSE_ROWS {
            shown.insert(format!("expense{i}_description"));
            shown.insert(format!("expense{i}_amount"));
        }
        let members = b
            .members
            .iter()
            .map(|m| {
                let f = |name: &str| get(fields, &format!("m{}_{name}", m.id)).to_string();
                MemberFields {
                    id: m.id,
                    code: m.code.clone(),
                    name: m.display_name.clone(),
                    present: !f("present").is_empty(),
                    thrift: f("thrift"),
                    voluntary: f("voluntary"),
                    fine: f("fine"),
                    social_fund: f("social_fund"),
                    withdrawal: f("withdrawal"),
                    loans: b
                        .active
                        .iter()
                        .filter(|l| l.loan.member_id == m.id)
                        .map(|l| LoanField {
                            id: l.loan.id,
                            purpose: l.loan.purpose.clone(),
                            owes_today: b.books.money(arrears(&l.state, today).overdue.total()),
                            repay: get(fields, &format!("loan{}_repay", l.loan.id)).to_string(),
                        })
                        .collect(),
                }
            })
            .collect();
        FormView {
            key: get(fields, "key").to_string(),
            held_on: get(fields, "held_on").to_string(),
            members,
            approved: approved_fields(b, |id| !get(fields, &format!("disburse{id}")).is_empty()),
            expenses: (0..EXPENSE_ROWS)
                .map(|i| ExpenseField {
                    description: get(fields, &format!("expense{i}_description")).to_string(),
                    amount: get(fields, &format!("expense{i}_amount")).to_string(),
                })
                .collect(),
            cash_counted: get(fields, "cash_counted").to_string(),
            withdrawal_resolution: get(fields, "withdrawal_resolution").to_string(),
            stray_errors: errors
                .iter()
                .filter(|(name, _)| !shown.contains(name.as_str()))
                .map(|(n, m)| (n.clone(), m.clone()))
                .collect(),
            errors,
        }
    }
}

fn approved_fields(b: &Books, checked: impl Fn(i64) -> bool) -> Vec<ApprovedField> {
    let names: HashMap<i64, &str> = b
        .members
        .iter()
        .map(|m| (m.id, m.display_name.as_str()))
        .collect();
    b.approved
        .iter()
        .map(|l| ApprovedField {
            id: l.id,
            member: names.get(&l.member_id).copied().unwrap_or("").to_string(),
            purpose: l.purpose.clone(),
            principal: b.books.money(l.principal),
            checked: checked(l.id),
        })
        .collect()
}

/// Reads the posted form into a meeting draft, naming each bad field. Fields
/// for members or loans this group does not have are refused, not ignored.
fn parse(
    b: &Books,
    fields: &[(String, String)],
    lang: Lang,
) -> (MeetingDraft, BTreeMap<String, String>) {
    let currency = b.currency();
    let mut errors = BTreeMap::new();
    let mut amount = |name: &str| -> i64 {
        let text = get(fields, name).trim();
        if text.is_empty() {
            return 0;
        }
        match Money::parse(text, currency, Sign::NonNegative) {
            Ok(m) => m.minor(),
            Err(e) => {
                errors.insert(name.to_string(), crate::i18n::message(lang, &e.to_string()));
                0
            }
        }
    };
    let held_on = NaiveDate::parse_from_str(get(fields, "held_on").trim(), "%Y-%m-%d");
    let mut members = Vec::new();
    for m in &b.members {
        let f = |name: &str| format!("m{}_{name}", m.id);
        let repayments = b
            .active
            .iter()
            .filter(|l| l.loan.member_id == m.id)
            .map(|l| (l.loan.id, amount(&format!("loan{}_repay", l.loan.id))))
            .filter(|r| r.1 > 0)
            .collect();
        members.push(MemberLines {
            member_id: m.id,
            present: !get(fields, &f("present")).is_empty(),
            thrift: amount(&f("thrift")),
            voluntary: amount(&f("voluntary")),
            fine: amount(&f("fine")),
            social_fund: amount(&f("social_fund")),
            withdrawal: amount(&f("withdrawal")),
            repayments,
        });
    }
    let expenses = (0..EXPENSE_ROWS)
        .filter_map(|i| {
            let description = get(fields, &format!("expense{i}_description"))
                .trim()
                .to_string();
            let value = amount(&format!("expense{i}_amount"));
            (!description.is_empty() || value != 0).then_some(Expense {
                description,
                amount: value,
            })
        })
        .collect();
    let cash_counted =
        (!get(fields, "cash_counted").trim().is_empty()).then(|| amount("cash_counted"));
    let member_ids: Vec<i64> = b.members.iter().map(|m| m.id).collect();
    let active_ids: Vec<i64> = b.active.iter().map(|l| l.loan.id).collect();
    let approved_ids: Vec<i64> = b.approved.iter().map(|l| l.id).collect();
    let mut disbursements = Vec::new();
    for (name, value) in fields {
        let id_after = |prefix: &str| -> Option<Option<i64>> {
            name.strip_prefix(prefix)
                .map(|rest| rest.split('_').next().and_then(|id| id.parse().ok()))
        };
        if let Some(id) = id_after("disburse") {
            match id.filter(|id| approved_ids.contains(id)) {
                Some(id) if !value.is_empty() => disbursements.push(id),
                Some(_) => {}
                None => {
                    errors.insert(
                        name.clone(),
                        crate::i18n::t(lang, "field.unknown_loan").to_string(),
                    );
                }
            }
        } else if let Some(id) = id_after("loan") {
            if !id.is_some_and(|id| active_ids.contains(&id)) {
                errors.insert(
                    name.clone(),
                    crate::i18n::t(lang, "field.unknown_loan").to_string(),
                );
            }
        } else if let Some(id) = id_after("m") {
            if !id.is_some_and(|id| member_ids.contains(&id)) {
                errors.insert(
                    name.clone(),
                    crate::i18n::t(lang, "field.unknown_member").to_string(),
                );
            }
        }
    }
    let draft = MeetingDraft {
        group_id: b.books.group.id,
        held_on: held_on.unwrap_or_else(|_| today()),
        members,
        withdrawal_resolution: Some(get(fields, "withdrawal_resolution").trim().to_string())
            .filter(|r| !r.is_empty()),
        disbursements,
        expenses,
        cash_counted,
    };
    if held_on.is_err() {
        errors.insert(
            "held_on".into(),
            crate::i18n::t(lang, "field.not_a_date").to_string(),
        );
    }
    for e in draft.check(today()) {
        let message = match e.field.as_str() {
            "held_on" => crate::i18n::t(lang, "field.future_date").to_string(),
            _ => crate::i18n::message(lang, &e.message),
        };
        errors.entry(e.field).or_insert(message);
    }
    // What the books can tell before posting: more than is owed, more than
    // her savings. The store checks again inside the transaction.
    for m in &draft.members {
        for (loan_id, value) in &m.repayments {
            if let Some(l) = b.active.iter().find(|l| l.loan.id == *loan_id) {
                let most = payable(&l.state, draft.held_on, l.loan.settings.allocation);
                if *value > most {
                    errors.insert(
                        format!("loan{loan_id}_repay"),
                        crate::i18n::tr(
                            lang,
                            "field.above_owed",
                            &[("amount", &b.books.money(most))],
                        ),
                    );
                }
            }
        }
        if m.withdrawal > 0 {
            let code = b
                .members
                .iter()
                .find(|x| x.id == m.member_id)
                .map(|x| x.code.as_str())
                .unwrap_or("");
            let (_, voluntary) = b.books.savings_of(code);
            if m.withdrawal > voluntary {
                errors.insert(
                    format!("m{}_withdrawal", m.member_id),
                    crate::i18n::tr(
                        lang,
                        "field.above_balance",
                        &[("amount", &b.books.money(voluntary))],
                    ),
                );
            }
        }
        if m.thrift > 0 {
            if let Err(e) = b.rules.check_thrift(m.thrift) {
                let rule = b.books.money(b.rules.thrift_amount);
                errors.insert(
                    format!("m{}_thrift", m.member_id),
                    format!(
                        "{rule} × N ({})",
                        crate::i18n::message(lang, &e.to_string())
                    ),
                );
            }
        }
    }
    if IdempotencyKey::new(get(fields, "key")).is_err() {
        errors.insert(
            "key".into(),
            crate::i18n::message(lang, "the form is incomplete: open a new meeting form"),
        );
    }
    (draft, errors)
}

async fn form_page(
    state: &AppState,
    session: &Session,
    b: &Books,
    view: FormView,
    notice: Option<String>,
    status: StatusCode,
) -> Result<Response, PageError> {
    let mut ctx = page_context(session);
    ctx.insert("group", &b.books.group);
    ctx.insert("form", &view);
    ctx.insert("notice", &notice);
    ctx.insert("thrift_rule", &b.books.money(b.rules.thrift_amount));
    Ok((
        status,
        render(state, "meeting_form.html", session.lang, ctx).await?,
    )
        .into_response())
}

/// The form again, 422, with each error at its field.
async fn refused_form(
    state: &AppState,
    form: &CheckedForm,
    b: &Books,
    errors: BTreeMap<String, String>,
) -> Result<Response, PageError> {
    let view = FormView::posted(b, &form.fields, errors);
    let notice = crate::i18n::t(form.session.lang, "common.error_summary").to_string();
    form_page(
        state,
        &form.session,
        b,
        view,
        Some(notice),
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await
}

pub async fn new_meeting(
    State(state): State<AppState>,
    session: Session,
    Path(group_id): Path<i64>,
) -> Result<Response, PageError> {
    require(&session.principal, Action::KeepBooks(group_id))?;
    let b = Books::load(&state, group_id).await?;
    let view = FormView::fresh(&b)?;
    form_page(&state, &session, &b, view, None, StatusCode::OK).await
}

/// Back from the review to the form, with everything as typed.
pub async fn edit_meeting(
    State(state): State<AppState>,
    Path(group_id): Path<i64>,
    form: CheckedForm,
) -> Result<Response, PageError> {
    require(&form.session.principal, Action::KeepBooks(group_id))?;
    let b = Books::load(&state, group_id).await?;
    let view = FormView::posted(&b, &form.fields, BTreeMap::new());
    form_page(&state, &form.session, &b, view, None, StatusCode::OK).await
}

#[derive(Serialize)]
struct ReviewView {
    thrift: String,
    voluntary: String,
    repayments: String,
    fines: String,
    social_fund: String,
    withdrawals: String,
    expenses: String,
    disbursed: String,
    cash_in: String,
    cash_out: String,
    cash_before: String,
    expected: String,
    counted: Option<String>,
    difference: Option<String>,
    present: usize,
    enrolled: usize,
}

pub async fn review_meeting(
    State(state): State<AppState>,
    Path(group_id): Path<i64>,
    form: CheckedForm,
) -> Result<Response, PageError> {
    require(&form.session.principal, Action::KeepBooks(group_id))?;
    let b = Books::load(&state, group_id).await?;
    let (draft, errors) = parse(&b, &form.fields, form.session.lang);
    if !errors.is_empty() {
        return refused_form(&state, &form, &b, errors).await;
    }
    let t = draft.totals();
    let disbursed: i64 = b
        .approved
        .iter()
        .filter(|l| draft.disbursements.contains(&l.id))
        .map(|l| l.principal)
        .sum();
    let before = b.books.balance(chart::shg::CASH);
    // Amounts that add up on their own can still not be added to the cash
    // in the box: refused like any other field, not overflowed.
    let (Some(expected), Some(cash_out)) = (
        before
            .checked_add(t.cash_in())
            .and_then(|c| c.checked_sub(t.cash_out()))
            .and_then(|c| c.checked_sub(disbursed)),
        t.cash_out().checked_add(disbursed),
    ) else {
        let message = crate::i18n::message(form.session.lang, crate::meetings::TOO_LARGE);
        return refused_form(
            &state,
            &form,
            &b,
            BTreeMap::from([("form".into(), message)]),
        )
        .await;
    };
    let m = |v| b.books.money(v);
    let review = ReviewView {
        thrift: m(t.thrift),
        voluntary: m(t.voluntary),
        repayments: m(t.repayments),
        fines: m(t.fines),
        social_fund: m(t.social_fund),
        withdrawals: m(t.withdrawals),
        expenses: m(t.expenses),
        disbursed: m(disbursed),
        cash_in: m(t.cash_in()),
        cash_out: m(cash_out),
        cash_before: m(before),
        expected: m(expected),
        counted: draft.cash_counted.map(m),
        difference: draft.cash_counted.map(|c| m(c - expected)),
        present: t.present,
        enrolled: b.members.len(),
    };
    let hidden: Vec<&(String, String)> = form.fields.iter().filter(|(k, _)| k != "csrf").collect();
    let mut ctx = page_context(&form.session);
    ctx.insert("group", &b.books.group);
    ctx.insert("held_on", &draft.held_on);
    ctx.insert("review", &review);
    ctx.insert("hidden", &hidden);
    Ok(
        render(&state, "meeting_review.html", form.session.lang, ctx)
            .await?
            .into_response(),
    )
}

pub async fn save_meeting(
    State(state): State<AppState>,
    Path(group_id): Path<i64>,
    form: CheckedForm,
) -> Result<Response, PageError> {
    require(&form.session.principal, Action::KeepBooks(group_id))?;
    let key = IdempotencyKey::new(get(&form.fields, "key"));
    // A re-sent form whose meeting is already saved shows that meeting,
    // although the books have moved on since (its repayments are now paid).
    if let Ok(key) = &key {
        if let Some(saved) = state.store.meeting_by_key(group_id, key).await? {
            return Ok(
                Redirect::to(&format!("/groups/{group_id}/meetings/{}", saved.id)).into_response(),
            );
        }
    }
    let b = Books::load(&state, group_id).await?;
    // `parse` names a bad key among the field errors.
    let (draft, errors) = parse(&b, &form.fields, form.session.lang);
    let key = match key {
        Ok(key) if errors.is_empty() => key,
        _ => return refused_form(&state, &form, &b, errors).await,
    };
    let recorded_by = form.session.principal.user().map(|u| u.id);
    let result = state.store.record_meeting(&draft, &key, recorded_by).await;
    match result {
        Ok(record) => Ok(Redirect::to(&format!(
            "/groups/{group_id}/meetings/{}",
            record.meeting.id
        ))
        .into_response()),
        Err(
            e @ (StoreError::Invalid(_)
            | StoreError::Allocation(_)
            | StoreError::InsufficientBalance { .. }
            | StoreError::LoanState(_)
            | StoreError::Entry(_)),
        ) => {
            let error = AppError::Store(e);
            let status = error.status();
            let view = FormView::posted(&b, &form.fields, BTreeMap::new());
            form_page(
                &state,
                &form.session,
                &b,
                view,
                Some(crate::i18n::message(
                    form.session.lang,
                    &error.public_message(),
                )),
                status,
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Serialize)]
struct EntryView {
    id: i64,
    reversible: bool,
    kind: String,
    memo: String,
    amount: String,
}

pub async fn show_meeting(
    State(state): State<AppState>,
    session: Session,
    Path((group_id, meeting_id)): Path<(i64, i64)>,
) -> Result<Response, PageError> {
    require(&session.principal, Action::ReadGroup(group_id))?;
    let record = state.store.meeting(meeting_id).await?;
    if record.meeting.group_id != group_id {
        return Err(AppError::NotFound.into());
    }
    let books = GroupBooks::load(&state, group_id).await?;
    let mut entries = Vec::new();
    for id in &record.entry_ids {
        let e = state.store.entry(*id).await?;
        let total: i64 = e
            .postings
            .iter()
            .filter(|p| p.amount > 0)
            .map(|p| p.amount)
            .sum();
        entries.push(EntryView {
            id: e.id,
            reversible: super::books::REVERSIBLE.contains(&e.kind.as_str()),
            kind: crate::i18n::entry_kind(session.lang, &e.kind),
            memo: e.memo.clone(),
            amount: books.money(total),
        });
    }
    let m = &record.meeting;
    let mut ctx = page_context(&session);
    ctx.insert("group", &books.group);
    ctx.insert("meeting", m);
    ctx.insert("entries", &entries);
    ctx.insert(
        "keeps_books",
        &crate::web::authz::allowed(&session.principal, Action::KeepBooks(group_id)),
    );
    ctx.insert("cash_in", &books.money(m.cash_in));
    ctx.insert("cash_out", &books.money(m.cash_out));
    ctx.insert("expected", &books.money(m.expected_cash));
    ctx.insert("counted", &m.counted_cash.map(|c| books.money(c)));
    ctx.insert("difference", &m.cash_difference().map(|d| books.money(d)));
    Ok(render(&state, "meeting.html", session.lang, ctx)
        .await?
        .into_response())
}
