//! The client against a misbehaving server: every fault gets its named
//! outcome, every request is reported exactly once, the others still succeed.

mod util;

use util::fault_server::{self, Fault};

/// Each fault with the `kind` it must produce (`None`: a successful response).
const CASES: [(Fault, Option<&str>); 15] = [
    (Fault::Ok, None),
    (Fault::ResetBeforeAnyByte, Some("reset")),
    (Fault::ResetDuringBody, Some("reset")),
    (Fault::CloseBeforeAnyByte, Some("closed_before_response")),
    (Fault::GarbageStatusLine, Some("malformed_head")),
    (Fault::HugeHeaderLine, Some("head_too_large")),
    (Fault::HugeHead, Some("head_too_large")),
    (Fault::ShortBody, Some("truncated_body")),
    (Fault::BadChunkSize, Some("bad_chunk")),
    (Fault::ChunkedEndsEarly, Some("truncated_body")),
    (Fault::BodyOverCap, Some("body_too_large")),
    (Fault::NeverAnswer, Some("timeout")),
    (Fault::Trickle, None),
    (Fault::Http10CloseDelimited, None),
    (Fault::ContinueThenOk, None),
];

#[test]
fn every_fault_gets_its_named_outcome_and_the_rest_succeed() {
    let addr = fault_server::start(CASES.iter().map(|c| c.0).collect());
    let count = CASES.len().to_string();
    let server = addr.to_string();
    let run = util::run_json(&[
        "--server",
        &server,
        "--count",
        &count,
        "--step-ms",
        "0",
        "--path",
        "/fault/{id}",
        "--timeout",
        "2",
        "--max-body",
        "1000",
    ]);
    assert_eq!(run.status, Some(1), "some requests failed: {}", run.stderr);
    assert_eq!(run.outcomes().len(), CASES.len(), "each id exactly once");
    for (i, (fault, kind)) in CASES.iter().enumerate() {
        let line = run.outcome(i as u64 + 1);
        match kind {
            None => {
                assert_eq!(line["event"], "response", "{fault:?}: {line}");
                assert_eq!(line["status"], 200, "{fault:?}: {line}");
            }
            Some(kind) => {
                assert_eq!(line["event"], "error", "{fault:?}: {line}");
                assert_eq!(line["kind"], *kind, "{fault:?}: {line}");
                assert!(!line["message"].as_str().unwrap().is_empty());
            }
        }
    }
    let failures = CASES.iter().filter(|c| c.1.is_some()).count() as u64;
    let summary = run.summary();
    assert_eq!(summary["requested"], CASES.len() as u64);
    assert_eq!(summary["failed"], failures);
    assert_eq!(summary["ok"], CASES.len() as u64 - failures);
}

#[test]
fn a_refused_connection_is_connect_refused_for_every_request() {
    // Bind then drop: the port is (almost certainly) free and nobody listens.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let server = format!("127.0.0.1:{port}");
    let run = util::run_json(&["--server", &server, "--count", "3", "--step-ms", "0"]);
    assert_eq!(run.status, Some(1));
    for id in 1..=3 {
        assert_eq!(run.outcome(id)["kind"], "connect_refused");
    }
    assert_eq!(run.summary()["failed"], 3);
}

#[test]
fn a_server_with_a_malformed_port_is_a_setup_error() {
    let run = util::run_json(&["--server", "no-port-given:http"]);
    assert_eq!(run.status, Some(2));
    assert!(
        run.lines.is_empty(),
        "nothing reported before setup succeeds"
    );
    assert!(run.stderr.contains("expected HOST:PORT"), "{}", run.stderr);
}

/// `--server HOST` means port 80, as `http://HOST` does (nothing listens on
/// loopback's port 80 here, so the connect is refused, naming the port).
#[test]
fn a_server_without_a_port_means_port_80() {
    let run = util::run_json(&["--server", "127.0.0.1", "--count", "1"]);
    assert_eq!(run.status, Some(1), "{}", run.stderr);
    let outcome = run.outcome(1);
    assert_eq!(outcome["kind"], "connect_refused", "{outcome}");
    let message = outcome["message"].as_str().unwrap();
    assert!(message.contains("127.0.0.1:80"), "{message}");
}

#[test]
fn an_unresolvable_server_is_quoted_as_typed() {
    let run = util::run_json(&["--server", "http://nohost.invalid/"]);
    assert_eq!(run.status, Some(2));
    assert!(
        run.lines.is_empty(),
        "nothing reported before setup succeeds"
    );
    assert!(
        run.stderr
            .contains(r#"cannot resolve --server "http://nohost.invalid/""#),
        "{}",
        run.stderr
    );
}

#[test]
fn an_https_server_is_refused_before_any_request() {
    let run = util::run_json(&["--server", "https://127.0.0.1:8443/"]);
    assert_eq!(run.status, Some(2));
    assert!(run.lines.is_empty());
    assert!(
        run.stderr.contains("TLS is not supported"),
        "{}",
        run.stderr
    );
}

/// A listener whose accept queue is full: the kernel drops further SYNs, so a
/// connect to it hangs (retransmitting) instead of failing.
fn blackhole() -> (
    socket2::Socket,
    Vec<std::net::TcpStream>,
    std::net::SocketAddr,
) {
    use socket2::{Domain, Socket, Type};
    let listener = Socket::new(Domain::IPV4, Type::STREAM, None).unwrap();
    listener
        .bind(
            &"127.0.0.1:0"
                .parse::<std::net::SocketAddr>()
                .unwrap()
                .into(),
        )
        .unwrap();
    listener.listen(0).unwrap();
    let addr = listener.local_addr().unwrap().as_socket().unwrap();
    // Fill the queue (never accepted) so that later SYNs are dropped.
    let held = (0..2)
        .filter_map(|_| {
            std::net::TcpStream::connect_timeout(&addr, std::time::Duration::from_millis(300)).ok()
        })
        .collect();
    (listener, held, addr)
}

#[test]
fn hanging_connects_neither_block_nor_starve_the_other_requests() {
    let good = fault_server::start(vec![Fault::Ok; 8]);
    let (_listener, _held, hole) = blackhole();
    let (good, hole) = (good.to_string(), hole.to_string());
    // Requests alternate between the servers: odd ids to `good`, even to `hole`.
    // With only 2 connects in flight allowed, hanging ones must give up their
    // slots once passed, or the healthy requests would never connect.
    let run = util::run_json(&[
        "--server",
        &good,
        "--server",
        &hole,
        "--count",
        "8",
        "--step-ms",
        "0",
        "--path",
        "/fault/{id}",
        "--timeout",
        "7",
        "--max-connecting",
        "2",
    ]);
    assert_eq!(run.status, Some(1), "{}", run.stderr);
    for id in [1, 3, 5, 7] {
        assert_eq!(run.outcome(id)["event"], "response", "{}", run.outcome(id));
    }
    for id in [2, 4, 6, 8] {
        let line = run.outcome(id);
        assert_eq!(line["kind"], "timeout", "{line}");
        assert!(
            line["message"]
                .as_str()
                .unwrap()
                .contains("while connecting"),
            "{line}"
        );
    }
}

/// A server that answers each connection as soon as it accepts it, before the
/// request arrives, then reads the request and holds the connection open for
/// `hold` (no FIN, so no later edge tells the client anything new).
fn answers_before_the_request(hold: std::time::Duration) -> std::net::SocketAddr {
    use std::io::{Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            std::thread::spawn(move || {
                let ok = b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nearly";
                let _ = stream.write_all(ok);
                let _ = stream.read(&mut [0u8; 1024]);
                std::thread::sleep(hold);
            });
        }
    });
    addr
}

#[test]
fn an_answer_that_arrives_before_the_request_is_written_is_read_once_it_is() {
    // The writer starts only once every connect has finished, so most of
    // these answers arrive while their request still waits for it: their
    // edge comes before the request is out and must not be lost.
    let addr = answers_before_the_request(std::time::Duration::from_secs(6)).to_string();
    let run = util::run_json(&[
        "--server",
        &addr,
        "--count",
        "40",
        "--step-ms",
        "0",
        "--timeout",
        "3",
    ]);
    assert_eq!(run.status, Some(0), "{}", run.stderr);
    let summary = run.summary();
    assert_eq!(summary["ok"], 40, "{summary}");
}
