//! Printing outcomes as they happen: human lines or JSON lines.
//!
//! Every request is reported exactly once, as `RECEIVED`/`response` or
//! `FAILED`/`error`; [`Reporter::finish`] then prints the summary. Output is
//! buffered and flushed once per event-loop turn ([`Reporter::flush`]), so a
//! run of thousands of requests does not spend a `write(2)` per line.

use crate::client::RequestError;
use crate::http::Response;
use crate::order::{self, Tally, Timed};
use crate::os::Usage;
use crate::schema::{ErrorLine, Line, ResponseLine, SummaryLine};
use crate::stats::{Arrival, Summary};
use std::io::{self, Write};
use std::time::Duration;

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

/// Prints each outcome once and accumulates what the summary needs.
#[derive(Debug)]
pub struct Reporter<W: Write> {
    out: W,
    format: Format,
    requested: u32,
    ok: u32,
    reported: u32,
    arrivals: Vec<Arrival>,
    arrival_ids: Vec<u32>,
    order: Tally,
    max_stall: Option<Duration>,
}

impl<W: Write> Reporter<W> {
    /// A reporter for `requested` requests writing to `out`.
    pub fn new(out: W, format: Format, requested: u32) -> Self {
        Self {
            out,
            format,
            requested,
            ok: 0,
            reported: 0,
            arrivals: Vec::with_capacity(requested as usize),
            arrival_ids: Vec::with_capacity(requested.min(MAX_ORDER_SHOWN as u32) as usize),
            order: Tally::default(),
            max_stall: None,
        }
    }

    /// Records a request's send window and completion for the order
    /// analysis ([`order::Tally`]); call it for each request as it is
    /// reported (`done_ms: None` for one that ended without a response).
    pub fn timed(&mut self, timed: Timed) {
        self.order.push(timed);
    }

    /// Records the event loop's largest stall for the summary.
    pub fn set_max_stall(&mut self, stall: Duration) {
        self.max_stall = Some(stall);
    }

    /// How many requests have been reported so far.
    pub fn reported(&self) -> u32 {
        self.reported
    }

    /// Reports a complete response; `elapsed` runs from the request being fully written.
    ///
    /// # Errors
    /// Writing to the output failed.
    pub fn response(
        &mut self,
        id: u32,
        delay_ms: u64,
        elapsed: Duration,
        response: &Response,
    ) -> io::Result<()> {
        let elapsed_ms = elapsed.as_secs_f64() * 1000.0;
        self.arrivals.push(Arrival {
            delay_ms,
            elapsed_ms,
        });
        if self.arrival_ids.len() < MAX_ORDER_SHOWN {
            self.arrival_ids.push(id);
        }
        self.reported += 1;
        if response.status < 400 {
            self.ok += 1;
        }
        let order = self.arrivals.len();
        match self.format {
            Format::Human => writeln!(
                self.out,
                "RECEIVED: id {id}, delay {delay_ms} ms, after {elapsed_ms:.1} ms: HTTP/1.{} {} {}, {} body bytes",
                response.version, response.status, response.reason, response.body_bytes
            ),
            Format::Json => self.json_line(Line::Response(ResponseLine {
                id,
                delay_ms,
                order: order as u64,
                elapsed_ms,
                lateness_ms: elapsed_ms - delay_ms as f64,
                status: response.status,
                reason: response.reason.clone(),
                version: format!("1.{}", response.version),
                body_bytes: response.body_bytes,
            })),
        }
    }

    /// Reports a request that ended without a response.
    ///
    /// # Errors
    /// Writing to the output failed.
    pub fn failure(&mut self, id: u32, delay_ms: u64, error: &RequestError) -> io::Result<()> {
        self.reported += 1;
        match self.format {
            Format::Human => writeln!(
                self.out,
                "FAILED: id {id}, delay {delay_ms} ms: {}: {}",
                error.kind, error.message
            ),
            Format::Json => self.json_line(Line::Error(ErrorLine {
                id,
                delay_ms,
                kind: error.kind.to_string(),
                message: error.message.clone(),
            })),
        }
    }

    /// Flushes buffered lines to the output.
    ///
    /// # Errors
    /// Writing to the output failed.
    pub fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }

    /// Prints the summary line and returns it.
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
        let summary = Summary::new(self.requested, self.ok, &self.arrivals);
        let order = self.order.order();
        let wall_ms = wall.as_secs_f64() * 1000.0;
        let max_stall_ms = self.max_stall.map(|d| d.as_secs_f64() * 1000.0);
        match self.format {
            Format::Human => self.human_summary(&summary, &order, wall_ms, interrupted)?,
            Format::Json => self.json_line(Line::Summary(SummaryLine {
                requested: summary.requested,
                ok: summary.ok,
                failed: summary.failed,
                responses: self.arrivals.len() as u64,
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
            }))?,
        }
        self.out.flush()?;
        Ok(summary)
    }

    /// Writes one `--json` line.
    fn json_line(&mut self, line: Line) -> io::Result<()> {
        serde_json::to_writer(&mut self.out, &line)?;
        self.out.write_all(b"\n")
    }

    fn human_summary(
        &mut self,
        s: &Summary,
        order: &order::Order,
        wall_ms: f64,
        interrupted: bool,
    ) -> io::Result<()> {
        let out = &mut self.out;
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

#[cfg(test)]
mod tests;
