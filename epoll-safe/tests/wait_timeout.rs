//! `wait` timeouts: `None` blocks, zero polls, anything else never returns
//! early (rounded up, microsecond-precise where `epoll_pwait2` exists) and
//! huge values are clamped, never wrapped. Lower bounds are exact; upper
//! bounds are generous (a loaded machine may oversleep, never undersleep).

mod util;

use epoll_safe::{Epoll, Events, Interest, Token, Waker};
use std::num::NonZeroUsize;
use std::thread;
use std::time::{Duration, Instant};
use util::pipe;

const SLACK: Duration = Duration::from_secs(2);

#[test]
fn a_timeout_never_returns_early_and_returns_zero_events() {
    let epoll = Epoll::new().unwrap();
    let mut events = Events::default();
    for timeout in [
        Duration::from_nanos(1),
        Duration::from_micros(1),
        Duration::from_micros(10),
        Duration::from_micros(100),
        Duration::from_micros(999),
        Duration::from_millis(1),
        Duration::from_micros(1_500),
        Duration::from_millis(20),
    ] {
        let start = Instant::now();
        let n = epoll.wait(&mut events, Some(timeout)).unwrap();
        let took = start.elapsed();
        assert_eq!(n, 0);
        assert!(events.is_empty());
        assert!(took >= timeout, "{timeout:?} returned after {took:?}");
        assert!(took < timeout + SLACK, "{timeout:?} took {took:?}");
    }
}

/// mio#1614: truncating 1 µs to 0 ms turned a timed loop into a busy loop.
/// 200 waits of 1 µs must take at least 200 µs in total.
#[test]
fn sub_millisecond_timeouts_do_not_become_a_busy_poll() {
    let epoll = Epoll::new().unwrap();
    let mut events = Events::default();
    let start = Instant::now();
    for _ in 0..200 {
        assert_eq!(
            epoll
                .wait(&mut events, Some(Duration::from_micros(1)))
                .unwrap(),
            0
        );
    }
    assert!(start.elapsed() >= Duration::from_micros(200));
}

#[test]
fn zero_polls_without_blocking() {
    let epoll = Epoll::new().unwrap();
    let mut events = Events::default();
    let start = Instant::now();
    assert_eq!(epoll.wait(&mut events, Some(Duration::ZERO)).unwrap(), 0);
    let (_r, w) = pipe();
    epoll.add(&w, Token(1), Interest::WRITABLE).unwrap();
    assert_eq!(epoll.wait(&mut events, Some(Duration::ZERO)).unwrap(), 1);
    assert_eq!(events.iter().next().unwrap().token(), Token(1));
    assert!(start.elapsed() < SLACK);
}

/// Waits with `timeout` while another thread wakes the epoll after 100 ms.
fn woken_after_100ms(timeout: Option<Duration>) -> Duration {
    let epoll = Epoll::new().unwrap();
    let waker = Waker::new(&epoll, Token(7)).unwrap();
    let mut events = Events::default();
    let start = Instant::now();
    thread::scope(|s| {
        s.spawn(|| {
            thread::sleep(Duration::from_millis(100));
            waker.wake().unwrap();
        });
        let n = epoll.wait(&mut events, timeout).unwrap();
        assert_eq!(n, 1, "timeout {timeout:?} ended the wait without the wake");
    });
    assert_eq!(events.iter().next().unwrap().token(), Token(7));
    start.elapsed()
}

#[test]
fn none_blocks_until_an_event() {
    let took = woken_after_100ms(None);
    assert!(took >= Duration::from_millis(100), "{took:?}");
}

/// mio#1948: a huge timeout must neither overflow into an error or "forever"
/// nor wrap into a short wait (2^32 + 5 ms is 5 ms after an `as i32` cast).
#[test]
fn huge_timeouts_are_clamped_not_wrapped() {
    for timeout in [
        Duration::from_millis((1 << 32) + 5),
        Duration::from_millis(i32::MAX as u64 + 1),
        Duration::from_secs(u64::MAX / 2),
        Duration::MAX,
    ] {
        let took = woken_after_100ms(Some(timeout));
        assert!(took >= Duration::from_millis(100), "{timeout:?}: {took:?}");
    }
}

#[test]
fn wait_returns_at_most_capacity_events() {
    let epoll = Epoll::new().unwrap();
    let mut events = Events::with_capacity(NonZeroUsize::new(2).unwrap());
    let pipes: Vec<_> = (0..5).map(|_| pipe()).collect();
    for (i, (_r, w)) in pipes.iter().enumerate() {
        epoll.add(w, Token(i as u64), Interest::WRITABLE).unwrap();
    }
    let mut seen = std::collections::BTreeSet::new();
    // Level-triggered events rotate: three waits of two see all five.
    for _ in 0..3 {
        assert_eq!(epoll.wait(&mut events, Some(Duration::ZERO)).unwrap(), 2);
        assert_eq!(events.len(), 2);
        seen.extend(events.iter().map(|e| e.token().0));
    }
    assert_eq!(seen.into_iter().collect::<Vec<_>>(), vec![0, 1, 2, 3, 4]);
}

#[test]
fn a_new_wait_replaces_the_previous_events() {
    let epoll = Epoll::new().unwrap();
    let mut events = Events::default();
    let (_r, w) = pipe();
    epoll.add(&w, Token(1), Interest::WRITABLE).unwrap();
    assert_eq!(epoll.wait(&mut events, Some(Duration::ZERO)).unwrap(), 1);
    epoll.delete(&w).unwrap();
    assert_eq!(epoll.wait(&mut events, Some(Duration::ZERO)).unwrap(), 0);
    assert!(events.is_empty());
    assert_eq!(events.iter().count(), 0);
}
