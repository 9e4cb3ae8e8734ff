//! [`Error`]: what went wrong, in the caller's words, with the errno kept.

use std::fmt;
use std::io;
use std::os::fd::RawFd;

pub use crate::op::Op;

/// `Result` with this crate's [`Error`] as the default error type.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// An epoll failure, named in the caller's terms.
///
/// Each variant records the [`Op`] that failed and, where there is one, the
/// fd it was about. The errno is never lost: [`Error::raw_os_error`] returns
/// it, and converted into an `io::Error` (by `?` in a function returning
/// `io::Result`) the message and the errno both stay: the `io::Error`
/// displays this error's sentence, and [`Error::raw_os_error_of`] finds
/// the errno in it.
///
/// | errno    | variant                                  |
/// |----------|------------------------------------------|
/// | `EEXIST` | [`AlreadyRegistered`](Error::AlreadyRegistered) from `epoll_ctl`; else [`Os`](Error::Os) |
/// | `ENOENT` | [`NotRegistered`](Error::NotRegistered) from `epoll_ctl`; else [`Os`](Error::Os) |
/// | `EBADF`  | [`BadFd`](Error::BadFd)                  |
/// | `EPERM`  | [`Unpollable`](Error::Unpollable) from [`Op::Add`]/[`Op::Modify`]; [`Os`](Error::Os) from any other call |
/// | `ELOOP`  | [`Loop`](Error::Loop) from `epoll_ctl`; else [`Os`](Error::Os) |
/// | `ENOSPC` | [`WatchLimit`](Error::WatchLimit) from `epoll_ctl`; else [`Os`](Error::Os) |
/// | `ENOMEM` | [`OutOfMemory`](Error::OutOfMemory)      |
/// | `EMFILE` | [`FileLimit`](Error::FileLimit) with [`FileLimitScope::Process`] |
/// | `ENFILE` | [`FileLimit`](Error::FileLimit) with [`FileLimitScope::System`] |
/// | `ENOTTY`, `EOPNOTSUPP` | [`Unsupported`](Error::Unsupported) (only from the busy-poll calls) |
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
    /// `EPERM` from `epoll_ctl` add or modify: the fd's file type does not
    /// support epoll (regular files, directories). An `EPERM` from any other
    /// call (a seccomp filter, a capability check) stays [`Error::Os`].
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
    /// `EMFILE` or `ENFILE`: no file descriptor could be allocated, the
    /// failure a program meets first at scale. The message names the limit
    /// to raise.
    #[error("{op}: {scope}")]
    FileLimit {
        /// The call that failed.
        op: Op,
        /// Whose limit was reached: the process's or the system's.
        scope: FileLimitScope,
    },
    /// `ENOTTY` or `EOPNOTSUPP`: this kernel lacks the feature (e.g. busy
    /// polling before Linux 6.9, or a kernel built without it). Values the
    /// kernel refuses are never `Unsupported`.
    #[error("{op}: not supported here: {reason}")]
    Unsupported {
        /// The call that failed.
        op: Op,
        /// What is missing.
        reason: &'static str,
        /// The errno the kernel returned.
        errno: i32,
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

/// Which file-descriptor limit [`Error::FileLimit`] ran into.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum FileLimitScope {
    /// `EMFILE`: the process's limit, `RLIMIT_NOFILE` (`ulimit -n`).
    Process,
    /// `ENFILE`: the system-wide limit on open files (`fs.file-max`).
    System,
}

impl fmt::Display for FileLimitScope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            FileLimitScope::Process => {
                "the process has as many open file descriptors as its limit allows \
                 (RLIMIT_NOFILE: raise it with `ulimit -n` or setrlimit)"
            }
            FileLimitScope::System => {
                "the system-wide limit on open files is reached \
                 (raise the sysctl fs.file-max, /proc/sys/fs/file-max)"
            }
        })
    }
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
            Error::FileLimit {
                scope: FileLimitScope::Process,
                ..
            } => libc::EMFILE,
            Error::FileLimit {
                scope: FileLimitScope::System,
                ..
            } => libc::ENFILE,
            Error::Unsupported { errno, .. } => *errno,
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
            | Error::FileLimit { op, .. }
            | Error::Unsupported { op, .. }
            | Error::InvalidArgument { op, .. }
            | Error::Interrupted { op }
            | Error::Os { op, .. } => op,
        }
    }

    /// Maps an errno from `op` on `fd` to its variant (the table above).
    pub(crate) fn from_errno(op: Op, fd: RawFd, errno: i32) -> Error {
        let busy_poll = matches!(op, Op::SetBusyPoll | Op::GetBusyPoll);
        // These errnos mean the variant's words only from epoll_ctl (a
        // sandbox can make any call fail with any errno).
        let ctl = matches!(op, Op::Add | Op::Modify | Op::Delete);
        match errno {
            libc::EEXIST if ctl => Error::AlreadyRegistered { op, fd },
            libc::ENOENT if ctl => Error::NotRegistered { op, fd },
            libc::EBADF => Error::BadFd { op, fd },
            libc::EPERM if matches!(op, Op::Add | Op::Modify) => Error::Unpollable { op, fd },
            libc::EMFILE => Error::FileLimit {
                op,
                scope: FileLimitScope::Process,
            },
            libc::ENFILE => Error::FileLimit {
                op,
                scope: FileLimitScope::System,
            },
            libc::ENOTTY if busy_poll => Error::Unsupported {
                op,
                reason: "per-instance busy polling needs Linux 6.9 or later",
                errno,
            },
            libc::EOPNOTSUPP if busy_poll => Error::Unsupported {
                op,
                reason: "this kernel is built without busy polling (CONFIG_NET_RX_BUSY_POLL)",
                errno,
            },
            libc::ELOOP if ctl => Error::Loop { op, fd },
            libc::ENOSPC if ctl => Error::WatchLimit { op, fd },
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
        Op::SetBusyPoll => "the kernel refused a busy-poll value",
        Op::TimerSet => "the kernel refused the timer value",
        _ => "the kernel rejected the arguments",
    }
}

/// Keeps the sentence and the errno: the `io::Error` displays this error's
/// message (`epoll_ctl(EPOLL_CTL_ADD): invalid argument: the fd is this
/// epoll instance itself…`, not `Invalid argument (os error 22)`), has the
/// [`io::ErrorKind`] the errno maps to, and carries this `Error` inside.
///
/// The errno is then one step away, not in `raw_os_error()` (std keeps it
/// there only for an `io::Error` made from a bare errno, without a
/// message): [`Error::raw_os_error_of`] finds it, and
/// `io.get_ref()` downcasts back to this `Error` with its variant.
///
/// ```
/// use epoll_safe::{Epoll, Error, Interest, Token};
/// use std::io;
///
/// let epoll = Epoll::new().unwrap();
/// let err = epoll.add(&epoll, Token(0), Interest::READABLE).unwrap_err();
/// let io = io::Error::from(err);
/// assert!(io.to_string().contains("the fd is this epoll instance itself"));
/// assert_eq!(io.kind(), io::ErrorKind::InvalidInput);
/// assert_eq!(Error::raw_os_error_of(&io), Some(libc::EINVAL));
/// let typed = io.get_ref().and_then(|e| e.downcast_ref::<Error>());
/// assert!(matches!(typed, Some(Error::InvalidArgument { .. })));
/// ```
impl From<Error> for io::Error {
    fn from(err: Error) -> io::Error {
        let kind = match (&err, err.raw_os_error()) {
            (_, Some(errno)) => io::Error::from_raw_os_error(errno).kind(),
            (Error::Os { source, .. }, None) => source.kind(),
            (_, None) => io::ErrorKind::Other,
        };
        io::Error::new(kind, err)
    }
}

impl Error {
    /// The errno inside an `io::Error`, wherever it sits: its own
    /// `raw_os_error()`, an [`Error`] converted into it (see
    /// `From<Error> for io::Error`), or an `io::Error` it wraps, at any
    /// depth. `None` when there is none.
    ///
    /// ```
    /// use epoll_safe::Error;
    /// use std::io;
    /// let plain = io::Error::from_raw_os_error(libc::EMFILE);
    /// assert_eq!(Error::raw_os_error_of(&plain), Some(libc::EMFILE));
    /// assert_eq!(Error::raw_os_error_of(&io::Error::other("no errno")), None);
    /// ```
    pub fn raw_os_error_of(err: &io::Error) -> Option<i32> {
        if let Some(errno) = err.raw_os_error() {
            return Some(errno);
        }
        // The error an `io::Error` wraps is its `get_ref`, not its
        // `source()` (which skips to the wrapped error's own source).
        let mut next = err
            .get_ref()
            .map(|e| e as &(dyn std::error::Error + 'static));
        while let Some(e) = next {
            if let Some(ours) = e.downcast_ref::<Error>() {
                return ours.raw_os_error();
            }
            if let Some(io) = e.downcast_ref::<io::Error>() {
                return Error::raw_os_error_of(io);
            }
            next = e.source();
        }
        None
    }
}

#[cfg(test)]
mod tests;
