//! The `sakhi` command line.

use crate::config::{Config, Overrides};
use crate::{bench, store, web};
use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

#[derive(Debug, Parser)]
#[command(
    name = "sakhi",
    version,
    about = "Savings and loan books for peer self-help groups"
)]
pub struct Cli {
    /// TOML file with database_url, data_dir and bind (default: ./sakhi.toml if present).
    #[arg(long, global = true, env = "SAKHI_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// sqlite:PATH or postgres://USER@HOST/DB (default: sqlite in the data folder).
    #[arg(long, global = true, env = "SAKHI_DATABASE_URL", value_name = "URL")]
    pub database_url: Option<String>,
    /// Folder for the default SQLite database (default: ./data).
    #[arg(long, global = true, env = "SAKHI_DATA_DIR", value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Apply database migrations (also done on every start).
    Migrate,
    /// Recompute balances and check every ledger invariant; exits 1 on any problem.
    Verify {
        /// Print the report as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Run the web server.
    Serve {
        /// Address to listen on, host:port (default 127.0.0.1:8080).
        #[arg(long, env = "SAKHI_BIND", value_name = "ADDR")]
        bind: Option<String>,
    },
    /// Measure performance and print the figures.
    #[command(subcommand)]
    Bench(bench::BenchCommand),
}

impl Cli {
    fn overrides(&self, bind: Option<String>) -> Overrides {
        Overrides {
            config_file: self.config.clone(),
            database_url: self.database_url.clone(),
            data_dir: self.data_dir.clone(),
            bind,
        }
    }
}

pub async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match &cli.command {
        Command::Migrate => {
            let config = Config::resolve(cli.overrides(None))?;
            store::open(&config.database_url).await?;
            println!("migrations applied to {}", config.redacted_database_url());
            Ok(ExitCode::SUCCESS)
        }
        Command::Verify { json } => {
            let config = Config::resolve(cli.overrides(None))?;
            let store = store::open(&config.database_url).await?;
            let report = store.verify().await?;
            if *json {
                println!("{}", serde_json::to_string_pretty(&report)?);
            } else {
                println!("{report}");
            }
            Ok(if report.is_ok() {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            })
        }
        Command::Serve { bind } => {
            let config = Config::resolve(cli.overrides(bind.clone()))?;
            serve(config).await?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Bench(command) => {
            bench::run(command).await?;
            Ok(ExitCode::SUCCESS)
        }
    }
}

async fn serve(config: Config) -> anyhow::Result<()> {
    let store = store::open(&config.database_url).await?;
    let state = web::AppState {
        store,
        templates: Arc::new(web::templates()?),
    };
    let listener = tokio::net::TcpListener::bind(config.bind).await?;
    let address = listener.local_addr()?;
    tracing::info!(database = %config.redacted_database_url(), "database ready");
    println!("Sakhi is listening on http://{address}");
    axum::serve(listener, web::app(state))
        .with_graceful_shutdown(shutdown_signal())
        .await?;
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
}
