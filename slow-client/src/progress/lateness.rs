//! A running lateness percentile in fixed memory: a log-linear histogram.
//!
//! Recording is an index computation and an increment: no allocation, no
//! sorting, whatever the run's length. Values are kept in microseconds in
//! buckets 1/16 of a power of two wide (the scheme HdrHistogram uses), so a
//! percentile read back is within 6.25% above the true value.

/// Sub-buckets per power of two.
const SUB: u64 = 16;
/// Enough buckets for values up to 2^39 µs (about six days).
const BUCKETS: usize = 36 * SUB as usize;

/// Counts of lateness values, for a running percentile.
#[derive(Clone)]
pub struct LatenessHistogram {
    counts: [u32; BUCKETS],
    total: u64,
}

impl std::fmt::Debug for LatenessHistogram {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LatenessHistogram")
            .field("total", &self.total)
            .field("p99_ms", &self.percentile(99.0))
            .finish()
    }
}

impl Default for LatenessHistogram {
    fn default() -> Self {
        Self::new()
    }
}

impl LatenessHistogram {
    /// An empty histogram.
    pub const fn new() -> Self {
        Self {
            counts: [0; BUCKETS],
            total: 0,
        }
    }

    /// Records one answer's lateness; negative values count as 0 and huge ones in the last bucket.
    pub fn record(&mut self, lateness_ms: f64) {
        let us = (lateness_ms * 1000.0).round().max(0.0) as u64;
        let i = index(us).min(BUCKETS - 1);
        self.counts[i] = self.counts[i].saturating_add(1);
        self.total += 1;
    }

    /// How many values were recorded.
    pub fn count(&self) -> u64 {
        self.total
    }

    /// The nearest-rank `pct` percentile in ms (the upper edge of its bucket);
    /// `None` before the first value.
    pub fn percentile(&self, pct: f64) -> Option<f64> {
        if self.total == 0 {
            return None;
        }
        let rank = ((pct / 100.0 * self.total as f64).ceil() as u64).clamp(1, self.total);
        let mut seen = 0u64;
        let i = self.counts.iter().position(|&c| {
            seen += u64::from(c);
            seen >= rank
        })?;
        Some(upper_edge(i) as f64 / 1000.0)
    }
}

/// The bucket of a value in µs: exact below 16, then 16 per power of two.
fn index(us: u64) -> usize {
    if us < SUB {
        return us as usize;
    }
    let exp = u64::from(63 - us.leading_zeros());
    let sub = (us >> (exp - 4)) & (SUB - 1);
    ((exp - 3) * SUB + sub) as usize
}

/// The largest µs value that falls in bucket `i`.
fn upper_edge(i: usize) -> u64 {
    let i = i as u64;
    if i < SUB {
        return i;
    }
    let exp = i / SUB + 3;
    let sub = i % SUB;
    ((SUB + sub + 1) << (exp - 4)) - 1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_are_contiguous_and_each_value_is_under_its_upper_edge() {
        for us in 0..200_000u64 {
            let i = index(us);
            assert!(us <= upper_edge(i), "{us} in {i}");
            assert!(i == 0 || us > upper_edge(i - 1), "{us} in {i}");
        }
    }

    #[test]
    fn percentiles_are_within_a_sixteenth_above_the_true_value() {
        let mut h = LatenessHistogram::new();
        for i in 1..=1000 {
            h.record(f64::from(i) / 100.0); // 0.01 .. 10 ms
        }
        let p99 = h.percentile(99.0).unwrap();
        assert!((9.9..=9.9 * 1.0625).contains(&p99), "{p99}");
        let p50 = h.percentile(50.0).unwrap();
        assert!((5.0..=5.0 * 1.0625).contains(&p50), "{p50}");
        assert_eq!(h.count(), 1000);
    }

    #[test]
    fn empty_has_no_percentile_and_one_value_is_every_percentile() {
        let mut h = LatenessHistogram::new();
        assert_eq!(h.percentile(99.0), None);
        h.record(0.004);
        assert_eq!(h.percentile(1.0), Some(0.004));
        assert_eq!(h.percentile(99.0), Some(0.004));
    }

    #[test]
    fn negative_and_huge_values_are_clamped_not_lost() {
        let mut h = LatenessHistogram::new();
        h.record(-5.0);
        h.record(1e12);
        assert_eq!(h.count(), 2);
        assert_eq!(h.percentile(50.0), Some(0.0));
        assert!(h.percentile(100.0).unwrap() > 3.0e7);
    }
}
