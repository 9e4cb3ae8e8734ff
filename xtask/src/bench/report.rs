//! `xtask/BENCHMARKS.md`: what every section found ([`Findings`]: chapters of
//! prose and tables, and the targets judged), written by one renderer.
//!
//! The report is the machine, the command, the targets of every section in
//! one table, each section's chapters in the order the sections ran (two
//! sections writing the same chapter share it; a table with the columns of
//! one already there continues it), and last "Where the time goes" with the
//! hand-written reading of the evidence.

use super::machine::Machine;
use std::fmt::Write as _;
use std::time::Duration;

/// The hand-written reading of the evidence; the numbers it cites are from
/// the run it was written after, the tables above it from the latest run.
const READING: &str = include_str!("where_time_goes.md");

/// The closing chapter's heading: sections add to it, the reading ends it.
pub const WHERE_TIME_GOES: &str = "Where the time goes";

/// One performance target: what, the number, and whether it was met
/// (`None`: not judged, or not measured here).
#[derive(Debug, Clone, PartialEq)]
pub struct Target {
    /// The target, as the report states it.
    pub what: &'static str,
    /// What was measured, with its unit.
    pub measured: String,
    /// Met, missed, or not judged.
    pub met: Option<bool>,
}

impl Target {
    /// A target that could not be measured here, and why.
    pub fn skipped(what: &'static str, why: &str) -> Target {
        Target {
            what,
            measured: format!("not measured: {why}"),
            met: None,
        }
    }
}

/// What one section found: the report's chapters it writes and the targets
/// it judged. Every section returns one.
#[derive(Debug, Default)]
pub struct Findings {
    /// Rows of the report's targets table, in order.
    pub targets: Vec<Target>,
    /// Its chapters, in order.
    pub chapters: Vec<Chapter>,
}

impl Findings {
    /// These findings followed by `more`'s.
    pub fn and(mut self, more: Findings) -> Findings {
        self.targets.extend(more.targets);
        self.chapters.extend(more.chapters);
        self
    }
}

/// A `## heading` of the report and what is under it.
#[derive(Debug)]
pub struct Chapter {
    /// The heading's text.
    pub heading: &'static str,
    /// The chapter's body, in order.
    pub blocks: Vec<Block>,
}

impl Chapter {
    /// A chapter of `blocks` under `heading`.
    pub fn new(heading: &'static str, blocks: Vec<Block>) -> Chapter {
        Chapter { heading, blocks }
    }
}

/// One piece of a chapter.
#[derive(Debug, Clone, PartialEq)]
pub enum Block {
    /// Markdown prose, written as it is (its trailing blank lines dropped).
    Text(String),
    /// A `### heading` inside the chapter.
    Subheading(&'static str),
    /// A table.
    Table(Table),
}

/// How a column's cells are aligned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Align {
    /// Text: `---`.
    Left,
    /// Numbers: `---:`.
    Right,
}

/// A markdown table: titled columns and rows of cells already formatted.
#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    /// `(title, alignment)` of each column.
    pub columns: Vec<(String, Align)>,
    /// The rows, each a cell per column.
    pub rows: Vec<Vec<String>>,
}

impl Table {
    /// An empty table with these columns.
    pub fn new(columns: &[(&str, Align)]) -> Table {
        Table {
            columns: columns.iter().map(|&(t, a)| (t.to_string(), a)).collect(),
            rows: Vec::new(),
        }
    }

    /// Adds a row (a cell per column).
    pub fn row(&mut self, cells: Vec<String>) {
        self.rows.push(cells);
    }
}

/// Renders the whole report from every section's findings, in the order the
/// sections ran, on machine `m`, after `took`.
pub fn render(found: &[Findings], m: &Machine, took: Duration) -> String {
    let mut s = String::new();
    let _ = write!(
        s,
        "# Benchmarks\n\n\
         Written by `cargo xtask bench` on {date} UTC; it took {took:.0} s. Rerun it to\n\
         refresh every table below. Timings are compared as ratios measured side by side\n\
         in one process, never as absolute times across machines.\n\n\
         - Machine: {cpus} CPUs, {model}, Linux {kernel}\n\
         - Toolchain: {rustc}\n\
         - Source: `{revision}` (`git describe --always --dirty`)\n\
         - Command: `cargo xtask bench` (from the workspace root)\n\n",
        date = m.date,
        took = took.as_secs_f64(),
        cpus = m.cpus,
        model = m.model,
        kernel = m.kernel,
        rustc = m.rustc,
        revision = m.revision,
    );
    let targets: Vec<&Target> = found.iter().flat_map(|f| &f.targets).collect();
    targets_chapter(&mut s, &targets);
    let mut chapters: Vec<Chapter> = Vec::new();
    for chapter in found.iter().flat_map(|f| &f.chapters) {
        match chapters.iter_mut().find(|c| c.heading == chapter.heading) {
            Some(into) => join(into, &chapter.blocks),
            None => chapters.push(Chapter::new(chapter.heading, chapter.blocks.clone())),
        }
    }
    let at = chapters.iter().position(|c| c.heading == WHERE_TIME_GOES);
    let mut last = at.map_or_else(
        || Chapter::new(WHERE_TIME_GOES, Vec::new()),
        |i| chapters.remove(i),
    );
    last.blocks.push(Block::Text(READING.to_string()));
    for chapter in chapters.iter().chain([&last]) {
        let _ = write!(s, "## {}\n\n", chapter.heading);
        for block in &chapter.blocks {
            s.push_str(&block_text(block));
        }
    }
    s.truncate(s.trim_end().len());
    s.push('\n');
    s
}

/// Adds another section's `blocks` to a chapter; a table with the columns of
/// one already there continues that one.
fn join(into: &mut Chapter, blocks: &[Block]) {
    for block in blocks {
        if let Block::Table(more) = block {
            let same_columns = into.blocks.iter_mut().find_map(|b| match b {
                Block::Table(t) if t.columns == more.columns => Some(t),
                _ => None,
            });
            if let Some(table) = same_columns {
                table.rows.extend(more.rows.iter().cloned());
                continue;
            }
        }
        into.blocks.push(block.clone());
    }
}

fn targets_chapter(s: &mut String, targets: &[&Target]) {
    let met = targets.iter().filter(|t| t.met == Some(true)).count();
    let judged = targets.iter().filter(|t| t.met.is_some()).count();
    let _ = writeln!(s, "## Targets: {met} of {judged} met\n");
    let mut table = Table::new(&[
        ("target", Align::Left),
        ("measured", Align::Left),
        ("met", Align::Left),
    ]);
    for t in targets {
        let met = match t.met {
            Some(true) => "yes",
            Some(false) => "**no**",
            None => "n/a",
        };
        table.row(vec![
            t.what.to_string(),
            t.measured.clone(),
            met.to_string(),
        ]);
    }
    s.push_str(&block_text(&Block::Table(table)));
}

/// One block as the report writes it, followed by a blank line.
pub fn block_text(block: &Block) -> String {
    let mut s = String::new();
    match block {
        Block::Text(text) => {
            let _ = write!(s, "{}\n\n", text.trim_end());
        }
        Block::Subheading(heading) => {
            let _ = write!(s, "### {heading}\n\n");
        }
        Block::Table(table) => {
            let titles: Vec<&str> = table.columns.iter().map(|(t, _)| t.as_str()).collect();
            let _ = writeln!(s, "| {} |", titles.join(" | "));
            s.push('|');
            for (_, align) in &table.columns {
                s.push_str(match align {
                    Align::Left => "---|",
                    Align::Right => "---:|",
                });
            }
            s.push('\n');
            for row in &table.rows {
                let _ = writeln!(s, "| {} |", row.join(" | "));
            }
            s.push('\n');
        }
    }
    s
}

#[cfg(test)]
mod tests;
