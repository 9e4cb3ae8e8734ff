//! The request head's rules, each pinned on a head.
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
    assert!(!decide("GET /delay/1 HTTP/1.1\r\nHost: x\r\nConnection: Close\r\n\r\n").client_keeps);
    assert!(
        !decide("GET /delay/1 HTTP/1.1\r\nHost: x\r\nConnection: te, close\r\n\r\n").client_keeps
    );
    let old = decide("GET /delay/1 HTTP/1.0\r\n\r\n");
    assert!(old.http10 && !old.client_keeps);
    assert!(decide("GET /delay/1 HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n").client_keeps);
}

#[test]
fn close_wins_over_keep_alive_in_one_field_or_two() {
    for head in [
        "GET /delay/1 HTTP/1.1\r\nHost: x\r\nConnection: close, keep-alive\r\n\r\n",
        "GET /delay/1 HTTP/1.1\r\nHost: x\r\nConnection: keep-alive, close\r\n\r\n",
        "GET /delay/1 HTTP/1.1\r\nHost: x\r\nConnection: close\r\nConnection: keep-alive\r\n\r\n",
        "GET /delay/1 HTTP/1.0\r\nConnection: close\r\nConnection: Keep-Alive\r\n\r\n",
        "GET /delay/1 HTTP/1.0\r\nConnection: keep-alive, close\r\n\r\n",
    ] {
        assert!(!decide(head).client_keeps, "{head:?}");
    }
    let both = "GET /delay/1 HTTP/1.0\r\nConnection: keep-alive\r\nConnection: te\r\n\r\n";
    assert!(decide(both).client_keeps);
}

#[test]
fn empty_lines_before_a_first_request_line_are_skipped() {
    let head = "\r\n\r\nGET /delay/7 HTTP/1.1\r\nHost: x\r\n\r\n";
    match parse_head(head.as_bytes(), LIMITS) {
        Parsed::Complete { len, decision } => {
            assert_eq!((len, decision.delay_ms), (head.len(), 7));
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn http10_gets_no_100_continue() {
    let head = "POST /delay/1/url/x HTTP/1.0\r\nExpect: 100-continue\r\nContent-Length: 9\r\n\r\n";
    let d = decide(head);
    assert_eq!((d.body, d.send_continue), (9, false));
}

#[test]
fn complete_requests_are_counted_up_to_a_partial_or_invalid_one() {
    let get = "GET /delay/1 HTTP/1.1\r\nHost: x\r\n\r\n";
    let post = "POST /delay/1/url/x HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nGET /x";
    assert_eq!(complete_requests(b"", LIMITS), 0);
    assert_eq!(complete_requests(get.as_bytes(), LIMITS), 1);
    let three = format!("{get}\r\n{post}{get}");
    assert_eq!(
        complete_requests(three.as_bytes(), LIMITS),
        3,
        "the body is skipped"
    );
    let partial = format!("{get}{get}GET /delay/1 HTTP/1.1\r\nHost: x\r\n");
    assert_eq!(complete_requests(partial.as_bytes(), LIMITS), 2);
    let junk = format!("{get}\x16\x03{get}");
    assert_eq!(complete_requests(junk.as_bytes(), LIMITS), 1);
    // A head whose body is still on its way counts; nothing after it can.
    assert_eq!(
        complete_requests(&post.as_bytes()[..post.len() - 3], LIMITS),
        1
    );
}

#[test]
fn a_body_is_measured_for_skipping_and_continue_is_sent_only_for_one() {
    let d = decide("POST /delay/1/url/x HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello");
    assert_eq!(
        (d.body, d.send_continue, d.status()),
        (5, false, Status::TemporaryRedirect)
    );
    let d = decide(
        "GET /delay/1 HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 9\r\n\r\n",
    );
    assert_eq!((d.body, d.send_continue), (9, true));
    assert!(
        !decide("GET /delay/1 HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\n\r\n").send_continue
    );
    // A request answered with an error that closes gets no 100: its body is never read.
    let d = decide(
        "PUT /delay/1 HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 9\r\n\r\n",
    );
    assert!(!d.send_continue);
}

#[test]
fn chunked_bodies_are_read_and_bad_or_huge_lengths_400_and_413() {
    let chunked = "POST /delay/1/url/x HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: Chunked\r\n\r\n";
    let d = decide(chunked);
    assert_eq!(
        (d.chunked, d.body, d.status()),
        (true, 0, Status::TemporaryRedirect)
    );
    let both = "POST /delay/1/url/x HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n";
    assert_eq!(invalid(both), Status::BadRequest);
    let twice = "POST /delay/1/url/x HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n";
    assert_eq!(invalid(twice), Status::BadRequest);
    let expect = "POST /delay/1/url/x HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nExpect: 100-continue\r\n\r\n";
    assert!(decide(expect).send_continue);
    for bad in ["-1", "1x", "", "1, 2", "99999999999999999999999"] {
        let head =
            format!("POST /delay/1/url/x HTTP/1.1\r\nHost: x\r\nContent-Length: {bad}\r\n\r\n");
        assert_eq!(invalid(&head), Status::BadRequest, "{bad:?}");
    }
    let twice = "GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\n";
    assert_eq!(invalid(twice), Status::BadRequest);
    let same = "GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nContent-Length: 3\r\n\r\n";
    assert_eq!(decide(same).body, 3);
    let huge = format!(
        "POST /delay/1/url/x HTTP/1.1\r\nHost: x\r\nContent-Length: {}\r\n\r\n",
        MAX_BODY + 1
    );
    assert_eq!(invalid(&huge), Status::ContentTooLarge);
    let most =
        format!("POST /delay/1/url/x HTTP/1.1\r\nHost: x\r\nContent-Length: {MAX_BODY}\r\n\r\n");
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
    let long = format!(
        "GET /delay/1 HTTP/1.1\r\nHost: x\r\nX: {}\r\n",
        "a".repeat(1100)
    );
    assert_eq!(invalid(&long), Status::HeaderFieldsTooLarge);
    assert_eq!(
        invalid(&format!("{long}\r\n")),
        Status::HeaderFieldsTooLarge
    );
}

#[test]
fn too_many_header_fields_is_431() {
    let mut head = String::from("GET /delay/1 HTTP/1.1\r\nHost: x\r\n");
    for i in 0..=MAX_HEADERS {
        head.push_str(&format!("X-{i}: v\r\n"));
    }
    head.push_str("\r\n");
    assert_eq!(invalid(&head), Status::HeaderFieldsTooLarge);
}

#[test]
fn garbage_is_400() {
    for junk in ["\x16\x03\x01\x02\0", "GET\r\n\r\n"] {
        assert_eq!(invalid(junk), Status::BadRequest, "{junk:?}");
    }
}

#[test]
fn an_http11_request_without_exactly_one_valid_host_is_400() {
    for head in [
        "GET /delay/1 HTTP/1.1\r\n\r\n",
        "GET /delay/1 HTTP/1.1\r\nHost: a\r\nHost: a\r\n\r\n",
        "GET /delay/1 HTTP/1.1\r\nHost: a\r\nhost: b\r\n\r\n",
        "GET /delay/1 HTTP/1.1\r\nHost:\r\n\r\n",
        "GET /delay/1 HTTP/1.1\r\nHost: \r\n\r\n",
        "GET /delay/1 HTTP/1.1\r\nHost: a b\r\n\r\n",
        "GET /delay/1 HTTP/1.2\r\n\r\n",
        "GET /delay/1 HTTP/1.0\r\nHost: a\r\nHost: b\r\n\r\n",
        "GET /delay/1 HTTP/1.0\r\nHost: a b\r\n\r\n",
    ] {
        assert_eq!(invalid(head), Status::BadRequest, "{head:?}");
    }
    // HTTP/1.0 predates Host: none is fine.
    assert_eq!(decide("GET /delay/1 HTTP/1.0\r\n\r\n").delay_ms, 1);
    assert_eq!(
        decide("GET /delay/1 HTTP/1.1\r\nHOST: [::1]:80\r\n\r\n").delay_ms,
        1
    );
}

#[test]
fn status_choices_for_versions_long_lines_and_odd_targets() {
    // HTTP/1.x above 1.1 is served as 1.1; 2.0 and above in a request line is 505.
    let d = decide("GET /delay/1 HTTP/1.2\r\nHost: x\r\n\r\n");
    assert!(!d.http10 && d.client_keeps);
    assert_eq!(
        invalid("GET / HTTP/2.0\r\nHost: x\r\n\r\n"),
        Status::HttpVersionNotSupported
    );
    assert_eq!(
        invalid("GET /delay/1 HTTP/9.9\r\n\r\n"),
        Status::HttpVersionNotSupported
    );
    // A 20 kB URI is 414, complete or still arriving, under the default cap too.
    let long = format!(
        "GET /delay/1?{} HTTP/1.1\r\nHost: x\r\n\r\n",
        "q".repeat(20_000)
    );
    assert_eq!(invalid(&long), Status::UriTooLong);
    assert_eq!(invalid(&long[..5_000]), Status::UriTooLong);
    let defaults = RequestLimits {
        max_head: crate::server::ServerConfig::default().max_head,
        max_delay_ms: 60_000,
    };
    assert!(matches!(
        parse_head(long.as_bytes(), defaults),
        Parsed::Invalid {
            status: Status::UriTooLong,
            ..
        }
    ));
    let options = decide("OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n");
    assert_eq!(options.status(), Status::Ok);
    assert!(matches!(options.answer, Answer::Text { allow, .. } if allow.contains("GET")));
    for head in [
        "GET * HTTP/1.1\r\nHost: x\r\n\r\n",
        "CONNECT host:80 HTTP/1.1\r\nHost: host:80\r\n\r\n",
        "GET /delay/1% HTTP/1.1\r\nHost: x\r\n\r\n",
        "GET /%zz HTTP/1.1\r\nHost: x\r\n\r\n",
    ] {
        let d = decide(head);
        assert_eq!(
            (d.status(), d.delay_ms),
            (Status::BadRequest, 0),
            "{head:?}"
        );
        assert!(d.status().ends_connection());
    }
}

#[test]
fn an_unknown_transfer_coding_is_501_and_one_in_http10_400() {
    for coding in ["gzip", "gzip, chunked", "identity", "x"] {
        let head = format!(
            "POST /delay/1/url/x HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: {coding}\r\n\r\n"
        );
        assert_eq!(invalid(&head), Status::NotImplemented, "{coding}");
    }
    let old = "POST /delay/1/url/x HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n";
    assert_eq!(invalid(old), Status::BadRequest);
}

#[test]
fn head_requests_are_marked_and_routed_like_get() {
    let d = decide("HEAD /delay/2s HTTP/1.1\r\nHost: x\r\n\r\n");
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
        let mut head = format!("{method} {path} HTTP/1.1\r\nHost: x\r\n");
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
