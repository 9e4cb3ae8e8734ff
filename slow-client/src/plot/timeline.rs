//! The top panel: every request on one time axis, at the height of its delay.
//!
//! Time runs from each run's first write. A request is a line from its last
//! byte written to its answer, ending in a dot; when requests would sit closer
//! than [`MIN_ROW_PX`] apart the lines merge into a wedge, so each request is
//! drawn as its end point only, and the writes as one faint front per run.

use super::run::Run;
use super::scale::{fmt_ms, Scale, Tick};
use super::summary::inversion_flags;
use super::Rect;

/// Below this many pixels between requests, draw points instead of lines.
pub const MIN_ROW_PX: f64 = 4.0;
/// Space between the axes and the nearest marks.
const PAD_PX: f64 = 8.0;

/// What a mark shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MarkKind {
    /// An ok response in order.
    Ok,
    /// An ok response that arrived after one with a longer delay.
    Inversion,
    /// A failure; the index into [`Timeline::failure_kinds`].
    Failure(usize),
}

/// One request's mark, in pixels.
#[derive(Debug, Clone, PartialEq)]
pub struct Mark {
    /// Index of the run.
    pub run: usize,
    /// The request's id.
    pub id: u32,
    /// What it shows.
    pub kind: MarkKind,
    /// Where the line starts (the last byte written); `None` draws the end only.
    pub x_sent: Option<f64>,
    /// Where it ended.
    pub x_done: f64,
    /// Its height (delay or id).
    pub y: f64,
}

/// What the vertical axis counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum YKey {
    /// The requested delay (when the delays differ).
    Delay,
    /// The request id (when every delay is the same).
    Id,
}

/// The top panel, laid out.
#[derive(Debug, Clone, PartialEq)]
pub struct Timeline {
    /// Where the plot area is.
    pub rect: Rect,
    /// Time ticks along the bottom.
    pub x_ticks: Vec<Tick>,
    /// Delay (or id) ticks up the side.
    pub y_ticks: Vec<Tick>,
    /// What the vertical axis counts.
    pub y_key: YKey,
    /// Marks are points (end only) because lines would overlap.
    pub dense: bool,
    /// One mark per request that has a `done_ms`, in each run's order.
    pub marks: Vec<Mark>,
    /// The failure kinds in the legend, in first-seen order.
    pub failure_kinds: Vec<String>,
    /// In dense mode, each run's writes as a polyline `(run, points)`.
    pub write_fronts: Vec<(usize, Vec<(f64, f64)>)>,
    /// With delays up the side, the line `time == delay` (ends in pixels): an
    /// answer on time for a request written at the first write lands on it, so
    /// answers in order climb along it.
    pub diagonal: Option<[(f64, f64); 2]>,
}

/// Lays out the top panel for `runs` in `rect`.
pub fn lay_out(rect: Rect, runs: &[Run]) -> Timeline {
    let delays = runs
        .iter()
        .flat_map(|r| r.records.iter().map(|r| r.delay_ms));
    let flat = delays.clone().min() == delays.max();
    let y_key = if flat { YKey::Id } else { YKey::Delay };
    let key = |r: &super::run::Record| match y_key {
        YKey::Delay => r.delay_ms as f64,
        YKey::Id => f64::from(r.id),
    };
    // Each run's clock starts at its first write (or first end, with no writes recorded).
    let origins: Vec<f64> = runs
        .iter()
        .map(|run| {
            let first = |f: fn(&super::run::Record) -> Option<f64>| {
                run.records.iter().filter_map(f).reduce(f64::min)
            };
            first(|r| r.sent_ms).or(first(|r| r.done_ms)).unwrap_or(0.0)
        })
        .collect();
    let placed = || {
        runs.iter()
            .zip(&origins)
            .flat_map(|(run, &t0)| run.records.iter().map(move |r| (r, t0)))
            .filter(|(r, _)| r.done_ms.is_some())
    };
    let t_max = placed()
        .map(|(r, t0)| r.done_ms.unwrap_or(t0) - t0)
        .fold(0.0, f64::max);
    let (y_lo, y_hi) = placed()
        .map(|(r, _)| key(r))
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), y| {
            (lo.min(y), hi.max(y))
        });
    let (y_lo, y_hi) = if y_lo <= y_hi {
        (y_lo, y_hi)
    } else {
        (0.0, 1.0)
    };
    // Marks keep PAD_PX clear of the axes, so none hides under one.
    let xs = Scale::nice(0.0, t_max, rect.x + PAD_PX, rect.x + rect.w);
    let ys = Scale::nice(y_lo, y_hi, rect.y + rect.h - PAD_PX, rect.y + PAD_PX);
    let most = runs.iter().map(|r| r.records.len()).max().unwrap_or(0);
    let dense = most as f64 * MIN_ROW_PX > rect.h;
    // Overlaid runs at the same height sit a little apart when drawn as lines.
    let nudge = |run: usize| {
        if dense {
            0.0
        } else {
            (run as f64 - (runs.len() as f64 - 1.0) / 2.0) * 2.5
        }
    };

    let mut failure_kinds: Vec<String> = Vec::new();
    let mut marks = Vec::new();
    for (i, (run, &t0)) in runs.iter().zip(&origins).enumerate() {
        let flags = inversion_flags(run);
        for (r, inverted) in run.records.iter().zip(flags) {
            let Some(done) = r.done_ms else { continue };
            let kind = match r.outcome.failure_kind() {
                Some(k) => {
                    let idx = failure_kinds.iter().position(|f| *f == k);
                    MarkKind::Failure(idx.unwrap_or_else(|| {
                        failure_kinds.push(k.into_owned());
                        failure_kinds.len() - 1
                    }))
                }
                None if inverted => MarkKind::Inversion,
                None => MarkKind::Ok,
            };
            marks.push(Mark {
                run: i,
                id: r.id,
                kind,
                x_sent: r.sent_ms.filter(|_| !dense).map(|s| xs.px(s - t0)),
                x_done: xs.px(done - t0),
                y: ys.px(key(r)) + nudge(i),
            });
        }
    }
    let write_fronts = if dense {
        write_fronts(runs, &origins, &xs, &ys, key)
    } else {
        Vec::new()
    };
    let (a, b) = (xs.lo.max(ys.lo), xs.hi.min(ys.hi));
    let diagonal =
        (y_key == YKey::Delay && a < b).then(|| [(xs.px(a), ys.px(a)), (xs.px(b), ys.px(b))]);
    let y_ticks = match y_key {
        YKey::Delay => ys.ticks(fmt_ms),
        YKey::Id => ys.ticks(|v, step| super::scale::fmt_step(v, step.max(1.0))),
    };
    Timeline {
        rect,
        x_ticks: xs.ticks(fmt_ms),
        y_ticks,
        y_key,
        dense,
        marks,
        failure_kinds,
        write_fronts,
        diagonal,
    }
}

/// Each run's writes as one polyline in height order, at most one point per pixel row.
fn write_fronts(
    runs: &[Run],
    origins: &[f64],
    xs: &Scale,
    ys: &Scale,
    key: impl Fn(&super::run::Record) -> f64,
) -> Vec<(usize, Vec<(f64, f64)>)> {
    runs.iter()
        .zip(origins)
        .enumerate()
        .filter_map(|(i, (run, &t0))| {
            let mut pts: Vec<(f64, f64)> = run
                .records
                .iter()
                .filter_map(|r| Some((xs.px(r.sent_ms? - t0), ys.px(key(r)))))
                .collect();
            pts.sort_by(|a, b| a.1.total_cmp(&b.1));
            pts.dedup_by(|a, b| a.1.round() == b.1.round());
            (pts.len() > 1).then_some((i, pts))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::super::run::{Outcome, Record};
    use super::*;

    const R: Rect = Rect {
        x: 100.0,
        y: 0.0,
        w: 1000.0,
        h: 400.0,
    };

    /// `n` requests, delays descending by 1000 ms, written 1 ms apart, 1 ms late.
    fn express(n: u32) -> Run {
        let records = (1..=n)
            .rev()
            .map(|id| {
                let delay_ms = u64::from(n - id) * 1000;
                let sent = 10.0 + f64::from(id);
                Record {
                    id,
                    delay_ms,
                    sent_ms: Some(sent),
                    done_ms: Some(sent + delay_ms as f64 + 1.0),
                    elapsed_ms: None,
                    outcome: Outcome::Response { status: 200 },
                }
            })
            .collect();
        Run {
            records,
            ..Run::default()
        }
    }

    #[test]
    fn five_requests_are_lines_from_write_to_answer_at_their_delay() {
        let t = lay_out(R, &[express(5)]);
        assert!(!t.dense);
        assert_eq!(t.y_key, YKey::Delay);
        assert_eq!(t.marks.len(), 5);
        // Request 5 (delay 0) is written last, at 4 ms after the first write.
        let m5 = &t.marks[0];
        assert_eq!((m5.id, m5.kind), (5, MarkKind::Ok));
        assert_eq!(m5.y, R.y + R.h - PAD_PX, "delay 0 sits at the bottom");
        // Request 1 (delay 4000) is written first: its line starts at the origin.
        let m1 = &t.marks[4];
        assert_eq!(m1.x_sent, Some(R.x + PAD_PX));
        assert!(m1.x_done > m5.x_done);
        assert_eq!(m1.y, R.y + PAD_PX, "the longest delay is at the top");
    }

    #[test]
    fn the_diagonal_is_where_time_equals_delay() {
        let t = lay_out(R, &[express(5)]);
        let [(x0, y0), (x1, y1)] = t.diagonal.expect("delays differ");
        // From (0 s, 0 s) to (4 s, 4 s), the longest delay.
        assert_eq!((x0, y0), (R.x + PAD_PX, R.y + R.h - PAD_PX));
        assert_eq!(y1, R.y + PAD_PX);
        let four_s = t.marks[4].x_done;
        assert!((x1 - four_s).abs() < 0.5, "{x1} vs {four_s}");
        let mut flat = express(5);
        flat.records.iter_mut().for_each(|r| r.delay_ms = 7);
        assert_eq!(lay_out(R, &[flat]).diagonal, None, "ids have no diagonal");
    }

    #[test]
    fn inversions_and_failures_are_marked_with_kinds_in_first_seen_order() {
        let mut run = express(5);
        run.records.swap(1, 2); // delay 2000 arrives before 1000
        run.records[0].outcome = Outcome::Error {
            kind: "timeout".into(),
        };
        run.records[4].outcome = Outcome::Response { status: 503 };
        let t = lay_out(R, &[run]);
        let kinds: Vec<MarkKind> = t.marks.iter().map(|m| m.kind).collect();
        assert_eq!(
            kinds,
            [
                MarkKind::Failure(0),
                MarkKind::Ok,
                MarkKind::Inversion,
                MarkKind::Ok,
                MarkKind::Failure(1)
            ]
        );
        assert_eq!(t.failure_kinds, ["timeout", "status 503"]);
    }

    #[test]
    fn many_requests_become_points_with_a_write_front() {
        let t = lay_out(R, &[express(2000)]);
        assert!(t.dense);
        assert_eq!(t.marks.len(), 2000);
        assert!(t.marks.iter().all(|m| m.x_sent.is_none()));
        let (_, front) = &t.write_fronts[0];
        assert!(front.len() <= R.h as usize + 1, "{}", front.len());
        assert!(front.len() > 100);
    }

    #[test]
    fn equal_delays_are_drawn_by_id() {
        let mut run = express(5);
        run.records.iter_mut().for_each(|r| r.delay_ms = 100);
        assert_eq!(lay_out(R, &[run]).y_key, YKey::Id);
    }

    #[test]
    fn requests_without_an_end_time_are_left_out_and_without_a_write_drawn_as_ends() {
        let mut run = express(3);
        run.records[0].done_ms = None;
        run.records[1].sent_ms = None;
        let t = lay_out(R, &[run]);
        assert_eq!(t.marks.len(), 2);
        assert_eq!(t.marks[0].x_sent, None);
    }

    #[test]
    fn each_run_starts_at_its_own_first_write_and_overlays_nudge_apart() {
        let a = express(3);
        let mut b = express(3);
        b.records.iter_mut().for_each(|r| {
            r.sent_ms = r.sent_ms.map(|s| s + 500.0);
            r.done_ms = r.done_ms.map(|s| s + 500.0);
        });
        let t = lay_out(R, &[a, b]);
        let (ma, mb) = (&t.marks[0], &t.marks[3]);
        assert_eq!((ma.run, mb.run), (0, 1));
        assert_eq!(ma.x_done, mb.x_done);
        assert!(mb.y > ma.y, "same delay, drawn a little apart");
    }

    #[test]
    fn an_empty_run_still_lays_out_axes() {
        let t = lay_out(R, &[Run::default()]);
        assert!(t.marks.is_empty());
        assert!(!t.x_ticks.is_empty() && !t.y_ticks.is_empty());
    }
}
