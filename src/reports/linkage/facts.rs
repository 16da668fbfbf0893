//! What the linkage reports read about one woman: her records by client
//! code and the loans of her member accounts across groups. The store layer
//! fills it; nothing here knows her name.

use crate::outcomes::{
    Business, ClientCode, ConsentEvent, ConsentState, DetoxEpisode, MonthlyIncome, OstChange,
    ReintegrationEvent, Relapse, Review, ShelterStay, StatusCheck, Training,
};
use crate::store::LoanWithState;
use chrono::NaiveDate;

/// A business with its id (so flags and the timeline can point at it) and
/// the field checks of its status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BusinessFacts {
    pub id: i64,
    pub business: Business,
    pub checks: Vec<StatusCheck>,
}

/// Everything about one woman that the linkage reports may join.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientFacts {
    pub code: ClientCode,
    /// In the order recorded, as [`ConsentState::as_of`] expects.
    pub consent: Vec<ConsentEvent>,
    pub detox: Vec<DetoxEpisode>,
    pub ost: Vec<OstChange>,
    pub shelter: Vec<ShelterStay>,
    pub training: Vec<Training>,
    pub reintegration: Vec<ReintegrationEvent>,
    pub relapses: Vec<Relapse>,
    pub reviews: Vec<Review>,
    pub businesses: Vec<BusinessFacts>,
    pub incomes: Vec<MonthlyIncome>,
    /// The loans of her member accounts, in every group she belongs to.
    pub loans: Vec<LoanWithState>,
}

impl ClientFacts {
    /// A woman with no records yet: the store adds them field by field.
    pub fn new(code: ClientCode) -> ClientFacts {
        ClientFacts {
            code,
            consent: Vec::new(),
            detox: Vec::new(),
            ost: Vec::new(),
            shelter: Vec::new(),
            training: Vec::new(),
            reintegration: Vec::new(),
            relapses: Vec::new(),
            reviews: Vec::new(),
            businesses: Vec::new(),
            incomes: Vec::new(),
            loans: Vec::new(),
        }
    }

    /// Whether she allows her finances and her rehabilitation record to be
    /// joined on that day. Every linked view asks this first.
    pub fn allows_linkage(&self, as_of: NaiveDate) -> bool {
        ConsentState::as_of(&self.consent, as_of).allows_linkage()
    }

    /// The day she first appears in the consent record (intake), on or
    /// before `as_of`.
    pub fn first_consent_on(&self, as_of: NaiveDate) -> Option<NaiveDate> {
        self.consent
            .iter()
            .map(|e| e.on)
            .filter(|&on| on <= as_of)
            .min()
    }
}
