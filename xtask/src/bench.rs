//! `cargo xtask bench [SECTION...]`: what the safe layer costs and how far
//! one epoll loop goes, as tables written to `xtask/BENCHMARKS.md`.
//!
//! The bench is a list of sections ([`SECTIONS`]), each one step printed with
//! its duration; `slow-client` is built in release first when a chosen
//! section needs it. With no arguments every section runs and the report is
//! printed and written; with some, only those run and the report is printed,
//! not written (a partial report would replace the full one).
//!
//! Targets are judged by reading the numbers, never by timed assertions; a
//! missed target is reported, not turned into a failure. Not part of
//! `cargo xtask test`.
//!
//! To add a section: write it in its own module (a function taking
//! [`&mut Bench`](Bench) that stores its results, and renders them with
//! [`Bench::add_markdown`] unless the report knows them), then add one line
//! to [`SECTIONS`].

mod dispatch;
mod drip;
mod e2e;
mod floor;
mod machine;
mod order;
mod process;
mod profile;
mod progress;
mod report;
mod serve;
mod strace;

use crate::steps::{built_executable, cargo, secs, workspace_root, Outcome, Task};
use process::{Scratch, Server};
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
    /// Repeated runs at 1 ms steps: the order on a noisy machine.
    pub order: Vec<order::Series>,
    /// Syscalls per request.
    pub syscalls: Option<Measured<Syscalls>>,
    /// Memory per in-flight request.
    pub memory: Option<Memory>,
    /// CPU profiles.
    pub profile: Option<Measured<Profiles>>,
    /// Sections the report does not know, rendered by themselves:
    /// `(heading, markdown)`, in the order they ran.
    pub sections: Vec<(&'static str, String)>,
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

/// One section of the bench: a name to choose it by and its work.
#[derive(Debug)]
pub struct Section {
    /// The name on the command line, e.g. `e2e`.
    pub name: &'static str,
    /// One line for `cargo xtask help`.
    pub about: &'static str,
    /// Whether it runs the release build of slow-client ([`Bench::slow_client`]).
    pub needs_slow_client: bool,
    /// The work: measures and stores its results in [`Bench::results`].
    pub run: fn(&mut Bench) -> Outcome,
}

/// Every section, in the order a full run takes them.
pub const SECTIONS: &[Section] = &[
    Section {
        name: "dispatch",
        about: "epoll-safe vs raw libc, mio and polling (cargo bench, release)",
        needs_slow_client: false,
        run: |b| {
            b.results.dispatch = Some(dispatch::run()?);
            Ok(())
        },
    },
    Section {
        name: "e2e",
        about: "slow-client end to end: 9000 x 0 ms, 5000 x 2 ms, 9000 x 1 ms; \
                then 10 runs each of 9000 x 1 ms and 19000 x 1 ms (order, stalls, steal, softirq)",
        needs_slow_client: true,
        run: |b| {
            b.results.runs = end_to_end(b.slow_client(), &b.scratch)?;
            b.results.order = order::measure(b.slow_client(), &b.scratch)?;
            Ok(())
        },
    },
    Section {
        name: "floor",
        about: "slow-client's CPU and syscalls against the leanest client (floor_client)",
        needs_slow_client: true,
        run: |b| {
            let measured = floor::measure(b.slow_client(), &b.scratch)?;
            b.add_markdown(floor::HEADING, floor::render(&measured));
            Ok(())
        },
    },
    Section {
        name: "syscalls",
        about: "syscalls per request and per dispatch wait (strace)",
        needs_slow_client: true,
        run: |b| {
            let (per_request, per_wait) = syscalls(b.slow_client(), &b.scratch)?;
            (b.results.syscalls, b.results.per_wait) = (Some(per_request), Some(per_wait));
            Ok(())
        },
    },
    Section {
        name: "memory",
        about: "client memory per in-flight request",
        needs_slow_client: true,
        run: |b| {
            b.results.memory = Some(memory(b.slow_client(), &b.scratch)?);
            Ok(())
        },
    },
    Section {
        name: "profile",
        about: "where the CPU time goes (perf)",
        needs_slow_client: true,
        run: |b| {
            let measured = match profile::unavailable(&b.scratch) {
                Some(why) => Measured::Skipped(why),
                None => Measured::Done(profiles(b.slow_client(), &b.scratch)?),
            };
            b.results.profile = Some(measured);
            Ok(())
        },
    },
    Section {
        name: "progress",
        about: "the progress line's cost: 9000 x 1 ms with it off, plain, on a terminal",
        needs_slow_client: true,
        run: progress::run,
    },
    Section {
        name: "serve",
        about: "slow-client serve against nginx (echo module) under wrk; syscalls, CPU",
        needs_slow_client: true,
        run: |b| {
            let measured = match serve::unavailable() {
                Some(why) => Measured::Skipped(why),
                None => Measured::Done(serve::run(b.slow_client(), &b.scratch)?),
            };
            let markdown = format!("{}\n{}", serve::render(&measured), serve::READING);
            b.add_markdown(serve::HEADING, markdown);
            Ok(())
        },
    },
    Section {
        name: "drip",
        about: "serve's /drip: 1,000 concurrent drips of 10 bytes over 1 s, every byte's lateness",
        needs_slow_client: true,
        run: |b| {
            let markdown = drip::run(b)?;
            b.add_markdown(drip::HEADING, markdown);
            Ok(())
        },
    },
];

/// What a section works with: scratch space, the release build of
/// slow-client, and the results so far.
#[derive(Debug)]
pub struct Bench {
    /// Temporary files of this run.
    pub scratch: Scratch,
    /// Everything measured so far.
    pub results: Results,
    slow_client: PathBuf,
}

impl Bench {
    /// The release build of slow-client (built before the first section that
    /// declares [`Section::needs_slow_client`]).
    pub fn slow_client(&self) -> &Path {
        &self.slow_client
    }

    /// Adds a section the report does not know, as markdown under `heading`.
    pub fn add_markdown(&mut self, heading: &'static str, markdown: String) {
        self.results.sections.push((heading, markdown));
    }
}

/// The sections `args` names (all of them when it is empty).
///
/// # Errors
///
/// A name that is no section, with the list of those that are.
pub fn choose(args: &[String]) -> Outcome<Vec<&'static Section>> {
    if args.is_empty() {
        return Ok(SECTIONS.iter().collect());
    }
    let known = || {
        let names: Vec<&str> = SECTIONS.iter().map(|s| s.name).collect();
        names.join(", ")
    };
    let mut chosen: Vec<&'static Section> = Vec::new();
    for arg in args {
        let Some(section) = SECTIONS.iter().find(|s| s.name == arg) else {
            return Err(format!(
                "unknown bench section `{arg}`; the sections are: {}",
                known()
            ));
        };
        if !chosen.iter().any(|c| c.name == section.name) {
            chosen.push(section);
        }
    }
    // Always in the registry's order, whatever the order given.
    chosen.sort_by_key(|c| SECTIONS.iter().position(|s| s.name == c.name));
    Ok(chosen)
}

/// Runs the `sections` (see [`choose`]), prints the report, and writes it to
/// [`REPORT`] when every section ran.
///
/// # Errors
///
/// When a step cannot run (a build fails, a run hangs or prints no
/// summary) or the report cannot be written. Missed targets are not errors.
pub fn bench(sections: &[&Section]) -> Outcome {
    let started = Instant::now();
    let needs_build = sections.iter().any(|s| s.needs_slow_client);
    let mut task = Task::new("bench", sections.len() + usize::from(needs_build));
    let slow_client = if needs_build {
        task.step("build", build_slow_client)?
    } else {
        PathBuf::new()
    };
    let mut b = Bench {
        scratch: Scratch::new()?,
        results: Results::default(),
        slow_client,
    };
    for section in sections {
        task.step(section.name, || (section.run)(&mut b))?;
    }
    task.passed();
    let took = started.elapsed();
    let text = report::render(&b.results, &machine::describe(), took);
    println!("\n{text}");
    if sections.len() < SECTIONS.len() {
        println!("==> bench: {REPORT} not written: only some sections ran");
        return Ok(());
    }
    let path = workspace_root().join(REPORT);
    std::fs::write(&path, &text).map_err(|e| format!("writing {}: {e}", path.display()))?;
    println!("==> bench: wrote {REPORT} ({} in all)", secs(took));
    Ok(())
}

/// slow-client with its embedded server: all due at once, then spread.
fn end_to_end(exe: &Path, scratch: &Scratch) -> Outcome<Vec<e2e::Run>> {
    let mut runs = Vec::new();
    for (label, args) in [
        ("embedded server, all due at once", BURST_9000),
        ("embedded server", SPREAD_5000),
        ("embedded server", SPREAD_9000),
    ] {
        runs.push(e2e::client(exe, label, &args, scratch, None)?);
    }
    Ok(runs)
}

/// `cargo build --release -p slow-client`, returning the executable cargo reports.
pub fn build_slow_client() -> Outcome<PathBuf> {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn names(args: &[&str]) -> Outcome<Vec<&'static str>> {
        let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
        Ok(choose(&args)?.iter().map(|s| s.name).collect())
    }

    #[test]
    fn no_section_named_means_every_section() {
        assert_eq!(names(&[]).unwrap().len(), SECTIONS.len());
    }

    #[test]
    fn chosen_sections_run_once_in_the_registry_order() {
        assert_eq!(
            names(&["memory", "dispatch", "memory"]).unwrap(),
            ["dispatch", "memory"]
        );
    }

    #[test]
    fn an_unknown_section_is_an_error_listing_the_known_ones() {
        let err = names(&["e2e", "floorr"]).unwrap_err();
        assert!(err.contains("`floorr`"), "{err}");
        for section in SECTIONS {
            assert!(err.contains(section.name), "{err}");
        }
    }

    #[test]
    fn section_names_are_distinct() {
        let mut names: Vec<&str> = SECTIONS.iter().map(|s| s.name).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), SECTIONS.len());
    }
}
