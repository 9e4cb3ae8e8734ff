//! The timeout lab end to end: the real `slow-client` binary against its own server's
//! lab routes, the path template filling query values.

mod util;

#[test]
fn status_routes_answer_each_request_with_the_asked_status_after_its_delay() {
    let run = util::run_json(&[
        "--count",
        "3",
        "--step-ms",
        "100",
        "--path",
        "/status/503?delay={s}&id={id}",
    ]);
    let outcomes = run.outcomes();
    assert_eq!(outcomes.len(), 3, "{run:#?}");
    for id in 1..=3u64 {
        let line = run.outcome(id);
        assert_eq!(line["event"], "response", "{line}");
        assert_eq!(line["status"], 503, "{line}");
        assert_eq!(line["reason"], "Service Unavailable", "{line}");
        let delay = line["delay_ms"].as_f64().unwrap();
        let elapsed = line["elapsed_ms"].as_f64().unwrap();
        assert!(elapsed >= delay, "early: {line}");
    }
}
