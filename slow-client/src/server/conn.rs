//! One accepted connection: its socket, where it is in the request/response cycle,
//! and the I/O steps that move it along. The event loop decides; this module reads
//! and writes.

use std::io::{self, Read, Write};
use std::net::{Shutdown, TcpStream};
use std::os::fd::AsFd;
use std::time::{Instant, SystemTime};

use crate::os;

use super::request::{feed, Decision, Head, Limits};

/// Where a connection is. Memory per connection stays small: a partial head is
/// buffered (at most `max_head + 1` bytes) only when a head arrives in pieces, and a
/// response (a few hundred bytes) only between the parsed head and the last write.
#[derive(Debug)]
pub(crate) enum State {
    /// Waiting for a complete request head. `partial` stays empty (unallocated) unless
    /// a read ends mid-head.
    ReadingHead { partial: Vec<u8> },
    /// Head parsed; the response is held back until its deadline.
    Waiting { response: Vec<u8>, linger: bool },
    /// Writing the response; `written` bytes are out.
    Writing {
        response: Vec<u8>,
        written: usize,
        linger: bool,
    },
    /// Response out and our side shut down: reading and discarding until the client
    /// closes, so request bytes we never read cannot turn our close into a reset that
    /// destroys the response in the client's receive buffer (RFC 9112 §9.6).
    Lingering,
}

/// How a connection counts in the stats when it closes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// A 2xx response was fully written.
    Answered,
    /// A 4xx/5xx response to a request the server judged was fully written.
    Rejected,
    /// Closed without a complete response: peer gone, write failed or stalled,
    /// header timeout, or the server stopped first.
    Dropped,
}

/// Result of a read step.
#[derive(Debug)]
pub(crate) enum ReadStep {
    /// Nothing decided yet (no complete head, or a spurious wakeup).
    Pending,
    /// The head is complete: this is the answer, and when the kernel received
    /// its last bytes (if the socket stamps arrivals).
    Decided(Decision, Option<SystemTime>),
    /// The peer closed or reset the connection.
    Gone,
}

/// Result of a write step.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum WriteStep {
    /// The whole response is out.
    Done,
    /// The socket buffer is full: wait for `EPOLLOUT`.
    Blocked,
    /// The peer is gone.
    Failed,
}

/// An accepted connection.
#[derive(Debug)]
pub(crate) struct Conn {
    pub(crate) stream: TcpStream,
    pub(crate) state: State,
    /// The one deadline that matters now; heap entries with another instant are stale.
    pub(crate) deadline: Instant,
    /// What a fully written response counts as.
    pub(crate) on_written: Verdict,
    /// Set once the response is fully written.
    pub(crate) verdict: Option<Verdict>,
    /// Registered for `EPOLLOUT` (instead of `EPOLLIN`).
    pub(crate) wants_write: bool,
}

impl Conn {
    pub(crate) fn new(stream: TcpStream, header_deadline: Instant) -> Conn {
        Conn {
            stream,
            state: State::ReadingHead {
                partial: Vec::new(),
            },
            deadline: header_deadline,
            on_written: Verdict::Dropped,
            verdict: None,
            wants_write: false,
        }
    }

    /// One read while in [`State::ReadingHead`]; `scratch` is the loop's shared buffer
    /// of at least `max_head + 1` bytes. Level-triggered readiness re-reports what is
    /// left, so one read per event is enough and saves the final `EAGAIN` read.
    pub(crate) fn read_head(&mut self, scratch: &mut [u8], limits: Limits) -> ReadStep {
        let State::ReadingHead { partial } = &mut self.state else {
            return ReadStep::Pending;
        };
        // Never buffer more than max_head + 1 bytes: one byte past the cap proves the head too large.
        let room = (limits.max_head + 1).saturating_sub(partial.len()).max(1);
        let room = room.min(scratch.len());
        let (n, arrived) = match os::recv_timestamped(self.stream.as_fd(), &mut scratch[..room]) {
            Ok((0, _)) => return ReadStep::Gone,
            Ok(read) => read,
            Err(e) if is_transient(&e) => return ReadStep::Pending,
            Err(_) => return ReadStep::Gone,
        };
        match feed(partial, &scratch[..n], limits) {
            Head::Partial => ReadStep::Pending,
            Head::Complete(decision) => ReadStep::Decided(decision, arrived),
        }
    }

    /// Reads and discards what the client sends after its head (while its response
    /// waits, or while lingering). Returns `false` once the client has closed or reset.
    pub(crate) fn discard_input(&mut self, scratch: &mut [u8]) -> bool {
        match self.stream.read(scratch) {
            Ok(0) => false,
            Ok(_) => true,
            Err(e) => is_transient(&e),
        }
    }

    /// Moves a waiting response to [`State::Writing`] (no-op in other states).
    pub(crate) fn start_writing(&mut self) {
        if let State::Waiting { response, linger } = &mut self.state {
            self.state = State::Writing {
                response: std::mem::take(response),
                written: 0,
                linger: *linger,
            };
        }
    }

    /// Writes as much of the response as the socket takes.
    pub(crate) fn write_response(&mut self) -> WriteStep {
        let State::Writing {
            response, written, ..
        } = &mut self.state
        else {
            return WriteStep::Failed;
        };
        while *written < response.len() {
            match self.stream.write(&response[*written..]) {
                Ok(0) => return WriteStep::Failed,
                Ok(n) => *written += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return WriteStep::Blocked,
                Err(_) => return WriteStep::Failed,
            }
        }
        self.verdict = Some(self.on_written);
        WriteStep::Done
    }

    /// After a complete write: whether to linger (true) or close now.
    pub(crate) fn begin_linger(&mut self) -> bool {
        let linger = matches!(self.state, State::Writing { linger: true, .. });
        if linger {
            // FIN now tells the client the response is complete even while we keep reading.
            let _ = self.stream.shutdown(Shutdown::Write);
            self.state = State::Lingering;
        }
        linger
    }
}

/// Errors that mean "try again later", not "the peer is gone".
fn is_transient(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::WouldBlock | io::ErrorKind::Interrupted
    )
}
