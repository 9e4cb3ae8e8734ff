//! The end-to-end demo: `slow-client --json` with its defaults (five requests
//! to the embedded delay server, delays 4000, 3000, 2000, 1000, 0 ms) must
//! answer all five with 302 Found (the default path is slowwly's redirect form, answered
//! as slowwly answered it), shortest delay first, and say so in its summary.
//!
//! The output contract is issue 4's `--json` section: one JSON object per
//! finished request (`"event":"response"` or `"error"`), then one summary.

use crate::json::{self, Value};
use crate::steps::{built_executable, cargo, Outcome};
use std::io::Read;
use std::path::PathBuf;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::thread;
use std::time::{Duration, Instant};

/// The default run makes this many requests, request `i` delayed `(N - i) * STEP_MS`.
const REQUESTS: i64 = 5;
const STEP_MS: i64 = 1000;
/// The status of every answer: `302 Found` to the url of `/delay/{ms}/url/{url}`.
const STATUS: i64 = 302;
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
    let mut problems = check_output(&stdout).err().unwrap_or_default();
    if !status.success() {
        problems.insert(0, format!("exit status is {status}, expected 0"));
    }
    if problems.is_empty() {
        println!("    all {REQUESTS} requests answered {STATUS}, shortest delay first");
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

/// Checks the JSON lines of a default run against the contract. Returns the
/// list of every problem found, so one run shows everything that is wrong.
fn check_output(stdout: &str) -> Result<(), Vec<String>> {
    let mut problems = Vec::new();
    let mut arrivals: Vec<i64> = Vec::new();
    let mut summaries = 0;
    let lines: Vec<&str> = stdout.lines().filter(|l| !l.trim().is_empty()).collect();
    for (n, line) in lines.iter().enumerate() {
        let is_last = n + 1 == lines.len();
        let value = match json::parse(line) {
            Ok(v @ Value::Object(_)) => v,
            Ok(_) => {
                problems.push(format!("line {}: not a JSON object: {line}", n + 1));
                continue;
            }
            Err(e) => {
                problems.push(format!("line {}: {e}: {line}", n + 1));
                continue;
            }
        };
        let result = match value.get("event").and_then(Value::as_str) {
            Some("response") => check_response(&value, &mut arrivals),
            Some("error") => Err(vec![describe_error(&value)]),
            Some("summary") => {
                summaries += 1;
                let mut p = check_summary(&value).err().unwrap_or_default();
                if !is_last {
                    p.push("the summary is not the last line".to_string());
                }
                if p.is_empty() {
                    Ok(())
                } else {
                    Err(p)
                }
            }
            Some(other) => Err(vec![format!("unknown event {other:?}")]),
            None => Err(vec!["no \"event\" string".to_string()]),
        };
        if let Err(p) = result {
            problems.extend(p.into_iter().map(|p| format!("line {}: {p}", n + 1)));
        }
    }
    if summaries != 1 {
        problems.push(format!("{summaries} summary lines, expected exactly 1"));
    }
    for id in 1..=REQUESTS {
        if !arrivals.contains(&id) {
            problems.push(format!("no response for id {id}"));
        }
    }
    let expected: Vec<i64> = (1..=REQUESTS).rev().collect();
    if arrivals != expected {
        problems.push(format!(
            "responses arrived as ids {}, expected {} (shortest delay first)",
            join(&arrivals),
            join(&expected)
        ));
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems)
    }
}

fn check_response(v: &Value, arrivals: &mut Vec<i64>) -> Result<(), Vec<String>> {
    let mut p = Vec::new();
    let id = match int(v, "id") {
        Ok(id) if (1..=REQUESTS).contains(&id) => id,
        Ok(id) => return Err(vec![format!("id {id} is outside 1..={REQUESTS}")]),
        Err(e) => return Err(vec![e]),
    };
    if arrivals.contains(&id) {
        p.push(format!("id {id} reported twice"));
    }
    arrivals.push(id);
    let want_delay = (REQUESTS - id) * STEP_MS;
    expect_int(v, "status", STATUS, &mut p);
    expect_int(v, "delay_ms", want_delay, &mut p);
    expect_int(v, "order", arrivals.len() as i64, &mut p);
    // A lower bound only: the server must not answer before the delay has
    // passed; how late it is depends on the machine, so it is not checked.
    match v.get("elapsed_ms").and_then(Value::as_f64) {
        Some(ms) if ms >= want_delay as f64 => {}
        Some(ms) => p.push(format!(
            "elapsed_ms {ms} is less than the delay {want_delay} ms"
        )),
        None => p.push("no numeric \"elapsed_ms\"".to_string()),
    }
    if p.is_empty() {
        Ok(())
    } else {
        Err(p.into_iter().map(|e| format!("id {id}: {e}")).collect())
    }
}

fn check_summary(v: &Value) -> Result<(), Vec<String>> {
    let mut p = Vec::new();
    expect_int(v, "requested", REQUESTS, &mut p);
    expect_int(v, "ok", REQUESTS, &mut p);
    expect_int(v, "failed", 0, &mut p);
    expect_int(v, "inversions", 0, &mut p);
    match v.get("in_order").and_then(Value::as_bool) {
        Some(true) => {}
        Some(false) => p.push("summary: in_order is false, expected true".to_string()),
        None => p.push("summary: no boolean \"in_order\"".to_string()),
    }
    if p.is_empty() {
        Ok(())
    } else {
        Err(p)
    }
}

fn describe_error(v: &Value) -> String {
    let field = |k: &str| match v.get(k) {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Number(n)) => n.to_string(),
        _ => "?".to_string(),
    };
    format!(
        "request id {} failed: {}: {}",
        field("id"),
        field("kind"),
        field("message")
    )
}

/// The integer member `key`, or a message saying why there is none.
fn int(v: &Value, key: &str) -> Result<i64, String> {
    match v.get(key).and_then(Value::as_f64) {
        Some(n) if n.fract() == 0.0 && n.abs() < 9e15 => Ok(n as i64),
        Some(n) => Err(format!("\"{key}\" is {n}, not an integer")),
        None => Err(format!("no numeric \"{key}\"")),
    }
}

fn expect_int(v: &Value, key: &str, want: i64, problems: &mut Vec<String>) {
    match int(v, key) {
        Ok(got) if got == want => {}
        Ok(got) => problems.push(format!("{key} is {got}, expected {want}")),
        Err(e) => problems.push(e),
    }
}

fn join(ids: &[i64]) -> String {
    let words: Vec<String> = ids.iter().map(i64::to_string).collect();
    words.join(" ")
}

#[cfg(test)]
mod tests;
