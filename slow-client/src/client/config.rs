//! What a run is asked to do ([`ClientConfig`]) and how it ends ([`RunEnd`], [`RunError`]).

use super::id_of;
use crate::http::ResponseLimits;
use crate::plan::{self, PathTemplate};
use std::io;
use std::net::SocketAddr;
use std::time::Duration;

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
    pub limits: ResponseLimits,
    /// At most this many connects in flight at once.
    pub max_connecting: usize,
    /// Hand every epoll event to [`Report::event`](super::Report::event)
    /// before handling it (`--trace-events`).
    pub trace_events: bool,
}

impl ClientConfig {
    /// The server that the request at `index` goes to.
    pub(super) fn target(&self, index: usize) -> &Target {
        &self.targets[index % self.targets.len()]
    }

    /// The delay the request at `index` asks for.
    pub(super) fn delay(&self, index: usize) -> u64 {
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
    Interrupted {
        /// The signal's number (`SIGINT`, `SIGTERM`).
        signal: i32,
    },
}

/// Why a run could not go on: the event loop itself failed. Everything a
/// server or the network does is a per-request outcome instead.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// [`ClientConfig::targets`] is empty.
    #[error("no server address to connect to")]
    NoTargets,
    /// An epoll or signal-fd operation failed.
    #[error("epoll: {0}")]
    Epoll(#[from] epoll_safe::Error),
    /// Writing the report failed (e.g. stdout closed).
    #[error("writing the report: {0}")]
    Output(#[from] io::Error),
}
