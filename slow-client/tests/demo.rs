//! The demo end to end: the binary, its embedded server, every framing.

mod util;

use slow_client::contract::{self, Expected};
use std::process::Command;

/// Runs 5 requests 150 ms apart with `framing` and checks them against the
/// contract the gate's demo step checks too. The client's three body-framing paths
/// need a body to frame: `/delay/{ms}` has one (the default path's 302 has none).
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
    let want = Expected {
        count: 5,
        step_ms: 150,
        answer: contract::DELAY_ANSWER,
        ..Expected::DEFAULT_RUN
    };
    if let Err(problems) = contract::check(&run.stdout, &want) {
        panic!("{framing}: {problems:#?}\n{}", run.stdout);
    }
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
    let want = Expected {
        count: 3,
        step_ms: 50,
        ..Expected::DEFAULT_RUN
    };
    assert_eq!(want.answer.status, 302);
    if let Err(problems) = contract::check(&run.stdout, &want) {
        panic!("{problems:#?}\n{}", run.stdout);
    }
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
