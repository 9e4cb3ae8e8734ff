//! The wire format is fixed, so these compare whole responses byte for byte (the
//! integration tests parse them with httparse, as a client would).
use super::*;
use crate::server::date::http_date;

const DATE: &str = "Thu, 01 Jan 1970 00:00:00 GMT";

fn encode(reply: &Reply<'_>, framing: Framing) -> String {
    let mut out = b"earlier bytes".to_vec();
    let at = reply.encode(framing, &http_date(0), &mut Vec::new(), &mut out);
    assert_eq!(&out[at..at + HTTP_DATE_LEN], DATE.as_bytes(), "date_at");
    String::from_utf8(out.split_off(13)).unwrap()
}

fn delayed() -> Reply<'static> {
    Reply::new(
        Status::Ok,
        Body::Delayed {
            ms: 5,
            path: "/delay/5",
        },
    )
}

fn head(status: &str, fields: &str) -> String {
    format!("HTTP/1.1 {status}\r\nServer: slow-client\r\nDate: {DATE}\r\n{fields}\r\n")
}

const TEXT: &str = "Content-Type: text/plain; charset=utf-8\r\n";
const CORS: &str = "Access-Control-Allow-Origin: *\r\n";
const NO_STORE: &str = "Cache-Control: no-store\r\n";

#[test]
fn length_framing_states_the_body_length_and_the_date() {
    let want = head(
        "200 OK",
        &format!("{TEXT}{CORS}{NO_STORE}Connection: close\r\nContent-Length: 23\r\n"),
    );
    assert_eq!(
        encode(&delayed(), Framing::Length),
        want + "delayed 5 ms: /delay/5\n"
    );
}

#[test]
fn persistence_decides_the_connection_field() {
    let mut reply = delayed();
    reply.persistence = Persistence::Default;
    let kept = encode(&reply, Framing::Length);
    assert!(!kept.contains("Connection:"), "{kept}");
    reply.persistence = Persistence::KeepAlive;
    assert!(encode(&reply, Framing::Length).contains("\r\nConnection: keep-alive\r\n"));
}

#[test]
fn chunked_framing_uses_two_chunks_and_a_last_chunk() {
    let want = head(
        "200 OK",
        &format!("{TEXT}{CORS}{NO_STORE}Connection: close\r\nTransfer-Encoding: chunked\r\n"),
    );
    assert_eq!(
        encode(&delayed(), Framing::Chunked),
        want + "b\r\ndelayed 5 m\r\nc\r\ns: /delay/5\n\r\n0\r\n\r\n"
    );
}

#[test]
fn redirects_carry_location_and_cors_and_an_empty_body_in_every_framing() {
    let mut reply = Reply::new(Status::Found, Body::Empty);
    reply.location = Some("http://x/");
    reply.persistence = Persistence::Default;
    let fields = format!("Location: http://x/\r\n{CORS}{NO_STORE}");
    let length = head("302 Found", &format!("{fields}Content-Length: 0\r\n"));
    assert_eq!(encode(&reply, Framing::Length), length);
    let chunked = head(
        "302 Found",
        &format!("{fields}Transfer-Encoding: chunked\r\n"),
    );
    assert_eq!(encode(&reply, Framing::Chunked), chunked + "0\r\n\r\n");
    assert_eq!(encode(&reply, Framing::Close), head("302 Found", &fields));
}

#[test]
fn close_framing_has_no_length_and_http10_never_gets_chunked() {
    let want = head(
        "200 OK",
        &format!("{TEXT}{CORS}{NO_STORE}Connection: close\r\n"),
    );
    assert_eq!(
        encode(&delayed(), Framing::Close),
        want + "delayed 5 ms: /delay/5\n"
    );
    assert_eq!(effective_framing(Framing::Chunked, true), Framing::Close);
    assert_eq!(effective_framing(Framing::Chunked, false), Framing::Chunked);
    assert_eq!(effective_framing(Framing::Length, true), Framing::Length);
}

#[test]
fn head_replies_keep_the_length_but_send_no_body() {
    let mut reply = delayed();
    reply.head_only = true;
    let want = head(
        "200 OK",
        &format!("{TEXT}{CORS}{NO_STORE}Connection: close\r\nContent-Length: 23\r\n"),
    );
    assert_eq!(encode(&reply, Framing::Length), want);
}

#[test]
fn status_specific_fields_are_present() {
    let mut reply = Reply::new(Status::MethodNotAllowed, Body::Text("no\n"));
    reply.allow = "GET, HEAD";
    let want = head(
        "405 Method Not Allowed",
        &format!("{TEXT}{CORS}Allow: GET, HEAD\r\nConnection: close\r\nContent-Length: 3\r\n"),
    );
    assert_eq!(encode(&reply, Framing::Length), want + "no\n");
    let busy = Reply::new(Status::ServiceUnavailable, Body::Text("full\n"));
    assert!(encode(&busy, Framing::Length).contains("\r\nRetry-After: 1\r\n"));
    for (status, line) in [
        (Status::TemporaryRedirect, "307 Temporary Redirect"),
        (Status::UriTooLong, "414 URI Too Long"),
        (Status::NotImplemented, "501 Not Implemented"),
        (
            Status::HttpVersionNotSupported,
            "505 HTTP Version Not Supported",
        ),
        (Status::Asked(418), "418 I'm a teapot"),
        (Status::Asked(299), "299 Success"),
        (Status::BadRequest, "400 Bad Request"),
        (Status::NotFound, "404 Not Found"),
        (Status::RequestTimeout, "408 Request Timeout"),
        (Status::ContentTooLarge, "413 Content Too Large"),
        (
            Status::HeaderFieldsTooLarge,
            "431 Request Header Fields Too Large",
        ),
    ] {
        let text = encode(&Reply::new(status, Body::Text("x\n")), Framing::Close);
        assert!(text.starts_with(&format!("HTTP/1.1 {line}\r\n")), "{text}");
        // CORS on every response, errors too; no-store only on asked-for ones here.
        assert!(text.contains(CORS), "{text}");
        assert_eq!(
            text.contains(NO_STORE),
            matches!(status, Status::Asked(_)),
            "{text}"
        );
    }
    let mut teapot = Reply::new(Status::Asked(401), Body::Text("x\n"));
    teapot.persistence = Persistence::Default;
    assert!(encode(&teapot, Framing::Length)
        .contains("\r\nWWW-Authenticate: Basic realm=\"slow-client\"\r\n"));
}

#[test]
fn a_preflight_is_204_with_the_allow_fields_and_no_framing() {
    let mut reply = Reply::new(Status::NoContent, Body::Text(""));
    reply.allow = "GET, HEAD, OPTIONS";
    reply.persistence = Persistence::Default;
    let want = head(
        "204 No Content",
        &format!(
            "{CORS}Allow: GET, HEAD, OPTIONS\r\n\
             Access-Control-Allow-Methods: GET, HEAD, OPTIONS\r\n\
             Access-Control-Allow-Headers: *, Authorization\r\n\
             Access-Control-Max-Age: 86400\r\n"
        ),
    );
    for framing in [Framing::Length, Framing::Chunked, Framing::Close] {
        assert_eq!(encode(&reply, framing), want, "{framing}");
    }
    let mut options = Reply::new(Status::Ok, Body::Text(""));
    options.allow = "GET";
    options.persistence = Persistence::Default;
    let want = head(
        "200 OK",
        &format!("{CORS}Allow: GET\r\nContent-Length: 0\r\n"),
    );
    assert_eq!(encode(&options, Framing::Length), want);
}

#[test]
fn a_drip_head_states_its_length_in_every_framing_and_carries_no_body() {
    let mut reply = Reply::new(Status::Asked(200), Body::Drip(10));
    reply.persistence = Persistence::Default;
    let want = head(
        "200 OK",
        &format!(
            "Content-Type: application/octet-stream\r\n{CORS}{NO_STORE}Content-Length: 10\r\n"
        ),
    );
    for framing in [Framing::Length, Framing::Chunked, Framing::Close] {
        assert_eq!(encode(&reply, framing), want, "{framing}");
    }
}

#[test]
fn bodiless_statuses_get_neither_a_body_nor_framing_fields() {
    for code in [204, 304] {
        let mut reply = Reply::new(Status::Asked(code), Body::Text(""));
        reply.persistence = Persistence::Default;
        for framing in [Framing::Length, Framing::Chunked, Framing::Close] {
            let text = encode(&reply, framing);
            assert!(text.ends_with(&format!("{NO_STORE}\r\n")), "{text}");
            assert!(!text.contains("Content-Length") && !text.contains("Transfer-Encoding"));
        }
    }
    assert!(Status::Asked(205).has_body() && !Status::NoContent.has_body());
}

#[test]
fn only_errors_that_leave_the_stream_unreadable_end_the_connection() {
    let ends: Vec<u16> = [
        Status::Ok,
        Status::Found,
        Status::TemporaryRedirect,
        Status::BadRequest,
        Status::NotFound,
        Status::MethodNotAllowed,
        Status::RequestTimeout,
        Status::ContentTooLarge,
        Status::HeaderFieldsTooLarge,
        Status::ServiceUnavailable,
        Status::NoContent,
        Status::UriTooLong,
        Status::NotImplemented,
        Status::HttpVersionNotSupported,
        Status::Asked(500),
        Status::Asked(400),
    ]
    .into_iter()
    .filter(|s| s.ends_connection())
    .map(Status::code)
    .collect();
    assert_eq!(ends, [400, 405, 408, 413, 431, 503, 414, 501, 505]);
}
