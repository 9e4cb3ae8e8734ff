//! How a connection ends: `Connection: close` wins, the linger, the graceful stop
//! (drain), the peer's close (half-close), a failed write; every request counted once.

use super::*;
use crate::server::conn::{Phase, PIPELINE_DEPTH};
use crate::server::sim::End;

#[test]
fn close_wins_over_keep_alive_and_what_follows_is_dropped() {
    let mut sim = sim();
    sim.send(b"GET /delay/0 HTTP/1.1\r\nHost: x\r\nConnection: keep-alive, close\r\n\r\nGET /delay/0 HTTP/1.1\r\nHost: x\r\n\r\n");
    assert_eq!(codes(&sim), [200]);
    assert!(sim.output().contains("Connection: close\r\n"));
    sim.advance(SEC);
    assert!(sim.ended());
    assert_eq!(
        (sim.stats.requests, sim.stats.answered, sim.stats.dropped),
        (2, 1, 1)
    );
}

#[test]
fn a_closing_response_with_nothing_unread_closes_at_once() {
    let mut sim = sim();
    sim.send(b"GET /delay/0 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    assert_eq!(sim.end, Some((End::Closed, Duration::ZERO)));
    assert_eq!(sim.shut_at, None, "no linger");
}

#[test]
fn after_a_closing_response_with_bytes_unread_it_shuts_down_and_lingers() {
    let mut sim = sim();
    sim.send(b"GET /delay/100 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\nmore bytes");
    sim.advance(100 * MS);
    assert_eq!(codes(&sim), [200]);
    assert_eq!(sim.shut_at, Some(100 * MS));
    assert_eq!(sim.phase(), Some(Phase::Lingering));
    assert!(sim.wants().unwrap().read, "reading and discarding");
    sim.send(b"still more");
    assert_eq!(sim.deadline(), Some(1100 * MS), "at most LINGER");
    sim.advance(SEC);
    assert_eq!(sim.end, Some((End::Closed, 1100 * MS)));
    // The client's close ends the linger at once.
    let mut early = sim_lingering();
    early.peer_close();
    assert_eq!(early.end, Some((End::Closed, Duration::ZERO)));
}

fn sim_lingering() -> Sim {
    let mut sim = sim();
    sim.send(b"GET /delay/0 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\nx");
    assert_eq!(sim.phase(), Some(Phase::Lingering));
    sim
}

#[test]
fn a_graceful_stop_closes_an_idle_connection_and_lets_owed_responses_finish_saying_close() {
    let mut idle = sim();
    idle.send(b"GET /delay/0 HTTP/1.1\r\nHost: x\r\n\r\n");
    idle.drain();
    assert!(idle.ended());
    assert_every_request_ends_once(&idle);

    let mut busy = sim();
    busy.send(b"GET /delay/500 HTTP/1.1\r\nHost: x\r\n\r\n");
    busy.drain();
    assert!(!busy.ended());
    busy.advance(500 * MS);
    assert_eq!(codes(&busy), [200]);
    assert!(busy.output().contains("Connection: close\r\n"));
    assert!(busy.ended());
    assert_every_request_ends_once(&busy);
}

#[test]
fn a_graceful_stop_lets_a_lingering_connection_finish_its_linger() {
    let mut sim = sim_lingering();
    sim.drain();
    assert!(!sim.ended());
    sim.advance(SEC);
    assert_eq!(sim.end.map(|e| e.0), Some(End::Closed));
}

#[test]
fn a_graceful_stop_counts_requests_held_by_the_pipeline_bound_as_dropped() {
    let mut sim = sim();
    let mut burst = Vec::new();
    for _ in 0..PIPELINE_DEPTH + 36 {
        burst.extend_from_slice(b"GET /delay/200 HTTP/1.1\r\nHost: x\r\n\r\n");
    }
    sim.send(&burst);
    sim.drain();
    sim.advance(200 * MS);
    assert_eq!(sim.shut_at, Some(200 * MS), "the 64 out, then the linger");
    sim.advance(SEC);
    assert!(sim.ended());
    assert_every_request_ends_once(&sim);
    assert_eq!(
        (sim.stats.requests, sim.stats.answered, sim.stats.dropped),
        (100, 64, 36)
    );
}

#[test]
fn complete_requests_held_back_are_counted_when_the_connection_closes() {
    // Bug: one write of 64 long requests and 10 more, then the close: the close
    // path counted the 64 owed but not the 10 held back by the pipeline bound
    // (only the drain path did), so `requests` missed them.
    let mut sim = sim();
    let mut burst = Vec::new();
    for _ in 0..PIPELINE_DEPTH {
        burst.extend_from_slice(b"GET /delay/3000 HTTP/1.1\r\nHost: x\r\n\r\n");
    }
    for _ in 0..10 {
        burst.extend_from_slice(b"GET /delay/0 HTTP/1.1\r\nHost: x\r\n\r\n");
    }
    sim.send(&burst);
    sim.advance(500 * MS);
    sim.stop(); // the client reset, or the server stopped: closed with all owed
    assert_every_request_ends_once(&sim);
    assert_eq!((sim.stats.requests, sim.stats.dropped), (74, 74));
}

#[test]
fn after_the_peer_half_closes_its_requests_are_still_answered_in_order_then_it_closes() {
    let mut sim = sim();
    sim.send(
        b"GET /delay/300 HTTP/1.1\r\nHost: x\r\n\r\nGET /delay/100 HTTP/1.1\r\nHost: x\r\n\r\n",
    );
    sim.peer_close();
    assert!(!sim.ended());
    assert!(
        !sim.wants().unwrap().read,
        "nothing more to read after the FIN"
    );
    sim.advance(299 * MS);
    assert!(codes(&sim).is_empty(), "never before its due time");
    sim.advance(MS);
    assert_eq!(sim.statuses(), [(200, 300 * MS), (200, 300 * MS)]);
    assert_eq!(sim.end, Some((End::Closed, 300 * MS)));
    assert_every_request_ends_once(&sim);
    assert_eq!(sim.stats.answered, 2);
}

#[test]
fn after_a_half_close_held_requests_are_answered_and_a_cut_head_is_dropped() {
    let mut sim = sim();
    let mut burst = Vec::new();
    for _ in 0..PIPELINE_DEPTH + 3 {
        burst.extend_from_slice(b"GET /delay/10 HTTP/1.1\r\nHost: x\r\n\r\n");
    }
    burst.extend_from_slice(b"GET /delay/0 HTTP/1.1\r\nHost: x\r\nHo");
    sim.send(&burst);
    sim.peer_close();
    sim.advance(SEC);
    assert_eq!(codes(&sim).len(), PIPELINE_DEPTH + 3);
    assert_eq!(sim.end.map(|e| e.0), Some(End::Closed));
    assert_every_request_ends_once(&sim);
    assert_eq!(
        (sim.stats.requests, sim.stats.answered, sim.stats.dropped),
        (68, 67, 1)
    );
}

#[test]
fn a_peer_that_closes_with_nothing_owed_is_closed_at_once() {
    let mut fresh = sim();
    fresh.peer_close();
    assert_eq!(fresh.end, Some((End::Closed, Duration::ZERO)));
    assert_eq!((fresh.stats.requests, fresh.stats.dropped), (1, 1));
    let mut partial = sim();
    partial.send(b"GET /delay/0 HTTP/1.1\r\nHost: x\r\n\r\nGET /del");
    partial.peer_close();
    assert!(partial.ended(), "a cut head is never answered");
    assert_every_request_ends_once(&partial);
    assert_eq!((partial.stats.answered, partial.stats.dropped), (1, 1));
}

#[test]
fn a_peer_gone_both_ways_is_found_on_the_write_and_its_response_dropped() {
    let mut sim = sim();
    sim.send(b"GET /delay/200 HTTP/1.1\r\nHost: x\r\n\r\n");
    sim.peer_close();
    sim.fail_writes = true; // EPIPE / ECONNRESET
    sim.advance(200 * MS);
    assert_eq!(sim.end, Some((End::WriteFailed, 200 * MS)));
    assert_eq!((sim.stats.requests, sim.stats.dropped), (1, 1));
}
