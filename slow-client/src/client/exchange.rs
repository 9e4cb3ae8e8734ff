//! One request's exchange on its own connection: connect, send the request,
//! read the response; a small state machine driven by readiness events.
//!
//! ```text
//! Idle --connect--> Connecting --EPOLLOUT--> Connected --send--> Sending --all written--> Receiving --complete--> (closed)
//! ```
//! `Connected` waits for the client's in-order writer (see the
//! [pacer](super::pacer)); `Sending` is left as soon as the socket took the
//! whole request, which on a fresh connection is the first `send(2)`.
//!
//! Each socket is registered once, edge-triggered, for everything it will
//! need (`EPOLLOUT | EPOLLIN | EPOLLRDHUP | EPOLLET`), and closing it removes
//! it: one `epoll_ctl` per request, where the epoll express example of
//! chapter 4 of Carl Fredrik Samson's
//! [*Asynchronous Programming in Rust*](https://www.packtpub.com/en-us/product/asynchronous-programming-in-rust-9781805128137)
//! (Packt, 2024) re-arms with `EPOLLONESHOT` at every step. An edge is
//! reported once, so [`Phase::act`] decides what each event means in the
//! phase it finds the exchange in, and an edge that comes too early (the
//! server answering or closing before the request is out) is remembered
//! ([`Exchange::seen`]) and acted on once the request is written. A short
//! read after `EPOLLRDHUP` is the end of the stream: no `read(2)` is spent
//! only to see the EOF. Per-request state is kept small (no request or body
//! bytes are stored; the request is rebuilt into a shared scratch buffer).

use super::error::{classify_io, ErrorKind, IoPhase, RequestError};
use super::report::SendSpan;
use crate::http::{Progress, Response, ResponseReader};
use epoll_safe::Event;
use socket2::Socket;
use std::io::{self, Read};
use std::net::SocketAddr;
use std::time::Instant;

/// The readiness an event reports, as the exchange needs it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Ready {
    /// `EPOLLIN`: bytes (or the EOF) to read.
    pub readable: bool,
    /// `EPOLLOUT`: the connect finished, or send buffer space.
    pub writable: bool,
    /// `EPOLLRDHUP`: the peer closed its side; every byte it sent is queued.
    pub read_closed: bool,
    /// `EPOLLERR` or `EPOLLHUP`.
    pub failed: bool,
}

impl Ready {
    /// The readiness `ev` reports.
    pub fn of(ev: &Event) -> Self {
        Self {
            readable: ev.is_readable(),
            writable: ev.is_writable(),
            read_closed: ev.is_read_closed(),
            failed: ev.is_error() || ev.is_hangup(),
        }
    }

    /// Whether a read would find something: bytes, the EOF or an error.
    pub fn for_reading(self) -> bool {
        self.readable || self.read_closed || self.failed
    }

    /// Both readinesses together.
    pub fn or(self, other: Self) -> Self {
        Self {
            readable: self.readable || other.readable,
            writable: self.writable || other.writable,
            read_closed: self.read_closed || other.read_closed,
            failed: self.failed || other.failed,
        }
    }
}

/// What the event loop does with an event, decided by [`Phase::act`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Act {
    /// The connect finished (or failed).
    Connected,
    /// Write (more of) the request.
    Send,
    /// Read the response.
    Receive,
    /// Nothing now; keep its readiness for when the request is out.
    Remember,
    /// Nothing: an edge this phase does not wait for.
    Ignore,
}

/// Where a connection is.
#[derive(Debug)]
pub(crate) enum Phase {
    /// Not started yet.
    Idle,
    /// Non-blocking connect in progress since `since`; waiting for `EPOLLOUT`.
    Connecting { since: Instant },
    /// Connected; the request is not sent yet (the socket is not armed).
    Connected,
    /// Connected; `written` bytes of the request are out.
    Sending { written: usize },
    /// Request written at `since` (the start of its send window); reading
    /// the response.
    Receiving { since: Instant },
    /// Reported, socket closed.
    Done,
}

impl Phase {
    /// What an event reporting `ready` means in this phase. The writer sends
    /// a `Connected` request (in id order), so its events only say what to
    /// read once it is out; a `Receiving` exchange ignores an `EPOLLOUT` edge.
    pub fn act(&self, ready: Ready) -> Act {
        match self {
            Phase::Idle | Phase::Done => Act::Ignore,
            Phase::Connecting { .. } => Act::Connected,
            Phase::Sending { .. } if ready.writable || ready.failed => Act::Send,
            Phase::Connected | Phase::Sending { .. } if ready.for_reading() => Act::Remember,
            Phase::Connected | Phase::Sending { .. } => Act::Ignore,
            Phase::Receiving { .. } if ready.for_reading() => Act::Receive,
            Phase::Receiving { .. } => Act::Ignore,
        }
    }
}

/// What the loop must do after an event was handled.
#[derive(Debug)]
pub(crate) enum Next {
    /// Wait for readability (the next edge).
    WaitReadable,
    /// Wait for writability (the next edge).
    WaitWritable,
    /// The request ended; report it (the socket is already closed).
    Finished(Result<Finished, RequestError>),
}

/// A complete response and how long after the request it came.
#[derive(Debug)]
pub(crate) struct Finished {
    pub response: Response,
    pub since: Instant,
}

/// One request's exchange: its socket, where it is, and its response reader.
#[derive(Debug)]
pub(crate) struct Exchange {
    pub sock: Option<Socket>,
    pub phase: Phase,
    pub reader: ResponseReader,
    /// The send that completed the request; `None` until it is fully written.
    pub send_span: Option<SendSpan>,
    /// Readiness for reading reported before the request was out (its edge
    /// is gone): read as soon as the request is written.
    pub seen: Ready,
}

impl Exchange {
    /// A fresh exchange that reads responses under `reader`'s limits.
    pub fn new(reader: ResponseReader) -> Self {
        Self {
            sock: None,
            phase: Phase::Idle,
            reader,
            send_span: None,
            seen: Ready::default(),
        }
    }

    /// Keeps an early edge's readiness (see [`Act::Remember`]).
    pub fn remember(&mut self, ready: Ready) {
        self.seen = self.seen.or(ready);
    }

    /// Once the request is fully written: when an edge seen before says
    /// there is something to read already (no new edge will come for it),
    /// forgets it and says whether the peer had closed; `None` otherwise.
    pub fn take_early_read(&mut self) -> Option<bool> {
        if !matches!(self.phase, Phase::Receiving { .. }) || !self.seen.for_reading() {
            return None;
        }
        let read_closed = self.seen.read_closed;
        self.seen = Ready::default();
        Some(read_closed)
    }

    /// The connect completed (or failed): `EPOLLOUT`, possibly with `EPOLLERR`/`EPOLLHUP`.
    pub fn on_connected(&mut self, ev: &Event, to: SocketAddr) -> Option<RequestError> {
        if !(ev.is_error() || ev.is_hangup()) {
            self.phase = Phase::Connected;
            return None;
        }
        let sock = self.sock.as_ref()?;
        let err = match sock.take_error() {
            Ok(Some(e)) | Err(e) => RequestError::new(
                classify_io(&e, true),
                format!("{} to {to}: {e}", IoPhase::Connect),
            ),
            Ok(None) => RequestError::new(
                ErrorKind::ConnectFailed,
                "connect failed: the socket reported an error but no SO_ERROR",
            ),
        };
        Some(err)
    }

    /// Writes as much of `request` as the socket takes (from a `Connected` or `Sending` phase).
    pub fn send(&mut self, request: &[u8]) -> Next {
        if matches!(self.phase, Phase::Connected) {
            self.phase = Phase::Sending { written: 0 };
        }
        let Phase::Sending { written } = &mut self.phase else {
            return Next::WaitReadable;
        };
        let Some(sock) = self.sock.as_ref() else {
            return Next::WaitReadable;
        };
        // `elapsed` runs from the request being fully written. The send that
        // completes it is timed from just *before* the call: the data reaches
        // the server inside the call, and a thread preempted right after it
        // would otherwise stamp late and make a punctual answer look early.
        let since = loop {
            let before = Instant::now();
            match sock.send(&request[*written..]) {
                Ok(n) => {
                    *written += n;
                    if *written >= request.len() {
                        let end = Instant::now();
                        self.send_span = Some(SendSpan { start: before, end });
                        break before;
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Next::WaitWritable,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return self.fail(RequestError::from_io(&e, IoPhase::Write)),
            }
        };
        self.phase = Phase::Receiving { since };
        Next::WaitReadable
    }

    /// Reads what the socket has into `buf` and feeds the response reader.
    /// `read_closed`: the peer had closed its side when the event was
    /// reported, so a short read has taken every byte and means the EOF.
    pub fn receive(&mut self, buf: &mut [u8], read_closed: bool) -> Next {
        let Phase::Receiving { since } = self.phase else {
            return Next::WaitReadable;
        };
        loop {
            let Some(sock) = self.sock.as_mut() else {
                return Next::WaitReadable;
            };
            let outcome = match sock.read(buf) {
                Ok(0) => self.reader.finish().map(Progress::Done).map_err(Into::into),
                Ok(n) => match self.reader.feed(&buf[..n]).map_err(Into::into) {
                    // A short read means the socket is drained: wait for the
                    // next edge instead of spending a read(2) that would only
                    // say EAGAIN (bytes arriving after it raise a new edge).
                    // After EPOLLRDHUP every byte was queued: that is the EOF.
                    Ok(Progress::NeedMore) if n < buf.len() && read_closed => {
                        self.reader.finish().map(Progress::Done).map_err(Into::into)
                    }
                    Ok(Progress::NeedMore) if n < buf.len() => return Next::WaitReadable,
                    other => other,
                },
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Next::WaitReadable,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => Err(RequestError::from_io(&e, IoPhase::Read)),
            };
            match outcome {
                Ok(Progress::NeedMore) => continue,
                Ok(Progress::Done(response)) => {
                    self.close();
                    return Next::Finished(Ok(Finished { response, since }));
                }
                Err(e) => {
                    self.close();
                    return Next::Finished(Err(e));
                }
            }
        }
    }

    /// Ends the request with an error and closes the socket.
    pub fn fail(&mut self, err: RequestError) -> Next {
        self.close();
        Next::Finished(Err(err))
    }

    /// Closes the socket; closing also removes it from the epoll interest list
    /// (it is registered once and never duplicated), so no `EPOLL_CTL_DEL` is spent.
    pub fn close(&mut self) {
        self.sock = None;
        self.phase = Phase::Done;
    }
}

#[cfg(test)]
mod tests;
