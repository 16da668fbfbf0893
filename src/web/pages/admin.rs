//! The program admin's pages: people who sign in, their groups, new groups
//! and members, API tokens (one-time passwords and tokens are shown once);
//! the program's loan products; the program's name and defaults.

use crate::auth::{self, ApiToken};
use crate::groups::{NewGroup, NewMember};
use crate::i18n::{t, tr, Lang};
use crate::loans::allocation::LateFine;
use crate::loans::product::{LoanProduct, LoanSettings};
use crate::loans::schedule::{Frequency, InterestMethod, RatePer};
use crate::money::{Currency, Money};
use crate::program::ProgramSettings;
use crate::store::auth::NewUser;
use crate::store::{ProductUse, Role};
use crate::web::authz::{require, Action};
use crate::web::forms::today;
use crate::web::session::{CheckedForm, Session};
use crate::web::{page_context, render, AppError, AppState, PageError};
use axum::extract::{Path, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde::Serialize;

async fn page(
    state: &AppState,
    session: &Session,
    shown_once: Option<(String, String)>,
) -> Result<Html<String>, PageError> {
    require(&session.principal, Action::Administer)?;
    let users = state.store.users().await?;
    let mut groups_of: std::collections::HashMap<_, Vec<_>> = Default::default();
    for (user, group) in state.store.treasurer_assignments().await? {
        groups_of.entry(user).or_default().push(group);
    }
    let assigned: Vec<_> = users
        .iter()
        .map(|u| {
            let groups = match u.role {
                Role::Treasurer => groups_of.remove(&u.id).unwrap_or_default(),
                _ => Vec::new(),
            };
            (u, groups)
        })
        .collect();
    let mut ctx = page_context(session);
    ctx.insert("users", &assigned);
    ctx.insert("groups", &state.store.groups().await?);
    ctx.insert("tokens", &state.store.api_tokens().await?);
    ctx.insert("shown_once", &shown_once);
    Ok(render(state, "admin.html", session.lang, ctx).await?)
}

pub async fn admin_page(
    State(state): State<AppState>,
    session: Session,
) -> Result<Html<String>, PageError> {
    page(&state, &session, None).await
}

pub async fn create_user(
    State(state): State<AppState>,
    form: CheckedForm,
) -> Result<Html<String>, PageError> {
    require(&form.session.principal, Action::Administer)?;
    let username = auth::normalize_username(form.get("username"));
    auth::check_username(&username).map_err(|e| AppError::invalid("username", e.to_string()))?;
    let display_name = form.get("display_name").trim();
    if display_name.is_empty() || display_name.chars().count() > 100 {
        return Err(AppError::invalid("display_name", "1 to 100 characters").into());
    }
    let role: Role = form
        .get("role")
        .parse()
        .map_err(|e: String| AppError::invalid("role", e))?;
    // No language chosen: the program's default. A language Sakhi does not
    // have is refused, not quietly replaced.
    let lang = match form.get("lang").trim() {
        "" => state.store.program_settings().await?.lang,
        code => Lang::from_code(code)
            .ok_or_else(|| AppError::invalid("lang", "en, hi or mni, or empty for the default"))?,
    };
    let password = auth::try_one_time_password()?;
    let hash = crate::web::forms::hash_secret(password.clone()).await?;
    state
        .store
        .create_user(&NewUser {
            username: &username,
            display_name,
            role,
            password_hash: &hash,
            must_change_password: true,
            lang,
        })
        .await?;
    page(&state, &form.session, Some((username, password))).await
}

pub async fn assign_group(
    State(state): State<AppState>,
    Path(user_id): Path<i64>,
    form: CheckedForm,
) -> Result<Response, PageError> {
    require(&form.session.principal, Action::Administer)?;
    let user = state.store.user(user_id).await?;
    if user.role != Role::Treasurer {
        return Err(AppError::invalid("user", "only treasurers keep a group's books").into());
    }
    let group: i64 = form
        .get("group")
        .parse()
        .map_err(|_| AppError::invalid("group", "choose a group"))?;
    state.store.group(group).await?;
    state.store.assign_treasurer(user_id, group).await?;
    Ok(Redirect::to("/admin").into_response())
}

pub async fn set_active(
    State(state): State<AppState>,
    Path(user_id): Path<i64>,
    form: CheckedForm,
) -> Result<Response, PageError> {
    require(&form.session.principal, Action::Administer)?;
    if form.session.principal.user().map(|u| u.id) == Some(user_id) {
        return Err(AppError::invalid("user", "you cannot switch yourself off").into());
    }
    state
        .store
        .set_user_active(user_id, form.get("active") == "1")
        .await?;
    Ok(Redirect::to("/admin").into_response())
}

pub async fn create_group(
    State(state): State<AppState>,
    form: CheckedForm,
) -> Result<Response, PageError> {
    require(&form.session.principal, Action::Administer)?;
    // A new group keeps its books in the program's default currency.
    let currency = state.store.program_settings().await?.currency;
    let mut group = NewGroup::new(form.get("name"), currency, Vec::new())
        .map_err(|e| AppError::invalid("name", e.to_string()))?;
    if !form.get("code").trim().is_empty() {
        group = group
            .with_code(form.get("code"))
            .map_err(|e| AppError::invalid("code", e.to_string()))?;
    }
    let setup = state.store.create_group(&group).await?;
    Ok(Redirect::to(&format!("/groups/{}", setup.group.id)).into_response())
}

/// A new member joins: the group's treasurer or the admin enrolls her.
pub async fn add_member(
    State(state): State<AppState>,
    Path(group_id): Path<i64>,
    form: CheckedForm,
) -> Result<Response, PageError> {
    require(&form.session.principal, Action::EnrolMember(group_id))?;
    state.store.group(group_id).await?;
    let joined = crate::web::forms::today();
    let member = NewMember::new(form.get("code"), form.get("name"), joined).map_err(|e| {
        let field = if e.to_string().contains("code") {
            "code"
        } else {
            "name"
        };
        AppError::invalid(field, e.to_string())
    })?;
    state.store.add_member(group_id, &member).await?;
    Ok(Redirect::to(&format!("/groups/{group_id}")).into_response())
}

pub async fn issue_token(
    State(state): State<AppState>,
    form: CheckedForm,
) -> Result<Html<String>, PageError> {
    require(&form.session.principal, Action::Administer)?;
    let label = form.get("label").trim();
    if label.is_empty() || label.chars().count() > 100 {
        return Err(AppError::invalid("label", "1 to 100 characters").into());
    }
    let user_id: i64 = form
        .get("user")
        .parse()
        .map_err(|_| AppError::invalid("user", "choose a user"))?;
    let user = state.store.user(user_id).await?;
    let token = ApiToken::try_new()?;
    state
        .store
        .create_api_token(user.id, label, token.hash().as_str())
        .await?;
    page(
        &state,
        &form.session,
        Some((
            format!("{} ({label})", user.username),
            token.as_str().to_string(),
        )),
    )
    .await
}

pub async fn revoke_token(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    form: CheckedForm,
) -> Result<Response, PageError> {
    require(&form.session.principal, Action::Administer)?;
    state.store.revoke_api_token(id).await?;
    Ok(Redirect::to("/admin").into_response())
}

/// A program product as the admin's list shows it: its terms in plain words.
#[derive(Serialize)]
struct ProductView {
    id: i64,
    name: String,
    retired_on: Option<chrono::NaiveDate>,
    rate: String,
    method: &'static str,
    repaid: String,
    late_fine: String,
    loans: i64,
}

impl ProductView {
    fn new(used: &ProductUse, lang: Lang, currency: Currency) -> ProductView {
        let LoanProduct {
            id,
            name,
            settings,
            retired_on,
            ..
        } = &used.product;
        ProductView {
            id: *id,
            name: name.clone(),
            retired_on: *retired_on,
            rate: rate_words(settings, lang),
            method: t(
                lang,
                match settings.method {
                    InterestMethod::Declining => "loan.declining",
                    InterestMethod::Flat => "loan.flat",
                },
            ),
            repaid: repaid_words(settings, lang),
            late_fine: fine_words(settings, lang, currency),
            loans: used.loans,
        }
    }
}

fn rate_words(s: &LoanSettings, lang: Lang) -> String {
    let key = match s.rate_per {
        RatePer::Year => "admin.rate_a_year",
        RatePer::Month => "admin.rate_a_month",
    };
    tr(lang, key, &[("rate", &s.rate.normalize().to_string())])
}

fn repaid_words(s: &LoanSettings, lang: Lang) -> String {
    let key = match (s.frequency, s.every) {
        (Frequency::Week, 1) => "admin.repaid_weekly",
        (Frequency::Week, _) => "admin.repaid_every_weeks",
        (Frequency::Month, 1) => "admin.repaid_monthly",
        (Frequency::Month, _) => "admin.repaid_every_months",
    };
    tr(
        lang,
        key,
        &[
            ("installments", &s.installments.to_string()),
            ("every", &s.every.to_string()),
        ],
    )
}

/// A flat fine is shown in the program's default currency: products are
/// program-wide, and their amounts are minor units of the group's currency.
fn fine_words(s: &LoanSettings, lang: Lang, currency: Currency) -> String {
    let days = s.late_fine_grace_days.to_string();
    match &s.late_fine {
        LateFine::None => t(lang, "admin.fine_none").to_string(),
        LateFine::Flat { amount } => tr(
            lang,
            "admin.fine_flat",
            &[
                ("amount", &Money::from_minor(*amount, currency).grouped()),
                ("days", &days),
            ],
        ),
        LateFine::PercentOfOverdue { percent } => tr(
            lang,
            "admin.fine_percent",
            &[
                ("percent", &percent.normalize().to_string()),
                ("days", &days),
            ],
        ),
    }
}

pub async fn products_page(
    State(state): State<AppState>,
    session: Session,
) -> Result<Html<String>, PageError> {
    require(&session.principal, Action::Administer)?;
    let currency = state.store.program_settings().await?.currency;
    let products: Vec<ProductView> = state
        .store
        .program_products()
        .await?
        .iter()
        .map(|p| ProductView::new(p, session.lang, currency))
        .collect();
    let mut ctx = page_context(&session);
    ctx.insert("products", &products);
    ctx.insert("currency_symbol", currency.symbol());
    Ok(render(&state, "admin_products.html", session.lang, ctx).await?)
}

/// The program product a form names (`p<id>`), retired or not.
async fn program_product(state: &AppState, choice: &str) -> Result<ProductUse, AppError> {
    let refused = || AppError::invalid("product", "choose one of the program's loan products");
    let id: i64 = choice
        .strip_prefix('p')
        .and_then(|id| id.parse().ok())
        .ok_or_else(refused)?;
    state
        .store
        .program_products()
        .await?
        .into_iter()
        .find(|p| p.product.id == id)
        .ok_or_else(refused)
}

/// A new program product: an existing one's terms with whatever the form
/// changes, under a name no other program product on offer has. The terms
/// are read and checked exactly as a group's own product's are.
pub async fn create_product(
    State(state): State<AppState>,
    form: CheckedForm,
) -> Result<Response, PageError> {
    require(&form.session.principal, Action::Administer)?;
    let name = form.get("name").trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(AppError::invalid("name", "1 to 100 characters").into());
    }
    let base = program_product(&state, form.get("product")).await?;
    let currency = state.store.program_settings().await?.currency;
    let settings = super::loans::own_terms(&form, base.product.settings, currency)?;
    super::loans::check_terms(&settings, 100 * currency.scale(), currency.minor_units())?;
    state.store.create_product(None, name, &settings).await?;
    Ok(Redirect::to("/admin/products").into_response())
}

/// Retires a program product from today, or offers it again. Loans already
/// made with it keep their own copy of its terms either way.
pub async fn set_product_status(
    State(state): State<AppState>,
    Path(product_id): Path<i64>,
    form: CheckedForm,
) -> Result<Response, PageError> {
    require(&form.session.principal, Action::Administer)?;
    let retire = match form.get("status") {
        "retired" => true,
        "active" => false,
        _ => return Err(AppError::invalid("status", "retired or active").into()),
    };
    let product = state
        .store
        .program_products()
        .await?
        .into_iter()
        .find(|p| p.product.id == product_id)
        .ok_or(AppError::NotFound)?
        .product;
    // A second press of the same button keeps the first retirement date.
    if product.is_retired() != retire {
        let on = retire.then(today);
        state.store.set_product_retired(product_id, on).await?;
    }
    Ok(Redirect::to("/admin/products").into_response())
}

#[derive(Serialize)]
struct Choice {
    code: &'static str,
    name: &'static str,
}

pub async fn settings_page(
    State(state): State<AppState>,
    session: Session,
) -> Result<Html<String>, PageError> {
    require(&session.principal, Action::Administer)?;
    let settings = state.store.program_settings().await?;
    let langs: Vec<Choice> = Lang::ALL
        .iter()
        .map(|l| Choice {
            code: l.code(),
            name: l.native_name(),
        })
        .collect();
    let currencies: Vec<Choice> = Currency::known_codes()
        .into_iter()
        .filter_map(|code| Currency::from_code(code).ok())
        .map(|c| Choice {
            code: c.code(),
            name: c.name(),
        })
        .collect();
    let mut ctx = page_context(&session);
    ctx.insert("settings", &settings);
    ctx.insert("langs", &langs);
    ctx.insert("currencies", &currencies);
    Ok(render(&state, "admin_settings.html", session.lang, ctx).await?)
}

pub async fn save_settings(
    State(state): State<AppState>,
    form: CheckedForm,
) -> Result<Response, PageError> {
    require(&form.session.principal, Action::Administer)?;
    let settings = ProgramSettings::parse(
        form.get("program_name"),
        form.get("default_lang"),
        form.get("default_currency"),
    )
    .map_err(|e| AppError::invalid(e.field(), e.to_string()))?;
    state.store.set_program_settings(&settings).await?;
    Ok(Redirect::to("/admin/settings").into_response())
}
