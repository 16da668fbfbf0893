//! The throwaway databases the `http` and `reports` benchmarks fill: a
//! SQLite file in a temporary folder, or a database in a throwaway durable
//! PostgreSQL cluster (or one the caller names). `reports` can instead keep
//! its books in a folder ([`Database::kept`]) to time them again later.

use super::BenchBackend;
use crate::store::pg_cluster::{ClusterOptions, TempCluster};
use std::path::{Path, PathBuf};

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

    /// A database kept in `dir` across runs: `dir/NAME.db` for SQLite, or
    /// database NAME of a durable cluster whose data is `dir/postgres`.
    /// `fresh` starts it empty, removing what an earlier run left (a load
    /// that never finished). `None` as for [`Database::provision`].
    pub fn kept(
        kind: Kind,
        dir: &Path,
        name: &str,
        fresh: bool,
    ) -> anyhow::Result<Option<Database>> {
        let scratch = tempfile::Builder::new().prefix("sakhi-bench-").tempdir()?;
        match kind {
            Kind::Sqlite => {
                let file = dir.join(format!("{name}.db"));
                if fresh {
                    for suffix in ["", "-wal", "-shm"] {
                        let path = PathBuf::from(format!("{}{suffix}", file.display()));
                        match std::fs::remove_file(&path) {
                            Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                                return Err(anyhow::Error::from(e)
                                    .context(format!("removing {}", path.display())));
                            }
                            _ => {}
                        }
                    }
                }
                Ok(Some(Database {
                    url: format!("sqlite:{}", file.display()),
                    label: "sqlite (WAL, synchronous=FULL; kept books)",
                    scratch,
                    _cluster: None,
                }))
            }
            Kind::Postgres => {
                let Some(cluster) =
                    TempCluster::start_kept(&dir.join("postgres"), ClusterOptions::durable())?
                else {
                    println!("postgres: skipped (no PostgreSQL server binaries found)");
                    return Ok(None);
                };
                let url = if fresh {
                    let mut drop = cluster.psql("postgres");
                    drop.arg("-c")
                        .arg(format!("DROP DATABASE IF EXISTS \"{name}\""));
                    let out = drop.output()?;
                    anyhow::ensure!(
                        out.status.success(),
                        "dropping the unfinished books: {}",
                        String::from_utf8_lossy(&out.stderr).trim()
                    );
                    cluster.create_database(name)?
                } else {
                    cluster.url(name)
                };
                Ok(Some(Database {
                    url,
                    label: "postgres (fsync on, synchronous_commit on; kept books)",
                    scratch,
                    _cluster: Some(cluster),
                }))
            }
        }
    }

    pub fn dir(&self) -> &Path {
        self.scratch.path()
    }
}
