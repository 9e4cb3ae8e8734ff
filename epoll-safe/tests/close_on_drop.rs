//! Every fd this crate opens is close-on-exec and closed on drop.
//!
//! Tests here count the process's fds, so they take one lock: a test that
//! opens fds in parallel would disturb another's count.

mod util;

use epoll_safe::{Epoll, Signals, Timer, Token, Waker};
use std::os::fd::{AsRawFd, OwnedFd};
use std::sync::Mutex;
use util::fd_count;

static FD_COUNT: Mutex<()> = Mutex::new(());

const ROUNDS: usize = 2_000;

#[test]
fn creating_and_dropping_thousands_of_each_type_leaves_the_fd_count_unchanged() {
    let _lock = FD_COUNT.lock().unwrap();
    let before = fd_count();
    let epoll = Epoll::new().unwrap();
    for i in 0..ROUNDS {
        drop(Epoll::new().unwrap());
        drop(epoll.try_clone().unwrap());
        drop(OwnedFd::from(Epoll::new().unwrap()));
        // A waker registers itself; dropping it must close the eventfd.
        drop(Waker::new(&epoll, Token(i as u64)).unwrap());
        let timer = Timer::new().unwrap();
        timer.set_after(std::time::Duration::from_secs(60)).unwrap();
        drop(timer);
        drop(Signals::new(&[libc::SIGUSR2]).unwrap());
    }
    drop(epoll);
    assert_eq!(fd_count(), before);
}

fn fd_flags(fd: &impl AsRawFd) -> (bool, bool) {
    // SAFETY: fcntl reads flags of an fd the caller keeps open.
    let cloexec = unsafe { libc::fcntl(fd.as_raw_fd(), libc::F_GETFD) } & libc::FD_CLOEXEC != 0;
    // SAFETY: as above.
    let nonblock = unsafe { libc::fcntl(fd.as_raw_fd(), libc::F_GETFL) } & libc::O_NONBLOCK != 0;
    (cloexec, nonblock)
}

#[test]
fn every_fd_is_cloexec_and_companions_are_nonblocking() {
    let _lock = FD_COUNT.lock().unwrap();
    let epoll = Epoll::new().unwrap();
    assert!(fd_flags(&epoll).0, "epoll fd lacks FD_CLOEXEC");
    assert!(
        fd_flags(&epoll.try_clone().unwrap()).0,
        "cloned epoll fd lacks FD_CLOEXEC"
    );
    for (name, flags) in [
        ("waker", fd_flags(&Waker::new(&epoll, Token(0)).unwrap())),
        ("timer", fd_flags(&Timer::new().unwrap())),
        (
            "signals",
            fd_flags(&Signals::new(&[libc::SIGUSR2]).unwrap()),
        ),
    ] {
        assert_eq!(flags, (true, true), "{name}: (cloexec, nonblock)");
    }
}
