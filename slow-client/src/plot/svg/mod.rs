//! SVG text from a [`Layout`]: no decisions here, only drawing.
//!
//! Every request's mark is one element with `class="mark …"` and `data-id`;
//! shared looks live in the `<style>` block so each mark stays short.

use super::timeline::MarkKind;
use super::{Layout, LineStyle};
use std::fmt::Write;

mod panels;

/// Run colours, in order (overlaid runs beyond these reuse them).
const RUN_COLOURS: [&str; 6] = [
    "#1f77b4", "#2ca02c", "#9467bd", "#8c564b", "#17becf", "#7f7f7f",
];
/// Failure-kind colours, in legend order.
const FAIL_COLOURS: [&str; 5] = ["#d62728", "#e377c2", "#bcbd22", "#6b0f1a", "#ff9896"];
/// Inversions are ringed in this.
const INVERSION: &str = "#ff7f0e";

/// The SVG document for `layout`.
pub fn render(layout: &Layout) -> String {
    let marks = layout.timeline.marks.len();
    let mut s = String::with_capacity(8192 + marks * 64);
    let (w, h) = (layout.width, layout.height);
    // `write!` into a String cannot fail.
    let _ = write!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" viewBox="0 0 {w} {h}" font-family="sans-serif" font-size="12">"#
    );
    style(&mut s);
    let _ = write!(s, r#"<rect width="{w}" height="{h}" fill="white"/>"#);
    for line in &layout.header {
        let class = match line.style {
            LineStyle::Title => "title",
            LineStyle::Summary => "summary",
            LineStyle::Note => "note",
        };
        let fill = line.run.map_or(String::new(), |r| {
            // A style, not a fill attribute: the sheet's `text` rule would beat that.
            format!(r#" style="fill:{}""#, RUN_COLOURS[r % RUN_COLOURS.len()])
        });
        text(&mut s, 20.0, line.y, class, &fill, &line.text);
    }
    legend(&mut s, layout);
    panels::timeline(&mut s, &layout.timeline);
    panels::writes(&mut s, &layout.writes, &layout.timeline, &layout.run_labels);
    panels::spectrum(&mut s, &layout.lateness, &layout.run_labels);
    s.push_str("</svg>\n");
    s
}

fn style(s: &mut String) {
    s.push_str("<style>text{fill:#222}.title{font-size:15px;font-weight:bold}.note{fill:#555}");
    s.push_str(".axis{stroke:#444;fill:none}.grid{stroke:#e8e8e8}.tick{fill:#444;font-size:11px}");
    s.push_str(".lane{fill:#f6f6f6}.halo{paint-order:stroke;stroke:#fff;stroke-width:3px}");
    s.push_str(".mark{fill:none;stroke-linecap:round}.sparse .mark{stroke-width:1.6}");
    s.push_str(".dense .mark{stroke-width:2.2}.front{fill:none;stroke-width:1.5}");
    s.push_str(".dot{stroke-width:0}.cross{stroke-width:1.8}.dense .failure{stroke-width:1.4}");
    let _ = write!(
        s,
        ".inv{{stroke:{INVERSION};stroke-width:1.5;fill:none}}.count{{fill:{INVERSION};font-size:11px;font-weight:bold}}"
    );
    s.push_str(".spec{fill:none;stroke-width:2}.pdot{stroke-width:0}.col{stroke:#ccc;stroke-dasharray:3 3}");
    for (i, c) in RUN_COLOURS.iter().enumerate() {
        let _ = write!(s, ".r{i}{{stroke:{c};fill:{c}}}");
    }
    for (i, c) in FAIL_COLOURS.iter().enumerate() {
        let _ = write!(s, ".f{i}{{stroke:{c};fill:{c}}}");
    }
    s.push_str(
        ".mark.r0,.mark.r1,.mark.r2,.mark.r3,.mark.r4,.mark.r5,.mark.failure,.front,.spec{fill:none}</style>",
    );
}

/// Rows the legend may use: the layout leaves room for one above the
/// timeline panel's caption.
const LEGEND_ROWS: usize = 1;
/// Vertical distance between legend rows.
const LEGEND_ROW_PX: f64 = 16.0;
/// Room kept at a row's end for the `+N more` that ends a full legend.
const LEGEND_MORE_PX: f64 = 80.0;

/// The legend's items, left to right, wrapping onto a new row while there are
/// [`LEGEND_ROWS`]; what does not fit ends as `+N more`.
struct Legend {
    x: f64,
    y: f64,
    row: usize,
    right: f64,
    left_out: usize,
}

impl Legend {
    const LEFT: f64 = 20.0;

    /// Adds one item (its swatch has `X0`/`Y0` for where it goes), unless the
    /// legend is full.
    fn item(&mut self, s: &mut String, swatch: &str, label: &str) {
        let width = 24.0 + 6.2 * label.chars().count() as f64;
        let last_row = self.row + 1 == LEGEND_ROWS;
        let room = self.right - if last_row { LEGEND_MORE_PX } else { 0.0 };
        if self.left_out > 0 || (self.x + width > room && self.x > Self::LEFT) && last_row {
            self.left_out += 1;
            return;
        }
        if self.x + width > room && self.x > Self::LEFT {
            self.row += 1;
            self.y += LEGEND_ROW_PX;
            self.x = Self::LEFT;
        }
        s.push_str(
            &swatch
                .replace("X0", &fmt(self.x))
                .replace("Y0", &fmt(self.y - 4.0)),
        );
        text(s, self.x + 12.0, self.y, "", "", label);
        self.x += width;
    }

    fn finish(self, s: &mut String) {
        if self.left_out > 0 {
            let more = format!("+{} more", self.left_out);
            text(s, self.x, self.y, "note", "", &more);
        }
    }
}

fn legend(s: &mut String, layout: &Layout) {
    let t = &layout.timeline;
    let mut legend = Legend {
        x: Legend::LEFT,
        y: layout.legend_y,
        row: 0,
        right: layout.width - Legend::LEFT,
        left_out: 0,
    };
    let answered = t
        .marks
        .iter()
        .any(|m| !matches!(m.kind, MarkKind::Failure(_)));
    let runs = match layout.run_labels.len() {
        0 => usize::from(answered),
        n => n,
    };
    for r in 0..runs {
        let label = layout.run_labels.get(r).map_or("answer", String::as_str);
        let c = r % RUN_COLOURS.len();
        let dot = format!(r#"<circle class="r{c}" cx="X0" cy="Y0" r="4"/>"#);
        legend.item(s, &dot, label);
    }
    if t.marks.iter().any(|m| m.kind == MarkKind::Inversion) {
        let ring = r#"<circle class="inv" cx="X0" cy="Y0" r="5"/>"#;
        let label = if t.inversion_counts.is_empty() {
            "inversion: arrived after a longer delay"
        } else {
            "inversion: arrived after a longer delay (×N: N of them at one spot)"
        };
        legend.item(s, ring, label);
    }
    for (k, kind) in t.failure_kinds.iter().enumerate() {
        let f = k % FAIL_COLOURS.len();
        let cross = format!(r#"<path class="cross f{f}" d="M X0 Y0m-4 -4l8 8m0 -8l-8 8"/>"#);
        legend.item(s, &cross, kind);
    }
    legend.finish(s);
}

fn text(s: &mut String, x: f64, y: f64, class: &str, extra: &str, body: &str) {
    let class = if class.is_empty() {
        String::new()
    } else {
        format!(r#" class="{class}""#)
    };
    let _ = write!(
        s,
        r#"<text x="{}" y="{}"{class}{extra}>{}</text>"#,
        fmt(x),
        fmt(y),
        escape(body)
    );
}

/// One decimal, without a trailing `.0`: pixels need no more.
fn fmt(v: f64) -> String {
    let r = (v * 10.0).round() / 10.0;
    if r == r.trunc() {
        format!("{}", r as i64)
    } else {
        format!("{r:.1}")
    }
}

/// `text` as XML character data or an attribute value: markup characters
/// escaped, and characters XML 1.0 forbids (C0 controls other than tab, line
/// feed and carriage return; U+FFFE, U+FFFF) replaced with U+FFFD, so text
/// from a file, an argument or a file name never makes the document ill-formed.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\t' | '\n' | '\r' => out.push(c),
            '\u{0}'..='\u{1f}' | '\u{fffe}' | '\u{ffff}' => out.push('\u{fffd}'),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_long_legend_stops_at_the_edge_and_says_how_many_more() {
        let mut s = String::new();
        let mut legend = Legend {
            x: Legend::LEFT,
            y: 100.0,
            row: 0,
            right: 1000.0,
            left_out: 0,
        };
        for k in 0..40 {
            legend.item(&mut s, "", &format!("failure kind number {k}"));
        }
        let (row, x, left_out) = (legend.row, legend.x, legend.left_out);
        legend.finish(&mut s);
        assert_eq!(row, LEGEND_ROWS - 1, "no row beyond the layout's room");
        assert!(x + LEGEND_MORE_PX <= 1000.0, "room left for the count");
        assert!(left_out > 0 && left_out < 40);
        assert!(s.contains(&format!("+{left_out} more")), "{s}");
        assert!(!s.contains(r#"y="116""#), "nothing below the legend's row");
    }

    #[test]
    fn escape_replaces_characters_xml_forbids_and_keeps_the_rest() {
        assert_eq!(
            escape("a\u{1}b\u{1b}[0m\u{fffe}\u{ffff}"),
            "a\u{fffd}b\u{fffd}[0m\u{fffd}\u{fffd}"
        );
        assert_eq!(escape("<&\"> \t\n\r é"), "&lt;&amp;&quot;&gt; \t\n\r é");
    }
}
