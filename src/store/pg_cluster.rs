//! Throwaway PostgreSQL clusters for tests and benchmarks.
//!
//! [`TempCluster::start`] runs `initdb` into a fresh temporary directory, starts a
//! `postgres` server listening only on a unix socket inside that directory, and waits
//! until it accepts connections. Dropping the [`TempCluster`] stops the server
//! (immediate shutdown) and removes the directory.
//!
//! Server binaries are located via `SAKHI_PG_BIN`, then `pg_config --bindir`, then the
//! highest version under `/usr/lib/postgresql/*/bin`, then `initdb` on `PATH`.
//!
//! When running as root (as in CI containers), `initdb` and `postgres` are run as the
//! `postgres` system user through `runuser` (or `su` when `runuser` is missing).
//!
//! The server is launched through a small `sh` watchdog that stops it (and removes the
//! temporary directory) if the owning process dies without running `Drop`, e.g. when a
//! test binary is killed with SIGKILL.
//!
//! [`TempCluster::start_kept`] is the one exception to "throwaway": its data directory
//! lives in a folder the caller names and outlives the run (only the socket folder is
//! temporary), so a benchmark can load large books once and time them many times.
#![forbid(unsafe_code)]

use std::ffi::OsStr;
use std::fmt::Write as _;
use std::fs::{self, File};
use std::io::{self, Write as _};
use std::net::TcpListener;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::sync::Once;
use std::thread;
use std::time::{Duration, Instant};

/// Superuser created by `initdb` and used in every connection URL.
pub const SUPERUSER: &str = "sakhi";

/// How long [`TempCluster::start`] waits for the server to accept connections.
const READY_TIMEOUT: Duration = Duration::from_secs(30);

/// How long `Drop` waits for the watchdog (and thus the server) to exit after signalling it.
const STOP_TIMEOUT: Duration = Duration::from_secs(10);

/// System user that runs the server when we are root.
const SERVER_OS_USER: &str = "postgres";

/// Unix socket paths are limited to 107 bytes; keep a margin for `/.s.PGSQL.NNNNN.lock`.
const MAX_SOCKET_DIR_LEN: usize = 80;

/// Watchdog run as `sh -c WATCHDOG sakhi-pg-watchdog <owner pid> <cluster dir> <postgres> <args>...`.
///
/// * starts postgres in the background and records its own pid in `<dir>/watchdog.pid`;
/// * on SIGTERM (sent by `Drop`) performs an immediate shutdown (SIGQUIT), reaps the
///   server and exits;
/// * if the owner process disappears, performs a fast shutdown (SIGINT), reaps the
///   server and removes the cluster directory;
/// * exits with the server's status if the server exits on its own.
///
/// The guard is disabled if the owner's `/proc` entry is not visible at start
/// (e.g. `/proc` mounted with `hidepid`), so it can never kill a healthy server early.
const WATCHDOG: &str = r#"owner=$1
dir=$2
shift 2
"$@" </dev/null &
pg=$!
sl=
trap 'kill -QUIT "$pg" 2>/dev/null; [ -n "$sl" ] && kill "$sl" 2>/dev/null; wait; exit 0' TERM
echo $$ > "$dir/watchdog.pid"
guard=0
if [ -d "/proc/$owner" ]; then guard=1; fi
while kill -0 "$pg" 2>/dev/null; do
  if [ "$guard" = 1 ] && [ ! -d "/proc/$owner" ]; then
    kill -INT "$pg" 2>/dev/null
    wait "$pg"
    rm -rf "$dir"
    exit 0
  fi
  sleep 1 &
  sl=$!
  wait "$sl"
  sl=
done
wait "$pg"
"#;

/// Errors from starting or using a [`TempCluster`].
#[derive(Debug, thiserror::Error)]
pub enum ClusterError {
    /// `SAKHI_PG_BIN` is set but does not contain `initdb` and `postgres`.
    #[error("SAKHI_PG_BIN={} does not contain the initdb and postgres binaries", path.display())]
    BadBinDir { path: PathBuf },
    /// A filesystem operation failed.
    #[error("{context}: {source}")]
    Io {
        context: String,
        #[source]
        source: io::Error,
    },
    /// A command could not be started at all.
    #[error("could not run `{command}`: {source}")]
    Spawn {
        command: String,
        #[source]
        source: io::Error,
    },
    /// A command ran and failed.
    #[error("`{command}` failed ({status}): {stderr}")]
    CommandFailed {
        command: String,
        status: ExitStatus,
        stderr: String,
    },
    /// The server did not accept connections in time.
    #[error("postgres did not become ready within {waited:?}; server log tail:\n{log_tail}")]
    NotReady { waited: Duration, log_tail: String },
    /// The server (or its watchdog) exited during startup.
    #[error("postgres exited during startup ({status}); server log tail:\n{log_tail}")]
    ServerExited {
        status: ExitStatus,
        log_tail: String,
    },
    /// A path we need to pass around as text is not valid UTF-8.
    #[error("path is not valid UTF-8: {}", path.display())]
    NonUtf8Path { path: PathBuf },
    /// Database names must match `[A-Za-z_][A-Za-z0-9_]{0,62}`.
    #[error("invalid database name {0:?} (allowed: [A-Za-z_][A-Za-z0-9_]*, at most 63 bytes)")]
    InvalidDatabaseName(String),
    /// A kept cluster's folder that the server's own system user could not enter.
    #[error(
        "the {SERVER_OS_USER} system user cannot reach {}: every folder above it must be \
         searchable by others (chmod o+x), or choose a folder under /tmp",
        path.display()
    )]
    Unreachable { path: PathBuf },
}

/// Server settings for a [`TempCluster`].
///
/// The default is durable (`fsync=on`, `synchronous_commit=on`), which is what
/// benchmarks want; [`ClusterOptions::fast`] turns both off for tests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClusterOptions {
    /// `fsync` setting (default `true`).
    pub fsync: bool,
    /// `synchronous_commit` setting (default `true`).
    pub synchronous_commit: bool,
    /// `max_connections` (default 200).
    pub max_connections: u32,
    /// `shared_buffers` (default `128MB`).
    pub shared_buffers: String,
    /// Additional `-c name=value` settings, applied last.
    pub extra_settings: Vec<(String, String)>,
}

impl Default for ClusterOptions {
    fn default() -> Self {
        Self {
            fsync: true,
            synchronous_commit: true,
            max_connections: 200,
            shared_buffers: "128MB".to_owned(),
            extra_settings: Vec::new(),
        }
    }
}

impl ClusterOptions {
    /// Durable settings (the default): `fsync=on`, `synchronous_commit=on`.
    pub fn durable() -> Self {
        Self::default()
    }

    /// Fast, non-durable settings for tests: `fsync=off`, `synchronous_commit=off`.
    pub fn fast() -> Self {
        Self::default().fsync(false).synchronous_commit(false)
    }

    pub fn fsync(mut self, on: bool) -> Self {
        self.fsync = on;
        self
    }

    pub fn synchronous_commit(mut self, on: bool) -> Self {
        self.synchronous_commit = on;
        self
    }

    pub fn max_connections(mut self, n: u32) -> Self {
        self.max_connections = n;
        self
    }

    pub fn shared_buffers(mut self, value: impl Into<String>) -> Self {
        self.shared_buffers = value.into();
        self
    }

    /// Adds a `-c name=value` server setting.
    pub fn setting(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.extra_settings.push((name.into(), value.into()));
        self
    }

    fn server_settings(&self) -> Vec<String> {
        let on_off = |b: bool| if b { "on" } else { "off" };
        let mut settings = vec![
            "listen_addresses=".to_owned(),
            format!("max_connections={}", self.max_connections),
            format!("shared_buffers={}", self.shared_buffers),
            format!("fsync={}", on_off(self.fsync)),
            format!("synchronous_commit={}", on_off(self.synchronous_commit)),
        ];
        settings.extend(
            self.extra_settings
                .iter()
                .map(|(name, value)| format!("{name}={value}")),
        );
        settings
    }
}

/// A running throwaway PostgreSQL server; stopped and deleted on drop (a kept one,
/// [`TempCluster::start_kept`], is stopped and its data left in place).
#[derive(Debug)]
pub struct TempCluster {
    /// What drop deletes: the whole cluster, or only a kept cluster's socket folder.
    /// `None` only while dropping.
    dir: Option<tempfile::TempDir>,
    root: PathBuf,
    data_dir: PathBuf,
    socket_dir: PathBuf,
    log_path: PathBuf,
    bin_dir: PathBuf,
    port: u16,
    run_as: RunAs,
    /// The watchdog (`sh`, possibly wrapped in `runuser`/`su`), parent of the postmaster.
    child: Child,
    /// Where the watchdog writes its pid, and what it deletes when the owner dies.
    watchdog_dir: PathBuf,
    /// The data directory outlives this value.
    kept: bool,
}

/// Where a cluster's files go, decided before the server starts.
struct Layout {
    dir: tempfile::TempDir,
    root: PathBuf,
    data_dir: PathBuf,
    socket_dir: PathBuf,
    log_path: PathBuf,
    log: File,
    watchdog_dir: PathBuf,
    kept: bool,
}

/// A fresh temporary folder the server's user can reach.
fn temp_dir(run_as: &RunAs) -> Result<tempfile::TempDir, ClusterError> {
    let parent = temp_parent(run_as.is_other_user());
    tempfile::Builder::new()
        .prefix("sakhi-pg-")
        .tempdir_in(&parent)
        .map_err(io_err(format!(
            "creating temporary directory in {}",
            parent.display()
        )))
}

impl TempCluster {
    /// Starts a cluster with durable default settings ([`ClusterOptions::default`]).
    ///
    /// Returns `Ok(None)` when no PostgreSQL server binaries are found.
    pub fn start() -> Result<Option<TempCluster>, ClusterError> {
        Self::start_with(ClusterOptions::default())
    }

    /// Starts a cluster with the given settings.
    ///
    /// Returns `Ok(None)` when no PostgreSQL server binaries are found.
    pub fn start_with(options: ClusterOptions) -> Result<Option<TempCluster>, ClusterError> {
        let Some(bin_dir) = find_bin_dir()? else {
            return Ok(None);
        };
        let run_as = RunAs::detect();

        let dir = temp_dir(&run_as)?;
        let root = dir.path().to_path_buf();
        utf8(&root)?;
        set_mode_755(&root)?;
        let socket_dir = root.join("sock");
        fs::create_dir(&socket_dir)
            .map_err(io_err(format!("creating {}", socket_dir.display())))?;
        set_mode_755(&socket_dir)?;
        let data_dir = root.join("data");
        let log_path = root.join("server.log");
        let log =
            File::create(&log_path).map_err(io_err(format!("creating {}", log_path.display())))?;

        if run_as.is_other_user() {
            chown_to_server_user(&root)?;
        }

        initdb(&bin_dir, &run_as, &root, &data_dir)?;
        let layout = Layout {
            dir,
            watchdog_dir: root.clone(),
            root,
            data_dir,
            socket_dir,
            log_path,
            log,
            kept: false,
        };
        Self::launch(bin_dir, run_as, layout, &options).map(Some)
    }

    /// Starts a cluster whose data directory is `dir/data`: made by `initdb` the first
    /// time, reused as it is afterwards. Drop stops it with a fast shutdown (so the next
    /// start needs no crash recovery) and leaves `dir` in place; only the socket lives in
    /// a temporary folder, because `dir` may be too long a path for a unix socket. If the
    /// owner dies without dropping it, the watchdog stops the server and the data stays.
    ///
    /// Returns `Ok(None)` when no PostgreSQL server binaries are found.
    pub fn start_kept(
        dir: &Path,
        options: ClusterOptions,
    ) -> Result<Option<TempCluster>, ClusterError> {
        let Some(bin_dir) = find_bin_dir()? else {
            return Ok(None);
        };
        let run_as = RunAs::detect();
        fs::create_dir_all(dir).map_err(io_err(format!("creating {}", dir.display())))?;
        let root = fs::canonicalize(dir).map_err(io_err(format!("resolving {}", dir.display())))?;
        utf8(&root)?;
        if run_as.is_other_user() && !reachable_by_others(&root) {
            return Err(ClusterError::Unreachable { path: root });
        }
        set_mode_755(&root)?;

        let sockets = temp_dir(&run_as)?;
        let socket_dir = sockets.path().to_path_buf();
        utf8(&socket_dir)?;
        set_mode_755(&socket_dir)?;
        let data_dir = root.join("data");
        let log_path = root.join("server.log");
        let log = fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&log_path)
            .map_err(io_err(format!("opening {}", log_path.display())))?;

        if run_as.is_other_user() {
            chown_to_server_user(&root)?;
            chown_to_server_user(&socket_dir)?;
        }
        // A data directory without PG_VERSION is not a cluster yet (or an initdb that
        // failed half-way, which initdb itself then refuses to overwrite, saying so).
        if !data_dir.join("PG_VERSION").is_file() {
            initdb(&bin_dir, &run_as, &root, &data_dir)?;
        }
        let layout = Layout {
            dir: sockets,
            watchdog_dir: socket_dir.clone(),
            root,
            data_dir,
            socket_dir,
            log_path,
            log,
            kept: true,
        };
        Self::launch(bin_dir, run_as, layout, &options).map(Some)
    }

    /// Starts the server of a laid-out cluster and waits until it accepts connections.
    fn launch(
        bin_dir: PathBuf,
        run_as: RunAs,
        layout: Layout,
        options: &ClusterOptions,
    ) -> Result<TempCluster, ClusterError> {
        let Layout {
            dir,
            root,
            data_dir,
            socket_dir,
            log_path,
            log,
            watchdog_dir,
            kept,
        } = layout;
        let port = free_port()?;
        let mut server_args = vec![
            utf8(&bin_dir.join("postgres"))?.to_owned(),
            "-D".to_owned(),
            utf8(&data_dir)?.to_owned(),
            "-k".to_owned(),
            utf8(&socket_dir)?.to_owned(),
            "-p".to_owned(),
            port.to_string(),
        ];
        for setting in options.server_settings() {
            server_args.push("-c".to_owned());
            server_args.push(setting);
        }
        let mut watchdog_args = vec![
            "-c".to_owned(),
            WATCHDOG.to_owned(),
            "sakhi-pg-watchdog".to_owned(),
            std::process::id().to_string(),
            utf8(&watchdog_dir)?.to_owned(),
        ];
        watchdog_args.extend(server_args);

        let mut cmd = run_as.command(&root, "/bin/sh", &watchdog_args);
        let log_err = log
            .try_clone()
            .map_err(io_err(format!("opening {}", log_path.display())))?;
        cmd.stdin(Stdio::null())
            .stdout(Stdio::from(log))
            .stderr(Stdio::from(log_err));
        let child = cmd.spawn().map_err(|source| ClusterError::Spawn {
            command: render(&cmd),
            source,
        })?;

        // From here on, `Drop` cleans up if anything fails.
        let mut cluster = TempCluster {
            dir: Some(dir),
            root,
            data_dir,
            socket_dir,
            log_path,
            bin_dir,
            port,
            run_as,
            child,
            watchdog_dir,
            kept,
        };
        cluster.wait_until_ready()?;
        Ok(cluster)
    }

    /// Creates a fresh database and returns its connection URL, e.g.
    /// `postgres://sakhi@localhost:<port>/<name>?host=<socket dir>`.
    ///
    /// `name` must match `[A-Za-z_][A-Za-z0-9_]*` (at most 63 bytes); it is used verbatim
    /// (case preserved).
    pub fn create_database(&self, name: &str) -> Result<String, ClusterError> {
        validate_database_name(name)?;
        let mut psql = self.psql("postgres");
        psql.arg("-c").arg(format!("CREATE DATABASE \"{name}\""));
        run(psql)?;
        Ok(self.url(name))
    }

    /// Connection URL for an existing database in this cluster (see [`Self::create_database`]).
    pub fn url(&self, database: &str) -> String {
        format!(
            "postgres://{SUPERUSER}@localhost:{}/{}?host={}",
            self.port,
            percent_encode(database),
            percent_encode(&self.socket_dir.to_string_lossy())
        )
    }

    /// Directory holding the server's unix socket (`.s.PGSQL.<port>`).
    pub fn socket_dir(&self) -> &Path {
        &self.socket_dir
    }

    /// Port number naming the unix socket (the server does not listen on TCP).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The cluster's data directory.
    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    /// Directory with the PostgreSQL binaries used for this cluster.
    pub fn bin_dir(&self) -> &Path {
        &self.bin_dir
    }

    /// The server's log file (stdout and stderr of the server).
    pub fn log_path(&self) -> &Path {
        &self.log_path
    }

    /// A `psql` command connected to `database` as the superuser, with `-X -q -v ON_ERROR_STOP=1`.
    /// Add e.g. `-c <sql>` and run it.
    pub fn psql(&self, database: &str) -> Command {
        let mut cmd = Command::new(tool(&self.bin_dir, "psql"));
        cmd.args(["-X", "-q", "-v", "ON_ERROR_STOP=1", "-h"])
            .arg(&self.socket_dir)
            .arg("-p")
            .arg(self.port.to_string())
            .args(["-U", SUPERUSER, "-d", database])
            .stdin(Stdio::null());
        for var in ["PGOPTIONS", "PGSERVICE", "PGSERVICEFILE", "PGSSLMODE"] {
            cmd.env_remove(var);
        }
        cmd
    }

    /// Last lines of the server log (for diagnostics).
    pub fn log_tail(&self) -> String {
        log_tail(&self.log_path)
    }

    fn wait_until_ready(&mut self) -> Result<(), ClusterError> {
        let started = Instant::now();
        loop {
            match self.child.try_wait() {
                Ok(Some(status)) => {
                    return Err(ClusterError::ServerExited {
                        status,
                        log_tail: self.log_tail(),
                    })
                }
                Ok(None) => {}
                Err(e) => return Err(io_err("waiting for the postgres watchdog")(e)),
            }
            let mut ready = Command::new(tool(&self.bin_dir, "pg_isready"));
            ready
                .args(["-q", "-t", "1", "-h"])
                .arg(&self.socket_dir)
                .arg("-p")
                .arg(self.port.to_string())
                .args(["-U", SUPERUSER, "-d", "postgres"])
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null());
            let status = ready.status().map_err(|source| ClusterError::Spawn {
                command: render(&ready),
                source,
            })?;
            if status.success() {
                return Ok(());
            }
            if started.elapsed() >= READY_TIMEOUT {
                return Err(ClusterError::NotReady {
                    waited: started.elapsed(),
                    log_tail: self.log_tail(),
                });
            }
            thread::sleep(Duration::from_millis(50));
        }
    }

    /// Stops the server: SIGTERM to the watchdog (which does an immediate shutdown and
    /// reaps the postmaster); falls back to `pg_ctl stop -m immediate` and killing the
    /// watchdog.
    fn stop(&mut self) {
        if self.kept {
            // A fast shutdown writes a checkpoint, so the next start of the kept data
            // replays no WAL; what follows then finds the server gone.
            self.pg_ctl_stop("fast", 120);
        }
        if let Ok(Some(_)) = self.child.try_wait() {
            // Watchdog gone, so the postmaster is gone too (the watchdog waits for it),
            // unless the watchdog itself was killed; make sure below.
            self.pg_ctl_stop("immediate", 10);
            return;
        }
        let signalled = fs::read_to_string(self.watchdog_dir.join("watchdog.pid"))
            .ok()
            .and_then(|s| s.trim().parse::<u32>().ok())
            .is_some_and(|pid| {
                Command::new("kill")
                    .args(["-TERM", &pid.to_string()])
                    .stdin(Stdio::null())
                    .stdout(Stdio::null())
                    .stderr(Stdio::null())
                    .status()
                    .is_ok_and(|s| s.success())
            });
        if signalled && wait_with_timeout(&mut self.child, STOP_TIMEOUT) {
            return;
        }
        self.pg_ctl_stop("immediate", 10);
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    fn pg_ctl_stop(&self, mode: &str, timeout_secs: u32) {
        if !self.data_dir.join("postmaster.pid").exists() {
            return;
        }
        let args = [
            "-D",
            &self.data_dir.to_string_lossy(),
            "stop",
            "-m",
            mode,
            "-w",
            "-t",
            &timeout_secs.to_string(),
        ]
        .map(str::to_owned);
        let pg_ctl = tool(&self.bin_dir, "pg_ctl");
        let mut cmd = self.run_as.command(&self.root, &pg_ctl, &args);
        let _ = cmd
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }
}

impl Drop for TempCluster {
    fn drop(&mut self) {
        self.stop();
        if let Some(dir) = self.dir.take() {
            // Only the temporary folder: a kept cluster's root holds its data.
            let path = dir.path().to_path_buf();
            if dir.close().is_err() {
                // Rare: e.g. a straggling backend still writing. Retry once.
                thread::sleep(Duration::from_millis(200));
                let _ = fs::remove_dir_all(&path);
            }
        }
    }
}

/// The policy used by tests: returns a fast (`fsync=off`) cluster, or `None` (after one
/// line on stderr) when no PostgreSQL server binaries are installed.
///
/// Panics if `SAKHI_REQUIRE_POSTGRES=1` and no binaries are found, or if binaries exist
/// but the cluster fails to start.
pub fn cluster_for_tests() -> Option<TempCluster> {
    cluster_for_tests_with(ClusterOptions::fast())
}

/// Like [`cluster_for_tests`] with explicit settings (e.g. durable ones for benchmarks).
pub fn cluster_for_tests_with(options: ClusterOptions) -> Option<TempCluster> {
    match TempCluster::start_with(options) {
        Ok(Some(cluster)) => Some(cluster),
        Ok(None) => {
            skip_or_panic();
            None
        }
        Err(e) => panic!("failed to start a temporary PostgreSQL cluster: {e}"),
    }
}

fn postgres_required() -> bool {
    std::env::var("SAKHI_REQUIRE_POSTGRES").is_ok_and(|v| matches!(v.trim(), "1" | "true" | "yes"))
}

fn skip_or_panic() {
    if postgres_required() {
        panic!(
            "SAKHI_REQUIRE_POSTGRES=1 but no PostgreSQL server binaries were found \
             (looked at SAKHI_PG_BIN, `pg_config --bindir`, /usr/lib/postgresql/*/bin, initdb on PATH)"
        );
    }
    static SKIP_NOTICE: Once = Once::new();
    SKIP_NOTICE.call_once(|| {
        // Written to the real stderr (not `eprintln!`) so libtest's capture doesn't hide it.
        let _ = writeln!(
            io::stderr(),
            "postgres tests skipped: no PostgreSQL server binaries found \
             (set SAKHI_REQUIRE_POSTGRES=1 to fail instead)"
        );
    });
}

// ---------------------------------------------------------------------------------------
// Running commands, possibly as the postgres system user
// ---------------------------------------------------------------------------------------

#[derive(Debug, Clone)]
enum RunAs {
    /// Not root: run everything as ourselves.
    Current,
    /// Root: `runuser -u postgres -- ...`.
    Runuser(PathBuf),
    /// Root without runuser: `su postgres -s /bin/sh -c '...'`.
    Su(PathBuf),
}

impl RunAs {
    fn detect() -> Self {
        let is_root = Command::new("id")
            .arg("-u")
            .stdin(Stdio::null())
            .stderr(Stdio::null())
            .output()
            .is_ok_and(|o| o.status.success() && String::from_utf8_lossy(&o.stdout).trim() == "0");
        if !is_root {
            return RunAs::Current;
        }
        let extra = [Path::new("/usr/sbin"), Path::new("/sbin")];
        if let Some(p) = find_on_path("runuser", &extra) {
            RunAs::Runuser(p)
        } else {
            RunAs::Su(find_on_path("su", &[Path::new("/bin")]).unwrap_or_else(|| "su".into()))
        }
    }

    fn is_other_user(&self) -> bool {
        !matches!(self, RunAs::Current)
    }

    /// A command running `program args...` as the server user, in directory `cwd`
    /// (the postgres user may not be able to enter our current directory).
    fn command(&self, cwd: &Path, program: impl AsRef<OsStr>, args: &[String]) -> Command {
        let program = program.as_ref();
        let mut cmd = match self {
            RunAs::Current => {
                let mut c = Command::new(program);
                c.args(args);
                c
            }
            RunAs::Runuser(runuser) => {
                let mut c = Command::new(runuser);
                c.args(["-u", SERVER_OS_USER, "--"]).arg(program).args(args);
                c
            }
            RunAs::Su(su) => {
                let mut line = sh_quote(&program.to_string_lossy());
                for a in args {
                    line.push(' ');
                    line.push_str(&sh_quote(a));
                }
                let mut c = Command::new(su);
                c.args([SERVER_OS_USER, "-s", "/bin/sh", "-c"]).arg(line);
                c
            }
        };
        cmd.current_dir(cwd);
        cmd
    }
}

fn initdb(
    bin_dir: &Path,
    run_as: &RunAs,
    root: &Path,
    data_dir: &Path,
) -> Result<(), ClusterError> {
    let initdb = bin_dir.join("initdb");
    let mut args: Vec<String> = [
        "-D",
        utf8(data_dir)?,
        "-U",
        SUPERUSER,
        "--auth=trust",
        "--no-sync",
        "-E",
        "UTF8",
        "--locale=C",
    ]
    .map(str::to_owned)
    .into();
    if supports_no_instructions(&initdb) {
        args.push("--no-instructions".to_owned());
    }
    let mut cmd = run_as.command(root, &initdb, &args);
    cmd.stdin(Stdio::null());
    run(cmd).map(drop)
}

/// `--no-instructions` exists since PostgreSQL 14.
fn supports_no_instructions(initdb: &Path) -> bool {
    Command::new(initdb)
        .arg("--help")
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).contains("--no-instructions"))
}

/// Runs `cmd` to completion; a non-zero exit becomes [`ClusterError::CommandFailed`].
fn run(mut cmd: Command) -> Result<Output, ClusterError> {
    let output = cmd.output().map_err(|source| ClusterError::Spawn {
        command: render(&cmd),
        source,
    })?;
    if output.status.success() {
        return Ok(output);
    }
    let mut stderr = String::from_utf8_lossy(&output.stderr).trim().to_owned();
    if stderr.is_empty() {
        stderr = String::from_utf8_lossy(&output.stdout).trim().to_owned();
    }
    Err(ClusterError::CommandFailed {
        command: render(&cmd),
        status: output.status,
        stderr,
    })
}

/// Waits up to `timeout` for `child` to exit; true if it did.
fn wait_with_timeout(child: &mut Child, timeout: Duration) -> bool {
    let deadline = Instant::now() + timeout;
    loop {
        match child.try_wait() {
            Ok(Some(_)) => return true,
            Ok(None) if Instant::now() < deadline => thread::sleep(Duration::from_millis(10)),
            _ => return false,
        }
    }
}

fn render(cmd: &Command) -> String {
    let mut s = sh_quote(&cmd.get_program().to_string_lossy());
    for arg in cmd.get_args() {
        let arg = arg.to_string_lossy();
        s.push(' ');
        // The watchdog script is long; show only its first line.
        if arg.contains('\n') {
            s.push_str("'<script>'");
        } else {
            s.push_str(&sh_quote(&arg));
        }
    }
    s
}

fn sh_quote(s: &str) -> String {
    let plain = !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_./=:,@+%".contains(&b));
    if plain {
        s.to_owned()
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}

// ---------------------------------------------------------------------------------------
// Locating binaries
// ---------------------------------------------------------------------------------------

fn has_server_bins(dir: &Path) -> bool {
    dir.join("initdb").is_file() && dir.join("postgres").is_file()
}

fn find_bin_dir() -> Result<Option<PathBuf>, ClusterError> {
    if let Some(dir) = std::env::var_os("SAKHI_PG_BIN").filter(|v| !v.is_empty()) {
        let dir = PathBuf::from(dir);
        return if has_server_bins(&dir) {
            Ok(Some(dir))
        } else {
            Err(ClusterError::BadBinDir { path: dir })
        };
    }
    let from_pg_config = Command::new("pg_config")
        .arg("--bindir")
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| PathBuf::from(String::from_utf8_lossy(&o.stdout).trim()));
    if let Some(dir) = from_pg_config.filter(|d| has_server_bins(d)) {
        return Ok(Some(dir));
    }
    if let Some(dir) = highest_versioned_bin_dir(Path::new("/usr/lib/postgresql")) {
        return Ok(Some(dir));
    }
    Ok(find_on_path("initdb", &[])
        .and_then(|p| p.parent().map(Path::to_path_buf))
        .filter(|d| has_server_bins(d)))
}

/// The `<base>/<version>/bin` with the highest numeric version that has server binaries.
fn highest_versioned_bin_dir(base: &Path) -> Option<PathBuf> {
    fs::read_dir(base)
        .ok()?
        .filter_map(Result::ok)
        .filter_map(|entry| {
            let name = entry.file_name().into_string().ok()?;
            let version: Vec<u32> = name
                .split('.')
                .map(|part| part.parse().ok())
                .collect::<Option<_>>()?;
            let bin = entry.path().join("bin");
            has_server_bins(&bin).then_some((version, bin))
        })
        .max_by(|a, b| a.0.cmp(&b.0))
        .map(|(_, bin)| bin)
}

fn find_on_path(name: &str, extra: &[&Path]) -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain(extra.iter().map(|p| p.to_path_buf()))
        .map(|dir| dir.join(name))
        .find(|candidate| candidate.is_file())
}

/// `bin_dir/name` if present, else `name` (looked up on `PATH`).
fn tool(bin_dir: &Path, name: &str) -> PathBuf {
    let p = bin_dir.join(name);
    if p.is_file() {
        p
    } else {
        PathBuf::from(name)
    }
}

// ---------------------------------------------------------------------------------------
// Small helpers
// ---------------------------------------------------------------------------------------

/// The directory to create the cluster directory in: the system temp dir, unless the
/// server user could not reach it (another user with a non-traversable ancestor) or
/// the socket path would get too long, in which case `/tmp`.
fn temp_parent(other_user: bool) -> PathBuf {
    let tmp = std::env::temp_dir();
    let too_long = tmp.as_os_str().len() + "/sakhi-pg-XXXXXX/sock".len() > MAX_SOCKET_DIR_LEN;
    let unreachable = other_user
        && tmp
            .ancestors()
            .any(|dir| fs::metadata(dir).map_or(true, |m| m.permissions().mode() & 0o001 == 0));
    if too_long || unreachable || tmp.to_str().is_none() {
        PathBuf::from("/tmp")
    } else {
        tmp
    }
}

/// Whether every folder above `path` lets other users pass, as the server's own
/// system user must to reach its data.
fn reachable_by_others(path: &Path) -> bool {
    path.ancestors()
        .skip(1)
        .all(|dir| fs::metadata(dir).is_ok_and(|m| m.permissions().mode() & 0o001 != 0))
}

fn chown_to_server_user(path: &Path) -> Result<(), ClusterError> {
    let mut chown = Command::new("chown");
    chown
        .arg("-R")
        .arg(format!("{SERVER_OS_USER}:{SERVER_OS_USER}"))
        .arg(path);
    run(chown).map(drop)
}

fn set_mode_755(path: &Path) -> Result<(), ClusterError> {
    fs::set_permissions(path, fs::Permissions::from_mode(0o755))
        .map_err(io_err(format!("chmod 755 {}", path.display())))
}

fn io_err(context: impl Into<String>) -> impl FnOnce(io::Error) -> ClusterError {
    let context = context.into();
    move |source| ClusterError::Io { context, source }
}

fn utf8(path: &Path) -> Result<&str, ClusterError> {
    path.to_str().ok_or_else(|| ClusterError::NonUtf8Path {
        path: path.to_path_buf(),
    })
}

/// A TCP port number that was free a moment ago (it names the unix socket file).
fn free_port() -> Result<u16, ClusterError> {
    let listener = TcpListener::bind(("127.0.0.1", 0)).map_err(io_err("binding 127.0.0.1:0"))?;
    let port = listener
        .local_addr()
        .map_err(io_err("reading the bound port"))?
        .port();
    Ok(port)
}

fn validate_database_name(name: &str) -> Result<(), ClusterError> {
    let mut bytes = name.bytes();
    let valid = name.len() <= 63
        && bytes
            .next()
            .is_some_and(|b| b.is_ascii_alphabetic() || b == b'_')
        && bytes.all(|b| b.is_ascii_alphanumeric() || b == b'_');
    if valid {
        Ok(())
    } else {
        Err(ClusterError::InvalidDatabaseName(name.to_owned()))
    }
}

fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/".contains(&b) {
            out.push(char::from(b));
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

fn log_tail(path: &Path) -> String {
    const LINES: usize = 40;
    match fs::read(path) {
        Ok(bytes) => {
            let text = String::from_utf8_lossy(&bytes);
            let lines: Vec<&str> = text.lines().collect();
            lines[lines.len().saturating_sub(LINES)..].join("\n")
        }
        Err(e) => format!("<could not read {}: {e}>", path.display()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pid_alive(pid: u32) -> bool {
        Path::new(&format!("/proc/{pid}")).exists()
    }

    fn wait_until(timeout: Duration, mut cond: impl FnMut() -> bool) -> bool {
        let deadline = Instant::now() + timeout;
        loop {
            if cond() {
                return true;
            }
            if Instant::now() >= deadline {
                return false;
            }
            thread::sleep(Duration::from_millis(50));
        }
    }

    fn postmaster_pid(cluster: &TempCluster) -> u32 {
        let text = fs::read_to_string(cluster.data_dir().join("postmaster.pid"))
            .expect("postmaster.pid readable");
        text.lines()
            .next()
            .and_then(|l| l.trim().parse().ok())
            .expect("pid on first line of postmaster.pid")
    }

    /// Runs `SELECT 1` through psql using the connection URL (exercises the URL form too).
    fn select_one(cluster: &TempCluster, url: &str) -> String {
        let out = Command::new(tool(cluster.bin_dir(), "psql"))
            .args(["-X", "-A", "-t", "-v", "ON_ERROR_STOP=1", url, "-c"])
            .arg("SELECT 1 || ':' || current_database()")
            .stdin(Stdio::null())
            .output()
            .expect("run psql");
        assert!(
            out.status.success(),
            "psql {url} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).trim().to_owned()
    }

    #[test]
    fn starts_a_cluster_creates_two_databases_and_stops_on_drop() {
        let Some(cluster) = cluster_for_tests() else {
            return;
        };
        let first = cluster.create_database("sakhi_first").unwrap();
        let second = cluster.create_database("sakhi_second").unwrap();
        assert_eq!(
            first,
            format!(
                "postgres://sakhi@localhost:{}/sakhi_first?host={}",
                cluster.port(),
                cluster.socket_dir().display()
            )
        );
        assert_eq!(select_one(&cluster, &first), "1:sakhi_first");
        assert_eq!(select_one(&cluster, &second), "1:sakhi_second");

        // Errors carry the command and its stderr; no panics.
        let err = cluster.create_database("sakhi_first").unwrap_err();
        assert!(
            matches!(&err, ClusterError::CommandFailed { stderr, .. } if stderr.contains("already exists")),
            "{err}"
        );
        assert!(matches!(
            cluster.create_database("bad-name; DROP"),
            Err(ClusterError::InvalidDatabaseName(_))
        ));

        let pid = postmaster_pid(&cluster);
        let root = cluster.root.clone();
        assert!(pid_alive(pid));
        assert!(cluster.socket_dir().starts_with(&root));

        let started = Instant::now();
        drop(cluster);
        let drop_took = started.elapsed();
        assert!(
            !root.exists(),
            "cluster dir {} still exists",
            root.display()
        );
        assert!(
            wait_until(Duration::from_secs(3), || !pid_alive(pid)),
            "postmaster {pid} still alive after drop"
        );
        assert!(
            drop_took < Duration::from_secs(5),
            "drop took {drop_took:?}"
        );
    }

    #[test]
    fn two_clusters_run_at_once() {
        let handles: Vec<_> = (0..2).map(|_| thread::spawn(cluster_for_tests)).collect();
        let clusters: Vec<TempCluster> = handles
            .into_iter()
            .filter_map(|h| h.join().expect("start thread"))
            .collect();
        if clusters.len() < 2 {
            return; // skipped: no binaries
        }
        let (a, b) = (&clusters[0], &clusters[1]);
        assert_ne!(a.socket_dir(), b.socket_dir());
        assert_ne!(postmaster_pid(a), postmaster_pid(b));
        // Same database name in both clusters: they are independent.
        let url_a = a.create_database("shared_name").unwrap();
        let url_b = b.create_database("shared_name").unwrap();
        assert_eq!(select_one(a, &url_a), "1:shared_name");
        assert_eq!(select_one(b, &url_b), "1:shared_name");

        let pids: Vec<u32> = clusters.iter().map(postmaster_pid).collect();
        drop(clusters);
        for pid in pids {
            assert!(wait_until(Duration::from_secs(3), || !pid_alive(pid)));
        }
    }

    #[test]
    fn durable_options_are_applied() {
        let Some(cluster) =
            cluster_for_tests_with(ClusterOptions::durable().setting("work_mem", "8MB"))
        else {
            return;
        };
        let out = run({
            let mut c = cluster.psql("postgres");
            c.args(["-A", "-t", "-c"]).arg(
                "SELECT current_setting('fsync') || ',' || current_setting('synchronous_commit') \
                 || ',' || current_setting('max_connections') || ',' || current_setting('work_mem')",
            );
            c
        })
        .unwrap();
        assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "on,on,200,8MB");
    }

    #[test]
    fn startup_failure_reports_the_server_log() {
        let options = ClusterOptions::fast().setting("sakhi_no_such_setting", "1");
        match TempCluster::start_with(options) {
            Ok(None) => skip_or_panic(),
            Ok(Some(_)) => panic!("server started with an invalid setting"),
            Err(e) => {
                let text = e.to_string();
                assert!(matches!(e, ClusterError::ServerExited { .. }), "{text}");
                assert!(text.contains("sakhi_no_such_setting"), "{text}");
            }
        }
    }

    /// The child's side of `orphan_guard_stops_server_when_owner_is_killed`:
    /// start a cluster, report it, and wait to be SIGKILLed.
    fn own_a_cluster_until_killed(report: &std::ffi::OsStr) {
        let cluster = cluster_for_tests().expect("binaries exist (checked by the parent)");
        let tmp = PathBuf::from(report).with_extension("tmp");
        fs::write(
            &tmp,
            format!("{}\n{}\n", postmaster_pid(&cluster), cluster.root.display()),
        )
        .unwrap();
        fs::rename(&tmp, report).unwrap();
        thread::sleep(Duration::from_secs(120));
        drop(cluster);
    }

    #[test]
    fn orphan_guard_stops_server_when_owner_is_killed() {
        // The test runs itself again as the child that owns the cluster.
        if let Some(report) = std::env::var_os("SAKHI_PG_ORPHAN_REPORT") {
            own_a_cluster_until_killed(&report);
            return;
        }
        match find_bin_dir() {
            Ok(Some(_)) => {}
            _ => {
                skip_or_panic();
                return;
            }
        }
        let report_dir = tempfile::tempdir().unwrap();
        let report = report_dir.path().join("report");
        let me = concat!(
            module_path!(),
            "::orphan_guard_stops_server_when_owner_is_killed"
        );
        let me = me.split_once("::").map_or(me, |(_, rest)| rest);
        let mut child = Command::new(std::env::current_exe().unwrap())
            .args([me, "--exact", "--nocapture", "--test-threads=1"])
            .env("SAKHI_PG_ORPHAN_REPORT", &report)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let reported = wait_until(Duration::from_secs(60), || report.exists());
        if !reported {
            let _ = child.kill();
            let _ = child.wait();
            panic!("helper process never reported its cluster");
        }
        let text = fs::read_to_string(&report).unwrap();
        let mut lines = text.lines();
        let pid: u32 = lines.next().unwrap().parse().unwrap();
        let root = PathBuf::from(lines.next().unwrap());
        assert!(pid_alive(pid));

        child.kill().unwrap(); // SIGKILL: no Drop runs in the helper
        child.wait().unwrap();

        assert!(
            wait_until(Duration::from_secs(15), || !pid_alive(pid)),
            "orphaned postmaster {pid} still alive"
        );
        assert!(
            wait_until(Duration::from_secs(5), || !root.exists()),
            "orphaned cluster dir {} not removed",
            root.display()
        );
    }

    #[test]
    fn helpers() {
        assert!(validate_database_name("abc_1").is_ok());
        assert!(validate_database_name("_x").is_ok());
        assert!(validate_database_name("").is_err());
        assert!(validate_database_name("1abc").is_err());
        assert!(validate_database_name(&"a".repeat(64)).is_err());
        assert_eq!(percent_encode("/tmp/a b"), "/tmp/a%20b");
        assert_eq!(sh_quote("it's"), r"'it'\''s'");
        assert_eq!(sh_quote("/usr/bin/x"), "/usr/bin/x");
        let opts = ClusterOptions::fast().server_settings();
        assert!(opts.contains(&"fsync=off".to_owned()));
        assert!(opts.contains(&"synchronous_commit=off".to_owned()));
        assert!(opts.contains(&"listen_addresses=".to_owned()));
    }
}
