//! `cargo xtask bench [SECTION...]`: what the safe layer costs and how far
//! one epoll loop goes, as tables written to `xtask/BENCHMARKS.md`.
//!
//! The bench is a list of sections ([`SECTIONS`]), each one step printed with
//! its duration that returns what it found ([`report::Findings`]: chapters
//! of prose and tables, and the targets it judged); `slow-client` is built in
//! release first when a chosen section needs it. One renderer
//! ([`report::render`]) turns the findings into the report. With no
//! arguments every section runs and the report is printed and written; with
//! some, only those run and the report is printed, not written (a partial
//! report would replace the full one).
//!
//! Targets are judged by reading the numbers, never by timed assertions; a
//! missed target is reported, not turned into a failure. Not part of
//! `cargo xtask test`.
//!
//! To add a section: write it in its own module (what it measures, and a
//! function from that to [`report::Findings`]), then add it to [`SECTIONS`]
//! where its chapters belong in the report.

mod dispatch;
mod drip;
mod e2e;
#[cfg(test)]
mod fixture;
mod floor;
mod machine;
mod memory;
mod order;
mod process;
mod profile;
mod progress;
mod report;
mod serve;
mod stats;
mod strace;
mod syscalls;

use crate::steps::{built_executable, cargo, secs, workspace_root, Outcome, Task};
use process::Scratch;
use report::Findings;
use std::path::{Path, PathBuf};
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

/// The run the lateness target is judged on, and the one perf profiles.
pub const SPREAD_9000: [&str; 4] = ["--count", "9000", "--step-ms", "1"];
/// 9,000 requests all due at once: throughput.
pub const BURST_9000: [&str; 4] = ["--count", "9000", "--step-ms", "0"];
/// 5,000 requests 2 ms apart in delay.
pub const SPREAD_5000: [&str; 4] = ["--count", "5000", "--step-ms", "2"];

/// One section of the bench: a name to choose it by and its work.
#[derive(Debug)]
pub struct Section {
    /// The name on the command line, e.g. `e2e`.
    pub name: &'static str,
    /// One line for `cargo xtask help`.
    pub about: &'static str,
    /// Whether it runs the release build of slow-client ([`Bench::slow_client`]).
    pub needs_slow_client: bool,
    /// The work: measures, and returns what the report shows of it.
    pub run: fn(&Bench) -> Outcome<Findings>,
}

/// Every section, in the order a full run takes them, which is also the
/// order of their chapters in the report.
pub const SECTIONS: &[Section] = &[
    Section {
        name: "dispatch",
        about: "epoll-safe vs raw libc, mio and polling (cargo bench, release)",
        needs_slow_client: false,
        run: |_| Ok(dispatch::findings(&dispatch::run()?)),
    },
    Section {
        name: "e2e",
        about: "slow-client end to end: 9000 x 0 ms, 5000 x 2 ms, 9000 x 1 ms; \
                then 10 runs each of 9000 x 1 ms and 19000 x 1 ms (order, stalls, steal, softirq)",
        needs_slow_client: true,
        run: |b| {
            let runs = e2e::findings(&e2e::measure(b.slow_client(), &b.scratch)?);
            Ok(runs.and(order::findings(&order::measure(
                b.slow_client(),
                &b.scratch,
            )?)))
        },
    },
    Section {
        name: "syscalls",
        about: "syscalls per request and per dispatch wait (strace)",
        needs_slow_client: true,
        run: |b| {
            let (per_request, per_wait) = syscalls::measure(b.slow_client(), &b.scratch)?;
            Ok(syscalls::findings(&per_request, &per_wait))
        },
    },
    Section {
        name: "memory",
        about: "client memory per in-flight request",
        needs_slow_client: true,
        run: |b| {
            Ok(memory::findings(&memory::measure(
                b.slow_client(),
                &b.scratch,
            )?))
        },
    },
    Section {
        name: "floor",
        about: "slow-client's CPU and syscalls against the leanest client (floor_client)",
        needs_slow_client: true,
        run: |b| {
            Ok(floor::findings(&floor::measure(
                b.slow_client(),
                &b.scratch,
            )?))
        },
    },
    Section {
        name: "profile",
        about: "where the CPU time goes (perf)",
        needs_slow_client: true,
        run: |b| {
            let measured = match profile::unavailable(&b.scratch) {
                Some(why) => Measured::Skipped(why),
                None => Measured::Done(profile::measure(b.slow_client(), &b.scratch)?),
            };
            Ok(profile::findings(&measured))
        },
    },
    Section {
        name: "progress",
        about: "the progress line's cost: 9000 x 1 ms with it off, plain, on a terminal",
        needs_slow_client: true,
        run: |b| Ok(progress::findings(&progress::measure(b)?)),
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
            Ok(serve::findings(&measured))
        },
    },
    Section {
        name: "drip",
        about: "serve's /drip: 1,000 concurrent drips of 10 bytes over 1 s, every byte's lateness",
        needs_slow_client: true,
        run: drip::run,
    },
];

/// What a section works with: scratch space and the release build of
/// slow-client.
#[derive(Debug)]
pub struct Bench {
    /// Temporary files of this run.
    pub scratch: Scratch,
    slow_client: PathBuf,
}

impl Bench {
    /// The release build of slow-client (built before the first section that
    /// declares [`Section::needs_slow_client`]).
    pub fn slow_client(&self) -> &Path {
        &self.slow_client
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
    let b = Bench {
        scratch: Scratch::new()?,
        slow_client,
    };
    let mut found = Vec::new();
    for section in sections {
        found.push(task.step(section.name, || (section.run)(&b))?);
    }
    task.passed();
    let took = started.elapsed();
    let text = report::render(&found, &machine::describe(), took);
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
