//! Who may sign in, and their sessions, failed attempts and API tokens. The
//! store keeps only hashes: Argon2id PHC strings for passwords and PINs,
//! SHA-256 for session and API tokens.

use super::StoreResult;
use crate::groups::{GroupId, Member};
use crate::i18n::Lang;
use crate::ledger::MemberId;
use async_trait::async_trait;
use serde::Serialize;
use std::fmt;
use std::str::FromStr;

pub type UserId = i64;

/// Roles of people who sign in with a username. Members sign in with their
/// member code and PIN and have no `Role` row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Program admin: users, groups, products, settings.
    Admin,
    /// Program staff: every group, read-mostly, approvals.
    Staff,
    /// Counsellor: the rehabilitation, livelihood and incident records of
    /// the program's clients; no group books.
    Counsellor,
    /// A group's treasurer: only her own groups.
    Treasurer,
}

impl Role {
    pub const ALL: [Role; 4] = [Role::Admin, Role::Staff, Role::Counsellor, Role::Treasurer];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Staff => "staff",
            Role::Counsellor => "counsellor",
            Role::Treasurer => "treasurer",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Role {
    type Err = String;
    fn from_str(s: &str) -> Result<Role, String> {
        Role::ALL
            .into_iter()
            .find(|r| r.as_str() == s)
            .ok_or_else(|| format!("role must be admin, staff, counsellor or treasurer, not {s:?}"))
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct User {
    pub id: UserId,
    pub username: String,
    pub display_name: String,
    pub role: Role,
    pub must_change_password: bool,
    pub lang: Lang,
    pub active: bool,
}

pub struct NewUser<'a> {
    pub username: &'a str,
    pub display_name: &'a str,
    pub role: Role,
    pub password_hash: &'a str,
    pub must_change_password: bool,
    pub lang: Lang,
}

/// Who a session or token belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionOwner {
    User(UserId),
    Member(MemberId),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionRecord {
    pub owner: SessionOwner,
    pub csrf_token: String,
    pub expires_at: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ApiTokenInfo {
    pub id: i64,
    pub user_id: UserId,
    pub username: String,
    pub label: String,
    pub created_at: String,
    pub revoked: bool,
}

#[async_trait]
pub trait AuthStore: Send + Sync {
    async fn count_users(&self) -> StoreResult<i64>;
    async fn create_user(&self, user: &NewUser<'_>) -> StoreResult<User>;
    async fn user(&self, id: UserId) -> StoreResult<User>;
    async fn users(&self) -> StoreResult<Vec<User>>;
    /// The user and her password hash, for signing in.
    async fn user_login(&self, username: &str) -> StoreResult<Option<(User, String)>>;
    /// Sets a new password hash and ends every session of the user.
    async fn set_password(
        &self,
        id: UserId,
        password_hash: &str,
        must_change: bool,
    ) -> StoreResult<()>;
    async fn set_user_active(&self, id: UserId, active: bool) -> StoreResult<()>;
    async fn set_user_lang(&self, id: UserId, lang: Lang) -> StoreResult<()>;

    async fn assign_treasurer(&self, user: UserId, group: GroupId) -> StoreResult<()>;
    async fn treasurer_groups(&self, user: UserId) -> StoreResult<Vec<GroupId>>;
    /// Every (treasurer, group) assignment, by user then group: the admin's
    /// list in one read.
    async fn treasurer_assignments(&self) -> StoreResult<Vec<(UserId, GroupId)>>;

    /// Sets (or replaces) the member's PIN; she signs in with her member code,
    /// which must not already be another member's sign-in code.
    async fn set_member_pin(&self, member: MemberId, pin_hash: &str) -> StoreResult<()>;
    async fn member_login(&self, code: &str) -> StoreResult<Option<(Member, String, Lang)>>;
    async fn member_lang(&self, member: MemberId) -> StoreResult<Lang>;
    async fn set_member_lang(&self, member: MemberId, lang: Lang) -> StoreResult<()>;
    async fn member(&self, id: MemberId) -> StoreResult<Member>;

    async fn create_session(
        &self,
        token_hash: &str,
        owner: SessionOwner,
        csrf_token: &str,
        now: i64,
        expires_at: i64,
    ) -> StoreResult<()>;
    /// The live session with this token hash (expired ones are `None`).
    async fn session(&self, token_hash: &str, now: i64) -> StoreResult<Option<SessionRecord>>;
    async fn end_session(&self, token_hash: &str) -> StoreResult<()>;

    async fn record_login_failure(&self, key: &str, at: i64) -> StoreResult<()>;
    /// Failure times for the key since `since` (Unix seconds), oldest first.
    async fn login_failures(&self, key: &str, since: i64) -> StoreResult<Vec<i64>>;
    async fn clear_login_failures(&self, key: &str) -> StoreResult<()>;

    async fn create_api_token(
        &self,
        user: UserId,
        label: &str,
        token_hash: &str,
    ) -> StoreResult<i64>;
    /// The active user behind a token that is not revoked, with the groups
    /// she keeps as a treasurer (none for other roles), in one read: every
    /// API request asks this before anything else.
    async fn api_token_user(&self, token_hash: &str) -> StoreResult<Option<(User, Vec<GroupId>)>>;
    async fn api_tokens(&self) -> StoreResult<Vec<ApiTokenInfo>>;
    async fn revoke_api_token(&self, id: i64) -> StoreResult<()>;
}
