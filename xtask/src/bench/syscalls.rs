//! The `syscalls` section: syscalls per request of a client run under
//! `strace -f -c` (the server in its own, untraced process), and per wait of
//! each dispatch implementation.

use super::dispatch::{self, PerWait};
use super::e2e::{self, Summary};
use super::process::{Scratch, Server};
use super::report::{Align, Block, Chapter, Findings, Table, Target, WHERE_TIME_GOES};
use super::{strace, Measured};
use crate::steps::Outcome;
use std::path::Path;
use std::process::Command;

/// The traced run: 5,000 requests all due at once.
const TRACED: [&str; 4] = ["--count", "5000", "--step-ms", "0"];

/// The syscall target per request.
const TARGET: &str = "slow-client: at most 8 syscalls per request";

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
    pub summary: Summary,
}

/// Syscalls per request (client only: the server runs in its own process,
/// untraced) and per dispatch wait, or why they could not be counted.
///
/// # Errors
///
/// When the server, the traced run or a probe fails, or strace's table
/// cannot be read.
pub fn measure(
    exe: &Path,
    scratch: &Scratch,
) -> Outcome<(Measured<Syscalls>, Measured<Vec<PerWait>>)> {
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

/// The per-request chapter with its target, and the per-wait table under
/// "Where the time goes".
pub fn findings(per_request: &Measured<Syscalls>, per_wait: &Measured<Vec<PerWait>>) -> Findings {
    let (target, blocks) = match per_request {
        Measured::Skipped(why) => (
            Target::skipped(TARGET, why),
            vec![Block::Text(format!("Not measured: {why}."))],
        ),
        Measured::Done(sc) => {
            let mut table = Table::new(&[
                ("syscall", Align::Left),
                ("calls per request", Align::Right),
            ]);
            for (name, per) in &sc.per_request {
                table.row(vec![name.clone(), format!("{per:.3}")]);
            }
            let total = sc.total_per_request;
            table.row(vec!["**total**".into(), format!("**{total:.3}**")]);
            let target = Target {
                what: TARGET,
                measured: format!("{total:.2}"),
                met: Some(total <= 8.0),
            };
            let text = format!(
                "`{}`, with `slow-client serve --listen 127.0.0.1:0` in a separate, untraced\n\
                 process: the client's syscalls only, start-up included, divided by {} requests\n\
                 ({} answered, {} failed; timings under strace are not comparable and not shown).",
                sc.command, sc.requests, sc.summary.ok, sc.summary.failed
            );
            (target, vec![Block::Text(text), Block::Table(table)])
        }
    };
    let mut per_wait_blocks = vec![Block::Subheading("Syscalls per dispatch wait")];
    match per_wait {
        Measured::Done(rows) => {
            per_wait_blocks.push(Block::Text(
                "`strace -f -c` of the dispatch bench's `--probe IMPL 0` and `--probe IMPL 2000`\n\
                 (K = 64, kept readable); the difference over 2,000 waits:"
                    .into(),
            ));
            let mut table = Table::new(&[
                ("impl", Align::Left),
                ("syscalls per wait", Align::Right),
                ("which", Align::Left),
            ]);
            for row in rows {
                let total: f64 = row.calls.iter().map(|(_, n)| n).sum();
                let which: Vec<String> = row
                    .calls
                    .iter()
                    .map(|(name, n)| format!("{name} {n:.2}"))
                    .collect();
                table.row(vec![
                    row.name.to_string(),
                    format!("{total:.2}"),
                    which.join(", "),
                ]);
            }
            per_wait_blocks.push(Block::Table(table));
        }
        Measured::Skipped(why) => {
            per_wait_blocks.push(Block::Text(format!("Not measured: {why}.")))
        }
    }
    Findings {
        targets: vec![target],
        chapters: vec![
            Chapter::new("Syscalls per request", blocks),
            Chapter::new(WHERE_TIME_GOES, per_wait_blocks),
        ],
    }
}
