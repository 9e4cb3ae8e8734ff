//! `drip`: how exactly `slow-client serve` drips. 1,000 connections each ask for
//! `/drip?numbytes=10&duration=1&delay=0.5` at once; a client on one epoll loop
//! stamps every byte as it reads it, and each byte's lateness is its arrival minus
//! its schedule (`delay + k × duration / N` from just before its request was
//! written, so the loopback's own latency counts against the server, never for it).

use std::io::{ErrorKind, Read, Write};
use std::net::TcpStream;
use std::num::NonZeroUsize;
use std::time::{Duration, Instant};

use epoll_safe::{Epoll, Events, Interest, Token};

use super::process::Server;
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

/// What the section measured.
#[derive(Debug)]
pub struct Measured {
    /// Lateness of every body byte received, milliseconds, sorted.
    pub lateness_ms: Vec<f64>,
    /// Drips whose whole body arrived.
    pub complete: usize,
}

/// Runs the section: a `serve` of the release build, the drips, the numbers.
///
/// # Errors
/// When the server cannot start, or the client cannot connect, register or read.
pub fn run(b: &mut Bench) -> Outcome<String> {
    let server = Server::start(b.slow_client(), &b.scratch)?;
    let measured = measure(server.addr())?;
    server.stop();
    let markdown = render(&measured);
    println!("{markdown}");
    Ok(markdown)
}

fn measure(addr: &str) -> Outcome<Measured> {
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
            loop {
                match drip.stream.read(&mut buf) {
                    Ok(0) => {
                        drip.closed = true;
                        open -= 1;
                        let _ = epoll.delete(&drip.stream);
                        break;
                    }
                    Ok(n) => {
                        let now = Instant::now();
                        take(drip, &buf[..n], now, &mut lateness_ms);
                    }
                    Err(e) if e.kind() == ErrorKind::WouldBlock => break,
                    Err(e) if e.kind() == ErrorKind::Interrupted => {}
                    Err(e) => return Err(err("read", &e)),
                }
            }
        }
    }
    lateness_ms.sort_by(f64::total_cmp);
    Ok(Measured {
        complete: drips.iter().filter(|d| d.body == BYTES).count(),
        lateness_ms,
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

/// The section as markdown.
pub fn render(m: &Measured) -> String {
    let v = &m.lateness_ms;
    let p99 = quantile(v, 0.99);
    format!(
        "{DRIPS} connections at once, each `GET /drip?numbytes={BYTES}&duration=1&delay=0.5` \
         (`Connection: close`) to `slow-client serve` on loopback; one epoll client stamps \
         every byte as it reads it. Lateness = arrival - (request written + delay + k x \
         duration / N).\n\n\
         | drips complete | bytes | lateness min | p50 | p99 | p99.9 | max | target |\n\
         |---|---|---|---|---|---|---|---|\n\
         | {} of {DRIPS} | {} | {:.3} ms | {:.3} ms | {:.3} ms | {:.3} ms | {:.3} ms | p99 within 2 ms: {} |\n",
        m.complete,
        v.len(),
        quantile(v, 0.0),
        quantile(v, 0.5),
        p99,
        quantile(v, 0.999),
        quantile(v, 1.0),
        if p99 <= 2.0 { "met" } else { "missed" },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_pick_from_the_sorted_values_and_the_table_judges_the_target() {
        let v: Vec<f64> = (0..=100).map(f64::from).collect();
        assert_eq!((quantile(&v, 0.5), quantile(&v, 0.99)), (50.0, 99.0));
        assert!(quantile(&[], 0.5).is_nan());
        let m = Measured {
            lateness_ms: vec![0.1, 0.2, 3.0],
            complete: 1000,
        };
        let text = render(&m);
        assert!(text.contains("| 1000 of 1000 | 3 |"), "{text}");
        assert!(text.contains("missed"), "{text}");
    }
}
