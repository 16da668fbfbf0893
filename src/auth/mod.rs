//! Authentication building blocks for Sakhi.
//!
//! Everything in this module is pure: no database, no web framework. The
//! caller owns persistence (it stores PHC strings and [`TokenHash`]es, never
//! raw secrets) and wires the pieces into handlers.
//!
//! * [`password`] — Argon2id hashing of passwords/PINs, timing-equalised
//!   verification for unknown users, input policy (password, PIN, username)
//!   and one-time passwords.
//! * [`tokens`] — session tokens (stored only as SHA-256), CSRF tokens bound
//!   to the session, API bearer tokens and `Authorization` header parsing.
//! * [`throttle`] — the failed-login policy (a pure function of the failure
//!   timestamps) and a bounded in-memory failure log.

pub mod password;
pub mod throttle;
pub mod tokens;

pub use password::{
    check_new_password, check_pin, check_username, dummy_verify, hash_secret, needs_rehash,
    normalize_username, one_time_password, try_one_time_password, verify_secret, PasswordError,
};
pub use throttle::{decide, Decision, FailureLog, ThrottlePolicy};
pub use tokens::{csrf_ok, csrf_token_for, parse_bearer, ApiToken, Token, TokenHash};

/// Errors of the auth module that are not the user's fault (plus policy
/// violations, wrapped so that `?` composes).
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    /// Argon2 / PHC failure while hashing (bad parameters, bad salt, ...).
    #[error("password hashing failed: {0}")]
    Hash(#[from] argon2::password_hash::Error),

    /// The operating system's random number generator failed.
    #[error("operating system random number generator failed: {0}")]
    Rng(#[from] getrandom::Error),

    /// The secret is longer than [`password::MAX_SECRET_BYTES`]; refused so
    /// that hashing cost stays bounded.
    #[error("secret is longer than {max} bytes", max = password::MAX_SECRET_BYTES)]
    SecretTooLong,

    /// A policy check failed; the inner error names the offending field.
    #[error(transparent)]
    Policy(#[from] PasswordError),
}

/// Fill `buf` from the operating system's CSPRNG.
pub(crate) fn fill_random(buf: &mut [u8]) -> Result<(), AuthError> {
    getrandom::getrandom(buf)?;
    Ok(())
}
