//! Signed-in sessions: a random token in an HttpOnly cookie, only its hash in
//! the database (so several servers share sessions), a CSRF token per
//! session that every form must echo back.

use super::{AppError, AppState};
use crate::auth::{Token, TokenHash};
use crate::groups::{GroupId, Member};
use crate::i18n::Lang;
use crate::store::{Role, SessionOwner, User};
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderValue};
use subtle::ConstantTimeEq;

pub const SESSION_COOKIE: &str = "sakhi_session";
/// Carries the sign-in form's CSRF token before there is a session.
pub const LOGIN_COOKIE: &str = "sakhi_login";
pub const SESSION_SECONDS: i64 = 12 * 3600;

#[derive(Debug, Clone)]
pub enum Principal {
    Admin(User),
    Staff(User),
    Counsellor(User),
    Treasurer { user: User, groups: Vec<GroupId> },
    Member(Member),
}

impl Principal {
    pub fn user(&self) -> Option<&User> {
        match self {
            Principal::Admin(u)
            | Principal::Staff(u)
            | Principal::Counsellor(u)
            | Principal::Treasurer { user: u, .. } => Some(u),
            Principal::Member(_) => None,
        }
    }

    pub fn name(&self) -> &str {
        match self {
            Principal::Member(m) => &m.display_name,
            other => other.user().map(|u| u.display_name.as_str()).unwrap_or(""),
        }
    }

    pub fn role_key(&self) -> &'static str {
        match self {
            Principal::Admin(_) => "admin",
            Principal::Staff(_) => "staff",
            Principal::Counsellor(_) => "counsellor",
            Principal::Treasurer { .. } => "treasurer",
            Principal::Member(_) => "member",
        }
    }

    pub async fn of_user(state: &AppState, user: User) -> Result<Principal, AppError> {
        let groups = match user.role {
            Role::Treasurer => state.store.treasurer_groups(user.id).await?,
            _ => Vec::new(),
        };
        Ok(Principal::with_groups(user, groups))
    }

    /// The principal of a user whose treasurer groups were read with her;
    /// `groups` counts only for a treasurer.
    pub fn with_groups(user: User, groups: Vec<GroupId>) -> Principal {
        match user.role {
            Role::Admin => Principal::Admin(user),
            Role::Staff => Principal::Staff(user),
            Role::Counsellor => Principal::Counsellor(user),
            Role::Treasurer => Principal::Treasurer { user, groups },
        }
    }
}

#[derive(Debug, Clone)]
pub struct Session {
    pub principal: Principal,
    pub csrf: String,
    pub lang: Lang,
    pub token_hash: String,
}

impl Session {
    pub fn check_csrf(&self, presented: &str) -> Result<(), AppError> {
        if equal(&self.csrf, presented) {
            Ok(())
        } else {
            Err(AppError::Csrf)
        }
    }
}

pub fn equal(a: &str, b: &str) -> bool {
    !a.is_empty() && a.len() == b.len() && bool::from(a.as_bytes().ct_eq(b.as_bytes()))
}

pub fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

pub fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_string())
}

/// `Set-Cookie` for a cookie only the server reads.
pub fn set_cookie(name: &str, value: &str, max_age: i64, secure: bool) -> HeaderValue {
    let secure = if secure { "; Secure" } else { "" };
    let text = format!("{name}={value}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age}{secure}");
    HeaderValue::from_str(&text).unwrap_or_else(|_| HeaderValue::from_static("invalid=1"))
}

/// A fresh session for someone who has just proved who she is: a new token
/// (the id changes at every sign-in) and a new CSRF token.
pub async fn start(state: &AppState, owner: SessionOwner) -> Result<HeaderValue, AppError> {
    let token = Token::try_new()?;
    let csrf = Token::try_new()?;
    let now = now();
    state
        .store
        .create_session(
            token.hash().as_str(),
            owner,
            csrf.as_str(),
            now,
            now + SESSION_SECONDS,
        )
        .await?;
    Ok(set_cookie(
        SESSION_COOKIE,
        token.as_str(),
        SESSION_SECONDS,
        state.secure_cookies,
    ))
}

async fn load(state: &AppState, headers: &HeaderMap) -> Result<Option<Session>, AppError> {
    let Some(token) = cookie(headers, SESSION_COOKIE) else {
        return Ok(None);
    };
    let token_hash = TokenHash::of(&token).into_string();
    let Some(record) = state.store.session(&token_hash, now()).await? else {
        return Ok(None);
    };
    let (principal, lang) = match record.owner {
        SessionOwner::User(id) => {
            let user = state.store.user(id).await?;
            let lang = user.lang;
            (Principal::of_user(state, user).await?, lang)
        }
        SessionOwner::Member(id) => {
            let member = state.store.member(id).await?;
            let lang = state.store.member_lang(id).await?;
            (Principal::Member(member), lang)
        }
    };
    Ok(Some(Session {
        principal,
        csrf: record.csrf_token,
        lang,
        token_hash,
    }))
}

/// The language of whoever the request's session belongs to; English when
/// there is none or it cannot be read (this only picks a page's words).
pub async fn lang_of(state: &AppState, headers: &HeaderMap) -> Lang {
    match load(state, headers).await {
        Ok(Some(session)) => session.lang,
        _ => Lang::En,
    }
}

impl FromRequestParts<AppState> for Session {
    type Rejection = super::PageError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let session = load(state, &parts.headers)
            .await?
            .ok_or(super::PageError(AppError::Unauthenticated))?;
        let must_change = session
            .principal
            .user()
            .is_some_and(|u| u.must_change_password);
        let path = parts.uri.path();
        if must_change && path != "/password" && path != "/logout" {
            return Err(super::PageError(AppError::PasswordChangeRequired));
        }
        Ok(session)
    }
}

/// The session if there is one (sign-in pages).
pub struct MaybeSession(pub Option<Session>);

impl FromRequestParts<AppState> for MaybeSession {
    type Rejection = super::PageError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        Ok(MaybeSession(load(state, &parts.headers).await?))
    }
}

/// A posted form from a signed-in person whose CSRF token matched: every
/// state-changing page handler takes one, so the check cannot be forgotten.
pub struct CheckedForm {
    pub session: Session,
    pub fields: Vec<(String, String)>,
}

/// Forms larger than this are refused before they are parsed.
pub const MAX_FORM_BYTES: usize = 256 * 1024;

impl FromRequest<AppState> for CheckedForm {
    type Rejection = super::PageError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let (mut parts, body) = req.into_parts();
        let session = Session::from_request_parts(&mut parts, state).await?;
        let bytes = axum::body::to_bytes(body, MAX_FORM_BYTES)
            .await
            .map_err(|_| AppError::invalid("form", "the form is too large"))?;
        let fields: Vec<(String, String)> = serde_urlencoded::from_bytes(&bytes)
            .map_err(|_| AppError::invalid("form", "the form could not be read"))?;
        let presented = fields
            .iter()
            .find(|(k, _)| k == "csrf")
            .map(|(_, v)| v.as_str())
            .unwrap_or("");
        session.check_csrf(presented)?;
        super::forms::refuse_nul(&fields)?;
        Ok(CheckedForm { session, fields })
    }
}

impl CheckedForm {
    pub fn get(&self, name: &str) -> &str {
        field(&self.fields, name)
    }

    /// Every value of a repeated field (checkboxes, multiple selects).
    pub fn get_all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.fields
            .iter()
            .filter(move |(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

pub fn field<'a>(fields: &'a [(String, String)], name: &str) -> &'a str {
    fields
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
        .unwrap_or("")
}
