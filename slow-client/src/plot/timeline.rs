//! The top panel: how late each answer was, against when it came.
//!
//! Time runs from each run's first write; lateness (the answer's time minus
//! the time it was due: its request's last byte written plus its delay, the
//! same number the summary's percentiles count) goes up a logarithmic axis.
//! An answer on time sits low; a stall of the event loop makes the answers
//! due during it late by what is left of the stall, a ridge of victims.
//! Inversions are ringed one by one, and where several coincide a label
//! counts them. Failures have no lateness: they sit in a lane above the
//! plot, at the time they ended.

use super::log_scale::LogScale;
use super::run::{Record, Run};
use super::scale::{fmt_ms, Scale, Tick};
use super::summary::inversion_flags;
use super::Rect;

/// Below this many pixels of height per request, marks are small dots without ids.
pub const MIN_ROW_PX: f64 = 4.0;
/// Space between the axes and the nearest marks.
const PAD_PX: f64 = 8.0;
/// Height of the failures' lane above the plot area.
pub const LANE_PX: f64 = 22.0;
/// Inversions closer than this (in both directions) count as one place.
const CLUSTER_PX: f64 = 10.0;
/// At most this many counts are written (the largest groups).
const MAX_COUNT_LABELS: usize = 40;

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
    /// When it ended.
    pub x: f64,
    /// Its lateness (or the failures' lane).
    pub y: f64,
}

/// Where several inversions fall on the same spot: one label counts them.
#[derive(Debug, Clone, PartialEq)]
pub struct InversionCount {
    /// Where the label goes (the group's first mark).
    pub x: f64,
    /// As above.
    pub y: f64,
    /// How many inversions are ringed there.
    pub count: usize,
}

/// The top panel, laid out.
#[derive(Debug, Clone, PartialEq)]
pub struct Timeline {
    /// Where the panel is: the failures' lane on top, then the plot area.
    pub rect: Rect,
    /// The failures' lane, when there are failures.
    pub lane: Option<Rect>,
    /// Time ticks along the bottom.
    pub x_ticks: Vec<Tick>,
    /// Lateness ticks up the side (one per decade).
    pub y_ticks: Vec<Tick>,
    /// Marks are small dots without ids (many requests).
    pub dense: bool,
    /// One mark per request that has a `done_ms`, in each run's order.
    pub marks: Vec<Mark>,
    /// Groups of coinciding inversions, largest first.
    pub inversion_counts: Vec<InversionCount>,
    /// The failure kinds in the legend, in first-seen order.
    pub failure_kinds: Vec<String>,
    /// The time scale (shared with the writes strip).
    pub xs: Scale,
    /// Each run's time origin (its first write, in the run's own ms).
    pub origins: Vec<f64>,
}

/// Each run's clock starts at its first write (or first end, with no writes recorded).
pub fn origins(runs: &[Run]) -> Vec<f64> {
    runs.iter()
        .map(|run| {
            let first =
                |f: fn(&Record) -> Option<f64>| run.records.iter().filter_map(f).reduce(f64::min);
            first(|r| r.sent_ms).or(first(|r| r.done_ms)).unwrap_or(0.0)
        })
        .collect()
}

/// Lays out the top panel for `runs` in `rect`.
pub fn lay_out(rect: Rect, runs: &[Run]) -> Timeline {
    let origins = origins(runs);
    let placed = || {
        runs.iter()
            .zip(&origins)
            .flat_map(|(run, &t0)| run.records.iter().map(move |r| (r, t0)))
            .filter(|(r, _)| r.done_ms.is_some())
    };
    let t_max = placed()
        .map(|(r, t0)| r.done_ms.unwrap_or(t0) - t0)
        .fold(0.0, f64::max);
    let failing = placed().any(|(r, _)| r.lateness_ms().is_none());
    let lane = failing.then_some(Rect { h: LANE_PX, ..rect });
    let plot_top = rect.y + if failing { LANE_PX } else { 0.0 };
    let xs = Scale::nice(0.0, t_max, rect.x + PAD_PX, rect.x + rect.w);
    let ys = LogScale::covering(
        placed().filter_map(|(r, _)| r.lateness_ms()),
        rect.y + rect.h - PAD_PX,
        plot_top + PAD_PX,
    );
    let most = runs.iter().map(|r| r.records.len()).max().unwrap_or(0);
    let dense = most as f64 * MIN_ROW_PX > rect.h;

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
            let y = match r.lateness_ms() {
                Some(late) => ys.px(late),
                // Failures (and an ok answer without times) have no lateness.
                None => rect.y + LANE_PX / 2.0,
            };
            marks.push(Mark {
                run: i,
                id: r.id,
                kind,
                // An error before the run's first write (a refused connect)
                // ends before the axis starts: drawn on the axis, not left of it.
                x: xs.px((done - t0).max(0.0)),
                y,
            });
        }
    }
    let inversion_counts = count_inversions(&marks);
    Timeline {
        rect,
        lane,
        x_ticks: xs.ticks(fmt_ms),
        y_ticks: ys.ticks(),
        dense,
        marks,
        inversion_counts,
        failure_kinds,
        xs,
        origins,
    }
}

/// Groups inversions that fall within [`CLUSTER_PX`] of a group's first
/// mark; each group of two or more gets a count (the largest
/// [`MAX_COUNT_LABELS`] groups, largest first).
fn count_inversions(marks: &[Mark]) -> Vec<InversionCount> {
    let mut groups: Vec<InversionCount> = Vec::new();
    let mut inv: Vec<&Mark> = marks
        .iter()
        .filter(|m| m.kind == MarkKind::Inversion)
        .collect();
    inv.sort_by(|a, b| a.x.total_cmp(&b.x).then(a.y.total_cmp(&b.y)));
    // Marks sorted by x: a group only takes marks within CLUSTER_PX to the
    // right of its first, so only the last few groups can still grow.
    let mut open_from = 0;
    for m in inv {
        while open_from < groups.len() && m.x - groups[open_from].x > CLUSTER_PX {
            open_from += 1;
        }
        let near = groups[open_from..]
            .iter_mut()
            .find(|g| (m.y - g.y).abs() <= CLUSTER_PX);
        match near {
            Some(g) => g.count += 1,
            None => groups.push(InversionCount {
                x: m.x,
                y: m.y,
                count: 1,
            }),
        }
    }
    groups.retain(|g| g.count > 1);
    groups.sort_by(|a, b| b.count.cmp(&a.count).then(a.x.total_cmp(&b.x)));
    // A label that would overlap a larger group's is left out (its rings stay).
    let mut kept: Vec<InversionCount> = Vec::new();
    for g in groups {
        if kept.len() == MAX_COUNT_LABELS {
            break;
        }
        if !kept.iter().any(|k| label_box(k).overlaps(&label_box(&g))) {
            kept.push(g);
        }
    }
    kept
}

/// Where a count's label (`×12`, drawn right of and above its group) lies.
fn label_box(g: &InversionCount) -> Rect {
    let chars = 1 + g.count.to_string().len();
    Rect {
        x: g.x + 6.0,
        y: g.y - 6.0 - 11.0,
        w: 7.0 * chars as f64,
        h: 13.0,
    }
}

#[cfg(test)]
mod tests {
    use super::super::run::Outcome;
    use super::*;

    const R: Rect = Rect {
        x: 100.0,
        y: 0.0,
        w: 1000.0,
        h: 400.0,
    };

    /// `n` requests, delays descending by 1000 ms, written 1 ms apart, `late` ms late.
    fn express(n: u32, late: f64) -> Run {
        let records = (1..=n)
            .rev()
            .map(|id| {
                let delay_ms = u64::from(n - id) * 1000;
                let sent = 10.0 + f64::from(id);
                Record {
                    id,
                    delay_ms,
                    sent_ms: Some(sent),
                    done_ms: Some(sent + delay_ms as f64 + late),
                    elapsed_ms: Some(delay_ms as f64 + late),
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
    fn height_is_lateness_not_delay_and_x_is_when_the_answer_came() {
        let mut run = express(5, 1.0);
        // Request 3 (delay 2000) came 100 ms late.
        run.records[2].done_ms = run.records[2].done_ms.map(|d| d + 99.0);
        run.records[2].elapsed_ms = Some(2100.0);
        let t = lay_out(R, &[run]);
        assert!(!t.dense && t.lane.is_none());
        let y = |id| t.marks.iter().find(|m| m.id == id).unwrap().y;
        assert_eq!(y(5), y(1), "equally late, whatever the delay");
        assert!(
            y(3) < y(5) - 100.0,
            "the late one stands higher: {} vs {}",
            y(3),
            y(5)
        );
        // x: request 1 (delay 4000, written first) answered about 4 s in.
        let m1 = t.marks.iter().find(|m| m.id == 1).unwrap();
        assert!((m1.x - t.xs.px(4001.0)).abs() < 1e-9);
        let labels: Vec<&str> = t.y_ticks.iter().map(|t| t.label.as_str()).collect();
        assert_eq!(labels, ["1 ms", "10 ms", "100 ms"]);
    }

    #[test]
    fn a_stall_raises_a_ridge_of_the_answers_due_during_it() {
        // 100 answers due 10 ms apart; the loop stalls from 300 ms to 600 ms:
        // each answer due then is read at 600 ms.
        let records = (1..=100u32)
            .map(|id| {
                let due = f64::from(id) * 10.0;
                let done = if (300.0..600.0).contains(&due) {
                    600.0
                } else {
                    due + 0.2
                };
                Record {
                    id,
                    delay_ms: u64::from(id) * 10,
                    sent_ms: Some(0.0),
                    done_ms: Some(done),
                    elapsed_ms: Some(done),
                    outcome: Outcome::Response { status: 200 },
                }
            })
            .collect();
        let t = lay_out(
            R,
            &[Run {
                records,
                ..Run::default()
            }],
        );
        let y = |id: u32| t.marks[id as usize - 1].y;
        // The first victim waited longest: the ridge's peak is at its start.
        assert!(
            y(30) < y(45) && y(45) < y(59),
            "{} {} {}",
            y(30),
            y(45),
            y(59)
        );
        assert!(
            y(59) < y(29) && y(59) < y(60),
            "victims stand above the rest"
        );
        assert!((y(10) - y(80)).abs() < 1e-6, "on time before and after");
    }

    #[test]
    fn inversions_are_marked_one_by_one_and_coinciding_ones_counted() {
        let mut run = express(6, 1.0);
        // Three answers with shorter delays arrive right after a longer one, at once.
        run.records.rotate_left(1); // delay 0 now arrives last: 1 inversion
        run.records.swap(0, 1); // delay 2000 before 1000: 1 more
        run.records[1].done_ms = run.records[0].done_ms;
        let t = lay_out(R, &[run]);
        let inv: Vec<&Mark> = t
            .marks
            .iter()
            .filter(|m| m.kind == MarkKind::Inversion)
            .collect();
        assert_eq!(inv.len(), 2, "each inversion its own mark");
        let mut same = express(3, 1.0);
        // Three answers at the same time and lateness, each after a longer delay.
        for r in &mut same.records {
            r.done_ms = Some(5000.0);
        }
        same.records.reverse();
        let t = lay_out(R, &[same]);
        let n = t
            .marks
            .iter()
            .filter(|m| m.kind == MarkKind::Inversion)
            .count();
        assert_eq!(n, 2);
        assert_eq!(t.inversion_counts.len(), 1);
        assert_eq!(
            t.inversion_counts[0].count, 2,
            "coinciding rings are counted, not merged"
        );
    }

    #[test]
    fn count_labels_never_overlap_and_the_largest_groups_keep_theirs() {
        let mark = |x: f64, y: f64| Mark {
            run: 0,
            id: 1,
            kind: MarkKind::Inversion,
            x,
            y,
        };
        // Three groups 12 px apart on one row: labels (about 21 px wide) collide.
        let mut marks: Vec<Mark> = (0..5).map(|_| mark(100.0, 50.0)).collect();
        marks.extend((0..2).map(|_| mark(112.0, 50.0)));
        marks.extend((0..3).map(|_| mark(124.0, 50.0)));
        marks.extend((0..2).map(|_| mark(300.0, 50.0)));
        let counts = count_inversions(&marks);
        let got: Vec<(f64, usize)> = counts.iter().map(|c| (c.x, c.count)).collect();
        assert_eq!(got, [(100.0, 5), (124.0, 3), (300.0, 2)]);
        for (i, a) in counts.iter().enumerate() {
            for b in &counts[i + 1..] {
                assert!(!label_box(a).overlaps(&label_box(b)), "{a:?} {b:?}");
            }
        }
    }

    #[test]
    fn failures_sit_in_a_lane_above_the_plot_with_kinds_in_first_seen_order() {
        let mut run = express(5, 1.0);
        run.records[0].outcome = Outcome::Error {
            kind: "timeout".into(),
        };
        run.records[4].outcome = Outcome::Response { status: 503 };
        let t = lay_out(R, &[run]);
        let lane = t.lane.expect("a lane for the failures");
        let kinds: Vec<MarkKind> = t.marks.iter().map(|m| m.kind).collect();
        assert_eq!(
            kinds,
            [
                MarkKind::Failure(0),
                MarkKind::Ok,
                MarkKind::Ok,
                MarkKind::Ok,
                MarkKind::Failure(1)
            ]
        );
        assert_eq!(t.failure_kinds, ["timeout", "status 503"]);
        for m in &t.marks {
            let in_lane = m.y >= lane.y && m.y <= lane.y + lane.h;
            assert_eq!(in_lane, matches!(m.kind, MarkKind::Failure(_)), "{m:?}");
        }
    }

    #[test]
    fn many_requests_are_dense_and_each_still_has_a_mark() {
        let t = lay_out(R, &[express(2000, 0.3)]);
        assert!(t.dense);
        assert_eq!(t.marks.len(), 2000);
    }

    #[test]
    fn an_error_before_the_first_write_is_drawn_on_the_axis() {
        let mut run = express(3, 1.0);
        // Request 2 failed to connect 5 ms before anything was written.
        run.records[1].sent_ms = None;
        run.records[1].done_ms = Some(10.0 + 1.0 - 5.0);
        run.records[1].outcome = Outcome::Error {
            kind: "connect_refused".into(),
        };
        let t = lay_out(R, &[run]);
        let m = t.marks.iter().find(|m| m.id == 2).unwrap();
        assert_eq!(m.x, R.x + PAD_PX, "at the axis's start, not left of it");
        assert!(t.marks.iter().all(|m| m.x >= R.x + PAD_PX));
    }

    #[test]
    fn requests_without_an_end_time_are_left_out() {
        let mut run = express(3, 1.0);
        run.records[0].done_ms = None;
        assert_eq!(lay_out(R, &[run]).marks.len(), 2);
    }

    #[test]
    fn each_run_starts_at_its_own_first_write() {
        let a = express(3, 1.0);
        let mut b = express(3, 1.0);
        b.records.iter_mut().for_each(|r| {
            r.sent_ms = r.sent_ms.map(|s| s + 500.0);
            r.done_ms = r.done_ms.map(|s| s + 500.0);
        });
        let t = lay_out(R, &[a, b]);
        let (ma, mb) = (&t.marks[0], &t.marks[3]);
        assert_eq!((ma.run, mb.run), (0, 1));
        assert_eq!((ma.x, ma.y), (mb.x, mb.y));
    }

    #[test]
    fn an_empty_run_still_lays_out_axes() {
        let t = lay_out(R, &[Run::default()]);
        assert!(t.marks.is_empty());
        assert!(!t.x_ticks.is_empty() && !t.y_ticks.is_empty());
    }
}
