//! [`Timer`]: a deadline as an fd you register (timerfd, `CLOCK_MONOTONIC`).

use std::os::fd::{AsFd, AsRawFd, BorrowedFd, FromRawFd, OwnedFd, RawFd};
use std::time::Duration;

use crate::{Error, Op, Result};

/// A timer that becomes readable when it expires: register it with
/// [`Epoll::add`](crate::Epoll::add) and [`Interest::READABLE`](crate::Interest::READABLE).
///
/// A `timerfd` on `CLOCK_MONOTONIC` (unaffected by wall-clock changes),
/// created with `TFD_NONBLOCK | TFD_CLOEXEC` and closed on drop. It stays
/// readable until [`read`](Self::read) is called, like any level-triggered fd.
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
/// timer.set_after(Duration::from_millis(5));
///
/// let mut events = Events::default();
/// epoll.wait(&mut events, None)?;
/// assert!(start.elapsed() >= Duration::from_millis(5));
/// assert_eq!(timer.read()?, 1); // one expiration; now not readable any more
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct Timer {
    fd: OwnedFd,
}

impl Timer {
    /// `timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC)`—A new,
    /// disarmed timer.
    ///
    /// # Errors
    ///
    /// [`Error::Os`] (`EMFILE`, `ENFILE`) or [`Error::OutOfMemory`].
    ///
    /// # References
    ///
    /// [`timerfd_create(2)`](https://man7.org/linux/man-pages/man2/timerfd_create.2.html)
    #[doc(alias = "timerfd_create")]
    pub fn new() -> Result<Timer> {
        // SAFETY: takes no pointers; the clock and flags are valid.
        let fd = unsafe {
            libc::timerfd_create(
                libc::CLOCK_MONOTONIC,
                libc::TFD_NONBLOCK | libc::TFD_CLOEXEC,
            )
        };
        if fd < 0 {
            return Err(Error::last(Op::TimerNew, -1));
        }
        // SAFETY: `fd` was just returned by the kernel and nothing else owns it.
        let fd = unsafe { OwnedFd::from_raw_fd(fd) };
        Ok(Timer { fd })
    }

    /// `timerfd_settime(self, 0, {after, 0}, NULL)`—Expires once, `after`
    /// from now; replaces any earlier setting.
    ///
    /// A zero duration still fires (at once): timerfd treats a zero value as
    /// "disarm", so it is sent as 1 ns.
    ///
    /// # Panics
    ///
    /// Never in practice: `timerfd_settime` can only fail on an invalid fd
    /// or value, and the fd is owned and the value normalised here.
    ///
    /// # References
    ///
    /// [`timerfd_settime(2)`](https://man7.org/linux/man-pages/man2/timerfd_settime.2.html)
    #[doc(alias = "timerfd_settime")]
    pub fn set_after(&self, after: Duration) {
        self.settime(
            timespec(after.max(Duration::from_nanos(1))),
            timespec(Duration::ZERO),
        );
    }

    /// `timerfd_settime(self, 0, {first, every}, NULL)`—Expires `first`
    /// from now, then every `every`; replaces any earlier setting.
    ///
    /// A zero `first` fires at once (sent as 1 ns); a zero `every` means no
    /// repetition, as with [`set_after`](Self::set_after).
    ///
    /// # Panics
    ///
    /// Never in practice, as [`set_after`](Self::set_after).
    ///
    /// # References
    ///
    /// [`timerfd_settime(2)`](https://man7.org/linux/man-pages/man2/timerfd_settime.2.html)
    #[doc(alias = "timerfd_settime")]
    pub fn set_interval(&self, first: Duration, every: Duration) {
        self.settime(
            timespec(first.max(Duration::from_nanos(1))),
            timespec(every),
        );
    }

    /// `timerfd_settime(self, 0, {0, 0}, NULL)`—Stops the timer; an
    /// expiration not yet read stays readable until [`read`](Self::read).
    ///
    /// # Panics
    ///
    /// Never in practice, as [`set_after`](Self::set_after).
    ///
    /// # References
    ///
    /// [`timerfd_settime(2)`](https://man7.org/linux/man-pages/man2/timerfd_settime.2.html)
    #[doc(alias = "timerfd_settime")]
    pub fn disarm(&self) {
        self.settime(timespec(Duration::ZERO), timespec(Duration::ZERO));
    }

    fn settime(&self, value: libc::timespec, interval: libc::timespec) {
        let spec = libc::itimerspec {
            it_interval: interval,
            it_value: value,
        };
        // SAFETY: `spec` is a live, normalised itimerspec the kernel only
        // reads; a null old value is allowed.
        let rc =
            unsafe { libc::timerfd_settime(self.fd.as_raw_fd(), 0, &spec, std::ptr::null_mut()) };
        // Only EBADF/EFAULT/EINVAL are possible, each a bug in this file.
        assert!(
            rc == 0,
            "timerfd_settime on an owned timerfd failed: {}",
            std::io::Error::last_os_error()
        );
    }

    /// `read(self, &mut u64, 8)`—How many times the timer expired since the
    /// last read, resetting the count; **0 if it has not expired** (the
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

/// A `timespec` for timerfd; seconds beyond `time_t` are clamped (the
/// kernel saturates the expiry itself) instead of wrapping.
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
