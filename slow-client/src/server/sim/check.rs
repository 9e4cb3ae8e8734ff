//! The whole connection's properties over an arbitrary script: the proptest in
//! `conn/tests/props.rs` and the cargo-fuzz target `server_conn` run [`check`].
//!
//! The input decodes (by hand, so a fuzzer's mutations map onto choices) into a
//! server configuration and a script of client actions: well-formed requests
//! (delays, HEAD, POST with a body, `Expect`, HTTP/1.0, `Connection: close`), up
//! to 32 pipelined in one buffer, cut in two pieces with a pause, raw bytes, clock steps, socket windows (partial
//! writes, a full socket), the socket becoming writable, the peer's FIN, a peer
//! gone both ways, SIGTERM. After every step, and at the end, it asserts:
//!
//! - no panic;
//! - responses in request order, and none before its due time (each generated
//!   request carries a sequence number its `Location` echoes; raw bytes never hold
//!   a digit, so only a generated request line can make such a `Location`);
//! - `answered + rejected + dropped <= requests` while open, `==` once closed,
//!   and (when no raw byte could merge with them) every generated request the
//!   connection read whole while it took requests is counted;
//! - at most [`PIPELINE_DEPTH`] responses held; unparsed input at most one head
//!   and one read;
//! - the connection ends only in the documented ways: it closes on its own while
//!   owing responses only when a deadline it announced has come (the send or the
//!   body timeout), otherwise only on a failed write or at a stop;
//! - liveness: once what the client sent is answered (in bounded time: one
//!   pipeline batch per longest delay), a client that sends only one byte, again
//!   and again, is closed within the sum of the timeouts, whatever that byte is.

use std::time::Duration;

use super::{End, Sim};
use crate::server::arrival::MAX_AGE;
use crate::server::config::{Framing, ServerConfig};
use crate::server::conn::PIPELINE_DEPTH;

/// The most bytes one read takes (the loop's shared buffer is at least this).
const READ: usize = 16 * 1024;
/// Longest delay a generated request asks for.
const DELAYS_MS: [u64; 6] = [0, 1, 40, 300, 1500, 4000];

/// A generated request: its sequence number, its delay, when its last byte came.
#[derive(Debug, Clone, Copy)]
struct Sent {
    seq: u32,
    delay: Duration,
    at: Duration,
}

/// Reads the input as choices; a missing byte reads as 0.
struct Bytes<'a>(&'a [u8]);

impl Bytes<'_> {
    fn next(&mut self) -> u8 {
        match self.0.split_first() {
            Some((&b, rest)) => {
                self.0 = rest;
                b
            }
            None => 0,
        }
    }

    fn take(&mut self, n: usize) -> &[u8] {
        let (head, rest) = self.0.split_at(n.min(self.0.len()));
        self.0 = rest;
        head
    }
}

/// The configuration a control byte picks: short and long timeouts, keep-alive on
/// and off, every framing, a request cap, a small head limit.
fn config(c: u8, d: u8) -> ServerConfig {
    let secs = |table: &[u64], i: u8| Duration::from_secs(table[usize::from(i) % table.len()]);
    ServerConfig {
        header_timeout: secs(&[1, 2, 10], c),
        keep_alive_timeout: secs(&[5, 1, 0], c >> 2),
        body_timeout: secs(&[30, 1, 3], c >> 4),
        send_timeout: secs(&[10, 1], c >> 6),
        framing: [
            Framing::Length,
            Framing::Chunked,
            Framing::Close,
            Framing::Length,
        ][usize::from(d & 3)],
        max_requests_per_connection: [1000, 1, 3, 1000][usize::from(d >> 2 & 3)],
        max_head: [16 * 1024, 256][usize::from(d >> 4 & 1)],
        access_log: d >> 5 & 1 == 1,
        ..ServerConfig::default()
    }
}

/// The request `kind` asks for, with `seq` in its url.
fn request(kind: u8, delay_ms: u64, seq: u32) -> Vec<u8> {
    let target = format!("/delay/{delay_ms}/url/http://Z/{seq}");
    let mut r = match kind % 8 {
        1 => format!("HEAD {target} HTTP/1.1\r\nHost: x\r\n"),
        2 => format!("GET {target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"),
        3 => format!("GET {target} HTTP/1.0\r\nConnection: keep-alive\r\n"),
        4 => format!("GET {target} HTTP/1.0\r\n"),
        5 => format!("POST {target} HTTP/1.1\r\nHost: x\r\nContent-Length: 7\r\n"),
        6 => format!(
            "POST {target} HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 3\r\n"
        ),
        _ => format!("GET {target} HTTP/1.1\r\nHost: x\r\n"),
    };
    r.push_str("\r\n");
    match kind % 8 {
        5 => r.push_str("bodybod"),
        6 => r.push_str("abc"),
        _ => {}
    }
    r.into_bytes()
}

/// Raw bytes as sent: no digit (so no `Location` of a generated request can come
/// from them) and no `Z`.
fn raw(bytes: &[u8]) -> Vec<u8> {
    bytes
        .iter()
        .map(|&b| match b {
            b'0'..=b'9' => b'x',
            b'Z' => b'z',
            b => b,
        })
        .collect()
}

/// Runs the script `data` against one connection; panics naming the broken
/// property.
pub(crate) fn check(data: &[u8]) {
    let mut input = Bytes(data);
    let (c, d) = (input.next(), input.next());
    let config = config(c, d);
    let mut sim = Sim::new(&config);
    let mut sent: Vec<Sent> = Vec::new();
    let mut seq = 0u32;
    let mut steps = 0;
    // Everything sent, where each generated request ends in it, and whether raw
    // bytes (which may merge with them) were sent.
    let mut stream = 0;
    let mut ends: Vec<usize> = Vec::new();
    let mut raw_sent = false;
    while !input.0.is_empty() && steps < 200 {
        steps += 1;
        let before = Before::of(&sim);
        let op = input.next();
        match op % 10 {
            0 | 1 => {
                // `copies` requests, pipelined in one buffer cut in two pieces.
                let kind = input.next();
                let copies = u32::from(kind >> 3) + 1;
                let delay = DELAYS_MS[usize::from(input.next()) % DELAYS_MS.len()];
                let mut bytes = Vec::new();
                let mut heads = Vec::new();
                for n in 0..copies {
                    let one = request(kind, delay, seq + n);
                    // The head is complete with the piece holding its blank line.
                    let blank = one.windows(4).position(|w| w == b"\r\n\r\n").unwrap_or(0);
                    heads.push(bytes.len() + blank + 4);
                    bytes.extend_from_slice(&one);
                    ends.push(stream + bytes.len());
                }
                stream += bytes.len();
                let cut = usize::from(input.next()) * 7 % (bytes.len() + 1);
                let pause = Duration::from_millis(u64::from(input.next() % 8) * 50);
                send(&mut sim, &bytes[..cut]);
                let first = sim.elapsed();
                let mut second = first;
                if cut < bytes.len() {
                    sim.advance(pause);
                    send(&mut sim, &bytes[cut..]);
                    second = sim.elapsed();
                }
                for head_end in heads {
                    sent.push(Sent {
                        seq,
                        delay: Duration::from_millis(delay),
                        at: if cut >= head_end { first } else { second },
                    });
                    seq += 1;
                }
            }
            2 => {
                let len = usize::from(input.next() % 64);
                let bytes = raw(input.take(len));
                raw_sent |= !bytes.is_empty();
                stream += bytes.len();
                send(&mut sim, &bytes);
            }
            3 | 4 => {
                let ms = u64::from(input.next()) * 25;
                sim.advance(Duration::from_millis(ms));
            }
            5 => {
                sim.window = match input.next() % 4 {
                    0 => None,
                    1 => Some(0),
                    n => Some(usize::from(n) * usize::from(input.next()) + 1),
                };
            }
            6 => sim.writable(),
            7 => sim.peer_close(),
            8 => sim.fail_writes = true,
            _ => sim.drain(),
        }
        invariants(&sim, &config);
        ends_as_documented(&sim, &before, op % 10);
    }
    liveness(&mut sim, &config);
    invariants(&sim, &config);
    in_order_and_on_time(&sim, &sent);
    if !sim.ended() {
        sim.stop();
    }
    let s = sim.stats;
    assert_eq!(
        s.requests,
        s.answered + s.rejected + s.dropped,
        "every request ends exactly once: {s:?}"
    );
    // The generated requests the connection read whole while it took requests.
    let whole = ends.iter().filter(|&&end| end <= sim.read_open).count() as u64;
    if !raw_sent {
        assert!(
            s.requests >= whole,
            "{whole} requests read whole, {} counted: {s:?}",
            s.requests
        );
    }
}

/// What a step started from.
struct Before {
    deadline: Option<Duration>,
    ended: bool,
    elapsed: Duration,
}

impl Before {
    fn of(sim: &Sim) -> Before {
        Before {
            deadline: sim.deadline(),
            ended: sim.ended(),
            elapsed: sim.elapsed(),
        }
    }
}

/// Sends `bytes` as the loop reads them: at most [`READ`] at a time.
fn send(sim: &mut Sim, bytes: &[u8]) {
    for chunk in bytes.chunks(READ) {
        sim.send(chunk);
    }
}

/// What holds after every step: the counts, the bounds.
fn invariants(sim: &Sim, config: &ServerConfig) {
    let s = sim.stats;
    assert!(
        s.answered + s.rejected + s.dropped <= s.requests,
        "more ends than requests: {s:?}"
    );
    if let Some(conn) = sim.conn() {
        assert!(
            conn.held_responses() <= PIPELINE_DEPTH,
            "{} responses held",
            conn.held_responses()
        );
        assert!(
            conn.buffered() <= config.max_head + READ,
            "{} bytes of input kept",
            conn.buffered()
        );
    }
}

/// Responses in request order, none before its due time (checked once, at the end:
/// the output only grows, and each write keeps its time).
fn in_order_and_on_time(sim: &Sim, sent: &[Sent]) {
    let out = locations(sim);
    let mut last = None;
    for (seq, at) in out {
        assert!(
            last < Some(seq),
            "response {seq} after {last:?}: out of order"
        );
        last = Some(seq);
        if let Some(req) = sent.iter().find(|r| r.seq == seq) {
            assert!(
                at >= req.at + req.delay,
                "response {seq} at {at:?}, due {:?}",
                req.at + req.delay
            );
        }
    }
}

/// The sequence numbers the written `Location`s echo, with the time of the write
/// that carried each.
fn locations(sim: &Sim) -> Vec<(u32, Duration)> {
    const FIELD: &[u8] = b"Location: http://Z/";
    let mut text = Vec::new();
    let mut ends = Vec::new();
    for write in &sim.writes {
        text.extend_from_slice(&write.bytes);
        ends.push((text.len(), write.at));
    }
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(i) = text[from..].windows(FIELD.len()).position(|w| w == FIELD) {
        let start = from + i + FIELD.len();
        let digits = text[start..]
            .iter()
            .take_while(|b| b.is_ascii_digit())
            .count();
        let end = start + digits;
        if text.get(end..end + 2) == Some(b"\r\n") {
            let seq = std::str::from_utf8(&text[start..end])
                .ok()
                .and_then(|s| s.parse().ok());
            let at = ends.iter().find(|(e, _)| *e >= end + 2).map(|&(_, at)| at);
            if let (Some(seq), Some(at)) = (seq, at) {
                out.push((seq, at));
            }
        }
        from = start;
    }
    out
}

/// A connection that owed responses closes on its own only when a timer it
/// announced ran out (the send or the body timeout); otherwise on a failed write or
/// at a stop. At the peer's close it answers what it owes first.
fn ends_as_documented(sim: &Sim, before: &Before, op: u8) {
    let Some((End::Closed, at)) = sim.end else {
        return;
    };
    if at < before.elapsed || before.ended || sim.owed_at_end == 0 {
        return;
    }
    assert!(
        before.deadline.is_some_and(|d| d <= at),
        "closed at {at:?} owing {} responses, by op {op}, before its deadline {:?}",
        sim.owed_at_end,
        before.deadline
    );
}

/// The client reads everything and sends nothing more: what it already sent (owed,
/// held, or still in the socket) is answered at one [`PIPELINE_DEPTH`] batch per
/// longest delay, plus the [`MAX_AGE`] a stamp read late may lose. Then it sends
/// one byte (the script's last, made raw) every quarter of the shortest timeout:
/// the connection must close within the sum of every timeout and a linger,
/// whatever that byte is.
fn liveness(sim: &mut Sim, config: &ServerConfig) {
    sim.window = None;
    sim.fail_writes = false;
    sim.writable();
    let longest = Duration::from_millis(DELAYS_MS[DELAYS_MS.len() - 1]);
    // A generated request is at least 16 bytes; each batch also waits for a write.
    let pending = sim.unread() / 16
        + sim
            .conn()
            .map_or(0, |c| c.held_responses() + c.buffered() / 16);
    let batches = u32::try_from(pending / PIPELINE_DEPTH + 2).unwrap_or(u32::MAX);
    let answering = (longest + MAX_AGE + config.send_timeout) * batches;
    let start = sim.elapsed();
    while !sim.ended() && sim.elapsed() < start + answering {
        let busy = sim.unread() > 0 || sim.conn().is_some_and(|c| c.held_responses() > 0);
        if !busy {
            break;
        }
        sim.advance(Duration::from_millis(100));
    }
    let limit = config.header_timeout
        + config.body_timeout
        + config.keep_alive_timeout
        + config.send_timeout
        + 2 * Duration::from_secs(1);
    let step = config
        .header_timeout
        .min(config.body_timeout)
        .min(config.send_timeout)
        / 4;
    let byte = raw(&[sim.output().bytes().last().unwrap_or(b'\n')])[0];
    let start = sim.elapsed();
    while !sim.ended() && sim.elapsed() < start + limit {
        sim.send(&[byte]);
        sim.advance(step);
    }
    assert!(
        sim.ended(),
        "a client dripping {:?} holds the connection past {limit:?} after its answers \
         (phase {:?}, deadline {:?}, {} responses held)",
        byte as char,
        sim.phase(),
        sim.deadline(),
        sim.conn().map_or(0, |c| c.held_responses())
    );
}
