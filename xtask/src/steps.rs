//! The step runner: named steps, each timed, stopping at the first failure.
//!
//! Also the two helpers every step needs: a `Command` for the very cargo that
//! runs us, and running a command with a failure message that names it.

use std::ffi::OsString;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

/// What a failed step says: one or more lines for the user, no backtrace.
pub type Failure = String;

/// The outcome of a task or a step.
pub type Outcome<T = ()> = Result<T, Failure>;

/// One step of a task: a name to print and the work to do.
pub struct Step<'a> {
    /// Short name printed before and after the step runs.
    pub name: &'static str,
    /// The work; `Err` stops the task.
    pub run: Box<dyn FnOnce() -> Outcome + 'a>,
}

impl std::fmt::Debug for Step<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Step").field("name", &self.name).finish()
    }
}

impl<'a> Step<'a> {
    /// A step named `name` that runs `run`.
    pub fn new(name: &'static str, run: impl FnOnce() -> Outcome + 'a) -> Self {
        Step {
            name,
            run: Box::new(run),
        }
    }
}

/// A task's steps, run one after another: each is printed with its number
/// and duration, returns its value to the caller, and the first failure ends
/// the task.
#[derive(Debug)]
pub struct Task {
    name: &'static str,
    total: usize,
    done: usize,
    started: Instant,
}

impl Task {
    /// A task called `name` of `total` steps, starting now.
    pub fn new(name: &'static str, total: usize) -> Self {
        Task {
            name,
            total,
            done: 0,
            started: Instant::now(),
        }
    }

    /// Runs the next step, `name`, printing its number and how long it took.
    ///
    /// # Errors
    ///
    /// The step's failure, prefixed with its name, after printing where the
    /// task stopped.
    pub fn step<T>(&mut self, name: &str, run: impl FnOnce() -> Outcome<T>) -> Outcome<T> {
        self.done += 1;
        let (i, total) = (self.done, self.total);
        println!("==> [{i}/{total}] {name}");
        let t = Instant::now();
        let result = run();
        let took = secs(t.elapsed());
        match result {
            Ok(value) => {
                println!("    ok: {name} ({took})");
                Ok(value)
            }
            Err(msg) => {
                println!("    FAILED: {name} ({took})");
                println!(
                    "==> {}: FAILED at step {i}/{total} \"{name}\" after {}",
                    self.name,
                    secs(self.started.elapsed())
                );
                Err(format!("step \"{name}\" failed:\n{msg}"))
            }
        }
    }

    /// Prints that every step passed, and the total time.
    pub fn passed(self) {
        let steps = if self.done == 1 { "step" } else { "steps" };
        println!(
            "==> {}: passed ({} {steps} in {})",
            self.name,
            self.done,
            secs(self.started.elapsed())
        );
    }
}

/// Runs `steps` in order, printing each name and duration, and stops at the
/// first failure. Prints the total at the end, whatever the outcome.
///
/// # Errors
///
/// The first failing step's message, prefixed with the step's name.
pub fn run_all(task: &'static str, steps: Vec<Step<'_>>) -> Outcome {
    let mut t = Task::new(task, steps.len());
    for step in steps {
        t.step(step.name, step.run)?;
    }
    t.passed();
    Ok(())
}

/// Formats a duration as seconds with one decimal, e.g. `12.3s`.
pub fn secs(d: Duration) -> String {
    format!("{:.1}s", d.as_secs_f64())
}

/// The workspace root: the parent of this crate's manifest directory.
pub fn workspace_root() -> PathBuf {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest.parent().unwrap_or(manifest).to_path_buf()
}

/// A `cargo` command run from the workspace root, using the same cargo
/// binary that runs xtask (`$CARGO`, set by `cargo run`), so a toolchain
/// picked with `cargo +nightly xtask` is the one every step uses.
pub fn cargo() -> Command {
    let program = std::env::var_os("CARGO").unwrap_or_else(|| OsString::from("cargo"));
    let mut cmd = Command::new(program);
    cmd.current_dir(workspace_root());
    cmd
}

/// Renders a command the way a user would type it, for messages.
pub fn display(cmd: &Command) -> String {
    let mut s = String::new();
    for (key, value) in cmd.get_envs() {
        if let Some(value) = value {
            let _ = write!(s, "{}={} ", key.to_string_lossy(), value.to_string_lossy());
        }
    }
    // `$CARGO` is a long toolchain path; the user knows it as `cargo`.
    let program = Path::new(cmd.get_program());
    if program.file_name() == Some("cargo".as_ref()) {
        s.push_str("cargo");
    } else {
        s.push_str(&program.to_string_lossy());
    }
    for arg in cmd.get_args() {
        s.push(' ');
        s.push_str(&arg.to_string_lossy());
    }
    s
}

/// Runs `cmd` with inherited stdio (the user sees its output live).
///
/// # Errors
///
/// When it cannot start or exits unsuccessfully; the message names the command.
pub fn run_visible(mut cmd: Command) -> Outcome {
    let shown = display(&cmd);
    println!("    $ {shown}");
    let status = cmd
        .status()
        .map_err(|e| format!("could not start `{shown}`: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("`{shown}` failed ({status})"))
    }
}

/// Runs `cmd` capturing stdout (stderr stays visible, for compiler output).
///
/// # Errors
///
/// When it cannot start, exits unsuccessfully, or prints non-UTF-8.
pub fn run_captured(mut cmd: Command) -> Outcome<String> {
    let shown = display(&cmd);
    println!("    $ {shown}");
    cmd.stdin(Stdio::null()).stderr(Stdio::inherit());
    let Output { status, stdout, .. } = cmd
        .output()
        .map_err(|e| format!("could not start `{shown}`: {e}"))?;
    if !status.success() {
        return Err(format!("`{shown}` failed ({status})"));
    }
    String::from_utf8(stdout).map_err(|_| format!("`{shown}` printed non-UTF-8 output"))
}

/// Runs a cargo build command (`build`, `test --no-run`, …) and returns the
/// last executable it reports, as cargo's JSON messages name it; `what` names
/// the artifact in the error.
///
/// # Errors
///
/// When the build fails or cargo reports no executable.
pub fn built_executable(mut cmd: Command, what: &str) -> Outcome<PathBuf> {
    cmd.arg("--message-format=json-render-diagnostics");
    let messages = run_captured(cmd)?;
    /// The part of one of cargo's JSON messages this needs.
    #[derive(serde::Deserialize)]
    struct Message {
        reason: String,
        executable: Option<PathBuf>,
    }
    messages
        .lines()
        .filter_map(|line| serde_json::from_str::<Message>(line).ok())
        .filter(|m| m.reason == "compiler-artifact")
        .filter_map(|m| m.executable)
        .next_back()
        .ok_or_else(|| format!("cargo built {what} but reported no executable"))
}

/// The directory cargo builds into (honours `CARGO_TARGET_DIR` and
/// `build.target-dir`), read from `cargo metadata`.
///
/// # Errors
///
/// When `cargo metadata` fails or its output lacks `target_directory`.
pub fn target_dir() -> Outcome<PathBuf> {
    let mut cmd = cargo();
    cmd.args(["metadata", "--format-version", "1", "--no-deps"]);
    let json = run_captured(cmd)?;
    /// The part of `cargo metadata`'s output this needs.
    #[derive(serde::Deserialize)]
    struct Metadata {
        target_directory: PathBuf,
    }
    serde_json::from_str::<Metadata>(&json)
        .map(|m| m.target_directory)
        .map_err(|e| format!("cargo metadata: {e}"))
}
