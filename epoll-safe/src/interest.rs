//! [`Interest`]: which readiness to report, and how.

use epoll_sys::{
    EPOLLET, EPOLLEXCLUSIVE, EPOLLIN, EPOLLONESHOT, EPOLLOUT, EPOLLPRI, EPOLLRDHUP, EPOLLWAKEUP,
};
use std::fmt;
use std::num::NonZeroU32;
use std::ops::BitOr;

/// Which readiness to report for a registered fd, plus the modifiers
/// (edge-triggered, one-shot, exclusive, wakeup).
///
/// An empty interest cannot be built: every value starts from one of the
/// four readiness constants. `EPOLLERR` and `EPOLLHUP` are always reported
/// by the kernel and need not be asked for.
///
/// ```
/// use epoll_safe::Interest;
/// let i = (Interest::READABLE | Interest::WRITABLE).edge();
/// assert!(i.is_readable() && i.is_writable() && i.is_edge());
/// assert_eq!(format!("{i:?}"), "READABLE | WRITABLE | EDGE");
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Interest(NonZeroU32);

const fn nz(bits: u32) -> NonZeroU32 {
    match NonZeroU32::new(bits) {
        Some(n) => n,
        None => panic!("interest bits are never zero"),
    }
}

impl Interest {
    /// The fd is readable, or a listener has a connection to accept (`EPOLLIN`).
    pub const READABLE: Interest = Interest(nz(EPOLLIN));
    /// The fd is writable (`EPOLLOUT`).
    pub const WRITABLE: Interest = Interest(nz(EPOLLOUT));
    /// An exceptional condition, e.g. TCP out-of-band data (`EPOLLPRI`).
    pub const PRIORITY: Interest = Interest(nz(EPOLLPRI));
    /// The stream peer closed its side or shut down writing (`EPOLLRDHUP`).
    pub const READ_CLOSED: Interest = Interest(nz(EPOLLRDHUP));

    /// Both interests (a `const` form of `|`).
    #[must_use]
    pub const fn add(self, other: Interest) -> Interest {
        Interest(nz(self.0.get() | other.0.get()))
    }

    /// These interests without `other`'s bits, or `None` if no readiness
    /// (readable, writable, priority, read-closed) would be left.
    #[must_use]
    pub const fn remove(self, other: Interest) -> Option<Interest> {
        const READINESS: u32 = EPOLLIN | EPOLLOUT | EPOLLPRI | EPOLLRDHUP;
        let left = self.0.get() & !other.0.get();
        if left & READINESS == 0 {
            None
        } else {
            Some(Interest(nz(left)))
        }
    }

    /// Edge-triggered: reports a change of readiness once (`EPOLLET`); the
    /// caller must then read (or write) until `WouldBlock` before the next
    /// event can come.
    #[must_use]
    pub const fn edge(self) -> Interest {
        Interest(nz(self.0.get() | EPOLLET))
    }

    /// Reports one event, then disables the registration until it is
    /// re-armed with [`Epoll::modify`](crate::Epoll::modify) (`EPOLLONESHOT`).
    #[must_use]
    pub const fn oneshot(self) -> Interest {
        Interest(nz(self.0.get() | EPOLLONESHOT))
    }

    /// When several epoll instances watch the same fd, wakes only one of them
    /// (`EPOLLEXCLUSIVE`, Linux 4.5). Only valid with
    /// [`Epoll::add`](crate::Epoll::add) (`modify` rejects it), only beside
    /// [`READABLE`](Self::READABLE), [`WRITABLE`](Self::WRITABLE),
    /// [`edge`](Self::edge) and [`wakeup`](Self::wakeup), and not on an epoll
    /// fd: `add` rejects the rest with [`Error::InvalidArgument`](crate::Error::InvalidArgument).
    #[must_use]
    pub const fn exclusive(self) -> Interest {
        Interest(nz(self.0.get() | EPOLLEXCLUSIVE))
    }

    /// Keeps the system from suspending while this fd's event is pending
    /// (`EPOLLWAKEUP`): from the moment it is queued until the next wait
    /// after it was returned (for edge-triggered or one-shot registrations,
    /// until the next wait).
    ///
    /// Needs `CAP_BLOCK_SUSPEND` and a kernel with `CONFIG_PM_SLEEP`;
    /// without them the kernel **silently drops** the flag and the
    /// registration succeeds as if it had not been asked for.
    #[must_use]
    pub const fn wakeup(self) -> Interest {
        Interest(nz(self.0.get() | EPOLLWAKEUP))
    }

    /// The raw `EPOLL*` bits, as `epoll_ctl` receives them.
    pub const fn bits(self) -> u32 {
        self.0.get()
    }

    /// Whether [`READABLE`](Self::READABLE) is included.
    pub const fn is_readable(self) -> bool {
        self.0.get() & EPOLLIN != 0
    }

    /// Whether [`WRITABLE`](Self::WRITABLE) is included.
    pub const fn is_writable(self) -> bool {
        self.0.get() & EPOLLOUT != 0
    }

    /// Whether [`PRIORITY`](Self::PRIORITY) is included.
    pub const fn is_priority(self) -> bool {
        self.0.get() & EPOLLPRI != 0
    }

    /// Whether [`READ_CLOSED`](Self::READ_CLOSED) is included.
    pub const fn is_read_closed(self) -> bool {
        self.0.get() & EPOLLRDHUP != 0
    }

    /// Whether [`edge`](Self::edge) was applied.
    pub const fn is_edge(self) -> bool {
        self.0.get() & EPOLLET != 0
    }

    /// Whether [`oneshot`](Self::oneshot) was applied.
    pub const fn is_oneshot(self) -> bool {
        self.0.get() & EPOLLONESHOT != 0
    }

    /// Whether [`exclusive`](Self::exclusive) was applied.
    pub const fn is_exclusive(self) -> bool {
        self.0.get() & EPOLLEXCLUSIVE != 0
    }

    /// Whether [`wakeup`](Self::wakeup) was applied.
    pub const fn is_wakeup(self) -> bool {
        self.0.get() & EPOLLWAKEUP != 0
    }

    /// The rule of `epoll_ctl(2)` an exclusive interest breaks, if any: the
    /// kernel allows only `EPOLLIN`, `EPOLLOUT`, `EPOLLWAKEUP` and `EPOLLET`
    /// beside `EPOLLEXCLUSIVE` (`EPOLLEXCLUSIVE_OK_BITS` in `fs/eventpoll.c`).
    pub(crate) const fn exclusive_violation(self) -> Option<&'static str> {
        const OK: u32 = EPOLLIN | EPOLLOUT | EPOLLWAKEUP | EPOLLET | EPOLLEXCLUSIVE;
        let bits = self.0.get();
        if bits & EPOLLEXCLUSIVE == 0 {
            None
        } else if bits & EPOLLONESHOT != 0 {
            Some("EPOLLEXCLUSIVE cannot be combined with EPOLLONESHOT")
        } else if bits & !OK != 0 {
            Some(
                "EPOLLEXCLUSIVE allows only READABLE, WRITABLE, edge and wakeup beside it \
                 (not PRIORITY or READ_CLOSED)",
            )
        } else {
            None
        }
    }
}

impl BitOr for Interest {
    type Output = Interest;

    fn bitor(self, other: Interest) -> Interest {
        self.add(other)
    }
}

/// The flag names joined by `" | "`, e.g. `READABLE | ONESHOT`.
impl fmt::Debug for Interest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const NAMES: [(u32, &str); 8] = [
            (EPOLLIN, "READABLE"),
            (EPOLLOUT, "WRITABLE"),
            (EPOLLPRI, "PRIORITY"),
            (EPOLLRDHUP, "READ_CLOSED"),
            (EPOLLET, "EDGE"),
            (EPOLLONESHOT, "ONESHOT"),
            (EPOLLEXCLUSIVE, "EXCLUSIVE"),
            (EPOLLWAKEUP, "WAKEUP"),
        ];
        let mut sep = "";
        for (bit, name) in NAMES {
            if self.0.get() & bit != 0 {
                write!(f, "{sep}{name}")?;
                sep = " | ";
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::Interest;

    #[test]
    fn debug_prints_flag_names_in_order() {
        let i = Interest::WRITABLE | Interest::READABLE;
        assert_eq!(
            format!("{:?}", i.oneshot()),
            "READABLE | WRITABLE | ONESHOT"
        );
        assert_eq!(
            format!("{:?}", Interest::READ_CLOSED.exclusive()),
            "READ_CLOSED | EXCLUSIVE"
        );
    }

    #[test]
    fn bits_are_the_epoll_constants() {
        let i = Interest::READABLE.add(Interest::PRIORITY).edge();
        assert_eq!(
            i.bits(),
            epoll_sys::EPOLLIN | epoll_sys::EPOLLPRI | epoll_sys::EPOLLET
        );
    }

    #[test]
    fn wakeup_sets_epollwakeup() {
        let i = Interest::READABLE.wakeup();
        assert!(i.is_wakeup());
        assert_eq!(i.bits(), epoll_sys::EPOLLIN | epoll_sys::EPOLLWAKEUP);
        assert_eq!(format!("{i:?}"), "READABLE | WAKEUP");
    }

    #[test]
    fn exclusive_allows_only_what_the_kernel_allows() {
        let ok = [
            Interest::READABLE.exclusive(),
            (Interest::READABLE | Interest::WRITABLE)
                .edge()
                .wakeup()
                .exclusive(),
            Interest::READABLE.oneshot(), // not exclusive: not this rule's business
        ];
        for i in ok {
            assert_eq!(i.exclusive_violation(), None, "{i:?}");
        }
        let bad = [
            Interest::READABLE.oneshot().exclusive(),
            (Interest::READABLE | Interest::PRIORITY).exclusive(),
            (Interest::READABLE | Interest::READ_CLOSED).exclusive(),
        ];
        for i in bad {
            assert!(i.exclusive_violation().is_some(), "{i:?}");
        }
    }

    #[test]
    fn remove_never_yields_an_empty_interest() {
        let rw = Interest::READABLE | Interest::WRITABLE;
        assert_eq!(rw.remove(Interest::WRITABLE), Some(Interest::READABLE));
        assert_eq!(Interest::READABLE.remove(Interest::READABLE), None);
        assert_eq!(Interest::READABLE.edge().remove(Interest::READABLE), None);
    }
}
