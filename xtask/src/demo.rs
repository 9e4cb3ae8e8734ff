//! The end-to-end demo: `slow-client --json` with its defaults (five requests
//! to the embedded delay server, delays 4000, 3000, 2000, 1000, 0 ms) must
//! answer all five as [`slow_client::contract::DEMO_ANSWER`] says, shortest
//! delay first, and say so in its summary. The checking is
//! [`slow_client::contract::check`], which slow-client's tests use too.

use crate::steps::{built_executable, cargo, Outcome};
use slow_client::contract::{self, Expected};
use std::io::Read;
use std::path::PathBuf;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::thread;
use std::time::{Duration, Instant};

/// Generous bound on a run that should take about 4 s; only a hang hits it.
const WATCHDOG: Duration = Duration::from_secs(90);

/// Builds slow-client, runs it with `--json`, and checks its output and exit status.
///
/// # Errors
///
/// When it does not build, hangs past the watchdog, exits non-zero, or its
/// output breaks the contract; every problem found is listed.
pub fn demo() -> Outcome {
    let exe = build()?;
    println!("    $ {} --json", exe.display());
    let started = Instant::now();
    let (status, stdout, stderr) = run_with_watchdog(Command::new(&exe).arg("--json"))?;
    println!(
        "    finished in {:.1}s with {status}",
        started.elapsed().as_secs_f64()
    );
    for line in stdout.lines() {
        println!("    | {line}");
    }
    let want = Expected::DEFAULT_RUN;
    let mut problems = contract::check(&stdout, &want).err().unwrap_or_default();
    if !status.success() {
        problems.insert(0, format!("exit status is {status}, expected 0"));
    }
    if problems.is_empty() {
        println!(
            "    all {} requests answered {}, shortest delay first",
            want.count, want.answer.status
        );
        Ok(())
    } else {
        if !stderr.trim().is_empty() {
            println!("    stderr:");
            for line in stderr.lines() {
                println!("    ! {line}");
            }
        }
        Err(format!(
            "slow-client --json broke the demo contract:\n  {}",
            problems.join("\n  ")
        ))
    }
}

/// `cargo build -p slow-client`, returning the path cargo reports for the binary.
fn build() -> Outcome<PathBuf> {
    let mut cmd = cargo();
    cmd.args(["build", "-p", "slow-client", "--bin", "slow-client"]);
    built_executable(cmd, "slow-client")
}

/// Runs `cmd` to completion, killing it if it outlives [`WATCHDOG`].
fn run_with_watchdog(cmd: &mut Command) -> Outcome<(ExitStatus, String, String)> {
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("could not start slow-client: {e}"))?;
    // Drain both pipes on their own threads so a chatty child never blocks on a full pipe.
    let out = drain(&mut child, true);
    let err = drain(&mut child, false);
    let deadline = Instant::now() + WATCHDOG;
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if Instant::now() < deadline => thread::sleep(Duration::from_millis(20)),
            Ok(None) => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!(
                    "slow-client did not finish within {}s; killed it",
                    WATCHDOG.as_secs()
                ));
            }
            Err(e) => return Err(format!("waiting for slow-client: {e}")),
        }
    };
    let join = |h: thread::JoinHandle<String>| h.join().unwrap_or_default();
    Ok((status, join(out), join(err)))
}

fn drain(child: &mut Child, stdout: bool) -> thread::JoinHandle<String> {
    let pipe: Option<Box<dyn Read + Send>> = if stdout {
        child.stdout.take().map(|p| Box::new(p) as _)
    } else {
        child.stderr.take().map(|p| Box::new(p) as _)
    };
    thread::spawn(move || {
        let mut bytes = Vec::new();
        if let Some(mut pipe) = pipe {
            let _ = pipe.read_to_end(&mut bytes);
        }
        String::from_utf8_lossy(&bytes).into_owned()
    })
}
