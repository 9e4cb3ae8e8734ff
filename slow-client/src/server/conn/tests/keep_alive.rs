//! Keep-alive: requests on one connection, the idle timer, the request cap, HTTP/1.0.

use super::*;
use crate::server::conn::Phase;
use crate::server::sim::End;

#[test]
fn n_requests_on_one_connection_are_answered_in_turn_and_it_stays_open() {
    let mut sim = sim();
    for i in 0..5u64 {
        sim.send(format!("GET /delay/{i} HTTP/1.1\r\nHost: x\r\n\r\n").as_bytes());
        sim.advance(10 * MS);
    }
    assert_eq!(codes(&sim), [200; 5]);
    assert!(
        !sim.output().contains("Connection:"),
        "HTTP/1.1 keeps by default"
    );
    assert_eq!(sim.phase(), Some(Phase::Open));
    assert_eq!((sim.stats.requests, sim.stats.answered), (5, 5));
}

#[test]
fn an_idle_connection_is_closed_silently_at_the_keep_alive_timeout_from_its_last_response() {
    let mut sim = sim();
    sim.advance(SEC);
    sim.send(b"GET /delay/500 HTTP/1.1\r\nHost: x\r\n\r\n");
    sim.advance(500 * MS);
    assert_eq!(sim.statuses(), [(200, SEC + 500 * MS)]);
    assert_eq!(sim.deadline(), Some(SEC + 500 * MS + 5 * SEC));
    sim.advance(5 * SEC - MS);
    assert!(!sim.ended(), "closed early");
    sim.advance(MS);
    assert_eq!(sim.end, Some((End::Closed, 6500 * MS)));
    assert_eq!(codes(&sim), [200], "no 408, a plain close");
    assert_eq!(
        (sim.stats.requests, sim.stats.answered, sim.stats.dropped),
        (1, 1, 0)
    );
}

#[test]
fn keep_alive_timeout_zero_turns_keep_alive_off() {
    let mut sim = Sim::new(&ServerConfig {
        keep_alive_timeout: Duration::ZERO,
        ..ServerConfig::default()
    });
    sim.send(b"GET /delay/0 HTTP/1.1\r\nHost: x\r\n\r\n");
    assert!(sim.output().contains("Connection: close\r\n"));
    assert_eq!(sim.end.map(|e| e.0), Some(End::Closed));
    assert_every_request_ends_once(&sim);
}

#[test]
fn the_last_request_allowed_on_a_connection_says_close_and_later_ones_are_dropped() {
    let mut sim = Sim::new(&ServerConfig {
        max_requests_per_connection: 2,
        ..ServerConfig::default()
    });
    sim.send(b"GET /delay/0 HTTP/1.1\r\nHost: x\r\n\r\n");
    sim.send(b"GET /delay/0 HTTP/1.1\r\nHost: x\r\n\r\nGET /delay/0 HTTP/1.1\r\nHost: x\r\n\r\n");
    let out = sim.output();
    assert_eq!(codes(&sim), [200, 200]);
    assert_eq!(out.matches("Connection: close").count(), 1);
    // The third came in the same read: never answered, dropped; the close lingers.
    assert!(
        sim.shut_at.is_some(),
        "FIN, then linger over the unread request"
    );
    sim.advance(SEC);
    assert_eq!(sim.end.map(|e| e.0), Some(End::Closed));
    assert_eq!(
        (sim.stats.requests, sim.stats.answered, sim.stats.dropped),
        (3, 2, 1)
    );
}

#[test]
fn http10_closes_unless_it_asks_for_keep_alive() {
    let mut sim = sim();
    sim.send(b"GET /delay/0 HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
    assert!(sim.output().contains("Connection: keep-alive\r\n"));
    assert!(!sim.ended());
    sim.send(b"GET /delay/0 HTTP/1.0\r\n\r\n");
    assert!(sim.output().contains("Connection: close\r\n"));
    assert!(sim.ended());
    assert_every_request_ends_once(&sim);
}

#[test]
fn a_404_keeps_the_connection_and_errors_that_end_it_say_close() {
    let mut sim = sim();
    sim.send(b"GET /nope HTTP/1.1\r\nHost: x\r\n\r\n");
    assert_eq!(codes(&sim), [404]);
    assert!(!sim.ended());
    sim.send(b"DELETE /delay/0 HTTP/1.1\r\nHost: x\r\n\r\n");
    assert_eq!(codes(&sim), [404, 405]);
    assert!(sim.output().contains("Connection: close\r\n"));
    assert!(sim.shut_at.is_some(), "an error that ends it lingers");
    sim.advance(SEC);
    assert_every_request_ends_once(&sim);
    assert_eq!((sim.stats.answered, sim.stats.rejected), (0, 2));
}

#[test]
fn a_request_split_at_every_byte_is_answered_the_same() {
    let request = b"GET /delay/20 HTTP/1.1\r\nHost: x\r\n\r\n";
    let mut whole = sim();
    whole.send(request);
    whole.advance(20 * MS);
    for cut in 0..=request.len() {
        let mut sim = sim();
        sim.send_split(request, &[cut], MS);
        sim.advance(20 * MS);
        assert_eq!(sim.output(), whole.output(), "cut at {cut}");
        let (code, at) = sim.statuses()[0];
        assert_eq!(code, 200);
        let last_byte = if cut == request.len() {
            Duration::ZERO
        } else {
            MS
        };
        assert_eq!(
            at,
            last_byte + 20 * MS,
            "due 20 ms after the head completed"
        );
    }
}
