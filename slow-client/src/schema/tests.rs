//! Reading lines back, and the number format. The written bytes are pinned by
//! `report`'s tests, which drive the reporter the binary uses.

use super::*;

#[test]
fn every_kind_of_line_reads_back_as_written() {
    let lines = [
        Line::Response(ResponseLine {
            id: 3,
            delay_ms: 2000,
            order: 1,
            elapsed_ms: 2000.457,
            lateness_ms: 0.457,
            status: 200,
            reason: "OK".into(),
            version: "1.1".into(),
            body_bytes: 24,
            sent_ms: Some(0.25),
            done_ms: Some(2000.707),
        }),
        Line::Error(ErrorLine {
            id: 2,
            delay_ms: 3000,
            kind: "timeout".into(),
            message: "no answer\n".into(),
            sent_ms: None,
            done_ms: Some(30000.0),
        }),
        Line::Summary(SummaryLine {
            requested: 2,
            ok: 1,
            failed: 1,
            responses: 1,
            in_order: true,
            inversions: 0,
            unexplained_inversions: 0,
            write_window_ms: Some(0.125),
            max_stall_ms: None,
            wall_ms: 4003.0,
            interrupted: false,
            cpu_user_ms: Some(1.5),
            cpu_sys_ms: None,
            max_rss_kib: Some(5120),
            lateness_ms: Some(Lateness {
                p50: 0.5,
                p99: 1.0,
                max: 2.25,
            }),
            argv: vec!["slow-client".into(), "--json".into()],
            schema: SCHEMA,
            early: 2,
            order_broken_by_writing: true,
        }),
    ];
    for line in lines {
        let text = serde_json::to_string(&line).unwrap();
        let back: Line<'_> = serde_json::from_str(&text).unwrap();
        assert_eq!(back, line, "{text}");
    }
}

#[test]
fn unknown_members_are_ignored_so_newer_output_still_reads() {
    let text =
        r#"{"event":"error","id":1,"delay_ms":0,"kind":"reset","message":"m","future":[1,2]}"#;
    let line: Line<'_> = serde_json::from_str(text).unwrap();
    assert!(matches!(line, Line::Error(ErrorLine { id: 1, .. })));
}

#[test]
fn a_summary_of_the_first_format_reads_as_schema_1_without_argv() {
    let text = r#"{"event":"summary","requested":1,"ok":1,"failed":0,"responses":1,"in_order":true,"inversions":0,"wall_ms":12,"interrupted":false,"lateness_ms":null}"#;
    let Line::Summary(s) = serde_json::from_str(text).unwrap() else {
        panic!("not a summary");
    };
    assert_eq!((s.schema, s.argv.len()), (1, 0));
}

#[test]
fn an_unknown_event_is_an_error() {
    let err = serde_json::from_str::<Line<'_>>(r#"{"event":"hello"}"#).unwrap_err();
    assert!(err.to_string().contains("hello"), "{err}");
}

fn ms_text(v: f64) -> String {
    let mut out = Vec::new();
    ms(&v, &mut serde_json::Serializer::new(&mut out)).unwrap();
    String::from_utf8(out).unwrap()
}

#[test]
fn times_round_to_microseconds_and_never_print_nan() {
    assert_eq!(ms_text(1.23456), "1.235");
    assert_eq!(ms_text(4003.0), "4003");
    assert_eq!(ms_text(-0.5), "-0.5");
    assert_eq!(ms_text(-12.0), "-12");
    assert_eq!(ms_text(0.001), "0.001");
    assert_eq!(ms_text(f64::NAN), "null");
    assert_eq!(ms_text(f64::INFINITY), "null");
}

#[test]
fn a_time_written_as_null_reads_back_as_nan() {
    let line = Line::Response(ResponseLine {
        id: 1,
        delay_ms: 0,
        order: 1,
        elapsed_ms: f64::NAN,
        lateness_ms: f64::INFINITY,
        status: 200,
        reason: "OK".into(),
        version: "1.1".into(),
        body_bytes: 0,
        sent_ms: None,
        done_ms: None,
    });
    let text = serde_json::to_string(&line).unwrap();
    assert!(
        text.contains(r#""elapsed_ms":null,"lateness_ms":null"#),
        "{text}"
    );
    let Line::Response(back) = serde_json::from_str(&text).unwrap() else {
        panic!("not a response: {text}");
    };
    assert!(
        back.elapsed_ms.is_nan() && back.lateness_ms.is_nan(),
        "{back:?}"
    );
    let summary = r#"{"event":"summary","requested":0,"ok":0,"failed":0,"responses":0,"in_order":true,"inversions":0,"wall_ms":null,"interrupted":false,"lateness_ms":{"p50":null,"p99":1,"max":null}}"#;
    let Line::Summary(back) = serde_json::from_str(summary).unwrap() else {
        panic!("not a summary");
    };
    assert!(back.wall_ms.is_nan());
    let lateness = back.lateness_ms.unwrap();
    assert!(lateness.p50.is_nan() && lateness.max.is_nan());
    assert_eq!(lateness.p99, 1.0);
}

#[test]
fn a_missing_time_is_still_an_error() {
    let text = r#"{"event":"response","id":1,"delay_ms":0,"order":1,"lateness_ms":1,"status":200,"reason":"OK","version":"1.1","body_bytes":2}"#;
    assert!(serde_json::from_str::<Line<'_>>(text).is_err());
}

#[test]
fn a_summary_from_before_the_order_analysis_still_reads() {
    let text = r#"{"event":"summary","requested":1,"ok":1,"failed":0,"responses":1,"in_order":true,"inversions":0,"wall_ms":1,"interrupted":false,"lateness_ms":null}"#;
    let Line::Summary(s) = serde_json::from_str(text).unwrap() else {
        panic!("not a summary");
    };
    assert_eq!(s.unexplained_inversions, 0);
    assert_eq!((s.write_window_ms, s.max_stall_ms), (None, None));
    // Nor did it count early answers or judge the order (0.3.0).
    assert_eq!((s.early, s.order_broken_by_writing), (0, false));
}

#[test]
fn a_response_line_writes_the_bytes_the_derived_format_writes() {
    let base = ResponseLine {
        id: 3,
        delay_ms: 2000,
        order: 1,
        elapsed_ms: 2000.457,
        lateness_ms: 0.457,
        status: 200,
        reason: "OK".into(),
        version: "1.1".into(),
        body_bytes: 24,
        sent_ms: Some(0.262),
        done_ms: Some(2000.707),
    };
    let lines = [
        base.clone(),
        ResponseLine {
            id: u32::MAX,
            delay_ms: u64::MAX,
            order: u64::MAX,
            elapsed_ms: f64::NAN,
            lateness_ms: -f64::INFINITY,
            status: 599,
            reason: "Fine \"really\" \\ \u{1}é\n".into(),
            version: "1.0".into(),
            body_bytes: 0,
            sent_ms: None,
            done_ms: Some(f64::INFINITY),
        },
        ResponseLine {
            elapsed_ms: 4.0,
            lateness_ms: -0.0004,
            reason: "".into(),
            sent_ms: Some(1e300),
            done_ms: None,
            ..base.clone()
        },
        ResponseLine {
            elapsed_ms: 123_456_789.123_456,
            lateness_ms: 1e-9,
            sent_ms: Some(0.1 + 0.2),
            done_ms: Some(-5.5),
            ..base
        },
    ];
    for line in lines {
        let mut fast = Vec::new();
        line.write_json(&mut fast).unwrap();
        let derived = serde_json::to_string(&Line::Response(line)).unwrap();
        assert_eq!(String::from_utf8(fast).unwrap(), derived);
    }
}

/// What [`super::ms`] (serde_json's own number formatting) writes for `v`.
fn ms_by_serde(v: f64) -> String {
    let mut out = Vec::new();
    super::ms(&v, &mut serde_json::Serializer::new(&mut out)).unwrap();
    String::from_utf8(out).unwrap()
}

/// What the line's fast path writes for `v`, or `None` where it defers to serde.
fn ms_fast(v: f64) -> Option<String> {
    let mut out = Vec::new();
    super::write_ms_fast(&mut out, v).then(|| String::from_utf8(out).unwrap())
}

#[test]
fn the_fast_time_text_is_serdes_at_the_edges() {
    for v in [
        0.0,
        -0.0,
        0.0004,
        -0.0004,
        0.0005,
        -0.0005,
        0.001,
        0.01,
        0.1,
        0.12,
        0.123,
        1.0,
        1.5,
        -1.5,
        999.9995,
        1000.0,
        2000.457,
        0.1 + 0.2,
        123_456_789.123_456,
        4_294_967_296.001,
        999_999_999_999.999,
        -999_999_999_999.999,
    ] {
        assert_eq!(ms_fast(v).as_deref(), Some(&*ms_by_serde(v)), "{v}");
    }
    for v in [
        1e12,
        -1e12,
        1e300,
        f64::NAN,
        f64::INFINITY,
        f64::NEG_INFINITY,
    ] {
        assert_eq!(ms_fast(v), None, "{v} is left to serde");
    }
}

proptest::proptest! {
    #[test]
    fn the_fast_time_text_is_serdes_for_any_time(
        v in proptest::prop_oneof![
            -1e6..1e6f64,
            -1e12..1e12f64,
            proptest::strategy::Strategy::prop_map(0u64..1_000_000_000, |us| us as f64 / 1000.0),
            proptest::num::f64::ANY,
        ]
    ) {
        if let Some(fast) = ms_fast(v) {
            proptest::prop_assert_eq!(fast, ms_by_serde(v));
        }
    }
}
