//! Printing outcomes as they happen: human lines or JSON lines.
//!
//! Every request is reported exactly once, as `RECEIVED`/`response` or
//! `FAILED`/`error`; [`Reporter::finish`] then prints the summary. Output is
//! buffered and flushed once per event-loop turn ([`Reporter::flush`]), so a
//! run of thousands of requests does not spend a `write(2)` per line.

use crate::client::{RequestError, SendWindow};
use crate::http::Response;
use crate::order::{self, Tally, Timed};
/// The process's CPU time and peak memory, as [`Reporter::finish`] takes them.
pub use crate::os::Usage;
use crate::plot::{Outcome, Record};
use crate::progress::ProgressLine;
use crate::schema::{round_ms, ErrorLine, Line, ResponseLine, SummaryLine, SCHEMA};
use crate::stats::{Arrival, Summary};
use live::Live;
use std::borrow::Cow;
use std::io::{self, Write};
use std::time::{Duration, Instant};

mod live;

/// How results are printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Format {
    /// `RECEIVED: …`, `FAILED: …`, `FINISHED: …` lines.
    #[default]
    Human,
    /// One JSON object per line, as [`crate::schema`] defines them.
    Json,
}

/// Above this many requests the human `FINISHED` line omits the arrival order.
const MAX_ORDER_SHOWN: usize = 20;

/// Lines held back while a progress line is drawn on a terminal (they are
/// printed above it at each redraw) before they are written anyway.
const HELD_MAX: usize = 64 * 1024;

/// Prints each outcome once and accumulates what the summary needs.
///
/// Lines are collected per event-loop turn and written by [`flush`](Self::flush)
/// (or, under a progress line on a terminal, at its redraws); dropping the
/// reporter writes what is left and clears the progress line.
#[derive(Debug)]
pub struct Reporter<W: Write> {
    out: W,
    pending: Vec<u8>,
    format: Format,
    requested: u32,
    start: Instant,
    argv: Vec<String>,
    ok: u32,
    reported: u32,
    responses: u64,
    /// Successful responses (status < 400), in arrival order.
    arrivals: Vec<Arrival>,
    arrival_ids: Vec<u32>,
    live: Option<Live>,
    records: Option<Vec<Record>>,
    /// The order analysis, fed by [`response`](Self::response) and
    /// [`failure`](Self::failure) as they are called.
    order: Tally,
    max_stall: Option<Duration>,
}

impl<W: Write> Reporter<W> {
    /// A reporter for `requested` requests writing to `out`, for a run that
    /// started at `start` (the JSON's `sent_ms` and `done_ms` count from it).
    pub fn new(out: W, format: Format, requested: u32, start: Instant) -> Self {
        Self {
            out,
            pending: Vec::with_capacity(16 * 1024),
            format,
            requested,
            start,
            argv: Vec::new(),
            ok: 0,
            reported: 0,
            responses: 0,
            arrivals: Vec::with_capacity(requested as usize),
            arrival_ids: Vec::with_capacity(requested.min(MAX_ORDER_SHOWN as u32) as usize),
            live: None,
            records: None,
            order: Tally::default(),
            max_stall: None,
        }
    }

    /// Records the event loop's largest stall for the summary.
    pub fn set_max_stall(&mut self, stall: Duration) {
        self.max_stall = Some(stall);
    }

    /// The command line, for the JSON summary's `argv`.
    pub fn with_argv(mut self, argv: Vec<String>) -> Self {
        self.argv = argv;
        self
    }

    /// Draws `line` during the run ([`tick`](Self::tick)); the report's lines print above it.
    pub fn with_progress(mut self, line: ProgressLine) -> Self {
        self.live = Some(Live::new(line, self.requested));
        self
    }

    /// Keeps every outcome as a [`Record`] for a picture ([`take_records`](Self::take_records)).
    pub fn with_records(mut self) -> Self {
        self.records = Some(Vec::with_capacity(self.requested as usize));
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

    /// Milliseconds from the run's start to `at`.
    fn ms_since_start(&self, at: Instant) -> f64 {
        at.saturating_duration_since(self.start).as_secs_f64() * 1000.0
    }

    /// Reports a complete response at `done`; `sent` is the send that completed
    /// its request (`elapsed` runs from its start).
    ///
    /// # Errors
    /// Writing to the output failed.
    pub fn response(
        &mut self,
        id: u32,
        delay_ms: u64,
        sent: SendWindow,
        done: Instant,
        response: &Response,
    ) -> io::Result<()> {
        let elapsed_ms = done.saturating_duration_since(sent.start).as_secs_f64() * 1000.0;
        let lateness_ms = elapsed_ms - delay_ms as f64;
        let ok = response.status < 400;
        self.reported += 1;
        self.responses += 1;
        if ok {
            self.ok += 1;
            self.arrivals.push(Arrival {
                delay_ms,
                elapsed_ms,
            });
            if self.arrival_ids.len() < MAX_ORDER_SHOWN {
                self.arrival_ids.push(id);
            }
        }
        if let Some(live) = &mut self.live {
            live.ended(ok.then_some(lateness_ms));
        }
        let (sent_ms, done_ms) = (self.ms_since_start(sent.end), self.ms_since_start(done));
        self.order.push(Timed {
            id,
            delay_ms,
            sent: Some(order::SendWindow {
                start_ms: self.ms_since_start(sent.start),
                end_ms: sent_ms,
            }),
            // Only successful answers take part in the order, as in the summary.
            done_ms: ok.then_some(done_ms),
        });
        if let Some(records) = &mut self.records {
            records.push(Record {
                id,
                delay_ms,
                sent_ms: Some(round_ms(sent_ms)),
                done_ms: Some(round_ms(done_ms)),
                elapsed_ms: Some(round_ms(elapsed_ms)),
                outcome: Outcome::Response {
                    status: response.status,
                },
            });
        }
        match self.format {
            Format::Human => writeln!(
                self.pending,
                "RECEIVED: id {id}, delay {delay_ms} ms, after {elapsed_ms:.1} ms: HTTP/1.{} {} {}, {} body bytes",
                response.version, response.status, response.reason, response.body_bytes
            ),
            Format::Json => self.response_line(&ResponseLine {
                id,
                delay_ms,
                order: self.responses,
                elapsed_ms,
                lateness_ms,
                status: response.status,
                reason: Cow::Borrowed(&response.reason),
                version: version_text(response.version),
                body_bytes: response.body_bytes,
                sent_ms: Some(sent_ms),
                done_ms: Some(done_ms),
            }),
        }
    }

    /// Reports a request that ended without a response at `done`; `sent` is
    /// the send that completed its request, if it was completely written.
    ///
    /// # Errors
    /// Writing to the output failed.
    pub fn failure(
        &mut self,
        id: u32,
        delay_ms: u64,
        sent: Option<SendWindow>,
        done: Instant,
        error: &RequestError,
    ) -> io::Result<()> {
        self.reported += 1;
        if let Some(live) = &mut self.live {
            live.ended(None);
        }
        let sent_ms = sent.map(|w| self.ms_since_start(w.end));
        let done_ms = self.ms_since_start(done);
        self.order.push(Timed {
            id,
            delay_ms,
            sent: sent.map(|w| order::SendWindow {
                start_ms: self.ms_since_start(w.start),
                end_ms: self.ms_since_start(w.end),
            }),
            done_ms: None,
        });
        if let Some(records) = &mut self.records {
            records.push(Record {
                id,
                delay_ms,
                sent_ms: sent_ms.map(round_ms),
                done_ms: Some(round_ms(done_ms)),
                elapsed_ms: None,
                outcome: Outcome::Error {
                    kind: error.kind.to_string(),
                },
            });
        }
        match self.format {
            Format::Human => writeln!(
                self.pending,
                "FAILED: id {id}, delay {delay_ms} ms: {}: {}",
                error.kind, error.message
            ),
            Format::Json => self.json_line(Line::Error(ErrorLine {
                id,
                delay_ms,
                kind: Cow::Borrowed(error.kind.as_str()),
                message: Cow::Borrowed(&error.message),
                sent_ms,
                done_ms: Some(done_ms),
            })),
        }
    }

    /// Writes the lines of this loop turn to the output. Under a progress
    /// line on a terminal they wait for its next redraw instead (unless many
    /// are waiting), so the line is not redrawn for every batch.
    ///
    /// # Errors
    /// Writing to the output failed.
    pub fn flush(&mut self) -> io::Result<()> {
        let held = self.live.as_ref().is_some_and(Live::holds_lines);
        if held && self.pending.len() < HELD_MAX {
            return Ok(());
        }
        self.write_pending()
    }

    /// Redraws the progress line if one is due at `now` (cheap when not);
    /// `started` is how many requests have begun connecting.
    ///
    /// # Errors
    /// Writing held lines to the output failed.
    pub fn tick(&mut self, started: usize, now: Instant) -> io::Result<()> {
        let Some(live) = &mut self.live else {
            return Ok(());
        };
        if live.tick(started, self.reported, now) && !self.pending.is_empty() {
            self.write_pending()?;
        }
        Ok(())
    }

    /// How long the event loop may wait at `now` before the next progress
    /// redraw (which also writes the lines held for it); `None` without one.
    pub fn next_redraw(&self, now: Instant) -> Option<Duration> {
        let at = self.live.as_ref()?.next_redraw()?;
        Some(at.saturating_duration_since(now))
    }

    /// Writes the collected lines (above the progress line, if any) and flushes.
    fn write_pending(&mut self) -> io::Result<()> {
        let (out, pending) = (&mut self.out, &mut self.pending);
        let mut write = || {
            if !pending.is_empty() {
                out.write_all(pending)?;
                pending.clear();
            }
            out.flush()
        };
        match &self.live {
            Some(live) if live.holds_lines() => live.suspend(write),
            _ => write(),
        }
    }

    /// Prints the summary line, clears the progress line, and returns the summary.
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
    ) -> io::Result<Summary> {
        debug_assert_eq!(self.reported, self.requested, "every request reported once");
        // The lines so far above the progress line, then the line cleared for
        // good, so the summary is the last thing printed.
        self.write_pending()?;
        self.live = None;
        let summary = Summary::new(self.requested, self.ok, &self.arrivals);
        let order = self.order.order();
        let wall_ms = wall.as_secs_f64() * 1000.0;
        let max_stall_ms = self.max_stall.map(|d| d.as_secs_f64() * 1000.0);
        let argv = std::mem::take(&mut self.argv);
        match self.format {
            Format::Human => self.human_summary(&summary, &order, wall_ms, interrupted)?,
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
            }))?,
        }
        self.write_pending()?;
        Ok(summary)
    }

    /// Writes one `--json` line.
    /// A response line: [`ResponseLine::write_json`], the same bytes as
    /// [`json_line`](Self::json_line) writes, with less work per line.
    fn response_line(&mut self, line: &ResponseLine<'_>) -> io::Result<()> {
        line.write_json(&mut self.pending)?;
        self.pending.write_all(b"\n")
    }

    fn json_line(&mut self, line: Line<'_>) -> io::Result<()> {
        serde_json::to_writer(&mut self.pending, &line)?;
        self.pending.write_all(b"\n")
    }

    fn human_summary(
        &mut self,
        s: &Summary,
        order: &order::Order,
        wall_ms: f64,
        interrupted: bool,
    ) -> io::Result<()> {
        let out = &mut self.pending;
        write!(
            out,
            "FINISHED: {} of {} answered in {wall_ms:.0} ms",
            s.ok, s.requested
        )?;
        if s.failed > 0 {
            write!(out, ", {} failed", s.failed)?;
        }
        if interrupted {
            write!(out, " (interrupted)")?;
        }
        if !self.arrivals.is_empty() {
            if self.arrivals.len() <= MAX_ORDER_SHOWN {
                write!(out, ", arrival order")?;
                for id in &self.arrival_ids {
                    write!(out, " {id}")?;
                }
            }
            if s.in_order {
                write!(out, " (shortest delay first)")?;
            } else if order.inversions == s.inversions {
                write!(out, " ({}: not shortest delay first)", order.describe())?;
            } else {
                write!(
                    out,
                    " ({} inversions: not shortest delay first)",
                    s.inversions
                )?;
            }
        }
        if let Some(l) = s.lateness {
            write!(
                out,
                "; lateness p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
                l.p50, l.p99, l.max
            )?;
        }
        writeln!(out)
    }
}

impl<W: Write> Drop for Reporter<W> {
    /// Writes what is left (an event-loop error ends the run early), then
    /// the progress line clears itself.
    fn drop(&mut self) {
        let _ = self.write_pending();
    }
}

/// The `version` member for minor version `minor`: `"1.0"` and `"1.1"`
/// without formatting (httparse reads no other), anything else as `1.N`.
fn version_text(minor: u8) -> Cow<'static, str> {
    match minor {
        0 => Cow::Borrowed("1.0"),
        1 => Cow::Borrowed("1.1"),
        n => Cow::Owned(format!("1.{n}")),
    }
}

#[cfg(test)]
mod tests;
