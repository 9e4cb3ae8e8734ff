//! How reading a response can fail: the reader's own error kinds.
//!
//! Socket errors, timeouts and interruptions are the client's, not the
//! reader's: see `client::ErrorKind`, which wraps these.

use std::fmt;

/// How a response failed to read: what the bytes (or their end) were wrong about.
///
/// The names returned by [`ErrorKind::as_str`] are a contract: they are the
/// `kind` field of `--json` output, so they never change once published.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    /// The connection closed before a single byte of response arrived.
    ClosedBeforeResponse,
    /// The connection closed partway through a response head.
    TruncatedHead,
    /// The response head is not valid HTTP/1.x, or its framing headers are
    /// unusable (bad or conflicting `Content-Length`, ...).
    MalformedHead,
    /// The response head, one of its lines, or its number of header fields
    /// exceeds the [`ResponseLimits`](super::ResponseLimits).
    HeadTooLarge,
    /// The connection closed before the body its head announced was complete.
    TruncatedBody,
    /// A chunked body broke the chunked coding (bad size line, missing CRLF).
    BadChunk,
    /// The body is (or announces it will be) larger than the body limit.
    BodyTooLarge,
}

impl ErrorKind {
    /// Every kind, in declaration order.
    pub const ALL: [ErrorKind; 7] = [
        ErrorKind::ClosedBeforeResponse,
        ErrorKind::TruncatedHead,
        ErrorKind::MalformedHead,
        ErrorKind::HeadTooLarge,
        ErrorKind::TruncatedBody,
        ErrorKind::BadChunk,
        ErrorKind::BodyTooLarge,
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
            ErrorKind::ClosedBeforeResponse => "closed_before_response",
            ErrorKind::TruncatedHead => "truncated_head",
            ErrorKind::MalformedHead => "malformed_head",
            ErrorKind::HeadTooLarge => "head_too_large",
            ErrorKind::TruncatedBody => "truncated_body",
            ErrorKind::BadChunk => "bad_chunk",
            ErrorKind::BodyTooLarge => "body_too_large",
        }
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A response that could not be read: its [`ErrorKind`] plus a message saying
/// what happened, e.g. `status line is not HTTP/1.0 or HTTP/1.1: "GARBAGE"`.
///
/// Displays as `kind: message`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{kind}: {message}")]
pub struct ResponseError {
    /// What kind of failure this is.
    pub kind: ErrorKind,
    /// What happened, for a human.
    pub message: String,
}

impl ResponseError {
    /// A failure of `kind`, described by `message`.
    ///
    /// ```
    /// use slow_client::http::{ErrorKind, ResponseError};
    /// let err = ResponseError::new(ErrorKind::TruncatedBody, "got 10 of 24 body bytes");
    /// assert_eq!(err.to_string(), "truncated_body: got 10 of 24 body bytes");
    /// ```
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        ResponseError {
            kind,
            message: message.into(),
        }
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
        assert_eq!(ErrorKind::BodyTooLarge.as_str(), "body_too_large");
    }

    #[test]
    fn request_error_displays_kind_then_message() {
        let err = ResponseError::new(ErrorKind::MalformedHead, "status line is not HTTP");
        assert_eq!(err.to_string(), "malformed_head: status line is not HTTP");
    }

    #[test]
    fn quote_line_escapes_strips_the_ending_and_elides_long_lines() {
        assert_eq!(quote_line(b"GARBAGE\r\n"), r#""GARBAGE""#);
        assert_eq!(quote_line(b"a\"b\x00\xff\n"), r#""a\"b\x00\xff""#);
        let long = [b'x'; 60];
        assert_eq!(quote_line(&long), format!("\"{}\"...", "x".repeat(48)));
    }
}
