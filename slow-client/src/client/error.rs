//! How a request ends when it ends without a response: the client's kinds
//! (sockets, the deadline, signals) and the response reader's, under one name.

use crate::http;
use std::fmt;
use std::io;

/// How a request ended without a response.
///
/// The names returned by [`ErrorKind::as_str`] are a contract: they are the
/// `kind` field of `--json` output, so they never change once published.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    /// The server actively refused the connection (`ECONNREFUSED`).
    ConnectRefused,
    /// Connecting failed for another reason: unreachable network or host,
    /// no local address or buffer space left (`EADDRNOTAVAIL`, `ENOBUFS`), ...
    ConnectFailed,
    /// The peer reset the connection (`ECONNRESET`, `EPIPE`, `ECONNABORTED`).
    Reset,
    /// The overall deadline passed before the response completed.
    Timeout,
    /// Any other I/O error.
    Io,
    /// The run was interrupted (Ctrl-C) before this request finished.
    Interrupted,
    /// The response could not be read: the reader's kind.
    Response(http::ErrorKind),
}

impl ErrorKind {
    /// The kinds the client itself produces, beside [`http::ErrorKind::ALL`].
    pub const OWN: [ErrorKind; 6] = [
        ErrorKind::ConnectRefused,
        ErrorKind::ConnectFailed,
        ErrorKind::Reset,
        ErrorKind::Timeout,
        ErrorKind::Io,
        ErrorKind::Interrupted,
    ];

    /// The kind's stable snake_case name, e.g. `"connect_refused"`; a
    /// response kind keeps the reader's name.
    ///
    /// ```
    /// use slow_client::client::ErrorKind;
    /// use slow_client::http;
    /// assert_eq!(ErrorKind::ConnectRefused.as_str(), "connect_refused");
    /// let bad_chunk = ErrorKind::Response(http::ErrorKind::BadChunk);
    /// assert_eq!(bad_chunk.to_string(), "bad_chunk");
    /// ```
    pub const fn as_str(self) -> &'static str {
        match self {
            ErrorKind::ConnectRefused => "connect_refused",
            ErrorKind::ConnectFailed => "connect_failed",
            ErrorKind::Reset => "reset",
            ErrorKind::Timeout => "timeout",
            ErrorKind::Io => "io",
            ErrorKind::Interrupted => "interrupted",
            ErrorKind::Response(kind) => kind.as_str(),
        }
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A request's failure: its [`ErrorKind`] plus a message saying what happened.
///
/// Displays as `kind: message`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{kind}: {message}")]
pub struct RequestError {
    /// What kind of failure this is.
    pub kind: ErrorKind,
    /// What happened, for a human.
    pub message: String,
}

impl RequestError {
    /// A failure of `kind`, described by `message`.
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        RequestError {
            kind,
            message: message.into(),
        }
    }

    /// The failure an I/O error during `phase` means, classified by
    /// [`classify_io`]; the message names the phase and the OS error.
    ///
    /// ```
    /// use std::io;
    /// use slow_client::client::{ErrorKind, IoPhase, RequestError};
    /// let reset = io::Error::from_raw_os_error(libc::ECONNRESET);
    /// let err = RequestError::from_io(&reset, IoPhase::Read);
    /// assert_eq!(err.kind, ErrorKind::Reset);
    /// assert!(err.message.starts_with("reading the response: "));
    /// ```
    pub fn from_io(err: &io::Error, phase: IoPhase) -> Self {
        let kind = classify_io(err, phase == IoPhase::Connect);
        RequestError::new(kind, format!("{phase}: {err}"))
    }
}

impl From<http::ResponseError> for RequestError {
    fn from(err: http::ResponseError) -> Self {
        RequestError::new(ErrorKind::Response(err.kind), err.message)
    }
}

/// The socket operation an I/O error came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum IoPhase {
    /// Connecting (the `socket` and `connect` calls, or the `SO_ERROR` result).
    Connect,
    /// Writing the request.
    Write,
    /// Reading the response.
    Read,
}

impl fmt::Display for IoPhase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            IoPhase::Connect => "connecting",
            IoPhase::Write => "sending the request",
            IoPhase::Read => "reading the response",
        })
    }
}

/// Names the [`ErrorKind`] of an I/O error; `connecting` says whether it came
/// from establishing the connection.
///
/// `ECONNREFUSED` is always [`ErrorKind::ConnectRefused`]. Any other error
/// while connecting (`ENETUNREACH`, `EHOSTUNREACH`, `ETIMEDOUT`,
/// `EADDRNOTAVAIL`, `ENOBUFS`, ...) is [`ErrorKind::ConnectFailed`]: the
/// request never reached the server. Afterwards `ECONNRESET`, `EPIPE` and
/// `ECONNABORTED` are [`ErrorKind::Reset`]; everything else is
/// [`ErrorKind::Io`]. `EINTR` is not special here: callers retry it before
/// classifying.
///
/// ```
/// use std::io;
/// use slow_client::client::{classify_io, ErrorKind};
/// let unreachable = io::Error::from_raw_os_error(libc::ENETUNREACH);
/// assert_eq!(classify_io(&unreachable, true), ErrorKind::ConnectFailed);
/// let pipe = io::Error::from_raw_os_error(libc::EPIPE);
/// assert_eq!(classify_io(&pipe, false), ErrorKind::Reset);
/// ```
pub fn classify_io(err: &io::Error, connecting: bool) -> ErrorKind {
    // Prefer the errno: io::ErrorKind folds several errnos together and is
    // only the fallback for errors that did not come from the OS.
    if let Some(code) = err.raw_os_error() {
        return match code {
            libc::ECONNREFUSED => ErrorKind::ConnectRefused,
            _ if connecting => ErrorKind::ConnectFailed,
            libc::ECONNRESET | libc::EPIPE | libc::ECONNABORTED => ErrorKind::Reset,
            _ => ErrorKind::Io,
        };
    }
    match err.kind() {
        io::ErrorKind::ConnectionRefused => ErrorKind::ConnectRefused,
        _ if connecting => ErrorKind::ConnectFailed,
        io::ErrorKind::ConnectionReset
        | io::ErrorKind::BrokenPipe
        | io::ErrorKind::ConnectionAborted => ErrorKind::Reset,
        _ => ErrorKind::Io,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn kind_names_are_distinct_snake_case_across_client_and_reader() {
        let all: Vec<ErrorKind> = ErrorKind::OWN
            .into_iter()
            .chain(http::ErrorKind::ALL.map(ErrorKind::Response))
            .collect();
        let names: HashSet<_> = all.iter().map(|k| k.as_str()).collect();
        assert_eq!(names.len(), all.len());
        for kind in all {
            let name = kind.as_str();
            assert!(
                name.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'),
                "{name}"
            );
            assert_eq!(kind.to_string(), name);
        }
        assert_eq!(ErrorKind::Interrupted.as_str(), "interrupted");
    }

    #[test]
    fn a_reader_error_keeps_its_kind_and_message() {
        let err = http::ResponseError::new(http::ErrorKind::MalformedHead, "not HTTP");
        let err = RequestError::from(err);
        assert_eq!(
            err.kind,
            ErrorKind::Response(http::ErrorKind::MalformedHead)
        );
        assert_eq!(err.to_string(), "malformed_head: not HTTP");
    }

    #[test]
    fn classify_io_maps_errnos_by_phase() {
        let os = io::Error::from_raw_os_error;
        let cases = [
            (libc::ECONNREFUSED, true, ErrorKind::ConnectRefused),
            (libc::ECONNREFUSED, false, ErrorKind::ConnectRefused),
            (libc::ENETUNREACH, true, ErrorKind::ConnectFailed),
            (libc::EHOSTUNREACH, true, ErrorKind::ConnectFailed),
            (libc::EADDRNOTAVAIL, true, ErrorKind::ConnectFailed),
            (libc::ENOBUFS, true, ErrorKind::ConnectFailed),
            (libc::ETIMEDOUT, true, ErrorKind::ConnectFailed),
            (libc::ECONNRESET, true, ErrorKind::ConnectFailed),
            (libc::ECONNRESET, false, ErrorKind::Reset),
            (libc::EPIPE, false, ErrorKind::Reset),
            (libc::ECONNABORTED, false, ErrorKind::Reset),
            (libc::ENOBUFS, false, ErrorKind::Io),
            (libc::EBADF, false, ErrorKind::Io),
        ];
        for (errno, connecting, want) in cases {
            assert_eq!(
                classify_io(&os(errno), connecting),
                want,
                "errno {errno}, connecting {connecting}"
            );
        }
    }

    #[test]
    fn classify_io_falls_back_to_io_error_kind_without_errno() {
        let custom = |k| io::Error::new(k, "synthetic");
        assert_eq!(
            classify_io(&custom(io::ErrorKind::ConnectionRefused), false),
            ErrorKind::ConnectRefused
        );
        assert_eq!(
            classify_io(&custom(io::ErrorKind::Other), true),
            ErrorKind::ConnectFailed
        );
        assert_eq!(
            classify_io(&custom(io::ErrorKind::BrokenPipe), false),
            ErrorKind::Reset
        );
        assert_eq!(
            classify_io(&custom(io::ErrorKind::UnexpectedEof), false),
            ErrorKind::Io
        );
    }

    #[test]
    fn from_io_names_the_phase() {
        let err = RequestError::from_io(
            &io::Error::from_raw_os_error(libc::ECONNREFUSED),
            IoPhase::Connect,
        );
        assert_eq!(err.kind, ErrorKind::ConnectRefused);
        assert!(err.message.starts_with("connecting: "), "{}", err.message);
    }
}
