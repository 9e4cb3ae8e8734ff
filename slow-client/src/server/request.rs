//! Request heads: parsed with `httparse`, then routed to a delay or a 4xx reply.
//!
//! Everything here is pure (bytes in, decision out), so every rejection is unit-tested
//! beside the code and nothing a client sends can reach an `unwrap`.

use super::response::{Reply, Status};

/// Header fields accepted in one request head; more gets 431 (a fixed array keeps
/// parsing allocation-free).
pub(crate) const MAX_HEADERS: usize = 32;

/// Longest part of the request target echoed back in a body, so a reply stays small
/// however long the path was.
const ECHO_LIMIT: usize = 200;

/// What a head said once it is complete: wait `delay_ms`, then send `reply`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Decision {
    /// How long to hold the reply back (0 for every rejection).
    pub(crate) delay_ms: u64,
    /// The reply to send when the delay is over.
    pub(crate) reply: Reply,
}

/// The result of looking at the bytes of a request head received so far.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Head {
    /// The head is not complete yet and is still within `max_head`: read more.
    Partial,
    /// The head is complete (or can never become valid): here is what to answer.
    Complete(Decision),
}

/// Limits a head is judged against.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Limits {
    /// Largest head in bytes (431 beyond).
    pub(crate) max_head: usize,
    /// Largest delay in milliseconds (400 beyond).
    pub(crate) max_delay_ms: u64,
}

/// Parses the bytes received so far on a connection (`buf` may hold more than the head).
pub(crate) fn parse_head(buf: &[u8], limits: Limits) -> Head {
    let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut req = httparse::Request::new(&mut headers);
    let reject = |status, body: String| Head::Complete(Decision::now(Reply::new(status, body)));
    match req.parse(buf) {
        Ok(httparse::Status::Complete(len)) if len > limits.max_head => reject(
            Status::HeaderFieldsTooLarge,
            too_large_body(limits.max_head),
        ),
        Ok(httparse::Status::Complete(_)) => {
            // httparse fills all three on Complete; a missing one is still answered, not unwrapped.
            match (req.method, req.path, req.version) {
                (Some(method), Some(path), Some(version)) => {
                    let mut decision = route(method, path, limits.max_delay_ms);
                    decision.reply.http10 = version == 0;
                    Head::Complete(decision)
                }
                _ => reject(Status::BadRequest, "malformed request line\n".to_owned()),
            }
        }
        Ok(httparse::Status::Partial) if buf.len() > limits.max_head => reject(
            Status::HeaderFieldsTooLarge,
            too_large_body(limits.max_head),
        ),
        Ok(httparse::Status::Partial) => Head::Partial,
        Err(httparse::Error::TooManyHeaders) => reject(
            Status::HeaderFieldsTooLarge,
            format!("more than {MAX_HEADERS} header fields\n"),
        ),
        Err(e) => reject(Status::BadRequest, format!("malformed request head: {e}\n")),
    }
}

/// Adds bytes just read to the head received so far and parses the result.
///
/// `partial` keeps the bytes of an incomplete head between reads; it stays empty
/// (unallocated) when a head arrives in one read, the common case, because the fresh
/// bytes are then parsed where they lie.
pub(crate) fn feed(partial: &mut Vec<u8>, fresh: &[u8], limits: Limits) -> Head {
    let head = if partial.is_empty() {
        parse_head(fresh, limits)
    } else {
        partial.extend_from_slice(fresh);
        parse_head(partial, limits)
    };
    if matches!(head, Head::Partial) && partial.is_empty() {
        partial.extend_from_slice(fresh);
    }
    head
}

fn too_large_body(max_head: usize) -> String {
    format!("request head larger than {max_head} bytes\n")
}

impl Decision {
    fn now(reply: Reply) -> Decision {
        Decision { delay_ms: 0, reply }
    }
}

/// Routes a parsed request line: `/delay/{ms}` and `/delay/{ms}/url/{anything}` for
/// GET and HEAD; everything else gets its 4xx.
///
/// The method is checked first (405: this server only ever reads), then the path
/// shape (404), then the delay (400).
pub(crate) fn route(method: &str, target: &str, max_delay_ms: u64) -> Decision {
    let head_only = method == "HEAD";
    let reject = |status, body: String| {
        let mut reply = Reply::new(status, body);
        reply.head_only = head_only;
        Decision::now(reply)
    };
    if method != "GET" && !head_only {
        return reject(
            Status::MethodNotAllowed,
            format!("method {} not allowed: use GET or HEAD\n", echo(method)),
        );
    }
    let path = origin_form(target);
    let Some(ms_text) = delay_segment(path) else {
        return reject(
            Status::NotFound,
            format!(
                "no route for {}: try /delay/{{ms}} or /delay/{{ms}}/url/{{anything}}\n",
                echo(path)
            ),
        );
    };
    let Ok(delay_ms) = ms_text.parse::<u64>() else {
        return reject(
            Status::BadRequest,
            format!(
                "delay {:?} is not a whole number of milliseconds\n",
                echo(ms_text)
            ),
        );
    };
    if delay_ms > max_delay_ms {
        return reject(
            Status::BadRequest,
            format!(
                "delay {delay_ms} ms is above this server's cap of {max_delay_ms} ms (--max-delay-ms)\n"
            ),
        );
    }
    let mut reply = Reply::new(
        Status::Ok,
        format!("delayed {delay_ms} ms: {}\n", echo(path)),
    );
    reply.head_only = head_only;
    Decision { delay_ms, reply }
}

/// Strips `http://host` or `https://host` from an absolute-form target (what a client
/// sends to a proxy), leaving the path.
fn origin_form(target: &str) -> &str {
    for scheme in ["http://", "https://"] {
        if let Some(rest) = strip_prefix_ignore_case(target, scheme) {
            return rest.find('/').map_or("/", |i| &rest[i..]);
        }
    }
    target
}

fn strip_prefix_ignore_case<'a>(s: &'a str, prefix: &str) -> Option<&'a str> {
    let head = s.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &s[prefix.len()..])
}

/// The `{ms}` text of `/delay/{ms}`, `/delay/{ms}?query` or `/delay/{ms}/url/{anything}`
/// (`anything` may hold slashes, colons, a query: it is never interpreted), or `None`
/// when the path has another shape.
fn delay_segment(path: &str) -> Option<&str> {
    let rest = path.strip_prefix("/delay/")?;
    let end = rest.find(['/', '?']).unwrap_or(rest.len());
    let (ms, tail) = rest.split_at(end);
    (tail.is_empty() || tail.starts_with('?') || tail.starts_with("/url/")).then_some(ms)
}

/// At most [`ECHO_LIMIT`] bytes of client text, cut on a character boundary.
fn echo(text: &str) -> &str {
    if text.len() <= ECHO_LIMIT {
        return text;
    }
    let mut end = ECHO_LIMIT;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIMITS: Limits = Limits {
        max_head: 1024,
        max_delay_ms: 60_000,
    };

    fn decide(head: &str) -> Decision {
        match parse_head(head.as_bytes(), LIMITS) {
            Head::Complete(d) => d,
            Head::Partial => panic!("head should be complete: {head:?}"),
        }
    }

    #[test]
    fn plain_delay_route_waits_the_asked_milliseconds() {
        let d = decide("GET /delay/1500 HTTP/1.1\r\nHost: x\r\n\r\n");
        assert_eq!(d.delay_ms, 1500);
        assert_eq!(d.reply.status, Status::Ok);
        assert!(d.reply.body.contains("delayed 1500 ms"), "{}", d.reply.body);
        assert!(!d.reply.head_only && !d.reply.http10);
    }

    #[test]
    fn slowwly_url_form_keeps_slashes_and_colons_uninterpreted() {
        let d = route(
            "GET",
            "/delay/1000/url/http://www.google.com/a?b=c:d",
            60_000,
        );
        assert_eq!(d.delay_ms, 1000);
        assert!(d.reply.body.contains("/url/http://www.google.com/a?b=c:d"));
        assert_eq!(route("GET", "/delay/5/url/", 60_000).delay_ms, 5);
        assert_eq!(route("GET", "/delay/7?x=1", 60_000).delay_ms, 7);
    }

    #[test]
    fn absolute_form_target_is_routed_by_its_path() {
        let d = route("GET", "HTTP://127.0.0.1:8080/delay/3", 60_000);
        assert_eq!((d.delay_ms, d.reply.status), (3, Status::Ok));
        assert_eq!(
            route("GET", "http://host", 60_000).reply.status,
            Status::NotFound
        );
    }

    #[test]
    fn other_paths_are_404() {
        for path in ["/", "/delay", "/delay/1/", "/delay/1/x", "/delays/1", "*"] {
            let d = route("GET", path, 60_000);
            assert_eq!(d.reply.status, Status::NotFound, "{path}");
            assert_eq!(d.delay_ms, 0);
        }
    }

    #[test]
    fn methods_other_than_get_and_head_are_405() {
        for method in ["POST", "PUT", "DELETE", "get", "OPTIONS"] {
            for path in ["/delay/10", "/not/a/route"] {
                let d = route(method, path, 60_000);
                assert_eq!(d.reply.status, Status::MethodNotAllowed, "{method} {path}");
            }
        }
        let head = route("HEAD", "/delay/10", 60_000);
        assert_eq!(
            (head.reply.status, head.reply.head_only),
            (Status::Ok, true)
        );
    }

    #[test]
    fn non_numeric_or_empty_delay_is_400() {
        for path in [
            "/delay/abc",
            "/delay/-1",
            "/delay/1.5",
            "/delay/99999999999999999999999",
        ] {
            let d = route("GET", path, 60_000);
            assert_eq!(d.reply.status, Status::BadRequest, "{path}");
            assert!(d.reply.body.contains("whole number"), "{}", d.reply.body);
        }
        // "/delay/" has an empty {ms}: the shape matches, the number does not.
        for path in ["/delay/", "/delay/?x"] {
            assert_eq!(route("GET", path, 60_000).reply.status, Status::BadRequest);
        }
    }

    #[test]
    fn delay_above_the_cap_is_400_naming_the_cap() {
        let d = route("GET", "/delay/60001", 60_000);
        assert_eq!(d.reply.status, Status::BadRequest);
        assert!(d.reply.body.contains("cap of 60000 ms"), "{}", d.reply.body);
        assert_eq!(
            route("GET", "/delay/60000", 60_000).reply.status,
            Status::Ok
        );
    }

    #[test]
    fn every_proper_prefix_of_a_head_is_partial() {
        let head = "GET /delay/10/url/http://x HTTP/1.1\r\nHost: a\r\nAccept: */*\r\n\r\n";
        for end in 0..head.len() {
            assert_eq!(
                parse_head(&head.as_bytes()[..end], LIMITS),
                Head::Partial,
                "{end}"
            );
        }
        assert_eq!(decide(head).delay_ms, 10);
    }

    #[test]
    fn head_over_the_limit_is_431_complete_or_not() {
        let long = format!("GET /delay/1 HTTP/1.1\r\nX: {}\r\n", "a".repeat(1100));
        let d = match parse_head(long.as_bytes(), LIMITS) {
            Head::Complete(d) => d,
            Head::Partial => panic!("oversized partial head must be rejected"),
        };
        assert_eq!(d.reply.status, Status::HeaderFieldsTooLarge);
        let complete = format!("{long}\r\n");
        assert_eq!(decide(&complete).reply.status, Status::HeaderFieldsTooLarge);
    }

    #[test]
    fn too_many_header_fields_is_431() {
        let mut head = String::from("GET /delay/1 HTTP/1.1\r\n");
        for i in 0..=MAX_HEADERS {
            head.push_str(&format!("X-{i}: v\r\n"));
        }
        head.push_str("\r\n");
        let d = decide(&head);
        assert_eq!(d.reply.status, Status::HeaderFieldsTooLarge);
        assert!(d.reply.body.contains("header fields"));
    }

    #[test]
    fn garbage_is_400() {
        for junk in [
            "\x16\x03\x01\x02\0",
            "GET /delay/1 HTTP/9.9\r\n\r\n",
            "GET\r\n\r\n",
        ] {
            assert_eq!(decide(junk).reply.status, Status::BadRequest, "{junk:?}");
        }
    }

    #[test]
    fn http10_requests_are_marked() {
        assert!(decide("GET /delay/0 HTTP/1.0\r\n\r\n").reply.http10);
    }

    /// Feeds `bytes` cut at `cuts` (positions taken modulo the length); returns each
    /// step's result, stopping at the first complete one.
    fn feed_split(bytes: &[u8], cuts: &[usize], limits: Limits) -> Vec<Head> {
        let mut points: Vec<usize> = cuts.iter().map(|c| c % (bytes.len() + 1)).collect();
        points.extend([0, bytes.len()]);
        points.sort_unstable();
        points.dedup();
        let mut partial = Vec::new();
        let mut steps = Vec::new();
        for pair in points.windows(2) {
            let head = feed(&mut partial, &bytes[pair[0]..pair[1]], limits);
            let done = matches!(head, Head::Complete(_));
            steps.push(head);
            if done {
                break;
            }
            assert!(partial.len() <= limits.max_head, "buffered past the cap");
        }
        steps
    }

    proptest::proptest! {
        #[test]
        fn any_bytes_split_anywhere_never_panic(
            bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..1500),
            cuts in proptest::collection::vec(0usize..2000, 0..12),
        ) {
            feed_split(&bytes, &cuts, LIMITS);
        }

        #[test]
        fn a_valid_head_gets_the_same_answer_however_it_is_split(
            method in proptest::sample::select(vec!["GET", "HEAD", "POST"]),
            ms in 0u64..100_000,
            url in proptest::option::of("[a-zA-Z0-9/:.?=&%_~-]{0,60}"),
            fields in proptest::collection::vec(("[A-Za-z-]{1,12}", "[!-~]{0,20}"), 0..6),
            cuts in proptest::collection::vec(0usize..600, 0..12),
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
            let whole = parse_head(head.as_bytes(), LIMITS);
            proptest::prop_assert!(matches!(whole, Head::Complete(_)), "{:?}", whole);
            let steps = feed_split(head.as_bytes(), &cuts, LIMITS);
            let (last, before) = steps.split_last().unwrap();
            proptest::prop_assert_eq!(last, &whole);
            proptest::prop_assert!(before.iter().all(|h| *h == Head::Partial));
        }
    }

    #[test]
    fn echoed_client_text_is_bounded() {
        let path = format!("/nothing/{}", "é".repeat(300));
        let d = route("GET", &path, 60_000);
        assert!(
            d.reply.body.len() < ECHO_LIMIT + 100,
            "{}",
            d.reply.body.len()
        );
    }
}
