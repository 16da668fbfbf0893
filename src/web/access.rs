//! The access log, written on every read of identity, rehabilitation or
//! incident data. A read that cannot be logged is not served: the log is
//! the woman's only way to know who looked.

use super::session::Principal;
use super::{AppError, AppState};
use crate::store::{Access, ClientId};

pub async fn log(
    state: &AppState,
    principal: &Principal,
    client_id: Option<ClientId>,
    record: &str,
    page: &str,
    reason: Option<&str>,
) -> Result<(), AppError> {
    // Only people with a user account reach sensitive records; authz has
    // already refused members and tokens.
    let user = principal.user().ok_or(AppError::Forbidden)?;
    state
        .store
        .log_access(&Access {
            user_id: user.id,
            actor: &user.display_name,
            role: principal.role_key(),
            client_id,
            record,
            page,
            reason,
        })
        .await?;
    Ok(())
}
