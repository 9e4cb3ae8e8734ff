//! `Timer`: fires no earlier than asked (lower bound exact, upper bound
//! generous), repeats, disarms, and fires even for a zero duration.

mod util;

use epoll_safe::{Epoll, Events, Interest, Timer, Token};
use std::time::{Duration, Instant};
use util::{expect_events, expect_no_events, ExpectEvent};

const T: Token = Token(9);
const SLACK: Duration = Duration::from_secs(2);

fn registered() -> (Epoll, Timer, Events) {
    let epoll = Epoll::new().unwrap();
    let timer = Timer::new().unwrap();
    epoll.add(&timer, T, Interest::READABLE).unwrap();
    (epoll, timer, Events::default())
}

#[test]
fn set_after_fires_once_no_earlier_than_asked() {
    let (epoll, timer, mut events) = registered();
    for after in [
        Duration::from_micros(200),
        Duration::from_millis(1),
        Duration::from_millis(30),
    ] {
        let start = Instant::now();
        timer.set_after(after);
        expect_events(
            &epoll,
            &mut events,
            vec![ExpectEvent::new(T, Interest::READABLE)],
        );
        let took = start.elapsed();
        assert!(took >= after, "{after:?} fired after {took:?}");
        assert!(took < after + SLACK, "{after:?} fired after {took:?}");
        assert_eq!(timer.read().unwrap(), 1);
        expect_no_events(&epoll, &mut events);
    }
}

/// A zero `it_value` disarms a timerfd; a zero duration must still fire.
#[test]
fn a_zero_duration_still_fires() {
    let (epoll, timer, mut events) = registered();
    timer.set_after(Duration::ZERO);
    expect_events(
        &epoll,
        &mut events,
        vec![ExpectEvent::new(T, Interest::READABLE)],
    );
    assert_eq!(timer.read().unwrap(), 1);
    timer.set_interval(Duration::ZERO, Duration::from_secs(3600));
    expect_events(
        &epoll,
        &mut events,
        vec![ExpectEvent::new(T, Interest::READABLE)],
    );
}

#[test]
fn set_interval_repeats_until_disarmed() {
    let (epoll, timer, mut events) = registered();
    let start = Instant::now();
    timer.set_interval(Duration::from_millis(5), Duration::from_millis(5));
    let mut expirations = 0;
    while expirations < 4 {
        expect_events(
            &epoll,
            &mut events,
            vec![ExpectEvent::new(T, Interest::READABLE)],
        );
        expirations += timer.read().unwrap();
    }
    // Four expirations take at least 5 + 3 * 5 ms.
    assert!(
        start.elapsed() >= Duration::from_millis(20),
        "{:?}",
        start.elapsed()
    );
    timer.disarm();
    timer.read().unwrap(); // one may have fired between the read and disarm
    expect_no_events(&epoll, &mut events);
}

#[test]
fn disarm_stops_a_pending_timer() {
    let (epoll, timer, mut events) = registered();
    timer.set_after(Duration::from_millis(20));
    timer.disarm();
    std::thread::sleep(Duration::from_millis(30));
    expect_no_events(&epoll, &mut events);
    assert_eq!(timer.read().unwrap(), 0);
}

#[test]
fn read_before_expiry_returns_zero() {
    let (_epoll, timer, _events) = registered();
    assert_eq!(timer.read().unwrap(), 0);
    timer.set_after(Duration::from_secs(60));
    assert_eq!(timer.read().unwrap(), 0);
}

#[test]
fn setting_again_replaces_the_earlier_setting() {
    let (epoll, timer, mut events) = registered();
    timer.set_after(Duration::from_secs(3600));
    let start = Instant::now();
    timer.set_after(Duration::from_millis(10));
    expect_events(
        &epoll,
        &mut events,
        vec![ExpectEvent::new(T, Interest::READABLE)],
    );
    assert!(start.elapsed() >= Duration::from_millis(10));
    // A huge duration is clamped, not wrapped into "fire now".
    timer.read().unwrap();
    timer.set_after(Duration::MAX);
    expect_no_events(&epoll, &mut events);
}
