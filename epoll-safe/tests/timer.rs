//! `Timer`: fires no earlier than asked (lower bound exact, upper bound
//! generous), repeats, disarms, and fires even for a zero duration.

mod util;

use epoll_safe::{Clock, Epoll, Error, Events, Interest, Op, Timer, Token};
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
        timer.set_after(after).unwrap();
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
    timer.set_after(Duration::ZERO).unwrap();
    expect_events(
        &epoll,
        &mut events,
        vec![ExpectEvent::new(T, Interest::READABLE)],
    );
    assert_eq!(timer.read().unwrap(), 1);
    timer
        .set_interval(Duration::ZERO, Duration::from_secs(3600))
        .unwrap();
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
    timer
        .set_interval(Duration::from_millis(5), Duration::from_millis(5))
        .unwrap();
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
    timer.disarm().unwrap();
    timer.read().unwrap(); // one may have fired between the read and disarm
    expect_no_events(&epoll, &mut events);
}

#[test]
fn disarm_stops_a_pending_timer() {
    let (epoll, timer, mut events) = registered();
    timer.set_after(Duration::from_millis(20)).unwrap();
    timer.disarm().unwrap();
    std::thread::sleep(Duration::from_millis(30));
    expect_no_events(&epoll, &mut events);
    assert_eq!(timer.read().unwrap(), 0);
}

#[test]
fn read_before_expiry_returns_zero() {
    let (_epoll, timer, _events) = registered();
    assert_eq!(timer.read().unwrap(), 0);
    timer.set_after(Duration::from_secs(60)).unwrap();
    assert_eq!(timer.read().unwrap(), 0);
}

#[test]
fn setting_again_replaces_the_earlier_setting() {
    let (epoll, timer, mut events) = registered();
    timer.set_after(Duration::from_secs(3600)).unwrap();
    let start = Instant::now();
    timer.set_after(Duration::from_millis(10)).unwrap();
    expect_events(
        &epoll,
        &mut events,
        vec![ExpectEvent::new(T, Interest::READABLE)],
    );
    assert!(start.elapsed() >= Duration::from_millis(10));
    // A huge duration is clamped, not wrapped into "fire now".
    timer.read().unwrap();
    timer.set_after(Duration::MAX).unwrap();
    expect_no_events(&epoll, &mut events);
}

#[test]
fn set_at_fires_no_earlier_than_its_deadline() {
    let (epoll, timer, mut events) = registered();
    for after in [
        Duration::from_micros(300),
        Duration::from_millis(2),
        Duration::from_millis(25),
    ] {
        let deadline = Instant::now() + after;
        timer.set_at(deadline).unwrap();
        expect_events(
            &epoll,
            &mut events,
            vec![ExpectEvent::new(T, Interest::READABLE)],
        );
        let now = Instant::now();
        assert!(
            now >= deadline,
            "{after:?}: fired {:?} early",
            deadline - now
        );
        assert!(
            now < deadline + SLACK,
            "{after:?}: fired {:?} late",
            now - deadline
        );
        assert_eq!(timer.read().unwrap(), 1);
    }
}

#[test]
fn set_at_in_the_past_fires_at_once() {
    let (epoll, timer, mut events) = registered();
    let past = Instant::now() - Duration::from_millis(1);
    timer.set_at(past).unwrap();
    expect_events(
        &epoll,
        &mut events,
        vec![ExpectEvent::new(T, Interest::READABLE)],
    );
    assert_eq!(timer.read().unwrap(), 1);
}

#[test]
fn remaining_counts_down_and_is_none_when_disarmed() {
    let timer = Timer::new().unwrap();
    assert_eq!(timer.remaining().unwrap(), None, "new timers are disarmed");
    timer.set_after(Duration::from_secs(60)).unwrap();
    let left = timer.remaining().unwrap().expect("armed");
    assert!(
        left <= Duration::from_secs(60) && left > Duration::from_secs(50),
        "{left:?}"
    );
    timer
        .set_at(Instant::now() + Duration::from_secs(30))
        .unwrap();
    let left = timer.remaining().unwrap().expect("armed");
    assert!(
        left <= Duration::from_secs(30) && left > Duration::from_secs(20),
        "{left:?}"
    );
    timer.disarm().unwrap();
    assert_eq!(timer.remaining().unwrap(), None);
}

/// The clock of a timerfd as the kernel reports it: the `clockid:` line of
/// `/proc/self/fdinfo/<fd>`.
fn kernel_clockid(timer: &Timer) -> i32 {
    use std::os::fd::AsRawFd;
    let path = format!("/proc/self/fdinfo/{}", timer.as_raw_fd());
    let info = std::fs::read_to_string(&path).unwrap();
    info.lines()
        .find_map(|l| l.strip_prefix("clockid:"))
        .unwrap_or_else(|| panic!("no clockid in {path}:\n{info}"))
        .trim()
        .parse()
        .unwrap()
}

#[test]
fn a_boottime_timer_fires_and_refuses_an_instant() {
    let epoll = Epoll::new().unwrap();
    let timer = Timer::with_clock(Clock::Boottime).unwrap();
    assert_eq!(timer.clock(), Clock::Boottime);
    // What the kernel was asked for, not only what the handle remembers.
    assert_eq!(kernel_clockid(&timer), libc::CLOCK_BOOTTIME); // 7
    let monotonic = Timer::new().unwrap();
    assert_eq!(monotonic.clock(), Clock::Monotonic);
    assert_eq!(kernel_clockid(&monotonic), libc::CLOCK_MONOTONIC); // 1
    epoll.add(&timer, T, Interest::READABLE).unwrap();
    let err = timer.set_at(Instant::now()).unwrap_err();
    assert!(
        matches!(
            err,
            Error::InvalidArgument {
                op: Op::TimerSet,
                ..
            }
        ),
        "{err:?}"
    );
    assert_eq!(
        timer.remaining().unwrap(),
        None,
        "the refused call armed nothing"
    );
    let start = Instant::now();
    timer.set_after(Duration::from_millis(3)).unwrap();
    let mut events = Events::default();
    expect_events(
        &epoll,
        &mut events,
        vec![ExpectEvent::new(T, Interest::READABLE)],
    );
    assert!(start.elapsed() >= Duration::from_millis(3));
}
