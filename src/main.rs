#![forbid(unsafe_code)]

use clap::Parser;
use std::process::ExitCode;
use tracing_subscriber::EnvFilter;

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_env("SAKHI_LOG").unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = sakhi::cli::Cli::parse();
    match sakhi::cli::run(cli).await {
        Ok(code) => code,
        Err(err) => {
            eprintln!("sakhi: {err:#}");
            ExitCode::FAILURE
        }
    }
}
