//! The floor's chapter of the report: CPU against the floor's, and syscalls
//! per request against it, each with its target.

use super::super::report::{Align, Block, Chapter, Findings, Table};
use super::super::stats::{median, range};
use super::super::Measured;
use super::{Cpu, Floor, Traced, CPU_TARGET, ROUNDS, SYSCALL_TARGETS};
use std::collections::{BTreeMap, BTreeSet};

/// The section's heading in the report.
pub const HEADING: &str = "The floor: slow-client against the leanest client";

/// The section's chapter (its targets are judged in its own tables, not in
/// the report's targets table).
pub fn findings(f: &Floor) -> Findings {
    use Align::{Left, Right};
    let mut blocks = vec![
        Block::Text(
            "The floor is `epoll-sys/examples/floor_client.rs` (release): raw epoll-sys and libc, \
             one thread, one epoll instance, slow-client's request bytes, one `epoll_ctl` per \
             socket (`EPOLLOUT | EPOLLIN | EPOLLRDHUP | EPOLLET`), no parsing, no per-request \
             output. Both run against one separate `slow-client serve`. slow-client runs with \
             `--json` and its standard output in a file, as `> run.jsonl` would have it (the \
             lines go out in 64 KiB blocks; into a pipe or a terminal it writes once per loop \
             turn, which at a 2 ms step is once per answer)."
                .into(),
        ),
        Block::Text(format!(
            "CPU is user + system time from each program's own `getrusage` at exit, over {ROUNDS} \
             interleaved rounds; the ratio is slow-client's over the floor's in the same round. \
             Load average when the section started: {}.",
            f.load_average
        )),
    ];
    let mut table = Table::new(&[
        ("load", Left),
        ("slow-client CPU (median)", Right),
        ("floor CPU (median)", Right),
        ("ratio, median", Right),
        ("ratio, range", Right),
        ("others' share of the machine (max)", Right),
        ("target ≤ 1.05×", Left),
    ]);
    for c in &f.cpu {
        let ratios = c.ratios();
        let cpu = |pick: fn(&(Cpu, Cpu)) -> f64| {
            median(&c.rounds.iter().map(pick).collect::<Vec<_>>()).unwrap_or(f64::NAN)
        };
        let (sc, fl) = (cpu(|r| r.0.ms), cpu(|r| r.1.ms));
        let mid = median(&ratios).unwrap_or(f64::NAN);
        let (lo, hi) = range(&ratios).unwrap_or((f64::NAN, f64::NAN));
        let others = c
            .rounds
            .iter()
            .flat_map(|(a, b)| [a.others, b.others])
            .flatten()
            .max_by(f64::total_cmp)
            .map_or("unknown".to_string(), |o| format!("{:.0}%", o * 100.0));
        table.row(vec![
            load_name(c.load),
            format!("{sc:.0} ms"),
            format!("{fl:.0} ms"),
            format!("{mid:.2}×"),
            format!("{lo:.2}–{hi:.2}×"),
            others,
            met(mid <= CPU_TARGET).to_string(),
        ]);
    }
    blocks.push(Block::Table(table));
    let failed: u32 = f
        .cpu
        .iter()
        .flat_map(|c| &c.rounds)
        .map(|(a, b)| a.failed + b.failed)
        .sum();
    if failed > 0 {
        blocks.push(Block::Text(format!(
            "{failed} requests failed in these runs: the ratios compare unequal work."
        )));
    }
    blocks.push(Block::Text(
        "Syscalls per request, `strace -f -c` (whole process, start-up included):".into(),
    ));
    match &f.syscalls {
        Measured::Skipped(why) => blocks.push(Block::Text(why.clone())),
        Measured::Done(rows) => {
            let mut table = Table::new(&[
                ("load", Left),
                ("slow-client", Right),
                ("floor", Right),
                ("where slow-client spends more", Left),
                ("target", Left),
            ]);
            for (row, target) in rows.iter().zip(SYSCALL_TARGETS) {
                let sc = row.slow_client.total_per_request;
                table.row(vec![
                    load_name(row.load),
                    format!("{sc:.2}"),
                    format!("{:.2}", row.floor.total_per_request),
                    difference(&row.slow_client, &row.floor),
                    format!("≤ {target}: {}", met(sc <= target)),
                ]);
            }
            blocks.push(Block::Table(table));
        }
    }
    Findings {
        targets: Vec::new(),
        chapters: vec![Chapter::new(HEADING, blocks)],
    }
}

/// `9,000 × step 0` or `5,000 × step 2 ms`.
pub(super) fn load_name((n, step): (u32, u32)) -> String {
    let n = if n >= 1000 {
        format!("{},{:03}", n / 1000, n % 1000)
    } else {
        n.to_string()
    };
    match step {
        0 => format!("{n} × step 0"),
        s => format!("{n} × step {s} ms"),
    }
}

fn met(ok: bool) -> &'static str {
    if ok {
        "met"
    } else {
        "missed"
    }
}

/// The syscalls slow-client makes at least 0.01 more or fewer of per
/// request than the floor, largest difference first, e.g. `epoll_ctl +1.00,
/// write +0.13`. Calls that do the same work under another name count as
/// one: `recvfrom` as `read` (std reads a socket with `recv`, the floor with
/// `read`), `epoll_pwait`/`epoll_pwait2` as `epoll_wait`.
fn difference(slow_client: &Traced, floor: &Traced) -> String {
    fn merged(t: &Traced) -> BTreeMap<&str, f64> {
        let mut m = BTreeMap::new();
        for (name, v) in &t.per_request {
            let name = match name.as_str() {
                "recvfrom" | "recv" => "read",
                "epoll_pwait" | "epoll_pwait2" => "epoll_wait",
                other => other,
            };
            *m.entry(name).or_default() += v;
        }
        m
    }
    let (sc, fl) = (merged(slow_client), merged(floor));
    let names: BTreeSet<&str> = sc.keys().chain(fl.keys()).copied().collect();
    let mut deltas: Vec<(&str, f64)> = names
        .into_iter()
        .map(|n| (n, sc.get(n).unwrap_or(&0.0) - fl.get(n).unwrap_or(&0.0)))
        .filter(|(_, d)| d.abs() >= 0.01)
        .collect();
    deltas.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(b.0)));
    if deltas.is_empty() {
        return "nothing".to_string();
    }
    let parts: Vec<String> = deltas.iter().map(|(n, d)| format!("{n} {d:+.2}")).collect();
    parts.join(", ")
}
