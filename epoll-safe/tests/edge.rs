//! `Interest::edge`: one event per change of readiness; the reader must
//! drain to `WouldBlock` before waiting again. Level-triggered for contrast.

mod util;

use epoll_safe::{Epoll, Events, Interest, Token};
use std::io::{ErrorKind, Read, Write};
use util::{drain, expect_events, expect_no_events, pipe, ExpectEvent};

const R: Token = Token(1);

#[test]
fn edge_triggered_reports_new_data_once() {
    let epoll = Epoll::new().unwrap();
    let mut events = Events::default();
    let (mut r, mut w) = pipe();
    epoll.add(&r, R, Interest::READABLE.edge()).unwrap();
    w.write_all(&[7; 100]).unwrap();
    expect_events(
        &epoll,
        &mut events,
        vec![ExpectEvent::new(R, Interest::READABLE)],
    );
    // Data is still there, but there was no new edge.
    expect_no_events(&epoll, &mut events);
    // A partial read is no edge either: the classic edge-triggered hang.
    r.read_exact(&mut [0; 10]).unwrap();
    expect_no_events(&epoll, &mut events);
    // New data is.
    w.write_all(&[8; 10]).unwrap();
    expect_events(
        &epoll,
        &mut events,
        vec![ExpectEvent::new(R, Interest::READABLE)],
    );
}

#[test]
fn draining_to_would_block_then_writing_gives_a_new_event() {
    let epoll = Epoll::new().unwrap();
    let mut events = Events::default();
    let (r, mut w) = pipe();
    epoll.add(&r, R, Interest::READABLE.edge()).unwrap();
    for round in 1..=5 {
        w.write_all(&vec![round as u8; 1000 * round]).unwrap();
        expect_events(
            &epoll,
            &mut events,
            vec![ExpectEvent::new(R, Interest::READABLE)],
        );
        assert_eq!(drain(&r), 1000 * round);
        assert_eq!(
            (&r).read(&mut [0; 1]).unwrap_err().kind(),
            ErrorKind::WouldBlock
        );
        expect_no_events(&epoll, &mut events);
    }
}

#[test]
fn level_triggered_reports_until_drained() {
    let epoll = Epoll::new().unwrap();
    let mut events = Events::default();
    let (r, mut w) = pipe();
    epoll.add(&r, R, Interest::READABLE).unwrap();
    w.write_all(b"abc").unwrap();
    for _ in 0..3 {
        expect_events(
            &epoll,
            &mut events,
            vec![ExpectEvent::new(R, Interest::READABLE)],
        );
    }
    assert_eq!(drain(&r), 3);
    expect_no_events(&epoll, &mut events);
}
