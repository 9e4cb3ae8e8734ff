//! The command line: `slow-client [OPTIONS]` runs the demo, `slow-client serve` the server alone.

use crate::plan::{PathTemplate, DEFAULT_PATH};
use crate::progress::Show;
use crate::server::Framing;
use clap::{Args, Parser, Subcommand};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

/// Descending-delay HTTP requests over one epoll loop: the "epoll express" demo.
///
/// With no options it starts its own delay server on 127.0.0.1, sends 5
/// requests asking for delays of 4000, 3000, 2000, 1000 and 0 ms, and prints
/// the answers as they arrive: 5, 4, 3, 2, 1.
///
/// Lateness and order (the summary's in_order, inversions and lateness
/// percentiles) are computed over successful responses only (status below
/// 400): a fast 404 did not honour its delay.
///
/// Exit status: 0 when every request got a complete response with status < 400,
/// 1 when any did not, 2 for usage or setup errors, 130 when interrupted.
#[derive(Debug, Parser)]
#[command(name = "slow-client", version, args_conflicts_with_subcommands = true)]
pub struct Cli {
    /// Run something other than the demo.
    #[command(subcommand)]
    pub command: Option<Command>,
    /// Options of the demo run.
    #[command(flatten)]
    pub run: RunArgs,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the delay server alone (a local stand-in for the slowwly service).
    ///
    /// `GET /delay/{d}` answers 200 after the delay d: milliseconds (`250`,
    /// `250ms`) or seconds (`1.5s`). `GET /delay/{d}/url/{url}` answers
    /// `302 Found` to {url} after d, as slowwly did (`POST`: 307);
    /// `/delay/url/{url}` waits 1000 ms. `GET /` lists the routes and limits.
    ///
    /// Connections are kept alive (HTTP/1.1 unless `Connection: close`).
    /// Pipelined requests are answered in request order, each delayed from its
    /// own arrival: a later, shorter delay waits for the earlier response.
    ///
    /// Prints `listening on IP:PORT` first. Ctrl-C (SIGINT) stops at once;
    /// SIGTERM finishes the responses in flight (at most 10 s) first, and a
    /// second signal stops at once. Prints what it served on stderr at the end.
    Serve(ServeArgs),
    /// Draw saved `--json` runs as one SVG picture (several are overlaid).
    ///
    /// Each file is the `--json` output of a run (from this machine or
    /// another server); a run cut short is drawn as far as it goes. Older
    /// files without `sent_ms` are drawn as far as they can be, with a note.
    /// A malformed line is an error naming FILE:LINE (exit 2).
    Plot(PlotArgs),
}

/// Options of `slow-client plot`.
#[derive(Debug, Args)]
pub struct PlotArgs {
    /// The runs' `--json` output files.
    #[arg(value_name = "RUN.jsonl", required = true)]
    pub runs: Vec<PathBuf>,
    /// Where to write the SVG picture.
    #[arg(short = 'o', long = "output", value_name = "FILE.svg")]
    pub output: PathBuf,
}

/// Options of the demo run.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// How many requests; request i (1..=N) asks for a delay of (N-i)*step.
    #[arg(long, value_name = "N", default_value_t = 5,
          value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
    pub count: u32,
    /// Delay step in milliseconds.
    #[arg(long, value_name = "MS", default_value_t = 1000)]
    pub step_ms: u64,
    /// Request path; {ms} is the delay in ms, {s} in seconds (e.g. 0.25), {id} the request id.
    #[arg(long, value_name = "TEMPLATE", default_value = DEFAULT_PATH,
          value_parser = PathTemplate::parse)]
    pub path: PathTemplate,
    /// Use a real server instead of the embedded one (repeat to spread requests over several).
    ///
    /// HOST:PORT, or a URL as a browser shows it (http://HOST:PORT/, port 80 when
    /// omitted); https:// is refused (no TLS).
    #[arg(long = "server", value_name = "HOST:PORT", value_parser = parse_server_arg)]
    pub servers: Vec<crate::server_arg::ServerArg>,
    /// Overall deadline in seconds [default: the largest delay + 30 s].
    #[arg(long, value_name = "SECS", value_parser = parse_secs)]
    pub timeout: Option<Duration>,
    /// Print JSON lines (one per request, then a summary) instead of text.
    ///
    /// The format is documented in the README ("JSON lines") and in the
    /// crate's `schema` module; the summary's `schema` member is its version.
    #[arg(long)]
    pub json: bool,
    /// After the run, draw it as an SVG picture in FILE (every request's write
    /// and answer on one time axis, and the lateness distribution).
    #[arg(long, value_name = "FILE.svg")]
    pub plot: Option<PathBuf>,
    /// Show a live progress line on stderr even when it is not a terminal
    /// (then as a plain line at most once a second). By default it is shown on
    /// a terminal for runs of 100 requests or more.
    #[arg(long, conflicts_with = "no_progress")]
    pub progress: bool,
    /// Never show the progress line.
    #[arg(long)]
    pub no_progress: bool,
    /// Largest response body accepted, in bytes.
    #[arg(long, value_name = "BYTES", default_value_t = 16 * 1024 * 1024)]
    pub max_body: u64,
    /// Body framing of the embedded server's responses.
    #[arg(long, value_name = "length|chunked|close", default_value_t = Framing::Length)]
    pub framing: Framing,
    /// Ports the embedded server listens on [default: one per 8,192 requests].
    ///
    /// One client can hold only about 28,000 connections to one address (the
    /// ephemeral port range), and connecting slows down well before that;
    /// more ports lift both. (With --server, pass several addresses.)
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..=64))]
    pub ports: Option<u16>,
    /// At most this many connects in flight at once, so bursts never overflow the accept queue.
    #[arg(long, value_name = "N", default_value_t = 512,
          value_parser = clap::value_parser!(u32).range(1..))]
    pub max_connecting: u32,
}

/// Options of `slow-client serve`.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on (repeat for several); port 0 picks a free port.
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:8080")]
    pub listen: Vec<SocketAddr>,
    /// Body framing of responses (`close` ends every body at the close, so it
    /// turns keep-alive off).
    #[arg(long, value_name = "length|chunked|close", default_value_t = Framing::Length)]
    pub framing: Framing,
    /// Largest delay a request may ask for; more is answered 400.
    #[arg(long, value_name = "MS", default_value_t = 60_000)]
    pub max_delay_ms: u64,
    /// Seconds a client has to send a whole request head (then 408), from
    /// accept for the first request and from its first byte for later ones.
    #[arg(long, value_name = "SECS", default_value = "10", value_parser = parse_secs)]
    pub header_timeout: Duration,
    /// Seconds a client has to send a whole request body, which is read only
    /// to be discarded, from its head (then the connection closes): a total
    /// time that a trickle cannot reset.
    #[arg(long, value_name = "SECS", default_value = "30", value_parser = parse_secs)]
    pub body_timeout: Duration,
    /// Seconds an idle connection is kept between requests (then closed
    /// silently); 0 turns keep-alive off.
    #[arg(long, value_name = "SECS", default_value = "5", value_parser = parse_secs)]
    pub keep_alive_timeout: Duration,
    /// Requests served on one connection; the last response says
    /// `Connection: close`.
    #[arg(long, value_name = "N", default_value_t = 1000,
          value_parser = clap::value_parser!(u32).range(1..))]
    pub max_requests_per_connection: u32,
    /// Seconds a due response waits for a client that reads nothing before the
    /// connection is closed.
    #[arg(long, value_name = "SECS", default_value = "10", value_parser = parse_secs)]
    pub send_timeout: Duration,
    /// Print one line per response on stderr: time, peer, request line,
    /// status, asked delay, lateness.
    #[arg(long)]
    pub access_log: bool,
    /// Connections served at once; more get 503 [default: the fd limit minus 64].
    #[arg(long, value_name = "N")]
    pub max_connections: Option<usize>,
    /// Event loops, each on its own thread with its own listening socket on
    /// the same address (SO_REUSEPORT): the kernel spreads connections over
    /// them, and the connection cap is shared out among them. More than one
    /// helps only with cores to spare beyond the clients' (measured on two
    /// cores shared with the load tool, two loops were slower than one).
    #[arg(long, value_name = "N", default_value_t = 1,
          value_parser = clap::value_parser!(u8).range(1..=64))]
    pub threads: u8,
    /// Allow listening beyond loopback. Off by default: this server holds
    /// connections open on request, so anyone who can reach it can tie up
    /// its file descriptors.
    #[arg(long)]
    pub allow_public: bool,
}

impl RunArgs {
    /// What `--progress` / `--no-progress` ask for.
    pub fn show_progress(&self) -> Show {
        match (self.progress, self.no_progress) {
            (true, _) => Show::Always,
            (_, true) => Show::Never,
            _ => Show::Auto,
        }
    }
}

/// Parses a `--server` value (see [`crate::server_arg::parse_server`]).
///
/// # Errors
/// The message of the [`crate::server_arg::ServerArgError`].
pub fn parse_server_arg(s: &str) -> Result<crate::server_arg::ServerArg, String> {
    crate::server_arg::ServerArg::parse(s).map_err(|e| e.to_string())
}

/// Parses seconds, fractional allowed (`0.5`, `30`).
///
/// # Errors
/// Not a finite, non-negative number of seconds.
pub fn parse_secs(s: &str) -> Result<Duration, String> {
    let secs: f64 = s
        .parse()
        .map_err(|_| format!("{s:?} is not a number of seconds"))?;
    Duration::try_from_secs_f64(secs)
        .map_err(|_| format!("{s:?} is not a usable number of seconds"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn seconds_accept_fractions_and_reject_nonsense() {
        assert_eq!(parse_secs("0.5"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_secs("30"), Ok(Duration::from_secs(30)));
        assert!(parse_secs("-1").is_err());
        assert!(parse_secs("soon").is_err());
        assert!(parse_secs("inf").is_err());
    }

    #[test]
    fn no_arguments_means_the_books_demo() {
        let cli = Cli::try_parse_from(["slow-client"]).unwrap();
        assert!(cli.command.is_none());
        assert_eq!((cli.run.count, cli.run.step_ms), (5, 1000));
        assert_eq!(cli.run.path, PathTemplate::default());
    }

    #[test]
    fn server_accepts_a_pasted_url_and_refuses_https() {
        let cli =
            Cli::try_parse_from(["slow-client", "--server", "http://127.0.0.1:8080/"]).unwrap();
        assert_eq!(cli.run.servers[0].host_port, "127.0.0.1:8080");
        assert_eq!(cli.run.servers[0].typed, "http://127.0.0.1:8080/");
        let err =
            Cli::try_parse_from(["slow-client", "--server", "https://127.0.0.1:8443"]).unwrap_err();
        assert_eq!(err.exit_code(), 2);
        assert!(err.to_string().contains("TLS is not supported"), "{err}");
    }

    #[test]
    fn progress_flags_choose_the_show_mode_and_conflict() {
        let show = |args: &[&str]| {
            let argv = std::iter::once("slow-client").chain(args.iter().copied());
            Cli::try_parse_from(argv).map(|c| c.run.show_progress())
        };
        assert_eq!(show(&[]).unwrap(), Show::Auto);
        assert_eq!(show(&["--progress"]).unwrap(), Show::Always);
        assert_eq!(show(&["--no-progress"]).unwrap(), Show::Never);
        assert!(show(&["--progress", "--no-progress"]).is_err());
    }

    #[test]
    fn plot_subcommand_takes_runs_and_an_output() {
        let cli = Cli::try_parse_from(["slow-client", "plot", "a.jsonl", "b.jsonl", "-o", "x.svg"])
            .unwrap();
        let Some(Command::Plot(p)) = cli.command else {
            panic!("not the plot command");
        };
        assert_eq!(p.runs.len(), 2);
        assert_eq!(p.output, PathBuf::from("x.svg"));
        assert!(Cli::try_parse_from(["slow-client", "plot", "-o", "x.svg"]).is_err());
    }

    #[test]
    fn zero_count_is_a_usage_error() {
        let err = Cli::try_parse_from(["slow-client", "--count", "0"]).unwrap_err();
        assert_eq!(err.exit_code(), 2);
    }
}
