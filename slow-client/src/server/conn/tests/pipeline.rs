//! Pipelining: request order, due order, held requests keeping their arrival, the
//! pipeline bound.

use super::*;
use crate::server::conn::PIPELINE_DEPTH;

#[test]
fn pipelined_responses_come_in_request_order_a_later_shorter_delay_waiting() {
    let mut sim = sim();
    sim.send(b"GET /delay/300 HTTP/1.1\r\nHost: x\r\n\r\nGET /delay/100 HTTP/1.1\r\nHost: x\r\n\r\nGET /delay/0 HTTP/1.1\r\nHost: x\r\n\r\n");
    sim.advance(299 * MS);
    assert!(codes(&sim).is_empty(), "nothing before the first is due");
    sim.advance(MS);
    assert_eq!(sim.statuses(), [(200, 300 * MS); 3].to_vec());
    let out = sim.output();
    let at = |s: &str| out.find(s).unwrap();
    assert!(at("delayed 300") < at("delayed 100") && at("delayed 100") < at("delayed 0"));
    assert_eq!(sim.writes.len(), 1, "one write for everything due");
}

#[test]
fn each_delay_runs_from_its_own_arrival() {
    let mut sim = sim();
    sim.send(b"GET /delay/100 HTTP/1.1\r\nHost: x\r\n\r\n");
    sim.advance(50 * MS);
    sim.send(b"GET /delay/100 HTTP/1.1\r\nHost: x\r\n\r\n");
    sim.advance(SEC);
    assert_eq!(sim.statuses(), [(200, 100 * MS), (200, 150 * MS)]);
}

#[test]
fn a_stamped_arrival_earlier_than_the_read_counts() {
    let mut sim = sim();
    sim.advance(SEC);
    let stamped = sim.now() - 30 * MS;
    sim.send_arrived(b"GET /delay/100 HTTP/1.1\r\nHost: x\r\n\r\n", stamped);
    sim.advance(SEC);
    assert_eq!(sim.statuses(), [(200, SEC + 70 * MS)]);
}

#[test]
fn responses_overdue_when_read_are_left_to_the_deadline_in_due_order() {
    // Read late (stamped 50 ms ago): due 10 ms ago. The read's flush leaves it to the
    // deadline (which answers every connection's overdue responses in due order),
    // and the deadline is already past.
    let mut sim = sim();
    sim.advance(SEC);
    let stamped = sim.now() - 50 * MS;
    sim.send_arrived(b"GET /delay/40 HTTP/1.1\r\nHost: x\r\n\r\n", stamped);
    assert!(codes(&sim).is_empty(), "not written by the read's flush");
    assert_eq!(sim.deadline(), Some(SEC - 10 * MS));
    sim.advance(Duration::ZERO);
    assert_eq!(codes(&sim), [200]);
}

#[test]
fn at_the_pipeline_bound_the_connection_stops_reading_and_held_requests_keep_their_arrival() {
    let mut sim = sim();
    let mut burst = Vec::new();
    for _ in 0..PIPELINE_DEPTH {
        burst.extend_from_slice(b"GET /delay/2000 HTTP/1.1\r\nHost: x\r\n\r\n");
    }
    for _ in 0..10 {
        burst.extend_from_slice(b"GET /delay/500 HTTP/1.1\r\nHost: x\r\n\r\n");
    }
    sim.send(&burst);
    let conn = sim.conn().unwrap();
    assert_eq!(conn.held_responses(), PIPELINE_DEPTH);
    assert!(!conn.wants().read, "no reading past the bound");
    assert!(
        !conn.wants().write,
        "nothing to write either: only a reset wakes it"
    );
    sim.advance(2 * SEC);
    // The 64 go out at 2 s; then the held 10 are parsed: due 500 ms after they
    // arrived (at 0), so already overdue, and answered at once in order.
    let statuses = sim.statuses();
    assert_eq!(statuses.len(), PIPELINE_DEPTH + 10, "{statuses:?}");
    assert!(statuses
        .iter()
        .all(|&(code, at)| code == 200 && at == 2 * SEC));
    assert!(sim.wants().unwrap().read, "reading again");
    assert_eq!(sim.stats.answered, 74);
}

#[test]
fn a_client_that_never_reads_holds_at_most_the_bound_and_a_bounded_input() {
    let mut sim = sim();
    sim.window = Some(0);
    for _ in 0..200 {
        sim.send(b"GET /delay/0 HTTP/1.1\r\nHost: x\r\n\r\n");
    }
    let conn = sim.conn().unwrap();
    assert_eq!(conn.held_responses(), PIPELINE_DEPTH);
    assert!(conn.buffered() < 64 * 1024);
    assert!(conn.wants().write && !conn.wants().read);
    assert!(sim.unread() > 0, "the rest waits in the socket, unread");
}
