//! The bottom panel: the lateness distribution as a percentile spectrum.
//!
//! As HdrHistogram and wrk2 draw it: the percentile runs along a log axis of
//! `1 / (1 - q)` (p50, p90, p99, p99.9, ... one decade apart), lateness up
//! the same log axis as the timeline. The bulk of the answers and the tail
//! each get their share of the width, where a linear histogram puts 85% of
//! the answers in its first bar and the tail in bars too thin to see. The
//! values at p50, p90, p99, p99.9 and the max are written in a table under
//! the axis, one row per run, so labels never overlap the curve or each
//! other.

use super::log_scale::LogScale;
use super::scale::Tick;
use super::Rect;

/// The named percentiles, as `(label, q)`.
const NAMED: [(&str, f64); 4] = [("p50", 0.5), ("p90", 0.9), ("p99", 0.99), ("p99.9", 0.999)];
/// The fewest decades of percentile the axis shows (up to p99.9).
const MIN_DECADES: f64 = 3.0;
/// The max sits this far (in decades) right of the last percentile decade.
const MAX_GAP: f64 = 0.5;
/// Room kept right of the max's column for its value, in pixels.
const RIGHT_PX: f64 = 24.0;
/// Points per curve: enough for a smooth line whatever the run's size.
const CURVE_POINTS: usize = 240;

/// One run's spectrum.
#[derive(Debug, Clone, PartialEq)]
pub struct Curve {
    /// Index of the run (its colour).
    pub run: usize,
    /// The curve, left to right, ending at the max.
    pub points: Vec<(f64, f64)>,
    /// The values at the named percentiles and the max, in column order.
    pub values: Vec<f64>,
    /// Where each of `values` sits on the curve, in pixels.
    pub dots: Vec<(f64, f64)>,
    /// Answers counted.
    pub count: usize,
}

/// One column of the table: a named percentile (or the max) and where it sits.
#[derive(Debug, Clone, PartialEq)]
pub struct Column {
    /// `p50`, ..., `max`.
    pub name: &'static str,
    /// Pixel position along the percentile axis.
    pub px: f64,
}

/// The spectrum panel, laid out.
#[derive(Debug, Clone, PartialEq)]
pub struct LatenessPanel {
    /// Where the plot area is.
    pub rect: Rect,
    /// The named percentiles and the max, left to right.
    pub columns: Vec<Column>,
    /// Lateness ticks up the side.
    pub y_ticks: Vec<Tick>,
    /// One curve per run with lateness values.
    pub curves: Vec<Curve>,
}

impl LatenessPanel {
    /// Each run's value in `column` (by name), for tests and readers.
    pub fn value(&self, run: usize, column: &str) -> Option<f64> {
        let i = self.columns.iter().position(|c| c.name == column)?;
        self.curves
            .iter()
            .find(|c| c.run == run)?
            .values
            .get(i)
            .copied()
    }
}

/// Lays out the spectrum of each run's lateness values (`late[i]` for run `i`).
pub fn lay_out(rect: Rect, late: &[Vec<f64>]) -> LatenessPanel {
    let ys = LogScale::covering(late.iter().flatten().copied(), rect.y + rect.h, rect.y);
    let most = late.iter().map(Vec::len).max().unwrap_or(0);
    // Decades of percentile worth drawing: a run of n answers resolves up to 1 - 1/n.
    let decades = (most.max(1) as f64).log10().ceil().max(MIN_DECADES);
    let span = decades + MAX_GAP;
    let px = |d: f64| rect.x + d / span * (rect.w - RIGHT_PX);
    let mut columns: Vec<Column> = NAMED
        .iter()
        .map(|&(name, q)| Column {
            name,
            px: px(-(1.0 - q).log10()),
        })
        .collect();
    columns.push(Column {
        name: "max",
        px: px(span),
    });
    let curves = late
        .iter()
        .enumerate()
        .filter(|(_, v)| !v.is_empty())
        .map(|(run, values)| {
            let mut sorted = values.clone();
            sorted.sort_by(f64::total_cmp);
            let max = sorted[sorted.len() - 1];
            let mut points: Vec<(f64, f64)> = (0..=CURVE_POINTS)
                .map(|i| {
                    let d = decades * i as f64 / CURVE_POINTS as f64;
                    (px(d), ys.px(quantile(&sorted, 1.0 - 10f64.powf(-d))))
                })
                .collect();
            points.push((px(span), ys.px(max)));
            points.dedup();
            let mut values: Vec<f64> = NAMED.iter().map(|&(_, q)| quantile(&sorted, q)).collect();
            values.push(max);
            let dots = columns
                .iter()
                .zip(&values)
                .map(|(c, &v)| (c.px, ys.px(v)))
                .collect();
            Curve {
                run,
                points,
                values,
                dots,
                count: sorted.len(),
            }
        })
        .collect();
    LatenessPanel {
        rect,
        columns,
        y_ticks: ys.ticks(),
        curves,
    }
}

/// The nearest-rank quantile `q` of a sorted, non-empty slice (as the
/// summary computes p50 and p99): the smallest value with at least `q` of
/// the values at or below it.
pub fn quantile(sorted: &[f64], q: f64) -> f64 {
    let rank = ((q * sorted.len() as f64) - 1e-9).ceil().max(1.0) as usize;
    sorted[rank.min(sorted.len()) - 1]
}

#[cfg(test)]
mod tests {
    use super::*;

    const R: Rect = Rect {
        x: 0.0,
        y: 0.0,
        w: 700.0,
        h: 100.0,
    };

    #[test]
    fn quantiles_are_nearest_rank_like_the_summary() {
        let v: Vec<f64> = (1..=100).map(f64::from).collect();
        assert_eq!(quantile(&v, 0.5), 50.0);
        assert_eq!(quantile(&v, 0.99), 99.0);
        assert_eq!(quantile(&v, 0.999), 100.0);
        assert_eq!(quantile(&v, 0.0), 1.0);
        assert_eq!(quantile(&[7.0], 0.9), 7.0);
    }

    #[test]
    fn columns_are_a_decade_apart_and_the_max_stands_apart() {
        let p = lay_out(
            Rect {
                w: R.w + RIGHT_PX,
                ..R
            },
            &[vec![1.0; 50]],
        );
        let names: Vec<&str> = p.columns.iter().map(|c| c.name).collect();
        assert_eq!(names, ["p50", "p90", "p99", "p99.9", "max"]);
        let x: Vec<f64> = p.columns.iter().map(|c| c.px).collect();
        // Three decades plus the max's half over 700 px: 200 px per decade.
        assert!(
            (x[1] - 200.0).abs() < 1e-9 && (x[2] - 400.0).abs() < 1e-9,
            "{x:?}"
        );
        assert!((x[3] - 600.0).abs() < 1e-6 && x[4] == 700.0, "{x:?}");
        assert!(x[1] - x[0] > 100.0, "p50 and p90 apart: {x:?}");
    }

    #[test]
    fn the_tail_gets_room_a_linear_histogram_would_not_give_it() {
        // 85% at 0.1 ms, a tail to 50 ms: p99 and max are read off, not lost.
        let mut v = vec![0.1; 850];
        v.extend((0..150).map(|i| 0.2 + f64::from(i) / 3.0));
        let p = lay_out(R, &[v]);
        assert_eq!(p.value(0, "p50"), Some(0.1));
        let p99 = p.value(0, "p99").unwrap();
        assert!(p99 > 40.0 && p99 < 50.0, "{p99}");
        assert_eq!(p.value(0, "max"), Some(0.2 + 149.0 / 3.0));
        let c = &p.curves[0];
        // The curve rises left to right (pixels go down) and ends at the max.
        assert!(c
            .points
            .windows(2)
            .all(|w| w[1].1 <= w[0].1 && w[1].0 > w[0].0));
        assert_eq!(c.points[c.points.len() - 1].0, R.x + R.w - RIGHT_PX);
        assert!(c.points.len() <= CURVE_POINTS + 2);
    }

    #[test]
    fn a_large_run_widens_the_axis_to_its_resolution() {
        let v: Vec<f64> = (1..=20_000).map(|i| f64::from(i) / 1000.0).collect();
        let p = lay_out(R, &[v]);
        // 20,000 answers resolve five decades (p99.999).
        let p999 = p.columns.iter().find(|c| c.name == "p99.9").unwrap().px;
        assert!(
            (p999 - (700.0 - RIGHT_PX) * 3.0 / 5.5).abs() < 1e-6,
            "{p999}"
        );
    }

    #[test]
    fn runs_without_values_draw_nothing_and_overlays_keep_their_own_values() {
        let p = lay_out(R, &[vec![], vec![2.0, 4.0]]);
        assert_eq!(p.curves.len(), 1);
        assert_eq!(p.curves[0].run, 1);
        assert_eq!(p.value(1, "max"), Some(4.0));
        assert_eq!(p.value(0, "max"), None);
        let empty = lay_out(R, &[vec![]]);
        assert!(empty.curves.is_empty() && !empty.y_ticks.is_empty());
    }

    #[test]
    fn early_answers_sit_in_the_band_below_zero() {
        let p = lay_out(R, &[vec![-999.6, 0.5, 0.6]]);
        assert_eq!(p.y_ticks[0].label, "≤ 0");
        assert_eq!(
            p.curves[0].points[0].1,
            R.y + R.h,
            "the earliest at the very bottom"
        );
    }
}
