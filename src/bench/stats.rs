//! The arithmetic of the printed figures, kept pure so it can be tested:
//! percentiles, medians, and the peak memory line of `/proc/<pid>/status`.

use std::time::Duration;

/// The nearest-rank percentile of samples sorted in ascending order: the
/// smallest sample with at least `p` per cent of all samples at or below it.
/// No interpolation, so every figure printed is a time that was measured.
/// `None` for no samples.
pub fn percentile(sorted: &[u64], p: f64) -> Option<u64> {
    let last = sorted.len().checked_sub(1)?;
    let p = if p.is_nan() {
        100.0
    } else {
        p.clamp(0.0, 100.0)
    };
    // Rank counts from 1; p = 0 is the smallest sample.
    let rank = (p / 100.0 * sorted.len() as f64).ceil() as usize;
    sorted.get(rank.saturating_sub(1).min(last)).copied()
}

/// Latency figures in microseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Latency {
    pub count: usize,
    pub p50: u64,
    pub p95: u64,
    pub p99: u64,
    pub max: u64,
}

impl Latency {
    /// Sorts the samples (microseconds) in place; `None` for no samples.
    pub fn of(samples: &mut [u64]) -> Option<Latency> {
        samples.sort_unstable();
        Some(Latency {
            count: samples.len(),
            p50: percentile(samples, 50.0)?,
            p95: percentile(samples, 95.0)?,
            p99: percentile(samples, 99.0)?,
            max: *samples.last()?,
        })
    }
}

/// Microseconds as milliseconds with two decimals, for printing.
pub fn ms(micros: u64) -> String {
    format!("{:.2}", micros as f64 / 1_000.0)
}

/// The median of durations (the lower middle one for an even count), so one
/// slow run (a cold cache, a neighbour's build) does not move the figure.
pub fn median(samples: &mut [Duration]) -> Option<Duration> {
    samples.sort_unstable();
    let middle = samples.len().checked_sub(1)? / 2;
    samples.get(middle).copied()
}

/// The peak resident set size in KiB from the text of `/proc/<pid>/status`
/// (`VmHWM:     51234 kB`). `None` when the line is missing or not in kB.
pub fn vm_hwm_kib(status: &str) -> Option<u64> {
    let rest = status.lines().find_map(|l| l.strip_prefix("VmHWM:"))?;
    let mut words = rest.split_whitespace();
    let value = words.next()?.parse::<u64>().ok()?;
    match (words.next(), words.next()) {
        (Some("kB"), None) => Some(value),
        _ => None,
    }
}

/// "met", or by how much a figure that should reach `goal` fell short.
pub fn verdict_at_least(measured: f64, goal: f64) -> String {
    if measured >= goal {
        "met".into()
    } else {
        format!(
            "MISSED by {:.0}% ({:.0} short)",
            (goal - measured) / goal * 100.0,
            goal - measured
        )
    }
}

/// "met", or how many times over `goal` a figure that should stay below it is.
pub fn verdict_below(measured: f64, goal: f64) -> String {
    if measured < goal {
        "met".into()
    } else {
        format!("MISSED ({:.1}x the goal)", measured / goal)
    }
}

/// User plus system CPU time, in clock ticks, from the text of
/// `/proc/<pid>/stat` (fields 14 and 15). The fields are counted after the
/// last `)`, since the command name in parentheses may hold spaces.
pub fn cpu_ticks(stat: &str) -> Option<u64> {
    let (_, rest) = stat.rsplit_once(')')?;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // `rest` starts at field 3 (the state), so field n is at index n - 3.
    let utime = fields.get(11)?.parse::<u64>().ok()?;
    let stime = fields.get(12)?.parse::<u64>().ok()?;
    utime.checked_add(stime)
}

/// Clock ticks per second in `/proc` figures: `USER_HZ`, 100 on Linux
/// whatever the kernel's own tick rate.
pub const TICKS_PER_SECOND: f64 = 100.0;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_are_nearest_rank_without_interpolation() {
        let samples: Vec<u64> = (1..=100).collect();
        assert_eq!(percentile(&samples, 50.0), Some(50));
        assert_eq!(percentile(&samples, 95.0), Some(95));
        assert_eq!(percentile(&samples, 99.0), Some(99));
        assert_eq!(percentile(&samples, 100.0), Some(100));
        assert_eq!(percentile(&samples, 0.0), Some(1));
        // Ten samples: p95 needs 9.5 of them, so the 10th; p50 the 5th.
        let ten = [10, 20, 30, 40, 50, 60, 70, 80, 90, 1_000];
        assert_eq!(percentile(&ten, 95.0), Some(1_000));
        assert_eq!(percentile(&ten, 50.0), Some(50));
        assert_eq!(percentile(&ten, 51.0), Some(60));
    }

    #[test]
    fn a_percentile_of_nothing_is_none_and_of_one_sample_is_that_sample() {
        assert_eq!(percentile(&[], 50.0), None);
        assert_eq!(percentile(&[7], 0.0), Some(7));
        assert_eq!(percentile(&[7], 99.0), Some(7));
    }

    #[test]
    fn out_of_range_percentages_are_clamped() {
        assert_eq!(percentile(&[1, 2, 3], -5.0), Some(1));
        assert_eq!(percentile(&[1, 2, 3], 250.0), Some(3));
        assert_eq!(percentile(&[1, 2, 3], f64::NAN), Some(3));
    }

    #[test]
    fn latency_figures_sort_their_samples_first() {
        let mut samples = vec![900, 100, 300, 200, 5_000, 400, 600, 500, 800, 700];
        let l = Latency::of(&mut samples);
        assert_eq!(
            l,
            Some(Latency {
                count: 10,
                p50: 500,
                p95: 5_000,
                p99: 5_000,
                max: 5_000
            })
        );
        assert_eq!(Latency::of(&mut []), None);
        assert_eq!(ms(12_345), "12.35");
    }

    #[test]
    fn the_median_is_the_middle_run() {
        let d = Duration::from_millis;
        assert_eq!(median(&mut [d(9), d(1), d(5)]), Some(d(5)));
        assert_eq!(median(&mut [d(4), d(1), d(3), d(2)]), Some(d(2)));
        assert_eq!(median(&mut []), None);
    }

    #[test]
    fn verdicts_say_met_or_by_how_much_a_goal_was_missed() {
        assert_eq!(verdict_at_least(3_100.0, 3_000.0), "met");
        assert_eq!(verdict_at_least(3_000.0, 3_000.0), "met");
        assert_eq!(
            verdict_at_least(750.0, 3_000.0),
            "MISSED by 75% (2250 short)"
        );
        assert_eq!(verdict_below(49.9, 50.0), "met");
        assert_eq!(verdict_below(50.0, 50.0), "MISSED (1.0x the goal)");
        assert_eq!(verdict_below(125.0, 50.0), "MISSED (2.5x the goal)");
    }

    #[test]
    fn cpu_time_is_user_plus_system_ticks_counted_after_the_name() {
        let stat = "4242 (sakhi serve) S 1 4242 4242 0 -1 4194560 900 0 0 0 \
                    1234 56 0 0 20 0 9 0 100 912340000 12800 18446744073709551615";
        assert_eq!(cpu_ticks(stat), Some(1_290));
        assert_eq!(cpu_ticks("4242 (sakhi) S 1 2 3"), None);
        assert_eq!(cpu_ticks("no parentheses here"), None);
    }

    #[test]
    fn peak_memory_is_read_from_the_vmhwm_line() {
        let status = "Name:\tsakhi\nVmPeak:\t  912340 kB\nVmSize:\t  900000 kB\n\
                      VmHWM:\t   51234 kB\nVmRSS:\t   49000 kB\nThreads:\t5\n";
        assert_eq!(vm_hwm_kib(status), Some(51_234));
    }

    #[test]
    fn a_missing_or_strange_vmhwm_line_gives_nothing() {
        assert_eq!(vm_hwm_kib("Name:\tsakhi\nVmRSS:\t 49000 kB\n"), None);
        assert_eq!(vm_hwm_kib("VmHWM:\t 51234 MB\n"), None);
        assert_eq!(vm_hwm_kib("VmHWM:\t lots kB\n"), None);
        assert_eq!(vm_hwm_kib("VmHWM:\n"), None);
        assert_eq!(vm_hwm_kib("VmHWM:\t 1 kB extra\n"), None);
        // A name that only starts like the field is not the field.
        assert_eq!(vm_hwm_kib("XVmHWM:\t 1 kB\n"), None);
    }
}
