//! The run's summary: counts, arrival order and lateness.

/// One successful response (status below 400), as the summary needs it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Arrival {
    /// The delay the request asked for.
    pub delay_ms: u64,
    /// From the request being fully written to the response being complete.
    pub elapsed_ms: f64,
}

pub use crate::schema::Lateness;

/// How the successful responses (status below 400) arrived, computed from
/// them in arrival order: lateness and order are about answers that honoured
/// their delay, so a fast 404 or an error counts only in `failed`.
#[derive(Debug, Clone, PartialEq)]
pub struct Summary {
    /// Requests made.
    pub requested: u32,
    /// Complete responses with status < 400.
    pub ok: u32,
    /// Everything else: errors and statuses >= 400 (`ok + failed == requested`).
    pub failed: u32,
    /// The delays, in arrival order, never decrease.
    pub in_order: bool,
    /// Adjacent arrivals whose delays decrease.
    pub inversions: u32,
    /// Lateness over successful responses; `None` when there were none.
    pub lateness: Option<Lateness>,
}

impl Summary {
    /// Builds the summary from the successful responses (in arrival order) and the counts.
    pub fn new(requested: u32, ok: u32, arrivals: &[Arrival]) -> Self {
        let inversions = arrivals
            .windows(2)
            .filter(|w| w[1].delay_ms < w[0].delay_ms)
            .count() as u32;
        Self {
            requested,
            ok,
            failed: requested - ok,
            in_order: inversions == 0,
            inversions,
            lateness: lateness(arrivals),
        }
    }
}

fn lateness(arrivals: &[Arrival]) -> Option<Lateness> {
    let mut late: Vec<f64> = arrivals
        .iter()
        .map(|a| a.elapsed_ms - a.delay_ms as f64)
        .collect();
    late.sort_by(f64::total_cmp);
    let max = *late.last()?;
    Some(Lateness {
        p50: nearest_rank(&late, 50),
        p99: nearest_rank(&late, 99),
        max,
    })
}

/// Nearest-rank percentile of a sorted, non-empty slice.
fn nearest_rank(sorted: &[f64], pct: usize) -> f64 {
    let rank = (pct * sorted.len()).div_ceil(100).max(1);
    sorted[rank - 1]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn arr(delays: &[u64]) -> Vec<Arrival> {
        delays
            .iter()
            .map(|&d| Arrival {
                delay_ms: d,
                elapsed_ms: d as f64 + 1.0,
            })
            .collect()
    }

    #[test]
    fn descending_delays_in_arrival_order_count_as_in_order() {
        let s = Summary::new(5, 5, &arr(&[0, 1000, 2000, 3000, 4000]));
        assert!(s.in_order);
        assert_eq!(s.inversions, 0);
        assert_eq!(s.failed, 0);
    }

    #[test]
    fn equal_delays_are_not_inversions() {
        let s = Summary::new(3, 3, &arr(&[0, 0, 0]));
        assert!(s.in_order);
    }

    #[test]
    fn each_decreasing_adjacent_pair_is_one_inversion() {
        let s = Summary::new(4, 2, &arr(&[1000, 0, 2000, 1000]));
        assert_eq!(s.inversions, 2);
        assert!(!s.in_order);
        assert_eq!(s.failed, 2);
    }

    #[test]
    fn lateness_uses_nearest_rank() {
        let a: Vec<Arrival> = (1..=100)
            .map(|i| Arrival {
                delay_ms: 10,
                elapsed_ms: 10.0 + i as f64,
            })
            .collect();
        let l = Summary::new(100, 100, &a).lateness.unwrap();
        assert_eq!((l.p50, l.p99, l.max), (50.0, 99.0, 100.0));
    }

    #[test]
    fn no_arrivals_means_no_lateness() {
        assert_eq!(Summary::new(3, 0, &[]).lateness, None);
    }
}
