//! Running the programs a benchmark measures: output to files (a run of
//! 9,000 requests prints megabytes of JSON, and a pipe nobody drains would
//! stall it), a time limit so a hang fails the bench instead of stalling it,
//! and a delay server in its own process that is always stopped.

use crate::steps::{display, Outcome};
use std::fs::{self, File};
use std::os::unix::process::CommandExt as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::thread;
use std::time::{Duration, Instant};

/// The longest any one program a section runs may take before it is killed
/// and the bench fails: the longest planned run (5,000 requests 2 ms apart,
/// traced) takes about 10 s.
pub const LIMIT: Duration = Duration::from_secs(90);

/// A private temporary directory, removed on drop.
#[derive(Debug)]
pub struct Scratch {
    dir: PathBuf,
}

impl Scratch {
    /// Creates `$TMPDIR/xtask-bench-<pid>`.
    ///
    /// # Errors
    ///
    /// When the directory cannot be created.
    pub fn new() -> Outcome<Scratch> {
        let dir = std::env::temp_dir().join(format!("xtask-bench-{}", std::process::id()));
        fs::create_dir_all(&dir).map_err(|e| format!("creating {}: {e}", dir.display()))?;
        Ok(Scratch { dir })
    }

    /// The path of `name` inside the directory.
    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.dir);
    }
}

/// A finished program: its exit status and what it printed.
#[derive(Debug)]
pub struct Finished {
    /// How it exited.
    pub status: ExitStatus,
    /// Everything it wrote to stdout.
    pub stdout: String,
    /// Everything it wrote to stderr.
    pub stderr: String,
}

impl Finished {
    /// The last `n` lines of stderr, indented, for error messages.
    pub fn stderr_tail(&self, n: usize) -> String {
        tail(&self.stderr, n)
    }
}

/// The last `n` lines of `text`, each indented by four spaces.
pub fn tail(text: &str, n: usize) -> String {
    let lines: Vec<&str> = text.lines().collect();
    let from = lines.len().saturating_sub(n);
    lines[from..].iter().map(|l| format!("    {l}\n")).collect()
}

fn output_files(scratch: &Scratch, name: &str) -> Outcome<(PathBuf, PathBuf, File, File)> {
    let (out, err) = (
        scratch.path(&format!("{name}.out")),
        scratch.path(&format!("{name}.err")),
    );
    let create = |p: &Path| File::create(p).map_err(|e| format!("creating {}: {e}", p.display()));
    let (o, e) = (create(&out)?, create(&err)?);
    Ok((out, err, o, e))
}

fn read(path: &Path) -> String {
    String::from_utf8_lossy(&fs::read(path).unwrap_or_default()).into_owned()
}

/// Runs the program as a user would: `cargo run` puts the target and
/// toolchain directories in `LD_LIBRARY_PATH`, and the dynamic loader would
/// then probe each of them for libc and libgcc_s, adding about a hundred
/// failed `openat`/`newfstatat` calls to the syscall counts.
fn user_environment(cmd: &mut Command) {
    cmd.env_remove("LD_LIBRARY_PATH");
}

/// Runs `cmd` to completion with stdout and stderr in files named after
/// `name`, killing it (and its process group: `cmd` may be a shell that
/// started the real program) if it runs longer than [`LIMIT`].
///
/// # Errors
///
/// When it cannot start or outlives [`LIMIT`]; a non-zero exit is not an
/// error here (the caller decides what a status means).
pub fn run(mut cmd: Command, scratch: &Scratch, name: &str) -> Outcome<Finished> {
    let shown = display(&cmd);
    println!("    $ {shown}");
    let (out, err, o, e) = output_files(scratch, name)?;
    user_environment(&mut cmd);
    let started = Instant::now();
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(o)
        .stderr(e)
        .process_group(0)
        .spawn()
        .map_err(|e| format!("could not start `{shown}`: {e}"))?;
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if started.elapsed() < LIMIT => thread::sleep(Duration::from_millis(10)),
            Ok(None) => {
                let group = format!("-{}", child.id());
                let _ = Command::new("kill").args(["-KILL", "--", &group]).status();
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!(
                    "`{shown}` did not finish within {}s; killed it\n{}",
                    LIMIT.as_secs(),
                    tail(&read(&err), 10)
                ));
            }
            Err(e) => return Err(format!("waiting for `{shown}`: {e}")),
        }
    };
    println!("      ({status}, {:.1}s)", started.elapsed().as_secs_f64());
    Ok(Finished {
        status,
        stdout: read(&out),
        stderr: read(&err),
    })
}

/// `slow-client serve --listen 127.0.0.1:0` in its own process, stopped on drop.
#[derive(Debug)]
pub struct Server {
    child: Child,
    addr: String,
}

impl Server {
    /// Starts the server and waits for its `listening on IP:PORT` line.
    ///
    /// # Errors
    ///
    /// When it cannot start, exits, or says nothing within five seconds.
    pub fn start(slow_client: &Path, scratch: &Scratch) -> Outcome<Server> {
        let mut cmd = Command::new(slow_client);
        cmd.args(["serve", "--listen", "127.0.0.1:0"]);
        let shown = display(&cmd);
        println!("    $ {shown} &");
        let (out, err, o, e) = output_files(scratch, "server")?;
        user_environment(&mut cmd);
        let child = cmd
            .stdin(Stdio::null())
            .stdout(o)
            .stderr(e)
            .spawn()
            .map_err(|e| format!("could not start `{shown}`: {e}"))?;
        // From here on, dropping `server` stops the child on every path.
        let mut server = Server {
            child,
            addr: String::new(),
        };
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            let text = read(&out);
            if let Some(line) = text.lines().next().filter(|_| text.contains('\n')) {
                let addr = line.strip_prefix("listening on ").ok_or_else(|| {
                    format!("`{shown}` printed {line:?}, expected `listening on IP:PORT`")
                })?;
                server.addr = addr.trim().to_string();
                println!("      listening on {}", server.addr);
                return Ok(server);
            }
            if let Ok(Some(status)) = server.child.try_wait() {
                return Err(format!(
                    "`{shown}` exited ({status}) before listening\n{}",
                    tail(&read(&err), 10)
                ));
            }
            if Instant::now() > deadline {
                return Err(format!("`{shown}` did not say where it listens within 5s"));
            }
            thread::sleep(Duration::from_millis(10));
        }
    }

    /// Its CPU time so far, in seconds.
    pub fn cpu_seconds(&self) -> Option<f64> {
        super::machine::process_cpu_seconds(self.child.id())
    }

    /// Its process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The `IP:PORT` it listens on.
    pub fn addr(&self) -> &str {
        &self.addr
    }

    /// Stops it with SIGTERM (it exits cleanly on it), or SIGKILL if it is
    /// still running two seconds later.
    pub fn stop(mut self) {
        self.terminate();
    }

    fn terminate(&mut self) {
        if matches!(self.child.try_wait(), Ok(Some(_))) {
            return;
        }
        // std can only send SIGKILL and xtask has no unsafe: ask kill(1).
        let pid = self.child.id().to_string();
        let asked = Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .is_ok_and(|s| s.success());
        let deadline = Instant::now() + Duration::from_secs(2);
        while asked && Instant::now() < deadline {
            if matches!(self.child.try_wait(), Ok(Some(_))) {
                return;
            }
            thread::sleep(Duration::from_millis(10));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.terminate();
    }
}
