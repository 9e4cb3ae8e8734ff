//! The deadline heap: when each connection next needs attention (a response falls
//! due, a head or a write times out), earliest first.
//!
//! Entries are never removed early: when a connection moves on or closes, its old entry
//! stays until it surfaces and is then ignored, because the loop checks it against the
//! connection's current deadline and the key's generation. That keeps every operation
//! O(log n) with no search, at the cost of at most a few stale entries per connection.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::time::{Duration, Instant};

/// The latest deadline the server ever sets: a delay or timeout beyond it (the caps
/// are configurable up to `u64::MAX` ms) is clamped instead of overflowing `Instant`.
const FAR: Duration = Duration::from_secs(100 * 365 * 24 * 3600);

/// `now + wait`, clamped to [`FAR`] from now so that it cannot overflow.
pub(crate) fn after(now: Instant, wait: Duration) -> Instant {
    now.checked_add(wait.min(FAR)).unwrap_or(now)
}

/// A min-heap of `(when, key)`.
#[derive(Debug, Default)]
pub(crate) struct DeadlineHeap {
    heap: BinaryHeap<Reverse<(Instant, u64)>>,
}

impl DeadlineHeap {
    /// Schedules `key` at `when`.
    pub(crate) fn push(&mut self, when: Instant, key: u64) {
        self.heap.push(Reverse((when, key)));
    }

    /// How long `epoll_wait` may block: until the earliest entry (zero if it is already
    /// due), or `None` (forever) when nothing is scheduled. epoll-safe rounds a timeout
    /// up, so a response is never written before it is due.
    pub(crate) fn timeout(&self, now: Instant) -> Option<Duration> {
        self.heap
            .peek()
            .map(|Reverse((when, _))| when.saturating_duration_since(now))
    }

    /// Removes and returns the earliest entry if it is due at `now`.
    pub(crate) fn pop_due(&mut self, now: Instant) -> Option<(Instant, u64)> {
        match self.heap.peek() {
            Some(Reverse((when, _))) if *when <= now => self.heap.pop().map(|Reverse(e)| e),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn enormous_waits_are_clamped_not_overflowed() {
        let now = Instant::now();
        assert_eq!(after(now, Duration::MAX), now + FAR);
        assert_eq!(after(now, Duration::from_millis(u64::MAX)), now + FAR);
        assert_eq!(
            after(now, Duration::from_millis(5)),
            now + Duration::from_millis(5)
        );
    }

    #[test]
    fn entries_come_out_earliest_first_and_only_when_due() {
        let t0 = Instant::now();
        let mut heap = DeadlineHeap::default();
        assert_eq!(heap.timeout(t0), None);
        heap.push(t0 + Duration::from_millis(30), 3);
        heap.push(t0 + Duration::from_millis(10), 1);
        heap.push(t0 + Duration::from_millis(20), 2);
        assert_eq!(heap.timeout(t0), Some(Duration::from_millis(10)));
        assert_eq!(heap.pop_due(t0), None);
        let later = t0 + Duration::from_millis(25);
        let keys: Vec<u64> = std::iter::from_fn(|| heap.pop_due(later).map(|(_, k)| k)).collect();
        assert_eq!(keys, [1, 2]);
        assert_eq!(
            heap.timeout(t0 + Duration::from_secs(1)),
            Some(Duration::ZERO)
        );
    }
}
