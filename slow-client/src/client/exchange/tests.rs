//! The decisions an edge-triggered exchange makes, without a kernel where
//! possible, and the EOF rule against a loopback socket.

use super::*;
use crate::http::ResponseLimits;
use std::io::Write as _;
use std::net::{TcpListener, TcpStream};

const IN: Ready = Ready {
    readable: true,
    writable: false,
    read_closed: false,
    failed: false,
};
const OUT: Ready = Ready {
    readable: false,
    writable: true,
    read_closed: false,
    failed: false,
};
const CLOSED: Ready = Ready {
    readable: true,
    writable: false,
    read_closed: true,
    failed: false,
};
const FAILED: Ready = Ready {
    readable: false,
    writable: false,
    read_closed: false,
    failed: true,
};

fn receiving() -> Phase {
    Phase::Receiving {
        since: Instant::now(),
    }
}

#[test]
fn a_connecting_exchange_acts_on_any_edge() {
    let connecting = Phase::Connecting {
        since: Instant::now(),
    };
    for ready in [OUT, FAILED, OUT.or(IN)] {
        assert_eq!(connecting.act(ready), Act::Connected);
    }
}

#[test]
fn an_edge_before_the_request_is_out_is_remembered_not_acted_on() {
    // The writer sends in id order: an answer or a close seen while the
    // request waits for it must not send it early, but must not be lost.
    for ready in [IN, CLOSED, FAILED] {
        assert_eq!(Phase::Connected.act(ready), Act::Remember);
    }
    for ready in [IN, CLOSED] {
        assert_eq!(Phase::Sending { written: 3 }.act(ready), Act::Remember);
    }
    assert_eq!(Phase::Connected.act(OUT), Act::Ignore);
    assert_eq!(Phase::Sending { written: 3 }.act(OUT), Act::Send);
    assert_eq!(Phase::Sending { written: 3 }.act(FAILED), Act::Send);
}

#[test]
fn a_receiving_exchange_reads_only_on_an_edge_that_can_have_bytes() {
    assert_eq!(receiving().act(IN), Act::Receive);
    assert_eq!(receiving().act(CLOSED), Act::Receive);
    assert_eq!(receiving().act(FAILED), Act::Receive);
    // Send-buffer space after the request is out: no read(2) spent on it.
    assert_eq!(receiving().act(OUT), Act::Ignore);
}

#[test]
fn an_ended_exchange_ignores_late_edges() {
    for ready in [IN, OUT, CLOSED, FAILED] {
        assert_eq!(Phase::Done.act(ready), Act::Ignore);
        assert_eq!(Phase::Idle.act(ready), Act::Ignore);
    }
}

#[test]
fn a_remembered_edge_is_read_once_after_the_request_is_written() {
    let mut ex = Exchange::new(ResponseReader::new(ResponseLimits::default()));
    ex.phase = Phase::Connected;
    ex.remember(OUT);
    ex.remember(CLOSED);
    assert_eq!(ex.take_early_read(), None, "not before the request is out");
    ex.phase = receiving();
    assert_eq!(ex.take_early_read(), Some(true));
    assert_eq!(ex.take_early_read(), None, "only once");
}

#[test]
fn no_early_edge_means_no_early_read() {
    let mut ex = Exchange::new(ResponseReader::new(ResponseLimits::default()));
    ex.remember(OUT);
    ex.phase = receiving();
    assert_eq!(ex.take_early_read(), None);
}

/// An exchange receiving on a loopback connection whose peer wrote `bytes`
/// (and closed, when `close`).
fn peer_wrote(bytes: &[u8], close: bool) -> (Exchange, Option<TcpStream>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let client = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
    let (mut server, _) = listener.accept().unwrap();
    server.write_all(bytes).unwrap();
    let server = if close {
        drop(server);
        None
    } else {
        Some(server)
    };
    client.set_nonblocking(true).unwrap();
    // Loopback delivers inside the write; this is margin on a loaded machine.
    std::thread::sleep(std::time::Duration::from_millis(20));
    let mut ex = Exchange::new(ResponseReader::new(ResponseLimits::default()));
    ex.sock = Some(Socket::from(client));
    ex.phase = receiving();
    (ex, server)
}

const CLOSE_DELIMITED: &[u8] = b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nabc";

#[test]
fn a_short_read_after_the_peer_closed_ends_a_close_delimited_body() {
    let (mut ex, _) = peer_wrote(CLOSE_DELIMITED, true);
    let mut buf = [0u8; 4096];
    match ex.receive(&mut buf, true) {
        Next::Finished(Ok(done)) => assert_eq!(done.response.body_bytes, 3),
        other => panic!("expected a response, got {other:?}"),
    }
    assert!(ex.sock.is_none(), "closed once ended");
}

#[test]
fn a_short_read_without_the_close_waits_for_the_next_edge() {
    let (mut ex, _server) = peer_wrote(CLOSE_DELIMITED, false);
    let mut buf = [0u8; 4096];
    assert!(matches!(ex.receive(&mut buf, false), Next::WaitReadable));
    assert!(ex.sock.is_some());
}
