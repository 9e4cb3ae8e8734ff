//! The delay server over real loopback sockets, driven by plain blocking std clients.
//!
//! Here: delayed answers in every framing, and the request forms clients send.
//! `routes.rs`: slowwly's redirects, the delay units, the index page.
//! `keep_alive.rs`: persistent connections, pipelining and their timers.
//! `abuse.rs`: every 4xx/5xx and refusal. `exact.rs`: what RFC 9110/9112 ask of every
//! request (Host, versions, target forms, CORS, caching) and `/status/{code}`.
//! `outside.rs`: the same against Python's `http.client` (where `python3` exists). `lifecycle.rs`: stopping,
//! stats, descriptors (some of those tests re-run themselves in a child process).

mod abuse;
mod exact;
mod keep_alive;
mod lifecycle;
mod outside;
mod routes;
mod wire;

/// Counts heap allocations of the whole process (for the allocation test, which runs
/// alone in a child process).
#[global_allocator]
static GLOBAL: &stats_alloc::StatsAlloc<std::alloc::System> = &stats_alloc::INSTRUMENTED_SYSTEM;

use std::io::{ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::thread::sleep;
use std::time::{Duration, Instant};

use slow_client::server::{Framing, Server, ServerConfig, ServerError, ServerHandle};
use wire::*;

/// Generous upper bound for anything that should take milliseconds.
const PATIENCE: Duration = Duration::from_secs(5);
const HEADER_TIMEOUT: Duration = Duration::from_millis(300);

fn config(framing: Framing) -> ServerConfig {
    ServerConfig {
        framing,
        header_timeout: HEADER_TIMEOUT,
        ..ServerConfig::default()
    }
}

fn start(config: ServerConfig) -> ServerHandle {
    Server::bind(config).expect("bind").spawn().expect("spawn")
}

fn addr(handle: &ServerHandle) -> SocketAddr {
    handle.local_addrs()[0]
}

fn assert_delayed(response: &Response, ms: u64) {
    assert_eq!(response.status, 200, "{response:?}");
    assert!(
        response.elapsed >= Duration::from_millis(ms),
        "early: {response:?}"
    );
    assert!(
        response.elapsed < Duration::from_millis(ms) + PATIENCE,
        "late: {response:?}"
    );
    assert!(
        response.body.starts_with(&format!("delayed {ms} ms")),
        "{response:?}"
    );
    assert_eq!(response.header("connection"), Some("close"));
}

#[test]
fn delayed_200_with_content_length_arrives_no_sooner_than_the_delay() {
    let server = start(config(Framing::Length));
    let response = get(addr(&server), "/delay/200");
    assert_delayed(&response, 200);
    assert_eq!(
        response.header("content-length"),
        Some(response.body.len().to_string().as_str())
    );
}

#[test]
fn delayed_200_chunked_comes_in_at_least_two_chunks() {
    let server = start(config(Framing::Chunked));
    let response = get(addr(&server), "/delay/150");
    assert_delayed(&response, 150);
    assert!(response.chunks >= 2, "{response:?}");
    assert_eq!(response.header("content-length"), None);
}

#[test]
fn delayed_200_close_delimited_ends_at_close() {
    let server = start(config(Framing::Close));
    let response = get(addr(&server), "/delay/100");
    assert_delayed(&response, 100);
    assert_eq!(response.header("content-length"), None);
    assert_eq!(response.header("transfer-encoding"), None);
    assert_eq!(response.body, "delayed 100 ms: /delay/100\n");
}

#[test]
fn http10_request_never_gets_a_chunked_body() {
    let server = start(config(Framing::Chunked));
    let response = exchange(addr(&server), b"GET /delay/0 HTTP/1.0\r\n\r\n");
    assert_eq!(response.status, 200);
    assert_eq!(response.header("transfer-encoding"), None);
    assert_eq!(response.body, "delayed 0 ms: /delay/0\n");
}

#[test]
fn curl_style_request_is_answered_and_the_connection_kept() {
    let server = start(config(Framing::Length));
    let a = addr(&server);
    let mut client = Client::new(a);
    let sent = Instant::now();
    client.send(format!(
        "GET /delay/50 HTTP/1.1\r\nHost: {a}\r\nUser-Agent: curl/8.5.0\r\nAccept: */*\r\n\r\n"
    ));
    let response = client.response(sent);
    assert_eq!(response.status, 200, "{response:?}");
    assert!(
        response.elapsed >= Duration::from_millis(50),
        "{response:?}"
    );
    assert_eq!(response.body, "delayed 50 ms: /delay/50\n");
    assert_eq!(
        response.header("connection"),
        None,
        "HTTP/1.1 persists by default"
    );
    let date = response.header("date").expect("every response has a Date");
    assert!(date.ends_with(" GMT") && date.len() == 29, "{date}");
}

#[test]
fn head_request_gets_the_head_without_a_body() {
    let server = start(config(Framing::Length));
    let mut stream = connect(addr(&server));
    stream
        .write_all(b"HEAD /delay/30 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .unwrap();
    let raw = read_to_close(&mut stream);
    let text = String::from_utf8(raw).unwrap();
    assert!(text.starts_with("HTTP/1.1 200 OK\r\n"), "{text}");
    assert!(
        text.ends_with("\r\n\r\n"),
        "HEAD must not carry a body: {text:?}"
    );
    assert!(text.contains("Content-Length: "), "{text}");
}

#[test]
fn several_listen_addresses_each_get_their_own_port_and_answer() {
    let any = "127.0.0.1:0".parse().unwrap();
    let server = start(ServerConfig {
        listen: vec![any, any, any],
        ..config(Framing::Length)
    });
    let addrs = server.local_addrs().to_vec();
    assert_eq!(addrs.len(), 3);
    assert!(addrs[0].port() != addrs[1].port() && addrs[1].port() != addrs[2].port());
    for a in addrs {
        assert_delayed(&get(a, "/delay/10"), 10);
    }
    assert_eq!(server.stop().unwrap().answered, 3);
}

#[test]
fn five_hundred_concurrent_connections_are_all_answered() {
    const N: u64 = 500;
    let server = start(config(Framing::Chunked));
    let a = addr(&server);
    let started = Instant::now();
    let mut clients: Vec<(u64, Client)> = (0..N)
        .map(|i| {
            let ms = (i % 5) * 100;
            let mut client = Client::new(a);
            client.send(format!("GET /delay/{ms}?x{i} HTTP/1.1\r\nHost: h\r\n\r\n"));
            (ms, client)
        })
        .collect();
    for (ms, client) in &mut clients {
        let response = client.response(started);
        assert_eq!(response.status, 200, "{response:?}");
        assert!(
            response.elapsed >= Duration::from_millis(*ms),
            "early: {response:?}"
        );
        assert!(
            response.body.starts_with(&format!("delayed {ms} ms")),
            "{response:?}"
        );
    }
    let stats = server.stop().unwrap();
    assert_eq!(
        (stats.accepted, stats.answered, stats.dropped),
        (N, N, 0),
        "{stats:?}"
    );
}

#[test]
fn bytes_after_a_closing_request_are_read_and_discarded() {
    let server = start(config(Framing::Length));
    let mut stream = connect(addr(&server));
    stream
        .write_all(
            b"GET /delay/50 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\nGET /delay/1 HTTP/1.1\r\nHost: x\r\n\r\n",
        )
        .unwrap();
    let sent = Instant::now();
    sleep(Duration::from_millis(10));
    stream.write_all(b"more junk while waiting").unwrap();
    let raw = read_to_close(&mut stream);
    let response = parse(&raw, sent.elapsed());
    assert_eq!(response.status, 200, "{response:?}");
    assert_eq!(response.body, "delayed 50 ms: /delay/50\n");
    assert_eq!(
        response_len(&raw, false),
        Some(raw.len()),
        "one response only"
    );
    assert!(
        response.elapsed >= Duration::from_millis(40),
        "{response:?}"
    );
}
