//! [`Op`]: which call an [`Error`](crate::Error) came from.

use std::fmt;

/// Which call failed: every [`Error`](crate::Error) records one.
///
/// `Display` prints the C call it corresponds to, e.g. `epoll_ctl(EPOLL_CTL_ADD)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Op {
    /// `epoll_create1(EPOLL_CLOEXEC)` in [`Epoll::new`](crate::Epoll::new).
    Create,
    /// `epoll_ctl(EPOLL_CTL_ADD)` in [`Epoll::add`](crate::Epoll::add).
    Add,
    /// `epoll_ctl(EPOLL_CTL_MOD)` in [`Epoll::modify`](crate::Epoll::modify).
    Modify,
    /// `epoll_ctl(EPOLL_CTL_DEL)` in [`Epoll::delete`](crate::Epoll::delete).
    Delete,
    /// `epoll_wait`/`epoll_pwait2` in [`Epoll::wait`](crate::Epoll::wait).
    Wait,
    /// `fcntl(F_DUPFD_CLOEXEC)` in [`Epoll::try_clone`](crate::Epoll::try_clone).
    TryClone,
    /// `eventfd` in [`Waker::new`](crate::Waker::new).
    WakerNew,
    /// `write` on the eventfd in [`Waker::wake`](crate::Waker::wake).
    Wake,
    /// `timerfd_create` in [`Timer::new`](crate::Timer::new).
    TimerNew,
    /// `read` on the timerfd in [`Timer::read`](crate::Timer::read).
    TimerRead,
    /// `pthread_sigmask`/`signalfd` in [`Signals::new`](crate::Signals::new).
    SignalsNew,
    /// `read` on the signalfd in [`Signals::read`](crate::Signals::read).
    SignalsRead,
    /// `timerfd_settime` in [`Timer::set_after`](crate::Timer::set_after),
    /// [`set_at`](crate::Timer::set_at), [`set_interval`](crate::Timer::set_interval)
    /// and [`disarm`](crate::Timer::disarm).
    TimerSet,
    /// `timerfd_gettime` in [`Timer::remaining`](crate::Timer::remaining).
    TimerGet,
    /// `ioctl(EPIOCSPARAMS)` in [`Epoll::set_busy_poll`](crate::Epoll::set_busy_poll).
    SetBusyPoll,
    /// `ioctl(EPIOCGPARAMS)` in [`Epoll::busy_poll`](crate::Epoll::busy_poll).
    GetBusyPoll,
}

impl fmt::Display for Op {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Op::Create => "epoll_create1",
            Op::Add => "epoll_ctl(EPOLL_CTL_ADD)",
            Op::Modify => "epoll_ctl(EPOLL_CTL_MOD)",
            Op::Delete => "epoll_ctl(EPOLL_CTL_DEL)",
            Op::Wait => "epoll_wait",
            Op::TryClone => "fcntl(F_DUPFD_CLOEXEC)",
            Op::WakerNew => "eventfd",
            Op::Wake => "write(eventfd)",
            Op::TimerNew => "timerfd_create",
            Op::TimerRead => "read(timerfd)",
            Op::SignalsNew => "signalfd",
            Op::SignalsRead => "read(signalfd)",
            Op::TimerSet => "timerfd_settime",
            Op::TimerGet => "timerfd_gettime",
            Op::SetBusyPoll => "ioctl(EPIOCSPARAMS)",
            Op::GetBusyPoll => "ioctl(EPIOCGPARAMS)",
        })
    }
}
