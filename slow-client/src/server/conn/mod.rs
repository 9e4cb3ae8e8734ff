//! One accepted connection as a pure HTTP/1.1 server state machine (as h11, or hyper's
//! `proto/h1`): bytes in with their arrival, the peer's close, how a write went and
//! the time now; bytes out, the next deadline, what it wants from the socket
//! ([`Wants`], [`Flow`]), and the records the stats and the access log need. It owns
//! no socket and reads no clock: the event loop does the I/O and passes the time in,
//! so every rule here is tested on a virtual clock (`tests/`).
//!
//! Keep-alive is the connection's [`Phase`], as in hyper's `KA` or nginx's
//! `ngx_http_set_keepalive`: `Open` reads requests (idle when nothing is owed),
//! `Closing` owes its last response and reads nothing more, `Lingering` has sent it.
//!
//! The timers, all from the one deadline the loop keeps for a connection
//! ([`Conn::next_deadline`]):
//! - a response falls due (each delayed from its own arrival, answered in request
//!   order);
//! - the header timeout, from the first byte of a head (stray CR/LF before it
//!   included; accept for the first request): a head that started gets 408, a
//!   connection that never sent a head byte is closed quietly;
//! - the body timeout, a total time for a request body that is read only to be
//!   discarded, which a trickle cannot reset;
//! - the keep-alive timeout while idle, from the last response written; stray CR/LF
//!   between requests is no progress and does not reset it;
//! - the send timeout while a due response finds the socket full;
//! - the linger after the last response.
//!
//! After the peer's FIN the requests received before it are still answered, in order
//! and at their due times, then the connection closes; a peer that closed both ways
//! is found on the write.
//!
//! Memory stays bounded however a client behaves: at most [`PIPELINE_DEPTH`]
//! responses are held (the connection stops reading while it owes more), plus the
//! unparsed input of one read or one head.
//!
//! The timeout lab rides on the same machinery: a drip is its head, owed at `delay`,
//! then a stream entry in the outbox whose byte `k` falls due at
//! `delay + k*duration/N` (the deadline is the next byte's; a late timer sends what
//! fell due meanwhile in one write, from a static buffer); a fault is its bytes,
//! owed at `delay`, then its end ([`Flow::Close`], [`Flow::Reset`], or held until
//! the client gives up).

use std::time::{Duration, Instant};

use super::date::HTTP_DATE_LEN;
use super::log::LogEntry;
use super::outbox::Outbox;
use super::policy::Policy;
use super::route::lab::fault::End as FaultEnd;
use super::ServerStats;
use crate::http::chunked::ChunkedDecoder;

mod read;
mod timers;
mod write;

#[cfg(test)]
mod tests;

pub(crate) use super::policy::PIPELINE_DEPTH;

/// Longest wait for a client to close after the server's last response.
pub(crate) const LINGER: Duration = Duration::from_secs(1);

/// Where the connection is in its keep-alive life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Phase {
    /// Reading requests; idle when nothing is owed and no head is arriving.
    Open,
    /// The last response is owed: input is read and discarded, the connection ends
    /// once the response is written.
    Closing,
    /// The last response is out and our side shut down: reading and discarding until
    /// the client closes, so request bytes never read cannot turn our close into a
    /// reset that destroys the response in the client's receive buffer (RFC 9112 §9.6).
    Lingering,
}

/// What the loop should do with the connection after a step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Flow {
    /// Keep it, with the [`Wants`] and deadline it now asks for.
    Continue,
    /// Shut down the write side (the last response is out: FIN tells the client it
    /// is complete), then keep it: it lingers, reading and discarding.
    ShutdownWrite,
    /// Close it now: done, idle too long, peer gone, or a write failed or stalled.
    Close,
    /// Close it with a reset (RST, `SO_LINGER` 0): `/fault/reset` asked for one.
    Reset,
}

/// What the connection needs from its socket now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Wants {
    /// Read: it takes requests (or discards what follows its last response).
    pub(crate) read: bool,
    /// Write: a due response found the socket full.
    pub(crate) write: bool,
    /// Every write its own segment (`TCP_NODELAY`): a drip is owed, whose bytes
    /// must not wait for the client's acknowledgement (Nagle).
    pub(crate) nodelay: bool,
}

/// What a step may use and update besides the connection itself.
#[derive(Debug)]
pub(crate) struct Cx<'a> {
    pub(crate) policy: &'a Policy,
    /// The `Date` value of this second.
    pub(crate) date: &'a [u8; HTTP_DATE_LEN],
    /// Scratch for a body while its head is written.
    pub(crate) staging: &'a mut Vec<u8>,
    pub(crate) stats: &'a mut ServerStats,
    /// The access log's records of responses written in full, when it is on (the
    /// loop turns them into lines with the peer and the wall clock).
    pub(crate) log: Option<&'a mut Vec<Logged>>,
    /// The time now, on the monotonic clock.
    pub(crate) now: Instant,
    /// SIGTERM arrived: no connection is kept alive.
    pub(crate) draining: bool,
}

/// A response written in full, for the access log.
#[derive(Debug)]
pub(crate) struct Logged {
    pub(crate) entry: Box<LogEntry>,
    /// How long after its due time its last byte was written.
    pub(crate) late: Duration,
}

/// An accepted connection's HTTP/1.1 state.
#[derive(Debug)]
pub(crate) struct Conn {
    phase: Phase,
    /// Unparsed request bytes kept between reads: a partial head, or requests held
    /// back while [`PIPELINE_DEPTH`] responses are owed.
    input: Vec<u8>,
    /// When `input` arrived (the receive stamp of the read that carried it).
    input_arrival: Instant,
    /// The earliest due time, already past, of a delayed response owed since the last
    /// flush: the flush leaves it to the deadline heap, which answers the overdue
    /// responses of every connection read in one batch in the order they fell due.
    overdue_from: Option<Instant>,
    /// `input` holds requests not yet parsed because of the pipeline bound.
    held: bool,
    /// Request-body bytes still to skip.
    skip: u64,
    /// A chunked request body being skipped: where it is in the chunked coding, and
    /// its payload so far (held to the same cap as a `Content-Length` body).
    chunked: Option<ChunkedDecoder>,
    chunked_payload: u64,
    /// When the body being skipped started (its head was decided): the body timeout
    /// runs from here and nothing resets it.
    body_since: Option<Instant>,
    /// The responses owed, in request order.
    owed: Outbox,
    /// Requests decided on this connection.
    requests: u32,
    /// A request counted in the stats but not decided yet (the first one from accept,
    /// later ones from their first byte).
    open_request: bool,
    /// When the header timeout of the head being received started: accept for the
    /// first, its first byte (or the first stray CR/LF before it) for later ones.
    head_since: Option<Instant>,
    /// A byte of that head (not a stray CR/LF) has arrived: its timeout is a 408.
    head_started: bool,
    /// The first stray CR/LF since the last request was decided.
    stray_since: Option<Instant>,
    /// When the last response was written in full (accept, before the first).
    idle_since: Instant,
    /// The first write that found the socket full, since the last progress.
    blocked_since: Option<Instant>,
    /// Bytes were left unread: the last response lingers.
    linger: bool,
    linger_until: Instant,
    /// The peer closed its write side (a read found the end of the stream).
    peer_closed: bool,
    /// The last [`Conn::transmit`] handed out a drip's bytes (not the outbox's).
    streaming: bool,
    /// A drip was owed: writes go out as they are made (see [`Wants::nodelay`]).
    nodelay: bool,
    /// The last response owed is a fault: how the connection ends after its bytes.
    fault_end: Option<FaultEnd>,
    /// `/fault/timeout`: held (reading and discarding) until the client closes or
    /// this instant, the delay cap after the request.
    hold_until: Option<Instant>,
}

impl Conn {
    /// A connection accepted at `now`, with `owed` (a recycled, empty outbox, or a
    /// new one) for its responses. Its first request counts from here.
    pub(crate) fn new(now: Instant, owed: Outbox) -> Conn {
        Conn {
            phase: Phase::Open,
            input: Vec::new(),
            input_arrival: now,
            overdue_from: None,
            held: false,
            skip: 0,
            chunked: None,
            chunked_payload: 0,
            body_since: None,
            owed,
            requests: 0,
            open_request: true,
            head_since: Some(now),
            head_started: false,
            stray_since: None,
            idle_since: now,
            blocked_since: None,
            linger: false,
            linger_until: now,
            peer_closed: false,
            streaming: false,
            nodelay: false,
            fault_end: None,
            hold_until: None,
        }
    }

    /// A request body is being read (to be discarded).
    fn in_body(&self) -> bool {
        self.skip > 0 || self.chunked.is_some()
    }

    /// Where the connection is in its keep-alive life.
    #[cfg(any(test, feature = "fuzzing"))]
    pub(crate) fn phase(&self) -> Phase {
        self.phase
    }

    /// What it needs from the socket: reads while it takes requests (or discards
    /// them) and the peer has not closed, writes while a due response is blocked.
    /// Neither while it holds [`PIPELINE_DEPTH`] responses and none can go out: a
    /// FIN then waits in the socket behind the requests still unread, which are read
    /// (and answered) once there is room again.
    pub(crate) fn wants(&self) -> Wants {
        let read = !self.peer_closed
            && (self.phase != Phase::Open || (self.owed.len() < PIPELINE_DEPTH && !self.held));
        Wants {
            read,
            write: self.blocked_since.is_some(),
            nodelay: self.nodelay,
        }
    }

    #[cfg(any(test, feature = "fuzzing"))]
    /// Responses held (owed and not written in full; an interim `100 Continue`
    /// does not count).
    pub(crate) fn held_responses(&self) -> usize {
        usize::try_from(self.owed.counted()).unwrap_or(usize::MAX)
    }

    #[cfg(any(test, feature = "fuzzing"))]
    /// Unparsed input kept between reads, in bytes.
    pub(crate) fn buffered(&self) -> usize {
        self.input.len()
    }

    /// The connection is closed (by the loop, at its [`Flow::Close`] or at a stop):
    /// counts every request it will never answer as dropped (responses owed, a head
    /// under way, and requests received whole but held back by the pipeline bound),
    /// and returns its outbox for the next connection.
    pub(crate) fn close(mut self, cx: &mut Cx<'_>) -> Option<Outbox> {
        if self.held {
            let input = std::mem::take(&mut self.input);
            self.drop_unparsed(&input, cx);
        }
        cx.stats.dropped += self.owed.counted() + u64::from(self.open_request);
        self.owed.recycle()
    }
}
