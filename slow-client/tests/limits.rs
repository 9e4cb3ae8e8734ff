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
    // 16 spare for the client, 16 for the embedded server, one listener.
    assert!(
        err.contains("--count 500 needs 1033 file descriptors (2 per request: both ends live in this process, plus 33 spare)"),
        "{err}"
    );
    assert!(err.contains("limit is 200 (hard limit 200)"), "{err}");
    // What fits now, here and against a separate server.
    assert!(
        err.contains("This limit fits --count 83, or --count 184 with --server"),
        "{err}"
    );
    assert!(err.contains("run `ulimit -n 1033` first"), "{err}");
}

#[test]
fn the_largest_count_said_to_fit_does_fit() {
    let out = run_with_fd_limit(200, "--count 83 --step-ms 0 --json");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = run_with_fd_limit(200, "--count 84 --step-ms 0 --json");
    assert_eq!(out.status.code(), Some(2));
}

/// With `--server` only the client's ends count, with no listener or server
/// spare, and the advice is never to use `--server`.
#[test]
fn a_run_with_server_counts_only_its_own_sockets_and_advises_a_ulimit() {
    let out = run_with_fd_limit(200, "--count 500 --step-ms 0 --server 127.0.0.1:9 --json");
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty(), "nothing started");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("--count 500 needs 516 file descriptors (1 per request, plus 16 spare)"),
        "{err}"
    );
    assert!(err.contains("This limit fits --count 184."), "{err}");
    assert!(err.contains("run `ulimit -n 516` first"), "{err}");
    assert!(
        !err.contains("--server") && !err.contains("slow-client serve"),
        "no advice to do what the run already does: {err}"
    );
    // 184 fits: it goes on to connect (refused: nothing listens on port 9).
    let out = run_with_fd_limit(200, "--count 184 --step-ms 0 --server 127.0.0.1:9 --json");
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
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
