//! What every connection is judged by ([`Policy`], from the [`ServerConfig`]).

use std::fmt::Write as _;
use std::time::Duration;

use super::config::{Framing, ServerConfig};
use super::request::{RequestLimits, MAX_BODY};

/// Responses a connection may owe before it stops reading its requests.
pub(crate) const PIPELINE_DEPTH: usize = 64;

/// The server's rules, fixed when it starts.
#[derive(Debug)]
pub(crate) struct Policy {
    pub(crate) limits: RequestLimits,
    pub(crate) framing: Framing,
    /// Connections persist between requests (`--keep-alive-timeout` > 0 and a framing
    /// that does not end bodies at the close).
    pub(crate) keep_alive: bool,
    pub(crate) keep_alive_timeout: Duration,
    pub(crate) header_timeout: Duration,
    pub(crate) send_timeout: Duration,
    pub(crate) body_timeout: Duration,
    pub(crate) max_requests: u32,
    pub(crate) access_log: bool,
    /// The text of `GET /`.
    pub(crate) index: String,
}

impl Policy {
    pub(crate) fn new(config: &ServerConfig, max_connections: usize) -> Policy {
        let keep_alive = !config.keep_alive_timeout.is_zero() && config.framing != Framing::Close;
        Policy {
            limits: RequestLimits {
                max_head: config.max_head,
                max_delay_ms: config.max_delay_ms,
            },
            framing: config.framing,
            keep_alive,
            keep_alive_timeout: config.keep_alive_timeout,
            header_timeout: config.header_timeout,
            send_timeout: config.send_timeout,
            body_timeout: config.body_timeout,
            max_requests: config.max_requests_per_connection.max(1),
            access_log: config.access_log,
            index: index_page(config, keep_alive, max_connections),
        }
    }
}

/// The plain-text page `GET /` answers: the routes, the units and the limits in force.
fn index_page(config: &ServerConfig, keep_alive: bool, max_connections: usize) -> String {
    let mut page = String::from(
        "slow-client delay server: answers after the delay you ask for (like slowwly).\n\n\
         Routes (GET and HEAD; HEAD gets the head only):\n\
         \x20 /delay/{d}              200 with a short text body after d\n\
         \x20 /delay/{d}/url/{url}    302 Found to {url} after d (POST: 307, body discarded)\n\
         \x20 /delay/url/{url}        the same after 1000 ms\n\
         \x20 /status/{code}?delay=d  status {code} (200-599) after d (0 by default; any method)\n\
         \x20 /drip?numbytes=10&duration=2&delay=2&code=200\n\
         \x20                         httpbin's drip: the head at delay, then one * at a time\n\
         \x20                         over duration (Content-Length: numbytes)\n\
         \x20 /fault/{kind}?delay=d   after d, the failure slow-client reports as {kind}:\n\
         \x20                         closed_before_response, truncated_head, malformed_head,\n\
         \x20                         head_too_large, truncated_body, bad_chunk, body_too_large,\n\
         \x20                         reset (RST), timeout (held until the client gives up)\n\
         \x20 /                       this page\n\
         \x20 OPTIONS on a route      204 with the CORS preflight fields; OPTIONS * 200 with Allow\n\n\
         Delays: in a path 250 or 250ms (milliseconds), 1.5s (seconds); in a query 2 or 0.5\n\
         (seconds), 250ms or 1.5s. {url} may be percent-encoded; escapes stay as written.\n\
         Every answer has Access-Control-Allow-Origin: *; delayed ones Cache-Control: no-store.\n\
         Pipelined requests are answered in order: a shorter delay waits for an earlier, longer one.\n\n\
         Limits in force:\n",
    );
    let secs = |d: Duration| d.as_secs_f64();
    let _ = writeln!(page, "  delay at most          {} ms", config.max_delay_ms);
    let _ = writeln!(page, "  request head           {} bytes", config.max_head);
    let _ = writeln!(
        page,
        "  request body           {MAX_BODY} bytes (discarded; Content-Length or chunked)"
    );
    let _ = writeln!(
        page,
        "  header timeout         {} s",
        secs(config.header_timeout)
    );
    let _ = writeln!(
        page,
        "  body timeout           {} s (the whole body)",
        secs(config.body_timeout)
    );
    if keep_alive {
        let _ = writeln!(
            page,
            "  keep-alive             {} s idle, {} requests per connection",
            secs(config.keep_alive_timeout),
            config.max_requests_per_connection.max(1)
        );
    } else {
        let _ = writeln!(
            page,
            "  keep-alive             off (one request per connection)"
        );
    }
    let _ = writeln!(
        page,
        "  pipelined responses    {PIPELINE_DEPTH} held per connection"
    );
    let _ = writeln!(
        page,
        "  send timeout           {} s",
        secs(config.send_timeout)
    );
    let _ = writeln!(page, "  connections            {max_connections}");
    let _ = writeln!(page, "  body framing           {}", config.framing);
    page
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn index_lists_routes_units_and_the_limits_in_force() {
        let config = ServerConfig {
            max_delay_ms: 1234,
            ..ServerConfig::default()
        };
        let page = Policy::new(&config, 99).index;
        for needle in [
            "/delay/{d}/url/{url}",
            "/status/{code}?delay=d",
            "/drip?numbytes=10&duration=2&delay=2&code=200",
            "/fault/{kind}?delay=d",
            "body_too_large",
            "OPTIONS",
            "no-store",
            "302",
            "1.5s",
            "250ms",
            "1234 ms",
            "5 s idle",
            "body timeout           30 s",
            "1000 requests",
            "99",
        ] {
            assert!(page.contains(needle), "{needle}: {page}");
        }
        let closing = ServerConfig {
            framing: Framing::Close,
            ..ServerConfig::default()
        };
        let policy = Policy::new(&closing, 1);
        assert!(!policy.keep_alive);
        assert!(
            policy.index.contains("keep-alive             off"),
            "{}",
            policy.index
        );
    }
}
