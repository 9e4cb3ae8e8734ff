//! The three panels as SVG: the timeline, the writes strip, the spectrum.

use super::super::lateness::LatenessPanel;
use super::super::log_scale::fmt_late;
use super::super::timeline::{Mark, MarkKind, Timeline};
use super::super::writes::WritesStrip;
use super::super::{clip, Rect, Tick, TABLE_ROW_PX, TABLE_RUNS};
use super::{escape, fmt, text, FAIL_COLOURS, RUN_COLOURS};
use std::fmt::Write;

/// Up to this many requests, each mark is labelled with its id.
const MAX_LABELLED: usize = 40;

/// Vertical grid lines at `ticks` across `r`, without labels.
fn v_grid(s: &mut String, r: Rect, ticks: &[Tick]) {
    for t in ticks {
        let x = fmt(t.px);
        let _ = write!(
            s,
            r#"<line class="grid" x1="{x}" y1="{}" x2="{x}" y2="{}"/>"#,
            fmt(r.y),
            fmt(r.y + r.h)
        );
    }
}

/// Horizontal grid lines and labels at `ticks`, left of `r`.
fn h_ticks(s: &mut String, r: Rect, ticks: &[Tick]) {
    for t in ticks {
        let y = fmt(t.px);
        let _ = write!(
            s,
            r#"<line class="grid" x1="{}" y1="{y}" x2="{}" y2="{y}"/><text class="tick" x="{}" y="{}" text-anchor="end">{}</text>"#,
            fmt(r.x),
            fmt(r.x + r.w),
            fmt(r.x - 6.0),
            fmt(t.px + 4.0),
            escape(&t.label)
        );
    }
}

/// The axis lines: left and bottom.
fn frame(s: &mut String, r: Rect) {
    let _ = write!(
        s,
        r#"<path class="axis" d="M{} {}V{}H{}"/>"#,
        fmt(r.x),
        fmt(r.y),
        fmt(r.y + r.h),
        fmt(r.x + r.w)
    );
}

/// A title up the left side, centred on `r`.
fn y_title(s: &mut String, r: Rect, title: &str) {
    let _ = write!(
        s,
        r#"<text transform="translate(22 {}) rotate(-90)" text-anchor="middle">{}</text>"#,
        fmt(r.y + r.h / 2.0),
        escape(title)
    );
}

pub(super) fn timeline(s: &mut String, t: &Timeline) {
    let r = t.rect;
    if let Some(lane) = t.lane {
        let _ = write!(
            s,
            r#"<rect class="lane" x="{}" y="{}" width="{}" height="{}"/>"#,
            fmt(lane.x),
            fmt(lane.y),
            fmt(lane.w),
            fmt(lane.h)
        );
        let _ = write!(
            s,
            r#"<text class="tick" x="{}" y="{}" text-anchor="end">failed</text>"#,
            fmt(lane.x - 6.0),
            fmt(lane.y + lane.h / 2.0 + 4.0)
        );
    }
    v_grid(s, r, &t.x_ticks);
    h_ticks(s, r, &t.y_ticks);
    frame(s, r);
    y_title(s, r, "lateness (log scale)");
    let how = "each answer: how late it came (answer time minus its request's write time and delay), at the time it came";
    text(s, r.x, r.y - 8.0, "note", "", how);
    let _ = write!(
        s,
        r#"<g class="{}">"#,
        if t.dense { "dense" } else { "sparse" }
    );
    // Ok marks first, then inversions, then failures on top.
    let layer = |m: &Mark| match m.kind {
        MarkKind::Ok => 0,
        MarkKind::Inversion => 1,
        MarkKind::Failure(_) => 2,
    };
    let labelled = !t.dense && t.marks.len() <= MAX_LABELLED;
    for l in 0..3 {
        for m in t.marks.iter().filter(|m| layer(m) == l) {
            mark(s, m, t.dense, labelled);
        }
    }
    s.push_str("</g>");
    for c in &t.inversion_counts {
        let _ = write!(
            s,
            r#"<text class="count halo" x="{}" y="{}">×{}</text>"#,
            fmt(c.x + 6.0),
            fmt(c.y - 6.0),
            c.count
        );
    }
}

fn mark(s: &mut String, m: &Mark, dense: bool, labelled: bool) {
    let (x, y) = (fmt(m.x), fmt(m.y));
    let c = m.run % RUN_COLOURS.len();
    let id = m.id;
    if dense {
        // One short element each: at 20,000 marks every byte counts 20,000 times.
        let _ = match m.kind {
            MarkKind::Ok => write!(
                s,
                r#"<path class="mark r{c}" data-id="{id}" d="M{x} {y}h0"/>"#
            ),
            MarkKind::Inversion => write!(
                s,
                r#"<circle class="mark inv" data-id="{id}" cx="{x}" cy="{y}" r="4"/>"#
            ),
            MarkKind::Failure(k) => write!(
                s,
                r#"<path class="mark failure f{}" data-id="{id}" d="M{x} {y}m-3 -3l6 6m0 -6l-6 6"/>"#,
                k % FAIL_COLOURS.len()
            ),
        };
        return;
    }
    let (group, colour) = match m.kind {
        MarkKind::Ok => ("mark", format!("r{c}")),
        MarkKind::Inversion => ("mark inversion", format!("r{c}")),
        MarkKind::Failure(k) => ("mark failure", format!("f{}", k % FAIL_COLOURS.len())),
    };
    let _ = write!(s, r#"<g data-id="{id}" class="{group}">"#);
    let _ = match m.kind {
        MarkKind::Ok => write!(
            s,
            r#"<circle class="dot {colour}" cx="{x}" cy="{y}" r="3"/>"#
        ),
        MarkKind::Inversion => write!(
            s,
            r#"<circle class="dot {colour}" cx="{x}" cy="{y}" r="2.5"/><circle class="inv" cx="{x}" cy="{y}" r="6"/>"#
        ),
        MarkKind::Failure(_) => write!(
            s,
            r#"<path class="cross {colour}" d="M{x} {y}m-4 -4l8 8m0 -8l-8 8"/>"#
        ),
    };
    if labelled {
        let _ = write!(
            s,
            r#"<text class="tick" x="{}" y="{}">{id}</text>"#,
            fmt(m.x + 7.0),
            fmt(m.y - 5.0)
        );
    }
    s.push_str("</g>");
}

pub(super) fn writes(s: &mut String, w: &WritesStrip, t: &Timeline, run_labels: &[String]) {
    let r = w.rect;
    v_grid(s, r, &t.x_ticks);
    frame(s, r);
    for (label, y) in [
        ("100%", r.y),
        ("written", r.y + r.h / 2.0),
        ("0", r.y + r.h),
    ] {
        let _ = write!(
            s,
            r#"<text class="tick" x="{}" y="{}" text-anchor="end">{label}</text>"#,
            fmt(r.x - 6.0),
            fmt(y + 4.0)
        );
    }
    for tick in &t.x_ticks {
        let _ = write!(
            s,
            r#"<text class="tick" x="{}" y="{}" text-anchor="middle">{}</text>"#,
            fmt(tick.px),
            fmt(r.y + r.h + 15.0),
            escape(&tick.label)
        );
    }
    let title = "time since the run's first request was written: when each answer came (above), when each request went out (here)";
    let _ = write!(
        s,
        r#"<text x="{}" y="{}" text-anchor="middle">{}</text>"#,
        fmt(r.x + r.w / 2.0),
        fmt(r.y + r.h + 32.0),
        escape(title)
    );
    for f in &w.fronts {
        let _ = write!(
            s,
            r#"<polyline class="front r{}" points=""#,
            f.run % RUN_COLOURS.len()
        );
        for (x, y) in &f.points {
            let _ = write!(s, "{},{} ", fmt(*x), fmt(*y));
        }
        s.push_str(r#""/>"#);
    }
    // What the strip means in numbers, one run after the other, above it.
    let notes: Vec<String> = w
        .fronts
        .iter()
        .map(|f| {
            let pause = f.longest_pause.map_or(String::new(), |(pause, at)| {
                format!(
                    "; longest pause between two writes {} (from {})",
                    fmt_late(pause),
                    fmt_late(at)
                )
            });
            let within = fmt_late(f.span_ms);
            match run_labels.get(f.run) {
                Some(label) => {
                    let pause = f.longest_pause.map_or(String::new(), |(p, _)| {
                        format!(", longest pause {}", fmt_late(p))
                    });
                    format!("{label}: all within {within}{pause}")
                }
                None => format!("{} requests written within {within}{pause}", f.written),
            }
        })
        .collect();
    if !notes.is_empty() {
        text(s, r.x, r.y - 6.0, "note", "", &clip(notes.join(" · ")));
    }
}

pub(super) fn spectrum(s: &mut String, p: &LatenessPanel, run_labels: &[String]) {
    let r = p.rect;
    for c in &p.columns {
        let x = fmt(c.px);
        let _ = write!(
            s,
            r#"<line class="col" x1="{x}" y1="{}" x2="{x}" y2="{}"/><text class="tick" x="{x}" y="{}" text-anchor="middle">{}</text>"#,
            fmt(r.y),
            fmt(r.y + r.h),
            fmt(r.y + r.h + 15.0),
            c.name
        );
    }
    h_ticks(s, r, &p.y_ticks);
    frame(s, r);
    y_title(s, r, "lateness (log scale)");
    let title = "lateness of the ok answers (status < 400) at each percentile, both axes logarithmic: the tail has room";
    text(s, r.x, r.y - 8.0, "note", "", title);
    if p.curves.is_empty() {
        let _ = write!(
            s,
            r#"<text class="note" x="{}" y="{}" text-anchor="middle">no ok answers: no lateness to show</text>"#,
            fmt(r.x + r.w / 2.0),
            fmt(r.y + r.h / 2.0)
        );
    }
    let _ = write!(
        s,
        r#"<text class="tick" x="{}" y="{}" text-anchor="end">percentile</text>"#,
        fmt(r.x - 6.0),
        fmt(r.y + r.h + 15.0)
    );
    for c in &p.curves {
        let k = c.run % RUN_COLOURS.len();
        let _ = write!(s, r#"<polyline class="spec r{k}" points=""#);
        for (x, y) in &c.points {
            let _ = write!(s, "{},{} ", fmt(*x), fmt(*y));
        }
        s.push_str(r#""/>"#);
        for (x, y) in &c.dots {
            let _ = write!(
                s,
                r#"<circle class="pdot r{k}" cx="{}" cy="{}" r="3.5"/>"#,
                fmt(*x),
                fmt(*y)
            );
        }
    }
    // The table: one row of values per run, under the column names.
    for (row, c) in p.curves.iter().take(TABLE_RUNS).enumerate() {
        let k = c.run % RUN_COLOURS.len();
        let style = format!(r#" style="fill:{}""#, RUN_COLOURS[k]);
        let y = r.y + r.h + 15.0 + TABLE_ROW_PX * (row as f64 + 1.0);
        let name = run_labels.get(c.run).map_or("lateness", String::as_str);
        // The margin holds about 12 characters.
        let name: String = if name.chars().count() > 12 {
            name.chars().take(10).chain(['…']).collect()
        } else {
            name.to_owned()
        };
        let _ = write!(
            s,
            r#"<text class="tick" x="{}" y="{}" text-anchor="end"{style}>{}</text>"#,
            fmt(r.x - 6.0),
            fmt(y),
            escape(&name)
        );
        for (col, v) in p.columns.iter().zip(&c.values) {
            let _ = write!(
                s,
                r#"<text class="tick" x="{}" y="{}" text-anchor="middle"{style}>{}</text>"#,
                fmt(col.px),
                fmt(y),
                escape(&fmt_late(*v))
            );
        }
    }
}
