//! Request heads: parsed with `httparse`, then judged: what the client asked for
//! (route, keep-alive, a body to skip, `Expect: 100-continue`) or why it cannot be
//! served.
//!
//! Everything here is pure (bytes in, decision out), so every rejection is unit-tested
//! beside the code and nothing a client sends can reach an `unwrap`.

use super::response::Status;
use super::route::{route, Answer, Routed};
use line::{parse_line, LineError, Version};

mod host;
mod line;

/// Header fields accepted in one request head; more gets 431 (a fixed array keeps
/// parsing allocation-free).
pub(crate) const MAX_HEADERS: usize = 32;

/// Largest request body read (and discarded); more gets 413.
pub(crate) const MAX_BODY: u64 = 1 << 20;

/// What a request head is judged against (the server's own caps, not the client's
/// response limits).
#[derive(Debug, Clone, Copy)]
pub(crate) struct RequestLimits {
    /// Largest head in bytes (431 beyond).
    pub(crate) max_head: usize,
    /// Largest delay in milliseconds (400 beyond).
    pub(crate) max_delay_ms: u64,
}

/// What the server makes of one complete request head.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Decision<'a> {
    /// How long to hold the answer back (0 for every rejection).
    pub(crate) delay_ms: u64,
    /// What to answer when the delay is over.
    pub(crate) answer: Answer<'a>,
    /// `HEAD`: the head of the answer only.
    pub(crate) head_only: bool,
    /// An HTTP/1.0 request.
    pub(crate) http10: bool,
    /// The client lets the connection persist (HTTP/1.1 without `Connection: close`,
    /// HTTP/1.0 with `Connection: keep-alive`).
    pub(crate) client_keeps: bool,
    /// Body bytes after the head, read and discarded.
    pub(crate) body: u64,
    /// A chunked body follows the head (RFC 9112 §7.1): read and discarded chunk by
    /// chunk, within the same cap as a `Content-Length` one.
    pub(crate) chunked: bool,
    /// `Expect: 100-continue` on a body the server will read: answer `100` at once.
    pub(crate) send_continue: bool,
}

impl Decision<'_> {
    /// The status the answer will carry.
    pub(crate) fn status(&self) -> Status {
        match &self.answer {
            Answer::Delayed { .. } | Answer::Index => Status::Ok,
            Answer::Redirect { status, .. } | Answer::Text { status, .. } => *status,
            Answer::Drip(drip) => Status::Asked(drip.code),
            Answer::Fault(fault) => Status::Asked(fault.code()),
        }
    }
}

/// The result of looking at the bytes received so far for the next request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Parsed<'a> {
    /// The head is not complete yet and is still within `max_head`: read more.
    Partial,
    /// A complete head of `len` bytes (the body, if any, follows it).
    Complete { len: usize, decision: Decision<'a> },
    /// The bytes can never become a head this server takes: answer and close.
    Invalid { status: Status, message: String },
}

/// Parses the head at the start of `buf` (which may hold more: a body, pipelined
/// requests) and decides what to answer.
pub(crate) fn parse_head(buf: &[u8], limits: RequestLimits) -> Parsed<'_> {
    let invalid = |status, message: &str| Parsed::Invalid {
        status,
        message: message.to_owned(),
    };
    let line = match parse_line(buf, limits.max_head) {
        Ok(Some(line)) => line,
        Ok(None) => return Parsed::Partial,
        Err(LineError::Malformed) => {
            return invalid(Status::BadRequest, "malformed request line\n")
        }
        Err(LineError::Version) => {
            return invalid(
                Status::HttpVersionNotSupported,
                "this server speaks HTTP/1.0 and HTTP/1.1\n",
            )
        }
        Err(LineError::TooLong) => {
            return Parsed::Invalid {
                status: Status::UriTooLong,
                message: format!("request line longer than {} bytes\n", limits.max_head),
            }
        }
    };
    let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let too_large = || Parsed::Invalid {
        status: Status::HeaderFieldsTooLarge,
        message: format!("request head larger than {} bytes\n", limits.max_head),
    };
    let (len, headers) = match httparse::parse_headers(&buf[line.len..], &mut headers) {
        Ok(httparse::Status::Complete((n, headers))) if line.len + n <= limits.max_head => {
            (line.len + n, headers)
        }
        Ok(httparse::Status::Partial) if buf.len() <= limits.max_head => return Parsed::Partial,
        Ok(_) => return too_large(),
        Err(httparse::Error::TooManyHeaders) => {
            return Parsed::Invalid {
                status: Status::HeaderFieldsTooLarge,
                message: format!("more than {MAX_HEADERS} header fields\n"),
            }
        }
        Err(e) => {
            return Parsed::Invalid {
                status: Status::BadRequest,
                message: format!("malformed request head: {e}\n"),
            }
        }
    };
    let http10 = line.version == Version::Http10;
    let mut fields = Fields::default();
    if let Err((status, message)) = fields.read(headers, http10) {
        return Parsed::Invalid { status, message };
    }
    let Routed { delay_ms, answer } = route(line.method, line.target, limits.max_delay_ms);
    let mut decision = Decision {
        delay_ms,
        answer,
        head_only: line.method == "HEAD",
        http10,
        // `close` wins over any `keep-alive`, in one field or several (RFC 9112 §9.6).
        client_keeps: !fields.saw_close && (!http10 || fields.saw_keep_alive),
        body: fields.content_length,
        chunked: fields.chunked,
        send_continue: false,
    };
    // An HTTP/1.0 client does not know 100 (RFC 9110 §10.1.1): the Expect is ignored.
    decision.send_continue = fields.expects_continue
        && !http10
        && (decision.body > 0 || decision.chunked)
        && !decision.status().ends_connection()
        && !matches!(decision.answer, Answer::Fault(_));
    Parsed::Complete { len, decision }
}

/// How many complete request heads `buf` holds, one after the other (bodies skipped,
/// empty lines between them ignored), up to the first that is partial or invalid: the
/// requests a connection had sent in full when the server stopped reading it, which
/// then count as dropped.
pub(crate) fn complete_requests(buf: &[u8], limits: RequestLimits) -> u64 {
    let mut pos = 0;
    let mut count = 0;
    loop {
        pos += buf[pos..]
            .iter()
            .take_while(|&&b| b == b'\r' || b == b'\n')
            .count();
        let Parsed::Complete { len, decision } = parse_head(&buf[pos..], limits) else {
            return count;
        };
        count += 1;
        if decision.chunked {
            return count; // where its body ends takes decoding: nothing after it counts
        }
        let next = u64::try_from(pos + len)
            .unwrap_or(u64::MAX)
            .saturating_add(decision.body);
        match usize::try_from(next) {
            Ok(next) if next <= buf.len() => pos = next,
            _ => return count,
        }
    }
}

/// The fields the server acts on.
#[derive(Debug, Default)]
struct Fields {
    saw_close: bool,
    saw_keep_alive: bool,
    content_length: u64,
    chunked: bool,
    expects_continue: bool,
    /// `Host` fields seen, and whether every one was a valid `host[:port]`.
    hosts: u32,
    hosts_valid: bool,
}

impl Fields {
    /// Reads the fields of a request (`http10`: an HTTP/1.0 one), or says why they
    /// cannot be served.
    fn read(
        &mut self,
        headers: &[httparse::Header<'_>],
        http10: bool,
    ) -> Result<(), (Status, String)> {
        let mut length: Option<u64> = None;
        self.hosts_valid = true;
        for header in headers {
            let name = header.name;
            let value = std::str::from_utf8(header.value).unwrap_or("").trim();
            if name.eq_ignore_ascii_case("connection") {
                for token in value.split(',').map(str::trim) {
                    if token.eq_ignore_ascii_case("close") {
                        self.saw_close = true;
                    } else if token.eq_ignore_ascii_case("keep-alive") {
                        self.saw_keep_alive = true;
                    }
                }
            } else if name.eq_ignore_ascii_case("transfer-encoding") {
                if self.chunked {
                    return Err((
                        Status::BadRequest,
                        "more than one Transfer-Encoding field\n".to_owned(),
                    ));
                }
                transfer_coding(value, http10)?;
                self.chunked = true;
            } else if name.eq_ignore_ascii_case("host") {
                self.hosts += 1;
                self.hosts_valid &= host::valid(header.value);
            } else if name.eq_ignore_ascii_case("content-length") {
                let parsed = (!value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()))
                    .then(|| value.parse::<u64>().ok())
                    .flatten();
                match (parsed, length) {
                    (Some(n), None) => length = Some(n),
                    (Some(n), Some(m)) if n == m => {}
                    _ => return Err((Status::BadRequest, "bad Content-Length\n".to_owned())),
                }
            } else if name.eq_ignore_ascii_case("expect") {
                self.expects_continue = value.eq_ignore_ascii_case("100-continue");
            }
        }
        // RFC 9112 §3.2: 400 for an HTTP/1.1 request without Host, and for any request
        // with more than one or an invalid one.
        match (self.hosts, self.hosts_valid) {
            (0, _) if !http10 => {
                return Err((
                    Status::BadRequest,
                    "an HTTP/1.1 request needs a Host field (RFC 9112 section 3.2)\n".to_owned(),
                ))
            }
            (2.., _) => return Err((Status::BadRequest, "more than one Host field\n".to_owned())),
            (_, false) => return Err((Status::BadRequest, "invalid Host field\n".to_owned())),
            _ => {}
        }
        if self.chunked && length.is_some() {
            // Which one frames the body is how requests are smuggled: neither.
            return Err((
                Status::BadRequest,
                "both Transfer-Encoding and Content-Length\n".to_owned(),
            ));
        }
        match length {
            Some(n) if n > MAX_BODY => Err((
                Status::ContentTooLarge,
                format!("request body of {n} bytes; this server reads at most {MAX_BODY}\n"),
            )),
            n => {
                self.content_length = n.unwrap_or(0);
                Ok(())
            }
        }
    }
}

/// Whether this server reads a body sent with `Transfer-Encoding: {value}`: only
/// `chunked` (RFC 9112 §6.1: a recipient must parse it). Another coding is 501;
/// any in an HTTP/1.0 request, whose framing it makes faulty, 400.
fn transfer_coding(value: &str, http10: bool) -> Result<(), (Status, String)> {
    if http10 {
        return Err((
            Status::BadRequest,
            "Transfer-Encoding in an HTTP/1.0 request\n".to_owned(),
        ));
    }
    if value.eq_ignore_ascii_case("chunked") {
        return Ok(());
    }
    Err((
        Status::NotImplemented,
        format!(
            "transfer coding {:?} not implemented: send the body chunked or with Content-Length\n",
            super::route::echo(value)
        ),
    ))
}

#[cfg(test)]
mod tests;
