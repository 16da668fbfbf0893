//! Demo data: a year of weekly meetings of invented self-help groups, so that
//! every page has something true-to-life to show and every loan state
//! appears: applied, approved, rejected, active on time and late,
//! rescheduled, closed, written off with a recovery.
//!
//! Everything goes through the `Store` API a treasurer's forms use (no raw
//! SQL), so the demo is also a long end-to-end exercise of the books, and it
//! ends with `verify`. The same seed gives the same groups, members, meetings
//! and loans on every machine; only password salts, recorded-at times and
//! the numbering of loans across groups (loaded side by side)
//! differ. The names come from `fixtures/demo.toml` and are invented.
//!
//! The books are followed by invented rehabilitation and livelihood records
//! (`outcomes`): the same stories for the same seed, under random client
//! codes, with names and narratives sealed when a key is given.

mod fixture;
mod outcomes;
mod plan;
mod rng;
mod sim;

pub use outcomes::{OutcomeFigures, CRISIS_TEAMS, PARTNER};
pub use rng::SplitMix64;

use crate::auth::hash_secret;
use crate::crypto::IdentityKey;
use crate::i18n::Lang;
use crate::loans::portfolio;
use crate::loans::product::{templates, LoanSettings, LoanStatus, ProductId};
use crate::store::auth::NewUser;
use crate::store::{Role, Store};
use anyhow::{bail, ensure, Context};
use chrono::NaiveDate;
use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The password of every demo user. Public on purpose: it is printed and
/// listed in the README, so a demo database must never hold real data.
pub const DEMO_PASSWORD: &str = "demo-password";
/// The PIN of every demo member.
pub const DEMO_PIN: &str = "2580";

/// Groups of 10–20 are the norm; more would outgrow the name list.
const MAX_MEMBERS: u32 = 25;
/// A large program's worth; the names repeat with numbers beyond the fixture's.
const MAX_GROUPS: u32 = 5_000;
/// How many groups' meetings of a week are posted in one transaction: a
/// batch costs about the same number of statements whatever its size.
const GROUPS_PER_BATCH: usize = 50;
/// How many batches are on the go at once during a load.
const BATCHES_AT_ONCE: usize = 2;
/// Ten years of weekly meetings.
const MAX_WEEKS: u32 = 520;

#[derive(Debug, Clone)]
pub struct DemoOptions {
    pub groups: u32,
    /// Members per group, drawn between the two (inclusive).
    pub members_per_group: (u32, u32),
    /// Weekly meetings per group; the last is on or a day or two before
    /// `today`, never after it.
    pub weeks: u32,
    pub seed: u64,
    pub today: NaiveDate,
    /// Seals the demo clients' identities (invented names, phones and
    /// localities) and incident narratives. Without a key the demo records
    /// no identity and no narrative; everything else is the same.
    pub identity_key: Option<Arc<IdentityKey>>,
}

/// Options are equal when they would load the same demo: the same numbers
/// and a key with the same fingerprint (or none on either side). Keys are
/// never compared byte by byte.
impl PartialEq for DemoOptions {
    fn eq(&self, other: &DemoOptions) -> bool {
        self.groups == other.groups
            && self.members_per_group == other.members_per_group
            && self.weeks == other.weeks
            && self.seed == other.seed
            && self.today == other.today
            && self.identity_key.as_ref().map(|k| k.fingerprint())
                == other.identity_key.as_ref().map(|k| k.fingerprint())
    }
}

impl Eq for DemoOptions {}

impl DemoOptions {
    /// The default demo, ending on `today`.
    pub fn new(today: NaiveDate) -> DemoOptions {
        DemoOptions {
            groups: 4,
            members_per_group: (12, 15),
            weeks: 52,
            seed: 7,
            today,
            identity_key: None,
        }
    }

    /// Refuses options the demo's story cannot be told with.
    pub fn check(&self) -> anyhow::Result<()> {
        let (min, max) = self.members_per_group;
        ensure!(
            (1..=MAX_GROUPS).contains(&self.groups),
            "groups must be between 1 and {MAX_GROUPS}"
        );
        ensure!(
            plan::MIN_MEMBERS <= min && min <= max && max <= MAX_MEMBERS,
            "members per group must be a range within {}..={MAX_MEMBERS}, lowest first \
             (each group's story needs {} borrowers)",
            plan::MIN_MEMBERS,
            plan::MIN_MEMBERS
        );
        ensure!(
            (plan::MIN_WEEKS..=MAX_WEEKS).contains(&self.weeks),
            "weeks must be between {} and {MAX_WEEKS}: fewer cannot show a loan more than \
             30 days late next to one written off",
            plan::MIN_WEEKS
        );
        Ok(())
    }
}

impl Default for DemoOptions {
    /// The default demo, ending today (UTC).
    fn default() -> DemoOptions {
        DemoOptions::new(chrono::Utc::now().date_naive())
    }
}

/// How many loans ended up in each state, as of the demo's `today`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LoanFigures {
    pub applied: usize,
    pub approved: usize,
    pub rejected: usize,
    pub active: usize,
    /// Active with nothing past due.
    pub active_on_time: usize,
    /// Active and more than 30 days past due (PAR30).
    pub active_late: usize,
    pub closed: usize,
    pub written_off: usize,
    /// Given a new schedule (schedule version above 1).
    pub rescheduled: usize,
}

/// What `load_demo` made, and how to sign in to it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoSummary {
    pub groups: usize,
    pub members: usize,
    pub meetings: usize,
    pub loans: usize,
    /// Journal entries in all books.
    pub entries: usize,
    pub loan_figures: LoanFigures,
    /// Clients, sealed identities, rehabilitation and livelihood records,
    /// and incidents.
    pub outcomes: OutcomeFigures,
    /// (role, login, password or PIN). Members sign in with their member
    /// code; one row per group gives the range of codes.
    pub logins: Vec<(String, String, String)>,
    pub elapsed: Duration,
}

impl fmt::Display for DemoSummary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let l = &self.loan_figures;
        writeln!(
            f,
            "Demo data loaded in {:.1} s: {} groups, {} members, {} meetings, {} loans, \
             {} journal entries.",
            self.elapsed.as_secs_f64(),
            self.groups,
            self.members,
            self.meetings,
            self.loans,
            self.entries
        )?;
        writeln!(
            f,
            "Loans: {} applied, {} approved (not yet paid out), {} rejected, {} active \
             ({} on time, {} more than 30 days late), {} closed, {} written off; \
             {} rescheduled.",
            l.applied,
            l.approved,
            l.rejected,
            l.active,
            l.active_on_time,
            l.active_late,
            l.closed,
            l.written_off,
            l.rescheduled
        )?;
        let o = &self.outcomes;
        writeln!(
            f,
            "Clients: {} ({} with a sealed identity), {} rehabilitation and livelihood \
             records, {} incidents.",
            o.clients, o.identities, o.records, o.incidents
        )?;
        writeln!(f)?;
        writeln!(
            f,
            "Demo sign-ins (invented people; these passwords are public, so never put \
             real data in a demo database):"
        )?;
        writeln!(f)?;
        writeln!(f, "| role | sign in with | password or PIN |")?;
        writeln!(f, "| --- | --- | --- |")?;
        for (role, login, secret) in &self.logins {
            writeln!(f, "| {role} | `{login}` | `{secret}` |")?;
        }
        Ok(())
    }
}

/// Where a long load reports how far it has got (a progress bar on a
/// terminal; nothing in tests and servers).
pub trait Progress: Send + Sync {
    /// A new stage of `total` steps begins.
    fn begin(&self, stage: &str, total: u64);
    /// `steps` more steps are done.
    fn advance(&self, steps: u64);
    /// The current stage is over.
    fn end(&self);
}

/// Reports nothing.
pub struct Quiet;

impl Progress for Quiet {
    fn begin(&self, _: &str, _: u64) {}
    fn advance(&self, _: u64) {}
    fn end(&self) {}
}

/// [`load_demo_with`] reporting nothing.
pub async fn load_demo(store: &dyn Store, options: &DemoOptions) -> anyhow::Result<DemoSummary> {
    load_demo_with(store, options, &Quiet).await
}

/// Loads the demo into an empty database: groups with their members, rules
/// and PINs, an admin, a staff user, a counsellor and a treasurer per group,
/// a bank linkage loan per group, and `weeks` weekly meetings with savings,
/// fines, social fund, withdrawals, expenses and loans in every state; then
/// the rehabilitation and livelihood records of about four in five members
/// (see `outcomes`), identities sealed when a key is given. Refuses a database
/// that already has a group (or a demo user name), and fails if `verify`
/// finds anything wrong at the end. The load is many transactions, not one:
/// after a failure, start again from a new empty database.
pub async fn load_demo_with(
    store: &dyn Store,
    options: &DemoOptions,
    progress: &dyn Progress,
) -> anyhow::Result<DemoSummary> {
    let started = Instant::now();
    options.check()?;
    let fixture = fixture::Fixture::embedded()?;
    ensure!(
        options.members_per_group.1 as usize <= fixture.names.len(),
        "fixtures/demo.toml has only {} names: at most that many members per group",
        fixture.names.len()
    );
    let existing = store.groups().await?;
    if !existing.is_empty() {
        bail!(
            "the database already has {} group(s): demo data goes only into an empty database",
            existing.len()
        );
    }
    let treasurers: Vec<String> = (1..=options.groups)
        .map(|g| format!("treasurer{g}"))
        .collect();
    let taken: Vec<String> = store
        .users()
        .await?
        .into_iter()
        .map(|u| u.username)
        .filter(|u| {
            ["admin", "staff", "counsellor"].contains(&u.as_str()) || treasurers.contains(u)
        })
        .collect();
    if !taken.is_empty() {
        bail!(
            "user(s) {} already exist: demo data goes only into an empty database",
            taken.join(", ")
        );
    }

    // Argon2 is slow on purpose: one hash for all demo users and one for all
    // members keeps the load fast (everyone shares the same secrets anyway),
    // and hashing off the async threads keeps a server responsive.
    let (password_hash, pin_hash) = tokio::task::spawn_blocking(|| {
        Ok::<_, crate::auth::AuthError>((hash_secret(DEMO_PASSWORD)?, hash_secret(DEMO_PIN)?))
    })
    .await??;

    let roster = fixture::roster(
        &fixture,
        options.groups,
        options.members_per_group,
        &mut SplitMix64::stream(options.seed, 0),
    );
    let mut logins = Vec::new();
    let mut staff = Vec::new();
    for (username, display_name, role) in [
        ("admin", "Program admin (demo)", Role::Admin),
        ("staff", "Program staff (demo)", Role::Staff),
        ("counsellor", "Demo counsellor", Role::Counsellor),
    ] {
        staff.push(create_user(store, username, display_name, role, &password_hash).await?);
        logins.push((
            role.to_string(),
            username.to_string(),
            DEMO_PASSWORD.to_string(),
        ));
    }
    let recorders = outcomes::Recorders {
        staff: staff[1],
        counsellor: staff[2],
    };

    let shared = sim::Shared {
        store,
        fixture: &fixture,
        weeks: options.weeks,
    };
    let mut runs = Vec::new();
    progress.begin("groups, members and sign-ins", roster.len() as u64);
    for (g, group) in roster.iter().enumerate() {
        let number = g + 1;
        let username = format!("treasurer{number}");
        let treasurer = create_user(
            store,
            &username,
            &format!("Treasurer of {}", group.name),
            Role::Treasurer,
            &password_hash,
        )
        .await?;
        logins.push((
            format!("treasurer ({})", group.name),
            username,
            DEMO_PASSWORD.to_string(),
        ));
        let first = group.members.first().map(|m| m.0.as_str()).unwrap_or("");
        let last = group.members.last().map(|m| m.0.as_str()).unwrap_or("");
        logins.push((
            format!("member ({})", group.name),
            format!("{first} … {last}"),
            DEMO_PIN.to_string(),
        ));
        // Groups meet on different weekdays, the latest within two days of today.
        let dates = sim::meeting_dates(options.today, options.weeks, (g % 3) as u64)?;
        let stream = SplitMix64::stream(options.seed, number as u64);
        runs.push(
            sim::GroupRun::create(&shared, number, group, dates, treasurer, &pin_hash, stream)
                .await?,
        );
        progress.advance(1);
    }
    progress.end();
    // Products are the program's, but listing them takes a group.
    let first_group = runs.first().map(|r| r.group_id()).context("no groups")?;
    let products = program_products(store, first_group).await?;
    progress.begin(
        "weekly meetings",
        u64::from(options.weeks) * roster.len() as u64,
    );
    // Groups' books are independent, so a week's meetings of many groups
    // go to the database as one batch, and two batches are drafted at once:
    // while one is in the database the other is drafted. Each group's story
    // depends only on its own seed stream, so the books come out the same;
    // only the numbering of loans across groups interleaves.
    let per_batch = runs.len().div_ceil(BATCHES_AT_ONCE).min(GROUPS_PER_BATCH);
    let mut lanes: Vec<Vec<Vec<sim::GroupRun>>> =
        (0..BATCHES_AT_ONCE).map(|_| Vec::new()).collect();
    let mut runs = runs.into_iter().peekable();
    let mut lane = 0;
    while runs.peek().is_some() {
        lanes[lane % BATCHES_AT_ONCE].push(runs.by_ref().take(per_batch).collect());
        lane += 1;
    }
    let products = &products;
    let figures = futures_util::future::try_join_all(lanes.into_iter().map(|lane| async move {
        let mut figures = Vec::new();
        for mut batch in lane {
            figures.extend(sim::meet_together(&mut batch, products, progress).await?);
        }
        Ok::<_, anyhow::Error>(figures)
    }))
    .await?;
    let members = figures.iter().flatten().map(|f| f.members).sum();
    let meetings = figures.iter().flatten().map(|f| f.meetings).sum();
    progress.end();
    let outcomes = outcomes::load(
        store,
        &fixture,
        options.seed,
        options.today,
        options.identity_key.as_deref(),
        recorders,
        progress,
    )
    .await?;
    // Counts only: never a record.
    tracing::info!(
        clients = outcomes.clients,
        records = outcomes.records,
        incidents = outcomes.incidents,
        "demo outcomes loaded"
    );

    progress.begin("verify", 1);
    let report = store.verify().await?;
    progress.end();
    if !report.is_ok() {
        bail!(
            "the demo data does not verify ({} problems):\n{}",
            report.problem_count(),
            report.problems().join("\n")
        );
    }
    let loans = store.loans(None).await?;
    Ok(DemoSummary {
        groups: roster.len(),
        members,
        meetings,
        loans: loans.len(),
        entries: usize::try_from(report.entries)?,
        loan_figures: loan_figures(&loans, options.today),
        outcomes,
        logins,
        elapsed: started.elapsed(),
    })
}

async fn create_user(
    store: &dyn Store,
    username: &str,
    display_name: &str,
    role: Role,
    password_hash: &str,
) -> anyhow::Result<crate::store::UserId> {
    let user = store
        .create_user(&NewUser {
            username,
            display_name,
            role,
            password_hash,
            must_change_password: false,
            lang: Lang::En,
        })
        .await
        .with_context(|| format!("creating user {username}"))?;
    Ok(user.id)
}

/// The program-wide products made from `templates()`, in that order. Every
/// database has them stored (migration 0007), so they are found by name; one
/// is made again only if the admin has retired it.
async fn program_products(
    store: &dyn Store,
    group_id: crate::groups::GroupId,
) -> anyhow::Result<Vec<(ProductId, LoanSettings)>> {
    let stored = store.products(group_id).await?;
    let mut out = Vec::new();
    for (name, settings) in templates() {
        let found = stored
            .iter()
            .find(|p| p.group_id.is_none() && p.name == name);
        let product = match found {
            Some(p) => p.clone(),
            None => store.create_product(None, name, &settings).await?,
        };
        out.push((product.id, product.settings));
    }
    Ok(out)
}

fn loan_figures(loans: &[crate::store::LoanWithState], today: NaiveDate) -> LoanFigures {
    let mut f = LoanFigures::default();
    for l in loans {
        match l.loan.status {
            LoanStatus::Applied => f.applied += 1,
            LoanStatus::Approved => f.approved += 1,
            LoanStatus::Rejected => f.rejected += 1,
            LoanStatus::Active => {
                f.active += 1;
                match portfolio::arrears(&l.state, today).days_past_due {
                    0 => f.active_on_time += 1,
                    31.. => f.active_late += 1,
                    _ => {}
                }
            }
            LoanStatus::Closed => f.closed += 1,
            LoanStatus::WrittenOff => f.written_off += 1,
        }
        if l.loan.schedule_version > 1 {
            f.rescheduled += 1;
        }
    }
    f
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::{check_new_password, check_pin, check_username};

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn the_demo_secrets_pass_the_sign_in_policies() {
        assert_eq!(check_new_password(DEMO_PASSWORD, DEMO_PASSWORD), Ok(()));
        assert_eq!(check_pin(DEMO_PIN), Ok(()));
        for u in ["admin", "staff", "counsellor", "treasurer1", "treasurer100"] {
            assert_eq!(check_username(u), Ok(()));
        }
    }

    #[test]
    fn options_the_story_cannot_be_told_with_are_refused() {
        let ok = DemoOptions::new(day(2026, 11, 20));
        assert!(ok.check().is_ok());
        for bad in [
            DemoOptions {
                groups: 0,
                ..ok.clone()
            },
            DemoOptions {
                weeks: 11,
                ..ok.clone()
            },
            DemoOptions {
                members_per_group: (9, 12),
                ..ok.clone()
            },
            DemoOptions {
                members_per_group: (15, 12),
                ..ok.clone()
            },
            DemoOptions {
                members_per_group: (12, 26),
                ..ok.clone()
            },
        ] {
            assert!(bad.check().is_err(), "{bad:?}");
        }
    }

    #[test]
    fn meetings_are_weekly_and_never_after_today() {
        let today = day(2026, 11, 20);
        for offset in 0..3 {
            let dates = sim::meeting_dates(today, 52, offset).unwrap();
            assert_eq!(dates.len(), 52);
            assert_eq!(dates[51], day(2026, 11, 20 - offset as u32));
            assert!(dates.windows(2).all(|w| (w[1] - w[0]).num_days() == 7));
            assert!(dates.iter().all(|d| *d <= today));
        }
    }

    #[test]
    fn the_summary_prints_the_sign_in_table() {
        let summary = DemoSummary {
            groups: 1,
            members: 12,
            meetings: 52,
            loans: 13,
            entries: 2_000,
            loan_figures: LoanFigures::default(),
            outcomes: OutcomeFigures {
                clients: 10,
                identities: 10,
                records: 400,
                incidents: 3,
            },
            logins: vec![
                ("admin".into(), "admin".into(), DEMO_PASSWORD.into()),
                (
                    "member (Lotus SHG)".into(),
                    "LOT-01 … LOT-12".into(),
                    DEMO_PIN.into(),
                ),
            ],
            elapsed: Duration::from_millis(1_500),
        };
        let text = summary.to_string();
        assert!(text.starts_with("Demo data loaded in 1.5 s: 1 groups, 12 members"));
        assert!(text.contains(
            "Clients: 10 (10 with a sealed identity), 400 rehabilitation and livelihood \
             records, 3 incidents."
        ));
        assert!(text.contains("| admin | `admin` | `demo-password` |"));
        assert!(text.contains("| member (Lotus SHG) | `LOT-01 … LOT-12` | `2580` |"));
    }
}
