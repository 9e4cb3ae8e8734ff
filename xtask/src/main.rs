//! `cargo xtask <task>`: the workspace's own automation, in Rust, no scripts.
//!
//! `.cargo/config.toml` aliases `cargo xtask` to `cargo run --package xtask --`.
//! Each task is a list of named steps; each step prints its name and how long
//! it took, and the first failure stops the task with a non-zero exit.
#![forbid(unsafe_code)]

mod abi;
mod bench;
mod demo;
mod package;
mod plots;
mod steps;

use std::process::ExitCode;
use steps::{cargo, run_all, run_visible, Outcome, Step};

const HELP: &str = "\
cargo xtask <TASK>

Tasks:
  test     the gate, in order, stopping at the first failure:
             fmt      cargo fmt --all --check
             clippy   cargo clippy --workspace --all-targets -- -D warnings
             test     cargo test --workspace (unit, integration, doc)
             doc      cargo doc --workspace --no-deps, RUSTDOCFLAGS=\"-D warnings\"
             abi      the C-header ABI check (see `abi`)
             package  cargo package --workspace --exclude xtask --allow-dirty
             demo     slow-client --json: ids 5 4 3 2 1 answered, in order (slow_client::contract)
  abi [--target TRIPLE | --all-targets]
           compile xtask/abi/epoll_abi.c with $CC (default cc), print the
           layout and constants of <sys/epoll.h>, and fail on any difference
           from epoll-sys (examples/abi_table.rs)
             --target TRIPLE  the same for another architecture: both sides
                              built with Debian's cross gcc and rustc 1.63
                              (/usr/bin/rustc), run under qemu-user
             --all-targets    this machine, then every TRIPLE:
                              aarch64-unknown-linux-gnu, armv7-unknown-linux-gnueabihf,
                              i686-unknown-linux-gnu, powerpc64le-unknown-linux-gnu,
                              s390x-unknown-linux-gnu, mips64el-unknown-linux-gnuabi64
           prints one line per target (entries compared, absent, mismatched);
           a target whose tools are missing says `skipped: install ...` and
           does not fail (the README lists the apt lines)
  package  package every publishable crate and build each from its package
  bench [SECTION...]
           dispatch cost (epoll-safe vs raw libc, mio, polling) and slow-client
           end to end (time, CPU, RSS, lateness, syscalls, memory per request);
           prints the report and, when every section ran, writes
           xtask/BENCHMARKS.md (all sections take about 11 min). Sections:
{SECTIONS}
  plots    draw the README's pictures from real runs (release build):
           slow-client/docs/demo.svg (the default demo) and
           slow-client/docs/run-9000.svg (--count 9000 --step-ms 1)
  help     print this help (also -h, --help)

Exit status: 0 when every step passed, 1 when a step failed, 2 for bad usage.
";

/// [`HELP`] with the bench's sections listed.
fn help() -> String {
    let sections: Vec<String> = bench::SECTIONS
        .iter()
        .map(|s| format!("             {:<9}{}", s.name, s.about))
        .collect();
    HELP.replace("{SECTIONS}", &sections.join("\n"))
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(task) = args.first() else {
        eprint!("error: no task given\n\n{}", help());
        return ExitCode::from(2);
    };
    if let Some(extra) = args.get(1) {
        let help = extra == "-h" || extra == "--help";
        if !help && !matches!(task.as_str(), "help" | "-h" | "--help" | "bench" | "abi") {
            eprintln!("error: task `{task}` takes no arguments, got `{extra}`");
            return ExitCode::from(2);
        }
    }
    // `cargo xtask TASK --help` is help too, not an argument of TASK.
    let asks_help = args[1..].iter().any(|a| a == "-h" || a == "--help");
    let outcome = match task.as_str() {
        _ if asks_help => {
            print!("{}", help());
            return ExitCode::SUCCESS;
        }
        "help" | "-h" | "--help" => {
            print!("{}", help());
            return ExitCode::SUCCESS;
        }
        "test" => run_all("test", gate()),
        "abi" => match abi::choose(&args[1..]) {
            Ok(which) => abi::run(which),
            Err(msg) => {
                eprintln!("error: {msg}");
                return ExitCode::from(2);
            }
        },
        "package" => run_all("package", vec![Step::new("package", package::package)]),
        "plots" => run_all("plots", vec![Step::new("plots", plots::plots)]),
        "bench" => match bench::choose(&args[1..]) {
            Ok(sections) => bench::bench(&sections),
            Err(msg) => {
                eprintln!("error: {msg}");
                return ExitCode::from(2);
            }
        },
        other => {
            eprint!("error: unknown task `{other}`\n\n{}", help());
            return ExitCode::from(2);
        }
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(msg) => {
            eprintln!("\nerror: {msg}");
            ExitCode::FAILURE
        }
    }
}

/// The gate's steps, cheapest and most common failures first.
fn gate() -> Vec<Step<'static>> {
    vec![
        Step::new("fmt", || cargo_step(&["fmt", "--all", "--check"])),
        Step::new("clippy", || {
            cargo_step(&[
                "clippy",
                "--workspace",
                "--all-targets",
                "--",
                "-D",
                "warnings",
            ])
        }),
        Step::new("test", || cargo_step(&["test", "--workspace"])),
        // The sandbox configuration: epoll_pwait2 not compiled in.
        Step::new("epoll-safe without default features", || {
            let no_default = ["-p", "epoll-safe", "--no-default-features"];
            cargo_step(
                &[
                    &["clippy"][..],
                    &no_default,
                    &["--all-targets", "--", "-D", "warnings"],
                ]
                .concat(),
            )?;
            cargo_step(&[&["test"][..], &no_default].concat())
        }),
        Step::new("doc", || {
            let mut cmd = cargo();
            cmd.args(["doc", "--workspace", "--no-deps"]);
            cmd.env("RUSTDOCFLAGS", "-D warnings");
            run_visible(cmd)
        }),
        Step::new("abi", abi::check),
        Step::new("package", package::package),
        Step::new("demo", demo::demo),
    ]
}

fn cargo_step(args: &[&str]) -> Outcome {
    let mut cmd = cargo();
    cmd.args(args);
    run_visible(cmd)
}
