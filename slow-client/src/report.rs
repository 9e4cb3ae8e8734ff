//! Printing outcomes as they happen: human lines or JSON lines.
//!
//! Every request is reported exactly once, as `RECEIVED`/`response` or
//! `FAILED`/`error`, through the client's [`Report`] trait, which
//! [`Reporter`] implements; [`Reporter::finish`] then prints the summary.
//! Output is buffered and flushed once per event-loop turn, so a run of
//! thousands of requests does not spend a `write(2)` per line; into a
//! regular file ([`Reporter::with_file_output`]) it is written in
//! [`FILE_BLOCK`]-byte blocks instead, as C's stdio writes files.
//!
//! Each finished request is turned into one [`Record`] here (the `--plot`
//! picture's record, times as the JSON prints them); its line, the order
//! analysis' entry and the summary's counts are read off that record.

use crate::client::{Ended, Report};
use crate::order::Tally;
/// The process's CPU time and peak memory, as [`Reporter::finish`] takes them.
pub use crate::os::Usage;
use crate::plot::Record;
use crate::progress::ProgressLine;
use crate::schema::{round_ms, Line, SummaryLine, SCHEMA};
use crate::stats::{Arrival, Summary};
use crate::trace;
use finished::{order_broken_by_writing, Finished, MAX_ORDER_SHOWN};
pub use finished::{Verdict, BROKEN_ORDER_MIN, BROKEN_ORDER_ONE_IN};
use live::Live;
use std::io::{self, Write};
use std::time::{Duration, Instant};

mod finished;
mod live;
mod record;

/// This process's CPU time and peak memory so far (`getrusage(RUSAGE_SELF)`).
///
/// # Errors
/// `getrusage(2)` failed.
pub fn usage() -> io::Result<Usage> {
    crate::os::usage()
}

/// How results are printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Format {
    /// `RECEIVED: …`, `FAILED: …`, `FINISHED: …` lines.
    #[default]
    Human,
    /// One JSON object per line, as [`crate::schema`] defines them.
    Json,
}

/// Lines held back while a progress line is drawn on a terminal (they are
/// printed above it at each redraw) before they are written anyway.
const HELD_MAX: usize = 64 * 1024;

/// Lines collected before they are written when the output is a regular
/// file ([`Reporter::with_file_output`]): no reader waits on them line by
/// line, and each `write(2)` to a file costs the file system (and its
/// journal) as much for one line as for many.
pub const FILE_BLOCK: usize = 64 * 1024;

/// Prints each outcome once and accumulates what the summary needs.
///
/// Lines are collected per event-loop turn and written by [`Report::flush`]
/// (under a progress line on the same terminal, at its redraws; into a
/// regular file, in [`FILE_BLOCK`]s); dropping the reporter writes what is
/// left and clears the progress line.
pub struct Reporter<W: Write> {
    out: W,
    pending: Vec<u8>,
    /// The output is a regular file: write in [`FILE_BLOCK`]s, not per turn.
    file_output: bool,
    format: Format,
    requested: u32,
    start: Instant,
    argv: Vec<String>,
    ok: u32,
    /// Successful answers that came before their delay.
    early: u32,
    reported: u32,
    responses: u64,
    /// Successful responses (status < 400) that honoured their delay, in arrival order.
    arrivals: Vec<Arrival>,
    arrival_ids: Vec<u32>,
    /// Failures by kind, most first.
    failures: Vec<(String, u32)>,
    live: Option<Live>,
    records: Option<Vec<Record>>,
    trace: Option<Box<dyn Write>>,
    /// The order analysis, fed one finished request at a time.
    order: Tally,
    max_stall: Option<Duration>,
}

impl<W: Write> std::fmt::Debug for Reporter<W> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Reporter")
            .field("format", &self.format)
            .field("requested", &self.requested)
            .field("reported", &self.reported)
            .field("ok", &self.ok)
            .field("early", &self.early)
            .finish_non_exhaustive()
    }
}

impl<W: Write> Report for Reporter<W> {
    fn ended(&mut self, e: Ended<'_>) -> io::Result<()> {
        let (record, sent_start_ms) = self.record(&e);
        if e.result.is_ok() {
            self.responses += 1;
        }
        self.count(&record, sent_start_ms);
        self.line(&record, &e)?;
        if let Some(records) = &mut self.records {
            records.push(Record {
                sent_ms: record.sent_ms.map(round_ms),
                done_ms: record.done_ms.map(round_ms),
                elapsed_ms: record.elapsed_ms.map(round_ms),
                ..record
            });
        }
        Ok(())
    }

    fn event(&mut self, event: &epoll_safe::Event) -> io::Result<()> {
        let line = trace::line(event);
        match (&mut self.trace, self.format) {
            (_, Format::Human) => writeln!(self.pending, "{line}"),
            (Some(trace), Format::Json) => writeln!(trace, "{line}"),
            (None, Format::Json) => Ok(()),
        }
    }

    /// Writes the lines of this loop turn to the output. Under a progress
    /// line on a terminal they wait for its next redraw instead (unless many
    /// are waiting), so the line is not redrawn for every batch; into a
    /// regular file they wait until [`FILE_BLOCK`] bytes do (or the end).
    fn flush(&mut self) -> io::Result<()> {
        if self.held_for_redraw() && self.pending.len() < HELD_MAX {
            return Ok(());
        }
        if self.file_output && self.pending.len() < FILE_BLOCK {
            return Ok(());
        }
        self.write_pending()
    }

    /// Redraws the progress line if one is due at `now` (cheap when not);
    /// `started` is how many requests have begun connecting.
    fn tick(&mut self, started: usize, now: Instant) -> io::Result<()> {
        let Some(live) = &mut self.live else {
            return Ok(());
        };
        if live.tick(started, self.reported, now)
            && !self.pending.is_empty()
            && self.held_for_redraw()
        {
            self.write_pending()?;
        }
        Ok(())
    }

    /// How long the event loop may wait at `now` before the next progress
    /// redraw (which also writes the lines held for it); `None` without one.
    fn next_redraw(&self, now: Instant) -> Option<Duration> {
        let at = self.live.as_ref()?.next_redraw()?;
        Some(at.saturating_duration_since(now))
    }

    fn max_stall(&mut self, stall: Duration) {
        self.max_stall = Some(stall);
    }
}

impl<W: Write> Reporter<W> {
    /// A reporter for `requested` requests writing to `out`, for a run that
    /// started at `start` (the JSON's `sent_ms` and `done_ms` count from it).
    pub fn new(out: W, format: Format, requested: u32, start: Instant) -> Self {
        Self {
            out,
            pending: Vec::with_capacity(16 * 1024),
            file_output: false,
            format,
            requested,
            start,
            argv: Vec::new(),
            ok: 0,
            early: 0,
            reported: 0,
            responses: 0,
            arrivals: Vec::with_capacity(requested as usize),
            arrival_ids: Vec::with_capacity(requested.min(MAX_ORDER_SHOWN as u32) as usize),
            failures: Vec::new(),
            live: None,
            records: None,
            trace: None,
            order: Tally::default(),
            max_stall: None,
        }
    }

    /// The command line, for the JSON summary's `argv`.
    pub fn with_argv(mut self, argv: Vec<String>) -> Self {
        self.argv = argv;
        self
    }

    /// Says the output is a regular file: lines are then written when
    /// [`FILE_BLOCK`] bytes of them wait, and at the end (or when the reporter
    /// is dropped), not once per loop turn. Nothing is lost, only written
    /// later; a reader following the file live (`tail -f`) sees it in blocks.
    pub fn with_file_output(mut self) -> Self {
        self.file_output = true;
        self.pending.reserve(FILE_BLOCK);
        self
    }

    /// Draws `line` during the run ([`Report::tick`]); the report's lines print above it.
    pub fn with_progress(mut self, line: ProgressLine) -> Self {
        self.live = Some(Live::new(line, self.requested));
        self
    }

    /// Keeps every outcome as a [`Record`] for a picture ([`take_records`](Self::take_records)).
    pub fn with_records(mut self) -> Self {
        self.records = Some(Vec::with_capacity(self.requested as usize));
        self
    }

    /// Prints each epoll event handed to [`Report::event`] (`--trace-events`):
    /// among the report's lines in text, on `trace` (stderr) with `--json`.
    pub fn with_trace(mut self, trace: Box<dyn Write>) -> Self {
        self.trace = Some(trace);
        self
    }

    /// The kept records (empty unless [`with_records`](Self::with_records)),
    /// times rounded as the JSON prints them.
    pub fn take_records(&mut self) -> Vec<Record> {
        self.records.take().unwrap_or_default()
    }

    /// How many requests have been reported so far.
    pub fn reported(&self) -> u32 {
        self.reported
    }

    /// Writes the collected lines (above the progress line, if any) and flushes.
    ///
    /// What was written leaves `pending` even when a later write fails (a full
    /// disk), so the write on drop does not repeat it.
    fn write_pending(&mut self) -> io::Result<()> {
        let held = self.held_for_redraw();
        let (out, pending) = (&mut self.out, &mut self.pending);
        let mut write = || {
            while !pending.is_empty() {
                match out.write(pending) {
                    Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
                    Ok(n) => drop(pending.drain(..n)),
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    Err(e) => return Err(e),
                }
            }
            out.flush()
        };
        match &self.live {
            Some(live) if held => live.suspend(write),
            _ => write(),
        }
    }

    /// Whether lines wait for the progress line's redraws: it is drawn in
    /// place on a terminal and the lines go there too (into a file they do
    /// not disturb it, and wait for their block instead).
    fn held_for_redraw(&self) -> bool {
        !self.file_output && self.live.as_ref().is_some_and(Live::holds_lines)
    }

    /// Prints the summary line, clears the progress line, and returns what
    /// the run showed (the exit status is decided from it).
    ///
    /// `usage`, when known, adds the process's CPU time and peak memory to the JSON summary.
    ///
    /// # Errors
    /// Writing to the output failed.
    pub fn finish(
        mut self,
        wall: Duration,
        interrupted: bool,
        usage: Option<Usage>,
    ) -> io::Result<Verdict> {
        debug_assert_eq!(self.reported, self.requested, "every request reported once");
        // The lines so far above the progress line, then the line cleared for
        // good, so the summary is the last thing printed.
        self.write_pending()?;
        self.live = None;
        let summary = Summary::new(self.requested, self.ok, &self.arrivals);
        let order = self.order.order();
        let verdict = Verdict {
            order_broken_by_writing: order_broken_by_writing(&order, summary.ok),
            summary,
            early: self.early,
        };
        let summary = &verdict.summary;
        let wall_ms = wall.as_secs_f64() * 1000.0;
        let max_stall_ms = self.max_stall.map(|d| d.as_secs_f64() * 1000.0);
        let argv = std::mem::take(&mut self.argv);
        match self.format {
            Format::Human => {
                let first = self.arrival_ids.first().and(self.arrivals.first());
                let line = Finished {
                    verdict: &verdict,
                    order: &order,
                    first_ids: &self.arrival_ids,
                    arrivals: self.arrivals.len(),
                    delays_differ: first
                        .is_some_and(|a| self.arrivals.iter().any(|b| b.delay_ms != a.delay_ms)),
                    failures: &self.failures,
                    wall_ms,
                    interrupted,
                }
                .line();
                writeln!(self.pending, "{line}")?;
            }
            Format::Json => self.json_line(Line::Summary(SummaryLine {
                requested: summary.requested,
                ok: summary.ok,
                failed: summary.failed,
                responses: self.responses,
                in_order: summary.in_order,
                inversions: summary.inversions,
                unexplained_inversions: order.unexplained_inversions,
                write_window_ms: order.write_window_ms,
                max_stall_ms,
                wall_ms,
                interrupted,
                cpu_user_ms: usage.map(|u| u.user.as_secs_f64() * 1000.0),
                cpu_sys_ms: usage.map(|u| u.system.as_secs_f64() * 1000.0),
                max_rss_kib: usage.map(|u| u.max_rss_kib),
                lateness_ms: summary.lateness,
                argv,
                schema: SCHEMA,
                early: verdict.early,
                order_broken_by_writing: verdict.order_broken_by_writing,
            }))?,
        }
        self.write_pending()?;
        Ok(verdict)
    }

    /// Writes one `--json` line of any kind.
    fn json_line(&mut self, line: Line<'_>) -> io::Result<()> {
        serde_json::to_writer(&mut self.pending, &line)?;
        self.pending.write_all(b"\n")
    }
}

impl<W: Write> Drop for Reporter<W> {
    /// Writes what is left (an event-loop error ends the run early), then
    /// the progress line clears itself.
    fn drop(&mut self) {
        let _ = self.write_pending();
    }
}

#[cfg(test)]
mod tests;
