//! Messages from the code — form rules, domain refusals, generic errors — in
//! the person's language.
//!
//! These texts are written in English where the rule lives (a constructor,
//! an error enum), far from any request, so they are translated gettext
//! style: the English text is the key. `messages.hi.toml` and
//! `messages.mni.toml` hold three tables:
//!
//! * `[messages]`: English text → translation. A key may have numbered
//!   slots (`"too many attempts: try again in {0} seconds"`) that match any
//!   text; the translation repeats them in whatever order its grammar needs.
//! * `[fields]`: form field name → label shown before its message.
//!
//! A message with no translation is shown in English, never dropped: a rule
//! the person cannot read is still better than a silent failure. The tests
//! in `tests/i18n_messages.rs` find every message in the source and require
//! Hindi for each.

use std::collections::HashMap;
use std::sync::OnceLock;

use super::{interpolate, Lang};

const HI_TOML: &str = include_str!("messages.hi.toml");
const MNI_TOML: &str = include_str!("messages.mni.toml");

/// `english` in `lang`: its translation with the slots filled, or
/// `english` itself when there is none. A slot's value that is itself a
/// known message (a refusal quoted inside another) or a field name
/// (`password must be…`) is translated too.
pub fn message(lang: Lang, english: &str) -> String {
    let Some(catalog) = catalog(lang) else {
        return english.to_string();
    };
    catalog
        .translate(english)
        .unwrap_or_else(|| english.to_string())
}

/// The label of form field `name` in `lang`: its translation, else the
/// name with underscores as spaces (`held_on` → `held on`).
pub fn field(lang: Lang, name: &str) -> String {
    catalog(lang)
        .and_then(|c| c.fields.get(name))
        .cloned()
        .unwrap_or_else(|| name.replace('_', " "))
}

/// Whether `english` has a translation in `lang` (English always has).
pub fn is_translated(lang: Lang, english: &str) -> bool {
    match catalog(lang) {
        None => lang == Lang::En,
        Some(c) => c.translate(english).is_some(),
    }
}

struct Catalog {
    exact: HashMap<String, String>,
    /// Keys with slots, the most literal text first so that a specific
    /// message wins over a general one.
    patterns: Vec<Pattern>,
    fields: HashMap<String, String>,
}

struct Pattern {
    /// The English text around the slots: one more than there are slots.
    literals: Vec<String>,
    /// Which slot number each gap holds, in order of appearance.
    slots: Vec<String>,
    translation: String,
}

impl Catalog {
    fn translate(&self, english: &str) -> Option<String> {
        if let Some(text) = self.exact.get(english) {
            return Some(text.clone());
        }
        self.patterns.iter().find_map(|p| {
            let values = p.capture(english)?;
            let translated: Vec<String> = values
                .iter()
                .map(|v| {
                    self.exact
                        .get(*v)
                        .or_else(|| self.fields.get(*v))
                        .cloned()
                        .unwrap_or_else(|| (*v).to_string())
                })
                .collect();
            let args: Vec<(&str, &str)> = p
                .slots
                .iter()
                .map(String::as_str)
                .zip(translated.iter().map(String::as_str))
                .collect();
            Some(interpolate(&p.translation, &args))
        })
    }
}

impl Pattern {
    fn parse(key: &str, translation: &str) -> Option<Pattern> {
        let mut literals = Vec::new();
        let mut slots = Vec::new();
        let mut rest = key;
        let mut literal = String::new();
        while let Some(open) = rest.find('{') {
            literal.push_str(&rest[..open]);
            let after = &rest[open + 1..];
            match super::placeholder_at(after) {
                Some(name) if name.bytes().all(|b| b.is_ascii_digit()) => {
                    literals.push(std::mem::take(&mut literal));
                    slots.push(name.to_string());
                    rest = &after[name.len() + 1..];
                }
                _ => {
                    literal.push('{');
                    rest = after;
                }
            }
        }
        literal.push_str(rest);
        literals.push(literal);
        (!slots.is_empty()).then(|| Pattern {
            literals,
            slots,
            translation: translation.to_string(),
        })
    }

    /// The texts in the slots when `text` has this pattern's shape. Each
    /// slot takes the shortest text up to the next literal, except the last,
    /// which runs to the final literal at the end.
    fn capture<'t>(&self, text: &'t str) -> Option<Vec<&'t str>> {
        let (first, rest_literals) = self.literals.split_first()?;
        let mut rest = text.strip_prefix(first.as_str())?;
        let mut values = Vec::with_capacity(self.slots.len());
        for (i, literal) in rest_literals.iter().enumerate() {
            let is_last = i + 1 == rest_literals.len();
            let end = if is_last {
                rest.strip_suffix(literal.as_str())?.len()
            } else if literal.is_empty() {
                return None;
            } else {
                rest.find(literal.as_str())?
            };
            if end == 0 {
                return None;
            }
            values.push(&rest[..end]);
            rest = &rest[end + literal.len()..];
        }
        Some(values)
    }

    fn literal_len(&self) -> usize {
        self.literals.iter().map(String::len).sum()
    }
}

fn catalog(lang: Lang) -> Option<&'static Catalog> {
    static HI: OnceLock<Catalog> = OnceLock::new();
    static MNI: OnceLock<Catalog> = OnceLock::new();
    let (cell, text) = match lang {
        Lang::En => return None,
        Lang::Hi => (&HI, HI_TOML),
        Lang::Mni => (&MNI, MNI_TOML),
    };
    Some(cell.get_or_init(|| {
        parse(text).expect("embedded i18n/messages.*.toml must parse (checked by tests)")
    }))
}

fn parse(text: &str) -> Result<Catalog, String> {
    let table: toml::Table = text.parse().map_err(|e| format!("not valid TOML: {e}"))?;
    let strings = |name: &str| -> Result<HashMap<String, String>, String> {
        let Some(value) = table.get(name) else {
            return Ok(HashMap::new());
        };
        let inner = value
            .as_table()
            .ok_or_else(|| format!("`{name}` must be a table"))?;
        inner
            .iter()
            .map(|(k, v)| {
                v.as_str()
                    .map(|s| (k.clone(), s.to_string()))
                    .ok_or_else(|| format!("`{name}.{k}` must be a string"))
            })
            .collect()
    };
    let all = strings("messages")?;
    let mut exact = HashMap::new();
    let mut patterns = Vec::new();
    for (key, translation) in all {
        match Pattern::parse(&key, &translation) {
            Some(p) => patterns.push(p),
            None => {
                exact.insert(key, translation);
            }
        }
    }
    patterns.sort_by_key(|p| std::cmp::Reverse(p.literal_len()));
    Ok(Catalog {
        exact,
        patterns,
        fields: strings("fields")?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn catalog_of(text: &str) -> Catalog {
        match parse(text) {
            Ok(c) => c,
            Err(e) => panic!("test catalog: {e}"),
        }
    }

    #[test]
    fn exact_and_slotted_messages_translate_with_their_values() {
        let c = catalog_of(
            r#"
            [messages]
            "not found" = "नहीं मिला"
            "too many attempts: try again in {0} seconds" = "{0} सेकंड बाद फिर कोशिश करें"
            "entry {0} has already been reversed by entry {1}" = "प्रविष्टि {1} ने {0} को पहले ही उलट दिया"
            "{0} is required" = "{0} ज़रूरी है"
            "{0} must be at least {1} characters long" = "{0} कम से कम {1} अक्षर"
            "the remaining installments could not be rescheduled: {0}" = "किस्तें नहीं बदलीं: {0}"
            "the payment must be more than zero" = "भुगतान शून्य से अधिक हो"
            "#,
        );
        assert_eq!(c.translate("not found").as_deref(), Some("नहीं मिला"));
        assert_eq!(
            c.translate("too many attempts: try again in 30 seconds")
                .as_deref(),
            Some("30 सेकंड बाद फिर कोशिश करें")
        );
        assert_eq!(
            c.translate("entry 12 has already been reversed by entry 40")
                .as_deref(),
            Some("प्रविष्टि 40 ने 12 को पहले ही उलट दिया")
        );
        // The more literal pattern wins over `{0} is required`.
        assert_eq!(
            c.translate("password must be at least 12 characters long")
                .as_deref(),
            Some("password कम से कम 12 अक्षर")
        );
        assert_eq!(
            c.translate("pin is required").as_deref(),
            Some("pin ज़रूरी है")
        );
        // A refusal quoted inside another is translated as well.
        assert_eq!(
            c.translate(
                "the remaining installments could not be rescheduled: the payment must be more than zero"
            )
            .as_deref(),
            Some("किस्तें नहीं बदलीं: भुगतान शून्य से अधिक हो")
        );
        assert_eq!(c.translate("something new"), None);
        assert_eq!(
            c.translate("too many attempts: try again in  seconds"),
            None
        );
    }

    #[test]
    fn a_message_without_translation_stays_english() {
        assert_eq!(message(Lang::En, "not found"), "not found");
        assert_eq!(
            message(Lang::Hi, "a message nobody wrote"),
            "a message nobody wrote"
        );
        assert_eq!(field(Lang::En, "held_on"), "held on");
    }

    #[test]
    fn embedded_message_catalogs_parse_and_keep_their_slots() {
        for (name, text) in [("hi", HI_TOML), ("mni", MNI_TOML)] {
            let table: toml::Table = match text.parse() {
                Ok(t) => t,
                Err(e) => panic!("messages.{name}.toml: {e}"),
            };
            let Some(messages) = table.get("messages").and_then(|m| m.as_table()) else {
                panic!("messages.{name}.toml has no [messages] table");
            };
            for (key, value) in messages {
                let value = value.as_str().unwrap_or_default();
                let slots = |s: &str| -> std::collections::BTreeSet<String> {
                    Pattern::parse(s, "")
                        .map(|p| p.slots.into_iter().collect())
                        .unwrap_or_default()
                };
                assert_eq!(
                    slots(key),
                    slots(value),
                    "messages.{name}.toml: {key:?} and its translation use different slots"
                );
            }
            assert!(parse(text).is_ok());
        }
        assert_eq!(
            message(Lang::Hi, "not found"),
            message(Lang::Hi, "not found")
        );
    }
}
