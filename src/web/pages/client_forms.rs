//! Reading the client record's forms into checked domain values. Each field
//! is named in its refusal, and a refusal never repeats what was typed.

use crate::ledger::LoanId;
use crate::money::{Currency, Money, Sign};
use crate::outcomes::{Business, IncidentAction};
use crate::outcomes::{
    BusinessCheck, Code, ConsentEvent, DetoxEpisode, Identity, Incident, MonthlyIncome, OstChange,
    Record, ReintegrationEvent, Relapse, Review, ShelterStay, StatusCheck, Training,
};
use crate::web::session::CheckedForm;
use crate::web::AppError;
use chrono::{DateTime, Local, NaiveDate, NaiveDateTime, TimeZone, Utc};

fn date(form: &CheckedForm, name: &'static str) -> Result<NaiveDate, AppError> {
    opt_date(form, name)?.ok_or_else(|| AppError::invalid(name, "is required"))
}

fn opt_date(form: &CheckedForm, name: &'static str) -> Result<Option<NaiveDate>, AppError> {
    let text = form.get(name).trim();
    if text.is_empty() {
        return Ok(None);
    }
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .map(Some)
        .map_err(|_| AppError::invalid(name, "a date like 2026-11-23"))
}

/// A `datetime-local` field, read in the server's time zone (the program's).
fn opt_instant(form: &CheckedForm, name: &'static str) -> Result<Option<DateTime<Utc>>, AppError> {
    let text = form.get(name).trim();
    if text.is_empty() {
        return Ok(None);
    }
    let local = NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M")
        .or_else(|_| NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S"))
        .map_err(|_| AppError::invalid(name, "a date and time like 2026-11-23T14:30"))?;
    Local
        .from_local_datetime(&local)
        .earliest()
        .map(|t| Some(t.with_timezone(&Utc)))
        .ok_or_else(|| AppError::invalid(name, "that time does not exist here"))
}

fn code<T: Code>(form: &CheckedForm, name: &'static str) -> Result<T, AppError> {
    Ok(T::parse(name, form.get(name))?)
}

fn opt_code<T: Code>(form: &CheckedForm, name: &'static str) -> Result<Option<T>, AppError> {
    if form.get(name).trim().is_empty() {
        return Ok(None);
    }
    code(form, name).map(Some)
}

fn days(form: &CheckedForm, name: &'static str) -> Result<u8, AppError> {
    form.get(name)
        .trim()
        .parse::<u8>()
        .map_err(|_| AppError::invalid(name, "a whole number of days from 0 to 28"))
}

fn checked(form: &CheckedForm, name: &str) -> bool {
    !form.get(name).is_empty()
}

/// A record of the kind the form is for. `her_loans` are the loans of her
/// member accounts: a business can name only those.
pub fn record(
    kind: &str,
    form: &CheckedForm,
    her_loans: &[LoanId],
    her_businesses: &[(i64, NaiveDate)],
    today: NaiveDate,
) -> Result<Record, AppError> {
    Ok(match kind {
        "detox" => Record::Detox(DetoxEpisode::new(
            code(form, "setting")?,
            date(form, "started_on")?,
            opt_date(form, "ended_on")?,
            opt_code(form, "outcome")?,
            today,
        )?),
        "ost" => Record::Ost(OstChange::new(
            date(form, "effective_on")?,
            code(form, "status")?,
            today,
        )?),
        "shelter" => Record::Shelter(ShelterStay::new(
            date(form, "admitted_on")?,
            opt_date(form, "exited_on")?,
            code(form, "reason")?,
            today,
        )?),
        "training" => Record::Training(Training::new(
            form.get("course"),
            date(form, "started_on")?,
            opt_date(form, "ended_on")?,
            checked(form, "completed"),
            today,
        )?),
        "reintegration" => Record::Reintegration(ReintegrationEvent::new(
            date(form, "on")?,
            code(form, "event")?,
            today,
        )?),
        "relapse" => Record::Relapse(Relapse::new(
            date(form, "on")?,
            code(form, "reported_by")?,
            today,
        )?),
        "review" => {
            let wellbeing = form
                .get("wellbeing")
                .trim()
                .parse::<u8>()
                .map_err(|_| AppError::invalid("wellbeing", "a whole number from 0 to 20"))?;
            Record::Review(Review::new(
                date(form, "on")?,
                days(form, "days_used")?,
                days(form, "days_injected")?,
                days(form, "days_paid_work")?,
                checked(form, "housing_problem"),
                wellbeing,
                today,
            )?)
        }
        "business" => {
            let mut loans = Vec::new();
            for text in form.get_all("loan") {
                let id: LoanId = text
                    .parse()
                    .map_err(|_| AppError::invalid("loan", "choose from her loans"))?;
                if !her_loans.contains(&id) {
                    return Err(AppError::invalid("loan", "choose from her loans"));
                }
                loans.push(id);
            }
            Record::Business(Business::new(
                code(form, "business_kind")?,
                date(form, "started_on")?,
                loans,
                today,
            )?)
        }
        "status_check" => {
            let business: i64 = form
                .get("business")
                .parse()
                .map_err(|_| AppError::invalid("business", "choose one of her businesses"))?;
            let started_on = her_businesses
                .iter()
                .find(|(id, _)| *id == business)
                .map(|(_, started)| *started)
                .ok_or_else(|| AppError::invalid("business", "choose one of her businesses"))?;
            Record::StatusCheck(BusinessCheck {
                business,
                check: StatusCheck::new(
                    date(form, "on")?,
                    code(form, "status")?,
                    started_on,
                    today,
                )?,
            })
        }
        "income" => {
            let month =
                NaiveDate::parse_from_str(&format!("{}-01", form.get("month").trim()), "%Y-%m-%d")
                    .map_err(|_| AppError::invalid("month", "a month like 2026-10"))?;
            let amount = Money::parse(form.get("amount"), Currency::inr(), Sign::NonNegative)
                .map_err(|e| AppError::invalid("amount", e.to_string()))?
                .minor();
            Record::Income(MonthlyIncome::new(
                month,
                code(form, "source")?,
                amount,
                today,
            )?)
        }
        _ => return Err(AppError::NotFound),
    })
}

pub fn consent(form: &CheckedForm, today: NaiveDate) -> Result<ConsentEvent, AppError> {
    let given = match form.get("given") {
        "1" => true,
        "0" => false,
        _ => return Err(AppError::invalid("given", "give or withdraw")),
    };
    let on = opt_date(form, "on")?.unwrap_or(today);
    Ok(ConsentEvent::new(
        code(form, "purpose")?,
        form.get("partner"),
        given,
        on,
        today,
    )?)
}

pub fn identity(form: &CheckedForm) -> Result<Identity, AppError> {
    Ok(Identity::new(
        form.get("full_name"),
        form.get("phone"),
        form.get("address"),
        form.get("family_contact"),
    )?)
}

pub fn incident(form: &CheckedForm, now: DateTime<Utc>) -> Result<Incident, AppError> {
    let mut actions = Vec::new();
    for text in form.get_all("action") {
        actions.push(IncidentAction::parse("action", text)?);
    }
    Ok(Incident::new(
        form.get("advocacy_group"),
        opt_instant(form, "reported_at")?
            .ok_or_else(|| AppError::invalid("reported_at", "is required"))?,
        code(form, "incident_kind")?,
        code(form, "perpetrator")?,
        opt_instant(form, "first_response_at")?,
        actions,
        opt_instant(form, "resolved_at")?,
        opt_code(form, "outcome")?,
        now,
    )?)
}

/// The narrative as typed: bounded, sealed before it is stored.
pub fn narrative(form: &CheckedForm) -> Result<Option<String>, AppError> {
    let text = form.get("narrative").trim();
    if text.is_empty() {
        return Ok(None);
    }
    if text.chars().count() > 4000 {
        return Err(AppError::invalid(
            "narrative",
            "must be at most 4,000 characters",
        ));
    }
    Ok(Some(text.to_string()))
}
