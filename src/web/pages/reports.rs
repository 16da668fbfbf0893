//! Books and indicators: a group's reports as printable pages and as CSV
//! (`?format=csv`), and the program's view across groups for staff.
//!
//! Every report reads a period from `?from=&until=` (dates as 2026-03-31).
//! Point-in-time reports (trial balance, balance sheet, loan ledger, PAR,
//! grading) are as of `until`; period reports run `from..=until`. Left
//! empty, `until` is today and `from` the start of the Indian financial
//! year (1 April) that `until` falls in. The builders live in
//! `crate::reports`; this module only reads the store and renders.

use crate::groups::Group;
use crate::ledger::{chart, Account, AccountId, Book};
use crate::reports::cash_book::{cash_book, CashAccounts, Funds};
use crate::reports::grading::{grading, thrift_days, Frequency, GradingInput};
use crate::reports::ledgers::{
    general_ledger, loan_ledger, passbook, MemberAccounts, MemberBalances,
};
use crate::reports::sheet::Sheet;
use crate::reports::statements::{
    balance_sheet, clamp, consolidate, income_expenditure, rolled_sheet, trial_balance_sheet,
};
use crate::reports::{portfolio, PortfolioReport};
use crate::web::authz::{require, Action};
use crate::web::forms::today;
use crate::web::session::Session;
use crate::web::{page_context, render, AppError, AppState, PageError};
use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use chrono::{Datelike, Days, NaiveDate};
use rust_decimal::Decimal;
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};

/// The group reports, in the order the index lists them, and whether each
/// covers a period (`from..until`) or a single date (as of `until`).
pub const REPORTS: [(&str, bool); 10] = [
    ("trial-balance", false),
    ("balance-sheet", false),
    ("income-expenditure", true),
    ("cash-book", true),
    ("general-ledger", true),
    ("loan-ledger", false),
    ("passbook", true),
    ("dcb", true),
    ("par", false),
    ("grading", false),
];

/// Lines of one account the general ledger page shows at most; the CSV
/// has them all. Keeps the page within a cheap phone's budget.
const MAX_PAGE_LINES: usize = 200;

type Params = HashMap<String, String>;

/// The validated query of a report.
struct Period {
    from: Option<NaiveDate>,
    until: NaiveDate,
    csv: bool,
}

/// 1 April of the financial year `date` falls in.
fn financial_year_start(date: NaiveDate) -> Option<NaiveDate> {
    let year = if date.month() >= 4 {
        date.year()
    } else {
        date.year() - 1
    };
    NaiveDate::from_ymd_opt(year, 4, 1)
}

fn param<'a>(q: &'a Params, name: &str) -> &'a str {
    q.get(name).map_or("", |v| v.trim())
}

/// Reads `from`, `until` and `format`; every bad field is named in one 422.
fn period(q: &Params) -> Result<Period, AppError> {
    let mut bad: BTreeMap<String, String> = BTreeMap::new();
    let mut date = |name: &str| -> Option<NaiveDate> {
        let text = param(q, name);
        if text.is_empty() {
            return None;
        }
        let parsed = NaiveDate::parse_from_str(text, "%Y-%m-%d").ok();
        if parsed.is_none() {
            bad.insert(name.into(), "a date like 2026-03-31".into());
        }
        parsed
    };
    let from = date("from");
    let until = date("until");
    let csv = match param(q, "format") {
        "" | "html" => false,
        "csv" => true,
        _ => {
            bad.insert("format".into(), "csv or html".into());
            false
        }
    };
    let until = until.unwrap_or_else(today);
    let from = from.or_else(|| financial_year_start(until));
    if bad.is_empty() && from.is_some_and(|f| f > until) {
        bad.insert("from".into(), "must not be after until".into());
    }
    if !bad.is_empty() {
        let message = bad
            .iter()
            .map(|(k, v)| format!("{k}: {v}"))
            .collect::<Vec<_>>()
            .join("; ");
        return Err(AppError::Invalid {
            message,
            fields: bad,
        });
    }
    Ok(Period { from, until, csv })
}

/// `Lotus SHG` → `lotus-shg`: ASCII letters and digits, dashes between.
fn slug(text: &str) -> String {
    let mut out = String::new();
    for c in text.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
    }
    out.truncate(40);
    out.trim_end_matches('-').to_string()
}

/// A file name nothing can break out of: the group's name (or number),
/// the report and the dates, in ASCII.
fn file_name(group: &Group, report: &str, p: &Period) -> String {
    let who = match slug(&group.name) {
        s if s.is_empty() => format!("group-{}", group.id),
        s => s,
    };
    match p.from {
        Some(from) => format!("{who}-{report}-{from}-{}.csv", p.until),
        None => format!("{who}-{report}-{}.csv", p.until),
    }
}

fn csv_response(sheet: &Sheet, minor_units: u32, file: &str) -> Result<Response, AppError> {
    let body = sheet
        .to_csv(minor_units)
        .map_err(|e| AppError::Internal(e.to_string()))?;
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{file}\""),
            ),
            // Members' money: never left in a shared cache.
            (header::CACHE_CONTROL, "private, no-store".to_string()),
        ],
        body,
    )
        .into_response())
}

/// `₹1,25,000.00` in templates: `{{ amount | money(c=currency) }}`.
fn money_filter(
    value: &tera::Value,
    args: &HashMap<String, tera::Value>,
) -> tera::Result<tera::Value> {
    let minor = value
        .as_i64()
        .ok_or_else(|| tera::Error::msg(format!("money: not an amount in minor units: {value}")))?;
    let code = args.get("c").and_then(tera::Value::as_str).unwrap_or("INR");
    let currency = crate::money::Currency::from_code(code)
        .map_err(|_| tera::Error::msg(format!("money: unknown currency {code}")))?;
    Ok(tera::Value::String(super::amount(minor, currency)))
}

/// `0.9231` → `92.3%`; empty for nothing measured.
fn percent_filter(
    value: &tera::Value,
    _: &HashMap<String, tera::Value>,
) -> tera::Result<tera::Value> {
    let ratio: Option<Decimal> = match value {
        tera::Value::String(s) => s.parse().ok(),
        tera::Value::Number(n) => n.to_string().parse().ok(),
        _ => None,
    };
    Ok(tera::Value::String(ratio.map_or_else(
        || "–".to_string(),
        |r| format!("{}%", (r * Decimal::ONE_HUNDRED).round_dp(1)),
    )))
}

pub fn register_filters(tera: &mut tera::Tera) {
    tera.register_filter("money", money_filter);
    tera.register_filter("percent", percent_filter);
}

/// The query string of this report without `format`, to link its CSV and
/// keep the period in the form.
fn query_without_format(q: &Params) -> String {
    let mut pairs: Vec<(&str, &str)> = q
        .iter()
        .filter(|(k, v)| k.as_str() != "format" && !v.trim().is_empty())
        .map(|(k, v)| (k.as_str(), v.trim()))
        .collect();
    pairs.sort_unstable();
    serde_urlencoded::to_string(pairs).unwrap_or_default()
}

fn day_before(date: Option<NaiveDate>) -> Option<NaiveDate> {
    date.and_then(|d| d.checked_sub_days(Days::new(1)))
}

#[derive(Serialize)]
struct IndexRow {
    slug: &'static str,
    key: String,
    period: bool,
}

/// `cash-book` → `report.cash_book`, the report's title in the catalogs.
fn title_key(slug: &str) -> String {
    format!("report.{}", slug.replace('-', "_"))
}

/// Index of the group's reports, with the period form.
pub async fn index(
    State(state): State<AppState>,
    session: Session,
    Path(group_id): Path<i64>,
) -> Result<Response, PageError> {
    require(&session.principal, Action::ReadGroup(group_id))?;
    let group = state.store.group(group_id).await?;
    let members = state.store.members(group_id).await?;
    let until = today();
    let reports: Vec<IndexRow> = REPORTS
        .iter()
        .map(|&(slug, period)| IndexRow {
            slug,
            key: title_key(slug),
            period,
        })
        .collect();
    let mut ctx = page_context(&session);
    ctx.insert("group", &group);
    ctx.insert("reports", &reports);
    ctx.insert("until", &until);
    ctx.insert("from", &financial_year_start(until));
    ctx.insert("members", &members);
    Ok(render(&state, "reports.html", session.lang, ctx)
        .await?
        .into_response())
}

#[derive(Serialize)]
struct TbRow {
    code: String,
    name: String,
    debit: i64,
    credit: i64,
}

/// One group report, as a page or as CSV.
pub async fn show(
    State(state): State<AppState>,
    session: Session,
    Path((group_id, report)): Path<(i64, String)>,
    Query(q): Query<Params>,
) -> Result<Response, PageError> {
    require(&session.principal, Action::ReadGroup(group_id))?;
    let Some(&(report, _)) = REPORTS.iter().find(|(name, _)| *name == report) else {
        return Err(AppError::NotFound.into());
    };
    let p = period(&q)?;
    let group = state.store.group(group_id).await?;
    let book = state.store.book(group.book_id).await?;
    let minor = book.currency.minor_units();
    let mut ctx = page_context(&session);
    let sheet: Sheet = match report {
        "trial-balance" => {
            let tb = state.store.trial_balance(book.id, Some(p.until)).await?;
            let rows: Vec<TbRow> = tb
                .lines
                .iter()
                .filter(|l| l.balance != 0)
                .map(|l| TbRow {
                    code: l.code.clone(),
                    name: l.name.clone(),
                    debit: clamp(l.debit()),
                    credit: clamp(l.credit()),
                })
                .collect();
            ctx.insert("rows", &rows);
            ctx.insert("total_debits", &clamp(tb.total_debits()));
            ctx.insert("total_credits", &clamp(tb.total_credits()));
            ctx.insert("balanced", &tb.is_balanced());
            trial_balance_sheet(&tb)
        }
        "balance-sheet" => {
            let tb = state.store.trial_balance(book.id, Some(p.until)).await?;
            let accounts = state.store.accounts(book.id).await?;
            let bs = balance_sheet(&tb, &accounts);
            ctx.insert("bs", &bs);
            ctx.insert("total_claims", &bs.total_claims());
            ctx.insert("balanced", &bs.is_balanced());
            bs.sheet()
        }
        "income-expenditure" => {
            let journal = state.store.journal(book.id, p.from, Some(p.until)).await?;
            let accounts = state.store.accounts(book.id).await?;
            let ie = income_expenditure(&journal, &accounts, p.from, p.until);
            ctx.insert("ie", &ie);
            ctx.insert("surplus", &ie.surplus());
            ie.sheet()
        }
        "cash-book" => {
            let accounts = state.store.accounts(book.id).await?;
            let cash = find(&accounts, chart::shg::CASH)?;
            let bank = find(&accounts, chart::shg::BANK)?;
            let opening = match day_before(p.from) {
                Some(d) => Funds {
                    cash: state.store.balance_as_of(cash, d).await?,
                    bank: state.store.balance_as_of(bank, d).await?,
                },
                None => Funds::default(),
            };
            let journal = state.store.journal(book.id, p.from, Some(p.until)).await?;
            let codes: HashMap<AccountId, String> =
                accounts.iter().map(|a| (a.id, a.code.clone())).collect();
            let cb = cash_book(
                &journal,
                &CashAccounts {
                    cash,
                    bank,
                    codes: &codes,
                },
                opening,
                p.from,
                p.until,
            );
            ctx.insert("cb", &cb);
            cb.sheet()
        }
        "general-ledger" => {
            let accounts = state.store.accounts(book.id).await?;
            let opening: HashMap<AccountId, i64> = match day_before(p.from) {
                Some(d) => state
                    .store
                    .trial_balance(book.id, Some(d))
                    .await?
                    .lines
                    .iter()
                    .map(|l| (l.account_id, l.balance))
                    .collect(),
                None => HashMap::new(),
            };
            let journal = state.store.journal(book.id, p.from, Some(p.until)).await?;
            let gl = general_ledger(&journal, &accounts, &opening, p.from, p.until);
            let code = param(&q, "account");
            if !code.is_empty() {
                let Some(one) = gl.account(code) else {
                    return Err(AppError::invalid(
                        "account",
                        "no account with this code has postings in the period",
                    )
                    .into());
                };
                let skip = one.lines.len().saturating_sub(MAX_PAGE_LINES);
                ctx.insert("account", one);
                ctx.insert("lines", &one.lines[skip..]);
                ctx.insert("hidden_lines", &skip);
            }
            ctx.insert("gl", &gl);
            gl.sheet()
        }
        "loan-ledger" => {
            let loans = state.store.loans_as_of(Some(group_id), p.until).await?;
            let members = state.store.members(group_id).await?;
            let ll = loan_ledger(&loans, &members, p.until);
            ctx.insert("ll", &ll);
            ll.sheet()
        }
        "passbook" => {
            let id: i64 = param(&q, "member")
                .parse()
                .map_err(|_| AppError::invalid("member", "choose a member of the group"))?;
            let member = state.store.member(id).await?;
            if member.group_id != group_id {
                return Err(AppError::NotFound.into());
            }
            let accounts = state.store.accounts(book.id).await?;
            let own = |header| find(&accounts, &chart::member_account_code(header, &member.code));
            let mine = MemberAccounts {
                compulsory: own(chart::shg::COMPULSORY_SAVINGS)?,
                voluntary: own(chart::shg::VOLUNTARY_SAVINGS)?,
                loan: own(chart::shg::LOANS_TO_MEMBERS)?,
            };
            let opening = match day_before(p.from) {
                Some(d) => MemberBalances {
                    compulsory: -state.store.balance_as_of(mine.compulsory, d).await?,
                    voluntary: -state.store.balance_as_of(mine.voluntary, d).await?,
                    loan: state.store.balance_as_of(mine.loan, d).await?,
                },
                None => MemberBalances::default(),
            };
            let journal = state.store.journal(book.id, p.from, Some(p.until)).await?;
            let pb = passbook(&journal, mine, opening, p.from, p.until);
            ctx.insert("pb", &pb);
            ctx.insert("member", &member);
            pb.sheet()
        }
        "dcb" | "par" => {
            let loans = state.store.portfolio_as_of(Some(group_id), p.until).await?;
            let r: PortfolioReport = portfolio(&loans, p.until, p.from.unwrap_or(p.until));
            ctx.insert("buckets", &r.buckets());
            ctx.insert("pf", &r);
            if report == "dcb" {
                r.dcb_sheet()
            } else {
                r.par_sheet()
            }
        }
        "grading" => {
            let frequency: Frequency = match param(&q, "frequency") {
                "" => Frequency::default(),
                f => f
                    .parse()
                    .map_err(|e: String| AppError::invalid("frequency", e))?,
            };
            let g = grade_group(&state, &group, &book, p.until, frequency).await?;
            ctx.insert("grading", &g);
            g.sheet()
        }
        _ => return Err(AppError::NotFound.into()),
    };
    if p.csv {
        return Ok(csv_response(&sheet, minor, &file_name(&group, report, &p))?);
    }
    let query = query_without_format(&q);
    ctx.insert("group", &group);
    ctx.insert("report", report);
    ctx.insert("title_key", &title_key(report));
    ctx.insert("from", &p.from);
    ctx.insert("until", &p.until);
    ctx.insert("cur", book.currency.code());
    ctx.insert("query", &query);
    ctx.insert("extra", &extra_fields(&q));
    Ok(render(&state, "report.html", session.lang, ctx)
        .await?
        .into_response())
}

/// Query fields besides the period that the period form must keep.
fn extra_fields(q: &Params) -> Vec<(&str, &str)> {
    let mut out: Vec<(&str, &str)> = ["member", "account", "frequency"]
        .into_iter()
        .filter_map(|k| q.get(k).map(|v| (k, v.trim())))
        .filter(|(_, v)| !v.is_empty())
        .collect();
    out.sort_unstable();
    out
}

fn find(accounts: &[Account], code: &str) -> Result<AccountId, AppError> {
    accounts
        .iter()
        .find(|a| a.code == code)
        .map(|a| a.id)
        .ok_or_else(|| AppError::Internal(format!("the book has no account {code}")))
}

async fn grade_group(
    state: &AppState,
    group: &Group,
    book: &Book,
    as_of: NaiveDate,
    frequency: Frequency,
) -> Result<crate::reports::grading::Grading, AppError> {
    let members = state.store.members(group.id).await?;
    // Weekly meetings for well over a year fit in this limit.
    let meetings = state.store.meetings(group.id, 1_000).await?;
    let formed_on = members
        .iter()
        .map(|m| m.joined_on)
        .chain(meetings.iter().map(|m| m.held_on))
        .min()
        .unwrap_or(as_of);
    let year_ago = as_of
        .checked_sub_months(chrono::Months::new(12))
        .unwrap_or(as_of);
    let journal = state
        .store
        .journal(
            book.id,
            Some(year_ago.max(formed_on).min(as_of)),
            Some(as_of),
        )
        .await?;
    let accounts = state.store.accounts(book.id).await?;
    let tb = state.store.trial_balance(book.id, Some(as_of)).await?;
    let total = |header: &str| -> i64 {
        let prefix = format!("{header}-");
        tb.lines
            .iter()
            .filter(|l| l.code == header || l.code.starts_with(&prefix))
            .map(|l| l.balance)
            .fold(0_i64, i64::saturating_add)
    };
    let loans = state.store.loans_as_of(Some(group.id), as_of).await?;
    let thrift = thrift_days(&journal, &accounts);
    Ok(grading(&GradingInput {
        as_of,
        formed_on,
        frequency,
        meetings: &meetings,
        members: &members,
        thrift_days: &thrift,
        loans: &loans,
        lent_out: total(chart::shg::LOANS_TO_MEMBERS),
        liquid: total(chart::shg::CASH).saturating_add(total(chart::shg::BANK)),
        last_entry: journal.last().map(|e| e.business_date),
    }))
}

#[derive(Serialize)]
struct ProgramRow {
    id: i64,
    name: String,
    debits: i64,
    credits: i64,
    balanced: bool,
    active_loans: usize,
    principal_outstanding: i64,
    par1: Decimal,
    par30: Decimal,
}

/// Every group's trial balance totals and PAR as of a date, for staff; as
/// CSV with `?format=csv`.
pub async fn program(
    State(state): State<AppState>,
    session: Session,
    Query(q): Query<Params>,
) -> Result<Response, PageError> {
    require(&session.principal, Action::ProgramOverview)?;
    let p = period(&q)?;
    let groups = crate::store::group_trial_balances(state.store.as_ref(), Some(p.until)).await?;
    let loans = state.store.portfolio_as_of(None, p.until).await?;
    let mut by_group: HashMap<i64, Vec<crate::store::LoanWithState>> = HashMap::new();
    for l in loans {
        by_group.entry(l.loan.group_id).or_default().push(l);
    }
    let mut rows = Vec::with_capacity(groups.len());
    let mut currency = crate::money::Currency::inr();
    for (g, tb) in &groups {
        currency = tb.book.currency;
        let pf = portfolio(
            by_group.get(&g.id).map_or(&[][..], Vec::as_slice),
            p.until,
            p.until,
        );
        rows.push(ProgramRow {
            id: g.id,
            name: g.name.clone(),
            debits: clamp(tb.total_debits()),
            credits: clamp(tb.total_credits()),
            balanced: tb.is_balanced(),
            active_loans: pf.active_loans,
            principal_outstanding: pf.par.principal_outstanding,
            par1: pf.par.ratio(1),
            par30: pf.par.ratio(30),
        });
    }
    if p.csv {
        use crate::reports::sheet::Cell;
        let mut s = Sheet::new(&[
            "group_id",
            "group",
            "debits",
            "credits",
            "balanced",
            "active_loans",
            "principal_outstanding",
            "par1",
            "par30",
        ]);
        for r in &rows {
            s.push(vec![
                Cell::Count(r.id),
                Cell::text(&r.name),
                Cell::Money(r.debits),
                Cell::Money(r.credits),
                Cell::text(if r.balanced { "yes" } else { "no" }),
                Cell::Count(i64::try_from(r.active_loans).unwrap_or(i64::MAX)),
                Cell::Money(r.principal_outstanding),
                Cell::Ratio(r.par1),
                Cell::Ratio(r.par30),
            ]);
        }
        let file = format!("program-groups-{}.csv", p.until);
        return Ok(csv_response(&s, currency.minor_units(), &file)?);
    }
    let mut ctx = page_context(&session);
    ctx.insert("rows", &rows);
    ctx.insert("until", &p.until);
    ctx.insert("cur", currency.code());
    Ok(render(&state, "program.html", session.lang, ctx)
        .await?
        .into_response())
}

/// The consolidated trial balance of all group books, for staff.
pub async fn program_trial_balance(
    State(state): State<AppState>,
    session: Session,
    Query(q): Query<Params>,
) -> Result<Response, PageError> {
    require(&session.principal, Action::ProgramOverview)?;
    let p = period(&q)?;
    let tbs: Vec<_> = crate::store::group_trial_balances(state.store.as_ref(), Some(p.until))
        .await?
        .into_iter()
        .map(|(_, tb)| tb)
        .collect();
    let currency = tbs
        .first()
        .map_or_else(crate::money::Currency::inr, |tb| tb.book.currency);
    // Adding up books kept in different currencies would be meaningless.
    if tbs.iter().any(|tb| tb.book.currency != currency) {
        return Err(AppError::invalid(
            "currency",
            "the groups keep books in different currencies; consolidate per currency",
        )
        .into());
    }
    let lines = consolidate(&tbs);
    if p.csv {
        let file = format!("program-consolidated-trial-balance-{}.csv", p.until);
        return Ok(csv_response(
            &rolled_sheet(&lines),
            currency.minor_units(),
            &file,
        )?);
    }
    let rows: Vec<TbRow> = lines
        .iter()
        .map(|l| TbRow {
            code: l.code.clone(),
            name: l.name.clone(),
            debit: l.balance.max(0),
            credit: l.balance.min(0).saturating_neg(),
        })
        .collect();
    let debits: i64 = rows.iter().map(|r| r.debit).fold(0, i64::saturating_add);
    let credits: i64 = rows.iter().map(|r| r.credit).fold(0, i64::saturating_add);
    let mut ctx = page_context(&session);
    ctx.insert("rows", &rows);
    ctx.insert("total_debits", &debits);
    ctx.insert("total_credits", &credits);
    ctx.insert("groups", &tbs.len());
    ctx.insert("until", &p.until);
    ctx.insert("cur", currency.code());
    ctx.insert("consolidated", &true);
    Ok(render(&state, "program.html", session.lang, ctx)
        .await?
        .into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(pairs: &[(&str, &str)]) -> Params {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn fields(e: AppError) -> Vec<String> {
        match e {
            AppError::Invalid { fields, .. } => fields.into_keys().collect(),
            other => vec![format!("not invalid: {other}")],
        }
    }

    #[test]
    fn each_bad_field_is_named() {
        let e = period(&q(&[("from", "31-03-2026"), ("until", "2026-02-30")])).err();
        assert_eq!(e.map(fields), Some(vec!["from".into(), "until".into()]));
        let e = period(&q(&[("from", "2026-04-02"), ("until", "2026-04-01")])).err();
        assert_eq!(e.map(fields), Some(vec!["from".into()]));
        let e = period(&q(&[("format", "xls")])).err();
        assert_eq!(e.map(fields), Some(vec!["format".into()]));
    }

    #[test]
    fn the_period_defaults_to_the_financial_year_up_to_until() {
        let p = period(&q(&[("until", "2026-03-31"), ("format", "csv")]));
        let p = p.ok();
        assert_eq!(
            p.as_ref().map(|p| (p.from, p.until, p.csv)),
            Some((
                NaiveDate::from_ymd_opt(2025, 4, 1),
                NaiveDate::from_ymd_opt(2026, 3, 31).unwrap_or_default(),
                true
            ))
        );
        assert_eq!(
            financial_year_start(NaiveDate::from_ymd_opt(2026, 4, 1).unwrap_or_default()),
            NaiveDate::from_ymd_opt(2026, 4, 1)
        );
    }

    #[test]
    fn file_names_are_plain_ascii() {
        let g = |name: &str| Group {
            id: 7,
            book_id: 1,
            name: name.into(),
            code: None,
        };
        let p = Period {
            from: NaiveDate::from_ymd_opt(2025, 4, 1),
            until: NaiveDate::from_ymd_opt(2026, 3, 31).unwrap_or_default(),
            csv: true,
        };
        assert_eq!(
            file_name(&g("Lotus SHG \"/\\ x"), "cash-book", &p),
            "lotus-shg-x-cash-book-2025-04-01-2026-03-31.csv"
        );
        assert_eq!(
            file_name(&g("ꯂꯩꯇꯥꯡ"), "par", &p),
            "group-7-par-2025-04-01-2026-03-31.csv"
        );
    }
}
