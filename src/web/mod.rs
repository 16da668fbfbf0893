//! The web layer: axum routers for HTML pages and the JSON API.

pub mod access;
pub mod api;
pub mod authz;
pub mod batcher;
mod error;
pub mod forms;
pub mod pages;
pub mod session;

pub use error::{escape, AppError, PageError, UNAVAILABLE};

use crate::i18n::Lang;
use crate::store::Store;
use axum::extract::{ConnectInfo, FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{header, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::json;
use session::Session;
use std::net::SocketAddr;
use std::sync::Arc;
use tera::Tera;

#[derive(Clone)]
pub struct AppState {
    pub store: Arc<dyn Store>,
    pub templates: Arc<Tera>,
    /// Mark cookies Secure (the server is behind TLS).
    pub secure_cookies: bool,
    /// Seals and opens identities and incident narratives. Without it those
    /// records can be neither written nor read; the rest of Sakhi works.
    pub identity_key: Option<Arc<crate::crypto::IdentityKey>>,
    /// API repayments go through here, many to a transaction.
    pub repayments: Arc<batcher::RepaymentBatcher>,
}

impl AppState {
    pub fn new(store: Arc<dyn Store>) -> Result<AppState, tera::Error> {
        Ok(AppState {
            repayments: Arc::new(batcher::RepaymentBatcher::new(store.clone())),
            store,
            templates: Arc::new(templates()?),
            secure_cookies: false,
            identity_key: None,
        })
    }
}

macro_rules! embedded_templates {
    ($($name:literal),* $(,)?) => {
        [$(($name, include_str!(concat!("../../templates/", $name)))),*]
    };
}

/// Templates are compiled into the binary so that `sakhi serve` runs from
/// any folder.
pub fn templates() -> Result<Tera, tera::Error> {
    let mut tera = Tera::default();
    tera.add_raw_templates(embedded_templates![
        "base.html",
        "login.html",
        "password.html",
        "member.html",
        "group.html",
        "meeting_form.html",
        "meeting_review.html",
        "meeting.html",
        "staff.html",
        "passbook.html",
        "loans.html",
        "loan.html",
        "cash.html",
        "bank.html",
        "admin.html",
        "admin_products.html",
        "admin_settings.html",
        "loan_macros.html",
        "funds.html",
        "client_macros.html",
        "clients.html",
        "client.html",
        "access_log.html",
        "client_report.html",
        "linkage.html",
        "reports.html",
        "report.html",
        "program.html",
    ])?;
    tera.autoescape_on(vec![".html"]);
    crate::i18n::register(&mut tera);
    pages::reports::register_filters(&mut tera);
    Ok(tera)
}

const STYLESHEET: &str = include_str!("../../templates/style.css");

/// Renders a page in the person's language, with the program's name in the
/// header. The name is read from the database for each page (one row by its
/// key): several servers may share one PostgreSQL, and a copy kept in one
/// server would miss a save made through another.
pub async fn render(
    state: &AppState,
    template: &str,
    lang: Lang,
    mut ctx: tera::Context,
) -> Result<Html<String>, AppError> {
    let settings = state.store.program_settings().await?;
    ctx.insert("program_name", &settings.name);
    ctx.insert("lang", lang.code());
    ctx.insert("html_lang", lang.html_lang());
    Ok(Html(state.templates.render(template, &ctx)?))
}

/// What every signed-in page shows: who is signed in and the form token.
pub fn page_context(session: &Session) -> tera::Context {
    let mut ctx = tera::Context::new();
    ctx.insert("csrf", &session.csrf);
    ctx.insert("me", session.principal.name());
    ctx.insert("role", session.principal.role_key());
    ctx
}

/// The client's address for sign-in throttling ("unknown" without one).
pub struct ClientAddr(pub String);

impl<S: Send + Sync> FromRequestParts<S> for ClientAddr {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(ClientAddr(
            parts
                .extensions
                .get::<ConnectInfo<SocketAddr>>()
                .map(|c| c.0.ip().to_string())
                .unwrap_or_else(|| "unknown".into()),
        ))
    }
}

pub fn app(state: AppState) -> Router {
    use pages::*;
    Router::new()
        .route("/", get(home::home))
        .route("/login", get(login::login_page).post(login::login))
        .route("/logout", post(login::logout))
        .route(
            "/password",
            get(login::password_page).post(login::change_password),
        )
        .route("/lang", post(login::set_lang))
        .route("/me", get(member::own_page))
        .route("/staff", get(staff::dashboard))
        .route("/groups/{group}", get(group::group_home))
        .route(
            "/groups/{group}/meetings/new",
            get(meeting::new_meeting).post(meeting::edit_meeting),
        )
        .route(
            "/groups/{group}/meetings/review",
            post(meeting::review_meeting),
        )
        .route("/groups/{group}/meetings", post(meeting::save_meeting))
        .route(
            "/groups/{group}/meetings/{meeting}",
            get(meeting::show_meeting),
        )
        .route(
            "/groups/{group}/members/{member}/passbook",
            get(member::passbook),
        )
        .route(
            "/groups/{group}/cash",
            get(books::cash_page).post(books::count_cash),
        )
        .route(
            "/groups/{group}/bank",
            get(books::bank_page).post(books::read_passbook),
        )
        .route(
            "/groups/{group}/entries/{entry}/reverse",
            post(books::reverse),
        )
        .route("/groups/{group}/members/{member}/pin", post(books::set_pin))
        .route("/groups/{group}/loans", get(loans::list).post(loans::apply))
        .route("/groups/{group}/loans/{loan}", get(loans::show))
        .route("/groups/{group}/loans/{loan}/decision", post(loans::decide))
        .route(
            "/groups/{group}/loans/{loan}/disburse",
            post(loans::disburse),
        )
        .route("/groups/{group}/loans/{loan}/repay", post(loans::repay))
        .route(
            "/groups/{group}/loans/{loan}/reschedule",
            post(loans::reschedule),
        )
        .route(
            "/groups/{group}/loans/{loan}/write-off",
            post(loans::write_off),
        )
        .route("/admin", get(admin::admin_page))
        .route("/admin/users", post(admin::create_user))
        .route("/admin/users/{user}/groups", post(admin::assign_group))
        .route("/admin/users/{user}/active", post(admin::set_active))
        .route("/admin/groups", post(admin::create_group))
        .route("/admin/tokens", post(admin::issue_token))
        .route("/admin/tokens/{token}/revoke", post(admin::revoke_token))
        .route(
            "/admin/products",
            get(admin::products_page).post(admin::create_product),
        )
        .route(
            "/admin/products/{product}/status",
            post(admin::set_product_status),
        )
        .route(
            "/admin/settings",
            get(admin::settings_page).post(admin::save_settings),
        )
        .route("/groups/{group}/members", post(admin::add_member))
        .route("/groups/{group}/funds", get(funds::page))
        .route("/groups/{group}/funds/rules", post(funds::set_rules))
        .route("/groups/{group}/funds/borrowings", post(funds::receive))
        .route(
            "/groups/{group}/funds/borrowings/{borrowing}/repay",
            post(funds::repay_lender),
        )
        .route(
            "/groups/{group}/funds/social-payout",
            post(funds::social_payout),
        )
        .route("/groups/{group}/funds/late-fines", post(funds::late_fines))
        .route("/groups/{group}/funds/recovery", post(funds::recover))
        .route("/groups/{group}/funds/share-out", post(funds::share_out))
        .route(
            "/groups/{group}/loans/products",
            post(loans::create_product),
        )
        .route("/clients", get(clients::list).post(clients::create))
        .route("/clients/search", post(clients::search))
        .route("/clients/{code}", get(clients::show))
        .route("/clients/{code}/identity", post(clients::set_identity))
        .route(
            "/clients/{code}/identity/view",
            post(clients::view_identity),
        )
        .route("/clients/{code}/members", post(clients::link_member))
        .route("/clients/{code}/records/{kind}", post(clients::add_record))
        .route("/clients/{code}/consent", post(clients::consent))
        .route("/clients/{code}/incidents", post(clients::add_incident))
        .route(
            "/clients/{code}/incidents/{incident}",
            post(clients::update_incident),
        )
        .route(
            "/clients/{code}/incidents/{incident}/narrative",
            post(clients::view_narrative),
        )
        .route("/clients/{code}/report", get(linkage::client_page))
        .route("/reports/linkage", get(linkage::program_page))
        .route("/access-log", get(access_log::staff_view))
        .route("/me/access", get(access_log::own_view))
        .route("/groups/{group}/reports", get(reports::index))
        .route("/groups/{group}/reports/{report}", get(reports::show))
        .route("/reports/program", get(reports::program))
        .route(
            "/reports/program/trial-balance",
            get(reports::program_trial_balance),
        )
        .nest("/api/v1", api::router())
        // The nest's fallback does not see `/api/v1/` itself (its tail is
        // empty); an API client there gets the API's JSON 404, not a page.
        .route("/api/v1/", axum::routing::any(api::api_not_found))
        .route("/health", get(health))
        .route("/static/style.css", get(stylesheet))
        .fallback(not_found)
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            error::localize,
        ))
        .with_state(state)
}

async fn not_found() -> PageError {
    PageError(AppError::NotFound)
}

/// 200 when the database answers, 503 when it does not: a load balancer's signal.
async fn health(State(state): State<AppState>) -> Response {
    let backend = state.store.backend();
    match state.store.ping().await {
        Ok(()) => {
            Json(json!({ "status": "ok", "database": "ok", "backend": backend })).into_response()
        }
        Err(e) => {
            tracing::warn!(error = %e, "health check: database unreachable");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                Json(json!({ "status": "unavailable", "database": "unreachable", "backend": backend })),
            )
                .into_response()
        }
    }
}

async fn stylesheet() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=86400"),
        ],
        STYLESHEET,
    )
}
