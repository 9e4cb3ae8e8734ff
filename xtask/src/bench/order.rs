//! The `e2e` section's repeated runs: is the order trustworthy on a noisy
//! machine? Ten runs each at 9,000 × 1 ms (embedded server) and 19,000 × 1 ms
//! (a separate `serve`: one process cannot hold both ends of 19,000
//! connections under the usual fd limit), each with what the machine did
//! meanwhile (steal and softirq from `/proc/stat`) beside the client's own
//! view: its largest event-loop stall, its write window, and how many
//! inversions no stall while writing explains.

use super::e2e::{self, Run};
use super::process::{Scratch, Server};
use super::report::{Align, Block, Chapter, Findings, Table, Target};
use super::stats::{median, range};
use super::SPREAD_9000;
use crate::steps::Outcome;
use std::path::Path;

/// Runs per series.
pub const RUNS: usize = 10;

/// 19,000 requests, 1 ms apart in delay.
const SPREAD_19000: [&str; 4] = ["--count", "19000", "--step-ms", "1"];

/// The section's heading in the report.
pub const HEADING: &str = "Order on a noisy machine: 10 runs each";

/// One load, run [`RUNS`] times.
#[derive(Debug)]
pub struct Series {
    /// The command, as a user would type it.
    pub command: String,
    /// Its server.
    pub server: &'static str,
    /// The runs, in the order they ran.
    pub runs: Vec<Run>,
}

/// Runs both series.
///
/// # Errors
///
/// When a run fails (see [`e2e::client`]) or the server cannot start.
pub fn measure(exe: &Path, scratch: &Scratch) -> Outcome<Vec<Series>> {
    let mut embedded = Vec::new();
    for _ in 0..RUNS {
        embedded.push(e2e::client(
            exe,
            "embedded server",
            &SPREAD_9000,
            scratch,
            None,
        )?);
    }
    let server = Server::start(exe, scratch)?;
    let args = [&["--server", server.addr()][..], &SPREAD_19000[..]].concat();
    let mut separate = Vec::new();
    for _ in 0..RUNS {
        let run = e2e::client(exe, "separate server", &args, scratch, Some(&server))?;
        separate.push(run);
    }
    server.stop();
    Ok(vec![
        Series {
            command: format!("slow-client {} --json", SPREAD_9000.join(" ")),
            server: "embedded",
            runs: embedded,
        },
        Series {
            command: format!(
                "slow-client --server IP:PORT {} --json",
                SPREAD_19000.join(" ")
            ),
            server: "separate `serve`",
            runs: separate,
        },
    ])
}

/// The p99 lateness of each run (runs without responses left out).
pub fn p99s(series: &Series) -> Vec<f64> {
    let late = series.runs.iter().filter_map(|r| r.summary.lateness);
    late.map(|l| l.p99).collect()
}

/// Unexplained inversions of the worst run.
pub fn most_unexplained(series: &Series) -> f64 {
    let each = series.runs.iter().map(|r| r.summary.unexplained_inversions);
    each.fold(0.0, f64::max)
}

fn ms(v: Option<f64>) -> String {
    v.map_or("-".into(), |v| format!("{v:.1}"))
}

fn pct(v: Option<f64>) -> String {
    v.map_or("?".into(), |v| format!("{:.1}%", v * 100.0))
}

/// The series' chapter, and their order and lateness as targets.
pub fn findings(all: &[Series]) -> Findings {
    let mut targets = Vec::new();
    for series in all {
        let worst = most_unexplained(series);
        targets.push(Target {
            what: "no unexplained inversion in any run at 1 ms steps",
            measured: format!(
                "{worst} in the worst of {} runs of `{}`",
                series.runs.len(),
                series.command
            ),
            met: Some(worst == 0.0),
        });
    }
    if let Some(p99) = all.first().and_then(|s| median(&p99s(s))) {
        targets.push(Target {
            what: "lateness p99 at most 0.3 ms at 9,000 requests (step 1 ms), median of 10 runs",
            measured: format!("{p99:.3} ms"),
            met: Some(p99 <= 0.3),
        });
    }
    let mut blocks = vec![Block::Text(
        "Each row is one run. *Steal* and *softirq* are the machine's CPU time during \
         the run (all CPUs, `/proc/stat`) that the hypervisor took and that softirqs \
         (loopback TCP) used. *Stall* is the client's longest event-loop gap while it \
         had work (`max_stall_ms`); *write window* is first to last request written \
         (`write_window_ms`); *unexplained* counts the inversions no stall while \
         writing explains (`unexplained_inversions`, see `slow_client::order`)."
            .into(),
    )];
    for series in all {
        blocks.extend(series_blocks(series));
    }
    Findings {
        targets,
        chapters: vec![Chapter::new(HEADING, blocks)],
    }
}

/// One series: its command, a row per run, and the spread.
fn series_blocks(series: &Series) -> [Block; 3] {
    use Align::Right;
    let mut table = Table::new(&[
        ("run", Right),
        ("steal", Right),
        ("softirq", Right),
        ("stall ms", Right),
        ("write window ms", Right),
        ("inversions", Right),
        ("unexplained", Right),
        ("lateness p50 / p99 / max ms", Right),
    ]);
    for (i, run) in series.runs.iter().enumerate() {
        let v = &run.summary;
        let late = v.lateness.map_or("-".into(), |l| {
            format!("{:.2} / {:.2} / {:.2}", l.p50, l.p99, l.max)
        });
        table.row(vec![
            (i + 1).to_string(),
            pct(run.noise.map(|n| n.0)),
            pct(run.noise.map(|n| n.1)),
            ms(v.max_stall_ms),
            ms(v.write_window_ms),
            v.inversions.to_string(),
            v.unexplained_inversions.to_string(),
            late,
        ]);
    }
    let p99 = p99s(series);
    let stalls: Vec<f64> = series
        .runs
        .iter()
        .filter_map(|r| r.summary.max_stall_ms)
        .collect();
    let spread = |v: &[f64]| match (median(v), range(v)) {
        (Some(m), Some((lo, hi))) => format!("{m:.2} ms (range {lo:.2}–{hi:.2})"),
        _ => "-".into(),
    };
    [
        Block::Text(format!("`{}` ({} server):", series.command, series.server)),
        Block::Table(table),
        Block::Text(format!(
            "Lateness p99, median of {} runs: {}; largest stall, median: {}; \
             unexplained inversions in the worst run: {}.",
            series.runs.len(),
            spread(&p99),
            spread(&stalls),
            most_unexplained(series),
        )),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use e2e::{Lateness, Summary};

    fn render_one(series: &Series) -> String {
        let found = findings(std::slice::from_ref(series));
        let [chapter] = &found.chapters[..] else {
            panic!("one chapter")
        };
        let mut text = String::new();
        for block in &chapter.blocks {
            text.push_str(&crate::bench::report::block_text(block));
        }
        text
    }

    fn run(p99: f64, unexplained: f64) -> Run {
        Run {
            label: "embedded server",
            args: vec![],
            summary: Summary {
                requested: 9000.0,
                ok: 9000.0,
                failed: 0.0,
                inversions: 2.0 + unexplained,
                unexplained_inversions: unexplained,
                write_window_ms: Some(120.0),
                max_stall_ms: Some(4.5),
                wall_ms: 9300.0,
                cpu_user_ms: 100.0,
                cpu_sys_ms: 500.0,
                max_rss_kib: 9000.0,
                lateness: Some(Lateness {
                    p50: 0.1,
                    p99,
                    max: 5.0,
                }),
            },
            others: None,
            noise: Some((0.01, 0.125)),
        }
    }

    #[test]
    fn each_run_is_a_row_and_the_spread_follows() {
        let series = Series {
            command: "slow-client --count 9000 --step-ms 1 --json".into(),
            server: "embedded",
            runs: vec![run(0.2, 0.0), run(0.4, 3.0), run(0.3, 0.0)],
        };
        let text = render_one(&series);
        assert!(
            text.contains("| 2 | 1.0% | 12.5% | 4.5 | 120.0 | 5 | 3 | 0.10 / 0.40 / 5.00 |"),
            "{text}"
        );
        assert!(
            text.contains("median of 3 runs: 0.30 ms (range 0.20–0.40)"),
            "{text}"
        );
        assert!(text.contains("in the worst run: 3."), "{text}");
        assert_eq!(most_unexplained(&series), 3.0);
    }
}
