//! One error type for every handler: clear 4xx answers for what the caller
//! can fix, a 503 to try again later when the database cannot be reached,
//! and a generic 500 (with the cause chain logged) for everything else.
//! The API answers JSON (`AppError`); pages answer HTML (`PageError`).

use crate::i18n::{self, Lang};
use crate::store::StoreError;
use axum::http::{header, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::Json;
use serde_json::json;
use std::collections::BTreeMap;

/// What a person is told when the database cannot be reached. The key is
/// what makes trying again safe: a request that did post (the connection
/// may drop after the commit) is answered again, not posted twice.
pub const UNAVAILABLE: &str = "the books cannot be reached just now: try again in a little while; \
     sending the same request again with the same idempotency key never posts it twice";

/// How long a client is asked to wait before trying again (`Retry-After`):
/// long enough for a database restart or failover, short enough that a
/// treasurer at a meeting is not kept waiting.
const RETRY_AFTER_SECONDS: u64 = 10;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("template error: {0}")]
    Template(#[from] tera::Error),
    #[error("not found")]
    NotFound,
    #[error("you do not have access to this")]
    Forbidden,
    #[error("sign in first")]
    Unauthenticated,
    #[error("the form has expired or did not come from this site: reload the page and try again")]
    Csrf,
    /// Input that breaks a rule: a message per field.
    #[error("{message}")]
    Invalid {
        message: String,
        fields: BTreeMap<String, String>,
    },
    #[error("too many attempts: try again in {0} seconds")]
    TooManyAttempts(u64),
    #[error("internal error: {0}")]
    Internal(String),
    #[error("change your one-time password first")]
    PasswordChangeRequired,
}

impl AppError {
    pub fn invalid(field: &str, message: impl Into<String>) -> AppError {
        let message = message.into();
        AppError::Invalid {
            fields: BTreeMap::from([(field.to_string(), message.clone())]),
            message: format!("{field}: {message}"),
        }
    }

    pub fn status(&self) -> StatusCode {
        match self {
            AppError::Store(e) => match e {
                StoreError::NotFound { .. } => StatusCode::NOT_FOUND,
                StoreError::IdempotencyConflict { .. }
                | StoreError::AlreadyReversed { .. }
                | StoreError::Duplicate(_) => StatusCode::CONFLICT,
                StoreError::InvalidReversal(_)
                | StoreError::Invalid(_)
                | StoreError::Overflow
                | StoreError::Entry(_)
                | StoreError::Allocation(_)
                | StoreError::Schedule(_) => StatusCode::UNPROCESSABLE_ENTITY,
                StoreError::LoanState(_) | StoreError::InsufficientBalance { .. } => {
                    StatusCode::CONFLICT
                }
                StoreError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
                StoreError::Corrupt(_) | StoreError::Database(_) | StoreError::Migrate(_) => {
                    StatusCode::INTERNAL_SERVER_ERROR
                }
            },
            AppError::NotFound => StatusCode::NOT_FOUND,
            AppError::Forbidden | AppError::Csrf | AppError::PasswordChangeRequired => {
                StatusCode::FORBIDDEN
            }
            AppError::Unauthenticated => StatusCode::UNAUTHORIZED,
            AppError::Invalid { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            AppError::TooManyAttempts(_) => StatusCode::TOO_MANY_REQUESTS,
            AppError::Template(_) | AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// What the person is told: the error itself for 4xx, nothing internal
    /// for 5xx (the cause chain goes to the log).
    pub fn public_message(&self) -> String {
        let status = self.status();
        if !status.is_server_error() {
            return self.to_string();
        }
        let mut chain = self.to_string();
        let mut source = std::error::Error::source(self);
        while let Some(cause) = source {
            chain.push_str(": ");
            chain.push_str(&cause.to_string());
            source = cause.source();
        }
        if status == StatusCode::SERVICE_UNAVAILABLE {
            // An outage, not a bug: logged, but as a warning, and the person
            // learns that waiting and sending again is what to do.
            tracing::warn!(error = %chain, "request failed: database unavailable");
            return UNAVAILABLE.to_string();
        }
        tracing::error!(error = %chain, "request failed");
        "something went wrong on our side; the error has been logged".to_string()
    }

    fn fields(&self) -> BTreeMap<String, String> {
        match self {
            AppError::Invalid { fields, .. } => fields.clone(),
            _ => BTreeMap::new(),
        }
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let status = self.status();
        let fields = self.fields();
        let message = self.public_message();
        let mut response =
            (status, Json(json!({ "error": message, "fields": fields }))).into_response();
        if status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                header::HeaderValue::from_static("Bearer"),
            );
        }
        retry_after(status, &mut response);
        response
    }
}

/// Asks the client to wait before sending again when the database is away.
fn retry_after(status: StatusCode, response: &mut Response) {
    if status == StatusCode::SERVICE_UNAVAILABLE {
        response.headers_mut().insert(
            header::RETRY_AFTER,
            header::HeaderValue::from(RETRY_AFTER_SECONDS),
        );
    }
}

/// An error on an HTML page: a small page of its own, or the sign-in page
/// when the session is missing.
#[derive(Debug)]
pub struct PageError(pub AppError);

impl<E: Into<AppError>> From<E> for PageError {
    fn from(e: E) -> PageError {
        PageError(e.into())
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        match self.0 {
            AppError::Unauthenticated => return Redirect::to("/login").into_response(),
            AppError::PasswordChangeRequired => return Redirect::to("/password").into_response(),
            _ => {}
        }
        let page = ErrorPage {
            status: self.0.status(),
            message: self.0.public_message(),
            fields: self.0.fields(),
        };
        let mut response = (page.status, Html(page.html(Lang::En))).into_response();
        retry_after(page.status, &mut response);
        // The handler that failed may not know the person's language (an
        // extractor refused before it ran): `localize` re-renders the page
        // in her language from this.
        response.extensions_mut().insert(page);
        response
    }
}

/// What an error page says, kept on the response until its language is known.
#[derive(Debug, Clone)]
pub struct ErrorPage {
    status: StatusCode,
    /// English, as the code wrote it.
    message: String,
    /// Each refused field's English message.
    fields: BTreeMap<String, String>,
}

impl ErrorPage {
    pub fn html(&self, lang: Lang) -> String {
        let title = i18n::t(
            lang,
            match self.status {
                StatusCode::NOT_FOUND => "common.not_found",
                StatusCode::FORBIDDEN => "common.forbidden",
                s if s.is_server_error() => "common.error",
                _ => "common.check_input",
            },
        );
        let lines: Vec<String> = if self.fields.is_empty() {
            vec![i18n::message(lang, &self.message)]
        } else {
            self.fields
                .iter()
                .map(|(field, message)| {
                    format!(
                        "{}: {}",
                        i18n::field_label(lang, field),
                        i18n::message(lang, message)
                    )
                })
                .collect()
        };
        let lines: String = lines
            .iter()
            .map(|line| format!("<p class=\"error\">{}</p>", escape(line)))
            .collect();
        format!(
            "<!doctype html><html lang=\"{html_lang}\"><head><meta charset=\"utf-8\">\
             <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
             <title>{title}</title><link rel=\"stylesheet\" href=\"/static/style.css\"></head>\
             <body><header><a href=\"/\" class=\"brand\">{brand}</a></header><main>\
             <h1>{title}</h1>{lines}<p><a href=\"/\">{home}</a></p></main></body></html>",
            html_lang = lang.html_lang(),
            title = escape(title),
            brand = escape(i18n::t(lang, "common.app_name")),
            home = escape(i18n::t(lang, "common.home")),
        )
    }
}

/// Middleware: an error page in the language of whoever is signed in. Only
/// failed requests pay for the extra session read.
pub async fn localize(
    axum::extract::State(state): axum::extract::State<super::AppState>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    // Only the cookies say whose session it is; keep them, not every header.
    let mut cookies = axum::http::HeaderMap::new();
    for value in request.headers().get_all(header::COOKIE) {
        cookies.append(header::COOKIE, value.clone());
    }
    let mut response = next.run(request).await;
    let Some(page) = response.extensions_mut().remove::<ErrorPage>() else {
        return response;
    };
    let lang = super::session::lang_of(&state, &cookies).await;
    if lang != Lang::En {
        *response.body_mut() = axum::body::Body::from(page.html(lang));
        response.headers_mut().remove(header::CONTENT_LENGTH);
    }
    response
}

pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_database_out_of_reach_is_a_503_to_try_again_with_the_same_key() {
        let error = AppError::from(StoreError::from(sqlx::Error::PoolTimedOut));
        let response = error.into_response();
        assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(
            response.headers().get(header::RETRY_AFTER),
            Some(&header::HeaderValue::from(RETRY_AFTER_SECONDS))
        );
        let body = axum::body::to_bytes(response.into_body(), 64 * 1024)
            .await
            .unwrap();
        let body: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(body["error"], UNAVAILABLE, "{body}");
        // Not the pool's own words: those are for the log.
        assert!(!body.to_string().contains("pool"), "{body}");
    }

    #[test]
    fn other_database_errors_stay_a_generic_500_without_retry_after() {
        let error = AppError::from(StoreError::from(sqlx::Error::RowNotFound));
        assert_eq!(error.status(), StatusCode::INTERNAL_SERVER_ERROR);
        let response = error.into_response();
        assert!(response.headers().get(header::RETRY_AFTER).is_none());
    }

    #[test]
    fn an_error_page_for_an_outage_asks_to_retry_too() {
        let page = PageError(AppError::from(StoreError::from(sqlx::Error::PoolClosed)));
        let response = page.into_response();
        assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert!(response.headers().get(header::RETRY_AFTER).is_some());
        let hindi = response
            .extensions()
            .get::<ErrorPage>()
            .map(|page| page.html(Lang::Hi))
            .unwrap_or_default();
        assert!(hindi.contains("idempotency key"), "{hindi}");
        assert!(!hindi.contains("cannot be reached"), "{hindi}");
    }
}
