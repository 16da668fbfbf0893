//! Page text in English, Hindi and Manipuri (Meitei Mayek).
//!
//! The catalogs are TOML files compiled into the binary (`en.toml`,
//! `hi.toml`, `mni.toml` beside this file), one table per page, parsed once
//! on first use. Keys are `page.name` (`member.savings`); `{name}` in a text
//! is filled in from the arguments given to [`tr`] or to the Tera function.
//!
//! * English is the reference: every key exists there.
//! * Hindi has every key (checked by the tests).
//! * Manipuri is required for the pages a member sees (`login.`, `member.`,
//!   `common.`, `lang.`); any other missing key shows the English text.
//! * An unknown key shows the key itself, so a typo is visible on the page
//!   but never breaks it.
//!
//! In templates (after [`register`]):
//!
//! ```text
//! {{ t(key="member.savings", lang=lang) }}
//! {{ t(key="meeting.total", lang=lang, amount=total) }}
//! ```
//!
//! Every named argument other than `key` and `lang` is an interpolation
//! value (string or number). `lang` is a code (`"en"`, `"hi"`, `"mni"`); a
//! [`Lang`] put in the context serialises to exactly that. A missing or
//! unknown code means English. The result is escaped like any other
//! expression when autoescaping is on. Numbers are shown as given (`1250.5`),
//! so pass amounts already formatted as strings.

mod messages;
pub use messages::{field as field_label, is_translated, message};

use std::collections::HashMap;
use std::fmt;
use std::sync::OnceLock;

use serde::{Deserialize, Serialize};

/// A language the pages are shown in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    /// English.
    #[default]
    En,
    /// Hindi, in Devanagari.
    Hi,
    /// Manipuri (Meiteilon), in Meitei Mayek.
    Mni,
}

impl Lang {
    /// Every language, in the order a chooser lists them.
    pub const ALL: [Lang; 3] = [Lang::En, Lang::Hi, Lang::Mni];

    /// The language with this code (`"en"`, `"hi"`, `"mni"`; ASCII case and
    /// surrounding whitespace ignored), if there is one.
    pub fn from_code(code: &str) -> Option<Lang> {
        let code = code.trim();
        Lang::ALL
            .into_iter()
            .find(|lang| lang.code().eq_ignore_ascii_case(code))
    }

    /// The code used in URLs, cookies, forms and serde: `"en"`, `"hi"`, `"mni"`.
    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Hi => "hi",
            Lang::Mni => "mni",
        }
    }

    /// The language's name in its own script, for the language chooser.
    pub fn native_name(self) -> &'static str {
        match self {
            Lang::En => "English",
            Lang::Hi => "हिन्दी",
            Lang::Mni => "ꯃꯤꯇꯩꯂꯣꯟ",
        }
    }

    /// The BCP 47 tag for `<html lang>` and `lang` attributes. Manipuri
    /// names its script, as it is also written in Bengali script.
    pub fn html_lang(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Hi => "hi",
            Lang::Mni => "mni-Mtei",
        }
    }
}

impl fmt::Display for Lang {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// The text for `key` in `lang`, without interpolation: `{name}`
/// placeholders stay as they are. A key missing in Hindi or Manipuri gives
/// the English text; a key missing in English gives `key` itself.
///
/// The result borrows from `key` only in that last case, so a literal key
/// gives a `&'static str`.
pub fn t(lang: Lang, key: &str) -> &str {
    lookup(lang, key)
        .or_else(|| lookup(Lang::En, key))
        .unwrap_or(key)
}

/// The text for `key` in `lang` (as [`t`]) with each `{name}` replaced by
/// the value paired with `name` in `args`. A placeholder with no value
/// stays visible as `{name}`; values are inserted as they are, never
/// themselves searched for placeholders.
pub fn tr(lang: Lang, key: &str, args: &[(&str, &str)]) -> String {
    interpolate(t(lang, key), args)
}

/// What an entry of this kind (`loan-repayment`) is called in `lang`; a
/// kind the catalog does not name is shown with spaces for dashes.
pub fn entry_kind(lang: Lang, kind: &str) -> String {
    let key = format!("entry.{}", kind.replace('-', "_"));
    match lookup(lang, &key).or_else(|| lookup(Lang::En, &key)) {
        Some(text) => text.to_string(),
        None => kind.replace('-', " "),
    }
}

/// Registers the function `t` on `tera` (see the module docs).
pub fn register(tera: &mut tera::Tera) {
    tera.register_function("t", translate_fn);
}

fn translate_fn(args: &HashMap<String, tera::Value>) -> tera::Result<tera::Value> {
    use tera::Value;

    let key = match args.get("key") {
        Some(Value::String(key)) => key.as_str(),
        Some(other) => {
            return Err(tera::Error::msg(format!(
                "t(): `key` must be a string, got {other}"
            )))
        }
        None => return Err(tera::Error::msg("t(): missing argument `key`")),
    };
    let lang = match args.get("lang") {
        Some(Value::String(code)) => Lang::from_code(code).unwrap_or_default(),
        _ => Lang::En,
    };
    let mut values: Vec<(&str, String)> = Vec::with_capacity(args.len());
    for (name, value) in args {
        if name == "key" || name == "lang" {
            continue;
        }
        let text = match value {
            Value::String(s) => s.clone(),
            Value::Number(n) => n.to_string(),
            other => {
                return Err(tera::Error::msg(format!(
                    "t(key={key:?}): argument `{name}` must be a string or a number, got {other}"
                )))
            }
        };
        values.push((name.as_str(), text));
    }
    let pairs: Vec<(&str, &str)> = values.iter().map(|(k, v)| (*k, v.as_str())).collect();
    Ok(Value::String(tr(lang, key, &pairs)))
}

type Catalog = HashMap<String, String>;

struct Catalogs {
    en: Catalog,
    hi: Catalog,
    mni: Catalog,
}

const EN_TOML: &str = include_str!("en.toml");
const HI_TOML: &str = include_str!("hi.toml");
const MNI_TOML: &str = include_str!("mni.toml");

fn catalogs() -> &'static Catalogs {
    static CATALOGS: OnceLock<Catalogs> = OnceLock::new();
    CATALOGS.get_or_init(|| Catalogs {
        en: parse_catalog(EN_TOML).expect("embedded i18n/en.toml must parse (checked by tests)"),
        hi: parse_catalog(HI_TOML).expect("embedded i18n/hi.toml must parse (checked by tests)"),
        mni: parse_catalog(MNI_TOML).expect("embedded i18n/mni.toml must parse (checked by tests)"),
    })
}

fn catalog(lang: Lang) -> &'static Catalog {
    let all = catalogs();
    match lang {
        Lang::En => &all.en,
        Lang::Hi => &all.hi,
        Lang::Mni => &all.mni,
    }
}

/// The text for `key` in exactly `lang`, no fallback.
fn lookup(lang: Lang, key: &str) -> Option<&'static str> {
    catalog(lang).get(key).map(String::as_str)
}

/// Reads a catalog: tables of strings, nested tables flattened to dotted
/// keys (`[member]` + `savings` gives `member.savings`).
fn parse_catalog(text: &str) -> Result<Catalog, String> {
    let table: toml::Table = text.parse().map_err(|e| format!("not valid TOML: {e}"))?;
    let mut out = Catalog::new();
    flatten("", table, &mut out)?;
    Ok(out)
}

fn flatten(prefix: &str, table: toml::Table, out: &mut Catalog) -> Result<(), String> {
    for (name, value) in table {
        let key = if prefix.is_empty() {
            name
        } else {
            format!("{prefix}.{name}")
        };
        match value {
            toml::Value::String(text) => {
                if out.insert(key.clone(), text).is_some() {
                    return Err(format!("`{key}` is defined twice"));
                }
            }
            toml::Value::Table(inner) => flatten(&key, inner, out)?,
            other => {
                return Err(format!(
                    "`{key}` must be a string or a table, not a {}",
                    other.type_str()
                ))
            }
        }
    }
    Ok(())
}

/// `text` with `{name}` placeholders (name: ASCII letters, digits, `_`)
/// replaced from `args`. Anything else, including a placeholder with no
/// value and a lone brace, is copied as it is.
fn interpolate(text: &str, args: &[(&str, &str)]) -> String {
    let mut out = String::with_capacity(text.len() + 16);
    let mut rest = text;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        match placeholder_at(after) {
            Some(name) => {
                match args.iter().find(|(k, _)| *k == name) {
                    Some((_, value)) => out.push_str(value),
                    None => {
                        out.push('{');
                        out.push_str(name);
                        out.push('}');
                    }
                }
                rest = &after[name.len() + 1..];
            }
            None => {
                out.push('{');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// The placeholder name if `after_brace` (the text just after a `{`) starts
/// with `name}`.
fn placeholder_at(after_brace: &str) -> Option<&str> {
    let close = after_brace.find('}')?;
    let name = &after_brace[..close];
    let valid = !name.is_empty() && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
    valid.then_some(name)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    /// Prefixes Manipuri must cover: what a member sees.
    const MNI_REQUIRED: [&str; 4] = ["login.", "member.", "common.", "lang."];
    /// Every page (table) a catalog may have.
    const PAGES: [&str; 20] = [
        "entry",
        "client",
        "code",
        "access",
        "linkage",
        "common",
        "lang",
        "login",
        "member",
        "group",
        "meeting",
        "loan",
        "correction",
        "recon",
        "passbook",
        "staff",
        "admin",
        "field",
        "funds",
        "report",
    ];

    fn all() -> [(Lang, &'static Catalog); 3] {
        [
            (Lang::En, catalog(Lang::En)),
            (Lang::Hi, catalog(Lang::Hi)),
            (Lang::Mni, catalog(Lang::Mni)),
        ]
    }

    fn placeholders(text: &str) -> BTreeSet<&str> {
        let mut names = BTreeSet::new();
        let mut rest = text;
        while let Some(open) = rest.find('{') {
            rest = &rest[open + 1..];
            if let Some(name) = placeholder_at(rest) {
                names.insert(name);
            }
        }
        names
    }

    fn sorted_keys(c: &Catalog) -> Vec<&str> {
        let mut keys: Vec<&str> = c.keys().map(String::as_str).collect();
        keys.sort_unstable();
        keys
    }

    #[test]
    fn entry_kinds_have_names_in_every_language() {
        assert_eq!(entry_kind(Lang::En, "loan-repayment"), "Loan repayment");
        assert_eq!(entry_kind(Lang::Hi, "loan-repayment"), "कर्ज़ की किस्त");
        // Manipuri falls back to English for book-keeping words.
        assert_eq!(entry_kind(Lang::Mni, "share-out"), "Share-out");
        assert_eq!(entry_kind(Lang::Hi, "a-new-kind"), "a new kind");
    }

    #[test]
    fn embedded_catalogs_parse() {
        for (name, text) in [("en", EN_TOML), ("hi", HI_TOML), ("mni", MNI_TOML)] {
            let parsed = parse_catalog(text);
            assert!(parsed.is_ok(), "{name}.toml: {:?}", parsed.err());
            assert!(parsed.is_ok_and(|c| !c.is_empty()), "{name}.toml is empty");
        }
        // And the lazily built copy is the same.
        assert!(catalog(Lang::En).contains_key("member.savings"));
    }

    #[test]
    fn parse_flattens_and_rejects_bad_values() {
        let ok = parse_catalog("top = \"a\"\n[p]\nx = \"b\"\n[p.q]\ny = \"c\"\n");
        let ok = ok.unwrap_or_default();
        assert_eq!(ok.get("top").map(String::as_str), Some("a"));
        assert_eq!(ok.get("p.x").map(String::as_str), Some("b"));
        assert_eq!(ok.get("p.q.y").map(String::as_str), Some("c"));

        let number = parse_catalog("[p]\nx = 3\n");
        assert!(number.is_err_and(|e| e.contains("`p.x`") && e.contains("integer")));
        let array = parse_catalog("[p]\nx = [\"a\"]\n");
        assert!(array.is_err_and(|e| e.contains("`p.x`")));
        assert!(parse_catalog("[p\n").is_err());
        // A quoted dotted key colliding with a nested one.
        let twice = parse_catalog("\"p.x\" = \"a\"\n[p]\nx = \"b\"\n");
        assert!(twice.is_err_and(|e| e.contains("twice")));
    }

    #[test]
    fn keys_are_page_prefixed_snake_case() {
        for (lang, c) in all() {
            for key in sorted_keys(c) {
                let (page, name) = key.split_once('.').unwrap_or(("", key));
                assert!(
                    PAGES.contains(&page),
                    "{lang}: `{key}` is not under a known page"
                );
                let snake = !name.is_empty()
                    && name
                        .bytes()
                        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
                    && !name.starts_with('_');
                assert!(snake, "{lang}: `{key}` is not page.snake_case");
            }
        }
    }

    #[test]
    fn hindi_has_every_english_key() {
        let hi = catalog(Lang::Hi);
        let missing: Vec<&str> = sorted_keys(catalog(Lang::En))
            .into_iter()
            .filter(|k| !hi.contains_key(*k))
            .collect();
        assert!(missing.is_empty(), "missing in hi.toml: {missing:?}");
    }

    #[test]
    fn manipuri_has_every_member_facing_key() {
        let mni = catalog(Lang::Mni);
        let missing: Vec<&str> = sorted_keys(catalog(Lang::En))
            .into_iter()
            .filter(|k| MNI_REQUIRED.iter().any(|p| k.starts_with(p)))
            .filter(|k| !mni.contains_key(*k))
            .collect();
        assert!(missing.is_empty(), "missing in mni.toml: {missing:?}");
    }

    #[test]
    fn translations_have_no_keys_english_lacks() {
        let en = catalog(Lang::En);
        for (lang, c) in all() {
            let extra: Vec<&str> = sorted_keys(c)
                .into_iter()
                .filter(|k| !en.contains_key(*k))
                .collect();
            assert!(extra.is_empty(), "{lang}: keys not in en.toml: {extra:?}");
        }
    }

    #[test]
    fn placeholders_match_english() {
        let en = catalog(Lang::En);
        for (lang, c) in all() {
            for key in sorted_keys(c) {
                let (Some(theirs), Some(ours)) = (c.get(key), en.get(key)) else {
                    continue;
                };
                assert_eq!(
                    placeholders(theirs),
                    placeholders(ours),
                    "{lang}: `{key}` has other placeholders than English"
                );
            }
        }
    }

    #[test]
    fn no_empty_texts() {
        for (lang, c) in all() {
            for key in sorted_keys(c) {
                let text = c.get(key).map(String::as_str).unwrap_or_default();
                assert!(!text.trim().is_empty(), "{lang}: `{key}` is empty");
                assert_eq!(text, text.trim(), "{lang}: `{key}` has stray spaces");
            }
        }
    }

    fn has_meitei_mayek(text: &str) -> bool {
        text.chars().any(|c| ('\u{ABC0}'..='\u{ABFF}').contains(&c))
    }

    fn has_devanagari(text: &str) -> bool {
        text.chars().any(|c| ('\u{0900}'..='\u{097F}').contains(&c))
    }

    #[test]
    fn manipuri_is_written_in_meitei_mayek() {
        let mni = catalog(Lang::Mni);
        // The currency sign is the same in every language.
        let same_everywhere = ["common.currency"];
        for key in sorted_keys(mni) {
            if same_everywhere.contains(&key) {
                continue;
            }
            let text = mni.get(key).map(String::as_str).unwrap_or_default();
            assert!(
                has_meitei_mayek(text),
                "mni: `{key}` has no Meitei Mayek: {text:?}"
            );
        }
        let member_keys = sorted_keys(mni)
            .into_iter()
            .filter(|k| k.starts_with("member."))
            .count();
        assert!(member_keys > 20, "too few member keys in mni.toml");
    }

    #[test]
    fn hindi_is_written_in_devanagari() {
        let hi = catalog(Lang::Hi);
        let same_everywhere = ["common.currency", "staff.par30"];
        for key in sorted_keys(hi) {
            if same_everywhere.contains(&key) {
                continue;
            }
            let text = hi.get(key).map(String::as_str).unwrap_or_default();
            assert!(
                has_devanagari(text),
                "hi: `{key}` has no Devanagari: {text:?}"
            );
        }
    }

    #[test]
    fn lookup_and_fallback() {
        assert_eq!(t(Lang::En, "member.savings"), "Your savings");
        assert_eq!(t(Lang::Hi, "member.savings"), "आपकी बचत");
        assert_eq!(t(Lang::Mni, "member.savings"), "ꯑꯗꯣꯝꯒꯤ ꯁꯦꯜ ꯈꯣꯝꯖꯤꯟꯕ");
        // A key Manipuri does not have falls back to English.
        let mni = catalog(Lang::Mni);
        let english_only = sorted_keys(catalog(Lang::En))
            .into_iter()
            .find(|k| !mni.contains_key(*k));
        let Some(key) = english_only else {
            panic!("expected some key without a Manipuri text");
        };
        assert_eq!(t(Lang::Mni, key), t(Lang::En, key));
        assert_eq!(t(Lang::Mni, "meeting.attendance"), "Attendance");
        // An unknown key comes back as itself, in every language.
        for lang in Lang::ALL {
            assert_eq!(t(lang, "member.no_such_key"), "member.no_such_key");
            assert_eq!(t(lang, ""), "");
        }
        let owned = String::from("nope.nope");
        assert_eq!(tr(Lang::Hi, &owned, &[("x", "y")]), "nope.nope");
    }

    #[test]
    fn literal_keys_give_static_text() {
        let text: &'static str = t(Lang::Hi, "common.save");
        assert_eq!(text, "सेव करें");
    }

    #[test]
    fn interpolation() {
        assert_eq!(
            tr(
                Lang::En,
                "member.overdue_since",
                &[("amount", "₹500"), ("date", "01-03-2025")]
            ),
            "₹500 overdue since 01-03-2025"
        );
        assert_eq!(
            tr(
                Lang::Hi,
                "member.overdue_since",
                &[("date", "01-03-2025"), ("amount", "₹500")]
            ),
            "01-03-2025 से ₹500 बकाया"
        );
        assert_eq!(
            tr(Lang::Mni, "member.hello", &[("name", "Thoibi")]),
            "ꯈꯨꯔꯨꯝꯖꯔꯤ, Thoibi"
        );
        // A missing value leaves the placeholder visible; extras are ignored.
        assert_eq!(
            tr(Lang::En, "login.too_many_attempts", &[("other", "1")]),
            "Too many attempts. Try again in {minutes} minutes."
        );
        // Values are not searched for placeholders again.
        assert_eq!(
            tr(Lang::En, "member.hello", &[("name", "{name}{x}")]),
            "Hello, {name}{x}"
        );
        assert_eq!(
            interpolate("a {b} {{c}} { d } {} {", &[("b", "B"), ("c", "C")]),
            "a B {C} { d } {} {"
        );
        assert_eq!(interpolate("{ꯀ} {a-b}", &[("a-b", "x")]), "{ꯀ} {a-b}");
        assert_eq!(interpolate("{a}{a}", &[("a", "1")]), "11");
        assert_eq!(interpolate("", &[]), "");
        assert_eq!(
            placeholders("{a} {b_2} {} {c d} {a}"),
            BTreeSet::from(["a", "b_2"])
        );
    }

    #[test]
    fn lang_codes_and_names() {
        assert_eq!(Lang::from_code("en"), Some(Lang::En));
        assert_eq!(Lang::from_code("hi"), Some(Lang::Hi));
        assert_eq!(Lang::from_code("mni"), Some(Lang::Mni));
        assert_eq!(Lang::from_code(" MNI "), Some(Lang::Mni));
        assert_eq!(Lang::from_code("bn"), None);
        assert_eq!(Lang::from_code(""), None);
        assert_eq!(Lang::default(), Lang::En);
        for lang in Lang::ALL {
            assert_eq!(Lang::from_code(lang.code()), Some(lang));
            assert_eq!(lang.to_string(), lang.code());
        }
        assert_eq!(Lang::En.native_name(), "English");
        assert_eq!(Lang::Hi.native_name(), "हिन्दी");
        assert_eq!(Lang::Mni.native_name(), "ꯃꯤꯇꯩꯂꯣꯟ");
        assert_eq!(Lang::Mni.html_lang(), "mni-Mtei");
    }

    #[test]
    fn lang_serde_is_the_code() {
        for lang in Lang::ALL {
            let value = tera::to_value(lang).ok();
            assert_eq!(value, Some(tera::Value::String(lang.code().to_owned())));
            let back: Option<Lang> = tera::from_value(tera::Value::String(lang.code().into())).ok();
            assert_eq!(back, Some(lang));
        }
        let bad: Result<Lang, _> = tera::from_value(tera::Value::String("xx".into()));
        assert!(bad.is_err());
    }

    fn render(template: &str, ctx: &tera::Context) -> tera::Result<String> {
        let mut tera = tera::Tera::default();
        register(&mut tera);
        tera.add_raw_template("page.html", template)?;
        tera.render("page.html", ctx)
    }

    #[test]
    fn tera_function_round_trip() {
        let template = concat!(
            r#"<h1>{{ t(key="member.savings", lang=lang) }}</h1>"#,
            r#"<p>{{ t(key="meeting.total", lang=lang, amount=total) }}</p>"#,
            r#"<p>{{ t(key="member.hello", lang=lang, name=name) }}</p>"#,
            r#"<p>{{ t(key="common.page_of", lang=lang, page=2, pages="5") }}</p>"#,
            r#"<p>{{ t(key="member.nope", lang=lang) }}</p>"#,
        );
        let mut ctx = tera::Context::new();
        ctx.insert("lang", &Lang::Hi);
        ctx.insert("total", &1250);
        ctx.insert("name", "<b>Asha</b>");
        let html = render(template, &ctx);
        assert_eq!(
            html.ok().as_deref(),
            Some(concat!(
                "<h1>आपकी बचत</h1>",
                "<p>कुल: 1250</p>",
                "<p>नमस्ते, &lt;b&gt;Asha&lt;&#x2F;b&gt;</p>",
                "<p>5 में से पेज 2</p>",
                "<p>member.nope</p>",
            ))
        );

        // Manipuri, with an English fallback on the same page; a decimal.
        let mut ctx = tera::Context::new();
        ctx.insert("lang", &Lang::Mni);
        ctx.insert("total", &1250.5);
        let html = render(
            r#"{{ t(key="common.save", lang=lang) }}|{{ t(key="meeting.total", lang=lang, amount=total) }}"#,
            &ctx,
        );
        assert_eq!(html.ok().as_deref(), Some("ꯇꯨꯡꯁꯤꯟꯂꯨ|Total: 1250.5"));
    }

    #[test]
    fn tera_function_defaults_and_errors() {
        let ctx = tera::Context::new();
        // No lang, unknown lang, non-string lang: English.
        for call in [
            r#"{{ t(key="common.save") }}"#,
            r#"{{ t(key="common.save", lang="xx") }}"#,
            r#"{{ t(key="common.save", lang=3) }}"#,
        ] {
            assert_eq!(render(call, &ctx).ok().as_deref(), Some("Save"), "{call}");
        }
        assert_eq!(
            render(r#"{{ t(key="common.save", lang="HI") }}"#, &ctx)
                .ok()
                .as_deref(),
            Some("सेव करें")
        );
        // Template mistakes are render errors, not panics.
        for call in [
            r#"{{ t(lang="en") }}"#,
            r#"{{ t(key=1, lang="en") }}"#,
            r#"{{ t(key="member.hello", lang="en", name=[1]) }}"#,
            r#"{{ t(key="member.hello", lang="en", name=true) }}"#,
        ] {
            assert!(render(call, &ctx).is_err(), "{call} should fail");
        }
    }
}
