//! `Interest::oneshot`: one event, then silence until `modify` re-arms it.

mod util;

use epoll_safe::{Epoll, Events, Interest, Token};
use std::io::Write;
use util::{drain, expect_events, expect_no_events, pipe, ExpectEvent};

#[test]
fn oneshot_reports_once_until_rearmed() {
    let epoll = Epoll::new().unwrap();
    let mut events = Events::default();
    let (r, mut w) = pipe();
    epoll
        .add(&r, Token(1), Interest::READABLE.oneshot())
        .unwrap();
    w.write_all(b"x").unwrap();
    expect_events(
        &epoll,
        &mut events,
        vec![ExpectEvent::new(Token(1), Interest::READABLE)],
    );
    // Still readable (nothing was read), but disabled.
    expect_no_events(&epoll, &mut events);
    w.write_all(b"y").unwrap();
    expect_no_events(&epoll, &mut events);

    epoll
        .modify(&r, Token(1), Interest::READABLE.oneshot())
        .unwrap();
    expect_events(
        &epoll,
        &mut events,
        vec![ExpectEvent::new(Token(1), Interest::READABLE)],
    );
    expect_no_events(&epoll, &mut events);
    assert_eq!(drain(&r), 2);
}

#[test]
fn rearming_can_change_the_token_and_interest() {
    let epoll = Epoll::new().unwrap();
    let mut events = Events::default();
    let (_r, w) = pipe();
    epoll
        .add(&w, Token(1), Interest::WRITABLE.oneshot())
        .unwrap();
    expect_events(
        &epoll,
        &mut events,
        vec![ExpectEvent::new(Token(1), Interest::WRITABLE)],
    );
    expect_no_events(&epoll, &mut events);
    epoll
        .modify(&w, Token(2), Interest::WRITABLE.oneshot())
        .unwrap();
    expect_events(
        &epoll,
        &mut events,
        vec![ExpectEvent::new(Token(2), Interest::WRITABLE)],
    );
    assert!(events.iter().all(|e| e.token() == Token(2)));
}

#[test]
fn a_disabled_oneshot_registration_is_still_registered() {
    let epoll = Epoll::new().unwrap();
    let mut events = Events::default();
    let (_r, w) = pipe();
    epoll
        .add(&w, Token(1), Interest::WRITABLE.oneshot())
        .unwrap();
    expect_events(
        &epoll,
        &mut events,
        vec![ExpectEvent::new(Token(1), Interest::WRITABLE)],
    );
    assert!(matches!(
        epoll.add(&w, Token(1), Interest::WRITABLE),
        Err(epoll_safe::Error::AlreadyRegistered { .. })
    ));
    epoll.delete(&w).unwrap();
}
