//! One accepted connection as an HTTP/1.1 session: the requests it has sent, the
//! responses it is owed (in request order, each held until its own due time), and the
//! keep-alive state between them. The event loop does the epoll side; this module
//! reads, parses, encodes and writes.
//!
//! Keep-alive is the session's [`Phase`], as in hyper's `KA` or nginx's
//! `ngx_http_set_keepalive`: `Open` reads requests (idle when nothing is owed),
//! `Closing` owes its last response and reads nothing more, `Lingering` has sent it.
//!
//! Memory per session stays bounded however a client behaves: at most
//! [`PIPELINE_DEPTH`] responses are held (the loop stops reading a client that owes
//! more), plus the unparsed input of one read or one head.

use std::io::{self, Write as _};
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::os::fd::AsFd;
use std::time::{Duration, Instant, SystemTime};

use epoll_safe::Interest;

use super::deadline::{after, Entries};
use super::log::LogEntry;
use super::outbox::Outbox;
use super::policy::Cx;
use super::request::{complete_requests, parse_head, Decision, Parsed};
use super::response::{effective_framing, Body, Persistence, Reply, Status, CONTINUE};
use super::route::Answer;
use super::Verdict;
use crate::os;

mod arrival;
mod timers;

/// Responses a session may owe before the loop stops reading its requests.
pub(crate) const PIPELINE_DEPTH: usize = 64;
/// Longest wait for a client to close after the server's last response.
pub(crate) const LINGER: Duration = Duration::from_secs(1);

/// Where the session is in its keep-alive life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Phase {
    /// Reading requests; idle when nothing is owed and no head is arriving.
    Open,
    /// The last response is owed: input is read and discarded, the session ends
    /// once the response is written.
    Closing,
    /// The last response is out and our side shut down: reading and discarding until
    /// the client closes, so request bytes never read cannot turn our close into a
    /// reset that destroys the response in the client's receive buffer (RFC 9112 §9.6).
    Lingering,
}

/// What the loop should do with a session after a step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Flow {
    /// Keep it, with the registration and deadline it now asks for.
    Continue,
    /// Close it now: done, idle too long, peer gone, or a write failed or stalled.
    Close,
}

/// An accepted connection.
#[derive(Debug)]
pub(crate) struct Session {
    pub(crate) stream: TcpStream,
    peer: Option<SocketAddr>,
    pub(crate) phase: Phase,
    /// Unparsed request bytes kept between reads: a partial head, or requests held
    /// back while [`PIPELINE_DEPTH`] responses are owed.
    input: Vec<u8>,
    /// When `input` arrived (the kernel's receive stamp of the read that carried it,
    /// on the monotonic clock: [`arrival`]).
    input_arrival: Instant,
    /// The earliest due time, already past, of a delayed response owed since the last
    /// flush: the flush leaves it to the deadline heap, which answers the overdue
    /// responses of every session read in one batch in the order they fell due.
    overdue_from: Option<Instant>,
    /// `input` holds requests not yet parsed because of the pipeline bound.
    held: bool,
    /// Request-body bytes still to skip.
    skip: u64,
    /// The responses owed, in request order.
    owed: Outbox,
    /// Requests decided on this connection.
    requests: u32,
    /// A request counted in the stats but not decided yet (the first one from accept,
    /// later ones from their first byte).
    pub(crate) open_request: bool,
    /// When the head being received started (accept, for the first): the header timeout runs from here.
    head_since: Option<Instant>,
    idle_since: Instant,
    /// The first write that found the socket full, since the last progress.
    blocked_since: Option<Instant>,
    /// Bytes were left unread: the last response lingers.
    linger: bool,
    linger_until: Instant,
    /// Its entries in the deadline heap.
    pub(crate) scheduled: Entries,
    /// The epoll registration in force.
    pub(crate) interest: Interest,
}

impl Session {
    /// A session for a connection just accepted at `now`, with `owed` (a recycled,
    /// empty outbox, or a new one) for its responses.
    pub(crate) fn new(
        stream: TcpStream,
        peer: Option<SocketAddr>,
        now: Instant,
        owed: Outbox,
    ) -> Session {
        Session {
            stream,
            peer,
            phase: Phase::Open,
            input: Vec::new(),
            input_arrival: now,
            overdue_from: None,
            held: false,
            skip: 0,
            owed,
            requests: 0,
            open_request: true,
            head_since: Some(now),
            idle_since: now,
            blocked_since: None,
            linger: false,
            linger_until: now,
            scheduled: Entries::default(),
            interest: Interest::READABLE,
        }
    }

    /// The outbox, for the next connection, once this one has closed (its stream
    /// is closed here).
    pub(crate) fn into_outbox(self) -> Option<Outbox> {
        self.owed.recycle()
    }

    /// Responses owed and not yet written, as they count in the stats.
    pub(crate) fn unanswered(&self) -> u64 {
        self.owed.counted() + u64::from(self.open_request)
    }

    /// One read (level-triggered readiness re-reports the rest). Returns
    /// [`Flow::Close`] when the client has closed or reset.
    pub(crate) fn read(&mut self, scratch: &mut [u8], cx: &mut Cx<'_>) -> Flow {
        self.read_found(scratch, cx).0
    }

    /// [`Session::read`], and whether the read found anything (data or the close).
    pub(crate) fn read_found(&mut self, scratch: &mut [u8], cx: &mut Cx<'_>) -> (Flow, bool) {
        let (n, stamp) = match os::recv_timestamped(self.stream.as_fd(), scratch) {
            Ok((0, _)) => return (Flow::Close, true),
            Ok(read) => read,
            Err(e) if is_transient(&e) => return (Flow::Continue, false),
            Err(_) => return (Flow::Close, true),
        };
        // Both clocks as one pair, wall first, nothing in between (see `arrival`).
        let (wall, mono) = arrival::clock_pair(SystemTime::now, Instant::now);
        let arrived = arrival::arrival(stamp, wall, mono);
        if self.phase != Phase::Open {
            self.linger = true;
            return (Flow::Continue, true);
        }
        let fresh = &scratch[..n];
        if self.input.is_empty() {
            let used = self.consume(fresh, 0, arrived, cx);
            self.input.extend_from_slice(&fresh[used..]);
        } else {
            let old = self.input.len();
            self.input.extend_from_slice(fresh);
            let input = std::mem::take(&mut self.input);
            let used = self.consume(&input, old, arrived, cx);
            self.input = input;
            self.input.drain(..used);
        }
        // What is left (a partial head, held requests) counts from this read: for held
        // bytes of an earlier read that is later than they came, never earlier.
        self.input_arrival = arrived;
        (Flow::Continue, true)
    }

    /// Writes what is due and parses what the pipeline bound held back, for as long
    /// as writing makes room for more.
    pub(crate) fn advance(&mut self, cx: &mut Cx<'_>) -> Flow {
        loop {
            if self.flush(cx) == Flow::Close {
                return Flow::Close;
            }
            if !self.resume(cx) {
                return Flow::Continue;
            }
        }
    }

    /// Parses requests held back by the pipeline bound once there is room again.
    /// Returns whether it parsed anything.
    fn resume(&mut self, cx: &mut Cx<'_>) -> bool {
        if !self.held || self.phase != Phase::Open || self.owed.len() >= PIPELINE_DEPTH {
            return false;
        }
        let input = std::mem::take(&mut self.input);
        let used = self.consume(&input, input.len(), self.input_arrival, cx);
        self.input = input;
        self.input.drain(..used);
        used > 0
    }

    /// Decides every complete request at the start of `buf`, up to the pipeline bound;
    /// returns the bytes used. Heads ending within `buf[..old]` arrived with the
    /// earlier read (`self.input_arrival`), the rest at `arrived`.
    fn consume(&mut self, buf: &[u8], old: usize, arrived: Instant, cx: &mut Cx<'_>) -> usize {
        let mut pos = 0;
        self.held = false;
        while self.phase == Phase::Open {
            if self.skip > 0 {
                let n = self.skip.min((buf.len() - pos) as u64);
                self.skip -= n;
                pos += n as usize;
            }
            if self.skip == 0 && self.head_since.is_none() {
                // RFC 9112 §2.2: empty lines before a request line are ignored (a
                // client's CRLF after a body is not the start of another request).
                pos += buf[pos..]
                    .iter()
                    .take_while(|&&b| b == b'\r' || b == b'\n')
                    .count();
            }
            if pos == buf.len() || self.skip > 0 {
                break;
            }
            if self.owed.len() >= PIPELINE_DEPTH {
                self.held = true;
                break;
            }
            match parse_head(&buf[pos..], cx.policy.limits) {
                Parsed::Partial => {
                    if self.head_since.is_none() {
                        self.head_since = Some(cx.now);
                    }
                    if !self.open_request {
                        self.open_request = true;
                        cx.stats.requests += 1;
                    }
                    break;
                }
                Parsed::Invalid { status, message } => {
                    self.owe_error(status, &message, cx);
                    self.linger = true;
                    return buf.len();
                }
                Parsed::Complete { len, decision } => {
                    let arrived = if pos + len <= old {
                        self.input_arrival
                    } else {
                        arrived
                    };
                    let line = cx.policy.access_log.then(|| request_line(&buf[pos..]));
                    pos += len;
                    self.skip = decision.body;
                    self.owe(&decision, arrived, line, cx);
                }
            }
        }
        if self.phase != Phase::Open && pos < buf.len() {
            // After the last response (a close, the request cap, an error): what
            // follows is never answered; the requests in it that arrived whole are
            // dropped.
            self.drop_unparsed(&buf[pos..], cx);
            self.linger = true;
            return buf.len();
        }
        pos
    }

    /// Counts the complete requests in `rest` (after the body being skipped) as
    /// received and dropped: the session will never answer them.
    pub(crate) fn drop_unparsed(&mut self, rest: &[u8], cx: &mut Cx<'_>) {
        let body = usize::try_from(self.skip)
            .unwrap_or(usize::MAX)
            .min(rest.len());
        let dropped = complete_requests(&rest[body..], cx.policy.limits);
        cx.stats.requests += dropped;
        cx.stats.dropped += dropped;
    }

    /// Encodes the answer to a decided request and queues it at its due time.
    fn owe(
        &mut self,
        decision: &Decision<'_>,
        arrived: Instant,
        line: Option<String>,
        cx: &mut Cx<'_>,
    ) {
        let policy = cx.policy;
        self.count_decided(cx);
        let status = decision.status();
        let framing = effective_framing(policy.framing, decision.http10);
        let keep = decision.client_keeps
            && policy.keep_alive
            && !cx.draining
            && framing != super::Framing::Close
            && !status.ends_connection()
            && self.requests < policy.max_requests;
        if decision.send_continue {
            self.owed.buffer().extend_from_slice(CONTINUE);
            self.owed.owe(cx.now, None, None, None);
        }
        let (body, location, allow) = match &decision.answer {
            Answer::Delayed { path } => (
                Body::Delayed {
                    ms: decision.delay_ms,
                    path,
                },
                None,
                "",
            ),
            Answer::Redirect { location, .. } => (Body::Empty, Some(&**location), ""),
            Answer::Index => (Body::Text(&policy.index), None, ""),
            Answer::Error { message, allow, .. } => (Body::Text(message), None, *allow),
        };
        let reply = Reply {
            status,
            body,
            location,
            allow,
            head_only: decision.head_only,
            persistence: match (keep, decision.http10) {
                (false, _) => Persistence::Close,
                (true, true) => Persistence::KeepAlive,
                (true, false) => Persistence::Default,
            },
        };
        let date_at = reply.encode(framing, cx.date, cx.staging, self.owed.buffer());
        let due = if decision.delay_ms == 0 {
            cx.now.min(arrived)
        } else {
            let due = after(arrived, Duration::from_millis(decision.delay_ms));
            if due <= cx.now {
                self.overdue_from = Some(self.overdue_from.map_or(due, |d| d.min(due)));
            }
            due
        };
        let log = line.map(|line| Box::new(LogEntry::new(line, status.code(), decision.delay_ms)));
        self.owed
            .owe(due, Some(date_at), Some(verdict(status)), log);
        if !keep {
            self.phase = Phase::Closing;
            self.linger |= status.ends_connection();
        }
    }

    /// Queues an error answer that ends the connection (400/408/411/413/431 before a
    /// request could be decided).
    pub(crate) fn owe_error(&mut self, status: Status, message: &str, cx: &mut Cx<'_>) {
        self.count_decided(cx);
        let reply = Reply::new(status, Body::Text(message));
        let framing = effective_framing(cx.policy.framing, false);
        let date_at = reply.encode(framing, cx.date, cx.staging, self.owed.buffer());
        let log = cx
            .policy
            .access_log
            .then(|| Box::new(LogEntry::new("-".to_owned(), status.code(), 0)));
        self.owed
            .owe(cx.now, Some(date_at), Some(verdict(status)), log);
        self.phase = Phase::Closing;
        self.linger = true;
    }

    fn count_decided(&mut self, cx: &mut Cx<'_>) {
        self.requests = self.requests.saturating_add(1);
        self.head_since = None;
        if self.open_request {
            self.open_request = false;
        } else {
            cx.stats.requests += 1;
        }
    }

    /// Writes every response that is due and not blocked by an earlier one, in one
    /// write when the socket takes it; counts (and logs) those written in full.
    pub(crate) fn flush(&mut self, cx: &mut Cx<'_>) -> Flow {
        // Overdue responses just owed wait for the deadline heap (see `overdue_from`).
        let now = arrival::release_until(self.overdue_from.take(), cx.now);
        loop {
            let ready = self.owed.ready(now, cx.date);
            if ready.is_empty() {
                break;
            }
            let n = match (&self.stream).write(ready) {
                Ok(0) => return Flow::Close,
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    self.blocked_since.get_or_insert(cx.now);
                    break;
                }
                Err(_) => return Flow::Close,
            };
            self.blocked_since = None;
            for owed in self.owed.wrote(n) {
                cx.stats.count(owed.verdict);
                if let (Some(entry), Some(log)) = (owed.log, cx.log.as_deref_mut()) {
                    let late = cx.now.saturating_duration_since(owed.due);
                    entry.write(log, self.peer, cx.wall, late);
                }
            }
        }
        if !self.owed.is_empty() {
            return Flow::Continue;
        }
        self.idle_since = cx.now;
        match self.phase {
            Phase::Open | Phase::Lingering => Flow::Continue,
            // A request body still on its way would turn the close into a reset.
            // A request body still on its way would turn the close into a reset.
            Phase::Closing if !self.linger && self.skip == 0 => Flow::Close,
            Phase::Closing => {
                // FIN now tells the client the response is complete while we keep reading.
                let _ = self.stream.shutdown(Shutdown::Write);
                self.phase = Phase::Lingering;
                self.linger_until = after(cx.now, LINGER.min(cx.policy.header_timeout));
                Flow::Continue
            }
        }
    }

    /// The registration the session needs now: reads while it takes requests (or
    /// discards them), writes while a due response is blocked, and only the peer's
    /// close while it holds [`PIPELINE_DEPTH`] responses and none can go out.
    pub(crate) fn wanted_interest(&self) -> Interest {
        let read = self.phase != Phase::Open || (self.owed.len() < PIPELINE_DEPTH && !self.held);
        match (read, self.blocked_since.is_some()) {
            (true, false) => Interest::READABLE,
            (true, true) => Interest::READABLE.add(Interest::WRITABLE),
            (false, true) => Interest::WRITABLE,
            (false, false) => Interest::READ_CLOSED,
        }
    }
}

/// How a written response counts.
fn verdict(status: Status) -> Verdict {
    match status {
        Status::RequestTimeout => Verdict::Dropped,
        s if s.is_success() => Verdict::Answered,
        _ => Verdict::Rejected,
    }
}

/// The request line at the start of `head`, for the access log.
fn request_line(head: &[u8]) -> String {
    let end = head.iter().position(|&b| b == b'\r').unwrap_or(head.len());
    String::from_utf8_lossy(&head[..end.min(super::route::ECHO_LIMIT)]).into_owned()
}

/// Errors that mean "try again later", not "the peer is gone".
fn is_transient(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::WouldBlock | io::ErrorKind::Interrupted
    )
}
