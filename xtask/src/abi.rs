//! The C-header ABI check: the system's `<sys/epoll.h>`, compiled by the
//! system C compiler, is the oracle nobody here wrote. Its table of sizes,
//! offsets and constants must equal the one epoll-sys prints, line for line,
//! except the optional entries (newer than some headers) that the C side
//! prints as `absent NAME`: those are listed as not in this system's headers.

use crate::steps::{cargo, run_captured, target_dir, workspace_root, Outcome};
use std::process::Command;

/// Compiles and runs `xtask/abi/epoll_abi.c`, runs the `abi_table` example of
/// epoll-sys, and compares the two tables.
///
/// # Errors
///
/// When either side cannot be built or run, or when the tables differ: every
/// differing value and every name missing on one side is listed.
pub fn check() -> Outcome {
    let c_table = parse_table("C", &c_side()?)?;
    let rust_table = parse_table("epoll-sys", &rust_side()?)?;
    let differences = compare(&c_table, &rust_table);
    if differences.is_empty() {
        println!(
            "    ABI matches <sys/epoll.h>: {} entries compared",
            c_table.rows.len()
        );
        if !c_table.absent.is_empty() {
            println!(
                "    not in this system's headers (not compared): {}",
                c_table.absent.join(", ")
            );
        }
        Ok(())
    } else {
        Err(format!(
            "epoll-sys disagrees with <sys/epoll.h> on {} of {} entries:\n  {}",
            differences.len(),
            c_table.rows.len().max(rust_table.rows.len()),
            differences.join("\n  ")
        ))
    }
}

/// Builds the C oracle with `$CC` (default `cc`) into the target directory and runs it.
fn c_side() -> Outcome<String> {
    let source = workspace_root().join("xtask/abi/epoll_abi.c");
    let out_dir = target_dir()?.join("xtask");
    std::fs::create_dir_all(&out_dir)
        .map_err(|e| format!("cannot create {}: {e}", out_dir.display()))?;
    let exe = out_dir.join("epoll_abi");

    // $CC may carry arguments ("ccache cc", "gcc -m32"), as make and the cc crate allow.
    let cc = std::env::var("CC").unwrap_or_else(|_| "cc".to_string());
    let mut words = cc.split_whitespace();
    let program = words.next().ok_or("the CC environment variable is empty")?;
    let mut compile = Command::new(program);
    compile.args(words);
    // Warnings are shown, not fatal: a newer compiler's new warning must not
    // break the gate, while a wrong value does.
    compile.args(["-std=gnu11", "-Wall", "-Wextra", "-o"]);
    compile.arg(&exe).arg(&source);
    run_captured(compile)
        .map_err(|e| format!("{e}\n(is a C compiler installed? set CC to choose one)"))?;
    run_captured(Command::new(&exe))
}

/// Runs `cargo run -p epoll-sys --example abi_table`.
fn rust_side() -> Outcome<String> {
    let mut cmd = cargo();
    cmd.args([
        "run",
        "--quiet",
        "-p",
        "epoll-sys",
        "--example",
        "abi_table",
    ]);
    run_captured(cmd)
}

/// A printed table: its `(name, value)` rows in printed order, and the
/// optional names the printing side's headers lack (`absent NAME` lines).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
struct Table {
    rows: Vec<(String, u64)>,
    absent: Vec<String>,
}

/// The marker the C side prints before an optional name its headers lack.
const ABSENT: &str = "absent ";

/// Parses `name value` lines (the name may contain spaces; the value is the
/// last word) and `absent NAME` lines, refusing duplicates and non-numbers.
fn parse_table(side: &str, text: &str) -> Outcome<Table> {
    let mut table = Table::default();
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        if let Some(name) = line.trim().strip_prefix(ABSENT) {
            let name = name.trim();
            if lookup(&table, name).is_some() || table.absent.iter().any(|n| n == name) {
                return Err(format!("{side} printed {name} twice"));
            }
            table.absent.push(name.to_string());
            continue;
        }
        let (name, value) = line
            .trim()
            .rsplit_once(' ')
            .ok_or_else(|| format!("{side} printed a line without a value: {line:?}"))?;
        let value: u64 = value
            .parse()
            .map_err(|_| format!("{side} printed a non-number for {name}: {value:?}"))?;
        if lookup(&table, name).is_some() || table.absent.iter().any(|n| n == name) {
            return Err(format!("{side} printed {name} twice"));
        }
        table.rows.push((name.to_string(), value));
    }
    if table.rows.is_empty() {
        return Err(format!("{side} printed an empty table"));
    }
    Ok(table)
}

fn lookup(table: &Table, name: &str) -> Option<u64> {
    table.rows.iter().find(|(n, _)| n == name).map(|&(_, v)| v)
}

/// Every difference between the tables, one line each, in the C table's
/// order, then the names only epoll-sys has. Names the C side marks absent
/// (optional entries its headers lack) are not compared.
fn compare(c: &Table, rust: &Table) -> Vec<String> {
    let mut out = Vec::new();
    for (name, cv) in &c.rows {
        let cv = *cv;
        match lookup(rust, name) {
            Some(rv) if rv == cv => {}
            Some(rv) => out.push(format!(
                "{name}: C says {}, epoll-sys says {}",
                show(cv),
                show(rv)
            )),
            None => out.push(format!(
                "{name}: in <sys/epoll.h> but missing from epoll-sys"
            )),
        }
    }
    let absent_in_c = |n: &str| c.absent.iter().any(|a| a == n);
    for (name, _) in rust
        .rows
        .iter()
        .filter(|(n, _)| lookup(c, n).is_none() && !absent_in_c(n))
    {
        out.push(format!("{name}: in epoll-sys but missing from the C table"));
    }
    out
}

/// Small values in decimal; flag-sized ones also in hex, where bits are readable.
fn show(v: u64) -> String {
    if v < 64 {
        v.to_string()
    } else {
        format!("{v} ({v:#x})")
    }
}

#[cfg(test)]
mod tests {
    use super::{compare, parse_table};

    #[test]
    fn names_may_contain_spaces_and_the_value_is_the_last_word() {
        let t = parse_table(
            "C",
            "offsetof(struct epoll_event, data) 4\nEPOLLET 2147483648\n",
        )
        .unwrap();
        assert_eq!(
            t.rows,
            [
                ("offsetof(struct epoll_event, data)".to_string(), 4),
                ("EPOLLET".to_string(), 1 << 31),
            ]
        );
        assert!(t.absent.is_empty());
    }

    #[test]
    fn duplicates_and_garbage_are_refused() {
        assert!(parse_table("C", "A 1\nA 1\n")
            .unwrap_err()
            .contains("twice"));
        assert!(parse_table("C", "A x\n")
            .unwrap_err()
            .contains("non-number"));
        assert!(parse_table("C", "A\n")
            .unwrap_err()
            .contains("without a value"));
        assert!(parse_table("C", "\n").unwrap_err().contains("empty"));
        assert!(parse_table("C", "A 1\nabsent A\n")
            .unwrap_err()
            .contains("twice"));
        assert!(parse_table("C", "absent A\nA 1\n")
            .unwrap_err()
            .contains("twice"));
        assert!(parse_table("C", "absent B\n")
            .unwrap_err()
            .contains("empty"));
    }

    #[test]
    fn every_difference_and_missing_name_is_reported() {
        let c = parse_table("C", "sizeof(struct epoll_event) 12\nEPOLLIN 1\nONLY_C 3\n").unwrap();
        let r = parse_table(
            "epoll-sys",
            "sizeof(struct epoll_event) 16\nEPOLLIN 1\nONLY_RUST 4\n",
        )
        .unwrap();
        assert_eq!(
            compare(&c, &r),
            [
                "sizeof(struct epoll_event): C says 12, epoll-sys says 16",
                "ONLY_C: in <sys/epoll.h> but missing from epoll-sys",
                "ONLY_RUST: in epoll-sys but missing from the C table",
            ]
        );
    }

    #[test]
    fn names_the_c_headers_lack_are_skipped_not_flagged() {
        // Headers before Linux 6.1: no EPOLL_URING_WAKE, no busy-poll rows;
        // epoll-sys prints them all the same.
        let c = parse_table(
            "C",
            "EPOLLIN 1\nabsent EPOLL_URING_WAKE\nabsent offsetof(struct epoll_params, __pad)\n",
        )
        .unwrap();
        assert_eq!(
            c.absent,
            ["EPOLL_URING_WAKE", "offsetof(struct epoll_params, __pad)"]
        );
        let r = parse_table(
            "epoll-sys",
            "EPOLLIN 1\nEPOLL_URING_WAKE 134217728\noffsetof(struct epoll_params, __pad) 7\n",
        )
        .unwrap();
        assert!(compare(&c, &r).is_empty());
        // A name absent in C but also missing from epoll-sys is no difference
        // either; a value that differs elsewhere still is.
        let r = parse_table("epoll-sys", "EPOLLIN 2\n").unwrap();
        assert_eq!(compare(&c, &r), ["EPOLLIN: C says 1, epoll-sys says 2"]);
    }

    #[test]
    fn equal_tables_have_no_differences() {
        let c = parse_table("C", "EPOLLET 2147483648\n").unwrap();
        assert!(compare(&c, &c.clone()).is_empty());
    }
}
