//! The `--json` lines, byte for byte: a reader of earlier output sees no change.

use super::{Format, Reporter};
use crate::client::{ErrorKind, RequestError};
use crate::http::{self, BodyFraming, Response};
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
    r.response(2, 0, Duration::from_micros(1500), &ok_response("OK"))
        .unwrap();
    r.failure(1, 1000, &RequestError::new(ErrorKind::Timeout, "late"))
        .unwrap();
    r.finish(Duration::from_micros(1_003_100), false, Some(usage))
        .unwrap();
    let out = String::from_utf8(out).unwrap();
    let summary = out.lines().last().unwrap();
    assert_eq!(
        summary,
        r#"{"event":"summary","requested":2,"ok":1,"failed":1,"responses":1,"in_order":true,"inversions":0,"wall_ms":1003.1,"interrupted":false,"cpu_user_ms":123.456,"cpu_sys_ms":7,"max_rss_kib":5120,"lateness_ms":{"p50":1.5,"p99":1.5,"max":1.5}}"#
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
        r#"{"event":"summary","requested":1,"ok":0,"failed":1,"responses":0,"in_order":true,"inversions":0,"wall_ms":12,"interrupted":true,"lateness_ms":null}"#
    );
}
