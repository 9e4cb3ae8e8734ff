//! How the client hands each finished request on: the [`Report`] trait,
//! which the reporter ([`crate::report::Reporter`]) implements. The client
//! defines it, so the client knows nothing of how outcomes are printed and
//! no module imports back the one that imports it.

use super::RequestError;
use crate::http::Response;
use epoll_safe::Event;
use std::io;
use std::time::{Duration, Instant};

/// The `send(2)` that completed a request: the instants just before and just
/// after it. The request reached the kernel somewhere in between.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SendSpan {
    /// Just before the call (`elapsed` runs from here).
    pub start: Instant,
    /// Just after it returned (the JSON's `sent_ms`).
    pub end: Instant,
}

/// One request that ended: the one record the client makes of it.
#[derive(Debug, Clone, Copy)]
pub struct Ended<'a> {
    /// The request's id (1-based).
    pub id: u32,
    /// The delay it asked for.
    pub delay_ms: u64,
    /// The send that completed it; `None` when it was never fully written
    /// (always `Some` for a response).
    pub sent: Option<SendSpan>,
    /// When it ended.
    pub done: Instant,
    /// A complete response, or why there is none.
    pub result: Result<&'a Response, &'a RequestError>,
}

/// Where the client reports, once per finished request, and what it asks of
/// the output between loop turns. Implemented by
/// [`Reporter`](crate::report::Reporter); a test can implement it to watch a run.
pub trait Report {
    /// A request ended (called exactly once per request).
    ///
    /// # Errors
    /// Writing to the output failed; the run stops.
    fn ended(&mut self, ended: Ended<'_>) -> io::Result<()>;

    /// An event as the kernel returned it, when the client traces events
    /// (`--trace-events`); called before the event is handled.
    ///
    /// # Errors
    /// Writing to the output failed; the run stops.
    fn event(&mut self, event: &Event) -> io::Result<()>;

    /// The end of a loop turn: write what this turn reported.
    ///
    /// # Errors
    /// Writing to the output failed; the run stops.
    fn flush(&mut self) -> io::Result<()>;

    /// A loop turn at `now`, with `started` requests begun: redraw what is due.
    ///
    /// # Errors
    /// Writing to the output failed; the run stops.
    fn tick(&mut self, started: usize, now: Instant) -> io::Result<()>;

    /// How long the loop may block at `now` before [`tick`](Self::tick) has
    /// something to draw; `None` when nothing is drawn.
    fn next_redraw(&self, now: Instant) -> Option<Duration>;

    /// The event loop's largest stall while it had work, at the run's end.
    fn max_stall(&mut self, stall: Duration);
}
