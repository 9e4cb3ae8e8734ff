//! The `extern "C"` functions, as glibc and musl export them.
//!
//! `epoll_pwait2` is deliberately absent: glibc added its wrapper only in 2.35,
//! so declaring it would break linking on older systems. `epoll-safe` reaches
//! it through `syscall(SYS_epoll_pwait2, …)` instead.

use crate::epoll_event;
use core::ffi::{c_int, c_ulong};

/// The C library's `sigset_t`: 1024 signal bits (128 bytes) on glibc and musl.
///
/// Only [`epoll_pwait`] takes it, by pointer; a `libc::sigset_t` has the same
/// layout and may be passed by casting the pointer.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct sigset_t {
    /// The signal bits, opaque to this crate.
    pub __val: [c_ulong; 1024 / (8 * core::mem::size_of::<c_ulong>())],
}

extern "C" {
    /// `epoll_create(2)`: open an epoll instance. `size` is ignored but must be
    /// greater than zero. Returns the new fd, or -1 and sets `errno`.
    ///
    /// Prefer [`epoll_create1`] with [`EPOLL_CLOEXEC`](crate::EPOLL_CLOEXEC).
    pub fn epoll_create(size: c_int) -> c_int;

    /// `epoll_create1(2)`: open an epoll instance; `flags` is 0 or
    /// [`EPOLL_CLOEXEC`](crate::EPOLL_CLOEXEC). Returns the new fd, or -1 and sets `errno`.
    pub fn epoll_create1(flags: c_int) -> c_int;

    /// `epoll_ctl(2)`: add, modify or delete `fd` in the interest list of `epfd`.
    ///
    /// `op` is one of the `EPOLL_CTL_*` constants. `event` may be null only for
    /// `EPOLL_CTL_DEL` (Linux 2.6.9+). Returns 0, or -1 and sets `errno`.
    pub fn epoll_ctl(epfd: c_int, op: c_int, fd: c_int, event: *mut epoll_event) -> c_int;

    /// `epoll_wait(2)`: wait up to `timeout` milliseconds (-1 blocks, 0 polls)
    /// and write at most `maxevents` (> 0) ready events to `events`.
    /// Returns how many were written, or -1 and sets `errno` (`EINTR` on a signal).
    pub fn epoll_wait(
        epfd: c_int,
        events: *mut epoll_event,
        maxevents: c_int,
        timeout: c_int,
    ) -> c_int;

    /// `epoll_pwait(2)`: like [`epoll_wait`], with `sigmask` (if not null)
    /// installed atomically as the thread's signal mask for the duration of the wait.
    pub fn epoll_pwait(
        epfd: c_int,
        events: *mut epoll_event,
        maxevents: c_int,
        timeout: c_int,
        sigmask: *const sigset_t,
    ) -> c_int;
}

#[cfg(test)]
mod tests {
    use super::sigset_t;
    use core::mem::{align_of, size_of};

    #[test]
    fn sigset_layout_equals_libc() {
        assert_eq!(size_of::<sigset_t>(), size_of::<libc::sigset_t>());
        assert_eq!(align_of::<sigset_t>(), align_of::<libc::sigset_t>());
    }
}
