//! What page forms share: today's date, dates that may not be in the future,
//! amounts in the book's currency, the form's idempotency key, and hashing
//! secrets off the async workers.

use super::session::CheckedForm;
use super::AppError;
use crate::auth::{self, AuthError, Token};
use crate::ledger::IdempotencyKey;
use crate::money::{Currency, Money, Sign};
use chrono::NaiveDate;

/// The server's local date: what "today" means for a meeting or a due date.
pub fn today() -> NaiveDate {
    chrono::Local::now().date_naive()
}

impl From<AuthError> for AppError {
    fn from(e: AuthError) -> AppError {
        AppError::Internal(e.to_string())
    }
}

/// A refused record names its field, like every form refusal.
impl From<crate::outcomes::OutcomeError> for AppError {
    fn from(e: crate::outcomes::OutcomeError) -> AppError {
        AppError::invalid(e.field, e.rule)
    }
}

/// Refuses a form with a NUL character in any field's name or value, naming
/// the field. PostgreSQL cannot store NUL in text (SQLite can): refused here,
/// at the edge, a form gets the same 422 on both backends instead of a 500
/// from deep in the database.
pub fn refuse_nul(fields: &[(String, String)]) -> Result<(), AppError> {
    match fields
        .iter()
        .find(|(k, v)| k.contains('\0') || v.contains('\0'))
    {
        Some((name, _)) => {
            let name = name.replace('\0', "");
            let field = if name.is_empty() { "form" } else { &name };
            Err(AppError::invalid(
                field,
                "must not contain the NUL character (U+0000)",
            ))
        }
        None => Ok(()),
    }
}

/// A date field that is today when left empty and never in the future.
pub fn past_date(form: &CheckedForm, name: &str) -> Result<NaiveDate, AppError> {
    let text = form.get(name).trim();
    if text.is_empty() {
        return Ok(today());
    }
    let date = NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .map_err(|_| AppError::invalid(name, "a date like 2026-11-23"))?;
    if date > today() {
        return Err(AppError::invalid(name, "cannot be in the future"));
    }
    Ok(date)
}

/// An amount field in the book's currency, with the field named on error.
pub fn amount(
    form: &CheckedForm,
    name: &str,
    currency: Currency,
    sign: Sign,
) -> Result<i64, AppError> {
    Money::parse(form.get(name), currency, sign)
        .map(Money::minor)
        .map_err(|e| AppError::invalid(name, e.to_string()))
}

/// Which of the group's money the form moves: the cash box (the default)
/// or the bank account.
pub fn fund(form: &CheckedForm) -> Result<crate::store::Fund, AppError> {
    use crate::store::Fund;
    match form.get("fund") {
        "" | "cash" => Ok(Fund::Cash),
        "bank" => Ok(Fund::Bank),
        _ => Err(AppError::invalid("fund", "cash or bank")),
    }
}

/// The idempotency key the page put in its form.
pub fn key(form: &CheckedForm) -> Result<IdempotencyKey, AppError> {
    IdempotencyKey::new(form.get("key"))
        .map_err(|_| AppError::invalid("key", "the form is incomplete: reload the page"))
}

/// A fresh key for a form about to be shown.
pub fn new_key(prefix: &str) -> Result<String, AppError> {
    Ok(format!("{prefix}-{}", Token::try_new()?.as_str()))
}

/// Argon2id is deliberately slow: keep it off the async workers.
pub async fn hash_secret(secret: String) -> Result<String, AppError> {
    tokio::task::spawn_blocking(move || auth::hash_secret(&secret))
        .await
        .map_err(|e| AppError::Internal(e.to_string()))?
        .map_err(AppError::from)
}

/// A schedule the engine refused, as a 422 naming the field: the engine's
/// messages name CLI flags (`--installments`), which are the form's fields.
pub fn schedule_refusal(e: &crate::loans::schedule::ScheduleError) -> AppError {
    let message = e.to_string();
    let field = message
        .split_whitespace()
        .find_map(|w| w.strip_prefix("--"))
        .map(|f| {
            f.trim_matches(|c: char| !c.is_ascii_alphanumeric())
                .replace('-', "_")
        })
        .unwrap_or_else(|| "terms".into());
    AppError::invalid(&field, message.replace("--", ""))
}
