//! The bottom panel: how late the ok answers were, as a histogram per run.
//!
//! A far outlier would squeeze every other answer into one bar, so when the
//! latest answer is far beyond the p99 the axis stops at twice the p99 and the
//! last bar holds everything later (its marker says so).

use super::scale::{fmt_ms, fmt_step, Scale, Tick};
use super::Rect;
use crate::stats::Lateness;

/// Bars in the histogram.
pub const BINS: usize = 60;

/// One run's histogram as an outline: `(x, y)` pixel points from baseline to baseline.
#[derive(Debug, Clone, PartialEq)]
pub struct Outline {
    /// Index of the run (its colour).
    pub run: usize,
    /// The step outline, starting and ending on the baseline.
    pub points: Vec<(f64, f64)>,
}

/// A vertical marker at one run's p50, p99 or max.
#[derive(Debug, Clone, PartialEq)]
pub struct Marker {
    /// Index of the run.
    pub run: usize,
    /// `p50`, `p99` or `max`.
    pub name: &'static str,
    /// The value.
    pub ms: f64,
    /// Pixel position (at the axis end when the value lies beyond it).
    pub px: f64,
    /// The value lies beyond the axis (in the overflow bar).
    pub beyond: bool,
    /// Label row (0 at the top), so that labels of nearby markers do not overlap.
    pub row: usize,
}

/// The lateness panel, laid out.
#[derive(Debug, Clone, PartialEq)]
pub struct LatenessPanel {
    /// Where the plot area is.
    pub rect: Rect,
    /// Lateness ticks along the bottom.
    pub x_ticks: Vec<Tick>,
    /// Share-of-answers ticks up the side.
    pub y_ticks: Vec<Tick>,
    /// One outline per run with lateness data.
    pub outlines: Vec<Outline>,
    /// p50, p99 and max of each run.
    pub markers: Vec<Marker>,
    /// Where the overflow bar starts, in ms, when there is one.
    pub overflow_from: Option<f64>,
}

/// Lays out the histogram of each run's lateness values (`late[i]` for run `i`).
pub fn lay_out(rect: Rect, late: &[Vec<f64>], stats: &[Option<Lateness>]) -> LatenessPanel {
    let all = late.iter().flatten().copied();
    let lo = all.clone().fold(0.0, f64::min);
    let max = all.fold(f64::NEG_INFINITY, f64::max);
    let p99 = stats.iter().flatten().map(|l| l.p99).fold(lo, f64::max);
    let far = p99 > lo && max - lo > 3.0 * (p99 - lo);
    let hi = if !max.is_finite() {
        1.0
    } else if far {
        lo + 2.0 * (p99 - lo)
    } else {
        max
    };
    let xs = Scale::nice(lo, hi, rect.x, rect.x + rect.w);
    let width = (xs.hi - xs.lo) / BINS as f64;
    let counts: Vec<Vec<f64>> = late
        .iter()
        .map(|vals| {
            let mut c = vec![0.0; BINS];
            for &v in vals {
                let bin = (((v - xs.lo) / width) as usize).min(BINS - 1);
                c[bin] += 1.0 / vals.len() as f64;
            }
            c
        })
        .collect();
    let top = counts.iter().flatten().copied().fold(0.0, f64::max);
    let ys = Scale::nice(0.0, top.max(0.01), rect.y + rect.h, rect.y);
    let outlines = counts
        .iter()
        .enumerate()
        .filter(|(i, _)| !late[*i].is_empty())
        .map(|(run, c)| Outline {
            run,
            points: step_outline(&c[..], &xs, &ys, width),
        })
        .collect();
    let mut markers: Vec<Marker> = stats
        .iter()
        .enumerate()
        .filter_map(|(run, l)| Some((run, (*l)?)))
        .flat_map(|(run, l)| {
            [("p50", l.p50), ("p99", l.p99), ("max", l.max)].map(|(name, ms)| Marker {
                run,
                name,
                ms,
                px: xs.px(ms.min(xs.hi)),
                beyond: ms > xs.hi,
                row: 0,
            })
        })
        .collect();
    stagger(&mut markers);
    LatenessPanel {
        rect,
        x_ticks: xs.ticks(fmt_ms),
        y_ticks: ys.ticks(|v, step| format!("{}%", fmt_step(v * 100.0, step * 100.0))),
        outlines,
        markers,
        overflow_from: far.then_some(xs.hi - width),
    }
}

/// Labels at least this far apart share a row.
const LABEL_PX: f64 = 64.0;

/// Puts each marker's label on the first row where it clears the labels left of it.
fn stagger(markers: &mut [Marker]) {
    let mut order: Vec<usize> = (0..markers.len()).collect();
    order.sort_by(|&a, &b| markers[a].px.total_cmp(&markers[b].px));
    let mut row_ends: Vec<f64> = Vec::new();
    for i in order {
        let px = markers[i].px;
        let row = row_ends.iter().position(|&end| px - end >= LABEL_PX);
        let row = row.unwrap_or_else(|| {
            row_ends.push(f64::NEG_INFINITY);
            row_ends.len() - 1
        });
        row_ends[row] = px;
        markers[i].row = row;
    }
}

fn step_outline(counts: &[f64], xs: &Scale, ys: &Scale, width: f64) -> Vec<(f64, f64)> {
    let base = ys.px(0.0);
    let mut pts = vec![(xs.px(xs.lo), base)];
    for (i, &c) in counts.iter().enumerate() {
        let y = ys.px(c);
        let x0 = xs.px(xs.lo + i as f64 * width);
        let x1 = xs.px(xs.lo + (i + 1) as f64 * width);
        if pts.last().is_some_and(|p| p.1 != y) {
            pts.push((x0, y));
        }
        pts.push((x1, y));
    }
    pts.push((xs.px(xs.hi), base));
    pts.dedup();
    pts
}

#[cfg(test)]
mod tests {
    use super::*;

    const R: Rect = Rect {
        x: 0.0,
        y: 0.0,
        w: 600.0,
        h: 100.0,
    };

    fn lat(p50: f64, p99: f64, max: f64) -> Option<Lateness> {
        Some(Lateness { p50, p99, max })
    }

    #[test]
    fn markers_sit_at_each_runs_percentiles() {
        let vals: Vec<f64> = (1..=100).map(|i| i as f64 / 50.0).collect();
        let p = lay_out(R, &[vals], &[lat(1.0, 1.98, 2.0)]);
        let names: Vec<&str> = p.markers.iter().map(|m| m.name).collect();
        assert_eq!(names, ["p50", "p99", "max"]);
        assert_eq!(p.overflow_from, None);
        // The axis runs 0..2 ms over 600 px.
        assert!((p.markers[0].px - 300.0).abs() < 1e-9, "{:?}", p.markers[0]);
        assert!(p.markers.iter().all(|m| !m.beyond));
    }

    #[test]
    fn a_far_outlier_goes_into_an_overflow_bar() {
        let mut vals = vec![0.5; 99];
        vals.push(50.0);
        let p = lay_out(R, &[vals], &[lat(0.5, 0.5, 50.0)]);
        let from = p.overflow_from.expect("overflow bar");
        assert!((0.5..50.0).contains(&from), "{from}");
        let max = &p.markers[2];
        assert!(max.beyond);
        assert_eq!(max.px, R.x + R.w);
        // The outlier's 1% is drawn in the last bar, not lost.
        let last_bar_top = p.outlines[0].points[p.outlines[0].points.len() - 2];
        assert!(last_bar_top.1 < R.h, "{last_bar_top:?}");
    }

    #[test]
    fn outline_heights_are_shares_of_the_runs_answers() {
        // Two runs, same values, different sizes: same outline.
        let a = lay_out(
            R,
            &[vec![1.0, 2.0], vec![1.0; 0]],
            &[lat(1.0, 2.0, 2.0), None],
        );
        let b = lay_out(
            R,
            &[vec![1.0, 1.0, 2.0, 2.0], vec![]],
            &[lat(1.0, 2.0, 2.0), None],
        );
        assert_eq!(a.outlines, b.outlines);
        assert_eq!(a.outlines.len(), 1, "a run without values draws nothing");
        let first = a.outlines[0].points[0];
        let last = *a.outlines[0].points.last().unwrap();
        assert_eq!(
            (first.1, last.1),
            (R.h, R.h),
            "starts and ends on the baseline"
        );
    }

    #[test]
    fn negative_lateness_extends_the_axis_below_zero() {
        let p = lay_out(R, &[vec![-2.0, 1.0]], &[lat(-2.0, 1.0, 1.0)]);
        assert!(p.x_ticks[0].label.starts_with('-'), "{:?}", p.x_ticks);
    }

    #[test]
    fn close_markers_get_separate_label_rows() {
        let p = lay_out(R, &[vec![1.0, 1.01, 100.0]], &[lat(1.0, 1.01, 1.02)]);
        let rows: Vec<usize> = p.markers.iter().map(|m| m.row).collect();
        assert_eq!(rows, [0, 1, 2]);
        let far = lay_out(R, &[vec![0.0, 50.0, 100.0]], &[lat(0.0, 50.0, 100.0)]);
        assert!(far.markers.iter().all(|m| m.row == 0));
    }

    #[test]
    fn no_values_still_lays_out_axes() {
        let p = lay_out(R, &[vec![]], &[None]);
        assert!(p.outlines.is_empty() && p.markers.is_empty());
        assert!(!p.x_ticks.is_empty());
    }
}
