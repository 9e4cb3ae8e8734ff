//! Which inversions of the arrival order a run can explain (sans I/O).
//!
//! An *inversion* is an adjacent pair in arrival order whose delays decrease:
//! request A answered just before request B although A asked for a longer
//! delay (counted exactly as [`stats::Summary`](crate::stats::Summary) counts
//! them: over successful responses, status below 400; a fast 404 did not
//! honour its delay, so the reporter passes it, like an error, without a
//! `done_ms`).
//!
//! Requests are not written at the same instant, so an inversion is not
//! necessarily the client's or the server's fault: if the writer stalled
//! between A's send and B's, B's shorter delay may rightly end after A's
//! longer one. Each request carries its *send window*, the clock just before
//! and just after the `send(2)` that completed it: the server received it
//! inside that window, so the answer was due somewhere between
//! `window.start + delay` and `window.end + delay`. A pair is **explained**
//! when A could have been due no later than B (within [`TOLERANCE_MS`]), and
//! **unexplained** when A's earliest due time is more than [`TOLERANCE_MS`]
//! after B's latest: then no arrival inside the windows can produce it (a
//! late read, a batched write or a timer firing out of order can).

use std::fmt::Write as _;

/// How much later A's earliest due time may be than B's latest before the
/// pair counts as unexplained, in milliseconds.
pub const TOLERANCE_MS: f64 = 0.5;

/// The clock just before and just after the send that completed a request,
/// in milliseconds since the run started.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SendWindow {
    /// Just before the completing `send(2)`.
    pub start_ms: f64,
    /// Just after it.
    pub end_ms: f64,
}

/// One request as the order analysis needs it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Timed {
    /// Request id.
    pub id: u32,
    /// The delay it asked for.
    pub delay_ms: u64,
    /// Its send window; `None` when the request was never fully written.
    pub sent: Option<SendWindow>,
    /// When its successful response (status below 400) was complete, in
    /// milliseconds since the run started; `None` when it ended without one
    /// (an error or a status of 400 or above: it then takes no part in the
    /// arrival order, only in the write window).
    pub done_ms: Option<f64>,
}

/// What the order analysis found.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Order {
    /// Adjacent pairs in arrival order whose delays decrease.
    pub inversions: u32,
    /// Those of them that no arrival inside the send windows explains.
    pub unexplained_inversions: u32,
    /// The largest write stall behind an explained inversion: from the start
    /// of A's send window to the end of B's. `None` when none is explained.
    pub explaining_stall_ms: Option<f64>,
    /// From the first request written (start of the earliest send window) to
    /// the last (end of the latest); `None` when none was written.
    pub write_window_ms: Option<f64>,
}

/// Analyses a run's requests, given in any order.
///
/// The arrival order is that of `done_ms`; equal times keep the order of
/// `requests` (pass them in the order they were reported to match the
/// reported order exactly).
pub fn analyze(requests: &[Timed]) -> Order {
    let mut sorted: Vec<&Timed> = requests.iter().collect();
    // Stable: ties keep the input order; requests without a response are
    // only part of the write window, wherever they are.
    sorted.sort_by(|a, b| {
        a.done_ms
            .unwrap_or(0.0)
            .total_cmp(&b.done_ms.unwrap_or(0.0))
    });
    let mut tally = Tally::default();
    for r in sorted {
        tally.push(*r);
    }
    tally.order()
}

/// The same analysis, one request at a time, in the order they end (a
/// reporter's order): constant memory, however many requests a run has.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Tally {
    /// The last request that arrived.
    last: Option<Timed>,
    inversions: u32,
    unexplained: u32,
    stall: Option<f64>,
    /// The earliest send-window start and the latest end so far.
    window: Option<(f64, f64)>,
}

impl Tally {
    /// Adds a request that ended, in arrival order (those that ended without a
    /// successful response count only for the write window).
    pub fn push(&mut self, t: Timed) {
        if let Some(w) = t.sent {
            self.window = Some(match self.window {
                Some((first, last)) => (first.min(w.start_ms), last.max(w.end_ms)),
                None => (w.start_ms, w.end_ms),
            });
        }
        if t.done_ms.is_none() {
            return;
        }
        if let Some(a) = self.last.filter(|a| t.delay_ms < a.delay_ms) {
            self.inversions += 1;
            match explaining_stall(&a, &t) {
                Some(stall) => self.stall = Some(self.stall.map_or(stall, |s| s.max(stall))),
                None => self.unexplained += 1,
            }
        }
        self.last = Some(t);
    }

    /// What it found so far.
    pub fn order(&self) -> Order {
        Order {
            inversions: self.inversions,
            unexplained_inversions: self.unexplained,
            explaining_stall_ms: self.stall,
            write_window_ms: self.window.map(|(first, last)| (last - first).max(0.0)),
        }
    }
}

/// For an inversion (A answered just before B, A's delay longer): the
/// stall that explains it, or `None` when it is unexplained (or a send
/// window is missing, so nothing can explain it).
fn explaining_stall(a: &Timed, b: &Timed) -> Option<f64> {
    let (wa, wb) = (a.sent?, b.sent?);
    let a_earliest_due = wa.start_ms + a.delay_ms as f64;
    let b_latest_due = wb.end_ms + b.delay_ms as f64;
    (a_earliest_due - b_latest_due <= TOLERANCE_MS).then(|| (wb.end_ms - wa.start_ms).max(0.0))
}

impl Order {
    /// The summary's phrase, e.g. `2 inversions, both explained by a stall
    /// of up to 16.0 ms while writing`, or `no inversions`.
    pub fn describe(&self) -> String {
        let (n, unexplained) = (self.inversions, self.unexplained_inversions);
        if n == 0 {
            return "no inversions".to_owned();
        }
        let mut s = format!("{n} inversion{}", if n == 1 { "" } else { "s" });
        let explained = n - unexplained;
        let stall = self.explaining_stall_ms.unwrap_or(0.0);
        let _ = match (explained, unexplained) {
            (_, 0) if n == 1 => write!(s, ", explained by a {stall:.1} ms stall while writing"),
            (_, 0) => write!(
                s,
                ", {} explained by a stall of up to {stall:.1} ms while writing",
                if n == 2 { "both" } else { "all" }
            ),
            (0, _) => write!(s, ", none explained by a stall while writing"),
            (e, u) => write!(
                s,
                ", {u} unexplained ({e} explained by a stall of up to {stall:.1} ms while writing)"
            ),
        };
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::{Arrival, Summary};

    /// A request written in `[start, start + 0.01]` and answered at `done`.
    fn req(id: u32, delay_ms: u64, start: f64, done: Option<f64>) -> Timed {
        Timed {
            id,
            delay_ms,
            sent: Some(SendWindow {
                start_ms: start,
                end_ms: start + 0.01,
            }),
            done_ms: done,
        }
    }

    #[test]
    fn inversions_are_counted_exactly_as_the_summary_counts_them() {
        let delays = [3u64, 1, 2, 2, 0, 5, 4, 4, 1];
        let timed: Vec<Timed> = delays
            .iter()
            .enumerate()
            .map(|(i, &d)| req(i as u32 + 1, d, 0.0, Some(i as f64)))
            .collect();
        let arrivals: Vec<Arrival> = delays
            .iter()
            .map(|&d| Arrival {
                delay_ms: d,
                elapsed_ms: 0.0,
            })
            .collect();
        let n = delays.len() as u32;
        assert_eq!(
            analyze(&timed).inversions,
            Summary::new(n, n, &arrivals).inversions
        );
        assert_eq!(analyze(&timed).inversions, 4);
    }

    #[test]
    fn a_tally_fed_in_report_order_finds_what_analyze_finds() {
        let timed = [
            req(1, 20, 0.0, Some(20.1)),
            req(2, 10, 26.0, Some(36.1)),
            req(3, 5, 26.1, None), // failed: only its send window counts
            req(4, 5, 26.2, Some(36.2)),
        ];
        let mut tally = Tally::default();
        for t in timed {
            tally.push(t);
        }
        assert_eq!(tally.order(), analyze(&timed));
        assert_eq!(tally.order().inversions, 2);
    }

    #[test]
    fn equal_delays_are_not_inversions() {
        let timed: Vec<Timed> = (1..=4).map(|i| req(i, 7, 0.0, Some(7.0))).collect();
        let o = analyze(&timed);
        assert_eq!((o.inversions, o.unexplained_inversions), (0, 0));
        assert_eq!(o.explaining_stall_ms, None);
    }

    #[test]
    fn requests_without_a_response_take_no_part_in_the_order() {
        // 1 (delay 2) fails between 3 (delay 0) and 2 (delay 1): without it
        // the arrivals 0, 1 are in order.
        let timed = [
            req(3, 0, 0.0, Some(0.1)),
            req(1, 2, 0.0, None),
            req(2, 1, 0.0, Some(1.1)),
        ];
        assert_eq!(analyze(&timed).inversions, 0);
    }

    #[test]
    fn arrival_order_follows_done_times_and_ties_keep_the_input_order() {
        // Given out of arrival order: sorted by done time, 2 then 1 (in order).
        let timed = [req(1, 5, 0.0, Some(5.0)), req(2, 4, 0.0, Some(4.0))];
        assert_eq!(analyze(&timed).inversions, 0);
        // Same done time: the input order decides, and here it inverts.
        let tied = [req(1, 5, 0.0, Some(5.0)), req(2, 4, 0.0, Some(5.0))];
        assert_eq!(analyze(&tied).inversions, 1);
    }

    #[test]
    fn an_inversion_after_a_write_stall_is_explained_by_it() {
        // A (delay 5) written at 0 ms, B (delay 4) only at 16 ms: B was due
        // at 20, after A's 5, so B arriving after A is the stall's doing.
        let timed = [req(1, 5, 0.0, Some(5.2)), req(2, 4, 16.0, Some(20.2))];
        let o = analyze(&timed);
        assert_eq!((o.inversions, o.unexplained_inversions), (1, 0));
        let stall = o.explaining_stall_ms.unwrap();
        assert!((stall - 16.01).abs() < 1e-9, "{stall}");
    }

    #[test]
    fn an_inversion_of_requests_written_together_is_unexplained() {
        let timed = [req(1, 5, 0.0, Some(5.2)), req(2, 4, 0.02, Some(5.3))];
        let o = analyze(&timed);
        assert_eq!((o.inversions, o.unexplained_inversions), (1, 1));
        assert_eq!(o.explaining_stall_ms, None);
    }

    #[test]
    fn the_tolerance_is_half_a_millisecond_inclusive() {
        let window = |start_ms, end_ms| Some(SendWindow { start_ms, end_ms });
        let pair = |b_end: f64| {
            [
                Timed {
                    id: 1,
                    delay_ms: 2,
                    sent: window(0.0, 0.0),
                    done_ms: Some(2.0),
                },
                Timed {
                    id: 2,
                    delay_ms: 1,
                    sent: window(0.0, b_end),
                    done_ms: Some(2.1),
                },
            ]
        };
        // A due at 2 at the earliest; B at 1 + b_end at the latest.
        assert_eq!(analyze(&pair(0.5)).unexplained_inversions, 0); // 0.5 after: explained
        assert_eq!(analyze(&pair(0.49)).unexplained_inversions, 1); // 0.51 after
    }

    #[test]
    fn an_inversion_without_a_send_window_is_unexplained() {
        let mut b = req(2, 4, 16.0, Some(20.2));
        b.sent = None;
        let o = analyze(&[req(1, 5, 0.0, Some(5.2)), b]);
        assert_eq!((o.inversions, o.unexplained_inversions), (1, 1));
    }

    #[test]
    fn the_largest_explaining_stall_is_reported() {
        let timed = [
            req(1, 9, 0.0, Some(9.1)),
            req(2, 8, 3.0, Some(11.1)),
            req(3, 7, 10.0, Some(17.1)),
        ];
        let o = analyze(&timed);
        assert_eq!((o.inversions, o.unexplained_inversions), (2, 0));
        assert!((o.explaining_stall_ms.unwrap() - 7.01).abs() < 1e-9);
    }

    #[test]
    fn the_write_window_spans_first_to_last_written_including_failures() {
        let mut failed = req(3, 0, 9.0, None);
        failed.sent = Some(SendWindow {
            start_ms: 9.0,
            end_ms: 9.5,
        });
        let never_written = Timed {
            id: 4,
            delay_ms: 0,
            sent: None,
            done_ms: None,
        };
        let timed = [
            req(1, 2, 1.0, Some(3.0)),
            req(2, 1, 2.0, Some(3.1)),
            failed,
            never_written,
        ];
        assert_eq!(analyze(&timed).write_window_ms, Some(8.5));
    }

    #[test]
    fn one_request_has_no_inversion_and_its_own_send_time_as_window() {
        let o = analyze(&[req(1, 0, 2.0, Some(2.5))]);
        assert_eq!((o.inversions, o.unexplained_inversions), (0, 0));
        assert!((o.write_window_ms.unwrap() - 0.01).abs() < 1e-9);
        assert_eq!(o.describe(), "no inversions");
    }

    #[test]
    fn nothing_written_means_no_write_window() {
        assert_eq!(analyze(&[]).write_window_ms, None);
        let never = Timed {
            id: 1,
            delay_ms: 0,
            sent: None,
            done_ms: None,
        };
        assert_eq!(analyze(&[never]).write_window_ms, None);
    }

    #[test]
    fn the_phrase_says_how_many_are_explained_and_by_what() {
        let o = |n, u, stall| Order {
            inversions: n,
            unexplained_inversions: u,
            explaining_stall_ms: stall,
            write_window_ms: None,
        };
        assert_eq!(
            o(1, 0, Some(16.0)).describe(),
            "1 inversion, explained by a 16.0 ms stall while writing"
        );
        assert_eq!(
            o(2, 0, Some(16.04)).describe(),
            "2 inversions, both explained by a stall of up to 16.0 ms while writing"
        );
        assert_eq!(
            o(5, 0, Some(3.0)).describe(),
            "5 inversions, all explained by a stall of up to 3.0 ms while writing"
        );
        assert_eq!(
            o(2, 2, None).describe(),
            "2 inversions, none explained by a stall while writing"
        );
        assert_eq!(
            o(3, 1, Some(2.5)).describe(),
            "3 inversions, 1 unexplained (2 explained by a stall of up to 2.5 ms while writing)"
        );
    }
}
