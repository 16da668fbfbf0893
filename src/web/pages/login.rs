//! Signing in and out, and changing a password. Failed attempts are counted
//! per account and per address in the database and slow down further tries.

use crate::auth::{self, Decision, ThrottlePolicy, Token};
use crate::i18n::Lang;
use crate::store::SessionOwner;
use crate::web::session::{
    cookie, equal, field, set_cookie, start, CheckedForm, MaybeSession, Session, LOGIN_COOKIE,
    SESSION_COOKIE,
};
use crate::web::{render, AppError, AppState, ClientAddr, PageError};
use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use chrono::{DateTime, Utc};
use serde::Deserialize;

#[derive(Deserialize, Default)]
pub struct LangQuery {
    lang: Option<String>,
}

fn lang_of(code: Option<&str>) -> Lang {
    code.and_then(Lang::from_code).unwrap_or_default()
}

pub async fn login_page(
    State(state): State<AppState>,
    MaybeSession(session): MaybeSession,
    Query(q): Query<LangQuery>,
) -> Result<Response, PageError> {
    if session.is_some() {
        return Ok(Redirect::to("/").into_response());
    }
    login_form(&state, lang_of(q.lang.as_deref()), None, StatusCode::OK).await
}

async fn login_form(
    state: &AppState,
    lang: Lang,
    error: Option<String>,
    status: StatusCode,
) -> Result<Response, PageError> {
    let csrf = Token::try_new()?;
    let mut ctx = tera::Context::new();
    ctx.insert("csrf", csrf.as_str());
    ctx.insert("error", &error);
    ctx.insert("langs", &Lang::ALL.map(|l| (l.code(), l.native_name())));
    let html = render(state, "login.html", lang, ctx).await?;
    let mut response = (status, html).into_response();
    response.headers_mut().insert(
        header::SET_COOKIE,
        set_cookie(LOGIN_COOKIE, csrf.as_str(), 3600, state.secure_cookies),
    );
    Ok(response)
}

/// Whether another attempt may be made now, by the failures in the window.
async fn throttle(state: &AppState, keys: [&str; 2]) -> Result<(), AppError> {
    let policy = ThrottlePolicy::default();
    let now = Utc::now();
    let since = (now - policy.window).timestamp();
    let mut lists = Vec::new();
    for key in keys {
        let times: Vec<DateTime<Utc>> = state
            .store
            .login_failures(key, since)
            .await?
            .into_iter()
            .filter_map(|t| DateTime::from_timestamp(t, 0))
            .collect();
        lists.push(times);
    }
    let last = lists.iter().flatten().max().copied();
    match auth::decide(&policy, now, &lists[0], &lists[1]) {
        Decision::Allow => Ok(()),
        Decision::Delay(delay) => {
            let ready = last.map(|l| l + chrono::Duration::from_std(delay).unwrap_or_default());
            match ready {
                Some(ready) if ready > now => Err(AppError::TooManyAttempts(
                    (ready - now).num_seconds().max(1) as u64,
                )),
                _ => Ok(()),
            }
        }
        Decision::Locked { until } => Err(AppError::TooManyAttempts(
            (until - now).num_seconds().max(1) as u64,
        )),
    }
}

/// Argon2 is deliberately slow: keep it off the async workers.
async fn verify(secret: String, hash: Option<String>) -> bool {
    tokio::task::spawn_blocking(move || match hash {
        Some(hash) => auth::verify_secret(&secret, &hash),
        None => {
            auth::dummy_verify(&secret);
            false
        }
    })
    .await
    .unwrap_or(false)
}

pub async fn login(
    State(state): State<AppState>,
    ClientAddr(addr): ClientAddr,
    headers: HeaderMap,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let lang = lang_of(Some(field(&fields, "lang")));
    let presented = field(&fields, "csrf");
    let expected = cookie(&headers, LOGIN_COOKIE).unwrap_or_default();
    if !equal(&expected, presented) {
        return Err(AppError::Csrf.into());
    }
    crate::web::forms::refuse_nul(&fields)?;
    let member = field(&fields, "kind") == "member";
    let (account, secret) = if member {
        (
            field(&fields, "code").trim().to_ascii_uppercase(),
            field(&fields, "pin"),
        )
    } else {
        (
            auth::normalize_username(field(&fields, "username")),
            field(&fields, "password"),
        )
    };
    let account_key = format!("acct:{}:{account}", if member { "member" } else { "user" });
    let address_key = format!("addr:{addr}");
    if let Err(e) = throttle(&state, [&account_key, &address_key]).await {
        let message = match &e {
            AppError::TooManyAttempts(secs) => crate::i18n::tr(
                lang,
                "login.too_many_attempts",
                &[("minutes", &secs.div_ceil(60).to_string())],
            ),
            other => other.to_string(),
        };
        return login_form(&state, lang, Some(message), StatusCode::TOO_MANY_REQUESTS).await;
    }
    let owner = if member {
        let found = state.store.member_login(&account).await?;
        let hash = found.as_ref().map(|f| f.1.clone());
        let ok = verify(secret.to_string(), hash).await;
        found
            .filter(|_| ok)
            .map(|(m, _, _)| SessionOwner::Member(m.id))
    } else {
        let found = state.store.user_login(&account).await?;
        let hash = found
            .as_ref()
            .filter(|(u, _)| u.active)
            .map(|f| f.1.clone());
        let ok = verify(secret.to_string(), hash).await;
        found
            .filter(|(u, _)| ok && u.active)
            .map(|(u, _)| SessionOwner::User(u.id))
    };
    let now = crate::web::session::now();
    let Some(owner) = owner else {
        state.store.record_login_failure(&account_key, now).await?;
        state.store.record_login_failure(&address_key, now).await?;
        let message = crate::i18n::t(lang, "login.bad_credentials").to_string();
        return login_form(&state, lang, Some(message), StatusCode::UNAUTHORIZED).await;
    };
    state.store.clear_login_failures(&account_key).await?;
    // A session cookie someone already had is ended: the id changes at sign-in.
    if let Some(old) = cookie(&headers, SESSION_COOKIE) {
        state
            .store
            .end_session(auth::TokenHash::of(&old).as_str())
            .await?;
    }
    if let SessionOwner::Member(id) = owner {
        if Lang::from_code(field(&fields, "lang")).is_some() {
            state.store.set_member_lang(id, lang).await?;
        }
    }
    let session_cookie = start(&state, owner).await?;
    let mut response = Redirect::to("/").into_response();
    response
        .headers_mut()
        .append(header::SET_COOKIE, session_cookie);
    response.headers_mut().append(
        header::SET_COOKIE,
        set_cookie(LOGIN_COOKIE, "", 0, state.secure_cookies),
    );
    Ok(response)
}

pub async fn logout(
    State(state): State<AppState>,
    form: CheckedForm,
) -> Result<Response, PageError> {
    state.store.end_session(&form.session.token_hash).await?;
    let mut response = Redirect::to("/login").into_response();
    response.headers_mut().insert(
        header::SET_COOKIE,
        set_cookie(SESSION_COOKIE, "", 0, state.secure_cookies),
    );
    Ok(response)
}

pub async fn password_page(
    State(state): State<AppState>,
    session: Session,
) -> Result<Response, PageError> {
    password_form(&state, &session, None, StatusCode::OK).await
}

async fn password_form(
    state: &AppState,
    session: &Session,
    error: Option<(String, String)>,
    status: StatusCode,
) -> Result<Response, PageError> {
    if session.principal.user().is_none() {
        return Err(AppError::NotFound.into());
    }
    let mut ctx = crate::web::page_context(session);
    ctx.insert("error", &error);
    Ok((
        status,
        render(state, "password.html", session.lang, ctx).await?,
    )
        .into_response())
}

pub async fn change_password(
    State(state): State<AppState>,
    form: CheckedForm,
) -> Result<Response, PageError> {
    let session = &form.session;
    let Some(user) = session.principal.user() else {
        return Err(AppError::NotFound.into());
    };
    let lang = session.lang;
    let Some((_, hash)) = state.store.user_login(&user.username).await? else {
        return Err(AppError::NotFound.into());
    };
    if !verify(form.get("current").to_string(), Some(hash)).await {
        let message = crate::i18n::t(lang, "login.current_password_wrong").to_string();
        return password_form(
            &state,
            session,
            Some(("current".into(), message)),
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    }
    if let Err(e) = auth::check_new_password(form.get("new"), form.get("repeat")) {
        let key = match e {
            auth::PasswordError::Mismatch { .. } => "login.password_mismatch",
            _ => "login.password_rule",
        };
        let message = format!(
            "{} ({})",
            crate::i18n::t(lang, key),
            crate::i18n::message(lang, &e.to_string())
        );
        return password_form(
            &state,
            session,
            Some(("new".into(), message)),
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    }
    let new = form.get("new").to_string();
    let hash = crate::web::forms::hash_secret(new).await?;
    // Every session of hers ends with the old password; this one restarts.
    state.store.set_password(user.id, &hash, false).await?;
    let session_cookie = start(&state, SessionOwner::User(user.id)).await?;
    let mut response = Redirect::to("/").into_response();
    response
        .headers_mut()
        .insert(header::SET_COOKIE, session_cookie);
    Ok(response)
}

pub async fn set_lang(
    State(state): State<AppState>,
    form: CheckedForm,
) -> Result<Response, PageError> {
    let lang = Lang::from_code(form.get("lang"))
        .ok_or_else(|| AppError::invalid("lang", "choose en, hi or mni"))?;
    match &form.session.principal {
        crate::web::session::Principal::Member(m) => {
            state.store.set_member_lang(m.id, lang).await?
        }
        other => {
            if let Some(u) = other.user() {
                state.store.set_user_lang(u.id, lang).await?;
            }
        }
    }
    Ok(Redirect::to("/").into_response())
}
