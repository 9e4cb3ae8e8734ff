//! The `--json` lines, byte for byte: a reader of earlier output sees no change.

use super::record::version_text;
use super::{Format, Reporter};
use crate::client::{Ended, ErrorKind, Report, RequestError, SendSpan};
use crate::http::{self, BodyFraming, Response};
use crate::os::Usage;
use std::borrow::Cow;
use std::time::{Duration, Instant};

/// A send from `start_us` to `end_us` microseconds after `t0`.
fn sent(t0: Instant, start_us: u64, end_us: u64) -> SendSpan {
    SendSpan {
        start: t0 + Duration::from_micros(start_us),
        end: t0 + Duration::from_micros(end_us),
    }
}

/// Reports a response to request `id` through the client's trait.
fn response<W: std::io::Write>(
    r: &mut Reporter<W>,
    id: u32,
    delay_ms: u64,
    sent: SendSpan,
    done: Instant,
    response: &Response,
) -> std::io::Result<()> {
    r.ended(Ended {
        id,
        delay_ms,
        sent: Some(sent),
        done,
        result: Ok(response),
    })
}

/// Reports a failure of request `id` through the client's trait.
fn failure<W: std::io::Write>(
    r: &mut Reporter<W>,
    id: u32,
    delay_ms: u64,
    sent: Option<SendSpan>,
    done: Instant,
    error: &RequestError,
) -> std::io::Result<()> {
    r.ended(Ended {
        id,
        delay_ms,
        sent,
        done,
        result: Err(error),
    })
}

fn ok_response(reason: &str) -> Response {
    Response {
        version: 1,
        status: 200,
        reason: reason.to_owned(),
        body_bytes: 24,
        framing: BodyFraming::Length,
        informational: 0,
    }
}

/// Runs `f` on a JSON reporter for `requested` requests, started at the
/// instant `f` is given, and returns its output.
fn json_output(requested: u32, f: impl FnOnce(&mut Reporter<&mut Vec<u8>>, Instant)) -> String {
    let mut out = Vec::new();
    let t0 = Instant::now();
    let mut r = Reporter::new(&mut out, Format::Json, requested, t0);
    f(&mut r, t0);
    drop(r);
    String::from_utf8(out).unwrap()
}

#[test]
fn a_response_line_rounds_times_to_microseconds() {
    let out = json_output(1, |r, t0| {
        let done = t0 + Duration::from_nanos(2_000_456_700 + 250_000);
        response(r, 3, 2000, sent(t0, 250, 262), done, &ok_response("OK")).unwrap();
    });
    assert_eq!(
        out,
        r#"{"event":"response","id":3,"delay_ms":2000,"order":1,"elapsed_ms":2000.457,"lateness_ms":0.457,"status":200,"reason":"OK","version":"1.1","body_bytes":24,"sent_ms":0.262,"done_ms":2000.707}"#
            .to_owned()
            + "\n"
    );
}

#[test]
fn a_whole_number_of_milliseconds_prints_without_a_fraction() {
    let out = json_output(1, |r, t0| {
        response(
            r,
            1,
            0,
            sent(t0, 1000, 2000),
            t0 + Duration::from_millis(5),
            &ok_response("Fine \"really\" \\ \u{1}é"),
        )
        .unwrap();
    });
    assert_eq!(
        out,
        r#"{"event":"response","id":1,"delay_ms":0,"order":1,"elapsed_ms":4,"lateness_ms":4,"status":200,"reason":"Fine \"really\" \\ \u0001é","version":"1.1","body_bytes":24,"sent_ms":2,"done_ms":5}"#
            .to_owned()
            + "\n"
    );
}

#[test]
fn an_error_line_names_its_kind_and_escapes_its_message() {
    let out = json_output(1, |r, t0| {
        let err = RequestError::new(
            ErrorKind::Response(http::ErrorKind::TruncatedBody),
            "closed after 3 of 24\nbytes",
        );
        let done = t0 + Duration::from_micros(3_000_500);
        failure(r, 2, 3000, Some(sent(t0, 100, 120)), done, &err).unwrap();
    });
    assert_eq!(
        out,
        r#"{"event":"error","id":2,"delay_ms":3000,"kind":"truncated_body","message":"closed after 3 of 24\nbytes","sent_ms":0.12,"done_ms":3000.5}"#
            .to_owned()
            + "\n"
    );
}

#[test]
fn a_summary_line_carries_usage_and_lateness() {
    let usage = Usage {
        user: Duration::from_micros(123_456),
        system: Duration::from_millis(7),
        max_rss_kib: 5120,
    };
    let mut out = Vec::new();
    let t0 = Instant::now();
    let argv = vec![
        "slow-client".to_owned(),
        "--count".to_owned(),
        "2".to_owned(),
    ];
    let mut r = Reporter::new(&mut out, Format::Json, 2, t0).with_argv(argv);
    let done = t0 + Duration::from_micros(2500);
    response(&mut r, 2, 0, sent(t0, 1000, 1250), done, &ok_response("OK")).unwrap();
    r.max_stall(Duration::from_micros(4_500));
    let late = RequestError::new(ErrorKind::Timeout, "late");
    failure(&mut r, 1, 1000, None, t0 + Duration::from_secs(1), &late).unwrap();
    r.finish(Duration::from_micros(1_003_100), false, Some(usage))
        .unwrap();
    let out = String::from_utf8(out).unwrap();
    let mut lines = out.lines().skip(1);
    assert_eq!(
        lines.next().unwrap(),
        r#"{"event":"error","id":1,"delay_ms":1000,"kind":"timeout","message":"late","sent_ms":null,"done_ms":1000}"#
    );
    assert_eq!(
        lines.next().unwrap(),
        r#"{"event":"summary","requested":2,"ok":1,"failed":1,"responses":1,"in_order":true,"inversions":0,"wall_ms":1003.1,"interrupted":false,"cpu_user_ms":123.456,"cpu_sys_ms":7,"max_rss_kib":5120,"lateness_ms":{"p50":1.5,"p99":1.5,"max":1.5},"argv":["slow-client","--count","2"],"schema":2,"unexplained_inversions":0,"write_window_ms":0.25,"max_stall_ms":4.5,"early":0,"order_broken_by_writing":false}"#
    );
}

#[test]
fn a_summary_without_usage_or_responses_has_null_lateness() {
    let mut out = Vec::new();
    let t0 = Instant::now();
    let mut r = Reporter::new(&mut out, Format::Json, 1, t0);
    let signal = RequestError::new(ErrorKind::Interrupted, "signal");
    failure(&mut r, 1, 0, None, t0, &signal).unwrap();
    r.finish(Duration::from_millis(12), true, None).unwrap();
    let out = String::from_utf8(out).unwrap();
    assert_eq!(
        out.lines().last().unwrap(),
        r#"{"event":"summary","requested":1,"ok":0,"failed":1,"responses":0,"in_order":true,"inversions":0,"wall_ms":12,"interrupted":true,"lateness_ms":null,"argv":[],"schema":2,"unexplained_inversions":0,"write_window_ms":null,"max_stall_ms":null,"early":0,"order_broken_by_writing":false}"#
    );
}

#[test]
fn the_human_summary_says_which_inversions_a_write_stall_explains() {
    let mut out = Vec::new();
    let t0 = Instant::now();
    let mut r = Reporter::new(&mut out, Format::Human, 3, t0);
    // Request 1 (delay 20) sent 26 ms before 2 and 3 (delays 10, 5): 2 was
    // due 16 ms after 1 at the latest (26 + 10 = 36 > 0 + 20), so the answer
    // order 1, 2, 3 has two inversions, the first explained by the stall.
    for (id, delay, sent_us, done_us) in [
        (1u32, 20u64, 0u64, 20_100u64),
        (2, 10, 26_000, 36_100),
        (3, 5, 26_100, 36_200),
    ] {
        let done = t0 + Duration::from_micros(done_us);
        let window = sent(t0, sent_us, sent_us + 10);
        response(&mut r, id, delay, window, done, &ok_response("OK")).unwrap();
    }
    r.finish(Duration::from_millis(40), false, None).unwrap();
    let out = String::from_utf8(out).unwrap();
    let finished = out.lines().last().unwrap();
    assert!(
        finished.contains("(not shortest delay first: 2 inversions, 1 unexplained (1 explained by a stall of up to 26.0 ms while writing))"),
        "{finished}"
    );
}

/// A fast 404 did not honour its delay: it counts as failed, and order
/// (with the order analysis' inversions) and lateness are over the
/// successful responses only.
#[test]
fn order_and_lateness_count_successful_responses_only() {
    let mut out = Vec::new();
    let t0 = Instant::now();
    let mut r = Reporter::new(&mut out, Format::Json, 3, t0);
    let not_found = Response {
        status: 404,
        ..ok_response("Not Found")
    };
    let ms = |m: u64| t0 + Duration::from_millis(m);
    let w = sent(t0, 0, 0);
    response(&mut r, 3, 0, w, ms(1), &ok_response("OK")).unwrap();
    // Early and out of order, but a 404: neither an inversion nor negative lateness.
    response(&mut r, 1, 2000, w, ms(3), &not_found).unwrap();
    response(&mut r, 2, 1000, w, ms(1002), &ok_response("OK")).unwrap();
    let s = r
        .finish(Duration::from_secs(2), false, None)
        .unwrap()
        .summary;
    assert_eq!((s.ok, s.failed, s.inversions, s.in_order), (2, 1, 0, true));
    let l = s.lateness.unwrap();
    assert_eq!((l.p50, l.max), (1.0, 2.0));
    let out = String::from_utf8(out).unwrap();
    let summary = out.lines().last().unwrap();
    assert!(summary.contains(r#""responses":3,"#), "{out}");
    // The 404 (delay 2000) before request 2 (delay 1000), both sent at 0,
    // would be an unexplained inversion if it counted.
    assert!(summary.contains(r#""unexplained_inversions":0,"#), "{out}");
}

#[test]
fn the_version_member_names_the_minor_version_as_before() {
    // "1.0" and "1.1" are borrowed; any other minor version is formatted as
    // it always was (`format!("1.{}")`).
    for minor in [0u8, 1, 2, 9, 255] {
        assert_eq!(version_text(minor), format!("1.{minor}"));
    }
    assert!(matches!(version_text(0), Cow::Borrowed("1.0")));
    assert!(matches!(version_text(1), Cow::Borrowed("1.1")));
}

#[test]
fn an_answer_before_its_delay_is_early_and_out_of_order_and_lateness() {
    let mut out = Vec::new();
    let t0 = Instant::now();
    let mut r = Reporter::new(&mut out, Format::Json, 3, t0);
    let ms = |m: u64| t0 + Duration::from_millis(m);
    let w = sent(t0, 0, 10);
    // Request 1 asked for 2000 ms and came after 1: the server ignored it.
    response(&mut r, 1, 2000, w, ms(1), &ok_response("OK")).unwrap();
    response(&mut r, 3, 0, w, ms(2), &ok_response("OK")).unwrap();
    response(&mut r, 2, 1000, w, ms(1003), &ok_response("OK")).unwrap();
    let v = r.finish(Duration::from_secs(2), false, None).unwrap();
    assert_eq!((v.summary.ok, v.summary.failed, v.early), (3, 0, 1));
    assert!(
        !v.demonstrated(),
        "an early answer is the server not honouring its delay"
    );
    assert_eq!((v.summary.inversions, v.summary.in_order), (0, true));
    let l = v.summary.lateness.unwrap();
    let round = |x: f64| (x * 1000.0).round() / 1000.0;
    assert_eq!(
        (round(l.p50), round(l.max)),
        (2.0, 3.0),
        "the early answer is not negative lateness"
    );
    let out = String::from_utf8(out).unwrap();
    let summary = out.lines().last().unwrap();
    assert!(summary.contains(r#""early":1,"#), "{summary}");
}

#[test]
fn an_answer_just_inside_the_send_window_is_not_early() {
    let mut out = Vec::new();
    let t0 = Instant::now();
    let mut r = Reporter::new(&mut out, Format::Human, 1, t0);
    // Sent from 0 to 0.3 ms, delay 5 ms, done at 5.1 ms: 0.2 ms before
    // `sent end + delay` but after `sent start + delay`: on time.
    let done = t0 + Duration::from_micros(5_100);
    response(&mut r, 1, 5, sent(t0, 0, 300), done, &ok_response("OK")).unwrap();
    let v = r.finish(Duration::from_millis(6), false, None).unwrap();
    assert_eq!(v.early, 0);
    assert!(v.demonstrated());
}

#[test]
fn failures_are_named_by_kind_in_the_finished_line() {
    let mut out = Vec::new();
    let t0 = Instant::now();
    let mut r = Reporter::new(&mut out, Format::Human, 3, t0);
    let not_found = Response {
        status: 404,
        ..ok_response("Not Found")
    };
    let w = sent(t0, 0, 10);
    response(&mut r, 1, 10, w, t0, &not_found).unwrap();
    response(&mut r, 2, 5, w, t0, &not_found).unwrap();
    let reset = RequestError::new(ErrorKind::Timeout, "late");
    failure(&mut r, 3, 0, None, t0, &reset).unwrap();
    let v = r.finish(Duration::from_millis(6), false, None).unwrap();
    assert!(!v.demonstrated());
    let out = String::from_utf8(out).unwrap();
    let finished = out.lines().last().unwrap();
    assert!(
        finished
            .starts_with("FINISHED: 0 of 3 answered in 6 ms, 3 failed (HTTP 404 ×2, timeout ×1)"),
        "{finished}"
    );
}

#[test]
fn a_traced_event_prints_among_the_lines_in_text() {
    use epoll_safe::{Epoll, Events, Token, Waker};
    let epoll = Epoll::new().unwrap();
    let waker = Waker::new(&epoll, Token(7)).unwrap();
    waker.wake().unwrap();
    let mut events = Events::default();
    epoll.wait(&mut events, None).unwrap();
    let mut out = Vec::new();
    let mut r = Reporter::new(&mut out, Format::Human, 0, Instant::now());
    r.event(events.iter().next().unwrap()).unwrap();
    r.flush().unwrap();
    drop(r);
    let out = String::from_utf8(out).unwrap();
    assert!(out.starts_with("EVENT: token 7, EPOLLIN, "), "{out}");
}

/// An output that keeps each `write` call apart, to see how lines are batched.
#[derive(Default)]
struct Writes(Vec<Vec<u8>>);

impl std::io::Write for Writes {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.push(buf.to_vec());
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Reports `n` responses, one per loop turn (each followed by `flush`), and
/// returns how many writes the output saw before `finish`, and all of them after.
fn turns(file_output: bool, n: u32) -> (usize, Vec<Vec<u8>>) {
    let mut out = Writes::default();
    let t0 = Instant::now();
    let mut r = Reporter::new(&mut out, Format::Json, n, t0);
    if file_output {
        r = r.with_file_output();
    }
    for id in 1..=n {
        let done = t0 + Duration::from_millis(u64::from(id));
        response(&mut r, id, 0, sent(t0, 10, 20), done, &ok_response("OK")).unwrap();
        r.flush().unwrap();
    }
    let before_finish = r.out.0.len();
    r.finish(Duration::from_secs(1), false, None).unwrap();
    (before_finish, out.0)
}

#[test]
fn lines_reach_a_pipe_or_terminal_every_loop_turn() {
    let (before, writes) = turns(false, 5);
    assert_eq!(before, 5, "one write per turn");
    assert_eq!(writes.len(), 6, "then the summary");
}

#[test]
fn lines_reach_a_regular_file_in_blocks_and_all_by_the_end() {
    let n = 1000; // about 200 KiB of lines
    let (before, writes) = turns(true, n);
    let bytes: Vec<u8> = writes.concat();
    let text = String::from_utf8(bytes).unwrap();
    assert_eq!(
        text.lines().count(),
        n as usize + 1,
        "every line, then the summary"
    );
    assert!(text
        .lines()
        .last()
        .unwrap()
        .contains(r#""event":"summary""#));
    assert!(
        (2..=5).contains(&before),
        "written in blocks of {} bytes: {before} writes for {n} turns",
        super::FILE_BLOCK
    );
    assert!(writes[..before]
        .iter()
        .all(|w| w.len() >= super::FILE_BLOCK && w.ends_with(b"\n")));
}

#[test]
fn lines_waiting_for_a_file_block_are_written_when_the_reporter_is_dropped() {
    let mut out = Writes::default();
    let t0 = Instant::now();
    let mut r = Reporter::new(&mut out, Format::Json, 2, t0).with_file_output();
    response(&mut r, 1, 0, sent(t0, 10, 20), t0, &ok_response("OK")).unwrap();
    r.flush().unwrap();
    assert!(r.out.0.is_empty(), "a short line waits for its block");
    drop(r); // a loop error ends the run without `finish`
    assert_eq!(out.0.concat().iter().filter(|&&b| b == b'\n').count(), 1);
}

/// An output that takes `first` bytes, then fails once (a full disk), then takes everything.
struct FailsOnce {
    written: Vec<u8>,
    first: usize,
    calls: u32,
}

impl std::io::Write for FailsOnce {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.calls += 1;
        let n = match self.calls {
            1 => buf.len().min(self.first),
            2 => return Err(std::io::Error::from_raw_os_error(libc::ENOSPC)),
            _ => buf.len(),
        };
        self.written.extend_from_slice(&buf[..n]);
        Ok(n)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[test]
fn bytes_written_before_a_failed_write_are_not_written_again() {
    let mut out = FailsOnce {
        written: Vec::new(),
        first: 40,
        calls: 0,
    };
    let t0 = Instant::now();
    let mut r = Reporter::new(&mut out, Format::Json, 1, t0);
    response(&mut r, 1, 0, sent(t0, 10, 20), t0, &ok_response("OK")).unwrap();
    assert!(r.flush().is_err(), "the second write fails");
    drop(r); // writes the rest, once
    let text = String::from_utf8(out.written).unwrap();
    assert_eq!(text.matches(r#""event":"response""#).count(), 1, "{text}");
    assert!(text.ends_with("}\n"), "{text}");
    assert_eq!(text.lines().count(), 1, "{text}");
}
