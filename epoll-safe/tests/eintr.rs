//! `EINTR` with a real signal: a handler installed without `SA_RESTART`, and
//! another thread signalling the waiting thread again and again.
//! `wait` retries against a deadline computed once (polling#164);
//! `wait_interruptible` hands the interruption back.

mod util;

use epoll_safe::{Epoll, Error, Events, Op, Token, Waker};
use std::cell::Cell;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Once;
use std::thread;
use std::time::{Duration, Instant};

thread_local! {
    /// Signals handled by this thread (tests run in parallel threads).
    /// Const-initialised without destructor: safe to touch in a handler.
    static HANDLED: Cell<usize> = const { Cell::new(0) };
}

/// The storm ends by itself after this long, so a `wait` that restarted its
/// full timeout after every signal would end ~2.3 s late instead of hanging.
const STORM: Duration = Duration::from_secs(2);

extern "C" fn on_sigusr1(_: libc::c_int) {
    HANDLED.with(|h| h.set(h.get() + 1));
}

/// A no-op SIGUSR1 handler *without* `SA_RESTART`, so a blocked
/// `epoll_wait` fails with `EINTR` (epoll never restarts anyway).
fn install_handler() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        // SAFETY: all-zero is a valid sigaction (no flags, empty mask, SIG_DFL).
        let mut sa: libc::sigaction = unsafe { std::mem::zeroed() };
        sa.sa_sigaction = on_sigusr1 as *const () as libc::sighandler_t;
        sa.sa_flags = 0; // no SA_RESTART: the point of the test
                         // SAFETY: `sa_mask` is a valid sigset_t to initialise.
        unsafe { libc::sigemptyset(&mut sa.sa_mask) };
        // SAFETY: the handler only touches a const-initialised thread-local
        // counter, which is async-signal-safe.
        let rc = unsafe { libc::sigaction(libc::SIGUSR1, &sa, std::ptr::null_mut()) };
        assert_eq!(rc, 0);
    });
}

/// Runs `wait` in this thread while another thread sends SIGUSR1 to it
/// every 2 ms until `wait` returns (or [`STORM`] has passed). Returns the result and how many signals
/// were handled during the wait.
fn under_signal_storm<T>(wait: impl FnOnce() -> T) -> (T, usize) {
    install_handler();
    // SAFETY: pthread_self has no preconditions.
    let me = unsafe { libc::pthread_self() };
    let done = AtomicBool::new(false);
    thread::scope(|s| {
        s.spawn(|| {
            let start = Instant::now();
            while !done.load(Ordering::Acquire) && start.elapsed() < STORM {
                // SAFETY: `me` is alive: this scope does not end before the
                // waiting thread sets `done` and this loop sees it.
                unsafe { libc::pthread_kill(me, libc::SIGUSR1) };
                thread::sleep(Duration::from_millis(2));
            }
        });
        let before = HANDLED.with(Cell::get);
        let result = wait();
        let handled = HANDLED.with(Cell::get) - before;
        done.store(true, Ordering::Release);
        (result, handled)
    })
}

#[test]
fn wait_retries_eintr_without_ending_early_or_stretching() {
    let epoll = Epoll::new().unwrap();
    let mut events = Events::default();
    let timeout = Duration::from_millis(300);
    let start = Instant::now();
    let (n, handled) = under_signal_storm(|| epoll.wait(&mut events, Some(timeout)).unwrap());
    let took = start.elapsed();
    assert_eq!(n, 0);
    assert!(handled > 0, "no signal arrived during the wait");
    assert!(
        took >= timeout,
        "ended early after {took:?} ({handled} signals)"
    );
    // Restarting with the full timeout after each signal would end only
    // 300 ms after the storm (2.3 s); the deadline keeps it near 300 ms.
    assert!(
        took < STORM - Duration::from_millis(500),
        "stretched to {took:?} ({handled} signals)"
    );
}

#[test]
fn blocking_wait_retries_eintr_until_the_event() {
    let epoll = Epoll::new().unwrap();
    let waker = Waker::new(&epoll, Token(3)).unwrap();
    let mut events = Events::default();
    let (n, handled) = thread::scope(|s| {
        s.spawn(|| {
            thread::sleep(Duration::from_millis(100));
            waker.wake().unwrap();
        });
        under_signal_storm(|| epoll.wait(&mut events, None).unwrap())
    });
    assert_eq!(n, 1);
    assert!(handled > 0, "no signal arrived during the wait");
    assert_eq!(events.iter().next().unwrap().token(), Token(3));
}

#[test]
fn wait_interruptible_returns_interrupted() {
    let epoll = Epoll::new().unwrap();
    let mut events = Events::default();
    let start = Instant::now();
    let (result, _) =
        under_signal_storm(|| epoll.wait_interruptible(&mut events, Some(Duration::from_secs(10))));
    let err = result.unwrap_err();
    assert!(
        matches!(err, Error::Interrupted { op: Op::Wait }),
        "{err:?}"
    );
    assert_eq!(err.raw_os_error(), Some(libc::EINTR));
    assert!(start.elapsed() < Duration::from_secs(10));
}
