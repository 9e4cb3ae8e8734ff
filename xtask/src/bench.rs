//! `cargo xtask bench`: what the safe layer costs and how far one epoll loop
//! goes, as tables written to `xtask/BENCHMARKS.md` (issue 5).
//!
//! Steps, each printed with its duration:
//!
//! 1. `dispatch`: `cargo bench -p epoll-safe --bench dispatch` (release):
//!    raw libc, epoll-safe, mio and polling side by side, as ratios.
//! 2. `build`: slow-client in release.
//! 3. `end-to-end`: slow-client with its embedded server, `--count 9000
//!    --step-ms 0`, `--count 5000 --step-ms 2` and `--count 9000 --step-ms 1`:
//!    wall and CPU time, peak RSS, lateness, inversions (its `--json` summary).
//!    Then `floor` ([`floor`]): slow-client's CPU and syscalls against the
//!    leanest client that does its work (`epoll-sys/examples/floor_client.rs`).
//! 4. `syscalls`: with strace, syscalls per request of a client whose server
//!    runs in another process, and syscalls per wait of each dispatch
//!    implementation; without strace the report says so.
//! 5. `memory`: client peak RSS at 1 and at 9,000 requests in flight.
//! 6. `profile`: with perf, where the CPU time of the 9,000-request run goes.
//!
//! Then the report is printed and written. Targets are judged by reading
//! the numbers, never by timed assertions; a missed target is reported, not
//! turned into a failure. Not part of `cargo xtask test`.

mod dispatch;
mod e2e;
mod floor;
mod machine;
mod process;
mod profile;
mod report;
mod strace;

use crate::steps::{built_executable, cargo, run_all, secs, workspace_root, Outcome, Step};
use process::{Scratch, Server};
use std::cell::RefCell;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

/// Where the report goes, relative to the workspace root.
pub const REPORT: &str = "xtask/BENCHMARKS.md";

/// A measurement that may be impossible on this machine (no strace, no perf).
#[derive(Debug)]
pub enum Measured<T> {
    /// Measured.
    Done(T),
    /// Not measured, and why.
    Skipped(String),
}

/// Syscalls per request of one client run under `strace -f -c`.
#[derive(Debug)]
pub struct Syscalls {
    /// The traced command, as the report shows it.
    pub command: String,
    /// Requests the run made.
    pub requests: u64,
    /// `(syscall, calls per request)`, most frequent first.
    pub per_request: Vec<(String, f64)>,
    /// All syscalls over all requests.
    pub total_per_request: f64,
    /// The traced run's summary (its timings are strace's, not ours).
    pub summary: e2e::Summary,
}

/// Client memory per in-flight request.
#[derive(Debug)]
pub struct Memory {
    /// One request.
    pub one: e2e::Run,
    /// Many requests in flight at once.
    pub many: e2e::Run,
    /// `(rss(many) - rss(one)) / (many - one)`, in bytes.
    pub bytes_per_request: f64,
}

/// Everything the report is made of.
#[derive(Debug, Default)]
pub struct Results {
    /// The dispatch bench's tables.
    pub dispatch: Option<dispatch::Dispatch>,
    /// Syscalls per wait of each dispatch implementation.
    pub per_wait: Option<Measured<Vec<dispatch::PerWait>>>,
    /// End-to-end runs with the embedded server.
    pub runs: Vec<e2e::Run>,
    /// Syscalls per request.
    pub syscalls: Option<Measured<Syscalls>>,
    /// Memory per in-flight request.
    pub memory: Option<Memory>,
    /// CPU profiles.
    pub profile: Option<Measured<Profiles>>,
}

/// The CPU profiles behind "where the time goes".
#[derive(Debug)]
pub struct Profiles {
    /// slow-client, 9,000 requests all due at once, embedded server.
    pub client: profile::Profile,
    /// The dispatch bench's probe, `(impl, profile)`: raw libc and epoll-safe.
    pub dispatch: Vec<(&'static str, profile::Profile)>,
}

/// Waits per profiled dispatch probe: about 1.5 s of waiting.
const PROFILED_WAITS: &str = "300000";

/// The run the lateness target is judged on, and the one perf profiles.
pub const SPREAD_9000: [&str; 4] = ["--count", "9000", "--step-ms", "1"];
/// 9,000 requests all due at once: throughput.
pub const BURST_9000: [&str; 4] = ["--count", "9000", "--step-ms", "0"];
const SPREAD_5000: [&str; 4] = ["--count", "5000", "--step-ms", "2"];
const TRACED: [&str; 4] = ["--count", "5000", "--step-ms", "0"];

/// Runs every benchmark, prints the report and writes it to [`REPORT`].
///
/// # Errors
///
/// When a step cannot run (a build fails, a run hangs or prints no
/// summary) or the report cannot be written. Missed targets are not errors.
pub fn bench() -> Outcome {
    let started = Instant::now();
    let scratch = Scratch::new()?;
    let results = RefCell::new(Results::default());
    let exe = RefCell::new(PathBuf::new());
    let floor_section = RefCell::new(String::new());
    let steps = vec![
        Step::new("dispatch", || {
            results.borrow_mut().dispatch = Some(dispatch::run()?);
            Ok(())
        }),
        Step::new("build", || {
            *exe.borrow_mut() = build_slow_client()?;
            Ok(())
        }),
        Step::new("end-to-end", || {
            let exe = exe.borrow();
            for (label, args) in [
                ("embedded server, all due at once", BURST_9000),
                ("embedded server", SPREAD_5000),
                ("embedded server", SPREAD_9000),
            ] {
                let run = e2e::client(&exe, label, &args, &scratch, None)?;
                results.borrow_mut().runs.push(run);
            }
            Ok(())
        }),
        Step::new("floor", || {
            *floor_section.borrow_mut() = floor::render(&floor::measure(&exe.borrow(), &scratch)?);
            Ok(())
        }),
        Step::new("syscalls", || {
            let measured = syscalls(&exe.borrow(), &scratch)?;
            let mut r = results.borrow_mut();
            (r.syscalls, r.per_wait) = (Some(measured.0), Some(measured.1));
            Ok(())
        }),
        Step::new("memory", || {
            results.borrow_mut().memory = Some(memory(&exe.borrow(), &scratch)?);
            Ok(())
        }),
        Step::new("profile", || {
            let measured = match profile::unavailable(&scratch) {
                Some(why) => Measured::Skipped(why),
                None => Measured::Done(profiles(&exe.borrow(), &scratch)?),
            };
            results.borrow_mut().profile = Some(measured);
            Ok(())
        }),
    ];
    run_all("bench", steps)?;
    let took = started.elapsed();
    let mut text = report::render(&results.into_inner(), &machine::describe(), took);
    text.push('\n');
    text.push_str(&floor_section.into_inner());
    println!("\n{text}");
    let path = workspace_root().join(REPORT);
    std::fs::write(&path, &text).map_err(|e| format!("writing {}: {e}", path.display()))?;
    println!("==> bench: wrote {REPORT} ({} in all)", secs(took));
    Ok(())
}

/// `cargo build --release -p slow-client`, returning the executable cargo reports.
fn build_slow_client() -> Outcome<PathBuf> {
    let mut cmd = cargo();
    cmd.args([
        "build",
        "--release",
        "-p",
        "slow-client",
        "--bin",
        "slow-client",
    ]);
    built_executable(cmd, "slow-client")
}

/// Profiles slow-client's 9,000-request burst, and the dispatch probes of
/// raw libc and epoll-safe (to show where a wait's time goes, and that the
/// safe layer's own code is not where).
fn profiles(exe: &Path, scratch: &Scratch) -> Outcome<Profiles> {
    let args = [&BURST_9000[..], &["--json"]].concat();
    let client = profile::record(exe, "slow-client", &args, scratch)?;
    let bench = dispatch::executable()?;
    let mut probes = Vec::new();
    for name in ["raw libc", "epoll-safe"] {
        let args = ["--probe", name, PROFILED_WAITS];
        let shown = "dispatch";
        probes.push((name, profile::record(&bench, shown, &args, scratch)?));
    }
    Ok(Profiles {
        client,
        dispatch: probes,
    })
}

/// Syscalls per request (client only: the server runs in its own process,
/// untraced) and per dispatch wait, or why they could not be counted.
fn syscalls(
    exe: &Path,
    scratch: &Scratch,
) -> Outcome<(Measured<Syscalls>, Measured<Vec<dispatch::PerWait>>)> {
    let Some(strace_bin) = strace::find() else {
        let why = "strace is not on PATH, so syscalls were not counted".to_string();
        return Ok((Measured::Skipped(why.clone()), Measured::Skipped(why)));
    };
    let server = Server::start(exe, scratch)?;
    let file = scratch.path("client.strace");
    let mut cmd = Command::new(&strace_bin);
    cmd.args(["-f", "-c", "-o"]).arg(&file).arg(exe);
    cmd.args(["--server", server.addr()])
        .args(TRACED)
        .arg("--json");
    let summary = e2e::summary_of(cmd, scratch, "strace")?;
    server.stop();
    let text = std::fs::read_to_string(&file).map_err(|e| format!("reading strace output: {e}"))?;
    let table = strace::parse(&text)?;
    let requests = summary.requested as u64;
    let per_wait = dispatch::syscalls_per_wait(&strace_bin, scratch)?;
    let measured = Syscalls {
        command: format!(
            "strace -f -c -o FILE slow-client --server IP:PORT {} --json",
            TRACED.join(" ")
        ),
        requests,
        per_request: table.per_unit(&strace::Table::default(), requests),
        total_per_request: table.total as f64 / requests as f64,
        summary,
    };
    Ok((Measured::Done(measured), Measured::Done(per_wait)))
}

/// Client peak RSS at one request and at 9,000 in flight at once (step 1 ms:
/// the last answer is due 9 s after the first request, long after the last
/// connection is made), against a server in its own process so that only
/// the client's memory is counted.
fn memory(exe: &Path, scratch: &Scratch) -> Outcome<Memory> {
    let server = Server::start(exe, scratch)?;
    let label = "separate server";
    let one = ["--server", server.addr(), "--count", "1"];
    let one = e2e::client(exe, label, &one, scratch, Some(&server))?;
    let many = [&["--server", server.addr()][..], &SPREAD_9000[..]].concat();
    let many = e2e::client(exe, label, &many, scratch, Some(&server))?;
    server.stop();
    let extra = many.summary.requested - one.summary.requested;
    let bytes = (many.summary.max_rss_kib - one.summary.max_rss_kib) * 1024.0 / extra;
    Ok(Memory {
        one,
        many,
        bytes_per_request: bytes,
    })
}
