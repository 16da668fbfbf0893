//! The program's own settings: the name it goes by on every page, and the
//! defaults that new accounts, members and groups start from. Plain values,
//! checked here so that the web form and any other writer apply one rule.

use crate::i18n::Lang;
use crate::money::{Currency, UnknownCurrency};
use serde::Serialize;

/// The longest program name: it shares the page header with the brand and
/// the sign-out button on a small phone.
pub const MAX_NAME_CHARS: usize = 80;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProgramSettings {
    /// `None` until the admin names the program: the header shows the brand alone.
    pub name: Option<String>,
    /// The language of a new account or member login made without one.
    pub lang: Lang,
    /// The currency of a new group's books.
    pub currency: Currency,
}

impl Default for ProgramSettings {
    fn default() -> Self {
        ProgramSettings {
            name: None,
            lang: Lang::En,
            currency: Currency::inr(),
        }
    }
}

/// Which setting a value was refused for, and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SettingsError {
    #[error("the program name must be 1 to {MAX_NAME_CHARS} characters on one line")]
    Name,
    #[error("the language must be one of en, hi, mni (got {0:?})")]
    Lang(String),
    #[error(transparent)]
    Currency(#[from] UnknownCurrency),
}

impl SettingsError {
    /// The form and JSON field the error is about.
    pub fn field(&self) -> &'static str {
        match self {
            SettingsError::Name => "program_name",
            SettingsError::Lang(_) => "default_lang",
            SettingsError::Currency(_) => "default_currency",
        }
    }
}

impl ProgramSettings {
    /// Settings from what a person typed: the name trimmed; codes as the
    /// language and currency lists know them. Nothing is guessed or cut short.
    pub fn parse(name: &str, lang: &str, currency: &str) -> Result<ProgramSettings, SettingsError> {
        Ok(ProgramSettings {
            name: Some(program_name(name)?),
            lang: Lang::from_code(lang).ok_or_else(|| SettingsError::Lang(lang.to_string()))?,
            currency: Currency::from_code(currency)?,
        })
    }
}

/// A name that fits the header: not blank, at most `MAX_NAME_CHARS`, and one
/// line (a newline or other control character would break the header and
/// could forge a second line in a CSV or log).
pub fn program_name(text: &str) -> Result<String, SettingsError> {
    let name = text.trim();
    let fits = !name.is_empty()
        && name.chars().count() <= MAX_NAME_CHARS
        && !name.chars().any(char::is_control);
    if fits {
        Ok(name.to_string())
    } else {
        Err(SettingsError::Name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_good_form_becomes_settings_with_canonical_codes() {
        let s = ProgramSettings::parse("  Lotus Women's Program ", "HI", "npr");
        assert_eq!(
            s,
            Ok(ProgramSettings {
                name: Some("Lotus Women's Program".into()),
                lang: Lang::Hi,
                currency: Currency::from_code("NPR").unwrap(),
            })
        );
        assert_eq!(s.unwrap().currency.code(), "NPR");
    }

    #[test]
    fn each_bad_value_names_its_field() {
        let long = "x".repeat(MAX_NAME_CHARS + 1);
        for (name, lang, currency, field) in [
            ("", "en", "INR", "program_name"),
            ("   ", "en", "INR", "program_name"),
            (long.as_str(), "en", "INR", "program_name"),
            ("Two\nlines", "en", "INR", "program_name"),
            ("Sakhi", "fr", "INR", "default_lang"),
            ("Sakhi", "", "INR", "default_lang"),
            ("Sakhi", "en", "XYZ", "default_currency"),
            ("Sakhi", "en", "", "default_currency"),
        ] {
            let err = ProgramSettings::parse(name, lang, currency).unwrap_err();
            assert_eq!(err.field(), field, "{name:?} {lang:?} {currency:?}");
        }
    }

    #[test]
    fn eighty_characters_of_any_script_fit() {
        let hindi = "स".repeat(MAX_NAME_CHARS);
        assert_eq!(program_name(&hindi), Ok(hindi.clone()));
    }
}
