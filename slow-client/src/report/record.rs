//! One record per finished request: made from what the client reported,
//! counted (ok, early, failures by kind, the order), and printed as its line.

use super::finished::{count_failure, MAX_ORDER_SHOWN};
use super::{Format, Reporter};
use crate::client::{Ended, SendSpan};
use crate::http::Response;
use crate::order::{self, Timed};
use crate::plot::{Outcome, Record};
use crate::schema::{ErrorLine, Line, ResponseLine};
use crate::stats::Arrival;
use std::borrow::Cow;
use std::io::{self, Write};
use std::time::Instant;

impl<W: Write> Reporter<W> {
    /// Milliseconds from the run's start to `at`.
    pub(super) fn ms_since_start(&self, at: Instant) -> f64 {
        at.saturating_duration_since(self.start).as_secs_f64() * 1000.0
    }

    /// The one record of a finished request, and its send span's start.
    pub(super) fn record(&self, e: &Ended<'_>) -> (Record, Option<f64>) {
        let sent = e
            .sent
            .map(|w: SendSpan| (self.ms_since_start(w.start), self.ms_since_start(w.end)));
        let elapsed_ms = match (e.result, e.sent) {
            (Ok(_), Some(w)) => {
                Some(e.done.saturating_duration_since(w.start).as_secs_f64() * 1000.0)
            }
            _ => None,
        };
        let outcome = match e.result {
            Ok(response) => Outcome::Response {
                status: response.status,
            },
            Err(error) => Outcome::Error {
                kind: error.kind.as_str().to_owned(),
            },
        };
        let record = Record {
            id: e.id,
            delay_ms: e.delay_ms,
            sent_ms: sent.map(|(_, end)| end),
            done_ms: Some(self.ms_since_start(e.done)),
            elapsed_ms,
            outcome,
        };
        (record, sent.map(|(start, _)| start))
    }

    /// Counts a finished request's record: ok, early, failed, the order.
    pub(super) fn count(&mut self, r: &Record, sent_start_ms: Option<f64>) {
        self.reported += 1;
        let lateness = r.lateness_ms();
        // Early: complete before its delay could have passed, even counted
        // from just before the send (within the order's tolerance).
        let early = lateness.is_some_and(|l| l < -order::TOLERANCE_MS);
        let honoured = lateness.filter(|_| !early);
        if r.outcome.is_ok() {
            self.ok += 1;
        }
        if early {
            self.early += 1;
        }
        if let (Some(elapsed_ms), Some(_)) = (r.elapsed_ms, honoured) {
            self.arrivals.push(Arrival {
                delay_ms: r.delay_ms,
                elapsed_ms,
            });
            if self.arrival_ids.len() < MAX_ORDER_SHOWN {
                self.arrival_ids.push(r.id);
            }
        }
        if let Some(kind) = r.outcome.failure_kind() {
            let kind = match &r.outcome {
                Outcome::Response { status } => format!("HTTP {status}"),
                Outcome::Error { .. } => kind.into_owned(),
            };
            count_failure(&mut self.failures, &kind);
        }
        if let Some(live) = &mut self.live {
            live.ended(r.outcome.is_ok(), honoured);
        }
        self.order.push(Timed {
            id: r.id,
            delay_ms: r.delay_ms,
            sent: sent_start_ms
                .zip(r.sent_ms)
                .map(|(start_ms, end_ms)| order::SendWindow { start_ms, end_ms }),
            // Only answers that honoured their delay take part in the
            // order, as in the summary.
            done_ms: honoured.and(r.done_ms),
        });
    }

    /// Writes a finished request's line.
    pub(super) fn line(&mut self, r: &Record, e: &Ended<'_>) -> io::Result<()> {
        let (id, delay_ms) = (r.id, r.delay_ms);
        match (e.result, self.format) {
            (Ok(response), Format::Human) => writeln!(
                self.pending,
                "RECEIVED: id {id}, delay {delay_ms} ms, after {:.1} ms: HTTP/1.{} {} {}, {} body bytes",
                r.elapsed_ms.unwrap_or(0.0),
                response.version,
                response.status,
                response.reason,
                response.body_bytes
            ),
            (Ok(response), Format::Json) => {
                self.responses_line(r, response)
            }
            (Err(error), Format::Human) => writeln!(
                self.pending,
                "FAILED: id {id}, delay {delay_ms} ms: {}: {}",
                error.kind, error.message
            ),
            (Err(error), Format::Json) => self.json_line(Line::Error(ErrorLine {
                id,
                delay_ms,
                kind: Cow::Borrowed(error.kind.as_str()),
                message: Cow::Borrowed(&error.message),
                sent_ms: r.sent_ms,
                done_ms: r.done_ms,
            })),
        }
    }

    /// A response line: [`ResponseLine::write_json`], the same bytes as
    /// [`json_line`](Self::json_line) writes, with less work per line.
    fn responses_line(&mut self, r: &Record, response: &Response) -> io::Result<()> {
        let elapsed_ms = r.elapsed_ms.unwrap_or(0.0);
        let line = ResponseLine {
            id: r.id,
            delay_ms: r.delay_ms,
            order: self.responses,
            elapsed_ms,
            lateness_ms: elapsed_ms - r.delay_ms as f64,
            status: response.status,
            reason: Cow::Borrowed(&response.reason),
            version: version_text(response.version),
            body_bytes: response.body_bytes,
            sent_ms: r.sent_ms,
            done_ms: r.done_ms,
        };
        line.write_json(&mut self.pending)?;
        self.pending.write_all(b"\n")
    }
}

/// The `version` member for minor version `minor`: `"1.0"` and `"1.1"`
/// without formatting (httparse reads no other), anything else as `1.N`.
pub(super) fn version_text(minor: u8) -> Cow<'static, str> {
    match minor {
        0 => Cow::Borrowed("1.0"),
        1 => Cow::Borrowed("1.1"),
        n => Cow::Owned(format!("1.{n}")),
    }
}
