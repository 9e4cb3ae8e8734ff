//! The timeout lab end to end: the real `slow-client` binary against a real
//! `slow-client serve` (or its embedded server): `/status`, `/drip` with the path
//! template filling query values, and every `/fault/{kind}` reported as that kind.

mod util;

#[test]
fn status_routes_answer_each_request_with_the_asked_status_after_its_delay() {
    let run = util::run_json(&[
        "--count",
        "3",
        "--step-ms",
        "100",
        "--path",
        "/status/503?delay={s}&id={id}",
    ]);
    let outcomes = run.outcomes();
    assert_eq!(outcomes.len(), 3, "{run:#?}");
    for id in 1..=3u64 {
        let line = run.outcome(id);
        assert_eq!(line["event"], "response", "{line}");
        assert_eq!(line["status"], 503, "{line}");
        assert_eq!(line["reason"], "Service Unavailable", "{line}");
        let delay = line["delay_ms"].as_f64().unwrap();
        let elapsed = line["elapsed_ms"].as_f64().unwrap();
        assert!(elapsed >= delay, "early: {line}");
    }
}

/// `slow-client serve` on a free loopback port, killed when dropped.
struct Serve {
    child: std::process::Child,
    addr: String,
}

impl Serve {
    fn start(extra: &[&str]) -> Serve {
        use std::io::BufRead as _;
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_slow-client"))
            .args(["serve", "--listen", "127.0.0.1:0"])
            .args(extra)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("start serve");
        let mut first = String::new();
        std::io::BufReader::new(child.stdout.take().expect("stdout"))
            .read_line(&mut first)
            .expect("serve prints its address");
        let addr = first
            .trim()
            .strip_prefix("listening on ")
            .unwrap_or_else(|| panic!("first line names the address: {first:?}"))
            .to_owned();
        Serve { child, addr }
    }
}

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The two ends prove each other: for every `/fault/{kind}` of a real `serve`, the
/// real client reports exactly that kind in its `--json` line.
#[test]
fn every_fault_route_makes_the_client_report_exactly_its_kind() {
    // A short delay cap bounds how long /fault/timeout can hold a connection.
    let serve = Serve::start(&["--max-delay-ms", "5000"]);
    for kind in [
        "closed_before_response",
        "truncated_head",
        "malformed_head",
        "head_too_large",
        "truncated_body",
        "bad_chunk",
        "body_too_large",
        "reset",
        "timeout",
    ] {
        let path = format!("/fault/{kind}?delay=0.05");
        let run = util::run_json(&[
            "--server",
            &serve.addr,
            "--count",
            "1",
            "--path",
            &path,
            "--timeout",
            "1",
        ]);
        let line = run.outcome(1);
        assert_eq!(line["event"], "error", "{kind}: {line}");
        assert_eq!(line["kind"], kind, "{kind}: {line}");
    }
}

#[test]
fn drips_fill_their_duration_from_the_path_template_and_arrive_whole() {
    let serve = Serve::start(&[]);
    let run = util::run_json(&[
        "--server",
        &serve.addr,
        "--count",
        "3",
        "--step-ms",
        "200",
        "--path",
        "/drip?numbytes=5&duration={s}&delay=0",
    ]);
    for id in 1..=3u64 {
        let line = run.outcome(id);
        assert_eq!(line["event"], "response", "{line}");
        assert_eq!(line["body_bytes"], 5, "{line}");
        // The last byte leaves at 4/5 of the duration: never before.
        let duration = line["delay_ms"].as_f64().unwrap();
        let elapsed = line["elapsed_ms"].as_f64().unwrap();
        assert!(elapsed >= duration * 4.0 / 5.0, "early: {line}");
    }
}
