//! The delay server over real loopback sockets, driven by plain blocking std clients.

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
fn unknown_path_is_404() {
    let server = start(config(Framing::Length));
    let response = get(addr(&server), "/status/200");
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
    assert_eq!(response.header("allow"), Some("GET, HEAD"));
}

#[test]
fn non_numeric_delay_is_400() {
    let server = start(config(Framing::Length));
    let response = get(addr(&server), "/delay/soon");
    assert_eq!(response.status, 400, "{response:?}");
    assert!(
        response.body.contains("whole number of milliseconds"),
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
    let request = format!("GET /delay/0 HTTP/1.1\r\n{fields}\r\n");
    let response = exchange(addr(&server), request.as_bytes());
    assert_eq!(response.status, 431, "{response:?}");
}

#[test]
fn silent_client_gets_408_after_the_header_timeout() {
    let server = start(config(Framing::Length));
    let started = Instant::now();
    let mut stream = connect(addr(&server));
    let response = receive(&mut stream, started);
    assert_eq!(response.status, 408, "{response:?}");
    assert!(response.elapsed >= HEADER_TIMEOUT, "{response:?}");
    assert!(response.elapsed < HEADER_TIMEOUT + PATIENCE, "{response:?}");
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
    let _held = [connect(a), connect(a)];
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
fn stop_reports_every_connection_exactly_once() {
    let server = start(config(Framing::Length));
    let a = addr(&server);
    // Gave up while waiting: dropped.
    let mut quitter = connect(a);
    quitter
        .write_all(b"GET /delay/10000 HTTP/1.1\r\n\r\n")
        .unwrap();
    drop(quitter);
    // Reset while waiting: dropped, and nobody else notices.
    let resetter = connect(a);
    (&resetter)
        .write_all(b"GET /delay/10000 HTTP/1.1\r\n\r\n")
        .unwrap();
    socket2::SockRef::from(&resetter)
        .set_linger(Some(Duration::ZERO))
        .unwrap();
    drop(resetter);
    // Still waiting when the server stops: dropped.
    let mut waiting = connect(a);
    waiting
        .write_all(b"GET /delay/10000 HTTP/1.1\r\n\r\n")
        .unwrap();
    assert_delayed(&get(a, "/delay/0"), 0);
    assert_delayed(&get(a, "/delay/20"), 20);
    assert_eq!(get(a, "/nope").status, 404);
    let stats = server.stop().unwrap();
    assert_eq!(
        (
            stats.accepted,
            stats.answered,
            stats.rejected,
            stats.dropped
        ),
        (6, 2, 1, 3),
        "{stats:?}"
    );
    // The server closed the waiting connection on stop.
    assert!(read_to_close(&mut waiting).is_empty());
}

#[test]
fn dropping_the_handle_stops_the_server_and_closes_its_port() {
    let server = start(config(Framing::Length));
    let a = addr(&server);
    assert_delayed(&get(a, "/delay/0"), 0);
    drop(server);
    let err = TcpStream::connect(a).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::ConnectionRefused);
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

/// Runs in a child process whose fd limit is 40 (see the test below), so that the
/// server runs out of descriptors while clients keep connecting.
fn out_of_descriptors_child() {
    const LIMIT: usize = 40;
    // read_dir holds one fd of its own while counting: a conservative count.
    let open = std::fs::read_dir("/proc/self/fd").unwrap().count();
    let server = start(ServerConfig {
        max_connections: Some(1000),
        ..config(Framing::Length)
    });
    let a = addr(&server);
    // The server holds epoll, waker and listener; leave it room for 3 connections.
    let clients = LIMIT - open - 3 - 3;
    assert!(clients > 10, "only {clients} clients fit under the limit");
    // Every client socket exists before the first connect, so the server (in this
    // same process) cannot take the descriptors they need.
    let sockets: Vec<socket2::Socket> = (0..clients)
        .map(|_| socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).unwrap())
        .collect();
    let mut streams: Vec<TcpStream> = sockets
        .into_iter()
        .enumerate()
        .map(|(i, socket)| {
            socket.connect(&a.into()).unwrap();
            let mut stream = TcpStream::from(socket);
            stream.set_read_timeout(Some(PATIENCE)).unwrap();
            stream
                .write_all(format!("GET /delay/0/url/{i} HTTP/1.1\r\n\r\n").as_bytes())
                .unwrap();
            stream
        })
        .collect();
    for stream in &mut streams {
        let response = receive(stream, Instant::now());
        assert_eq!(response.status, 200, "{response:?}");
    }
    let stats = server.stop().unwrap();
    let clients = clients as u64;
    assert_eq!(
        (stats.accepted, stats.answered),
        (clients, clients),
        "{stats:?}"
    );
    assert!(stats.accept_pauses >= 1, "{stats:?}");
}

/// Runs the test `name` alone in a child process (so no other test's descriptors
/// come and go meanwhile), under `ulimit -n limit` when given; true in the child.
fn in_child(name: &str, limit: Option<u32>) -> bool {
    if std::env::var_os("SLOW_CLIENT_SERVER_CHILD").is_some() {
        return true;
    }
    let ulimit = limit.map_or(String::new(), |n| format!("ulimit -n {n} && "));
    let output = std::process::Command::new("sh")
        .arg("-c")
        .arg(format!(r#"{ulimit}exec "$0" "$@""#))
        .arg(std::env::current_exe().unwrap())
        .args(["--exact", name, "--nocapture", "--test-threads=1"])
        .env("SLOW_CLIENT_SERVER_CHILD", "1")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success() && stdout.contains("1 passed"),
        "child failed: {stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    false
}

#[test]
fn out_of_descriptors_the_server_pauses_accepting_until_one_frees() {
    let name = "out_of_descriptors_the_server_pauses_accepting_until_one_frees";
    if in_child(name, Some(40)) {
        out_of_descriptors_child();
    }
}

fn open_fds() -> Vec<String> {
    let mut fds: Vec<String> = std::fs::read_dir("/proc/self/fd")
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    fds.sort();
    fds
}

#[test]
fn every_descriptor_the_server_opens_is_closed_when_it_stops() {
    if !in_child(
        "every_descriptor_the_server_opens_is_closed_when_it_stops",
        None,
    ) {
        return;
    }
    let before = open_fds();
    let server = start(config(Framing::Chunked));
    let a = addr(&server);
    assert_delayed(&get(a, "/delay/10"), 10);
    assert_eq!(get(a, "/elsewhere").status, 404);
    drop(connect(a)); // closed before sending anything
    let mut silent = connect(a);
    assert_eq!(receive(&mut silent, Instant::now()).status, 408);
    let mut waiting = connect(a);
    waiting
        .write_all(b"GET /delay/10000 HTTP/1.1\r\n\r\n")
        .unwrap();
    assert_delayed(&get(a, "/delay/0"), 0); // the waiting request has been read by now
    let stats = server.stop().unwrap();
    assert_eq!(
        stats.accepted,
        stats.answered + stats.rejected + stats.dropped
    );
    drop((silent, waiting));
    assert_eq!(open_fds(), before);
}

#[test]
fn run_until_returns_the_stats_when_the_stop_fd_becomes_readable() {
    let server = Server::bind(config(Framing::Length)).unwrap();
    let a = server.local_addrs()[0];
    let (mut stop_tx, stop_rx) = std::os::unix::net::UnixStream::pair().unwrap();
    let running = std::thread::spawn(move || server.run_until(stop_rx));
    assert_delayed(&get(a, "/delay/20"), 20);
    stop_tx.write_all(b"x").unwrap();
    let stats = running.join().unwrap().unwrap();
    assert_eq!((stats.accepted, stats.answered), (1, 1), "{stats:?}");
}
