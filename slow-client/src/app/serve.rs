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
        body_timeout: args.body_timeout,
        keep_alive_timeout: args.keep_alive_timeout,
        max_requests_per_connection: args.max_requests_per_connection,
        send_timeout: args.send_timeout,
        access_log: args.access_log,
        max_connections: args.max_connections,
        allow_public: args.allow_public,
        reuse_port: args.threads > 1,
        ..ServerConfig::default()
    };
    let threads = usize::from(args.threads);
    // The connection cap is for the whole process: each loop gets its share.
    let config = ServerConfig {
        max_connections: Some((config.effective_max_connections() / threads).max(1)),
        ..config
    };
    let server = Server::bind(config.clone())?;
    // The other loops listen on the ports the first one got (port 0 resolved).
    let others = ServerConfig {
        listen: server.local_addrs().to_vec(),
        ..config
    };
    let mut handles = Vec::with_capacity(threads - 1);
    for _ in 1..threads {
        handles.push(Server::bind(others.clone())?.spawn()?);
    }
    {
        let mut out = std::io::stdout().lock();
        for addr in server.local_addrs() {
            writeln!(out, "listening on {addr}")?;
        }
        out.flush()?;
    }
    // The last stop asked for: SIGTERM drains, SIGINT or a second signal stops now.
    let mut last: Option<Stop> = None;
    let mut stats = server.run_until_with(&signals, || {
        let stop = match signals.read() {
            Ok(Some(info)) if info.signal() == libc::SIGTERM && last.is_none() => Stop::Drain,
            Ok(Some(_)) | Err(_) => Stop::Now,
            Ok(None) => return None,
        };
        if stop == Stop::Drain {
            for handle in &handles {
                if let Err(e) = handle.drain() {
                    eprintln!("slow-client serve: warning: {e:#}");
                }
            }
        }
        last = Some(stop);
        Some(stop)
    })?;
    for handle in handles {
        // Draining, the other loops end on their own (at most 10 s); otherwise now.
        stats += if last == Some(Stop::Drain) {
            handle.wait()?
        } else {
            handle.stop()?
        };
    }
    eprintln!(
        "stopped: {} connections, {} requests: {} answered, {} rejected, {} dropped",
        stats.accepted, stats.requests, stats.answered, stats.rejected, stats.dropped
    );
    Ok(())
}
