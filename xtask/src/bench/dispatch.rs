//! The dispatch bench (`epoll-safe/benches/dispatch`): run it, keep its
//! tables, and read back the numbers the targets are judged on. With strace,
//! also count the syscalls one wait makes in each implementation.

use super::process::{self, Scratch};
use super::report::{Block, Chapter, Findings, Target};
use super::strace;
use crate::steps::{built_executable, cargo, run_captured, Outcome};
use std::path::{Path, PathBuf};
use std::process::Command;

/// The command, as the report shows it.
pub const COMMAND: &str = "cargo bench -p epoll-safe --bench dispatch";

/// The implementations, as the bench names them.
pub const IMPLS: [&str; 4] = ["raw libc", "epoll-safe", "mio", "polling"];

/// Waits per strace probe: enough that setup is not in the per-wait numbers.
const PROBE_WAITS: u64 = 2000;

/// One row of the bench's tables.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    /// `true` for the write+drain table, `false` for kept readable.
    pub drain: bool,
    /// Implementation name.
    pub name: String,
    /// Number of fds.
    pub k: u32,
    /// Median ns per event.
    pub median_ns: f64,
    /// Median over raw libc's median.
    pub ratio: f64,
    /// Allocations per wait.
    pub allocations_per_wait: f64,
}

/// What the bench printed, and the rows read from it.
#[derive(Debug)]
pub struct Dispatch {
    /// The bench's stdout, verbatim (markdown).
    pub markdown: String,
    /// Every table row.
    pub rows: Vec<Row>,
}

/// Runs the bench (release) and reads its tables.
///
/// # Errors
///
/// When the bench fails or prints no table rows.
pub fn run() -> Outcome<Dispatch> {
    let mut cmd = cargo();
    cmd.args(COMMAND.split(' ').skip(1));
    let markdown = run_captured(cmd)?;
    let rows = parse(&markdown)?;
    Ok(Dispatch { markdown, rows })
}

/// The bench's output as its chapter, and epoll-safe's rows judged against
/// the dispatch targets.
pub fn findings(d: &Dispatch) -> Findings {
    let safe: Vec<&Row> = d
        .rows
        .iter()
        .filter(|row| row.name == "epoll-safe")
        .collect();
    let ratios: Vec<String> = safe
        .iter()
        .map(|row| {
            let variant = if row.drain {
                "write+drain"
            } else {
                "kept readable"
            };
            format!("{:.3}x ({variant}, K={})", row.ratio, row.k)
        })
        .collect();
    let most = safe
        .iter()
        .map(|row| row.allocations_per_wait)
        .fold(0.0, f64::max);
    let targets = vec![
        Target {
            what: "epoll-safe dispatch within 2% of raw libc (ratio of medians <= 1.02)",
            measured: ratios.join(", "),
            met: (!safe.is_empty()).then(|| safe.iter().all(|row| row.ratio <= 1.02)),
        },
        Target {
            what: "epoll-safe: zero allocations per wait",
            measured: format!("{most} (largest over every measured wait)"),
            met: (!safe.is_empty()).then_some(most == 0.0),
        },
    ];
    let blocks = vec![
        Block::Text(format!("`{COMMAND}` (release). Its output:")),
        Block::Text(d.markdown.clone()),
    ];
    Findings {
        targets,
        chapters: vec![Chapter::new("Dispatch cost", blocks)],
    }
}

/// Reads the rows of the bench's markdown tables: `| impl | K | waits/batch
/// | median ns/event | ratio | p25..p75 | allocations/wait |`, under a
/// `### ` heading that says which variant.
///
/// # Errors
///
/// When a row has the wrong shape or there are none.
pub fn parse(markdown: &str) -> Outcome<Vec<Row>> {
    let mut drain = false;
    let mut rows = Vec::new();
    for line in markdown.lines() {
        if let Some(heading) = line.strip_prefix("### ") {
            drain = heading.contains("write+drain");
            continue;
        }
        let cells: Vec<&str> = line.split('|').map(str::trim).collect();
        // A row is `| a | ... | g |`: empty first and last cells, seven between.
        if cells.len() != 9 || cells[2].parse::<u32>().is_err() {
            continue;
        }
        let num = |i: usize| {
            cells[i]
                .parse::<f64>()
                .map_err(|_| format!("dispatch bench: cell {i} of {line:?} is not a number"))
        };
        rows.push(Row {
            drain,
            name: cells[1].to_string(),
            k: num(2)? as u32,
            median_ns: num(4)?,
            ratio: num(5)?,
            allocations_per_wait: num(7)?,
        });
    }
    if rows.is_empty() {
        return Err(format!(
            "the dispatch bench printed no table rows:\n{markdown}"
        ));
    }
    Ok(rows)
}

/// The bench executable, built in release, as cargo reports it.
///
/// # Errors
///
/// When the build fails or cargo reports no executable.
pub fn executable() -> Outcome<PathBuf> {
    let mut cmd = cargo();
    cmd.args(COMMAND.split(' ').skip(1));
    cmd.arg("--no-run");
    built_executable(cmd, "the dispatch bench")
}

/// Syscalls per wait of one implementation, most frequent first.
#[derive(Debug)]
pub struct PerWait {
    /// Implementation name.
    pub name: &'static str,
    /// `(syscall, calls per wait)`.
    pub calls: Vec<(String, f64)>,
}

/// Counts, for each implementation, the syscalls of `--probe IMPL 0` and
/// `--probe IMPL 2000` under strace; the difference over 2000 is what one
/// kept-readable wait on 64 fds costs in syscalls.
///
/// # Errors
///
/// When the bench cannot be built or a probe fails.
pub fn syscalls_per_wait(strace_bin: &Path, scratch: &Scratch) -> Outcome<Vec<PerWait>> {
    let exe = executable()?;
    let count = |name: &str, waits: u64| -> Outcome<strace::Table> {
        let file = scratch.path("probe.strace");
        let mut cmd = Command::new(strace_bin);
        cmd.args(["-f", "-c", "-o"]).arg(&file).arg(&exe);
        cmd.args(["--probe", name, &waits.to_string()]);
        let done = process::run(cmd, scratch, "probe")?;
        if !done.status.success() {
            return Err(format!("probe failed:\n{}", done.stderr_tail(10)));
        }
        let text =
            std::fs::read_to_string(&file).map_err(|e| format!("reading strace output: {e}"))?;
        strace::parse(&text)
    };
    IMPLS
        .iter()
        .map(|&name| {
            let base = count(name, 0)?;
            let run = count(name, PROBE_WAITS)?;
            Ok(PerWait {
                name,
                calls: run.per_unit(&base, PROBE_WAITS),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::parse;

    #[test]
    fn reads_both_tables_and_knows_which_variant_a_row_is() {
        let md = "\
intro line
### kept readable (never drained)

| impl | K | waits/batch | median ns/event | ratio to raw libc | per-round ratio p25..p75 | allocations/wait |
|---|---:|---:|---:|---:|---:|---:|
| raw libc | 64 | 503 | 76.28 | 1.000 | 1.000..1.000 | 0 |
| epoll-safe | 1024 | 37 | 75.60 | 0.999 | 0.987..1.024 | 0 |

### write+drain (write every fd, wait, read each reported fd)

| polling | 64 | 53 | 900.99 | 1.014 | 1.002..1.026 | 0.5 |
";
        let rows = parse(md).unwrap();
        assert_eq!(rows.len(), 3);
        assert!(!rows[0].drain && !rows[1].drain && rows[2].drain);
        assert_eq!(rows[1].name, "epoll-safe");
        assert_eq!(rows[1].k, 1024);
        assert_eq!(rows[1].median_ns, 75.60);
        assert_eq!(rows[1].ratio, 0.999);
        assert_eq!(rows[2].allocations_per_wait, 0.5);
    }

    #[test]
    fn output_without_rows_is_an_error() {
        assert!(parse("### kept readable\n| impl | K |\n").is_err());
    }
}
