//! `sakhi bench reports`: how long the reports take on demo books.
//!
//! Demo books (`crate::demo`) are loaded into a throwaway database, which is
//! then opened with the normal durable settings, as a server opens it. With
//! `--keep DIR` the books stay in DIR (with the identity key that sealed
//! their clients) and later runs asking for the same books time them again
//! without loading: a 1,000-group load takes five to seven minutes per backend.
//! Each report is timed as its page computes it (median of `--runs`): one
//! group's trial balance, the program's consolidated trial balance, PAR30
//! and arrears of every active loan, the staff dashboard, the program
//! linkage report, each consenting woman's linked report and the member
//! page, the pages through the real router in process (signed in as the
//! demo staff user and a demo member), so they include templates and every
//! query but no network. Then the books are exported as for
//! `sakhi export hledger`, and hledger and ledger, where installed, are
//! timed reading the journal.

use super::database::{Database, Kind};
use super::stats::{median, ms, verdict_below, Latency};
use super::BenchBackend;
use crate::loans::portfolio::{arrears, par_and_ageing};
use crate::loans::product::LoanStatus;
use crate::store::{self, Durability, Store};
use crate::web::session::{LOGIN_COOKIE, SESSION_COOKIE};
use anyhow::{ensure, Context};
use axum::body::Body;
use axum::http::header::{CONTENT_TYPE, COOKIE, SET_COOKIE};
use axum::http::{HeaderMap, Request, StatusCode};
use axum::Router;
use chrono::NaiveDate;
use clap::Args;
use http_body_util::BodyExt;
use std::future::Future;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tower::ServiceExt;

const GROUP_TB_GOAL_MS: f64 = 5.0;
const PROGRAM_PAR_GOAL_MS: f64 = 200.0;
const MEMBER_PAGE_GOAL_MS: f64 = 2.0;
/// hledger and ledger take seconds on a large journal: fewer runs of them.
const MAX_TOOL_RUNS: usize = 3;

#[derive(Debug, Args)]
pub struct ReportsBenchArgs {
    #[arg(long, value_enum, default_value = "all")]
    pub backend: BenchBackend,
    /// Demo groups to load (1,000 takes five to seven minutes per backend on a
    /// 2-core machine).
    #[arg(long, default_value_t = 100)]
    pub groups: u32,
    /// Weekly meetings per group.
    #[arg(long, default_value_t = 156)]
    pub weeks: u32,
    /// Runs of each report; the median is printed.
    #[arg(long, default_value_t = 7)]
    pub runs: usize,
    /// Requests for the member page (median and p99 are printed).
    #[arg(long, default_value_t = 500)]
    pub requests: usize,
    /// Consenting clients whose linked report (`/clients/{code}/report`)
    /// is timed, one request each (total, median and p99 are printed).
    #[arg(long, default_value_t = 1_000)]
    pub clients: usize,
    /// Use this empty PostgreSQL database instead of starting a throwaway
    /// cluster. Its tables are written to: never point this at real books.
    #[arg(long, env = "SAKHI_BENCH_POSTGRES_URL")]
    pub postgres_url: Option<String>,
    /// Keep the loaded demo books in DIR (a SQLite file, a PostgreSQL
    /// cluster's data, the identity key) and reuse them when a later run
    /// asks for the same --groups and --weeks, skipping the load. The books
    /// are dated by the day they were loaded; each run adds its
    /// access-log lines and sessions to them.
    #[arg(long, value_name = "DIR", conflicts_with = "postgres_url")]
    pub keep: Option<PathBuf>,
}

pub async fn reports(args: &ReportsBenchArgs) -> anyhow::Result<()> {
    ensure!(args.runs > 0, "--runs must be at least 1");
    ensure!(args.requests > 0, "--requests must be at least 1");
    println!(
        "sakhi bench reports: demo books of {} groups x {} weekly meetings; median of {} runs",
        args.groups, args.weeks, args.runs
    );
    for kind in Kind::of(args.backend) {
        let books = match &args.keep {
            Some(dir) => Books::kept(kind, dir, args)?,
            None => Books::throwaway(kind, args)?,
        };
        let Some(books) = books else {
            continue;
        };
        println!("{}:", books.db.label);
        run_one(&books, args).await?;
    }
    Ok(())
}

/// The database a run times, with the key that sealed its clients and,
/// when it must be loaded first, where to note that it was.
struct Books {
    db: Database,
    key: Arc<crate::crypto::IdentityKey>,
    load: Load,
}

enum Load {
    /// A throwaway database, loaded every run.
    Always,
    /// A kept folder without these books yet: load, then write the note.
    ThenNote(PathBuf, KeptNote),
    /// Kept books loaded by an earlier run, as its note says.
    Done(KeptNote),
}

/// What `--keep` writes beside a database once its demo books are loaded:
/// which books they are, so that a run asking for others is refused instead
/// of timing the wrong ones, and a load that never finished (no note) is
/// started over.
#[derive(Debug, Clone, PartialEq, Eq)]
struct KeptNote {
    groups: u32,
    weeks: u32,
    key_fingerprint: String,
    loaded_on: NaiveDate,
}

impl KeptNote {
    fn text(&self) -> String {
        format!(
            "groups={}\nweeks={}\nkey={}\nloaded_on={}\n",
            self.groups, self.weeks, self.key_fingerprint, self.loaded_on
        )
    }

    fn parse(text: &str) -> Option<KeptNote> {
        let field = |name: &str| {
            text.lines()
                .filter_map(|l| l.split_once('='))
                .find(|(k, _)| k.trim() == name)
                .map(|(_, v)| v.trim().to_string())
        };
        Some(KeptNote {
            groups: field("groups")?.parse().ok()?,
            weeks: field("weeks")?.parse().ok()?,
            key_fingerprint: field("key")?,
            loaded_on: field("loaded_on")?.parse().ok()?,
        })
    }
}

const KEPT_DATABASE: &str = "sakhi_bench_reports";

impl Books {
    fn throwaway(kind: Kind, args: &ReportsBenchArgs) -> anyhow::Result<Option<Books>> {
        let Some(db) = Database::provision(kind, args.postgres_url.as_deref(), KEPT_DATABASE)?
        else {
            return Ok(None);
        };
        Ok(Some(Books {
            db,
            key: Arc::new(crate::crypto::IdentityKey::generate()?),
            load: Load::Always,
        }))
    }

    fn kept(kind: Kind, dir: &Path, args: &ReportsBenchArgs) -> anyhow::Result<Option<Books>> {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        // One key for both backends' books: the demo seals identities with it
        // and the pages open them with it, so it lives as long as they do.
        let key_path = dir.join("identity.key");
        let key = if key_path.exists() {
            crate::crypto::IdentityKey::from_file(&key_path)?
        } else {
            crate::cli::write_new_key(&key_path)?
        };
        let note_path = dir.join(match kind {
            Kind::Sqlite => "sqlite.demo",
            Kind::Postgres => "postgres.demo",
        });
        let note = match std::fs::read_to_string(&note_path) {
            Ok(text) => Some(KeptNote::parse(&text).with_context(|| {
                format!(
                    "{} is not a note this bench wrote; remove it to load the books again",
                    note_path.display()
                )
            })?),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
            Err(e) => {
                return Err(
                    anyhow::Error::from(e).context(format!("reading {}", note_path.display()))
                )
            }
        };
        if let Some(note) = &note {
            ensure!(
                (note.groups, note.weeks) == (args.groups, args.weeks),
                "{} keeps demo books of {} groups x {} weeks: ask for those, or keep these in \
                 another folder",
                dir.display(),
                note.groups,
                note.weeks
            );
            ensure!(
                note.key_fingerprint == key.fingerprint(),
                "{} was sealed with key {}, but {} now holds key {}",
                note_path.display(),
                note.key_fingerprint,
                key_path.display(),
                key.fingerprint()
            );
        }
        let Some(db) = Database::kept(kind, dir, KEPT_DATABASE, note.is_none())? else {
            return Ok(None);
        };
        let load = match note {
            Some(note) => Load::Done(note),
            None => Load::ThenNote(
                note_path,
                KeptNote {
                    groups: args.groups,
                    weeks: args.weeks,
                    key_fingerprint: key.fingerprint(),
                    loaded_on: chrono::Local::now().date_naive(),
                },
            ),
        };
        Ok(Some(Books {
            db,
            key: Arc::new(key),
            load,
        }))
    }
}

/// Writes the note whole or not at all: a half-written note must not pass
/// for a finished load.
fn write_note(path: &Path, note: &KeptNote) -> anyhow::Result<()> {
    let partial = path.with_extension("demo.partial");
    std::fs::write(&partial, note.text())?;
    std::fs::rename(&partial, path)?;
    Ok(())
}

async fn run_one(books: &Books, args: &ReportsBenchArgs) -> anyhow::Result<()> {
    let db = &books.db;
    // The pages date their reports in local time; so does the demo here.
    let today = chrono::Local::now().date_naive();
    let key = books.key.clone();
    if let Load::Done(note) = &books.load {
        println!(
            "  demo books                kept: {} groups x {} weeks loaded on {} (load skipped)",
            note.groups, note.weeks, note.loaded_on
        );
    } else {
        // The load is many commits that a failed run starts again: they
        // need not each wait for the disk (as `sakhi demo` does).
        let loader = store::open_with(&db.url, Durability::Relaxed).await?;
        let options = crate::demo::DemoOptions {
            groups: args.groups,
            weeks: args.weeks,
            identity_key: Some(key.clone()),
            ..crate::demo::DemoOptions::new(today)
        };
        let summary =
            crate::demo::load_demo_with(loader.as_ref(), &options, &crate::progress::Bar::new())
                .await?;
        println!(
            "  demo books                {} groups, {} members, {} loans, {} journal entries, \
             {} clients (loaded in {:.0} s)",
            summary.groups,
            summary.members,
            summary.loans,
            summary.entries,
            summary.outcomes.clients,
            summary.elapsed.as_secs_f64()
        );
        drop(loader);
        if store::is_postgres_url(&db.url) {
            // A server's autovacuum analyses the new rows soon after such a
            // load; timing before it would measure plans chosen for tables
            // the planner still thinks empty, which no running server uses.
            let pool = sqlx::postgres::PgPoolOptions::new()
                .max_connections(1)
                .connect(&db.url)
                .await?;
            sqlx::query("ANALYZE").execute(&pool).await?;
            pool.close().await;
        }
        if let Load::ThenNote(path, note) = &books.load {
            write_note(path, note)?;
        }
    }
    let store = store::open(&db.url).await?;
    // A plain reference is copied into each timed future.
    let s: &dyn Store = store.as_ref();
    let runs = args.runs;

    // One group's trial balance: the current one reads maintained balances;
    // the report page's (as of a date) takes off the postings after it.
    let groups = s.groups().await?;
    if let Load::Done(note) = &books.load {
        ensure!(
            groups.len() == usize::try_from(note.groups).unwrap_or(usize::MAX),
            "the kept books hold {} groups where their note says {}: remove the note to load \
             them again",
            groups.len(),
            note.groups
        );
    }
    let group = groups.first().context("the demo made no groups")?;
    let book = group.book_id;
    let (tb_now, tb) = timed(
        runs,
        || async move { Ok(s.trial_balance(book, None).await?) },
    )
    .await?;
    let (tb_as_of, _) = timed(runs, || async move {
        Ok(s.trial_balance(book, Some(today)).await?)
    })
    .await?;
    println!(
        "  one group's TB, current   {:>10} ms   goal < {GROUP_TB_GOAL_MS:.0} ms: {}  ({} accounts)",
        ms_of(tb_now),
        verdict_below(as_ms(tb_now), GROUP_TB_GOAL_MS),
        tb.lines.len()
    );
    println!(
        "  one group's TB, as of day {:>10} ms   goal < {GROUP_TB_GOAL_MS:.0} ms: {}  (the report page's)",
        ms_of(tb_as_of),
        verdict_below(as_ms(tb_as_of), GROUP_TB_GOAL_MS)
    );

    // The program's consolidated trial balance, as its page builds it: each
    // group's as of today, added up.
    let (program_tb, lines) = timed(runs, || program_trial_balance(s, today)).await?;
    println!(
        "  program TB (consolidated) {:>10} ms   ({} books as of today, {lines} lines; three \
         queries in all)",
        ms_of(program_tb),
        groups.len()
    );

    // PAR30 and arrears of every active loan, as the program report reads
    // them: the loans active at the end of today, then the arithmetic.
    let (read, loans) = timed(
        runs,
        || async move { Ok(s.portfolio_as_of(None, today).await?) },
    )
    .await?;
    let every = loans.as_slice();
    let (compute, (active, overdue, par30)) =
        timed(runs, || async move { Ok(par_of(every, today)) }).await?;
    let (par_total, _) = timed(runs, || async move {
        let loans = s.portfolio_as_of(None, today).await?;
        Ok(par_of(&loans, today))
    })
    .await?;
    println!(
        "  program PAR30 + arrears   {:>10} ms   goal < {PROGRAM_PAR_GOAL_MS:.0} ms: {}  (read {} ms \
         + compute {} ms; {active} active of {} loans read, {overdue} overdue, PAR30 {par30:.4})",
        ms_of(par_total),
        verdict_below(as_ms(par_total), PROGRAM_PAR_GOAL_MS),
        ms_of(read),
        ms_of(compute),
        loans.len()
    );

    // The pages, through the router in process.
    let mut state = crate::web::AppState::new(store.clone())?;
    state.identity_key = Some(key);
    let router = crate::web::app(state);
    let staff = sign_in(
        &router,
        &[
            ("kind", "staff"),
            ("username", "staff"),
            ("password", crate::demo::DEMO_PASSWORD),
        ],
    )
    .await
    .context("signing in as the demo staff user")?;
    let (linkage_html, size) = timed(runs, || get_ok(&router, "/reports/linkage", &staff)).await?;
    let (linkage_csv, _) = timed(runs, || {
        get_ok(&router, "/reports/linkage?format=csv", &staff)
    })
    .await?;
    println!(
        "  program linkage report    {:>10} ms   (page, {} KB; CSV {} ms; every client, \
         each read access-logged)",
        ms_of(linkage_html),
        size / 1024,
        ms_of(linkage_csv)
    );

    let (dashboard, _) = timed(runs, || get_ok(&router, "/staff", &staff)).await?;
    println!(
        "  staff dashboard /staff    {:>10} ms   (every group's savings, loans and PAR30; \
         balances of all books in one query)",
        ms_of(dashboard)
    );

    // Each consenting woman's linked view, as staff open it one at a time.
    let (codes, clients) = consenting_clients(s, today, args.clients).await?;
    let mut samples = Vec::with_capacity(codes.len());
    let started = Instant::now();
    for code in &codes {
        let one = Instant::now();
        get_ok(&router, &format!("/clients/{code}/report"), &staff).await?;
        samples.push(u64::try_from(one.elapsed().as_micros()).unwrap_or(u64::MAX));
    }
    let all = started.elapsed();
    match Latency::of(&mut samples) {
        Some(l) => println!(
            "  client linkage reports    {:>10} ms   ({} consenting clients of {clients}, one \
             request each: median {} ms, p99 {} ms, max {} ms; each read access-logged)",
            ms_of(all),
            l.count,
            ms(l.p50),
            ms(l.p99),
            ms(l.max)
        ),
        None => println!(
            "  client linkage reports    none of the {clients} clients consents to linkage: skipped"
        ),
    }

    let member = s
        .members(group.id)
        .await?
        .into_iter()
        .next()
        .context("the demo group has no members")?;
    let her = sign_in(
        &router,
        &[
            ("kind", "member"),
            ("code", member.code.as_str()),
            ("pin", crate::demo::DEMO_PIN),
        ],
    )
    .await
    .with_context(|| format!("signing in as demo member {}", member.code))?;
    let mut samples = Vec::with_capacity(args.requests);
    for _ in 0..args.requests {
        let started = Instant::now();
        get_ok(&router, "/me", &her).await?;
        samples.push(u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX));
    }
    if let Some(l) = Latency::of(&mut samples) {
        println!(
            "  member page /me           {:>10} ms   goal < {MEMBER_PAGE_GOAL_MS:.0} ms: {} (median; \
             p99 {} ms, max {} ms over {} requests)",
            ms(l.p50),
            verdict_below(l.p50 as f64 / 1_000.0, MEMBER_PAGE_GOAL_MS),
            ms(l.p99),
            ms(l.max),
            l.count
        );
    }

    // The export, and independent tools reading it.
    let started = Instant::now();
    let journal =
        crate::cli::export_books(s, crate::cli::ExportFormat::Hledger, None, None, today).await?;
    let export = started.elapsed();
    let path = db.dir().join("books.journal");
    std::fs::write(&path, &journal)?;
    println!(
        "  export hledger (all books) {:>9} ms   ({:.1} MB)",
        ms_of(export),
        journal.len() as f64 / 1_048_576.0
    );
    drop(journal);
    for tool in ["hledger", "ledger"] {
        match time_tool(tool, &path, runs.min(MAX_TOOL_RUNS))? {
            Tool::Missing => println!("  {tool:<25} not installed: skipped"),
            Tool::Failed(why) => println!("  {tool:<25} FAILED on the export: {why}"),
            Tool::Took(t) => println!(
                "  {:<25} {:>10} ms   ({:.0}x Sakhi's program TB; -f FILE balance, \
                 balance assertions checked)",
                format!("{tool} balance"),
                ms_of(t),
                t.as_secs_f64() / program_tb.as_secs_f64().max(f64::MIN_POSITIVE)
            ),
        }
    }
    Ok(())
}

fn as_ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1_000.0
}

fn ms_of(d: Duration) -> String {
    ms(u64::try_from(d.as_micros()).unwrap_or(u64::MAX))
}

/// Runs `f` `runs` times; the median time and the last run's value.
async fn timed<T, F, Fut>(runs: usize, mut f: F) -> anyhow::Result<(Duration, T)>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = anyhow::Result<T>>,
{
    let mut samples = Vec::with_capacity(runs);
    let mut last = None;
    for _ in 0..runs.max(1) {
        let started = Instant::now();
        let value = f().await?;
        samples.push(started.elapsed());
        last = Some(value);
    }
    let middle = median(&mut samples).context("no runs")?;
    Ok((middle, last.context("no runs")?))
}

/// What `/reports/program/trial-balance` computes: every group's trial
/// balance as of the day, consolidated. Returns the number of lines.
async fn program_trial_balance(store: &dyn Store, until: NaiveDate) -> anyhow::Result<usize> {
    let tbs: Vec<_> = crate::store::group_trial_balances(store, Some(until))
        .await?
        .into_iter()
        .map(|(_, tb)| tb)
        .collect();
    Ok(crate::reports::statements::consolidate(&tbs).len())
}

/// The codes of up to `limit` clients whose consent to link their records
/// stands on `today` (the others' reports answer 422), oldest client first
/// so that a kept database times the same women every run; and how many
/// clients there are in all.
async fn consenting_clients(
    store: &dyn Store,
    today: NaiveDate,
    limit: usize,
) -> anyhow::Result<(Vec<String>, usize)> {
    use crate::outcomes::{ConsentState, Record};
    let mut consents: std::collections::HashMap<i64, Vec<crate::outcomes::ConsentEvent>> =
        std::collections::HashMap::new();
    for r in store.all_records().await? {
        if let Record::Consent(event) = r.record {
            consents.entry(r.client_id).or_default().push(event);
        }
    }
    let mut clients = store.clients().await?;
    let total = clients.len();
    clients.sort_by_key(|c| c.id);
    let codes = clients
        .into_iter()
        .filter(|c| {
            consents
                .get(&c.id)
                .is_some_and(|events| ConsentState::as_of(events, today).allows_linkage())
        })
        .take(limit)
        .map(|c| c.code.as_str().to_string())
        .collect();
    Ok((codes, total))
}

/// Active loans, those overdue, and PAR30 as a ratio.
fn par_of(
    loans: &[store::LoanWithState],
    as_of: NaiveDate,
) -> (usize, usize, rust_decimal::Decimal) {
    let active: Vec<&crate::loans::state::LoanState> = loans
        .iter()
        .filter(|l| l.loan.status == LoanStatus::Active)
        .map(|l| &l.state)
        .collect();
    let overdue = active
        .iter()
        .filter(|s| arrears(s, as_of).days_past_due > 0)
        .count();
    let (par, _ageing) = par_and_ageing(active.iter().copied(), as_of);
    (active.len(), overdue, par.ratio(30))
}

async fn call(
    router: &Router,
    request: Request<Body>,
) -> anyhow::Result<(StatusCode, HeaderMap, String)> {
    let response = router.clone().oneshot(request).await?;
    let (parts, body) = response.into_parts();
    let bytes = body.collect().await?.to_bytes();
    Ok((
        parts.status,
        parts.headers,
        String::from_utf8_lossy(&bytes).into_owned(),
    ))
}

/// A page as the signed-in person; its size in bytes. Anything but 200 stops
/// the bench: a timing of an error page would be meaningless.
async fn get_ok(router: &Router, path: &str, cookie: &str) -> anyhow::Result<usize> {
    let request = Request::get(path)
        .header(COOKIE, cookie)
        .body(Body::empty())?;
    let (status, _, body) = call(router, request).await?;
    ensure!(status == StatusCode::OK, "GET {path} answered {status}");
    Ok(body.len())
}

/// Signs in through the sign-in form as a browser does; the session cookie.
async fn sign_in(router: &Router, fields: &[(&str, &str)]) -> anyhow::Result<String> {
    let (status, headers, page) = call(router, Request::get("/login").body(Body::empty())?).await?;
    ensure!(status == StatusCode::OK, "GET /login answered {status}");
    let login = set_cookie(&headers, LOGIN_COOKIE).context("no sign-in cookie")?;
    let csrf = input_value(&page, "csrf").context("no csrf field on the sign-in page")?;
    let mut form = vec![("csrf", csrf.as_str())];
    form.extend_from_slice(fields);
    let request = Request::post("/login")
        .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(COOKIE, format!("{LOGIN_COOKIE}={login}"))
        .body(Body::from(serde_urlencoded::to_string(&form)?))?;
    let (status, headers, _) = call(router, request).await?;
    ensure!(
        status == StatusCode::SEE_OTHER,
        "signing in answered {status}"
    );
    let session = set_cookie(&headers, SESSION_COOKIE).context("no session cookie")?;
    Ok(format!("{SESSION_COOKIE}={session}"))
}

/// The value a `Set-Cookie` header gives the named cookie.
fn set_cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|v| {
            let pair = v.split(';').next()?.trim();
            let (key, value) = pair.split_once('=')?;
            (key == name).then(|| value.to_string())
        })
}

/// The value of the first `name="…" value="…"` input in a page.
fn input_value(html: &str, name: &str) -> Option<String> {
    let needle = format!("name=\"{name}\" value=\"");
    let start = html.find(&needle)? + needle.len();
    html[start..].split('"').next().map(str::to_string)
}

enum Tool {
    Missing,
    Failed(String),
    Took(Duration),
}

/// The median time of `TOOL -f FILE balance`. A run is stopped once the
/// tool holds more than three quarters of the memory that was available
/// when it started: hledger needs over 20 GB for the 1,000-group books, and
/// a bench must not take the machine down with it.
fn time_tool(program: &str, file: &Path, runs: usize) -> anyhow::Result<Tool> {
    let mut samples = Vec::with_capacity(runs);
    for _ in 0..runs.max(1) {
        let cap = available_memory().map(|bytes| bytes / 4 * 3);
        let started = Instant::now();
        let child = Command::new(program)
            .arg("-f")
            .arg(file)
            .arg("balance")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn();
        let mut child = match child {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Tool::Missing),
            Err(e) => return Err(e).with_context(|| format!("running {program}")),
            Ok(child) => child,
        };
        let mut peak = 0;
        let status = loop {
            if let Some(status) = child.try_wait()? {
                break status;
            }
            peak = peak.max(resident_memory(child.id()).unwrap_or(0));
            if cap.is_some_and(|cap| peak > cap) {
                child.kill()?;
                child.wait()?;
                return Ok(Tool::Failed(format!(
                    "stopped after {:.0} s holding {:.1} GB of memory, over three quarters \
                     of what was free",
                    started.elapsed().as_secs_f64(),
                    peak as f64 / 1e9
                )));
            }
            std::thread::sleep(Duration::from_millis(50));
        };
        let took = started.elapsed();
        if !status.success() {
            let mut text = String::new();
            if let Some(mut stderr) = child.stderr.take() {
                std::io::Read::read_to_string(&mut stderr, &mut text)?;
            }
            let why: Vec<&str> = text.lines().take(5).collect();
            return Ok(Tool::Failed(format!("{status}: {}", why.join(" | "))));
        }
        samples.push(took);
    }
    Ok(median(&mut samples).map_or(Tool::Missing, Tool::Took))
}

/// `MemAvailable` of /proc/meminfo, in bytes (Linux only; elsewhere no cap).
fn available_memory() -> Option<u64> {
    kilobytes_of(
        &std::fs::read_to_string("/proc/meminfo").ok()?,
        "MemAvailable:",
    )
}

/// A process's resident memory (`VmRSS`), in bytes.
fn resident_memory(pid: u32) -> Option<u64> {
    kilobytes_of(
        &std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?,
        "VmRSS:",
    )
}

/// The `NAME   123 kB` line of a /proc file, in bytes.
fn kilobytes_of(text: &str, name: &str) -> Option<u64> {
    let line = text.lines().find(|l| l.starts_with(name))?;
    let kb: u64 = line[name.len()..].split_whitespace().next()?.parse().ok()?;
    kb.checked_mul(1024)
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    #[test]
    fn memory_figures_are_read_from_proc_lines_in_kilobytes() {
        let meminfo = "MemTotal:       24000000 kB\nMemAvailable:   12000000 kB\n";
        assert_eq!(kilobytes_of(meminfo, "MemAvailable:"), Some(12_288_000_000));
        assert_eq!(kilobytes_of(meminfo, "VmRSS:"), None);
        assert_eq!(kilobytes_of("VmRSS:\tlots kB", "VmRSS:"), None);
    }

    #[test]
    fn the_named_cookie_is_found_among_several_set_cookie_headers() {
        let mut headers = HeaderMap::new();
        headers.append(
            SET_COOKIE,
            HeaderValue::from_static("sakhi_session=abc123; Path=/; HttpOnly"),
        );
        headers.append(
            SET_COOKIE,
            HeaderValue::from_static("sakhi_login=; Path=/; Max-Age=0"),
        );
        assert_eq!(set_cookie(&headers, "sakhi_session"), Some("abc123".into()));
        assert_eq!(set_cookie(&headers, "sakhi_login"), Some(String::new()));
        assert_eq!(set_cookie(&headers, "sakhi"), None);
    }

    #[test]
    fn a_kept_note_reads_back_what_was_written_and_refuses_anything_else() {
        let note = KeptNote {
            groups: 1_000,
            weeks: 156,
            key_fingerprint: "ab12cd34".into(),
            loaded_on: NaiveDate::from_ymd_opt(2026, 11, 24).unwrap_or_default(),
        };
        assert_eq!(KeptNote::parse(&note.text()), Some(note));
        assert_eq!(KeptNote::parse("groups=50\nweeks=156\n"), None);
        assert_eq!(
            KeptNote::parse("groups=many\nweeks=156\nkey=x\nloaded_on=2026-11-24\n"),
            None
        );
    }

    #[test]
    fn the_csrf_field_is_read_from_the_form() {
        let html =
            r#"<form><input type="hidden" name="csrf" value="t0k3n"><input name="pin"></form>"#;
        assert_eq!(input_value(html, "csrf"), Some("t0k3n".into()));
        assert_eq!(input_value(html, "lang"), None);
    }
}
