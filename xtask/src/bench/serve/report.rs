//! The `serve` section of `xtask/BENCHMARKS.md`.

use super::{Compared, ServeBench, Traced, READING, ROUNDS, RUN};
use crate::bench::report::{Align, Block, Chapter, Findings, Table};
use crate::bench::stats::median;
use crate::bench::Measured;

/// The section's heading in the report.
pub const HEADING: &str = "`slow-client serve` against nginx";

/// The section's chapter, or the line saying why it was skipped, then the
/// hand-written reading (its targets are judged in its own table).
pub fn findings(measured: &Measured<ServeBench>) -> Findings {
    let mut blocks = match measured {
        Measured::Skipped(why) => vec![Block::Text(why.clone())],
        Measured::Done(bench) => measured_blocks(bench),
    };
    blocks.push(Block::Text(READING.to_string()));
    Findings {
        targets: Vec::new(),
        chapters: vec![Chapter::new(HEADING, blocks)],
    }
}

fn measured_blocks(bench: &ServeBench) -> Vec<Block> {
    use Align::{Left, Right};
    let busy = bench
        .busy
        .map_or("unknown".to_owned(), |b| format!("{:.0}%", b * 100.0));
    let mut blocks = vec![Block::Text(format!(
        "One `slow-client serve` thread against one nginx worker ({}, echo module, \
         `echo_sleep`, access log off, config generated into a temporary directory), \
         load from `{}` on the same machine: {} s per run, {ROUNDS} interleaved rounds \
         (the order alternates each round); the targets are judged by the median of the \
         per-round ratios and by each side's median p99, and the best round of each side \
         is shown beside them. serve defers \
         accept (`TCP_DEFER_ACCEPT`) by default; nginx is measured as first configured \
         (`listen` without `deferred`, what the targets are judged against) and, for the \
         `Connection: close` load, a second time with `deferred`, like for like. \
         The machine meanwhile: load average {} before, {} after; {busy} of all CPUs busy \
         (the servers and wrk included). Ratios are serve ÷ nginx (higher is better for \
         requests per second; the median of the per-round ratios is the steadier \
         figure on a busy machine); CPU/req is the server process's user + system time per \
         request, the least over the rounds (less disturbed by the machine than a rate).",
        bench.nginx_version,
        bench.wrk_version,
        RUN.as_secs(),
        bench.loadavg.0,
        bench.loadavg.1,
    ))];
    let mut table = Table::new(&[
        ("load (wrk `-t`/`-c`)", Left),
        ("serve req/s", Right),
        ("nginx req/s", Right),
        ("ratio, best rounds", Right),
        ("ratio per round", Left),
        ("serve p99, median", Right),
        ("nginx p99, median", Right),
        ("serve CPU/req", Right),
        ("nginx CPU/req", Right),
        ("target", Left),
    ]);
    for compared in &bench.loads {
        row(&mut table, compared);
    }
    blocks.push(Block::Table(table));
    if let Some((p50, p99, max)) = bench.lateness {
        blocks.push(Block::Text(format!(
            "serve's own lateness at `/delay/100` × 2,000 connections (due to last byte \
             written, from `--access-log` in a separate run): p50 {p50:.3} ms, p99 {p99:.3} ms, \
             max {max:.3} ms. wrk's p99 adds its own side: its connections fall into step and \
             it shares the two cores."
        )));
    }
    blocks.push(Block::Subheading("Syscalls per request"));
    match &bench.syscalls {
        Measured::Skipped(why) => blocks.push(Block::Text(format!("Syscalls: {why}"))),
        Measured::Done(rows) => {
            blocks.push(Block::Text(
                "`strace -c -f -p PID` attached to each server for a 2 s wrk run (strace slows \
                 both; the counts, not the times, are the point), divided by wrk's requests; \
                 CPU per request is in the table above."
                    .into(),
            ));
            let mut table = Table::new(&[
                ("server", Left),
                ("load", Left),
                ("syscalls/request", Right),
                ("most frequent", Left),
            ]);
            for traced in rows {
                table.row(syscall_row(traced));
            }
            blocks.push(Block::Table(table));
        }
    }
    blocks
}

fn row(table: &mut Table, compared: &Compared) {
    let (Some(serve), Some(nginx)) = (
        Compared::best(&compared.serve),
        Compared::best(&compared.nginx),
    ) else {
        return;
    };
    let ratio = serve.rps / nginx.rps;
    let per_round: Vec<f64> = compared
        .serve
        .iter()
        .zip(&compared.nginx)
        .map(|(s, n)| s.rps / n.rps)
        .collect();
    let mut rounds: Vec<String> = per_round.iter().map(|r| format!("{r:.2}")).collect();
    let mid = median(&per_round).unwrap_or(f64::NAN);
    rounds.push(format!("median {mid:.2}"));
    let latency_target = compared.load.connections >= 1000;
    // Judged by medians over the rounds (the best rounds are shown beside them).
    let p99 = |samples: &[super::Sample]| {
        median(&samples.iter().map(|s| s.p99_ms).collect::<Vec<_>>()).unwrap_or(f64::NAN)
    };
    let (serve_p99, nginx_p99) = (p99(&compared.serve), p99(&compared.nginx));
    let met = mid >= 1.0 && (!latency_target || serve_p99 <= nginx_p99);
    let target = if latency_target {
        "per-round median ≥ 1.0×, p99 ≤ nginx's"
    } else {
        "per-round median ≥ 1.0×"
    };
    table.row(vec![
        format!(
            "{} (`-t{}` `-c{}`)",
            compared.load.name, compared.load.threads, compared.load.connections
        ),
        format!("{:.0}", serve.rps),
        format!("{:.0}", nginx.rps),
        format!("**{ratio:.2}×**"),
        rounds.join(", "),
        format!("{serve_p99:.2} ms"),
        format!("{nginx_p99:.2} ms"),
        format!("{:.1} µs", least_cpu(&compared.serve)),
        format!("{:.1} µs", least_cpu(&compared.nginx)),
        if compared.load.nginx_deferred {
            format!(
                "none (like for like); {}",
                if met { "≥ 1.0×" } else { "< 1.0×" }
            )
        } else {
            format!("{target}: {}", if met { "met" } else { "**missed**" })
        },
    ]);
}

/// The least CPU per request over the rounds: the run least disturbed by the rest of
/// the machine.
fn least_cpu(samples: &[super::Sample]) -> f64 {
    samples
        .iter()
        .map(|s| s.cpu_us)
        .filter(|c| c.is_finite())
        .fold(f64::INFINITY, f64::min)
}

fn syscall_row(traced: &Traced) -> Vec<String> {
    let top: Vec<String> = traced
        .top
        .iter()
        .map(|(name, n)| format!("{name} {n:.2}"))
        .collect();
    vec![
        traced.server.to_string(),
        traced.load.name.to_string(),
        format!("{:.2}", traced.total),
        top.join(", "),
    ]
}
