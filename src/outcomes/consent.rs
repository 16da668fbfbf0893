//! Consent per purpose. Giving and withdrawing are both events; nothing is
//! overwritten, so the record shows what she agreed to on any day.

use super::{codes, past, short_text, OutcomeError, OutcomeResult};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

codes!(ConsentPurpose {
    ReceiveServices => "receive_services",
    LinkRecords => "link_records",
    AnonymousReports => "anonymous_reports",
    ShareWithPartner => "share_with_partner",
});

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConsentEvent {
    pub purpose: ConsentPurpose,
    /// The named partner organisation, for `ShareWithPartner` only: consent
    /// to share with one partner is not consent to share with another.
    pub partner: Option<String>,
    /// True when consent was given, false when it was withdrawn.
    pub given: bool,
    pub on: NaiveDate,
}

impl ConsentEvent {
    pub fn new(
        purpose: ConsentPurpose,
        partner: &str,
        given: bool,
        on: NaiveDate,
        today: NaiveDate,
    ) -> OutcomeResult<Self> {
        let partner = match (purpose, partner.trim().is_empty()) {
            (ConsentPurpose::ShareWithPartner, true) => {
                return Err(OutcomeError::new(
                    "partner",
                    "name the partner to share with",
                ))
            }
            (ConsentPurpose::ShareWithPartner, false) => Some(short_text("partner", partner, 80)?),
            (_, true) => None,
            (_, false) => {
                return Err(OutcomeError::new(
                    "partner",
                    "only sharing with a partner names one",
                ))
            }
        };
        Ok(ConsentEvent {
            purpose,
            partner,
            given,
            on: past("on", on, today)?,
        })
    }
}

/// What she has agreed to as of a day: per purpose (and partner), the last
/// event on or before it wins. Events are applied in the order recorded, so
/// a withdrawal entered after a same-day consent stands.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ConsentState {
    current: Vec<(ConsentPurpose, Option<String>, bool, NaiveDate)>,
}

impl ConsentState {
    /// `events` in the order they were recorded.
    pub fn as_of(events: &[ConsentEvent], day: NaiveDate) -> ConsentState {
        let mut ordered: Vec<(usize, &ConsentEvent)> = events
            .iter()
            .enumerate()
            .filter(|(_, e)| e.on <= day)
            .collect();
        ordered.sort_by_key(|(i, e)| (e.on, *i));
        let mut current: Vec<(ConsentPurpose, Option<String>, bool, NaiveDate)> = Vec::new();
        for (_, e) in ordered {
            match current
                .iter_mut()
                .find(|(p, partner, _, _)| *p == e.purpose && *partner == e.partner)
            {
                Some(slot) => {
                    slot.2 = e.given;
                    slot.3 = e.on;
                }
                None => current.push((e.purpose, e.partner.clone(), e.given, e.on)),
            }
        }
        ConsentState { current }
    }

    pub fn has(&self, purpose: ConsentPurpose) -> bool {
        self.current
            .iter()
            .any(|(p, _, given, _)| *p == purpose && *given)
    }

    pub fn shares_with(&self, partner: &str) -> bool {
        self.current.iter().any(|(p, name, given, _)| {
            *p == ConsentPurpose::ShareWithPartner
                && *given
                && name
                    .as_deref()
                    .is_some_and(|n| n.eq_ignore_ascii_case(partner))
        })
    }

    /// Linkage reports include her only with this consent.
    pub fn allows_linkage(&self) -> bool {
        self.has(ConsentPurpose::LinkRecords)
    }

    /// Each purpose (and partner) with whether it stands and since when.
    pub fn entries(&self) -> impl Iterator<Item = (ConsentPurpose, Option<&str>, bool, NaiveDate)> {
        self.current
            .iter()
            .map(|(p, partner, given, on)| (*p, partner.as_deref(), *given, *on))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, m, day).unwrap()
    }

    fn event(purpose: ConsentPurpose, given: bool, on: NaiveDate) -> ConsentEvent {
        ConsentEvent::new(purpose, "", given, on, d(11, 24)).unwrap()
    }

    #[test]
    fn withdrawal_ends_consent_from_its_day_and_the_past_stays_as_it_was() {
        let events = [
            event(ConsentPurpose::LinkRecords, true, d(2, 1)),
            event(ConsentPurpose::ReceiveServices, true, d(2, 1)),
            event(ConsentPurpose::LinkRecords, false, d(9, 1)),
        ];
        assert!(!ConsentState::as_of(&events, d(1, 31)).allows_linkage());
        assert!(ConsentState::as_of(&events, d(8, 31)).allows_linkage());
        let now = ConsentState::as_of(&events, d(11, 24));
        assert!(!now.allows_linkage());
        assert!(now.has(ConsentPurpose::ReceiveServices));
    }

    #[test]
    fn a_same_day_withdrawal_recorded_later_stands() {
        let events = [
            event(ConsentPurpose::LinkRecords, true, d(3, 1)),
            event(ConsentPurpose::LinkRecords, false, d(3, 1)),
        ];
        assert!(!ConsentState::as_of(&events, d(3, 1)).allows_linkage());
    }

    #[test]
    fn sharing_is_per_named_partner() {
        let today = d(11, 24);
        let share = |partner, given| {
            ConsentEvent::new(
                ConsentPurpose::ShareWithPartner,
                partner,
                given,
                d(4, 1),
                today,
            )
            .unwrap()
        };
        let events = [
            share("District Hospital", true),
            share("Legal Aid Cell", false),
        ];
        let state = ConsentState::as_of(&events, today);
        assert!(state.shares_with("district hospital"));
        assert!(!state.shares_with("Legal Aid Cell"));
        assert!(!state.shares_with("Anyone else"));
        assert_eq!(
            ConsentEvent::new(ConsentPurpose::ShareWithPartner, " ", true, d(4, 1), today)
                .unwrap_err()
                .field,
            "partner"
        );
        assert_eq!(
            ConsentEvent::new(ConsentPurpose::LinkRecords, "Someone", true, d(4, 1), today)
                .unwrap_err()
                .field,
            "partner"
        );
    }
}
