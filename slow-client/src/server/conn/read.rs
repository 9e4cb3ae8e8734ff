//! The input side: bytes received, requests parsed and decided (in order, up to the
//! pipeline bound), their answers encoded and owed at their due times, bodies
//! skipped, and the peer's close.

use std::time::{Duration, Instant};

use super::{Conn, Cx, FaultEnd, Flow, Phase, PIPELINE_DEPTH};
use crate::http::chunked::ChunkedDecoder;
use crate::http::ResponseLimits;
use crate::server::config::Framing;
use crate::server::deadline::after;
use crate::server::log::LogEntry;
use crate::server::request::{complete_requests, parse_head, Decision, Parsed, MAX_BODY};
use crate::server::response::{effective_framing, Body, Persistence, Reply, Status, CONTINUE};
use crate::server::route::{Answer, Fault, ECHO_LIMIT};
use crate::server::Verdict;

impl Conn {
    /// Takes `fresh`, bytes that arrived at `arrived` (the kernel's receive stamp on
    /// the monotonic clock), and decides every request they complete.
    pub(crate) fn received(&mut self, fresh: &[u8], arrived: Instant, cx: &mut Cx<'_>) {
        if self.phase != Phase::Open || self.peer_closed {
            // After the last response: read and discarded, and the close lingers.
            self.linger = true;
            return;
        }
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
    }

    /// The peer closed its write side. The requests it sent whole are still
    /// answered, in order and at their due times, then the connection closes; a head
    /// cut off by the close is never answered (it counts as dropped).
    pub(crate) fn peer_closed(&mut self, cx: &mut Cx<'_>) -> Flow {
        let _ = cx;
        self.peer_closed = true;
        if self.phase == Phase::Lingering {
            return Flow::Close;
        }
        if !self.held {
            self.forget_partial();
        }
        if self.owed.is_empty() && !self.held {
            Flow::Close
        } else {
            Flow::Continue
        }
    }

    /// Parses requests held back by the pipeline bound once there is room again.
    /// Returns whether it decided anything.
    pub(super) fn resume(&mut self, cx: &mut Cx<'_>) -> bool {
        if !self.held || self.phase != Phase::Open || self.owed.len() >= PIPELINE_DEPTH {
            return false;
        }
        let before = self.requests;
        let input = std::mem::take(&mut self.input);
        let used = self.consume(&input, input.len(), self.input_arrival, cx);
        self.input = input;
        self.input.drain(..used);
        if self.peer_closed && !self.held {
            self.forget_partial();
        }
        self.requests != before
    }

    /// Forgets a head or body cut off by the peer's close: it can never complete,
    /// so it gets no 408 and no body timer (its request counts as dropped at the close).
    fn forget_partial(&mut self) {
        self.input.clear();
        self.head_since = None;
        self.head_started = false;
        self.skip = 0;
        self.chunked = None;
        self.body_since = None;
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
                if self.skip == 0 {
                    self.body_since = None;
                }
            }
            if self.chunked.is_some() && pos < buf.len() {
                match self.skip_chunked(&buf[pos..], cx) {
                    Some(used) => pos += used,
                    None => {
                        // A broken chunk or a body over the cap: what follows cannot be
                        // read as requests. The answer owed goes out, then the close.
                        self.chunked = None;
                        self.body_since = None;
                        self.phase = Phase::Closing;
                        self.linger = true;
                        return buf.len();
                    }
                }
            }
            if !self.in_body() && !self.head_started {
                // RFC 9112 §2.2: empty lines before a request line are ignored (a
                // client's CRLF after a body is not the start of another request).
                // They are no progress either: the idle timer keeps running, and the
                // head's timer, if one follows, starts at the first of them.
                let stray = buf[pos..]
                    .iter()
                    .take_while(|&&b| b == b'\r' || b == b'\n')
                    .count();
                if stray > 0 {
                    self.stray_since.get_or_insert(cx.now);
                    pos += stray;
                }
            }
            if pos == buf.len() || self.in_body() {
                break;
            }
            if self.owed.len() >= PIPELINE_DEPTH {
                self.held = true;
                break;
            }
            match parse_head(&buf[pos..], cx.policy.limits) {
                Parsed::Partial => {
                    if !self.head_started {
                        self.head_started = true;
                        let start = self.stray_since.unwrap_or(cx.now);
                        self.head_since = Some(self.head_since.map_or(start, |s| s.min(start)));
                    }
                    if !self.open_request {
                        self.open_request = true;
                        cx.stats.requests += 1;
                    }
                    break;
                }
                Parsed::Invalid { status, message } => {
                    let head_only = buf[pos..].starts_with(b"HEAD ");
                    self.owe_error(status, &message, head_only, cx);
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
                    if decision.chunked {
                        self.chunked = Some(ChunkedDecoder::new());
                        self.chunked_payload = 0;
                    }
                    if self.in_body() {
                        self.body_since = Some(cx.now);
                    }
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

    /// Skips chunked body bytes from the start of `bytes`; returns how many the body
    /// took, or `None` for a body that breaks the chunked coding or goes over
    /// [`MAX_BODY`].
    fn skip_chunked(&mut self, bytes: &[u8], cx: &Cx<'_>) -> Option<usize> {
        let limits = ResponseLimits {
            max_body: MAX_BODY,
            max_head: cx.policy.limits.max_head,
            ..ResponseLimits::default()
        };
        let decoder = self.chunked.as_mut()?;
        let (done, used) = decoder
            .feed_used(bytes, &mut self.chunked_payload, &limits)
            .ok()?;
        if done {
            self.chunked = None;
            self.body_since = None;
        }
        Some(used)
    }

    /// Counts the complete requests in `rest` (after the body being skipped) as
    /// received and dropped: the connection will never answer them.
    pub(super) fn drop_unparsed(&mut self, rest: &[u8], cx: &mut Cx<'_>) {
        if self.chunked.is_some() {
            return; // the rest is the body's, as far as anyone can tell without decoding it
        }
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
            && framing != Framing::Close
            && !status.ends_connection()
            && !matches!(decision.answer, Answer::Fault(_))
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
            Answer::Text { message, allow, .. } => (Body::Text(message), None, *allow),
            Answer::Drip(drip) => (Body::Drip(drip.numbytes), None, ""),
            Answer::Fault(fault) => {
                return self.owe_fault(*fault, decision.delay_ms, arrived, line, cx);
            }
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
        match decision.answer {
            Answer::Drip(drip) if !decision.head_only => {
                // The head, then the body on its schedule: the body counts the response.
                self.owed.owe(due, Some(date_at), None, None);
                self.owed
                    .owe_stream(drip, arrived, Some(verdict(status)), log);
                self.nodelay = true;
            }
            _ => self
                .owed
                .owe(due, Some(date_at), Some(verdict(status)), log),
        }
        if !keep {
            self.phase = Phase::Closing;
            self.linger |= status.ends_connection();
        }
    }

    /// Owes `/fault/{kind}`'s bytes at `delay_ms` after `arrived`, then its end: the
    /// last response of the connection.
    fn owe_fault(
        &mut self,
        fault: Fault,
        delay_ms: u64,
        arrived: Instant,
        line: Option<String>,
        cx: &mut Cx<'_>,
    ) {
        let buffer = self.owed.buffer();
        for part in fault.bytes() {
            buffer.extend_from_slice(part);
        }
        let due = after(arrived, Duration::from_millis(delay_ms));
        if due <= cx.now {
            self.overdue_from = Some(self.overdue_from.map_or(due, |d| d.min(due)));
        }
        let status = Status::Asked(fault.code());
        let log = line.map(|line| Box::new(LogEntry::new(line, status.code(), delay_ms)));
        self.owed.owe(due, None, Some(verdict(status)), log);
        self.phase = Phase::Closing;
        self.fault_end = Some(fault.end());
        if fault.end() == FaultEnd::Hold {
            let cap = Duration::from_millis(cx.policy.limits.max_delay_ms);
            self.hold_until = Some(after(arrived, cap));
        }
    }

    /// Queues an error answer that ends the connection (400/408/413/414/431/501/505 before a
    /// request could be decided): the head alone when it answers a `HEAD`
    /// (RFC 9112 §6.3), whatever the status.
    pub(super) fn owe_error(
        &mut self,
        status: Status,
        message: &str,
        head_only: bool,
        cx: &mut Cx<'_>,
    ) {
        self.count_decided(cx);
        let mut reply = Reply::new(status, Body::Text(message));
        reply.head_only = head_only;
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
        self.head_started = false;
        self.stray_since = None;
        if self.open_request {
            self.open_request = false;
        } else {
            cx.stats.requests += 1;
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
    String::from_utf8_lossy(&head[..end.min(ECHO_LIMIT)]).into_owned()
}
