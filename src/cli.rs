//! The `sakhi` command line.

use crate::config::{Config, Overrides};
use crate::crypto::IdentityKey;
use crate::loans::preview::PreviewRequest;
use crate::loans::schedule::{Amortization, Frequency, InterestMethod, InterestPeriod, RatePer};
use crate::{bench, store, web};
use chrono::NaiveDate;
use clap::{Parser, Subcommand};
use std::path::{Path, PathBuf};
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
    /// File holding the key that seals identities and incident narratives
    /// (default: identity.key in the data folder, if present). The key may
    /// also come from SAKHI_IDENTITY_KEY, which wins over the file.
    #[arg(
        long,
        global = true,
        env = "SAKHI_IDENTITY_KEY_FILE",
        value_name = "FILE"
    )]
    pub identity_key_file: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Issue a token for a user; it is printed once and stored only as a hash.
    Issue {
        /// The user the token acts as (her role decides what it may do).
        #[arg(long)]
        user: String,
        /// What the token is for, e.g. "district MIS export".
        #[arg(long)]
        label: String,
    },
    /// Revoke a token by its id.
    Revoke { id: i64 },
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
    /// Copy the live SQLite database to a new file while the server keeps
    /// writing; the copy opens and passes `verify`. Never overwrites a file.
    /// For PostgreSQL use pg_dump (README, "Backup and restore").
    Backup {
        /// The new file to write; refused if anything is already there.
        #[arg(value_name = "PATH")]
        path: PathBuf,
    },
    /// Run the web server.
    Serve {
        /// Address to listen on, host:port (default 127.0.0.1:8080).
        #[arg(long, env = "SAKHI_BIND", value_name = "ADDR")]
        bind: Option<String>,
        /// Mark session cookies Secure: set this when users reach Sakhi over HTTPS.
        #[arg(long, env = "SAKHI_SECURE_COOKIES")]
        secure_cookies: bool,
        /// Load the invented demo books first when the database has no groups.
        #[arg(long)]
        demo: bool,
    },
    /// Load invented demo books (groups, a year of weekly meetings, loans in
    /// every state, sign-ins) into an empty database.
    Demo {
        #[arg(long, default_value_t = 4)]
        groups: u32,
        /// Members in every group (instead of a range).
        #[arg(long, conflicts_with_all = ["min_members", "max_members"])]
        members: Option<u32>,
        /// Fewest and most members per group.
        #[arg(long, default_value_t = 12)]
        min_members: u32,
        #[arg(long, default_value_t = 15)]
        max_members: u32,
        #[arg(long, default_value_t = 52)]
        weeks: u32,
        #[arg(long, default_value_t = 7)]
        seed: u64,
    },
    /// Portfolio quality (PAR, ageing, DCB) of one group or the whole program.
    Portfolio {
        /// The date the figures are as of (YYYY-MM-DD).
        #[arg(long, value_name = "YYYY-MM-DD")]
        as_of: NaiveDate,
        /// First day of the DCB table (default: six months before --as-of).
        #[arg(long, value_name = "YYYY-MM-DD")]
        from: Option<NaiveDate>,
        /// One group's id (default: every group).
        #[arg(long, value_name = "ID")]
        group: Option<i64>,
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Print a loan's repayment schedule (no database needed).
    Schedule(Box<ScheduleArgs>),
    /// Write the books as an hledger journal (ledger reads it too) or a
    /// beancount file, with closing balance assertions from Sakhi's trial
    /// balance, so an independent tool can check them.
    Export(ExportArgs),
    /// Measure performance and print the figures.
    #[command(subcommand)]
    Bench(bench::BenchCommand),
    /// API bearer tokens: issue one for a user, or revoke one.
    #[command(subcommand)]
    Token(TokenCommand),
    /// The identity key that seals names, contacts and incident narratives.
    #[command(subcommand)]
    Key(KeyCommand),
}

#[derive(Debug, Subcommand)]
pub enum KeyCommand {
    /// Write a new random key to a file readable only by its owner (default:
    /// the configured key file). Refuses to overwrite an existing file: a
    /// lost key makes every sealed record unreadable.
    Generate {
        #[arg(long, value_name = "FILE")]
        output: Option<PathBuf>,
    },
}

impl Cli {
    fn overrides(&self, bind: Option<String>) -> Overrides {
        Overrides {
            config_file: self.config.clone(),
            database_url: self.database_url.clone(),
            data_dir: self.data_dir.clone(),
            bind,
            identity_key_file: self.identity_key_file.clone(),
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
        Command::Backup { path } => {
            let config = Config::resolve(cli.overrides(None))?;
            Ok(backup(&config, path).await)
        }
        Command::Serve {
            bind,
            secure_cookies,
            demo,
        } => {
            let config = Config::resolve(cli.overrides(bind.clone()))?;
            serve(config, *secure_cookies, *demo).await?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Schedule(args) => Ok(print_schedule(args)),
        Command::Export(args) => {
            let config = Config::resolve(cli.overrides(None))?;
            let store = store::open(&config.database_url).await?;
            run_export(store.as_ref(), args).await
        }
        Command::Portfolio {
            as_of,
            from,
            group,
            json,
        } => {
            let config = Config::resolve(cli.overrides(None))?;
            let store = store::open(&config.database_url).await?;
            // Amounts print in the group's currency; the program's books are in INR.
            let currency = match group {
                Some(id) => store.book(store.group(*id).await?.book_id).await?.currency,
                None => crate::money::Currency::inr(),
            };
            let loans = store.portfolio_as_of(*group, *as_of).await?;
            let from = from.unwrap_or_else(|| {
                as_of
                    .checked_sub_months(chrono::Months::new(6))
                    .unwrap_or(*as_of)
            });
            if from > *as_of {
                anyhow::bail!("--from must not be after --as-of");
            }
            let report = crate::reports::portfolio(&loans, *as_of, from);
            if *json {
                println!("{}", serde_json::to_string_pretty(&report)?);
            } else {
                print!("{}", report.text(currency.minor_units()));
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Demo {
            groups,
            members,
            min_members,
            max_members,
            weeks,
            seed,
        } => {
            let config = Config::resolve(cli.overrides(None))?;
            // A demo that fails is started again in a new database, so its
            // many commits need not each wait for the disk.
            let store = store::open_with(&config.database_url, store::Durability::Relaxed).await?;
            let fresh = store.groups().await?.is_empty();
            let identity_key = demo_or_configured_key(&config, fresh)?;
            let options = crate::demo::DemoOptions {
                groups: *groups,
                members_per_group: members
                    .map(|m| (m, m))
                    .unwrap_or((*min_members, *max_members)),
                weeks: *weeks,
                seed: *seed,
                identity_key,
                ..crate::demo::DemoOptions::default()
            };
            let bar = crate::progress::Bar::new();
            let summary = crate::demo::load_demo_with(store.as_ref(), &options, &bar).await?;
            println!("{summary}");
            Ok(ExitCode::SUCCESS)
        }
        Command::Key(KeyCommand::Generate { output }) => {
            let config = Config::resolve(cli.overrides(None))?;
            let path = output
                .clone()
                .or_else(|| config.identity_key_file.clone())
                .unwrap_or_else(|| config.default_identity_key_path());
            let key = write_new_key(&path)?;
            println!(
                "wrote a new identity key to {} (fingerprint {}); keep a copy somewhere safe \
                 and away from database backups",
                path.display(),
                key.fingerprint()
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Token(command) => {
            let config = Config::resolve(cli.overrides(None))?;
            let store = store::open(&config.database_url).await?;
            match command {
                TokenCommand::Issue { user, label } => {
                    let (id, token, role) =
                        web::api::issue_for(store.as_ref(), user, label).await?;
                    println!("token {id} for {user} ({role}); shown once, store it now:");
                    println!("{token}");
                }
                TokenCommand::Revoke { id } => {
                    store.revoke_api_token(*id).await?;
                    println!("token {id} revoked");
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Bench(command) => {
            bench::run(command).await?;
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// `sakhi backup PATH`: a refusal (PostgreSQL, an existing PATH) exits 2
/// like a bad flag; a failure to read or write exits 1.
async fn backup(config: &Config, path: &Path) -> ExitCode {
    // PostgreSQL is answered without connecting: the advice does not depend
    // on the server being up.
    if store::is_postgres_url(&config.database_url) {
        eprintln!("sakhi backup: {}", store::postgres::BACKUP_ADVICE);
        return ExitCode::from(2);
    }
    let result = match store::connect(&config.database_url).await {
        Ok(store) => store.backup(path).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(bytes) => {
            println!(
                "backed up {} to {} ({bytes} bytes); check the copy with: \
                 sakhi --database-url sqlite:{} verify",
                config.redacted_database_url(),
                path.display(),
                path.display()
            );
            ExitCode::SUCCESS
        }
        Err(e @ store::StoreError::Invalid(_)) => {
            eprintln!("sakhi backup: {e}");
            ExitCode::from(2)
        }
        Err(e) => {
            eprintln!("sakhi backup: {e}");
            ExitCode::FAILURE
        }
    }
}

/// On an empty database, the first program admin with a one-time password
/// that she must change at her first sign-in.
async fn first_admin(store: &dyn store::Store) -> anyhow::Result<()> {
    if store.count_users().await? > 0 {
        return Ok(());
    }
    let password = crate::auth::try_one_time_password()?;
    let hash = crate::auth::hash_secret(&password)?;
    store
        .create_user(&store::auth::NewUser {
            username: "admin",
            display_name: "Program admin",
            role: store::Role::Admin,
            password_hash: &hash,
            must_change_password: true,
            lang: crate::i18n::Lang::En,
        })
        .await?;
    println!("Created the program admin. Sign in as \"admin\" with this one-time password");
    println!("(shown once; you will choose your own at first sign-in):");
    println!();
    println!("    {password}");
    println!();
    Ok(())
}

/// The identity key the configuration points to, if any.
fn configured_key(config: &Config) -> anyhow::Result<Option<Arc<IdentityKey>>> {
    let env = std::env::var(crate::crypto::KEY_ENV_VAR).ok();
    let key = crate::crypto::load_key(env.as_deref(), config.identity_key_path().as_deref())?;
    Ok(key.map(Arc::new))
}

/// For invented demo books: the configured key, or a new one in the default
/// file, so a newcomer's first `serve --demo` shows sealed identities working.
fn demo_key(config: &Config) -> anyhow::Result<Arc<IdentityKey>> {
    if let Some(key) = configured_key(config)? {
        return Ok(key);
    }
    let path = config.default_identity_key_path();
    let key = write_new_key(&path)?;
    println!(
        "Wrote a new identity key for the demo to {} (fingerprint {}).",
        path.display(),
        key.fingerprint()
    );
    Ok(Arc::new(key))
}

/// The key for a run: when demo books are about to go into an empty
/// database, the configured key or a new demo one; otherwise only the
/// configured key.
fn demo_or_configured_key(
    config: &Config,
    loading_demo: bool,
) -> anyhow::Result<Option<Arc<IdentityKey>>> {
    if loading_demo {
        demo_key(config).map(Some)
    } else {
        configured_key(config)
    }
}

/// A new random key in a file only its owner can read, never overwriting one.
pub(crate) fn write_new_key(path: &Path) -> anyhow::Result<IdentityKey> {
    use std::io::Write as _;
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    let key = IdentityKey::generate()?;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path).map_err(|e| {
        anyhow::anyhow!(
            "cannot create the key file {}: {e} (an existing key is never overwritten)",
            path.display()
        )
    })?;
    file.write_all(key.to_base64().as_bytes())?;
    file.write_all(b"\n")?;
    file.sync_all()?;
    Ok(key)
}

/// Refuses to serve records sealed under a key the server was not given:
/// every identity read would fail, and new records would be sealed under a
/// key that cannot open the old ones.
async fn check_key(store: &dyn store::Store, key: Option<&IdentityKey>) -> anyhow::Result<()> {
    for fingerprint in store.sealing_fingerprints().await? {
        crate::crypto::check_startup_key(key, Some(&fingerprint))?;
    }
    Ok(())
}

async fn serve(config: Config, secure_cookies: bool, demo: bool) -> anyhow::Result<()> {
    let store = store::open(&config.database_url).await?;
    let fresh = store.groups().await?.is_empty();
    let identity_key = demo_or_configured_key(&config, demo && fresh)?;
    check_key(store.as_ref(), identity_key.as_deref()).await?;
    if demo {
        if fresh {
            println!("Loading the demo books (invented people and groups)…");
            let options = crate::demo::DemoOptions {
                identity_key: identity_key.clone(),
                ..crate::demo::DemoOptions::default()
            };
            let summary = crate::demo::load_demo(store.as_ref(), &options).await?;
            println!("{summary}");
        } else {
            println!("The database already has groups: not loading the demo books.");
        }
    }
    first_admin(store.as_ref()).await?;
    let mut state = web::AppState::new(store)?;
    state.secure_cookies = secure_cookies;
    state.identity_key = identity_key;
    let listener = tokio::net::TcpListener::bind(config.bind).await?;
    let address = listener.local_addr()?;
    tracing::info!(database = %config.redacted_database_url(), "database ready");
    println!("Sakhi is listening on http://{address}");
    let app = web::app(state).into_make_service_with_connect_info::<std::net::SocketAddr>();
    axum::serve(listener, app)
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

#[derive(Debug, clap::Args)]
pub struct ScheduleArgs {
    /// Amount lent, e.g. 5000 or 5,000.50.
    #[arg(long, value_name = "DEC", allow_hyphen_values = true)]
    pub principal: String,
    /// Interest rate in percent, e.g. 12.
    #[arg(long, value_name = "DEC", allow_hyphen_values = true)]
    pub rate: String,
    /// Whether --rate is per year or per month: year|month.
    #[arg(long, default_value = "year", value_parser = RatePer::from_str)]
    pub rate_per: RatePer,
    /// Number of installments.
    #[arg(long, value_name = "N")]
    pub installments: u32,
    /// Repay every N weeks or months.
    #[arg(long, default_value_t = 1, value_name = "N")]
    pub every: u32,
    /// week|month.
    #[arg(long, value_parser = Frequency::from_str)]
    pub frequency: Frequency,
    /// flat|declining.
    #[arg(long, value_parser = InterestMethod::from_str)]
    pub method: InterestMethod,
    /// equal-installments|equal-principal.
    #[arg(long, default_value = "equal-installments", value_parser = Amortization::from_str)]
    pub amortization: Amortization,
    /// repayment|daily.
    #[arg(long, default_value = "repayment", value_parser = InterestPeriod::from_str)]
    pub interest_period: InterestPeriod,
    /// Disbursement date, YYYY-MM-DD.
    #[arg(long, value_name = "YYYY-MM-DD")]
    pub disbursed: NaiveDate,
    /// First due date, YYYY-MM-DD (default: one period after disbursement).
    #[arg(long, value_name = "YYYY-MM-DD")]
    pub first_due: Option<NaiveDate>,
    /// Periods paying interest only.
    #[arg(long, default_value_t = 0, value_name = "N")]
    pub grace_principal: u32,
    /// Periods whose interest is deferred to the first installment after them.
    #[arg(long, default_value_t = 0, value_name = "N")]
    pub grace_interest: u32,
    /// Periods charged no interest.
    #[arg(long, default_value_t = 0, value_name = "N")]
    pub interest_free: u32,
    /// Round installments to a multiple of this amount, e.g. 1 for whole rupees
    /// (default: the currency's minor unit).
    #[arg(long, value_name = "DEC")]
    pub installment_multiple: Option<String>,
    /// Currency code.
    #[arg(long, default_value = "INR")]
    pub currency: String,
    /// Print one JSON object instead of a table.
    #[arg(long)]
    pub json: bool,
}

use std::str::FromStr;

/// Bad terms exit 2, like bad flags, with a message naming the flag.
fn print_schedule(args: &ScheduleArgs) -> ExitCode {
    let request = PreviewRequest {
        principal: args.principal.clone(),
        rate: args.rate.clone(),
        rate_per: args.rate_per,
        installments: args.installments,
        every: args.every,
        frequency: args.frequency,
        method: args.method,
        amortization: args.amortization,
        interest_period: args.interest_period,
        disbursed: args.disbursed,
        first_due: args.first_due,
        grace_principal: args.grace_principal,
        grace_interest: args.grace_interest,
        interest_free: args.interest_free,
        installment_multiple: args.installment_multiple.clone(),
        currency: args.currency.clone(),
    };
    match request.preview() {
        Ok(preview) if args.json => match serde_json::to_string(&preview) {
            Ok(json) => {
                println!("{json}");
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("sakhi schedule: {e}");
                ExitCode::FAILURE
            }
        },
        Ok(preview) => {
            print!("{}", preview.table());
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("sakhi schedule: {e}");
            ExitCode::from(2)
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ExportFormat {
    /// An hledger journal, also read by ledger.
    Hledger,
    /// A beancount file.
    Beancount,
}

#[derive(Debug, clap::Args)]
pub struct ExportArgs {
    /// hledger (also read by ledger) or beancount.
    #[arg(value_enum)]
    pub format: ExportFormat,
    /// One group, by its id, its code or its name (default: every book, the program's
    /// and each group's, in one file).
    #[arg(long, value_name = "ID|CODE|NAME")]
    pub group: Option<String>,
    /// Last business date to export (YYYY-MM-DD); balances are asserted as
    /// of the end of that day (default: everything, current balances).
    #[arg(long, value_name = "YYYY-MM-DD")]
    pub until: Option<NaiveDate>,
    /// Write to this file instead of standard output.
    #[arg(long, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

/// Why an export did not happen. The group errors are the user's to fix
/// (exit 2, like a bad flag); the rest are the store's or a defect.
#[derive(Debug, thiserror::Error)]
pub enum ExportFailure {
    #[error("--group {given:?}: no group has that id or name; groups: {known}")]
    UnknownGroup { given: String, known: String },
    #[error("--group {given:?}: several groups have that name (ids {ids}); give the id")]
    AmbiguousGroup { given: String, ids: String },
    #[error(transparent)]
    Store(#[from] store::StoreError),
    #[error("the books cannot be exported: {0}")]
    Export(#[from] crate::reports::export::ExportError),
}

impl ExportFailure {
    pub fn exit_code(&self) -> ExitCode {
        match self {
            ExportFailure::UnknownGroup { .. } | ExportFailure::AmbiguousGroup { .. } => {
                ExitCode::from(2)
            }
            _ => ExitCode::FAILURE,
        }
    }
}

/// The export text of one group's book (`group`: its id or name) or of
/// every book, entries up to `until`, balances asserted as of `until` (or
/// now). `today` only dates the assertions of a database with no entries.
pub async fn export_books(
    store: &dyn store::Store,
    format: ExportFormat,
    group: Option<&str>,
    until: Option<NaiveDate>,
    today: NaiveDate,
) -> Result<String, ExportFailure> {
    use crate::reports::export::{beancount, book_namespace, hledger, BookExport, ExportOptions};

    let mut groups = store.groups().await?;
    groups.sort_by_key(|g| g.id);
    let books = match group {
        Some(given) => {
            let g = find_group(&groups, given)?;
            vec![store.book(g.book_id).await?]
        }
        None => {
            let mut books = store.books().await?;
            books.sort_by_key(|b| b.id);
            books
        }
    };
    // Three reads per book: a program has a few dozen books at most.
    let mut loaded = Vec::with_capacity(books.len());
    for book in books {
        let owner = groups.iter().find(|g| g.book_id == book.id);
        let namespace = book_namespace(&book, owner);
        let accounts = store.accounts(book.id).await?;
        let entries = store.journal(book.id, None, until).await?;
        let trial_balance = store.trial_balance(book.id, until).await?;
        loaded.push((book, namespace, accounts, entries, trial_balance));
    }
    let exports: Vec<BookExport<'_>> = loaded
        .iter()
        .map(|(book, namespace, accounts, entries, tb)| BookExport {
            book,
            namespace,
            accounts,
            entries,
            trial_balance: tb,
        })
        .collect();
    let options = ExportOptions { until, today };
    Ok(match format {
        ExportFormat::Hledger => hledger::journal(&exports, &options)?,
        ExportFormat::Beancount => beancount::file(&exports, &options)?,
    })
}

/// A group by id, by its code ("LOT"), or failing those by name (case and
/// surrounding spaces ignored): ids are what other commands take, codes and
/// names what people remember.
fn find_group<'g>(
    groups: &'g [crate::groups::Group],
    given: &str,
) -> Result<&'g crate::groups::Group, ExportFailure> {
    let wanted = given.trim();
    if let Ok(id) = wanted.parse::<i64>() {
        if let Some(g) = groups.iter().find(|g| g.id == id) {
            return Ok(g);
        }
    }
    if let Some(g) = groups.iter().find(|g| {
        g.code
            .as_deref()
            .is_some_and(|c| c.eq_ignore_ascii_case(wanted))
    }) {
        return Ok(g);
    }
    let named: Vec<&crate::groups::Group> = groups
        .iter()
        .filter(|g| !wanted.is_empty() && g.name.trim().to_lowercase() == wanted.to_lowercase())
        .collect();
    match named.as_slice() {
        [one] => Ok(one),
        [] => Err(ExportFailure::UnknownGroup {
            given: given.to_string(),
            known: if groups.is_empty() {
                "none yet".to_string()
            } else {
                groups
                    .iter()
                    .map(|g| match &g.code {
                        Some(code) => format!("{} {code} ({})", g.id, g.name),
                        None => format!("{} ({})", g.id, g.name),
                    })
                    .collect::<Vec<_>>()
                    .join(", ")
            },
        }),
        many => Err(ExportFailure::AmbiguousGroup {
            given: given.to_string(),
            ids: many
                .iter()
                .map(|g| g.id.to_string())
                .collect::<Vec<_>>()
                .join(", "),
        }),
    }
}

async fn run_export(store: &dyn store::Store, args: &ExportArgs) -> anyhow::Result<ExitCode> {
    let today = chrono::Utc::now().date_naive();
    let text =
        match export_books(store, args.format, args.group.as_deref(), args.until, today).await {
            Ok(text) => text,
            Err(e) => {
                eprintln!("sakhi export: {e}");
                return Ok(e.exit_code());
            }
        };
    match &args.output {
        Some(path) => write_atomically(path, text.as_bytes())?,
        None => {
            use std::io::Write as _;
            let mut out = std::io::stdout().lock();
            out.write_all(text.as_bytes())?;
            out.flush()?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Writes through a temporary file in the same folder, renamed into place:
/// a failed export never leaves half a journal where a checker would read it.
fn write_atomically(path: &std::path::Path, bytes: &[u8]) -> anyhow::Result<()> {
    use anyhow::Context as _;
    use std::io::Write as _;
    let folder = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => std::path::Path::new("."),
    };
    let mut file = tempfile::NamedTempFile::new_in(folder).with_context(|| {
        format!(
            "--output {}: cannot write in {}",
            path.display(),
            folder.display()
        )
    })?;
    file.write_all(bytes)
        .and_then(|()| file.as_file().sync_all())
        .with_context(|| format!("--output {}", path.display()))?;
    file.persist(path)
        .with_context(|| format!("--output {}", path.display()))?;
    Ok(())
}
