//! When a request arrived, on the monotonic clock: the kernel's receive stamp is wall
//! clock, the deadlines are [`Instant`]s, so the stamp's age is read from both clocks
//! and turned into an `Instant` once, at the read that carried the request. Pure, so
//! the conversion is unit-tested here.
//!
//! - The two clocks are read back to back, never with work (parsing, encoding) between
//!   them: a preemption in between (a scheduler slice, ~4 ms on a busy machine) would
//!   move that one deadline by as much and answer it late and out of order. Wall clock
//!   first, so that a preemption between the two reads can only make an answer late,
//!   never early; and [`clock_pair`] brackets the wall-clock read with two monotonic
//!   ones and reads again when they are further apart than [`PAIR_SLACK`], so that
//!   even a preemption (or a vCPU the hypervisor stopped) in those few nanoseconds
//!   does not move the deadline.
//! - The arrival is fixed at the read: a request held back by the pipeline bound and
//!   parsed later still runs its delay from when it arrived, however long it waited.
//! - A due time already past stays in the past (not "now"): answers read late in one
//!   batch then go out in the order they fell due, not the order they were read.

use std::time::{Duration, Instant, SystemTime};

/// The most a receive stamp may predate the read: the loop is never that far behind
/// its sockets, so anything more is a wall-clock step, which must not make answers
/// early.
pub(crate) const MAX_AGE: Duration = Duration::from_secs(1);

/// The most the two monotonic reads around the wall-clock read in [`clock_pair`]
/// may be apart: the reads take tens of nanoseconds, so more is a preemption.
pub(crate) const PAIR_SLACK: Duration = Duration::from_micros(20);

/// Reads the wall clock and then the monotonic clock as one pair for [`arrival`]:
/// `mono`, `wall`, `mono`, again (at most four times in all) while the two monotonic
/// reads are more than [`PAIR_SLACK`] apart. Returns the wall reading and the second
/// monotonic one, so a pair read across a preemption is still late, never early.
pub(crate) fn clock_pair(
    mut wall: impl FnMut() -> SystemTime,
    mut mono: impl FnMut() -> Instant,
) -> (SystemTime, Instant) {
    let mut pair;
    let mut tries = 0;
    loop {
        let before = mono();
        pair = (wall(), mono());
        tries += 1;
        if pair.1.saturating_duration_since(before) <= PAIR_SLACK || tries == 4 {
            return pair;
        }
    }
}

/// The arrival, as an [`Instant`], of bytes the kernel stamped `stamp` (wall clock),
/// read at `wall_now` and `mono_now` (read back to back, wall clock first):
/// `mono_now - min(wall_now - stamp, MAX_AGE)`. Unstamped bytes (or a stamp in the
/// future, a clock step back) arrived at `mono_now`.
pub(crate) fn arrival(
    stamp: Option<SystemTime>,
    wall_now: SystemTime,
    mono_now: Instant,
) -> Instant {
    let age = stamp.map_or(Duration::ZERO, |at| {
        wall_now
            .duration_since(at)
            .unwrap_or(Duration::ZERO)
            .min(MAX_AGE)
    });
    mono_now.checked_sub(age).unwrap_or(mono_now)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::server::deadline::after;

    const MS: Duration = Duration::from_millis(1);

    /// The due time of a request asking `delay`, as the session computes it.
    fn due(stamp: Option<SystemTime>, wall: SystemTime, mono: Instant, delay: Duration) -> Instant {
        after(arrival(stamp, wall, mono), delay)
    }

    #[test]
    fn a_stamped_request_is_due_its_delay_after_the_stamp() {
        let (wall, mono) = (SystemTime::now(), Instant::now());
        let due = due(Some(wall - 30 * MS), wall, mono, 100 * MS);
        assert_eq!(due, mono + 70 * MS);
    }

    #[test]
    fn an_unstamped_request_is_due_its_whole_delay_from_the_read() {
        let (wall, mono) = (SystemTime::now(), Instant::now());
        assert_eq!(due(None, wall, mono, 100 * MS), mono + 100 * MS);
    }

    #[test]
    fn a_stamp_from_the_future_is_a_clock_step_and_counts_as_now() {
        let (wall, mono) = (SystemTime::now(), Instant::now());
        assert_eq!(
            due(Some(wall + 5 * MS), wall, mono, 10 * MS),
            mono + 10 * MS
        );
    }

    #[test]
    fn a_stamp_older_than_max_age_is_a_clock_step_and_is_capped() {
        let (wall, mono) = (SystemTime::now(), Instant::now());
        let due = due(Some(wall - 3 * MAX_AGE), wall, mono, MAX_AGE + 500 * MS);
        assert_eq!(due, mono + 500 * MS);
    }

    #[test]
    fn overdue_requests_keep_the_order_they_fell_due_in() {
        // Read late together: 5 ms and 2 ms overdue. Saturating at "now" would order
        // them as read; their true due times, in the past, order them right.
        let (wall, mono) = (SystemTime::now(), Instant::now() + Duration::from_secs(1));
        let first = due(Some(wall - 15 * MS), wall, mono, 10 * MS);
        let second = due(Some(wall - 22 * MS), wall, mono, 20 * MS);
        assert_eq!((first, second), (mono - 5 * MS, mono - 2 * MS));
    }

    #[test]
    fn a_preemption_between_the_clock_reads_makes_an_answer_late_never_early() {
        // The wall clock read 4 ms before the monotonic one (a scheduler slice in
        // between): the stamp looks 4 ms younger than it is, so the answer is late.
        let wall = SystemTime::now();
        let mono = Instant::now();
        let preempted = mono + 4 * MS;
        let on_time = due(Some(wall - 30 * MS), wall, mono, 100 * MS);
        let late = due(Some(wall - 30 * MS), wall, preempted, 100 * MS);
        assert!(late >= on_time);
    }

    #[test]
    fn a_request_held_back_and_parsed_later_keeps_its_arrival() {
        // The arrival is fixed at the read; parsing later (the pipeline bound) uses it,
        // so a request held for 2 s is not capped to MAX_AGE and answered late.
        let (wall, mono) = (SystemTime::now(), Instant::now());
        let arrived = arrival(Some(wall - 3 * MS), wall, mono);
        let parsed_at = mono + 2 * MAX_AGE;
        assert_eq!(after(arrived, 2000 * MS), mono - 3 * MS + 2000 * MS);
        assert!(after(arrived, 2000 * MS) < parsed_at);
    }

    #[test]
    fn a_clock_pair_read_across_a_preemption_is_read_again() {
        // The first pair straddles a 4 ms preemption; the second is read back to back.
        let start = Instant::now();
        let monos = [start, start + 4 * MS, start + 5 * MS, start + 5 * MS];
        let mut at = monos.iter().copied();
        let mut walls = 0;
        let wall0 = SystemTime::now();
        let (wall, mono) = clock_pair(
            || {
                walls += 1;
                wall0 + walls * MS
            },
            || at.next().unwrap_or(start + 6 * MS),
        );
        assert_eq!((wall, mono), (wall0 + 2 * MS, start + 5 * MS));
    }

    #[test]
    fn a_clock_pair_gives_up_after_four_tries_and_stays_late_never_early() {
        // Every pair straddles a preemption: the last one is kept, read wall first.
        let start = Instant::now();
        let mut step = 0;
        let wall0 = SystemTime::now();
        let (wall, mono) = clock_pair(
            || wall0,
            || {
                step += 1;
                start + step * 3 * MS
            },
        );
        assert_eq!((wall, mono), (wall0, start + 24 * MS));
    }
}
