//! Persistent connections (RFC 9112 §9.3): reuse, pipelining in order, HTTP/1.0, and the
//! timers and caps that end a connection.

use super::*;

fn keep_config() -> ServerConfig {
    ServerConfig {
        keep_alive_timeout: Duration::from_secs(5),
        ..config(Framing::Length)
    }
}

#[test]
fn n_requests_on_one_connection_use_one_accept() {
    let server = start(keep_config());
    let mut client = Client::new(addr(&server));
    for i in 0..20 {
        client.send(format!("GET /delay/{} HTTP/1.1\r\nHost: x\r\n\r\n", i % 3));
        let response = client.response(Instant::now());
        assert_eq!(response.status, 200, "{response:?}");
        assert_eq!(
            response.body,
            format!("delayed {} ms: /delay/{}\n", i % 3, i % 3)
        );
    }
    drop(client);
    let stats = server.stop().unwrap();
    assert_eq!(
        (
            stats.accepted,
            stats.requests,
            stats.answered,
            stats.dropped
        ),
        (1, 20, 20, 0),
        "{stats:?}"
    );
}

#[test]
fn pipelined_responses_come_in_request_order_with_each_delay_honoured() {
    let server = start(keep_config());
    let mut client = Client::new(addr(&server));
    let sent = Instant::now();
    client.send(
        "GET /delay/300 HTTP/1.1\r\nHost: x\r\n\r\nGET /delay/100 HTTP/1.1\r\nHost: x\r\n\r\n\
         HEAD /delay/0 HTTP/1.1\r\nHost: x\r\n\r\nGET /delay/150ms HTTP/1.1\r\nHost: x\r\n\r\n",
    );
    let first = client.response(sent);
    let second = client.response(sent);
    let third = client.next(sent, true);
    let fourth = client.response(sent);
    assert_eq!(first.body, "delayed 300 ms: /delay/300\n");
    assert!(first.elapsed >= Duration::from_millis(300), "{first:?}");
    // Shorter delays wait for the earlier response: they are never before it.
    assert_eq!(second.body, "delayed 100 ms: /delay/100\n");
    assert!(second.elapsed >= first.elapsed, "{second:?}");
    assert_eq!((third.status, third.body.as_str()), (200, ""));
    assert_eq!(fourth.body, "delayed 150 ms: /delay/150ms\n");
    // Each delay ran from its own arrival, not from the end of the one before.
    assert!(
        fourth.elapsed < Duration::from_millis(300 + 150),
        "the 150 ms ran concurrently with the 300 ms: {fourth:?}"
    );
    assert!(fourth.elapsed < PATIENCE, "{fourth:?}");
}

#[test]
fn requests_held_back_by_the_pipeline_bound_run_their_delay_from_their_arrival() {
    // 100 requests in one write: the server parses 64, holds the rest until those are
    // written (2.5 s later), and must then still count their delay from the read that
    // brought them, not cap their age (answering them 1.5 s late).
    const N: usize = 100;
    let server = start(keep_config());
    let mut client = Client::new(addr(&server));
    let burst: String = (0..N)
        .map(|i| format!("GET /delay/2500?i={i} HTTP/1.1\r\nHost: x\r\n\r\n"))
        .collect();
    let sent = Instant::now();
    client.send(burst);
    for i in 0..N {
        let response = client.response(sent);
        assert_eq!(
            response.body,
            format!("delayed 2500 ms: /delay/2500?i={i}\n")
        );
        assert!(
            response.elapsed >= Duration::from_millis(2500),
            "early: {response:?}"
        );
        assert!(
            response.elapsed < Duration::from_millis(2500 + 1200),
            "request {i} answered late: {response:?}"
        );
    }
}

#[test]
fn http10_closes_unless_it_asks_for_keep_alive() {
    let server = start(keep_config());
    let a = addr(&server);
    let response = exchange(a, b"GET /delay/0 HTTP/1.0\r\n\r\n");
    assert_eq!(response.status, 200);
    assert_eq!(response.header("connection"), Some("close"));
    let mut client = Client::new(a);
    for _ in 0..3 {
        client.send("GET /delay/0 HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
        let response = client.response(Instant::now());
        assert_eq!(response.status, 200, "{response:?}");
        assert_eq!(response.header("connection"), Some("keep-alive"));
    }
    drop(client);
    assert_eq!(server.stop().unwrap().accepted, 2);
}

#[test]
fn an_idle_connection_is_closed_silently_after_the_keep_alive_timeout() {
    let idle = Duration::from_millis(200);
    let server = start(ServerConfig {
        keep_alive_timeout: idle,
        header_timeout: PATIENCE,
        ..config(Framing::Length)
    });
    let mut client = Client::new(addr(&server));
    // Timed from before the request: the server's idle timer starts after it.
    let sent = Instant::now();
    client.send("GET /delay/0 HTTP/1.1\r\nHost: x\r\n\r\n");
    assert_eq!(client.response(sent).status, 200);
    assert!(client.closes(), "no 408 or anything else: a plain close");
    let waited = sent.elapsed();
    assert!(waited >= idle, "closed early: {waited:?}");
    assert!(waited < idle + PATIENCE, "{waited:?}");
    let stats = server.stop().unwrap();
    assert_eq!(
        (stats.requests, stats.answered, stats.dropped),
        (1, 1, 0),
        "{stats:?}"
    );
}

#[test]
fn a_stray_crlf_after_a_request_is_not_a_request_and_the_idle_close_stays_silent() {
    // RFC 9112 §2.2: empty lines before a request line are ignored. Taken as the
    // start of a head, the CRLF some clients send after a body would get a 408
    // (the header timeout is the shorter here) instead of the silent idle close.
    let server = start(ServerConfig {
        keep_alive_timeout: Duration::from_millis(300),
        header_timeout: Duration::from_millis(100),
        ..config(Framing::Length)
    });
    let mut client = Client::new(addr(&server));
    client.send("GET /delay/0 HTTP/1.1\r\nHost: x\r\n\r\n\r\n");
    assert_eq!(client.response(Instant::now()).status, 200);
    client.send("\r\n\r\nGET /delay/0 HTTP/1.1\r\nHost: x\r\n\r\n");
    assert_eq!(client.response(Instant::now()).status, 200);
    client.send("\r\n");
    assert!(client.closes(), "no 408: a plain close");
    let stats = server.stop().unwrap();
    assert_eq!(
        (stats.requests, stats.answered, stats.dropped),
        (2, 2, 0),
        "{stats:?}"
    );
}

#[test]
fn keep_alive_timeout_zero_turns_keep_alive_off() {
    let server = start(ServerConfig {
        keep_alive_timeout: Duration::ZERO,
        ..config(Framing::Length)
    });
    let mut client = Client::new(addr(&server));
    client.send("GET /delay/0 HTTP/1.1\r\nHost: x\r\n\r\n");
    let response = client.response(Instant::now());
    assert_eq!(response.header("connection"), Some("close"));
    assert!(client.closes());
}

#[test]
fn the_header_timeout_runs_for_every_request_from_its_first_byte() {
    let server = start(ServerConfig {
        keep_alive_timeout: PATIENCE,
        ..config(Framing::Length)
    });
    let mut client = Client::new(addr(&server));
    client.send("GET /delay/0 HTTP/1.1\r\nHost: x\r\n\r\n");
    assert_eq!(client.response(Instant::now()).status, 200);
    // Idle for longer than the header timeout: no 408, the keep-alive timer rules.
    sleep(HEADER_TIMEOUT + Duration::from_millis(100));
    let started = Instant::now();
    client.send("GET /delay/0 HTTP/1.1\r\nHost:");
    let response = client.response(started);
    assert_eq!(response.status, 408, "{response:?}");
    assert!(response.elapsed >= HEADER_TIMEOUT, "{response:?}");
    assert_eq!(response.header("connection"), Some("close"));
    assert!(client.closes());
    let stats = server.stop().unwrap();
    assert_eq!(
        (stats.requests, stats.answered, stats.dropped),
        (2, 1, 1),
        "{stats:?}"
    );
}

#[test]
fn the_last_request_allowed_on_a_connection_says_close() {
    let server = start(ServerConfig {
        max_requests_per_connection: 3,
        ..keep_config()
    });
    let mut client = Client::new(addr(&server));
    client.send("GET /delay/0 HTTP/1.1\r\nHost: x\r\n\r\n".repeat(4));
    let sent = Instant::now();
    let fields: Vec<Option<String>> = (0..3)
        .map(|_| {
            client
                .response(sent)
                .header("connection")
                .map(str::to_owned)
        })
        .collect();
    assert_eq!(fields, [None, None, Some("close".to_owned())]);
    assert!(client.closes(), "the fourth request is never answered");
}

#[test]
fn a_404_keeps_the_connection_and_errors_that_end_it_say_close() {
    let server = start(keep_config());
    let mut client = Client::new(addr(&server));
    client.send(
        "GET /nowhere HTTP/1.1\r\nHost: x\r\n\r\nGET /delay/0 HTTP/1.1\r\nHost: x\r\n\r\nPUT /delay/0 HTTP/1.1\r\nHost: x\r\n\r\n",
    );
    let sent = Instant::now();
    let statuses: Vec<(u16, Option<String>)> = (0..3)
        .map(|_| {
            let r = client.response(sent);
            (r.status, r.header("connection").map(str::to_owned))
        })
        .collect();
    assert_eq!(
        statuses,
        [(404, None), (200, None), (405, Some("close".to_owned()))]
    );
    assert!(client.closes());
}

#[test]
fn a_request_body_is_read_and_discarded_and_the_connection_goes_on() {
    let server = start(keep_config());
    let mut client = Client::new(addr(&server));
    let sent = Instant::now();
    client.send("GET /delay/0 HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello");
    client.send(
        "POST /delay/0/url/http://x/ HTTP/1.1\r\nHost: x\r\nContent-Length: 12\r\n\r\nGET / HTTP/1",
    );
    client.send("GET /delay/1 HTTP/1.1\r\nHost: x\r\n\r\n");
    assert_eq!(client.response(sent).status, 200);
    let redirect = client.response(sent);
    assert_eq!(
        (redirect.status, redirect.header("location")),
        (307, Some("http://x/"))
    );
    assert_eq!(client.response(sent).body, "delayed 1 ms: /delay/1\n");
    drop(client);
    let stats = server.stop().unwrap();
    assert_eq!((stats.requests, stats.answered), (3, 3), "{stats:?}");
}

#[test]
fn expect_100_continue_is_answered_at_once() {
    let server = start(keep_config());
    let mut client = Client::new(addr(&server));
    let sent = Instant::now();
    client.send("POST /delay/200/url/http://x/ HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 4\r\n\r\n");
    let interim = client.response(sent);
    assert_eq!(interim.status, 100, "{interim:?}");
    assert!(interim.elapsed < Duration::from_millis(200), "{interim:?}");
    client.send("body");
    let response = client.response(sent);
    assert_eq!(response.status, 307, "{response:?}");
    assert!(
        response.elapsed >= Duration::from_millis(200),
        "{response:?}"
    );
}

#[test]
fn a_client_that_never_reads_is_closed_after_the_send_timeout() {
    let send_timeout = Duration::from_millis(500);
    let server = start(ServerConfig {
        send_timeout,
        max_requests_per_connection: u32::MAX,
        ..keep_config()
    });
    let socket = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).unwrap();
    socket.set_recv_buffer_size(4096).unwrap();
    socket.connect(&addr(&server).into()).unwrap();
    let stream = TcpStream::from(socket);
    // Long paths make long responses: tens of megabytes asked for, never read.
    let request = format!(
        "GET /delay/0?{} HTTP/1.1\r\nHost: x\r\n\r\n",
        "p".repeat(180)
    );
    let burst = request.repeat(1000);
    let writer = stream.try_clone().unwrap();
    let started = Instant::now();
    let pusher = std::thread::spawn(move || {
        for _ in 0..200 {
            if (&writer).write_all(burst.as_bytes()).is_err() {
                return true; // the server closed: the write fails
            }
        }
        false
    });
    assert!(pusher.join().unwrap(), "the server closed the connection");
    assert!(started.elapsed() >= send_timeout, "{:?}", started.elapsed());
    let stats = server.stop().unwrap();
    assert!(stats.dropped > 0, "{stats:?}");
    assert_eq!(stats.requests, stats.answered + stats.dropped, "{stats:?}");
}

#[test]
fn requests_sent_after_the_last_response_count_as_dropped() {
    // Past the request cap, or after a request that asked to close, the requests that
    // came in the same read are never answered: each counts once, as dropped.
    let server = start(ServerConfig {
        max_requests_per_connection: 2,
        ..keep_config()
    });
    let get = "GET /delay/0 HTTP/1.1\r\nHost: x\r\n\r\n";
    let mut capped = Client::new(addr(&server));
    capped.send(get.repeat(4));
    let sent = Instant::now();
    assert_eq!(capped.response(sent).status, 200);
    let last = capped.response(sent);
    assert_eq!(last.header("connection"), Some("close"), "{last:?}");
    assert!(capped.closes());
    let mut closer = Client::new(addr(&server));
    closer.send(format!(
        "GET /delay/0 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n{get}POST /delay/0/url/x HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nhi{get}GET /partial"
    ));
    assert_eq!(closer.response(sent).status, 200);
    assert!(closer.closes());
    let stats = server.stop().unwrap();
    assert_eq!(
        (stats.requests, stats.answered, stats.dropped),
        (4 + 4, 2 + 1, 2 + 3),
        "{stats:?}"
    );
}

#[test]
fn a_client_that_half_closes_after_its_requests_still_gets_every_answer() {
    // `nc -N`: the requests, then FIN. The server answers both, in order and no
    // sooner than asked, then closes.
    let server = start(config(Framing::Length));
    let mut stream = connect(addr(&server));
    let sent = Instant::now();
    stream
        .write_all(
            b"GET /delay/200 HTTP/1.1\r\nHost: x\r\n\r\nGET /delay/50 HTTP/1.1\r\nHost: x\r\n\r\n",
        )
        .unwrap();
    stream.shutdown(std::net::Shutdown::Write).unwrap();
    let raw = read_to_close(&mut stream);
    let elapsed = sent.elapsed();
    let text = String::from_utf8_lossy(&raw);
    assert_eq!(text.matches("HTTP/1.1 200 OK").count(), 2, "{text}");
    let first = text.find("delayed 200 ms").unwrap();
    let second = text.find("delayed 50 ms").unwrap();
    assert!(first < second, "{text}");
    assert!(elapsed >= Duration::from_millis(200), "{elapsed:?}");
    let stats = server.stop().unwrap();
    assert_eq!(
        (stats.requests, stats.answered, stats.dropped),
        (2, 2, 0),
        "{stats:?}"
    );
}

#[test]
fn a_fin_behind_requests_held_by_the_pipeline_bound_still_gets_them_all_answered() {
    // 64 slow requests fill the pipeline bound, 836 more (more than one read
    // takes) wait unread in the server's input and its socket, then the FIN: the
    // server reads them once there is room, answers all 900 in order, then closes
    // cleanly (no reset over unread requests).
    let server = start(config(Framing::Length));
    let mut stream = connect(addr(&server));
    let mut burst = Vec::new();
    for _ in 0..64 {
        burst.extend_from_slice(b"GET /delay/300 HTTP/1.1\r\nHost: x\r\n\r\n");
    }
    for _ in 0..836 {
        burst.extend_from_slice(b"GET /delay/0 HTTP/1.1\r\nHost: x\r\n\r\n");
    }
    assert!(burst.len() > 16 * 1024, "more than one read");
    stream.write_all(&burst).unwrap();
    stream.shutdown(std::net::Shutdown::Write).unwrap();
    let raw = read_to_close(&mut stream);
    let text = String::from_utf8_lossy(&raw);
    assert_eq!(text.matches("HTTP/1.1 200 OK").count(), 900);
    let last_slow = text.rfind("delayed 300 ms").unwrap();
    let first_fast = text.find("delayed 0 ms").unwrap();
    assert!(last_slow < first_fast, "in request order");
    let stats = server.stop().unwrap();
    assert_eq!(
        (stats.requests, stats.answered, stats.dropped),
        (900, 900, 0),
        "{stats:?}"
    );
}
