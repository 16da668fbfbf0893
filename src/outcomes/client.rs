//! The client code that keys every record about a woman, and her identity
//! record, which is the only place her name and contacts are written.

use super::{short_text, OutcomeError, OutcomeResult};
use serde::{Deserialize, Serialize};
use std::fmt;

/// Crockford's base32 alphabet: no I, L, O or U, so a code read aloud or
/// copied by hand is not mistaken for another.
const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
const CODE_CHARS: usize = 8;

/// A random, meaningless code: `C-` and eight base32 characters (40 bits),
/// never derived from anything about the woman, so it can travel in URLs and
/// reports without saying who she is.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ClientCode(String);

impl ClientCode {
    pub fn generate() -> Result<ClientCode, getrandom::Error> {
        let mut bytes = [0u8; CODE_CHARS];
        getrandom::getrandom(&mut bytes)?;
        let code: String = bytes
            .iter()
            .map(|b| char::from(ALPHABET[usize::from(b & 31)]))
            .collect();
        Ok(ClientCode(format!("C-{code}")))
    }

    /// Accepts what a person types: any case, surrounding spaces.
    pub fn parse(text: &str) -> OutcomeResult<ClientCode> {
        let upper = text.trim().to_ascii_uppercase();
        let valid = upper.len() == CODE_CHARS + 2
            && upper.starts_with("C-")
            && upper.bytes().skip(2).all(|b| ALPHABET.contains(&b));
        if !valid {
            return Err(OutcomeError::new(
                "client",
                "is not a client code (C- and 8 letters or digits)",
            ));
        }
        Ok(ClientCode(upper))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ClientCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for ClientCode {
    type Error = OutcomeError;
    fn try_from(s: String) -> OutcomeResult<ClientCode> {
        ClientCode::parse(&s)
    }
}

impl From<ClientCode> for String {
    fn from(c: ClientCode) -> String {
        c.0
    }
}

/// Who she is and how to reach her. Sealed as a whole before it is stored;
/// only roles that need it (counsellors, program staff) ever see it opened.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Identity {
    pub full_name: String,
    pub phone: Option<String>,
    pub address: Option<String>,
    pub family_contact: Option<String>,
}

/// Never print an identity by accident: a stray `{:?}` in a log line must
/// not write a name.
impl fmt::Debug for Identity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Identity { .. }")
    }
}

impl Identity {
    pub fn new(
        full_name: &str,
        phone: &str,
        address: &str,
        family_contact: &str,
    ) -> OutcomeResult<Identity> {
        let optional = |field, text: &str, max| {
            if text.trim().is_empty() {
                Ok(None)
            } else {
                short_text(field, text, max).map(Some)
            }
        };
        Ok(Identity {
            full_name: short_text("full_name", full_name, 100)?,
            phone: phone_number(phone)?,
            address: optional("address", address, 200)?,
            family_contact: optional("family_contact", family_contact, 200)?,
        })
    }
}

/// Digits with an optional leading `+` and spaces or dashes between: 7 to 15
/// digits, the range of real numbers from landlines to international mobiles.
fn phone_number(text: &str) -> OutcomeResult<Option<String>> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    let body = text.strip_prefix('+').unwrap_or(text);
    let digits = body.bytes().filter(u8::is_ascii_digit).count();
    let allowed = body
        .bytes()
        .all(|b| b.is_ascii_digit() || b == b' ' || b == b'-');
    if !allowed || !(7..=15).contains(&digits) {
        return Err(OutcomeError::new(
            "phone",
            "use 7 to 15 digits, with an optional + in front",
        ));
    }
    Ok(Some(text.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_codes_are_well_formed_and_differ() {
        let a = ClientCode::generate().unwrap();
        let b = ClientCode::generate().unwrap();
        assert_ne!(a, b);
        assert_eq!(ClientCode::parse(a.as_str()).unwrap(), a);
        assert_eq!(a.as_str().len(), 10);
    }

    #[test]
    fn typed_codes_are_read_in_any_case_and_lookalikes_are_refused() {
        assert_eq!(
            ClientCode::parse(" c-7kq2m9xd ").unwrap().as_str(),
            "C-7KQ2M9XD"
        );
        for bad in [
            "",
            "C-7KQ2M9X",
            "C-7KQ2M9XDD",
            "X-7KQ2M9XD",
            "C-7KQ2M9XI",
            "C-7KQ2M9XO",
        ] {
            let err = ClientCode::parse(bad).unwrap_err();
            assert_eq!(err.field, "client", "{bad}");
        }
    }

    #[test]
    fn an_identity_needs_a_name_and_a_plausible_phone() {
        let id = Identity::new("Asha Devi", "+91 98765-43210", "", " ").unwrap();
        assert_eq!(id.phone.as_deref(), Some("+91 98765-43210"));
        assert_eq!(id.address, None);
        assert_eq!(
            Identity::new(" ", "", "", "").unwrap_err().field,
            "full_name"
        );
        assert_eq!(
            Identity::new("A", "12345", "", "").unwrap_err().field,
            "phone"
        );
        assert_eq!(
            Identity::new("A", "98x7654321", "", "").unwrap_err().field,
            "phone"
        );
    }

    #[test]
    fn debug_output_never_shows_the_name() {
        let id = Identity::new("Asha Devi", "", "", "").unwrap();
        assert!(!format!("{id:?}").contains("Asha"));
    }
}
