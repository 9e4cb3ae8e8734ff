//! [`Timer`]: a deadline as an fd you register (timerfd), on the [`Clock`] you pick.

use std::ffi::c_int;
use std::mem::MaybeUninit;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, FromRawFd, IntoRawFd, OwnedFd, RawFd};
use std::time::{Duration, Instant};

use crate::{Error, Op, Result};

/// Which clock a [`Timer`] runs on.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Clock {
    /// `CLOCK_MONOTONIC`: the clock `std::time::Instant` reads; stops while
    /// the system is suspended. The default.
    #[default]
    Monotonic,
    /// `CLOCK_BOOTTIME`: like `Monotonic`, but keeps counting while the
    /// system is suspended, so "in 10 minutes" means 10 minutes of wall time.
    Boottime,
}

impl Clock {
    fn id(self) -> libc::clockid_t {
        match self {
            Clock::Monotonic => libc::CLOCK_MONOTONIC,
            Clock::Boottime => libc::CLOCK_BOOTTIME,
        }
    }
}

/// A timer that becomes readable when it expires: register it with
/// [`Epoll::add`](crate::Epoll::add) and [`Interest::READABLE`](crate::Interest::READABLE).
///
/// A `timerfd` on `CLOCK_MONOTONIC` (unaffected by wall-clock changes; see
/// [`with_clock`](Self::with_clock) for `CLOCK_BOOTTIME`), created with
/// `TFD_NONBLOCK | TFD_CLOEXEC` and closed on drop. It stays readable until
/// [`read`](Self::read) is called, like any level-triggered fd. Expiry is
/// never early, and late only by interrupt and scheduling delay: unlike the
/// timeout of [`Epoll::wait`](crate::Epoll::wait), a timerfd gets no timer
/// slack.
///
/// After `fork` the child shares the timer: arming or reading it in one
/// process changes it for both.
///
/// ```
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use epoll_safe::{Epoll, Events, Interest, Timer, Token};
/// use std::time::{Duration, Instant};
///
/// let epoll = Epoll::new()?;
/// let timer = Timer::new()?;
/// epoll.add(&timer, Token(1), Interest::READABLE)?;
/// let start = Instant::now();
/// timer.set_after(Duration::from_millis(5))?;
///
/// let mut events = Events::default();
/// epoll.wait(&mut events, None)?;
/// assert!(start.elapsed() >= Duration::from_millis(5));
/// assert_eq!(timer.read()?, 1); // one expiration; now not readable any more
/// assert_eq!(timer.remaining()?, None); // and disarmed
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct Timer {
    fd: OwnedFd,
    clock: Clock,
}

impl Timer {
    /// A new, disarmed timer on the monotonic clock:
    /// `timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC)`.
    ///
    /// # Errors
    ///
    /// [`Error::FileLimit`] (`EMFILE`, `ENFILE`) or [`Error::OutOfMemory`].
    ///
    /// # References
    ///
    /// [`timerfd_create(2)`](https://man7.org/linux/man-pages/man2/timerfd_create.2.html)
    #[doc(alias = "timerfd_create")]
    pub fn new() -> Result<Timer> {
        Timer::with_clock(Clock::Monotonic)
    }

    /// A new, disarmed timer on `clock`:
    /// `timerfd_create(clock, TFD_NONBLOCK | TFD_CLOEXEC)`.
    ///
    /// # Errors
    ///
    /// As [`new`](Self::new).
    ///
    /// # References
    ///
    /// [`timerfd_create(2)`](https://man7.org/linux/man-pages/man2/timerfd_create.2.html)
    #[doc(alias = "timerfd_create")]
    #[doc(alias = "CLOCK_BOOTTIME")]
    pub fn with_clock(clock: Clock) -> Result<Timer> {
        // SAFETY: takes no pointers; the clock and flags are valid.
        let fd =
            unsafe { libc::timerfd_create(clock.id(), libc::TFD_NONBLOCK | libc::TFD_CLOEXEC) };
        if fd < 0 {
            return Err(Error::last(Op::TimerNew, -1));
        }
        // SAFETY: `fd` was just returned by the kernel and nothing else owns it.
        let fd = unsafe { OwnedFd::from_raw_fd(fd) };
        Ok(Timer { fd, clock })
    }

    /// The clock this timer runs on.
    pub fn clock(&self) -> Clock {
        self.clock
    }

    /// Expires once, `after` from now, replacing any earlier setting:
    /// `timerfd_settime(self, 0, {after, 0}, NULL)`.
    ///
    /// A zero duration still fires (at once): timerfd treats a zero value as
    /// "disarm", so it is sent as 1 ns. A duration past the clock's range is
    /// clamped: the kernel keeps expiries as `i64` nanoseconds and saturates
    /// there (about 292 years); where `time_t` is 32-bit the seconds are
    /// clamped first, to 2^31 - 1 s (about 68 years).
    ///
    /// # Errors
    ///
    /// [`Error::Os`] only when a sandbox refuses `timerfd_settime` (the fd
    /// is owned and the value normalised here).
    ///
    /// # References
    ///
    /// [`timerfd_settime(2)`](https://man7.org/linux/man-pages/man2/timerfd_settime.2.html)
    #[doc(alias = "timerfd_settime")]
    pub fn set_after(&self, after: Duration) -> Result<()> {
        self.settime(
            0,
            timespec(after.max(Duration::from_nanos(1))),
            timespec(Duration::ZERO),
        )
    }

    /// Expires once at `deadline`, never before it, replacing any earlier
    /// setting: `timerfd_settime(self, TFD_TIMER_ABSTIME, {deadline, 0}, NULL)`.
    /// A deadline in the past fires at once.
    ///
    /// Absolute, so a deadline computed once does not drift however late
    /// the call is made. `Instant` reads `CLOCK_MONOTONIC`; the conversion
    /// reads the clock after `Instant::now()`, so any error makes the timer
    /// late by nanoseconds, never early.
    ///
    /// # Errors
    ///
    /// - [`Error::InvalidArgument`] on a [`Clock::Boottime`] timer: an
    ///   `Instant` is a point on the monotonic clock and means nothing on
    ///   the boot-time one (use [`set_after`](Self::set_after)).
    /// - [`Error::Os`] when a sandbox refuses `timerfd_settime` or
    ///   `clock_gettime`.
    ///
    /// # References
    ///
    /// [`timerfd_settime(2)`](https://man7.org/linux/man-pages/man2/timerfd_settime.2.html)
    #[doc(alias = "TFD_TIMER_ABSTIME")]
    pub fn set_at(&self, deadline: Instant) -> Result<()> {
        if self.clock != Clock::Monotonic {
            return Err(Error::InvalidArgument {
                op: Op::TimerSet,
                reason: "set_at takes an Instant, a point on CLOCK_MONOTONIC; this timer runs on \
                         CLOCK_BOOTTIME (use set_after)",
            });
        }
        let left = deadline.saturating_duration_since(Instant::now());
        let mut now = MaybeUninit::<libc::timespec>::uninit();
        // SAFETY: `now` is valid for writes of one timespec.
        if unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, now.as_mut_ptr()) } != 0 {
            return Err(Error::last(Op::TimerSet, self.fd.as_raw_fd()));
        }
        // SAFETY: clock_gettime succeeded and wrote the whole timespec.
        let now = unsafe { now.assume_init() };
        let now = Duration::new(now.tv_sec as u64, now.tv_nsec as u32);
        // `now` is never zero on a running system; max() keeps the value
        // from ever meaning "disarm".
        let at = now.saturating_add(left).max(Duration::from_nanos(1));
        self.settime(
            libc::TFD_TIMER_ABSTIME,
            timespec(at),
            timespec(Duration::ZERO),
        )
    }

    /// Expires `first` from now, then every `every`, replacing any earlier
    /// setting: `timerfd_settime(self, 0, {first, every}, NULL)`.
    ///
    /// A zero `first` fires at once (sent as 1 ns); a zero `every` means no
    /// repetition, as with [`set_after`](Self::set_after).
    ///
    /// # Errors
    ///
    /// As [`set_after`](Self::set_after).
    ///
    /// # References
    ///
    /// [`timerfd_settime(2)`](https://man7.org/linux/man-pages/man2/timerfd_settime.2.html)
    #[doc(alias = "timerfd_settime")]
    pub fn set_interval(&self, first: Duration, every: Duration) -> Result<()> {
        self.settime(
            0,
            timespec(first.max(Duration::from_nanos(1))),
            timespec(every),
        )
    }

    /// Stops the timer: `timerfd_settime(self, 0, {0, 0}, NULL)`. An
    /// expiration not yet read stays readable until [`read`](Self::read).
    ///
    /// # Errors
    ///
    /// As [`set_after`](Self::set_after).
    ///
    /// # References
    ///
    /// [`timerfd_settime(2)`](https://man7.org/linux/man-pages/man2/timerfd_settime.2.html)
    #[doc(alias = "timerfd_settime")]
    pub fn disarm(&self) -> Result<()> {
        self.settime(0, timespec(Duration::ZERO), timespec(Duration::ZERO))
    }

    /// How long until the next expiration, or `None` if the timer is
    /// disarmed (never set, disarmed, or a one-shot that has fired):
    /// `timerfd_gettime(self)`.
    ///
    /// # Errors
    ///
    /// [`Error::Os`] only when a sandbox refuses `timerfd_gettime`.
    ///
    /// # References
    ///
    /// [`timerfd_gettime(2)`](https://man7.org/linux/man-pages/man2/timerfd_gettime.2.html)
    #[doc(alias = "timerfd_gettime")]
    pub fn remaining(&self) -> Result<Option<Duration>> {
        let mut spec = MaybeUninit::<libc::itimerspec>::uninit();
        // SAFETY: `spec` is valid for writes of one itimerspec; the fd is owned.
        let rc = unsafe { libc::timerfd_gettime(self.fd.as_raw_fd(), spec.as_mut_ptr()) };
        if rc != 0 {
            return Err(Error::last(Op::TimerGet, self.fd.as_raw_fd()));
        }
        // SAFETY: timerfd_gettime succeeded and wrote the whole itimerspec.
        let value = unsafe { spec.assume_init() }.it_value;
        let left = Duration::new(value.tv_sec as u64, value.tv_nsec as u32);
        Ok((!left.is_zero()).then_some(left))
    }

    fn settime(&self, flags: c_int, value: libc::timespec, interval: libc::timespec) -> Result<()> {
        let spec = libc::itimerspec {
            it_interval: interval,
            it_value: value,
        };
        // SAFETY: `spec` is a live, normalised itimerspec the kernel only
        // reads; a null old value is allowed.
        let rc = unsafe {
            libc::timerfd_settime(self.fd.as_raw_fd(), flags, &spec, std::ptr::null_mut())
        };
        if rc != 0 {
            return Err(Error::last(Op::TimerSet, self.fd.as_raw_fd()));
        }
        Ok(())
    }

    /// How many times the timer expired since the last read, resetting the
    /// count: `read(self, &mut u64, 8)`. **0 if it has not expired** (the
    /// non-blocking read's `EAGAIN`), so a spurious wakeup is harmless.
    ///
    /// # Errors
    ///
    /// [`Error::Os`] only on kernel misbehaviour (the fd is owned).
    ///
    /// # References
    ///
    /// [`timerfd_create(2)`](https://man7.org/linux/man-pages/man2/timerfd_create.2.html)
    #[doc(alias = "read(2)")]
    pub fn read(&self) -> Result<u64> {
        let mut count: u64 = 0;
        loop {
            // SAFETY: reads at most 8 bytes into a live u64 from an fd we own.
            let n = unsafe {
                libc::read(
                    self.fd.as_raw_fd(),
                    (&mut count as *mut u64).cast(),
                    size_of::<u64>(),
                )
            };
            if n >= 0 {
                return Ok(count);
            }
            let err = std::io::Error::last_os_error();
            match err.raw_os_error() {
                Some(libc::EAGAIN) => return Ok(0),
                Some(libc::EINTR) => {}
                _ => return Err(Error::from_io(Op::TimerRead, self.fd.as_raw_fd(), err)),
            }
        }
    }
}

/// A `timespec` for timerfd; seconds beyond `time_t` are clamped instead of
/// wrapping (the kernel then saturates the expiry at `i64::MAX` ns itself).
fn timespec(d: Duration) -> libc::timespec {
    libc::timespec {
        tv_sec: d.as_secs().min(libc::time_t::MAX as u64) as libc::time_t,
        tv_nsec: d.subsec_nanos() as _,
    }
}

impl AsFd for Timer {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }
}

impl AsRawFd for Timer {
    fn as_raw_fd(&self) -> RawFd {
        self.fd.as_raw_fd()
    }
}

impl IntoRawFd for Timer {
    fn into_raw_fd(self) -> RawFd {
        self.fd.into_raw_fd()
    }
}
