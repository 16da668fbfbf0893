//! Real-browser test harness: headless Chromium driven over WebDriver by `chromedriver`.
//!
//! ```ignore
//! let Some(browser) = common::browser::start().await else { return };
//! browser.goto(&format!("{base}/")).await?;
//! browser.fill("input[name=amount]", "1250").await?;
//! browser.submit_form("form").await?;
//! assert_eq!(browser.text("h1").await?, "Saved 1250");
//! browser.close().await?;
//! ```
//!
//! Every `start()` runs its own `chromedriver` (on a free port) and its own Chromium (with a
//! fresh profile in a temporary directory), so tests can run in parallel. Nothing is
//! downloaded: both come from Debian's `chromium` and `chromium-driver` packages.
//!
//! When either binary is missing, `start()` prints one line to stderr and returns `None` so
//! the test can return early; with `SAKHI_REQUIRE_BROWSER=1` it panics instead (CI sets it).
//! Binaries that are installed but fail to start always panic: that is a real failure.
#![allow(dead_code)]

use anyhow::{anyhow, bail, Context, Result};
use fantoccini::elements::Element;
use fantoccini::error::CmdError;
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{json, Value};
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};
use tempfile::TempDir;
use tokio::process::{Child, Command};

/// Set to `1` (or `true`/`yes`) to make a missing browser a failure instead of a skip.
pub const REQUIRE_ENV: &str = "SAKHI_REQUIRE_BROWSER";
/// How long `wait_for` (and the helpers that look an element up) wait for a selector.
pub const WAIT_TIMEOUT: Duration = Duration::from_secs(10);
/// How long to wait for chromedriver's `/status` to report ready.
const DRIVER_READY_TIMEOUT: Duration = Duration::from_secs(20);
/// How long to wait for chromedriver to launch Chromium and open a session.
const SESSION_TIMEOUT: Duration = Duration::from_secs(60);
const POLL: Duration = Duration::from_millis(50);

const DRIVER_NAMES: &[&str] = &["chromedriver"];
const BROWSER_NAMES: &[&str] = &["chromium", "chromium-browser"];
/// Searched after `PATH`, so the Debian install is found even with a bare `PATH`.
const FALLBACK_DIRS: &[&str] = &["/usr/bin"];
const INSTALL_HINT: &str =
    "install the Debian packages with `apt-get install -y chromium chromium-driver`";
/// A typical phone's screen in CSS pixels, which is what Sakhi's users hold.
const PHONE: (u32, u32) = (412, 915);

// ---------------------------------------------------------------------------------------
// Finding the binaries
// ---------------------------------------------------------------------------------------

/// The two programs the harness runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tools {
    pub chromedriver: PathBuf,
    pub chromium: PathBuf,
}

/// `PATH`'s directories, then `/usr/bin` if `PATH` did not already have it.
pub fn default_search_dirs() -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).collect())
        .unwrap_or_default();
    for dir in FALLBACK_DIRS {
        let dir = PathBuf::from(dir);
        if !dirs.contains(&dir) {
            dirs.push(dir);
        }
    }
    dirs
}

/// Looks for `chromedriver` and `chromium` (or `chromium-browser`) in `dirs`, in order.
///
/// The error says which binary is missing and which Debian packages provide it.
pub fn find_tools(dirs: &[PathBuf]) -> Result<Tools, String> {
    let chromedriver = find_executable(DRIVER_NAMES, dirs);
    let chromium = find_executable(BROWSER_NAMES, dirs);
    match (chromedriver, chromium) {
        (Some(chromedriver), Some(chromium)) => Ok(Tools {
            chromedriver,
            chromium,
        }),
        (chromedriver, chromium) => {
            let mut missing = Vec::new();
            if chromedriver.is_none() {
                missing.push("`chromedriver` (Debian package chromium-driver)");
            }
            if chromium.is_none() {
                missing.push("`chromium` or `chromium-browser` (Debian package chromium)");
            }
            Err(format!(
                "not found on PATH or in /usr/bin: {}; {INSTALL_HINT}",
                missing.join(" and ")
            ))
        }
    }
}

fn find_executable(names: &[&str], dirs: &[PathBuf]) -> Option<PathBuf> {
    names
        .iter()
        .flat_map(|name| dirs.iter().map(move |dir| dir.join(name)))
        .find(|candidate| is_executable(candidate))
}

fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    // `metadata` follows symlinks, as exec does (`/usr/bin/chromium-browser` may be one).
    std::fs::metadata(path).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

fn browser_required() -> bool {
    std::env::var(REQUIRE_ENV).is_ok_and(|v| matches!(v.trim(), "1" | "true" | "yes"))
}

// ---------------------------------------------------------------------------------------
// Starting
// ---------------------------------------------------------------------------------------

/// Starts chromedriver and a headless Chromium session, or returns `None` (after one line
/// on stderr) when either binary is not installed and `SAKHI_REQUIRE_BROWSER` is not set.
///
/// Panics when `SAKHI_REQUIRE_BROWSER=1` and a binary is missing, or when the binaries are
/// installed but fail to start.
pub async fn start() -> Option<Browser> {
    start_in(&default_search_dirs(), browser_required()).await
}

/// [`start`] with an explicit search path and policy (for testing the harness itself).
pub async fn start_in(dirs: &[PathBuf], require: bool) -> Option<Browser> {
    let tools = match find_tools(dirs) {
        Ok(tools) => tools,
        Err(reason) if require => panic!("{REQUIRE_ENV}=1 but the browser is missing: {reason}"),
        Err(reason) => {
            // The real stderr, not `eprintln!`, so libtest's output capture doesn't hide it.
            let _ = writeln!(
                std::io::stderr(),
                "skipping browser test: {reason} (set {REQUIRE_ENV}=1 to fail instead)"
            );
            return None;
        }
    };
    match Browser::launch(&tools).await {
        Ok(browser) => Some(browser),
        Err(e) => panic!(
            "browser harness: {} and {} are installed but did not start: {e:#}",
            tools.chromedriver.display(),
            tools.chromium.display()
        ),
    }
}

/// A running chromedriver with one Chromium session. Dropping it ends the session and
/// stops both processes (best effort); [`Browser::close`] does the same and reports errors.
pub struct Browser {
    /// The WebDriver client, for anything the helpers don't cover.
    pub client: Client,
    driver: Child,
    driver_addr: SocketAddr,
    session_id: Option<String>,
    closed: bool,
    /// Holds Chromium's profile and chromedriver's log; removed after the processes stop
    /// (it is the last field, so it drops after `Drop::drop` has run).
    dir: TempDir,
}

impl Browser {
    async fn launch(tools: &Tools) -> Result<Browser> {
        let dir = tempfile::Builder::new()
            .prefix("sakhi-browser-")
            .tempdir()
            .context("creating a temporary directory for the browser profile")?;
        let profile = dir.path().join("profile");
        let log = dir.path().join("chromedriver.log");
        // chromedriver's own stderr (e.g. the loader's "error while loading shared libraries");
        // Chromium's output goes into chromedriver's log (`--enable-chrome-logs`).
        let stderr_path = dir.path().join("stderr.log");
        let logs = |log: &Path| {
            format!(
                "chromedriver log: {}\nchromedriver/chromium stderr: {}",
                log_tail(log),
                log_tail(&stderr_path)
            )
        };

        // The port is free when chosen but could be taken before chromedriver binds it, so
        // a chromedriver that exits at once is tried again on a new port.
        let mut attempt = 1;
        let (mut driver, driver_addr) = loop {
            let port = free_port()?;
            let driver_addr = SocketAddr::from(([127, 0, 0, 1], port));
            let stderr = std::fs::File::create(&stderr_path)
                .with_context(|| format!("creating {}", stderr_path.display()))?;
            let mut driver = Command::new(&tools.chromedriver)
                .arg(format!("--port={port}"))
                .arg(format!("--log-path={}", log.display()))
                .arg("--enable-chrome-logs")
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(stderr)
                .kill_on_drop(true)
                .spawn()
                .with_context(|| format!("spawning {}", tools.chromedriver.display()))?;
            match wait_until_ready(&mut driver, driver_addr).await {
                Ok(()) => break (driver, driver_addr),
                Err(e) => {
                    let exited = matches!(driver.try_wait(), Ok(Some(_)));
                    let _ = driver.start_kill();
                    let _ = driver.wait().await;
                    if !(exited && attempt < 3) {
                        return Err(e.context(logs(&log)));
                    }
                    attempt += 1;
                }
            }
        };

        let mut capabilities = serde_json::Map::new();
        capabilities.insert(
            "goog:chromeOptions".into(),
            json!({
                "binary": tools.chromium.to_string_lossy(),
                "args": [
                    "--headless",
                    "--no-sandbox",
                    "--disable-gpu",
                    "--no-first-run",
                    "--disable-background-networking",
                    "--disable-component-update",
                    "--disable-sync",
                    "--disable-dev-shm-usage",
                    format!("--window-size={},{}", PHONE.0, PHONE.1),
                    format!("--user-data-dir={}", profile.display()),
                ],
                // Headless Chromium keeps windows at least 500 px wide and takes its own UI
                // off the height, so `--window-size` alone gives a 500x772 page. This makes
                // the page itself phone-sized (and `width=device-width` mean 412).
                "mobileEmulation": {
                    "deviceMetrics": { "width": PHONE.0, "height": PHONE.1, "pixelRatio": 1.0 },
                },
            }),
        );
        let connector = hyper_util::client::legacy::connect::HttpConnector::new();
        let connecting = tokio::time::timeout(
            SESSION_TIMEOUT,
            ClientBuilder::new(connector)
                .capabilities(capabilities)
                .connect(&format!("http://{driver_addr}")),
        )
        .await;
        let client = match connecting {
            Ok(Ok(client)) => client,
            failed => {
                let why = match failed {
                    Ok(Err(e)) => e.to_string(),
                    _ => format!("no session within {}s", SESSION_TIMEOUT.as_secs()),
                };
                kill_children_of(&driver);
                let _ = driver.start_kill();
                bail!(
                    "chromedriver could not start a Chromium session: {why}\n{}",
                    logs(&log)
                );
            }
        };
        // Not fatal: without it, Drop just can't end the session politely.
        let session_id = client.session_id().await.ok().flatten();
        Ok(Browser {
            client,
            driver,
            driver_addr,
            session_id,
            closed: false,
            dir,
        })
    }
}

/// Asks the OS for a free port on 127.0.0.1 (the listener is closed again before returning).
fn free_port() -> Result<u16> {
    let listener = TcpListener::bind("127.0.0.1:0").context("binding 127.0.0.1:0")?;
    Ok(listener
        .local_addr()
        .context("reading the bound address")?
        .port())
}

/// Polls `GET /status` until chromedriver says `"ready": true`.
async fn wait_until_ready(driver: &mut Child, addr: SocketAddr) -> Result<()> {
    let deadline = Instant::now() + DRIVER_READY_TIMEOUT;
    loop {
        if let Some(status) = driver.try_wait().context("checking on chromedriver")? {
            bail!("chromedriver exited before it was ready ({status})");
        }
        let answer = tokio::task::spawn_blocking(move || http_call(addr, "GET", "/status"))
            .await
            .context("joining the status poll")?;
        let last = match answer.and_then(|body| {
            serde_json::from_str::<Value>(&body).with_context(|| format!("status body {body:?}"))
        }) {
            Ok(status) if status["value"]["ready"] == Value::Bool(true) => return Ok(()),
            Ok(status) => format!("not ready: {status}"),
            Err(e) => format!("{e:#}"),
        };
        if Instant::now() >= deadline {
            bail!(
                "chromedriver on {addr} was not ready within {}s (last: {last})",
                DRIVER_READY_TIMEOUT.as_secs()
            );
        }
        tokio::time::sleep(POLL).await;
    }
}

/// A minimal blocking HTTP/1.1 request returning the body. Used for the readiness poll and
/// for ending the session from `Drop`, where nothing async can run.
///
/// chromedriver answers with a `Content-Length` and keeps the connection open even when
/// asked to close it (and refuses HTTP/1.0), so the body is read by its length.
fn http_call(addr: SocketAddr, method: &str, path: &str) -> Result<String> {
    let timeout = Duration::from_secs(5);
    let mut stream = TcpStream::connect_timeout(&addr, timeout)
        .with_context(|| format!("connecting to chromedriver on {addr}"))?;
    stream.set_read_timeout(Some(timeout))?;
    stream.set_write_timeout(Some(timeout))?;
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    )?;
    let mut reply = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        let n = stream
            .read(&mut chunk)
            .with_context(|| format!("reading the reply to {method} {path}"))?;
        reply.extend_from_slice(&chunk[..n]);
        if let Some(header_end) = reply.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&reply[..header_end]);
            let length = head.lines().find_map(|line| {
                let (name, value) = line.split_once(':')?;
                name.trim()
                    .eq_ignore_ascii_case("content-length")
                    .then(|| value.trim().parse::<usize>().ok())?
            });
            let body = &reply[header_end + 4..];
            match length {
                Some(length) if body.len() >= length => {
                    return Ok(String::from_utf8_lossy(&body[..length]).into_owned());
                }
                None if n == 0 => return Ok(String::from_utf8_lossy(body).into_owned()),
                _ => {}
            }
        }
        if n == 0 {
            bail!(
                "incomplete HTTP reply to {method} {path}: {:?}",
                String::from_utf8_lossy(&reply)
            );
        }
    }
}

fn log_tail(log: &Path) -> String {
    match std::fs::read_to_string(log) {
        Ok(text) => {
            let lines: Vec<&str> = text.lines().collect();
            let tail = lines[lines.len().saturating_sub(12)..].join("\n");
            if tail.is_empty() {
                "(empty)".into()
            } else {
                format!("\n{tail}")
            }
        }
        Err(e) => format!("(unreadable: {e})"),
    }
}

// ---------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------

impl Browser {
    /// Loads `url` and waits for the page to finish loading.
    /// Fails if Chromium shows its own error page instead (e.g. connection refused).
    pub async fn goto(&self, url: &str) -> Result<()> {
        self.client
            .goto(url)
            .await
            .with_context(|| format!("opening {url}"))?;
        self.fail_on_error_page(&format!("opening {url}")).await
    }

    /// The URL of the page now shown.
    pub async fn url(&self) -> Result<String> {
        Ok(self
            .client
            .current_url()
            .await
            .context("reading the current URL")?
            .to_string())
    }

    /// Waits (up to [`WAIT_TIMEOUT`]) for an element matching `css` and returns it.
    pub async fn wait_for(&self, css: &str) -> Result<Element> {
        let found = self
            .client
            .wait()
            .at_most(WAIT_TIMEOUT)
            .every(Duration::from_millis(100))
            .for_element(Locator::Css(css))
            .await;
        match found {
            Ok(element) => Ok(element),
            Err(CmdError::WaitTimeout) => Err(anyhow!(
                "no element matches `{css}` after waiting {}s on {}",
                WAIT_TIMEOUT.as_secs(),
                self.where_am_i().await
            )),
            Err(e) => Err(anyhow!(e)).with_context(|| format!("waiting for `{css}`")),
        }
    }

    /// Clears the field matching `css`, then types `value` into it.
    pub async fn fill(&self, css: &str, value: &str) -> Result<()> {
        let field = self.wait_for(css).await?;
        field
            .clear()
            .await
            .with_context(|| format!("clearing `{css}`"))?;
        field
            .send_keys(value)
            .await
            .with_context(|| format!("typing {value:?} into `{css}`"))
    }

    /// Clicks the element matching `css`.
    pub async fn click(&self, css: &str) -> Result<()> {
        self.wait_for(css)
            .await?
            .click()
            .await
            .with_context(|| format!("clicking `{css}`"))
    }

    /// The rendered text of the element matching `css`.
    pub async fn text(&self, css: &str) -> Result<String> {
        self.wait_for(css)
            .await?
            .text()
            .await
            .with_context(|| format!("reading the text of `{css}`"))
    }

    /// Submits the form matching `css` the way a person would (by clicking its first submit
    /// button; if it has none, with `requestSubmit()`), then waits until the browser has
    /// loaded the page the server answered with.
    ///
    /// Fails if no new page has loaded within [`WAIT_TIMEOUT`], e.g. when validation in the
    /// browser stopped the submission.
    pub async fn submit_form(&self, css: &str) -> Result<()> {
        let form = self.wait_for(css).await?;
        // Marks the current document; a new document won't have the mark.
        self.client
            .execute("window.__sakhiBeforeSubmit = true;", vec![])
            .await
            .with_context(|| format!("preparing to submit `{css}`"))?;
        let button = form
            .find(Locator::Css(
                "button:not([type]), button[type=submit], input[type=submit], input[type=image]",
            ))
            .await;
        match button {
            Ok(button) => button
                .click()
                .await
                .with_context(|| format!("clicking the submit button of `{css}`"))?,
            Err(e) if e.is_no_such_element() => {
                let form = serde_json::to_value(&form).context("serialising the form element")?;
                self.client
                    .execute("arguments[0].requestSubmit();", vec![form])
                    .await
                    .with_context(|| format!("calling requestSubmit() on `{css}`"))?;
            }
            Err(e) => {
                return Err(anyhow!(e))
                    .with_context(|| format!("finding the submit button of `{css}`"));
            }
        }
        let deadline = Instant::now() + WAIT_TIMEOUT;
        loop {
            // Errors are expected while the old page unloads; keep polling until the deadline.
            let state = self
                .client
                .execute(
                    "return window.__sakhiBeforeSubmit === true ? 'old' : document.readyState;",
                    vec![],
                )
                .await;
            if let Ok(Value::String(s)) = &state {
                if s == "complete" {
                    return self
                        .fail_on_error_page(&format!("submitting `{css}`"))
                        .await;
                }
            }
            if Instant::now() >= deadline {
                bail!(
                    "submitted `{css}` but no new page loaded within {}s (still on {})",
                    WAIT_TIMEOUT.as_secs(),
                    self.where_am_i().await
                );
            }
            tokio::time::sleep(POLL).await;
        }
    }

    /// Saves a PNG screenshot of the viewport to `path`, creating its parent directories.
    pub async fn screenshot(&self, path: impl AsRef<Path>) -> Result<()> {
        let path = path.as_ref();
        let png = self
            .client
            .screenshot()
            .await
            .context("taking a screenshot")?;
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("creating {}", parent.display()))?;
        }
        std::fs::write(path, png).with_context(|| format!("writing {}", path.display()))
    }

    /// chromedriver's log so far (useful when a test fails in an unexpected way).
    pub fn driver_log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("chromedriver.log")).unwrap_or_default()
    }

    /// Ends the session (Chromium quits), then stops chromedriver.
    pub async fn close(mut self) -> Result<()> {
        let ended = self.client.clone().close().await;
        self.closed = true;
        // Backstop in case Chromium outlived the session.
        kill_children_of(&self.driver);
        let _ = self.driver.start_kill();
        let _ = self.driver.wait().await;
        ended.context("ending the WebDriver session")
    }

    /// A WebDriver navigation "succeeds" even when the server is down: Chromium then shows
    /// an error page at `chrome-error://chromewebdata/`. Turn that into an error.
    async fn fail_on_error_page(&self, what: &str) -> Result<()> {
        let probe = self
            .client
            .execute(
                "return location.href.startsWith('chrome-error://') \
                 ? (document.body ? document.body.innerText : '') : null;",
                vec![],
            )
            .await;
        if let Ok(Value::String(text)) = probe {
            let code = text
                .split_whitespace()
                .find(|word| word.starts_with("ERR_"))
                .unwrap_or("no error code shown");
            bail!("{what}: Chromium could not load the page ({code})");
        }
        Ok(())
    }

    async fn where_am_i(&self) -> String {
        match self.client.current_url().await {
            Ok(url) => url.to_string(),
            Err(_) => "an unknown page".into(),
        }
    }
}

/// SIGKILLs chromedriver's own children: the Chromium browser process, whose helpers exit
/// with it. Chromium outlives a killed chromedriver, so this is what prevents strays.
fn kill_children_of(driver: &Child) {
    let Some(driver_pid) = driver.id() else {
        return;
    };
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return;
    };
    for entry in entries.flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|s| s.parse::<i32>().ok())
        else {
            continue;
        };
        if parent_pid(pid) == Some(driver_pid) {
            // SAFETY: kill(2) has no memory-safety preconditions; `pid` is a child of our
            // chromedriver, which has not been reaped, so the id cannot have been reused.
            unsafe {
                libc::kill(pid, libc::SIGKILL);
            }
        }
    }
}

/// The parent pid from `/proc/<pid>/stat` (the field after the parenthesised name).
fn parent_pid(pid: i32) -> Option<u32> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let after_name = &stat[stat.rfind(')')? + 1..];
    after_name.split_whitespace().nth(1)?.parse().ok()
}

impl Drop for Browser {
    fn drop(&mut self) {
        if self.closed {
            return;
        }
        // Nothing async can run here, so end the session with a blocking request: that makes
        // chromedriver quit Chromium cleanly. Then make sure, and stop chromedriver.
        if let Some(id) = &self.session_id {
            let _ = http_call(self.driver_addr, "DELETE", &format!("/session/{id}"));
        }
        kill_children_of(&self.driver);
        let _ = self.driver.start_kill();
        // `kill_on_drop` covers chromedriver too; the TempDir is removed after this returns.
    }
}
