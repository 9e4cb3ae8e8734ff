//! What a descending run must print: the demo's contract, checked in one place.
//!
//! `cargo xtask test`'s demo step runs the binary with its defaults and the
//! integration tests run it with other counts and framings; both hand the
//! `--json` output to [`check`], which lists every way it breaks the contract:
//! every request answered with the expected status and body, never before its
//! delay, shortest delay first, and one summary, last, that agrees.

use crate::schema::{ErrorLine, Line, ResponseLine, SummaryLine};

/// What each request of a run should be answered with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Answer {
    /// The status code.
    pub status: u16,
    /// Whether the body has bytes (`true`) or is empty (`false`).
    pub has_body: bool,
}

/// How the embedded server answers `/delay/{ms}`: a short text body.
pub const DELAY_ANSWER: Answer = Answer {
    status: 200,
    has_body: true,
};

/// How the embedded server answers the demo's default `--path`
/// (`/delay/{ms}/url/http://www.google.com`): `302 Found`, as slowwly answered, with
/// an empty body.
pub const DEMO_ANSWER: Answer = Answer {
    status: 302,
    has_body: false,
};

/// The run whose output is checked.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Expected {
    /// `--count`: requests 1..=count, request `i` delayed `(count - i) * step_ms`.
    pub count: u32,
    /// `--step-ms`.
    pub step_ms: u64,
    /// How every request is answered.
    pub answer: Answer,
    /// A response later than this after its delay is a hang, not noise.
    pub max_lateness_ms: f64,
}

impl Expected {
    /// `slow-client --json` with every option at its default.
    pub const DEFAULT_RUN: Expected = Expected {
        count: 5,
        step_ms: 1000,
        answer: DEMO_ANSWER,
        max_lateness_ms: 5000.0,
    };
}

/// Checks the `--json` output of a run against `want`.
///
/// # Errors
/// Every problem found, one message each (prefixed `line N:` where one line is
/// at fault), so one run shows everything that is wrong.
pub fn check(stdout: &str, want: &Expected) -> Result<(), Vec<String>> {
    let mut problems = Vec::new();
    let mut arrivals: Vec<u32> = Vec::new();
    let mut summaries = 0;
    let lines: Vec<&str> = stdout.lines().filter(|l| !l.trim().is_empty()).collect();
    for (n, text) in lines.iter().enumerate() {
        let line = match parse(text) {
            Ok(line) => line,
            Err(e) => {
                problems.push(format!("line {}: {e}", n + 1));
                continue;
            }
        };
        let mut found = Vec::new();
        match line {
            Line::Response(r) => check_response(&r, want, &mut arrivals, &mut found),
            Line::Error(e) => found.push(describe_error(&e)),
            Line::Summary(s) => {
                summaries += 1;
                check_summary(&s, want, &mut found);
                if n + 1 != lines.len() {
                    found.push("the summary is not the last line".to_string());
                }
            }
        }
        problems.extend(found.into_iter().map(|p| format!("line {}: {p}", n + 1)));
    }
    if summaries != 1 {
        problems.push(format!("{summaries} summary lines, expected exactly 1"));
    }
    for id in 1..=want.count {
        if !arrivals.contains(&id) {
            problems.push(format!("no response for id {id}"));
        }
    }
    let expected: Vec<u32> = (1..=want.count).rev().collect();
    if arrivals != expected {
        problems.push(format!(
            "responses arrived as ids {}, expected {} (shortest delay first)",
            join(&arrivals),
            join(&expected)
        ));
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems)
    }
}

/// One line as a [`Line`], with a short reason when it is not one.
fn parse(text: &str) -> Result<Line<'static>, String> {
    let value: serde_json::Value =
        serde_json::from_str(text).map_err(|e| format!("invalid JSON ({e}): {text}"))?;
    match value.get("event") {
        _ if !value.is_object() => Err(format!("not a JSON object: {text}")),
        Some(serde_json::Value::String(event))
            if !matches!(event.as_str(), "response" | "error" | "summary") =>
        {
            Err(format!("unknown event {event:?}"))
        }
        Some(serde_json::Value::String(_)) => {
            serde_json::from_value(value).map_err(|e| format!("{e}: {text}"))
        }
        _ => Err("no \"event\" string".to_string()),
    }
}

fn check_response(
    r: &ResponseLine<'_>,
    want: &Expected,
    arrivals: &mut Vec<u32>,
    problems: &mut Vec<String>,
) {
    let id = r.id;
    if !(1..=want.count).contains(&id) {
        problems.push(format!("id {id} is outside 1..={}", want.count));
        return;
    }
    let mut p = Vec::new();
    if arrivals.contains(&id) {
        p.push(format!("id {id} reported twice"));
    }
    arrivals.push(id);
    let want_delay = crate::plan::delay_ms(want.count, id, want.step_ms);
    expect("status", r.status, want.answer.status, &mut p);
    expect("delay_ms", r.delay_ms, want_delay, &mut p);
    expect("order", r.order, arrivals.len() as u64, &mut p);
    if want.answer.has_body != (r.body_bytes > 0) {
        let body = if want.answer.has_body {
            "a body"
        } else {
            "an empty body"
        };
        p.push(format!("body_bytes is {}, expected {body}", r.body_bytes));
    }
    // Never early; how late depends on the machine, so only a hang is named.
    let delay = want_delay as f64;
    if r.elapsed_ms < delay {
        p.push(format!(
            "elapsed_ms {} is less than the delay {want_delay} ms",
            r.elapsed_ms
        ));
    } else if r.elapsed_ms > delay + want.max_lateness_ms {
        p.push(format!(
            "elapsed_ms {} is more than {} ms after the delay {want_delay} ms",
            r.elapsed_ms, want.max_lateness_ms
        ));
    }
    problems.extend(p.into_iter().map(|e| format!("id {id}: {e}")));
}

fn check_summary(s: &SummaryLine, want: &Expected, p: &mut Vec<String>) {
    expect("requested", s.requested, want.count, p);
    expect("ok", s.ok, want.count, p);
    expect("failed", s.failed, 0, p);
    expect("inversions", s.inversions, 0, p);
    if !s.in_order {
        p.push("summary: in_order is false, expected true".to_string());
    }
    match s.lateness_ms {
        Some(l) if l.max >= 0.0 => {}
        Some(l) => p.push(format!("summary: lateness max {} ms is negative", l.max)),
        None => p.push("summary: no lateness, expected some".to_string()),
    }
}

fn describe_error(e: &ErrorLine<'_>) -> String {
    format!("request id {} failed: {}: {}", e.id, e.kind, e.message)
}

fn expect<T: PartialEq + std::fmt::Display>(key: &str, got: T, want: T, p: &mut Vec<String>) {
    if got != want {
        p.push(format!("{key} is {got}, expected {want}"));
    }
}

fn join(ids: &[u32]) -> String {
    let words: Vec<String> = ids.iter().map(u32::to_string).collect();
    words.join(" ")
}

#[cfg(test)]
mod tests;
