//! Password and PIN hashing (Argon2id, PHC strings) and input policy.
//!
//! Passwords, PINs and one-time passwords are all stored the same way: as an
//! Argon2id PHC string such as
//! `$argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>` produced by
//! [`hash_secret`]. The parameters are the OWASP minimum for Argon2id
//! (19 MiB, 2 passes, 1 lane), which are also the `argon2` 0.5 crate
//! defaults; they are pinned here so that a crate upgrade cannot silently
//! change them.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};

use super::{fill_random, AuthError};

/// Argon2id memory cost in KiB (19 MiB, OWASP minimum).
pub const M_COST_KIB: u32 = 19_456;
/// Argon2id time cost (passes).
pub const T_COST: u32 = 2;
/// Argon2id parallelism (lanes).
pub const P_COST: u32 = 1;

/// Longest secret (in bytes) that is hashed or verified. Longer input is
/// refused by [`hash_secret`] and never verifies, which keeps the cost of a
/// request bounded whatever a client sends.
pub const MAX_SECRET_BYTES: usize = 1024;

/// Upper bounds on the parameters of a *stored* PHC string that
/// [`verify_secret`] is willing to run. A hash asking for more (a corrupted
/// or planted row) fails verification instead of allocating gigabytes.
/// They leave room to raise the cost later.
const MAX_VERIFY_M_COST_KIB: u32 = 256 * 1024;
const MAX_VERIFY_T_COST: u32 = 16;
const MAX_VERIFY_P_COST: u32 = 8;
/// PHC strings longer than this are malformed for our purposes.
const MAX_PHC_LEN: usize = 512;

/// Salt length in bytes (the PHC recommendation).
const SALT_LEN: usize = 16;

/// A real Argon2id hash (same algorithm and parameters as [`hash_secret`])
/// of a random secret nobody knows, used by [`dummy_verify`]. A unit test
/// checks that its parameters match the current ones; regenerate it with
/// `hash_secret` whenever these change.
const DUMMY_PHC: &str =
    "$argon2id$v=19$m=19456,t=2,p=1$J4KBp9nH9eLTqtwFglTybg$9U3ICcS1A0Be0OlFj+Gp2SNNhkZAWWWztEjSqclRtgI";

/// Password length bounds, in characters (Unicode scalar values).
pub const PASSWORD_MIN_CHARS: usize = 10;
/// See [`PASSWORD_MIN_CHARS`].
pub const PASSWORD_MAX_CHARS: usize = 128;
/// PIN length bounds, in ASCII digits.
pub const PIN_MIN_DIGITS: usize = 4;
/// See [`PIN_MIN_DIGITS`].
pub const PIN_MAX_DIGITS: usize = 6;
/// Username length bounds, in characters.
pub const USERNAME_MIN_CHARS: usize = 3;
/// See [`USERNAME_MIN_CHARS`].
pub const USERNAME_MAX_CHARS: usize = 40;

/// Length of [`one_time_password`] output.
pub const ONE_TIME_PASSWORD_LEN: usize = 16;
/// Alphabet of [`one_time_password`]: digits and letters without the easily
/// confused `0 O o 1 l I` (56 symbols, so 16 of them carry ~92.9 bits).
pub const ONE_TIME_PASSWORD_ALPHABET: &[u8] =
    b"23456789abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ";

/// A policy violation, naming the form field it concerns (see
/// [`PasswordError::field`]). Field names used: `"password"`,
/// `"password_repeat"`, `"pin"`, `"username"`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PasswordError {
    /// Fewer than `min` characters.
    #[error("{field} must be at least {min} characters long")]
    TooShort { field: &'static str, min: usize },
    /// More than `max` characters.
    #[error("{field} must be at most {max} characters long")]
    TooLong { field: &'static str, max: usize },
    /// The repeated password differs from the first one.
    #[error("{field} does not match the password")]
    Mismatch { field: &'static str },
    /// One character repeated throughout (`aaaaaaaaaa`, `0000`).
    #[error("{field} must not be one character repeated")]
    AllSameChar { field: &'static str },
    /// A PIN containing anything other than ASCII digits 0-9.
    #[error("{field} must contain only the digits 0-9")]
    NotDigits { field: &'static str },
    /// A PIN that is a straight run of digits, up or down (`1234`, `4321`,
    /// `123456`, and wrapping ones like `7890`).
    #[error("{field} must not be a straight sequence of digits like 1234 or 4321")]
    Sequence { field: &'static str },
    /// A username with characters outside `[a-z0-9._-]` (other than
    /// uppercase ASCII, which is [`PasswordError::NotLowercase`]).
    #[error("{field} may only contain the letters a-z, digits 0-9, '.', '_' and '-'")]
    InvalidChars { field: &'static str },
    /// A username containing uppercase letters.
    #[error("{field} must be lowercase")]
    NotLowercase { field: &'static str },
}

impl PasswordError {
    /// The form field the error is about.
    pub fn field(&self) -> &'static str {
        match self {
            Self::TooShort { field, .. }
            | Self::TooLong { field, .. }
            | Self::Mismatch { field }
            | Self::AllSameChar { field }
            | Self::NotDigits { field }
            | Self::Sequence { field }
            | Self::InvalidChars { field }
            | Self::NotLowercase { field } => field,
        }
    }
}

fn current_params() -> Result<Params, AuthError> {
    Ok(
        Params::new(M_COST_KIB, T_COST, P_COST, None)
            .map_err(argon2::password_hash::Error::from)?,
    )
}

/// Hash a password, PIN or one-time password with Argon2id (v19,
/// m=19456 KiB, t=2, p=1) and a fresh 16-byte salt from the OS RNG.
/// Returns the PHC string to store.
///
/// No policy is applied here (run [`check_new_password`] / [`check_pin`]
/// first); only secrets longer than [`MAX_SECRET_BYTES`] are refused.
pub fn hash_secret(secret: &str) -> Result<String, AuthError> {
    if secret.len() > MAX_SECRET_BYTES {
        return Err(AuthError::SecretTooLong);
    }
    let mut salt_bytes = [0u8; SALT_LEN];
    fill_random(&mut salt_bytes)?;
    let salt = SaltString::encode_b64(&salt_bytes)?;
    let argon = Argon2::new(Algorithm::Argon2id, Version::V0x13, current_params()?);
    let hash = argon.hash_password(secret.as_bytes(), &salt)?;
    Ok(hash.to_string())
}

/// Parse a stored PHC string and check it is an Argon2id hash whose cost is
/// within the bounds we are willing to compute.
fn parse_acceptable(phc: &str) -> Option<(PasswordHash<'_>, Params)> {
    if phc.len() > MAX_PHC_LEN {
        return None;
    }
    let hash = PasswordHash::new(phc).ok()?;
    if Algorithm::try_from(hash.algorithm).ok()? != Algorithm::Argon2id {
        return None;
    }
    let params = Params::try_from(&hash).ok()?;
    if params.m_cost() > MAX_VERIFY_M_COST_KIB
        || params.t_cost() > MAX_VERIFY_T_COST
        || params.p_cost() > MAX_VERIFY_P_COST
    {
        return None;
    }
    if hash.salt.is_none() || hash.hash.is_none() {
        return None;
    }
    Some((hash, params))
}

/// Check `secret` against a stored PHC string, in constant time with
/// respect to the hash output.
///
/// Returns `false` — never panics — for a wrong secret, a malformed PHC
/// string, a non-Argon2id hash, a hash whose parameters exceed sane bounds,
/// or a secret longer than [`MAX_SECRET_BYTES`]. The parameters are taken
/// from the PHC string, so hashes made with older parameters still verify
/// (see [`needs_rehash`]).
pub fn verify_secret(secret: &str, phc: &str) -> bool {
    if secret.len() > MAX_SECRET_BYTES {
        return false;
    }
    let Some((hash, _)) = parse_acceptable(phc) else {
        return false;
    };
    Argon2::default()
        .verify_password(secret.as_bytes(), &hash)
        .is_ok()
}

/// Whether a stored PHC string should be replaced by a fresh
/// [`hash_secret`] after a successful login: `true` when it is not Argon2id
/// v19 with the current parameters (or cannot be parsed).
pub fn needs_rehash(phc: &str) -> bool {
    let Some((hash, params)) = parse_acceptable(phc) else {
        return true;
    };
    hash.version != Some(Version::V0x13.into())
        || params.m_cost() != M_COST_KIB
        || params.t_cost() != T_COST
        || params.p_cost() != P_COST
}

/// Spend the same time as [`verify_secret`] on a real user, against a fixed
/// precomputed hash. Call it when the username is unknown (or has no
/// password set) so that response time does not reveal which usernames
/// exist. The result is discarded.
pub fn dummy_verify(secret: &str) {
    std::hint::black_box(verify_secret(
        std::hint::black_box(secret),
        std::hint::black_box(DUMMY_PHC),
    ));
}

fn all_same_char(s: &str) -> bool {
    let mut chars = s.chars();
    match chars.next() {
        Some(first) => chars.all(|c| c == first),
        None => false,
    }
}

/// Policy for a new password (set or change):
///
/// * 10 to 128 characters (Unicode scalar values) — field `"password"`;
/// * not a single character repeated — field `"password"`;
/// * `repeat` equal to `pw` — field `"password_repeat"`.
///
/// Checks run in that order and the first failure is returned. The
/// password is not trimmed or normalised.
pub fn check_new_password(pw: &str, repeat: &str) -> Result<(), PasswordError> {
    const FIELD: &str = "password";
    let n = pw.chars().count();
    if n < PASSWORD_MIN_CHARS {
        return Err(PasswordError::TooShort {
            field: FIELD,
            min: PASSWORD_MIN_CHARS,
        });
    }
    if n > PASSWORD_MAX_CHARS {
        return Err(PasswordError::TooLong {
            field: FIELD,
            max: PASSWORD_MAX_CHARS,
        });
    }
    if all_same_char(pw) {
        return Err(PasswordError::AllSameChar { field: FIELD });
    }
    if pw != repeat {
        return Err(PasswordError::Mismatch {
            field: "password_repeat",
        });
    }
    Ok(())
}

/// Policy for a PIN (field `"pin"`), checked in this order:
///
/// * only ASCII digits `0-9` ([`PasswordError::NotDigits`]; other Unicode
///   digits are refused too);
/// * 4 to 6 digits ([`PasswordError::TooShort`] / [`PasswordError::TooLong`]);
/// * not one digit repeated (`1111`) ([`PasswordError::AllSameChar`]);
/// * not a straight sequence, each digit one more (`1234`, `345678`,
///   `7890`) or one less (`4321`, `9876`, `2109`) than the previous, with
///   9→0 / 0→9 wrapping ([`PasswordError::Sequence`]).
///
/// Keypad patterns such as `2580` are allowed.
pub fn check_pin(pin: &str) -> Result<(), PasswordError> {
    const FIELD: &str = "pin";
    if !pin.bytes().all(|b| b.is_ascii_digit()) {
        return Err(PasswordError::NotDigits { field: FIELD });
    }
    // All ASCII from here on, so bytes == chars.
    let digits: Vec<u8> = pin.bytes().map(|b| b - b'0').collect();
    if digits.len() < PIN_MIN_DIGITS {
        return Err(PasswordError::TooShort {
            field: FIELD,
            min: PIN_MIN_DIGITS,
        });
    }
    if digits.len() > PIN_MAX_DIGITS {
        return Err(PasswordError::TooLong {
            field: FIELD,
            max: PIN_MAX_DIGITS,
        });
    }
    if all_same_char(pin) {
        return Err(PasswordError::AllSameChar { field: FIELD });
    }
    let steps_by = |step: u8| digits.windows(2).all(|w| (w[0] + step) % 10 == w[1]);
    if steps_by(1) || steps_by(9) {
        return Err(PasswordError::Sequence { field: FIELD });
    }
    Ok(())
}

/// Policy for a username (field `"username"`): 3 to 40 characters, each one
/// of `a-z`, `0-9`, `.`, `_`, `-`. Uppercase ASCII gets its own error
/// ([`PasswordError::NotLowercase`]); run [`normalize_username`] on user
/// input first to fold case and trim.
pub fn check_username(u: &str) -> Result<(), PasswordError> {
    const FIELD: &str = "username";
    let n = u.chars().count();
    if n < USERNAME_MIN_CHARS {
        return Err(PasswordError::TooShort {
            field: FIELD,
            min: USERNAME_MIN_CHARS,
        });
    }
    if n > USERNAME_MAX_CHARS {
        return Err(PasswordError::TooLong {
            field: FIELD,
            max: USERNAME_MAX_CHARS,
        });
    }
    let allowed_any_case = |b: u8| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-');
    if !u.bytes().all(allowed_any_case) {
        return Err(PasswordError::InvalidChars { field: FIELD });
    }
    if u.bytes().any(|b| b.is_ascii_uppercase()) {
        return Err(PasswordError::NotLowercase { field: FIELD });
    }
    Ok(())
}

/// Canonical form of a typed username: surrounding whitespace trimmed and
/// ASCII letters lowercased. Non-ASCII characters are left alone (so they
/// still fail [`check_username`]) — Unicode case folding is deliberately
/// not applied, as it maps look-alikes such as the Kelvin sign onto `k`.
pub fn normalize_username(u: &str) -> String {
    u.trim().to_ascii_lowercase()
}

/// A fresh one-time password: [`ONE_TIME_PASSWORD_LEN`] characters drawn
/// uniformly from [`ONE_TIME_PASSWORD_ALPHABET`] with the OS RNG.
pub fn try_one_time_password() -> Result<String, AuthError> {
    let n = ONE_TIME_PASSWORD_ALPHABET.len();
    // Rejection sampling: accept bytes below the largest multiple of n that
    // fits in a byte, so every symbol is equally likely.
    let limit = 256 - 256 % n;
    let mut out = String::with_capacity(ONE_TIME_PASSWORD_LEN);
    let mut buf = [0u8; 32];
    while out.len() < ONE_TIME_PASSWORD_LEN {
        fill_random(&mut buf)?;
        for &b in &buf {
            if usize::from(b) < limit && out.len() < ONE_TIME_PASSWORD_LEN {
                out.push(char::from(ONE_TIME_PASSWORD_ALPHABET[usize::from(b) % n]));
            }
        }
    }
    Ok(out)
}

/// Like [`try_one_time_password`].
///
/// # Panics
///
/// Only if the operating system's random number generator fails, which no
/// user input can cause and after which no secret can safely be made.
pub fn one_time_password() -> String {
    match try_one_time_password() {
        Ok(s) => s,
        Err(e) => panic!("cannot generate a one-time password: {e}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PHC_PREFIX: &str = "$argon2id$v=19$m=19456,t=2,p=1$";

    // Argon2 is slow in unoptimised builds: the hashing tests are kept few
    // and each does as much as it can with one or two hashes.
    #[test]
    fn hash_verify_round_trip_and_wrong_secret() {
        let phc = hash_secret("correct horse battery").unwrap();
        assert!(phc.starts_with(PHC_PREFIX), "{phc}");
        assert!(!needs_rehash(&phc));
        assert!(verify_secret("correct horse battery", &phc));
        assert!(!verify_secret("correct horse batterY", &phc));
    }

    #[test]
    fn same_secret_hashes_differently() {
        let a = hash_secret("2580").unwrap();
        let b = hash_secret("2580").unwrap();
        assert_ne!(a, b);
        assert!(a.starts_with(PHC_PREFIX) && b.starts_with(PHC_PREFIX));
    }

    #[test]
    fn dummy_hash_matches_current_parameters() {
        assert!(DUMMY_PHC.starts_with(PHC_PREFIX));
        assert!(parse_acceptable(DUMMY_PHC).is_some());
        assert!(!needs_rehash(DUMMY_PHC));
        dummy_verify("anything"); // must not panic
    }

    #[test]
    fn malformed_or_hostile_phc_is_false_without_hashing() {
        for phc in [
            "",
            "not a hash",
            "$argon2id$",
            "$argon2id$v=19$m=19456,t=2,p=1$",
            "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ",
            "$argon2id$v=19$m=19456,t=2,p=1$!!!$ZhqCHs13MvvSDTGZ7c2XSGj7KGdjJHnW0xI1cCohH/A",
            "$bcrypt$v=19$m=19456,t=2,p=1$3zrrhB8CjqTsFrgWBNqiFg$ZhqCHs13MvvSDTGZ7c2XSGj7KGdjJHnW0xI1cCohH/A",
            // Valid syntax, but asks for 4 TiB of memory: refused, not run.
            "$argon2id$v=19$m=4294967295,t=2,p=1$3zrrhB8CjqTsFrgWBNqiFg$ZhqCHs13MvvSDTGZ7c2XSGj7KGdjJHnW0xI1cCohH/A",
            "$argon2id$v=19$m=19456,t=4294967295,p=1$3zrrhB8CjqTsFrgWBNqiFg$ZhqCHs13MvvSDTGZ7c2XSGj7KGdjJHnW0xI1cCohH/A",
            // Argon2i, not Argon2id.
            "$argon2i$v=19$m=19456,t=2,p=1$3zrrhB8CjqTsFrgWBNqiFg$ZhqCHs13MvvSDTGZ7c2XSGj7KGdjJHnW0xI1cCohH/A",
        ] {
            assert!(!verify_secret("secret", phc), "{phc}");
            assert!(needs_rehash(phc), "{phc}");
        }
        let long = format!("{DUMMY_PHC}{}", "A".repeat(1000));
        assert!(!verify_secret("secret", &long));
    }

    #[test]
    fn too_long_secret_refused() {
        let long = "x".repeat(MAX_SECRET_BYTES + 1);
        assert!(matches!(hash_secret(&long), Err(AuthError::SecretTooLong)));
        assert!(!verify_secret(&long, DUMMY_PHC));
    }

    #[test]
    fn pin_rules() {
        let err = |pin: &str| check_pin(pin).unwrap_err();
        assert_eq!(
            err("123"),
            PasswordError::TooShort {
                field: "pin",
                min: 4
            }
        );
        assert_eq!(
            err(""),
            PasswordError::TooShort {
                field: "pin",
                min: 4
            }
        );
        assert_eq!(
            err("2580147"),
            PasswordError::TooLong {
                field: "pin",
                max: 6
            }
        );
        assert_eq!(err("12a4"), PasswordError::NotDigits { field: "pin" });
        assert_eq!(err("abcd"), PasswordError::NotDigits { field: "pin" });
        assert_eq!(err(" 2580"), PasswordError::NotDigits { field: "pin" });
        assert_eq!(err("٢٥٨٠"), PasswordError::NotDigits { field: "pin" }); // Arabic-Indic digits
        for same in ["1111", "00000", "999999"] {
            assert_eq!(err(same), PasswordError::AllSameChar { field: "pin" });
        }
        for seq in [
            "1234", "123456", "4321", "9876", "0123", "654321", "7890", "8901", "2109",
        ] {
            let e = err(seq);
            assert_eq!(e, PasswordError::Sequence { field: "pin" }, "{seq}");
            assert!(e.to_string().contains("sequence"));
        }
        for ok in [
            "2580", "1357", "1235", "4826", "0852", "135790", "1122", "19283",
        ] {
            assert_eq!(check_pin(ok), Ok(()), "{ok}");
        }
        assert_eq!(err("123").field(), "pin");
    }

    #[test]
    fn password_rules() {
        assert_eq!(
            check_new_password("short", "short"),
            Err(PasswordError::TooShort {
                field: "password",
                min: 10
            })
        );
        // Counted in characters, not bytes: 9 Devanagari letters are too short.
        let nine = "कखगघङचछजझ";
        assert!(nine.len() > 10);
        assert!(matches!(
            check_new_password(nine, nine),
            Err(PasswordError::TooShort { .. })
        ));
        let ten = "कखगघङचछजझञ";
        assert_eq!(check_new_password(ten, ten), Ok(()));
        let max = "ab".repeat(64);
        assert_eq!(check_new_password(&max, &max), Ok(()));
        let over = format!("{max}c");
        assert_eq!(
            check_new_password(&over, &over),
            Err(PasswordError::TooLong {
                field: "password",
                max: 128
            })
        );
        assert_eq!(
            check_new_password("aaaaaaaaaaaa", "aaaaaaaaaaaa"),
            Err(PasswordError::AllSameChar { field: "password" })
        );
        let e = check_new_password("sakhi group 7", "sakhi group 8").unwrap_err();
        assert_eq!(
            e,
            PasswordError::Mismatch {
                field: "password_repeat"
            }
        );
        assert_eq!(e.field(), "password_repeat");
        assert_eq!(check_new_password("sakhi group 7", "sakhi group 7"), Ok(()));
        assert_eq!(check_new_password("0123456789", "0123456789"), Ok(()));
    }

    #[test]
    fn username_rules() {
        for ok in ["abc", "priya.k", "group_7-treasurer", &"a".repeat(40)] {
            assert_eq!(check_username(ok), Ok(()), "{ok}");
        }
        let err = |u: &str| check_username(u).unwrap_err();
        assert_eq!(
            err("ab"),
            PasswordError::TooShort {
                field: "username",
                min: 3
            }
        );
        assert_eq!(
            err(&"a".repeat(41)),
            PasswordError::TooLong {
                field: "username",
                max: 40
            }
        );
        assert_eq!(
            err("Priya"),
            PasswordError::NotLowercase { field: "username" }
        );
        assert_eq!(
            err("priya k"),
            PasswordError::InvalidChars { field: "username" }
        );
        assert_eq!(
            err("priya@x"),
            PasswordError::InvalidChars { field: "username" }
        );
        assert_eq!(
            err("प्रिया"),
            PasswordError::InvalidChars { field: "username" }
        );
        assert_eq!(
            err("\u{212A}im"),
            PasswordError::InvalidChars { field: "username" }
        ); // Kelvin sign
        assert_eq!(normalize_username("  Priya.K \n"), "priya.k");
        assert_eq!(normalize_username("\u{212A}im"), "\u{212A}im");
    }

    #[test]
    fn one_time_passwords() {
        let mut seen = std::collections::HashSet::new();
        for _ in 0..200 {
            let p = one_time_password();
            assert_eq!(p.len(), ONE_TIME_PASSWORD_LEN);
            assert!(
                p.bytes().all(|b| ONE_TIME_PASSWORD_ALPHABET.contains(&b)),
                "{p}"
            );
            assert!(!p.contains(['0', 'O', 'o', '1', 'l', 'I']), "{p}");
            assert!(seen.insert(p));
        }
        assert_eq!(ONE_TIME_PASSWORD_ALPHABET.len(), 56);
        let mut uniq = ONE_TIME_PASSWORD_ALPHABET.to_vec();
        uniq.sort_unstable();
        uniq.dedup();
        assert_eq!(uniq.len(), 56);
    }
}
