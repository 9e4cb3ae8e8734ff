//! End-to-end runs of slow-client: the `--json` summary line of each run,
//! and the report's table of them.

use super::machine;
use super::process::{self, Scratch, Server};
use super::report::{Align, Block, Chapter, Findings, Table, Target};
use super::{BURST_9000, SPREAD_5000, SPREAD_9000};
use crate::steps::Outcome;
use slow_client::schema::Line;
use std::path::Path;
use std::process::Command;

/// The chapter of the end-to-end runs.
pub const HEADING: &str = "End to end: slow-client";

pub use slow_client::schema::Lateness;

/// The numbers of one `"event":"summary"` line.
#[derive(Debug, Clone, PartialEq)]
pub struct Summary {
    /// Requests made.
    pub requested: f64,
    /// Answered with status < 400.
    pub ok: f64,
    /// Ended without a usable response.
    pub failed: f64,
    /// Pairs of responses that arrived out of delay order.
    pub inversions: f64,
    /// Those no stall while writing explains (0 in output from before it existed).
    pub unexplained_inversions: f64,
    /// First to last request written; `None` when unknown.
    pub write_window_ms: Option<f64>,
    /// The client's longest event-loop stall while it had work; `None` when unknown.
    pub max_stall_ms: Option<f64>,
    /// Wall-clock time of the run.
    pub wall_ms: f64,
    /// User CPU time of the whole process (getrusage).
    pub cpu_user_ms: f64,
    /// System CPU time of the whole process (getrusage).
    pub cpu_sys_ms: f64,
    /// Peak resident set size of the slow-client image (`VmHWM`).
    pub max_rss_kib: f64,
    /// `None` when no response arrived.
    pub lateness: Option<Lateness>,
}

/// Reads the last `"event":"summary"` line of a `--json` run.
///
/// # Errors
///
/// When there is none, or it lacks a field the report needs.
pub fn parse_summary(stdout: &str) -> Outcome<Summary> {
    let line = stdout
        .lines()
        .rev()
        .find(|l| l.contains(r#""event":"summary""#))
        .ok_or("no summary line in the output")?;
    let Line::Summary(v) =
        serde_json::from_str(line).map_err(|e| format!("summary line: {e}: {line}"))?
    else {
        return Err(format!("not a summary line: {line}"));
    };
    let missing = |key: &str| format!("summary line has no number {key:?}: {line}");
    Ok(Summary {
        requested: f64::from(v.requested),
        ok: f64::from(v.ok),
        failed: f64::from(v.failed),
        inversions: f64::from(v.inversions),
        unexplained_inversions: f64::from(v.unexplained_inversions),
        write_window_ms: v.write_window_ms,
        max_stall_ms: v.max_stall_ms,
        wall_ms: v.wall_ms,
        cpu_user_ms: v.cpu_user_ms.ok_or_else(|| missing("cpu_user_ms"))?,
        cpu_sys_ms: v.cpu_sys_ms.ok_or_else(|| missing("cpu_sys_ms"))?,
        max_rss_kib: v.max_rss_kib.ok_or_else(|| missing("max_rss_kib"))? as f64,
        lateness: v.lateness_ms,
    })
}

/// One run for the report.
#[derive(Debug, Clone)]
pub struct Run {
    /// What the run shows, e.g. `embedded server`.
    pub label: &'static str,
    /// The slow-client arguments.
    pub args: Vec<String>,
    /// Its summary.
    pub summary: Summary,
    /// The share of the machine's CPU that other processes used meanwhile
    /// (everything but this client and its server), when `/proc` tells.
    pub others: Option<f64>,
    /// `(steal, softirq)`: the machine's CPU time meanwhile that the
    /// hypervisor took and that softirqs used, as shares, when `/proc` tells.
    pub noise: Option<(f64, f64)>,
}

/// Runs `program args...` (slow-client itself, or a wrapper such as strace)
/// and reads the summary. Exit status 1 (some request failed) still has a
/// summary, and the report shows the failures; any other failure is an error.
///
/// # Errors
///
/// When it hangs, exits with another status, or prints no summary.
pub fn summary_of(cmd: Command, scratch: &Scratch, name: &str) -> Outcome<Summary> {
    let done = process::run(cmd, scratch, name)?;
    let code = done.status.code();
    if !matches!(code, Some(0 | 1)) {
        return Err(format!(
            "exited with {}:\n{}",
            done.status,
            done.stderr_tail(15)
        ));
    }
    parse_summary(&done.stdout).map_err(|e| format!("{e}\n{}", done.stderr_tail(15)))
}

/// Runs `slow-client args... --json` (from a fresh process image, so its
/// peak RSS is its own) and returns the run, with how busy the rest of the
/// machine was meanwhile. `server` is the separate server the client talks
/// to, if any: its CPU time is part of the run, not of the others'.
///
/// # Errors
///
/// As [`summary_of`].
pub fn client(
    slow_client: &Path,
    label: &'static str,
    args: &[&str],
    scratch: &Scratch,
    server: Option<&Server>,
) -> Outcome<Run> {
    let args: Vec<String> = args
        .iter()
        .chain(&["--json"])
        .map(|a| a.to_string())
        .collect();
    let argv: Vec<&str> = args.iter().map(String::as_str).collect();
    let mut cmd = Command::new(slow_client);
    cmd.args(&argv);
    let server_cpu = || server.map_or(Some(0.0), Server::cpu_seconds);
    let before = (machine::cpu_seconds(), server_cpu());
    let ticks = machine::Ticks::now();
    let summary = summary_of(cmd, scratch, "client")?;
    let noise = machine::Ticks::now()
        .zip(ticks)
        .and_then(|(after, before)| after.shares_since(&before));
    let after = (machine::cpu_seconds(), server_cpu());
    let others = match (before, after) {
        ((Some(m0), Some(s0)), (Some(m1), Some(s1))) if m1.1 > m0.1 => {
            let ours = (summary.cpu_user_ms + summary.cpu_sys_ms) / 1000.0 + (s1 - s0);
            Some(((m1.0 - m0.0 - ours) / (m1.1 - m0.1)).clamp(0.0, 1.0))
        }
        _ => None,
    };
    Ok(Run {
        label,
        args,
        summary,
        others,
        noise,
    })
}

/// slow-client with its embedded server: all due at once, then spread.
///
/// # Errors
///
/// As [`client`].
pub fn measure(exe: &Path, scratch: &Scratch) -> Outcome<Vec<Run>> {
    let mut runs = Vec::new();
    for (label, args) in [
        ("embedded server, all due at once", BURST_9000),
        ("embedded server", SPREAD_5000),
        ("embedded server", SPREAD_9000),
    ] {
        runs.push(client(exe, label, &args, scratch, None)?);
    }
    Ok(runs)
}

/// The runs' chapter, and the lateness of the 9,000-request runs as targets.
pub fn findings(runs: &[Run]) -> Findings {
    let mut targets = Vec::new();
    for run in runs.iter().filter(|r| r.summary.requested == 9000.0) {
        let p99 = run.summary.lateness.map(|l| l.p99);
        let measured = p99.map_or("no responses".into(), |p| format!("{p:.3} ms"));
        targets.push(if run.args[..4] == SPREAD_9000 {
            Target {
                what: "lateness p99 under 2 ms at 9,000 requests (step 1 ms)",
                measured,
                met: Some(p99.is_some_and(|p| p < 2.0)),
            }
        } else {
            // With every answer due at once the lateness is queueing behind
            // the burst and tracks the machine: reported, not judged.
            let noise = run.noise.map_or(String::new(), |(steal, softirq)| {
                format!(
                    " (steal {:.1}%, softirq {:.1}%)",
                    steal * 100.0,
                    softirq * 100.0
                )
            });
            Target {
                what: "lateness p99 at 9,000 requests, step 0 (all due at once: queueing behind \
                       the burst, reported beside the machine's noise, no target)",
                measured: format!("{measured}{noise}"),
                met: None,
            }
        });
    }
    let chapter = Chapter::new(
        HEADING,
        vec![
            Block::Text(
                "Release build, `--json` summary line of each run. CPU time (`getrusage`) and\n\
                 peak RSS (`VmHWM`) are the whole slow-client process's: with the embedded\n\
                 server that is both ends of every connection. Lateness is arrival time minus\n\
                 asked delay, from the request being fully written."
                    .into(),
            ),
            Block::Table(runs_table(runs)),
            Block::Text(
                "*Other load*: the share of the machine's CPU (from `/proc/stat`) that other\n\
                 processes used during the run, everything but the client and its server.\n\
                 Lateness on this shared two-core machine moves with it."
                    .into(),
            ),
        ],
    );
    Findings {
        targets,
        chapters: vec![chapter],
    }
}

/// A row per run, under the columns every table of runs shares (another
/// section's runs join [`HEADING`]'s table through them).
pub fn runs_table(runs: &[Run]) -> Table {
    use Align::{Left, Right};
    let mut table = Table::new(&[
        ("command", Left),
        ("server", Left),
        ("ok / failed", Right),
        ("inversions", Right),
        ("wall ms", Right),
        ("CPU user + sys ms", Right),
        ("CPU µs/request", Right),
        ("max RSS KiB", Right),
        ("lateness p50 / p99 / max ms", Right),
        ("other load", Right),
    ]);
    for run in runs {
        let v = &run.summary;
        let cpu = v.cpu_user_ms + v.cpu_sys_ms;
        let lateness = v.lateness.map_or("-".into(), |l| {
            format!("{:.2} / {:.2} / {:.2}", l.p50, l.p99, l.max)
        });
        table.row(vec![
            format!("`{}`", command(run)),
            run.label.to_string(),
            format!("{} / {}", v.ok, v.failed),
            v.inversions.to_string(),
            format!("{:.0}", v.wall_ms),
            format!("{:.0} + {:.0}", v.cpu_user_ms, v.cpu_sys_ms),
            format!("{:.1}", cpu * 1000.0 / v.requested),
            v.max_rss_kib.to_string(),
            lateness,
            run.others
                .map_or("?".into(), |o| format!("{:.0}%", o * 100.0)),
        ]);
    }
    table
}

/// The arguments as a user would type them; a server address, which changes
/// from run to run, is shown as `IP:PORT`.
pub fn command(run: &Run) -> String {
    let mut out = String::from("slow-client");
    let mut after_server = false;
    for arg in &run.args {
        out.push(' ');
        out.push_str(if after_server { "IP:PORT" } else { arg });
        after_server = arg == "--server";
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_summary_after_the_response_lines() {
        let out = concat!(
            r#"{"event":"response","id":1,"delay_ms":0,"lateness_ms":0.1}"#,
            "\n",
            r#"{"event":"summary","requested":9000,"ok":8999,"failed":1,"responses":8999,"in_order":false,"inversions":3,"wall_ms":419.5,"interrupted":false,"cpu_user_ms":23.7,"cpu_sys_ms":535.2,"max_rss_kib":5412,"lateness_ms":{"p50":16.0,"p99":19.5,"max":20.7}}"#,
            "\n"
        );
        let s = parse_summary(out).unwrap();
        assert_eq!(
            (s.requested, s.ok, s.failed, s.inversions),
            (9000.0, 8999.0, 1.0, 3.0)
        );
        assert_eq!(
            (s.cpu_user_ms, s.cpu_sys_ms, s.max_rss_kib),
            (23.7, 535.2, 5412.0)
        );
        assert_eq!(s.lateness.map(|l| l.p99), Some(19.5));
    }

    #[test]
    fn no_responses_means_no_lateness() {
        let out = r#"{"event":"summary","requested":1,"ok":0,"failed":1,"responses":0,"in_order":true,"inversions":0,"wall_ms":1,"interrupted":false,"cpu_user_ms":1,"cpu_sys_ms":0,"max_rss_kib":2000,"lateness_ms":null}"#;
        assert_eq!(parse_summary(out).unwrap().lateness, None);
    }

    #[test]
    fn a_summary_without_resource_usage_is_refused() {
        let out = r#"{"event":"summary","requested":1,"ok":1,"failed":0,"responses":1,"in_order":true,"inversions":0,"wall_ms":1,"interrupted":false,"lateness_ms":null}"#;
        assert!(parse_summary(out).unwrap_err().contains("cpu_user_ms"));
        assert!(parse_summary("no json here\n").is_err());
    }
}
