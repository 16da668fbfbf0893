//! Invented rehabilitation and livelihood stories for the demo books: about
//! four in five members are program clients with consent events, detox, OST,
//! shelter, training, family contact, relapses, periodic reviews, businesses
//! funded by their loans, monthly income by source, and a few incidents with
//! the crisis teams' response.
//!
//! The stories are planned from the seed and the books as loaded (a relapse
//! falls shortly before her repayments went late, a business starts weeks
//! after her loan was paid out), so the same seed gives the same records.
//! Only the client codes are random, as they must be: a code says nothing
//! about the woman, not even where she sits in a demo.
//!
//! Some stories are shaped on purpose so that the follow-up flags have
//! something to show: a business loan more than 90 days old with no business
//! recorded, a business closed while its loan is still owed, a client with
//! no review in the last 90 days, incidents answered after more than 48
//! hours, and consent that was never given or was withdrawn.
//!
//! Names, phones, localities and narratives exist only sealed with the key
//! given in the options; without a key no identity is recorded at all.
//! Nothing here logs a record.

use super::fixture::Fixture;
use super::rng::SplitMix64;
use crate::crypto::IdentityKey;
use crate::ledger::{LoanId, MemberId};
use crate::loans::product::LoanStatus;
use crate::loans::state::{Component, LoanState};
use crate::outcomes::livelihood::status_on;
use crate::outcomes::{
    Business, BusinessCheck, BusinessKind, BusinessStatus, ClientCode, ConsentEvent,
    ConsentPurpose, DetoxEpisode, DetoxOutcome, DetoxSetting, Identity, Incident, IncidentAction,
    IncidentKind, IncidentOutcome, IncomeSource, MonthlyIncome, OstChange, OstStatus, Perpetrator,
    Record, ReintegrationEvent, ReintegrationKind, Relapse, ReportedBy, Review, ShelterReason,
    ShelterStay, StatusCheck, Training,
};
use crate::store::{Client, LoanWithState, Sealed, Store, UserId};
use anyhow::Context;
use chrono::{DateTime, Datelike, Duration, Months, NaiveDate, Utc};
use std::collections::HashMap;

/// Streams 0 to `MAX_GROUPS` belong to the roster and the groups; the
/// outcomes draw from their own, so changing a story moves no meeting.
const SELECTION_STREAM: u64 = 1_000;
/// Plus the member's position in the program: one stream per story.
const CLIENT_STREAM: u64 = 10_000;

/// The partner one client agrees to share her record with.
pub const PARTNER: &str = "District Hospital ART centre";
/// The peer advocacy teams; a group's clients go to one of them.
pub const CRISIS_TEAMS: [&str; 2] = ["Imphal East crisis team", "Imphal West crisis team"];
const DISTRICTS: [&str; 2] = ["Imphal East", "Imphal West"];
const FAMILY_CONTACTS: [&str; 5] = [
    "sister (phone on file)",
    "mother (phone on file)",
    "aunt (phone on file)",
    "elder brother (phone on file)",
    "cousin (phone on file)",
];
const COURSES: [&str; 5] = [
    "Tailoring",
    "Food processing",
    "Weaving on the loin loom",
    "Small shop and bookkeeping",
    "Candle and incense making",
];

/// An incident as the crisis team would file it: what, by whom (a category,
/// never a name), what the team did, and the narrative to be sealed.
struct IncidentTemplate {
    kind: IncidentKind,
    perpetrator: Perpetrator,
    actions: &'static [IncidentAction],
    narrative: &'static str,
}

const INCIDENTS: [IncidentTemplate; 10] = [
    IncidentTemplate {
        kind: IncidentKind::Harassment,
        perpetrator: Perpetrator::Other,
        actions: &[IncidentAction::Counselling, IncidentAction::Legal],
        narrative: "Reported threats at the market; peer advocate accompanied her to file a \
                    complaint.",
    },
    IncidentTemplate {
        kind: IncidentKind::Violence,
        perpetrator: Perpetrator::Partner,
        actions: &[IncidentAction::Medical, IncidentAction::Counselling],
        narrative: "Hurt during a quarrel at home; the peer advocate went with her to the health \
                    centre and stayed until she was seen.",
    },
    IncidentTemplate {
        kind: IncidentKind::Extortion,
        perpetrator: Perpetrator::PoliceOrSecurity,
        actions: &[IncidentAction::Legal, IncidentAction::PoliceLiaison],
        narrative: "Asked for money at a night checkpoint; the crisis team raised it with the \
                    officer in charge the next day.",
    },
    IncidentTemplate {
        kind: IncidentKind::Harassment,
        perpetrator: Perpetrator::Family,
        actions: &[IncidentAction::Counselling, IncidentAction::FamilyMediation],
        narrative: "Relatives kept pressing her to give up her stall; the counsellor held a \
                    family meeting with her agreement.",
    },
    IncidentTemplate {
        kind: IncidentKind::Violence,
        perpetrator: Perpetrator::Client,
        actions: &[
            IncidentAction::Medical,
            IncidentAction::Counselling,
            IncidentAction::Shelter,
        ],
        narrative: "A client turned violent over payment; she reached the drop-in centre, saw \
                    the nurse and stayed the night at the shelter.",
    },
    IncidentTemplate {
        kind: IncidentKind::Extortion,
        perpetrator: Perpetrator::Other,
        actions: &[IncidentAction::Legal, IncidentAction::Counselling],
        narrative: "A man demanded a share of her loan money; the advocate helped her report it \
                    and plan safer routes to the market.",
    },
    IncidentTemplate {
        kind: IncidentKind::Harassment,
        perpetrator: Perpetrator::Client,
        actions: &[IncidentAction::Counselling],
        narrative: "Repeated calls from a former client; the advocate helped her block the \
                    number and note down the dates.",
    },
    IncidentTemplate {
        kind: IncidentKind::Harassment,
        perpetrator: Perpetrator::PoliceOrSecurity,
        actions: &[IncidentAction::Legal, IncidentAction::PoliceLiaison],
        narrative: "Stopped and questioned near the bus stand at night; the advocate went with \
                    her to the station the next morning.",
    },
    IncidentTemplate {
        kind: IncidentKind::Violence,
        perpetrator: Perpetrator::Family,
        actions: &[
            IncidentAction::Medical,
            IncidentAction::FamilyMediation,
            IncidentAction::Shelter,
        ],
        narrative: "Pushed out of the house after an argument about money; a shelter bed was \
                    arranged and a family meeting held later.",
    },
    IncidentTemplate {
        kind: IncidentKind::Extortion,
        perpetrator: Perpetrator::Partner,
        actions: &[IncidentAction::Counselling, IncidentAction::Legal],
        narrative: "Her partner demanded her earnings from the stall; the counsellor made a \
                    safety plan with her.",
    },
];

/// What the outcomes part of the demo made.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct OutcomeFigures {
    pub clients: usize,
    /// Clients with a sealed identity (none without a key).
    pub identities: usize,
    pub records: usize,
    pub incidents: usize,
}

/// One of her loans, as far as her story needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoanFacts {
    pub id: LoanId,
    pub kind: BusinessKind,
    pub disbursed_on: Option<NaiveDate>,
    pub status: LoanStatus,
    /// Principal and interest still owed.
    pub outstanding: i64,
    /// The due date of the first installment that was not paid within two
    /// weeks of falling due.
    pub late_from: Option<NaiveDate>,
}

/// A member of a demo group, with her loans.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Woman {
    pub member_id: MemberId,
    pub member_code: String,
    pub name: String,
    /// The group's position in the demo, from 0.
    pub group: usize,
    pub loans: Vec<LoanFacts>,
}

/// The parts a story is made to show, so the flags have something to flag.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Roles {
    /// A business loan more than 90 days old with no business recorded.
    no_business: Option<LoanId>,
    /// The business funded by this loan closes while the loan is owed.
    closed_while_owing: Option<LoanId>,
    /// No review in the last 90 days.
    stale_review: bool,
    /// Never agrees to linking her records.
    never_link: bool,
    /// Agrees to linking, withdraws later.
    withdraws_link: bool,
    /// Agrees to sharing with `PARTNER`.
    partner: bool,
}

impl Roles {
    fn any(&self) -> bool {
        *self != Roles::default()
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Planned {
    Record(Record),
    /// Written first; the status checks name the stored business.
    Business {
        business: Business,
        checks: Vec<StatusCheck>,
    },
}

impl Planned {
    fn on(&self) -> NaiveDate {
        match self {
            Planned::Record(r) => r.event_on(),
            Planned::Business { business, .. } => business.started_on,
        }
    }

    fn count(&self) -> usize {
        match self {
            Planned::Record(_) => 1,
            Planned::Business { checks, .. } => 1 + checks.len(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct ClientPlan {
    /// Index into the women.
    woman: usize,
    intake: NaiveDate,
    identity: Identity,
    records: Vec<Planned>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct PlannedIncident {
    /// Index into the client plans.
    client: usize,
    incident: Incident,
    narrative: &'static str,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Plan {
    clients: Vec<ClientPlan>,
    incidents: Vec<PlannedIncident>,
}

/// Who records what: the counsellor the rehabilitation record, consent and
/// incidents; program staff (the livelihood team) businesses and income.
#[derive(Debug, Clone, Copy)]
pub struct Recorders {
    pub counsellor: UserId,
    pub staff: UserId,
}

/// Plans and writes the stories of the demo's members. A member who already
/// is a client keeps her client record, and records go in under keys made
/// from the seed and their place in her story, so running this again adds
/// nothing.
pub async fn load(
    store: &dyn Store,
    fixture: &Fixture,
    seed: u64,
    today: NaiveDate,
    key: Option<&IdentityKey>,
    by: Recorders,
    progress: &dyn super::Progress,
) -> anyhow::Result<OutcomeFigures> {
    let women = women(store, today).await?;
    let plan = plan(&women, fixture, seed, today)?;
    let existing: HashMap<MemberId, Client> = store
        .clients()
        .await?
        .into_iter()
        .flat_map(|c| {
            c.members
                .iter()
                .map(|m| (m.member_id, c.clone()))
                .collect::<Vec<_>>()
        })
        .collect();

    let mut figures = OutcomeFigures::default();
    let mut clients = Vec::with_capacity(plan.clients.len());
    progress.begin(
        "rehabilitation and livelihood records",
        plan.clients.len() as u64,
    );
    for (i, cp) in plan.clients.iter().enumerate() {
        let woman = &women[cp.woman];
        // Errors name the story's position only: never her code next to
        // what the record says.
        let context = || format!("demo outcomes: client {}", i + 1);
        let client = match existing.get(&woman.member_id) {
            Some(c) => c.clone(),
            None => {
                let code = ClientCode::generate().with_context(context)?;
                let sealed = key
                    .map(|k| seal_identity(k, &code, &cp.identity))
                    .transpose()
                    .with_context(context)?;
                store
                    .create_client(&code, &[woman.member_id], sealed.as_ref(), by.counsellor)
                    .await
                    .with_context(context)?
            }
        };
        figures.identities += usize::from(client.has_identity);
        // A write per recorder rather than per record: the counsellor's
        // records in one; the livelihood team's in one up to and with each
        // business (the status checks that follow name the id it gets),
        // and one for the rest.
        let key_of = |n: usize| format!("demo/{seed}/{}/r{n}", woman.member_code);
        let counsellor: Vec<(String, Record)> = cp
            .records
            .iter()
            .enumerate()
            .filter_map(|(n, planned)| match planned {
                Planned::Record(r) if by_counsellor(r) => Some((key_of(n), r.clone())),
                _ => None,
            })
            .collect();
        store
            .add_records(client.id, &counsellor, by.counsellor)
            .await
            .with_context(context)?;
        let mut staff: Vec<(String, Record)> = Vec::new();
        for (n, planned) in cp.records.iter().enumerate() {
            let idempotency = key_of(n);
            match planned {
                Planned::Record(r) if by_counsellor(r) => {}
                Planned::Record(r) => staff.push((idempotency, r.clone())),
                Planned::Business { business, checks } => {
                    staff.push((idempotency.clone(), Record::Business(business.clone())));
                    let written = store
                        .add_records(client.id, &staff, by.staff)
                        .await
                        .with_context(context)?;
                    let id = written
                        .last()
                        .copied()
                        .context("the business record was not written")
                        .with_context(context)?;
                    staff.clear();
                    for (k, check) in checks.iter().enumerate() {
                        let record = Record::StatusCheck(BusinessCheck {
                            business: id,
                            check: check.clone(),
                        });
                        staff.push((format!("{idempotency}/c{k}"), record));
                    }
                }
            }
            figures.records += planned.count();
        }
        store
            .add_records(client.id, &staff, by.staff)
            .await
            .with_context(context)?;
        clients.push(client);
        progress.advance(1);
    }
    progress.end();
    figures.clients = clients.len();

    for (k, pi) in plan.incidents.iter().enumerate() {
        let client = &clients[pi.client];
        let woman = &women[plan.clients[pi.client].woman];
        let context = || format!("demo outcomes: incident {}", k + 1);
        let narrative = key
            .map(|key| seal(key, pi.narrative, &format!("incident:{}", client.code)))
            .transpose()
            .with_context(context)?;
        store
            .add_incident(
                client.id,
                &pi.incident,
                narrative.as_ref(),
                &format!("demo/{seed}/{}/i{k}", woman.member_code),
                by.counsellor,
            )
            .await
            .with_context(context)?;
        figures.incidents += 1;
    }
    Ok(figures)
}

/// The counsellor records rehabilitation and consent; program staff the rest.
fn by_counsellor(record: &Record) -> bool {
    record.is_rehabilitation() || matches!(record, Record::Consent(_))
}

/// The identity sealed the way the client pages seal it: its JSON under the
/// context `identity:{code}`.
fn seal_identity(
    key: &IdentityKey,
    code: &ClientCode,
    identity: &Identity,
) -> anyhow::Result<Sealed> {
    let json = zeroize::Zeroizing::new(serde_json::to_string(identity)?);
    seal(key, &json, &format!("identity:{code}"))
}

fn seal(key: &IdentityKey, text: &str, context: &str) -> anyhow::Result<Sealed> {
    Ok(Sealed {
        bytes: key.seal_str(text, context.as_bytes())?,
        key_fingerprint: key.fingerprint(),
    })
}

/// Every member of every group, groups in the order they were made and
/// members by code, with her loans: a few reads, not one per member.
async fn women(store: &dyn Store, today: NaiveDate) -> anyhow::Result<Vec<Woman>> {
    let mut groups = store.groups().await?;
    groups.sort_by_key(|g| g.id);
    let mut loans: HashMap<MemberId, Vec<LoanWithState>> = HashMap::new();
    for l in store.loans(None).await? {
        loans.entry(l.loan.member_id).or_default().push(l);
    }
    let mut women = Vec::new();
    for (g, group) in groups.iter().enumerate() {
        let mut members = store.members(group.id).await?;
        members.sort_by(|a, b| a.code.cmp(&b.code));
        for m in members {
            let mut hers: Vec<LoanFacts> = loans
                .remove(&m.id)
                .unwrap_or_default()
                .iter()
                .map(|l| LoanFacts {
                    id: l.loan.id,
                    kind: business_kind(&l.loan.purpose),
                    disbursed_on: l.loan.disbursed_on,
                    status: l.loan.status,
                    outstanding: owed(&l.state),
                    late_from: late_from(&l.state, today),
                })
                .collect();
            hers.sort_by_key(|l| l.id);
            women.push(Woman {
                member_id: m.id,
                member_code: m.code,
                name: m.display_name,
                group: g,
                loans: hers,
            });
        }
    }
    Ok(women)
}

/// The business a loan purpose describes, by its words.
pub fn business_kind(purpose: &str) -> BusinessKind {
    let p = purpose.to_lowercase();
    let has = |w: &str| p.contains(w);
    if has("pickle") {
        BusinessKind::Pickles
    } else if has("dry fish") || has("fish") {
        BusinessKind::DryFish
    } else if has("tailor") || has("stitch") {
        BusinessKind::Tailoring
    } else if has("weav") || has("loom") {
        BusinessKind::Weaving
    } else if has("petty shop") || has("shop") {
        BusinessKind::PettyShop
    } else if has("catering") || has("tea") || has("snack") || has("food") {
        BusinessKind::Catering
    } else if has("stall") || has("vend") || has("vegetable") {
        BusinessKind::Vending
    } else if has("pig") || has("poultry") || has("goat") || has("livestock") {
        BusinessKind::Livestock
    } else {
        BusinessKind::Other
    }
}

fn owed(state: &LoanState) -> i64 {
    state
        .installments
        .iter()
        .map(|i| i.outstanding(Component::Principal) + i.outstanding(Component::Interest))
        .sum()
}

/// The due date of her first installment (principal and interest) not paid
/// within 14 days of falling due, counting only installments due 14 days or
/// more before `today`.
fn late_from(state: &LoanState, today: NaiveDate) -> Option<NaiveDate> {
    let mut installments: Vec<_> = state.installments.iter().collect();
    installments.sort_by_key(|i| i.due_date);
    installments.into_iter().find_map(|i| {
        let deadline = i.due_date + Duration::days(14);
        if deadline > today {
            return None;
        }
        let due = i.due.principal + i.due.interest;
        let paid: i64 = state
            .payments
            .iter()
            .filter(|p| p.paid_on <= deadline)
            .flat_map(|p| p.lines.iter())
            .filter(|l| {
                l.installment == i.number
                    && matches!(l.component, Component::Principal | Component::Interest)
            })
            .map(|l| l.amount)
            .sum();
        (due > 0 && paid < due).then_some(i.due_date)
    })
}

fn days(d: NaiveDate, n: i64) -> NaiveDate {
    // Only years away from the end of chrono's calendar would overflow; a
    // date that stays put is then caught by the record's own checks.
    d.checked_add_signed(Duration::days(n)).unwrap_or(d)
}

fn first_of_month(d: NaiveDate) -> NaiveDate {
    d.with_day(1).unwrap_or(d)
}

/// Whole months from the month of `from` to the month of `to`.
fn months_between(from: NaiveDate, to: NaiveDate) -> i64 {
    i64::from(to.year() - from.year()) * 12 + i64::from(to.month()) - i64::from(from.month())
}

/// Picks the clients, gives a few of them the roles the flags need, and
/// writes each story.
fn plan(women: &[Woman], fixture: &Fixture, seed: u64, today: NaiveDate) -> anyhow::Result<Plan> {
    let mut rng = SplitMix64::stream(seed, SELECTION_STREAM);
    let chosen: Vec<usize> = (0..women.len()).filter(|_| rng.chance(80)).collect();
    let mut roles = vec![Roles::default(); chosen.len()];
    let mut order: Vec<usize> = (0..chosen.len()).collect();
    rng.shuffle(&mut order);

    let old_enough = |l: &LoanFacts, age: i64| {
        l.status == LoanStatus::Active && l.disbursed_on.is_some_and(|d| d <= days(today, -age))
    };
    if let Some((c, loan)) = order.iter().find_map(|&c| {
        let w = &women[chosen[c]];
        w.loans
            .iter()
            .find(|l| old_enough(l, 90))
            .map(|l| (c, l.id))
    }) {
        roles[c].no_business = Some(loan);
    }
    // Prefer a loan that went late: the business closed, the repayments stopped.
    let owing = |roles: &[Roles], late: bool| {
        order.iter().find_map(|&c| {
            if roles[c].any() {
                return None;
            }
            women[chosen[c]]
                .loans
                .iter()
                .find(|l| {
                    old_enough(l, 90) && l.outstanding > 0 && (!late || l.late_from.is_some())
                })
                .map(|l| (c, l.id))
        })
    };
    if let Some((c, loan)) = owing(&roles, true).or_else(|| owing(&roles, false)) {
        roles[c].closed_while_owing = Some(loan);
    }
    let mut free = order
        .iter()
        .copied()
        .filter(|&c| !roles[c].any())
        .collect::<Vec<_>>()
        .into_iter();
    if let Some(c) = free.next() {
        roles[c].stale_review = true;
    }
    if let Some(c) = free.next() {
        roles[c].partner = true;
    }
    let withdrawals = if chosen.len() >= 20 { 2 } else { 1 };
    for c in free.by_ref().take(withdrawals) {
        roles[c].withdraws_link = true;
    }
    for c in free.take(chosen.len().div_ceil(10)) {
        roles[c].never_link = true;
    }

    let mut clients = Vec::with_capacity(chosen.len());
    for (c, &w) in chosen.iter().enumerate() {
        let mut story_rng = SplitMix64::stream(seed, CLIENT_STREAM + w as u64);
        let story = Story::new(&women[w], roles[c], today, &mut story_rng);
        let records = story
            .records(&mut story_rng)
            .with_context(|| format!("demo outcomes: planning the story of client {}", c + 1))?;
        let locality = story_rng
            .pick(&fixture.localities)
            .context("fixtures/demo.toml has no localities")?;
        let family = story_rng.pick(&FAMILY_CONTACTS).copied().unwrap_or("");
        let identity = Identity::new(
            &women[w].name,
            &format!("+91 90000 0{:04}", w + 1),
            &format!("{locality}, {}", DISTRICTS[women[w].group % 2]),
            family,
        )
        .with_context(|| format!("demo outcomes: identity of client {}", c + 1))?;
        clients.push(ClientPlan {
            woman: w,
            intake: story.intake,
            identity,
            records,
        });
    }
    let incidents = incidents(women, &clients, today, &mut rng)?;
    Ok(Plan { clients, incidents })
}

/// About one client in four or five has a case with a crisis team; one has
/// two. Some first responses took more than 48 hours; a few cases are open.
fn incidents(
    women: &[Woman],
    clients: &[ClientPlan],
    today: NaiveDate,
    rng: &mut SplitMix64,
) -> anyhow::Result<Vec<PlannedIncident>> {
    if clients.is_empty() {
        return Ok(Vec::new());
    }
    let now: DateTime<Utc> = today.and_hms_opt(0, 0, 0).context("midnight")?.and_utc();
    let n = (clients.len() * 3 / 10).clamp(1, 14);
    let mut order: Vec<usize> = (0..clients.len()).collect();
    rng.shuffle(&mut order);
    let mut templates: Vec<usize> = (0..INCIDENTS.len()).collect();
    rng.shuffle(&mut templates);
    let mut out = Vec::new();
    for i in 0..n {
        // The last case goes to the woman of the first: some women have two.
        let c = if i + 1 == n && n > 4 {
            order[0]
        } else {
            order[i]
        };
        let template = &INCIDENTS[templates[i % templates.len()]];
        let earliest = days(clients[c].intake, 20).max(days(today, -380));
        let day = if i == 0 {
            days(today, -rng.range(2, 5))
        } else {
            days(
                earliest,
                rng.range(0, (days(today, -10) - earliest).num_days()),
            )
        };
        // Daytime in Manipur (UTC+5:30), as UTC.
        let reported_at = day
            .and_hms_opt(rng.range(2, 14) as u32, rng.range(0, 59) as u32, 0)
            .context("time of day")?
            .and_utc();
        let late = i % 4 == 1;
        let hours = if late {
            rng.range(50, 140)
        } else {
            rng.range(1, 36)
        };
        let first = Some(reported_at + Duration::minutes(hours * 60 + rng.range(0, 59)))
            .filter(|at| *at < now);
        let open = i == 0 || i % 5 == 3;
        let resolved = first
            .filter(|_| !open)
            .map(|at| at + Duration::hours(rng.range(2, 40) * 24 + rng.range(0, 8)))
            .filter(|at| *at < now);
        let outcome = resolved.map(|_| match rng.below(100) {
            0..=59 => IncidentOutcome::Resolved,
            60..=84 => IncidentOutcome::Referred,
            85..=94 => IncidentOutcome::WithdrawnByHer,
            _ => IncidentOutcome::Unresolved,
        });
        let actions = if first.is_some() {
            template.actions.to_vec()
        } else {
            Vec::new()
        };
        let incident = Incident::new(
            CRISIS_TEAMS[women[clients[c].woman].group % 2],
            reported_at,
            template.kind,
            template.perpetrator,
            first,
            actions,
            resolved,
            outcome,
            now,
        )
        .with_context(|| format!("demo outcomes: incident {}", i + 1))?;
        out.push(PlannedIncident {
            client: c,
            incident,
            narrative: template.narrative,
        });
    }
    Ok(out)
}

/// The shape of one woman's year, drawn before any record is written.
struct Story<'a> {
    woman: &'a Woman,
    roles: Roles,
    today: NaiveDate,
    intake: NaiveDate,
}

/// A business as the story runs it, for the income it brings.
struct RunningBusiness {
    started_on: NaiveDate,
    checks: Vec<StatusCheck>,
    /// Rupees a month: at the start, added each month, at most.
    base: i64,
    growth: i64,
    cap: i64,
}

impl<'a> Story<'a> {
    fn new(woman: &'a Woman, roles: Roles, today: NaiveDate, rng: &mut SplitMix64) -> Story<'a> {
        // A few came to the program in the last months; the rest a year or
        // more ago. The stories the flags need have the whole year.
        let recent = !roles.any() && rng.chance(12);
        let back = if recent {
            rng.range(130, 250)
        } else {
            rng.range(375, 430)
        };
        Story {
            woman,
            roles,
            today,
            intake: days(today, -back),
        }
    }

    fn past(&self, d: NaiveDate) -> Option<NaiveDate> {
        (d <= self.today).then_some(d)
    }

    fn records(&self, rng: &mut SplitMix64) -> anyhow::Result<Vec<Planned>> {
        let today = self.today;
        let intake = self.intake;
        let roles = self.roles;
        let mut out: Vec<Planned> = Vec::new();
        let mut push = |r: Record| out.push(Planned::Record(r));

        // Consent at intake: services, linking her records (most), and
        // anonymous reports.
        let consent = |purpose, partner: &str, given, on| {
            ConsentEvent::new(purpose, partner, given, on, today).map(Record::Consent)
        };
        push(consent(ConsentPurpose::ReceiveServices, "", true, intake)?);
        if !roles.never_link {
            push(consent(ConsentPurpose::LinkRecords, "", true, intake)?);
        }
        if roles.any() || rng.chance(90) {
            push(consent(ConsentPurpose::AnonymousReports, "", true, intake)?);
        }
        if roles.partner {
            let on = days(intake, rng.range(20, 90)).min(today);
            push(consent(
                ConsentPurpose::ShareWithPartner,
                PARTNER,
                true,
                on,
            )?);
        }
        if roles.withdraws_link {
            let on = days(intake, rng.range(150, 280))
                .min(days(today, -14))
                .max(intake);
            push(consent(ConsentPurpose::LinkRecords, "", false, on)?);
        }

        // Detox: most complete the first episode; some leave early and
        // come back for a second.
        let start = days(intake, rng.range(2, 14));
        let mut recovery_from = None;
        let first = self.detox(rng, start, 78)?;
        if let Some((episode, ended)) = first {
            let outcome = episode.outcome;
            push(Record::Detox(episode));
            match (outcome, ended) {
                (Some(DetoxOutcome::Completed), Some(end)) => recovery_from = Some(end),
                (Some(_), Some(end)) => {
                    let again = days(end, rng.range(20, 75));
                    if let Some((episode, ended)) = self.detox(rng, again, 85)? {
                        if episode.outcome == Some(DetoxOutcome::Completed) {
                            recovery_from = ended;
                        }
                        push(Record::Detox(episode));
                    }
                }
                _ => {}
            }
        }
        let recovery_from = recovery_from.unwrap_or_else(|| days(intake, 30));

        // Relapses: most often shortly before her repayments went late.
        let late_from = self.woman.loans.iter().filter_map(|l| l.late_from).min();
        let mut relapses = Vec::new();
        let first_relapse = match late_from {
            Some(late) if rng.chance(75) => Some(days(late, -rng.range(5, 25))),
            _ if rng.chance(14) => Some(days(recovery_from, rng.range(60, 240))),
            _ => None,
        };
        if let Some(r) = first_relapse {
            let r = r.max(days(recovery_from, rng.range(14, 30)));
            if r <= days(today, -3) {
                relapses.push(r);
                let again = days(r, rng.range(90, 180));
                if rng.chance(20) && again <= days(today, -3) {
                    relapses.push(again);
                }
            }
        }
        for &r in &relapses {
            let reported_by = *rng
                .pick(&[
                    ReportedBy::Herself,
                    ReportedBy::Herself,
                    ReportedBy::Peer,
                    ReportedBy::Counsellor,
                    ReportedBy::Family,
                ])
                .unwrap_or(&ReportedBy::Herself);
            push(Record::Relapse(Relapse::new(r, reported_by, today)?));
            if rng.chance(55) {
                let again = days(r, rng.range(5, 30));
                if let Some((episode, _)) = self.detox(rng, again, 70)? {
                    push(Record::Detox(episode));
                }
            }
        }

        // Substitution therapy for some, interrupted around a relapse.
        if rng.chance(30) {
            let started = days(start, rng.range(0, 10)).min(today);
            push(Record::Ost(OstChange::new(
                started,
                OstStatus::Started,
                today,
            )?));
            let mut changes = Vec::new();
            if let Some(&r) = relapses.first() {
                let stopped = days(r.max(started), rng.range(0, 10));
                changes.push((stopped, OstStatus::Interrupted));
                let back = if rng.chance(80) {
                    OstStatus::Continuing
                } else {
                    OstStatus::Stopped
                };
                changes.push((days(stopped, rng.range(20, 60)), back));
            } else if rng.chance(30) {
                changes.push((days(started, rng.range(200, 320)), OstStatus::Stopped));
            } else {
                changes.push((days(started, rng.range(90, 180)), OstStatus::Continuing));
            }
            for (on, status) in changes {
                if let Some(on) = self.past(on) {
                    push(Record::Ost(OstChange::new(on, status, today)?));
                }
            }
        }

        // Shelter for some: after detox, or away from violence or a home
        // she lost.
        if rng.chance(30) {
            let reason = match rng.below(100) {
                0..=49 => ShelterReason::DetoxAftercare,
                50..=69 => ShelterReason::Violence,
                70..=84 => ShelterReason::NoHome,
                _ => ShelterReason::FamilyConflict,
            };
            let admitted = match reason {
                ShelterReason::DetoxAftercare => recovery_from,
                _ => days(intake, rng.range(0, 200)),
            };
            if let Some(admitted) = self.past(admitted) {
                let exited = self.past(days(admitted, rng.range(30, 120)));
                push(Record::Shelter(ShelterStay::new(
                    admitted, exited, reason, today,
                )?));
            }
        }

        // Training, in the trade of her loan where there is one.
        let borrowed = self.woman.loans.iter().any(|l| l.disbursed_on.is_some());
        if rng.chance(if borrowed { 80 } else { 45 }) {
            let course = self
                .woman
                .loans
                .iter()
                .find_map(|l| course_for(l.kind))
                .or_else(|| rng.pick(&COURSES).copied())
                .unwrap_or(COURSES[0]);
            let started = days(recovery_from, rng.range(20, 60));
            if let Some(started) = self.past(started) {
                let end = days(started, rng.range(45, 90));
                let (ended, completed) = match rng.below(100) {
                    0..=74 => match self.past(end) {
                        Some(end) => (Some(end), true),
                        None => (None, false),
                    },
                    _ => (Some(days(started, rng.range(10, 30)).min(today)), false),
                };
                push(Record::Training(Training::new(
                    course, started, ended, completed, today,
                )?));
            }
        }

        // Back in touch with her family, a visit, for some a return home.
        if rng.chance(60) {
            let contact = days(recovery_from, rng.range(15, 60));
            let visit = days(contact, rng.range(20, 90));
            let home = days(visit, rng.range(30, 120));
            let steps = [
                (contact, ReintegrationKind::Contact, true),
                (visit, ReintegrationKind::Visit, rng.chance(70)),
                (home, ReintegrationKind::ReturnHome, rng.chance(45)),
            ];
            for (on, kind, happens) in steps {
                if !happens {
                    break;
                }
                if let Some(on) = self.past(on) {
                    push(Record::Reintegration(ReintegrationEvent::new(
                        on, kind, today,
                    )?));
                }
            }
        }

        // Businesses from her loans, then the income they bring.
        let businesses = self.businesses(rng, &relapses)?;
        for (business, running) in &businesses {
            out.push(Planned::Business {
                business: business.clone(),
                checks: running.checks.clone(),
            });
        }
        let running: Vec<&RunningBusiness> = businesses.iter().map(|(_, r)| r).collect();
        for income in self.income(rng, &running, &relapses)? {
            out.push(Planned::Record(Record::Income(income)));
        }

        for review in self.reviews(rng, recovery_from, &relapses, borrowed)? {
            out.push(Planned::Record(Record::Review(review)));
        }

        // In the order things happened; same-day records as planned.
        out.sort_by_key(Planned::on);
        Ok(out)
    }

    /// One detox episode from `start` (none if that is after today), and
    /// its end when it has ended.
    fn detox(
        &self,
        rng: &mut SplitMix64,
        start: NaiveDate,
        completed_percent: u64,
    ) -> anyhow::Result<Option<(DetoxEpisode, Option<NaiveDate>)>> {
        let Some(start) = self.past(start) else {
            return Ok(None);
        };
        let clinic = rng.chance(55);
        let setting = if clinic {
            DetoxSetting::Clinic
        } else {
            DetoxSetting::Home
        };
        let roll = rng.below(100);
        let (outcome, length) = if roll < completed_percent {
            let length = if clinic {
                rng.range(14, 28)
            } else {
                rng.range(7, 14)
            };
            (DetoxOutcome::Completed, length)
        } else if clinic && roll >= 96 {
            (DetoxOutcome::Transferred, rng.range(3, 10))
        } else {
            (DetoxOutcome::LeftEarly, rng.range(2, 6))
        };
        let end = self.past(days(start, length));
        let episode = DetoxEpisode::new(setting, start, end, end.map(|_| outcome), self.today)?;
        Ok(Some((episode, end)))
    }

    /// A business for each loan paid out to her, started two to eight
    /// weeks later, with a field visit every few months.
    fn businesses(
        &self,
        rng: &mut SplitMix64,
        relapses: &[NaiveDate],
    ) -> anyhow::Result<Vec<(Business, RunningBusiness)>> {
        let today = self.today;
        let mut out = Vec::new();
        for loan in &self.woman.loans {
            let Some(paid_out) = loan.disbursed_on else {
                continue;
            };
            if self.roles.no_business == Some(loan.id) {
                continue;
            }
            let closes_owing = self.roles.closed_while_owing == Some(loan.id);
            let weeks_later = if closes_owing {
                rng.range(14, 30)
            } else {
                rng.range(14, 56)
            };
            let Some(started) = self.past(days(paid_out, weeks_later)) else {
                continue;
            };
            // Written off: the business closed some weeks after the
            // repayments stopped.
            let closing = match (loan.status, loan.late_from) {
                (LoanStatus::WrittenOff, Some(late)) => {
                    Some(days(late, rng.range(20, 60)).max(started))
                }
                _ => None,
            };
            let mut dates = Vec::new();
            let mut on = days(started, rng.range(45, 100));
            while on <= today {
                dates.push(on);
                on = days(on, rng.range(60, 120));
            }
            if closes_owing && dates.is_empty() {
                dates.push(today);
            }
            let mut checks = Vec::new();
            let mut status = BusinessStatus::Operating;
            for (k, &on) in dates.iter().enumerate() {
                let after_relapse = relapses
                    .iter()
                    .any(|&r| r <= on && (on - r).num_days() <= 60);
                let closes_now =
                    (closes_owing && k + 1 == dates.len()) || closing.is_some_and(|c| c <= on);
                status = if closes_now {
                    BusinessStatus::Closed
                } else if after_relapse && rng.chance(60) {
                    BusinessStatus::Paused
                } else {
                    let roll = rng.below(100);
                    match status {
                        BusinessStatus::Paused if roll < 65 => BusinessStatus::Operating,
                        BusinessStatus::Paused if roll < 80 && !closes_owing => {
                            BusinessStatus::Closed
                        }
                        BusinessStatus::Paused => BusinessStatus::Paused,
                        _ if roll < 12 => BusinessStatus::Paused,
                        _ if roll < 15 && !closes_owing => BusinessStatus::Closed,
                        _ => BusinessStatus::Operating,
                    }
                };
                checks.push(StatusCheck::new(on, status, started, today)?);
                if status == BusinessStatus::Closed {
                    break;
                }
            }
            if let Some(c) = closing.filter(|&c| c <= today) {
                if status != BusinessStatus::Closed {
                    checks.retain(|check| check.on < c);
                    checks.push(StatusCheck::new(c, BusinessStatus::Closed, started, today)?);
                }
            }
            let business = Business::new(loan.kind, started, vec![loan.id], today)?;
            out.push((
                business,
                RunningBusiness {
                    started_on: started,
                    checks,
                    base: rng.range(15, 35) * 100,
                    growth: rng.range(5, 14) * 50,
                    cap: rng.range(50, 90) * 100,
                },
            ));
        }
        Ok(out)
    }

    /// Income by source for the twelve full months before today's, from
    /// the month she came to the program: business income grows while the
    /// share from sex work falls, for most; both go the wrong way for a
    /// month or two around a relapse.
    fn income(
        &self,
        rng: &mut SplitMix64,
        businesses: &[&RunningBusiness],
        relapses: &[NaiveDate],
    ) -> anyhow::Result<Vec<MonthlyIncome>> {
        let today = self.today;
        let sex_work = rng.chance(75);
        let sex_work_start = rng.range(30, 80) * 100;
        // Per mille of her sex-work income that full business income replaces.
        let replaced = if rng.chance(15) {
            rng.range(0, 200)
        } else {
            rng.range(600, 1_000)
        };
        let wages = rng.chance(50).then(|| rng.range(10, 60) * 100);
        let this_month = first_of_month(today);
        let mut out = Vec::new();
        for back in (1..=12).rev() {
            let month = this_month
                .checked_sub_months(Months::new(back))
                .context("months before the calendar")?;
            if month < first_of_month(self.intake) {
                continue;
            }
            let month_end = days(
                month
                    .checked_add_months(Months::new(1))
                    .context("month after the calendar")?,
                -1,
            );
            let mid = days(month, 14);
            let mut business = 0;
            let mut has_business = false;
            for b in businesses {
                if b.started_on > month_end {
                    continue;
                }
                has_business = true;
                if status_on(b.started_on, &b.checks, mid.max(b.started_on))
                    == Some(BusinessStatus::Operating)
                {
                    let age = months_between(b.started_on, month);
                    let mut amount = (b.base + b.growth * age).min(b.cap);
                    if b.started_on > mid {
                        amount /= 2;
                    }
                    business += amount;
                }
            }
            let relapsed = relapses
                .iter()
                .any(|&r| (0..=1).contains(&months_between(r, month)));
            if relapsed {
                business = business * 6 / 10;
            }
            let business = (business.min(9_000) / 50) * 50;
            let noise = rng.range(90, 110);
            let mut sex = sex_work_start * (1_000 - replaced * business / 9_000) / 1_000;
            if relapsed {
                sex = sex * 13 / 10 + 500;
            }
            let sex = (sex * noise / 100 / 100 * 100).clamp(0, 8_000);
            let wage = wages
                .filter(|_| !rng.chance(10))
                .map(|w| (w * rng.range(85, 115) / 100 / 50 * 50).min(6_000))
                .unwrap_or(0);
            let mut add = |source, rupees: i64| {
                MonthlyIncome::new(month, source, rupees * 100, today).map(|i| out.push(i))
            };
            let mut any = false;
            if has_business {
                add(IncomeSource::Business, business)?;
                any = true;
            }
            if wage > 0 {
                add(IncomeSource::Wages, wage)?;
                any = true;
            }
            if sex_work {
                add(IncomeSource::SexWork, sex)?;
                any = true;
            }
            if !any {
                // Family support, when nothing else came in.
                add(IncomeSource::Other, rng.range(5, 15) * 100)?;
            }
        }
        Ok(out)
    }

    /// A review at intake and about every 90 days: use falls and paid work
    /// and wellbeing rise as recovery goes on, and go back around a relapse.
    fn reviews(
        &self,
        rng: &mut SplitMix64,
        recovery_from: NaiveDate,
        relapses: &[NaiveDate],
        borrowed: bool,
    ) -> anyhow::Result<Vec<Review>> {
        let today = self.today;
        let used_at_intake = rng.range(18, 28);
        let injecting = rng.range(60, 100);
        let work_at_intake = rng.range(0, 6);
        let wellbeing_at_intake = rng.range(3, 9);
        let housing_at_intake = rng.chance(60);
        let recovery_days = rng.range(180, 330);
        let struggling = rng.chance(15);
        let work_reach = if borrowed { 1_000 } else { 700 };

        let mut dates = vec![self.intake];
        loop {
            let next = days(*dates.last().unwrap_or(&self.intake), rng.range(84, 92));
            if next > today {
                break;
            }
            dates.push(next);
        }
        if self.roles.stale_review {
            let cutoff = days(today, -rng.range(100, 130));
            dates.retain(|&d| d <= cutoff || d == self.intake);
        } else if let Some(&last) = dates.last() {
            let extra = days(today, -rng.range(1, 14));
            if (today - last).num_days() > 80 && (extra - last).num_days() > 30 {
                dates.push(extra);
            }
        }

        let mut out = Vec::new();
        for on in dates {
            let since = (on - recovery_from).num_days().max(0);
            let mut progress = (since * 1_000 / recovery_days).min(1_000);
            if struggling {
                progress = progress * 4 / 10;
            }
            let hit = relapses
                .iter()
                .any(|&r| (-7..=75).contains(&(on - r).num_days()));
            let mut used = used_at_intake * (1_000 - 900 * progress / 1_000) / 1_000;
            let mut work =
                work_at_intake + (24 - work_at_intake) * progress / 1_000 * work_reach / 1_000;
            let mut wellbeing = wellbeing_at_intake + (17 - wellbeing_at_intake) * progress / 1_000;
            if hit {
                used = used.max(rng.range(10, 22));
                work /= 2;
                wellbeing -= rng.range(3, 6);
            }
            let used = used.clamp(0, 28);
            let injected = used * injecting / 100;
            let housing = (housing_at_intake && progress < 400) || (hit && rng.chance(30));
            let as_u8 = |v: i64| u8::try_from(v.clamp(0, 28)).unwrap_or(0);
            out.push(Review::new(
                on,
                as_u8(used),
                as_u8(injected),
                as_u8(work),
                housing,
                u8::try_from(wellbeing.clamp(0, 20)).unwrap_or(0),
                today,
            )?);
        }
        Ok(out)
    }
}

/// The course that teaches the trade of a business kind, if the program
/// runs one.
fn course_for(kind: BusinessKind) -> Option<&'static str> {
    match kind {
        BusinessKind::Tailoring => Some(COURSES[0]),
        BusinessKind::Pickles | BusinessKind::DryFish | BusinessKind::Catering => Some(COURSES[1]),
        BusinessKind::Weaving => Some(COURSES[2]),
        BusinessKind::PettyShop | BusinessKind::Vending => Some(COURSES[3]),
        _ => None,
    }
}
