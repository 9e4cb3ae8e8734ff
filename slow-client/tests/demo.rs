//! The demo end to end: the binary, its embedded server, every framing.

mod util;

use std::process::Command;

fn ids_in_arrival_order(run: &util::JsonRun) -> Vec<u64> {
    let mut responses: Vec<_> = run
        .outcomes()
        .into_iter()
        .filter(|l| l["event"] == "response")
        .map(|l| (l["order"].as_u64().unwrap(), l["id"].as_u64().unwrap()))
        .collect();
    responses.sort();
    responses.into_iter().map(|(_, id)| id).collect()
}

/// The client's three body-framing paths need a body to frame: `/delay/{ms}` has one
/// (the default path's 302 has none).
fn check_descending_run(framing: &str) {
    let run = util::run_json(&[
        "--count",
        "5",
        "--step-ms",
        "150",
        "--framing",
        framing,
        "--path",
        "/delay/{ms}",
    ]);
    assert_eq!(run.status, Some(0), "{framing}: {}", run.stderr);
    assert_eq!(ids_in_arrival_order(&run), [5, 4, 3, 2, 1], "{framing}");
    for line in run.outcomes() {
        let delay = line["delay_ms"].as_f64().unwrap();
        let elapsed = line["elapsed_ms"].as_f64().unwrap();
        assert!(elapsed >= delay, "never early: {line}");
        assert!(elapsed < delay + 5_000.0, "not absurdly late: {line}");
        assert!(line["body_bytes"].as_u64().unwrap() > 0);
        assert_eq!(line["status"], 200);
    }
    let s = run.summary();
    assert_eq!(
        (
            s["requested"].as_u64(),
            s["ok"].as_u64(),
            s["failed"].as_u64()
        ),
        (Some(5), Some(5), Some(0))
    );
    assert_eq!(s["in_order"], true);
    assert_eq!(s["inversions"], 0);
    assert!(s["lateness_ms"]["max"].as_f64().unwrap() >= 0.0);
}

#[test]
fn answers_arrive_shortest_delay_first_with_content_length() {
    check_descending_run("length");
}

#[test]
fn answers_arrive_shortest_delay_first_with_chunked_bodies() {
    check_descending_run("chunked");
}

#[test]
fn answers_arrive_shortest_delay_first_with_close_delimited_bodies() {
    check_descending_run("close");
}

#[test]
fn the_default_path_is_answered_302_found_as_slowwly_answered() {
    let run = util::run_json(&["--count", "3", "--step-ms", "50"]);
    assert_eq!(run.status, Some(0), "{}", run.stderr);
    for line in run.outcomes() {
        assert_eq!(line["status"], 302, "{line}");
        assert_eq!(line["body_bytes"], 0, "{line}");
    }
    assert_eq!(run.summary()["ok"], 3);
}

#[test]
fn human_output_has_one_received_line_per_request_then_finished() {
    let out = Command::new(env!("CARGO_BIN_EXE_slow-client"))
        .args(["--count", "3", "--step-ms", "50"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let stdout = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 4, "{stdout}");
    for (line, id) in lines.iter().zip([3, 2, 1]) {
        assert!(
            line.starts_with(&format!("RECEIVED: id {id}, delay ")),
            "{line}"
        );
        assert!(line.contains("HTTP/1.1 302 Found"), "{line}");
    }
    assert!(
        lines[3].starts_with("FINISHED: 3 of 3 answered in ")
            && lines[3].contains("arrival order 3 2 1"),
        "{}",
        lines[3]
    );
}

#[test]
fn bad_flags_are_usage_errors_with_status_2() {
    for args in [
        &["--count", "zero"][..],
        &["--no-such-flag"],
        &["--path", "no-slash"],
        &["--timeout", "-3"],
    ] {
        let out = Command::new(env!("CARGO_BIN_EXE_slow-client"))
            .args(args)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(!out.stderr.is_empty(), "{args:?} explains itself");
    }
}

#[test]
fn an_enormous_timeout_means_no_deadline_not_a_crash() {
    let run = util::run_json(&["--count", "2", "--step-ms", "10", "--timeout", "1e19"]);
    assert_eq!(run.status, Some(0), "{}", run.stderr);
    assert_eq!(run.summary()["ok"], 2);
}

#[test]
fn help_and_version_exit_successfully() {
    for flag in ["--help", "--version"] {
        let out = Command::new(env!("CARGO_BIN_EXE_slow-client"))
            .arg(flag)
            .output()
            .unwrap();
        assert!(out.status.success(), "{flag}");
        assert!(!out.stdout.is_empty(), "{flag}");
    }
}
