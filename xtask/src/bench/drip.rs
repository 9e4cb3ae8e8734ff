//! `drip`: how exactly `slow-client serve` drips. 1,000 connections each ask for
//! `/drip?numbytes=10&duration=1&delay=0.5` at once; a client on one epoll loop
//! stamps every byte as it reads it, and each byte's lateness is its arrival minus
//! its schedule (`delay + k × duration / N` from just before its request was
//! written, so the loopback's own latency counts against the server, never for it).
//!
//! Beside it, where `python3` can import `httpbin` (`pip install httpbin`), the same
//! load against httpbin's own `/drip` (Flask on Werkzeug's threaded server, a
//! `time.sleep` between bytes): the drip server most clients are tested against.

use std::io::{ErrorKind, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::num::NonZeroUsize;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use epoll_safe::{Epoll, Events, Interest, Token};

use super::process::Server;
use super::report::{Align, Block, Chapter, Findings, Table, Target};
use super::Bench;
use crate::steps::Outcome;

/// The report's heading for this section.
pub const HEADING: &str = "Drip timing: 1,000 concurrent drips of 10 bytes over 1 s";

const DRIPS: usize = 1000;
const BYTES: u64 = 10;
const DURATION: Duration = Duration::from_secs(1);
const DELAY: Duration = Duration::from_millis(500);
/// The whole measurement gives up after this (the drips take 1.5 s).
const PATIENCE: Duration = Duration::from_secs(20);

/// One drip as the client sees it.
struct Drip {
    stream: TcpStream,
    /// Just before its request was written: its schedule counts from here.
    sent: Instant,
    /// Bytes of the head still being looked for (`\r\n\r\n` not seen yet).
    head: Vec<u8>,
    head_done: bool,
    /// Body bytes received.
    body: u64,
    closed: bool,
}

/// What the section measured, for one server.
#[derive(Debug)]
pub struct Measured {
    /// The server, as the table names it.
    pub server: String,
    /// Lateness of every body byte received, milliseconds, sorted.
    pub lateness_ms: Vec<f64>,
    /// Drips whose whole body arrived.
    pub complete: usize,
    /// From the first request written to the last: every byte round of all the
    /// drips falls due within a window this wide.
    pub window_ms: f64,
}

/// Runs the section: a `serve` of the release build, the drips, the numbers.
///
/// # Errors
/// When the server cannot start, or the client cannot connect, register or read.
pub fn run(b: &Bench) -> Outcome<Findings> {
    let server = Server::start(b.slow_client(), &b.scratch)?;
    let mut rows = vec![measure("slow-client serve", server.addr())?];
    server.stop();
    let other = match Httpbin::start() {
        Ok(httpbin) => {
            let row = measure("httpbin 0.10 (Werkzeug, threaded)", &httpbin.addr);
            drop(httpbin);
            rows.push(row?);
            None
        }
        Err(why) => Some(why),
    };
    Ok(findings(&rows, other.as_deref()))
}

/// httpbin's app on Werkzeug's threaded server, killed when dropped.
struct Httpbin {
    child: Child,
    addr: String,
}

impl Httpbin {
    /// Starts it on a free port and waits until it takes connections.
    fn start() -> Result<Httpbin, String> {
        let probe = Command::new("python3")
            .args(["-c", "import httpbin, werkzeug"])
            .stderr(Stdio::null())
            .status();
        if !probe.is_ok_and(|s| s.success()) {
            return Err("not measured: no `python3` with `httpbin` here \
                        (`python3 -m pip install httpbin`)"
                .to_owned());
        }
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map_err(|e| format!("no free port: {e}"))?
            .port();
        let script = format!(
            "import logging; logging.disable(logging.CRITICAL)\n\
             from httpbin import app\n\
             from werkzeug.serving import run_simple\n\
             run_simple('127.0.0.1', {port}, app, threaded=True)\n"
        );
        let child = Command::new("python3")
            .args(["-c", &script])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("python3: {e}"))?;
        let httpbin = Httpbin {
            child,
            addr: format!("127.0.0.1:{port}"),
        };
        let until = Instant::now() + Duration::from_secs(20);
        while TcpStream::connect(&httpbin.addr).is_err() {
            if Instant::now() > until {
                return Err("httpbin did not start within 20 s".to_owned());
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        Ok(httpbin)
    }
}

impl Drop for Httpbin {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn measure(server: &str, addr: &str) -> Outcome<Measured> {
    let err = |what: &str, e: &dyn std::fmt::Display| format!("drip bench: {what}: {e}");
    let request = format!(
        "GET /drip?numbytes={BYTES}&duration={}&delay={} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n",
        DURATION.as_secs_f64(),
        DELAY.as_secs_f64()
    );
    let epoll = Epoll::new().map_err(|e| err("epoll", &e))?;
    let mut drips = Vec::with_capacity(DRIPS);
    for i in 0..DRIPS {
        let mut stream = TcpStream::connect(addr).map_err(|e| err("connect", &e))?;
        let sent = Instant::now();
        stream
            .write_all(request.as_bytes())
            .map_err(|e| err("write", &e))?;
        stream
            .set_nonblocking(true)
            .map_err(|e| err("nonblocking", &e))?;
        epoll
            .add(&stream, Token(i as u64), Interest::READABLE)
            .map_err(|e| err("register", &e))?;
        drips.push(Drip {
            stream,
            sent,
            head: Vec::new(),
            head_done: false,
            body: 0,
            closed: false,
        });
    }
    let window_ms = match (drips.first(), drips.last()) {
        (Some(first), Some(last)) => last.sent.duration_since(first.sent).as_secs_f64() * 1000.0,
        _ => 0.0,
    };
    let mut events = Events::with_capacity(NonZeroUsize::new(1024).expect("nonzero"));
    let mut lateness_ms = Vec::with_capacity(DRIPS * BYTES as usize);
    let mut buf = [0u8; 4096];
    let mut open = DRIPS;
    let give_up = Instant::now() + PATIENCE;
    while open > 0 && Instant::now() < give_up {
        epoll
            .wait(&mut events, Some(Duration::from_millis(100)))
            .map_err(|e| err("wait", &e))?;
        for event in events.iter() {
            let Some(drip) = usize::try_from(event.token().0)
                .ok()
                .and_then(|i| drips.get_mut(i))
            else {
                continue;
            };
            // One read per event: the registration is level-triggered, so bytes left
            // over are reported again, and the client spends no second call per byte.
            match drip.stream.read(&mut buf) {
                Ok(0) => {
                    drip.closed = true;
                    open -= 1;
                    let _ = epoll.delete(&drip.stream);
                }
                Ok(n) => {
                    let now = Instant::now();
                    take(drip, &buf[..n], now, &mut lateness_ms);
                }
                Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::Interrupted) => {}
                Err(e) => return Err(err("read", &e)),
            }
        }
    }
    lateness_ms.sort_by(f64::total_cmp);
    Ok(Measured {
        server: server.to_owned(),
        complete: drips.iter().filter(|d| d.body == BYTES).count(),
        lateness_ms,
        window_ms,
    })
}

/// Takes bytes read at `now`: the head is skipped, each body byte's lateness noted.
fn take(drip: &mut Drip, mut bytes: &[u8], now: Instant, lateness_ms: &mut Vec<f64>) {
    if !drip.head_done {
        drip.head.extend_from_slice(bytes);
        let Some(end) = drip.head.windows(4).position(|w| w == b"\r\n\r\n") else {
            return;
        };
        drip.head_done = true;
        let body_start = end + 4;
        let rest = drip.head.split_off(body_start);
        for _ in &rest {
            lateness_ms.push(late_ms(drip, now));
            drip.body += 1;
        }
        return;
    }
    while let Some((_, tail)) = bytes.split_first() {
        lateness_ms.push(late_ms(drip, now));
        drip.body += 1;
        bytes = tail;
    }
}

/// How late the drip's next byte (number `drip.body`) is at `now`, in ms.
fn late_ms(drip: &Drip, now: Instant) -> f64 {
    let k = drip.body.min(BYTES - 1) as f64;
    let due = DELAY.as_secs_f64() + k * DURATION.as_secs_f64() / BYTES as f64;
    (now.duration_since(drip.sent).as_secs_f64() - due) * 1000.0
}

/// The value at quantile `q` of sorted `v`.
fn quantile(v: &[f64], q: f64) -> f64 {
    if v.is_empty() {
        return f64::NAN;
    }
    let i = ((v.len() - 1) as f64 * q).round() as usize;
    v[i.min(v.len() - 1)]
}

/// The target this section judges.
const TARGET: &str = "serve's /drip: every byte within 2 ms of its schedule at p99 (1,000 drips of 10 bytes over 1 s)";

/// The section's chapter (a row per server) and its target (judged on serve's row).
pub fn findings(rows: &[Measured], other: Option<&str>) -> Findings {
    let mut table = Table::new(&[
        ("server", Align::Left),
        ("requests written over", Align::Right),
        ("drips complete", Align::Right),
        ("bytes", Align::Right),
        ("lateness min", Align::Right),
        ("p50", Align::Right),
        ("p99", Align::Right),
        ("p99.9", Align::Right),
        ("max", Align::Right),
    ]);
    let mut targets = Vec::new();
    for m in rows {
        let v = &m.lateness_ms;
        let p99 = quantile(v, 0.99);
        if m.server.starts_with("slow-client") {
            targets.push(Target {
                what: TARGET,
                measured: format!("p99 {p99:.3} ms"),
                met: Some(p99 <= 2.0),
            });
        }
        let ms = |x: f64| format!("{x:.3} ms");
        table.row(vec![
            m.server.clone(),
            format!("{:.0} ms", m.window_ms),
            format!("{} of {DRIPS}", m.complete),
            v.len().to_string(),
            ms(quantile(v, 0.0)),
            ms(quantile(v, 0.5)),
            ms(p99),
            ms(quantile(v, 0.999)),
            ms(quantile(v, 1.0)),
        ]);
    }
    let mut blocks = vec![
        Block::Text(format!(
            "{DRIPS} connections at once, each `GET /drip?numbytes={BYTES}&duration=1&delay=0.5` \
             (`Connection: close`), on loopback; one epoll client stamps every byte as it reads \
             it. Lateness = arrival - (request written + delay + k x duration / N)."
        )),
        Block::Table(table),
    ];
    if let Some(why) = other {
        blocks.push(Block::Text(format!("httpbin: {why}.")));
    }
    Findings {
        targets,
        chapters: vec![Chapter::new(HEADING, blocks)],
    }
}

#[cfg(test)]
mod tests {
    use super::super::report::block_text;
    use super::*;

    #[test]
    fn quantiles_pick_from_the_sorted_values_and_the_table_judges_the_target() {
        let v: Vec<f64> = (0..=100).map(f64::from).collect();
        assert_eq!((quantile(&v, 0.5), quantile(&v, 0.99)), (50.0, 99.0));
        assert!(quantile(&[], 0.5).is_nan());
        let m = Measured {
            server: "slow-client serve".to_owned(),
            lateness_ms: vec![0.1, 0.2, 3.0],
            complete: 1000,
            window_ms: 40.0,
        };
        let found = findings(&[m], Some("not measured"));
        assert_eq!(found.targets.len(), 1);
        assert_eq!(found.targets[0].met, Some(false), "p99 3 ms misses 2 ms");
        assert_eq!(found.targets[0].measured, "p99 3.000 ms");
        let text: String = found.chapters[0].blocks.iter().map(block_text).collect();
        assert!(
            text.contains("| slow-client serve | 40 ms | 1000 of 1000 | 3 |"),
            "{text}"
        );
        assert!(text.contains("httpbin: not measured."), "{text}");
    }
}
