//! slowwly's routes as slowwly answered them: redirects after the delay, the delay units,
//! HEAD, and the index page.

use super::*;

#[test]
fn url_route_answers_302_to_the_url_after_the_delay() {
    let server = start(config(Framing::Length));
    let response = get(addr(&server), "/delay/120/url/http://www.google.com");
    assert_eq!(response.status, 302, "{response:?}");
    assert!(
        response.elapsed >= Duration::from_millis(120),
        "{response:?}"
    );
    assert_eq!(response.header("location"), Some("http://www.google.com"));
    assert_eq!(response.header("access-control-allow-origin"), Some("*"));
    assert_eq!(response.header("content-length"), Some("0"));
    assert!(response.body.is_empty());
}

#[test]
fn redirect_bodies_are_empty_in_every_framing() {
    for framing in [Framing::Chunked, Framing::Close] {
        let server = start(config(framing));
        let response = get(addr(&server), "/delay/0/url/http://x.org/");
        assert_eq!(response.status, 302, "{framing}: {response:?}");
        assert!(response.body.is_empty(), "{framing}: {response:?}");
    }
}

#[test]
fn location_keeps_the_escapes_written_and_merged_slashes_are_repaired() {
    let server = start(config(Framing::Length));
    let a = addr(&server);
    for (url, location) in [
        (
            "http:/example.com/a%3Fb%3D1",
            "http://example.com/a%3Fb%3D1",
        ),
        ("http://e.com/100%25", "http://e.com/100%25"),
        (
            "https%3A%2F%2Fexample.com%2Fimg.png",
            "https://example.com/img.png",
        ),
        ("http://x/p?q=1&r=2", "http://x/p?q=1&r=2"),
    ] {
        let response = get(a, &format!("/delay/0/url/{url}"));
        assert_eq!(
            response.header("location"),
            Some(location),
            "{url}: {response:?}"
        );
    }
}

#[test]
fn a_url_that_decodes_to_a_control_character_is_400_not_a_header() {
    let server = start(config(Framing::Length));
    let response = get(
        addr(&server),
        "/delay/0/url/http://x/%0D%0ASet-Cookie:%20a=b",
    );
    assert_eq!(response.status, 400, "{response:?}");
    assert_eq!(response.header("set-cookie"), None);
    assert_eq!(response.header("location"), None);
}

#[test]
fn post_to_the_url_route_is_307_after_the_delay() {
    let server = start(config(Framing::Length));
    let response = exchange(
        addr(&server),
        b"POST /delay/100/url/http://x.org/form HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: 5\r\n\r\nhello",
    );
    assert_eq!(response.status, 307, "{response:?}");
    assert!(
        response.elapsed >= Duration::from_millis(100),
        "{response:?}"
    );
    assert_eq!(response.header("location"), Some("http://x.org/form"));
}

#[test]
fn url_without_a_delay_waits_a_second() {
    let server = start(config(Framing::Length));
    let response = get(addr(&server), "/delay/url/http://x.org");
    assert_eq!(response.status, 302, "{response:?}");
    assert!(
        response.elapsed >= Duration::from_millis(1000),
        "{response:?}"
    );
}

#[test]
fn delays_take_milliseconds_or_seconds() {
    let server = start(config(Framing::Length));
    let a = addr(&server);
    for (path, ms) in [
        ("/delay/0.2s", 200),
        ("/delay/150ms", 150),
        ("/delay/1s", 1000),
    ] {
        let response = get(a, path);
        assert_eq!(response.status, 200, "{path}: {response:?}");
        assert!(
            response.elapsed >= Duration::from_millis(ms),
            "{path}: {response:?}"
        );
        assert!(
            response.body.starts_with(&format!("delayed {ms} ms")),
            "{response:?}"
        );
    }
    let bad = get(a, "/delay/2m");
    assert_eq!(bad.status, 400, "{bad:?}");
    assert!(
        bad.body.contains("1.5s"),
        "names the accepted forms: {bad:?}"
    );
}

#[test]
fn head_is_answered_like_get_without_a_body_on_a_kept_connection() {
    let server = start(config(Framing::Chunked));
    let mut client = Client::new(addr(&server));
    client.send("HEAD /delay/30/url/http://x/ HTTP/1.1\r\nHost: x\r\n\r\nHEAD /delay/0 HTTP/1.1\r\nHost: x\r\n\r\nGET /delay/0 HTTP/1.1\r\nHost: x\r\n\r\n");
    let sent = Instant::now();
    let redirect = client.next(sent, true);
    assert_eq!(
        (redirect.status, redirect.header("location")),
        (302, Some("http://x/"))
    );
    let head = client.next(sent, true);
    assert_eq!(head.status, 200);
    assert_eq!(head.header("transfer-encoding"), Some("chunked"));
    // Had the HEAD answers carried bodies, this would not parse as the GET's answer.
    assert_eq!(client.response(sent).body, "delayed 0 ms: /delay/0\n");
}

#[test]
fn the_index_page_lists_routes_units_and_limits_at_once() {
    let server = start(ServerConfig {
        max_delay_ms: 4321,
        ..config(Framing::Length)
    });
    let response = get(addr(&server), "/");
    assert_eq!(response.status, 200, "{response:?}");
    for needle in [
        "/delay/{d}/url/{url}",
        "302",
        "1.5s",
        "4321 ms",
        "keep-alive",
    ] {
        assert!(
            response.body.contains(needle),
            "{needle}: {}",
            response.body
        );
    }
}

#[test]
fn a_body_sent_after_a_closing_redirect_ends_in_a_clean_close() {
    let server = start(config(Framing::Length));
    let mut stream = connect(addr(&server));
    stream
        .write_all(b"POST /delay/0/url/http://x/ HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: 6\r\n\r\n")
        .unwrap();
    // The answer comes at once; the body follows it, and must not turn the close
    // into a reset (which would end the client's read with an error, not a FIN).
    sleep(Duration::from_millis(100));
    stream.write_all(b"abcdef").unwrap();
    sleep(Duration::from_millis(100));
    let mut raw = Vec::new();
    let mut buf = [0u8; 1024];
    let end = loop {
        match stream.read(&mut buf) {
            Ok(0) => break Ok(()),
            Ok(n) => raw.extend_from_slice(&buf[..n]),
            Err(e) => break Err(e),
        }
    };
    let response = parse(&raw, Duration::ZERO);
    assert_eq!(response.status, 307, "{response:?}");
    assert!(end.is_ok(), "ended with {end:?}, not a clean close");
}
