//! The strip under the timeline: how the requests went out, on the same time
//! axis as the answers.
//!
//! Each run's share of requests written against time: a healthy run is a
//! cliff at 0 (everything written within milliseconds); a writer that
//! stalled (connects that did not complete, one address's accept queue
//! overflowing) is a flat step, and its length is stated.

use super::run::Run;
use super::scale::Scale;
use super::Rect;

/// One run's writes, laid out.
#[derive(Debug, Clone, PartialEq)]
pub struct WriteFront {
    /// Index of the run.
    pub run: usize,
    /// The share written over time as a step line, at most a few points per pixel column.
    pub points: Vec<(f64, f64)>,
    /// Requests with a write time.
    pub written: usize,
    /// From the first write to the last, ms.
    pub span_ms: f64,
    /// The longest time between two consecutive writes: `(ms, starting at ms since the first write)`.
    pub longest_pause: Option<(f64, f64)>,
}

/// The strip, laid out.
#[derive(Debug, Clone, PartialEq)]
pub struct WritesStrip {
    /// Where the strip is.
    pub rect: Rect,
    /// One front per run with at least one write time.
    pub fronts: Vec<WriteFront>,
}

/// Lays out the strip in `rect`, on the timeline's time scale `xs` (data in
/// ms since each run's `origins[i]`).
pub fn lay_out(rect: Rect, runs: &[Run], origins: &[f64], xs: &Scale) -> WritesStrip {
    let fronts = runs
        .iter()
        .zip(origins)
        .enumerate()
        .filter_map(|(i, (run, &t0))| {
            let mut sent: Vec<f64> = run.records.iter().filter_map(|r| r.sent_ms).collect();
            if sent.is_empty() {
                return None;
            }
            sent.sort_by(f64::total_cmp);
            let n = sent.len() as f64;
            let y = |k: usize| rect.y + rect.h - rect.h * k as f64 / n;
            let mut points = vec![(xs.px(sent[0] - t0), y(0))];
            for (k, &s) in sent.iter().enumerate() {
                let x = xs.px(s - t0);
                // A step: along at the old share, then up. Within one pixel
                // column only the column's last share is kept.
                let last = points[points.len() - 1];
                if (x - last.0).abs() >= 1.0 {
                    points.push((x, last.1));
                } else if points.len() > 1 {
                    points.pop();
                }
                points.push((x, y(k + 1)));
            }
            let longest_pause = sent
                .windows(2)
                .map(|w| (w[1] - w[0], w[0] - t0))
                .max_by(|a, b| a.0.total_cmp(&b.0));
            Some(WriteFront {
                run: i,
                points,
                written: sent.len(),
                span_ms: sent[sent.len() - 1] - sent[0],
                longest_pause,
            })
        })
        .collect();
    WritesStrip { rect, fronts }
}

#[cfg(test)]
mod tests {
    use super::super::run::{Outcome, Record};
    use super::*;

    const R: Rect = Rect {
        x: 100.0,
        y: 500.0,
        w: 1000.0,
        h: 50.0,
    };

    fn run_sent(sent: &[f64]) -> Run {
        let records = sent
            .iter()
            .enumerate()
            .map(|(i, &s)| Record {
                id: i as u32 + 1,
                delay_ms: 0,
                sent_ms: Some(s),
                done_ms: Some(s + 1.0),
                elapsed_ms: Some(1.0),
                outcome: Outcome::Response { status: 200 },
            })
            .collect();
        Run {
            records,
            ..Run::default()
        }
    }

    #[test]
    fn a_stalled_writer_shows_its_longest_pause_and_where_it_began() {
        // 3 written at once, nothing for 7.8 s, then the rest.
        let run = run_sent(&[1.0, 1.1, 1.2, 7801.2, 7801.3]);
        let xs = Scale::nice(0.0, 9000.0, R.x, R.x + R.w);
        let s = lay_out(R, &[run], &[1.0], &xs);
        let f = &s.fronts[0];
        assert_eq!(f.written, 5);
        let (pause, at) = f.longest_pause.unwrap();
        assert!(
            (pause - 7800.0).abs() < 1e-6 && (at - 0.2).abs() < 1e-9,
            "{pause} at {at}"
        );
        assert!((f.span_ms - 7800.3).abs() < 1e-6);
        // Starts on the baseline, ends at the top, never goes down.
        assert_eq!(f.points[0].1, R.y + R.h);
        assert_eq!(f.points[f.points.len() - 1].1, R.y);
        assert!(f
            .points
            .windows(2)
            .all(|w| w[1].1 <= w[0].1 && w[1].0 >= w[0].0));
        // The flat step is there: a point at 60% written far to the right.
        let at_60 = |p: &&(f64, f64)| (p.1 - (R.y + R.h * 0.4)).abs() < 1e-9;
        assert!(
            f.points.iter().filter(at_60).any(|p| p.0 > R.x + 700.0),
            "{:?}",
            f.points
        );
    }

    #[test]
    fn many_writes_keep_a_few_points_per_pixel_column() {
        let sent: Vec<f64> = (0..20_000).map(|i| f64::from(i) * 0.01).collect();
        let xs = Scale::nice(0.0, 200.0, R.x, R.x + R.w);
        let s = lay_out(R, &[run_sent(&sent)], &[0.0], &xs);
        assert!(
            s.fronts[0].points.len() <= 2 * R.w as usize + 4,
            "{}",
            s.fronts[0].points.len()
        );
    }

    #[test]
    fn a_run_without_write_times_draws_no_front() {
        let mut run = run_sent(&[1.0]);
        run.records[0].sent_ms = None;
        let xs = Scale::nice(0.0, 10.0, R.x, R.x + R.w);
        assert!(lay_out(R, &[run], &[0.0], &xs).fronts.is_empty());
    }
}
