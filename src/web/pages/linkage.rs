//! Linkage reports for program staff: one woman's loans, businesses, income
//! and recovery on one timeline (only with her consent), and the program's
//! outcomes with small counts suppressed. Both reads are logged.

use super::clients_facts::{all_facts, facts_of};
use crate::i18n::{t, Lang};
use crate::loans::portfolio::par_and_ageing;
use crate::loans::product::LoanStatus;
use crate::money::Currency;
use crate::outcomes::ClientCode;
use crate::reports::charts::{self, Axes, Series, YFormat};
use crate::reports::linkage::{
    client_report, every_loan_is_for_business, program_report, rehab_status_by_loan_standing,
    ProgramExport,
};
use crate::reports::sheet::defuse_formula;
use crate::reports::suppression::{Cell, ProgramScope, Rate, SuppressedTable};
use crate::store::LoanWithState;
use crate::web::access;
use crate::web::authz::{require, Action};
use crate::web::forms::today;
use crate::web::session::Session;
use crate::web::{page_context, render, AppError, AppState, PageError};
use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};

/// Client records carry no book, so their amounts are the program's rupees.
fn money(minor: i64) -> String {
    super::amount(minor, Currency::inr())
}

fn chart_or_nothing(svg: Result<String, charts::ChartError>) -> String {
    // A chart that cannot be drawn leaves the table beside it to speak.
    svg.unwrap_or_default()
}

fn month_ticks(months: &[NaiveDate]) -> Vec<(f64, String)> {
    months
        .iter()
        .enumerate()
        .map(|(i, m)| (i as f64, m.format("%m/%y").to_string()))
        .collect()
}

/// One woman's linked view, with her consent only.
pub async fn client_page(
    State(state): State<AppState>,
    session: Session,
    Path(code): Path<String>,
) -> Result<Response, PageError> {
    require(&session.principal, Action::LinkageReports)?;
    let code = ClientCode::parse(&code).map_err(|_| AppError::NotFound)?;
    let client = state.store.client(&code).await?;
    let facts = facts_of(&state, &client).await?;
    let as_of = today();
    let report = client_report(&facts, as_of, &every_loan_is_for_business).map_err(|_| {
        AppError::invalid(
            "consent",
            "she has not consented to linking her finances with her rehabilitation record",
        )
    })?;
    access::log(
        &state,
        &session.principal,
        Some(client.id),
        "client_report",
        "/clients/{code}/report",
        None,
    )
    .await?;
    let lang = session.lang;
    let months: Vec<NaiveDate> = report.income.iter().map(|m| m.month).collect();
    let rupees = |minor: i64| minor as f64 / 100.0;
    let chart = chart_or_nothing(charts::line_chart(
        &Axes {
            x_ticks: month_ticks(&months),
            y_label: t(lang, "linkage.rupees").to_string(),
            empty_message: t(lang, "linkage.no_income").to_string(),
            ..Axes::default()
        },
        &[
            Series {
                name: t(lang, "linkage.income_total").to_string(),
                points: report
                    .income
                    .iter()
                    .enumerate()
                    .map(|(i, m)| (i as f64, rupees(m.total)))
                    .collect(),
            },
            Series {
                name: t(lang, "linkage.income_outside").to_string(),
                points: report
                    .income
                    .iter()
                    .enumerate()
                    .map(|(i, m)| (i as f64, rupees(m.outside_sex_work)))
                    .collect(),
            },
        ],
        360,
        220,
    ));
    let loans: Vec<serde_json::Value> = report
        .loans
        .iter()
        .map(|l| {
            serde_json::json!({
                "id": l.loan_id,
                "status": l.status.as_str(),
                "disbursed_on": l.disbursed_on,
                "principal": money(l.principal),
                "repaid": money(l.repaid),
                "outstanding": money(l.outstanding),
                "days_past_due": l.days_past_due,
                "on_time": l.on_time_share.map(|s| format!("{:.0}%", s * 100.0)),
            })
        })
        .collect();
    let income: Vec<serde_json::Value> = report
        .income
        .iter()
        .map(|m| {
            serde_json::json!({
                "month": m.month.format("%Y-%m").to_string(),
                "total": money(m.total),
                "outside": money(m.outside_sex_work),
                "share": m.share_outside_sex_work.map(|s| format!("{:.0}%", s * 100.0)),
            })
        })
        .collect();
    let timeline: Vec<serde_json::Value> = report
        .timeline
        .iter()
        .map(|i| {
            serde_json::json!({
                "date": i.date,
                "kind": i.kind,
                "code": i.code,
                "loan": i.loan_id,
                "business": i.business_id,
                "amount": i.amount.map(money),
                "course": i.course,
            })
        })
        .collect();
    let mut ctx = page_context(&session);
    ctx.insert("code", code.as_str());
    ctx.insert("report", &report);
    ctx.insert("loans", &loans);
    ctx.insert("income", &income);
    ctx.insert("timeline", &timeline);
    ctx.insert("chart", &chart);
    ctx.insert("total_outstanding", &money(report.loans_total.outstanding));
    Ok(render(&state, "client_report.html", lang, ctx)
        .await?
        .into_response())
}

#[derive(Deserialize)]
pub struct Format {
    #[serde(default)]
    format: String,
}

/// One line of the program report, as the page and the CSV show it.
#[derive(Serialize)]
struct Line {
    section: &'static str,
    label: String,
    values: Vec<String>,
}

fn cell(c: Cell) -> String {
    match c {
        Cell::Shown(n) => n.to_string(),
        Cell::Suppressed => "≤10".into(),
    }
}

fn rate(r: Rate) -> String {
    match r {
        Rate::Shown(v) => format!("{:.1}%", v * 100.0),
        Rate::Suppressed => "≤10".into(),
        Rate::Empty => "–".into(),
    }
}

fn hours(r: Rate) -> String {
    match r {
        Rate::Shown(v) => format!("{v:.1}"),
        other => rate(other),
    }
}

/// The suppressed report as lines: the page and the CSV print the same
/// figures, so nothing the page shows is missing from the file or the other
/// way round.
fn lines(e: &ProgramExport, crosstab: &SuppressedTable, lang: Lang) -> Vec<Line> {
    let tr = |key: &str| t(lang, key).to_string();
    let mut out = Vec::new();
    for (category, count) in e.women.categories.iter().zip(&e.women.counts) {
        out.push(Line {
            section: "women",
            label: tr(&format!("linkage.{category}")),
            values: vec![cell(*count)],
        });
    }
    out.push(Line {
        section: "women",
        label: tr("common.total"),
        values: vec![cell(e.women.total)],
    });
    out.push(Line {
        section: "survival",
        label: tr("linkage.all_businesses"),
        values: vec![
            cell(e.survival.businesses),
            cell(e.survival.closed),
            rate(e.survival.at_6_months),
            rate(e.survival.at_12_months),
        ],
    });
    for b in &e.by_detox_band {
        out.push(Line {
            section: "survival",
            label: tr(&format!("linkage.band_{}", b.band)),
            values: vec![
                cell(b.survival.businesses),
                cell(b.survival.closed),
                rate(b.survival.at_6_months),
                rate(b.survival.at_12_months),
            ],
        });
        out.push(Line {
            section: "income",
            label: tr(&format!("linkage.band_{}", b.band)),
            values: vec![
                cell(b.income_6_months.women),
                rate(b.income_6_months.share_outside_sex_work),
                cell(b.income_12_months.women),
                rate(b.income_12_months.share_outside_sex_work),
            ],
        });
    }
    for (s, women) in e.repayment_by_status.iter().zip(&e.women_by_status.counts) {
        out.push(Line {
            section: "repayment",
            label: tr(&format!("linkage.status_{}", s.status)),
            values: vec![cell(*women), rate(s.repayment_rate), rate(s.par30)],
        });
    }
    let relapse = &e.relapse_after_first_loan;
    out.push(Line {
        section: "relapse",
        label: tr("linkage.relapse_after_first_loan"),
        values: vec![
            cell(relapse.women.total),
            relapse
                .women
                .counts
                .first()
                .copied()
                .map(cell)
                .unwrap_or_default(),
            rate(relapse.share),
        ],
    });
    for r in &e.response {
        out.push(Line {
            section: "response",
            label: format!("{} {}-Q{}", r.advocacy_group, r.year, r.quarter),
            values: vec![
                cell(r.cases),
                rate(r.share_within_48h),
                hours(r.median_hours_to_response),
                hours(r.p90_hours_to_response),
                hours(r.median_hours_to_resolution),
                hours(r.p90_hours_to_resolution),
            ],
        });
    }
    for (i, status) in crosstab.row_labels.iter().enumerate() {
        let mut values: Vec<String> = crosstab.cells[i].iter().map(|c| cell(*c)).collect();
        values.push(
            crosstab
                .row_totals
                .get(i)
                .copied()
                .map(cell)
                .unwrap_or_default(),
        );
        out.push(Line {
            section: "crosstab",
            label: tr(&format!("linkage.status_{status}")),
            values,
        });
    }
    let mut totals: Vec<String> = crosstab.column_totals.iter().map(|c| cell(*c)).collect();
    totals.push(cell(crosstab.grand_total));
    out.push(Line {
        section: "crosstab",
        label: tr("common.total"),
        values: totals,
    });
    for m in &e.income_trend {
        out.push(Line {
            section: "trend",
            label: m.month.format("%Y-%m").to_string(),
            values: vec![cell(m.women), rate(m.share_outside_sex_work)],
        });
    }
    out
}

/// Program PAR30 at each of the last twelve month ends, from the loans as
/// they stand: loans out by then and not closed or written off before it,
/// with only the payments made by then. (A loan rescheduled since is read
/// on its current schedule; `sakhi portfolio --as-of` gives exact history.)
fn par_over_time(loans: &[LoanWithState], as_of: NaiveDate) -> Vec<(NaiveDate, f64)> {
    let mut points = Vec::new();
    for back in (0..12).rev() {
        let Some(first) = as_of
            .with_day(1)
            .and_then(|d| d.checked_sub_months(chrono::Months::new(back)))
        else {
            continue;
        };
        let end = if back == 0 {
            as_of
        } else {
            first
                .checked_add_months(chrono::Months::new(1))
                .and_then(|d| d.pred_opt())
                .unwrap_or(first)
        };
        let states = loans.iter().filter(|l| {
            l.loan.disbursed_on.is_some_and(|d| d <= end)
                && l.loan.closed_on.is_none_or(|c| c > end)
                && l.loan.status != LoanStatus::Applied
        });
        let (par, _) = par_and_ageing(states.map(|l| &l.state), end);
        let ratio: f64 = par.ratio(30).try_into().unwrap_or(0.0);
        points.push((end, ratio));
    }
    points
}

pub async fn program_page(
    State(state): State<AppState>,
    session: Session,
    Query(format): Query<Format>,
) -> Result<Response, PageError> {
    require(&session.principal, Action::LinkageReports)?;
    let csv = match format.format.as_str() {
        "" | "html" => false,
        "csv" => true,
        _ => return Err(AppError::invalid("format", "html or csv").into()),
    };
    let as_of = today();
    // One read of every loan serves PAR over time, group health and the
    // women's facts.
    let loans = state.store.loans(None).await?;
    let par = par_over_time(&loans, as_of);
    let health = super::staff::group_health(&state, &loans, as_of).await?;
    let facts = all_facts(&state, loans).await?;
    let incidents: Vec<_> = state
        .store
        .all_incidents()
        .await?
        .into_iter()
        .map(|i| i.incident)
        .collect();
    let export = program_report(&facts, &incidents, as_of).export();
    // Rehabilitation status by loan standing exists only for the whole
    // program, and leaves it suppressed like every other count.
    let crosstab =
        rehab_status_by_loan_standing(ProgramScope::whole_program(), &facts, as_of).suppress();
    access::log(
        &state,
        &session.principal,
        None,
        if csv { "export" } else { "linkage_report" },
        "/reports/linkage",
        None,
    )
    .await?;
    let lang = session.lang;
    let lines = lines(&export, &crosstab, lang);
    if csv {
        let mut out =
            String::from("section,label,value_1,value_2,value_3,value_4,value_5,value_6\n");
        for l in &lines {
            let mut row = vec![l.section.to_string(), l.label.clone()];
            row.extend(l.values.iter().cloned());
            let quoted: Vec<String> = row
                .iter()
                .map(|v| format!("\"{}\"", defuse_formula(v).replace('"', "\"\"")))
                .collect();
            out.push_str(&quoted.join(","));
            out.push('\n');
        }
        return Ok((
            [
                (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
                (
                    header::CONTENT_DISPOSITION,
                    "attachment; filename=\"sakhi-linkage.csv\"",
                ),
                (header::CACHE_CONTROL, "private, no-store"),
            ],
            out,
        )
            .into_response());
    }
    let survival_points: Vec<(f64, f64)> = std::iter::once((0.0, 1.0))
        .chain(export.survival.monthly.iter().filter_map(|(m, r)| match r {
            Rate::Shown(v) => Some((f64::from(*m), *v)),
            _ => None,
        }))
        .collect();
    let survival_chart = chart_or_nothing(charts::step_chart(
        &Axes {
            x_label: t(lang, "linkage.months_since_start").to_string(),
            empty_message: t(lang, "linkage.too_few").to_string(),
            ..Axes::default()
        },
        &[Series {
            name: String::new(),
            points: if survival_points.len() > 1 {
                survival_points
            } else {
                Vec::new()
            },
        }],
        360,
        220,
    ));
    let trend_months: Vec<NaiveDate> = export.income_trend.iter().map(|m| m.month).collect();
    let trend_chart = chart_or_nothing(charts::line_chart(
        &Axes {
            x_ticks: month_ticks(&trend_months),
            y_min: 0.0,
            y_max: 1.0,
            y_format: YFormat::Percent,
            empty_message: t(lang, "linkage.too_few").to_string(),
            ..Axes::default()
        },
        &[Series {
            name: String::new(),
            points: export
                .income_trend
                .iter()
                .enumerate()
                .filter_map(|(i, m)| match m.share_outside_sex_work {
                    Rate::Shown(v) => Some((i as f64, v)),
                    _ => None,
                })
                .collect(),
        }],
        360,
        220,
    ));
    let par_months: Vec<NaiveDate> = par.iter().map(|(d, _)| *d).collect();
    let par_chart = chart_or_nothing(charts::line_chart(
        &Axes {
            x_ticks: month_ticks(&par_months),
            y_format: YFormat::Percent,
            empty_message: t(lang, "linkage.too_few").to_string(),
            ..Axes::default()
        },
        &[Series {
            name: String::new(),
            points: par
                .iter()
                .enumerate()
                .map(|(i, (_, r))| (i as f64, *r))
                .collect(),
        }],
        360,
        220,
    ));
    let mut ctx = page_context(&session);
    ctx.insert("as_of", &as_of);
    ctx.insert("lines", &lines);
    ctx.insert("survival_chart", &survival_chart);
    ctx.insert("trend_chart", &trend_chart);
    ctx.insert("par_chart", &par_chart);
    ctx.insert("groups", &health);
    ctx.insert("standings", &crosstab.column_labels);
    Ok(render(&state, "linkage.html", lang, ctx)
        .await?
        .into_response())
}
