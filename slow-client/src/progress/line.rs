//! The progress line's text, from the run's counts: a pure function.

use std::fmt::Write;
use std::time::Duration;

/// Where the run stands, as the event loop counts it.
///
/// `answered + failed + in_flight <= requested`; the rest are not yet sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Counters {
    /// Requests in the run.
    pub requested: u32,
    /// Complete responses with status < 400.
    pub answered: u32,
    /// Requests that ended otherwise: errors and statuses >= 400.
    pub failed: u32,
    /// Requests connecting, writing or waiting for their answer.
    pub in_flight: u32,
}

impl Counters {
    /// Requests not yet started.
    pub fn not_sent(&self) -> u32 {
        self.requested
            .saturating_sub(self.answered)
            .saturating_sub(self.failed)
            .saturating_sub(self.in_flight)
    }
}

/// The line: `3.1/9.0 s · lateness p99 0.41 ms · 3100 answered · 2 failed · 120 in flight · 5778 not yet sent`.
///
/// `elapsed` runs from the run's start, `expected` is when it should end (the
/// largest delay); `p99_ms` is the running lateness p99 (`-` before the first
/// answer). The counts that change least come last, because a narrow terminal
/// cuts the line's end.
///
/// # Examples
/// ```
/// use slow_client::progress::{status_line, Counters};
/// use std::time::Duration;
/// let c = Counters { requested: 10, answered: 4, failed: 1, in_flight: 3 };
/// assert_eq!(
///     status_line(&c, Duration::from_millis(1500), Duration::from_secs(9), Some(0.4127)),
///     "1.5/9.0 s · lateness p99 0.41 ms · 4 answered · 1 failed · 3 in flight · 2 not yet sent"
/// );
/// ```
pub fn status_line(
    c: &Counters,
    elapsed: Duration,
    expected: Duration,
    p99_ms: Option<f64>,
) -> String {
    let mut s = String::with_capacity(120);
    // Writing to a String cannot fail.
    let _ = write!(
        s,
        "{:.1}/{:.1} s · lateness p99 ",
        elapsed.as_secs_f64(),
        expected.as_secs_f64(),
    );
    let _ = match p99_ms {
        Some(p) => write!(s, "{p:.2} ms"),
        None => write!(s, "-"),
    };
    let _ = write!(
        s,
        " · {} answered · {} failed · {} in flight · {} not yet sent",
        c.answered,
        c.failed,
        c.in_flight,
        c.not_sent()
    );
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn not_sent_is_what_is_neither_done_nor_in_flight() {
        let c = Counters {
            requested: 100,
            answered: 50,
            failed: 5,
            in_flight: 20,
        };
        assert_eq!(c.not_sent(), 25);
    }

    #[test]
    fn not_sent_never_underflows_on_inconsistent_counts() {
        let c = Counters {
            requested: 1,
            answered: 1,
            failed: 1,
            in_flight: 1,
        };
        assert_eq!(c.not_sent(), 0);
    }

    #[test]
    fn line_before_the_first_answer_has_no_p99() {
        let c = Counters {
            requested: 9000,
            in_flight: 9000,
            ..Counters::default()
        };
        assert_eq!(
            status_line(&c, Duration::ZERO, Duration::from_secs(9), None),
            "0.0/9.0 s · lateness p99 - · 0 answered · 0 failed · 9000 in flight · 0 not yet sent"
        );
    }

    #[test]
    fn line_counts_every_request_once() {
        let c = Counters {
            requested: 9000,
            answered: 3100,
            failed: 2,
            in_flight: 120,
        };
        let text = status_line(
            &c,
            Duration::from_millis(3140),
            Duration::from_secs(9),
            Some(0.26),
        );
        assert_eq!(
            text,
            "3.1/9.0 s · lateness p99 0.26 ms · 3100 answered · 2 failed · 120 in flight · 5778 not yet sent"
        );
    }
}
