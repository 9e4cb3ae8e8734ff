//! The one wait syscall per call, and the choice between `epoll_pwait2` and
//! `epoll_wait` for timed waits.
//!
//! `epoll_pwait2` (Linux 5.11) takes a `timespec`, so a 100 µs timeout waits
//! about 100 µs instead of a whole millisecond. It is reached through
//! `syscall(SYS_epoll_pwait2, ..)`, not an `extern` declaration, because
//! glibc only exports a wrapper since 2.35 and the binary must still link on
//! older systems. Whether the kernel has it is decided by the first timed
//! wait and remembered in an atomic: `ENOSYS` (kernel older than 5.11),
//! `EPERM` (a seccomp filter that does not know the syscall, as in older
//! container runtimes) and `ENOTSUP` (gVisor and some filters) switch every
//! later wait to `epoll_wait` for good.
//!
//! A filter that *kills* on an unknown syscall cannot be probed safely; that
//! is what the `pwait2` cargo feature and [`set_pwait2`] are for: without
//! either, `epoll_pwait2` is never issued.

use epoll_sys::epoll_event;
use std::ffi::c_int;
use std::mem::{size_of, MaybeUninit};
use std::os::fd::RawFd;
#[cfg(any(feature = "pwait2", test))]
use std::sync::atomic::AtomicU8;
use std::sync::atomic::{AtomicBool, Ordering::Relaxed};
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

// What the probe found; without the feature nothing probes (tests still
// read the state).
#[cfg(any(feature = "pwait2", test))]
const UNKNOWN: u8 = 0;
#[cfg(any(feature = "pwait2", test))]
const PWAIT2: u8 = 1;
#[cfg(any(feature = "pwait2", test))]
const EPOLL_WAIT: u8 = 2;

/// Process-wide: the kernel and the seccomp filter are the same for every instance.
#[cfg(any(feature = "pwait2", test))]
static BACKEND: AtomicU8 = AtomicU8::new(UNKNOWN);

/// Whether timed waits may try `epoll_pwait2` at all: [`set_pwait2`].
static PWAIT2_ALLOWED: AtomicBool = AtomicBool::new(cfg!(feature = "pwait2"));

/// Allows (`true`) or forbids (`false`) `epoll_pwait2` for every later timed
/// wait of every [`Epoll`](crate::Epoll) in the process.
///
/// Use `set_pwait2(false)`, before any timed wait, in a program that runs
/// under a seccomp filter which **kills or traps** on syscalls it does not
/// know (systemd's `SystemCallFilter=` with an older list, hand-written
/// sandboxes): the first timed wait would otherwise probe `epoll_pwait2`
/// and die of `SIGSYS`. Filters that return an errno (`ENOSYS`, `EPERM`,
/// `ENOTSUP`) need nothing: the probe sees the errno and falls back.
///
/// The cost: timed waits use `epoll_wait`, whose timeout is whole
/// milliseconds, rounded **up** (a 100 µs timeout waits about 1 ms).
/// Blocking waits and polls never use `epoll_pwait2` anyway.
///
/// Why a runtime switch as well as the `pwait2` cargo feature: cargo unifies
/// features, so any other crate in the build that depends on `epoll-safe`
/// with default features turns the feature back on. This switch holds
/// whatever the feature set. Without the feature, `epoll_pwait2` is not even
/// compiled in and `set_pwait2(true)` changes nothing.
///
/// Honoured from the next wait that starts after the call (a relaxed atomic:
/// call it before starting the threads that wait).
///
/// ```
/// epoll_safe::set_pwait2(false); // this program runs under a killing filter
/// let epoll = epoll_safe::Epoll::new()?;
/// let mut events = epoll_safe::Events::default();
/// epoll.wait(&mut events, Some(std::time::Duration::from_micros(100)))?; // epoll_wait, 1 ms
/// # Ok::<(), epoll_safe::Error>(())
/// ```
pub fn set_pwait2(enabled: bool) {
    PWAIT2_ALLOWED.store(enabled && cfg!(feature = "pwait2"), Relaxed);
}

/// Whether timed waits may currently try `epoll_pwait2` (the feature and
/// [`set_pwait2`] together; the kernel may still lack it).
pub fn pwait2_enabled() -> bool {
    PWAIT2_ALLOWED.load(Relaxed)
}

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
#[cfg(feature = "pwait2")]
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
            #[cfg(feature = "pwait2")]
            if let Some(result) = try_pwait2(epfd, buf, t) {
                return result;
            }
            epoll_wait(epfd, buf, timeout_ms(t))
        }
    }
}

/// `epoll_pwait2` if it is allowed and not known to be absent; `None` means
/// "use `epoll_wait`".
#[cfg(feature = "pwait2")]
fn try_pwait2(
    epfd: RawFd,
    buf: &mut [MaybeUninit<epoll_event>],
    timeout: Duration,
) -> Option<Result<usize, i32>> {
    if !PWAIT2_ALLOWED.load(Relaxed) {
        return None;
    }
    // Relaxed is enough: every thread that races on the first timed wait
    // probes the same kernel and reaches the same answer.
    let state = BACKEND.load(Relaxed);
    if state == EPOLL_WAIT {
        return None;
    }
    match epoll_pwait2(epfd, buf, timeout) {
        Err(errno) if means_absent(errno) => {
            BACKEND.store(EPOLL_WAIT, Relaxed);
            None
        }
        result => {
            if state == UNKNOWN {
                BACKEND.store(PWAIT2, Relaxed);
            }
            Some(result)
        }
    }
}

/// The errnos that mean "no `epoll_pwait2` here": `ENOSYS` (old kernel),
/// `EPERM` and `ENOTSUP` (seccomp filters, gVisor). None of them can come
/// from a valid `epoll_pwait2` on an owned epoll fd.
#[cfg(any(feature = "pwait2", test))]
pub(crate) fn means_absent(errno: i32) -> bool {
    matches!(errno, libc::ENOSYS | libc::EPERM | libc::ENOTSUP)
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
    ms.min(LONGEST_MS_WAIT.as_millis()) as c_int
}

/// The timeout as `epoll_pwait2` takes it; seconds beyond `i64::MAX` are
/// clamped (the kernel saturates the deadline itself).
#[cfg(feature = "pwait2")]
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
#[cfg(feature = "pwait2")]
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
