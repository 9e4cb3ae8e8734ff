//! The machine a benchmark ran on, and when: numbers mean little without it.

use std::process::Command;
use std::time::{SystemTime, UNIX_EPOCH};

/// What the report says about the machine.
#[derive(Debug)]
pub struct Machine {
    /// CPUs this process may use (what `nproc` prints).
    pub cpus: usize,
    /// `model name` from `/proc/cpuinfo`.
    pub model: String,
    /// `/proc/sys/kernel/osrelease`.
    pub kernel: String,
    /// `rustc -V`.
    pub rustc: String,
    /// UTC, `YYYY-MM-DD HH:MM`.
    pub date: String,
    /// The source measured: `git describe --always --dirty` (`-dirty`: the
    /// build included uncommitted changes).
    pub revision: String,
}

/// Reads it all; anything unreadable becomes `unknown`.
pub fn describe() -> Machine {
    let unknown = || "unknown".to_string();
    let model = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|text| {
            text.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split_once(':'))
                .map(|(_, v)| v.trim().to_string())
        })
        .unwrap_or_else(unknown);
    let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease")
        .map(|k| k.trim().to_string())
        .unwrap_or_else(|_| unknown());
    let rustc = first_line(Command::new("rustc").arg("-V")).unwrap_or_else(unknown);
    let revision = first_line(
        Command::new("git")
            .args(["describe", "--always", "--dirty"])
            .current_dir(crate::steps::workspace_root()),
    )
    .unwrap_or_else(unknown);
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    Machine {
        cpus: std::thread::available_parallelism().map_or(0, |n| n.get()),
        model,
        kernel,
        rustc,
        date: utc(secs),
        revision,
    }
}

/// Busy and total CPU time of the whole machine so far, in seconds, from the
/// first line of `/proc/stat` (all CPUs; busy is everything but idle and
/// iowait). The kernel reports it in USER_HZ ticks, 100 per second.
pub fn cpu_seconds() -> Option<(f64, f64)> {
    let t = Ticks::now()?;
    Some(((t.total - t.idle) as f64 / 100.0, t.total as f64 / 100.0))
}

/// The machine's CPU time so far by kind, in USER_HZ ticks (all CPUs), from
/// the first line of `/proc/stat`: what a run's noise is read from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ticks {
    /// All of it (user, nice, system, idle, iowait, irq, softirq, steal).
    pub total: u64,
    /// Idle and waiting for I/O: the part of `total` no one used.
    pub idle: u64,
    /// Serving softirqs (on loopback: most of TCP's receive path).
    pub softirq: u64,
    /// Taken by the hypervisor for other guests while runnable.
    pub steal: u64,
}

impl Ticks {
    /// Reads them now; `None` when `/proc/stat` cannot be read.
    pub fn now() -> Option<Ticks> {
        parse_ticks(&std::fs::read_to_string("/proc/stat").ok()?)
    }

    /// `(steal, softirq)` between `before` and `self`, as shares of the
    /// machine's CPU time; `None` when no tick passed.
    pub fn shares_since(&self, before: &Ticks) -> Option<(f64, f64)> {
        let total = self.total.checked_sub(before.total).filter(|&t| t > 0)? as f64;
        let share = |now: u64, then: u64| now.saturating_sub(then) as f64 / total;
        Some((
            share(self.steal, before.steal),
            share(self.softirq, before.softirq),
        ))
    }
}

fn parse_ticks(stat: &str) -> Option<Ticks> {
    let ticks: Vec<u64> = stat
        .lines()
        .next()?
        .strip_prefix("cpu ")?
        .split_whitespace()
        .filter_map(|t| t.parse().ok())
        .collect();
    Some(Ticks {
        total: ticks.iter().take(8).sum(),
        idle: ticks.get(3)? + ticks.get(4).unwrap_or(&0),
        softirq: *ticks.get(6)?,
        steal: *ticks.get(7)?,
    })
}

/// CPU time (user + system) of process `pid` so far, in seconds, from
/// `/proc/PID/stat` (fields 14 and 15, counted after the `)` that ends the
/// command name, which may itself contain spaces).
pub fn process_cpu_seconds(pid: u32) -> Option<f64> {
    cpu_of_stat(&std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?)
}

fn cpu_of_stat(stat: &str) -> Option<f64> {
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    let ticks = |i: usize| fields.get(i)?.parse::<u64>().ok();
    // After the `)`, index 0 is field 3 (state): utime is field 14, stime 15.
    Some((ticks(11)? + ticks(12)?) as f64 / 100.0)
}

/// `/proc/loadavg`'s 1, 5 and 15 minute load averages, as the kernel writes them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadAverage {
    /// Over the last minute.
    pub one: String,
    /// The 1, 5 and 15 minute averages, space-separated.
    pub three: String,
}

impl LoadAverage {
    /// Reads them now; `None` when `/proc/loadavg` cannot be read.
    pub fn now() -> Option<LoadAverage> {
        parse_loadavg(&std::fs::read_to_string("/proc/loadavg").ok()?)
    }
}

/// The 1-minute load average now, or `unknown`.
pub fn load_average_1() -> String {
    LoadAverage::now().map_or_else(|| "unknown".to_string(), |l| l.one)
}

/// The 1, 5 and 15 minute load averages now, or `unknown`.
pub fn load_average_3() -> String {
    LoadAverage::now().map_or_else(|| "unknown".to_string(), |l| l.three)
}

fn parse_loadavg(text: &str) -> Option<LoadAverage> {
    let fields: Vec<&str> = text.split_whitespace().take(3).collect();
    (fields.len() == 3).then(|| LoadAverage {
        one: fields[0].to_string(),
        three: fields.join(" "),
    })
}

/// The first line `cmd` prints, when it succeeds.
fn first_line(cmd: &mut Command) -> Option<String> {
    let out = cmd.output().ok().filter(|o| o.status.success())?;
    let text = String::from_utf8_lossy(&out.stdout);
    text.lines().next().map(|l| l.trim().to_string())
}

/// Seconds since the Unix epoch as `YYYY-MM-DD HH:MM` UTC (Howard
/// Hinnant's `civil_from_days`, so no date crate is needed).
fn utc(secs: u64) -> String {
    let days = (secs / 86_400) as i64;
    let (hour, minute) = ((secs % 86_400) / 3600, (secs % 3600) / 60);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02} {hour:02}:{minute:02}")
}

#[cfg(test)]
mod tests {
    use super::{cpu_of_stat, parse_loadavg, parse_ticks, utc, Ticks};

    #[test]
    fn load_average_is_the_first_three_fields_of_proc_loadavg() {
        let l = parse_loadavg("0.31 0.55 0.86 2/345 6789\n").unwrap();
        assert_eq!(
            (l.one.as_str(), l.three.as_str()),
            ("0.31", "0.31 0.55 0.86")
        );
        assert_eq!(parse_loadavg("0.31\n"), None);
        assert_eq!(parse_loadavg(""), None);
    }

    #[test]
    fn steal_and_softirq_are_read_as_shares_of_the_machine_between_two_reads() {
        let before = parse_ticks("cpu  100 0 50 800 10 0 20 20 0 0\ncpu0 1 2 3\n").unwrap();
        assert_eq!((before.total, before.softirq, before.steal), (1000, 20, 20));
        assert_eq!(before.idle, 810, "idle and iowait");
        let after = Ticks {
            total: 1200,
            idle: 900,
            softirq: 50,
            steal: 30,
        };
        assert_eq!(after.shares_since(&before), Some((0.05, 0.15)));
        assert_eq!(before.shares_since(&before), None, "no tick passed");
        assert_eq!(parse_ticks("cpu  1 2 3\n"), None, "a kernel without steal");
    }

    #[test]
    fn reads_user_and_system_ticks_after_a_command_name_with_spaces() {
        let stat = "4242 (slow client) S 1 4242 4242 0 -1 4194560 500 0 0 0 250 75 0 0 20 0 1 0";
        assert_eq!(cpu_of_stat(stat), Some(3.25));
        assert_eq!(cpu_of_stat("4242 (cut"), None);
    }

    #[test]
    fn formats_utc_dates_across_leap_days_and_centuries() {
        assert_eq!(utc(0), "1970-01-01 00:00");
        assert_eq!(utc(951_782_400), "2000-02-29 00:00");
        assert_eq!(utc(1_709_251_199), "2024-02-29 23:59");
        assert_eq!(utc(4_107_542_400), "2100-03-01 00:00");
    }
}
