//! The connection's rules on a virtual clock ([`Sim`]), by topic: scripted client
//! byte streams (any split, any pause, the peer's close) against the pure
//! connection, asserting the bytes out, the wants, the deadlines and the stats.

use std::time::Duration;

use crate::server::config::ServerConfig;
use crate::server::sim::Sim;

mod body;
mod closing;
mod keep_alive;
mod lab;
mod pipeline;
mod timers;

const MS: Duration = Duration::from_millis(1);
const SEC: Duration = Duration::from_secs(1);

/// A connection under the default configuration (header 10 s, keep-alive 5 s, body
/// 30 s, send 10 s).
fn sim() -> Sim {
    Sim::new(&ServerConfig::default())
}

/// The stats identity, once the connection is closed.
fn assert_every_request_ends_once(sim: &Sim) {
    let s = sim.stats;
    assert!(sim.ended(), "still open: {sim:?}");
    assert_eq!(s.requests, s.answered + s.rejected + s.dropped, "{s:?}");
}

/// The codes of the statuses written so far.
fn codes(sim: &Sim) -> Vec<u16> {
    sim.statuses().into_iter().map(|(code, _)| code).collect()
}
mod props;
mod purity;
