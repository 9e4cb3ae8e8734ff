//! The delay server: a local stand-in for the defunct slowwly service.
//!
//! `GET /delay/{ms}` and `GET /delay/{ms}/url/{anything}` wait `ms` milliseconds, then
//! answer `200 OK` with a short text body and `Connection: close`; `HEAD` gets the head
//! alone. Anything else gets its 4xx: 400 for an unparsable head, a delay that is not a
//! number or above [`ServerConfig::max_delay_ms`]; 404 for another path; 405 (with
//! `Allow`) for another method; 408 when no complete head arrives within
//! [`ServerConfig::header_timeout`]; 431 for a head over [`ServerConfig::max_head`] or
//! with too many fields; 503 over [`ServerConfig::max_connections`].
//!
//! One thread, one [`epoll_safe::Epoll`]: listeners, connections, and a deadline heap
//! that sets the `epoll_wait` timeout to the earliest due response. Bodies are framed
//! as configured ([`Framing`]), so a client's three framing paths can all be tested.
//!
//! What a client can rely on:
//! - The delay runs from when the kernel received the last bytes of the request
//!   head (`SO_TIMESTAMPNS`; from the read when a packet is unstamped), so a busy
//!   loop does not add its own lag. One request is answered per connection, then
//!   the server closes it.
//! - A client that closes (or resets) while its response waits is dropped at once, as
//!   nginx does (its 499): a client that half-closes after its request (`nc -N`) is
//!   taken as gone too.
//! - After an error reply the server shuts its side and reads until the client
//!   closes (at most 1 s), so request bytes it never read cannot turn the close into
//!   a reset that destroys the reply in the client's buffers.
//! - Per connection the server keeps a small state, the reply while it waits (a few
//!   hundred bytes), and a partial head only while one arrives in pieces (at most
//!   [`ServerConfig::max_head`] + 1 bytes); reads go through one shared buffer.
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
//! stream.write_all(b"GET /delay/50 HTTP/1.1\r\nHost: localhost\r\n\r\n")?;
//! let mut response = String::new();
//! stream.read_to_string(&mut response)?; // the server closes after its answer
//! assert!(response.starts_with("HTTP/1.1 200 OK\r\n"));
//! assert!(response.ends_with("delayed 50 ms: /delay/50\n"));
//! let stats = handle.stop()?;
//! assert_eq!((stats.accepted, stats.answered), (1, 1));
//! # Ok(())
//! # }
//! ```

mod config;
mod conn;
mod deadline;
mod event_loop;
mod listen;
mod request;
mod response;
mod slab;

use std::io;
use std::net::{SocketAddr, TcpListener};
use std::os::fd::AsFd;
use std::thread::JoinHandle;

use epoll_safe::{Epoll, Interest, Token, Waker};

pub use config::{Framing, ParseFramingError, ServerConfig, FD_RESERVE};
use conn::Verdict;
use event_loop::{EventLoop, LISTENER, STOP, WAKE};

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
/// Every accepted connection ends up in exactly one of the other three counts once
/// the server has stopped: `accepted == answered + rejected + dropped`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ServerStats {
    /// Connections accepted (including those answered 503 at once).
    pub accepted: u64,
    /// 2xx responses written in full.
    pub answered: u64,
    /// 4xx/5xx responses written in full (bad requests, 404, 405, 431, 503).
    pub rejected: u64,
    /// Connections closed without a complete response: header timeouts (408 is sent
    /// where possible), clients that closed or reset first, stalled writes, and
    /// connections still open when the server stopped.
    pub dropped: u64,
    /// Times accepting paused because the process ran out of descriptors (`EMFILE`,
    /// `ENFILE`) or kernel memory; pending clients wait in the backlog meanwhile.
    pub accept_pauses: u64,
}

impl ServerStats {
    fn count(&mut self, verdict: Option<Verdict>) {
        match verdict {
            Some(Verdict::Answered) => self.answered += 1,
            Some(Verdict::Rejected) => self.rejected += 1,
            Some(Verdict::Dropped) | None => self.dropped += 1,
        }
    }
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
            let listener = listen::listen(addr, config.allow_public)?;
            let local = listener
                .local_addr()
                .map_err(|source| ServerError::Bind { addr, source })?;
            epoll
                .add(
                    &listener,
                    Token(LISTENER | index as u64),
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
        EventLoop::new(self.epoll, self.listeners, self.config)
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
        self.epoll
            .add(&stop, Token(STOP), Interest::READABLE)
            .map_err(|source| ServerError::EventLoop {
                context: "registering the stop fd",
                source,
            })?;
        EventLoop::new(self.epoll, self.listeners, self.config).run()
    }

    /// Runs the event loop on a new thread named `delay-server`.
    ///
    /// # Errors
    /// [`ServerError::EventLoop`] if the waker cannot be created;
    /// [`ServerError::Spawn`] if the thread cannot be started.
    pub fn spawn(self) -> Result<ServerHandle, ServerError> {
        let waker =
            Waker::new(&self.epoll, Token(WAKE)).map_err(|source| ServerError::EventLoop {
                context: "creating the stop waker",
                source,
            })?;
        let addrs = self.addrs.clone();
        let looped = EventLoop::new(self.epoll, self.listeners, self.config);
        let thread = std::thread::Builder::new()
            .name("delay-server".to_owned())
            .spawn(move || looped.run())
            .map_err(|source| ServerError::Spawn { source })?;
        Ok(ServerHandle {
            addrs,
            waker,
            thread: Some(thread),
        })
    }
}

/// A server running on its own thread; dropping the handle stops it too.
#[derive(Debug)]
pub struct ServerHandle {
    addrs: Vec<SocketAddr>,
    waker: Waker,
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
