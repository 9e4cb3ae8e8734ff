//! The numbers a picture states about each run, computed from its records.
//!
//! Order and lateness count ok responses only (status < 400): a fast 404 did
//! not honour its delay, so it says nothing about either.

use super::run::Run;
use crate::stats::{Arrival, Lateness, Summary};

/// What the title and the lateness panel say about one run.
#[derive(Debug, Clone, PartialEq)]
pub struct RunStats {
    /// Requests made: the summary's count, or the records' when there is no summary.
    pub requested: u32,
    /// Requests reported (records).
    pub reported: u32,
    /// Responses with status < 400.
    pub ok: u32,
    /// Reported requests that are not ok.
    pub failed: u32,
    /// Ok responses that arrived right after an ok response with a longer delay.
    pub inversions: u32,
    /// Lateness percentiles over ok responses; `None` when none has a lateness.
    pub lateness: Option<Lateness>,
    /// Records without `sent_ms`.
    pub missing_sent: u32,
    /// Records without `done_ms` (not placed on the time axis).
    pub missing_done: u32,
}

/// For each record, whether it is an inversion: an ok response whose delay is
/// shorter than the previous ok response's, in the order they ended.
pub fn inversion_flags(run: &Run) -> Vec<bool> {
    let mut prev: Option<u64> = None;
    run.records
        .iter()
        .map(|r| {
            if !r.outcome.is_ok() {
                return false;
            }
            let inverted = prev.is_some_and(|p| r.delay_ms < p);
            prev = Some(r.delay_ms);
            inverted
        })
        .collect()
}

/// The run's numbers, from its records.
pub fn run_stats(run: &Run) -> RunStats {
    let arrivals: Vec<Arrival> = run
        .records
        .iter()
        .filter_map(|r| {
            Some(Arrival {
                delay_ms: r.delay_ms,
                elapsed_ms: r.lateness_ms()? + r.delay_ms as f64,
            })
        })
        .collect();
    let reported = run.records.len() as u32;
    let ok = run.records.iter().filter(|r| r.outcome.is_ok()).count() as u32;
    let requested = run.totals.map_or(reported, |t| t.requested.max(reported));
    let lateness = Summary::new(requested, ok, &arrivals).lateness;
    RunStats {
        requested,
        reported,
        ok,
        failed: reported - ok,
        inversions: inversion_flags(run).iter().filter(|&&f| f).count() as u32,
        lateness,
        missing_sent: run.records.iter().filter(|r| r.sent_ms.is_none()).count() as u32,
        missing_done: run.records.iter().filter(|r| r.done_ms.is_none()).count() as u32,
    }
}

/// One line: `4 ok, 1 failed of 5 · shortest delay first · lateness p50 0.4 ms, p99 1.2 ms, max 1.2 ms · 4.0 s`.
pub fn summary_line(run: &Run, s: &RunStats) -> String {
    let mut line = format!("{} ok, {} failed of {}", s.ok, s.failed, s.requested);
    line += &match s.inversions {
        _ if s.ok == 0 => String::new(),
        0 => " · shortest delay first".to_owned(),
        1 => " · 1 inversion".to_owned(),
        n => format!(" · {n} inversions"),
    };
    if let Some(l) = s.lateness {
        line += &format!(
            " · lateness p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
            l.p50, l.p99, l.max
        );
    }
    if let Some(wall) = run.totals.and_then(|t| t.wall_ms) {
        line += &format!(" · {:.1} s", wall / 1000.0);
    }
    line
}

/// What the picture cannot show about the run, one note each.
pub fn notes(run: &Run, s: &RunStats) -> Vec<String> {
    let mut notes = Vec::new();
    match run.totals {
        None => notes.push("no summary line: the run was cut short".to_owned()),
        Some(t) if t.interrupted => notes.push("the run was interrupted".to_owned()),
        Some(_) => {}
    }
    if s.requested > s.reported {
        notes.push(format!(
            "{} of {} requests not reported",
            s.requested - s.reported,
            s.requested
        ));
    }
    if s.missing_done > 0 {
        notes.push(format!(
            "{} without done_ms (older format): not on the time axis",
            requests(s.missing_done as usize)
        ));
    }
    let sent_but_done = run
        .records
        .iter()
        .filter(|r| r.sent_ms.is_none() && r.done_ms.is_some())
        .count();
    if sent_but_done > 0 {
        notes.push(format!(
            "{} without sent_ms: drawn at their end only",
            requests(sent_but_done)
        ));
    }
    notes
}

fn requests(n: usize) -> String {
    match n {
        1 => "1 request".to_owned(),
        n => format!("{n} requests"),
    }
}

#[cfg(test)]
mod tests {
    use super::super::run::{Outcome, Record, RunTotals};
    use super::*;

    fn run(delays_and_status: &[(u64, u16)]) -> Run {
        let records = delays_and_status
            .iter()
            .enumerate()
            .map(|(i, &(delay_ms, status))| Record {
                id: i as u32 + 1,
                delay_ms,
                sent_ms: Some(1.0),
                done_ms: Some(1.0 + delay_ms as f64 + 0.5),
                elapsed_ms: None,
                outcome: Outcome::Response { status },
            })
            .collect();
        Run {
            label: "t".into(),
            argv: vec![],
            totals: Some(RunTotals {
                requested: delays_and_status.len() as u32,
                wall_ms: Some(4000.0),
                interrupted: false,
            }),
            records,
        }
    }

    #[test]
    fn inversions_are_ok_responses_shorter_than_the_previous_ok_one() {
        let r = run(&[(0, 200), (2000, 200), (1000, 200), (3000, 200)]);
        assert_eq!(inversion_flags(&r), [false, false, true, false]);
        assert_eq!(run_stats(&r).inversions, 1);
    }

    #[test]
    fn failures_neither_invert_nor_break_the_order() {
        // The fast 404 between them is skipped: 1000 after 2000 still inverts.
        let r = run(&[(2000, 200), (0, 404), (1000, 200)]);
        assert_eq!(inversion_flags(&r), [false, false, true]);
        let s = run_stats(&r);
        assert_eq!((s.ok, s.failed, s.inversions), (2, 1, 1));
    }

    #[test]
    fn lateness_counts_ok_responses_only() {
        let mut r = run(&[(0, 200), (1000, 200), (0, 404)]);
        r.records[2].done_ms = Some(1.0 - 9.0);
        let l = run_stats(&r).lateness.unwrap();
        assert_eq!((l.p50, l.p99, l.max), (0.5, 0.5, 0.5));
    }

    #[test]
    fn summary_line_states_counts_order_lateness_and_wall() {
        let r = run(&[(0, 200), (1000, 200), (2000, 500)]);
        assert_eq!(
            summary_line(&r, &run_stats(&r)),
            "2 ok, 1 failed of 3 · shortest delay first · lateness p50 0.5 ms, p99 0.5 ms, max 0.5 ms · 4.0 s"
        );
    }

    #[test]
    fn notes_say_what_is_missing() {
        let mut r = run(&[(0, 200), (1000, 200), (2000, 200)]);
        r.totals = None;
        r.records[0].sent_ms = None;
        r.records[1].sent_ms = None;
        r.records[1].done_ms = None;
        let n = notes(&r, &run_stats(&r));
        assert_eq!(
            n,
            [
                "no summary line: the run was cut short",
                "1 request without done_ms (older format): not on the time axis",
                "1 request without sent_ms: drawn at their end only",
            ]
        );
        r.totals = Some(RunTotals {
            requested: 5,
            wall_ms: None,
            interrupted: true,
        });
        let n = notes(&r, &run_stats(&r));
        assert_eq!(
            n[..2],
            ["the run was interrupted", "2 of 5 requests not reported"]
        );
    }
}
