//! The progress line on a real terminal: the binary under a pseudo-terminal
//! (util-linux `script`), its line drawn while the run goes, the report's
//! lines printed above it, and the line cleared before the summary and exit.

use std::process::{Command, Output};

/// Runs `slow-client ARGS` under `script`, whose stdout is the terminal's
/// transcript; `None` (with a message) where `script` is missing.
fn under_pty(args: &str) -> Option<Output> {
    let bin = env!("CARGO_BIN_EXE_slow-client");
    if Command::new("script").arg("--version").output().is_err() {
        eprintln!("skipped: util-linux `script` is not installed, no pseudo-terminal to test on");
        return None;
    }
    // Quoted for the shell `script` runs the command with: a path may hold spaces.
    let bin = format!("'{}'", bin.replace('\'', r"'\''"));
    let out = Command::new("script")
        .args(["-q", "-e", "-c", &format!("{bin} {args}"), "/dev/null"])
        .output()
        .expect("run script");
    Some(out)
}

/// What a terminal shows of each line: the text after the last carriage
/// return or erase-line sequence (the progress line's redraws).
fn shown_lines(transcript: &str) -> Vec<&str> {
    transcript
        .split("\r\n")
        .map(|l| {
            let after_cr = l.rsplit('\r').next().unwrap_or(l);
            after_cr.rsplit("\x1b[2K").next().unwrap_or(after_cr)
        })
        .collect()
}

#[test]
fn progress_line_is_drawn_on_a_terminal_and_cleared_before_the_summary() {
    // 2 ms steps: a busy machine's stalls of the writer then invert few
    // answers (this test is about the line, not the order).
    let Some(out) = under_pty("--count 300 --step-ms 2") else {
        return;
    };
    assert_eq!(out.status.code(), Some(0));
    let t = String::from_utf8_lossy(&out.stdout);
    assert!(t.contains("in flight"), "the line was drawn: {t}");
    let finished = t.find("FINISHED: 300 of 300").expect("the summary");
    let last_line = t.rfind("in flight").unwrap();
    assert!(last_line < finished, "the line is gone before the summary");
    let clear = t[last_line..finished].find("\x1b[2K");
    assert!(
        clear.is_some(),
        "the line was erased: {:?}",
        &t[last_line..]
    );
    assert!(
        !t[finished..].contains('\x1b'),
        "nothing drawn after the summary"
    );
    let shown = shown_lines(&t);
    let received = shown.iter().filter(|l| l.starts_with("RECEIVED: ")).count();
    assert_eq!(
        received, 300,
        "every report line whole, on a line of its own"
    );
}

#[test]
fn ctrl_c_clears_the_progress_line_before_the_summary() {
    // The shell sends SIGINT after 0.5 s, as Ctrl-C would, and exits with the run's status.
    let Some(out) =
        under_pty("--count 300 --step-ms 10 & pid=$!; sleep 0.5; kill -INT $pid; wait $pid")
    else {
        return;
    };
    assert_eq!(out.status.code(), Some(130), "the run's own exit status");
    let t = String::from_utf8_lossy(&out.stdout);
    let finished = t.find("FINISHED: ").expect("the summary");
    assert!(t[finished..].contains("(interrupted)"), "{t}");
    let last_line = t.rfind("in flight").expect("the line was drawn");
    assert!(last_line < finished, "the line is gone before the summary");
    assert!(t[last_line..finished].contains("\x1b[2K"), "erased");
    assert!(
        !t[finished..].contains('\x1b'),
        "nothing drawn after the summary"
    );
}

#[test]
fn a_small_run_that_will_take_long_shows_the_line_without_being_asked() {
    // 3 requests, but the longest delay is 12 s: progress by expected time.
    // Interrupted after 0.5 s (a bounded test), as Ctrl-C would.
    let Some(out) =
        under_pty("--count 3 --step-ms 6000 & pid=$!; sleep 0.5; kill -INT $pid; wait $pid")
    else {
        return;
    };
    assert_eq!(out.status.code(), Some(130));
    let t = String::from_utf8_lossy(&out.stdout);
    assert!(t.contains("/12.0 s"), "the line was drawn: {t}");
    assert!(t.contains("in flight"), "the line was drawn: {t}");
}

#[test]
fn the_line_moves_on_and_lines_print_while_no_answer_comes() {
    // Answers at 0, 300 and 600 ms: between them the loop has no event, yet
    // it wakes to redraw, and the first answer's line prints at once.
    let Some(out) = under_pty("--count 3 --step-ms 300 --progress") else {
        return;
    };
    assert_eq!(out.status.code(), Some(0));
    let t = String::from_utf8_lossy(&out.stdout);
    // Any redraw strictly between 0.1 s and 0.5 s: the loop woke with no answer due
    // (which tenth it lands on depends on how busy the machine is).
    let quiet = redraws(&t, "/0.6 s")
        .find(|&(_, elapsed)| elapsed > 0.1 && elapsed < 0.5)
        .map(|(at, _)| at)
        .unwrap_or_else(|| panic!("a redraw between answers: {t:?}"));
    let first = t.find("RECEIVED: id 3").expect("the first answer");
    assert!(first < quiet, "printed before the next answer came: {t:?}");
}

/// Each redraw's position in the transcript and its elapsed seconds, from the
/// `ELAPSED{suffix}` text the line starts with (e.g. `0.3/0.6 s`).
fn redraws<'t>(t: &'t str, suffix: &'t str) -> impl Iterator<Item = (usize, f64)> + 't {
    t.match_indices(suffix).filter_map(|(at, _)| {
        let start = t[..at]
            .rfind(|c: char| !(c.is_ascii_digit() || c == '.'))
            .map_or(0, |i| i + 1);
        t[start..at].parse().ok().map(|elapsed| (start, elapsed))
    })
}

#[test]
fn an_error_clears_the_progress_line_before_its_message() {
    // stdout is a pipe whose reader goes away after 0.5 s: the next report
    // write fails (EPIPE) and the run ends with an error on stderr, the terminal.
    let Some(out) = under_pty("--count 300 --step-ms 5 | { sleep 0.5; }") else {
        return;
    };
    let t = String::from_utf8_lossy(&out.stdout);
    let error = t
        .find("slow-client: error: ")
        .unwrap_or_else(|| panic!("an error was reported: {t:?}"));
    assert!(t[error..].contains("Broken pipe"), "{t:?}");
    let last_line = t.rfind("in flight").expect("the line was drawn");
    assert!(
        last_line < error,
        "the line is gone before the error: {t:?}"
    );
    assert!(t[last_line..error].contains("\x1b[2K"), "erased: {t:?}");
    assert!(!t[error..].contains('\x1b'), "nothing drawn after: {t:?}");
}

#[test]
fn no_progress_draws_nothing_on_a_terminal() {
    let Some(out) = under_pty("--count 150 --step-ms 1 --no-progress") else {
        return;
    };
    assert_eq!(out.status.code(), Some(0));
    let t = String::from_utf8_lossy(&out.stdout);
    assert!(t.contains("FINISHED: 150 of 150"), "{t}");
    assert!(!t.contains("in flight") && !t.contains('\x1b'), "{t}");
}

#[test]
fn a_small_run_shows_no_progress_unless_forced() {
    let Some(out) = under_pty("--count 5 --step-ms 30") else {
        return;
    };
    assert!(!String::from_utf8_lossy(&out.stdout).contains("in flight"));
    let Some(out) = under_pty("--count 5 --step-ms 30 --progress") else {
        return;
    };
    assert!(String::from_utf8_lossy(&out.stdout).contains("in flight"));
}
