//! When to connect and what to write next: the client's pacing, without I/O.
//!
//! Four rules, each tested below:
//!
//! - **Budget**: at most `max_connecting` connects are unfinished at once.
//!   A connect leaves the budget when it finishes or when the writer passes it.
//! - **Window**: connects run at most `ahead` requests ahead of the writer, so
//!   the open connections are the ones the delays need, not all of them.
//! - **Start**: the writer starts once the first `min(ahead, count)` connects
//!   have finished, or `head_wait` after the run started, whichever is first;
//!   runs up to `ahead` requests long then write every request back to back.
//! - **Order**: the writer cursor sends requests strictly in id order. It waits
//!   for a connect still under way, but for at most `head_wait` from that
//!   connect's start; then it passes it, and that request sends as soon as its
//!   connect finishes. Requests that already failed are skipped.
//!
//! The event loop tells the pacer what happened (a connect started or
//! finished, the cursor's request was written) and asks it what to do; it
//! keeps the sockets and the clock.

use std::time::{Duration, Instant};

/// The pacing parameters of a run.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Pace {
    /// Requests in the run.
    pub count: usize,
    /// At most this many unfinished connects.
    pub max_connecting: usize,
    /// Connects run at most this far ahead of the writer.
    pub ahead: usize,
    /// The longest the writer waits for one connect.
    pub head_wait: Duration,
}

/// The state of the request at the writer cursor, as the event loop sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Cursor {
    /// Its connect is under way since this instant.
    Connecting(Instant),
    /// Connected, request not written yet.
    Connected,
    /// Ended already (its connect failed): nothing to write.
    Ended,
}

/// What the writer does next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Write {
    /// Write request `index` now, then call [`Pacer::written`].
    Request(usize),
    /// The cursor passed a hanging connect or skipped an ended request: ask again.
    Moved,
    /// Nothing to write until an event or the [`Pacer::wake`] time.
    Wait,
}

/// When the event loop must look again, at the latest.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Wake {
    /// There is work now: only pick up what is ready.
    Now,
    /// At this instant (the writer gives up waiting for a connect), or on an event.
    At(Instant),
    /// Only on an event (or the run's deadline).
    OnEvent,
}

/// The pacing state of a run.
#[derive(Debug)]
pub(crate) struct Pacer {
    pace: Pace,
    started: Instant,
    /// Connects started: requests `0..next_connect`.
    next_connect: usize,
    /// Connects that count against the budget.
    connecting: usize,
    /// Whether the writer has started.
    writing: bool,
    /// The writer cursor: requests below it were written or passed.
    cursor: usize,
}

impl Pacer {
    /// A run with nothing started yet, beginning at `started`.
    pub fn new(pace: Pace, started: Instant) -> Self {
        Self {
            pace,
            started,
            next_connect: 0,
            connecting: 0,
            writing: false,
            cursor: 0,
        }
    }

    /// How many connects have started (requests `0..n`), for the progress line.
    pub fn connects_started(&self) -> usize {
        self.next_connect
    }

    /// Whether another connect may start now (budget and window).
    pub fn may_connect(&self) -> bool {
        self.next_connect < self.pace.count
            && self.connecting < self.pace.max_connecting
            && self.next_connect - self.cursor < self.pace.ahead
    }

    /// Claims the next connect if one may start: its index. The caller reports
    /// its end, even a failure to start it, with
    /// [`connect_finished`](Self::connect_finished).
    pub fn start_connect(&mut self) -> Option<usize> {
        if !self.may_connect() {
            return None;
        }
        self.next_connect += 1;
        self.connecting += 1;
        Some(self.next_connect - 1)
    }

    /// The connect of request `index` finished, either way: it leaves the
    /// budget unless the writer already passed it. Returns whether the writer
    /// passed it (then its request goes out at once; otherwise it waits for the
    /// cursor).
    pub fn connect_finished(&mut self, index: usize) -> bool {
        let passed = index < self.cursor;
        if !passed {
            self.connecting -= 1;
        }
        passed
    }

    /// How many connects to try this turn: all the rules allow before the
    /// writer starts; none while it has a request to write (it starts one per
    /// write); otherwise up to `chunk`.
    pub fn connects_this_turn(&self, cursor: Option<Cursor>, chunk: usize) -> usize {
        if !self.writing {
            usize::MAX
        } else if cursor == Some(Cursor::Connected) {
            0
        } else {
            chunk
        }
    }

    /// The request at the writer cursor, if its connect has started.
    pub fn cursor(&self) -> Option<usize> {
        (self.cursor < self.next_connect).then_some(self.cursor)
    }

    /// Whether the writer has started; starts it when the first connects are
    /// done or have had `head_wait`.
    pub fn writer_started(&mut self, now: Instant) -> bool {
        if !self.writing {
            let first = self.pace.ahead.min(self.pace.count);
            let ready = self.next_connect >= first && self.connecting == 0;
            self.writing = ready || now.duration_since(self.started) >= self.pace.head_wait;
        }
        self.writing
    }

    /// The writer's next step, given the state of the request at the cursor
    /// ([`cursor`](Self::cursor)); passes and skips what it must on the way.
    pub fn next_write(&mut self, cursor: Cursor, now: Instant) -> Write {
        if self.cursor() != Some(self.cursor) {
            return Write::Wait;
        }
        match cursor {
            Cursor::Connected => Write::Request(self.cursor),
            Cursor::Connecting(since) if now.duration_since(since) < self.pace.head_wait => {
                Write::Wait
            }
            // Hanging: pass it, freeing its budget now so hanging connects
            // cannot starve the rest. Timed from its own connect, connects
            // that hang together are passed together.
            Cursor::Connecting(_) => {
                self.connecting -= 1;
                self.cursor += 1;
                Write::Moved
            }
            Cursor::Ended => {
                self.cursor += 1;
                Write::Moved
            }
        }
    }

    /// The request at the cursor was written (or its write ended it).
    pub fn written(&mut self) {
        self.cursor += 1;
    }

    /// When the loop must look again at the latest, given the cursor's state.
    pub fn wake(&self, cursor: Option<Cursor>) -> Wake {
        if self.may_connect() {
            return Wake::Now;
        }
        if !self.writing {
            // Waiting for the first connects: their events wake the loop.
            return Wake::At(self.started + self.pace.head_wait);
        }
        match cursor {
            None => Wake::OnEvent, // nothing started that is left to write
            Some(Cursor::Connecting(since)) => Wake::At(since + self.pace.head_wait),
            Some(_) => Wake::Now, // connected (to write) or ended (to skip)
        }
    }
}

/// The earliest instant an answer to a request written so far can fall due
/// (its write plus its delay): while that is further off than a margin, the
/// writer may write on without looking for answers.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct FirstDue(Option<Instant>);

impl FirstDue {
    /// A request asking `delay` was written at `at`.
    pub fn written(&mut self, at: Instant, delay: Duration) {
        let due = at.checked_add(delay).unwrap_or(at);
        self.0 = Some(self.0.map_or(due, |first| first.min(due)));
    }

    /// Whether no answer can fall due within `margin` of `now`.
    pub fn may_write_on(&self, now: Instant, margin: Duration) -> bool {
        self.0.is_none_or(|first| first > now + margin)
    }
}

#[cfg(test)]
mod tests;
