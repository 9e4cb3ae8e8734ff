//! The `floor` section: slow-client measured against the leanest client
//! that does its work.
//!
//! The floor is `epoll-sys/examples/floor_client.rs` (raw epoll-sys and
//! libc, one thread, one registration per socket, no parsing, no output but
//! one summary line). Both run against the same separate `slow-client serve`:
//!
//! - CPU: [`ROUNDS`] rounds, each running both programs at each of
//!   [`CPU_LOADS`] (which goes first alternates between rounds, so neither
//!   always follows the other); CPU is user + system time, from each
//!   program's own `getrusage(RUSAGE_SELF)` at exit (slow-client's `--json`
//!   summary, the floor's summary line). Reported as slow-client's CPU over
//!   the floor's: the median and the range of the per-round ratios.
//! - Syscalls per request under `strace -f -c`, at each of [`SYSCALL_LOADS`].

mod report;

pub use report::findings;

use super::machine;
use super::process::{self, Scratch, Server};
use super::{e2e, strace, Measured};
use crate::steps::{built_executable, cargo, Outcome};
use std::path::{Path, PathBuf};
use std::process::Command;

/// Rounds of the CPU comparison: their median ignores up to four rounds a
/// busy machine disturbed, and their range shows how far the rounds agree.
/// Single rounds on these shared VMs vary by ±15% at 5,000 × 2 ms, so five
/// rounds left the median a coin toss around the 1.05× target (1.03× and
/// 1.07× for nearly the same build 25 minutes apart).
pub const ROUNDS: usize = 9;
/// `(requests, step ms)` of the CPU comparison.
pub const CPU_LOADS: [(u32, u32); 2] = [(9000, 0), (5000, 2)];
/// `(requests, step ms)` of the syscall count.
pub const SYSCALL_LOADS: [(u32, u32); 2] = [(5000, 0), (1000, 2)];
/// The CPU target: slow-client at most this many times the floor.
pub const CPU_TARGET: f64 = 1.05;
/// The syscall targets, per request, for each of [`SYSCALL_LOADS`].
pub const SYSCALL_TARGETS: [f64; 2] = [6.5, 8.2];

/// One run of one program: its CPU and how many requests failed.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Cpu {
    /// User + system CPU time, in milliseconds.
    pub ms: f64,
    /// Requests that did not complete.
    pub failed: u32,
    /// The share of the machine's CPU other processes used meanwhile
    /// (everything but this program and the server), when `/proc` tells.
    pub others: Option<f64>,
}

/// Both programs at one load, over every round.
#[derive(Debug, Clone, PartialEq)]
pub struct CpuComparison {
    /// `(requests, step ms)`.
    pub load: (u32, u32),
    /// `(slow-client, floor)` per round.
    pub rounds: Vec<(Cpu, Cpu)>,
}

impl CpuComparison {
    /// slow-client's CPU over the floor's, per round.
    pub fn ratios(&self) -> Vec<f64> {
        self.rounds.iter().map(|(s, f)| s.ms / f.ms).collect()
    }
}

/// Syscalls per request of one program under `strace -f -c`.
#[derive(Debug, Clone, PartialEq)]
pub struct Traced {
    /// All syscalls over the requests.
    pub total_per_request: f64,
    /// `(syscall, calls per request)`, most frequent first.
    pub per_request: Vec<(String, f64)>,
}

/// Both programs traced at one load.
#[derive(Debug, Clone, PartialEq)]
pub struct SyscallComparison {
    /// `(requests, step ms)`.
    pub load: (u32, u32),
    /// slow-client.
    pub slow_client: Traced,
    /// The floor.
    pub floor: Traced,
}

/// The whole section.
#[derive(Debug)]
pub struct Floor {
    /// `/proc/loadavg`'s first three fields when the section started.
    pub load_average: String,
    /// One per [`CPU_LOADS`].
    pub cpu: Vec<CpuComparison>,
    /// One per [`SYSCALL_LOADS`], or why strace could not count.
    pub syscalls: Measured<Vec<SyscallComparison>>,
}

/// `cargo build --release -p epoll-sys --example floor_client`, returning the executable.
///
/// # Errors
///
/// When the build fails.
pub fn build() -> Outcome<PathBuf> {
    let mut cmd = cargo();
    cmd.args([
        "build",
        "--release",
        "-p",
        "epoll-sys",
        "--example",
        "floor_client",
    ]);
    built_executable(cmd, "floor_client")
}

/// Builds the floor, starts a separate `serve` from `slow_client` (a
/// release build) and measures both programs against it.
///
/// # Errors
///
/// When a build fails, a run hangs or prints no summary.
pub fn measure(slow_client: &Path, scratch: &Scratch) -> Outcome<Floor> {
    let floor = build()?;
    let load_average = machine::load_average_3();
    let server = Server::start(slow_client, scratch)?;
    let mut cpu: Vec<CpuComparison> = CPU_LOADS
        .iter()
        .map(|&load| CpuComparison {
            load,
            rounds: Vec::new(),
        })
        .collect();
    for round in 0..ROUNDS {
        for cmp in &mut cpu {
            let (n, step) = cmp.load;
            let pair = if round % 2 == 0 {
                let s = slow_client_cpu(slow_client, &server, n, step, scratch)?;
                (s, floor_cpu(&floor, &server, n, step, scratch)?)
            } else {
                let f = floor_cpu(&floor, &server, n, step, scratch)?;
                (slow_client_cpu(slow_client, &server, n, step, scratch)?, f)
            };
            cmp.rounds.push(pair);
        }
    }
    let syscalls = match strace::find() {
        None => Measured::Skipped("skipped: install strace".to_string()),
        Some(bin) => {
            let mut all = Vec::new();
            for &(n, step) in &SYSCALL_LOADS {
                let args = load_args(&server, n, step);
                let sc = [&args[..], &["--json".to_string()]].concat();
                let sc = trace(&bin, slow_client, &sc, n, scratch, "slow-client")?;
                let fl = trace(&bin, &floor, &args, n, scratch, "floor")?;
                all.push(SyscallComparison {
                    load: (n, step),
                    slow_client: sc,
                    floor: fl,
                });
            }
            Measured::Done(all)
        }
    };
    server.stop();
    Ok(Floor {
        load_average,
        cpu,
        syscalls,
    })
}

/// `--server ADDR --count N --step-ms STEP`: the same for both programs.
fn load_args(server: &Server, n: u32, step: u32) -> Vec<String> {
    let server = server.addr().to_string();
    let (n, step) = (n.to_string(), step.to_string());
    ["--server", &server, "--count", &n, "--step-ms", &step]
        .map(String::from)
        .to_vec()
}

fn slow_client_cpu(
    exe: &Path,
    server: &Server,
    n: u32,
    step: u32,
    scratch: &Scratch,
) -> Outcome<Cpu> {
    let args = load_args(server, n, step);
    let argv: Vec<&str> = args.iter().map(String::as_str).collect();
    let run = e2e::client(exe, "separate server", &argv, scratch, Some(server))?;
    Ok(Cpu {
        ms: run.summary.cpu_user_ms + run.summary.cpu_sys_ms,
        failed: run.summary.failed as u32,
        others: run.others,
    })
}

fn floor_cpu(exe: &Path, server: &Server, n: u32, step: u32, scratch: &Scratch) -> Outcome<Cpu> {
    let mut cmd = Command::new(exe);
    cmd.args(load_args(server, n, step));
    let server_cpu = || server.cpu_seconds();
    let before = (machine::cpu_seconds(), server_cpu());
    let summary = floor_summary(cmd, scratch, "floor")?;
    let after = (machine::cpu_seconds(), server_cpu());
    let ms = summary.cpu_user_ms + summary.cpu_sys_ms;
    let others = match (before, after) {
        ((Some(m0), Some(s0)), (Some(m1), Some(s1))) if m1.1 > m0.1 => {
            let ours = ms / 1000.0 + (s1 - s0);
            Some(((m1.0 - m0.0 - ours) / (m1.1 - m0.1)).clamp(0.0, 1.0))
        }
        _ => None,
    };
    Ok(Cpu {
        ms,
        failed: summary.failed,
        others,
    })
}

/// Traces `exe args...` with `strace -f -c` and counts per request.
fn trace(
    strace_bin: &Path,
    exe: &Path,
    args: &[String],
    requests: u32,
    scratch: &Scratch,
    name: &str,
) -> Outcome<Traced> {
    let file = scratch.path(&format!("{name}.strace"));
    let mut cmd = Command::new(strace_bin);
    cmd.args(["-f", "-c", "-o"]).arg(&file).arg(exe).args(args);
    let done = process::run(cmd, scratch, name)?;
    if !matches!(done.status.code(), Some(0 | 1)) {
        return Err(format!(
            "traced {name} exited with {}:\n{}",
            done.status,
            done.stderr_tail(15)
        ));
    }
    let text =
        std::fs::read_to_string(&file).map_err(|e| format!("reading {}: {e}", file.display()))?;
    let table = strace::parse(&text)?;
    let units = u64::from(requests);
    Ok(Traced {
        total_per_request: table.total as f64 / units as f64,
        per_request: table.per_unit(&strace::Table::default(), units),
    })
}

/// The numbers of the floor's summary line.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FloorSummary {
    /// Requests that got a response and the end of the stream.
    pub completed: u32,
    /// The others.
    pub failed: u32,
    /// User CPU time, from its own getrusage.
    pub cpu_user_ms: f64,
    /// System CPU time, from its own getrusage.
    pub cpu_sys_ms: f64,
}

fn floor_summary(cmd: Command, scratch: &Scratch, name: &str) -> Outcome<FloorSummary> {
    let done = process::run(cmd, scratch, name)?;
    if !matches!(done.status.code(), Some(0 | 1)) {
        return Err(format!(
            "floor_client exited with {}:\n{}",
            done.status,
            done.stderr_tail(15)
        ));
    }
    parse_floor_line(&done.stdout)
}

/// Reads `floor: completed N failed N elapsed_ms X cpu_user_ms X cpu_sys_ms X ...`.
///
/// # Errors
///
/// When there is no such line or it lacks a field.
pub fn parse_floor_line(stdout: &str) -> Outcome<FloorSummary> {
    let line = stdout
        .lines()
        .rev()
        .find_map(|l| l.strip_prefix("floor: "))
        .ok_or("floor_client printed no `floor:` line")?;
    let fields: Vec<&str> = line.split_whitespace().collect();
    let get = |key: &str| -> Outcome<f64> {
        fields
            .chunks(2)
            .find(|kv| kv[0] == key)
            .and_then(|kv| kv.get(1)?.parse().ok())
            .ok_or_else(|| format!("floor line has no number {key:?}: {line}"))
    };
    Ok(FloorSummary {
        completed: get("completed")? as u32,
        failed: get("failed")? as u32,
        cpu_user_ms: get("cpu_user_ms")?,
        cpu_sys_ms: get("cpu_sys_ms")?,
    })
}

#[cfg(test)]
mod tests;
