//! Signals during a run: stop/continue (EINTR inside `wait`) is absorbed;
//! SIGINT ends the run with a summary and exit status 130.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

fn spawn(args: &[&str]) -> Child {
    Command::new(env!("CARGO_BIN_EXE_slow-client"))
        .args(args)
        .arg("--json")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn slow-client")
}

fn kill(signal: &str, child: &Child) {
    let status = Command::new("kill")
        .args([signal, &child.id().to_string()])
        .status()
        .expect("run kill");
    assert!(status.success(), "kill {signal}");
}

fn json_lines(text: &str) -> Vec<serde_json::Value> {
    text.lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect()
}

/// Checks the lines of an interrupted `--count 5` run: every request once,
/// every failure `interrupted`, the summary last and saying so; returns it.
fn interrupted_run_of_five(lines: &[serde_json::Value]) -> &serde_json::Value {
    let mut ids: Vec<u64> = lines.iter().filter_map(|l| l["id"].as_u64()).collect();
    ids.sort_unstable();
    assert_eq!(ids, [1, 2, 3, 4, 5], "every request reported exactly once");
    for line in lines.iter().filter(|l| l["event"] == "error") {
        assert_eq!(line["kind"], "interrupted", "{line}");
    }
    let summary = lines.last().unwrap();
    assert_eq!(summary["event"], "summary");
    assert_eq!(summary["interrupted"], true);
    summary
}

#[test]
fn sigint_stops_the_run_reports_the_rest_as_interrupted_and_exits_130() {
    let mut child = spawn(&["--count", "5", "--step-ms", "1000"]);
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut seen = String::new();
    // Wait for the 0 ms answer (id 5), then interrupt long before id 4's 1 s.
    stdout.read_line(&mut seen).unwrap();
    assert!(seen.contains(r#""id":5"#), "{seen}");
    kill("-INT", &child);
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut stdout, &mut rest).unwrap();
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(130));

    let lines = json_lines(&(seen + &rest));
    let summary = interrupted_run_of_five(&lines);
    assert_eq!(
        (summary["ok"].as_u64(), summary["failed"].as_u64()),
        (Some(1), Some(4))
    );
}

#[test]
fn stop_and_continue_during_a_run_neither_breaks_nor_reorders_it() {
    let child = spawn(&["--count", "5", "--step-ms", "200"]);
    // SIGSTOP then SIGCONT makes a blocked epoll_wait fail with EINTR even
    // without a handler (signal(7)); `wait` must retry it. Bounded: ~1 s.
    let until = Instant::now() + Duration::from_millis(900);
    let mut rounds = 0;
    while Instant::now() < until && rounds < 40 {
        kill("-STOP", &child);
        std::thread::sleep(Duration::from_millis(5));
        kill("-CONT", &child);
        std::thread::sleep(Duration::from_millis(20));
        rounds += 1;
    }
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    let lines = json_lines(&String::from_utf8(out.stdout).unwrap());
    let summary = lines.last().unwrap();
    assert_eq!(summary["ok"], 5, "{summary}");
    assert_eq!(summary["in_order"], true, "{summary}");
    assert!(rounds >= 5, "the signals really were sent during the run");
}

#[test]
fn sigterm_stops_the_run_and_exits_143_as_128_plus_its_number() {
    let mut child = spawn(&["--count", "3", "--step-ms", "1000"]);
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut seen = String::new();
    stdout.read_line(&mut seen).unwrap();
    assert!(seen.contains(r#""id":3"#), "{seen}");
    kill("-TERM", &child);
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut stdout, &mut rest).unwrap();
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(143), "SIGTERM is 15: 128 + 15");
    let lines = json_lines(&(seen + &rest));
    let summary = lines.last().unwrap();
    assert_eq!(summary["interrupted"], true, "{summary}");
    for line in lines.iter().filter(|l| l["event"] == "error") {
        assert_eq!(line["kind"], "interrupted", "{line}");
    }
}

#[test]
fn sigint_with_output_to_a_file_still_writes_every_line_it_held() {
    // Into a regular file the lines wait for a 64 KiB block; an interrupt
    // must still leave every request's line and the summary in the file.
    let file = TempFile(
        std::env::temp_dir().join(format!("slow-client-sigint-{}.jsonl", std::process::id())),
    );
    let path = &file.0;
    let output = std::fs::File::create(path).unwrap();
    let child = Command::new(env!("CARGO_BIN_EXE_slow-client"))
        .args(["--count", "5", "--step-ms", "1000", "--json"])
        .stdout(output)
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn slow-client");
    // id 5 (0 ms) is answered at once and id 4 at 1 s; interrupt between.
    std::thread::sleep(Duration::from_millis(1500));
    let held = std::fs::read_to_string(path).unwrap();
    assert_eq!(held, "", "lines to a file wait for their block");
    kill("-INT", &child);
    let status = { child }.wait().unwrap();
    assert_eq!(status.code(), Some(130));
    let text = std::fs::read_to_string(path).unwrap();
    let lines = json_lines(&text);
    let summary = interrupted_run_of_five(&lines);
    let (ok, failed) = (
        summary["ok"].as_u64().unwrap(),
        summary["failed"].as_u64().unwrap(),
    );
    // id 5 is answered at once and id 4 (1 s) before the interrupt at 1.5 s,
    // unless a busy machine started the run late.
    assert!(ok <= 2 && ok + failed == 5, "{summary}");
}

/// A file removed when the test ends, passed or not.
struct TempFile(std::path::PathBuf);

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}
