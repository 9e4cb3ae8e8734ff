//! The demo run: embedded server (or `--server`), N requests, one report line each.

use super::plot_file::PlotFile;
use super::Exit;
use crate::cli::RunArgs;
use crate::server_arg::ServerArg;
use anyhow::{anyhow, bail, Context};
use epoll_safe::Signals;
use slow_client::budget::{self, Answerer, REQUESTS_PER_PORT};
use slow_client::client::{self, ClientConfig, RunEnd, Target};
use slow_client::http::ResponseLimits;
use slow_client::plan;
use slow_client::plot;
use slow_client::progress::{self, ProgressLine};
use slow_client::report::{self, Format, Reporter};
use slow_client::schema::round_ms;
use slow_client::server::{Server, ServerConfig, ServerHandle};
use std::io::{self, IsTerminal};
use std::net::{Ipv4Addr, SocketAddr, ToSocketAddrs};
use std::time::{Duration, Instant};

/// Runs the demo and says how the program should exit.
///
/// Setup problems (cannot bind, cannot resolve, fd limit too low) are printed
/// to stderr and end as [`Exit::Setup`] before any request is sent.
pub fn demo(args: RunArgs) -> Exit {
    match demo_inner(args) {
        Ok(exit) => exit,
        Err(Setup(err)) => {
            eprintln!("slow-client: error: {err:#}");
            Exit::Setup
        }
    }
}

/// An error before the run started.
struct Setup(anyhow::Error);

impl<E: Into<anyhow::Error>> From<E> for Setup {
    fn from(err: E) -> Self {
        Setup(err.into())
    }
}

fn demo_inner(args: RunArgs) -> Result<Exit, Setup> {
    // Block SIGINT/SIGTERM before any thread starts, so every thread inherits
    // the mask and the signals arrive only through this fd, in the event loop.
    let signals = Signals::new(&[libc::SIGINT, libc::SIGTERM]).context("creating the signal fd")?;
    check_values(&args)?;
    let embedded = args.servers.is_empty();
    let answerer = if embedded {
        Answerer::Embedded {
            ports: args.ports.map(u32::from),
        }
    } else {
        Answerer::Separate
    };
    let ports = answerer.ports(args.count);
    check_fd_budget(args.count, answerer)?;
    // Fail before the run, not after it, when the picture cannot be written.
    let plot = match &args.plot {
        Some(path) => Some((
            path.clone(),
            PlotFile::create(path)
                .with_context(|| format!("cannot create --plot file {}", path.display()))?,
        )),
        None => None,
    };

    let max_delay = plan::delay_ms(args.count, 1, args.step_ms);
    let (targets, server) = if embedded {
        let (targets, handle) = start_embedded(&args, ports, max_delay)?;
        (targets, Some(handle))
    } else {
        (resolve(&args.servers)?, None)
    };

    warn_crowded_addresses(&args, &targets);
    let show = progress::mode(
        args.show_progress(),
        io::stderr().is_terminal(),
        args.count,
        Duration::from_millis(max_delay),
    );
    let config = ClientConfig {
        targets,
        count: args.count,
        step_ms: args.step_ms,
        path: args.path,
        timeout: args
            .timeout
            .unwrap_or(Duration::from_millis(max_delay).saturating_add(Duration::from_secs(30))),
        limits: ResponseLimits {
            max_body: args.max_body,
            ..ResponseLimits::default()
        },
        max_connecting: args.max_connecting as usize,
        trace_events: args.trace_events,
    };
    let format = if args.json {
        Format::Json
    } else {
        Format::Human
    };
    let argv: Vec<String> = std::env::args().collect();
    let stdout = io::stdout();
    let started = Instant::now();
    let line = ProgressLine::new(show, started, Duration::from_millis(max_delay));
    let mut reporter = Reporter::new(stdout.lock(), format, config.count, started)
        .with_argv(argv.clone())
        .with_progress(line);
    if plot.is_some() {
        reporter = reporter.with_records();
    }
    if is_regular_file(&stdout) {
        reporter = reporter.with_file_output();
    }
    if args.trace_events {
        reporter = reporter.with_trace(Box::new(io::stderr()));
    }
    let end = match client::run(&config, Some(&signals), &mut reporter) {
        Ok(end) => end,
        Err(e) => {
            // The loop itself broke (not a request): say so, but it is not a
            // usage error. Dropping the reporter first prints what was
            // reported and clears the progress line.
            drop(reporter);
            eprintln!("slow-client: error: event loop failed: {e}");
            return Ok(Exit::SomeFailed);
        }
    };
    let wall = started.elapsed();
    let usage = report::usage().ok();
    let records = reporter.take_records();
    let interrupted = matches!(end, RunEnd::Interrupted { .. });
    let verdict = reporter.finish(wall, interrupted, usage)?;
    if let Some((path, file)) = plot {
        let run = plot::Run {
            label: "this run".to_owned(),
            argv,
            totals: Some(plot::RunTotals {
                requested: config.count,
                wall_ms: Some(round_ms(wall.as_secs_f64() * 1000.0)),
                interrupted,
            }),
            records,
        };
        if let Err(e) = file.commit(&[run]) {
            eprintln!(
                "slow-client: error: writing the picture to {}: {e}",
                path.display()
            );
            return Ok(Exit::Setup);
        }
        eprintln!("wrote {}", path.display());
    }
    if let Some(server) = server {
        if let Err(e) = server.stop() {
            eprintln!("slow-client: warning: stopping the embedded server: {e}");
        }
    }
    Ok(match end {
        RunEnd::Interrupted { signal } => Exit::Signal(signal),
        _ if verdict.demonstrated() => Exit::Success,
        _ => Exit::SomeFailed,
    })
}

/// Refuses values that cannot be meant (before the fd budget, before any
/// socket), and warns about a path that does not tell the server the delay.
fn check_values(args: &RunArgs) -> anyhow::Result<()> {
    if args.timeout == Some(Duration::ZERO) {
        bail!(
            "--timeout 0 would end every request before it starts: give a number of \
             seconds above 0, or leave it out for the largest delay + 30 s"
        );
    }
    plan::check_delays(args.count, args.step_ms).map_err(|e| anyhow!(e))?;
    if !args.path.names_delay() {
        eprintln!(
            "slow-client: warning: --path {:?} has neither {{ms}} nor {{s}}: the server is \
             not told any delay, so its answers will not wait for one (they are counted as \
             early)",
            args.path.as_str()
        );
    }
    Ok(())
}

/// Warns before a run that crowds one address ([`budget::crowded`]) and
/// says how to spread it.
fn warn_crowded_addresses(args: &RunArgs, targets: &[Target]) {
    let addrs: Vec<SocketAddr> = targets.iter().map(|t| t.addr).collect();
    let Some(c) = budget::crowded(args.count, args.step_ms, &addrs) else {
        return;
    };
    let how = if args.servers.is_empty() {
        format!(
            "pass --ports {} (or leave --ports out: one port per {REQUESTS_PER_PORT} requests)",
            c.spread_over
        )
    } else {
        format!(
            "start {} servers (`slow-client serve --listen 127.0.0.1:PORT`, one port each) \
             and pass each with its own --server",
            c.spread_over
        )
    };
    eprintln!(
        "slow-client: warning: {} connections to {} at once: beyond about \
         {REQUESTS_PER_PORT} to one address, connecting slows down and stalls the writer, \
         which inverts the answers' order; spread the run over {} addresses: {how}",
        c.requests, c.addr, c.spread_over
    );
}

/// Raises the fd limit and refuses, before any socket exists, a run that could
/// not fit; then sizes the fd table for the run.
fn check_fd_budget(count: u32, answerer: Answerer) -> anyhow::Result<()> {
    let limit = budget::raise_fd_limit().context("reading the open-file limit")?;
    if let Some(refusal) = budget::refusal(count, answerer, limit) {
        bail!(refusal);
    }
    let needed = answerer.needed(count);
    // Before the embedded server's thread exists: growing the table later,
    // in a two-thread process, stalls the run; see `budget::grow_fd_table`.
    if let Err(e) = budget::grow_fd_table(needed) {
        eprintln!("slow-client: note: could not pre-size the fd table: {e}");
    }
    Ok(())
}

fn start_embedded(
    args: &RunArgs,
    ports: u32,
    max_delay: u64,
) -> anyhow::Result<(Vec<Target>, ServerHandle)> {
    let config = ServerConfig {
        listen: (0..ports)
            .map(|_| SocketAddr::from((Ipv4Addr::LOCALHOST, 0)))
            .collect(),
        framing: args.framing,
        max_delay_ms: max_delay.max(ServerConfig::default().max_delay_ms),
        max_connections: Some(args.count as usize + 16),
        // The client connects its burst before writing: handshakes held for their
        // requests would overflow the SYN queue (see `ServerConfig::defer_accept`).
        defer_accept: false,
        ..ServerConfig::default()
    };
    let server = Server::bind(config).context("starting the embedded delay server")?;
    let handle = server
        .spawn()
        .context("starting the embedded delay server")?;
    let targets: Vec<Target> = handle
        .local_addrs()
        .iter()
        .map(|&addr| Target {
            addr,
            host: addr.to_string(),
        })
        .collect();
    let shown: Vec<String> = targets.iter().map(|t| t.host.clone()).collect();
    eprintln!("embedded delay server listening on {}", shown.join(", "));
    Ok((targets, handle))
}

/// Resolves each `HOST:PORT`; the `Host` header keeps the name as given.
/// A failure quotes the argument as the user typed it.
fn resolve(servers: &[ServerArg]) -> anyhow::Result<Vec<Target>> {
    servers
        .iter()
        .map(|server| {
            let typed = &server.typed;
            let addr = server
                .host_port
                .to_socket_addrs()
                .with_context(|| format!("cannot resolve --server {typed:?}"))?
                .next()
                .ok_or_else(|| anyhow!("--server {typed:?} resolved to no address"))?;
            Ok(Target {
                addr,
                host: server.host_port.clone(),
            })
        })
        .collect()
}

/// Whether standard output is a regular file (`> out.jsonl`), where the
/// report writes in blocks; a terminal, a pipe or a device gets its lines
/// every loop turn. Unknown (the descriptor cannot be examined) counts as not.
fn is_regular_file(stdout: &io::Stdout) -> bool {
    use std::os::fd::AsFd;
    stdout
        .as_fd()
        .try_clone_to_owned()
        .map(std::fs::File::from)
        .and_then(|file| file.metadata())
        .is_ok_and(|meta| meta.file_type().is_file())
}
