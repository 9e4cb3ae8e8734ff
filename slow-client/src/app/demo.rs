//! The demo run: embedded server (or `--server`), N requests, one report line each.

use super::Exit;
use crate::cli::RunArgs;
use crate::client::{self, ClientConfig, RunEnd, Target};
use crate::http::ResponseLimits;
use crate::os;
use crate::plan;
use crate::plot;
use crate::progress::{self, ProgressLine};
use crate::report::{Format, Reporter};
use crate::schema::round_ms;
use crate::server::FD_RESERVE;
use crate::server::{Server, ServerConfig, ServerHandle};
use anyhow::{anyhow, bail, Context};
use epoll_safe::Signals;
use std::fs::File;
use std::io::{self, BufWriter, IsTerminal, Write};
use std::net::{Ipv4Addr, SocketAddr, ToSocketAddrs};
use std::path::Path;
use std::time::{Duration, Instant};

/// Requests per listening port of the embedded server. One client has about
/// 28,000 ephemeral ports towards one address, and `connect` slows down long
/// before they run out (the figures are in `xtask/BENCHMARKS.md`, "Reading
/// the evidence").
const REQUESTS_PER_PORT: u32 = 8_192;

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
    let embedded = args.servers.is_empty();
    let ports = args
        .ports
        .map(u32::from)
        .unwrap_or_else(|| args.count.div_ceil(REQUESTS_PER_PORT));
    check_fd_budget(args.count, embedded, ports)?;
    // Fail before the run, not after it, when the picture cannot be written.
    let plot = match &args.plot {
        Some(path) => Some((path.clone(), create_plot_file(path)?)),
        None => None,
    };

    let max_delay = plan::delay_ms(args.count, 1, args.step_ms);
    let (targets, server) = if embedded {
        let (targets, handle) = start_embedded(&args, ports, max_delay)?;
        (targets, Some(handle))
    } else {
        (resolve(&args.servers)?, None)
    };

    let show = progress::mode(args.show_progress(), io::stderr().is_terminal(), args.count);
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
    let usage = os::usage().ok();
    let records = reporter.take_records();
    let interrupted = end == RunEnd::Interrupted;
    let summary = reporter.finish(wall, interrupted, usage)?;
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
        if let Err(e) = write_plot(file, &[run]) {
            eprintln!(
                "slow-client: error: writing the picture to {}: {e}",
                path.display()
            );
            return Ok(Exit::Setup);
        }
    }
    if let Some(server) = server {
        if let Err(e) = server.stop() {
            eprintln!("slow-client: warning: stopping the embedded server: {e}");
        }
    }
    Ok(match end {
        RunEnd::Interrupted => Exit::Interrupted,
        _ if summary.failed == 0 => Exit::Success,
        _ => Exit::SomeFailed,
    })
}

/// Creates (truncates) the `--plot` file before the run.
fn create_plot_file(path: &Path) -> anyhow::Result<File> {
    File::create(path).with_context(|| format!("cannot create --plot file {}", path.display()))
}

/// Writes the picture of `runs` to `file`.
pub(super) fn write_plot(file: File, runs: &[plot::Run]) -> io::Result<()> {
    let mut out = BufWriter::new(file);
    out.write_all(plot::svg(runs).as_bytes())?;
    out.flush()
}

/// Raises the fd limit and refuses, before any socket exists, a run that could
/// not fit; then sizes the fd table for the run.
fn check_fd_budget(count: u32, embedded: bool, ports: u32) -> anyhow::Result<()> {
    let limit = os::raise_fd_limit().context("reading the open-file limit")?;
    let per_request: u64 = if embedded { 2 } else { 1 };
    let needed = u64::from(count) * per_request + u64::from(ports) + FD_RESERVE as u64;
    if needed > limit.soft {
        bail!(
            "{count} requests need about {needed} file descriptors ({per_request} per request{}, \
             plus {FD_RESERVE} spare), but the open-file limit is {} (hard limit {}). \
             Raise it (e.g. `ulimit -n {needed}` as a user allowed to), lower --count, \
             or run `slow-client serve` in another process and pass --server to halve the need.",
            if embedded {
                ": both ends live in this process"
            } else {
                ""
            },
            limit.soft,
            limit.hard,
        );
    }
    // Before the embedded server's thread exists: growing the table later,
    // in a two-thread process, stalls the run; see `os::grow_fd_table`.
    if let Err(e) = os::grow_fd_table(needed) {
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
fn resolve(servers: &[String]) -> anyhow::Result<Vec<Target>> {
    servers
        .iter()
        .map(|server| {
            let addr = server
                .to_socket_addrs()
                .with_context(|| {
                    format!("cannot resolve --server {server:?} (expected HOST:PORT)")
                })?
                .next()
                .ok_or_else(|| anyhow!("--server {server:?} resolved to no address"))?;
            Ok(Target {
                addr,
                host: server.clone(),
            })
        })
        .collect()
}
