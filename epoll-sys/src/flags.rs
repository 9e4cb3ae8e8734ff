//! `EPOLL*` event bits, `EPOLL_CTL_*` operations and `EPOLL_CLOEXEC`.
//!
//! Event bits are `u32`, the type of [`epoll_event::events`](crate::epoll_event);
//! operations and creation flags are `c_int`, as `epoll_ctl` and `epoll_create1` take them.

use core::ffi::c_int;

/// The associated file is available for `read(2)`.
pub const EPOLLIN: u32 = 0x001;
/// There is an exceptional condition (e.g. out-of-band TCP data).
pub const EPOLLPRI: u32 = 0x002;
/// The associated file is available for `write(2)`.
pub const EPOLLOUT: u32 = 0x004;
/// Error condition; always reported, no need to ask for it.
pub const EPOLLERR: u32 = 0x008;
/// Hang up; always reported, no need to ask for it.
pub const EPOLLHUP: u32 = 0x010;
/// Normal data can be read (same as `EPOLLIN` for sockets).
pub const EPOLLRDNORM: u32 = 0x040;
/// Priority band data can be read.
pub const EPOLLRDBAND: u32 = 0x080;
/// Normal data can be written (same as `EPOLLOUT` for sockets).
pub const EPOLLWRNORM: u32 = 0x100;
/// Priority data can be written.
pub const EPOLLWRBAND: u32 = 0x200;
/// Unused by Linux; defined for completeness.
pub const EPOLLMSG: u32 = 0x400;
/// The stream peer closed its side or shut down writing (Linux 2.6.17).
pub const EPOLLRDHUP: u32 = 0x2000;
/// Set by io_uring on the wakeups it generates, so its poll handler can tell
/// them from others and not recurse into itself (Linux 6.1). Internal to the
/// kernel: never ask for it, and it is not reported to `epoll_wait`.
pub const EPOLL_URING_WAKE: u32 = 1 << 27;
/// Wake only one of several epoll instances waiting on the same fd (Linux 4.5).
/// Only valid with `EPOLL_CTL_ADD`.
pub const EPOLLEXCLUSIVE: u32 = 1 << 28;
/// Keep the system awake while the event is pending (needs `CAP_BLOCK_SUSPEND`).
pub const EPOLLWAKEUP: u32 = 1 << 29;
/// Report one event, then disable the fd until it is re-armed with `EPOLL_CTL_MOD`.
pub const EPOLLONESHOT: u32 = 1 << 30;
/// Edge-triggered: report changes of readiness, not readiness itself.
pub const EPOLLET: u32 = 1 << 31;

/// `epoll_ctl` operation: register a file descriptor.
pub const EPOLL_CTL_ADD: c_int = 1;
/// `epoll_ctl` operation: remove a file descriptor.
pub const EPOLL_CTL_DEL: c_int = 2;
/// `epoll_ctl` operation: change the event mask or data of a registered fd.
pub const EPOLL_CTL_MOD: c_int = 3;

/// `epoll_create1` flag: set close-on-exec on the new descriptor (equals `O_CLOEXEC`).
#[cfg(not(any(target_arch = "sparc", target_arch = "sparc64")))]
pub const EPOLL_CLOEXEC: c_int = 0o2_000_000;
/// `epoll_create1` flag: set close-on-exec on the new descriptor (equals `O_CLOEXEC`).
#[cfg(any(target_arch = "sparc", target_arch = "sparc64"))]
pub const EPOLL_CLOEXEC: c_int = 0x40_0000;

#[cfg(test)]
mod tests {
    use super::*;

    /// Every event bit must equal libc's (libc declares them as `c_int`).
    #[test]
    fn event_bits_equal_libc() {
        let pairs: [(&str, u32, libc::c_int); 15] = [
            ("EPOLLIN", EPOLLIN, libc::EPOLLIN),
            ("EPOLLPRI", EPOLLPRI, libc::EPOLLPRI),
            ("EPOLLOUT", EPOLLOUT, libc::EPOLLOUT),
            ("EPOLLERR", EPOLLERR, libc::EPOLLERR),
            ("EPOLLHUP", EPOLLHUP, libc::EPOLLHUP),
            ("EPOLLRDNORM", EPOLLRDNORM, libc::EPOLLRDNORM),
            ("EPOLLRDBAND", EPOLLRDBAND, libc::EPOLLRDBAND),
            ("EPOLLWRNORM", EPOLLWRNORM, libc::EPOLLWRNORM),
            ("EPOLLWRBAND", EPOLLWRBAND, libc::EPOLLWRBAND),
            ("EPOLLMSG", EPOLLMSG, libc::EPOLLMSG),
            ("EPOLLRDHUP", EPOLLRDHUP, libc::EPOLLRDHUP),
            ("EPOLLEXCLUSIVE", EPOLLEXCLUSIVE, libc::EPOLLEXCLUSIVE),
            ("EPOLLWAKEUP", EPOLLWAKEUP, libc::EPOLLWAKEUP),
            ("EPOLLONESHOT", EPOLLONESHOT, libc::EPOLLONESHOT),
            ("EPOLLET", EPOLLET, libc::EPOLLET),
        ];
        for (name, ours, theirs) in pairs {
            assert_eq!(ours, theirs as u32, "{name}");
        }
    }

    /// Not in glibc's `<sys/epoll.h>` (the C check reads it from the uapi
    /// `<linux/eventpoll.h>`, 6.1+ headers), and not in every libc version: pinned
    /// to `include/uapi/linux/eventpoll.h` (`(__poll_t)(1U << 27)`).
    #[test]
    fn uring_wake_is_the_kernels() {
        assert_eq!(EPOLL_URING_WAKE, 0x0800_0000);
        let all_others = EPOLLIN
            | EPOLLPRI
            | EPOLLOUT
            | EPOLLERR
            | EPOLLHUP
            | EPOLLRDNORM
            | EPOLLRDBAND
            | EPOLLWRNORM
            | EPOLLWRBAND
            | EPOLLMSG
            | EPOLLRDHUP
            | EPOLLEXCLUSIVE
            | EPOLLWAKEUP
            | EPOLLONESHOT
            | EPOLLET;
        assert_eq!(EPOLL_URING_WAKE & all_others, 0);
    }

    #[test]
    fn ops_and_cloexec_equal_libc() {
        assert_eq!(EPOLL_CTL_ADD, libc::EPOLL_CTL_ADD);
        assert_eq!(EPOLL_CTL_DEL, libc::EPOLL_CTL_DEL);
        assert_eq!(EPOLL_CTL_MOD, libc::EPOLL_CTL_MOD);
        assert_eq!(EPOLL_CLOEXEC, libc::EPOLL_CLOEXEC);
        assert_eq!(EPOLL_CLOEXEC, libc::O_CLOEXEC);
    }
}
