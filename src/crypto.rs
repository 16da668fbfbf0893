//! Sealing of identity records and incident narratives.
//!
//! Names, phones, addresses, family contacts and incident narratives are the
//! data whose leak can cost a woman her family, home or safety. They are stored
//! only as sealed blobs produced here: XChaCha20-Poly1305 (an authenticated
//! cipher) under a 32-byte key that lives in a file or an environment variable,
//! never in the database.
//!
//! Sealed format (version 1):
//!
//! ```text
//! 1 byte version (= 1) || 24-byte random nonce || ciphertext || 16-byte tag
//! ```
//!
//! The caller's `context` (for example `b"identity:CLIENTCODE"`) and the version
//! byte are authenticated as associated data, so a blob copied onto another
//! record, or relabelled as another format version, fails to open.
//!
//! This module is pure apart from reading the key file and the OS random
//! number generator; it has no knowledge of the database or the web layer.

use std::fmt;
use std::io::Read;
use std::path::{Path, PathBuf};

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{Key, XChaCha20Poly1305, XNonce};
use sha2::{Digest, Sha256};
use zeroize::{Zeroize, Zeroizing};

/// Name of the environment variable that may hold the identity key.
pub const KEY_ENV_VAR: &str = "SAKHI_IDENTITY_KEY";

/// Length of an identity key in bytes (XChaCha20-Poly1305 uses 256-bit keys).
pub const KEY_LEN: usize = 32;

/// The only sealed format this build writes and reads.
const VERSION: u8 = 1;
/// XChaCha20 nonces are 192 bits: long enough that random nonces never collide
/// in practice, which is why this cipher was chosen over plain ChaCha20-Poly1305.
const NONCE_LEN: usize = 24;
const TAG_LEN: usize = 16;
const HEADER_LEN: usize = 1 + NONCE_LEN;
/// The shortest valid sealed value: header plus the tag of an empty plaintext.
const MIN_SEALED_LEN: usize = HEADER_LEN + TAG_LEN;

/// Domain separation for the fingerprint, so the stored hash can never be
/// confused with (or reused as) a hash of the key computed for another purpose.
const FINGERPRINT_LABEL: &[u8] = b"sakhi/identity-key/fingerprint/v1\0";
/// 8 bytes (16 hex digits) tell a wrong key from the right one with a 2^-64
/// chance of a false match, and stay short enough to show in an error message.
const FINGERPRINT_BYTES: usize = 8;

/// Everything that can go wrong while loading a key or sealing/opening data.
///
/// No variant ever carries key material or plaintext: these messages end up in
/// logs and on an operator's terminal.
#[derive(Debug, thiserror::Error)]
pub enum CryptoError {
    #[error("sealed value is too short to be valid")]
    Truncated,

    #[error("sealed value has unknown format version {0}")]
    UnknownVersion(u8),

    /// One message for every authentication failure: saying which part failed
    /// would help an attacker more than it helps an operator.
    #[error("sealed value could not be opened: wrong key, wrong record, or altered data")]
    Forged,

    #[error("opened value is not valid UTF-8 text")]
    NotUtf8,

    #[error("value is too large to seal")]
    TooLarge,

    #[error("the operating system's random number generator failed: {0}")]
    Random(getrandom::Error),

    /// `origin` names where the key came from (the environment variable or the
    /// file path) but never the key text itself.
    #[error("identity key from {origin} is not valid standard base64")]
    KeyNotBase64 { origin: String },

    #[error("identity key from {origin} decodes to {len} bytes; it must be exactly {KEY_LEN}")]
    KeyWrongLength { origin: String, len: usize },

    #[error("cannot read identity key file {}: {cause}", path.display())]
    KeyFileUnreadable {
        path: PathBuf,
        // In the message rather than `#[source]`: a plain `{}` print at startup
        // should already say "permission denied" vs "not found".
        cause: std::io::Error,
    },

    #[error(
        "identity key file {} is accessible by group or others (mode {mode:03o}); \
         restrict it with `chmod 600` so only the server's user can read it",
        path.display()
    )]
    KeyFileTooOpen { path: PathBuf, mode: u32 },

    #[error(
        "identity records exist (sealed with key {expected}) but no identity key was given; \
         set {KEY_ENV_VAR} or point to the key file"
    )]
    KeyMissing { expected: String },

    #[error(
        "the identity key given (fingerprint {found}) is not the key the identity records \
         were sealed with (fingerprint {expected})"
    )]
    KeyMismatch { expected: String, found: String },
}

/// The 32-byte key that seals identity records.
///
/// Not `Clone`, not `PartialEq`: each copy is one more place the key could
/// leak from, and equality on secrets invites timing side channels. Share it
/// behind an `Arc` instead. The bytes are wiped when the value is dropped.
pub struct IdentityKey {
    bytes: [u8; KEY_LEN],
}

impl Drop for IdentityKey {
    fn drop(&mut self) {
        self.bytes.zeroize();
    }
}

impl fmt::Debug for IdentityKey {
    // Only the fingerprint: a key printed by `{:?}` in a log line or a panic
    // message would expose every woman's identity record.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IdentityKey")
            .field("fingerprint", &self.fingerprint())
            .finish()
    }
}

impl IdentityKey {
    /// A fresh random key from the operating system's CSPRNG.
    pub fn generate() -> Result<Self, CryptoError> {
        // Fill the key in place so no stray copy is left on the stack.
        let mut key = Self {
            bytes: [0u8; KEY_LEN],
        };
        getrandom::getrandom(&mut key.bytes).map_err(CryptoError::Random)?;
        Ok(key)
    }

    /// Parses standard (padded) base64 of exactly 32 bytes. Surrounding
    /// whitespace is ignored because key files usually end with a newline.
    pub fn from_base64(text: &str) -> Result<Self, CryptoError> {
        Self::parse(text, "the given text")
    }

    /// Reads a key file holding the base64 text.
    ///
    /// On unix the file must not be accessible by group or others: this key
    /// protects the most sensitive data in the system, and a world-readable key
    /// file silently defeats encryption at rest.
    pub fn from_file(path: &Path) -> Result<Self, CryptoError> {
        let unreadable = |cause| CryptoError::KeyFileUnreadable {
            path: path.to_path_buf(),
            cause,
        };
        let mut file = std::fs::File::open(path).map_err(unreadable)?;
        // Check the mode on the opened handle, not the path, so the file cannot
        // be swapped between the check and the read.
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = file.metadata().map_err(unreadable)?.permissions().mode() & 0o777;
            if mode & 0o077 != 0 {
                return Err(CryptoError::KeyFileTooOpen {
                    path: path.to_path_buf(),
                    mode,
                });
            }
        }
        let mut text = Zeroizing::new(String::new());
        file.read_to_string(&mut text).map_err(unreadable)?;
        Self::parse(&text, &path.display().to_string())
    }

    /// The key as standard base64, for `sakhi key generate`. Wrapped in
    /// `Zeroizing` so the caller's copy is wiped once printed or written.
    pub fn to_base64(&self) -> Zeroizing<String> {
        Zeroizing::new(STANDARD.encode(self.bytes))
    }

    /// A short, non-secret identifier of the key: 16 hex digits of
    /// SHA-256(label || key). Safe to store in the database so that startup can
    /// tell a wrong key from a missing one.
    pub fn fingerprint(&self) -> String {
        let mut hasher = Sha256::new();
        hasher.update(FINGERPRINT_LABEL);
        hasher.update(self.bytes);
        let digest = hasher.finalize();
        digest[..FINGERPRINT_BYTES]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }

    /// Seals `plaintext`, binding it to `context` (e.g. `b"identity:CLIENTCODE"`).
    ///
    /// Returns a `Result` because the nonce comes from the OS random number
    /// generator, which can fail; a repeated nonce would be catastrophic, so
    /// there is no fallback.
    pub fn seal(&self, plaintext: &[u8], context: &[u8]) -> Result<Vec<u8>, CryptoError> {
        let mut nonce = [0u8; NONCE_LEN];
        getrandom::getrandom(&mut nonce).map_err(CryptoError::Random)?;
        let aad = associated_data(VERSION, context);
        let ciphertext = self
            .cipher()
            .encrypt(
                XNonce::from_slice(&nonce),
                Payload {
                    msg: plaintext,
                    aad: &aad,
                },
            )
            // The only failure is a plaintext beyond the cipher's ~256 GiB limit.
            .map_err(|_| CryptoError::TooLarge)?;
        let mut sealed = Vec::with_capacity(HEADER_LEN + ciphertext.len());
        sealed.push(VERSION);
        sealed.extend_from_slice(&nonce);
        sealed.extend_from_slice(&ciphertext);
        Ok(sealed)
    }

    /// Opens a value made by [`IdentityKey::seal`] with the same `context`.
    ///
    /// The plaintext is returned in `Zeroizing` so it is wiped when dropped.
    pub fn open(&self, sealed: &[u8], context: &[u8]) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
        let (&version, rest) = sealed.split_first().ok_or(CryptoError::Truncated)?;
        if version != VERSION {
            return Err(CryptoError::UnknownVersion(version));
        }
        if sealed.len() < MIN_SEALED_LEN {
            return Err(CryptoError::Truncated);
        }
        let (nonce, ciphertext) = rest.split_at(NONCE_LEN);
        let aad = associated_data(version, context);
        self.cipher()
            .decrypt(
                XNonce::from_slice(nonce),
                Payload {
                    msg: ciphertext,
                    aad: &aad,
                },
            )
            .map(Zeroizing::new)
            .map_err(|_| CryptoError::Forged)
    }

    /// [`IdentityKey::seal`] for text.
    pub fn seal_str(&self, plaintext: &str, context: &[u8]) -> Result<Vec<u8>, CryptoError> {
        self.seal(plaintext.as_bytes(), context)
    }

    /// [`IdentityKey::open`] for text; rejects a plaintext that is not UTF-8.
    pub fn open_string(
        &self,
        sealed: &[u8],
        context: &[u8],
    ) -> Result<Zeroizing<String>, CryptoError> {
        let mut bytes = self.open(sealed, context)?;
        // Move the bytes out so the only copy ends up inside Zeroizing<String>;
        // on the error path `from_utf8` hands them back and we wipe them.
        let bytes = std::mem::take(&mut *bytes);
        match String::from_utf8(bytes) {
            Ok(text) => Ok(Zeroizing::new(text)),
            Err(err) => {
                let mut bytes = err.into_bytes();
                bytes.zeroize();
                Err(CryptoError::NotUtf8)
            }
        }
    }

    fn cipher(&self) -> XChaCha20Poly1305 {
        // `from_slice` borrows rather than copies; the cipher keeps its own
        // copy of the key and wipes it on drop, so one per call leaves nothing
        // behind.
        XChaCha20Poly1305::new(Key::from_slice(&self.bytes))
    }

    /// Shared by every constructor; `source` is named in errors instead of the
    /// text, which may be (a slightly mistyped copy of) the real key.
    fn parse(text: &str, source: &str) -> Result<Self, CryptoError> {
        let decoded = Zeroizing::new(STANDARD.decode(text.trim()).map_err(|_| {
            // The base64 crate's error names the offending byte; drop it.
            CryptoError::KeyNotBase64 {
                origin: source.to_owned(),
            }
        })?);
        if decoded.len() != KEY_LEN {
            return Err(CryptoError::KeyWrongLength {
                origin: source.to_owned(),
                len: decoded.len(),
            });
        }
        let mut key = Self {
            bytes: [0u8; KEY_LEN],
        };
        key.bytes.copy_from_slice(&decoded);
        Ok(key)
    }
}

/// AAD = version || context. Including the version means a future format
/// cannot be downgraded to this one by rewriting the first byte.
fn associated_data(version: u8, context: &[u8]) -> Vec<u8> {
    let mut aad = Vec::with_capacity(1 + context.len());
    aad.push(version);
    aad.extend_from_slice(context);
    aad
}

/// Loads the identity key from the environment value or the key file.
///
/// The environment value wins over the file, so an operator can override a
/// deployed file for one run. A value that is empty or only whitespace counts
/// as absent, because `KEY=` lines in env files are a common way to "unset".
/// Both absent gives `Ok(None)`: whether that is fatal depends on whether
/// identity records exist (see [`check_startup_key`]).
pub fn load_key(
    env_value: Option<&str>,
    file: Option<&Path>,
) -> Result<Option<IdentityKey>, CryptoError> {
    match (env_value.filter(|v| !v.trim().is_empty()), file) {
        (Some(text), _) => IdentityKey::parse(text, KEY_ENV_VAR).map(Some),
        (None, Some(path)) => IdentityKey::from_file(path).map(Some),
        (None, None) => Ok(None),
    }
}

/// Decides whether the server may start, given the loaded key and the key
/// fingerprint stored in the database (`None` when no identity record has
/// been sealed yet).
///
/// Records present with no key, or with a different key, are refused: serving
/// would either fail on every identity read or, worse, seal new records under
/// a key that cannot open the old ones.
pub fn check_startup_key(
    key: Option<&IdentityKey>,
    stored_fingerprint: Option<&str>,
) -> Result<(), CryptoError> {
    match (key, stored_fingerprint) {
        (_, None) => Ok(()),
        (None, Some(expected)) => Err(CryptoError::KeyMissing {
            expected: expected.to_owned(),
        }),
        (Some(key), Some(expected)) => {
            let found = key.fingerprint();
            if found == expected {
                Ok(())
            } else {
                Err(CryptoError::KeyMismatch {
                    expected: expected.to_owned(),
                    found,
                })
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A fixed key so failures are reproducible: bytes 0, 1, ..., 31.
    fn fixed_key() -> IdentityKey {
        let mut bytes = [0u8; KEY_LEN];
        for (i, b) in bytes.iter_mut().enumerate() {
            *b = i as u8;
        }
        IdentityKey { bytes }
    }

    const FIXED_KEY_B64: &str = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";

    fn write_key_file(dir: &Path, text: &str, mode: u32) -> PathBuf {
        let path = dir.join("identity.key");
        std::fs::write(&path, text).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).unwrap();
        }
        #[cfg(not(unix))]
        let _ = mode;
        path
    }

    #[test]
    fn a_sealed_narrative_opens_to_the_same_text_with_the_same_context() {
        let key = fixed_key();
        let text = "Relapse reported 3 March; पति ने मारा — shelter referral";
        let sealed = key.seal_str(text, b"incident:K7Q2").unwrap();
        assert_eq!(sealed[0], VERSION);
        assert_eq!(
            sealed.len(),
            HEADER_LEN + text.len() + TAG_LEN,
            "format is version || nonce || ciphertext || tag"
        );
        assert!(
            !sealed.windows(7).any(|w| w == b"Relapse"),
            "plaintext must not appear in the sealed bytes"
        );
        let opened = key.open_string(&sealed, b"incident:K7Q2").unwrap();
        assert_eq!(opened.as_str(), text);
    }

    #[test]
    fn an_empty_plaintext_round_trips() {
        let key = fixed_key();
        let sealed = key.seal(b"", b"identity:A").unwrap();
        assert_eq!(sealed.len(), MIN_SEALED_LEN);
        assert!(key.open(&sealed, b"identity:A").unwrap().is_empty());
    }

    #[test]
    fn flipping_any_bit_after_the_version_byte_is_reported_as_forged() {
        let key = fixed_key();
        let sealed = key.seal(b"Asha, 98xxxxxx01", b"identity:K7Q2").unwrap();
        for byte in 1..sealed.len() {
            for bit in 0..8 {
                let mut tampered = sealed.clone();
                tampered[byte] ^= 1 << bit;
                let err = key.open(&tampered, b"identity:K7Q2").unwrap_err();
                assert!(
                    matches!(err, CryptoError::Forged),
                    "byte {byte} bit {bit} gave {err:?}"
                );
            }
        }
    }

    #[test]
    fn flipping_a_bit_in_the_version_byte_is_an_unknown_version() {
        let key = fixed_key();
        let mut sealed = key.seal(b"x", b"c").unwrap();
        sealed[0] ^= 0x04;
        assert!(matches!(
            key.open(&sealed, b"c"),
            Err(CryptoError::UnknownVersion(5))
        ));
    }

    #[test]
    fn a_blob_moved_to_another_record_does_not_open() {
        let key = fixed_key();
        let sealed = key.seal_str("Meena", b"identity:AAAA").unwrap();
        assert!(matches!(
            key.open(&sealed, b"identity:BBBB"),
            Err(CryptoError::Forged)
        ));
        assert!(matches!(
            key.open(&sealed, b"incident:AAAA"),
            Err(CryptoError::Forged)
        ));
        assert!(matches!(key.open(&sealed, b""), Err(CryptoError::Forged)));
    }

    #[test]
    fn another_key_cannot_open_a_sealed_value() {
        let sealed = fixed_key().seal_str("Meena", b"identity:AAAA").unwrap();
        let other = IdentityKey::generate().unwrap();
        assert!(matches!(
            other.open(&sealed, b"identity:AAAA"),
            Err(CryptoError::Forged)
        ));
    }

    #[test]
    fn forged_message_does_not_say_what_failed() {
        let msg = CryptoError::Forged.to_string();
        assert!(!msg.contains("byte"), "{msg}");
        assert!(!msg.contains("tag"), "{msg}");
    }

    #[test]
    fn truncated_values_are_rejected_without_panicking() {
        let key = fixed_key();
        let sealed = key.seal(b"hello", b"c").unwrap();
        assert!(matches!(key.open(&[], b"c"), Err(CryptoError::Truncated)));
        for len in 1..MIN_SEALED_LEN {
            assert!(
                matches!(key.open(&sealed[..len], b"c"), Err(CryptoError::Truncated)),
                "length {len}"
            );
        }
        // Long enough to parse but missing part of the ciphertext: the tag no
        // longer matches, which is a forgery, not a parse error.
        assert!(matches!(
            key.open(&sealed[..sealed.len() - 1], b"c"),
            Err(CryptoError::Forged)
        ));
    }

    #[test]
    fn an_unknown_version_is_rejected_even_when_short() {
        let key = fixed_key();
        assert!(matches!(
            key.open(&[2], b"c"),
            Err(CryptoError::UnknownVersion(2))
        ));
        let mut sealed = key.seal(b"hello", b"c").unwrap();
        sealed[0] = 0;
        assert!(matches!(
            key.open(&sealed, b"c"),
            Err(CryptoError::UnknownVersion(0))
        ));
    }

    #[test]
    fn sealing_the_same_text_twice_gives_different_bytes() {
        let key = fixed_key();
        let a = key.seal_str("Meena", b"identity:AAAA").unwrap();
        let b = key.seal_str("Meena", b"identity:AAAA").unwrap();
        assert_ne!(a[1..HEADER_LEN], b[1..HEADER_LEN], "nonces must differ");
        assert_ne!(a, b);
        assert_eq!(
            key.open_string(&a, b"identity:AAAA").unwrap().as_str(),
            "Meena"
        );
        assert_eq!(
            key.open_string(&b, b"identity:AAAA").unwrap().as_str(),
            "Meena"
        );
    }

    #[test]
    fn open_string_rejects_sealed_bytes_that_are_not_utf8() {
        let key = fixed_key();
        let sealed = key.seal(&[0xff, 0xfe], b"c").unwrap();
        assert!(matches!(
            key.open_string(&sealed, b"c"),
            Err(CryptoError::NotUtf8)
        ));
    }

    #[test]
    fn debug_shows_the_fingerprint_and_never_the_key() {
        let key = fixed_key();
        let shown = format!("{key:?}");
        assert!(!shown.contains(FIXED_KEY_B64), "{shown}");
        assert!(!shown.contains("AAECAwQF"), "{shown}");
        assert!(!shown.contains("[0, 1, 2"), "{shown}");
        assert!(shown.contains(&key.fingerprint()), "{shown}");
    }

    #[test]
    fn fingerprint_is_16_hex_digits_stable_and_key_specific() {
        let key = fixed_key();
        let fp = key.fingerprint();
        assert_eq!(fp.len(), 16);
        assert!(fp.chars().all(|c| c.is_ascii_hexdigit()));
        assert_eq!(fp, fixed_key().fingerprint());
        // Not a bare hash of the key: the label separates it from other uses.
        let bare: String = Sha256::digest(key.bytes)[..FINGERPRINT_BYTES]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        assert_ne!(fp, bare);
        assert_ne!(fp, IdentityKey::generate().unwrap().fingerprint());
    }

    #[test]
    fn base64_round_trips_and_ignores_surrounding_whitespace() {
        let key = fixed_key();
        assert_eq!(key.to_base64().as_str(), FIXED_KEY_B64);
        let parsed = IdentityKey::from_base64(&format!("  {FIXED_KEY_B64}\n")).unwrap();
        assert_eq!(parsed.bytes, key.bytes);

        let generated = IdentityKey::generate().unwrap();
        let again = IdentityKey::from_base64(&generated.to_base64()).unwrap();
        assert_eq!(again.fingerprint(), generated.fingerprint());
    }

    #[test]
    fn bad_base64_is_rejected_without_echoing_the_input() {
        let secret_looking = "not*base64*AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBk=";
        let err = IdentityKey::from_base64(secret_looking).unwrap_err();
        assert!(matches!(err, CryptoError::KeyNotBase64 { .. }), "{err:?}");
        let msg = err.to_string();
        assert!(!msg.contains("AAECAwQF"), "{msg}");
        assert!(!msg.contains('*'), "{msg}");
    }

    #[test]
    fn a_key_of_the_wrong_length_is_rejected_without_echoing_the_input() {
        // 31 bytes: a truncated copy-paste of a real key.
        let short = STANDARD.encode([7u8; 31]);
        let err = IdentityKey::from_base64(&short).unwrap_err();
        assert!(
            matches!(err, CryptoError::KeyWrongLength { len: 31, .. }),
            "{err:?}"
        );
        let msg = err.to_string();
        assert!(!msg.contains(&short), "{msg}");
        assert!(msg.contains("31") && msg.contains("32"), "{msg}");

        let long = STANDARD.encode([7u8; 33]);
        assert!(matches!(
            IdentityKey::from_base64(&long),
            Err(CryptoError::KeyWrongLength { len: 33, .. })
        ));
        assert!(matches!(
            IdentityKey::from_base64(""),
            Err(CryptoError::KeyWrongLength { len: 0, .. })
        ));
    }

    #[cfg(unix)]
    #[test]
    fn a_key_file_readable_by_others_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        for mode in [0o644, 0o640, 0o604, 0o660, 0o602] {
            let path = write_key_file(dir.path(), FIXED_KEY_B64, mode);
            let err = IdentityKey::from_file(&path).unwrap_err();
            assert!(
                matches!(err, CryptoError::KeyFileTooOpen { mode: m, .. } if m == mode),
                "mode {mode:o}: {err:?}"
            );
            let msg = err.to_string();
            assert!(msg.contains("chmod 600"), "{msg}");
            assert!(msg.contains(&path.display().to_string()), "{msg}");
            assert!(!msg.contains(FIXED_KEY_B64), "{msg}");
        }
    }

    #[test]
    fn a_private_key_file_is_accepted() {
        let dir = tempfile::tempdir().unwrap();
        for mode in [0o600, 0o400] {
            let path = write_key_file(dir.path(), &format!("{FIXED_KEY_B64}\n"), mode);
            let key = IdentityKey::from_file(&path).unwrap();
            assert_eq!(
                key.fingerprint(),
                fixed_key().fingerprint(),
                "mode {mode:o}"
            );
        }
    }

    #[test]
    fn a_bad_key_file_is_named_in_the_error_without_its_contents() {
        let dir = tempfile::tempdir().unwrap();
        let path = write_key_file(dir.path(), "AAECAwQFBgcICQoLDA0ODxAREhMU", 0o600);
        let err = IdentityKey::from_file(&path).unwrap_err();
        let msg = err.to_string();
        assert!(msg.contains(&path.display().to_string()), "{msg}");
        assert!(!msg.contains("AAECAwQF"), "{msg}");
    }

    #[test]
    fn a_missing_key_file_is_a_read_error_naming_the_path() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("nope.key");
        let err = IdentityKey::from_file(&path).unwrap_err();
        assert!(
            matches!(err, CryptoError::KeyFileUnreadable { .. }),
            "{err:?}"
        );
        assert!(err.to_string().contains("nope.key"));
    }

    #[test]
    fn load_key_prefers_the_environment_over_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let other = IdentityKey::generate().unwrap();
        let path = write_key_file(dir.path(), &other.to_base64(), 0o600);

        let from_env = load_key(Some(FIXED_KEY_B64), Some(&path)).unwrap().unwrap();
        assert_eq!(from_env.fingerprint(), fixed_key().fingerprint());

        let from_file = load_key(None, Some(&path)).unwrap().unwrap();
        assert_eq!(from_file.fingerprint(), other.fingerprint());

        // An empty variable is treated as unset, so the file still applies.
        let blank_env = load_key(Some("  \n"), Some(&path)).unwrap().unwrap();
        assert_eq!(blank_env.fingerprint(), other.fingerprint());
    }

    #[test]
    fn load_key_with_nothing_configured_is_none() {
        assert!(load_key(None, None).unwrap().is_none());
        assert!(load_key(Some(""), None).unwrap().is_none());
    }

    #[test]
    fn load_key_names_the_bad_source_without_echoing_the_key() {
        let bad = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8"; // 43 chars, missing padding
        let err = load_key(Some(bad), None).unwrap_err();
        let msg = err.to_string();
        assert!(msg.contains(KEY_ENV_VAR), "{msg}");
        assert!(!msg.contains(bad), "{msg}");

        let dir = tempfile::tempdir().unwrap();
        let path = write_key_file(dir.path(), "short", 0o600);
        let msg = load_key(None, Some(&path)).unwrap_err().to_string();
        assert!(msg.contains(&path.display().to_string()), "{msg}");
        assert!(!msg.contains("short"), "{msg}");
    }

    #[test]
    fn startup_refuses_identity_records_without_the_right_key() {
        let key = fixed_key();
        let fp = key.fingerprint();

        // No records yet: any key situation is fine.
        assert!(check_startup_key(None, None).is_ok());
        assert!(check_startup_key(Some(&key), None).is_ok());

        // Records present.
        assert!(check_startup_key(Some(&key), Some(&fp)).is_ok());
        let missing = check_startup_key(None, Some(&fp)).unwrap_err();
        assert!(matches!(missing, CryptoError::KeyMissing { .. }));
        assert!(missing.to_string().contains(KEY_ENV_VAR));

        let other = IdentityKey::generate().unwrap();
        let wrong = check_startup_key(Some(&other), Some(&fp)).unwrap_err();
        match wrong {
            CryptoError::KeyMismatch { expected, found } => {
                assert_eq!(expected, fp);
                assert_eq!(found, other.fingerprint());
            }
            e => panic!("expected KeyMismatch, got {e:?}"),
        }
    }
}
