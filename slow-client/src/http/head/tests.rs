//! The head parser: line by line, the fast path, and the caps.

use super::*;

fn head(bytes: &[u8]) -> Result<ResponseHead, ResponseError> {
    match HeadParser::default().feed(bytes, &ResponseLimits::default())? {
        HeadStep::Complete { head, .. } => Ok(head),
        HeadStep::NeedMore => panic!("head incomplete"),
    }
}

#[test]
fn head_is_reduced_to_status_reason_and_framing_fields() {
    let h = head(b"\r\nHTTP/1.0 404 Not Found\r\ncontent-LENGTH: 3\nX: y\r\n\r\n").unwrap();
    let want = ResponseHead {
        version: 0,
        status: 404,
        reason: "Not Found".into(),
        content_length: Some(3),
        transfer_coding: None,
    };
    assert_eq!(h, want);
}

#[test]
fn status_codes_below_100_and_101_are_malformed() {
    for line in [
        &b"HTTP/1.1 099 Odd\r\n\r\n"[..],
        b"HTTP/1.1 101 Switching Protocols\r\n\r\n",
    ] {
        assert_eq!(head(line).unwrap_err().kind, ErrorKind::MalformedHead);
    }
}

#[test]
fn a_line_of_exactly_the_cap_fits_and_one_more_byte_does_not() {
    let limits = ResponseLimits {
        max_header_line: 20,
        ..ResponseLimits::default()
    };
    let mut ok = HeadParser::default();
    // "HTTP/1.1 200 OKAY\r\n" is 19 bytes; "X: 123456789012345\r\n" is 20.
    let fits = b"HTTP/1.1 200 OKAY\r\nX: 123456789012345\r\n\r\n";
    assert!(matches!(
        ok.feed(fits, &limits),
        Ok(HeadStep::Complete { consumed: 41, .. })
    ));
    let mut long = HeadParser::default();
    let err = long
        .feed(b"HTTP/1.1 200 OKAY\r\nX: 1234567890123456\r\n", &limits)
        .unwrap_err();
    assert_eq!(err.kind, ErrorKind::HeadTooLarge);
    assert!(
        err.message.starts_with("header line exceeds 20 bytes"),
        "{}",
        err.message
    );
}

#[test]
fn garbage_that_hits_a_cap_is_reported_as_malformed() {
    let limits = ResponseLimits {
        max_header_line: 16,
        ..ResponseLimits::default()
    };
    let err = HeadParser::default()
        .feed(&[0xff; 40], &limits)
        .unwrap_err();
    assert_eq!(err.kind, ErrorKind::MalformedHead);
}

/// A finished head and the bytes it took, or an error.
type Outcome = Result<Option<(usize, ResponseHead)>, ResponseError>;

/// Feeds `bytes` in one piece (the fast path when the head is whole)
/// and one byte at a time (always the line-at-a-time path).
fn whole_and_split(bytes: &[u8], limits: &ResponseLimits) -> (Outcome, Outcome) {
    let done = |step: HeadStep| match step {
        HeadStep::Complete { consumed, head } => Some((consumed, head)),
        HeadStep::NeedMore => None,
    };
    let whole = HeadParser::default().feed(bytes, limits).map(done);
    let mut parser = HeadParser::default();
    let mut split = Ok(None);
    for (i, b) in bytes.iter().enumerate() {
        match parser.feed(std::slice::from_ref(b), limits) {
            Ok(HeadStep::NeedMore) => {}
            Ok(HeadStep::Complete { consumed, head }) => {
                split = Ok(Some((i + consumed, head)));
                break;
            }
            Err(e) => {
                split = Err(e);
                break;
            }
        }
    }
    (whole, split)
}

#[test]
fn a_whole_head_in_one_read_reads_as_it_does_a_byte_at_a_time() {
    let many: String = (0..20).map(|i| format!("X-{i}: v\r\n")).collect();
    let many = format!("HTTP/1.1 200 OK\r\n{many}\r\n");
    let heads: [&[u8]; 16] = [
        b"HTTP/1.1 302 Found\r\nLocation: /x\r\nContent-Length: 0\r\nConnection: close\r\n\r\nbody",
        b"\r\n\nHTTP/1.0 404 Not Found\r\ncontent-LENGTH: 3\nX: y\r\n\r\nabc",
        b"HTTP/1.1 200 OK\nTransfer-Encoding: gzip, chunked\n\n5\r\n",
        b"HTTP/1.1 200\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nContent-Length: 1, 2\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nBad Name: x\r\n\r\n",
        b"HTTP/1.1 200 OK\r\n folded\r\n\r\n",
        b"HTTP/2 200 OK\r\n\r\n",
        b"HTTP/1.1 099 Odd\r\n\r\n",
        b"HTTP/1.1 101 Switching Protocols\r\n\r\n",
        b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nX: \x01\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nX: 123456789012345\r\n\r\n",
        b"HTTP/1.1 200 OKAY\r\nX: 1234567890123456\r\n\r\n",
        many.as_bytes(),
    ];
    let small = ResponseLimits {
        max_header_line: 20,
        max_head: 60,
        max_headers: 1,
        ..ResponseLimits::default()
    };
    for limits in [ResponseLimits::default(), small] {
        for bytes in heads {
            let (whole, split) = whole_and_split(bytes, &limits);
            assert_eq!(whole, split, "{:?}", String::from_utf8_lossy(bytes));
        }
    }
}
