//! The client: many requests over one thread and one epoll instance, written
//! so that the order the answers arrive in shows the delays and nothing else.
//!
//! Every request has its own non-blocking connection, an exchange driven by
//! readiness events (`exchange.rs`); each socket is registered once,
//! edge-triggered, for everything its exchange will wait for, with its
//! request id as the token, and closing it removes it. The event loop here
//! only does I/O: it starts the connects and writes the requests the pacer
//! (`pacer.rs`, sans-I/O) asks for, dispatches each event to its exchange,
//! and reports each request exactly once through the [`Report`] trait it
//! defines (`report.rs`), with its send span for the order analysis
//! ([`crate::order`]); the reporter implements it.
//!
//! # Pacing
//!
//! The pacer's rules (budget, window, start, order) are documented and tested
//! in `pacer.rs`. In short: connects run up to [`CONNECT_AHEAD`] requests ahead
//! of a writer that sends the requests strictly in id order, so that requests
//! go out microseconds apart instead of in waves whose different start times
//! would invert the answers' order. A connect that hangs holds the writer for
//! at most [`HEAD_WAIT_MAX`]. `--max-connecting` bounds unfinished connects,
//! so a burst never overflows the server's accept queue (which would cost a
//! one-second SYN retransmission); connecting a bounded distance ahead keeps
//! the ephemeral-port search fast (it slows sharply once most of the range
//! towards one address is in use; see `--ports`). `elapsed` runs from the
//! moment a request's last byte was written.
//!
//! # The burst
//!
//! The writer sends requests in one tight loop, starting one connect after
//! each write, for as long as no answer to a request written so far can fall
//! due within [`DUE_MARGIN`] (`pacer.rs`, `FirstDue`); from then on it
//! returns to the event loop every [`WRITE_CHUNK`] requests, so answers already
//! due (with `--step-ms 0`, all of them) are read between chunks instead of
//! queueing behind the whole burst. No `sched_yield(2)` between chunks: an
//! answer that is due is read by the next zero-timeout wait, and measured
//! against a separate and an embedded server, yielding kept neither the order
//! nor the lateness better (`xtask/BENCHMARKS.md`). Both choices live in one
//! function of the event loop (`write_burst`, in `burst.rs`).

mod burst;
mod config;
mod error;
mod exchange;
mod pacer;
mod report;
mod stall;

pub use config::{ClientConfig, RunEnd, RunError, Target};
pub use error::{classify_io, ErrorKind, IoPhase, RequestError};
pub use report::{Ended, Report, SendSpan};

use crate::http::ResponseReader;
use epoll_safe::{Epoll, Events, Interest, Signals, Token};
use exchange::{Act, Exchange, Finished, Next, Phase, Ready};
use pacer::{Cursor, FirstDue, Pace, Pacer, Wake};
use socket2::{Domain, Socket, Type};
use stall::StallMeter;
use std::time::{Duration, Instant};

/// Token of the signal fd, if one is watched; request ids are 1..=count.
const SIGNAL_TOKEN: Token = Token(u64::MAX);

/// The longest the writer waits for the next request's connect before passing
/// it (that request then sends as soon as it connects).
pub const HEAD_WAIT_MAX: Duration = Duration::from_secs(2);

/// Requests written per loop turn once answers may be due; see [the burst](self#the-burst).
pub const WRITE_CHUNK: usize = 8;

/// The writer writes on without looking for answers while none can fall due
/// within this long; see [the burst](self#the-burst).
pub const DUE_MARGIN: Duration = Duration::from_millis(1);

/// Connects started per loop turn while the writer waits (before it starts,
/// as many as the pacer allows; while it writes, one per write).
pub const CONNECT_CHUNK: usize = 16;

/// How far connects may run ahead of the writer. The writer starts once this
/// many (or all) connects have finished, so runs up to this size write every
/// request microseconds apart.
pub const CONNECT_AHEAD: usize = 8192;

/// What each socket is registered for, once: the connect's end, the
/// response, the peer's close; edge-triggered, so nothing is re-armed.
const INTEREST: Interest = Interest::WRITABLE
    .add(Interest::READABLE)
    .add(Interest::READ_CLOSED)
    .edge();

/// Size of the one read buffer shared by all connections.
const READ_BUF: usize = 64 * 1024;

/// Runs every request to its end, reporting each one exactly once.
///
/// `signals`, if given, is watched: a signal read from it stops the run
/// ([`RunEnd::Interrupted`] names it).
///
/// # Errors
/// Only failures of the event loop itself ([`RunError`]).
pub fn run(
    config: &ClientConfig,
    signals: Option<&Signals>,
    reporter: &mut impl Report,
) -> Result<RunEnd, RunError> {
    if config.targets.is_empty() {
        return Err(RunError::NoTargets);
    }
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

/// The run's state: the sockets and buffers; the pacing lives in [`Pacer`].
struct Client<'a> {
    config: &'a ClientConfig,
    epoll: Epoll,
    exchanges: Vec<Exchange>,
    pacer: Pacer,
    /// Scratch buffer each request is built in just before it is sent.
    request: String,
    /// The one read buffer shared by all connections.
    buf: Vec<u8>,
    /// The overall deadline; `None` when `--timeout` reaches past any clock.
    deadline: Option<Instant>,
    /// The largest stall of the loop while it had work.
    stalls: StallMeter,
    /// The earliest an answer to a request written so far can fall due.
    first_due: FirstDue,
    /// Requests reported so far.
    reported: u32,
}

type Out<T = ()> = Result<T, RunError>;

impl<'a> Client<'a> {
    fn new(config: &'a ClientConfig) -> Out<Self> {
        let exchanges = (0..config.count)
            .map(|_| Exchange::new(ResponseReader::new(config.limits)))
            .collect();
        let now = Instant::now();
        let pace = Pace {
            count: config.count as usize,
            max_connecting: config.max_connecting,
            ahead: CONNECT_AHEAD,
            head_wait: HEAD_WAIT_MAX,
        };
        Ok(Self {
            config,
            epoll: Epoll::new()?,
            exchanges,
            pacer: Pacer::new(pace, now),
            request: String::with_capacity(256),
            buf: vec![0; READ_BUF],
            deadline: now.checked_add(config.timeout),
            stalls: StallMeter::default(),
            first_due: FirstDue::default(),
            reported: 0,
        })
    }

    fn run(&mut self, signals: Option<&Signals>, reporter: &mut impl Report) -> Out<RunEnd> {
        let mut events = Events::default();
        let total = self.config.count;
        loop {
            self.stalls.mark(Instant::now());
            self.start_connects(reporter)?;
            self.write_burst(reporter)?;
            reporter.flush()?;
            if self.reported == total {
                reporter.max_stall(self.stalls.max());
                return Ok(RunEnd::Completed);
            }
            let now = Instant::now();
            reporter.tick(self.pacer.connects_started(), now)?;
            let left = self.deadline.map(|d| d.saturating_duration_since(now));
            if left == Some(Duration::ZERO) {
                self.abandon(ErrorKind::Timeout, reporter)?;
                reporter.max_stall(self.stalls.max());
                return Ok(RunEnd::TimedOut);
            }
            let wake = match self.pacer.wake(self.cursor()) {
                Wake::Now => Some(Duration::ZERO),
                Wake::At(at) => Some(at.saturating_duration_since(now)),
                Wake::OnEvent => None,
            };
            let timeout = [wake, left, reporter.next_redraw(now)]
                .into_iter()
                .flatten()
                .min();
            if timeout != Some(Duration::ZERO) {
                self.stalls.rest(); // blocking by choice is no stall
            }
            self.epoll.wait(&mut events, timeout)?;
            for ev in &events {
                if self.config.trace_events {
                    reporter.event(ev)?;
                }
                if ev.token() == SIGNAL_TOKEN {
                    if let Some(signals) = signals {
                        if let Some(info) = signals.read()? {
                            self.abandon(ErrorKind::Interrupted, reporter)?;
                            reporter.max_stall(self.stalls.max());
                            reporter.flush()?;
                            return Ok(RunEnd::Interrupted {
                                signal: info.signal(),
                            });
                        }
                    }
                    continue;
                }
                self.dispatch(ev, reporter)?;
            }
        }
    }

    /// The state of the request at the writer cursor, for the pacer.
    fn cursor(&self) -> Option<Cursor> {
        let index = self.pacer.cursor()?;
        Some(match self.exchanges[index].phase {
            Phase::Connecting { since } => Cursor::Connecting(since),
            Phase::Connected => Cursor::Connected,
            _ => Cursor::Ended,
        })
    }

    /// Starts the connects the pacer allows this turn.
    fn start_connects(&mut self, reporter: &mut impl Report) -> Out {
        for _ in 0..self.pacer.connects_this_turn(self.cursor(), CONNECT_CHUNK) {
            if !self.start_one(reporter)? {
                break;
            }
        }
        Ok(())
    }

    /// Starts the next connect if the pacer allows one; says whether it did.
    fn start_one(&mut self, reporter: &mut impl Report) -> Out<bool> {
        let Some(index) = self.pacer.start_connect() else {
            return Ok(false);
        };
        if let Err(err) = self.connect(index) {
            self.pacer.connect_finished(index);
            self.exchanges[index].close();
            self.report(index, Err(err), reporter)?;
        }
        Ok(true)
    }

    fn connect(&mut self, index: usize) -> Result<(), RequestError> {
        let target = self.config.target(index);
        let connect_err = |e| RequestError::from_io(&e, IoPhase::Connect);
        let sock = Socket::new(
            Domain::for_address(target.addr),
            Type::STREAM.nonblocking().cloexec(),
            None,
        )
        .map_err(connect_err)?;
        match sock.connect(&target.addr.into()) {
            Ok(()) => {}
            Err(e) if e.raw_os_error() == Some(libc::EINPROGRESS) => {}
            Err(e) => {
                let kind = classify_io(&e, true);
                let phase = IoPhase::Connect;
                return Err(RequestError::new(
                    kind,
                    format!("{phase} to {}: {e}", target.addr),
                ));
            }
        }
        self.epoll
            .add(&sock, token_of(index), INTEREST)
            .map_err(|e| {
                RequestError::new(ErrorKind::Io, format!("registering with epoll: {e}"))
            })?;
        let exchange = &mut self.exchanges[index];
        exchange.sock = Some(sock);
        exchange.phase = Phase::Connecting {
            since: Instant::now(),
        };
        Ok(())
    }

    fn dispatch(&mut self, ev: &epoll_safe::Event, reporter: &mut impl Report) -> Out {
        let Some(index) = (ev.token().0 as usize).checked_sub(1) else {
            return Ok(());
        };
        let Some(exchange) = self.exchanges.get_mut(index) else {
            return Ok(());
        };
        let ready = Ready::of(ev);
        let next = match exchange.phase.act(ready) {
            Act::Connected => {
                let passed = self.pacer.connect_finished(index);
                if let Some(err) = exchange.on_connected(ev, self.config.target(index).addr) {
                    exchange.close();
                    return self.report(index, Err(err), reporter);
                }
                exchange.remember(ready);
                if !passed {
                    return Ok(()); // waits for the writer to reach it
                }
                self.send_request(index)
            }
            Act::Send => {
                exchange.remember(ready);
                self.send_request(index)
            }
            Act::Receive => exchange.receive(&mut self.buf, ready.read_closed),
            Act::Remember => {
                exchange.remember(ready);
                return Ok(());
            }
            Act::Ignore => return Ok(()),
        };
        self.after(index, next, reporter)
    }

    /// Reports the exchange's end, or reads at once what an early edge
    /// announced; otherwise its registration brings the next edge.
    fn after(&mut self, index: usize, next: Next, reporter: &mut impl Report) -> Out {
        let exchange = &mut self.exchanges[index];
        let next = match next {
            Next::WaitReadable => match exchange.take_early_read() {
                Some(read_closed) => exchange.receive(&mut self.buf, read_closed),
                None => Next::WaitReadable,
            },
            other => other,
        };
        match next {
            Next::WaitReadable | Next::WaitWritable => Ok(()),
            Next::Finished(result) => self.report(index, result, reporter),
        }
    }

    fn report(
        &mut self,
        index: usize,
        result: Result<Finished, RequestError>,
        reporter: &mut impl Report,
    ) -> Out {
        let (id, delay_ms) = (id_of(index), self.config.delay(index));
        let (sent, done) = (self.exchanges[index].send_span, Instant::now());
        self.reported += 1;
        // The deadline holds the same way for every request: an answer that
        // completes after it (read in the turn the deadline passed) is a
        // timeout, as the requests still open then are.
        let result = match (result, self.deadline) {
            (Ok(_), Some(deadline)) if done > deadline => Err(RequestError::new(
                ErrorKind::Timeout,
                format!(
                    "the response completed after the overall timeout of {:.1} s",
                    self.config.timeout.as_secs_f64()
                ),
            )),
            (other, _) => other,
        };
        let (sent, result) = match &result {
            Ok(finished) => (
                Some(sent.unwrap_or(SendSpan {
                    start: finished.since,
                    end: finished.since,
                })),
                Ok(&finished.response),
            ),
            Err(err) => (sent, Err(err)),
        };
        reporter.ended(Ended {
            id,
            delay_ms,
            sent,
            done,
            result,
        })?;
        Ok(())
    }

    /// Ends every request that has not ended yet with `kind`.
    fn abandon(&mut self, kind: ErrorKind, reporter: &mut impl Report) -> Out {
        let why = match kind {
            ErrorKind::Timeout => format!(
                "no complete response within the overall timeout of {:.1} s",
                self.config.timeout.as_secs_f64()
            ),
            _ => "the run was interrupted by a signal".to_owned(),
        };
        for index in 0..self.exchanges.len() {
            let exchange = &mut self.exchanges[index];
            let what = match exchange.phase {
                Phase::Done => continue,
                Phase::Idle => "before connecting",
                Phase::Connecting { .. } => "while connecting",
                Phase::Connected => "connected, before sending the request",
                Phase::Sending { .. } => "while sending the request",
                _ if exchange.reader.bytes_seen() == 0 => "waiting for the response",
                _ => "while reading the response",
            };
            exchange.close();
            let err = RequestError::new(kind, format!("{why} ({what})"));
            self.report(index, Err(err), reporter)?;
        }
        Ok(())
    }
}
