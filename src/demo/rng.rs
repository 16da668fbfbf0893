//! A tiny deterministic PRNG (SplitMix64). The demo must come out the same for
//! the same seed on every machine and every release, so it cannot depend on a
//! crate whose algorithm might change under a version bump.

/// SplitMix64 (Steele, Lea, Flood 2014): one `u64` of state, good enough for
/// made-up attendance and amounts, and never for anything secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SplitMix64 {
    state: u64,
}

const GOLDEN_GAMMA: u64 = 0x9E37_79B9_7F4A_7C15;

impl SplitMix64 {
    pub fn new(seed: u64) -> SplitMix64 {
        SplitMix64 { state: seed }
    }

    /// An independent stream for one part of the demo (a group, the roster),
    /// so that changing how one group is simulated does not reshuffle the
    /// others.
    pub fn stream(seed: u64, stream: u64) -> SplitMix64 {
        let mut mixer = SplitMix64::new(seed ^ stream.wrapping_mul(GOLDEN_GAMMA));
        SplitMix64::new(mixer.next_u64())
    }

    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(GOLDEN_GAMMA);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (0 when `n` is 0). Multiply-and-shift instead of `%`
    /// keeps the bias negligible without a rejection loop.
    pub fn below(&mut self, n: u64) -> u64 {
        ((u128::from(self.next_u64()) * u128::from(n)) >> 64) as u64
    }

    /// Uniform in `lo..=hi`; `lo` when the range is empty.
    pub fn range(&mut self, lo: i64, hi: i64) -> i64 {
        if hi <= lo {
            return lo;
        }
        let span = hi.abs_diff(lo).saturating_add(1);
        lo.saturating_add_unsigned(self.below(span))
    }

    /// True `percent` times in a hundred.
    pub fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }

    /// One element, or `None` from an empty slice.
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> Option<&'a T> {
        let n = u64::try_from(items.len()).ok()?;
        items.get(usize::try_from(self.below(n)).ok()?)
    }

    /// Fisher–Yates.
    pub fn shuffle<T>(&mut self, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            let j = self.below(i as u64 + 1) as usize;
            items.swap(i, j);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splitmix_matches_the_reference_sequence() {
        // The first outputs of SplitMix64 from state 0, as published with the
        // reference implementation: a changed algorithm would change the demo.
        let mut rng = SplitMix64::new(0);
        assert_eq!(rng.next_u64(), 0xE220_A839_7B1D_CDAF);
        assert_eq!(rng.next_u64(), 0x6E78_9E6A_A1B9_65F4);
        assert_eq!(rng.next_u64(), 0x06C4_5D18_8009_454F);
    }

    #[test]
    fn the_same_seed_gives_the_same_numbers_and_another_seed_others() {
        let draw = |seed| {
            let mut rng = SplitMix64::stream(seed, 3);
            (0..50).map(|_| rng.range(-5, 500)).collect::<Vec<_>>()
        };
        assert_eq!(draw(7), draw(7));
        assert_ne!(draw(7), draw(8));
        let mut a = SplitMix64::stream(7, 1);
        let mut b = SplitMix64::stream(7, 2);
        assert_ne!(a.next_u64(), b.next_u64(), "streams are independent");
    }

    #[test]
    fn ranges_stay_inside_their_bounds_and_reach_both_ends() {
        let mut rng = SplitMix64::new(42);
        let mut seen = [false; 4];
        for _ in 0..1_000 {
            let x = rng.range(10, 13);
            assert!((10..=13).contains(&x));
            seen[(x - 10) as usize] = true;
        }
        assert_eq!(seen, [true; 4]);
        assert_eq!(rng.range(5, 5), 5);
        assert_eq!(rng.range(5, 1), 5);
        assert_eq!(rng.below(0), 0);
        assert!(rng.pick::<u8>(&[]).is_none());
        let mut never = 0;
        for _ in 0..1_000 {
            never += u32::from(rng.chance(0));
            assert!(rng.chance(100));
        }
        assert_eq!(never, 0);
    }

    #[test]
    fn a_shuffle_keeps_every_element() {
        let mut rng = SplitMix64::new(1);
        let mut v: Vec<u32> = (0..20).collect();
        rng.shuffle(&mut v);
        assert_ne!(v, (0..20).collect::<Vec<_>>());
        v.sort_unstable();
        assert_eq!(v, (0..20).collect::<Vec<_>>());
    }
}
