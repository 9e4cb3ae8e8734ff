//! Live progress on stderr during a long run: one line, redrawn in place.
//!
//! [`status_line`] makes the text from the run's [`Counters`] (a pure function);
//! [`LatenessHistogram`] keeps the running lateness p99 in fixed memory;
//! [`ProgressLine`] draws it, through `indicatif` on a terminal (at most 10
//! redraws a second, other output printed above it) or as plain lines at most
//! once a second when forced onto something that is not a terminal. The event
//! loop calls [`ProgressLine::tick`] every turn; it returns at once when no
//! redraw is due.
//!
//! # Examples
//! ```
//! use slow_client::progress::{mode, Counters, LatenessHistogram, ProgressLine, Show};
//! use std::time::{Duration, Instant};
//! let start = Instant::now();
//! let m = mode(Show::Auto, false, 9000, Duration::from_secs(9)); // stderr not a terminal: off
//! let mut progress = ProgressLine::new(m, start, Duration::from_secs(9));
//! let mut late = LatenessHistogram::new();
//! late.record(0.3);
//! let counts = Counters { requested: 9000, answered: 1, failed: 0, in_flight: 10 };
//! progress.tick(&counts, &late, Instant::now());
//! progress.finish();
//! ```

mod lateness;
mod line;

pub use lateness::LatenessHistogram;
pub use line::{status_line, Counters};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::{self, Write};
use std::time::{Duration, Instant};

/// Runs smaller than this show no progress unless forced, or long by [`MIN_EXPECTED`].
pub const MIN_REQUESTS: u32 = 100;
/// Runs expected to take at least this long (their largest delay) show
/// progress whatever their size: a wait that long should not look hung.
pub const MIN_EXPECTED: Duration = Duration::from_secs(10);
/// Time between redraws on a terminal (10 a second).
pub const TERMINAL_INTERVAL: Duration = Duration::from_millis(100);
/// Time between plain lines when not on a terminal.
pub const PLAIN_INTERVAL: Duration = Duration::from_secs(1);

/// What the user asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Show {
    /// No flag: on a terminal, for runs of at least [`MIN_REQUESTS`] or
    /// expected to last at least [`MIN_EXPECTED`].
    #[default]
    Auto,
    /// `--progress`: always, as plain lines when stderr is not a terminal.
    Always,
    /// `--no-progress`: never.
    Never,
}

/// How the progress is drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Not at all.
    Off,
    /// One line redrawn in place on the terminal.
    Terminal,
    /// A plain line at most once a second.
    Plain,
}

/// Chooses the mode from the flag, whether stderr is a terminal, and the
/// run's size and expected length (its largest delay).
pub fn mode(show: Show, stderr_is_terminal: bool, requested: u32, expected: Duration) -> Mode {
    let long = requested >= MIN_REQUESTS || expected >= MIN_EXPECTED;
    match (show, stderr_is_terminal) {
        (Show::Never, _) => Mode::Off,
        (Show::Always, true) => Mode::Terminal,
        (Show::Always, false) => Mode::Plain,
        (Show::Auto, true) if long => Mode::Terminal,
        (Show::Auto, _) => Mode::Off,
    }
}

/// When the next redraw is due: one comparison per call when it is not.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cadence {
    next: Instant,
    interval: Duration,
}

impl Cadence {
    /// First due at `first`, then every `interval` after the last time it was due.
    pub fn new(first: Instant, interval: Duration) -> Self {
        Self {
            next: first,
            interval,
        }
    }

    /// When the next redraw is due.
    pub fn next(&self) -> Instant {
        self.next
    }

    /// Whether a redraw is due at `now`; if so, the next one is an interval later.
    pub fn due(&mut self, now: Instant) -> bool {
        if now < self.next {
            return false;
        }
        self.next = now + self.interval;
        true
    }
}

/// The progress line of one run. Cleared on [`finish`](Self::finish) or drop.
pub struct ProgressLine {
    mode: Mode,
    bar: ProgressBar,
    plain: Box<dyn Write + Send>,
    cadence: Cadence,
    start: Instant,
    expected: Duration,
}

impl std::fmt::Debug for ProgressLine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProgressLine")
            .field("mode", &self.mode)
            .field("cadence", &self.cadence)
            .field("expected", &self.expected)
            .finish_non_exhaustive()
    }
}

impl ProgressLine {
    /// A progress line on stderr for a run that began at `start` and should end
    /// `expected` later (its largest delay).
    pub fn new(mode: Mode, start: Instant, expected: Duration) -> Self {
        let target = match mode {
            Mode::Terminal => ProgressDrawTarget::stderr_with_hz(10),
            Mode::Off | Mode::Plain => ProgressDrawTarget::hidden(),
        };
        Self::with_outputs(mode, start, expected, target, Box::new(io::stderr()))
    }

    fn with_outputs(
        mode: Mode,
        start: Instant,
        expected: Duration,
        target: ProgressDrawTarget,
        plain: Box<dyn Write + Send>,
    ) -> Self {
        let bar = ProgressBar::with_draw_target(None, target);
        // `wide_msg` cuts the line at the terminal's width instead of wrapping it.
        bar.set_style(ProgressStyle::with_template("{wide_msg}").unwrap_or_else(|_| bar.style()));
        let cadence = match mode {
            Mode::Plain => Cadence::new(start + PLAIN_INTERVAL, PLAIN_INTERVAL),
            Mode::Terminal | Mode::Off => Cadence::new(start, TERMINAL_INTERVAL),
        };
        Self {
            mode,
            bar,
            plain,
            cadence,
            start,
            expected,
        }
    }

    /// How it draws.
    pub fn mode(&self) -> Mode {
        self.mode
    }

    /// When the next redraw is due; `None` when nothing is drawn. The event
    /// loop wakes by then, so the line moves on while no answer comes.
    pub fn next_redraw(&self) -> Option<Instant> {
        (self.mode != Mode::Off).then(|| self.cadence.next())
    }

    /// Redraws the line if one is due at `now`; returns whether it drew.
    ///
    /// Cheap when not due (one comparison, no allocation): call it every turn
    /// of the event loop.
    pub fn tick(
        &mut self,
        counters: &Counters,
        lateness: &LatenessHistogram,
        now: Instant,
    ) -> bool {
        if self.mode == Mode::Off || !self.cadence.due(now) {
            return false;
        }
        let text = status_line(
            counters,
            now.saturating_duration_since(self.start),
            self.expected,
            lateness.percentile(99.0),
        );
        match self.mode {
            Mode::Terminal => self.bar.set_message(text),
            // Progress is a courtesy: a closed stderr must not stop the run.
            _ => {
                let _ = writeln!(self.plain, "{text}");
            }
        }
        true
    }

    /// Runs `f` with the line cleared, then redraws it: wrap writes to stdout
    /// (the per-request lines) in this, so they land above the line.
    pub fn suspend<R>(&self, f: impl FnOnce() -> R) -> R {
        self.bar.suspend(f)
    }

    /// Clears the line for good (also done on drop).
    pub fn finish(self) {}
}

impl Drop for ProgressLine {
    fn drop(&mut self) {
        self.bar.finish_and_clear();
        let _ = self.plain.flush();
    }
}

#[cfg(test)]
mod tests;
