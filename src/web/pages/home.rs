//! `/`: each person lands on her own first page.

use crate::web::session::{Principal, Session};
use crate::web::{AppError, PageError};
use axum::response::{IntoResponse, Redirect, Response};

pub async fn home(session: Session) -> Result<Response, PageError> {
    let to = match &session.principal {
        Principal::Member(_) => "/me".to_string(),
        Principal::Admin(_) | Principal::Staff(_) => "/staff".to_string(),
        Principal::Counsellor(_) => "/clients".to_string(),
        Principal::Treasurer { groups, .. } => match groups.first() {
            Some(g) => format!("/groups/{g}"),
            None => return Err(AppError::Forbidden.into()),
        },
    };
    Ok(Redirect::to(&to).into_response())
}
