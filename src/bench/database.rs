//! The throwaway databases the `http` and `reports` benchmarks fill: a
//! SQLite file in a temporary folder, or a database in a throwaway durable
//! PostgreSQL cluster (or one the caller names).

use super::BenchBackend;
use crate::store::pg_cluster::{ClusterOptions, TempCluster};
use std::path::Path;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Sqlite,
    Postgres,
}

impl Kind {
    pub fn of(backend: BenchBackend) -> Vec<Kind> {
        match backend {
            BenchBackend::Sqlite => vec![Kind::Sqlite],
            BenchBackend::Postgres => vec![Kind::Postgres],
            BenchBackend::All => vec![Kind::Sqlite, Kind::Postgres],
        }
    }
}

/// A database to fill, and a scratch folder beside it (the server's working
/// folder and log, the exported journal). Both go away when it is dropped;
/// a database given by URL is left as it is.
pub struct Database {
    pub url: String,
    /// How the figures are labelled, with the durability settings in force.
    pub label: &'static str,
    pub scratch: tempfile::TempDir,
    // Held only so that the cluster runs as long as the database is used.
    _cluster: Option<TempCluster>,
}

impl Database {
    /// `None` (with a note printed) when PostgreSQL was asked for and no
    /// server binaries are installed.
    pub fn provision(
        kind: Kind,
        postgres_url: Option<&str>,
        name: &str,
    ) -> anyhow::Result<Option<Database>> {
        let scratch = tempfile::Builder::new().prefix("sakhi-bench-").tempdir()?;
        match kind {
            Kind::Sqlite => {
                let url = format!(
                    "sqlite:{}",
                    scratch.path().join(format!("{name}.db")).display()
                );
                Ok(Some(Database {
                    url,
                    label: "sqlite (WAL, synchronous=FULL)",
                    scratch,
                    _cluster: None,
                }))
            }
            Kind::Postgres => {
                if let Some(url) = postgres_url {
                    return Ok(Some(Database {
                        url: url.to_string(),
                        label: "postgres (the given database)",
                        scratch,
                        _cluster: None,
                    }));
                }
                match TempCluster::start_with(ClusterOptions::durable())? {
                    Some(cluster) => {
                        let url = cluster.create_database(name)?;
                        Ok(Some(Database {
                            url,
                            label: "postgres (fsync on, synchronous_commit on)",
                            scratch,
                            _cluster: Some(cluster),
                        }))
                    }
                    None => {
                        println!("postgres: skipped (no PostgreSQL server binaries found)");
                        Ok(None)
                    }
                }
            }
        }
    }

    pub fn dir(&self) -> &Path {
        self.scratch.path()
    }
}
