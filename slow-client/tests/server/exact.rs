//! Exact for every client (issue 19): `Host`, versions, target forms, CORS and
//! caching fields on the wire, and `/status/{code}?delay={d}`.

use super::*;

/// Sends `request` on a new connection and reads the one answer to the close.
fn answer(server: &ServerHandle, request: &str) -> Response {
    exchange(addr(server), request.as_bytes())
}

#[test]
fn an_http11_request_without_exactly_one_valid_host_is_400_and_http10_needs_none() {
    let server = start(config(Framing::Length));
    for head in [
        "GET /delay/0 HTTP/1.1\r\n\r\n",
        "GET /delay/0 HTTP/1.1\r\nHost: a\r\nHost: a\r\n\r\n",
        "GET /delay/0 HTTP/1.1\r\nHost:\r\n\r\n",
        "GET /delay/0 HTTP/1.1\r\nHost: a b\r\n\r\n",
    ] {
        let response = answer(&server, head);
        assert_eq!(response.status, 400, "{head:?}: {response:?}");
        assert_eq!(response.header("connection"), Some("close"), "{head:?}");
        assert_eq!(response.header("access-control-allow-origin"), Some("*"));
    }
    let old = answer(&server, "GET /delay/0 HTTP/1.0\r\n\r\n");
    assert_eq!(old.status, 200, "{old:?}");
}

#[test]
fn versions_long_uris_and_odd_targets_get_their_own_status() {
    let server = start(config(Framing::Length));
    for (request, status) in [
        (
            "GET /delay/0 HTTP/1.2\r\nHost: x\r\nConnection: close\r\n\r\n",
            200,
        ),
        ("GET /delay/0 HTTP/2.0\r\nHost: x\r\n\r\n", 505),
        ("GET * HTTP/1.1\r\nHost: x\r\n\r\n", 400),
        ("CONNECT host:80 HTTP/1.1\r\nHost: host:80\r\n\r\n", 400),
        ("GET /delay/0% HTTP/1.1\r\nHost: x\r\n\r\n", 400),
        (
            "POST /delay/0/url/x HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n",
            501,
        ),
    ] {
        let response = answer(&server, request);
        assert_eq!(response.status, status, "{request:?}: {response:?}");
    }
    let long = format!(
        "GET /delay/0?{} HTTP/1.1\r\nHost: x\r\n\r\n",
        "u".repeat(20_000)
    );
    assert_eq!(answer(&server, &long).status, 414);
    let star = answer(
        &server,
        "OPTIONS * HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    );
    assert_eq!(star.status, 200, "{star:?}");
    assert!(
        star.header("allow").is_some_and(|a| a.contains("OPTIONS")),
        "{star:?}"
    );
}

#[test]
fn a_preflight_gets_204_with_the_allow_fields_and_the_connection_stays() {
    let server = start(config(Framing::Chunked));
    let mut client = Client::new(addr(&server));
    client.send(
        "OPTIONS /delay/100 HTTP/1.1\r\nHost: x\r\nOrigin: http://page.example\r\n\
         Access-Control-Request-Method: GET\r\nAccess-Control-Request-Headers: x-trace\r\n\r\n",
    );
    let preflight = client.response(Instant::now());
    assert_eq!(preflight.status, 204, "{preflight:?}");
    assert_eq!(preflight.header("access-control-allow-origin"), Some("*"));
    assert_eq!(
        preflight.header("access-control-allow-methods"),
        Some("GET, HEAD, OPTIONS")
    );
    assert_eq!(
        preflight.header("access-control-allow-headers"),
        Some("*, Authorization")
    );
    assert!(preflight.header("access-control-max-age").is_some());
    assert_eq!(preflight.header("transfer-encoding"), None);
    assert!(preflight.body.is_empty());
    // The preflight's answer has no body, so the next request is read on the same connection.
    client.send("GET /delay/0 HTTP/1.1\r\nHost: x\r\n\r\n");
    assert_eq!(client.response(Instant::now()).status, 200);
}

#[test]
fn errors_carry_cors_and_delayed_answers_say_no_store() {
    let server = start(config(Framing::Length));
    let a = addr(&server);
    for path in ["/nothing", "/delay/soon", "/status/100"] {
        let response = get(a, path);
        assert!(response.status >= 400, "{response:?}");
        assert_eq!(
            response.header("access-control-allow-origin"),
            Some("*"),
            "{path}"
        );
    }
    for path in ["/delay/0", "/delay/0/url/http://x/", "/status/200"] {
        let response = get(a, path);
        assert_eq!(response.header("cache-control"), Some("no-store"), "{path}");
    }
    assert_eq!(get(a, "/").header("cache-control"), None);
}

#[test]
fn status_answers_the_code_asked_for_after_its_delay() {
    let server = start(config(Framing::Length));
    let a = addr(&server);
    let unavailable = get(a, "/status/503?delay=0.2");
    assert_eq!(unavailable.status, 503, "{unavailable:?}");
    assert!(
        unavailable.elapsed >= Duration::from_millis(200),
        "{unavailable:?}"
    );
    assert!(unavailable.elapsed < Duration::from_millis(200) + PATIENCE);
    assert_eq!(unavailable.body, "503 Service Unavailable\n");
    let moved = get(a, "/status/301?delay=50ms");
    assert_eq!((moved.status, moved.header("location")), (301, Some("/")));
    assert_eq!(get(a, "/status/100").status, 400);
    // A body-less status leaves a kept connection readable; an error status asked for
    // does not close it either.
    let mut client = Client::new(a);
    for (path, status) in [
        ("/status/204", 204),
        ("/status/500", 500),
        ("/status/304", 304),
    ] {
        client.send(format!("GET {path} HTTP/1.1\r\nHost: x\r\n\r\n"));
        let response = client.response(Instant::now());
        assert_eq!(response.status, status, "{response:?}");
        assert_eq!(response.header("connection"), None, "{response:?}");
    }
    client.send("HEAD /status/418 HTTP/1.1\r\nHost: x\r\n\r\n");
    let teapot = client.next(Instant::now(), true);
    assert_eq!(teapot.status, 418);
    assert!(teapot.body.is_empty());
}
