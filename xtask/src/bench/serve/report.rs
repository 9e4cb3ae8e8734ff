//! The `serve` section of `xtask/BENCHMARKS.md`.

use super::{Compared, ServeBench, Traced, ROUNDS, RUN};
use crate::bench::Measured;
use std::fmt::Write as _;

/// The section's heading in the report.
pub const HEADING: &str = "`slow-client serve` against nginx";

/// The section as Markdown (under [`HEADING`]), or the line saying why it was skipped.
pub fn render(measured: &Measured<ServeBench>) -> String {
    let mut out = String::new();
    let bench = match measured {
        Measured::Skipped(why) => {
            let _ = writeln!(out, "{why}");
            return out;
        }
        Measured::Done(bench) => bench,
    };
    let busy = bench
        .busy
        .map_or("unknown".to_owned(), |b| format!("{:.0}%", b * 100.0));
    let _ = writeln!(
        out,
        "One `slow-client serve` thread against one nginx worker ({}, echo module, \
         `echo_sleep`, access log off, config generated into a temporary directory), \
         load from `{}` on the same machine: {} s per run, {ROUNDS} interleaved rounds \
         (the order alternates each round), the best round of each side compared. \
         The machine meanwhile: load average {} before, {} after; {busy} of all CPUs busy \
         (the servers and wrk included). Ratios are serve ÷ nginx (higher is better for \
         requests per second; the median of the per-round ratios is the steadier \
         figure on a busy machine); CPU/req is the server process's user + system time per \
         request, the least over the rounds (less disturbed by the machine than a rate).\n",
        bench.nginx_version,
        bench.wrk_version,
        RUN.as_secs(),
        bench.loadavg.0,
        bench.loadavg.1,
    );
    out.push_str("| load (wrk `-t`/`-c`) | serve req/s | nginx req/s | ratio | ratio per round | serve p99 | nginx p99 | serve CPU/req | nginx CPU/req | target |\n");
    out.push_str("|---|---:|---:|---:|---|---:|---:|---:|---:|---|\n");
    for compared in &bench.loads {
        row(&mut out, compared);
    }
    if let Some((p50, p99, max)) = bench.lateness {
        let _ = writeln!(
            out,
            "\nserve's own lateness at `/delay/100` × 2,000 connections (due to last byte \
             written, from `--access-log` in a separate run): p50 {p50:.3} ms, p99 {p99:.3} ms, \
             max {max:.3} ms. wrk's p99 adds its own side: its connections fall into step and \
             it shares the two cores."
        );
    }
    out.push_str("\n### Syscalls per request\n\n");
    match &bench.syscalls {
        Measured::Skipped(why) => {
            let _ = writeln!(out, "Syscalls: {why}");
        }
        Measured::Done(rows) => {
            out.push_str(
                "`strace -c -f -p PID` attached to each server for a 2 s wrk run (strace slows \
                 both; the counts, not the times, are the point), divided by wrk's requests; \
                 CPU per request is in the table above.\n\n\
                 | server | load | syscalls/request | most frequent |\n\
                 |---|---|---:|---|\n",
            );
            for traced in rows {
                syscall_row(&mut out, traced);
            }
        }
    }
    out
}

fn row(out: &mut String, compared: &Compared) {
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
    rounds.push(format!("median {:.2}", median(&per_round)));
    let latency_target = compared.load.connections >= 1000;
    let met = ratio >= 1.0 && (!latency_target || serve.p99_ms <= nginx.p99_ms);
    let target = if latency_target {
        "≥ 1.0×, p99 ≤ nginx's"
    } else {
        "≥ 1.0×"
    };
    let _ = writeln!(
        out,
        "| {} (`-t{}` `-c{}`) | {:.0} | {:.0} | **{ratio:.2}×** | {} | {:.2} ms | {:.2} ms | {:.1} µs | {:.1} µs | {target}: {} |",
        compared.load.name,
        compared.load.threads,
        compared.load.connections,
        serve.rps,
        nginx.rps,
        rounds.join(", "),
        serve.p99_ms,
        nginx.p99_ms,
        least_cpu(&compared.serve),
        least_cpu(&compared.nginx),
        if met { "met" } else { "**missed**" }
    );
}

/// The median of `values` (the mean of the middle two for an even count).
pub fn median(values: &[f64]) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    match sorted.len() {
        0 => f64::NAN,
        n if n % 2 == 1 => sorted[n / 2],
        n => (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0,
    }
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

fn syscall_row(out: &mut String, traced: &Traced) {
    let top: Vec<String> = traced
        .top
        .iter()
        .map(|(name, n)| format!("{name} {n:.2}"))
        .collect();
    let _ = writeln!(
        out,
        "| {} | {} | {:.2} | {} |",
        traced.server,
        traced.load.name,
        traced.total,
        top.join(", ")
    );
}

#[cfg(test)]
mod tests {
    use super::median;

    #[test]
    fn median_of_odd_and_even_counts() {
        assert_eq!(median(&[1.23, 0.81, 1.86, 1.13, 0.98]), 1.13);
        assert_eq!(median(&[1.0, 3.0, 2.0, 4.0]), 2.5);
        assert!(median(&[]).is_nan());
    }
}
