//! The words of the human `FINISHED` line and the run's verdict: pure
//! functions of what the reporter counted.

use crate::order::Order;
use crate::stats::Summary;
use std::fmt::Write as _;

/// Above this many answers the `FINISHED` line shows only the first ones of
/// the arrival order, and says how many more it leaves out.
pub const MAX_ORDER_SHOWN: usize = 20;

/// The order counts as broken by the client's own writing when more than
/// one answer in this many arrived inverted behind a stall while writing
/// (10%), and at least [`BROKEN_ORDER_MIN`] did. A 9,000-request run at 1 ms
/// steps has 0 to 68 such inversions (`xtask/BENCHMARKS.md`); 19,900
/// requests to one address had 5,098 (issue 20). A busy machine's
/// scheduling stalls stay under the bound; connects slowed down by a crowded
/// address (see `budget::crowded`) do not.
pub const BROKEN_ORDER_ONE_IN: u32 = 10;

/// The fewest explained inversions that can break a run's order: a small
/// run on a busy machine may have one or two behind a scheduling hiccup
/// without its order meaning anything else.
pub const BROKEN_ORDER_MIN: u32 = 10;

/// What a run showed, beyond its counts: what the exit status is decided from.
#[derive(Debug, Clone, PartialEq)]
pub struct Verdict {
    /// Counts, order and lateness (over the answers that honoured their delay).
    pub summary: Summary,
    /// Successful answers that came before their delay could have passed.
    pub early: u32,
    /// The explained inversions (a stall of the client's writing) exceed one
    /// answer in [`BROKEN_ORDER_ONE_IN`] and number at least
    /// [`BROKEN_ORDER_MIN`]: the run did not show the delays' order.
    pub order_broken_by_writing: bool,
}

impl Verdict {
    /// Every request answered successfully, none before its delay, and the
    /// order not broken by the client's own writing (exit status 0).
    pub fn demonstrated(&self) -> bool {
        self.summary.failed == 0 && self.early == 0 && !self.order_broken_by_writing
    }
}

/// Whether `order`'s explained inversions break the order of `ok` answers.
pub fn order_broken_by_writing(order: &Order, ok: u32) -> bool {
    let explained = order.inversions - order.unexplained_inversions;
    explained >= BROKEN_ORDER_MIN
        && u64::from(explained) * u64::from(BROKEN_ORDER_ONE_IN) > u64::from(ok)
}

/// What the `FINISHED` line is made of.
#[derive(Debug, Clone)]
pub struct Finished<'a> {
    /// The run's counts and lateness.
    pub verdict: &'a Verdict,
    /// The order analysis.
    pub order: &'a Order,
    /// The first arrivals' ids (at most [`MAX_ORDER_SHOWN`]).
    pub first_ids: &'a [u32],
    /// How many answers took part in the order.
    pub arrivals: usize,
    /// Whether those answers asked for more than one delay.
    pub delays_differ: bool,
    /// Failures by kind (`HTTP 404`, `timeout`), with their counts, most first.
    pub failures: &'a [(String, u32)],
    /// The run's wall time.
    pub wall_ms: f64,
    /// A signal stopped the run.
    pub interrupted: bool,
}

impl Finished<'_> {
    /// The line, without its newline, e.g. `FINISHED: 5 of 5 answered in 4000
    /// ms, arrival order 5 4 3 2 1 (shortest delay first); lateness p50 0.21
    /// ms, p99 0.25 ms, max 0.25 ms`.
    pub fn line(&self) -> String {
        let s = &self.verdict.summary;
        let mut out = format!(
            "FINISHED: {} of {} answered in {:.0} ms",
            s.ok, s.requested, self.wall_ms
        );
        if s.failed > 0 {
            let _ = write!(out, ", {} failed (", s.failed);
            for (i, (kind, n)) in self.failures.iter().enumerate() {
                let sep = if i == 0 { "" } else { ", " };
                let _ = write!(out, "{sep}{kind} ×{n}");
            }
            out.push(')');
        }
        if self.interrupted {
            out.push_str(" (interrupted)");
        }
        if self.arrivals > 0 {
            out.push_str(", arrival order");
            for id in self.first_ids {
                let _ = write!(out, " {id}");
            }
            let elided = self.arrivals.saturating_sub(self.first_ids.len());
            if elided > 0 {
                let _ = write!(out, " … ({elided} more elided; --json lists every one)");
            }
            let _ = write!(out, " ({})", self.order_phrase());
        }
        let early = self.verdict.early;
        if early > 0 {
            let _ = write!(
                out,
                "; {early} answered before their delay (the server did not wait: \
                 does --path have {{ms}} or {{s}}?), left out of order and lateness"
            );
        }
        if let Some(l) = s.lateness {
            let _ = write!(
                out,
                "; lateness p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
                l.p50, l.p99, l.max
            );
        }
        out
    }

    /// The parenthesis after the arrival order.
    fn order_phrase(&self) -> String {
        let s = &self.verdict.summary;
        if self.arrivals == 1 {
            return "one answer: no order to show".to_owned();
        }
        if !self.delays_differ {
            return "every delay equal: no order to show".to_owned();
        }
        if s.in_order {
            return "shortest delay first".to_owned();
        }
        if self.order.inversions != s.inversions {
            return format!("not shortest delay first: {} inversions", s.inversions);
        }
        let what = self.order.describe();
        if self.verdict.order_broken_by_writing {
            format!("not shortest delay first: {what}: the client's own writing broke the order")
        } else if self.order.unexplained_inversions == 0 {
            format!("shortest delay first but for {what}")
        } else {
            format!("not shortest delay first: {what}")
        }
    }
}

/// Counts one failure of `kind` in `failures`, kept most frequent first
/// (ties in the order first seen).
pub fn count_failure(failures: &mut Vec<(String, u32)>, kind: &str) {
    let at = match failures.iter().position(|(k, _)| k == kind) {
        Some(at) => {
            failures[at].1 += 1;
            at
        }
        None => {
            failures.push((kind.to_owned(), 1));
            failures.len() - 1
        }
    };
    let mut at = at;
    while at > 0 && failures[at - 1].1 < failures[at].1 {
        failures.swap(at - 1, at);
        at -= 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::Lateness;

    fn summary(requested: u32, ok: u32, inversions: u32) -> Summary {
        Summary {
            requested,
            ok,
            failed: requested - ok,
            in_order: inversions == 0,
            inversions,
            lateness: Some(Lateness {
                p50: 0.126,
                p99: 0.25,
                max: 1.0,
            }),
        }
    }

    fn order(inversions: u32, unexplained: u32, stall: Option<f64>) -> Order {
        Order {
            inversions,
            unexplained_inversions: unexplained,
            explaining_stall_ms: stall,
            write_window_ms: None,
        }
    }

    fn line(
        v: &Verdict,
        o: &Order,
        ids: &[u32],
        arrivals: usize,
        failures: &[(String, u32)],
    ) -> String {
        Finished {
            verdict: v,
            order: o,
            first_ids: ids,
            arrivals,
            delays_differ: true,
            failures,
            wall_ms: 4000.2,
            interrupted: false,
        }
        .line()
    }

    fn verdict(s: Summary, o: &Order) -> Verdict {
        Verdict {
            order_broken_by_writing: order_broken_by_writing(o, s.ok),
            summary: s,
            early: 0,
        }
    }

    #[test]
    fn failures_say_why_with_counts() {
        let o = order(0, 0, None);
        let v = verdict(summary(3, 0, 0), &o);
        let fails = [("HTTP 404".to_owned(), 2), ("timeout".to_owned(), 1)];
        let text = line(&v, &o, &[], 0, &fails);
        assert!(
            text.starts_with(
                "FINISHED: 0 of 3 answered in 4000 ms, 3 failed (HTTP 404 ×2, timeout ×1)"
            ),
            "{text}"
        );
    }

    #[test]
    fn failure_kinds_are_kept_most_frequent_first() {
        let mut f = Vec::new();
        for kind in ["timeout", "HTTP 404", "HTTP 404", "reset", "reset", "reset"] {
            count_failure(&mut f, kind);
        }
        let names: Vec<(&str, u32)> = f.iter().map(|(k, n)| (k.as_str(), *n)).collect();
        assert_eq!(names, [("reset", 3), ("HTTP 404", 2), ("timeout", 1)]);
    }

    #[test]
    fn explained_inversions_under_the_bound_read_as_the_order_shown() {
        let o = order(9, 0, Some(3.12));
        let v = verdict(summary(9000, 9000, 9), &o);
        assert!(!v.order_broken_by_writing && v.demonstrated());
        let text = line(&v, &o, &[9000], 9000, &[]);
        assert!(text.contains("(shortest delay first but for 9 inversions, all explained by a stall of up to 3.1 ms while writing)"), "{text}");
        assert!(!text.contains("not shortest"), "{text}");
    }

    #[test]
    fn a_run_whose_writing_broke_the_order_says_so_and_did_not_demonstrate() {
        let o = order(5098, 0, Some(7829.8));
        let v = verdict(summary(19_900, 19_900, 5098), &o);
        assert!(v.order_broken_by_writing && !v.demonstrated());
        let text = line(&v, &o, &[19_900], 19_900, &[]);
        assert!(text.contains("(not shortest delay first: 5098 inversions, all explained by a stall of up to 7829.8 ms while writing: the client's own writing broke the order)"), "{text}");
    }

    #[test]
    fn the_bound_is_one_answer_in_ten_and_at_least_ten() {
        assert!(!order_broken_by_writing(&order(100, 0, Some(1.0)), 1000));
        assert!(order_broken_by_writing(&order(101, 0, Some(1.0)), 1000));
        assert!(!order_broken_by_writing(&order(9, 0, Some(40.0)), 30));
        assert!(order_broken_by_writing(&order(10, 0, Some(40.0)), 30));
        // Unexplained inversions are not the writer's: they do not count.
        assert!(!order_broken_by_writing(&order(120, 20, Some(1.0)), 1000));
    }

    #[test]
    fn a_long_arrival_order_is_elided_and_says_how_much() {
        let o = order(0, 0, None);
        let v = verdict(summary(300, 300, 0), &o);
        let ids: Vec<u32> = (281..=300).rev().collect();
        let text = line(&v, &o, &ids, 300, &[]);
        assert!(text.contains("arrival order 300 299 298"), "{text}");
        assert!(
            text.contains(
                " 281 … (280 more elided; --json lists every one) (shortest delay first)"
            ),
            "{text}"
        );
    }

    #[test]
    fn equal_delays_have_no_order_to_show() {
        let o = order(0, 0, None);
        let v = verdict(summary(3, 3, 0), &o);
        let text = Finished {
            verdict: &v,
            order: &o,
            first_ids: &[1, 3, 2],
            arrivals: 3,
            delays_differ: false,
            failures: &[],
            wall_ms: 3.0,
            interrupted: false,
        }
        .line();
        assert!(
            text.contains("arrival order 1 3 2 (every delay equal: no order to show)"),
            "{text}"
        );
        assert!(!text.contains("shortest delay first"), "{text}");
    }

    #[test]
    fn one_answer_claims_no_order() {
        let o = order(0, 0, None);
        let v = verdict(summary(1, 1, 0), &o);
        let text = line(&v, &o, &[1], 1, &[]);
        assert!(
            text.contains("arrival order 1 (one answer: no order to show)"),
            "{text}"
        );
    }

    #[test]
    fn lateness_has_two_decimals_like_the_progress_line() {
        let o = order(0, 0, None);
        let v = verdict(summary(1, 1, 0), &o);
        let text = line(&v, &o, &[1], 1, &[]);
        assert!(
            text.ends_with("; lateness p50 0.13 ms, p99 0.25 ms, max 1.00 ms"),
            "{text}"
        );
    }

    #[test]
    fn early_answers_are_named_and_the_run_did_not_demonstrate() {
        let o = order(0, 0, None);
        let mut v = verdict(summary(2, 2, 0), &o);
        v.summary.lateness = None;
        v.early = 2;
        assert!(!v.demonstrated());
        let text = line(&v, &o, &[], 0, &[]);
        assert!(text.contains("; 2 answered before their delay (the server did not wait: does --path have {ms} or {s}?)"), "{text}");
        assert!(!text.contains("lateness p50"), "{text}");
    }
}
