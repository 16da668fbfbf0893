//! Loans: products, repayment schedules, interest, allocation, arrears.

pub mod allocation;
pub mod entries;
pub mod portfolio;
pub mod preview;
pub mod product;
pub mod schedule;
pub mod state;
