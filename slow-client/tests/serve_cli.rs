//! `slow-client serve` as a user runs it: the first line names the address, a plain
//! HTTP client gets its delayed answer, SIGINT stops at once, SIGTERM after the
//! responses in flight, `--access-log` logs each response.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Starts `slow-client serve` on a free port with `extra` flags; returns it and its address.
fn serve(extra: &[&str]) -> (Child, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_slow-client"))
        .args(["serve", "--listen", "127.0.0.1:0"])
        .args(extra)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    let addr = first
        .trim()
        .strip_prefix("listening on ")
        .unwrap_or_else(|| panic!("first line names the address: {first:?}"))
        .to_owned();
    (child, addr)
}

/// Waits for a stopping server: it exits 0, and its stderr is returned.
fn stopped(child: Child) -> String {
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    stderr
}

fn signal(child: &Child, name: &str) {
    let status = Command::new("kill")
        .args([name, &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
}

fn connect(addr: &str) -> TcpStream {
    let stream = TcpStream::connect(addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    stream
}

#[test]
fn serve_prints_its_address_answers_after_the_delay_and_stops_on_sigint() {
    let (child, addr) = serve(&[]);
    let mut stream = connect(&addr);
    let started = Instant::now();
    stream
        .write_all(b"GET /delay/200/url/http://www.google.com HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    assert!(
        started.elapsed() >= Duration::from_millis(200),
        "never early"
    );
    assert!(response.starts_with("HTTP/1.1 302 Found\r\n"), "{response}");
    assert!(
        response.contains("\r\nLocation: http://www.google.com\r\n"),
        "{response}"
    );

    signal(&child, "-INT");
    let stderr = stopped(child);
    assert!(
        stderr.contains("stopped: 1 connections, 1 requests: 1 answered, 0 rejected, 0 dropped"),
        "{stderr}"
    );
}

#[test]
fn sigterm_finishes_the_responses_in_flight_then_exits() {
    let (child, addr) = serve(&[]);
    let mut waiting = connect(&addr);
    let started = Instant::now();
    waiting
        .write_all(b"GET /delay/600 HTTP/1.1\r\nHost: x\r\n\r\n")
        .unwrap();
    // A request under way (a connection that has sent nothing stays in the kernel
    // until its deferred accept ends, a second later: see `server/listen.rs`).
    let mut idle = connect(&addr);
    idle.write_all(b"GET /").unwrap();
    // Let the server read both before the signal.
    std::thread::sleep(Duration::from_millis(150));
    signal(&child, "-TERM");
    let mut response = String::new();
    waiting.read_to_string(&mut response).unwrap();
    assert!(response.starts_with("HTTP/1.1 200 OK\r\n"), "{response}");
    assert!(
        response.ends_with("delayed 600 ms: /delay/600\n"),
        "{response}"
    );
    assert!(
        started.elapsed() >= Duration::from_millis(600),
        "never early"
    );
    let stderr = stopped(child);
    // The other request never finished: it counts as dropped.
    assert!(
        stderr.contains("stopped: 2 connections, 2 requests: 1 answered, 0 rejected, 1 dropped"),
        "{stderr}"
    );
    drop(idle);
}

#[test]
fn several_threads_share_the_port_and_all_drain_on_sigterm() {
    let (child, addr) = serve(&["--threads", "3"]);
    let started = Instant::now();
    // SO_REUSEPORT spreads connections by their ports: with several, every loop gets some.
    let mut streams: Vec<TcpStream> = (0..9)
        .map(|_| {
            let mut stream = connect(&addr);
            stream
                .write_all(b"GET /delay/400 HTTP/1.1\r\nHost: x\r\n\r\n")
                .unwrap();
            stream
        })
        .collect();
    std::thread::sleep(Duration::from_millis(150));
    signal(&child, "-TERM");
    for stream in &mut streams {
        let mut response = String::new();
        stream.read_to_string(&mut response).unwrap();
        assert!(response.starts_with("HTTP/1.1 200 OK\r\n"), "{response}");
    }
    assert!(
        started.elapsed() >= Duration::from_millis(400),
        "never early"
    );
    let stderr = stopped(child);
    assert!(
        stderr.contains("stopped: 9 connections, 9 requests: 9 answered, 0 rejected, 0 dropped"),
        "{stderr}"
    );
}

#[test]
fn access_log_prints_one_line_per_response() {
    let (child, addr) = serve(&["--access-log"]);
    let mut stream = connect(&addr);
    stream
        .write_all(b"GET /delay/20 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    signal(&child, "-INT");
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    let line = stderr
        .lines()
        .find(|l| l.contains("\"GET /delay/20 HTTP/1.1\""))
        .unwrap_or_else(|| panic!("no access-log line: {stderr}"));
    let peer = stream.local_addr().unwrap().to_string();
    assert!(line.contains(&format!(" {peer} ")), "{line}");
    assert!(line.contains(" 200 delay=20ms late="), "{line}");
    assert!(line.ends_with("ms"), "{line}");
}

#[test]
fn serving_beyond_loopback_needs_allow_public() {
    let out = Command::new(env!("CARGO_BIN_EXE_slow-client"))
        .args(["serve", "--listen", "0.0.0.0:0"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("not a loopback address") && stderr.contains("--allow-public"),
        "{stderr}"
    );
    assert!(out.stdout.is_empty(), "nothing was listening");
}

#[test]
fn a_url_pasted_from_the_browser_reaches_a_separate_server() {
    let (mut child, addr) = serve(&[]);
    let run = Command::new(env!("CARGO_BIN_EXE_slow-client"))
        .args(["--server", &format!("http://{addr}/"), "--count", "2"])
        .args(["--step-ms", "0", "--json"])
        .output()
        .unwrap();
    let _ = child.kill();
    let _ = child.wait();
    let stdout = String::from_utf8_lossy(&run.stdout);
    assert_eq!(run.status.code(), Some(0), "{stdout}");
    assert!(stdout.contains(r#""ok":2,"#), "{stdout}");
}

#[test]
fn body_timeout_cuts_off_a_trickled_request_body() {
    // `--body-timeout`: a body read only to be discarded has this long in all, from
    // its head; the answer (sent at once) stays, then the connection closes.
    let (child, addr) = serve(&["--body-timeout", "0.3"]);
    let mut stream = connect(&addr);
    let started = Instant::now();
    stream
        .write_all(
            b"POST /delay/0/url/http://x/ HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\nab",
        )
        .unwrap();
    let mut response = Vec::new();
    let _ = stream.read_to_end(&mut response); // a reset after the data also ends it
    let elapsed = started.elapsed();
    let text = String::from_utf8_lossy(&response);
    assert!(text.starts_with("HTTP/1.1 307 "), "{text}");
    assert!(
        elapsed >= Duration::from_millis(300),
        "closed early: {elapsed:?}"
    );
    assert!(elapsed < Duration::from_secs(5), "{elapsed:?}");
    signal(&child, "-INT");
    stopped(child);
}
