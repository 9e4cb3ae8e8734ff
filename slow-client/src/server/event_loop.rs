//! The server's one event loop: listeners, connections and the deadline heap on one
//! epoll instance, all on one thread. It only does I/O: every HTTP decision is the
//! pure [`Conn`](super::conn::Conn)'s; the loop reads (with the kernel's receive
//! stamp), writes, shuts down and closes sockets, reads the clocks, and maps what a
//! connection wants onto its registration and the deadline heap.
//!
//! Registration: level-triggered. A connection is registered once, after its first
//! read ([`super::eager`]: a request answered in that read and closed is never
//! registered at all), and modified only when what it wants changes
//! ([`Conn::wants`](super::conn::Conn::wants)): a blocked write, the pipeline bound
//! reached, the peer's FIN read. Under keep-alive a request costs one read and one
//! write; the registration stays. Sockets are never `dup`ed, so closing one removes
//! it from the epoll set and the loop skips the `EPOLL_CTL_DEL`.
//!
//! Timers: all from the one deadline heap. A connection's next need
//! ([`Conn::next_deadline`](super::conn::Conn::next_deadline): a response falling
//! due, the header, body, keep-alive or send timeout, the linger) is pushed only
//! when it comes before every entry the connection already has there; a deadline that moves
//! later (the keep-alive timer after each request) waits for the earlier entry to
//! fire, find nothing to do, and push the later one ([`super::deadline::Entries`]).
//!
//! Out of descriptors: when `accept` fails with `EMFILE`/`ENFILE` (or the kernel is out
//! of buffers), the listeners are taken out of the epoll set, so the pending connection
//! does not spin the loop, and put back as soon as a connection closes or after
//! [`RETRY_ACCEPT`], whichever comes first (the fds may be freed elsewhere in the
//! process). Pending clients wait in the listen backlog meanwhile; none is lost.

use std::io::{self, Write};
use std::net::TcpListener;
use std::num::NonZeroUsize;
use std::time::{Duration, Instant, SystemTime};

use epoll_safe::{Epoll, Event, Events};

use super::config::ServerConfig;
use super::conn::{Cx, Flow, Logged};
use super::date::DateCache;
use super::deadline::DeadlineHeap;
use super::eager::EagerRead;
use super::outbox::Outbox;
use super::policy::Policy;
use super::slab::Slab;
use super::{ServerError, ServerStats, Stop};

mod accept;
mod key;
mod session;

pub(crate) use key::Key;
use session::Session;

/// How long accepting pauses after `EMFILE` when no connection of ours closes first.
pub(crate) const RETRY_ACCEPT: Duration = Duration::from_millis(100);
/// The longest a graceful stop (SIGTERM) waits for responses in flight.
pub(crate) const DRAIN_LIMIT: Duration = Duration::from_secs(10);
/// Most connections accepted per listener event, so a flood cannot starve the
/// responses that are due (level triggering brings the listener back).
const ACCEPT_BATCH: usize = 64;
/// Events handled between two looks at the deadline heap.
const EXPIRE_EVERY: usize = 32;
/// Outboxes kept for reuse.
const SPARE_OUTBOXES: usize = 256;
/// Smallest shared read buffer: one read can carry many pipelined requests.
const MIN_SCRATCH: usize = 16 * 1024;
const EVENTS: NonZeroUsize = match NonZeroUsize::new(1024) {
    Some(n) => n,
    None => panic!("1024 is not zero"),
};

/// Decides what a readable stop fd means (see `Server::run_until_with`).
pub(crate) type OnStop<'s> = Box<dyn FnMut() -> Option<Stop> + 's>;

/// The running server's state.
pub(crate) struct EventLoop<'s> {
    epoll: Epoll,
    listeners: Vec<TcpListener>,
    sessions: Slab<Session>,
    deadlines: DeadlineHeap,
    /// One read buffer shared by all sessions.
    scratch: Vec<u8>,
    /// Where a body waits while its head is written.
    staging: Vec<u8>,
    policy: Policy,
    max_connections: usize,
    date: DateCache,
    /// Access-log lines of this turn, written to stderr at its end.
    log: Vec<u8>,
    /// Responses written in full by the flush under way, for the access log.
    logged: Vec<Logged>,
    /// The clocks of this turn.
    now: Instant,
    wall: SystemTime,
    /// Outboxes of closed connections, kept for new ones (no allocation per
    /// connection once warm).
    spare: Vec<Outbox>,
    /// Whether new connections are read before they are registered.
    eager: EagerRead,
    /// Listeners are out of the epoll set after `EMFILE`.
    paused: bool,
    /// A graceful stop is under way: no new connections or requests.
    draining: bool,
    on_stop: Option<OnStop<'s>>,
    stats: ServerStats,
}

impl std::fmt::Debug for EventLoop<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EventLoop")
            .field("sessions", &self.sessions.len())
            .field("stats", &self.stats)
            .finish_non_exhaustive()
    }
}

impl<'s> EventLoop<'s> {
    /// Takes over a bound server; the listeners must already be registered with
    /// `epoll` under [`Key::Listener`] of their index.
    pub(crate) fn new(
        epoll: Epoll,
        listeners: Vec<TcpListener>,
        config: &ServerConfig,
        on_stop: Option<OnStop<'s>>,
    ) -> Self {
        let max_connections = config.effective_max_connections();
        EventLoop {
            epoll,
            listeners,
            sessions: Slab::default(),
            deadlines: DeadlineHeap::default(),
            scratch: vec![0; config.max_head.saturating_add(1).max(MIN_SCRATCH)],
            staging: Vec::new(),
            policy: Policy::new(config, max_connections),
            max_connections,
            date: DateCache::default(),
            log: Vec::new(),
            logged: Vec::new(),
            now: Instant::now(),
            wall: SystemTime::now(),
            spare: Vec::new(),
            eager: EagerRead::default(),
            paused: false,
            draining: false,
            on_stop,
            stats: ServerStats::default(),
        }
    }

    /// Runs until an event arrives on [`Key::Wake`] or [`Key::Stop`] (or a graceful stop has
    /// finished); then closes every connection (counting what they were owed as
    /// dropped) and returns the stats.
    pub(crate) fn run(mut self) -> Result<ServerStats, ServerError> {
        let mut events = Events::with_capacity(EVENTS);
        loop {
            if self.draining && self.sessions.len() == 0 {
                return Ok(self.finish());
            }
            let timeout = self.deadlines.timeout(Instant::now());
            self.epoll
                .wait(&mut events, timeout)
                .map_err(|source| ServerError::EventLoop {
                    context: "waiting for events",
                    source,
                })?;
            self.now = Instant::now();
            self.wall = SystemTime::now();
            self.date.at(self.wall);
            for (n, event) in events.iter().enumerate() {
                match Key::from_raw(event.token().0) {
                    Some(Key::Wake) => return Ok(self.finish()),
                    Some(Key::Drain) => {
                        if !self.draining {
                            self.drain();
                        }
                    }
                    Some(Key::Stop) => {
                        match self.on_stop.as_mut().map_or(Some(Stop::Now), |f| f()) {
                            Some(Stop::Drain) if !self.draining => self.drain(),
                            Some(_) => return Ok(self.finish()),
                            None => {}
                        }
                    }
                    Some(Key::Conn(key)) => self.on_session_event(key, event),
                    Some(Key::Listener(index)) => self.accept_from(index as usize)?,
                    Some(Key::ResumeAccept | Key::DrainLimit) | None => {}
                }
                // A full buffer of events takes milliseconds to work through in a
                // burst; responses falling due meanwhile must not wait for its end.
                if n % EXPIRE_EVERY == EXPIRE_EVERY - 1 {
                    self.now = Instant::now();
                    if self.expire(self.now) {
                        return Ok(self.finish());
                    }
                }
            }
            self.now = Instant::now();
            if self.expire(self.now) {
                return Ok(self.finish());
            }
            self.flush_log();
        }
    }

    /// A step's context, borrowing everything but the sessions. The clocks are the
    /// turn's (read once after `epoll_wait`): exact enough for timers, which only ever
    /// start late by it; delays read a fresh clock.
    fn cx(&mut self, now: Instant) -> (&mut Slab<Session>, &mut [u8], Cx<'_>) {
        let cx = Cx {
            policy: &self.policy,
            date: self.date.current(),
            staging: &mut self.staging,
            stats: &mut self.stats,
            log: self.policy.access_log.then_some(&mut self.logged),
            now,
            draining: self.draining,
        };
        (&mut self.sessions, &mut self.scratch, cx)
    }

    fn on_session_event(&mut self, key: u64, event: &Event) {
        let now = self.now;
        let Some(session) = self.sessions.get(key) else {
            return; // stale: the connection closed earlier in this batch
        };
        let flow = if session.interest.is_readable() {
            if event.is_readable() || event.is_error() || event.is_hangup() {
                self.read(key).0
            } else {
                Flow::Continue
            }
        } else if event.is_error() || event.is_hangup() {
            Flow::Close // not reading and the client reset
        } else {
            Flow::Continue
        };
        match flow {
            Flow::Close => self.close(key),
            Flow::Reset => self.reset(key),
            Flow::Continue | Flow::ShutdownWrite => self.progress(key, now),
        }
    }

    /// Acts on every deadline that has passed; true when a graceful stop ran out of time.
    fn expire(&mut self, now: Instant) -> bool {
        while let Some((when, raw)) = self.deadlines.pop_due(now) {
            let key = match Key::from_raw(raw) {
                Some(Key::Conn(key)) => key,
                Some(Key::ResumeAccept) => {
                    if self.paused {
                        self.resume();
                    }
                    continue;
                }
                Some(Key::DrainLimit) => return true,
                _ => continue,
            };
            let (sessions, _, mut cx) = self.cx(now);
            let Some(session) = sessions.get_mut(key) else {
                continue;
            };
            if !session.scheduled.fire(when) {
                continue; // stale entry: the connection has moved on
            }
            match session.conn.on_deadline(&mut cx) {
                Flow::Close => self.close(key),
                Flow::Reset => self.reset(key),
                Flow::Continue | Flow::ShutdownWrite => self.progress(key, now),
            }
        }
        false
    }

    /// Closes a session with a reset: `SO_LINGER` 0 makes the close send RST
    /// (`/fault/reset`), through `socket2`, no unsafe here.
    fn reset(&mut self, key: u64) {
        if let Some(session) = self.sessions.get(key) {
            let _ = socket2::SockRef::from(&session.stream).set_linger(Some(Duration::ZERO));
        }
        self.close(key);
    }

    /// Closes a session (dropping the stream closes the fd and deregisters it); what
    /// it still owed counts as dropped.
    fn close(&mut self, key: u64) {
        if let Some(session) = self.sessions.remove(key) {
            let now = self.now;
            let (_, _, mut cx) = self.cx(now);
            let outbox = session.conn.close(&mut cx);
            if self.spare.len() < SPARE_OUTBOXES {
                self.spare.extend(outbox);
            }
        }
        // Entries of closed sessions stay in the heap until they surface; under
        // churn with long delays they would pile up, so sweep them now and then.
        let live = self.sessions.len();
        if self.deadlines.len() > 4 * live + 1024 {
            let sessions = &self.sessions;
            self.deadlines.retain(|when, raw| match Key::from_raw(raw) {
                Some(Key::Conn(key)) => sessions
                    .get(key)
                    .is_some_and(|s| s.scheduled.contains(when)),
                _ => true,
            });
        }
        if self.paused && !self.draining {
            self.resume(); // a descriptor just came free
        }
    }

    /// SIGTERM: stop accepting, close idle connections, let the rest finish what they
    /// owe (at most [`DRAIN_LIMIT`]).
    fn drain(&mut self) {
        self.draining = true;
        self.listeners.clear(); // closing them refuses new connections
        let keys: Vec<u64> = self.sessions.keys().collect();
        let now = Instant::now();
        for key in keys {
            let (sessions, _, mut cx) = self.cx(now);
            let flow = sessions.get_mut(key).map(|s| s.conn.drain(&mut cx));
            match flow {
                Some(Flow::Close) => self.close(key),
                Some(Flow::Reset) => self.reset(key),
                Some(Flow::Continue | Flow::ShutdownWrite) => self.sync(key),
                None => {}
            }
        }
        self.deadlines
            .push(Instant::now() + DRAIN_LIMIT, Key::DrainLimit.raw());
    }

    /// Turns the responses the last flush wrote in full into access-log lines.
    fn log_written(&mut self, peer: Option<std::net::SocketAddr>) {
        for Logged { entry, late } in self.logged.drain(..) {
            entry.write(&mut self.log, peer, self.wall, late);
        }
    }

    /// Writes this turn's access-log lines to stderr in one call (best effort: a
    /// closed stderr must not stop the server).
    fn flush_log(&mut self) {
        if !self.log.is_empty() {
            let _ = io::stderr().lock().write_all(&self.log);
            self.log.clear();
        }
    }

    fn finish(mut self) -> ServerStats {
        self.flush_log();
        self.now = Instant::now();
        let mut sessions = std::mem::take(&mut self.sessions);
        let now = self.now;
        let (_, _, mut cx) = self.cx(now);
        for session in sessions.drain() {
            session.conn.close(&mut cx);
        }
        self.stats
    }
}
