//! Where the CPU time goes: `perf record -e cpu-clock -g` over one run, then
//! three views of `perf report`: user vs kernel (by shared object), time
//! inside each syscall (inclusive, from the call graph), and the hottest
//! functions (self time).
//!
//! `cpu-clock` is a software event, so this works in VMs whose hypervisor
//! hides the hardware counters (where `perf stat -e instructions` says
//! `<not supported>`).

mod report;

pub use report::findings;

use super::process::{self, Scratch};
use super::{dispatch, BURST_9000};
use crate::steps::Outcome;
use std::path::Path;
use std::process::Command;

/// Samples per second of CPU time.
const FREQUENCY: &str = "4000";

/// Waits per profiled dispatch probe: about 1.5 s of waiting.
const PROFILED_WAITS: &str = "300000";

/// The CPU profiles behind "where the time goes".
#[derive(Debug)]
pub struct Profiles {
    /// slow-client, 9,000 requests all due at once, embedded server.
    pub client: Profile,
    /// The dispatch bench's probe, `(impl, profile)`: raw libc and epoll-safe.
    pub dispatch: Vec<(&'static str, Profile)>,
}

/// Profiles slow-client's 9,000-request burst, and the dispatch probes of
/// raw libc and epoll-safe (to show where a wait's time goes, and that the
/// safe layer's own code is not where).
///
/// # Errors
///
/// As [`record`], or when the dispatch bench cannot be built.
pub fn measure(exe: &Path, scratch: &Scratch) -> Outcome<Profiles> {
    let args = [&BURST_9000[..], &["--json"]].concat();
    let client = record(exe, "slow-client", &args, scratch)?;
    let bench = dispatch::executable()?;
    let mut probes = Vec::new();
    for name in ["raw libc", "epoll-safe"] {
        let args = ["--probe", name, PROFILED_WAITS];
        let shown = "dispatch";
        probes.push((name, record(&bench, shown, &args, scratch)?));
    }
    Ok(Profiles {
        client,
        dispatch: probes,
    })
}

/// A share of the samples.
pub type Share = (String, f64);

/// The three views of one profile.
#[derive(Debug)]
pub struct Profile {
    /// The `perf record` command, for the report.
    pub command: String,
    /// CPU time sampled, ms (perf's event count of `cpu-clock` is in ns).
    pub sampled_ms: f64,
    /// Self time by shared object (`[kernel.kallsyms]`, `slow-client`, `libc.so.6`).
    pub by_object: Vec<Share>,
    /// Inclusive time by syscall (`__x64_sys_*`), largest first.
    pub by_syscall: Vec<Share>,
    /// Inclusive time in softirq network receive processing (loopback
    /// delivers in the sender's syscall).
    pub softirq_net: Option<f64>,
    /// Self time by function, the hottest first.
    pub hottest: Vec<Share>,
}

/// Why profiling is not possible here, or `None` when it is.
pub fn unavailable(scratch: &Scratch) -> Option<String> {
    let data = scratch.path("probe.perf");
    let status = Command::new("perf")
        .args(["record", "-q", "-e", "cpu-clock", "-o"])
        .arg(&data)
        .args(["--", "true"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status();
    match status {
        Ok(s) if s.success() => None,
        Ok(s) => Some(format!("`perf record -e cpu-clock -- true` failed ({s})")),
        Err(e) => Some(format!("perf could not be started ({e})")),
    }
}

/// Records `program args...`, shown in the report as `shown args...`, and
/// reads the three views.
///
/// # Errors
///
/// When perf or the run fails (exit status 1, slow-client's "some request
/// failed", still has a profile), or the report has no samples.
pub fn record(program: &Path, shown: &str, args: &[&str], scratch: &Scratch) -> Outcome<Profile> {
    let data = scratch.path("run.perf");
    let mut cmd = Command::new("perf");
    cmd.args(["record", "-e", "cpu-clock", "-F", FREQUENCY, "-g", "-o"]);
    cmd.arg(&data).arg("--").arg(program).args(args);
    let quoted: Vec<String> = args
        .iter()
        .map(|a| {
            if a.contains(' ') {
                format!("'{a}'")
            } else {
                a.to_string()
            }
        })
        .collect();
    let command = format!(
        "perf record -e cpu-clock -F {FREQUENCY} -g -- {shown} {}",
        quoted.join(" ")
    );
    let done = process::run(cmd, scratch, "perf")?;
    if !matches!(done.status.code(), Some(0 | 1)) {
        return Err(format!("{command} failed:\n{}", done.stderr_tail(10)));
    }
    let report = |extra: &[&str]| -> Outcome<String> {
        let mut cmd = Command::new("perf");
        cmd.args(["report", "--stdio", "-g", "none", "-i"])
            .arg(&data);
        cmd.args(extra);
        let done = process::run(cmd, scratch, "perf-report")?;
        if done.status.success() {
            Ok(done.stdout)
        } else {
            Err(format!("perf report failed:\n{}", done.stderr_tail(10)))
        }
    };
    let objects = report(&["--no-children", "--sort", "dso"])?;
    let inclusive = report(&["--children", "--sort", "sym"])?;
    let hottest = report(&["--no-children", "--sort", "sym"])?;
    let mut by_syscall: Vec<Share> = rows(&inclusive, 2)
        .into_iter()
        .filter_map(|(sym, pct)| {
            let name = sym.strip_prefix("[k] __x64_sys_")?;
            Some((name.to_string(), pct))
        })
        .collect();
    by_syscall.sort_by(|a, b| b.1.total_cmp(&a.1));
    let softirq_net = rows(&inclusive, 2)
        .into_iter()
        .find(|(sym, _)| sym == "[k] net_rx_action")
        .map(|(_, pct)| pct);
    let profile = Profile {
        command,
        sampled_ms: event_count_ns(&objects).unwrap_or(0.0) / 1e6,
        by_object: rows(&objects, 1),
        by_syscall,
        softirq_net,
        hottest: rows(&hottest, 1).into_iter().take(12).collect(),
    };
    if profile.by_object.is_empty() {
        return Err(format!("{}: perf report shows no samples", profile.command));
    }
    Ok(profile)
}

/// The rows of a `perf report --stdio` table: the first percentage column
/// (children when there are two), then the rest of the line as the name.
/// `columns` is how many percentage columns the table has.
fn rows(report: &str, columns: usize) -> Vec<Share> {
    report
        .lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|line| {
            let mut rest = line.trim_start();
            let mut first = None;
            for _ in 0..columns {
                let (pct, tail) = rest.split_once('%')?;
                first.get_or_insert(pct.trim().parse::<f64>().ok()?);
                rest = tail.trim_start();
            }
            let name = rest.trim_end();
            (!name.is_empty()).then(|| (name.to_string(), first.unwrap_or(0.0)))
        })
        .collect()
}

/// `# Event count (approx.): 586500000` from a report header.
fn event_count_ns(report: &str) -> Option<f64> {
    report
        .lines()
        .find_map(|l| l.strip_prefix("# Event count (approx.): "))
        .and_then(|n| n.trim().parse().ok())
}

#[cfg(test)]
mod tests {
    use super::{event_count_ns, rows};

    #[test]
    fn reads_self_and_children_tables() {
        let objects = "\
# Samples: 1K of event 'cpu-clock'
# Event count (approx.): 586500000
#
    95.31%  [kernel.kallsyms]   
     3.15%  slow-client         
";
        assert_eq!(event_count_ns(objects), Some(586_500_000.0));
        assert_eq!(
            rows(objects, 1),
            [
                ("[kernel.kallsyms]".to_string(), 95.31),
                ("slow-client".to_string(), 3.15)
            ]
        );
        let children = "\
# Children      Self  Symbol
    26.85%     0.09%  [k] __x64_sys_close
     0.77%     0.09%  [.] slow_client::report::Reporter<W>::response
";
        let r = rows(children, 2);
        assert_eq!(r[0], ("[k] __x64_sys_close".to_string(), 26.85));
        assert_eq!(r[1].0, "[.] slow_client::report::Reporter<W>::response");
    }

    #[test]
    fn callchain_lines_are_not_rows() {
        let text = "               0x55df554cfeb0\n            |--3.36%--__strcmp_evex\n";
        assert!(rows(text, 1).is_empty());
    }
}
