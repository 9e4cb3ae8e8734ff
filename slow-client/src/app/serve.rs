//! `slow-client serve`: the delay server alone, until SIGINT (at once) or SIGTERM
//! (after the responses in flight).

use super::Exit;
use crate::cli::ServeArgs;
use crate::os;
use crate::server::{Server, ServerConfig, Stop};
use anyhow::Context;
use epoll_safe::Signals;
use std::io::Write;

/// Runs the delay server until SIGINT or SIGTERM, then prints its counters to stderr.
pub fn serve(args: ServeArgs) -> Exit {
    match serve_inner(args) {
        Ok(()) => Exit::Success,
        Err(err) => {
            eprintln!("slow-client serve: error: {err:#}");
            Exit::Setup
        }
    }
}

fn serve_inner(args: ServeArgs) -> anyhow::Result<()> {
    let signals = Signals::new(&[libc::SIGINT, libc::SIGTERM]).context("creating the signal fd")?;
    if let Err(e) = os::raise_fd_limit() {
        eprintln!("slow-client serve: warning: cannot raise the open-file limit: {e}");
    }
    let config = ServerConfig {
        listen: args.listen,
        framing: args.framing,
        max_delay_ms: args.max_delay_ms,
        header_timeout: args.header_timeout,
        keep_alive_timeout: args.keep_alive_timeout,
        max_requests_per_connection: args.max_requests_per_connection,
        send_timeout: args.send_timeout,
        access_log: args.access_log,
        max_connections: args.max_connections,
        allow_public: args.allow_public,
        ..ServerConfig::default()
    };
    let server = Server::bind(config)?;
    {
        let mut out = std::io::stdout().lock();
        for addr in server.local_addrs() {
            writeln!(out, "listening on {addr}")?;
        }
        out.flush()?;
    }
    let stats = server.run_until_with(&signals, || match signals.read() {
        Ok(Some(info)) if info.signal() == libc::SIGTERM => Some(Stop::Drain),
        Ok(Some(_)) | Err(_) => Some(Stop::Now),
        Ok(None) => None,
    })?;
    eprintln!(
        "stopped: {} connections, {} requests: {} answered, {} rejected, {} dropped",
        stats.accepted, stats.requests, stats.answered, stats.rejected, stats.dropped
    );
    Ok(())
}
