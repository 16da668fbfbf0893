//! Monthly income split into sex work and everything else, for one woman or
//! pooled over many. Amounts are integers; the share is for display.

use crate::outcomes::{IncomeSource, MonthlyIncome};
use chrono::NaiveDate;
use serde::Serialize;
use std::collections::BTreeMap;

/// One calendar month of income, in minor units.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct IncomeMonth {
    /// The first day of the month.
    pub month: NaiveDate,
    /// Women with income recorded that month (1 for her own series).
    pub clients: u32,
    pub total: i64,
    pub outside_sex_work: i64,
    /// `outside_sex_work / total`; `None` when nothing was earned (a share
    /// of nothing is not 0 %).
    pub share_outside_sex_work: Option<f64>,
}

#[derive(Default)]
struct Sums {
    clients: u32,
    total: i64,
    outside: i64,
}

/// Adds one woman's records for months that began on or before `as_of`.
/// Each woman counts once per month however many sources she recorded.
fn add(into: &mut BTreeMap<NaiveDate, Sums>, incomes: &[MonthlyIncome], as_of: NaiveDate) {
    let mut hers: BTreeMap<NaiveDate, (i64, i64)> = BTreeMap::new();
    for i in incomes.iter().filter(|i| i.month <= as_of) {
        let slot = hers.entry(i.month).or_default();
        slot.0 = slot.0.saturating_add(i.amount);
        if i.source != IncomeSource::SexWork {
            slot.1 = slot.1.saturating_add(i.amount);
        }
    }
    for (month, (total, outside)) in hers {
        let s = into.entry(month).or_default();
        s.clients = s.clients.saturating_add(1);
        s.total = s.total.saturating_add(total);
        s.outside = s.outside.saturating_add(outside);
    }
}

fn finish(sums: BTreeMap<NaiveDate, Sums>) -> Vec<IncomeMonth> {
    sums.into_iter()
        .map(|(month, s)| IncomeMonth {
            month,
            clients: s.clients,
            total: s.total,
            outside_sex_work: s.outside,
            // Display only.
            share_outside_sex_work: (s.total > 0).then(|| s.outside as f64 / s.total as f64),
        })
        .collect()
}

/// Her months, oldest first.
pub fn income_series(incomes: &[MonthlyIncome], as_of: NaiveDate) -> Vec<IncomeMonth> {
    pooled_income_series([incomes], as_of)
}

/// Many women's months pooled (sums of amounts, so the share is the
/// program's share of income, not the average woman's), oldest first.
pub fn pooled_income_series<'a>(
    women: impl IntoIterator<Item = &'a [MonthlyIncome]>,
    as_of: NaiveDate,
) -> Vec<IncomeMonth> {
    let mut sums = BTreeMap::new();
    for incomes in women {
        add(&mut sums, incomes, as_of);
    }
    finish(sums)
}

/// Her income in one month, as (total, outside sex work), when she recorded
/// any for it.
pub fn month_income(incomes: &[MonthlyIncome], month: NaiveDate) -> Option<(i64, i64)> {
    let mine: Vec<&MonthlyIncome> = incomes.iter().filter(|i| i.month == month).collect();
    if mine.is_empty() {
        return None;
    }
    let total = mine.iter().map(|i| i.amount).fold(0, i64::saturating_add);
    let outside = mine
        .iter()
        .filter(|i| i.source != IncomeSource::SexWork)
        .map(|i| i.amount)
        .fold(0, i64::saturating_add);
    Some((total, outside))
}
