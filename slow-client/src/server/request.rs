//! Request heads: parsed with `httparse`, then judged: what the client asked for
//! (route, keep-alive, a body to skip, `Expect: 100-continue`) or why it cannot be
//! served.
//!
//! Everything here is pure (bytes in, decision out), so every rejection is unit-tested
//! beside the code and nothing a client sends can reach an `unwrap`.

use super::response::Status;
use super::route::{route, Answer, Routed};

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
    /// `Expect: 100-continue` on a body the server will read: answer `100` at once.
    pub(crate) send_continue: bool,
}

impl Decision<'_> {
    /// The status the answer will carry.
    pub(crate) fn status(&self) -> Status {
        match &self.answer {
            Answer::Delayed { .. } | Answer::Index => Status::Ok,
            Answer::Redirect { status, .. } | Answer::Error { status, .. } => *status,
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
    let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut req = httparse::Request::new(&mut headers);
    let invalid = |status, message: String| Parsed::Invalid { status, message };
    let len = match req.parse(buf) {
        Ok(httparse::Status::Complete(len)) if len <= limits.max_head => len,
        Ok(httparse::Status::Partial) if buf.len() <= limits.max_head => return Parsed::Partial,
        Ok(_) => {
            return invalid(
                Status::HeaderFieldsTooLarge,
                format!("request head larger than {} bytes\n", limits.max_head),
            )
        }
        Err(httparse::Error::TooManyHeaders) => {
            return invalid(
                Status::HeaderFieldsTooLarge,
                format!("more than {MAX_HEADERS} header fields\n"),
            )
        }
        Err(e) => return invalid(Status::BadRequest, format!("malformed request head: {e}\n")),
    };
    // httparse fills all three on Complete; a missing one is still answered, not unwrapped.
    let (Some(method), Some(target), Some(version)) = (req.method, req.path, req.version) else {
        return invalid(Status::BadRequest, "malformed request line\n".to_owned());
    };
    let http10 = version == 0;
    let mut fields = Fields {
        client_keeps: !http10,
        ..Fields::default()
    };
    if let Err((status, message)) = fields.read(req.headers) {
        return invalid(status, message);
    }
    let Routed { delay_ms, answer } = route(method, target, limits.max_delay_ms);
    let mut decision = Decision {
        delay_ms,
        answer,
        head_only: method == "HEAD",
        http10,
        client_keeps: fields.client_keeps,
        body: fields.content_length,
        send_continue: false,
    };
    decision.send_continue =
        fields.expects_continue && decision.body > 0 && !decision.status().ends_connection();
    Parsed::Complete { len, decision }
}

/// The fields the server acts on.
#[derive(Debug, Default)]
struct Fields {
    client_keeps: bool,
    content_length: u64,
    expects_continue: bool,
}

impl Fields {
    fn read(&mut self, headers: &[httparse::Header<'_>]) -> Result<(), (Status, String)> {
        let mut length: Option<u64> = None;
        for header in headers {
            let name = header.name;
            let value = std::str::from_utf8(header.value).unwrap_or("").trim();
            if name.eq_ignore_ascii_case("connection") {
                for token in value.split(',').map(str::trim) {
                    if token.eq_ignore_ascii_case("close") {
                        self.client_keeps = false;
                    } else if token.eq_ignore_ascii_case("keep-alive") {
                        self.client_keeps = true;
                    }
                }
            } else if name.eq_ignore_ascii_case("transfer-encoding") {
                return Err((
                    Status::LengthRequired,
                    "a request body must come with Content-Length, not Transfer-Encoding\n"
                        .to_owned(),
                ));
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

#[cfg(test)]
mod tests {
    use super::*;

    const LIMITS: RequestLimits = RequestLimits {
        max_head: 1024,
        max_delay_ms: 60_000,
    };

    fn decide(head: &str) -> Decision<'_> {
        match parse_head(head.as_bytes(), LIMITS) {
            Parsed::Complete { decision, len } => {
                assert_eq!(len, head.find("\r\n\r\n").unwrap() + 4);
                decision
            }
            other => panic!("head should be complete: {head:?}: {other:?}"),
        }
    }

    fn invalid(head: &str) -> Status {
        match parse_head(head.as_bytes(), LIMITS) {
            Parsed::Invalid { status, .. } => status,
            other => panic!("{head:?}: {other:?}"),
        }
    }

    #[test]
    fn http11_keeps_unless_told_to_close_and_http10_closes_unless_asked() {
        assert!(decide("GET /delay/1 HTTP/1.1\r\nHost: x\r\n\r\n").client_keeps);
        assert!(!decide("GET /delay/1 HTTP/1.1\r\nConnection: Close\r\n\r\n").client_keeps);
        assert!(!decide("GET /delay/1 HTTP/1.1\r\nConnection: te, close\r\n\r\n").client_keeps);
        let old = decide("GET /delay/1 HTTP/1.0\r\n\r\n");
        assert!(old.http10 && !old.client_keeps);
        assert!(decide("GET /delay/1 HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n").client_keeps);
    }

    #[test]
    fn a_body_is_measured_for_skipping_and_continue_is_sent_only_for_one() {
        let d = decide("POST /delay/1/url/x HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello");
        assert_eq!(
            (d.body, d.send_continue, d.status()),
            (5, false, Status::TemporaryRedirect)
        );
        let d =
            decide("GET /delay/1 HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 9\r\n\r\n");
        assert_eq!((d.body, d.send_continue), (9, true));
        assert!(!decide("GET /delay/1 HTTP/1.1\r\nExpect: 100-continue\r\n\r\n").send_continue);
        // A request answered with an error that closes gets no 100: its body is never read.
        let d =
            decide("PUT /delay/1 HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 9\r\n\r\n");
        assert!(!d.send_continue);
    }

    #[test]
    fn chunked_bodies_are_411_and_bad_or_huge_lengths_400_and_413() {
        let chunked = "POST /delay/1/url/x HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n";
        assert_eq!(invalid(chunked), Status::LengthRequired);
        for bad in ["-1", "1x", "", "1, 2", "99999999999999999999999"] {
            let head = format!("POST /delay/1/url/x HTTP/1.1\r\nContent-Length: {bad}\r\n\r\n");
            assert_eq!(invalid(&head), Status::BadRequest, "{bad:?}");
        }
        let twice = "GET / HTTP/1.1\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\n";
        assert_eq!(invalid(twice), Status::BadRequest);
        let same = "GET / HTTP/1.1\r\nContent-Length: 3\r\nContent-Length: 3\r\n\r\n";
        assert_eq!(decide(same).body, 3);
        let huge = format!(
            "POST /delay/1/url/x HTTP/1.1\r\nContent-Length: {}\r\n\r\n",
            MAX_BODY + 1
        );
        assert_eq!(invalid(&huge), Status::ContentTooLarge);
        let most = format!("POST /delay/1/url/x HTTP/1.1\r\nContent-Length: {MAX_BODY}\r\n\r\n");
        assert_eq!(decide(&most).body, MAX_BODY);
    }

    #[test]
    fn every_proper_prefix_of_a_head_is_partial() {
        let head = "GET /delay/10/url/http://x HTTP/1.1\r\nHost: a\r\nAccept: */*\r\n\r\n";
        for end in 0..head.len() {
            assert_eq!(
                parse_head(&head.as_bytes()[..end], LIMITS),
                Parsed::Partial,
                "{end}"
            );
        }
        assert_eq!(decide(head).delay_ms, 10);
    }

    #[test]
    fn head_over_the_limit_is_431_complete_or_not() {
        let long = format!("GET /delay/1 HTTP/1.1\r\nX: {}\r\n", "a".repeat(1100));
        assert_eq!(invalid(&long), Status::HeaderFieldsTooLarge);
        assert_eq!(
            invalid(&format!("{long}\r\n")),
            Status::HeaderFieldsTooLarge
        );
    }

    #[test]
    fn too_many_header_fields_is_431() {
        let mut head = String::from("GET /delay/1 HTTP/1.1\r\n");
        for i in 0..=MAX_HEADERS {
            head.push_str(&format!("X-{i}: v\r\n"));
        }
        head.push_str("\r\n");
        assert_eq!(invalid(&head), Status::HeaderFieldsTooLarge);
    }

    #[test]
    fn garbage_is_400() {
        for junk in [
            "\x16\x03\x01\x02\0",
            "GET /delay/1 HTTP/9.9\r\n\r\n",
            "GET\r\n\r\n",
        ] {
            assert_eq!(invalid(junk), Status::BadRequest, "{junk:?}");
        }
    }

    #[test]
    fn head_requests_are_marked_and_routed_like_get() {
        let d = decide("HEAD /delay/2s HTTP/1.1\r\n\r\n");
        assert_eq!(
            (d.head_only, d.delay_ms, d.status()),
            (true, 2000, Status::Ok)
        );
    }

    proptest::proptest! {
        #[test]
        fn any_bytes_never_panic(
            bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..1500),
        ) {
            let _ = parse_head(&bytes, LIMITS);
        }

        #[test]
        fn a_valid_head_is_partial_until_its_last_byte_and_then_complete(
            method in proptest::sample::select(vec!["GET", "HEAD", "POST"]),
            ms in 0u64..100_000,
            url in proptest::option::of("[a-zA-Z0-9/:.?=&_~-]{1,60}"),
            fields in proptest::collection::vec(("X-[A-Za-z-]{1,12}", "[!-~]{0,20}"), 0..6),
            cut in 0usize..600,
            extra in "[ -~]{0,40}",
        ) {
            let path = match url {
                Some(url) => format!("/delay/{ms}/url/{url}"),
                None => format!("/delay/{ms}"),
            };
            let mut head = format!("{method} {path} HTTP/1.1\r\n");
            for (name, value) in fields {
                head.push_str(&format!("{name}: {value}\r\n"));
            }
            head.push_str("\r\n");
            let cut = cut % head.len();
            proptest::prop_assert_eq!(parse_head(&head.as_bytes()[..cut], LIMITS), Parsed::Partial);
            let whole = parse_head(head.as_bytes(), LIMITS);
            let len = match &whole {
                Parsed::Complete { len, .. } => *len,
                other => return Err(proptest::test_runner::TestCaseError::fail(format!("{other:?}"))),
            };
            proptest::prop_assert_eq!(len, head.len());
            // Whatever follows (a body, the next request) does not change the decision.
            let followed = format!("{head}{extra}");
            proptest::prop_assert_eq!(parse_head(followed.as_bytes(), LIMITS), whole);
        }
    }
}
