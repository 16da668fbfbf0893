//! A kept PostgreSQL cluster (`TempCluster::start_kept`, behind
//! `sakhi bench reports --keep`) keeps its data across starts, shuts down
//! cleanly, and removes only its temporary socket folder.

use sakhi::store::pg_cluster::{ClusterOptions, TempCluster};
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

fn start(dir: &Path) -> Option<TempCluster> {
    let cluster = TempCluster::start_kept(dir, ClusterOptions::fast()).expect("start kept cluster");
    if cluster.is_none() {
        assert!(
            std::env::var("SAKHI_REQUIRE_POSTGRES").is_err(),
            "SAKHI_REQUIRE_POSTGRES is set but no PostgreSQL server binaries were found"
        );
        eprintln!("postgres tests skipped: no PostgreSQL server binaries found");
    }
    cluster
}

fn psql(cluster: &TempCluster, database: &str, sql: &str) -> String {
    let out = cluster
        .psql(database)
        .args(["-A", "-t", "-c", sql])
        .output()
        .expect("run psql");
    assert!(
        out.status.success(),
        "{sql}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

#[test]
fn a_kept_cluster_keeps_its_data_across_starts() {
    let parent = tempfile::Builder::new()
        .prefix("sakhi-kept-")
        .tempdir_in("/tmp")
        .expect("temp dir");
    // The server may run as its own system user, who must be able to pass.
    std::fs::set_permissions(parent.path(), std::fs::Permissions::from_mode(0o755)).expect("chmod");
    let dir = parent.path().join("postgres");

    let Some(first) = start(&dir) else { return };
    let socket_dir = first.socket_dir().to_path_buf();
    assert!(!socket_dir.starts_with(&dir), "the socket lives elsewhere");
    first.create_database("kept").expect("create database");
    psql(
        &first,
        "kept",
        "CREATE TABLE t (x integer); INSERT INTO t VALUES (42)",
    );
    drop(first);

    let data = dir.join("data");
    assert!(data.join("PG_VERSION").is_file(), "the data stays");
    assert!(
        !data.join("postmaster.pid").exists(),
        "the server was shut down, not left running"
    );
    assert!(!socket_dir.exists(), "the socket folder goes");

    let Some(again) = start(&dir) else { return };
    assert_eq!(psql(&again, "kept", "SELECT x FROM t"), "42");
    let log = std::fs::read_to_string(again.log_path()).expect("server log");
    assert!(
        !log.contains("was interrupted"),
        "a fast shutdown leaves nothing to recover:\n{log}"
    );
    drop(again);
    assert!(data.join("PG_VERSION").is_file());
}
