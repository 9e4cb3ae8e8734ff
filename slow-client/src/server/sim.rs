//! A [`Conn`] on a virtual clock, driven as the event loop drives it: the unit tests'
//! driver (`conn/tests/`) and the body of the property test and the fuzz target
//! ([`check`](sim::check), behind the `fuzzing` feature).
//!
//! The socket is a model: what the client sends arrives at the virtual time of the
//! send and waits in the receive buffer until the conn wants to read (one read per
//! send, stamped with its arrival, at most [`MAX_AGE`] old as the loop caps it); a
//! write takes at most [`Sim::window`] bytes (`None`: everything), and blocks when
//! the window is 0; the client's close is a FIN behind its bytes, read as the end
//! of the stream.

// The fuzz build (feature `fuzzing`, not test) uses only what `check` needs.
#![cfg_attr(not(test), allow(dead_code))]

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use super::arrival::MAX_AGE;
use super::config::ServerConfig;
use super::conn::{Conn, Cx, Flow, Logged, Phase, Wants};
use super::date::HTTP_DATE_LEN;
use super::outbox::Outbox;
use super::policy::Policy;
use super::ServerStats;

pub(crate) mod check;

/// The `Date` every simulated response carries.
pub(crate) const DATE: &[u8; HTTP_DATE_LEN] = b"Sun, 06 Dec 2026 21:40:00 GMT";

/// How a simulated connection ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum End {
    /// The conn asked to close ([`Flow::Close`]).
    Closed,
    /// A write failed (the model's peer reset).
    WriteFailed,
    /// The loop closed it (a stop).
    Stopped,
    /// The conn asked for a reset ([`Flow::Reset`]).
    Reset,
}

/// One write the connection made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Write {
    /// Virtual time since the start.
    pub(crate) at: Duration,
    pub(crate) bytes: Vec<u8>,
}

/// What waits in the socket's receive buffer.
#[derive(Debug)]
enum Pending {
    /// Bytes and when they arrived.
    Data(Instant, Vec<u8>),
    /// The client's FIN.
    Fin,
}

/// A connection, its policy and its stats, on a virtual clock.
#[derive(Debug)]
pub(crate) struct Sim {
    pub(crate) policy: Policy,
    pub(crate) stats: ServerStats,
    conn: Option<Conn>,
    t0: Instant,
    now: Instant,
    staging: Vec<u8>,
    logged: Vec<Logged>,
    /// The socket's receive buffer: sent, not yet read.
    inbox: VecDeque<Pending>,
    /// Bytes the conn read while it was taking requests ([`Phase::Open`]).
    pub(crate) read_open: usize,
    /// Bytes a write takes (`None`: all; `Some(0)`: the socket is full).
    pub(crate) window: Option<usize>,
    /// The next write fails (a peer that closed both ways).
    pub(crate) fail_writes: bool,
    pub(crate) writes: Vec<Write>,
    /// The size of every write call, in order (a flush's calls make one [`Write`]).
    pub(crate) calls: Vec<usize>,
    /// The write side was shut down (at this virtual time).
    pub(crate) shut_at: Option<Duration>,
    pub(crate) end: Option<(End, Duration)>,
    /// Responses still owed when it ended.
    pub(crate) owed_at_end: usize,
    pub(crate) draining: bool,
}

impl Sim {
    /// A connection accepted at virtual time 0 by a server configured as `config`.
    pub(crate) fn new(config: &ServerConfig) -> Sim {
        let t0 = Instant::now();
        Sim {
            policy: Policy::new(config, 1),
            stats: ServerStats {
                accepted: 1,
                requests: 1,
                ..ServerStats::default()
            },
            conn: Some(Conn::new(t0, Outbox::default())),
            t0,
            now: t0,
            staging: Vec::new(),
            logged: Vec::new(),
            inbox: VecDeque::new(),
            read_open: 0,
            window: None,
            fail_writes: false,
            writes: Vec::new(),
            calls: Vec::new(),
            shut_at: None,
            end: None,
            owed_at_end: 0,
            draining: false,
        }
    }

    /// Virtual time since the accept.
    pub(crate) fn elapsed(&self) -> Duration {
        self.now - self.t0
    }

    /// The virtual time now.
    pub(crate) fn now(&self) -> Instant {
        self.now
    }

    /// The conn, while it is open.
    pub(crate) fn conn(&self) -> Option<&Conn> {
        self.conn.as_ref()
    }

    /// Whether the connection has ended.
    pub(crate) fn ended(&self) -> bool {
        self.end.is_some()
    }

    /// What it wants from the socket (`None` once closed).
    pub(crate) fn wants(&self) -> Option<Wants> {
        self.conn.as_ref().map(Conn::wants)
    }

    /// Its phase (`None` once closed).
    pub(crate) fn phase(&self) -> Option<Phase> {
        self.conn.as_ref().map(Conn::phase)
    }

    /// Its next deadline, as virtual time since the accept.
    pub(crate) fn deadline(&self) -> Option<Duration> {
        let conn = self.conn.as_ref()?;
        conn.next_deadline(&self.policy).map(|t| t - self.t0)
    }

    /// Everything written so far, as text (lossy).
    pub(crate) fn output(&self) -> String {
        let bytes: Vec<u8> = self.writes.iter().flat_map(|w| w.bytes.clone()).collect();
        String::from_utf8_lossy(&bytes).into_owned()
    }

    /// The status codes of the responses written so far, in order (interim 100s
    /// included), each with the virtual time of the write that carried its status.
    pub(crate) fn statuses(&self) -> Vec<(u16, Duration)> {
        let mut text = Vec::new();
        let mut ends = Vec::new();
        for write in &self.writes {
            text.extend_from_slice(&write.bytes);
            ends.push((text.len(), write.at));
        }
        let mut out = Vec::new();
        let mut at = 0;
        while let Some(i) = find(&text[at..], b"HTTP/1.1 ") {
            let start = at + i;
            let code = text
                .get(start + 9..start + 12)
                .and_then(|c| std::str::from_utf8(c).ok())
                .and_then(|c| c.parse().ok());
            let when = ends.iter().find(|(end, _)| *end >= start + 12);
            if let (Some(code), Some(&(_, when))) = (code, when) {
                out.push((code, when));
            }
            at = start + 9;
        }
        out
    }

    fn cx(&mut self) -> (Option<&mut Conn>, Cx<'_>) {
        let cx = Cx {
            policy: &self.policy,
            date: DATE,
            staging: &mut self.staging,
            stats: &mut self.stats,
            log: self.policy.access_log.then_some(&mut self.logged),
            now: self.now,
            draining: self.draining,
        };
        (self.conn.as_mut(), cx)
    }

    /// The client sends `bytes` now (they arrive now); the loop reads and flushes.
    pub(crate) fn send(&mut self, bytes: &[u8]) {
        let now = self.now;
        self.send_arrived(bytes, now);
    }

    /// As [`Sim::send`], with bytes the kernel stamped at `arrived`.
    pub(crate) fn send_arrived(&mut self, bytes: &[u8], arrived: Instant) {
        if !bytes.is_empty() && !self.ended() {
            self.inbox.push_back(Pending::Data(arrived, bytes.to_vec()));
            self.pump();
        }
    }

    /// Bytes sent and not read yet (the conn does not want to read).
    pub(crate) fn unread(&self) -> usize {
        self.inbox
            .iter()
            .map(|p| match p {
                Pending::Data(_, bytes) => bytes.len(),
                Pending::Fin => 0,
            })
            .sum()
    }

    /// The loop's reads, for as long as the conn wants to read and something waits:
    /// each read, then the flush.
    fn pump(&mut self) {
        while self.wants().is_some_and(|w| w.read) {
            let Some(pending) = self.inbox.pop_front() else {
                return;
            };
            let open = self.phase() == Some(Phase::Open);
            let now = self.now;
            let (conn, mut cx) = self.cx();
            let Some(conn) = conn else { return };
            match pending {
                Pending::Data(arrived, bytes) => {
                    // The loop caps a stamp's age at MAX_AGE (`arrival::arrival`).
                    let arrived = arrived.max(now.checked_sub(MAX_AGE).unwrap_or(now));
                    conn.received(&bytes, arrived, &mut cx);
                    if open {
                        self.read_open += bytes.len();
                    }
                    self.progress();
                }
                Pending::Fin => match conn.peer_closed(&mut cx) {
                    Flow::Close => self.finish(End::Closed),
                    Flow::Reset => self.finish(End::Reset),
                    Flow::Continue | Flow::ShutdownWrite => self.progress(),
                },
            }
        }
    }

    /// Sends `bytes` in pieces cut at `cuts` (offsets), `pause` apart.
    pub(crate) fn send_split(&mut self, bytes: &[u8], cuts: &[usize], pause: Duration) {
        let mut from = 0;
        for &cut in cuts.iter().chain(std::iter::once(&bytes.len())) {
            let cut = cut.clamp(from, bytes.len());
            self.send(&bytes[from..cut]);
            from = cut;
            if from < bytes.len() {
                self.advance(pause);
            }
        }
    }

    /// The client shuts down its write side (or closes): a FIN behind what it sent,
    /// which the loop reads as the end of the stream.
    pub(crate) fn peer_close(&mut self) {
        if !self.ended() {
            self.inbox.push_back(Pending::Fin);
            self.pump();
        }
    }

    /// The socket became writable (or is polled): the loop flushes (and reads, if
    /// that made room).
    pub(crate) fn writable(&mut self) {
        self.progress();
        self.pump();
    }

    /// SIGTERM: the graceful stop.
    pub(crate) fn drain(&mut self) {
        self.draining = true;
        let (conn, mut cx) = self.cx();
        let Some(conn) = conn else { return };
        match conn.drain(&mut cx) {
            Flow::Close => self.finish(End::Closed),
            Flow::Reset => self.finish(End::Reset),
            Flow::Continue | Flow::ShutdownWrite => self.pump(),
        }
    }

    /// The loop closes the connection (a stop, or the drain's limit).
    pub(crate) fn stop(&mut self) {
        self.finish(End::Stopped);
    }

    /// Lets `wait` pass, firing every deadline on the way at its own time, as the
    /// deadline heap does.
    pub(crate) fn advance(&mut self, wait: Duration) {
        let target = self.now + wait;
        while let Some(next) = self
            .conn
            .as_ref()
            .and_then(|c| c.next_deadline(&self.policy))
        {
            if next > target {
                break;
            }
            self.now = self.now.max(next);
            self.fire();
            self.pump();
        }
        self.now = target;
    }

    /// Runs the deadline now (the heap popped it).
    fn fire(&mut self) {
        let (conn, mut cx) = self.cx();
        let Some(conn) = conn else { return };
        match conn.on_deadline(&mut cx) {
            Flow::Close => self.finish(End::Closed),
            Flow::Reset => self.finish(End::Reset),
            Flow::Continue | Flow::ShutdownWrite => self.progress(),
        }
    }

    /// The loop's flush, then what the conn says follows.
    fn progress(&mut self) {
        let at = self.elapsed();
        let window = self.window;
        let fail = self.fail_writes;
        let (conn, mut cx) = self.cx();
        let Some(conn) = conn else { return };
        let mut written = Vec::new();
        let mut calls = Vec::new();
        let mut failed = false;
        loop {
            let ready = conn.transmit(&mut cx);
            if ready.is_empty() {
                break;
            }
            if fail {
                failed = true;
                break;
            }
            let n = window.map_or(ready.len(), |w| w.min(ready.len()));
            if n == 0 {
                conn.write_blocked(cx.now);
                break;
            }
            let short = n < ready.len();
            written.extend_from_slice(&ready[..n]);
            calls.push(n);
            conn.wrote(n, &mut cx);
            if short {
                // A short write: the socket took what it had room for, and is full.
                conn.write_blocked(cx.now);
                break;
            }
        }
        let flow = if failed {
            Flow::Close
        } else {
            conn.flushed(&mut cx)
        };
        self.logged.clear();
        self.calls.extend(calls);
        if !written.is_empty() {
            self.writes.push(Write { at, bytes: written });
        }
        match flow {
            Flow::Close if failed => self.finish(End::WriteFailed),
            Flow::Close => self.finish(End::Closed),
            Flow::Reset => self.finish(End::Reset),
            Flow::ShutdownWrite => self.shut_at = Some(at),
            Flow::Continue => {}
        }
    }

    fn finish(&mut self, end: End) {
        let at = self.elapsed();
        let Some(conn) = self.conn.take() else { return };
        self.owed_at_end = conn.held_responses();
        let (_, mut cx) = self.cx();
        let _ = conn.close(&mut cx);
        self.end = Some((end, at));
    }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}
