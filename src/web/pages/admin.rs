//! The program admin's page: people who sign in, their groups, new groups
//! and members, API tokens. One-time passwords and tokens are shown once.

use crate::auth::{self, ApiToken};
use crate::groups::{NewGroup, NewMember};
use crate::i18n::Lang;
use crate::money::Currency;
use crate::store::auth::NewUser;
use crate::store::Role;
use crate::web::authz::{require, Action};
use crate::web::session::{CheckedForm, Session};
use crate::web::{page_context, render, AppError, AppState, PageError};
use axum::extract::{Path, State};
use axum::response::{Html, IntoResponse, Redirect, Response};

async fn page(
    state: &AppState,
    session: &Session,
    shown_once: Option<(String, String)>,
) -> Result<Html<String>, PageError> {
    require(&session.principal, Action::Administer)?;
    let users = state.store.users().await?;
    let mut assigned = Vec::new();
    for u in &users {
        let groups = if u.role == Role::Treasurer {
            state.store.treasurer_groups(u.id).await?
        } else {
            Vec::new()
        };
        assigned.push((u, groups));
    }
    let mut ctx = page_context(session);
    ctx.insert("users", &assigned);
    ctx.insert("groups", &state.store.groups().await?);
    ctx.insert("tokens", &state.store.api_tokens().await?);
    ctx.insert("shown_once", &shown_once);
    Ok(render(state, "admin.html", session.lang, ctx)?)
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
            lang: Lang::from_code(form.get("lang")).unwrap_or_default(),
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
    let mut group = NewGroup::new(form.get("name"), Currency::inr(), Vec::new())
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
