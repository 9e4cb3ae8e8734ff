//! The deadline heap: when each connection next needs attention (a response falls
//! due, a head or a write times out), earliest first.
//!
//! Entries are never removed early: when a connection moves on or closes, its old entry
//! stays until it surfaces and is then ignored, because the loop checks it against the
//! connection's [`Entries`] and the key's generation. That keeps every operation
//! O(log n) with no search. Stale entries of closed connections are swept
//! ([`DeadlineHeap::retain`]) when they outnumber live connections four to one.
//!
//! A connection pushes an entry only when its next deadline comes before every entry it
//! already has in the heap; a deadline that moves later (the keep-alive timer, after
//! each request) waits for the earlier entry to fire and is pushed then. So a kept-alive
//! connection costs about one push per delayed request, and the heap holds a few
//! entries per connection, not one per request.

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

/// Waits up to this long get the kernel's minimum slack (50 µs) and are taken whole.
const EXACT_BELOW: Duration = Duration::from_millis(50);

/// Entries a connection keeps track of; one or two are usual.
const TRACKED: usize = 4;

/// The heap entries one connection has in force (one or two, rarely more), held
/// inline: no allocation per connection. When all [`TRACKED`] slots are taken, the
/// latest entry is forgotten: it then surfaces as stale, and the connection's next
/// deadline is pushed again after the earlier ones fire, so nothing is missed.
#[derive(Debug, Default)]
pub(crate) struct Entries([Option<Instant>; TRACKED]);

impl Entries {
    /// Whether `next` needs an entry of its own: none in force comes at or before it.
    pub(crate) fn wants(&self, next: Instant) -> bool {
        self.0.iter().flatten().all(|&at| next < at)
    }

    /// Records an entry pushed for `at`.
    pub(crate) fn add(&mut self, at: Instant) {
        let slot = match self.0.iter().position(Option::is_none) {
            Some(free) => free,
            // Full: forget the latest (it fires later than every other).
            None => (0..TRACKED).max_by_key(|&i| self.0[i]).unwrap_or(0),
        };
        self.0[slot] = Some(at);
    }

    /// Whether an entry for `at` is in force.
    pub(crate) fn contains(&self, at: Instant) -> bool {
        self.0.contains(&Some(at))
    }

    /// Takes the entry for `at` out as it fires; false when it is stale.
    pub(crate) fn fire(&mut self, at: Instant) -> bool {
        match self.0.iter().position(|&e| e == Some(at)) {
            Some(i) => {
                self.0[i] = None;
                true
            }
            None => false,
        }
    }
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

    /// How long `epoll_wait` may block: `None` (forever) when nothing is scheduled,
    /// otherwise until the earliest entry, or a little less when it is far off.
    ///
    /// The kernel lets an epoll wait overshoot its timeout by its "slack": 0.1% of the
    /// timeout, at least the thread's timer slack (50 µs), at most 100 ms
    /// (`select_estimate_accuracy` in fs/select.c). A 9 s delay would end up to 9 ms
    /// late. So a wait longer than [`EXACT_BELOW`] is cut short by 0.2%, and the loop
    /// waits again for the rest: two wakeups per deadline, within ~50 µs of it. A
    /// response is never early: the loop only acts on entries that are due.
    pub(crate) fn timeout(&self, now: Instant) -> Option<Duration> {
        self.heap.peek().map(|Reverse((when, _))| {
            let left = when.saturating_duration_since(now);
            if left > EXACT_BELOW {
                left - left / 500
            } else {
                left
            }
        })
    }

    /// Number of entries, stale ones included.
    pub(crate) fn len(&self) -> usize {
        self.heap.len()
    }

    /// Keeps only the entries for which `keep(when, key)` is true.
    pub(crate) fn retain(&mut self, mut keep: impl FnMut(Instant, u64) -> bool) {
        self.heap.retain(|Reverse((when, key))| keep(*when, *key));
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
    fn long_waits_wake_early_by_more_than_the_kernel_slack_then_wait_the_rest() {
        let t0 = Instant::now();
        let mut heap = DeadlineHeap::default();
        heap.push(t0 + Duration::from_secs(4), 1);
        let first = heap.timeout(t0).unwrap();
        assert_eq!(first, Duration::from_millis(3992));
        // Even if the kernel adds its full 0.1% slack, the wake comes before the deadline,
        let woke = t0 + first + first / 1000;
        let rest = heap.timeout(woke).unwrap();
        assert!(rest > Duration::ZERO && rest <= EXACT_BELOW, "{rest:?}");
        // and the rest is waited whole.
        assert_eq!(rest, t0 + Duration::from_secs(4) - woke);
    }

    #[test]
    fn retain_drops_only_the_entries_it_is_told_to() {
        let t0 = Instant::now();
        let mut heap = DeadlineHeap::default();
        for key in 0..10 {
            heap.push(t0 + Duration::from_millis(key), key);
        }
        heap.retain(|_, key| key % 2 == 1);
        assert_eq!(heap.len(), 5);
        let later = t0 + Duration::from_secs(1);
        let keys: Vec<u64> = std::iter::from_fn(|| heap.pop_due(later).map(|e| e.1)).collect();
        assert_eq!(keys, [1, 3, 5, 7, 9], "still earliest first");
    }

    #[test]
    fn a_later_deadline_waits_for_the_entry_in_force() {
        let t0 = Instant::now();
        let ms = |n| t0 + Duration::from_millis(n);
        let mut entries = Entries::default();
        assert!(entries.wants(ms(5000)), "nothing in force");
        entries.add(ms(5000));
        assert!(
            !entries.wants(ms(6000)),
            "the idle timer moved later: no push"
        );
        assert!(entries.wants(ms(100)), "a response due sooner: push");
        entries.add(ms(100));
        assert!(entries.contains(ms(5000)) && entries.contains(ms(100)));
        assert!(entries.fire(ms(100)));
        assert!(!entries.fire(ms(100)), "already fired: stale");
        assert!(
            !entries.wants(ms(5500)),
            "the 5000 ms entry will come first"
        );
        assert!(entries.fire(ms(5000)));
        assert!(entries.wants(ms(5500)));
    }

    #[test]
    fn when_every_slot_is_taken_the_latest_entry_is_forgotten() {
        let t0 = Instant::now();
        let ms = |n| t0 + Duration::from_millis(n);
        let mut entries = Entries::default();
        for n in (1..=TRACKED as u64).rev() {
            entries.add(ms(n * 100));
        }
        entries.add(ms(50));
        assert!(entries.contains(ms(50)));
        assert!(
            !entries.contains(ms(TRACKED as u64 * 100)),
            "the latest went"
        );
        assert!(entries.contains(ms(100)));
        assert!(
            !entries.fire(ms(TRACKED as u64 * 100)),
            "it surfaces as stale"
        );
    }

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
