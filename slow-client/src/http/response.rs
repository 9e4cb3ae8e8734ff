//! The response reader: bytes in, a [`Response`] or a [`ResponseError`] out.

use super::body::{self, Body};
use super::error::{ErrorKind, ResponseError};
use super::head::{HeadParser, HeadStep};

/// Caps on what a server may send; going over one fails the request with
/// [`ErrorKind::HeadTooLarge`] or [`ErrorKind::BodyTooLarge`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ResponseLimits {
    /// Bytes in one response head, blank lines before the status line
    /// included (each 1xx head counts on its own). Default 64 KiB.
    pub max_head: usize,
    /// Bytes in one head line, its CRLF included. Default 8 KiB.
    pub max_header_line: usize,
    /// Header fields in one head. Default 100.
    pub max_headers: usize,
    /// Payload bytes in the body (chunk framing not counted). Default 16 MiB.
    pub max_body: u64,
}

impl Default for ResponseLimits {
    fn default() -> Self {
        ResponseLimits {
            max_head: 64 * 1024,
            max_header_line: 8 * 1024,
            max_headers: 100,
            max_body: 16 * 1024 * 1024,
        }
    }
}

/// A complete response, as far as the client cares: status and body size.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    /// The minor version: 0 for `HTTP/1.0`, 1 for `HTTP/1.1`.
    pub version: u8,
    /// The final status code, 200 to 999: informational (1xx) heads are
    /// skipped, and a 101 is an error.
    pub status: u16,
    /// The reason phrase; empty if the server sent none, or non-ASCII bytes.
    pub reason: String,
    /// Payload bytes in the body.
    pub body_bytes: u64,
    /// How the body's end was found.
    pub framing: BodyFraming,
    /// How many informational (1xx) heads came before this one.
    pub informational: u32,
}

/// How a response's body was delimited (RFC 9112 §6.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyFraming {
    /// By `Content-Length`.
    Length,
    /// By `Transfer-Encoding: chunked`.
    Chunked,
    /// By the server closing the connection.
    Close,
    /// No body: the status is 204 or 304.
    Empty,
}

/// What feeding bytes to a [`ResponseReader`] led to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Progress {
    /// The response is not complete yet: read more.
    NeedMore,
    /// The response is complete.
    Done(Response),
}

/// A sans-I/O HTTP/1.x response reader: feed it the bytes read from a socket,
/// in pieces of any size, and it says when the response is complete or
/// exactly how it went wrong.
///
/// - The head is parsed with `httparse`, one line at a time as each line
///   completes: each byte is parsed once, however the bytes trickle in, and
///   only the current line is buffered. Informational heads (`100 Continue`,
///   `103 Early Hints`, ...) are skipped and counted. `101 Switching
///   Protocols` is [`ErrorKind::MalformedHead`]: the client never asks to
///   upgrade. Obsolete line folding is malformed too (RFC 9112 §5.2
///   allows rejecting it).
/// - The body is framed as RFC 9112 §6.3 says (see [`BodyFraming`]) and
///   counted, never stored: after the head, memory is the reader itself
///   (under 200 bytes) and the reason phrase, plus at most
///   [`MAX_CHUNK_SIZE_LINE`](super::MAX_CHUNK_SIZE_LINE) bytes for a
///   chunk-size line split across reads. Trailers are skipped unparsed.
///   `Transfer-Encoding` in an HTTP/1.0 response is
///   [`ErrorKind::MalformedHead`]: RFC 9112 §6.1 calls its framing faulty.
/// - Bytes after a complete `Content-Length` or chunked body, or after a
///   bodiless (204, 304) response, are ignored: the client sends
///   `Connection: close` and pipelines nothing.
///
/// Once the reader has returned a response or an error it is finished:
/// [`feed`](Self::feed) and [`finish`](Self::finish) return the same outcome
/// again (a clone), and ignore any further bytes.
///
/// # Examples
///
/// ```
/// use slow_client::http::{ResponseLimits, Progress, ResponseReader};
///
/// let mut reader = ResponseReader::new(ResponseLimits::default());
/// assert_eq!(reader.feed(b"HTTP/1.1 200 OK\r\nContent-Le")?, Progress::NeedMore);
/// let Progress::Done(response) = reader.feed(b"ngth: 5\r\n\r\nhello")? else {
///     panic!("the body is complete");
/// };
/// assert_eq!((response.status, response.body_bytes), (200, 5));
///
/// // A close-delimited body ends when the peer closes.
/// let mut reader = ResponseReader::new(ResponseLimits::default());
/// assert_eq!(reader.feed(b"HTTP/1.0 200 OK\r\n\r\nbye")?, Progress::NeedMore);
/// assert_eq!(reader.finish()?.body_bytes, 3);
/// # Ok::<(), slow_client::http::ResponseError>(())
/// ```
#[derive(Debug)]
pub struct ResponseReader {
    limits: ResponseLimits,
    state: State,
    bytes_seen: u64,
    informational: u32,
}

#[derive(Debug)]
enum State {
    ResponseHead(HeadParser),
    /// The final head is in; `response.body_bytes` counts the body so far.
    Body {
        response: Response,
        body: Body,
    },
    Done(Response),
    Failed(ResponseError),
}

impl ResponseReader {
    /// A reader for one response, enforcing `limits`.
    pub fn new(limits: ResponseLimits) -> Self {
        ResponseReader {
            limits,
            state: State::ResponseHead(HeadParser::default()),
            bytes_seen: 0,
            informational: 0,
        }
    }

    /// Feeds the bytes just read from the socket: any amount, down to one
    /// byte; an empty slice is allowed and changes nothing.
    ///
    /// Returns [`Progress::Done`] as soon as the response is complete, which
    /// for a close-delimited body is only at [`finish`](Self::finish).
    /// Once the head is parsed, a call allocates nothing, except to buffer
    /// the first chunk-size line that is split across reads (the buffer is
    /// then reused) and to hand out the completed [`Response`].
    ///
    /// # Errors
    ///
    /// [`ErrorKind::MalformedHead`], [`ErrorKind::HeadTooLarge`],
    /// [`ErrorKind::BadChunk`] or [`ErrorKind::BodyTooLarge`] as soon as the
    /// bytes so far prove it, with a message quoting the offending line.
    pub fn feed(&mut self, bytes: &[u8]) -> Result<Progress, ResponseError> {
        self.bytes_seen += bytes.len() as u64;
        match &self.state {
            State::Done(response) => return Ok(Progress::Done(response.clone())),
            State::Failed(err) => return Err(err.clone()),
            State::ResponseHead(_) | State::Body { .. } => {}
        }
        match self.advance(bytes) {
            Ok(Some(response)) => {
                self.state = State::Done(response.clone());
                Ok(Progress::Done(response))
            }
            Ok(None) => Ok(Progress::NeedMore),
            Err(err) => {
                self.state = State::Failed(err.clone());
                Err(err)
            }
        }
    }

    /// The peer closed the connection (a read returned 0): the end of a
    /// close-delimited body, or of a response cut short.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::ClosedBeforeResponse`] if no byte ever came;
    /// [`ErrorKind::TruncatedHead`] in the middle of a head;
    /// [`ErrorKind::TruncatedBody`] in the middle of a `Content-Length` or
    /// chunked body ("connection closed after 10 of 24 body bytes");
    /// [`ErrorKind::MalformedHead`] or [`ErrorKind::BadChunk`] if the
    /// unfinished last line is already invalid.
    pub fn finish(&mut self) -> Result<Response, ResponseError> {
        let outcome = match &self.state {
            State::Done(response) => return Ok(response.clone()),
            State::Failed(err) => return Err(err.clone()),
            State::ResponseHead(_) if self.bytes_seen == 0 => Err(ResponseError::new(
                ErrorKind::ClosedBeforeResponse,
                "connection closed before any byte of a response",
            )),
            State::ResponseHead(parser) => Err(parser.closed_error(self.informational)),
            State::Body { response, body } => {
                body.closed(response.body_bytes).map(|()| response.clone())
            }
        };
        self.state = match &outcome {
            Ok(response) => State::Done(response.clone()),
            Err(err) => State::Failed(err.clone()),
        };
        outcome
    }

    /// How many bytes have been fed so far; 0 means none ever came (so a
    /// close now is [`ErrorKind::ClosedBeforeResponse`]).
    pub fn bytes_seen(&self) -> u64 {
        self.bytes_seen
    }

    /// Runs `input` through heads and body; `Some` once the response is complete.
    fn advance(&mut self, mut input: &[u8]) -> Result<Option<Response>, ResponseError> {
        loop {
            match &mut self.state {
                State::ResponseHead(parser) => match parser.feed(input, &self.limits)? {
                    HeadStep::NeedMore => return Ok(None),
                    HeadStep::Complete { consumed, head } => {
                        input = &input[consumed..];
                        if (100..200).contains(&head.status) {
                            // The parser has already reset itself for the next head.
                            self.informational += 1;
                            continue;
                        }
                        let (framing, body) = body::plan(&head, &self.limits)?;
                        let response = Response {
                            version: head.version,
                            status: head.status,
                            reason: head.reason,
                            body_bytes: 0,
                            framing,
                            informational: self.informational,
                        };
                        match body {
                            None => return Ok(Some(response)),
                            // Replacing the head parser frees its line buffer.
                            Some(body) => self.state = State::Body { response, body },
                        }
                    }
                },
                State::Body { response, body } => {
                    let done = body.feed(input, &mut response.body_bytes, &self.limits)?;
                    return Ok(done.then(|| response.clone()));
                }
                State::Done(_) | State::Failed(_) => return Ok(None),
            }
        }
    }
}
