//! The demo's contract checker, fed hand-written slow-client output.

use super::{check, Expected};

fn response(id: i64, order: i64, status: i64) -> String {
    let delay = (5 - id) * 1000;
    format!(
        r#"{{"event":"response","id":{id},"delay_ms":{delay},"order":{order},"elapsed_ms":{delay}.7,"lateness_ms":0.7,"status":{status},"reason":"Found","version":"1.1","body_bytes":0}}"#
    )
}

const SUMMARY: &str = r#"{"event":"summary","requested":5,"ok":5,"failed":0,"responses":5,"in_order":true,"inversions":0,"wall_ms":4003.1,"interrupted":false,"lateness_ms":{"p50":0.4,"p99":1.1,"max":1.2}}"#;

fn good_run() -> Vec<String> {
    let mut lines: Vec<String> = (1..=5).map(|n| response(6 - n, n, 302)).collect();
    lines.push(SUMMARY.to_string());
    lines
}

fn problems(lines: &[String]) -> Vec<String> {
    check(&lines.join("\n"), &Expected::DEFAULT_RUN)
        .err()
        .unwrap_or_default()
}

#[test]
fn a_correct_default_run_passes() {
    assert_eq!(problems(&good_run()), Vec::<String>::new());
}

#[test]
fn extra_fields_are_allowed() {
    let mut lines = good_run();
    lines[0] = lines[0].replace("}", r#","framing":"length"}"#);
    assert_eq!(problems(&lines), Vec::<String>::new());
}

#[test]
fn wrong_arrival_order_is_named() {
    let mut lines = good_run();
    lines.swap(0, 1);
    let p = problems(&lines);
    assert!(
        p.iter().any(|p| p
            == "responses arrived as ids 4 5 3 2 1, expected 5 4 3 2 1 (shortest delay first)"),
        "{p:?}"
    );
}

#[test]
fn an_error_event_is_reported_with_its_kind_and_message() {
    let mut lines = good_run();
    lines[2] = r#"{"event":"error","id":3,"delay_ms":2000,"kind":"truncated_body","message":"closed after 3 of 24 bytes"}"#.to_string();
    let p = problems(&lines);
    assert!(
        p.contains(
            &"line 3: request id 3 failed: truncated_body: closed after 3 of 24 bytes".to_string()
        ),
        "{p:?}"
    );
    assert!(p.contains(&"no response for id 3".to_string()), "{p:?}");
}

#[test]
fn a_status_other_than_302_is_named() {
    let mut lines = good_run();
    lines[4] = response(1, 5, 404);
    assert_eq!(
        problems(&lines),
        ["line 5: id 1: status is 404, expected 302"]
    );
}

#[test]
fn a_response_faster_than_its_delay_is_named() {
    let mut lines = good_run();
    lines[1] = lines[1].replace(r#""elapsed_ms":1000.7"#, r#""elapsed_ms":999.9"#);
    assert_eq!(
        problems(&lines),
        ["line 2: id 4: elapsed_ms 999.9 is less than the delay 1000 ms"]
    );
}

#[test]
fn a_duplicate_id_is_named() {
    let mut lines = good_run();
    lines.insert(1, response(5, 2, 302));
    let p = problems(&lines);
    assert!(
        p.contains(&"line 2: id 5: id 5 reported twice".to_string()),
        "{p:?}"
    );
}

#[test]
fn summary_must_exist_once_be_last_and_agree() {
    let mut missing = good_run();
    missing.pop();
    assert!(problems(&missing).contains(&"0 summary lines, expected exactly 1".to_string()));

    let mut early = good_run();
    early.rotate_right(1);
    assert!(problems(&early).contains(&"line 1: the summary is not the last line".to_string()));

    let mut wrong = good_run();
    wrong[5] = SUMMARY
        .replace(r#""ok":5"#, r#""ok":4"#)
        .replace(r#""in_order":true"#, r#""in_order":false"#);
    assert_eq!(
        problems(&wrong),
        [
            "line 6: ok is 4, expected 5",
            "line 6: summary: in_order is false, expected true"
        ]
    );
}

#[test]
fn lines_that_are_not_json_objects_or_unknown_events_are_named() {
    let mut lines = good_run();
    lines.insert(0, "RECEIVED: id 5".to_string());
    lines.insert(1, "[1]".to_string());
    lines.insert(2, r#"{"event":"hello"}"#.to_string());
    let p = problems(&lines);
    assert!(p[0].starts_with("line 1: invalid JSON"), "{p:?}");
    assert_eq!(p[1], "line 2: not a JSON object: [1]");
    assert_eq!(p[2], "line 3: unknown event \"hello\"");
}

#[test]
fn empty_output_fails() {
    let p = problems(&[]);
    assert!(p.contains(&"0 summary lines, expected exactly 1".to_string()));
    assert!(p.contains(&"no response for id 1".to_string()));
}

#[test]
fn a_body_where_none_is_expected_is_named() {
    let mut lines = good_run();
    lines[0] = lines[0].replace(r#""body_bytes":0"#, r#""body_bytes":24"#);
    let p = problems(&lines);
    assert_eq!(
        p,
        ["line 1: id 5: body_bytes is 24, expected an empty body"]
    );
}

#[test]
fn an_empty_body_where_one_is_expected_is_named() {
    let want = Expected {
        answer: super::DELAY_ANSWER,
        ..Expected::DEFAULT_RUN
    };
    let lines: Vec<String> = good_run()
        .iter()
        .map(|l| l.replace(r#""status":302"#, r#""status":200"#))
        .collect();
    let p = check(&lines.join("\n"), &want).unwrap_err();
    assert_eq!(p[0], "line 1: id 5: body_bytes is 0, expected a body");
    assert_eq!(p.len(), 5, "{p:?}");
}

#[test]
fn a_response_later_than_the_hang_bound_is_named() {
    let mut lines = good_run();
    lines[4] = lines[4].replace(r#""elapsed_ms":4000.7"#, r#""elapsed_ms":9000.7"#);
    assert_eq!(
        problems(&lines),
        ["line 5: id 1: elapsed_ms 9000.7 is more than 5000 ms after the delay 4000 ms"]
    );
}
