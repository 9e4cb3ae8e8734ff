//! A picture of a run (`--plot`, `slow-client plot`): every request on one time
//! axis, and how late the answers were.
//!
//! [`lay_out`] is a pure function from [`Run`]s to a [`Layout`] (scales, marks,
//! inversions, the lateness histogram, the title); [`render`] turns a layout
//! into SVG text; [`svg`] does both; [`run_from_jsonl`] reads a saved
//! `--json` run from its text. Nothing here reads or writes files.
//!
//! The SVG is written by hand rather than with `plotters`: each request's mark
//! carries `data-id` (tests count them; a reader can find one), the styles sit
//! in one `<style>` block, which keeps 20,000 requests near 1 MB, and no font
//! metrics are needed because the layout leaves room for its labels.
//!
//! # Examples
//! ```
//! use slow_client::plot::{svg, Outcome, Record, Run};
//! let run = Run {
//!     label: "demo".into(),
//!     argv: vec!["slow-client".into()],
//!     totals: None,
//!     records: vec![Record {
//!         id: 1,
//!         delay_ms: 1000,
//!         sent_ms: Some(0.4),
//!         done_ms: Some(1001.1),
//!         elapsed_ms: Some(1000.7),
//!         outcome: Outcome::Response { status: 200 },
//!     }],
//! };
//! let picture = svg(&[run]);
//! assert!(picture.starts_with("<svg") && picture.contains(r#"data-id="1""#));
//! ```

mod jsonl;
mod lateness;
mod run;
mod scale;
mod summary;
mod svg;
mod timeline;

pub use jsonl::{run_from_jsonl, JsonlError};
pub use lateness::{LatenessPanel, Marker, Outline};
pub use run::{Outcome, Record, Run, RunTotals};
pub use scale::Tick;
pub use summary::{run_stats, RunStats};
pub use svg::render;
pub use timeline::{Mark, MarkKind, Timeline, YKey};

/// The picture's size in pixels.
pub const WIDTH: f64 = 1200.0;
/// The picture's height in pixels.
pub const HEIGHT: f64 = 900.0;
/// Left edge of both plot areas (room for the tick labels).
const LEFT: f64 = 90.0;
/// Height of one header line.
const LINE: f64 = 17.0;
/// Longest header line kept whole.
const MAX_CHARS: usize = 170;

/// A rectangle in pixels.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rect {
    /// Left edge.
    pub x: f64,
    /// Top edge.
    pub y: f64,
    /// Width.
    pub w: f64,
    /// Height.
    pub h: f64,
}

/// One line of the header.
#[derive(Debug, Clone, PartialEq)]
pub struct HeaderLine {
    /// The run whose colour the line wears; `None` for the title and plain notes.
    pub run: Option<usize>,
    /// What kind of line it is.
    pub style: LineStyle,
    /// The text.
    pub text: String,
    /// Baseline height.
    pub y: f64,
}

/// How a header line is drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LineStyle {
    /// The title: the command line, or the number of runs.
    Title,
    /// A run's numbers.
    Summary,
    /// What the picture cannot show.
    Note,
}

/// The whole picture, laid out.
#[derive(Debug, Clone, PartialEq)]
pub struct Layout {
    /// Width in pixels.
    pub width: f64,
    /// Height in pixels.
    pub height: f64,
    /// Title, run summaries and notes, top to bottom.
    pub header: Vec<HeaderLine>,
    /// Baseline of the legend row, above the top panel.
    pub legend_y: f64,
    /// The runs' labels for the legend (empty for a single run).
    pub run_labels: Vec<String>,
    /// The top panel.
    pub timeline: Timeline,
    /// The bottom panel.
    pub lateness: LatenessPanel,
}

/// Lays out the picture of `runs` (overlaid in order; the first is drawn first).
pub fn lay_out(runs: &[Run]) -> Layout {
    let stats: Vec<RunStats> = runs.iter().map(run_stats).collect();
    let many = runs.len() > 1;
    let mut header = Vec::new();
    let mut push = |run, style, text: String| {
        let y = 26.0 + LINE * header.len() as f64 + if header.is_empty() { 0.0 } else { 4.0 };
        header.push(HeaderLine {
            run,
            style,
            text: clip(text),
            y,
        });
    };
    match runs {
        [run] if !run.argv.is_empty() => push(None, LineStyle::Title, run.command_line()),
        [run] => push(None, LineStyle::Title, run.label.clone()),
        _ => push(None, LineStyle::Title, format!("{} runs", runs.len())),
    }
    for (i, (run, s)) in runs.iter().zip(&stats).enumerate() {
        let text = summary::summary_line(run, s);
        if many {
            let cmd = run.command_line();
            let sep = if cmd.is_empty() { "" } else { ": " };
            push(
                Some(i),
                LineStyle::Summary,
                format!("{}{sep}{cmd}", run.label),
            );
            push(Some(i), LineStyle::Note, format!("    {text}"));
        } else {
            push(None, LineStyle::Summary, text);
        }
        for note in summary::notes(run, s) {
            let prefix = if many {
                format!("{}: ", run.label)
            } else {
                String::new()
            };
            push(None, LineStyle::Note, format!("{prefix}{note}"));
        }
    }
    let header_end = header.last().map_or(0.0, |l| l.y);
    let legend_y = header_end + 26.0;
    let bottom = Rect {
        x: LEFT,
        y: HEIGHT - 45.0 - 160.0,
        w: WIDTH - LEFT - 30.0,
        h: 160.0,
    };
    let top_y = legend_y + 34.0;
    let top = Rect {
        x: LEFT,
        y: top_y,
        w: bottom.w,
        h: (bottom.y - 70.0 - top_y).max(100.0),
    };
    let late: Vec<Vec<f64>> = runs
        .iter()
        .map(|r| r.records.iter().filter_map(|r| r.lateness_ms()).collect())
        .collect();
    let percentiles: Vec<_> = stats.iter().map(|s| s.lateness).collect();
    Layout {
        width: WIDTH,
        height: HEIGHT,
        header,
        legend_y,
        run_labels: if many {
            runs.iter().map(|r| r.label.clone()).collect()
        } else {
            Vec::new()
        },
        timeline: timeline::lay_out(top, runs),
        lateness: lateness::lay_out(bottom, &late, &percentiles),
    }
}

/// The SVG picture of `runs`: [`lay_out`] then [`render`].
pub fn svg(runs: &[Run]) -> String {
    render(&lay_out(runs))
}

fn clip(mut text: String) -> String {
    if let Some((cut, _)) = text.char_indices().nth(MAX_CHARS) {
        text.truncate(cut);
        text.push('…');
    }
    text
}

#[cfg(test)]
mod tests;
