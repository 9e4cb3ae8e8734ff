//! `Waker`: wakes a `wait` blocked in another thread, and never needs draining.

mod util;

use epoll_safe::{Epoll, Events, Interest, Token, Waker};
use std::os::fd::AsRawFd;
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};
use util::{expect_events, expect_no_events, ExpectEvent};

const WAKE: Token = Token(42);

#[test]
fn wake_ends_a_wait_blocked_in_another_thread() {
    let epoll = Arc::new(Epoll::new().unwrap());
    let waker = Waker::new(&epoll, WAKE).unwrap();
    let start = Instant::now();
    let waiter = {
        let epoll = Arc::clone(&epoll);
        thread::spawn(move || {
            let mut events = Events::default();
            let n = epoll.wait(&mut events, None).unwrap();
            (n, events.iter().map(|e| e.token()).collect::<Vec<_>>())
        })
    };
    thread::sleep(Duration::from_millis(50));
    waker.wake().unwrap();
    let (n, tokens) = waiter.join().unwrap();
    assert_eq!((n, tokens), (1, vec![WAKE]));
    assert!(start.elapsed() >= Duration::from_millis(50));
}

#[test]
fn a_wake_before_the_wait_is_not_lost() {
    let epoll = Epoll::new().unwrap();
    let waker = Waker::new(&epoll, WAKE).unwrap();
    let mut events = Events::default();
    waker.wake().unwrap();
    expect_events(
        &epoll,
        &mut events,
        vec![ExpectEvent::new(WAKE, Interest::READABLE)],
    );
}

/// Edge-triggered: each wake is one event, with nothing to read in between,
/// and an unread waker does not keep the loop spinning.
#[test]
fn waker_never_needs_draining() {
    let epoll = Epoll::new().unwrap();
    let waker = Waker::new(&epoll, WAKE).unwrap();
    let mut events = Events::default();
    for _ in 0..100 {
        waker.wake().unwrap();
        assert_eq!(
            epoll
                .wait(&mut events, Some(Duration::from_secs(5)))
                .unwrap(),
            1
        );
        assert_eq!(epoll.wait(&mut events, Some(Duration::ZERO)).unwrap(), 0);
    }
    expect_no_events(&epoll, &mut events);
}

#[test]
fn many_wakes_coalesce_into_one_event() {
    let epoll = Epoll::new().unwrap();
    let waker = Waker::new(&epoll, WAKE).unwrap();
    let mut events = Events::default();
    for _ in 0..1_000 {
        waker.wake().unwrap();
    }
    assert_eq!(
        epoll
            .wait(&mut events, Some(Duration::from_secs(5)))
            .unwrap(),
        1
    );
    expect_no_events(&epoll, &mut events);
}

/// The eventfd counter saturates at 2^64 - 2, where `write` fails with
/// `EAGAIN`; `wake` resets it and still wakes.
#[test]
fn wake_survives_a_saturated_counter() {
    let epoll = Epoll::new().unwrap();
    let waker = Waker::new(&epoll, WAKE).unwrap();
    let mut events = Events::default();
    let max: u64 = u64::MAX - 1;
    // SAFETY: writes 8 bytes from a live u64 to the waker's open eventfd.
    let n = unsafe { libc::write(waker.as_raw_fd(), (&max as *const u64).cast(), 8) };
    assert_eq!(n, 8);
    expect_events(
        &epoll,
        &mut events,
        vec![ExpectEvent::new(WAKE, Interest::READABLE)],
    );
    waker.wake().unwrap();
    expect_events(
        &epoll,
        &mut events,
        vec![ExpectEvent::new(WAKE, Interest::READABLE)],
    );
}

#[test]
fn wakers_from_many_threads_all_arrive() {
    let epoll = Epoll::new().unwrap();
    let waker = Arc::new(Waker::new(&epoll, WAKE).unwrap());
    let mut events = Events::default();
    let threads: Vec<_> = (0..4)
        .map(|_| {
            let waker = Arc::clone(&waker);
            thread::spawn(move || (0..100).try_for_each(|_| waker.wake()))
        })
        .collect();
    for t in threads {
        t.join().unwrap().unwrap();
    }
    expect_events(
        &epoll,
        &mut events,
        vec![ExpectEvent::new(WAKE, Interest::READABLE)],
    );
}
