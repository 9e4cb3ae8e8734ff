//! Resource limits are checked before the run, not discovered halfway through it.

use std::process::Command;

/// Runs slow-client under `ulimit -n <limit>` (soft and hard, so it cannot raise it).
fn run_with_fd_limit(limit: u32, args: &str) -> std::process::Output {
    Command::new("sh")
        .arg("-c")
        .arg(format!("ulimit -n {limit} && exec \"$0\" {args}",))
        .arg(env!("CARGO_BIN_EXE_slow-client"))
        .output()
        .expect("run sh")
}

#[test]
fn a_run_needing_more_descriptors_than_the_limit_is_refused_before_any_socket() {
    let out = run_with_fd_limit(200, "--count 500 --step-ms 0 --json");
    assert_eq!(out.status.code(), Some(2));
    assert!(
        out.stdout.is_empty(),
        "no request was reported: nothing started"
    );
    let err = String::from_utf8_lossy(&out.stderr);
    // Both ends of each connection live in this process: 2 per request,
    // one listener, 64 spare.
    assert!(
        err.contains("500 requests need about 1065 file descriptors"),
        "{err}"
    );
    assert!(err.contains("limit is 200"), "{err}");
    assert!(
        err.contains("ulimit -n") && err.contains("slow-client serve"),
        "says what to do: {err}"
    );
}

#[test]
fn a_run_that_fits_the_limit_completes() {
    let out = run_with_fd_limit(200, "--count 60 --step-ms 0 --json");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn requests_spread_over_several_ports_all_succeed() {
    let out = Command::new(env!("CARGO_BIN_EXE_slow-client"))
        .args(["--count", "30", "--step-ms", "0", "--ports", "3"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let err = String::from_utf8_lossy(&out.stderr);
    let listening = err.lines().find(|l| l.contains("listening on")).unwrap();
    assert_eq!(listening.matches("127.0.0.1:").count(), 3, "{listening}");
}
