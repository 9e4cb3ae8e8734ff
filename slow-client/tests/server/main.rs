//! The delay server over real loopback sockets, driven by plain blocking std clients.
//!
//! Here: delayed answers in every framing, and the request forms clients send.
//! `abuse.rs`: every 4xx/5xx and refusal. `lifecycle.rs`: stopping,
//! stats, descriptors (some of those tests re-run themselves in a child process).

mod abuse;
mod lifecycle;

use std::io::{ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::thread::sleep;
use std::time::{Duration, Instant};

use slow_client::server::{Framing, Server, ServerConfig, ServerError, ServerHandle};

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

#[derive(Debug)]
struct Response {
    status: u16,
    headers: Vec<(String, String)>,
    body: String,
    /// Data chunks seen when the body was chunked.
    chunks: usize,
    /// From the request's last byte written to the connection's end.
    elapsed: Duration,
}

impl Response {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

fn connect(addr: SocketAddr) -> TcpStream {
    let stream = TcpStream::connect(addr).expect("connect");
    stream.set_read_timeout(Some(PATIENCE)).unwrap();
    stream
}

/// Everything the server sends until it closes (a reset after the data still counts as the end).
fn read_to_close(stream: &mut TcpStream) -> Vec<u8> {
    let mut out = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match stream.read(&mut buf) {
            Ok(0) => return out,
            Ok(n) => out.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) if e.kind() == ErrorKind::WouldBlock || e.kind() == ErrorKind::TimedOut => {
                panic!("server did not close within {PATIENCE:?}; got {out:?}")
            }
            Err(_) => return out,
        }
    }
}

fn receive(stream: &mut TcpStream, sent_at: Instant) -> Response {
    let raw = read_to_close(stream);
    parse(&raw, sent_at.elapsed())
}

fn exchange(addr: SocketAddr, request: &[u8]) -> Response {
    let mut stream = connect(addr);
    stream.write_all(request).expect("send request");
    receive(&mut stream, Instant::now())
}

fn get(addr: SocketAddr, path: &str) -> Response {
    exchange(
        addr,
        format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n").as_bytes(),
    )
}

/// Parses a whole response and decodes its body by the framing its head announces.
fn parse(raw: &[u8], elapsed: Duration) -> Response {
    let mut fields = [httparse::EMPTY_HEADER; 16];
    let mut head = httparse::Response::new(&mut fields);
    let Ok(httparse::Status::Complete(len)) = head.parse(raw) else {
        panic!(
            "no complete response head in {:?}",
            String::from_utf8_lossy(raw)
        )
    };
    let headers: Vec<(String, String)> = head
        .headers
        .iter()
        .map(|h| {
            (
                h.name.to_owned(),
                String::from_utf8_lossy(h.value).into_owned(),
            )
        })
        .collect();
    let mut response = Response {
        status: head.code.unwrap(),
        headers,
        body: String::new(),
        chunks: 0,
        elapsed,
    };
    let rest = &raw[len..];
    let body = if response.header("transfer-encoding") == Some("chunked") {
        let (body, chunks) = dechunk(rest);
        response.chunks = chunks;
        body
    } else if let Some(length) = response.header("content-length") {
        let length: usize = length.parse().unwrap();
        assert!(rest.len() >= length, "body shorter than Content-Length");
        rest[..length].to_vec()
    } else {
        rest.to_vec()
    };
    response.body = String::from_utf8(body).unwrap();
    response
}

fn dechunk(mut rest: &[u8]) -> (Vec<u8>, usize) {
    let (mut body, mut chunks) = (Vec::new(), 0);
    loop {
        let Ok(httparse::Status::Complete((n, size))) = httparse::parse_chunk_size(rest) else {
            panic!("bad chunk size line in {:?}", String::from_utf8_lossy(rest))
        };
        let size = usize::try_from(size).unwrap();
        if size == 0 {
            return (body, chunks);
        }
        body.extend_from_slice(&rest[n..n + size]);
        assert_eq!(&rest[n + size..n + size + 2], b"\r\n");
        rest = &rest[n + size + 2..];
        chunks += 1;
    }
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
fn curl_style_request_is_answered() {
    let server = start(config(Framing::Length));
    let a = addr(&server);
    let request = format!(
        "GET /delay/50 HTTP/1.1\r\nHost: {a}\r\nUser-Agent: curl/8.5.0\r\nAccept: */*\r\n\r\n"
    );
    assert_delayed(&exchange(a, request.as_bytes()), 50);
}

#[test]
fn slowwly_url_form_is_served() {
    let server = start(config(Framing::Length));
    let response = get(addr(&server), "/delay/120/url/http://www.google.com");
    assert_delayed(&response, 120);
    assert!(
        response.body.contains("/url/http://www.google.com"),
        "{response:?}"
    );
}

#[test]
fn head_request_gets_the_head_without_a_body() {
    let server = start(config(Framing::Length));
    let mut stream = connect(addr(&server));
    stream
        .write_all(b"HEAD /delay/30 HTTP/1.1\r\nHost: x\r\n\r\n")
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
    let mut streams: Vec<(u64, TcpStream)> = (0..N)
        .map(|i| {
            let ms = (i % 5) * 100;
            let mut stream = connect(a);
            stream
                .write_all(
                    format!("GET /delay/{ms}/url/x{i} HTTP/1.1\r\nHost: h\r\n\r\n").as_bytes(),
                )
                .unwrap();
            (ms, stream)
        })
        .collect();
    for (ms, stream) in &mut streams {
        let response = receive(stream, started);
        assert_delayed(&response, *ms);
    }
    let stats = server.stop().unwrap();
    assert_eq!(
        (stats.accepted, stats.answered, stats.dropped),
        (N, N, 0),
        "{stats:?}"
    );
}

#[test]
fn bytes_after_the_head_are_ignored() {
    let server = start(config(Framing::Length));
    let mut stream = connect(addr(&server));
    stream
        .write_all(b"GET /delay/50 HTTP/1.1\r\nHost: x\r\n\r\nGET /delay/1 HTTP/1.1\r\n\r\n")
        .unwrap();
    let sent = Instant::now();
    sleep(Duration::from_millis(10));
    stream.write_all(b"more junk while waiting").unwrap();
    let response = receive(&mut stream, sent);
    assert_eq!(response.status, 200, "{response:?}");
    assert_eq!(response.body, "delayed 50 ms: /delay/50\n");
    assert!(
        response.elapsed >= Duration::from_millis(40),
        "{response:?}"
    );
}
