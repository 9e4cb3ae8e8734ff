//! The progress line's side of the reporter: the counts it shows and when it redraws.

use crate::progress::{Counters, LatenessHistogram, Mode, ProgressLine};
use std::time::Instant;

/// A progress line and what it counts.
#[derive(Debug)]
pub(super) struct Live {
    line: ProgressLine,
    late: LatenessHistogram,
    requested: u32,
    answered: u32,
    failed: u32,
}

impl Live {
    pub fn new(line: ProgressLine, requested: u32) -> Self {
        Self {
            line,
            late: LatenessHistogram::new(),
            requested,
            answered: 0,
            failed: 0,
        }
    }

    /// A request ended: answered (`ok`), with this lateness when it honoured
    /// its delay (an early answer has none), or failed.
    pub fn ended(&mut self, ok: bool, lateness_ms: Option<f64>) {
        if !ok {
            self.failed += 1;
            return;
        }
        self.answered += 1;
        if let Some(late) = lateness_ms {
            self.late.record(late);
        }
    }

    /// Whether report lines wait for a redraw (a line drawn in place on a terminal).
    pub fn holds_lines(&self) -> bool {
        self.line.mode() == Mode::Terminal
    }

    /// Redraws if due; returns whether it did. `started` requests began
    /// connecting, `reported` of them ended.
    pub fn tick(&mut self, started: usize, reported: u32, now: Instant) -> bool {
        let started = u32::try_from(started).unwrap_or(u32::MAX);
        let counts = Counters {
            requested: self.requested,
            answered: self.answered,
            failed: self.failed,
            in_flight: started.saturating_sub(reported),
        };
        self.line.tick(&counts, &self.late, now)
    }

    /// When the next redraw is due, if the line is drawn at all.
    pub fn next_redraw(&self) -> Option<Instant> {
        self.line.next_redraw()
    }

    /// Runs `f` with the line cleared, then redraws it.
    pub fn suspend<R>(&self, f: impl FnOnce() -> R) -> R {
        self.line.suspend(f)
    }
}
