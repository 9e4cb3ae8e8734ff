//! The timers: header, idle (keep-alive), body, send; a stray CR/LF is no progress.

use super::*;
use crate::server::sim::End;

const HEAD: &[u8] = b"GET /delay/0 HTTP/1.1\r\nHost: x\r\n\r\n";

#[test]
fn a_connection_that_never_sends_a_byte_is_closed_quietly_at_the_header_timeout() {
    let mut sim = sim();
    assert_eq!(sim.deadline(), Some(10 * SEC));
    sim.advance(10 * SEC - MS);
    assert!(!sim.ended());
    sim.advance(MS);
    assert_eq!(sim.end, Some((End::Closed, 10 * SEC)));
    assert!(sim.writes.is_empty(), "no 408: nothing asked for an answer");
    assert_eq!((sim.stats.requests, sim.stats.dropped), (1, 1));
}

#[test]
fn a_head_that_started_and_did_not_finish_gets_408_at_the_header_timeout() {
    let mut sim = sim();
    sim.send(b"GET /delay/0 HTTP/1.1\r\nHost: x\r\n\r\n");
    sim.advance(2 * SEC);
    sim.send(b"GET /delay/0 HTTP/1.1\r\nHost:");
    assert_eq!(sim.deadline(), Some(12 * SEC), "from the head's first byte");
    sim.advance(10 * SEC);
    assert_eq!(sim.statuses(), [(200, Duration::ZERO), (408, 12 * SEC)]);
    assert!(sim.output().contains("Connection: close\r\n"));
    sim.advance(SEC);
    assert!(sim.ended());
    assert_every_request_ends_once(&sim);
    assert_eq!(
        (sim.stats.requests, sim.stats.answered, sim.stats.dropped),
        (2, 1, 1)
    );
}

#[test]
fn a_trickled_head_gets_408_at_the_header_timeout_whatever_it_sends() {
    let mut sim = sim();
    // One header line that never ends: a byte every 300 ms.
    let trickle = b"GET /delay/0 HTTP/1.1\r\nHost: x\r\nX-Slow: "
        .iter()
        .chain([b'a'; 60].iter());
    for byte in trickle {
        if sim.ended() || !codes(&sim).is_empty() {
            break;
        }
        sim.send(&[*byte]);
        sim.advance(300 * MS);
    }
    assert_eq!(
        sim.statuses(),
        [(408, 10 * SEC)],
        "from accept for the first head"
    );
}

#[test]
fn a_slow_client_within_the_header_timeout_is_served() {
    let mut sim = sim();
    let cuts: Vec<usize> = (1..HEAD.len()).collect();
    sim.send_split(HEAD, &cuts, 200 * MS);
    assert_eq!(codes(&sim), [200]);
}

#[test]
fn idle_longer_than_the_header_timeout_is_no_408_the_keep_alive_timer_rules() {
    let mut sim = Sim::new(&ServerConfig {
        header_timeout: SEC,
        keep_alive_timeout: 5 * SEC,
        ..ServerConfig::default()
    });
    sim.send(HEAD);
    sim.advance(4 * SEC);
    assert!(!sim.ended());
    sim.send(HEAD);
    assert_eq!(codes(&sim), [200, 200]);
}

#[test]
fn a_crlf_drip_between_requests_does_not_hold_the_connection() {
    // Bug: a stray CR/LF reset the idle timer on every read and started no timer,
    // so "\r\n" every 2 s held a connection forever (nginx closes at its 60 s
    // keepalive_timeout). A stray CR/LF is no progress: the idle timer runs on.
    let mut sim = sim();
    sim.send(HEAD);
    for _ in 0..40 {
        sim.advance(2 * SEC);
        sim.send(b"\r\n");
        if sim.ended() {
            break;
        }
    }
    assert_eq!(
        sim.end,
        Some((End::Closed, 5 * SEC)),
        "at the keep-alive timeout"
    );
    assert_eq!(codes(&sim), [200], "quietly, no 408");
    assert_every_request_ends_once(&sim);
}

#[test]
fn a_head_after_stray_crlf_is_timed_from_the_first_crlf() {
    let mut sim = sim();
    sim.send(HEAD);
    sim.advance(SEC);
    sim.send(b"\r\n");
    sim.advance(3 * SEC);
    sim.send(b"GET /delay/0 HTTP/1.1\r\nHost: x\r\n");
    assert_eq!(
        sim.deadline(),
        Some(11 * SEC),
        "the CR/LF at 1 s started it"
    );
    sim.advance(7 * SEC);
    assert_eq!(sim.statuses(), [(200, Duration::ZERO), (408, 11 * SEC)]);
}

#[test]
fn stray_crlf_before_and_between_requests_is_skipped() {
    let mut sim = sim();
    sim.send(b"\r\n\r\nGET /delay/0 HTTP/1.1\r\nHost: x\r\n\r\n\r\n");
    sim.send(b"\r\nGET /delay/0 HTTP/1.1\r\nHost: x\r\n\r\n");
    assert_eq!(codes(&sim), [200, 200]);
    sim.advance(5 * SEC);
    assert_eq!(
        sim.end.map(|e| e.0),
        Some(End::Closed),
        "idle close, no 408"
    );
    assert_eq!(
        (sim.stats.requests, sim.stats.answered, sim.stats.dropped),
        (2, 2, 0)
    );
}

#[test]
fn a_trickled_request_body_is_cut_off_at_the_body_timeout() {
    // Bug: no timer covered a body being received, so a byte every 2 s held the
    // connection forever (nginx gives a body it discards 30 s in all).
    let mut sim = sim();
    sim.send(b"POST /delay/0/url/http://x/ HTTP/1.1\r\nHost: x\r\nContent-Length: 1048576\r\n\r\n");
    assert_eq!(codes(&sim), [307], "answered at once; the body is skipped");
    assert_eq!(sim.deadline(), Some(30 * SEC));
    for _ in 0..40 {
        sim.advance(2 * SEC);
        sim.send(b"x");
        if sim.ended() {
            break;
        }
    }
    assert_eq!(sim.end, Some((End::Closed, 30 * SEC)));
    assert_every_request_ends_once(&sim);
}

#[test]
fn the_body_timeout_is_configurable_and_a_body_within_it_goes_on() {
    let mut sim = Sim::new(&ServerConfig {
        body_timeout: 2 * SEC,
        ..ServerConfig::default()
    });
    sim.send(b"POST /delay/0/url/http://x/ HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n\r\nab");
    sim.advance(SEC);
    sim.send(b"cd");
    assert_eq!(
        sim.deadline(),
        Some(5 * SEC),
        "the keep-alive timer, from the 307 at 0"
    );
    sim.send(HEAD);
    assert_eq!(codes(&sim), [307, 200]);
    let mut slow = Sim::new(&ServerConfig {
        body_timeout: 2 * SEC,
        ..ServerConfig::default()
    });
    slow.send(b"POST /delay/5000/url/http://x/ HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n\r\nab");
    slow.advance(2 * SEC);
    assert_eq!(slow.end, Some((End::Closed, 2 * SEC)));
    assert!(codes(&slow).is_empty());
    assert_eq!((slow.stats.requests, slow.stats.dropped), (1, 1));
}

#[test]
fn a_client_that_never_reads_is_closed_at_the_send_timeout_and_served_if_it_reads() {
    let mut sim = sim();
    sim.window = Some(0);
    sim.send(b"GET /delay/0 HTTP/1.1\r\nHost: x\r\n\r\n");
    assert!(sim.wants().unwrap().write);
    assert_eq!(sim.deadline(), Some(10 * SEC));
    sim.advance(9 * SEC);
    sim.window = Some(10); // it reads a little: progress restarts the timer
    sim.writable();
    sim.window = Some(0);
    sim.writable();
    assert_eq!(sim.deadline(), Some(19 * SEC));
    sim.advance(10 * SEC);
    assert_eq!(sim.end, Some((End::Closed, 19 * SEC)));
    assert_eq!((sim.stats.requests, sim.stats.dropped), (1, 1));

    let mut reader = sim_reading_late();
    reader.advance(SEC);
    assert_eq!(codes(&reader), [200]);
}

fn sim_reading_late() -> Sim {
    let mut sim = sim();
    sim.window = Some(0);
    sim.send(b"GET /delay/0 HTTP/1.1\r\nHost: x\r\n\r\n");
    sim.advance(5 * SEC);
    sim.window = None;
    sim.writable();
    sim
}
