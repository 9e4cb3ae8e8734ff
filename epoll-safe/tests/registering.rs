//! Adding, modifying and deleting registrations, and what the kernel keys them by.

mod util;

use epoll_safe::{Epoll, Error, Events, Interest, Token};
use std::io::Write;
use std::net::{Shutdown, TcpListener, TcpStream};
use std::os::fd::{AsRawFd, OwnedFd};
use util::{drain, expect_events, expect_no_events, pipe, ExpectEvent};

const R: Token = Token(1);
const W: Token = Token(2);

#[test]
fn add_reports_readiness_with_the_registered_token() {
    let epoll = Epoll::new().unwrap();
    let mut events = Events::default();
    let (r, mut w) = pipe();
    epoll.add(&r, R, Interest::READABLE).unwrap();
    epoll.add(&w, W, Interest::WRITABLE).unwrap();
    expect_events(
        &epoll,
        &mut events,
        vec![ExpectEvent::new(W, Interest::WRITABLE)],
    );

    w.write_all(b"x").unwrap();
    expect_events(
        &epoll,
        &mut events,
        vec![ExpectEvent::new(R, Interest::READABLE)],
    );
    let e = events.iter().find(|e| e.token() == R).unwrap();
    assert!(e.is_readable() && !e.is_writable() && !e.is_error());
}

#[test]
fn tokens_round_trip_every_u64() {
    let epoll = Epoll::new().unwrap();
    let mut events = Events::default();
    let (_r, w) = pipe();
    for token in [
        Token(0),
        Token(u64::MAX),
        Token(1 << 63),
        Token(0xdead_beef_cafe),
    ] {
        epoll.add(&w, token, Interest::WRITABLE).unwrap();
        expect_events(
            &epoll,
            &mut events,
            vec![ExpectEvent::new(token, Interest::WRITABLE)],
        );
        epoll.delete(&w).unwrap();
    }
}

#[test]
fn modify_changes_interest_and_token() {
    let epoll = Epoll::new().unwrap();
    let mut events = Events::default();
    let (r, mut w) = pipe();
    w.write_all(b"x").unwrap();
    epoll.add(&w, W, Interest::READABLE).unwrap(); // a write end is never readable
    expect_no_events(&epoll, &mut events);

    epoll.modify(&w, Token(22), Interest::WRITABLE).unwrap();
    expect_events(
        &epoll,
        &mut events,
        vec![ExpectEvent::new(Token(22), Interest::WRITABLE)],
    );
    assert!(events.iter().all(|e| e.token() == Token(22)));
    drop(r);
}

#[test]
fn delete_stops_events() {
    let epoll = Epoll::new().unwrap();
    let mut events = Events::default();
    let (_r, w) = pipe();
    epoll.add(&w, W, Interest::WRITABLE).unwrap();
    expect_events(
        &epoll,
        &mut events,
        vec![ExpectEvent::new(W, Interest::WRITABLE)],
    );
    epoll.delete(&w).unwrap();
    expect_no_events(&epoll, &mut events);
}

#[test]
fn closing_the_only_fd_removes_the_registration() {
    let epoll = Epoll::new().unwrap();
    let mut events = Events::default();
    let (r, w) = pipe();
    let raw = w.as_raw_fd();
    epoll.add(&w, W, Interest::WRITABLE).unwrap();
    drop(w);
    expect_no_events(&epoll, &mut events);
    // A new fd may reuse the number; it is not registered.
    let (_r2, w2) = pipe();
    if w2.as_raw_fd() == raw {
        assert!(matches!(
            epoll.delete(&w2),
            Err(Error::NotRegistered { .. })
        ));
    }
    drop(r);
}

/// The trap of mio#1972: epoll keys a registration by (open file description,
/// fd number). Closing the fd does not remove it while a dup keeps the file
/// open, and the dup's number cannot delete it.
#[test]
fn a_dup_keeps_a_closed_fds_registration_alive_and_undeletable() {
    let epoll = Epoll::new().unwrap();
    let mut events = Events::default();
    let (r, mut w) = pipe();
    let dup: OwnedFd = r.try_clone().unwrap().into();
    epoll.add(&r, R, Interest::READABLE).unwrap();
    drop(r);

    w.write_all(b"x").unwrap();
    // Still reported, under the token of the closed fd.
    expect_events(
        &epoll,
        &mut events,
        vec![ExpectEvent::new(R, Interest::READABLE)],
    );
    assert!(matches!(
        epoll.delete(&dup),
        Err(Error::NotRegistered { .. })
    ));
    // The dup itself is a separate registration (different fd number).
    epoll.add(&dup, Token(3), Interest::READABLE).unwrap();
    expect_events(
        &epoll,
        &mut events,
        vec![
            ExpectEvent::new(R, Interest::READABLE),
            ExpectEvent::new(Token(3), Interest::READABLE),
        ],
    );
}

#[test]
fn try_clone_shares_the_interest_list() {
    let epoll = Epoll::new().unwrap();
    let clone = epoll.try_clone().unwrap();
    assert_ne!(epoll.as_raw_fd(), clone.as_raw_fd());
    let mut events = Events::default();
    let (_r, w) = pipe();
    clone.add(&w, W, Interest::WRITABLE).unwrap();
    expect_events(
        &epoll,
        &mut events,
        vec![ExpectEvent::new(W, Interest::WRITABLE)],
    );
    drop(clone);
    expect_events(
        &epoll,
        &mut events,
        vec![ExpectEvent::new(W, Interest::WRITABLE)],
    );
}

#[test]
fn an_epoll_instance_can_be_watched_by_another() {
    let outer = Epoll::new().unwrap();
    let inner = Epoll::new().unwrap();
    let mut events = Events::default();
    let (r, mut w) = pipe();
    inner.add(&r, R, Interest::READABLE).unwrap();
    outer.add(&inner, Token(10), Interest::READABLE).unwrap();
    expect_no_events(&outer, &mut events);
    w.write_all(b"x").unwrap();
    expect_events(
        &outer,
        &mut events,
        vec![ExpectEvent::new(Token(10), Interest::READABLE)],
    );
    expect_events(
        &inner,
        &mut events,
        vec![ExpectEvent::new(R, Interest::READABLE)],
    );
}

#[test]
fn tcp_listener_is_readable_when_a_client_connects() {
    let epoll = Epoll::new().unwrap();
    let mut events = Events::default();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    epoll.add(&listener, Token(0), Interest::READABLE).unwrap();
    expect_no_events(&epoll, &mut events);
    let _client = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
    expect_events(
        &epoll,
        &mut events,
        vec![ExpectEvent::new(Token(0), Interest::READABLE)],
    );
    listener.accept().unwrap();
}

#[test]
fn read_closed_reports_the_peer_shutting_down_writing() {
    let epoll = Epoll::new().unwrap();
    let mut events = Events::default();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let client = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
    let (server, _) = listener.accept().unwrap();
    epoll
        .add(
            &server,
            Token(5),
            Interest::READABLE | Interest::READ_CLOSED,
        )
        .unwrap();
    expect_no_events(&epoll, &mut events);
    client.shutdown(Shutdown::Write).unwrap();
    expect_events(
        &epoll,
        &mut events,
        vec![ExpectEvent::new(Token(5), Interest::READ_CLOSED)],
    );
    let e = events.iter().find(|e| e.token() == Token(5)).unwrap();
    assert!(e.is_read_closed() && !e.is_write_closed(), "{e:?}");
}

#[test]
fn closing_the_read_end_makes_the_write_end_report_error() {
    let epoll = Epoll::new().unwrap();
    let mut events = Events::default();
    let (r, w) = pipe();
    epoll.add(&w, W, Interest::WRITABLE).unwrap();
    drop(r);
    expect_events(
        &epoll,
        &mut events,
        vec![ExpectEvent::new(W, Interest::WRITABLE)],
    );
    let e = events.iter().find(|e| e.token() == W).unwrap();
    assert!(e.is_error() && e.is_write_closed(), "{e:?}");
}

#[test]
fn closing_the_write_end_makes_the_read_end_hang_up() {
    let epoll = Epoll::new().unwrap();
    let mut events = Events::default();
    let (r, mut w) = pipe();
    epoll.add(&r, R, Interest::READABLE).unwrap();
    w.write_all(b"last words").unwrap();
    drop(w);
    expect_events(
        &epoll,
        &mut events,
        vec![ExpectEvent::new(R, Interest::READABLE)],
    );
    let e = events.iter().find(|e| e.token() == R).unwrap();
    assert!(e.is_hangup() && e.is_read_closed(), "{e:?}");
    assert_eq!(drain(&r), 10);
}

#[test]
fn epoll_is_send_and_sync_and_converts_into_owned_fd() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Epoll>();
    assert_send_sync::<epoll_safe::Waker>();
    assert_send_sync::<epoll_safe::Timer>();
    let epoll = Epoll::new().unwrap();
    let raw = epoll.as_raw_fd();
    let fd = OwnedFd::from(epoll);
    assert_eq!(fd.as_raw_fd(), raw);
}

/// `EPOLLWAKEUP` needs `CAP_BLOCK_SUSPEND`; without it the kernel drops the
/// flag silently, so the registration works either way and events arrive.
#[test]
fn wakeup_registers_with_or_without_cap_block_suspend() {
    let epoll = Epoll::new().unwrap();
    let mut events = Events::default();
    let (r, mut w) = pipe();
    let interest = Interest::READABLE.wakeup();
    assert!(interest.is_wakeup());
    epoll.add(&r, Token(3), interest).unwrap();
    w.write_all(b"x").unwrap();
    expect_events(
        &epoll,
        &mut events,
        vec![ExpectEvent::new(Token(3), Interest::READABLE)],
    );
}
