//! The response head, taken one line at a time.
//!
//! Each line is checked by `httparse` the moment its `\n` arrives, so a bad
//! status line or header is reported at once (even if the server then
//! stalls), every byte of the head is parsed exactly once (no quadratic
//! re-parsing when bytes trickle in), and only the current line is buffered.
//!
//! The usual case, a whole head in one read, takes a fast path: one
//! `httparse` call over the head in place (no copy into the line buffer).
//! It only ever accepts what the line-at-a-time path accepts, with the same
//! result; anything else (a partial head, an error, a 1xx or 101, a cap
//! near) is left to the line-at-a-time path, so errors are unchanged.

use httparse::{Header, Status, EMPTY_HEADER};

use super::error::{quote_line, ErrorKind, ResponseError};
use super::fields::{FramingFields, TransferCoding};
use super::ResponseLimits;

/// A complete response head, reduced to what framing and reporting need.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ResponseHead {
    pub version: u8,
    pub status: u16,
    pub reason: String,
    pub content_length: Option<u64>,
    pub transfer_coding: Option<TransferCoding>,
}

/// What feeding bytes to a [`HeadParser`] led to.
#[derive(Debug)]
pub(crate) enum HeadStep {
    /// Every byte was taken; the head is not complete yet.
    NeedMore,
    /// The head ended after `consumed` bytes of the input; the rest is body.
    Complete { consumed: usize, head: ResponseHead },
}

/// Accumulates and checks one response head.
#[derive(Debug, Default)]
pub(crate) struct HeadParser {
    /// The current line, up to and including its `\n`; never longer than
    /// `max_header_line` (plus the 2 scratch bytes that `status_line` and
    /// `field_line` append to make the line parse on its own).
    line: Vec<u8>,
    /// Bytes of this head so far, including blank lines before the status line.
    head_len: usize,
    /// Version and status code, once the status line has been parsed.
    status: Option<(u8, u16)>,
    reason: String,
    fields: usize,
    framing: FramingFields,
}

impl HeadParser {
    /// Takes bytes until the head is complete or an error is certain.
    pub(crate) fn feed(
        &mut self,
        input: &[u8],
        limits: &ResponseLimits,
    ) -> Result<HeadStep, ResponseError> {
        if self.line.is_empty() && self.head_len == 0 && self.status.is_none() {
            if let Some(done) = whole_head(input, limits) {
                return Ok(done);
            }
        }
        let mut pos = 0;
        while pos < input.len() {
            let rest = &input[pos..];
            let seg = rest
                .iter()
                .position(|&b| b == b'\n')
                .map_or(rest.len(), |i| i + 1);
            let line_room = limits.max_header_line.saturating_sub(self.line.len());
            let head_room = limits.max_head.saturating_sub(self.head_len);
            let room = line_room.min(head_room);
            if seg > room {
                // Keep exactly the bytes within the caps, so the error (and
                // its diagnosis) is the same however the input was split.
                self.line.extend_from_slice(&rest[..room]);
                self.head_len += room;
                return Err(self.cap_error(head_room <= line_room, limits));
            }
            self.line.extend_from_slice(&rest[..seg]);
            self.head_len += seg;
            pos += seg;
            if self.line.last() == Some(&b'\n') {
                if let Some(head) = self.end_line(limits)? {
                    return Ok(HeadStep::Complete {
                        consumed: pos,
                        head,
                    });
                }
            }
        }
        Ok(HeadStep::NeedMore)
    }

    /// The error for a connection that closed before the head was complete.
    pub(crate) fn closed_error(&self, informational: u32) -> ResponseError {
        if let Some(err) = self.partial_line_error() {
            return err;
        }
        let message = if self.head_len == 0 {
            format!("connection closed after {informational} informational (1xx) head(s), before the final response head")
        } else {
            format!(
                "connection closed after {} bytes of the response head",
                self.head_len
            )
        };
        ResponseError::new(ErrorKind::TruncatedHead, message)
    }

    fn end_line(&mut self, limits: &ResponseLimits) -> Result<Option<ResponseHead>, ResponseError> {
        let blank = matches!(self.line.as_slice(), b"\n" | b"\r\n");
        let outcome = match (self.status, blank) {
            // httparse skips empty lines before the status line; so do we.
            (None, true) => Ok(None),
            (None, false) => self.status_line().map(|()| None),
            (Some((version, status)), true) => Ok(Some(self.take_head(version, status))),
            (Some(_), false) => self.field_line(limits).map(|()| None),
        };
        self.line.clear();
        outcome
    }

    fn status_line(&mut self) -> Result<(), ResponseError> {
        let len = self.line.len();
        // An empty line after it makes the line alone a complete head, so
        // httparse answers Complete or an error, never Partial.
        self.line.extend_from_slice(b"\r\n");
        let mut no_fields: [Header<'_>; 0] = [];
        let mut response = httparse::Response::new(&mut no_fields);
        let parsed = response.parse(&self.line);
        let line = &self.line[..len];
        match (parsed, response.version, response.code) {
            (Ok(Status::Complete(_)), Some(version), Some(code)) => {
                if code < 100 {
                    return Err(malformed(
                        format!("status code {code:03} is not 1xx to 5xx"),
                        line,
                    ));
                }
                if code == 101 {
                    // We never ask to upgrade, so a switch of protocols is
                    // not an answer we can read.
                    return Err(malformed(
                        "101 Switching Protocols, but no upgrade was requested",
                        line,
                    ));
                }
                self.status = Some((version, code));
                self.reason = response.reason.unwrap_or_default().to_owned();
                Ok(())
            }
            (Err(e), ..) => Err(malformed(describe(e), line)),
            _ => Err(malformed("status line did not parse", line)),
        }
    }

    fn field_line(&mut self, limits: &ResponseLimits) -> Result<(), ResponseError> {
        self.fields += 1;
        if self.fields > limits.max_headers {
            let message = format!("more than {} header fields", limits.max_headers);
            return Err(ResponseError::new(ErrorKind::HeadTooLarge, message));
        }
        let len = self.line.len();
        self.line.extend_from_slice(b"\r\n");
        let mut slot = [EMPTY_HEADER; 1];
        let line = &self.line[..len];
        match httparse::parse_headers(&self.line, &mut slot) {
            Ok(Status::Complete((_, [field]))) => self.framing.record(field.name, field.value),
            Err(e) => Err(malformed(describe(e), line)),
            Ok(_) => Err(malformed("header line did not parse", line)),
        }
    }

    /// Hands out the finished head and starts over (keeping the line
    /// buffer's capacity, for the final head after a 1xx one).
    fn take_head(&mut self, version: u8, status: u16) -> ResponseHead {
        let head = ResponseHead {
            version,
            status,
            reason: std::mem::take(&mut self.reason),
            content_length: self.framing.content_length,
            transfer_coding: self.framing.transfer_coding,
        };
        *self = HeadParser {
            line: std::mem::take(&mut self.line),
            ..HeadParser::default()
        };
        head
    }

    /// A cap was reached: garbage that merely ran long is still reported as
    /// malformed, since that says more about the server than its length.
    fn cap_error(&self, head_cap: bool, limits: &ResponseLimits) -> ResponseError {
        if let Some(err) = self.partial_line_error() {
            return err;
        }
        let message = if head_cap {
            format!("response head exceeds {} bytes", limits.max_head)
        } else {
            let what = if self.status.is_none() {
                "status line"
            } else {
                "header line"
            };
            let (max, start) = (limits.max_header_line, quote_line(&self.line));
            format!("{what} exceeds {max} bytes: {start}")
        };
        ResponseError::new(ErrorKind::HeadTooLarge, message)
    }

    /// Whether the unfinished current line is already certain to be invalid.
    fn partial_line_error(&self) -> Option<ResponseError> {
        let parsed = if self.status.is_none() {
            let mut no_fields: [Header<'_>; 0] = [];
            httparse::Response::new(&mut no_fields)
                .parse(&self.line)
                .map(|_| ())
        } else {
            httparse::parse_headers(&self.line, &mut [EMPTY_HEADER; 1]).map(|_| ())
        };
        parsed.err().map(|e| malformed(describe(e), &self.line))
    }
}

/// Header slots of the fast path; a head with more fields takes the line-at-a-time path.
const FAST_FIELDS: usize = 16;

/// The fast path: `input` starts a fresh head and holds all of it, it
/// parses in one piece as a final (200 or above) response within every cap,
/// and its framing fields record without error. `None` otherwise, with
/// nothing changed: the caller then takes the head a line at a time.
fn whole_head(input: &[u8], limits: &ResponseLimits) -> Option<HeadStep> {
    let mut slots = [EMPTY_HEADER; FAST_FIELDS];
    let slots = &mut slots[..FAST_FIELDS.min(limits.max_headers)];
    let mut response = httparse::Response::new(slots);
    let Ok(Status::Complete(consumed)) = response.parse(input) else {
        return None;
    };
    // A head no longer than one line's cap has no line over it.
    if consumed > limits.max_head || consumed > limits.max_header_line {
        return None;
    }
    let (Some(version), Some(status)) = (response.version, response.code) else {
        return None;
    };
    if status < 200 {
        return None;
    }
    let mut framing = FramingFields::default();
    for field in response.headers.iter() {
        framing.record(field.name, field.value).ok()?;
    }
    Some(HeadStep::Complete {
        consumed,
        head: ResponseHead {
            version,
            status,
            reason: response.reason.unwrap_or_default().to_owned(),
            content_length: framing.content_length,
            transfer_coding: framing.transfer_coding,
        },
    })
}

fn describe(err: httparse::Error) -> &'static str {
    match err {
        httparse::Error::Version => "status line is not HTTP/1.0 or HTTP/1.1",
        httparse::Error::Status => "invalid status line",
        httparse::Error::HeaderName => "invalid header name",
        httparse::Error::HeaderValue => "invalid header value",
        httparse::Error::NewLine => "invalid line ending",
        httparse::Error::Token => "invalid token",
        httparse::Error::TooManyHeaders => "too many header fields",
    }
}

fn malformed(what: impl std::fmt::Display, line: &[u8]) -> ResponseError {
    ResponseError::new(
        ErrorKind::MalformedHead,
        format!("{what}: {}", quote_line(line)),
    )
}

#[cfg(test)]
mod tests;
