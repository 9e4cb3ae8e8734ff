//! The `serve` section: `slow-client serve` against nginx with the echo module
//! (`echo_sleep`), one serve thread against one nginx worker, loaded by `wrk`, in
//! interleaved rounds; plus syscalls and CPU per request of both servers.
//!
//! nginx's config is generated into the scratch directory (one worker, no master, access
//! log off, a `location` per route with `echo_sleep`). A missing `nginx`, echo module
//! or `wrk` skips the section with what to install; a missing `strace` skips only
//! the syscall counts.

mod report;

pub use report::findings;

/// The hand-written reading of the serve section; the numbers it cites are from the
/// run it was written after.
pub const READING: &str = include_str!("serve/reading.md");

use super::process::{Scratch, Server};
use super::{machine, strace, Measured};
use crate::steps::Outcome;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

/// Where Debian's `libnginx-mod-http-echo` puts the module.
const ECHO_MODULE: &str = "/usr/lib/nginx/modules/ngx_http_echo_module.so";
/// Interleaved rounds per load; the targets are judged by the median of the
/// per-round ratios, and each side's best round is shown beside it.
pub const ROUNDS: usize = 5;
const RUN: Duration = Duration::from_secs(3);

/// One load both servers get.
#[derive(Debug, Clone, Copy)]
pub struct Load {
    /// As the report names it.
    pub name: &'static str,
    /// The request path.
    pub path: &'static str,
    /// wrk's `-c`.
    pub connections: u32,
    /// wrk's `-t`.
    pub threads: u32,
    /// Every request says `Connection: close`.
    pub close: bool,
    /// nginx listens with `deferred` (`TCP_DEFER_ACCEPT`), as serve does by
    /// default: the like-for-like comparison of a load that connects per request.
    pub nginx_deferred: bool,
}

/// The loads of the comparison. The targets are judged against nginx as
/// first configured (`listen` without `deferred`); the fourth load gives
/// nginx serve's own deferred accept, so the reader sees both.
pub const LOADS: [Load; 4] = [
    Load {
        name: "`/delay/0`, 50 connections, keep-alive",
        path: "/delay/0",
        connections: 50,
        threads: 1,
        close: false,
        nginx_deferred: false,
    },
    Load {
        name: "`/delay/0`, 50 connections, `Connection: close`",
        path: "/delay/0",
        connections: 50,
        threads: 1,
        close: true,
        nginx_deferred: false,
    },
    Load {
        name: "`/delay/100`, 2,000 keep-alive connections",
        path: "/delay/100",
        connections: 2000,
        threads: 2,
        close: false,
        nginx_deferred: false,
    },
    Load {
        name: "`/delay/0`, 50 connections, `Connection: close`, nginx `listen … deferred`",
        path: "/delay/0",
        connections: 50,
        threads: 1,
        close: true,
        nginx_deferred: true,
    },
];

/// One wrk run against one server.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Sample {
    /// Requests per second, as wrk reports it.
    pub rps: f64,
    /// wrk's 99th percentile latency, ms.
    pub p99_ms: f64,
    /// Server CPU (user + system) per request, µs.
    pub cpu_us: f64,
}

/// Both servers' rounds of one load.
#[derive(Debug)]
pub struct Compared {
    pub load: Load,
    /// Round by round, interleaved with nginx's.
    pub serve: Vec<Sample>,
    pub nginx: Vec<Sample>,
}

impl Compared {
    /// Each side's best round (highest requests per second).
    pub fn best(samples: &[Sample]) -> Option<Sample> {
        samples
            .iter()
            .copied()
            .max_by(|a, b| a.rps.total_cmp(&b.rps))
    }
}

/// Syscalls per request of one server under one load.
#[derive(Debug)]
pub struct Traced {
    pub server: &'static str,
    pub load: Load,
    pub total: f64,
    pub top: Vec<(String, f64)>,
}

/// What the section measured.
#[derive(Debug)]
pub struct ServeBench {
    pub nginx_version: String,
    pub wrk_version: String,
    pub loads: Vec<Compared>,
    /// serve's own lateness (due to written), ms: p50, p99, max, from `--access-log`
    /// in a separate run of the 2,000-connection load.
    pub lateness: Option<(f64, f64, f64)>,
    pub syscalls: Measured<Vec<Traced>>,
    /// `/proc/loadavg` before and after: what else the machine was doing.
    pub loadavg: (String, String),
    /// Share of the machine's CPU busy during the comparison, all processes.
    pub busy: Option<f64>,
}

/// Why the section cannot run here, if it cannot.
pub fn unavailable() -> Option<String> {
    let missing: Vec<&str> = [
        ("nginx", find("nginx").is_some()),
        ("libnginx-mod-http-echo", Path::new(ECHO_MODULE).is_file()),
        ("wrk", find("wrk").is_some()),
    ]
    .into_iter()
    .filter(|(_, there)| !there)
    .map(|(name, _)| name)
    .collect();
    (!missing.is_empty()).then(|| {
        let packages = missing.join(" ").replace("nginx ", "nginx-light ");
        let packages = if packages == "nginx" {
            "nginx-light".into()
        } else {
            packages
        };
        format!("skipped: install {packages} (apt-get install {packages})")
    })
}

fn find(program: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(program))
        .find(|p| p.is_file())
}

/// Runs the comparison with `exe` (a release build of slow-client).
///
/// # Errors
/// When a server cannot start or wrk's output cannot be read.
pub fn run(exe: &Path, scratch: &Scratch) -> Outcome<ServeBench> {
    let nginx = Nginx::start(scratch, false)?;
    let nginx_deferred = Nginx::start(scratch, true)?;
    let serve = Server::start(exe, scratch)?;
    let loadavg_before = machine::load_average_3();
    let machine_before = machine::cpu_seconds();
    let mut loads: Vec<Compared> = LOADS
        .iter()
        .map(|&load| Compared {
            load,
            serve: Vec::new(),
            nginx: Vec::new(),
        })
        .collect();
    for round in 0..ROUNDS {
        for compared in &mut loads {
            // Alternate who goes first, so neither always runs on a warmer machine.
            for side in [round % 2, 1 - round % 2] {
                if side == 0 {
                    let cpu = || serve.cpu_seconds();
                    compared.serve.push(wrk(serve.addr(), compared.load, cpu)?);
                } else {
                    let nginx = if compared.load.nginx_deferred {
                        &nginx_deferred
                    } else {
                        &nginx
                    };
                    let cpu = || machine::process_cpu_seconds(nginx.pid());
                    compared.nginx.push(wrk(&nginx.addr, compared.load, cpu)?);
                }
            }
        }
    }
    let busy = match (machine_before, machine::cpu_seconds()) {
        (Some((b0, t0)), Some((b1, t1))) if t1 > t0 => Some((b1 - b0) / (t1 - t0)),
        _ => None,
    };
    let loadavg_after = machine::load_average_3();
    let syscalls = match strace::find() {
        None => Measured::Skipped("strace is not installed (apt-get install strace)".into()),
        Some(strace) => {
            let mut rows = Vec::new();
            for load in &LOADS[..2] {
                rows.push(trace(
                    &strace,
                    "serve",
                    serve.pid(),
                    serve.addr(),
                    *load,
                    scratch,
                )?);
                rows.push(trace(
                    &strace,
                    "nginx",
                    nginx.pid(),
                    &nginx.addr,
                    *load,
                    scratch,
                )?);
            }
            Measured::Done(rows)
        }
    };
    serve.stop();
    let lateness = lateness(exe, scratch)?;
    Ok(ServeBench {
        nginx_version: version(Command::new("nginx").arg("-v"))
            .trim_start_matches("nginx version: ")
            .to_owned(),
        wrk_version: version(Command::new("wrk").arg("--version"))
            .split_whitespace()
            .take(2)
            .collect::<Vec<_>>()
            .join(" "),
        loads,
        lateness,
        syscalls,
        loadavg: (loadavg_before, loadavg_after),
        busy,
    })
}

/// One wrk run; `cpu` reads the server's CPU seconds so far.
fn wrk(addr: &str, load: Load, cpu: impl Fn() -> Option<f64>) -> Outcome<Sample> {
    let before = cpu();
    let out = wrk_output(addr, load, RUN)?;
    let after = cpu();
    let parsed = parse_wrk(&out).ok_or_else(|| format!("cannot read wrk's output:\n{out}"))?;
    let cpu_us = match (before, after) {
        (Some(b), Some(a)) if parsed.requests > 0 => (a - b) * 1e6 / parsed.requests as f64,
        _ => f64::NAN,
    };
    println!(
        "      {addr} {}: {:.0} req/s, p99 {:.2} ms, {cpu_us:.1} µs CPU/request",
        load.path, parsed.rps, parsed.p99_ms
    );
    Ok(Sample {
        rps: parsed.rps,
        p99_ms: parsed.p99_ms,
        cpu_us,
    })
}

fn wrk_output(addr: &str, load: Load, run: Duration) -> Outcome<String> {
    let mut cmd = Command::new("wrk");
    cmd.args(["--latency", "-t", &load.threads.to_string()])
        .args(["-c", &load.connections.to_string()])
        .args(["-d", &format!("{}s", run.as_secs())]);
    if load.close {
        cmd.args(["-H", "Connection: close"]);
    }
    cmd.arg(format!("http://{addr}{}", load.path));
    let out = cmd.output().map_err(|e| format!("running wrk: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "wrk failed: {}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// What the section reads from wrk's `--latency` output.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct WrkOutput {
    pub rps: f64,
    pub p99_ms: f64,
    pub requests: u64,
}

/// Reads `Requests/sec:`, the `99%` latency line and `N requests in`.
pub fn parse_wrk(text: &str) -> Option<WrkOutput> {
    let mut out = WrkOutput {
        rps: f64::NAN,
        p99_ms: f64::NAN,
        requests: 0,
    };
    for line in text.lines().map(str::trim) {
        if let Some(rps) = line.strip_prefix("Requests/sec:") {
            out.rps = rps.trim().parse().ok()?;
        } else if let Some(p99) = line.strip_prefix("99%") {
            out.p99_ms = duration_ms(p99.trim())?;
        } else if let Some((n, _)) = line.split_once(" requests in ") {
            out.requests = n.trim().parse().ok()?;
        }
    }
    (out.rps.is_finite() && out.p99_ms.is_finite()).then_some(out)
}

/// wrk's `512.00us`, `1.23ms`, `2.00s`, `1.50m` in milliseconds.
fn duration_ms(text: &str) -> Option<f64> {
    for (unit, scale) in [("us", 1e-3), ("ms", 1.0), ("s", 1e3), ("m", 60e3)] {
        if let Some(n) = text.strip_suffix(unit) {
            if let Ok(n) = n.parse::<f64>() {
                return Some(n * scale);
            }
        }
    }
    None
}

/// Syscalls per request of `pid` under `load`: `strace -c -f -p` around a wrk run.
fn trace(
    strace: &Path,
    server: &'static str,
    pid: u32,
    addr: &str,
    load: Load,
    scratch: &Scratch,
) -> Outcome<Traced> {
    let file = scratch.path(&format!("strace-{server}-{}.txt", load.close));
    let mut tracer = Command::new(strace)
        .args(["-c", "-f", "-p", &pid.to_string(), "-o"])
        .arg(&file)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("running strace: {e}"))?;
    thread::sleep(Duration::from_millis(300)); // attached
    let out = wrk_output(addr, load, Duration::from_secs(2));
    let _ = Command::new("kill")
        .args(["-INT", &tracer.id().to_string()])
        .status();
    let _ = tracer.wait();
    let parsed = parse_wrk(&out?).ok_or("cannot read wrk's output under strace")?;
    let text =
        std::fs::read_to_string(&file).map_err(|e| format!("reading {}: {e}", file.display()))?;
    let table = strace::parse(&text)?;
    let requests = parsed.requests.max(1);
    let top = table.per_unit(&strace::Table::default(), requests);
    println!(
        "      {server} {}: {:.2} syscalls/request",
        load.name,
        table.total as f64 / requests as f64
    );
    Ok(Traced {
        server,
        load,
        total: table.total as f64 / requests as f64,
        top: top.into_iter().take(5).collect(),
    })
}

/// serve's own lateness under the 2,000-connection load: a run with `--access-log`,
/// whose `late=` values are the time from each response's due instant to its last
/// byte written.
fn lateness(exe: &Path, scratch: &Scratch) -> Outcome<Option<(f64, f64, f64)>> {
    let log = scratch.path("access.log");
    let file =
        std::fs::File::create(&log).map_err(|e| format!("creating {}: {e}", log.display()))?;
    let mut child = Command::new(exe)
        .args(["serve", "--listen", "127.0.0.1:18779", "--access-log"])
        .stdout(Stdio::null())
        .stderr(file)
        .spawn()
        .map_err(|e| format!("starting serve --access-log: {e}"))?;
    thread::sleep(Duration::from_millis(300));
    let out = wrk_output("127.0.0.1:18779", LOADS[2], RUN);
    let _ = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status();
    let _ = child.wait();
    out?;
    let text = std::fs::read_to_string(&log).unwrap_or_default();
    let mut late: Vec<f64> = text
        .lines()
        .filter_map(|l| l.rsplit_once(" late=")?.1.strip_suffix("ms")?.parse().ok())
        .collect();
    if late.is_empty() {
        return Ok(None);
    }
    late.sort_by(f64::total_cmp);
    let at = |q: f64| late[((late.len() - 1) as f64 * q) as usize];
    Ok(Some((at(0.5), at(0.99), late[late.len() - 1])))
}

fn version(cmd: &mut Command) -> String {
    cmd.output()
        .map(|o| {
            let text = [o.stdout, o.stderr].concat();
            String::from_utf8_lossy(&text)
                .lines()
                .next()
                .unwrap_or("")
                .trim()
                .to_owned()
        })
        .unwrap_or_default()
}

/// nginx in the foreground, one worker, its config and logs in the scratch directory.
struct Nginx {
    child: Child,
    addr: String,
}

impl Nginx {
    fn start(scratch: &Scratch, deferred: bool) -> Outcome<Nginx> {
        let port = free_port()?;
        let prefix = scratch.path(if deferred { "nginx-deferred" } else { "nginx" });
        std::fs::create_dir_all(&prefix)
            .map_err(|e| format!("creating {}: {e}", prefix.display()))?;
        let conf = prefix.join("nginx.conf");
        std::fs::write(&conf, config(&prefix, port, deferred))
            .map_err(|e| format!("writing {}: {e}", conf.display()))?;
        let child = Command::new("nginx")
            .arg("-p")
            .arg(&prefix)
            .arg("-e")
            .arg(prefix.join("error.log"))
            .arg("-c")
            .arg(&conf)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("starting nginx: {e}"))?;
        let nginx = Nginx {
            child,
            addr: format!("127.0.0.1:{port}"),
        };
        let deadline = Instant::now() + Duration::from_secs(5);
        while std::net::TcpStream::connect(&nginx.addr).is_err() {
            if Instant::now() > deadline {
                let log = std::fs::read_to_string(prefix.join("error.log")).unwrap_or_default();
                return Err(format!(
                    "nginx did not listen on {} within 5s\n{log}",
                    nginx.addr
                ));
            }
            thread::sleep(Duration::from_millis(20));
        }
        let listen = if deferred { ", `deferred`" } else { "" };
        println!(
            "    nginx (echo module, one worker{listen}) on {}",
            nginx.addr
        );
        Ok(nginx)
    }

    fn pid(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for Nginx {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A port nobody listens on now (the kernel's pick for a socket bound to port 0).
fn free_port() -> Outcome<u16> {
    let probe =
        std::net::TcpListener::bind("127.0.0.1:0").map_err(|e| format!("finding a port: {e}"))?;
    probe
        .local_addr()
        .map(|a| a.port())
        .map_err(|e| e.to_string())
}

/// The nginx config: what serve answers on the same paths, with `echo_sleep` for the
/// delay; `deferred` adds `TCP_DEFER_ACCEPT` to the listener, as serve sets it.
pub fn config(prefix: &Path, port: u16, deferred: bool) -> String {
    let p = prefix.display();
    let deferred = if deferred { " deferred" } else { "" };
    format!(
        "load_module {ECHO_MODULE};
worker_processes 1;
worker_rlimit_nofile 16384;
daemon off;
master_process off;
pid {p}/nginx.pid;
events {{ worker_connections 8192; }}
http {{
    access_log off;
    client_body_temp_path {p}/body;
    proxy_temp_path {p}/proxy;
    fastcgi_temp_path {p}/fastcgi;
    uwsgi_temp_path {p}/uwsgi;
    scgi_temp_path {p}/scgi;
    server {{
        listen 127.0.0.1:{port} backlog=4096{deferred};
        default_type text/plain;
        location = /delay/0 {{ echo \"delayed 0 ms: /delay/0\"; }}
        location = /delay/100 {{ echo_sleep 0.1; echo \"delayed 100 ms: /delay/100\"; }}
    }}
}}
"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const WRK: &str = "\
Running 3s test @ http://127.0.0.1:8080/delay/0
  1 threads and 50 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     1.09ms    2.64ms  35.61ms   96.91%
  Latency Distribution
     50%  512.00us
     75%    0.98ms
     90%    1.50ms
     99%   12.34ms
  147382 requests in 3.00s, 25.02MB read
Requests/sec:  49127.58
Transfer/sec:      8.34MB
";

    #[test]
    fn reads_rate_p99_and_requests_from_wrk() {
        let out = parse_wrk(WRK).unwrap();
        assert_eq!(out.rps, 49127.58);
        assert_eq!(out.p99_ms, 12.34);
        assert_eq!(out.requests, 147_382);
        assert_eq!(duration_ms("512.00us"), Some(0.512));
        assert_eq!(duration_ms("2.00s"), Some(2000.0));
        assert!(parse_wrk("nothing").is_none());
    }

    #[test]
    fn nginx_config_serves_the_same_paths_with_echo_sleep() {
        let conf = config(Path::new("/tmp/x"), 8081, false);
        assert!(conf.contains("listen 127.0.0.1:8081 backlog=4096;"));
        let deferred = config(Path::new("/tmp/x"), 8081, true);
        assert!(deferred.contains("listen 127.0.0.1:8081 backlog=4096 deferred;"));
        assert!(conf.contains("echo_sleep 0.1;"));
        assert!(conf.contains("worker_processes 1;") && conf.contains("access_log off;"));
    }

    #[test]
    fn best_round_is_the_fastest() {
        let s = |rps| Sample {
            rps,
            p99_ms: 1.0,
            cpu_us: 1.0,
        };
        assert_eq!(Compared::best(&[s(1.0), s(3.0), s(2.0)]), Some(s(3.0)));
    }
}
