//! How a request ends when it ends without a response.

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
    /// The connection closed before a single byte of response arrived.
    ClosedBeforeResponse,
    /// The connection closed partway through a response head.
    TruncatedHead,
    /// The response head is not valid HTTP/1.x, or its framing headers are
    /// unusable (bad or conflicting `Content-Length`, ...).
    MalformedHead,
    /// The response head, one of its lines, or its number of header fields
    /// exceeds the [`Limits`](super::Limits).
    HeadTooLarge,
    /// The connection closed before the body its head announced was complete.
    TruncatedBody,
    /// A chunked body broke the chunked coding (bad size line, missing CRLF).
    BadChunk,
    /// The body is (or announces it will be) larger than the body limit.
    BodyTooLarge,
    /// Any other I/O error.
    Io,
    /// The run was interrupted (Ctrl-C) before this request finished.
    Interrupted,
}

impl ErrorKind {
    /// Every kind, in declaration order.
    pub const ALL: [ErrorKind; 13] = [
        ErrorKind::ConnectRefused,
        ErrorKind::ConnectFailed,
        ErrorKind::Reset,
        ErrorKind::Timeout,
        ErrorKind::ClosedBeforeResponse,
        ErrorKind::TruncatedHead,
        ErrorKind::MalformedHead,
        ErrorKind::HeadTooLarge,
        ErrorKind::TruncatedBody,
        ErrorKind::BadChunk,
        ErrorKind::BodyTooLarge,
        ErrorKind::Io,
        ErrorKind::Interrupted,
    ];

    /// The kind's stable snake_case name, e.g. `"truncated_body"`.
    ///
    /// ```
    /// use slow_client::http::ErrorKind;
    /// assert_eq!(ErrorKind::ClosedBeforeResponse.as_str(), "closed_before_response");
    /// assert_eq!(ErrorKind::BadChunk.to_string(), "bad_chunk");
    /// ```
    pub const fn as_str(self) -> &'static str {
        match self {
            ErrorKind::ConnectRefused => "connect_refused",
            ErrorKind::ConnectFailed => "connect_failed",
            ErrorKind::Reset => "reset",
            ErrorKind::Timeout => "timeout",
            ErrorKind::ClosedBeforeResponse => "closed_before_response",
            ErrorKind::TruncatedHead => "truncated_head",
            ErrorKind::MalformedHead => "malformed_head",
            ErrorKind::HeadTooLarge => "head_too_large",
            ErrorKind::TruncatedBody => "truncated_body",
            ErrorKind::BadChunk => "bad_chunk",
            ErrorKind::BodyTooLarge => "body_too_large",
            ErrorKind::Io => "io",
            ErrorKind::Interrupted => "interrupted",
        }
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A request's failure: its [`ErrorKind`] plus a message saying what
/// happened, e.g. `status line is not HTTP/1.0 or HTTP/1.1: "GARBAGE"`.
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
    ///
    /// ```
    /// use slow_client::http::{ErrorKind, RequestError};
    /// let err = RequestError::new(ErrorKind::TruncatedBody, "got 10 of 24 body bytes");
    /// assert_eq!(err.to_string(), "truncated_body: got 10 of 24 body bytes");
    /// ```
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
    /// use slow_client::http::{ErrorKind, IoPhase, RequestError};
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

/// The socket operation an I/O error came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum IoPhase {
    /// Connecting (the `connect` call or its `SO_ERROR` result).
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
/// use slow_client::http::{classify_io, ErrorKind};
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

/// Quotes the start of a line for an error message: at most 48 bytes,
/// without its line ending, escaped so control and non-ASCII bytes stay
/// readable (`"\x00\xff..."`).
pub(crate) fn quote_line(line: &[u8]) -> String {
    const SHOWN: usize = 48;
    let line = line.strip_suffix(b"\n").unwrap_or(line);
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    let mut out = String::with_capacity(SHOWN + 8);
    out.push('"');
    for &b in line.iter().take(SHOWN) {
        out.extend(std::ascii::escape_default(b).map(char::from));
    }
    out.push('"');
    if line.len() > SHOWN {
        out.push_str("...");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn kind_names_are_distinct_snake_case_and_match_display() {
        let names: HashSet<_> = ErrorKind::ALL.iter().map(|k| k.as_str()).collect();
        assert_eq!(names.len(), ErrorKind::ALL.len());
        for kind in ErrorKind::ALL {
            let name = kind.as_str();
            assert!(
                name.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'),
                "{name}"
            );
            assert_eq!(kind.to_string(), name);
        }
        assert_eq!(ErrorKind::ConnectRefused.as_str(), "connect_refused");
        assert_eq!(ErrorKind::Interrupted.as_str(), "interrupted");
    }

    #[test]
    fn request_error_displays_kind_then_message() {
        let err = RequestError::new(ErrorKind::MalformedHead, "status line is not HTTP");
        assert_eq!(err.to_string(), "malformed_head: status line is not HTTP");
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

    #[test]
    fn quote_line_escapes_strips_the_ending_and_elides_long_lines() {
        assert_eq!(quote_line(b"GARBAGE\r\n"), r#""GARBAGE""#);
        assert_eq!(quote_line(b"a\"b\x00\xff\n"), r#""a\"b\x00\xff""#);
        let long = [b'x'; 60];
        assert_eq!(quote_line(&long), format!("\"{}\"...", "x".repeat(48)));
    }
}
