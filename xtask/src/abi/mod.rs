//! The C-header ABI check: the system's `<sys/epoll.h>`, compiled by a C
//! compiler, is the oracle nobody here wrote. Its table of sizes, offsets and
//! constants must equal the one epoll-sys prints, line for line, except the
//! optional entries (newer than some headers) that the C side prints as
//! `absent NAME`: those are listed as not in this system's headers.
//!
//! `cargo xtask abi` checks this machine (the gate's step); `--target TRIPLE`
//! and `--all-targets` check other architectures through Debian's cross
//! toolchains and qemu-user ([`cross`]), and skip, naming the packages, the
//! targets whose tools are not installed.

mod cross;
mod table;

use crate::steps::{cargo, run_all, run_captured, target_dir, workspace_root, Outcome, Step};
use cross::{Cross, TARGETS};
use std::path::Path;
use std::process::Command;
use table::{compare_outputs, Comparison};

/// Which targets one `cargo xtask abi` run checks.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Which {
    /// This machine, with the system's C compiler and cargo's toolchain (the gate's step).
    Host,
    /// One cross target, under qemu.
    Target(Cross),
    /// This machine, then every cross target.
    AllTargets,
}

/// Reads the `abi` task's arguments: none, `--target TRIPLE` (or
/// `--target=TRIPLE`), or `--all-targets`.
///
/// # Errors
///
/// A usage message for anything else, naming the known targets.
pub fn choose(args: &[String]) -> Result<Which, String> {
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let triple = match args.as_slice() {
        [] => return Ok(Which::Host),
        ["--all-targets"] => return Ok(Which::AllTargets),
        ["--target", triple] => *triple,
        [one] if one.starts_with("--target=") => &one["--target=".len()..],
        ["--target"] => return Err("`--target` needs a target triple".to_string()),
        _ => {
            return Err(format!(
                "`abi` takes no argument, `--target TRIPLE` or `--all-targets`, got `{}`",
                args.join(" ")
            ))
        }
    };
    Cross::find(triple).map(Which::Target).ok_or_else(|| {
        let known: Vec<&str> = TARGETS.iter().map(|t| t.triple).collect();
        format!(
            "unknown target `{triple}`; `--target` knows {} (this machine is checked without it)",
            known.join(", ")
        )
    })
}

/// Runs the check for `which`.
///
/// # Errors
///
/// When a target's tables differ or cannot be built or run; skipped targets
/// (tools not installed) are not errors.
pub fn run(which: Which) -> Outcome {
    let targets: Vec<Cross> = match which {
        Which::Host => return run_all("abi", vec![Step::new("abi", check)]),
        Which::Target(t) => vec![t],
        Which::AllTargets => TARGETS.to_vec(),
    };
    let mut results = Vec::new();
    if which == Which::AllTargets {
        println!("==> {}", host_label());
        results.push((host_label(), verdict(host_tables())));
    }
    for t in targets {
        println!("==> {}", t.triple);
        let v = match t.missing(&|p: &Path| p.is_file() || p.is_dir()) {
            Some(skip) => Verdict::Skipped(skip),
            None => verdict(t.tables()),
        };
        results.push((t.triple.to_string(), v));
    }
    println!();
    println!("{}", report_header());
    for (label, v) in &results {
        println!("{}", report_line(label, v));
    }
    let failed: Vec<String> = results
        .iter()
        .filter_map(|(label, v)| v.failure().map(|f| format!("{label}: {f}")))
        .collect();
    let skipped = results
        .iter()
        .filter(|(_, v)| matches!(v, Verdict::Skipped(_)))
        .count();
    println!(
        "==> abi: {} of {} targets match, {skipped} skipped, {} failed",
        results.len() - skipped - failed.len(),
        results.len(),
        failed.len()
    );
    if failed.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "{} of {} targets failed the ABI check:\n  {}",
            failed.len(),
            results.len(),
            failed.join("\n  ")
        ))
    }
}

/// The gate's step: this machine's headers against epoll-sys built by
/// cargo's toolchain.
///
/// # Errors
///
/// When either side cannot be built or run, or when the tables differ: every
/// differing value and every name missing on one side is listed.
pub fn check() -> Outcome {
    let (c, rust) = host_tables()?;
    let found = compare_outputs(&c, &rust)?;
    if found.mismatches.is_empty() {
        println!(
            "    ABI matches <sys/epoll.h>: {} entries compared",
            found.compared
        );
        if !found.computed.is_empty() {
            println!(
                "    of which {} busy-poll entries computed from the kernel's struct and \
                 <asm/ioctl.h> (not in this system's headers)",
                found.computed.len()
            );
        }
        if !found.absent.is_empty() {
            println!(
                "    not in this system's headers (not compared): {}",
                found.absent.join(", ")
            );
        }
        Ok(())
    } else {
        Err(format!(
            "epoll-sys disagrees with <sys/epoll.h> on {} of {} entries:\n  {}",
            found.mismatches.len(),
            found.compared,
            found.mismatches.join("\n  ")
        ))
    }
}

/// How this machine is named in the report.
fn host_label() -> String {
    format!("{} (this machine)", std::env::consts::ARCH)
}

/// This machine's two tables: (C, epoll-sys).
fn host_tables() -> Outcome<(String, String)> {
    Ok((c_side()?, rust_side()?))
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

/// What checking one target came to.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Verdict {
    /// Both tables were built, run and compared.
    Compared(Comparison),
    /// Its tools are not installed: what to install.
    Skipped(String),
    /// A build or run failed, or a side printed something that is not a table.
    Failed(String),
}

impl Verdict {
    /// Why this target fails the check, if it does.
    fn failure(&self) -> Option<String> {
        match self {
            Verdict::Compared(c) if c.mismatches.is_empty() => None,
            Verdict::Compared(c) => Some(c.mismatches.join("\n    ")),
            Verdict::Skipped(_) => None,
            Verdict::Failed(why) => Some(why.clone()),
        }
    }
}

/// Compares two tables, or says why there were none.
fn verdict(tables: Outcome<(String, String)>) -> Verdict {
    match tables.and_then(|(c, rust)| compare_outputs(&c, &rust)) {
        Ok(found) => Verdict::Compared(found),
        Err(why) => Verdict::Failed(why),
    }
}

/// The report's column heads, aligned with [`report_line`].
fn report_header() -> String {
    format!(
        "{:<32} {:>8} {:>7} {:>11}",
        "target", "compared", "absent", "mismatched"
    )
}

/// One target's line of the report.
fn report_line(label: &str, verdict: &Verdict) -> String {
    match verdict {
        Verdict::Compared(c) => {
            let mut line = format!(
                "{label:<32} {:>8} {:>7} {:>11}",
                c.compared,
                c.absent.len(),
                c.mismatches.len()
            );
            if !c.computed.is_empty() {
                line.push_str(&format!(
                    "  ({} busy-poll entries computed: not in these headers)",
                    c.computed.len()
                ));
            }
            if !c.absent.is_empty() {
                line.push_str(&format!("  (absent: {})", c.absent.join(", ")));
            }
            line
        }
        Verdict::Skipped(what) => format!("{label:<32} {what}"),
        Verdict::Failed(why) => {
            let first = why.lines().next().unwrap_or_default();
            format!("{label:<32} FAILED: {first}")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{choose, report_header, report_line, Comparison, Verdict, Which};
    use crate::abi::cross::Cross;

    fn args(words: &[&str]) -> Vec<String> {
        words.iter().map(|w| w.to_string()).collect()
    }

    #[test]
    fn arguments_choose_this_machine_one_target_or_all() {
        assert_eq!(choose(&args(&[])), Ok(Which::Host));
        assert_eq!(choose(&args(&["--all-targets"])), Ok(Which::AllTargets));
        let arm = Cross::find("aarch64-unknown-linux-gnu").unwrap();
        assert_eq!(
            choose(&args(&["--target", "aarch64-unknown-linux-gnu"])),
            Ok(Which::Target(arm))
        );
        assert_eq!(
            choose(&args(&["--target=aarch64-unknown-linux-gnu"])),
            Ok(Which::Target(arm))
        );
    }

    #[test]
    fn bad_arguments_are_refused_with_what_is_known() {
        let unknown = choose(&args(&["--target", "sparc64-unknown-linux-gnu"])).unwrap_err();
        assert!(unknown.contains("unknown target `sparc64-unknown-linux-gnu`"));
        assert!(unknown.contains("powerpc64le-unknown-linux-gnu"));
        assert!(choose(&args(&["--target"])).unwrap_err().contains("needs"));
        assert!(choose(&args(&["--all"])).unwrap_err().contains("`--all`"));
        assert!(choose(&args(&["--all-targets", "--target", "x"])).is_err());
    }

    #[test]
    fn a_report_line_counts_compared_absent_and_mismatched() {
        let found = Comparison {
            compared: 38,
            absent: vec!["EPOLL_URING_WAKE".into()],
            computed: vec!["EPIOCSPARAMS".into(), "EPIOCGPARAMS".into()],
            mismatches: vec!["EPIOCSPARAMS: C says 1, epoll-sys says 2".into()],
        };
        let line = report_line("powerpc64le-unknown-linux-gnu", &Verdict::Compared(found));
        assert_eq!(
            line,
            "powerpc64le-unknown-linux-gnu          38       1           1  \
             (2 busy-poll entries computed: not in these headers)  (absent: EPOLL_URING_WAKE)"
        );
        // Each number ends where its head ends.
        let head = report_header();
        for (word, value) in [("compared", "38"), ("absent", "1"), ("mismatched", "1")] {
            let end = head.find(word).unwrap() + word.len();
            assert_eq!(&line[end - value.len()..end], value, "{word}");
        }
    }

    #[test]
    fn skipped_targets_pass_and_failed_ones_do_not() {
        assert_eq!(
            Verdict::Skipped("skipped: install x".into()).failure(),
            None
        );
        assert_eq!(Verdict::Compared(Comparison::default()).failure(), None);
        assert!(Verdict::Failed("gcc failed".into()).failure().is_some());
        let line = report_line("x", &Verdict::Failed("`gcc` failed\nmore".into()));
        assert!(line.ends_with("FAILED: `gcc` failed"), "{line}");
    }
}
