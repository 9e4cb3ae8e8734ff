//! Stopping, counting, and descriptors: nothing leaks, nothing crashes when they run out.

use super::*;

#[test]
fn stop_reports_every_connection_exactly_once() {
    let server = start(config(Framing::Length));
    let a = addr(&server);
    // Gave up while waiting: dropped.
    let mut quitter = connect(a);
    quitter
        .write_all(b"GET /delay/10000 HTTP/1.1\r\nHost: x\r\n\r\n")
        .unwrap();
    drop(quitter);
    // Reset while waiting: dropped, and nobody else notices.
    let resetter = connect(a);
    (&resetter)
        .write_all(b"GET /delay/10000 HTTP/1.1\r\nHost: x\r\n\r\n")
        .unwrap();
    socket2::SockRef::from(&resetter)
        .set_linger(Some(Duration::ZERO))
        .unwrap();
    drop(resetter);
    // Still waiting when the server stops: dropped.
    let mut waiting = connect(a);
    waiting
        .write_all(b"GET /delay/10000 HTTP/1.1\r\nHost: x\r\n\r\n")
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
            // A delay holds each connection open while the rest connect (a request
            // answered at once would free its descriptor before the next accept).
            stream
                .write_all(
                    format!("GET /delay/300?{i} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                        .as_bytes(),
                )
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
    let name = "lifecycle::out_of_descriptors_the_server_pauses_accepting_until_one_frees";
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
        "lifecycle::every_descriptor_the_server_opens_is_closed_when_it_stops",
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
    assert!(
        read_to_close(&mut silent).is_empty(),
        "closed quietly, no 408"
    );
    let mut waiting = connect(a);
    waiting
        .write_all(b"GET /delay/10000 HTTP/1.1\r\nHost: x\r\n\r\n")
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

/// This process's resident set, in KiB (`VmRSS`).
fn rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status.lines().find(|l| l.starts_with("VmRSS:")).unwrap();
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

/// Most the process may grow while a client pipelines 10,000 requests without reading:
/// the server holds at most 64 responses (~400 B each) and one read of input per
/// connection; without the bound it would hold megabytes of both.
const PIPELINE_GROWTH_KIB: u64 = 1024;

fn pipelining_without_reading_child() {
    const N: usize = 10_000;
    let server = start(ServerConfig {
        keep_alive_timeout: PATIENCE,
        send_timeout: PATIENCE,
        max_requests_per_connection: u32::MAX,
        ..config(Framing::Length)
    });
    let request = format!(
        "GET /delay/0?{} HTTP/1.1\r\nHost: x\r\n\r\n",
        "p".repeat(180)
    );
    let burst = request.repeat(N);
    let socket = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).unwrap();
    socket.set_recv_buffer_size(4096).unwrap();
    socket.connect(&addr(&server).into()).unwrap();
    let stream = TcpStream::from(socket);
    stream.set_read_timeout(Some(PATIENCE)).unwrap();
    let writer = stream.try_clone().unwrap();
    let mut client = Client {
        stream,
        buf: Vec::with_capacity(64 * 1024),
    };
    let before = rss_kib();
    let pusher = std::thread::spawn(move || (&writer).write_all(burst.as_bytes()).is_ok());
    // Long enough for the server to read all it will and stop.
    sleep(Duration::from_millis(1500));
    let during = rss_kib();
    eprintln!("VmRSS before {before} KiB, after 10,000 unread pipelined requests {during} KiB");
    assert!(
        during.saturating_sub(before) < PIPELINE_GROWTH_KIB,
        "grew from {before} to {during} KiB"
    );
    // Still served, in order, once it reads.
    let sent = Instant::now();
    for _ in 0..N {
        let response = client.response(sent);
        assert_eq!(response.status, 200, "{response:?}");
    }
    assert!(pusher.join().unwrap());
    drop(client);
    let stats = server.stop().unwrap();
    assert_eq!((stats.accepted, stats.answered), (1, N as u64), "{stats:?}");
}

#[test]
fn pipelining_10000_requests_without_reading_keeps_memory_bounded_and_all_are_served() {
    let name = "lifecycle::pipelining_10000_requests_without_reading_keeps_memory_bounded_and_all_are_served";
    if in_child(name, None) {
        pipelining_without_reading_child();
    }
}

fn keep_alive_allocations_child() {
    const N: usize = 2000;
    let server = start(ServerConfig {
        keep_alive_timeout: PATIENCE,
        max_requests_per_connection: u32::MAX,
        ..config(Framing::Length)
    });
    let mut stream = connect(addr(&server));
    let request = b"GET /delay/0 HTTP/1.1\r\nHost: x\r\n\r\n";
    // Every answer to this request has the same length (the Date is fixed-width).
    stream.write_all(request).unwrap();
    let mut raw = Vec::new();
    let len = loop {
        let mut chunk = [0u8; 1024];
        let n = stream.read(&mut chunk).unwrap();
        assert!(n > 0, "closed early");
        raw.extend_from_slice(&chunk[..n]);
        if let Some(len) = response_len(&raw, false) {
            break len;
        }
    };
    assert_eq!(raw.len(), len, "one answer to one request");
    let mut answer = vec![0u8; len];
    // Warm up (buffers reach their size), then count.
    for _ in 0..100 {
        stream.write_all(request).unwrap();
        stream.read_exact(&mut answer).unwrap();
    }
    let region = stats_alloc::Region::new(super::GLOBAL);
    for _ in 0..N {
        stream.write_all(request).unwrap();
        stream.read_exact(&mut answer).unwrap();
    }
    let allocations = region.change().allocations;
    eprintln!("{allocations} allocations over {N} kept-alive requests");
    assert!(answer.starts_with(b"HTTP/1.1 200 OK\r\n"));
    assert!(
        allocations < N / 100,
        "{allocations} allocations for {N} requests"
    );
}

#[test]
fn kept_alive_requests_do_not_allocate_per_request() {
    let name = "lifecycle::kept_alive_requests_do_not_allocate_per_request";
    if in_child(name, None) {
        keep_alive_allocations_child();
    }
}

#[test]
fn a_graceful_stop_lets_a_lingering_connection_finish_its_linger() {
    // After a response that ends the connection the server shuts its side and reads
    // until the client closes (at most 1 s), so unread request bytes cannot turn the
    // close into a reset. A graceful stop must not cut that short.
    let server = start(ServerConfig {
        header_timeout: PATIENCE,
        ..config(Framing::Length)
    });
    let mut client = connect(addr(&server));
    client
        .write_all(b"PUT /delay/0 HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\n")
        .unwrap();
    let response = parse(&read_to_close(&mut client), Duration::ZERO);
    assert_eq!(response.status, 405, "{response:?}");
    // The response is out and the server lingers; now stop gracefully.
    server.drain().unwrap();
    let stopping = std::thread::spawn(move || server.wait());
    sleep(Duration::from_millis(200));
    assert!(!stopping.is_finished(), "the linger was cut short");
    // The body arrives late: read and discarded, no reset; then the client closes.
    client.write_all(b"abc").unwrap();
    drop(client);
    let stats = stopping.join().unwrap().unwrap();
    assert_eq!(
        (stats.requests, stats.rejected, stats.dropped),
        (1, 1, 0),
        "{stats:?}"
    );
}

#[test]
fn a_graceful_stop_makes_the_last_response_owed_say_close() {
    let server = start(ServerConfig {
        keep_alive_timeout: PATIENCE,
        ..config(Framing::Length)
    });
    let mut client = Client::new(addr(&server));
    let sent = Instant::now();
    client.send(
        "GET /delay/300 HTTP/1.1\r\nHost: x\r\n\r\nGET /delay/400 HTTP/1.1\r\nHost: x\r\n\r\n",
    );
    // Let the server read both before it is asked to stop.
    sleep(Duration::from_millis(100));
    server.drain().unwrap();
    let first = client.response(sent);
    let last = client.response(sent);
    assert_eq!((first.status, last.status), (200, 200));
    assert_eq!(first.header("connection"), None, "{first:?}");
    assert_eq!(last.header("connection"), Some("close"), "{last:?}");
    assert!(client.closes());
    let stats = server.wait().unwrap();
    assert_eq!(
        (stats.requests, stats.answered, stats.dropped),
        (2, 2, 0),
        "{stats:?}"
    );
}

#[test]
fn a_graceful_stop_counts_requests_held_back_by_the_pipeline_bound_as_dropped() {
    // 100 requests in one write: 64 are owed, 36 held unparsed. SIGTERM finishes the
    // 64 and never answers the 36, which count once each, as dropped.
    let server = start(ServerConfig {
        keep_alive_timeout: PATIENCE,
        ..config(Framing::Length)
    });
    let mut client = Client::new(addr(&server));
    client.send("GET /delay/300 HTTP/1.1\r\nHost: x\r\n\r\n".repeat(100));
    let sent = Instant::now();
    sleep(Duration::from_millis(100));
    server.drain().unwrap();
    for _ in 0..64 {
        assert_eq!(client.response(sent).status, 200);
    }
    assert!(client.closes());
    let stats = server.wait().unwrap();
    assert_eq!(
        (stats.requests, stats.answered, stats.dropped),
        (100, 64, 36),
        "{stats:?}"
    );
}
