//! What the delay server listens on, how it frames bodies, and the caps that keep abuse bounded.

use std::fmt;
use std::net::{Ipv4Addr, SocketAddr};
use std::str::FromStr;
use std::time::Duration;

/// Descriptors kept free for everything else in the process (epoll, waker, stdio, the
/// client's sockets when the server is embedded) when the connection cap is derived
/// from the fd limit.
pub const FD_RESERVE: usize = 64;

/// How the server delimits response bodies, so that every framing path of a client
/// gets exercised.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Framing {
    /// `Content-Length: N`, then exactly N bytes.
    #[default]
    Length,
    /// `Transfer-Encoding: chunked`, the body split over at least two chunks.
    ///
    /// HTTP/1.0 requests cannot decode chunked bodies, so they get [`Framing::Close`]
    /// (and their connection closes after the response).
    Chunked,
    /// No length at all: the body ends when the server closes the connection, so
    /// every connection serves one request (keep-alive is off).
    Close,
}

impl Framing {
    /// The name used on the command line: `length`, `chunked` or `close`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Framing::Length => "length",
            Framing::Chunked => "chunked",
            Framing::Close => "close",
        }
    }
}

impl fmt::Display for Framing {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The error of parsing a [`Framing`] from a string that names none.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown framing {0:?}: expected one of length, chunked, close")]
pub struct ParseFramingError(String);

impl FromStr for Framing {
    type Err = ParseFramingError;

    /// Parses `length`, `chunked` or `close` (ASCII case ignored).
    fn from_str(s: &str) -> Result<Framing, ParseFramingError> {
        [Framing::Length, Framing::Chunked, Framing::Close]
            .into_iter()
            .find(|f| f.as_str().eq_ignore_ascii_case(s))
            .ok_or_else(|| ParseFramingError(s.to_owned()))
    }
}

/// Everything the delay server needs to know before it binds.
///
/// `ServerConfig::default()` is what `slow-client serve` uses without flags, except
/// that it listens on `127.0.0.1:0` (a free port).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerConfig {
    /// Addresses to listen on; port 0 picks a free port per address. Default: `[127.0.0.1:0]`.
    pub listen: Vec<SocketAddr>,
    /// How response bodies are delimited. Default: [`Framing::Length`].
    pub framing: Framing,
    /// The longest delay a request may ask for; longer ones get 400 naming this cap. Default: 60000.
    pub max_delay_ms: u64,
    /// How long a client may take to deliver a complete request head, counted from
    /// accept for the first request and from its first byte for later ones on the same
    /// connection (stray CR/LF before it included; so a client trickling bytes is cut
    /// off too); then it gets 408. A connection that never sent a byte of a head is
    /// closed quietly instead. Default: 10 s.
    pub header_timeout: Duration,
    /// How long a client may take to deliver a whole request body, which the server
    /// reads only to discard it, counted from its head; then the connection is
    /// closed (what it was owed counts as dropped). A total time, so a client
    /// trickling bytes is cut off too (nginx gives a discarded body 30 s).
    /// Default: 30 s.
    pub body_timeout: Duration,
    /// How long a connection may sit idle between requests before it is closed
    /// (silently, as nginx does), counted from the last response written: stray
    /// CR/LF between requests does not restart it. Zero turns keep-alive off: every response then says
    /// `Connection: close`. Default: 5 s.
    pub keep_alive_timeout: Duration,
    /// Requests served on one connection; the last response says `Connection: close`
    /// (nginx's `keepalive_requests`). Default: 1000.
    pub max_requests_per_connection: u32,
    /// How long a due response may wait for a client that reads nothing before the
    /// connection is closed (timed from the first write that found its socket full,
    /// restarted by every write that makes progress). Default: 10 s.
    pub send_timeout: Duration,
    /// Print one line per written response on stderr (time, peer, request line,
    /// status, asked delay, lateness). Default: off.
    pub access_log: bool,
    /// Connections held open at once; beyond it a new connection gets 503 and is closed.
    /// `None` derives it when the server starts: the soft `RLIMIT_NOFILE` minus
    /// [`FD_RESERVE`].
    pub max_connections: Option<usize>,
    /// The largest request head accepted, in bytes; larger ones get 431. Default: 16 KiB.
    pub max_head: usize,
    /// Set `SO_REUSEPORT` on the listeners, so that several servers (one per thread)
    /// can listen on the same address and the kernel spreads connections over them
    /// (`slow-client serve --threads`). Default: `false`.
    pub reuse_port: bool,
    /// Permit listening on non-loopback addresses. Default: `false`, because the server
    /// holds connections open on request and would be an easy target on a shared network.
    pub allow_public: bool,
    /// Set `TCP_DEFER_ACCEPT` on the listeners: the kernel hands over a connection
    /// once its first bytes arrive (or, for a client that sends nothing, when the
    /// deferral ends, about 1 s after the handshake), so one wakeup accepts, reads
    /// and answers it. Default: `true`. The embedded server of a client run turns
    /// it off: its client connects thousands of sockets before writing to any, and
    /// held handshakes would overflow the SYN queue into SYN cookies.
    pub defer_accept: bool,
}

impl Default for ServerConfig {
    fn default() -> ServerConfig {
        ServerConfig {
            listen: vec![SocketAddr::from((Ipv4Addr::LOCALHOST, 0))],
            framing: Framing::Length,
            max_delay_ms: 60_000,
            header_timeout: Duration::from_secs(10),
            body_timeout: Duration::from_secs(30),
            keep_alive_timeout: Duration::from_secs(5),
            max_requests_per_connection: 1000,
            send_timeout: Duration::from_secs(10),
            access_log: false,
            max_connections: None,
            max_head: 16 * 1024,
            reuse_port: false,
            allow_public: false,
            defer_accept: true,
        }
    }
}

impl ServerConfig {
    /// The connection cap in force: [`ServerConfig::max_connections`] when set, otherwise
    /// the soft `RLIMIT_NOFILE` (`getrlimit`) minus [`FD_RESERVE`],
    /// and never less than 1.
    pub fn effective_max_connections(&self) -> usize {
        match self.max_connections {
            Some(n) => n.max(1),
            None => {
                let soft = crate::os::fd_limit().map_or(1024, |l| l.soft);
                usize::try_from(soft)
                    .unwrap_or(usize::MAX)
                    .saturating_sub(FD_RESERVE)
                    .max(1)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn framing_round_trips_through_its_name() {
        for f in [Framing::Length, Framing::Chunked, Framing::Close] {
            assert_eq!(f.to_string().parse::<Framing>(), Ok(f));
        }
        assert_eq!("CHUNKED".parse::<Framing>(), Ok(Framing::Chunked));
        let err = "gzip".parse::<Framing>().unwrap_err();
        assert!(err.to_string().contains("length, chunked, close"), "{err}");
    }

    #[test]
    fn derived_connection_cap_leaves_the_reserve_free() {
        let config = ServerConfig::default();
        let soft = crate::os::fd_limit().unwrap().soft;
        let expected = usize::try_from(soft)
            .unwrap_or(usize::MAX)
            .saturating_sub(FD_RESERVE)
            .max(1);
        assert_eq!(config.effective_max_connections(), expected);
        let capped = ServerConfig {
            max_connections: Some(2),
            ..ServerConfig::default()
        };
        assert_eq!(capped.effective_max_connections(), 2);
    }
}
