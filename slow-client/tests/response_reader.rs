//! The response reader, fed every way a socket could deliver a response:
//! whole, split at every byte boundary, split twice, one byte at a time.
//! Valid responses must read the same every way; malformed ones must fail
//! with the same named error kind (and message) every way.

#[path = "response_reader/props.rs"]
mod props;

use slow_client::http::{
    BodyFraming, ErrorKind, Progress, Response, ResponseError, ResponseLimits, ResponseReader,
};

type Outcome = Result<Response, ResponseError>;

/// Feeds `pieces` in order, then reports a close if the response needs more.
fn read(limits: ResponseLimits, pieces: &[&[u8]]) -> Outcome {
    let mut reader = ResponseReader::new(limits);
    for piece in pieces {
        if let Progress::Done(response) = reader.feed(piece)? {
            return Ok(response);
        }
    }
    reader.finish()
}

/// Split points worth trying: all of them for small inputs, a spread
/// (plus both ends) for big ones, so a test stays well under a second.
fn split_points(len: usize) -> Vec<usize> {
    if len <= 4096 {
        return (0..=len).collect();
    }
    let step = len / 256;
    let mut points: Vec<usize> = (0..=len).step_by(step).collect();
    points.extend((0..64).chain(len - 64..=len));
    points
}

/// Reads `input` every way and asserts every way agrees; returns the outcome.
fn read_every_way(limits: ResponseLimits, input: &[u8]) -> Outcome {
    let whole = read(limits, &[input]);
    for i in split_points(input.len()) {
        let (a, b) = input.split_at(i);
        assert_eq!(read(limits, &[a, b]), whole, "split at {i}");
    }
    let bytes: Vec<&[u8]> = input.chunks(1).collect();
    assert_eq!(read(limits, &bytes), whole, "one byte at a time");
    if input.len() <= 160 {
        for i in 0..=input.len() {
            for j in i..=input.len() {
                let pieces = [&input[..i], &input[i..j], &input[j..]];
                assert_eq!(read(limits, &pieces), whole, "split at {i} and {j}");
            }
        }
    }
    whole
}

fn ok(input: &[u8]) -> Response {
    read_every_way(ResponseLimits::default(), input).expect("a valid response")
}

fn fails(limits: ResponseLimits, input: &[u8]) -> ResponseError {
    read_every_way(limits, input).expect_err("an invalid response")
}

fn response(version: u8, status: u16, reason: &str, body: u64, framing: BodyFraming) -> Response {
    Response {
        version,
        status,
        reason: reason.to_owned(),
        body_bytes: body,
        framing,
        informational: 0,
    }
}

const CHUNKED_WITH_EXTENSIONS_AND_TRAILERS: &[u8] = b"HTTP/1.1 200 OK\r\n\
    Transfer-Encoding: chunked\r\n\r\n\
    5;name=value\r\nhello\r\n\
    7;quoted=\"a b\";flag\r\n, world\r\n\
    0;last\r\nX-Checksum: abc\r\nX-Other: 1\r\n\r\n";

#[test]
fn content_length_body_reads_the_same_however_split() {
    let input = b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 24\r\n\r\n\
        delayed by 0 ms: hello\r\n";
    assert_eq!(ok(input), response(1, 200, "OK", 24, BodyFraming::Length));
}

#[test]
fn chunked_body_with_extensions_and_trailers_reads_the_same_however_split() {
    let got = ok(CHUNKED_WITH_EXTENSIONS_AND_TRAILERS);
    assert_eq!(got, response(1, 200, "OK", 12, BodyFraming::Chunked));
}

#[test]
fn close_delimited_body_ends_at_finish() {
    let input = b"HTTP/1.1 200 OK\r\nServer: x\r\n\r\nall of this until the close";
    assert_eq!(ok(input), response(1, 200, "OK", 27, BodyFraming::Close));
}

#[test]
fn http_1_0_with_a_close_delimited_body_is_a_response() {
    let input = b"HTTP/1.0 200 OK\r\nServer: old\r\n\r\nold-school body";
    assert_eq!(ok(input), response(0, 200, "OK", 15, BodyFraming::Close));
}

#[test]
fn informational_heads_are_skipped_and_counted() {
    let input = b"HTTP/1.1 100 Continue\r\n\r\n\
        HTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload\r\n\r\n\
        HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi";
    let want = Response {
        informational: 2,
        ..response(1, 200, "OK", 2, BodyFraming::Length)
    };
    assert_eq!(ok(input), want);
}

#[test]
fn no_content_and_not_modified_have_no_body_whatever_their_headers_say() {
    let no_content = b"HTTP/1.1 204 No Content\r\nContent-Length: 10\r\n\r\n";
    assert_eq!(
        ok(no_content),
        response(1, 204, "No Content", 0, BodyFraming::Empty)
    );
    let not_modified = b"HTTP/1.1 304 Not Modified\r\nTransfer-Encoding: chunked\r\n\r\n";
    let want = response(1, 304, "Not Modified", 0, BodyFraming::Empty);
    assert_eq!(ok(not_modified), want);
}

#[test]
fn header_names_and_the_chunked_coding_are_case_insensitive() {
    let input = b"HTTP/1.1 200 OK\r\ntRANSFER-eNCODING: gzip, CHUNKED\r\n\r\n3\r\nabc\r\n0\r\n\r\n";
    assert_eq!(ok(input), response(1, 200, "OK", 3, BodyFraming::Chunked));
    let input = b"HTTP/1.1 200 OK\r\nCONTENT-length: 3\r\n\r\nabc";
    assert_eq!(ok(input), response(1, 200, "OK", 3, BodyFraming::Length));
}

#[test]
fn bare_lf_line_endings_leading_blank_lines_and_no_reason_are_accepted() {
    let input = b"\r\n\nHTTP/1.1 200\nContent-Length: 2\n\nhi";
    assert_eq!(ok(input), response(1, 200, "", 2, BodyFraming::Length));
}

#[test]
fn zero_content_length_completes_with_the_head() {
    let input = b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n";
    assert_eq!(ok(input), response(1, 200, "OK", 0, BodyFraming::Length));
}

#[test]
fn equal_repeated_content_lengths_are_one_length() {
    let input = b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\ncontent-length: 3, 3\r\n\r\nabc";
    assert_eq!(ok(input), response(1, 200, "OK", 3, BodyFraming::Length));
}

#[test]
fn transfer_encoding_overrides_content_length() {
    let input = b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\nTransfer-Encoding: chunked\r\n\r\n\
        1\r\nx\r\n0\r\n\r\n";
    assert_eq!(ok(input), response(1, 200, "OK", 1, BodyFraming::Chunked));
}

#[test]
fn an_error_status_is_still_a_complete_response() {
    let input = b"HTTP/1.1 404 Not Found\r\nContent-Length: 9\r\n\r\nnot found";
    assert_eq!(
        ok(input),
        response(1, 404, "Not Found", 9, BodyFraming::Length)
    );
}

#[test]
fn bytes_after_a_complete_body_are_ignored() {
    let input = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhiGARBAGE\r\n\r\n";
    assert_eq!(ok(input), response(1, 200, "OK", 2, BodyFraming::Length));
    let mut chunked = CHUNKED_WITH_EXTENSIONS_AND_TRAILERS.to_vec();
    chunked.extend_from_slice(b"HTTP/1.1 500 Pipelined\r\n\r\n");
    assert_eq!(ok(&chunked).body_bytes, 12);
}

#[test]
fn a_finished_reader_repeats_its_outcome() {
    let mut reader = ResponseReader::new(ResponseLimits::default());
    let done = reader
        .feed(b"HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nx")
        .unwrap();
    assert!(matches!(done, Progress::Done(_)));
    assert_eq!(reader.feed(b"more").unwrap(), done);
    let Progress::Done(response) = done else {
        unreachable!()
    };
    assert_eq!(reader.finish().unwrap(), response);

    let mut reader = ResponseReader::new(ResponseLimits::default());
    let err = reader.feed(b"NOT HTTP\r\n").unwrap_err();
    assert_eq!(reader.feed(b"HTTP/1.1 200 OK\r\n\r\n").unwrap_err(), err);
    assert_eq!(reader.finish().unwrap_err(), err);
}

#[test]
fn bytes_seen_counts_every_byte_fed() {
    let mut reader = ResponseReader::new(ResponseLimits::default());
    assert_eq!(reader.bytes_seen(), 0);
    assert_eq!(reader.feed(b"").unwrap(), Progress::NeedMore);
    assert_eq!(reader.bytes_seen(), 0);
    reader.feed(b"HTTP/1.1 2").unwrap();
    assert_eq!(reader.bytes_seen(), 10);
}

#[test]
fn reader_state_is_small_so_thousands_of_requests_fit() {
    // Per-request memory is this plus the reason phrase once the head is in.
    assert!(std::mem::size_of::<ResponseReader>() <= 200);
}

// ---- Each malformed input maps to its exact kind. ----

fn kind_and_message(limits: ResponseLimits, input: &[u8]) -> (ErrorKind, String) {
    let err = fails(limits, input);
    (err.kind, err.message)
}

#[test]
fn no_bytes_then_close_is_closed_before_response() {
    let (kind, _) = kind_and_message(ResponseLimits::default(), b"");
    assert_eq!(kind, ErrorKind::ClosedBeforeResponse);
}

#[test]
fn a_partial_head_then_close_is_truncated_head() {
    let (kind, message) =
        kind_and_message(ResponseLimits::default(), b"HTTP/1.1 200 OK\r\nContent-Len");
    assert_eq!(kind, ErrorKind::TruncatedHead);
    assert_eq!(
        message,
        "connection closed after 28 bytes of the response head"
    );
}

#[test]
fn a_close_after_only_an_informational_head_is_truncated_head() {
    let (kind, _) = kind_and_message(ResponseLimits::default(), b"HTTP/1.1 100 Continue\r\n\r\n");
    assert_eq!(kind, ErrorKind::TruncatedHead);
}

#[test]
fn a_garbage_status_line_is_malformed_head_quoting_it() {
    let (kind, message) = kind_and_message(ResponseLimits::default(), b"GARBAGE\r\n\r\n");
    assert_eq!(kind, ErrorKind::MalformedHead);
    assert_eq!(
        message,
        r#"status line is not HTTP/1.0 or HTTP/1.1: "GARBAGE""#
    );
}

#[test]
fn garbage_without_a_line_end_is_malformed_head_at_close() {
    let (kind, _) = kind_and_message(ResponseLimits::default(), b"\x16\x03\x01\x00\x02\x02\x50");
    assert_eq!(kind, ErrorKind::MalformedHead);
}

#[test]
fn an_invalid_header_line_is_malformed_head_quoting_it() {
    let input = b"HTTP/1.1 200 OK\r\nBad Header: x\r\n\r\n";
    let (kind, message) = kind_and_message(ResponseLimits::default(), input);
    assert_eq!(kind, ErrorKind::MalformedHead);
    assert_eq!(message, r#"invalid header name: "Bad Header: x""#);
}

#[test]
fn conflicting_or_invalid_content_lengths_are_malformed_head() {
    let conflicting = b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello";
    let (kind, message) = kind_and_message(ResponseLimits::default(), conflicting);
    assert_eq!(kind, ErrorKind::MalformedHead);
    assert_eq!(message, "conflicting Content-Length values 5 and 6");
    let invalid = b"HTTP/1.1 200 OK\r\nContent-Length: -5\r\n\r\n";
    assert_eq!(
        fails(ResponseLimits::default(), invalid).kind,
        ErrorKind::MalformedHead
    );
}

#[test]
fn switching_protocols_and_chunked_http_1_0_are_malformed_head() {
    let upgrade = b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n";
    assert_eq!(
        fails(ResponseLimits::default(), upgrade).kind,
        ErrorKind::MalformedHead
    );
    let te_in_1_0 = b"HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n";
    assert_eq!(
        fails(ResponseLimits::default(), te_in_1_0).kind,
        ErrorKind::MalformedHead
    );
}

/// A head with `fields` header fields of `value_len` bytes of value each.
fn big_head(fields: usize, value_len: usize) -> Vec<u8> {
    let mut head = b"HTTP/1.1 200 OK\r\n".to_vec();
    for i in 0..fields {
        head.extend_from_slice(format!("X-Field-{i}: ").as_bytes());
        head.resize(head.len() + value_len, b'v');
        head.extend_from_slice(b"\r\n");
    }
    head.extend_from_slice(b"Content-Length: 0\r\n\r\n");
    head
}

#[test]
fn a_head_over_64_kib_is_head_too_large() {
    // 99 fields of ~700 bytes: every line under the line cap, 69 KB in all.
    let (kind, message) = kind_and_message(ResponseLimits::default(), &big_head(99, 700));
    assert_eq!(kind, ErrorKind::HeadTooLarge);
    assert_eq!(message, "response head exceeds 65536 bytes");
    assert_eq!(ok(&big_head(90, 700)).status, 200);
}

#[test]
fn a_header_line_over_the_cap_is_head_too_large() {
    let (kind, message) = kind_and_message(ResponseLimits::default(), &big_head(1, 9000));
    assert_eq!(kind, ErrorKind::HeadTooLarge);
    assert!(
        message.starts_with("header line exceeds 8192 bytes: \"X-Field-0: vvv"),
        "{message}"
    );
}

#[test]
fn more_than_100_header_fields_is_head_too_large() {
    // big_head adds Content-Length: 99 + 1 fields fit, 100 + 1 do not.
    assert_eq!(ok(&big_head(99, 1)).status, 200);
    let (kind, message) = kind_and_message(ResponseLimits::default(), &big_head(100, 1));
    assert_eq!(kind, ErrorKind::HeadTooLarge);
    assert_eq!(message, "more than 100 header fields");
}

#[test]
fn endless_blank_lines_before_the_status_line_are_head_too_large() {
    let blank = b"\r\n".repeat(40_000);
    assert_eq!(
        fails(ResponseLimits::default(), &blank).kind,
        ErrorKind::HeadTooLarge
    );
}

#[test]
fn a_content_length_longer_than_the_bytes_sent_is_truncated_body() {
    let input = b"HTTP/1.1 200 OK\r\nContent-Length: 24\r\n\r\nonly 10 b.";
    let (kind, message) = kind_and_message(ResponseLimits::default(), input);
    assert_eq!(kind, ErrorKind::TruncatedBody);
    assert_eq!(message, "connection closed after 10 of 24 body bytes");
}

#[test]
fn an_invalid_chunk_size_is_bad_chunk() {
    let input = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n";
    let (kind, message) = kind_and_message(ResponseLimits::default(), input);
    assert_eq!(kind, ErrorKind::BadChunk);
    assert_eq!(message, r#"invalid chunk-size line: "zz""#);
}

#[test]
fn a_chunked_body_that_ends_early_is_truncated_body() {
    let cut = &CHUNKED_WITH_EXTENSIONS_AND_TRAILERS[..70];
    assert_eq!(
        fails(ResponseLimits::default(), cut).kind,
        ErrorKind::TruncatedBody
    );
    let before_last_chunk = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nx\r\n";
    assert_eq!(
        fails(ResponseLimits::default(), before_last_chunk).kind,
        ErrorKind::TruncatedBody
    );
}

#[test]
fn chunk_data_without_its_crlf_is_bad_chunk() {
    let input = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcdef\r\n0\r\n\r\n";
    let (kind, message) = kind_and_message(ResponseLimits::default(), input);
    assert_eq!(kind, ErrorKind::BadChunk);
    assert_eq!(message, "chunk data not followed by CRLF: found 'd'");
}

const SMALL_BODY: ResponseLimits = ResponseLimits {
    max_head: 64 * 1024,
    max_header_line: 8 * 1024,
    max_headers: 100,
    max_body: 10,
};

#[test]
fn a_content_length_over_the_body_cap_fails_before_the_body() {
    let mut reader = ResponseReader::new(ResponseLimits::default());
    let err = reader
        .feed(b"HTTP/1.1 200 OK\r\nContent-Length: 16777217\r\n\r\n")
        .unwrap_err();
    assert_eq!(err.kind, ErrorKind::BodyTooLarge);
    let at_cap = b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n0123456789";
    assert_eq!(read_every_way(SMALL_BODY, at_cap).unwrap().body_bytes, 10);
}

#[test]
fn chunks_adding_up_past_the_body_cap_are_body_too_large() {
    let input = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n6\r\nabcdef\r\n5\r\nghijk\r\n0\r\n\r\n";
    assert_eq!(fails(SMALL_BODY, input).kind, ErrorKind::BodyTooLarge);
}

#[test]
fn a_close_delimited_body_past_the_body_cap_is_body_too_large() {
    let input = b"HTTP/1.1 200 OK\r\n\r\n0123456789A";
    assert_eq!(fails(SMALL_BODY, input).kind, ErrorKind::BodyTooLarge);
    let at_cap = b"HTTP/1.1 200 OK\r\n\r\n0123456789";
    assert_eq!(read_every_way(SMALL_BODY, at_cap).unwrap().body_bytes, 10);
}
