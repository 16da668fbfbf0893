//! `sakhi bench`: figures printed, never asserted. One module per benchmark:
//!
//! - `ledger`: entries per second through the store, against raw SQL inserts;
//! - `par`: arrears, PAR and ageing of a large in-memory portfolio;
//! - `http`: repayments posted to the real server over HTTP by a load
//!   generator, then `verify`;
//! - `reports`: report timings on demo books, and the exported journal read
//!   by hledger and ledger.
//!
//! Each prints the goal beside the figure, so a reader sees at once whether
//! it was met; nothing here fails because a goal was missed.

mod database;
mod http;
mod ledger;
mod par;
mod reports;
mod stats;

pub use http::HttpBenchArgs;
pub use ledger::LedgerBenchArgs;
pub use par::ParBenchArgs;
pub use reports::ReportsBenchArgs;

use clap::{Subcommand, ValueEnum};

#[derive(Debug, Subcommand)]
pub enum BenchCommand {
    /// Entries per second posted through the ledger, against raw SQL inserts.
    Ledger(LedgerBenchArgs),
    /// Arrears, PAR and ageing for a large portfolio as of a date.
    Par(ParBenchArgs),
    /// Repayments per second and latency through the real server's JSON API.
    Http(HttpBenchArgs),
    /// Trial balances, PAR, the linkage report and the member page on demo
    /// books, and hledger/ledger reading the export.
    Reports(ReportsBenchArgs),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum BenchBackend {
    Sqlite,
    Postgres,
    All,
}

pub async fn run(command: &BenchCommand) -> anyhow::Result<()> {
    match command {
        BenchCommand::Ledger(args) => ledger::ledger(args).await,
        BenchCommand::Par(args) => par::par(args),
        BenchCommand::Http(args) => http::http(args).await,
        BenchCommand::Reports(args) => reports::reports(args).await,
    }
}
