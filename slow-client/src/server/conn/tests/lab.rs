//! The timeout lab on the connection: `/drip` byte by byte on its schedule,
//! `/status/{code}` at its due time, and each `/fault/{kind}`'s bytes and end.

use super::*;
use crate::server::route::Fault;
use crate::server::sim::End;

fn get(path: &str) -> Vec<u8> {
    format!("GET {path} HTTP/1.1\r\nHost: x\r\n\r\n").into_bytes()
}

#[test]
fn a_drip_sends_its_head_at_the_delay_then_each_byte_in_its_own_write_on_schedule() {
    let mut sim = sim();
    sim.send(&get("/drip?numbytes=4&duration=1&delay=0.5"));
    assert!(sim.writes.is_empty());
    assert!(sim.wants().unwrap().nodelay, "a drip asks for TCP_NODELAY");
    assert_eq!(sim.deadline(), Some(500 * MS));
    sim.advance(2 * SEC);
    let out = sim.output();
    let (head, body) = out.split_once("\r\n\r\n").unwrap();
    assert!(head.starts_with("HTTP/1.1 200 OK\r\n"), "{head}");
    assert!(head.contains("\r\nContent-Length: 4"), "{head}");
    assert!(head.contains("\r\nCache-Control: no-store\r\n"), "{head}");
    assert_eq!(body, "****");
    // The head and byte 0 at the delay, each byte its own write call.
    assert_eq!(sim.calls, [head.len() + 4, 1, 1, 1, 1]);
    let at: Vec<Duration> = sim.writes.iter().map(|w| w.at).collect();
    assert_eq!(at, [500 * MS, 750 * MS, 1000 * MS, 1250 * MS]);
    assert_eq!(
        sim.stats.answered, 1,
        "counted once, when the body is complete"
    );
    // The connection stays for the next request.
    sim.send(&get("/delay/0"));
    assert_eq!(codes(&sim), [200, 200]);
}

#[test]
fn a_late_timer_sends_every_byte_that_fell_due_in_one_write_and_a_later_request_waits() {
    let mut sim = sim();
    let mut pipelined = get("/drip?numbytes=10&duration=1&delay=0");
    pipelined.extend(get("/status/503"));
    sim.send(&pipelined);
    assert_eq!(
        sim.calls.len(),
        2,
        "the head and byte 0 at once, in two writes"
    );
    // The loop wakes late (a busy machine): 0.45 s of bytes go out together.
    sim.window = Some(0);
    sim.advance(450 * MS);
    sim.window = None;
    sim.writable();
    let late = sim.writes.last().unwrap();
    assert_eq!(
        (late.at, late.bytes.as_slice()),
        (450 * MS, b"****".as_slice())
    );
    assert!(!sim.output().contains("503"), "after the whole body");
    sim.advance(SEC);
    let out = sim.output();
    let body_end = out.find("HTTP/1.1 503").expect("503 after the drip");
    let (_, body) = out[..body_end].split_once("\r\n\r\n").unwrap();
    assert_eq!(body, "*".repeat(10));
    assert_eq!(codes(&sim), [200, 503]);
}

#[test]
fn head_of_a_drip_gets_the_head_at_the_delay_and_no_body() {
    let mut sim = sim();
    sim.send(b"HEAD /drip?numbytes=3&delay=0.2&duration=1 HTTP/1.1\r\nHost: x\r\n\r\n");
    sim.advance(5 * SEC);
    assert_eq!(sim.statuses(), [(200, 200 * MS)]);
    assert_eq!(sim.writes.len(), 1);
    assert!(sim.output().ends_with("Content-Length: 3\r\n\r\n"));
}

#[test]
fn a_drip_with_another_code_and_a_graceful_stop_mid_body_finishes_the_body() {
    let mut sim = sim();
    sim.send(&get("/drip?numbytes=2&duration=1&delay=0&code=503"));
    assert_eq!(codes(&sim), [503]);
    sim.drain();
    sim.advance(2 * SEC);
    assert!(sim.output().ends_with("\r\n\r\n**"), "{}", sim.output());
    assert_eq!(sim.end.map(|(end, _)| end), Some(End::Closed));
    assert_every_request_ends_once(&sim);
}

#[test]
fn a_status_is_answered_at_its_due_time_and_the_connection_stays() {
    let mut sim = sim();
    sim.send(&get("/status/503?delay=2"));
    sim.send(&get("/status/204"));
    sim.advance(3 * SEC);
    assert_eq!(sim.statuses(), [(503, 2 * SEC), (204, 2 * SEC)]);
    assert!(!sim.ended());
}

/// The bytes a fault sends and how its connection ends, from a request at 0.
fn fault(kind: Fault, wait: Duration) -> Sim {
    let mut sim = sim();
    sim.send(&get(&format!("/fault/{}?delay=0.3", kind.name())));
    sim.advance(wait);
    sim
}

#[test]
fn each_fault_sends_its_bytes_at_the_delay_then_ends_as_its_kind_says() {
    for kind in Fault::ALL {
        let sim = fault(kind, SEC);
        let want: Vec<u8> = kind.bytes().concat();
        assert_eq!(sim.output().as_bytes(), want.as_slice(), "{}", kind.name());
        if let Some(first) = sim.writes.first() {
            assert_eq!(first.at, 300 * MS, "{}", kind.name());
        }
        let end = match kind {
            Fault::Reset => Some((End::Reset, 300 * MS)),
            Fault::Timeout => None,
            _ => Some((End::Closed, 300 * MS)),
        };
        assert_eq!(sim.end, end, "{}", kind.name());
        assert_eq!(sim.shut_at, None, "{}: a FIN by the close", kind.name());
    }
}

#[test]
fn a_timeout_fault_holds_until_the_client_gives_up_or_the_delay_cap() {
    let mut held = fault(Fault::Timeout, 30 * SEC);
    assert!(held.writes.is_empty() && !held.ended());
    assert!(
        held.wants().unwrap().read,
        "reads, so the client's close is seen"
    );
    held.peer_close();
    assert_eq!(held.end, Some((End::Closed, 30 * SEC)));
    let mut capped = fault(Fault::Timeout, 59 * SEC);
    assert!(!capped.ended());
    capped.advance(2 * SEC);
    assert_eq!(
        capped.end,
        Some((End::Closed, 60 * SEC)),
        "the delay cap from the request"
    );
    assert!(capped.writes.is_empty());
    assert_every_request_ends_once(&capped);
}

#[test]
fn a_fault_is_the_last_answer_of_its_connection() {
    let mut sim = sim();
    let mut two = get("/fault/truncated_body");
    two.extend(get("/delay/0"));
    sim.send(&two);
    sim.advance(SEC);
    assert_eq!(
        codes(&sim),
        [200],
        "the pipelined request is never answered"
    );
    assert!(sim.ended());
    assert_eq!(sim.stats.dropped, 1);
    assert_every_request_ends_once(&sim);
}

/// A lab request from a small number: drips, statuses, faults and a plain delay.
fn lab_request(n: u8) -> Vec<u8> {
    let kinds = Fault::ALL;
    let path = match n % 4 {
        0 => format!(
            "/drip?numbytes={}&duration={}&delay=0.{}",
            1 + n % 7,
            n % 3,
            n % 5
        ),
        1 => format!(
            "/status/{}?delay={}ms",
            [200, 204, 301, 304, 503][usize::from(n % 5)],
            n
        ),
        2 => format!(
            "/fault/{}?delay=0.1",
            kinds[usize::from(n) % kinds.len()].name()
        ),
        _ => format!("/delay/{}", u64::from(n) * 10),
    };
    let method = if n % 9 == 0 { "HEAD" } else { "GET" };
    format!("{method} {path} HTTP/1.1\r\nHost: x\r\n\r\n").into_bytes()
}

proptest::proptest! {
    /// Liveness and the stats identity for the lab: whatever lab requests are
    /// pipelined, however the socket takes the bytes, the connection ends once the
    /// client closes, and every request is counted exactly once.
    #[test]
    fn any_pipelined_lab_script_ends_and_counts_every_request_once(
        requests in proptest::collection::vec(proptest::num::u8::ANY, 1..6),
        window in proptest::option::of(1usize..64),
        cut in 0usize..400,
    ) {
        let mut sim = sim();
        sim.window = window;
        let bytes: Vec<u8> = requests.iter().flat_map(|&n| lab_request(n)).collect();
        sim.send_split(&bytes, &[cut], 7 * MS);
        for _ in 0..100 {
            sim.advance(SEC);
            sim.writable();
        }
        sim.peer_close();
        sim.advance(70 * SEC);
        proptest::prop_assert!(sim.ended(), "{:?}", sim.phase());
        let s = sim.stats;
        proptest::prop_assert_eq!(s.requests, s.answered + s.rejected + s.dropped);
    }
}
