//! Response bytes: a status line, a few fixed fields, and the body framed the way the
//! server was told to frame it, appended to a connection's output buffer without
//! allocating (numbers are formatted straight into it).

use std::io::Write as _;

use super::config::Framing;
use super::date::HTTP_DATE_LEN;
mod reason;

/// How long a browser may cache a preflight's answer, in seconds (Firefox's cap;
/// Chromium caps it at 7200).
const PREFLIGHT_MAX_AGE: u32 = 86_400;

/// The interim response to `Expect: 100-continue`.
pub(crate) const CONTINUE: &[u8] = b"HTTP/1.1 100 Continue\r\n\r\n";

/// The statuses the delay server sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Status {
    /// 200: the delay is over, the index page, or `OPTIONS *`.
    Ok,
    /// 204: the answer to `OPTIONS` on a route (a CORS preflight).
    NoContent,
    /// 302: `GET /delay/{ms}/url/{url}` after the delay.
    Found,
    /// 307: `POST /delay/{ms}/url/{url}` after the delay.
    TemporaryRedirect,
    /// 400: unparsable head, a bad delay or url, no `Host`.
    BadRequest,
    /// 404: a path that is not a route.
    NotFound,
    /// 405: a method the route does not take.
    MethodNotAllowed,
    /// 408: no complete head within the header timeout.
    RequestTimeout,
    /// 413: a request body over the cap.
    ContentTooLarge,
    /// 414: a request line over the head cap.
    UriTooLong,
    /// 431: a head over the size cap or with too many fields.
    HeaderFieldsTooLarge,
    /// 501: a transfer coding this server does not know.
    NotImplemented,
    /// 503: over the connection cap.
    ServiceUnavailable,
    /// 505: a request in HTTP/2.0 or above.
    HttpVersionNotSupported,
    /// Any final status (200 to 599) a client asked for with `/status/{code}`.
    Asked(u16),
}

impl Status {
    pub(crate) const fn code(self) -> u16 {
        match self {
            Status::Ok => 200,
            Status::NoContent => 204,
            Status::Found => 302,
            Status::TemporaryRedirect => 307,
            Status::BadRequest => 400,
            Status::NotFound => 404,
            Status::MethodNotAllowed => 405,
            Status::RequestTimeout => 408,
            Status::ContentTooLarge => 413,
            Status::UriTooLong => 414,
            Status::HeaderFieldsTooLarge => 431,
            Status::NotImplemented => 501,
            Status::ServiceUnavailable => 503,
            Status::HttpVersionNotSupported => 505,
            Status::Asked(code) => code,
        }
    }

    pub(crate) const fn reason(self) -> &'static str {
        reason::phrase(self.code())
    }

    /// Whether answering this status ends the connection: the request (or what
    /// follows it on the connection) could not be read reliably, or the server is full.
    /// An asked-for status never does: the request was read and served.
    pub(crate) const fn ends_connection(self) -> bool {
        !matches!(
            self,
            Status::Ok
                | Status::NoContent
                | Status::Found
                | Status::TemporaryRedirect
                | Status::NotFound
                | Status::Asked(_)
        )
    }

    /// The request was served: a 2xx or 3xx, or any status `/status/{code}` asked for.
    pub(crate) const fn is_success(self) -> bool {
        matches!(self, Status::Asked(_)) || self.code() < 400
    }

    /// Whether a response with this status has a body (RFC 9110 §6.4.1: not a 204 or
    /// a 304), and so framing fields.
    pub(crate) const fn has_body(self) -> bool {
        !matches!(self.code(), 204 | 304)
    }
}

/// A response body before framing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Body<'a> {
    /// No body (a redirect).
    Empty,
    /// Fixed text.
    Text(&'a str),
    /// `delayed {ms} ms: {path}\n`.
    Delayed { ms: u64, path: &'a str },
    /// A drip's `n` bytes, which the connection writes on their schedule: the head
    /// says `Content-Length: n` whatever the framing, and carries no body bytes.
    Drip(u64),
}

/// What the `Connection` field says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Persistence {
    /// HTTP/1.1 keeps the connection: no field needed.
    Default,
    /// An HTTP/1.0 client asked to keep it, and it is kept.
    KeepAlive,
    /// The connection ends after this response.
    Close,
}

/// A reply before framing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Reply<'a> {
    pub(crate) status: Status,
    pub(crate) body: Body<'a>,
    pub(crate) location: Option<&'a str>,
    /// The `Allow` value of a 405 or of an answer to `OPTIONS` (empty: no field); a
    /// 204 also gets it as `Access-Control-Allow-Methods`, with the preflight's fields.
    pub(crate) allow: &'a str,
    /// A HEAD request: send the head only.
    pub(crate) head_only: bool,
    pub(crate) persistence: Persistence,
}

impl<'a> Reply<'a> {
    pub(crate) fn new(status: Status, body: Body<'a>) -> Reply<'a> {
        Reply {
            status,
            body,
            location: None,
            allow: "",
            head_only: false,
            persistence: Persistence::Close,
        }
    }

    /// Appends the reply, framed as `framing`, to `out`, with `date` as its `Date`;
    /// returns where in `out` the date went, so a reply encoded before its delay can
    /// have it refreshed when it is sent. `staging` holds the body meanwhile (its
    /// length goes in the head).
    ///
    /// `framing` must already be the effective one ([`effective_framing`]).
    pub(crate) fn encode(
        &self,
        framing: Framing,
        date: &[u8; HTTP_DATE_LEN],
        staging: &mut Vec<u8>,
        out: &mut Vec<u8>,
    ) -> usize {
        staging.clear();
        match self.body {
            Body::Empty => {}
            Body::Text(text) => staging.extend_from_slice(text.as_bytes()),
            Body::Delayed { ms, path } => {
                let _ = writeln!(staging, "delayed {ms} ms: {path}");
            }
            Body::Drip(_) => {}
        }
        let _ = write!(
            out,
            "HTTP/1.1 {} {}\r\nServer: slow-client\r\nDate: ",
            self.status.code(),
            self.status.reason()
        );
        let date_at = out.len();
        out.extend_from_slice(date);
        out.extend_from_slice(b"\r\n");
        if let Body::Drip(_) = self.body {
            out.extend_from_slice(b"Content-Type: application/octet-stream\r\n");
        } else if !staging.is_empty() {
            out.extend_from_slice(b"Content-Type: text/plain; charset=utf-8\r\n");
        }
        if let Some(location) = self.location {
            out.extend_from_slice(b"Location: ");
            out.extend_from_slice(location.as_bytes());
            out.extend_from_slice(b"\r\n");
        }
        // Every response, errors too: a browser script then sees the status and the
        // message instead of a network error.
        out.extend_from_slice(b"Access-Control-Allow-Origin: *\r\n");
        if self.no_store() {
            out.extend_from_slice(b"Cache-Control: no-store\r\n");
        }
        if !self.allow.is_empty() {
            let _ = write!(out, "Allow: {}\r\n", self.allow);
            if self.status == Status::NoContent {
                // A CORS preflight: `*` lets any request header through but
                // Authorization, which must be named (Fetch, CORS protocol).
                let _ = write!(
                    out,
                    "Access-Control-Allow-Methods: {}\r\n\
                     Access-Control-Allow-Headers: *, Authorization\r\n\
                     Access-Control-Max-Age: {PREFLIGHT_MAX_AGE}\r\n",
                    self.allow
                );
            }
        }
        match self.status {
            Status::ServiceUnavailable => out.extend_from_slice(b"Retry-After: 1\r\n"),
            Status::Asked(401) => {
                out.extend_from_slice(b"WWW-Authenticate: Basic realm=\"slow-client\"\r\n");
            }
            Status::Asked(407) => {
                out.extend_from_slice(b"Proxy-Authenticate: Basic realm=\"slow-client\"\r\n");
            }
            _ => {}
        }
        match self.persistence {
            Persistence::Default => {}
            Persistence::KeepAlive => out.extend_from_slice(b"Connection: keep-alive\r\n"),
            Persistence::Close => out.extend_from_slice(b"Connection: close\r\n"),
        }
        if !self.status.has_body() {
            out.extend_from_slice(b"\r\n");
            return date_at;
        }
        match (self.body, framing) {
            (Body::Drip(n), _) => {
                let _ = write!(out, "Content-Length: {n}\r\n");
            }
            (_, Framing::Length) => {
                let _ = write!(out, "Content-Length: {}\r\n", staging.len());
            }
            (_, Framing::Chunked) => out.extend_from_slice(b"Transfer-Encoding: chunked\r\n"),
            (_, Framing::Close) => {}
        }
        out.extend_from_slice(b"\r\n");
        if self.head_only {
            return date_at;
        }
        match framing {
            _ if matches!(self.body, Body::Drip(_)) => {}
            Framing::Length | Framing::Close => out.extend_from_slice(staging),
            Framing::Chunked => {
                // Two chunks (at least one byte each) so a client's chunk loop runs more than once.
                let (first, second) = staging.split_at(staging.len() / 2);
                for chunk in [first, second] {
                    if !chunk.is_empty() {
                        let _ = write!(out, "{:x}\r\n", chunk.len());
                        out.extend_from_slice(chunk);
                        out.extend_from_slice(b"\r\n");
                    }
                }
                out.extend_from_slice(b"0\r\n\r\n");
            }
        }
        date_at
    }
}

impl Reply<'_> {
    /// Whether a cache must not keep this reply: an answer after a delay (the delay
    /// route's 200 and redirects, an asked-for status), which a cache would otherwise
    /// replay with no delay.
    fn no_store(&self) -> bool {
        matches!(self.body, Body::Delayed { .. })
            || self.location.is_some()
            || matches!(self.status, Status::Asked(_))
    }
}

/// The framing a response to this request gets: HTTP/1.0 clients cannot decode
/// chunked bodies, so they get [`Framing::Close`].
pub(crate) fn effective_framing(framing: Framing, http10: bool) -> Framing {
    match framing {
        Framing::Chunked if http10 => Framing::Close,
        other => other,
    }
}

#[cfg(test)]
mod tests;
