//! The web layer: axum routers for HTML pages and the JSON API.

mod error;

pub use error::AppError;

use crate::store::Store;
use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::json;
use std::sync::Arc;
use tera::Tera;

#[derive(Clone)]
pub struct AppState {
    pub store: Arc<dyn Store>,
    pub templates: Arc<Tera>,
}

/// Templates are compiled into the binary so that `sakhi serve` runs from
/// any folder.
pub fn templates() -> Result<Tera, tera::Error> {
    let mut tera = Tera::default();
    tera.add_raw_templates([
        ("base.html", include_str!("../../templates/base.html")),
        ("home.html", include_str!("../../templates/home.html")),
    ])?;
    tera.autoescape_on(vec![".html"]);
    Ok(tera)
}

const STYLESHEET: &str = include_str!("../../templates/style.css");

pub fn app(state: AppState) -> Router {
    Router::new()
        .route("/", get(home))
        .route("/health", get(health))
        .route("/static/style.css", get(stylesheet))
        .with_state(state)
}

async fn home(State(state): State<AppState>) -> Result<Html<String>, AppError> {
    let groups = state.store.groups().await?;
    let books = state.store.books().await?;
    let mut ctx = tera::Context::new();
    ctx.insert("groups", &groups.len());
    ctx.insert("books", &books.len());
    ctx.insert("group_list", &groups);
    ctx.insert("backend", &state.store.backend());
    Ok(Html(state.templates.render("home.html", &ctx)?))
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
