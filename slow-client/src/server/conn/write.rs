//! The output side: the bytes that may go out now, what a write did with them, and
//! what follows once everything owed is written (keep going, shut down the write
//! side and linger, or close).
//!
//! A flush, as the loop runs it: [`Conn::transmit`], write, [`Conn::wrote`] (or
//! [`Conn::write_blocked`]), again while there is something to write; then
//! [`Conn::flushed`] says what follows.

use std::time::{Duration, Instant};

use super::{Conn, Cx, FaultEnd, Flow, Logged, Phase, LINGER};
use crate::server::deadline::after;
use crate::server::outbox::Owed;
use crate::server::route::Drip;

impl Conn {
    /// The bytes that may be written now: every response that is due and not
    /// blocked by an earlier one, in request order, as one slice (one write for a
    /// batch of pipelined responses). When nothing is, requests held back by the
    /// pipeline bound are parsed first, as far as there is room.
    pub(crate) fn transmit(&mut self, cx: &mut Cx<'_>) -> &[u8] {
        self.streaming = false;
        let until = release_until(self.overdue_from, cx.now);
        loop {
            if !self.owed.ready(until, cx.date).is_empty() {
                break;
            }
            // Due entries without bytes (a fault that sends nothing) are done now.
            let before = self.owed.len();
            self.wrote(0, cx);
            if self.owed.len() < before {
                continue;
            }
            let due = self.owed.stream_ready(cx.now);
            if due > 0 {
                self.streaming = true;
                return Drip::body(due);
            }
            if !self.resume(cx) {
                return &[];
            }
        }
        self.owed.ready(until, cx.date)
    }

    /// `n` bytes of [`Conn::transmit`]'s were written: counts (and logs) the
    /// responses now written in full.
    pub(crate) fn wrote(&mut self, n: usize, cx: &mut Cx<'_>) {
        if n > 0 {
            self.blocked_since = None;
        }
        let before = self.owed.len();
        if std::mem::take(&mut self.streaming) {
            if let Some(owed) = self.owed.stream_wrote(n) {
                written_in_full(owed, cx);
            }
        } else {
            for owed in self.owed.wrote(n) {
                written_in_full(owed, cx);
            }
        }
        if self.owed.is_empty() && self.owed.len() < before {
            self.idle_since = cx.now;
        }
    }

    /// A write found the socket full: the send timeout runs from the first such
    /// write since the last progress.
    pub(crate) fn write_blocked(&mut self, now: Instant) {
        self.blocked_since.get_or_insert(now);
    }

    /// The flush is over: what the connection does next. With nothing more owed, a
    /// last response that leaves no bytes unread closes the connection; one that
    /// does shuts the write side down and lingers (at most [`LINGER`]), and so does
    /// a request body still on its way, which would turn the close into a reset.
    pub(crate) fn flushed(&mut self, cx: &mut Cx<'_>) -> Flow {
        // Overdue responses just owed were left to the deadline heap (see `overdue_from`).
        self.overdue_from = None;
        if !self.owed.is_empty() {
            return Flow::Continue;
        }
        if self.fault_end == Some(FaultEnd::Reset) {
            return Flow::Reset;
        }
        if self.peer_closed && !self.held {
            return Flow::Close; // every request received before the FIN is answered
        }
        if self.fault_end == Some(FaultEnd::Hold) {
            return Flow::Continue; // until the client gives up, or `hold_until`
        }
        match self.phase {
            Phase::Open | Phase::Lingering => Flow::Continue,
            Phase::Closing if !self.linger && !self.in_body() => Flow::Close,
            Phase::Closing => {
                self.phase = Phase::Lingering;
                self.linger_until = after(cx.now, LINGER.min(cx.policy.header_timeout));
                Flow::ShutdownWrite
            }
        }
    }
}

/// Counts (and logs) a response written in full.
fn written_in_full(owed: Owed, cx: &mut Cx<'_>) {
    cx.stats.count(owed.verdict);
    if let (Some(entry), Some(log)) = (owed.log, cx.log.as_deref_mut()) {
        let late = cx.now.saturating_duration_since(owed.due);
        log.push(Logged { entry, late });
    }
}

/// The instant a flush releases responses up to: `now`, or just before `overdue`,
/// the earliest past due time among the responses owed since the last flush, which
/// are then left to the deadline heap (it answers every connection's overdue responses
/// in the order they fell due, where a flush right after each read would answer them
/// in the order they were read).
pub(super) fn release_until(overdue: Option<Instant>, now: Instant) -> Instant {
    match overdue {
        Some(due) => due
            .checked_sub(Duration::from_nanos(1))
            .unwrap_or(due)
            .min(now),
        None => now,
    }
}
