//! Linkage reports: a woman's loans and businesses joined with her
//! rehabilitation record, for her counsellor (one woman, with her consent)
//! and for the program (many women, only those who consent, suppressed
//! before anything leaves the program).
//!
//! Pure code: the store fills [`ClientFacts`]; pages and CSV render the
//! serialisable results. Every figure is as of a date and ignores records
//! dated after it.

pub mod calendar;
pub mod client;
pub mod crosstab;
pub mod export;
pub mod facts;
pub mod flags;
pub mod income;
pub mod loans;
pub mod program;
pub mod recovery;
pub mod response;
pub mod survival;
pub mod timeline;

#[cfg(test)]
mod tests;

pub use client::{
    client_report, client_report_with, every_loan_is_for_business, BusinessSummary, ClientReport,
    NotConsented,
};
pub use crosstab::{loan_standing, rehab_status_by_loan_standing, LoanStanding};
pub use export::ProgramExport;
pub use facts::{BusinessFacts, ClientFacts};
pub use flags::{Flag, FlagRule, FlagRules};
pub use income::IncomeMonth;
pub use loans::{LoanSummary, LoansTotal};
pub use program::{program_report, ProgramReport};
pub use recovery::{DetoxBand, Milestones, RehabStatus};
pub use response::{nearest_rank, response_times, ResponseRow};
pub use survival::{kaplan_meier, Lifetime, SurvivalCurve};
pub use timeline::{TimelineItem, TimelineKind};
