//! The delay server: a local stand-in for the defunct slowwly service.
//!
//! `GET /delay/{d}` waits `d` (`250`, `250ms` or `1.5s`), then answers `200 OK` with a
//! short text body; `GET /delay/{d}/url/{url}` answers `302 Found` to `url` (slowwly's
//! redirect; `POST` gets `307`); `GET /` lists the routes and the limits in force;
//! `HEAD` gets the head alone. The timeout lab: `/status/{code}?delay={d}` answers any
//! final status after `d`; `/drip?numbytes=&duration=&delay=&code=` sends httpbin's drip
//! one byte at a time on its schedule; `/fault/{kind}?delay={d}` makes a client meet
//! the failure slow-client's `--json` names `kind`. Every response carries
//! `Access-Control-Allow-Origin: *`; `OPTIONS` on a route is a CORS preflight. Anything else gets its 4xx: 400 for an unparsable head,
//! a bad delay or url, or a delay above [`ServerConfig::max_delay_ms`]; 404 for another
//! path; 405 (with `Allow`) for another method; 408 when a head that started does not
//! arrive whole within [`ServerConfig::header_timeout`]; 413 for a request body over
//! 1 MiB (`Content-Length` or chunked); 414 for a request line over
//! [`ServerConfig::max_head`]; 431 for a head over [`ServerConfig::max_head`] or with too many fields; 503
//! over [`ServerConfig::max_connections`].
//!
//! One thread, one [`epoll_safe::Epoll`]: listeners, connections, and a deadline heap
//! that sets the `epoll_wait` timeout to the earliest due response. Bodies are framed
//! as configured ([`Framing`]), so a client's three framing paths can all be tested.
//!
//! What a client can rely on:
//! - Connections persist (RFC 9112 §9.3): HTTP/1.1 unless the request says
//!   `Connection: close`, HTTP/1.0 when it asks `Connection: keep-alive`. An idle
//!   connection closes after [`ServerConfig::keep_alive_timeout`], silently; the
//!   response to request number [`ServerConfig::max_requests_per_connection`] and any
//!   400/405/408/413/414/431/501/503/505 say `Connection: close` and end it.
//! - Pipelined requests are answered in request order, each delayed from its own
//!   arrival: a later, shorter delay waits for the earlier response.
//! - The delay runs from when the kernel received the bytes that completed the head
//!   (`SO_TIMESTAMPNS`; from the read when a packet is unstamped), so a busy loop
//!   does not add its own lag.
//! - A client that half-closes after its requests (`nc -N`) still gets every answer
//!   it asked for, in order and at its due time, then the connection closes; one
//!   that reset is dropped at once, and one that closed both ways is found when its
//!   answer is written (the close alone cannot tell it from a half-close). One that
//!   stops reading is closed after [`ServerConfig::send_timeout`], and served as
//!   soon as it reads within it.
//! - Every timer is from the connection's own state, never restarted by bytes that
//!   are no progress: a head has [`ServerConfig::header_timeout`] from its first
//!   byte (stray CR/LF before it included), a discarded request body
//!   [`ServerConfig::body_timeout`] in all, an idle connection
//!   [`ServerConfig::keep_alive_timeout`] from its last response. A connection that
//!   never sent a byte of a head is closed quietly at its header timeout.
//! - After a response that ends the connection with request bytes unread, the server
//!   shuts its side and reads until the client closes (at most 1 s), so those bytes
//!   cannot turn the close into a reset that destroys the response in the client's
//!   buffers.
//! - Per connection the server keeps a small state, the responses it owes (at most 64:
//!   past that it stops reading the connection until the client reads), and unparsed
//!   input of at most one read or one head; reads go through one shared buffer.
//! - Out of descriptors (`EMFILE`/`ENFILE`), the server stops accepting until one of
//!   its connections closes or 100 ms pass; waiting clients stay in the listen
//!   backlog (the kernel's largest, `net.core.somaxconn`). [`ServerStats`] counts the
//!   pauses.
//!
//! ```
//! use std::io::{Read, Write};
//! use slow_client::server::{Server, ServerConfig};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let handle = Server::bind(ServerConfig::default())?.spawn()?;
//! let mut stream = std::net::TcpStream::connect(handle.local_addrs()[0])?;
//! stream.write_all(b"GET /delay/50 HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")?;
//! let mut response = String::new();
//! stream.read_to_string(&mut response)?; // the server closes after its answer, as asked
//! assert!(response.starts_with("HTTP/1.1 200 OK\r\n"));
//! assert!(response.ends_with("delayed 50 ms: /delay/50\n"));
//! let stats = handle.stop()?;
//! assert_eq!((stats.accepted, stats.requests, stats.answered), (1, 1, 1));
//! # Ok(())
//! # }
//! ```

mod arrival;
mod config;
mod conn;
mod date;
mod deadline;
mod eager;
mod event_loop;
mod listen;
mod location;
mod log;
mod outbox;
mod policy;
mod request;
mod response;
mod route;
#[cfg(any(test, feature = "fuzzing"))]
pub(crate) mod sim;

/// Runs the server connection's property check over `data` (a script of client
/// actions on a virtual clock); panics naming the property it breaks. For the
/// cargo-fuzz target `server_conn` (`fuzz/`), which enables the `fuzzing` feature.
#[cfg(feature = "fuzzing")]
#[doc(hidden)]
pub fn fuzz_conn(data: &[u8]) {
    sim::check::check(data);
}
mod slab;

use std::io;
use std::net::{SocketAddr, TcpListener};
use std::os::fd::AsFd;
use std::thread::JoinHandle;

use epoll_safe::{Epoll, Interest, Token, Waker};

pub use config::{Framing, ParseFramingError, ServerConfig, FD_RESERVE};
use event_loop::{EventLoop, Key, OnStop};

/// What went wrong starting or running the server.
///
/// The message names what failed; the operating system's reason is the
/// [`source`](std::error::Error::source), so print the chain (`{:#}` with anyhow).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ServerError {
    /// A listen address is not loopback and [`ServerConfig::allow_public`] is off.
    #[error(
        "refusing to listen on {addr}: it is not a loopback address, and a delay server \
         holds connections open for anyone who asks; pass --allow-public to serve beyond this machine"
    )]
    NotLoopback {
        /// The address refused.
        addr: SocketAddr,
    },
    /// [`ServerConfig::listen`] is empty.
    #[error("no address to listen on")]
    NoListenAddress,
    /// Creating, binding or listening on a socket failed (address in use, permission…).
    #[error("cannot listen on {addr}")]
    Bind {
        /// The address that could not be bound.
        addr: SocketAddr,
        /// The operating system's error.
        source: io::Error,
    },
    /// An epoll operation the loop cannot do without failed.
    #[error("delay server event loop: {context}")]
    EventLoop {
        /// What the loop was doing.
        context: &'static str,
        /// The epoll error.
        source: epoll_safe::Error,
    },
    /// The server thread could not be started.
    #[error("cannot start the delay-server thread")]
    Spawn {
        /// The operating system's error.
        source: io::Error,
    },
    /// The server thread panicked (a bug: nothing a client sends should do this).
    #[error("the delay-server thread panicked")]
    Panicked,
}

/// What the server did, returned by [`ServerHandle::stop`] and [`Server::run_until`].
///
/// Once the server has stopped, every request ends up in exactly one of `answered`,
/// `rejected` and `dropped`: `requests == answered + rejected + dropped`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ServerStats {
    /// Connections accepted (including those answered 503 at once).
    pub accepted: u64,
    /// Requests: every complete head, every head cut off by the header timeout or the
    /// client's close, every 503 at the cap, and the first request of each connection
    /// from its accept (so a connection closed before sending anything counts one,
    /// dropped). Idle keep-alive connections closing between requests count none.
    pub requests: u64,
    /// 2xx and 3xx responses written in full.
    pub answered: u64,
    /// 4xx/5xx responses written in full (bad requests, 404, 405, 413, 414, 431, 501, 503, 505).
    pub rejected: u64,
    /// Requests without a complete response: header timeouts (408 is sent where a
    /// head started and the socket takes it), connections that never sent a head,
    /// clients that reset or stopped reading first (or whose body outlasted
    /// `--body-timeout`), requests still owed when the server stopped, and requests a
    /// connection had sent whole when the server stopped reading it (pipelined after
    /// its last response: past `--max-requests-per-connection`, after a
    /// `Connection: close`, or held back by the pipeline bound when the connection
    /// closed or the server stopped). Bytes that arrive after that are read
    /// and discarded uncounted: no request has started there for the server.
    pub dropped: u64,
    /// Times accepting paused because the process ran out of descriptors (`EMFILE`,
    /// `ENFILE`) or kernel memory; pending clients wait in the backlog meanwhile.
    pub accept_pauses: u64,
}

impl std::ops::AddAssign for ServerStats {
    /// Adds another server's counts (one per `--threads` loop).
    fn add_assign(&mut self, other: ServerStats) {
        self.accepted += other.accepted;
        self.requests += other.requests;
        self.answered += other.answered;
        self.rejected += other.rejected;
        self.dropped += other.dropped;
        self.accept_pauses += other.accept_pauses;
    }
}

impl ServerStats {
    fn count(&mut self, verdict: Option<Verdict>) {
        match verdict {
            Some(Verdict::Answered) => self.answered += 1,
            Some(Verdict::Rejected) => self.rejected += 1,
            Some(Verdict::Dropped) => self.dropped += 1,
            None => {} // an interim 100 Continue
        }
    }
}

/// How a written response counts in [`ServerStats`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// A 2xx or 3xx response.
    Answered,
    /// A 4xx/5xx response to a request the server judged.
    Rejected,
    /// A 408: the request never arrived whole.
    Dropped,
}

/// How to stop, as [`Server::run_until_with`]'s callback decides.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stop {
    /// Gracefully (SIGTERM): stop accepting, close idle connections, finish the
    /// responses in flight (at most 10 s), then return. Another stop readiness
    /// meanwhile stops at once.
    Drain,
    /// At once (SIGINT): close every connection and return.
    Now,
}

/// A delay server bound to its addresses, not yet running.
#[derive(Debug)]
pub struct Server {
    epoll: Epoll,
    listeners: Vec<TcpListener>,
    addrs: Vec<SocketAddr>,
    config: ServerConfig,
}

impl Server {
    /// Binds every address of `config.listen` (port 0 picks a free port for that
    /// address) with the largest backlog the kernel allows, and creates the epoll
    /// instance they are registered with. Connections queue from here on.
    ///
    /// # Errors
    /// [`ServerError::NotLoopback`] for an address beyond loopback without
    /// `allow_public`; [`ServerError::NoListenAddress`]; [`ServerError::Bind`] naming the
    /// address that failed; [`ServerError::EventLoop`] if epoll cannot be set up.
    pub fn bind(config: ServerConfig) -> Result<Server, ServerError> {
        if config.listen.is_empty() {
            return Err(ServerError::NoListenAddress);
        }
        // Check every address before binding any, so a refusal leaves nothing half-open.
        if !config.allow_public {
            if let Some(&addr) = config.listen.iter().find(|a| !listen::is_loopback(a)) {
                return Err(ServerError::NotLoopback { addr });
            }
        }
        let epoll_err = |context| move |source| ServerError::EventLoop { context, source };
        let epoll = Epoll::new().map_err(epoll_err("creating the epoll instance"))?;
        let mut listeners = Vec::with_capacity(config.listen.len());
        let mut addrs = Vec::with_capacity(config.listen.len());
        for (index, &addr) in config.listen.iter().enumerate() {
            let listener = listen::listen(
                addr,
                config.allow_public,
                config.reuse_port,
                config.defer_accept,
            )?;
            let local = listener
                .local_addr()
                .map_err(|source| ServerError::Bind { addr, source })?;
            epoll
                .add(
                    &listener,
                    Token(Key::Listener(index as u32).raw()),
                    Interest::READABLE,
                )
                .map_err(epoll_err("registering a listener"))?;
            listeners.push(listener);
            addrs.push(local);
        }
        Ok(Server {
            epoll,
            listeners,
            addrs,
            config,
        })
    }

    /// The addresses actually bound (ports filled in), in the order of `config.listen`.
    pub fn local_addrs(&self) -> &[SocketAddr] {
        &self.addrs
    }

    /// Runs the event loop on this thread, forever (`slow-client serve`).
    ///
    /// # Errors
    /// [`ServerError::EventLoop`] if `epoll_wait` itself fails; problems with single
    /// connections never end the loop.
    pub fn run(self) -> Result<(), ServerError> {
        EventLoop::new(self.epoll, self.listeners, &self.config, None)
            .run()
            .map(drop)
    }

    /// Runs the event loop on this thread until `stop` becomes readable (e.g. a
    /// signalfd for SIGINT; it is not read), then closes every connection and returns
    /// the stats.
    ///
    /// # Errors
    /// [`ServerError::EventLoop`] if `stop` cannot be registered or `epoll_wait` fails.
    pub fn run_until(self, stop: impl AsFd) -> Result<ServerStats, ServerError> {
        self.run_stoppable(stop, None)
    }

    /// Like [`Server::run_until`], but asks `on_stop` what each readiness of `stop`
    /// means: [`Stop::Drain`] finishes the responses in flight first (a second stop
    /// readiness meanwhile stops at once), [`Stop::Now`] stops at once, `None` ignores
    /// it. `on_stop` must consume what made `stop` readable (e.g. read the signalfd),
    /// or the next turn sees it again.
    ///
    /// # Errors
    /// [`ServerError::EventLoop`] if `stop` cannot be registered or `epoll_wait` fails.
    pub fn run_until_with<'s>(
        self,
        stop: impl AsFd,
        on_stop: impl FnMut() -> Option<Stop> + 's,
    ) -> Result<ServerStats, ServerError> {
        self.run_stoppable(stop, Some(Box::new(on_stop)))
    }

    fn run_stoppable(
        self,
        stop: impl AsFd,
        on_stop: Option<OnStop<'_>>,
    ) -> Result<ServerStats, ServerError> {
        self.epoll
            .add(&stop, Token(Key::Stop.raw()), Interest::READABLE)
            .map_err(|source| ServerError::EventLoop {
                context: "registering the stop fd",
                source,
            })?;
        EventLoop::new(self.epoll, self.listeners, &self.config, on_stop).run()
    }

    /// Runs the event loop on a new thread named `delay-server`.
    ///
    /// # Errors
    /// [`ServerError::EventLoop`] if the waker cannot be created;
    /// [`ServerError::Spawn`] if the thread cannot be started.
    pub fn spawn(self) -> Result<ServerHandle, ServerError> {
        let waker = Waker::new(&self.epoll, Token(Key::Wake.raw())).map_err(|source| {
            ServerError::EventLoop {
                context: "creating the stop waker",
                source,
            }
        })?;
        let drainer = Waker::new(&self.epoll, Token(Key::Drain.raw())).map_err(|source| {
            ServerError::EventLoop {
                context: "creating the drain waker",
                source,
            }
        })?;
        let addrs = self.addrs.clone();
        let (epoll, listeners, config) = (self.epoll, self.listeners, self.config);
        let thread = std::thread::Builder::new()
            .name("delay-server".to_owned())
            .spawn(move || EventLoop::new(epoll, listeners, &config, None).run())
            .map_err(|source| ServerError::Spawn { source })?;
        Ok(ServerHandle {
            addrs,
            waker,
            drainer,
            thread: Some(thread),
        })
    }
}

/// A server running on its own thread; dropping the handle stops it too.
#[derive(Debug)]
pub struct ServerHandle {
    addrs: Vec<SocketAddr>,
    waker: Waker,
    drainer: Waker,
    thread: Option<JoinHandle<Result<ServerStats, ServerError>>>,
}

impl ServerHandle {
    /// The addresses the server listens on.
    pub fn local_addrs(&self) -> &[SocketAddr] {
        &self.addrs
    }

    /// Wakes the loop, waits for it to close every connection, and returns its stats.
    ///
    /// # Errors
    /// [`ServerError::EventLoop`] if the loop failed (or the wake could not be sent);
    /// [`ServerError::Panicked`] if the thread panicked.
    pub fn stop(mut self) -> Result<ServerStats, ServerError> {
        self.shut_down()
    }

    /// Asks the loop to stop gracefully, as [`Stop::Drain`] does (no new connections,
    /// the responses in flight finished, at most 10 s), and returns at once; then
    /// [`ServerHandle::wait`] for it (or [`ServerHandle::stop`] to cut it short).
    ///
    /// # Errors
    /// [`ServerError::EventLoop`] if the wake could not be sent.
    pub fn drain(&self) -> Result<(), ServerError> {
        self.drainer
            .wake()
            .map_err(|source| ServerError::EventLoop {
                context: "waking the loop to drain it",
                source,
            })
    }

    /// Waits for the loop to end on its own (after [`ServerHandle::drain`]) and
    /// returns its stats.
    ///
    /// # Errors
    /// [`ServerError::EventLoop`] if the loop failed; [`ServerError::Panicked`] if
    /// the thread panicked.
    pub fn wait(mut self) -> Result<ServerStats, ServerError> {
        match self.thread.take() {
            Some(thread) => thread.join().map_err(|_| ServerError::Panicked)?,
            None => Ok(ServerStats::default()),
        }
    }

    fn shut_down(&mut self) -> Result<ServerStats, ServerError> {
        let Some(thread) = self.thread.take() else {
            return Ok(ServerStats::default());
        };
        if let Err(source) = self.waker.wake() {
            // Without the wake the join would hang forever; leave the thread detached.
            return Err(ServerError::EventLoop {
                context: "waking the loop to stop it",
                source,
            });
        }
        thread.join().map_err(|_| ServerError::Panicked)?
    }
}

impl Drop for ServerHandle {
    fn drop(&mut self) {
        let _ = self.shut_down();
    }
}
