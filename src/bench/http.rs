//! `sakhi bench http`: repayments through the real server.
//!
//! Books with many active loans are made through the store, the server is
//! started as a child process (`sakhi serve`, the same binary), and a load
//! generator holding `--connections` keep-alive connections posts ₹1
//! repayments with distinct idempotency keys to
//! `POST /api/v1/loans/{loan}/repayments` for a fixed time. The server's
//! peak memory is read from `/proc` before it is stopped, and `verify` runs
//! on the database afterwards.

use super::database::{Database, Kind};
use super::stats::{
    cpu_ticks, ms, verdict_at_least, verdict_below, vm_hwm_kib, Latency, TICKS_PER_SECOND,
};
use super::BenchBackend;
use crate::groups::{NewGroup, NewMember};
use crate::i18n::Lang;
use crate::ledger::{chart, IdempotencyKey};
use crate::loans::product::{templates, LoanSource};
use crate::money::Currency;
use crate::store::auth::NewUser;
use crate::store::{self, Durability, Fund, LoanApplication, Role, Store};
use anyhow::{bail, Context};
use chrono::{Days, NaiveDate};
use clap::Args;
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper::client::conn::http1::SendRequest;
use hyper::header::{AUTHORIZATION, CONTENT_TYPE, HOST};
use hyper::{Request, StatusCode};
use hyper_util::rt::TokioIo;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

const SQLITE_GOAL_PER_S: f64 = 3_000.0;
const POSTGRES_GOAL_PER_S: f64 = 1_500.0;
const P99_GOAL_MS: f64 = 50.0;
const RSS_GOAL_MB: f64 = 100.0;

/// Members per bench group (each borrows once): a large SHG.
const MEMBERS_PER_GROUP: usize = 20;
/// Each loan: ₹50,000 over 12 months, so ₹1 repayments never run out.
const PRINCIPAL: i64 = 5_000_000;
/// The money each member saved first, so the group's cash covers her loan.
const SAVINGS: i64 = 6_000_000;
/// A request still unanswered after this counts as an error.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
/// How long the server may take to answer `/health` after it is started.
const START_TIMEOUT: Duration = Duration::from_secs(60);

#[derive(Debug, Args)]
pub struct HttpBenchArgs {
    #[arg(long, value_enum, default_value = "all")]
    pub backend: BenchBackend,
    /// Concurrent workers, each with one keep-alive connection.
    #[arg(long, default_value_t = 64)]
    pub connections: usize,
    /// How long the load runs.
    #[arg(long, default_value_t = 20)]
    pub seconds: u64,
    /// Active loans the repayments are spread over (20 borrowers a group).
    #[arg(long, default_value_t = 1_000)]
    pub loans: usize,
    /// Use this empty PostgreSQL database instead of starting a throwaway
    /// cluster. Its tables are written to: never point this at real books.
    #[arg(long, env = "SAKHI_BENCH_POSTGRES_URL")]
    pub postgres_url: Option<String>,
}

pub async fn http(args: &HttpBenchArgs) -> anyhow::Result<()> {
    anyhow::ensure!(args.connections > 0, "--connections must be at least 1");
    anyhow::ensure!(args.loans > 0, "--loans must be at least 1");
    anyhow::ensure!(args.seconds > 0, "--seconds must be at least 1");
    let groups = args.loans.div_ceil(MEMBERS_PER_GROUP);
    println!(
        "sakhi bench http: POST /api/v1/loans/{{loan}}/repayments of ₹1, {} connections, {} s, \
         {} active loans in {groups} groups",
        args.connections, args.seconds, args.loans
    );
    for kind in Kind::of(args.backend) {
        let Some(db) = Database::provision(kind, args.postgres_url.as_deref(), "sakhi_bench_http")?
        else {
            continue;
        };
        println!("{}:", db.label);
        let figures = run_one(&db, args).await?;
        figures.print(kind, args);
    }
    Ok(())
}

/// What one run on one backend measured.
struct Figures {
    setup: Duration,
    elapsed: Duration,
    tally: Tally,
    peak_rss_kib: Option<u64>,
    /// CPU seconds the server and this process (the load generator) used
    /// during the load.
    server_cpu: Option<f64>,
    client_cpu: Option<f64>,
    entries_before: i64,
    verify: store::VerifyReport,
}

async fn run_one(db: &Database, args: &HttpBenchArgs) -> anyhow::Result<Figures> {
    let started = Instant::now();
    let (books, entries_before) = {
        // The set-up is thousands of commits that a failed run starts again,
        // so they need not each wait for the disk; the server below opens
        // the database with the normal durable settings.
        let setup = store::open_with(&db.url, Durability::Relaxed).await?;
        let books = set_up(setup.as_ref(), args.loans).await?;
        let report = setup.verify().await?;
        if !report.is_ok() {
            bail!(
                "the bench books do not verify: {}",
                report.problems().join("; ")
            );
        }
        (books, report.entries)
    };
    let setup = started.elapsed();
    println!(
        "  set-up                    {} loans disbursed in {:.1} s",
        books.loans.len(),
        setup.as_secs_f64()
    );

    let server = Server::start(&db.url, db.dir()).await?;
    let load = Arc::new(Load {
        addr: server.addr,
        authorization: format!("Bearer {}", books.token),
        loans: books.loans,
        connections: args.connections,
    });
    let cpu_before = (server.cpu_ticks(), own_cpu_ticks());
    let started = Instant::now();
    let deadline = started + Duration::from_secs(args.seconds);
    let workers: Vec<_> = (0..args.connections)
        .map(|w| tokio::spawn(worker(load.clone(), w, deadline)))
        .collect();
    let mut tally = Tally::default();
    for w in workers {
        tally.merge(w.await?);
    }
    let elapsed = started.elapsed();
    let cpu_after = (server.cpu_ticks(), own_cpu_ticks());
    let seconds = |before: Option<u64>, after: Option<u64>| {
        Some(after?.checked_sub(before?)? as f64 / TICKS_PER_SECOND)
    };
    let server_cpu = seconds(cpu_before.0, cpu_after.0);
    let client_cpu = seconds(cpu_before.1, cpu_after.1);
    // Read before the server is stopped: the figure goes with the process.
    let peak_rss_kib = server.peak_rss_kib();
    server.stop();

    let store = store::open(&db.url).await?;
    let verify = store.verify().await?;
    Ok(Figures {
        setup,
        elapsed,
        tally,
        peak_rss_kib,
        server_cpu,
        client_cpu,
        entries_before,
        verify,
    })
}

impl Figures {
    fn print(&self, kind: Kind, args: &HttpBenchArgs) {
        let t = &self.tally;
        let rate = t.completed() as f64 / self.elapsed.as_secs_f64().max(f64::MIN_POSITIVE);
        let goal = match kind {
            Kind::Sqlite => SQLITE_GOAL_PER_S,
            Kind::Postgres => POSTGRES_GOAL_PER_S,
        };
        println!(
            "  requests/s                {rate:>10.0}    goal {goal:.0}/s: {}",
            verdict_at_least(rate, goal)
        );
        let mut samples = t.latencies_us.clone();
        match Latency::of(&mut samples) {
            Some(l) => {
                println!(
                    "  latency ms p50/p95/p99/max  {} / {} / {} / {}    goal p99 < {P99_GOAL_MS:.0} ms: {}",
                    ms(l.p50),
                    ms(l.p95),
                    ms(l.p99),
                    ms(l.max),
                    verdict_below(l.p99 as f64 / 1_000.0, P99_GOAL_MS)
                );
            }
            None => println!("  latency                   no request completed"),
        }
        println!(
            "  responses                 2xx {} (201 created {}, 200 replayed {}), 3xx {}, 4xx {}, \
             5xx {}, transport errors {} over {:.1} s, {} connections",
            t.classes[2],
            t.created,
            t.classes[2].saturating_sub(t.created),
            t.classes[3],
            t.classes[4],
            t.classes[5],
            t.errors,
            self.elapsed.as_secs_f64(),
            args.connections
        );
        if let Some(sample) = &t.sample_failure {
            println!("  first failure             {sample}");
        }
        match self.peak_rss_kib {
            Some(kib) => {
                let mb = kib as f64 / 1024.0;
                println!(
                    "  server peak RSS (VmHWM)   {mb:>10.1} MB   goal < {RSS_GOAL_MB:.0} MB: {}",
                    verdict_below(mb, RSS_GOAL_MB)
                );
            }
            None => println!("  server peak RSS           not available (no /proc/<pid>/status)"),
        }
        if let (Some(server), Some(client)) = (self.server_cpu, self.client_cpu) {
            let wall = self.elapsed.as_secs_f64().max(f64::MIN_POSITIVE);
            let per_request = server * 1_000.0 / (t.completed().max(1) as f64);
            println!(
                "  CPU during the load       server {server:.1} s ({:.0}% of a core, {per_request:.2} ms \
                 a request), load generator {client:.1} s ({:.0}%); PostgreSQL's own processes not counted",
                server / wall * 100.0,
                client / wall * 100.0
            );
        }
        let posted = self.verify.entries - self.entries_before;
        println!(
            "  entries posted            {posted} during the run ({} answered 201)",
            t.created
        );
        if self.verify.is_ok() {
            println!(
                "  verify                    passed ({} entries; set-up took {:.1} s)",
                self.verify.entries,
                self.setup.as_secs_f64()
            );
        } else {
            println!(
                "  verify                    FAILED: {} problems",
                self.verify.problem_count()
            );
            for p in self.verify.problems().iter().take(10) {
                println!("    {p}");
            }
        }
    }
}

/// The loans to repay and the treasurer's API token.
struct Books {
    loans: Vec<i64>,
    token: String,
}

/// Groups of 20 women who each saved ₹60,000 and then borrowed ₹50,000 on
/// the program's business loan 45 days ago (so the first installment is
/// due), and one treasurer keeping all their books, with an API token. Made
/// through the store, like the forms and the demo do.
async fn set_up(store: &dyn Store, loans: usize) -> anyhow::Result<Books> {
    // The server dates a repayment without a date today, in local time.
    let today = chrono::Local::now().date_naive();
    let joined = days_before(today, 200)?;
    let disbursed = days_before(today, 45)?;
    let inr = Currency::inr();

    let password = crate::auth::Token::try_new()?;
    let hash = crate::auth::hash_secret(password.as_str())?;
    let treasurer = store
        .create_user(&NewUser {
            username: "bench-treasurer",
            display_name: "Bench treasurer",
            role: Role::Treasurer,
            password_hash: &hash,
            must_change_password: false,
            lang: Lang::En,
        })
        .await?;

    let product = business_loan(store).await?;
    let mut loan_ids = Vec::with_capacity(loans);
    let mut g = 0;
    while loan_ids.len() < loans {
        g += 1;
        let size = MEMBERS_PER_GROUP.min(loans - loan_ids.len());
        let members = (1..=size)
            .map(|m| NewMember::new(&format!("B{g}-{m:02}"), &format!("Borrower {m}"), joined))
            .collect::<Result<Vec<_>, _>>()?;
        let setup = store
            .create_group(&NewGroup::new(&format!("Bench group {g}"), inr, members)?)
            .await?;
        store.assign_treasurer(treasurer.id, setup.group.id).await?;
        let cash = store
            .account_by_code(setup.book.id, chart::shg::CASH)
            .await?;
        let mut deposits = Vec::with_capacity(setup.members.len());
        for m in &setup.members {
            let code = chart::member_account_code(chart::shg::VOLUNTARY_SAVINGS, &m.code);
            let savings = store.account_by_code(setup.book.id, &code).await?;
            deposits.push(crate::savings::deposit(
                &setup.book,
                &cash,
                &savings,
                SAVINGS,
                joined,
                &IdempotencyKey::new(&format!("bench-savings-{}", m.code))?,
            )?);
        }
        store.post_all(&deposits).await?;
        for m in &setup.members {
            let loan = store
                .apply_for_loan(&LoanApplication {
                    group_id: setup.group.id,
                    member_id: m.id,
                    product_id: Some(product.id),
                    settings: product.settings.clone(),
                    source: LoanSource::GroupFund,
                    purpose: "tailoring".into(),
                    principal: PRINCIPAL,
                    applied_on: joined,
                })
                .await?;
            store.decide_loan(loan.id, true, joined, "R-bench").await?;
            store
                .disburse_loan(
                    loan.id,
                    disbursed,
                    None,
                    Fund::Cash,
                    &IdempotencyKey::new(&format!("bench-disburse-{}", loan.id))?,
                )
                .await?;
            loan_ids.push(loan.id);
        }
    }
    let (_, token, _) =
        crate::web::api::issue_for(store, "bench-treasurer", "sakhi bench http").await?;
    Ok(Books {
        loans: loan_ids,
        token,
    })
}

fn days_before(day: NaiveDate, days: u64) -> anyhow::Result<NaiveDate> {
    day.checked_sub_days(Days::new(days))
        .context("date out of range")
}

/// The program's stored business loan (the first built-in product).
async fn business_loan(store: &dyn Store) -> anyhow::Result<crate::loans::product::LoanProduct> {
    let (name, _) = templates()
        .into_iter()
        .next()
        .context("no built-in loan products")?;
    store
        .program_products()
        .await?
        .into_iter()
        .map(|used| used.product)
        .find(|p| p.group_id.is_none() && p.name == name && p.retired_on.is_none())
        .with_context(|| format!("the program product {name:?} is missing or retired"))
}

/// `sakhi serve` in a child process, stopped (killed) when dropped so that a
/// failed run never leaves it behind.
struct Server {
    child: Child,
    addr: SocketAddr,
    log: PathBuf,
}

/// Settings the child would otherwise take from this process's environment
/// (they win over nothing: the flags below are given explicitly).
const SERVER_ENV: [&str; 7] = [
    "SAKHI_CONFIG",
    "SAKHI_DATABASE_URL",
    "SAKHI_DATA_DIR",
    "SAKHI_BIND",
    "SAKHI_IDENTITY_KEY_FILE",
    crate::crypto::KEY_ENV_VAR,
    "SAKHI_SECURE_COOKIES",
];

impl Server {
    async fn start(url: &str, dir: &Path) -> anyhow::Result<Server> {
        // A port the kernel just handed out and took back: free unless
        // another process grabs it in the next few milliseconds.
        let addr = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?;
        let log = dir.join("server.log");
        let out = std::fs::File::create(&log)?;
        let mut command = Command::new(std::env::current_exe()?);
        command
            .arg("--database-url")
            .arg(url)
            .arg("--data-dir")
            .arg(dir)
            .arg("serve")
            .arg("--bind")
            .arg(addr.to_string())
            // No sakhi.toml from wherever the bench was started.
            .current_dir(dir)
            .stdin(Stdio::null())
            .stdout(out.try_clone()?)
            .stderr(out);
        for name in SERVER_ENV {
            command.env_remove(name);
        }
        let child = command.spawn().context("starting sakhi serve")?;
        let mut server = Server { child, addr, log };
        server.wait_until_healthy().await?;
        Ok(server)
    }

    async fn wait_until_healthy(&mut self) -> anyhow::Result<()> {
        let started = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait()? {
                bail!("sakhi serve exited ({status}):\n{}", self.log_tail());
            }
            if let Ok(mut conn) = connect(self.addr).await {
                let request = Request::get("/health")
                    .header(HOST, self.addr.to_string())
                    .body(Full::new(Bytes::new()))?;
                if let Ok(res) = conn.send_request(request).await {
                    if res.status() == StatusCode::OK {
                        return Ok(());
                    }
                }
            }
            if started.elapsed() > START_TIMEOUT {
                bail!(
                    "sakhi serve did not answer /health within {} s:\n{}",
                    START_TIMEOUT.as_secs(),
                    self.log_tail()
                );
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    fn peak_rss_kib(&self) -> Option<u64> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).ok()?;
        vm_hwm_kib(&status)
    }

    fn cpu_ticks(&self) -> Option<u64> {
        cpu_ticks(&std::fs::read_to_string(format!("/proc/{}/stat", self.child.id())).ok()?)
    }

    fn log_tail(&self) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(20)..].join("\n")
    }

    /// Stops the server at once: what is committed is on disk (durable
    /// commits), and `verify` then checks that nothing was left half done.
    fn stop(mut self) {
        self.kill();
    }

    fn kill(&mut self) {
        // Already gone is fine: either way it is stopped and reaped.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill();
    }
}

/// This process's CPU time in clock ticks, when `/proc` tells it.
fn own_cpu_ticks() -> Option<u64> {
    cpu_ticks(&std::fs::read_to_string("/proc/self/stat").ok()?)
}

type Connection = SendRequest<Full<Bytes>>;

/// One HTTP/1.1 keep-alive connection, with Nagle off as a browser's is.
async fn connect(addr: SocketAddr) -> anyhow::Result<Connection> {
    let stream = tokio::net::TcpStream::connect(addr).await?;
    stream.set_nodelay(true)?;
    let (sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
    // The connection is driven by its own task; when it fails, the next
    // request on `sender` fails and the worker reconnects.
    tokio::spawn(connection);
    Ok(sender)
}

/// What every worker shares.
struct Load {
    addr: SocketAddr,
    authorization: String,
    loans: Vec<i64>,
    connections: usize,
}

/// What the workers counted.
#[derive(Debug, Default)]
struct Tally {
    /// Microseconds from sending a request to the last byte of its answer.
    latencies_us: Vec<u64>,
    /// Answers by status class: index 2 is 2xx, and so on.
    classes: [u64; 6],
    /// 201: a repayment posted (200 would be a replay of a key).
    created: u64,
    /// Connection failures and timeouts.
    errors: u64,
    sample_failure: Option<String>,
}

impl Tally {
    fn completed(&self) -> u64 {
        self.classes.iter().sum()
    }

    fn merge(&mut self, other: Tally) {
        self.latencies_us.extend(other.latencies_us);
        for (a, b) in self.classes.iter_mut().zip(other.classes) {
            *a += b;
        }
        self.created += other.created;
        self.errors += other.errors;
        if self.sample_failure.is_none() {
            self.sample_failure = other.sample_failure;
        }
    }

    fn fail(&mut self, what: String) {
        self.errors += 1;
        self.sample_failure.get_or_insert(what);
    }
}

/// Posts repayments one after another on its own connection until the
/// deadline. Worker `w`'s `n`th request goes to loan `n * connections + w`
/// (modulo the count), so while there are more loans than connections no
/// two requests in flight wait for the same loan.
async fn worker(load: Arc<Load>, w: usize, deadline: Instant) -> Tally {
    let mut tally = Tally::default();
    let mut connection: Option<Connection> = None;
    let host = load.addr.to_string();
    let mut n = 0_usize;
    while Instant::now() < deadline {
        if connection.is_none() {
            match connect(load.addr).await {
                Ok(s) => connection = Some(s),
                Err(e) => {
                    tally.fail(format!("connect: {e}"));
                    tokio::time::sleep(Duration::from_millis(10)).await;
                    continue;
                }
            }
        }
        let Some(sender) = connection.as_mut() else {
            continue;
        };
        let loan =
            load.loans[(n.wrapping_mul(load.connections).wrapping_add(w)) % load.loans.len()];
        let body = format!(r#"{{"amount":"1","into":"cash","idempotency_key":"http-{w}-{n}"}}"#);
        n += 1;
        let request = Request::post(format!("/api/v1/loans/{loan}/repayments"))
            .header(HOST, &host)
            .header(AUTHORIZATION, &load.authorization)
            .header(CONTENT_TYPE, "application/json")
            .body(Full::new(Bytes::from(body)));
        let request = match request {
            Ok(r) => r,
            Err(e) => {
                tally.fail(format!("building a request: {e}"));
                continue;
            }
        };
        let started = Instant::now();
        let answer = tokio::time::timeout(REQUEST_TIMEOUT, async {
            let response = sender.send_request(request).await?;
            let status = response.status();
            let body = response.into_body().collect().await?.to_bytes();
            Ok::<_, hyper::Error>((status, body))
        })
        .await;
        let took = started.elapsed();
        match answer {
            Ok(Ok((status, body))) => {
                tally
                    .latencies_us
                    .push(u64::try_from(took.as_micros()).unwrap_or(u64::MAX));
                let class = usize::from(status.as_u16() / 100).min(5);
                tally.classes[class] += 1;
                if status == StatusCode::CREATED {
                    tally.created += 1;
                } else if !status.is_success() && tally.sample_failure.is_none() {
                    tally.sample_failure = Some(format!(
                        "{status} on loan {loan}: {}",
                        String::from_utf8_lossy(&body)
                            .chars()
                            .take(200)
                            .collect::<String>()
                    ));
                }
            }
            Ok(Err(e)) => {
                tally.fail(format!("{e}"));
                connection = None;
            }
            Err(_) => {
                tally.fail(format!("no answer within {} s", REQUEST_TIMEOUT.as_secs()));
                connection = None;
            }
        }
    }
    tally
}
