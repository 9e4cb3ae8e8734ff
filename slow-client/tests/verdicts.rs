//! What a run says about itself, end to end: warnings before it, the
//! `FINISHED` line's words, refused values, and the exit status.

mod util;

use std::process::{Command, Output};
use util::fault_server::{self, Fault};

/// Runs `slow-client ARGS` (human output); stdout and stderr as text.
fn run(args: &[&str]) -> (Option<i32>, String, String) {
    let out: Output = Command::new(env!("CARGO_BIN_EXE_slow-client"))
        .args(args)
        .output()
        .expect("run slow-client");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn finished(stdout: &str) -> &str {
    stdout
        .lines()
        .last()
        .filter(|l| l.starts_with("FINISHED: "))
        .unwrap_or_else(|| panic!("the summary is the last line: {stdout}"))
}

// Item 3: a server that ignores the delay.

#[test]
fn a_path_without_the_delay_is_warned_about_and_early_answers_are_counted() {
    // The embedded server answers `/` (its index) at once: request 1 asked
    // for 1000 ms and got its answer long before.
    let (status, stdout, stderr) = run(&["--count", "2", "--step-ms", "1000", "--path", "/"]);
    assert!(
        stderr.contains(r#"warning: --path "/" has neither {ms} nor {s}"#),
        "{stderr}"
    );
    assert_eq!(status, Some(1), "the run did not show the delays");
    let line = finished(&stdout);
    assert!(line.starts_with("FINISHED: 2 of 2 answered"), "{line}");
    assert!(
        line.contains("; 1 answered before their delay (the server did not wait"),
        "{line}"
    );
    let json = util::run_json(&["--count", "2", "--step-ms", "1000", "--path", "/"]);
    let summary = json.summary();
    assert_eq!(summary["early"], 1, "{summary}");
    // Only request 2 (delay 0) honoured its delay: no negative lateness.
    let lateness = &summary["lateness_ms"];
    assert!(lateness["p50"].as_f64().unwrap() >= 0.0, "{summary}");
    assert_eq!(json.status, Some(1));
}

// Item 4: the summary's words.

#[test]
fn failures_say_why_with_their_counts() {
    let (status, stdout, _) = run(&["--count", "2", "--step-ms", "0", "--path", "/nope"]);
    assert_eq!(status, Some(1));
    let line = finished(&stdout);
    assert!(
        line.starts_with("FINISHED: 0 of 2 answered in ")
            && line.contains(", 2 failed (HTTP 404 ×2)"),
        "{line}"
    );
}

#[test]
fn failure_kinds_are_counted_apart() {
    let addr = fault_server::start(vec![
        Fault::Ok,
        Fault::ResetBeforeAnyByte,
        Fault::GarbageStatusLine,
        Fault::ResetBeforeAnyByte,
    ]);
    let server = addr.to_string();
    let (status, stdout, _) = run(&[
        "--count",
        "4",
        "--step-ms",
        "0",
        "--server",
        &server,
        "--path",
        "/fault/{id}",
    ]);
    assert_eq!(status, Some(1));
    let line = finished(&stdout);
    assert!(
        line.contains(", 3 failed (reset ×2, malformed_head ×1)"),
        "{line}"
    );
}

#[test]
fn equal_delays_do_not_claim_an_order() {
    let (status, stdout, _) = run(&["--count", "3", "--step-ms", "0"]);
    assert_eq!(status, Some(0));
    let line = finished(&stdout);
    assert!(
        line.contains("(every delay equal: no order to show)"),
        "{line}"
    );
    assert!(!line.contains("shortest delay first"), "{line}");
}

#[test]
fn a_long_arrival_order_says_how_much_it_elides() {
    let (_, stdout, _) = run(&["--count", "25", "--step-ms", "3"]);
    let line = finished(&stdout);
    assert!(
        line.contains(" … (5 more elided; --json lists every one) ("),
        "{line}"
    );
}

#[test]
fn lateness_is_printed_with_two_decimals_as_on_the_progress_line() {
    let (_, stdout, _) = run(&["--count", "2", "--step-ms", "5"]);
    let line = finished(&stdout);
    let at = line.find("; lateness p50 ").expect("lateness") + "; lateness p50 ".len();
    let p50 = line[at..].split(' ').next().unwrap();
    let decimals = p50.split('.').nth(1).map_or(0, str::len);
    assert_eq!(decimals, 2, "{line}");
}

// Item 5: values that cannot be meant.

#[test]
fn a_zero_timeout_is_refused() {
    let (status, stdout, stderr) = run(&["--timeout", "0"]);
    assert_eq!(status, Some(2));
    assert!(stdout.is_empty(), "nothing ran");
    assert!(
        stderr.contains("--timeout 0 would end every request before it starts"),
        "{stderr}"
    );
}

#[test]
fn a_run_waiting_longer_than_a_day_is_refused_with_the_bound() {
    let (status, stdout, stderr) = run(&["--count", "3", "--step-ms", "99999999999"]);
    assert_eq!(status, Some(2));
    assert!(stdout.is_empty(), "nothing ran");
    assert!(
        stderr.contains("delays up to 199999999998 ms (6.3 years)"),
        "{stderr}"
    );
    assert!(
        stderr.contains("at most 24 hours (86400000 ms)"),
        "{stderr}"
    );
}

#[test]
fn an_answer_after_the_timeout_is_a_timeout() {
    // Request 1 asks for 1000 ms; the deadline is 1 s from the run's start,
    // before request 1 is written, so its answer always comes after it:
    // whether the loop sees the deadline or the answer first, it is a timeout.
    let run = util::run_json(&["--count", "2", "--step-ms", "1000", "--timeout", "1"]);
    assert_eq!(run.status, Some(1));
    let first = run.outcome(1);
    assert_eq!(first["event"], "error", "{first}");
    assert_eq!(first["kind"], "timeout", "{first}");
    assert_eq!(run.outcome(2)["event"], "response");
}

// Item 2: a large run to one address.

#[test]
fn a_run_crowding_one_address_is_warned_about_with_how_to_spread_it() {
    // Nothing listens on port 9: every connect is refused at once, so the
    // run is quick; the warning comes before it.
    let (status, _, stderr) = run(&[
        "--count",
        "8193",
        "--step-ms",
        "1",
        "--server",
        "127.0.0.1:9",
        "--no-progress",
    ]);
    assert_eq!(status, Some(1));
    assert!(
        stderr.contains("warning: 8193 connections to 127.0.0.1:9 at once"),
        "{stderr}"
    );
    assert!(
        stderr.contains("spread the run over 2 addresses: start 2 servers (`slow-client serve --listen 127.0.0.1:PORT`, one port each) and pass each with its own --server"),
        "{stderr}"
    );
    let (_, _, quiet) = run(&[
        "--count",
        "100",
        "--step-ms",
        "1",
        "--server",
        "127.0.0.1:9",
    ]);
    assert!(!quiet.contains("warning"), "{quiet}");
}

// Item 6: small consistencies.

#[test]
fn plot_says_where_it_wrote_the_picture() {
    let dir = std::env::temp_dir().join(format!("slow-client-verdicts-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let svg = dir.join("run.svg");
    let (status, _, stderr) = run(&[
        "--count",
        "2",
        "--step-ms",
        "0",
        "--plot",
        svg.to_str().unwrap(),
    ]);
    assert_eq!(status, Some(0), "{stderr}");
    assert!(
        stderr.contains(&format!("wrote {}", svg.display())),
        "{stderr}"
    );
    std::fs::remove_dir_all(dir).unwrap();
}

// Item 8: the kernel's events, as it returned them.

#[test]
fn trace_events_prints_each_event_with_its_flags_and_raw_bytes() {
    let (status, stdout, _) = run(&["--count", "2", "--step-ms", "0", "--trace-events"]);
    assert_eq!(status, Some(0));
    let events: Vec<&str> = stdout
        .lines()
        .filter(|l| l.starts_with("EVENT: "))
        .collect();
    assert!(!events.is_empty(), "{stdout}");
    let size = if cfg!(target_arch = "x86_64") {
        12
    } else {
        std::mem::size_of::<epoll_sys::epoll_event>()
    };
    for line in &events {
        let bytes = line.split(" bytes: ").nth(1).expect("the raw bytes");
        assert_eq!(bytes.split(' ').count(), size, "{line}");
        assert!(line.contains(&format!(", {size} bytes: ")), "{line}");
    }
    // Each socket's connect ends with EPOLLOUT; each answer with EPOLLIN.
    for token in [1, 2] {
        assert!(
            events.iter().any(
                |l| l.starts_with(&format!("EVENT: token {token}, ")) && l.contains("EPOLLOUT")
            ),
            "{stdout}"
        );
        assert!(
            events.iter().any(|l| l.starts_with(&format!("EVENT: token {token}, ")) && l.contains("EPOLLIN")),
            "{stdout}"
        );
    }
    if cfg!(target_arch = "x86_64") {
        // Packed: the token's 8 bytes (little-endian) follow the 4 of the
        // flags at once, with no padding between them.
        for line in &events {
            let token: u8 = line["EVENT: token ".len()..]
                .split(',')
                .next()
                .unwrap()
                .parse()
                .unwrap();
            let bytes: Vec<&str> = line.split(" bytes: ").nth(1).unwrap().split(' ').collect();
            assert_eq!(bytes[4], format!("{token:02x}"), "{line}");
            assert!(bytes[5..].iter().all(|b| *b == "00"), "{line}");
            assert_ne!(bytes[..4], ["00"; 4], "the flags come first: {line}");
        }
    }
}

#[test]
fn trace_events_with_json_keeps_stdout_json() {
    let run = util::run_json(&["--count", "2", "--step-ms", "0", "--trace-events"]);
    assert_eq!(run.status, Some(0));
    assert_eq!(run.outcomes().len(), 2, "stdout parsed as JSON lines");
    assert!(run.stderr.contains("EVENT: token "), "{}", run.stderr);
}

/// A listener whose accept queue is full (backlog 0, one connection queued
/// and never accepted): further connects to it hang (their SYNs are
/// dropped), as connects to a crowded address slow down. Dropped after
/// `for_how_long`.
fn hanging_address(for_how_long: std::time::Duration) -> std::net::SocketAddr {
    use socket2::{Domain, Socket, Type};
    let sock = Socket::new(Domain::IPV4, Type::STREAM, None).unwrap();
    sock.bind(&std::net::SocketAddr::from(([127, 0, 0, 1], 0)).into())
        .unwrap();
    sock.listen(0).unwrap();
    let addr = sock.local_addr().unwrap().as_socket().unwrap();
    let filler = std::net::TcpStream::connect(addr).unwrap();
    std::thread::spawn(move || {
        std::thread::sleep(for_how_long);
        drop((sock, filler));
    });
    addr
}

#[test]
fn a_run_whose_order_the_client_s_own_writing_broke_says_so() {
    use slow_client::server::{Server, ServerConfig};
    use std::time::Duration;
    // Requests 1 and 21 go to a hanging address, the rest to a delay
    // server. With one connect at a time, the writer waits 2 s for each
    // hanging connect before passing it: requests 2-20 are written at about
    // 2 s, requests 22-40 at about 4 s, so their answers (100 ms steps)
    // interleave: many inversions, all explained by the 2 s stall.
    let server = Server::bind(ServerConfig::default())
        .unwrap()
        .spawn()
        .unwrap();
    let good = server.local_addrs()[0].to_string();
    let hang = hanging_address(Duration::from_secs(8)).to_string();
    let mut args = vec!["--count", "40", "--step-ms", "100", "--max-connecting", "1"];
    args.extend(["--timeout", "6.5", "--server", &hang]);
    for _ in 0..19 {
        args.extend(["--server", &good]);
    }
    let (status, stdout, stderr) = run(&args);
    assert_eq!(status, Some(1), "{stderr}");
    let line = finished(&stdout);
    assert!(line.starts_with("FINISHED: 38 of 40 answered"), "{line}");
    assert!(
        line.contains("all explained by a stall of up to ")
            && line.contains("the client's own writing broke the order)"),
        "{line}"
    );
    let _ = server.stop();
}
