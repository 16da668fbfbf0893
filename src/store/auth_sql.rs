//! SQL for `AuthStore`, stamped out for both backends.

use super::auth::{Role, User};
use super::{StoreError, StoreResult};
use crate::i18n::Lang;

pub(super) const USER_COLUMNS: &str =
    "SELECT id, username, display_name, role, must_change_password, lang, active FROM users";

pub(super) type UserRow = (i64, String, String, String, bool, String, bool);

pub(super) fn user_of(r: UserRow) -> StoreResult<User> {
    let (id, username, display_name, role, must_change_password, lang, active) = r;
    Ok(User {
        id,
        username,
        display_name,
        role: role.parse::<Role>().map_err(StoreError::Corrupt)?,
        must_change_password,
        lang: Lang::from_code(&lang).unwrap_or_default(),
        active,
    })
}

macro_rules! impl_auth_store {
    ($store:ident, $db:ty) => {
        mod auth_impl {
            use super::$store;
            use $crate::groups::{GroupId, Member};
            use $crate::i18n::Lang;
            use $crate::ledger::MemberId;
            use $crate::store::auth::{
                ApiTokenInfo, AuthStore, NewUser, SessionOwner, SessionRecord, User, UserId,
            };
            use $crate::store::auth_sql::{user_of, UserRow, USER_COLUMNS};
            use $crate::store::shared::{MemberRow, MEMBER_COLUMNS};
            use $crate::store::{StoreError, StoreResult};
            use chrono::Utc;

            #[async_trait::async_trait]
            impl AuthStore for $store {
                async fn count_users(&self) -> StoreResult<i64> {
                    let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM users")
                        .fetch_one(&self.pool)
                        .await?;
                    Ok(n)
                }

                async fn create_user(&self, user: &NewUser<'_>) -> StoreResult<User> {
                    let (_guard, mut tx) = self.begin_write().await?;
                    let (id,): (i64,) = sqlx::query_as(
                        "INSERT INTO users (username, display_name, role, password_hash, \
                         must_change_password, lang, active, created_at) \
                         VALUES ($1, $2, $3, $4, $5, $6, TRUE, $7) RETURNING id",
                    )
                    .bind(user.username)
                    .bind(user.display_name.trim())
                    .bind(user.role.as_str())
                    .bind(user.password_hash)
                    .bind(user.must_change_password)
                    .bind(user.lang.code())
                    .bind(Utc::now())
                    .fetch_one(&mut *tx)
                    .await?;
                    tx.commit().await?;
                    self.user(id).await
                }

                async fn user(&self, id: UserId) -> StoreResult<User> {
                    let row: Option<UserRow> = sqlx::query_as(&format!("{USER_COLUMNS} WHERE id = $1"))
                        .bind(id)
                        .fetch_optional(&self.pool)
                        .await?;
                    row.ok_or_else(|| StoreError::not_found("user", id)).and_then(user_of)
                }

                async fn users(&self) -> StoreResult<Vec<User>> {
                    let rows: Vec<UserRow> = sqlx::query_as(&format!("{USER_COLUMNS} ORDER BY username"))
                        .fetch_all(&self.pool)
                        .await?;
                    rows.into_iter().map(user_of).collect()
                }

                async fn user_login(&self, username: &str) -> StoreResult<Option<(User, String)>> {
                    let row: Option<(i64, String)> =
                        sqlx::query_as("SELECT id, password_hash FROM users WHERE username = $1")
                            .bind(username)
                            .fetch_optional(&self.pool)
                            .await?;
                    match row {
                        None => Ok(None),
                        Some((id, hash)) => Ok(Some((self.user(id).await?, hash))),
                    }
                }

                async fn set_password(&self, id: UserId, hash: &str, must_change: bool) -> StoreResult<()> {
                    let (_guard, mut tx) = self.begin_write().await?;
                    let done = sqlx::query(
                        "UPDATE users SET password_hash = $1, must_change_password = $2 WHERE id = $3",
                    )
                    .bind(hash)
                    .bind(must_change)
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
                    if done.rows_affected() == 0 {
                        return Err(StoreError::not_found("user", id));
                    }
                    sqlx::query("DELETE FROM sessions WHERE user_id = $1")
                        .bind(id)
                        .execute(&mut *tx)
                        .await?;
                    tx.commit().await?;
                    Ok(())
                }

                async fn set_user_active(&self, id: UserId, active: bool) -> StoreResult<()> {
                    let (_guard, mut tx) = self.begin_write().await?;
                    sqlx::query("UPDATE users SET active = $1 WHERE id = $2")
                        .bind(active)
                        .bind(id)
                        .execute(&mut *tx)
                        .await?;
                    if !active {
                        sqlx::query("DELETE FROM sessions WHERE user_id = $1")
                            .bind(id)
                            .execute(&mut *tx)
                            .await?;
                        sqlx::query("UPDATE api_tokens SET revoked_at = $1 WHERE user_id = $2 AND revoked_at IS NULL")
                            .bind(Utc::now())
                            .bind(id)
                            .execute(&mut *tx)
                            .await?;
                    }
                    tx.commit().await?;
                    Ok(())
                }

                async fn set_user_lang(&self, id: UserId, lang: Lang) -> StoreResult<()> {
                    let (_guard, mut tx) = self.begin_write().await?;
                    sqlx::query("UPDATE users SET lang = $1 WHERE id = $2")
                        .bind(lang.code())
                        .bind(id)
                        .execute(&mut *tx)
                        .await?;
                    tx.commit().await?;
                    Ok(())
                }

                async fn assign_treasurer(&self, user: UserId, group: GroupId) -> StoreResult<()> {
                    let (_guard, mut tx) = self.begin_write().await?;
                    sqlx::query(
                        "INSERT INTO treasurer_groups (user_id, group_id) VALUES ($1, $2) \
                         ON CONFLICT (user_id, group_id) DO NOTHING",
                    )
                    .bind(user)
                    .bind(group)
                    .execute(&mut *tx)
                    .await?;
                    tx.commit().await?;
                    Ok(())
                }

                async fn treasurer_groups(&self, user: UserId) -> StoreResult<Vec<GroupId>> {
                    let rows: Vec<(i64,)> = sqlx::query_as(
                        "SELECT group_id FROM treasurer_groups WHERE user_id = $1 ORDER BY group_id",
                    )
                    .bind(user)
                    .fetch_all(&self.pool)
                    .await?;
                    Ok(rows.into_iter().map(|r| r.0).collect())
                }

                async fn treasurer_assignments(&self) -> StoreResult<Vec<(UserId, GroupId)>> {
                    Ok(sqlx::query_as(
                        "SELECT user_id, group_id FROM treasurer_groups ORDER BY user_id, group_id",
                    )
                    .fetch_all(&self.pool)
                    .await?)
                }

                async fn set_member_pin(&self, member: MemberId, pin_hash: &str) -> StoreResult<()> {
                    let m = self.member(member).await?;
                    let (_guard, mut tx) = self.begin_write().await?;
                    // Her first PIN makes her login, in the program's default
                    // language; a new PIN keeps the language she chose.
                    sqlx::query(
                        "INSERT INTO member_logins (member_id, login_code, pin_hash, lang, updated_at) \
                         VALUES ($1, $2, $3, \
                         COALESCE((SELECT default_lang FROM program_settings WHERE id = 1), 'en'), $4) \
                         ON CONFLICT (member_id) DO UPDATE \
                         SET pin_hash = excluded.pin_hash, updated_at = excluded.updated_at",
                    )
                    .bind(member)
                    .bind(m.code.to_ascii_uppercase())
                    .bind(pin_hash)
                    .bind(Utc::now())
                    .execute(&mut *tx)
                    .await?;
                    sqlx::query("DELETE FROM sessions WHERE member_id = $1")
                        .bind(member)
                        .execute(&mut *tx)
                        .await?;
                    tx.commit().await?;
                    Ok(())
                }

                async fn member_login(&self, code: &str) -> StoreResult<Option<(Member, String, Lang)>> {
                    let row: Option<(i64, String, String)> = sqlx::query_as(
                        "SELECT member_id, pin_hash, lang FROM member_logins WHERE login_code = $1",
                    )
                    .bind(code.trim().to_ascii_uppercase())
                    .fetch_optional(&self.pool)
                    .await?;
                    match row {
                        None => Ok(None),
                        Some((id, hash, lang)) => Ok(Some((
                            self.member(id).await?,
                            hash,
                            Lang::from_code(&lang).unwrap_or_default(),
                        ))),
                    }
                }

                async fn member_lang(&self, member: MemberId) -> StoreResult<Lang> {
                    let row: Option<(String,)> =
                        sqlx::query_as("SELECT lang FROM member_logins WHERE member_id = $1")
                            .bind(member)
                            .fetch_optional(&self.pool)
                            .await?;
                    Ok(row.and_then(|r| Lang::from_code(&r.0)).unwrap_or_default())
                }

                async fn set_member_lang(&self, member: MemberId, lang: Lang) -> StoreResult<()> {
                    let (_guard, mut tx) = self.begin_write().await?;
                    sqlx::query("UPDATE member_logins SET lang = $1 WHERE member_id = $2")
                        .bind(lang.code())
                        .bind(member)
                        .execute(&mut *tx)
                        .await?;
                    tx.commit().await?;
                    Ok(())
                }

                async fn member(&self, id: MemberId) -> StoreResult<Member> {
                    let row: Option<MemberRow> = sqlx::query_as(&format!("{MEMBER_COLUMNS} WHERE id = $1"))
                        .bind(id)
                        .fetch_optional(&self.pool)
                        .await?;
                    row.map(Member::from).ok_or_else(|| StoreError::not_found("member", id))
                }

                async fn create_session(
                    &self,
                    token_hash: &str,
                    owner: SessionOwner,
                    csrf_token: &str,
                    now: i64,
                    expires_at: i64,
                ) -> StoreResult<()> {
                    let (user, member) = match owner {
                        SessionOwner::User(id) => (Some(id), None),
                        SessionOwner::Member(id) => (None, Some(id)),
                    };
                    let (_guard, mut tx) = self.begin_write().await?;
                    // Expired sessions are swept as new ones start.
                    sqlx::query("DELETE FROM sessions WHERE expires_at < $1")
                        .bind(now)
                        .execute(&mut *tx)
                        .await?;
                    sqlx::query(
                        "INSERT INTO sessions (token_hash, user_id, member_id, csrf_token, created_at, expires_at) \
                         VALUES ($1, $2, $3, $4, $5, $6)",
                    )
                    .bind(token_hash)
                    .bind(user)
                    .bind(member)
                    .bind(csrf_token)
                    .bind(now)
                    .bind(expires_at)
                    .execute(&mut *tx)
                    .await?;
                    tx.commit().await?;
                    Ok(())
                }

                async fn session(&self, token_hash: &str, now: i64) -> StoreResult<Option<SessionRecord>> {
                    let row: Option<(Option<i64>, Option<i64>, String, i64)> = sqlx::query_as(
                        "SELECT s.user_id, s.member_id, s.csrf_token, s.expires_at FROM sessions s \
                         LEFT JOIN users u ON u.id = s.user_id \
                         WHERE s.token_hash = $1 AND s.expires_at > $2 \
                           AND (s.user_id IS NULL OR u.active)",
                    )
                    .bind(token_hash)
                    .bind(now)
                    .fetch_optional(&self.pool)
                    .await?;
                    Ok(row.and_then(|(user, member, csrf_token, expires_at)| {
                        let owner = match (user, member) {
                            (Some(u), _) => SessionOwner::User(u),
                            (None, Some(m)) => SessionOwner::Member(m),
                            (None, None) => return None,
                        };
                        Some(SessionRecord { owner, csrf_token, expires_at })
                    }))
                }

                async fn end_session(&self, token_hash: &str) -> StoreResult<()> {
                    let (_guard, mut tx) = self.begin_write().await?;
                    sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
                        .bind(token_hash)
                        .execute(&mut *tx)
                        .await?;
                    tx.commit().await?;
                    Ok(())
                }

                async fn record_login_failure(&self, key: &str, at: i64) -> StoreResult<()> {
                    let (_guard, mut tx) = self.begin_write().await?;
                    // Keep the table small: nothing older than a day matters.
                    sqlx::query("DELETE FROM login_failures WHERE at < $1")
                        .bind(at - 86_400)
                        .execute(&mut *tx)
                        .await?;
                    sqlx::query("INSERT INTO login_failures (key, at) VALUES ($1, $2)")
                        .bind(key)
                        .bind(at)
                        .execute(&mut *tx)
                        .await?;
                    tx.commit().await?;
                    Ok(())
                }

                async fn login_failures(&self, key: &str, since: i64) -> StoreResult<Vec<i64>> {
                    let rows: Vec<(i64,)> = sqlx::query_as(
                        "SELECT at FROM login_failures WHERE key = $1 AND at >= $2 ORDER BY at LIMIT 200",
                    )
                    .bind(key)
                    .bind(since)
                    .fetch_all(&self.pool)
                    .await?;
                    Ok(rows.into_iter().map(|r| r.0).collect())
                }

                async fn clear_login_failures(&self, key: &str) -> StoreResult<()> {
                    let (_guard, mut tx) = self.begin_write().await?;
                    sqlx::query("DELETE FROM login_failures WHERE key = $1")
                        .bind(key)
                        .execute(&mut *tx)
                        .await?;
                    tx.commit().await?;
                    Ok(())
                }

                async fn create_api_token(&self, user: UserId, label: &str, token_hash: &str) -> StoreResult<i64> {
                    let (_guard, mut tx) = self.begin_write().await?;
                    let (id,): (i64,) = sqlx::query_as(
                        "INSERT INTO api_tokens (token_hash, user_id, label, created_at) \
                         VALUES ($1, $2, $3, $4) RETURNING id",
                    )
                    .bind(token_hash)
                    .bind(user)
                    .bind(label.trim())
                    .bind(Utc::now())
                    .fetch_one(&mut *tx)
                    .await?;
                    tx.commit().await?;
                    Ok(id)
                }

                async fn api_token_user(
                    &self,
                    token_hash: &str,
                ) -> StoreResult<Option<(User, Vec<GroupId>)>> {
                    // Her groups come as one text in the same row: a round
                    // trip saved on every API request, and one row rather
                    // than one per group (SQLite hands each row over between
                    // threads). `string_agg` is both dialects' (SQLite 3.44+).
                    let row: Option<(i64, String, String, String, bool, String, bool, Option<String>)> =
                        sqlx::query_as(
                            "SELECT u.id, u.username, u.display_name, u.role, u.must_change_password, \
                             u.lang, u.active, \
                             (SELECT string_agg(CAST(tg.group_id AS TEXT), ',') FROM treasurer_groups tg \
                              WHERE tg.user_id = u.id AND u.role = 'treasurer') \
                             FROM api_tokens t JOIN users u ON u.id = t.user_id \
                             WHERE t.token_hash = $1 AND t.revoked_at IS NULL AND u.active",
                        )
                        .bind(token_hash)
                        .fetch_optional(&self.pool)
                        .await?;
                    let Some((id, username, display_name, role, must_change, lang, active, groups)) = row
                    else {
                        return Ok(None);
                    };
                    let mut groups = groups
                        .iter()
                        .flat_map(|list| list.split(','))
                        .map(|g| {
                            g.parse::<GroupId>().map_err(|_| {
                                StoreError::Corrupt(format!("treasurer group id {g:?}"))
                            })
                        })
                        .collect::<StoreResult<Vec<GroupId>>>()?;
                    groups.sort_unstable();
                    let user = user_of((id, username, display_name, role, must_change, lang, active))?;
                    Ok(Some((user, groups)))
                }

                async fn api_tokens(&self) -> StoreResult<Vec<ApiTokenInfo>> {
                    let rows: Vec<(i64, i64, String, String, chrono::DateTime<Utc>, bool)> = sqlx::query_as(
                        "SELECT t.id, t.user_id, u.username, t.label, t.created_at, t.revoked_at IS NOT NULL \
                         FROM api_tokens t JOIN users u ON u.id = t.user_id ORDER BY t.id",
                    )
                    .fetch_all(&self.pool)
                    .await?;
                    Ok(rows
                        .into_iter()
                        .map(|(id, user_id, username, label, created_at, revoked)| ApiTokenInfo {
                            id,
                            user_id,
                            username,
                            label,
                            created_at: created_at.format("%Y-%m-%d %H:%M").to_string(),
                            revoked,
                        })
                        .collect())
                }

                async fn revoke_api_token(&self, id: i64) -> StoreResult<()> {
                    let (_guard, mut tx) = self.begin_write().await?;
                    let done = sqlx::query("UPDATE api_tokens SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL")
                        .bind(Utc::now())
                        .bind(id)
                        .execute(&mut *tx)
                        .await?;
                    tx.commit().await?;
                    if done.rows_affected() == 0 {
                        return Err(StoreError::not_found("API token", id));
                    }
                    Ok(())
                }
            }
        }
    };
}
