//! Helpers shared by the integration tests (after mio's `tests/util`).
#![allow(dead_code)] // each test binary uses a different subset

pub mod child;

use epoll_safe::{Epoll, Event, Events, Interest, Token};
use std::fs::{self, File};
use std::io::{ErrorKind, Read};
use std::os::fd::{FromRawFd, OwnedFd};
use std::time::{Duration, Instant};

/// How long `expect_events` waits in total before declaring an event missing:
/// generous, because a loaded 2-core CI machine can stall a thread for a while.
pub const PATIENCE: Duration = Duration::from_secs(5);

/// How long "nothing happens" is observed for. Short: a missing event that
/// would have come is ready at once (the kernel has it before we wait).
pub const QUIET: Duration = Duration::from_millis(50);

/// One event a test expects: a token and the readiness it must show.
#[derive(Debug, Clone, Copy)]
pub struct ExpectEvent {
    token: Token,
    interest: Interest,
}

impl ExpectEvent {
    pub fn new(token: Token, interest: Interest) -> ExpectEvent {
        ExpectEvent { token, interest }
    }

    fn matches(&self, event: &Event) -> bool {
        event.token() == self.token
            && (!self.interest.is_readable() || event.is_readable())
            && (!self.interest.is_writable() || event.is_writable())
            && (!self.interest.is_priority() || event.is_priority())
            && (!self.interest.is_read_closed() || event.is_read_closed())
    }
}

/// Waits (up to [`PATIENCE`]) until every expected event has been seen,
/// panicking with what did arrive otherwise. Unexpected extra events are
/// allowed, as in mio's helper: epoll may report more readiness than asked.
pub fn expect_events(epoll: &Epoll, events: &mut Events, mut expected: Vec<ExpectEvent>) {
    let deadline = Instant::now() + PATIENCE;
    let mut seen = Vec::new();
    while !expected.is_empty() {
        let left = deadline.saturating_duration_since(Instant::now());
        assert!(!left.is_zero(), "missing events {expected:?}; got {seen:?}");
        epoll.wait(events, Some(left)).expect("wait");
        for event in events.iter() {
            seen.push(format!("{event:?}"));
            if let Some(i) = expected.iter().position(|e| e.matches(event)) {
                expected.swap_remove(i);
            }
        }
    }
}

/// Asserts that no event arrives within [`QUIET`].
pub fn expect_no_events(epoll: &Epoll, events: &mut Events) {
    let n = epoll.wait(events, Some(QUIET)).expect("wait");
    assert_eq!(
        n,
        0,
        "unexpected events: {:?}",
        events.iter().collect::<Vec<_>>()
    );
}

/// A non-blocking, close-on-exec pipe: (read end, write end), as `File`s
/// for `Read`/`Write`.
pub fn pipe() -> (File, File) {
    let mut fds = [0; 2];
    // SAFETY: `fds` has room for the two fds pipe2 writes.
    let rc = unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_NONBLOCK | libc::O_CLOEXEC) };
    assert_eq!(rc, 0, "pipe2: {}", std::io::Error::last_os_error());
    // SAFETY: the fd was just created and is owned by nobody else.
    let r = unsafe { OwnedFd::from_raw_fd(fds[0]) };
    // SAFETY: as above.
    let w = unsafe { OwnedFd::from_raw_fd(fds[1]) };
    (File::from(r), File::from(w))
}

/// How many fds this process has open.
pub fn fd_count() -> usize {
    fs::read_dir("/proc/self/fd")
        .expect("/proc/self/fd")
        .count()
}

/// Reads until `WouldBlock`, returning how many bytes there were.
pub fn drain(mut file: &File) -> usize {
    let mut buf = [0u8; 4096];
    let mut total = 0;
    loop {
        match file.read(&mut buf) {
            Ok(0) => return total,
            Ok(n) => total += n,
            Err(e) if e.kind() == ErrorKind::WouldBlock => return total,
            Err(e) => panic!("read: {e}"),
        }
    }
}
