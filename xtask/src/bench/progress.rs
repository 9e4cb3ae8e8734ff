//! What the live progress line costs a run: `--count 9000 --step-ms 1` with
//! the line off, as plain lines (`--progress`, stderr a file), and drawn on a
//! terminal (under util-linux `script`, stdout to a file), interleaved so
//! that a change in the machine's load hits every mode alike.

use super::e2e::{self, parse_summary};
use super::machine::load_average_1;
use super::process::{self, Scratch};
use super::report::{Align, Block, Chapter, Findings, Table};
use super::stats::median;
use super::{Bench, SPREAD_9000};
use crate::steps::Outcome;
use std::path::Path;
use std::process::Command;

/// The section's heading in the report.
pub const HEADING: &str = "Progress line: on vs off";

/// Rounds of each mode.
const ROUNDS: usize = 3;

/// One measured run.
#[derive(Debug, Clone, Copy)]
pub struct Sample {
    pub p99_ms: f64,
    pub cpu_ms: f64,
    /// The rest of the machine's CPU share meanwhile (`None` under `script`).
    pub others: Option<f64>,
}

/// How the progress is shown in a run.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Shown {
    Off,
    Plain,
    Terminal,
}

impl Shown {
    fn name(self) -> &'static str {
        match self {
            Shown::Off => "off (`--no-progress`)",
            Shown::Plain => "plain lines (`--progress`, stderr a file)",
            Shown::Terminal => "terminal (pty via `script`, `--progress`)",
        }
    }
}

/// Runs every mode [`ROUNDS`] times, interleaved.
///
/// # Errors
///
/// When a run fails (see [`e2e::client`]) or prints no summary.
pub fn measure(b: &Bench) -> Outcome<Progress> {
    let exe = b.slow_client().to_path_buf();
    let pty = Command::new("script").arg("--version").output().is_ok();
    let mut modes = vec![Shown::Off, Shown::Plain];
    if pty {
        modes.push(Shown::Terminal);
    }
    let load_before = load_average_1();
    let mut samples: Vec<(Shown, Sample)> = Vec::new();
    for _ in 0..ROUNDS {
        for &mode in &modes {
            samples.push((mode, one(&exe, mode, &b.scratch)?));
        }
    }
    let load_after = load_average_1();
    Ok(Progress {
        modes,
        samples,
        load: (load_before, load_after),
    })
}

/// What the section measured.
#[derive(Debug)]
pub struct Progress {
    /// The modes run, in order (the terminal only when `script` is installed).
    pub modes: Vec<Shown>,
    /// Every run, `ROUNDS` per mode, interleaved.
    pub samples: Vec<(Shown, Sample)>,
    /// The 1-minute load average before and after.
    pub load: (String, String),
}

/// The section's chapter: a row per mode (it judges no target).
pub fn findings(p: &Progress) -> Findings {
    let (load_before, load_after) = (&p.load.0, &p.load.1);
    let pty = p.modes.contains(&Shown::Terminal);
    let text = format!(
        "`slow-client {} --json`, {ROUNDS} interleaved rounds per mode; load average \
         (1 min) {load_before} before, {load_after} after.{}",
        SPREAD_9000.join(" "),
        if pty {
            ""
        } else {
            " The terminal mode was skipped: util-linux `script` is not installed."
        }
    );
    let mut table = Table::new(&[
        ("progress", Align::Left),
        ("lateness p99 (ms), each round", Align::Left),
        ("median", Align::Left),
        ("CPU user+sys (ms), each round", Align::Left),
        ("median", Align::Left),
        ("others' CPU share", Align::Left),
    ]);
    for &mode in &p.modes {
        let mine: Vec<Sample> = p
            .samples
            .iter()
            .filter(|(m, _)| *m == mode)
            .map(|&(_, s)| s)
            .collect();
        let p99: Vec<f64> = mine.iter().map(|s| s.p99_ms).collect();
        let cpu: Vec<f64> = mine.iter().map(|s| s.cpu_ms).collect();
        let others: Vec<String> = mine
            .iter()
            .map(|s| {
                s.others
                    .map_or("-".into(), |o| format!("{:.0}%", o * 100.0))
            })
            .collect();
        table.row(vec![
            mode.name().to_string(),
            join(&p99, 2),
            format!("{:.2}", median(&p99).unwrap_or(f64::NAN)),
            join(&cpu, 0),
            format!("{:.0}", median(&cpu).unwrap_or(f64::NAN)),
            others.join(", "),
        ]);
    }
    Findings {
        targets: Vec::new(),
        chapters: vec![Chapter::new(
            HEADING,
            vec![Block::Text(text), Block::Table(table)],
        )],
    }
}

fn one(exe: &Path, mode: Shown, scratch: &Scratch) -> Outcome<Sample> {
    let summary = match mode {
        Shown::Off | Shown::Plain => {
            let flag = if mode == Shown::Off {
                "--no-progress"
            } else {
                "--progress"
            };
            let args = [&SPREAD_9000[..], &[flag]].concat();
            let run = e2e::client(exe, "progress", &args, scratch, None)?;
            return sample(&run.summary, run.others);
        }
        Shown::Terminal => {
            let out = scratch.path("progress-pty.jsonl");
            let line = format!(
                "{} {} --json --progress > {}",
                exe.display(),
                SPREAD_9000.join(" "),
                out.display()
            );
            let mut cmd = Command::new("script");
            cmd.args(["-q", "-e", "-c", &line, "/dev/null"]);
            let done = process::run(cmd, scratch, "progress-pty")?;
            if !matches!(done.status.code(), Some(0 | 1)) {
                return Err(format!("{line}: {}\n{}", done.status, done.stdout));
            }
            let text = std::fs::read_to_string(&out).map_err(|e| format!("{line}: {e}"))?;
            parse_summary(&text)?
        }
    };
    sample(&summary, None)
}

fn sample(s: &e2e::Summary, others: Option<f64>) -> Outcome<Sample> {
    let p99_ms = s.lateness.ok_or("no lateness: no request succeeded")?.p99;
    Ok(Sample {
        p99_ms,
        cpu_ms: s.cpu_user_ms + s.cpu_sys_ms,
        others,
    })
}

fn join(values: &[f64], decimals: usize) -> String {
    let shown: Vec<String> = values.iter().map(|v| format!("{v:.decimals$}")).collect();
    shown.join(", ")
}
