//! The one wait syscall, and the choice between `epoll_pwait2` and `epoll_wait`.
//!
//! `epoll_pwait2` (Linux 5.11) takes a `timespec`, so a 100 µs timeout waits
//! 100 µs instead of a whole millisecond. It is reached through
//! `syscall(SYS_epoll_pwait2, ..)`, not an `extern` declaration, because
//! glibc only exports a wrapper since 2.35 and the binary must still link on
//! older systems. Whether the kernel has it is decided by the first timed
//! wait and remembered in an atomic: `ENOSYS` (kernel older than 5.11) and
//! `EPERM` (a seccomp filter that does not know the syscall, as in older
//! container runtimes) switch every later wait to `epoll_wait` for good.

use epoll_sys::epoll_event;
use std::ffi::c_int;
use std::mem::{size_of, MaybeUninit};
use std::os::fd::RawFd;
use std::sync::atomic::{AtomicU8, Ordering::Relaxed};
use std::time::Duration;

/// Which syscall timed waits use.
#[cfg(test)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Backend {
    /// No timed wait has run yet.
    Unknown,
    /// `epoll_pwait2`: nanosecond timeouts.
    Pwait2,
    /// `epoll_wait`: millisecond timeouts, rounded up.
    EpollWait,
}

const UNKNOWN: u8 = 0;
const PWAIT2: u8 = 1;
const EPOLL_WAIT: u8 = 2;

/// Process-wide: the kernel and the seccomp filter are the same for every instance.
static BACKEND: AtomicU8 = AtomicU8::new(UNKNOWN);

/// The backend chosen so far.
#[cfg(test)]
fn backend() -> Backend {
    match BACKEND.load(Relaxed) {
        PWAIT2 => Backend::Pwait2,
        EPOLL_WAIT => Backend::EpollWait,
        _ => Backend::Unknown,
    }
}

/// The longest wait one `epoll_wait` call can express (`INT_MAX` ms, about
/// 24.8 days). A longer timeout is clamped to it, never wrapped into a
/// negative ("forever") or small value (mio#1948); the caller waits again
/// for what is left.
pub(crate) const LONGEST_MS_WAIT: Duration = Duration::from_millis(c_int::MAX as u64);

/// `struct __kernel_timespec`, which `epoll_pwait2` takes on every
/// architecture (64-bit fields even where `time_t` is 32-bit).
#[repr(C)]
struct KernelTimespec {
    tv_sec: i64,
    tv_nsec: i64,
}

/// Makes exactly one wait syscall: `epoll_wait` when `timeout` is `None`
/// (block) or zero (poll), `epoll_pwait2` otherwise where available.
///
/// Returns the number of events written to the start of `buf`, or the errno.
pub(crate) fn wait_once(
    epfd: RawFd,
    buf: &mut [MaybeUninit<epoll_event>],
    timeout: Option<Duration>,
) -> Result<usize, i32> {
    match timeout {
        None => epoll_wait(epfd, buf, -1),
        Some(t) if t.is_zero() => epoll_wait(epfd, buf, 0),
        Some(t) => {
            // Relaxed is enough: every thread that races on the first timed
            // wait probes the same kernel and reaches the same answer.
            let state = BACKEND.load(Relaxed);
            if state != EPOLL_WAIT {
                match epoll_pwait2(epfd, buf, t) {
                    Err(libc::ENOSYS | libc::EPERM) => BACKEND.store(EPOLL_WAIT, Relaxed),
                    result => {
                        if state == UNKNOWN {
                            BACKEND.store(PWAIT2, Relaxed);
                        }
                        return result;
                    }
                }
            }
            epoll_wait(epfd, buf, timeout_ms(t))
        }
    }
}

/// `maxevents` for a buffer: the kernel rejects more than
/// `INT_MAX / sizeof(struct epoll_event)` with `EINVAL`.
fn max_events(buf: &[MaybeUninit<epoll_event>]) -> c_int {
    let limit = c_int::MAX as usize / size_of::<epoll_event>();
    buf.len().min(limit) as c_int
}

/// A timeout in whole milliseconds for `epoll_wait`, rounded **up** so that
/// a 1 µs timeout waits 1 ms instead of becoming a 0 ms poll that turns the
/// caller's loop into a busy loop (mio#1614), and clamped to `INT_MAX`.
pub(crate) fn timeout_ms(t: Duration) -> c_int {
    let ms = t.as_nanos().div_ceil(1_000_000);
    ms.min(c_int::MAX as u128) as c_int
}

/// The timeout as `epoll_pwait2` takes it; seconds beyond `i64::MAX` are
/// clamped (the kernel saturates the deadline itself).
fn kernel_timespec(t: Duration) -> KernelTimespec {
    KernelTimespec {
        tv_sec: t.as_secs().min(i64::MAX as u64) as i64,
        tv_nsec: i64::from(t.subsec_nanos()),
    }
}

/// `epoll_wait(epfd, buf, maxevents, timeout_ms)`.
pub(crate) fn epoll_wait(
    epfd: RawFd,
    buf: &mut [MaybeUninit<epoll_event>],
    timeout_ms: c_int,
) -> Result<usize, i32> {
    // SAFETY: `buf` is valid for writes of `max_events(buf) <= buf.len()`
    // entries for the duration of the call; `epoll_event` has the kernel's
    // layout (epoll-sys proves it against libc and the C header).
    let n = unsafe {
        epoll_sys::epoll_wait(epfd, buf.as_mut_ptr().cast(), max_events(buf), timeout_ms)
    };
    result(n)
}

/// `syscall(SYS_epoll_pwait2, epfd, buf, maxevents, &timeout, NULL, 0)`.
pub(crate) fn epoll_pwait2(
    epfd: RawFd,
    buf: &mut [MaybeUninit<epoll_event>],
    timeout: Duration,
) -> Result<usize, i32> {
    let ts = kernel_timespec(timeout);
    // SAFETY: `buf` is valid for writes of `max_events(buf)` entries with the
    // kernel's layout; `ts` is a live `__kernel_timespec` the kernel only
    // reads; a null sigmask means "leave the mask alone", so its size (the
    // last argument) is not read.
    let n = unsafe {
        libc::syscall(
            libc::SYS_epoll_pwait2,
            epfd,
            buf.as_mut_ptr().cast::<epoll_event>(),
            max_events(buf),
            &ts as *const KernelTimespec,
            std::ptr::null::<libc::sigset_t>(),
            0usize,
        )
    };
    result(n as c_int)
}

fn result(n: c_int) -> Result<usize, i32> {
    if n < 0 {
        Err(std::io::Error::last_os_error()
            .raw_os_error()
            .unwrap_or(libc::EIO))
    } else {
        Ok(n as usize)
    }
}

#[cfg(test)]
mod tests;
