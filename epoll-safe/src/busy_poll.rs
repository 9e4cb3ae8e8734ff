//! [`BusyPoll`]: per-instance busy polling (Linux 6.9), `EPIOCSPARAMS` / `EPIOCGPARAMS`.

use epoll_sys::{epoll_params, EPIOCGPARAMS, EPIOCSPARAMS};
use std::os::fd::AsRawFd;

use crate::{Epoll, Error, Op, Result};

/// The busy-poll settings of one [`Epoll`]: how long a wait spins on the
/// network device queues of its sockets before it sleeps.
///
/// Busy polling trades CPU for latency: a wait that would sleep and be
/// woken by an interrupt instead polls the NIC's queue for up to `usecs`,
/// so a packet that arrives meanwhile is handled microseconds sooner. It
/// only applies to sockets whose packets come through a NAPI queue (real
/// network devices; not loopback, pipes or eventfds). The default,
/// `BusyPoll::default()`, is what a new instance has: no setting of its own,
/// so the system-wide `net.core.busy_poll` applies (0, off, unless an
/// administrator set it).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct BusyPoll {
    /// How long to busy-poll, in microseconds; at most `i32::MAX`. 0 does
    /// not turn busy polling off: it means no time of this instance's own,
    /// and the system-wide `net.core.busy_poll` decides (`fs/eventpoll.c`,
    /// `busy_loop_ep_timeout`). Since Linux 6.13, 0 with
    /// [`prefer`](Self::prefer) still makes one non-blocking busy-poll pass
    /// per wait.
    pub usecs: u32,
    /// Packets per busy-poll round; 0 means the kernel's default (8). Above
    /// 64 needs `CAP_NET_ADMIN`.
    pub budget: u16,
    /// Prefer busy polling over interrupts (`SO_PREFER_BUSY_POLL`): lets the
    /// device defer its interrupts while this instance polls.
    pub prefer: bool,
}

impl Epoll {
    /// Sets busy polling for this instance (Linux 6.9):
    /// `ioctl(self, EPIOCSPARAMS, {usecs, budget, prefer})`. A non-zero `usecs` overrides the
    /// system-wide `net.core.busy_poll` for its waits; 0 leaves that in
    /// charge (see [`BusyPoll::usecs`]).
    ///
    /// # Errors
    ///
    /// - [`Error::InvalidArgument`]: `usecs` is above `i32::MAX` (checked
    ///   before the call).
    /// - [`Error::Unsupported`]: the kernel is older than 6.9 (`ENOTTY`) or
    ///   built without busy polling (`EOPNOTSUPP`).
    /// - [`Error::Os`] with `EPERM`: `budget` is above 64 and the process
    ///   lacks `CAP_NET_ADMIN`. A value the kernel refuses is never
    ///   `Unsupported`.
    ///
    /// ```
    /// # fn main() -> epoll_safe::Result<()> {
    /// use epoll_safe::{BusyPoll, Epoll, Error};
    ///
    /// let epoll = Epoll::new()?;
    /// let settings = BusyPoll { usecs: 50, budget: 16, prefer: true };
    /// match epoll.set_busy_poll(settings) {
    ///     Ok(()) => assert_eq!(epoll.busy_poll()?, settings),
    ///     Err(Error::Unsupported { .. }) => {} // kernel before 6.9
    ///     Err(e) => return Err(e),
    /// }
    /// # Ok(()) }
    /// ```
    ///
    /// # References
    ///
    /// [`ioctl_eventpoll(2)`](https://man7.org/linux/man-pages/man2/ioctl_eventpoll.2.html)
    #[doc(alias = "EPIOCSPARAMS")]
    #[doc(alias = "epoll_params")]
    pub fn set_busy_poll(&self, settings: BusyPoll) -> Result<()> {
        if settings.usecs > i32::MAX as u32 {
            return Err(Error::InvalidArgument {
                op: Op::SetBusyPoll,
                reason: "busy-poll usecs above i32::MAX",
            });
        }
        let mut params = epoll_params {
            busy_poll_usecs: settings.usecs,
            busy_poll_budget: settings.budget,
            prefer_busy_poll: u8::from(settings.prefer),
            __pad: 0,
        };
        self.params_ioctl(EPIOCSPARAMS, Op::SetBusyPoll, &mut params)
    }

    /// This instance's busy-poll settings (Linux 6.9):
    /// `ioctl(self, EPIOCGPARAMS)`. All zero unless
    /// [`set_busy_poll`](Self::set_busy_poll) changed them.
    ///
    /// # Errors
    ///
    /// [`Error::Unsupported`] as for [`set_busy_poll`](Self::set_busy_poll).
    ///
    /// # References
    ///
    /// [`ioctl_eventpoll(2)`](https://man7.org/linux/man-pages/man2/ioctl_eventpoll.2.html)
    #[doc(alias = "EPIOCGPARAMS")]
    pub fn busy_poll(&self) -> Result<BusyPoll> {
        let mut params = epoll_params::default();
        self.params_ioctl(EPIOCGPARAMS, Op::GetBusyPoll, &mut params)?;
        Ok(BusyPoll {
            usecs: params.busy_poll_usecs,
            budget: params.busy_poll_budget,
            prefer: params.prefer_busy_poll != 0,
        })
    }

    fn params_ioctl(
        &self,
        request: libc::c_ulong,
        op: Op,
        params: &mut epoll_params,
    ) -> Result<()> {
        let fd = self.as_raw_fd();
        // SAFETY: `params` is a live `epoll_params` with the kernel's layout
        // (epoll-sys pins it), valid for reads and writes for the call; the
        // fd is owned. The request type differs between C libraries: `as _`.
        let rc = unsafe { libc::ioctl(fd, request as _, params as *mut epoll_params) };
        if rc < 0 {
            return Err(Error::last(op, fd));
        }
        Ok(())
    }
}
