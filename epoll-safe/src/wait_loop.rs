//! The policy around the wait syscall: one deadline, computed once; `EINTR`
//! retried for the time left; a timeout the kernel clamped or cut short
//! waited on until the deadline. Sans-I/O: the syscall and the clock come in
//! through [`WaitOnce`], so the 24.8-day clamp is tested without waiting it.

use std::time::{Duration, Instant};

/// When a wait must end.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Deadline {
    /// Block until an event arrives.
    Forever,
    /// Return at once.
    Poll,
    /// Return at this instant at the latest, never before it without events.
    At(Instant),
}

impl Deadline {
    /// The deadline of a `wait(timeout)` starting now (the clock is read
    /// only for a finite non-zero timeout). A timeout whose
    /// deadline `Instant` cannot represent (`Duration::MAX`, or anything
    /// past the clock's range) is [`Deadline::Forever`]: no finite wait
    /// could end before it anyway.
    pub(crate) fn after(now: impl FnOnce() -> Instant, timeout: Option<Duration>) -> Deadline {
        match timeout {
            None => Deadline::Forever,
            Some(t) if t.is_zero() => Deadline::Poll,
            Some(t) => now().checked_add(t).map_or(Deadline::Forever, Deadline::At),
        }
    }
}

/// The two effects a wait has: one syscall, and reading the monotonic clock.
pub(crate) trait WaitOnce {
    /// One wait syscall: `None` blocks, zero polls. Returns the number of
    /// events or the errno.
    fn wait_once(&mut self, timeout: Option<Duration>) -> Result<usize, i32>;
    /// `Instant::now()` (the same clock the kernel's timeouts run on).
    fn now(&self) -> Instant;
}

/// Waits until an event or `deadline`. `first` is the timeout of the first
/// call when the caller already has it (saves a clock read); later calls
/// wait for what is left to the deadline.
///
/// Returns early only with events: a call that times out before the
/// deadline (the `INT_MAX` ms clamp of `epoll_wait`, about 24.8 days) is
/// followed by another one for the rest.
pub(crate) fn wait_until(
    sys: &mut impl WaitOnce,
    deadline: Deadline,
    first: Option<Duration>,
    retry_eintr: bool,
) -> Result<usize, i32> {
    let mut left = match deadline {
        Deadline::Forever => None,
        Deadline::Poll => Some(Duration::ZERO),
        Deadline::At(at) => Some(first.unwrap_or_else(|| at.saturating_duration_since(sys.now()))),
    };
    loop {
        match sys.wait_once(left) {
            Ok(0) => {
                if let Deadline::At(at) = deadline {
                    let now = sys.now();
                    if now < at {
                        left = Some(at - now);
                        continue;
                    }
                }
                return Ok(0);
            }
            Ok(n) => return Ok(n),
            Err(libc::EINTR) if retry_eintr => {
                if let Deadline::At(at) = deadline {
                    left = Some(at.saturating_duration_since(sys.now()));
                }
            }
            Err(errno) => return Err(errno),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wait_syscall::{timeout_ms, LONGEST_MS_WAIT};

    /// A kernel without `epoll_pwait2` on a fake clock: every timed call
    /// "sleeps" for its timeout as `epoll_wait` would take it (whole
    /// milliseconds, clamped to `INT_MAX`), then times out.
    struct ClampingKernel {
        start: Instant,
        elapsed: Duration,
        calls: Vec<Option<Duration>>,
        /// Errnos to return, first to last, before behaving normally.
        errors: Vec<i32>,
    }

    impl ClampingKernel {
        fn new() -> ClampingKernel {
            ClampingKernel {
                start: Instant::now(),
                elapsed: Duration::ZERO,
                calls: Vec::new(),
                errors: Vec::new(),
            }
        }
    }

    impl WaitOnce for ClampingKernel {
        fn wait_once(&mut self, timeout: Option<Duration>) -> Result<usize, i32> {
            self.calls.push(timeout);
            if let Some(errno) = self.errors.pop() {
                self.elapsed += Duration::from_millis(1);
                return Err(errno);
            }
            match timeout {
                None => Ok(1), // an event, eventually
                Some(t) => {
                    let ms = u64::from(timeout_ms(t).unsigned_abs());
                    self.elapsed += Duration::from_millis(ms);
                    Ok(0)
                }
            }
        }
        fn now(&self) -> Instant {
            self.start + self.elapsed
        }
    }

    const DAY: Duration = Duration::from_secs(24 * 3600);

    #[test]
    fn a_timeout_past_the_clamp_is_waited_in_parts_to_the_deadline() {
        let mut kernel = ClampingKernel::new();
        let timeout = 30 * DAY;
        let deadline = Deadline::after(|| kernel.now(), Some(timeout));
        assert_eq!(
            wait_until(&mut kernel, deadline, Some(timeout), true),
            Ok(0)
        );
        assert!(
            kernel.elapsed >= timeout,
            "ended early: {:?}",
            kernel.elapsed
        );
        assert_eq!(kernel.calls.len(), 2, "{:?}", kernel.calls);
        assert_eq!(kernel.calls[0], Some(timeout));
        assert_eq!(kernel.calls[1], Some(timeout - LONGEST_MS_WAIT));
    }

    #[test]
    fn an_overflowing_deadline_blocks_forever() {
        let mut kernel = ClampingKernel::new();
        for timeout in [Duration::MAX, Duration::from_secs(u64::MAX / 2)] {
            let deadline = Deadline::after(|| kernel.now(), Some(timeout));
            assert_eq!(deadline, Deadline::Forever);
            assert_eq!(
                wait_until(&mut kernel, deadline, Some(timeout), true),
                Ok(1)
            );
        }
        assert_eq!(kernel.calls, [None, None], "never a clamped timed wait");
    }

    #[test]
    fn a_deadline_wait_starts_with_what_is_left() {
        let mut kernel = ClampingKernel::new();
        let at = kernel.now() + Duration::from_millis(7);
        assert_eq!(wait_until(&mut kernel, Deadline::At(at), None, true), Ok(0));
        assert_eq!(kernel.calls, [Some(Duration::from_millis(7))]);
        assert!(kernel.now() >= at);
    }

    #[test]
    fn eintr_is_retried_for_the_time_left_or_returned() {
        let mut kernel = ClampingKernel::new();
        kernel.errors = vec![libc::EINTR, libc::EINTR];
        let timeout = Duration::from_millis(10);
        let deadline = Deadline::after(|| kernel.now(), Some(timeout));
        assert_eq!(
            wait_until(&mut kernel, deadline, Some(timeout), true),
            Ok(0)
        );
        let waits: Vec<_> = kernel.calls.iter().map(|c| c.unwrap()).collect();
        assert_eq!(
            waits,
            [
                timeout,
                timeout - Duration::from_millis(1),
                timeout - Duration::from_millis(2)
            ]
        );

        let mut kernel = ClampingKernel::new();
        kernel.errors = vec![libc::EINTR];
        let deadline = Deadline::after(|| kernel.now(), Some(timeout));
        assert_eq!(
            wait_until(&mut kernel, deadline, Some(timeout), false),
            Err(libc::EINTR)
        );
    }

    #[test]
    fn zero_polls_and_none_blocks() {
        let mut kernel = ClampingKernel::new();
        let now = || -> Instant { panic!("no clock read to poll or block") };
        assert_eq!(Deadline::after(now, Some(Duration::ZERO)), Deadline::Poll);
        assert_eq!(Deadline::after(now, None), Deadline::Forever);
        assert_eq!(wait_until(&mut kernel, Deadline::Poll, None, true), Ok(0));
        assert_eq!(kernel.calls, [Some(Duration::ZERO)]);
    }
}
