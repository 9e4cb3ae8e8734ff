//! [`Error`]: what went wrong, in the caller's words, with the errno kept.

use std::fmt;
use std::io;
use std::os::fd::RawFd;

/// `Result` with this crate's [`Error`] as the default error type.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Which call failed: every [`Error`] records one.
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
        })
    }
}

/// An epoll failure, named in the caller's terms.
///
/// Each variant records the [`Op`] that failed and, where there is one, the
/// fd it was about. The errno is never lost: [`Error::raw_os_error`] returns
/// it, and `io::Error::from(err).raw_os_error()` keeps it.
///
/// | errno    | variant                                  |
/// |----------|------------------------------------------|
/// | `EEXIST` | [`AlreadyRegistered`](Error::AlreadyRegistered) |
/// | `ENOENT` | [`NotRegistered`](Error::NotRegistered)  |
/// | `EBADF`  | [`BadFd`](Error::BadFd)                  |
/// | `EPERM`  | [`Unpollable`](Error::Unpollable)        |
/// | `ELOOP`  | [`Loop`](Error::Loop)                    |
/// | `ENOSPC` | [`WatchLimit`](Error::WatchLimit)        |
/// | `ENOMEM` | [`OutOfMemory`](Error::OutOfMemory)      |
/// | `EINVAL` | [`InvalidArgument`](Error::InvalidArgument) |
/// | `EINTR`  | [`Interrupted`](Error::Interrupted) (only from [`Epoll::wait_interruptible`](crate::Epoll::wait_interruptible)) |
/// | other    | [`Os`](Error::Os)                        |
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// `EEXIST`: the fd (its open file description) is already in this epoll instance.
    #[error("fd {fd} is already registered with this epoll instance")]
    AlreadyRegistered {
        /// The call that failed.
        op: Op,
        /// The fd passed by the caller.
        fd: RawFd,
    },
    /// `ENOENT`: the fd is not in this epoll instance (never added, or deleted).
    #[error("fd {fd} is not registered with this epoll instance")]
    NotRegistered {
        /// The call that failed.
        op: Op,
        /// The fd passed by the caller.
        fd: RawFd,
    },
    /// `EBADF`: the fd cannot be used here (e.g. it was opened with `O_PATH`).
    #[error(
        "{op}: fd {fd} is not a file descriptor this call can use (closed, or opened with O_PATH)"
    )]
    BadFd {
        /// The call that failed.
        op: Op,
        /// The fd the call was about.
        fd: RawFd,
    },
    /// `EPERM`: the fd's file type does not support epoll (regular files, directories).
    #[error("fd {fd} does not support epoll (regular files and directories are always ready: read them directly)")]
    Unpollable {
        /// The call that failed.
        op: Op,
        /// The fd passed by the caller.
        fd: RawFd,
    },
    /// `ELOOP`: adding this epoll fd would create a cycle or nest epoll instances too deeply.
    #[error("adding fd {fd} would make epoll instances watch each other in a cycle or nest more than 5 deep")]
    Loop {
        /// The call that failed.
        op: Op,
        /// The fd passed by the caller.
        fd: RawFd,
    },
    /// `ENOSPC`: the per-user limit `/proc/sys/fs/epoll/max_user_watches` is reached.
    #[error("cannot register fd {fd}: the per-user epoll watch limit (/proc/sys/fs/epoll/max_user_watches) is reached")]
    WatchLimit {
        /// The call that failed.
        op: Op,
        /// The fd passed by the caller.
        fd: RawFd,
    },
    /// `ENOMEM`: the kernel could not allocate memory for the request.
    #[error("{op} failed: the kernel is out of memory")]
    OutOfMemory {
        /// The call that failed.
        op: Op,
    },
    /// `EINVAL`: the kernel (or this crate, before calling it) rejected an argument.
    #[error("{op}: invalid argument: {reason}")]
    InvalidArgument {
        /// The call that failed.
        op: Op,
        /// What was wrong, as far as it can be told.
        reason: &'static str,
    },
    /// `EINTR`: a signal arrived during [`Epoll::wait_interruptible`](crate::Epoll::wait_interruptible).
    #[error("{op} was interrupted by a signal")]
    Interrupted {
        /// The call that failed.
        op: Op,
    },
    /// Any other errno, kept as the `io::Error`.
    #[error("{op} failed: {source}")]
    Os {
        /// The call that failed.
        op: Op,
        /// The operating system's error.
        source: io::Error,
    },
}

impl Error {
    /// The errno behind this error (`Some` for every variant built by this
    /// crate; `None` only for an [`Error::Os`] that wraps a non-OS `io::Error`).
    pub fn raw_os_error(&self) -> Option<i32> {
        Some(match self {
            Error::AlreadyRegistered { .. } => libc::EEXIST,
            Error::NotRegistered { .. } => libc::ENOENT,
            Error::BadFd { .. } => libc::EBADF,
            Error::Unpollable { .. } => libc::EPERM,
            Error::Loop { .. } => libc::ELOOP,
            Error::WatchLimit { .. } => libc::ENOSPC,
            Error::OutOfMemory { .. } => libc::ENOMEM,
            Error::InvalidArgument { .. } => libc::EINVAL,
            Error::Interrupted { .. } => libc::EINTR,
            Error::Os { source, .. } => return source.raw_os_error(),
        })
    }

    /// The call that failed.
    pub fn op(&self) -> Op {
        match *self {
            Error::AlreadyRegistered { op, .. }
            | Error::NotRegistered { op, .. }
            | Error::BadFd { op, .. }
            | Error::Unpollable { op, .. }
            | Error::Loop { op, .. }
            | Error::WatchLimit { op, .. }
            | Error::OutOfMemory { op }
            | Error::InvalidArgument { op, .. }
            | Error::Interrupted { op }
            | Error::Os { op, .. } => op,
        }
    }

    /// Maps an errno from `op` on `fd` to its variant (the table above).
    pub(crate) fn from_errno(op: Op, fd: RawFd, errno: i32) -> Error {
        match errno {
            libc::EEXIST => Error::AlreadyRegistered { op, fd },
            libc::ENOENT => Error::NotRegistered { op, fd },
            libc::EBADF => Error::BadFd { op, fd },
            libc::EPERM => Error::Unpollable { op, fd },
            libc::ELOOP => Error::Loop { op, fd },
            libc::ENOSPC => Error::WatchLimit { op, fd },
            libc::ENOMEM => Error::OutOfMemory { op },
            libc::EINVAL => Error::InvalidArgument {
                op,
                reason: einval_reason(op),
            },
            libc::EINTR => Error::Interrupted { op },
            _ => Error::Os {
                op,
                source: io::Error::from_raw_os_error(errno),
            },
        }
    }

    /// Maps an `io::Error` (from std or `last_os_error`) the same way.
    pub(crate) fn from_io(op: Op, fd: RawFd, err: io::Error) -> Error {
        match err.raw_os_error() {
            Some(errno) => Error::from_errno(op, fd, errno),
            None => Error::Os { op, source: err },
        }
    }

    /// The errno the last failed call left, mapped.
    pub(crate) fn last(op: Op, fd: RawFd) -> Error {
        Error::from_io(op, fd, io::Error::last_os_error())
    }
}

/// The likeliest cause of `EINVAL`, per operation (from the man pages).
fn einval_reason(op: Op) -> &'static str {
    match op {
        Op::Add => "the fd is this epoll instance itself, or the interest is not valid for it",
        Op::Modify => "EPOLLEXCLUSIVE was set when the fd was added; delete and re-add it instead",
        Op::Delete => "the fd is this epoll instance itself",
        Op::Wait => "the event buffer size is out of range",
        _ => "the kernel rejected the arguments",
    }
}

/// Keeps the errno: `io::Error::from(err).raw_os_error() == err.raw_os_error()`.
///
/// The `io::Error` is built from the errno (so its message is the C library's);
/// an [`Error::Os`] hands back its source unchanged.
impl From<Error> for io::Error {
    fn from(err: Error) -> io::Error {
        match err {
            Error::Os { source, .. } => source,
            other => match other.raw_os_error() {
                Some(errno) => io::Error::from_raw_os_error(errno),
                None => io::Error::other(other),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The whole errno table, including the two variants no test can provoke
    /// safely (`ENOSPC` needs the system-wide watch limit, `ENOMEM` an OOM).
    #[test]
    fn every_errno_maps_to_its_variant_and_back() {
        type IsVariant = fn(&Error) -> bool;
        let table: [(i32, IsVariant); 10] = [
            (libc::EEXIST, |e| {
                matches!(e, Error::AlreadyRegistered { fd: 7, .. })
            }),
            (libc::ENOENT, |e| {
                matches!(e, Error::NotRegistered { fd: 7, .. })
            }),
            (libc::EBADF, |e| matches!(e, Error::BadFd { fd: 7, .. })),
            (libc::EPERM, |e| {
                matches!(e, Error::Unpollable { fd: 7, .. })
            }),
            (libc::ELOOP, |e| matches!(e, Error::Loop { fd: 7, .. })),
            (libc::ENOSPC, |e| {
                matches!(e, Error::WatchLimit { fd: 7, .. })
            }),
            (libc::ENOMEM, |e| matches!(e, Error::OutOfMemory { .. })),
            (libc::EINVAL, |e| matches!(e, Error::InvalidArgument { .. })),
            (libc::EINTR, |e| matches!(e, Error::Interrupted { .. })),
            (libc::EMFILE, |e| matches!(e, Error::Os { .. })),
        ];
        for (errno, is_variant) in table {
            let err = Error::from_errno(Op::Add, 7, errno);
            assert!(is_variant(&err), "errno {errno} became {err:?}");
            assert_eq!(err.op(), Op::Add);
            assert_eq!(err.raw_os_error(), Some(errno));
            assert_eq!(io::Error::from(err).raw_os_error(), Some(errno));
        }
    }

    #[test]
    fn messages_name_the_fd_and_the_limit() {
        let err = Error::from_errno(Op::Add, 7, libc::ENOSPC);
        assert_eq!(
            err.to_string(),
            "cannot register fd 7: the per-user epoll watch limit \
             (/proc/sys/fs/epoll/max_user_watches) is reached"
        );
        let err = Error::from_errno(Op::Wait, 3, libc::EMFILE);
        assert!(err.to_string().starts_with("epoll_wait failed: "), "{err}");
        assert_eq!(
            Error::from_errno(Op::Create, -1, libc::ENOMEM).to_string(),
            "epoll_create1 failed: the kernel is out of memory"
        );
    }

    #[test]
    fn os_errors_keep_their_source() {
        let err = Error::from_errno(Op::TryClone, 3, libc::EMFILE);
        let source = std::error::Error::source(&err).expect("source");
        assert_eq!(
            source.to_string(),
            io::Error::from_raw_os_error(libc::EMFILE).to_string()
        );
    }
}
