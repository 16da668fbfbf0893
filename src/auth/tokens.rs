//! Session tokens, CSRF tokens and API bearer tokens.
//!
//! * A [`Token`] is 32 bytes from the OS RNG, encoded URL-safe base64
//!   without padding (43 characters). It goes to the client (cookie); the
//!   database stores only its [`TokenHash`] (SHA-256, lowercase hex), so a
//!   leaked table does not yield usable sessions.
//! * CSRF tokens are derived from the session token with HMAC-SHA256 under a
//!   server secret ([`csrf_token_for`]), so they need no storage and die
//!   with the session; [`csrf_ok`] checks them in constant time.
//! * An [`ApiToken`] is `sakhi_` followed by a [`Token`]-like 43-character
//!   body; it is stored hashed the same way. [`parse_bearer`] extracts it
//!   from an `Authorization` header.

use std::fmt;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use super::{fill_random, AuthError};

/// Random bytes in a [`Token`] / [`ApiToken`].
pub const TOKEN_BYTES: usize = 32;
/// Encoded length of a [`Token`] (32 bytes in unpadded base64).
pub const TOKEN_LEN: usize = 43;
/// Prefix of every [`ApiToken`]; makes leaked tokens easy to grep for.
pub const API_TOKEN_PREFIX: &str = "sakhi_";
/// Longest credential [`parse_bearer`] accepts.
pub const MAX_BEARER_LEN: usize = 200;
/// Domain separation for the CSRF HMAC, so the CSRF secret can never be
/// confused with another use of HMAC over a session token.
const CSRF_CONTEXT: &[u8] = b"sakhi-csrf-v1\0";
/// Length of a [`csrf_token_for`] value (32-byte MAC, unpadded base64).
pub const CSRF_TOKEN_LEN: usize = 43;

fn random_b64() -> Result<String, AuthError> {
    let mut bytes = [0u8; TOKEN_BYTES];
    fill_random(&mut bytes)?;
    Ok(URL_SAFE_NO_PAD.encode(bytes))
}

fn is_b64url(s: &str) -> bool {
    s.bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// A secret session token. Never stored server-side: store
/// [`Token::hash`]. Its `Debug` output is `Token(…)`, so it cannot leak
/// into logs through `{:?}`; there is deliberately no `Display`.
pub struct Token(String);

impl Token {
    /// A fresh token from the OS RNG.
    pub fn try_new() -> Result<Self, AuthError> {
        random_b64().map(Token)
    }

    /// A fresh token from the OS RNG.
    ///
    /// # Panics
    ///
    /// Only if the operating system's random number generator fails (not
    /// influenced by any user input); use [`Token::try_new`] to handle that.
    #[allow(clippy::new_without_default)] // a random secret is not a "default"
    pub fn new() -> Self {
        match Self::try_new() {
            Ok(t) => t,
            Err(e) => panic!("cannot generate a token: {e}"),
        }
    }

    /// The token, to hand to the client (e.g. as a cookie value).
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// What the database stores and looks sessions up by.
    pub fn hash(&self) -> TokenHash {
        TokenHash::of(&self.0)
    }
}

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Token(…)")
    }
}

/// SHA-256 of a token, as 64 lowercase hex characters: the form in which
/// session and API tokens are stored and looked up. Hash what the client
/// presents with [`TokenHash::of`] and look that up.
#[derive(Clone, PartialEq, Eq, Hash, Debug)]
pub struct TokenHash(String);

impl TokenHash {
    /// Hash of a token as presented by a client (any string; the hash of
    /// garbage simply matches nothing).
    pub fn of(token: &str) -> Self {
        TokenHash(format!("{:x}", Sha256::digest(token.as_bytes())))
    }

    /// Wrap a hash read back from the database; `None` unless it is 64
    /// lowercase hex characters.
    pub fn from_stored(hex: &str) -> Option<Self> {
        let ok = hex.len() == 64
            && hex
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
        ok.then(|| TokenHash(hex.to_owned()))
    }

    /// The 64-character hex string.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The 64-character hex string, owned.
    pub fn into_string(self) -> String {
        self.0
    }
}

impl fmt::Display for TokenHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The CSRF token for a session: HMAC-SHA256, keyed with `secret`, over a
/// fixed context label followed by the raw session token, encoded URL-safe
/// base64 without padding (43 characters).
///
/// `secret` should be at least 32 random bytes kept server-side (not in the
/// database next to the sessions). Embed the result in forms / a header.
pub fn csrf_token_for(session_token: &str, secret: &[u8]) -> String {
    // HMAC accepts keys of any length, so this cannot fail; an empty string
    // (which `csrf_ok` never accepts) is returned should it ever do so.
    let Ok(mut mac) = <Hmac<Sha256> as Mac>::new_from_slice(secret) else {
        return String::new();
    };
    mac.update(CSRF_CONTEXT);
    mac.update(session_token.as_bytes());
    URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
}

/// Whether `presented` is the CSRF token of `session_token` under `secret`.
/// The comparison is constant-time. `false` if any of the three is empty or
/// `presented` has the wrong length.
pub fn csrf_ok(session_token: &str, secret: &[u8], presented: &str) -> bool {
    if session_token.is_empty() || secret.is_empty() || presented.len() != CSRF_TOKEN_LEN {
        return false;
    }
    let expected = csrf_token_for(session_token, secret);
    if expected.len() != CSRF_TOKEN_LEN {
        return false;
    }
    expected.as_bytes().ct_eq(presented.as_bytes()).into()
}

/// An API bearer token: `sakhi_` + 43 URL-safe base64 characters (32
/// random bytes). Shown to the user once; store [`ApiToken::hash`] (the
/// SHA-256 of the whole string, prefix included). `Debug` prints
/// `ApiToken(…)`.
pub struct ApiToken(String);

impl ApiToken {
    /// A fresh API token from the OS RNG.
    pub fn try_new() -> Result<Self, AuthError> {
        Ok(ApiToken(format!("{API_TOKEN_PREFIX}{}", random_b64()?)))
    }

    /// A fresh API token from the OS RNG.
    ///
    /// # Panics
    ///
    /// Only if the operating system's random number generator fails; use
    /// [`ApiToken::try_new`] to handle that.
    #[allow(clippy::new_without_default)] // a random secret is not a "default"
    pub fn new() -> Self {
        match Self::try_new() {
            Ok(t) => t,
            Err(e) => panic!("cannot generate an API token: {e}"),
        }
    }

    /// The full token (`sakhi_…`), to show to the user once.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// What the database stores: [`TokenHash::of`] the full token.
    pub fn hash(&self) -> TokenHash {
        TokenHash::of(&self.0)
    }

    /// Cheap shape check of a presented token (`sakhi_` + 43 base64url
    /// characters), to skip the database for obvious garbage.
    pub fn is_well_formed(token: &str) -> bool {
        token
            .strip_prefix(API_TOKEN_PREFIX)
            .is_some_and(|body| body.len() == TOKEN_LEN && is_b64url(body))
    }
}

impl fmt::Debug for ApiToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ApiToken(…)")
    }
}

/// The credential of an `Authorization: Bearer <token>` header value.
///
/// The scheme is matched case-insensitively; surrounding whitespace and the
/// spaces/tabs between scheme and token are skipped. The credential must
/// be 1 to [`MAX_BEARER_LEN`] bytes of the RFC 6750 `b64token` syntax
/// (`A-Z a-z 0-9 - . _ ~ + /`, optionally followed by `=` padding), so it
/// contains no whitespace. Anything else gives `None`.
pub fn parse_bearer(header_value: &str) -> Option<&str> {
    let value = header_value.trim();
    let (scheme, rest) = value.split_once([' ', '\t'])?;
    if !scheme.eq_ignore_ascii_case("bearer") {
        return None;
    }
    let token = rest.trim_start_matches([' ', '\t']);
    if token.is_empty() || token.len() > MAX_BEARER_LEN {
        return None;
    }
    let body = token.trim_end_matches('=');
    let b64token_char =
        |b: u8| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'+' | b'/');
    (!body.is_empty() && body.bytes().all(b64token_char)).then_some(token)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn token_shape_and_uniqueness() {
        let mut seen = HashSet::new();
        for _ in 0..1000 {
            let t = Token::new();
            assert_eq!(t.as_str().len(), TOKEN_LEN);
            assert!(is_b64url(t.as_str()), "{}", t.as_str());
            assert!(!t.as_str().contains('='));
            assert!(seen.insert(t.as_str().to_owned()));
        }
        assert_eq!(seen.len(), 1000);
    }

    #[test]
    fn token_debug_hides_secret() {
        let t = Token::new();
        let dbg = format!("{t:?}");
        assert_eq!(dbg, "Token(…)");
        assert!(!dbg.contains(t.as_str()));
        let nested = format!("{:?}", Some(&t));
        assert!(!nested.contains(t.as_str()));
        let a = ApiToken::new();
        assert_eq!(format!("{a:?}"), "ApiToken(…)");
    }

    #[test]
    fn token_hash_is_sha256_hex() {
        // SHA-256("abc") test vector.
        assert_eq!(
            TokenHash::of("abc").as_str(),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        let t = Token::new();
        let h = t.hash();
        assert_eq!(h, TokenHash::of(t.as_str()));
        assert_eq!(h.as_str().len(), 64);
        assert!(!h.as_str().contains(t.as_str()));
        assert_eq!(TokenHash::from_stored(h.as_str()), Some(h.clone()));
        assert_eq!(h.to_string(), h.clone().into_string());
        assert_eq!(TokenHash::from_stored("abc"), None);
        assert_eq!(TokenHash::from_stored(&h.as_str().to_uppercase()), None);
        assert_ne!(Token::new().hash(), Token::new().hash());
    }

    #[test]
    fn api_token_shape() {
        let mut seen = HashSet::new();
        for _ in 0..100 {
            let a = ApiToken::new();
            let s = a.as_str();
            assert_eq!(s.len(), API_TOKEN_PREFIX.len() + TOKEN_LEN);
            assert!(s.starts_with("sakhi_"));
            assert!(ApiToken::is_well_formed(s));
            assert_eq!(a.hash(), TokenHash::of(s));
            assert!(seen.insert(s.to_owned()));
        }
        assert!(!ApiToken::is_well_formed("sakhi_"));
        assert!(!ApiToken::is_well_formed(&format!(
            "sakhi_{}",
            "a".repeat(42)
        )));
        assert!(!ApiToken::is_well_formed(&format!(
            "sakhi_{}",
            "a".repeat(44)
        )));
        assert!(!ApiToken::is_well_formed(&format!(
            "sakhi_{}=",
            "a".repeat(42)
        )));
        assert!(!ApiToken::is_well_formed(&format!(
            "other_{}",
            "a".repeat(43)
        )));
    }

    #[test]
    fn csrf_accepts_own_rejects_others() {
        let secret = [7u8; 32];
        let session = Token::new();
        let csrf = csrf_token_for(session.as_str(), &secret);
        assert_eq!(csrf.len(), CSRF_TOKEN_LEN);
        assert!(is_b64url(&csrf));
        assert_eq!(csrf, csrf_token_for(session.as_str(), &secret)); // deterministic
        assert!(csrf_ok(session.as_str(), &secret, &csrf));

        // Another session's token.
        let other = Token::new();
        assert!(!csrf_ok(other.as_str(), &secret, &csrf));
        assert!(!csrf_ok(
            session.as_str(),
            &secret,
            &csrf_token_for(other.as_str(), &secret)
        ));
        // Another secret.
        assert!(!csrf_ok(session.as_str(), &[8u8; 32], &csrf));
        // Tampered: one character changed, truncated, extended.
        let mut tampered = csrf.clone().into_bytes();
        tampered[10] = if tampered[10] == b'A' { b'B' } else { b'A' };
        let tampered = String::from_utf8(tampered).unwrap();
        assert!(!csrf_ok(session.as_str(), &secret, &tampered));
        assert!(!csrf_ok(session.as_str(), &secret, &csrf[..42]));
        assert!(!csrf_ok(session.as_str(), &secret, &format!("{csrf}A")));
        // Empty anything.
        assert!(!csrf_ok(session.as_str(), &secret, ""));
        assert!(!csrf_ok("", &secret, &csrf_token_for("", &secret)));
        assert!(!csrf_ok(
            session.as_str(),
            &[],
            &csrf_token_for(session.as_str(), &[])
        ));
        // The CSRF token is not the session token or its stored hash.
        assert_ne!(csrf, session.as_str());
        assert!(!session.hash().as_str().contains(&csrf));
    }

    #[test]
    fn bearer_parsing() {
        let tok = ApiToken::new();
        let header = format!("Bearer {}", tok.as_str());
        assert_eq!(parse_bearer(&header), Some(tok.as_str()));
        assert_eq!(parse_bearer("bearer abc"), Some("abc"));
        assert_eq!(parse_bearer("BEARER abc"), Some("abc"));
        assert_eq!(parse_bearer("BeArEr abc"), Some("abc"));
        assert_eq!(parse_bearer("  Bearer    abc  "), Some("abc"));
        assert_eq!(parse_bearer("Bearer\tabc"), Some("abc"));
        assert_eq!(
            parse_bearer("Bearer a.b_c-d~e+f/g=="),
            Some("a.b_c-d~e+f/g==")
        );
        let max = "a".repeat(MAX_BEARER_LEN);
        assert_eq!(parse_bearer(&format!("Bearer {max}")), Some(max.as_str()));

        for bad in [
            "",
            "   ",
            "Bearer",
            "Bearer ",
            "Bearer    ",
            "Bearerabc",
            "Basic YWxhZGRpbjpvcGVuc2VzYW1l",
            "Token abc",
            "Bearer abc def",
            "Bearer ===",
            "Bearer ab=c",
            "Bearer abc\u{0}",
            "Bearer ąbc",
            "Bearer \"abc\"",
            "Bearer, abc",
            "Bearer: abc",
        ] {
            assert_eq!(parse_bearer(bad), None, "{bad:?}");
        }
        let over = "a".repeat(MAX_BEARER_LEN + 1);
        assert_eq!(parse_bearer(&format!("Bearer {over}")), None);
        let huge = "a".repeat(1 << 20);
        assert_eq!(parse_bearer(&format!("Bearer {huge}")), None);
    }
}
