//! Date arithmetic the linkage rules share: whole months, days between,
//! calendar quarters.

use chrono::{Datelike, Days, Months, NaiveDate};

/// Whole calendar months from `from` to `to`: the largest `m` with
/// `from + m months <= to` (a month added to 31 January lands on the last
/// day of February). `None` when `to` is before `from`.
pub fn whole_months(from: NaiveDate, to: NaiveDate) -> Option<u32> {
    if to < from {
        return None;
    }
    let span = (to.year() - from.year()) * 12 + to.month() as i32 - from.month() as i32;
    let mut m = u32::try_from(span).ok()?;
    while m > 0
        && from
            .checked_add_months(Months::new(m))
            .is_none_or(|d| d > to)
    {
        m -= 1;
    }
    Some(m)
}

/// `to - from` in days (negative when `to` is earlier).
pub fn days_between(from: NaiveDate, to: NaiveDate) -> i64 {
    (to - from).num_days()
}

/// `date + days`, saturating at the calendar's end.
pub fn plus_days(date: NaiveDate, days: u64) -> NaiveDate {
    date.checked_add_days(Days::new(days))
        .unwrap_or(NaiveDate::MAX)
}

/// The first day of the month `months` after the month of `date`.
pub fn month_start_after(date: NaiveDate, months: u32) -> Option<NaiveDate> {
    date.with_day(1)?.checked_add_months(Months::new(months))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn whole_months_count_completed_calendar_months() {
        assert_eq!(whole_months(d(2026, 1, 15), d(2026, 7, 14)), Some(5));
        assert_eq!(whole_months(d(2026, 1, 15), d(2026, 7, 15)), Some(6));
        assert_eq!(whole_months(d(2026, 1, 31), d(2026, 2, 28)), Some(1));
        assert_eq!(whole_months(d(2025, 12, 1), d(2026, 12, 1)), Some(12));
        assert_eq!(whole_months(d(2026, 3, 1), d(2026, 3, 1)), Some(0));
        assert_eq!(whole_months(d(2026, 3, 2), d(2026, 3, 1)), None);
    }

    #[test]
    fn month_starts_move_by_calendar_months() {
        assert_eq!(month_start_after(d(2026, 8, 20), 6), Some(d(2027, 2, 1)));
        assert_eq!(plus_days(d(2026, 1, 1), 90), d(2026, 4, 1));
    }
}
