//! A picture of a run (`--plot`, `slow-client plot`): how late each answer
//! was against when it came, how the requests went out, and the lateness
//! distribution as a percentile spectrum.
//!
//! Lateness is the answer's time minus the time it was due (its request's
//! last byte written plus its delay), the number the summary's percentiles
//! count. Three panels share it:
//!
//! - the timeline: one mark per request at (when it ended, how late), on a
//!   log axis, so a stall's victims stand up as a ridge where they came;
//!   inversions ringed one by one (a count where several coincide), failures
//!   in a lane of their own;
//! - the writes strip under it, on the same time axis: the share of requests
//!   written so far, where a stalled writer is a flat step;
//! - the spectrum: lateness at each percentile on a log axis (p50, p90, p99,
//!   p99.9, max), with the values in a table.
//!
//! [`lay_out`] is a pure function from [`Run`]s to a [`Layout`] (scales,
//! marks, inversions, the curves, the title); [`render`] turns a layout into
//! SVG text; [`svg`] does both; [`run_from_jsonl`] reads a saved `--json` run
//! from its text. Nothing here reads or writes files.
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
mod log_scale;
mod run;
mod scale;
mod summary;
mod svg;
mod timeline;
mod writes;

pub use jsonl::{run_from_jsonl, run_from_jsonl_bytes, JsonlError};
pub use lateness::{Column, Curve, LatenessPanel};
pub use run::{Outcome, Record, Run, RunTotals};
pub use scale::Tick;
pub use summary::{run_stats, RunStats};
pub use svg::render;
pub use timeline::{InversionCount, Mark, MarkKind, Timeline};
pub use writes::{WriteFront, WritesStrip};

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

impl Rect {
    /// Whether the two rectangles share any area.
    pub fn overlaps(&self, other: &Rect) -> bool {
        self.x < other.x + other.w
            && other.x < self.x + self.w
            && self.y < other.y + other.h
            && other.y < self.y + self.h
    }
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
    /// The top panel: lateness against when each answer came.
    pub timeline: Timeline,
    /// Under it, on the same time axis: how the requests went out.
    pub writes: WritesStrip,
    /// The bottom panel: the percentile spectrum.
    pub lateness: LatenessPanel,
}

/// Height of the writes strip.
const WRITES_PX: f64 = 44.0;
/// Height of the spectrum's plot area.
const SPECTRUM_PX: f64 = 150.0;
/// Height of one row of the spectrum's table.
pub const TABLE_ROW_PX: f64 = 14.0;
/// Runs with a row in the spectrum's table (the legend names them all).
pub const TABLE_RUNS: usize = 4;

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
    let rows = runs.len().clamp(1, TABLE_RUNS) as f64;
    let spectrum = Rect {
        x: LEFT,
        y: HEIGHT - 12.0 - (18.0 + TABLE_ROW_PX * rows) - SPECTRUM_PX,
        w: WIDTH - LEFT - 30.0,
        h: SPECTRUM_PX,
    };
    // Under the strip: the time axis's labels and title, then the spectrum's caption.
    let writes_rect = Rect {
        y: spectrum.y - 72.0 - WRITES_PX,
        h: WRITES_PX,
        ..spectrum
    };
    let top_y = legend_y + 34.0;
    let top = Rect {
        y: top_y,
        // Room between them for the strip's note.
        h: (writes_rect.y - 26.0 - top_y).max(100.0),
        ..spectrum
    };
    let late: Vec<Vec<f64>> = runs
        .iter()
        .map(|r| r.records.iter().filter_map(|r| r.lateness_ms()).collect())
        .collect();
    let timeline = timeline::lay_out(top, runs);
    let writes = writes::lay_out(writes_rect, runs, &timeline.origins, &timeline.xs);
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
        timeline,
        writes,
        lateness: lateness::lay_out(spectrum, &late),
    }
}

/// The SVG picture of `runs`: [`lay_out`] then [`render`].
pub fn svg(runs: &[Run]) -> String {
    render(&lay_out(runs))
}

/// `text` cut to [`MAX_CHARS`] characters and an ellipsis.
fn clip(mut text: String) -> String {
    if let Some((cut, _)) = text.char_indices().nth(MAX_CHARS) {
        text.truncate(cut);
        text.push('…');
    }
    text
}

#[cfg(test)]
mod tests;
