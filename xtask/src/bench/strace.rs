//! Counting system calls with `strace -f -c`: finding strace, and reading
//! the table it writes.

use crate::steps::Outcome;
use std::collections::BTreeMap;
use std::path::PathBuf;

/// Calls per syscall, from one `strace -c` table.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Table {
    /// Calls of each syscall (failed calls included, as strace counts them).
    pub calls: BTreeMap<String, u64>,
    /// The `total` line's calls.
    pub total: u64,
}

impl Table {
    /// Syscalls per unit of work: `(self - baseline) / units`, per syscall,
    /// most frequent first, leaving out those under 0.005 per unit.
    pub fn per_unit(&self, baseline: &Table, units: u64) -> Vec<(String, f64)> {
        let mut rows: Vec<(String, f64)> = self
            .calls
            .iter()
            .map(|(name, &n)| {
                let base = baseline.calls.get(name).copied().unwrap_or(0);
                (name.clone(), n.saturating_sub(base) as f64 / units as f64)
            })
            .filter(|(_, per)| *per >= 0.005)
            .collect();
        rows.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        rows
    }
}

/// The first `strace` on `PATH`, if any.
pub fn find() -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join("strace"))
        .find(|p| p.is_file())
}

/// Reads the table `strace -c` writes:
///
/// ```text
/// % time     seconds  usecs/call     calls    errors syscall
/// ------ ----------- ----------- --------- --------- ----------------
///  24.42    0.125121          25      5000      5000 connect
///  20.26    0.103824          20      5006           close
/// ------ ----------- ----------- --------- --------- ----------------
/// 100.00    0.512427          14     35260      5002 total
/// ```
///
/// The errors column is blank when a syscall never failed, so the calls are
/// the fourth field and the name the last.
///
/// # Errors
///
/// When there is no `total` line or a row does not have that shape.
pub fn parse(text: &str) -> Outcome<Table> {
    let mut table = Table::default();
    let mut saw_total = false;
    for line in text.lines() {
        let fields: Vec<&str> = line.split_whitespace().collect();
        let is_row = fields.len() >= 5 && fields[0].parse::<f64>().is_ok();
        if !is_row {
            continue;
        }
        let calls: u64 = fields[3]
            .parse()
            .map_err(|_| format!("strace -c: no call count in {line:?}"))?;
        let name = fields[fields.len() - 1];
        if name == "total" {
            table.total = calls;
            saw_total = true;
        } else {
            *table.calls.entry(name.to_string()).or_default() += calls;
        }
    }
    if !saw_total {
        return Err(format!("strace -c wrote no total line:\n{text}"));
    }
    Ok(table)
}

#[cfg(test)]
mod tests {
    use super::{parse, Table};

    const SAMPLE: &str = "\
% time     seconds  usecs/call     calls    errors syscall
------ ----------- ----------- --------- --------- ------------------
 24.42    0.125121          25      5000      5000 connect
 20.26    0.103824          20      5006           close
 18.59    0.095267           9     10001           epoll_ctl
  0.00    0.000011           1         6         1 read
------ ----------- ----------- --------- --------- ------------------
100.00    0.512427          14     20013      5001 total
";

    #[test]
    fn reads_calls_with_and_without_an_errors_column() {
        let t = parse(SAMPLE).unwrap();
        assert_eq!(t.total, 20013);
        assert_eq!(t.calls["connect"], 5000);
        assert_eq!(t.calls["close"], 5006);
        assert_eq!(t.calls["epoll_ctl"], 10001);
        assert_eq!(t.calls["read"], 6);
        assert_eq!(t.calls.len(), 4);
    }

    #[test]
    fn a_table_without_a_total_is_refused() {
        let cut: String = SAMPLE.lines().take(4).map(|l| format!("{l}\n")).collect();
        assert!(parse(&cut).unwrap_err().contains("no total line"));
    }

    #[test]
    fn per_unit_subtracts_the_baseline_and_sorts_by_frequency() {
        let run = parse(SAMPLE).unwrap();
        let mut base = Table::default();
        base.calls.insert("close".into(), 6);
        base.calls.insert("read".into(), 6);
        let per = run.per_unit(&base, 5000);
        let names: Vec<&str> = per.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, ["epoll_ctl", "close", "connect"]);
        assert_eq!(per[1].1, 1.0);
        assert!((per[0].1 - 2.0002).abs() < 1e-9);
    }
}
