//! The largest stall of the event loop while it had work (sans I/O).
//!
//! The loop marks the clock at the start of every turn and before every
//! request it writes; the gap between two marks is a stall candidate unless
//! the loop chose to block in between (it waited for an event or a timer
//! with nothing to do now: [`StallMeter::rest`]). So the largest gap is the
//! longest the loop went without running while requests were waiting to be
//! written or answers already due to be read: its own work per turn, and
//! whatever the machine took from it (preemption, steal, softirq).

use std::time::{Duration, Instant};

/// Tracks the largest gap between marks, skipping chosen waits.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct StallMeter {
    last: Option<Instant>,
    max: Duration,
}

impl StallMeter {
    /// The loop runs at `now`: the gap since the last mark is a candidate.
    pub fn mark(&mut self, now: Instant) {
        if let Some(last) = self.last {
            self.max = self.max.max(now.saturating_duration_since(last));
        }
        self.last = Some(now);
    }

    /// The loop is about to block by choice: the gap to the next mark is no stall.
    pub fn rest(&mut self) {
        self.last = None;
    }

    /// The largest gap seen.
    pub fn max(&self) -> Duration {
        self.max
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: Duration = Duration::from_millis(1);

    #[test]
    fn the_largest_gap_between_marks_is_the_stall() {
        let (t0, mut m) = (Instant::now(), StallMeter::default());
        for at in [0, 1, 3, 10, 11] {
            m.mark(t0 + at * MS);
        }
        assert_eq!(m.max(), 7 * MS);
    }

    #[test]
    fn a_chosen_wait_is_not_a_stall() {
        let (t0, mut m) = (Instant::now(), StallMeter::default());
        m.mark(t0);
        m.mark(t0 + 2 * MS);
        m.rest();
        m.mark(t0 + 500 * MS); // woke from a wait for the next answer
        m.mark(t0 + 501 * MS);
        assert_eq!(m.max(), 2 * MS);
    }

    #[test]
    fn no_marks_no_stall() {
        let mut m = StallMeter::default();
        m.mark(Instant::now());
        assert_eq!(m.max(), Duration::ZERO);
    }
}
