//! `cargo bench --bench ledger`: the same figures as `sakhi bench ledger`
//! (posting throughput on SQLite and PostgreSQL against raw SQL inserts).

use clap::Parser;

#[derive(Parser)]
struct Args {
    #[command(flatten)]
    ledger: sakhi::bench::LedgerBenchArgs,
    /// Accepted and ignored: cargo passes it to every bench target.
    #[arg(long, hide = true)]
    bench: bool,
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let runtime = tokio::runtime::Runtime::new()?;
    runtime.block_on(sakhi::bench::run(&sakhi::bench::BenchCommand::Ledger(
        args.ledger,
    )))
}
