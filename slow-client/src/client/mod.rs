//! The client: many requests, one thread, one epoll instance.
//!
//! All sockets are non-blocking. Connections start in batches of at most
//! [`ClientConfig::max_connecting`] unfinished connects, so a burst of
//! thousands never overflows the server's accept queue (which would cost a
//! one-second SYN retransmission). Each socket is registered with
//! `EPOLLONESHOT` and its request id as the token; the loop dispatches each
//! event to that request's connection state machine and re-arms it as the request needs.
//!
//! # Why requests go out in one burst, in id order
//!
//! The answers' arrival order is meant to show the delays and nothing else.
//! If each request were written the moment its own connect completed, the
//! requests would go out in waves, one per connect batch, several
//! milliseconds apart; with a 1 ms delay step a later wave's shorter delay
//! can then end after an earlier wave's longer one, and the order inverts for
//! reasons that have nothing to do with the server. So connects run first,
//! and once every connect has finished (or [`CONNECT_PHASE_MAX`] has passed,
//! so one hanging connect cannot hold back the rest) all connected requests
//! are written in id order, microseconds apart. A connect that completes after
//! the burst has passed it sends its request at once. Each request's
//! `elapsed` time still runs from the moment it was written.
//!
//! The burst goes out [`BURST_CHUNK`] requests per loop turn, with a
//! zero-timeout wait between chunks: answers that are already due (with
//! `--step-ms 0`, all of them) are read while the burst goes on instead of
//! queueing behind all of it, and a wait that finds nothing costs about a
//! microsecond, far below any delay step. Between chunks the thread also
//! yields the CPU: the kernel likes to wake a loopback peer on the waker's CPU,
//! and an embedded server sharing this thread's CPU would otherwise wait a
//! whole scheduler slice (milliseconds) to read requests and write answers.

mod conn;

use crate::http::{classify_io, ErrorKind, Limits, RequestError, ResponseReader};
use crate::plan::{self, PathTemplate};
use crate::report::Reporter;
use conn::{Conn, Next, Phase};
use epoll_safe::{Epoll, Events, Interest, Signals, Token};
use socket2::{Domain, Socket, Type};
use std::io::{self, Write};
use std::net::SocketAddr;
use std::num::NonZeroUsize;
use std::time::{Duration, Instant};

/// Token of the signal fd, if one is watched; request ids are 1..=count.
const SIGNAL_TOKEN: Token = Token(u64::MAX);

/// The longest the client waits for all connects before sending the requests
/// that are connected; later connections then send as soon as they connect.
pub const CONNECT_PHASE_MAX: Duration = Duration::from_secs(2);

/// Requests written per loop turn during the burst; see the module docs.
pub const BURST_CHUNK: usize = 8;

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
    /// Until the burst reaches them, connected requests wait; see the module docs.
    burst_started: bool,
    /// Requests below this index have been passed by the burst.
    burst_next: usize,
    burst_by: Instant,
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
            burst_started: false,
            burst_next: 0,
            burst_by: Instant::now() + CONNECT_PHASE_MAX,
        })
    }

    fn run<W: Write>(
        &mut self,
        signals: Option<&Signals>,
        reporter: &mut Reporter<W>,
    ) -> anyhow::Result<RunEnd> {
        let mut events = Events::with_capacity(NonZeroUsize::new(1024).expect("nonzero"));
        let total = self.config.count;
        loop {
            self.start_connections(reporter)?;
            self.maybe_burst(reporter)?;
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
            let wake = if !self.burst_started {
                left.min(self.burst_by.saturating_duration_since(now))
            } else if self.burst_next < self.conns.len() {
                Duration::ZERO // more of the burst to write: only pick up what is ready
            } else {
                left
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

    /// Starts connects until `max_connecting` are in flight or all are started.
    fn start_connections<W: Write>(&mut self, reporter: &mut Reporter<W>) -> anyhow::Result<()> {
        while self.next_start < self.conns.len() && self.connecting < self.config.max_connecting {
            let index = self.next_start;
            self.next_start += 1;
            if let Err(err) = self.connect(index) {
                self.conns[index].close();
                self.report(index, Err(err), reporter)?;
            }
        }
        Ok(())
    }

    fn connect(&mut self, index: usize) -> Result<(), RequestError> {
        let target = &self.config.targets[index % self.config.targets.len()];
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
        let token = Token(index as u64 + 1);
        self.epoll
            .add(&sock, token, Interest::WRITABLE.oneshot())
            .map_err(|e| {
                RequestError::new(ErrorKind::Io, format!("registering with epoll: {e}"))
            })?;
        let conn = &mut self.conns[index];
        conn.sock = Some(sock);
        conn.phase = Phase::Connecting;
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
        if matches!(conn.phase, Phase::Connecting) {
            self.connecting -= 1;
            if let Some(err) = conn.on_connected(ev) {
                conn.close();
                return self.report(index, Err(err), reporter);
            }
            if index >= self.burst_next {
                return Ok(()); // waits, unarmed, for the burst to reach it
            }
        }
        let next = match conn.phase {
            Phase::Connected | Phase::Sending { .. } => self.send_request(index),
            Phase::Receiving { .. } => conn.receive(&mut self.buf),
            Phase::Idle | Phase::Connecting | Phase::Done => return Ok(()),
        };
        self.after(index, next, reporter)
    }

    /// Once every connect has ended (or the connect phase ran too long),
    /// writes the next [`BURST_CHUNK`] connected requests in id order; see the
    /// module docs.
    fn maybe_burst<W: Write>(&mut self, reporter: &mut Reporter<W>) -> anyhow::Result<()> {
        if !self.burst_started {
            let all_connected = self.next_start == self.conns.len() && self.connecting == 0;
            if !(all_connected || Instant::now() >= self.burst_by) {
                return Ok(());
            }
            self.burst_started = true;
        }
        if self.burst_next > 0 {
            // Lets a server on this CPU run; see the module docs. Costs one
            // sched_yield(2) per chunk when nothing else is runnable.
            std::thread::yield_now();
        }
        let mut written = 0;
        while self.burst_next < self.conns.len() && written < BURST_CHUNK {
            let index = self.burst_next;
            self.burst_next += 1;
            if matches!(self.conns[index].phase, Phase::Connected) {
                let next = self.send_request(index);
                self.after(index, next, reporter)?;
                written += 1;
            }
        }
        Ok(())
    }

    /// Builds request `index`'s bytes in the shared scratch buffer and sends them.
    fn send_request(&mut self, index: usize) -> Next {
        let id = index as u32 + 1;
        let target = &self.config.targets[index % self.config.targets.len()];
        let delay = plan::delay_ms(self.config.count, id, self.config.step_ms);
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
        if let Err(e) = self.epoll.modify(sock, Token(index as u64 + 1), interest) {
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
        let id = index as u32 + 1;
        let delay = plan::delay_ms(self.config.count, id, self.config.step_ms);
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
                Phase::Connecting => "while connecting",
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
