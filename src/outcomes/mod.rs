//! Rehabilitation, livelihood, consent and incident records: the part of
//! Sakhi that says whether loans become businesses and income outside sex
//! work, and how that relates to recovery.
//!
//! Everything here is keyed by a [`ClientCode`], a random code that says
//! nothing about the woman. Her name and contacts live only in the sealed
//! identity record (`Identity`), and incident narratives are sealed the same
//! way; this module only describes the plain values, sealing happens in the
//! store layer with the key the server was given.

pub mod client;
pub mod consent;
pub mod incidents;
pub mod livelihood;
pub mod record;
pub mod rehab;

pub use client::{ClientCode, Identity};
pub use consent::{ConsentEvent, ConsentPurpose, ConsentState};
pub use incidents::{Incident, IncidentAction, IncidentKind, IncidentOutcome, Perpetrator};
pub use livelihood::{
    Business, BusinessKind, BusinessStatus, IncomeSource, MonthlyIncome, StatusCheck,
};
pub use record::{BusinessCheck, Record};
pub use rehab::{
    DetoxEpisode, DetoxOutcome, DetoxSetting, OstChange, OstStatus, ReintegrationEvent,
    ReintegrationKind, Relapse, ReportedBy, Review, ShelterReason, ShelterStay, Training,
};

use chrono::NaiveDate;

/// A refused record: the field it is about and the rule it broke, in words
/// a counsellor can act on. Nothing in the message repeats what was typed,
/// so a refusal never copies sensitive text into a log.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {rule}")]
pub struct OutcomeError {
    pub field: &'static str,
    pub rule: String,
}

impl OutcomeError {
    pub fn new(field: &'static str, rule: impl Into<String>) -> Self {
        OutcomeError {
            field,
            rule: rule.into(),
        }
    }
}

pub type OutcomeResult<T> = Result<T, OutcomeError>;

/// Closed vocabularies are stored and sent as short snake_case codes; the
/// pages translate them. One trait so every enum parses and prints alike.
pub trait Code: Sized + Copy + 'static {
    const ALL: &'static [Self];
    fn code(self) -> &'static str;

    fn parse(field: &'static str, text: &str) -> OutcomeResult<Self> {
        let text = text.trim();
        Self::ALL
            .iter()
            .copied()
            .find(|v| v.code() == text)
            .ok_or_else(|| {
                let choices: Vec<&str> = Self::ALL.iter().map(|v| v.code()).collect();
                OutcomeError::new(field, format!("choose one of: {}", choices.join(", ")))
            })
    }
}

/// Declares a closed vocabulary with its codes.
macro_rules! codes {
    ($(#[$meta:meta])* $name:ident { $($variant:ident => $code:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($variant),+ }

        impl $crate::outcomes::Code for $name {
            const ALL: &'static [Self] = &[$($name::$variant),+];
            fn code(self) -> &'static str {
                match self { $($name::$variant => $code),+ }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str($crate::outcomes::Code::code(*self))
            }
        }
    };
}
pub(crate) use codes;

/// A date that has happened: records describe the past, and a date typed a
/// year ahead is a slip of the thumb.
pub fn past(field: &'static str, date: NaiveDate, today: NaiveDate) -> OutcomeResult<NaiveDate> {
    if date > today {
        return Err(OutcomeError::new(field, "cannot be in the future"));
    }
    Ok(date)
}

/// An optional end that is not before its start and not in the future.
pub fn period_end(
    field: &'static str,
    start: NaiveDate,
    end: Option<NaiveDate>,
    today: NaiveDate,
) -> OutcomeResult<Option<NaiveDate>> {
    match end {
        None => Ok(None),
        Some(end) if end < start => Err(OutcomeError::new(field, "cannot be before the start")),
        Some(end) => past(field, end, today).map(Some),
    }
}

/// Free text that is allowed (course names, partner names): trimmed,
/// non-empty, bounded, single line.
pub fn short_text(field: &'static str, text: &str, max: usize) -> OutcomeResult<String> {
    let text = text.trim();
    if text.is_empty() {
        return Err(OutcomeError::new(field, "is required"));
    }
    if text.chars().count() > max {
        return Err(OutcomeError::new(
            field,
            format!("must be at most {max} characters"),
        ));
    }
    if text.chars().any(char::is_control) {
        return Err(OutcomeError::new(field, "must be one line of text"));
    }
    Ok(text.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn codes_parse_and_print_alike_and_refusals_list_the_choices() {
        assert_eq!(
            DetoxSetting::parse("setting", " clinic ").unwrap(),
            DetoxSetting::Clinic
        );
        assert_eq!(DetoxSetting::Home.to_string(), "home");
        let err = DetoxSetting::parse("setting", "hospital").unwrap_err();
        assert_eq!(err.field, "setting");
        assert_eq!(err.rule, "choose one of: home, clinic");
    }

    #[test]
    fn the_stored_form_of_every_code_is_the_code() {
        fn check<T: Code + serde::Serialize>() {
            for v in T::ALL {
                assert_eq!(serde_json::to_value(v).unwrap(), v.code());
            }
        }
        check::<DetoxSetting>();
        check::<DetoxOutcome>();
        check::<OstStatus>();
        check::<ShelterReason>();
        check::<ReintegrationKind>();
        check::<ReportedBy>();
        check::<BusinessKind>();
        check::<BusinessStatus>();
        check::<IncomeSource>();
        check::<ConsentPurpose>();
        check::<IncidentKind>();
        check::<Perpetrator>();
        check::<IncidentAction>();
        check::<IncidentOutcome>();
    }

    #[test]
    fn an_end_before_its_start_or_in_the_future_is_refused() {
        let today = d(2026, 11, 24);
        assert!(period_end("ended_on", d(2026, 3, 1), Some(d(2026, 2, 1)), today).is_err());
        assert!(period_end("ended_on", d(2026, 3, 1), Some(d(2026, 12, 1)), today).is_err());
        assert_eq!(
            period_end("ended_on", d(2026, 3, 1), Some(d(2026, 3, 1)), today).unwrap(),
            Some(d(2026, 3, 1))
        );
        assert_eq!(
            period_end("ended_on", d(2026, 3, 1), None, today).unwrap(),
            None
        );
    }

    #[test]
    fn short_text_is_one_bounded_line_and_the_refusal_does_not_repeat_it() {
        assert_eq!(
            short_text("course", "  Tailoring ", 40).unwrap(),
            "Tailoring"
        );
        let err = short_text("course", "secret\nline", 40).unwrap_err();
        assert!(!err.to_string().contains("secret"));
        assert!(short_text("course", "", 40).is_err());
        assert!(short_text("course", &"x".repeat(41), 40).is_err());
    }
}
