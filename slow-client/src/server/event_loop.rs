//! The server's one event loop: listeners, connections and the deadline heap on one
//! epoll instance, all on one thread.
//!
//! Registration: listeners and connections are level-triggered (`EPOLLIN`, or
//! `EPOLLOUT` while a response is blocked), so one read per event suffices and nothing
//! is lost when a step stops early. Sockets are never `dup`ed, so closing one removes
//! it from the epoll set (registration follows the open file description) and the loop
//! skips the `EPOLL_CTL_DEL`.
//!
//! Out of descriptors: when `accept` fails with `EMFILE`/`ENFILE` (or the kernel is out
//! of buffers), the listeners are taken out of the epoll set, so the pending connection
//! does not spin the loop, and put back as soon as a connection closes or after
//! [`RETRY_ACCEPT`], whichever comes first (the fds may be freed elsewhere in the
//! process). Pending clients wait in the listen backlog meanwhile; none is lost.

use std::io::{self, Write};
use std::net::{TcpListener, TcpStream};
use std::num::NonZeroUsize;
use std::time::{Duration, Instant, SystemTime};

use epoll_safe::{Epoll, Events, Interest, Token};
use socket2::SockRef;

use super::config::ServerConfig;
use super::conn::{Conn, ReadStep, State, Verdict, WriteStep};
use super::deadline::{after, DeadlineHeap};
use super::request::{Decision, Limits};
use super::response::{Reply, Status};
use super::slab::{Slab, SPECIAL};
use super::{ServerError, ServerStats};

/// Token of listener `i` is `SPECIAL | i`.
pub(crate) const LISTENER: u64 = SPECIAL;
/// Token of the [`epoll_safe::Waker`] a `ServerHandle` stops the loop with.
pub(crate) const WAKE: u64 = SPECIAL | 1 << 32;
/// Token of the caller's stop fd in `Server::run_until`.
pub(crate) const STOP: u64 = SPECIAL | 2 << 32;
/// Heap key that retries accepting after running out of descriptors.
const RESUME: u64 = SPECIAL | 3 << 32;

/// How long accepting pauses after `EMFILE` when no connection of ours closes first.
pub(crate) const RETRY_ACCEPT: Duration = Duration::from_millis(100);
/// Most connections accepted per listener event, so a flood cannot starve the
/// responses that are due (level triggering brings the listener back).
const ACCEPT_BATCH: usize = 64;
/// Events handled between two looks at the deadline heap.
const EXPIRE_EVERY: usize = 32;
/// Longest wait for a rejected client to close after its error response.
const LINGER: Duration = Duration::from_secs(1);
/// The most a request's arrival stamp may shorten its delay; see [`due`].
const MAX_AGE: Duration = Duration::from_secs(1);
const EVENTS: NonZeroUsize = match NonZeroUsize::new(1024) {
    Some(n) => n,
    None => panic!("1024 is not zero"),
};

/// When a response asked `delay` after a head stamped `arrived` falls due, as an
/// [`Instant`]. The stamp's age is read from both clocks back to back: read
/// apart, a preemption between the two reads (a scheduler slice, ~4 ms on a busy
/// machine) moves the deadline by as much and answers that request late and out
/// of order. Wall clock first, so that a preemption between the reads can only
/// make an answer late, never early. An age over [`MAX_AGE`] is a wall-clock
/// step, not a loop that far behind its sockets, and is capped.
///
/// A head read after it fell due (the loop behind a burst) keeps its true due
/// time, in the past, rather than "now": the heap then answers the overdue ones
/// read together in the order they fell due, not in the order they were read.
fn due(delay: Duration, arrived: Option<SystemTime>) -> Instant {
    let wall = SystemTime::now();
    let now = Instant::now();
    let age = arrived.map_or(Duration::ZERO, |at| {
        wall.duration_since(at)
            .unwrap_or(Duration::ZERO)
            .min(MAX_AGE)
    });
    match delay.checked_sub(age) {
        Some(left) => after(now, left),
        None => now.checked_sub(age - delay).unwrap_or(now),
    }
}

/// The running server's state.
#[derive(Debug)]
pub(crate) struct EventLoop {
    epoll: Epoll,
    listeners: Vec<TcpListener>,
    conns: Slab<Conn>,
    deadlines: DeadlineHeap,
    /// One read buffer shared by all connections (`max_head + 1` bytes).
    scratch: Vec<u8>,
    config: ServerConfig,
    limits: Limits,
    max_connections: usize,
    /// The 503 reply, encoded once.
    busy: Vec<u8>,
    /// Listeners are out of the epoll set after `EMFILE`.
    paused: bool,
    stats: ServerStats,
}

impl EventLoop {
    /// Takes over a bound server; the listeners must already be registered with
    /// `epoll` under `LISTENER | index`.
    pub(crate) fn new(epoll: Epoll, listeners: Vec<TcpListener>, config: ServerConfig) -> Self {
        let max_connections = config.effective_max_connections();
        let busy = Reply::new(
            Status::ServiceUnavailable,
            format!("too many connections (cap {max_connections}); try again later\n"),
        )
        .encode(config.framing);
        EventLoop {
            epoll,
            listeners,
            conns: Slab::default(),
            deadlines: DeadlineHeap::default(),
            scratch: vec![0; config.max_head.saturating_add(1).max(4096)],
            limits: Limits {
                max_head: config.max_head,
                max_delay_ms: config.max_delay_ms,
            },
            config,
            max_connections,
            busy,
            paused: false,
            stats: ServerStats::default(),
        }
    }

    /// Runs until an event arrives on [`WAKE`] or [`STOP`]; then closes every
    /// connection (counting open ones as dropped) and returns the stats.
    pub(crate) fn run(mut self) -> Result<ServerStats, ServerError> {
        let mut events = Events::with_capacity(EVENTS);
        loop {
            let timeout = self.deadlines.timeout(Instant::now());
            self.epoll
                .wait(&mut events, timeout)
                .map_err(|source| ServerError::EventLoop {
                    context: "waiting for events",
                    source,
                })?;
            for (n, event) in events.iter().enumerate() {
                match event.token().0 {
                    WAKE | STOP => return Ok(self.finish()),
                    key if key & SPECIAL == 0 => self.on_conn_event(key),
                    key => {
                        if let Ok(index) = usize::try_from(key ^ LISTENER) {
                            self.accept_from(index)?;
                        }
                    }
                }
                // A full buffer of events takes milliseconds to work through in a
                // burst; responses falling due meanwhile must not wait for its end.
                if n % EXPIRE_EVERY == EXPIRE_EVERY - 1 {
                    self.expire(Instant::now());
                }
            }
            self.expire(Instant::now());
        }
    }

    fn accept_from(&mut self, index: usize) -> Result<(), ServerError> {
        for _ in 0..ACCEPT_BATCH {
            let Some(listener) = self.listeners.get(index) else {
                return Ok(());
            };
            // accept4 with SOCK_NONBLOCK saves the fcntl/ioctl per connection that
            // std's accept plus set_nonblocking would cost.
            let accepted =
                SockRef::from(listener).accept4(libc::SOCK_CLOEXEC | libc::SOCK_NONBLOCK);
            match accepted {
                Ok((socket, _)) => self.admit(TcpStream::from(socket)),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(()),
                Err(e) => match e.raw_os_error() {
                    Some(libc::EMFILE | libc::ENFILE | libc::ENOBUFS | libc::ENOMEM) => {
                        return self.pause();
                    }
                    // The connection died in the queue (ECONNABORTED), a signal, a
                    // firewall verdict: that one is gone, the next may be fine.
                    Some(libc::ECONNABORTED | libc::EINTR | libc::EPERM | libc::EPROTO) => {}
                    // Unknown: stop for now rather than spin; level triggering retries.
                    _ => return Ok(()),
                },
            }
        }
        Ok(())
    }

    /// Takes a new connection in, or answers 503 when at the cap.
    fn admit(&mut self, stream: TcpStream) {
        self.stats.accepted += 1;
        if self.conns.len() >= self.max_connections {
            // A fresh socket's send buffer is empty: one write takes the whole 503.
            let complete = matches!((&stream).write(&self.busy), Ok(n) if n == self.busy.len());
            let verdict = complete.then_some(Verdict::Rejected);
            self.stats.count(verdict);
            return;
        }
        let deadline = after(Instant::now(), self.config.header_timeout);
        let Some(key) = self.conns.insert(Conn::new(stream, deadline)) else {
            self.stats.dropped += 1;
            return;
        };
        let registered = match self.conns.get_mut(key) {
            Some(conn) => self
                .epoll
                .add(&conn.stream, Token(key), Interest::READABLE)
                .is_ok(),
            None => false,
        };
        if registered {
            // No read here: measured under a 9000-connection burst, the request had
            // arrived at accept time for fewer than 1 in 400 connections, so an
            // eager read would mostly cost an EAGAIN.
            self.deadlines.push(deadline, key);
        } else {
            self.close(key);
        }
    }

    fn on_conn_event(&mut self, key: u64) {
        let Some(conn) = self.conns.get_mut(key) else {
            return; // stale: the connection closed earlier in this batch
        };
        match conn.state {
            State::ReadingHead { .. } => match conn.read_head(&mut self.scratch, self.limits) {
                ReadStep::Pending => {}
                ReadStep::Decided(decision, arrived) => self.decided(key, decision, arrived),
                ReadStep::Gone => self.close(key),
            },
            State::Waiting { .. } | State::Lingering => {
                // The head is in: extra bytes are discarded; a close means the client
                // gave up (like nginx's 499), so the response is not worth waiting for.
                if !conn.discard_input(&mut self.scratch) {
                    self.close(key);
                }
            }
            State::Writing { .. } => self.write(key),
        }
    }

    /// A head is complete: schedule its response, or write it now if it is due now.
    /// `arrived` is the kernel's receive stamp of its last bytes (wall clock), if
    /// any: the delay runs from there (see [`due`]), else from now.
    fn decided(&mut self, key: u64, decision: Decision, arrived: Option<SystemTime>) {
        let Some(conn) = self.conns.get_mut(key) else {
            return;
        };
        let status = decision.reply.status;
        conn.on_written = match status {
            Status::Ok => Verdict::Answered,
            Status::RequestTimeout => Verdict::Dropped,
            _ => Verdict::Rejected,
        };
        conn.state = State::Waiting {
            response: decision.reply.encode(self.config.framing),
            // Error replies may leave request bytes unread: linger so they do not cause a reset.
            linger: status != Status::Ok,
        };
        if decision.delay_ms == 0 {
            conn.start_writing();
            self.write(key);
        } else {
            let due = due(Duration::from_millis(decision.delay_ms), arrived);
            conn.deadline = due;
            self.deadlines.push(due, key);
        }
    }

    fn write(&mut self, key: u64) {
        let Some(conn) = self.conns.get_mut(key) else {
            return;
        };
        match conn.write_response() {
            WriteStep::Done => {
                if !conn.begin_linger() {
                    return self.close(key);
                }
                let rearmed = !conn.wants_write
                    || self
                        .epoll
                        .modify(&conn.stream, Token(key), Interest::READABLE)
                        .is_ok();
                conn.wants_write = false;
                conn.deadline = after(Instant::now(), LINGER.min(self.config.header_timeout));
                if rearmed {
                    self.deadlines.push(conn.deadline, key);
                } else {
                    self.close(key);
                }
            }
            WriteStep::Blocked if conn.wants_write => {}
            WriteStep::Blocked => {
                let armed = self
                    .epoll
                    .modify(&conn.stream, Token(key), Interest::WRITABLE)
                    .is_ok();
                conn.wants_write = true;
                // A client that will not take a few hundred bytes in this long is gone.
                conn.deadline = after(Instant::now(), self.config.header_timeout);
                if armed {
                    self.deadlines.push(conn.deadline, key);
                } else {
                    self.close(key);
                }
            }
            WriteStep::Failed => self.close(key),
        }
    }

    /// Acts on every deadline that has passed.
    fn expire(&mut self, now: Instant) {
        while let Some((when, key)) = self.deadlines.pop_due(now) {
            if key == RESUME {
                if self.paused {
                    self.resume();
                }
                continue;
            }
            let Some(conn) = self.conns.get_mut(key) else {
                continue;
            };
            if conn.deadline != when {
                continue; // stale entry: the connection has moved on
            }
            match conn.state {
                State::ReadingHead { .. } => {
                    let reply = Reply::new(
                        Status::RequestTimeout,
                        format!(
                            "no complete request head within {} ms\n",
                            self.config.header_timeout.as_millis()
                        ),
                    );
                    self.decided(key, Decision { delay_ms: 0, reply }, None);
                }
                State::Waiting { .. } => {
                    conn.start_writing();
                    self.write(key);
                }
                State::Writing { .. } | State::Lingering => self.close(key),
            }
        }
    }

    /// Closes a connection (dropping the stream closes the fd and deregisters it) and
    /// counts it.
    fn close(&mut self, key: u64) {
        if let Some(conn) = self.conns.remove(key) {
            self.stats.count(conn.verdict);
        }
        // Entries of closed connections stay in the heap until they surface; under
        // churn with long delays they would pile up, so sweep them now and then.
        let live = self.conns.len();
        if self.deadlines.len() > 4 * live + 1024 {
            let conns = &self.conns;
            self.deadlines.retain(|when, key| {
                key == RESUME || conns.get(key).is_some_and(|c| c.deadline == when)
            });
        }
        if self.paused {
            self.resume(); // a descriptor just came free
        }
    }

    /// Takes the listeners out of the epoll set (level-triggered, a pending connection
    /// we cannot accept would wake the loop forever) and schedules a retry.
    fn pause(&mut self) -> Result<(), ServerError> {
        for listener in &self.listeners {
            match self.epoll.delete(listener) {
                Ok(()) | Err(epoll_safe::Error::NotRegistered { .. }) => {}
                Err(source) => {
                    return Err(ServerError::EventLoop {
                        context: "pausing accept while out of descriptors",
                        source,
                    })
                }
            }
        }
        self.paused = true;
        self.stats.accept_pauses += 1;
        self.deadlines.push(Instant::now() + RETRY_ACCEPT, RESUME);
        Ok(())
    }

    /// Puts the listeners back; if that fails (the kernel is short of memory too), the
    /// next retry is scheduled instead.
    fn resume(&mut self) {
        for (index, listener) in self.listeners.iter().enumerate() {
            let token = Token(LISTENER | index as u64);
            match self.epoll.add(listener, token, Interest::READABLE) {
                Ok(()) | Err(epoll_safe::Error::AlreadyRegistered { .. }) => {}
                Err(_) => {
                    self.deadlines.push(Instant::now() + RETRY_ACCEPT, RESUME);
                    return;
                }
            }
        }
        self.paused = false;
    }

    fn finish(mut self) -> ServerStats {
        for conn in self.conns.drain() {
            self.stats.count(conn.verdict);
        }
        self.stats
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: Duration = Duration::from_millis(1);

    #[test]
    fn a_stamped_head_is_due_its_delay_after_the_stamp_never_before() {
        let before = Instant::now();
        let stamped = SystemTime::now() - 30 * MS;
        let due = due(100 * MS, Some(stamped));
        let after = Instant::now();
        // The stamp was taken at least 30 ms before `before` (clock reads
        // apart by microseconds): due no earlier than 70 ms after it.
        assert!(due + Duration::from_micros(100) >= before + 70 * MS);
        assert!(due <= after + 70 * MS);
    }

    #[test]
    fn overdue_heads_keep_the_order_they_fell_due_in() {
        // Read late together: 5 ms and 2 ms overdue. Saturating at "now"
        // would order them as read; their true due times order them right.
        let now = SystemTime::now();
        let first_due = due(10 * MS, Some(now - 15 * MS));
        let second_due = due(20 * MS, Some(now - 22 * MS));
        assert!(first_due < second_due);
        assert!(second_due <= Instant::now(), "both are due at once");
    }

    #[test]
    fn an_unstamped_head_is_due_its_whole_delay_from_now() {
        let before = Instant::now();
        assert!(due(100 * MS, None) >= before + 100 * MS);
    }

    #[test]
    fn a_stamp_older_than_max_age_is_a_clock_step_and_is_capped() {
        let before = Instant::now();
        let stamped = SystemTime::now() - 3 * MAX_AGE;
        let delay = MAX_AGE + 500 * MS;
        assert!(due(delay, Some(stamped)) >= before + 500 * MS);
    }
}
