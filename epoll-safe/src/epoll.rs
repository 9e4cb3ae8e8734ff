//! [`Epoll`]: an epoll instance, owned.

use epoll_sys::{epoll_event, EPOLL_CLOEXEC, EPOLL_CTL_ADD, EPOLL_CTL_DEL, EPOLL_CTL_MOD};
use std::mem::MaybeUninit;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, FromRawFd, IntoRawFd, OwnedFd, RawFd};
use std::time::{Duration, Instant};

use crate::wait_loop::{wait_until, Deadline, WaitOnce};
use crate::wait_syscall;
use crate::{Error, Events, Interest, Op, Result, Token};

/// An epoll instance: an interest list of fds and a ready list to wait on.
///
/// Owns its fd (created with `EPOLL_CLOEXEC`) and closes it on drop. `Epoll`
/// is `Send + Sync`: one thread may [`wait`](Self::wait) while others
/// [`add`](Self::add), [`modify`](Self::modify) and [`delete`](Self::delete).
#[derive(Debug)]
pub struct Epoll {
    fd: OwnedFd,
}

impl Epoll {
    /// Opens a new epoll instance: `epoll_create1(EPOLL_CLOEXEC)`.
    ///
    /// # Errors
    ///
    /// [`Error::FileLimit`] when the process (`EMFILE`) or the system
    /// (`ENFILE`) is out of file descriptors; [`Error::OutOfMemory`].
    ///
    /// # References
    ///
    /// [`epoll_create1(2)`](https://man7.org/linux/man-pages/man2/epoll_create1.2.html)
    #[doc(alias = "epoll_create1")]
    #[doc(alias = "epoll_create")]
    pub fn new() -> Result<Epoll> {
        // SAFETY: epoll_create1 takes no pointers; the flag is valid.
        let fd = unsafe { epoll_sys::epoll_create1(EPOLL_CLOEXEC) };
        if fd < 0 {
            return Err(Error::last(Op::Create, -1));
        }
        // SAFETY: `fd` was just returned by the kernel, is open, and nothing
        // else owns it.
        let fd = unsafe { OwnedFd::from_raw_fd(fd) };
        Ok(Epoll { fd })
    }

    /// Starts watching `fd` for `interest`, reporting its events with
    /// `token`: `epoll_ctl(self, EPOLL_CTL_ADD, fd, {interest, token})`.
    ///
    /// The kernel watches the fd's *open file description*, not its number;
    /// see the [crate docs](crate#registration-is-by-open-file-description).
    ///
    /// # Errors
    ///
    /// - [`Error::AlreadyRegistered`]: `fd` (or a dup of it) is already added.
    /// - [`Error::Unpollable`]: `fd` is a regular file or directory.
    /// - [`Error::BadFd`]: `fd` was opened with `O_PATH`.
    /// - [`Error::InvalidArgument`]: `fd` is this epoll instance; or
    ///   `interest` has [`exclusive`](Interest::exclusive) with something the
    ///   kernel refuses beside it ([`oneshot`](Interest::oneshot),
    ///   [`PRIORITY`](Interest::PRIORITY), [`READ_CLOSED`](Interest::READ_CLOSED);
    ///   checked before the syscall), or with an epoll instance as `fd`
    ///   (told by the kernel's `EINVAL`). The reason names the rule.
    /// - [`Error::Loop`]: `fd` is an epoll instance that watches this one.
    /// - [`Error::WatchLimit`], [`Error::OutOfMemory`]: kernel limits.
    ///
    /// # References
    ///
    /// [`epoll_ctl(2)`](https://man7.org/linux/man-pages/man2/epoll_ctl.2.html)
    #[doc(alias = "epoll_ctl")]
    #[doc(alias = "EPOLL_CTL_ADD")]
    pub fn add(&self, fd: impl AsFd, token: Token, interest: Interest) -> Result<()> {
        if let Some(reason) = interest.exclusive_violation() {
            return Err(Error::InvalidArgument {
                op: Op::Add,
                reason,
            });
        }
        let result = self.ctl(EPOLL_CTL_ADD, Op::Add, fd.as_fd(), token, interest.bits());
        match result {
            // Every other EINVAL of EPOLL_CTL_ADD (fd == epfd) is the same
            // with or without EPOLLEXCLUSIVE; this one is not.
            Err(Error::InvalidArgument { .. })
                if interest.is_exclusive() && fd.as_fd().as_raw_fd() != self.as_raw_fd() =>
            {
                Err(Error::InvalidArgument {
                    op: Op::Add,
                    reason: "EPOLLEXCLUSIVE cannot watch an epoll instance",
                })
            }
            other => other,
        }
    }

    /// Changes the interest and token of a registered `fd`, and re-arms a
    /// one-shot one: `epoll_ctl(self, EPOLL_CTL_MOD, fd, {interest, token})`.
    ///
    /// # Errors
    ///
    /// - [`Error::InvalidArgument`]: `interest` has
    ///   [`exclusive`](Interest::exclusive) (rejected before the syscall, as
    ///   `epoll_ctl(2)` forbids it), or `fd` was added with it.
    /// - [`Error::NotRegistered`]: `fd` is not in this instance.
    /// - [`Error::OutOfMemory`].
    ///
    /// # References
    ///
    /// [`epoll_ctl(2)`](https://man7.org/linux/man-pages/man2/epoll_ctl.2.html)
    #[doc(alias = "epoll_ctl")]
    #[doc(alias = "EPOLL_CTL_MOD")]
    pub fn modify(&self, fd: impl AsFd, token: Token, interest: Interest) -> Result<()> {
        if interest.is_exclusive() {
            return Err(Error::InvalidArgument {
                op: Op::Modify,
                reason: "EPOLLEXCLUSIVE is only allowed when adding an fd; delete and re-add it",
            });
        }
        self.ctl(
            EPOLL_CTL_MOD,
            Op::Modify,
            fd.as_fd(),
            token,
            interest.bits(),
        )
    }

    /// Stops watching `fd`: `epoll_ctl(self, EPOLL_CTL_DEL, fd, NULL)`.
    ///
    /// Closing every fd that refers to the open file description removes it
    /// too; deleting first is needed when dups of it stay open.
    ///
    /// # Errors
    ///
    /// [`Error::NotRegistered`] if `fd` is not in this instance;
    /// [`Error::OutOfMemory`].
    ///
    /// # References
    ///
    /// [`epoll_ctl(2)`](https://man7.org/linux/man-pages/man2/epoll_ctl.2.html)
    #[doc(alias = "epoll_ctl")]
    #[doc(alias = "EPOLL_CTL_DEL")]
    pub fn delete(&self, fd: impl AsFd) -> Result<()> {
        self.ctl(EPOLL_CTL_DEL, Op::Delete, fd.as_fd(), Token(0), 0)
    }

    fn ctl(&self, ctl: i32, op: Op, fd: BorrowedFd<'_>, token: Token, bits: u32) -> Result<()> {
        let raw = fd.as_raw_fd();
        // DEL ignores the event (it may be null since Linux 2.6.9, far below
        // our 2.6.27); passing one anyway keeps a single code path.
        let mut event = epoll_event {
            events: bits,
            data: token.0,
        };
        // SAFETY: both fds are open for the duration of the call (`self`
        // owns one, `fd` borrows the other); `event` is a live, properly
        // laid out `epoll_event` that the kernel only reads.
        let rc = unsafe { epoll_sys::epoll_ctl(self.fd.as_raw_fd(), ctl, raw, &mut event) };
        if rc < 0 {
            return Err(Error::last(op, raw));
        }
        Ok(())
    }

    /// Waits for events, retrying when a signal interrupts the wait:
    /// `epoll_pwait2(self, events, capacity, timeout, NULL)` (or
    /// `epoll_wait` where the kernel lacks it).
    ///
    /// Returns the number of events written to `events` (0 on timeout).
    ///
    /// - `None` blocks until an event arrives.
    /// - `Some(Duration::ZERO)` polls: returns at once.
    /// - Any other timeout never returns early. With `epoll_pwait2` (Linux
    ///   5.11; see [`set_pwait2`](crate::set_pwait2)) it has nanosecond
    ///   resolution; otherwise it is rounded **up** to the next millisecond.
    ///   Either way it is not exact: the kernel adds the thread's timer slack
    ///   (50 µs by default) and scheduling delay. Timeouts too long for
    ///   `epoll_wait` (about 24.8 days) are waited in several calls; one
    ///   whose deadline overflows `Instant` (e.g. `Duration::MAX`) blocks
    ///   like `None`.
    ///
    /// A signal handled by this thread (`EINTR`) does not end the wait: it
    /// resumes for the time left to a deadline computed once at the start, so
    /// a signal storm neither ends it early nor stretches it. Use
    /// [`wait_interruptible`](Self::wait_interruptible) to see `EINTR`.
    ///
    /// Cost: one syscall, plus a read of the monotonic clock (vDSO, no
    /// syscall) for a finite non-zero timeout, and one more when it times
    /// out (to prove the deadline has passed). More syscalls only when the
    /// first timed wait of the process probes `epoll_pwait2` and finds it
    /// absent (then one `epoll_wait`), after an `EINTR`, and past the
    /// 24.8-day clamp of `epoll_wait` (each resumes for the time left). It never allocates: the kernel
    /// writes into the spare capacity of `events`.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidArgument`] or [`Error::Os`] only on kernel
    /// misbehaviour or a sandbox refusing the call (an `EPERM` here is
    /// [`Error::Os`], not [`Error::Unpollable`]): the fd is owned and the
    /// buffer is never empty.
    ///
    /// # References
    ///
    /// [`epoll_wait(2)`](https://man7.org/linux/man-pages/man2/epoll_wait.2.html)
    #[doc(alias = "epoll_wait")]
    #[doc(alias = "epoll_pwait2")]
    pub fn wait(&self, events: &mut Events, timeout: Option<Duration>) -> Result<usize> {
        self.wait_inner(events, timeout, true)
    }

    /// Like [`wait`](Self::wait), but a signal handled by this thread ends
    /// the wait with [`Error::Interrupted`], for programs that act on signals
    /// between waits.
    ///
    /// # Errors
    ///
    /// [`Error::Interrupted`] when a signal handler ran during the wait;
    /// otherwise as [`wait`](Self::wait).
    ///
    /// # References
    ///
    /// [`epoll_wait(2)`](https://man7.org/linux/man-pages/man2/epoll_wait.2.html)
    #[doc(alias = "epoll_wait")]
    #[doc(alias = "epoll_pwait2")]
    pub fn wait_interruptible(
        &self,
        events: &mut Events,
        timeout: Option<Duration>,
    ) -> Result<usize> {
        self.wait_inner(events, timeout, false)
    }

    /// Like [`wait`](Self::wait), until `deadline` instead of for a
    /// timeout: returns `Ok(0)` at `deadline` at the earliest if nothing
    /// happens, and polls once if `deadline` has passed.
    ///
    /// For event loops that keep absolute deadlines (a timer heap): no
    /// subtraction, no clock read by the caller, and a signal or the
    /// kernel's clamp never moves the deadline.
    ///
    /// # Errors
    ///
    /// As [`wait`](Self::wait).
    ///
    /// ```
    /// # fn main() -> epoll_safe::Result<()> {
    /// use epoll_safe::{Epoll, Events};
    /// use std::time::{Duration, Instant};
    ///
    /// let epoll = Epoll::new()?;
    /// let mut events = Events::default();
    /// let deadline = Instant::now() + Duration::from_millis(3);
    /// assert_eq!(epoll.wait_deadline(&mut events, deadline)?, 0);
    /// assert!(Instant::now() >= deadline);
    /// # Ok(()) }
    /// ```
    ///
    /// # References
    ///
    /// [`epoll_wait(2)`](https://man7.org/linux/man-pages/man2/epoll_wait.2.html)
    #[doc(alias = "epoll_pwait2")]
    pub fn wait_deadline(&self, events: &mut Events, deadline: Instant) -> Result<usize> {
        self.wait_for(events, Deadline::At(deadline), None, true)
    }

    fn wait_inner(
        &self,
        events: &mut Events,
        timeout: Option<Duration>,
        retry_eintr: bool,
    ) -> Result<usize> {
        // Computed once: every retry waits only for what is left (polling#164).
        let deadline = Deadline::after(Instant::now, timeout);
        self.wait_for(events, deadline, timeout, retry_eintr)
    }

    fn wait_for(
        &self,
        events: &mut Events,
        deadline: Deadline,
        first: Option<Duration>,
        retry_eintr: bool,
    ) -> Result<usize> {
        let epfd = self.fd.as_raw_fd();
        let mut sys = Syscall {
            epfd,
            buf: events.spare(),
        };
        match wait_until(&mut sys, deadline, first, retry_eintr) {
            Ok(n) => {
                // SAFETY: the last call wrote `n` entries, `n <= maxevents <=
                // spare capacity`; earlier calls returned 0 or an error.
                unsafe { events.set_len(n) };
                Ok(n)
            }
            Err(errno) => Err(Error::from_errno(Op::Wait, epfd, errno)),
        }
    }

    /// A second handle to the **same** epoll instance (same interest list),
    /// e.g. to wait in one thread and register in another without sharing a
    /// reference: `fcntl(self, F_DUPFD_CLOEXEC, 0)`.
    ///
    /// # Errors
    ///
    /// [`Error::FileLimit`] (`EMFILE`) when the process is out of file
    /// descriptors (`ulimit -n`).
    ///
    /// # References
    ///
    /// [`fcntl(2)`](https://man7.org/linux/man-pages/man2/fcntl.2.html)
    #[doc(alias = "dup")]
    #[doc(alias = "F_DUPFD_CLOEXEC")]
    pub fn try_clone(&self) -> Result<Epoll> {
        let fd = self
            .fd
            .try_clone()
            .map_err(|e| Error::from_io(Op::TryClone, self.fd.as_raw_fd(), e))?;
        Ok(Epoll { fd })
    }
}

impl AsFd for Epoll {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }
}

impl AsRawFd for Epoll {
    fn as_raw_fd(&self) -> RawFd {
        self.fd.as_raw_fd()
    }
}

impl From<Epoll> for OwnedFd {
    fn from(epoll: Epoll) -> OwnedFd {
        epoll.fd
    }
}

/// Takes ownership of an epoll fd, e.g. one inherited or received over a
/// Unix socket; dropping the `Epoll` closes it.
///
/// Nothing checks that `fd` is an epoll instance (that would cost a syscall
/// here). Given anything else, nothing unsafe happens, but the handle is
/// useless and its errors mislead: [`add`](Epoll::add),
/// [`modify`](Epoll::modify), [`delete`](Epoll::delete) and the waits fail
/// with the kernel's `EINVAL` as [`Error::InvalidArgument`];
/// [`set_busy_poll`](Epoll::set_busy_poll) and
/// [`busy_poll`](Epoll::busy_poll) may report [`Error::Unsupported`]
/// (`ENOTTY`) as if the kernel were old; [`try_clone`](Epoll::try_clone)
/// succeeds (it duplicates any fd). A closed or invalid fd number can't get
/// here: an `OwnedFd` owns an open fd.
impl From<OwnedFd> for Epoll {
    fn from(fd: OwnedFd) -> Epoll {
        Epoll { fd }
    }
}

impl IntoRawFd for Epoll {
    fn into_raw_fd(self) -> RawFd {
        self.fd.into_raw_fd()
    }
}

/// The real [`WaitOnce`]: the wait syscall on this instance's buffer.
struct Syscall<'a> {
    epfd: RawFd,
    buf: &'a mut [MaybeUninit<epoll_event>],
}

impl WaitOnce for Syscall<'_> {
    fn wait_once(&mut self, timeout: Option<Duration>) -> std::result::Result<usize, i32> {
        wait_syscall::wait_once(self.epfd, self.buf, timeout)
    }

    fn now(&self) -> Instant {
        Instant::now()
    }
}
