//! Failed-login throttling.
//!
//! [`decide`] is a pure function of the policy, the current time and the
//! timestamps of earlier failed logins, kept per account and per client
//! address by the caller (in the database, or in the in-memory
//! [`FailureLog`] here). Typical use in a login handler:
//!
//! 1. `decide(&policy, now, &log.recent("acct:NAME", ..), &log.recent("addr:IP", ..))`;
//! 2. [`Decision::Locked`]: refuse without checking the password (and say
//!    until when); [`Decision::Delay`]: wait that long before checking
//!    (or answer 429 with `Retry-After`); [`Decision::Allow`]: go on;
//! 3. on a wrong password record a failure under **both** keys; on success
//!    clear the account key (leave the address key to expire).
//!
//! Record failures for unknown usernames too (and run
//! [`dummy_verify`](super::password::dummy_verify)), so the throttle does
//! not reveal which accounts exist. Steps 1 and 3 are not atomic: several
//! concurrent requests may all be judged before any of their failures is
//! recorded, so a burst can exceed the limits by the number of requests in
//! flight; the per-address limit bounds that.

use std::collections::{HashMap, VecDeque};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration as StdDuration;

use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};

/// Tunables of [`decide`]. See [`decide`] for the exact rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ThrottlePolicy {
    /// Failures per account within the window that cost nothing (5).
    pub per_account_free: u32,
    /// Failures per client address within the window that cost nothing (20).
    pub per_address_free: u32,
    /// Only failures younger than this count (15 minutes). A zero or
    /// negative window disables throttling.
    pub window: chrono::Duration,
    /// Delay unit (1 s); see [`decide`].
    pub base_delay: StdDuration,
    /// Cap on any delay (30 s).
    pub max_delay: StdDuration,
    /// Failures per account within the window that lock it (10); 0 never
    /// locks.
    pub lock_after: u32,
    /// Failures per address within the window that lock the address (100);
    /// 0 never locks.
    pub address_lock_after: u32,
}

impl Default for ThrottlePolicy {
    fn default() -> Self {
        ThrottlePolicy {
            per_account_free: 5,
            per_address_free: 20,
            window: chrono::Duration::minutes(15),
            base_delay: StdDuration::from_secs(1),
            max_delay: StdDuration::from_secs(30),
            lock_after: 10,
            address_lock_after: 100,
        }
    }
}

/// What to do with a login attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Check the credentials now.
    Allow,
    /// Check the credentials only after this delay.
    Delay(StdDuration),
    /// Do not check the credentials; refuse until `until`.
    Locked {
        /// When the lock ends: the last counted failure plus the window.
        until: DateTime<Utc>,
    },
}

/// How many failures fall in the window, and the latest of them.
struct Tally {
    count: u32,
    last: Option<DateTime<Utc>>,
}

fn tally(window_start: Option<DateTime<Utc>>, failures: &[DateTime<Utc>]) -> Tally {
    let mut tally = Tally {
        count: 0,
        last: None,
    };
    for &t in failures {
        if window_start.is_none_or(|start| t > start) {
            tally.count = tally.count.saturating_add(1);
            tally.last = Some(tally.last.map_or(t, |last| last.max(t)));
        }
    }
    tally
}

/// `base × 2^excess`, capped at `max` (and saturating instead of
/// overflowing).
fn backoff(policy: &ThrottlePolicy, excess: u32) -> StdDuration {
    1u32.checked_shl(excess)
        .and_then(|factor| policy.base_delay.checked_mul(factor))
        .map_or(policy.max_delay, |d| d.min(policy.max_delay))
}

fn judge(policy: &ThrottlePolicy, tally: &Tally, free: u32, lock_after: u32) -> Decision {
    match tally.last {
        Some(last) if lock_after > 0 && tally.count >= lock_after => Decision::Locked {
            until: last
                .checked_add_signed(policy.window)
                .unwrap_or(DateTime::<Utc>::MAX_UTC),
        },
        _ if tally.count > free => Decision::Delay(backoff(policy, tally.count - free)),
        _ => Decision::Allow,
    }
}

/// The stricter of two decisions: any lock beats any delay beats allow; of
/// two locks the later `until`, of two delays the longer.
fn stricter(a: Decision, b: Decision) -> Decision {
    use Decision::{Allow, Delay, Locked};
    match (a, b) {
        (Locked { until: x }, Locked { until: y }) => Locked { until: x.max(y) },
        (l @ Locked { .. }, _) | (_, l @ Locked { .. }) => l,
        (Delay(x), Delay(y)) => Delay(x.max(y)),
        (d @ Delay(_), Allow) | (Allow, d @ Delay(_)) => d,
        (Allow, Allow) => Allow,
    }
}

/// Decide whether a login attempt may proceed, given the failed attempts
/// recorded for the account and for the client address.
///
/// **Counting.** A failure at time `t` counts iff `t > now − window`
/// (strictly younger than the window; timestamps after `now`, e.g. from
/// clock skew, count as well). The slices need not be sorted. Let `a` be
/// the account count and `r` the address count.
///
/// **Account rule.**
/// * `a ≥ lock_after` (and `lock_after > 0`): `Locked { until: last + window }`
///   where `last` is the latest counted account failure;
/// * else `a > per_account_free`:
///   `Delay(min(base_delay × 2^(a − per_account_free), max_delay))`;
/// * else `Allow`.
///
/// **Address rule.** The same with `r`, `per_address_free` and
/// `address_lock_after`.
///
/// **Result.** The stricter of the two: a lock beats a delay beats allow;
/// two locks give the later `until`, two delays the longer one.
///
/// With the defaults (5 free, 1 s base, 30 s cap, lock at 10, 15 min) an
/// account with 0–5 recent failures is allowed; 6 → 2 s, 7 → 4 s,
/// 8 → 8 s, 9 → 16 s; 10 or more → locked until the last failure + 15 min.
/// An address with up to 20 failures is allowed; 21 → 2 s, 22 → 4 s,
/// 23 → 8 s, 24 → 16 s, 25–99 → 30 s (cap); 100 or more → locked until its
/// last failure + 15 min. Because only failures inside the window count, a
/// lock lifts by itself once the last failure is `window` old.
pub fn decide(
    policy: &ThrottlePolicy,
    now: DateTime<Utc>,
    account_failures: &[DateTime<Utc>],
    address_failures: &[DateTime<Utc>],
) -> Decision {
    if policy.window <= chrono::Duration::zero() {
        return Decision::Allow;
    }
    // `None` (window reaches before the representable past): all count.
    let window_start = now.checked_sub_signed(policy.window);
    let account = judge(
        policy,
        &tally(window_start, account_failures),
        policy.per_account_free,
        policy.lock_after,
    );
    let address = judge(
        policy,
        &tally(window_start, address_failures),
        policy.per_address_free,
        policy.address_lock_after,
    );
    stricter(account, address)
}

/// Keys longer than this are stored as `sha256:<hex>` of the key, so a
/// client sending a megabyte "username" cannot make the log hold it.
const MAX_KEY_LEN: usize = 128;

fn bounded_key(key: &str) -> std::borrow::Cow<'_, str> {
    if key.len() <= MAX_KEY_LEN {
        std::borrow::Cow::Borrowed(key)
    } else {
        std::borrow::Cow::Owned(format!("sha256:{:x}", Sha256::digest(key.as_bytes())))
    }
}

/// Bounded in-memory record of failure timestamps per key, for a single
/// server process (use the database when several processes share logins).
/// Keys are free-form; the convention is `"acct:<username>"` and
/// `"addr:<ip>"`.
///
/// Bounds:
/// * entries older than the retention period are dropped from a key
///   whenever that key is written, and from all keys when the log is full;
/// * a key keeps at most `max_per_key` timestamps (oldest dropped) — keep
///   this above the policy's lock thresholds;
/// * at most `max_keys` keys; when a new key arrives and the log is still
///   full after pruning, the key whose most recent failure was recorded
///   longest ago is evicted (an O(keys) scan, only when full).
///
/// Eviction means an attacker who can generate `max_keys` fresh keys can
/// make the log forget an account; the per-address limit makes that costly,
/// and a database-backed record has no such limit.
#[derive(Debug)]
pub struct FailureLog {
    entries: Mutex<HashMap<String, VecDeque<DateTime<Utc>>>>,
    retention: chrono::Duration,
    max_keys: usize,
    max_per_key: usize,
}

impl Default for FailureLog {
    /// [`FailureLog::for_policy`] of the default policy: 15 min retention,
    /// 10 000 keys, 101 timestamps per key.
    fn default() -> Self {
        Self::for_policy(&ThrottlePolicy::default())
    }
}

impl FailureLog {
    /// Default bound on the number of keys.
    pub const DEFAULT_MAX_KEYS: usize = 10_000;

    /// A log keeping failures for `retention`, at most `max_keys` keys
    /// (at least 1) and `max_per_key` timestamps per key (at least 1).
    pub fn new(retention: chrono::Duration, max_keys: usize, max_per_key: usize) -> Self {
        FailureLog {
            entries: Mutex::new(HashMap::new()),
            retention,
            max_keys: max_keys.max(1),
            max_per_key: max_per_key.max(1),
        }
    }

    /// A log sized for `policy`: retention = its window, enough timestamps
    /// per key to reach both lock thresholds, [`Self::DEFAULT_MAX_KEYS`]
    /// keys.
    pub fn for_policy(policy: &ThrottlePolicy) -> Self {
        let per_key = policy
            .lock_after
            .max(policy.address_lock_after)
            .max(policy.per_account_free)
            .max(policy.per_address_free)
            .saturating_add(1);
        Self::new(
            policy.window,
            Self::DEFAULT_MAX_KEYS,
            usize::try_from(per_key).unwrap_or(usize::MAX),
        )
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<String, VecDeque<DateTime<Utc>>>> {
        // The map holds only timestamps; a panic elsewhere cannot leave it
        // in a state worth refusing to read.
        self.entries.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Record a failure for `key` at `now`, pruning that key's expired
    /// entries (and, if a new key finds the log full, every key's).
    pub fn record(&self, key: &str, now: DateTime<Utc>) {
        let key = bounded_key(key);
        let cutoff = now.checked_sub_signed(self.retention);
        let expired = |t: &DateTime<Utc>| cutoff.is_some_and(|c| *t <= c);
        let mut map = self.lock();

        if let Some(times) = map.get_mut(key.as_ref()) {
            times.retain(|t| !expired(t));
            times.push_back(now);
            while times.len() > self.max_per_key {
                times.pop_front();
            }
            return;
        }

        if map.len() >= self.max_keys {
            map.retain(|_, times| {
                times.retain(|t| !expired(t));
                !times.is_empty()
            });
            while map.len() >= self.max_keys {
                let oldest = map
                    .iter()
                    .min_by_key(|(_, times)| times.back().copied())
                    .map(|(k, _)| k.clone());
                match oldest {
                    Some(k) => {
                        map.remove(&k);
                    }
                    None => break,
                }
            }
        }
        map.insert(key.into_owned(), VecDeque::from([now]));
    }

    /// The failures recorded for `key` that fall inside `window` before
    /// `now` (`t > now − window`, as in [`decide`]), oldest recorded first.
    /// Entries older than the retention period may already be gone.
    pub fn recent(
        &self,
        key: &str,
        now: DateTime<Utc>,
        window: chrono::Duration,
    ) -> Vec<DateTime<Utc>> {
        if window <= chrono::Duration::zero() {
            return Vec::new();
        }
        let start = now.checked_sub_signed(window);
        let key = bounded_key(key);
        self.lock()
            .get(key.as_ref())
            .map_or_else(Vec::new, |times| {
                times
                    .iter()
                    .copied()
                    .filter(|t| start.is_none_or(|s| *t > s))
                    .collect()
            })
    }

    /// Forget `key` (e.g. the account key after a successful login).
    pub fn clear(&self, key: &str) {
        let key = bounded_key(key);
        self.lock().remove(key.as_ref());
    }

    /// Number of keys currently held.
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    /// Whether no key is held.
    pub fn is_empty(&self) -> bool {
        self.lock().is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn t0() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2025, 3, 8, 10, 0, 0).single().unwrap()
    }
    fn secs(n: i64) -> chrono::Duration {
        chrono::Duration::seconds(n)
    }
    /// `n` failures one second apart, the last at `last`.
    fn failures(n: i64, last: DateTime<Utc>) -> Vec<DateTime<Utc>> {
        (0..n).map(|i| last - secs(n - 1 - i)).collect()
    }
    fn delay(s: u64) -> Decision {
        Decision::Delay(StdDuration::from_secs(s))
    }

    #[test]
    fn account_free_then_doubling_then_lock() {
        let p = ThrottlePolicy::default();
        let now = t0();
        assert_eq!(decide(&p, now, &[], &[]), Decision::Allow);
        assert_eq!(decide(&p, now, &failures(4, now), &[]), Decision::Allow);
        assert_eq!(decide(&p, now, &failures(5, now), &[]), Decision::Allow);
        // 1 s × 2^(n − 5)
        assert_eq!(decide(&p, now, &failures(6, now), &[]), delay(2));
        assert_eq!(decide(&p, now, &failures(7, now), &[]), delay(4));
        assert_eq!(decide(&p, now, &failures(8, now), &[]), delay(8));
        assert_eq!(decide(&p, now, &failures(9, now), &[]), delay(16));
        let last = now - secs(30);
        for n in [10, 11, 50] {
            assert_eq!(
                decide(&p, now, &failures(n, last), &[]),
                Decision::Locked {
                    until: last + chrono::Duration::minutes(15)
                },
                "{n}"
            );
        }
    }

    #[test]
    fn delay_is_capped() {
        let p = ThrottlePolicy {
            lock_after: 0, // never lock, to see the cap
            ..ThrottlePolicy::default()
        };
        let now = t0();
        assert_eq!(decide(&p, now, &failures(10, now), &[]), delay(30)); // 32 → 30
        assert_eq!(decide(&p, now, &failures(60, now), &[]), delay(30)); // 2^55: no overflow
        let f = failures(5000, now);
        let p2 = ThrottlePolicy {
            window: chrono::Duration::days(1),
            ..p
        };
        assert_eq!(decide(&p2, now, &f, &[]), delay(30));
    }

    #[test]
    fn only_failures_inside_window_count() {
        let p = ThrottlePolicy::default();
        let now = t0();
        let window = chrono::Duration::minutes(15);
        // 20 old failures (exactly at the window edge or older) + 4 recent.
        let mut f: Vec<_> = (0..20).map(|i| now - window - secs(i)).collect();
        f.extend(failures(4, now));
        assert_eq!(decide(&p, now, &f, &[]), Decision::Allow);
        // One second inside the edge counts.
        f.push(now - window + secs(1));
        f.push(now - window + secs(2));
        assert_eq!(decide(&p, now, &f, &[]), delay(2));
        // Unsorted input: `until` uses the latest failure.
        let last = now - secs(5);
        let mut f = failures(9, now - secs(60));
        f.insert(3, last);
        assert_eq!(
            decide(&p, now, &f, &[]),
            Decision::Locked {
                until: last + window
            }
        );
        // The lock lifts once the last failure is a window old.
        let later = last + window;
        assert_eq!(decide(&p, later, &f, &[]), Decision::Allow);
        assert_eq!(
            decide(&p, later - secs(1), &f, &[]),
            Decision::Allow,
            "only the newest failure is still inside"
        );
    }

    #[test]
    fn address_limits() {
        let p = ThrottlePolicy::default();
        let now = t0();
        assert_eq!(decide(&p, now, &[], &failures(20, now)), Decision::Allow);
        assert_eq!(decide(&p, now, &[], &failures(21, now)), delay(2));
        assert_eq!(decide(&p, now, &[], &failures(24, now)), delay(16));
        assert_eq!(decide(&p, now, &[], &failures(25, now)), delay(30));
        assert_eq!(decide(&p, now, &[], &failures(99, now)), delay(30));
        let last = now - secs(1);
        assert_eq!(
            decide(&p, now, &[], &failures(100, last)),
            Decision::Locked {
                until: last + chrono::Duration::minutes(15)
            }
        );
        // Stricter of the two: longer delay wins; a lock beats a delay.
        assert_eq!(
            decide(&p, now, &failures(6, now), &failures(23, now)),
            delay(8)
        );
        assert_eq!(
            decide(&p, now, &failures(8, now), &failures(21, now)),
            delay(8)
        );
        assert_eq!(
            decide(&p, now, &failures(10, last), &failures(21, now)),
            Decision::Locked {
                until: last + chrono::Duration::minutes(15)
            }
        );
        let acct_last = now - secs(100);
        assert_eq!(
            decide(&p, now, &failures(10, acct_last), &failures(100, last)),
            Decision::Locked {
                until: last + chrono::Duration::minutes(15)
            }
        );
    }

    #[test]
    fn degenerate_policies_do_not_panic() {
        let now = t0();
        let zero_window = ThrottlePolicy {
            window: chrono::Duration::zero(),
            ..ThrottlePolicy::default()
        };
        assert_eq!(
            decide(&zero_window, now, &failures(50, now), &[]),
            Decision::Allow
        );
        let huge = ThrottlePolicy {
            window: chrono::TimeDelta::MAX,
            base_delay: StdDuration::MAX,
            ..ThrottlePolicy::default()
        };
        let far = DateTime::<Utc>::MAX_UTC;
        assert_eq!(
            decide(&huge, now, &[far; 10], &[]),
            Decision::Locked { until: far }
        );
        assert_eq!(decide(&huge, now, &failures(6, now), &[]), delay(30));
    }

    #[test]
    fn failure_log_records_prunes_and_clears() {
        let log = FailureLog::default();
        let now = t0();
        let window = chrono::Duration::minutes(15);
        assert!(log.is_empty());
        log.record("acct:priya", now - chrono::Duration::minutes(20));
        log.record("acct:priya", now - chrono::Duration::minutes(10));
        log.record("acct:priya", now);
        log.record("addr:1.2.3.4", now);
        assert_eq!(log.len(), 2);
        assert_eq!(
            log.recent("acct:priya", now, window),
            vec![now - chrono::Duration::minutes(10), now]
        );
        assert_eq!(log.recent("acct:priya", now, secs(60)), vec![now]);
        assert!(log.recent("acct:nobody", now, window).is_empty());

        // Writing prunes entries older than the retention (15 min).
        let later = now + chrono::Duration::minutes(12);
        log.record("acct:priya", later);
        assert_eq!(
            log.recent("acct:priya", later, chrono::Duration::days(1)),
            vec![now, later]
        );

        log.clear("acct:priya");
        assert!(log.recent("acct:priya", later, window).is_empty());
        assert_eq!(log.len(), 1);
        log.clear("acct:priya"); // clearing twice is fine
    }

    #[test]
    fn failure_log_caps_per_key() {
        let log = FailureLog::new(chrono::Duration::hours(1), 10, 3);
        let now = t0();
        for i in 0..10 {
            log.record("addr:5.6.7.8", now + secs(i));
        }
        assert_eq!(
            log.recent("addr:5.6.7.8", now + secs(9), chrono::Duration::hours(1)),
            vec![now + secs(7), now + secs(8), now + secs(9)]
        );
        // The default log keeps enough to reach the address lock.
        let log = FailureLog::default();
        for i in 0..150 {
            log.record("addr:5.6.7.8", now + secs(i));
        }
        let recent = log.recent(
            "addr:5.6.7.8",
            now + secs(150),
            chrono::Duration::minutes(15),
        );
        assert!(recent.len() >= 100);
        assert!(matches!(
            decide(&ThrottlePolicy::default(), now + secs(150), &[], &recent),
            Decision::Locked { .. }
        ));
    }

    #[test]
    fn failure_log_evicts_least_recently_written_key() {
        let log = FailureLog::new(chrono::Duration::minutes(15), 3, 10);
        let now = t0();
        let window = chrono::Duration::minutes(15);
        log.record("acct:a", now);
        log.record("acct:b", now + secs(1));
        log.record("acct:c", now + secs(2));
        log.record("acct:a", now + secs(3)); // a is now the freshest
        log.record("acct:d", now + secs(4)); // full: evicts b
        assert_eq!(log.len(), 3);
        let at = now + secs(4);
        assert!(log.recent("acct:b", at, window).is_empty());
        assert_eq!(log.recent("acct:a", at, window).len(), 2);
        assert_eq!(log.recent("acct:c", at, window).len(), 1);
        assert_eq!(log.recent("acct:d", at, window).len(), 1);

        // When full, expired keys are pruned first instead of evicting live ones.
        // At `much_later` the cutoff is now+2 s: c (now+2 s) and a's first
        // entry expire, a's second (now+3 s) and d (now+4 s) live on.
        let much_later = now + chrono::Duration::minutes(15) + secs(2);
        log.record("acct:e", much_later);
        assert_eq!(log.len(), 3);
        assert!(log.recent("acct:c", much_later, window).is_empty());
        assert_eq!(log.recent("acct:a", much_later, window).len(), 1);
        assert_eq!(log.recent("acct:d", much_later, window).len(), 1);
        assert_eq!(log.recent("acct:e", much_later, window).len(), 1);
    }

    #[test]
    fn failure_log_is_bounded_under_key_spray() {
        let log = FailureLog::new(chrono::Duration::minutes(15), 100, 5);
        let now = t0();
        for i in 0..1_000 {
            log.record(&format!("addr:10.0.{}.{}", i / 256, i % 256), now);
        }
        assert_eq!(log.len(), 100);
        // Very long keys are stored hashed but still found.
        let long = format!("acct:{}", "x".repeat(1 << 16));
        log.record(&long, now);
        assert_eq!(log.recent(&long, now, secs(60)), vec![now]);
        log.clear(&long);
        assert!(log.recent(&long, now, secs(60)).is_empty());
    }

    #[test]
    fn failure_log_is_shareable_across_threads() {
        let log = std::sync::Arc::new(FailureLog::default());
        let now = t0();
        let handles: Vec<_> = (0..4)
            .map(|_| {
                let log = std::sync::Arc::clone(&log);
                std::thread::spawn(move || {
                    for i in 0..10 {
                        log.record("acct:shared", now + secs(i));
                    }
                })
            })
            .collect();
        for h in handles {
            h.join().unwrap();
        }
        assert_eq!(
            log.recent("acct:shared", now + secs(10), chrono::Duration::minutes(15))
                .len(),
            40
        );
    }
}
