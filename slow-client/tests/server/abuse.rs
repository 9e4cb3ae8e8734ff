//! Bad requests, slow clients, too many clients, and addresses the server refuses.

use super::*;

#[test]
fn unknown_path_is_404() {
    let server = start(config(Framing::Length));
    let response = get(addr(&server), "/nothing/here");
    assert_eq!(response.status, 404, "{response:?}");
    assert!(response.body.contains("/delay/{ms}"), "{response:?}");
}

#[test]
fn other_method_is_405_with_allow() {
    let server = start(config(Framing::Chunked));
    let response = exchange(
        addr(&server),
        b"POST /delay/10 HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello",
    );
    assert_eq!(response.status, 405, "{response:?}");
    assert_eq!(response.header("allow"), Some("GET, HEAD, OPTIONS"));
    assert_eq!(response.header("connection"), Some("close"));
}

#[test]
fn non_numeric_delay_is_400() {
    let server = start(config(Framing::Length));
    let response = get(addr(&server), "/delay/soon");
    assert_eq!(response.status, 400, "{response:?}");
    assert!(
        response.body.contains("{ms}, {ms}ms or {seconds}s"),
        "{response:?}"
    );
}

#[test]
fn delay_above_the_cap_is_400_naming_the_cap() {
    let server = start(ServerConfig {
        max_delay_ms: 1000,
        ..config(Framing::Length)
    });
    let response = get(addr(&server), "/delay/1001");
    assert_eq!(response.status, 400, "{response:?}");
    assert!(response.body.contains("cap of 1000 ms"), "{response:?}");
    assert!(
        response.elapsed < Duration::from_millis(1000),
        "rejected at once: {response:?}"
    );
}

#[test]
fn garbage_request_is_400() {
    let server = start(config(Framing::Close));
    let response = exchange(
        addr(&server),
        b"\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03\r\n\r\n",
    );
    assert_eq!(response.status, 400, "{response:?}");
}

#[test]
fn oversized_head_is_431() {
    let server = start(config(Framing::Length));
    let request = format!(
        "GET /delay/0 HTTP/1.1\r\nHost: x\r\nX-Big: {}\r\n\r\n",
        "b".repeat(20 * 1024)
    );
    let response = exchange(addr(&server), request.as_bytes());
    assert_eq!(response.status, 431, "{response:?}");
    assert!(response.body.contains("16384 bytes"), "{response:?}");
}

#[test]
fn too_many_header_fields_is_431() {
    let server = start(config(Framing::Length));
    let fields: String = (0..40).map(|i| format!("X-{i}: v\r\n")).collect();
    let request = format!("GET /delay/0 HTTP/1.1\r\nHost: x\r\n{fields}\r\n");
    let response = exchange(addr(&server), request.as_bytes());
    assert_eq!(response.status, 431, "{response:?}");
}

#[test]
fn a_silent_client_is_closed_quietly_at_the_header_timeout() {
    // No byte of a head ever came: no 408 (nothing asked for an answer), a plain
    // close at the header timeout, and its request (counted from accept) is dropped.
    let server = start(config(Framing::Length));
    let started = Instant::now();
    let mut stream = connect(addr(&server));
    let raw = read_to_close(&mut stream);
    let elapsed = started.elapsed();
    assert!(raw.is_empty(), "{:?}", String::from_utf8_lossy(&raw));
    assert!(elapsed >= HEADER_TIMEOUT, "{elapsed:?}");
    assert!(elapsed < HEADER_TIMEOUT + PATIENCE, "{elapsed:?}");
    let stats = server.stop().unwrap();
    assert_eq!((stats.accepted, stats.dropped), (1, 1), "{stats:?}");
}

#[test]
fn trickling_client_gets_408_at_the_header_timeout() {
    let server = start(config(Framing::Length));
    let started = Instant::now();
    let mut stream = connect(addr(&server));
    stream
        .set_read_timeout(Some(Duration::from_millis(40)))
        .unwrap();
    let request = b"GET /delay/0 HTTP/1.1\r\nHost: x\r\nX-Slow: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n\r\n";
    let mut raw = Vec::new();
    let mut buf = [0u8; 1024];
    for byte in request.iter().cycle().take(200) {
        let _ = stream.write_all(std::slice::from_ref(byte)); // may fail once the server closes
        match stream.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => raw.extend_from_slice(&buf[..n]),
            Err(_) => {}
        }
        if raw.ends_with(b"\n") && raw.len() > 100 {
            break;
        }
    }
    stream.set_read_timeout(Some(PATIENCE)).unwrap();
    raw.extend(read_to_close(&mut stream));
    let response = parse(&raw, started.elapsed());
    assert_eq!(response.status, 408, "{response:?}");
    assert!(response.elapsed >= HEADER_TIMEOUT, "{response:?}");
}

#[test]
fn over_the_connection_cap_a_client_gets_503_at_once() {
    let server = start(ServerConfig {
        max_connections: Some(2),
        header_timeout: PATIENCE,
        ..config(Framing::Length)
    });
    let a = addr(&server);
    // Each sends its first byte: the server is handed a connection only then
    // (`ServerConfig::defer_accept`).
    let _held = [connect(a), connect(a)].map(|mut held| {
        held.write_all(b"G").unwrap();
        held
    });
    let response = get(a, "/delay/0");
    assert_eq!(response.status, 503, "{response:?}");
    assert_eq!(response.header("retry-after"), Some("1"));
    assert!(response.body.contains("cap 2"), "{response:?}");
    let stats = server.stop().unwrap();
    assert_eq!(
        (
            stats.accepted,
            stats.answered,
            stats.rejected,
            stats.dropped
        ),
        (3, 0, 1, 2),
        "{stats:?}"
    );
}

#[test]
fn non_loopback_address_is_refused_without_allow_public() {
    for listen in [vec!["0.0.0.0:0"], vec!["127.0.0.1:0", "[::]:0"]] {
        let config = ServerConfig {
            listen: listen.iter().map(|a| a.parse().unwrap()).collect(),
            ..ServerConfig::default()
        };
        let err = Server::bind(config).unwrap_err();
        assert!(matches!(err, ServerError::NotLoopback { .. }), "{err:?}");
        let message = err.to_string();
        assert!(message.contains("--allow-public"), "{message}");
        assert!(message.contains("not a loopback address"), "{message}");
    }
}

#[test]
fn bind_failure_names_the_address() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let busy = taken.local_addr().unwrap();
    let err = Server::bind(ServerConfig {
        listen: vec![busy],
        ..ServerConfig::default()
    })
    .unwrap_err();
    assert!(
        matches!(err, ServerError::Bind { addr, .. } if addr == busy),
        "{err:?}"
    );
    assert!(err.to_string().contains(&busy.to_string()), "{err}");
}

#[test]
fn a_thousand_idle_connections_do_not_stop_service() {
    let server = start(ServerConfig {
        header_timeout: PATIENCE,
        keep_alive_timeout: PATIENCE,
        ..config(Framing::Length)
    });
    let a = addr(&server);
    // 500 that never send anything, 500 kept alive and idle after one request.
    let silent: Vec<TcpStream> = (0..500).map(|_| connect(a)).collect();
    let kept: Vec<Client> = (0..500)
        .map(|_| {
            let mut client = Client::new(a);
            client.send("GET /delay/0 HTTP/1.1\r\nHost: x\r\n\r\n");
            assert_eq!(client.response(Instant::now()).status, 200);
            client
        })
        .collect();
    let started = Instant::now();
    let response = get(a, "/delay/0");
    assert_eq!(response.status, 200, "{response:?}");
    assert!(started.elapsed() < PATIENCE, "{:?}", started.elapsed());
    drop((silent, kept));
}
