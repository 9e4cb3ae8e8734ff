//! The `--json` lines, byte for byte: a reader of earlier output sees no change.

use super::{Format, Reporter};
use crate::client::{ErrorKind, RequestError};
use crate::http::{self, BodyFraming, Response};
use crate::order::{SendWindow, Timed};
use crate::os::Usage;
use std::time::Duration;

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

/// Runs `f` on a JSON reporter for `requested` requests and returns its output.
fn json_output(requested: u32, f: impl FnOnce(&mut Reporter<&mut Vec<u8>>)) -> String {
    let mut out = Vec::new();
    let mut r = Reporter::new(&mut out, Format::Json, requested);
    f(&mut r);
    drop(r);
    String::from_utf8(out).unwrap()
}

#[test]
fn a_response_line_rounds_times_to_microseconds() {
    let out = json_output(1, |r| {
        let elapsed = Duration::from_nanos(2_000_456_700);
        r.response(3, 2000, elapsed, &ok_response("OK")).unwrap();
    });
    assert_eq!(
        out,
        r#"{"event":"response","id":3,"delay_ms":2000,"order":1,"elapsed_ms":2000.457,"lateness_ms":0.457,"status":200,"reason":"OK","version":"1.1","body_bytes":24}"#
            .to_owned()
            + "\n"
    );
}

#[test]
fn a_whole_number_of_milliseconds_prints_without_a_fraction() {
    let out = json_output(1, |r| {
        r.response(
            1,
            0,
            Duration::from_millis(4),
            &ok_response("Fine \"really\" \\ \u{1}é"),
        )
        .unwrap();
    });
    assert_eq!(
        out,
        r#"{"event":"response","id":1,"delay_ms":0,"order":1,"elapsed_ms":4,"lateness_ms":4,"status":200,"reason":"Fine \"really\" \\ \u0001é","version":"1.1","body_bytes":24}"#
            .to_owned()
            + "\n"
    );
}

#[test]
fn an_error_line_names_its_kind_and_escapes_its_message() {
    let out = json_output(1, |r| {
        let err = RequestError::new(
            ErrorKind::Response(http::ErrorKind::TruncatedBody),
            "closed after 3 of 24\nbytes",
        );
        r.failure(2, 3000, &err).unwrap();
    });
    assert_eq!(
        out,
        r#"{"event":"error","id":2,"delay_ms":3000,"kind":"truncated_body","message":"closed after 3 of 24\nbytes"}"#
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
    let mut r = Reporter::new(&mut out, Format::Json, 2);
    r.timed(Timed {
        id: 2,
        delay_ms: 0,
        sent: Some(SendWindow {
            start_ms: 1.0,
            end_ms: 1.25,
        }),
        done_ms: Some(2.5),
    });
    r.response(2, 0, Duration::from_micros(1500), &ok_response("OK"))
        .unwrap();
    r.set_max_stall(Duration::from_micros(4_500));
    r.failure(1, 1000, &RequestError::new(ErrorKind::Timeout, "late"))
        .unwrap();
    r.finish(Duration::from_micros(1_003_100), false, Some(usage))
        .unwrap();
    let out = String::from_utf8(out).unwrap();
    let summary = out.lines().last().unwrap();
    assert_eq!(
        summary,
        r#"{"event":"summary","requested":2,"ok":1,"failed":1,"responses":1,"in_order":true,"inversions":0,"unexplained_inversions":0,"write_window_ms":0.25,"max_stall_ms":4.5,"wall_ms":1003.1,"interrupted":false,"cpu_user_ms":123.456,"cpu_sys_ms":7,"max_rss_kib":5120,"lateness_ms":{"p50":1.5,"p99":1.5,"max":1.5}}"#
    );
}

#[test]
fn a_summary_without_usage_or_responses_has_null_lateness() {
    let mut out = Vec::new();
    let mut r = Reporter::new(&mut out, Format::Json, 1);
    r.failure(1, 0, &RequestError::new(ErrorKind::Interrupted, "signal"))
        .unwrap();
    r.finish(Duration::from_millis(12), true, None).unwrap();
    let out = String::from_utf8(out).unwrap();
    assert_eq!(
        out.lines().last().unwrap(),
        r#"{"event":"summary","requested":1,"ok":0,"failed":1,"responses":0,"in_order":true,"inversions":0,"unexplained_inversions":0,"write_window_ms":null,"max_stall_ms":null,"wall_ms":12,"interrupted":true,"lateness_ms":null}"#
    );
}

#[test]
fn the_human_summary_says_which_inversions_a_write_stall_explains() {
    let mut out = Vec::new();
    let mut r = Reporter::new(&mut out, Format::Human, 3);
    // Request 1 (delay 20) sent 16 ms before 2 and 3 (delays 10, 5): 2 was
    // due 14 ms after 1 at the latest (26 + 10 = 36 > 0 + 20), so the answer
    // order 1, 2, 3 has two inversions, the first explained by the stall.
    for (id, delay, sent, done) in [
        (1u32, 20u64, 0.0, 20.1),
        (2, 10, 26.0, 36.1),
        (3, 5, 26.1, 36.2),
    ] {
        r.timed(Timed {
            id,
            delay_ms: delay,
            sent: Some(SendWindow {
                start_ms: sent,
                end_ms: sent + 0.01,
            }),
            done_ms: Some(done),
        });
        let elapsed = Duration::from_secs_f64((done - sent) / 1e3);
        r.response(id, delay, elapsed, &ok_response("OK")).unwrap();
    }
    r.finish(Duration::from_millis(40), false, None).unwrap();
    let out = String::from_utf8(out).unwrap();
    let finished = out.lines().last().unwrap();
    assert!(
        finished.contains("(2 inversions, 1 unexplained (1 explained by a stall of up to 26.0 ms while writing): not shortest delay first)"),
        "{finished}"
    );
}
