//! The client: many requests, one thread, one epoll instance.
//!
//! All sockets are non-blocking. Connections start in batches of at most
//! [`ClientConfig::max_connecting`] unfinished connects, so a burst of
//! thousands never overflows the server's accept queue (which would cost a
//! one-second SYN retransmission). Each socket is registered with
//! `EPOLLONESHOT` and its request id as the token; the loop dispatches each
//! event to that request's connection state machine and re-arms it as the request needs.
//!
//! # Why requests go out in id order, a few per loop turn
//!
//! The answers' arrival order is meant to show the delays and nothing else.
//! If each request were written the moment its own connect completed, the
//! requests would go out in waves, one per connect batch, several
//! milliseconds apart; with a 1 ms delay step a later wave's shorter delay
//! can then end after an earlier wave's longer one, and the order inverts for
//! reasons that have nothing to do with the server. So the first
//! [`CONNECT_AHEAD`] connects run before anything is written; then a writer
//! cursor sends the requests strictly in id order, [`WRITE_CHUNK`] per loop
//! turn, starting one further connect after each write to keep up to
//! [`CONNECT_AHEAD`] connections ahead of it: up to that many requests go out
//! microseconds apart, later ones one `connect` apart (tens of microseconds,
//! more once most of the ephemeral port range towards one server address is
//! in use: spread large runs over several addresses, see `--ports`). A connect that hangs holds the writer back for
//! at most [`HEAD_WAIT_MAX`]; the writer then passes it, and it sends its
//! request whenever it connects, no longer counting against
//! `--max-connecting` (the first connects, likewise, hold the writer back for
//! at most that long). Each request's `elapsed` time runs from the moment
//! it was written.
//!
//! Small chunks keep the loop turning: answers already due (with
//! `--step-ms 0`, all of them) are read between chunks instead of queueing
//! behind the whole burst, and a zero-timeout wait that finds nothing costs
//! about a microsecond. Connecting only a bounded distance ahead keeps the
//! number of open connections what the delays need: the kernel's search for a
//! free ephemeral port slows down sharply once most of the range is in use
//! (measured: 19,000 connections opened up front made `connect` cost 220 µs).
//! Between chunks the thread also yields the CPU: the kernel likes to wake a
//! loopback peer on the waker's CPU, and an embedded server sharing this
//! thread's CPU would otherwise wait a whole scheduler slice (milliseconds)
//! to read requests and write answers.

mod conn;

use crate::http::{classify_io, ErrorKind, Limits, RequestError, ResponseReader};
use crate::plan::{self, PathTemplate};
use crate::report::Reporter;
use conn::{Conn, Next, Phase};
use epoll_safe::{Epoll, Events, Interest, Signals, Token};
use socket2::{Domain, Socket, Type};
use std::io::{self, Write};
use std::net::SocketAddr;
use std::time::{Duration, Instant};

/// Token of the signal fd, if one is watched; request ids are 1..=count.
const SIGNAL_TOKEN: Token = Token(u64::MAX);

/// The longest the writer waits for the next request's connect before passing
/// it (that request then sends as soon as it connects).
pub const HEAD_WAIT_MAX: Duration = Duration::from_secs(2);

/// Requests written per loop turn; see the module docs.
pub const WRITE_CHUNK: usize = 8;

/// Connects started per loop turn while the writer waits (before it starts,
/// as many as `--max-connecting` allows; while it writes, one per write).
pub const CONNECT_CHUNK: usize = 16;

/// How far connects may run ahead of the writer. The writer starts once this
/// many (or all) connects have finished, so runs up to this size write every
/// request microseconds apart.
pub const CONNECT_AHEAD: usize = 8192;

/// Size of the one read buffer shared by all connections.
const READ_BUF: usize = 64 * 1024;

/// One address to connect to and the `Host` header that names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// Where to connect.
    pub addr: SocketAddr,
    /// The `Host` header value for requests to it.
    pub host: String,
}

/// What the client does.
#[derive(Debug, Clone)]
pub struct ClientConfig {
    /// Servers; request `i` goes to `targets[(i - 1) % len]`. Must not be empty.
    pub targets: Vec<Target>,
    /// How many requests (ids 1..=count).
    pub count: u32,
    /// Delay step: request `i` asks for `(count - i) * step_ms`.
    pub step_ms: u64,
    /// The request path.
    pub path: PathTemplate,
    /// Overall deadline; requests still open then fail as `timeout`.
    pub timeout: Duration,
    /// Caps on what a response may be.
    pub limits: Limits,
    /// At most this many connects in flight at once.
    pub max_connecting: usize,
}

impl ClientConfig {
    /// The server that the request at `index` goes to.
    fn target(&self, index: usize) -> &Target {
        &self.targets[index % self.targets.len()]
    }

    /// The delay the request at `index` asks for.
    fn delay(&self, index: usize) -> u64 {
        plan::delay_ms(self.count, id_of(index), self.step_ms)
    }
}

/// How a run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunEnd {
    /// Every request ended on its own.
    Completed,
    /// The deadline passed; the open requests were reported as `timeout`.
    TimedOut,
    /// A signal stopped the run; the open requests were reported as `interrupted`.
    Interrupted,
}

/// Runs every request to its end, reporting each one exactly once.
///
/// `signals`, if given, is watched: any signal read from it stops the run.
///
/// # Errors
/// Only failures of the event loop itself (epoll, output); everything a
/// server or the network does is a per-request outcome.
pub fn run<W: Write>(
    config: &ClientConfig,
    signals: Option<&Signals>,
    reporter: &mut Reporter<W>,
) -> anyhow::Result<RunEnd> {
    anyhow::ensure!(
        !config.targets.is_empty(),
        "no server address to connect to"
    );
    let mut client = Client::new(config)?;
    if let Some(signals) = signals {
        client
            .epoll
            .add(signals, SIGNAL_TOKEN, Interest::READABLE)?;
    }
    client.run(signals, reporter)
}

/// Request id (1-based, as printed) of the connection at `index`.
fn id_of(index: usize) -> u32 {
    index as u32 + 1
}

/// Epoll token of the connection at `index`: its request id.
fn token_of(index: usize) -> Token {
    Token(u64::from(id_of(index)))
}

/// An instant later than any run: ~30 years from now.
fn far_future() -> Instant {
    let now = Instant::now();
    now.checked_add(Duration::from_secs(1 << 30)).unwrap_or(now)
}

struct Client<'a> {
    config: &'a ClientConfig,
    epoll: Epoll,
    conns: Vec<Conn>,
    next_start: usize,
    connecting: usize,
    request: String,
    buf: Vec<u8>,
    deadline: Instant,
    /// Whether the writer has started (after the first connects; see the module docs).
    writing: bool,
    /// The writer cursor: requests below it have been sent or passed.
    write_next: usize,
    /// When the run started: the first connects hold the writer back for at
    /// most [`HEAD_WAIT_MAX`] from here.
    started: Instant,
}

impl<'a> Client<'a> {
    fn new(config: &'a ClientConfig) -> anyhow::Result<Self> {
        let conns = (0..config.count)
            .map(|_| Conn {
                sock: None,
                phase: Phase::Idle,
                reader: ResponseReader::new(config.limits),
            })
            .collect();
        Ok(Self {
            config,
            epoll: Epoll::new()?,
            conns,
            next_start: 0,
            connecting: 0,
            request: String::with_capacity(256),
            buf: vec![0; READ_BUF],
            // A timeout past the end of `Instant` means "no deadline", not a panic.
            deadline: Instant::now()
                .checked_add(config.timeout)
                .unwrap_or_else(far_future),
            writing: false,
            write_next: 0,
            started: Instant::now(),
        })
    }

    fn run<W: Write>(
        &mut self,
        signals: Option<&Signals>,
        reporter: &mut Reporter<W>,
    ) -> anyhow::Result<RunEnd> {
        let mut events = Events::default(); // 1024 events per wait
        let total = self.config.count;
        loop {
            self.start_connections(reporter)?;
            self.write_chunk(reporter)?;
            reporter.flush()?;
            if reporter.reported() == total {
                return Ok(RunEnd::Completed);
            }
            let now = Instant::now();
            let left = self.deadline.saturating_duration_since(now);
            if left.is_zero() {
                self.abandon(ErrorKind::Timeout, reporter)?;
                return Ok(RunEnd::TimedOut);
            }
            let wake = match self.writer_blocked_until() {
                // More to write or connect right now: only pick up what is ready.
                None => Duration::ZERO,
                Some(until) => left.min(until.saturating_duration_since(now)),
            };
            self.epoll.wait(&mut events, Some(wake))?;
            for ev in &events {
                if ev.token() == SIGNAL_TOKEN {
                    if let Some(signals) = signals {
                        if signals.read()?.is_some() {
                            self.abandon(ErrorKind::Interrupted, reporter)?;
                            reporter.flush()?;
                            return Ok(RunEnd::Interrupted);
                        }
                    }
                    continue;
                }
                self.dispatch(ev, reporter)?;
            }
        }
    }

    /// Whether another connect may start now: some are left, fewer than
    /// `max_connecting` are in flight, and the writer is not too far behind.
    fn may_connect(&self) -> bool {
        self.next_start < self.conns.len()
            && self.connecting < self.config.max_connecting
            && self.next_start - self.write_next < CONNECT_AHEAD
    }

    /// Starts connects as [`may_connect`](Self::may_connect) allows: all it
    /// allows before the writer starts; once it writes, up to
    /// [`CONNECT_CHUNK`] per turn, and only while it has nothing to write
    /// (otherwise [`write_chunk`](Self::write_chunk) starts one per write).
    fn start_connections<W: Write>(&mut self, reporter: &mut Reporter<W>) -> anyhow::Result<()> {
        let chunk = if !self.writing {
            usize::MAX
        } else if self.writer_can_write() {
            0
        } else {
            CONNECT_CHUNK
        };
        for _ in 0..chunk {
            if !self.start_one(reporter)? {
                break;
            }
        }
        Ok(())
    }

    /// Starts the next connect if [`may_connect`](Self::may_connect); says whether it did.
    fn start_one<W: Write>(&mut self, reporter: &mut Reporter<W>) -> anyhow::Result<bool> {
        if !self.may_connect() {
            return Ok(false);
        }
        let index = self.next_start;
        self.next_start += 1;
        if let Err(err) = self.connect(index) {
            self.conns[index].close();
            self.report(index, Err(err), reporter)?;
        }
        Ok(true)
    }

    /// Whether the request at the writer cursor is connected and waiting to go.
    fn writer_can_write(&self) -> bool {
        self.write_next < self.next_start
            && matches!(self.conns[self.write_next].phase, Phase::Connected)
    }

    fn connect(&mut self, index: usize) -> Result<(), RequestError> {
        let target = self.config.target(index);
        let io_err = |what: &str, e: io::Error, connecting| {
            RequestError::new(classify_io(&e, connecting), format!("{what}: {e}"))
        };
        let sock = Socket::new(
            Domain::for_address(target.addr),
            Type::STREAM.nonblocking().cloexec(),
            None,
        )
        .map_err(|e| io_err("socket", e, true))?;
        match sock.connect(&target.addr.into()) {
            Ok(()) => {}
            Err(e) if e.raw_os_error() == Some(libc::EINPROGRESS) => {}
            Err(e) => return Err(io_err(&format!("connect to {}", target.addr), e, true)),
        }
        let token = token_of(index);
        self.epoll
            .add(&sock, token, Interest::WRITABLE.oneshot())
            .map_err(|e| {
                RequestError::new(ErrorKind::Io, format!("registering with epoll: {e}"))
            })?;
        let conn = &mut self.conns[index];
        conn.sock = Some(sock);
        conn.phase = Phase::Connecting {
            since: Instant::now(),
            passed: false,
        };
        self.connecting += 1;
        Ok(())
    }

    fn dispatch<W: Write>(
        &mut self,
        ev: &epoll_safe::Event,
        reporter: &mut Reporter<W>,
    ) -> anyhow::Result<()> {
        let Some(index) = (ev.token().0 as usize).checked_sub(1) else {
            return Ok(());
        };
        let Some(conn) = self.conns.get_mut(index) else {
            return Ok(());
        };
        if let Phase::Connecting { passed, .. } = conn.phase {
            if !passed {
                self.connecting -= 1;
            }
            if let Some(err) = conn.on_connected(ev) {
                conn.close();
                return self.report(index, Err(err), reporter);
            }
            if index >= self.write_next {
                return Ok(()); // waits, unarmed, for the writer to reach it
            }
        }
        let next = match conn.phase {
            Phase::Connected | Phase::Sending { .. } => self.send_request(index),
            Phase::Receiving { .. } => conn.receive(&mut self.buf),
            Phase::Idle | Phase::Connecting { .. } | Phase::Done => return Ok(()),
        };
        self.after(index, next, reporter)
    }

    /// Writes up to [`WRITE_CHUNK`] requests in id order, stopping at one still
    /// connecting (for at most [`HEAD_WAIT_MAX`]); see the module docs.
    fn write_chunk<W: Write>(&mut self, reporter: &mut Reporter<W>) -> anyhow::Result<()> {
        if !self.writing {
            let first = CONNECT_AHEAD.min(self.conns.len());
            let ready = self.next_start >= first && self.connecting == 0;
            if !(ready || self.started.elapsed() >= HEAD_WAIT_MAX) {
                return Ok(());
            }
            self.writing = true;
        }
        if self.write_next > 0 && self.write_next < self.conns.len() {
            // Lets a server on this CPU run; see the module docs. Costs one
            // sched_yield(2) per turn when nothing else is runnable.
            std::thread::yield_now();
        }
        let mut written = 0;
        while self.write_next < self.next_start && written < WRITE_CHUNK {
            let index = self.write_next;
            match &mut self.conns[index].phase {
                Phase::Connected => {
                    let next = self.send_request(index);
                    self.after(index, next, reporter)?;
                    written += 1;
                }
                // Still under way: wait for it (its event wakes the loop).
                Phase::Connecting { since, .. } if since.elapsed() < HEAD_WAIT_MAX => return Ok(()),
                // Hanging: pass it. It sends as soon as it connects, and frees its
                // `--max-connecting` slot now, so hanging connects cannot starve
                // the rest. Timed from its own connect, hanging connects started
                // together are passed together, not one HEAD_WAIT_MAX apart.
                Phase::Connecting { passed, .. } => {
                    *passed = true;
                    self.connecting -= 1;
                }
                _ => {} // failed to connect, already reported
            }
            self.write_next += 1;
            // One connect per write keeps the window ahead full while spacing
            // connects evenly between writes, instead of a batch in one gap.
            self.start_one(reporter)?;
        }
        Ok(())
    }

    /// `None` when the loop has work it can do at once (a request to write, a
    /// connect to start); otherwise until when the writer may keep waiting for
    /// the connect it is stuck on (far future when it is not stuck).
    fn writer_blocked_until(&self) -> Option<Instant> {
        if self.may_connect() {
            return None;
        }
        if !self.writing {
            // Waiting for the first connects: their events wake the loop.
            return Some(self.started + HEAD_WAIT_MAX);
        }
        if self.write_next >= self.next_start {
            return Some(far_future()); // nothing started that is left to write
        }
        match self.conns[self.write_next].phase {
            Phase::Connecting { since, .. } => Some(since + HEAD_WAIT_MAX),
            _ => None, // connected (to write) or failed (to pass)
        }
    }

    /// Builds request `index`'s bytes in the shared scratch buffer and sends them.
    fn send_request(&mut self, index: usize) -> Next {
        let (id, delay) = (id_of(index), self.config.delay(index));
        let target = self.config.target(index);
        plan::write_request(
            &mut self.request,
            &self.config.path,
            &target.host,
            id,
            delay,
        );
        self.conns[index].send(self.request.as_bytes())
    }

    fn after<W: Write>(
        &mut self,
        index: usize,
        next: Next,
        reporter: &mut Reporter<W>,
    ) -> anyhow::Result<()> {
        let interest = match next {
            Next::WaitReadable => Interest::READABLE.oneshot(),
            Next::WaitWritable => Interest::WRITABLE.oneshot(),
            Next::Finished(result) => return self.report(index, result, reporter),
        };
        let conn = &mut self.conns[index];
        let Some(sock) = conn.sock.as_ref() else {
            return Ok(());
        };
        if let Err(e) = self.epoll.modify(sock, token_of(index), interest) {
            conn.close();
            let err = RequestError::new(ErrorKind::Io, format!("re-arming with epoll: {e}"));
            return self.report(index, Err(err), reporter);
        }
        Ok(())
    }

    fn report<W: Write>(
        &mut self,
        index: usize,
        result: Result<conn::Finished, RequestError>,
        reporter: &mut Reporter<W>,
    ) -> anyhow::Result<()> {
        let (id, delay) = (id_of(index), self.config.delay(index));
        match result {
            Ok(done) => reporter.response(id, delay, done.since.elapsed(), &done.response)?,
            Err(err) => reporter.failure(id, delay, &err)?,
        }
        Ok(())
    }

    /// Ends every request that has not ended yet with `kind`.
    fn abandon<W: Write>(
        &mut self,
        kind: ErrorKind,
        reporter: &mut Reporter<W>,
    ) -> anyhow::Result<()> {
        let why = match kind {
            ErrorKind::Timeout => format!(
                "no complete response within the overall timeout of {:.1} s",
                self.config.timeout.as_secs_f64()
            ),
            _ => "the run was interrupted by a signal".to_owned(),
        };
        for index in 0..self.conns.len() {
            let conn = &mut self.conns[index];
            if matches!(conn.phase, Phase::Done) {
                continue;
            }
            let what = match conn.phase {
                Phase::Idle => "before connecting",
                Phase::Connecting { .. } => "while connecting",
                Phase::Connected => "connected, before sending the request",
                Phase::Sending { .. } => "while sending the request",
                _ if conn.reader.bytes_seen() == 0 => "waiting for the response",
                _ => "while reading the response",
            };
            conn.close();
            let err = RequestError::new(kind, format!("{why} ({what})"));
            self.report(index, Err(err), reporter)?;
        }
        Ok(())
    }
}
