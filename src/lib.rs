#![forbid(unsafe_code)]
//! Sakhi: a double-entry microfinance ledger for peer self-help groups.
//!
//! Layers: `money` and `ledger` (with `groups`, `loans`, `savings`,
//! `outcomes`, `program`, `reports`) are pure domain code; `store` persists
//! it on SQLite or PostgreSQL; `web` serves it; `cli` and `config` wire it to
//! the command line.

pub mod auth;
pub mod bench;
pub mod borrowings;
pub mod cli;
pub mod config;
pub mod crypto;
pub mod demo;
pub mod groups;
pub mod i18n;
pub mod ledger;
pub mod loans;
pub mod meetings;
pub mod money;
pub mod outcomes;
pub mod program;
pub mod progress;
pub mod reports;
pub mod savings;
pub mod store;
pub mod web;
