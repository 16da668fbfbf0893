//! Loans: products, repayment schedules, interest, allocation, arrears.

pub mod preview;
pub mod schedule;
pub mod state;
