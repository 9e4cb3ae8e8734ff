//! The eventfds under test and the four ways of waiting on them.
//!
//! Every implementation owns its own epoll instance over the *same* fds,
//! registered level-triggered for readability with token = index, and a
//! buffer of [`CAPACITY`] events allocated once and reused.

use std::ffi::c_void;
use std::num::NonZeroUsize;
use std::os::fd::{AsFd, AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::time::Duration;

/// Events one wait can return, for every implementation (the largest K).
pub const CAPACITY: usize = 1024;

/// K non-blocking eventfds, each created with a counter of 1 (readable).
pub struct Fds {
    fds: Vec<OwnedFd>,
}

impl Fds {
    /// Opens `k` eventfds.
    pub fn new(k: usize) -> Fds {
        let fds = (0..k)
            .map(|_| {
                // SAFETY: eventfd takes no pointers; the flags are valid.
                let fd = unsafe { libc::eventfd(1, libc::EFD_NONBLOCK | libc::EFD_CLOEXEC) };
                assert!(fd >= 0, "eventfd: {}", std::io::Error::last_os_error());
                // SAFETY: `fd` was just returned by the kernel and nothing else owns it.
                unsafe { OwnedFd::from_raw_fd(fd) }
            })
            .collect();
        Fds { fds }
    }

    /// How many fds.
    pub fn len(&self) -> usize {
        self.fds.len()
    }

    fn raw(&self) -> impl Iterator<Item = (u64, RawFd)> + '_ {
        (0u64..).zip(self.fds.iter().map(AsRawFd::as_raw_fd))
    }

    /// Adds 1 to every counter (the write half of the write+drain variant).
    pub fn write_all(&self) {
        let one = 1u64;
        for fd in &self.fds {
            // SAFETY: `one` is 8 readable bytes, alive for the call; `fd` is open.
            let n =
                unsafe { libc::write(fd.as_raw_fd(), (&one as *const u64).cast::<c_void>(), 8) };
            assert_eq!(n, 8, "eventfd write: {}", std::io::Error::last_os_error());
        }
    }

    /// Resets the counter of fd `token` to zero (not readable until the next write).
    pub fn drain(&self, token: u64) {
        let mut value = 0u64;
        let fd = self.fds[token as usize].as_raw_fd();
        // SAFETY: `value` is 8 writable bytes, alive for the call; `fd` is open.
        let n = unsafe { libc::read(fd, (&mut value as *mut u64).cast::<c_void>(), 8) };
        assert_eq!(n, 8, "eventfd read: {}", std::io::Error::last_os_error());
    }
}

/// One way to wait: a zero-timeout wait, then each event's token handed to `f`.
pub trait Waiter {
    /// The name printed in the table.
    const NAME: &'static str;
    /// Waits once (timeout zero) and calls `f` with every event's token;
    /// returns how many events there were.
    fn wait(&mut self, f: impl FnMut(u64)) -> usize;
}

fn epoll_add(epfd: RawFd, fd: RawFd, bits: u32, token: u64, op: i32) {
    let mut event = libc::epoll_event {
        events: bits,
        u64: token,
    };
    // SAFETY: both fds are open; `event` is a live epoll_event the kernel only reads.
    let rc = unsafe { libc::epoll_ctl(epfd, op, fd, &mut event) };
    assert_eq!(rc, 0, "epoll_ctl: {}", std::io::Error::last_os_error());
}

/// `libc::epoll_wait` into a reused `Vec<libc::epoll_event>`: the floor.
pub struct Raw {
    epfd: OwnedFd,
    buf: Vec<libc::epoll_event>,
}

impl Raw {
    pub fn new(fds: &Fds) -> Raw {
        // SAFETY: epoll_create1 takes no pointers; the flag is valid.
        let epfd = unsafe { libc::epoll_create1(libc::EPOLL_CLOEXEC) };
        assert!(
            epfd >= 0,
            "epoll_create1: {}",
            std::io::Error::last_os_error()
        );
        // SAFETY: `epfd` was just returned by the kernel and nothing else owns it.
        let epfd = unsafe { OwnedFd::from_raw_fd(epfd) };
        for (token, fd) in fds.raw() {
            let bits = libc::EPOLLIN as u32;
            epoll_add(epfd.as_raw_fd(), fd, bits, token, libc::EPOLL_CTL_ADD);
        }
        let empty = libc::epoll_event { events: 0, u64: 0 };
        Raw {
            epfd,
            buf: vec![empty; CAPACITY],
        }
    }
}

impl Waiter for Raw {
    const NAME: &'static str = "raw libc";

    fn wait(&mut self, mut f: impl FnMut(u64)) -> usize {
        let (ptr, max) = (self.buf.as_mut_ptr(), self.buf.len() as i32);
        // SAFETY: `ptr` is valid for writes of `max` epoll_events; the epoll fd is open.
        let n = unsafe { libc::epoll_wait(self.epfd.as_raw_fd(), ptr, max, 0) };
        assert!(n >= 0, "epoll_wait: {}", std::io::Error::last_os_error());
        for event in &self.buf[..n as usize] {
            // A by-value read: the struct is packed on x86_64, so no reference
            // to the field may be taken.
            f(event.u64);
        }
        n as usize
    }
}

/// `epoll_safe::Epoll::wait` into reused `Events`.
pub struct Safe {
    epoll: epoll_safe::Epoll,
    events: epoll_safe::Events,
}

impl Safe {
    pub fn new(fds: &Fds) -> Safe {
        let epoll = epoll_safe::Epoll::new().expect("Epoll::new");
        for (fd, token) in fds.fds.iter().zip(0..) {
            epoll
                .add(
                    fd.as_fd(),
                    epoll_safe::Token(token),
                    epoll_safe::Interest::READABLE,
                )
                .expect("Epoll::add");
        }
        let capacity = NonZeroUsize::new(CAPACITY).expect("not zero");
        Safe {
            epoll,
            events: epoll_safe::Events::with_capacity(capacity),
        }
    }
}

impl Waiter for Safe {
    const NAME: &'static str = "epoll-safe";

    fn wait(&mut self, mut f: impl FnMut(u64)) -> usize {
        let n = self
            .epoll
            .wait(&mut self.events, Some(Duration::ZERO))
            .expect("Epoll::wait");
        for event in &self.events {
            f(event.token().0);
        }
        n
    }
}

/// `mio::Poll::poll` into reused `mio::Events`.
pub struct Mio {
    poll: mio::Poll,
    events: mio::Events,
}

impl Mio {
    pub fn new(fds: &Fds) -> Mio {
        let poll = mio::Poll::new().expect("Poll::new");
        for (token, fd) in fds.raw() {
            let source = &mut mio::unix::SourceFd(&fd);
            poll.registry()
                .register(source, mio::Token(token as usize), mio::Interest::READABLE)
                .expect("register");
            // mio always registers edge-triggered (EPOLLIN | EPOLLRDHUP |
            // EPOLLET); an fd that stays readable would then be reported
            // once. Drop EPOLLET on mio's own epoll fd so every
            // implementation waits on the same level-triggered interest.
            let bits = (libc::EPOLLIN | libc::EPOLLRDHUP) as u32;
            epoll_add(poll.as_raw_fd(), fd, bits, token, libc::EPOLL_CTL_MOD);
        }
        Mio {
            poll,
            events: mio::Events::with_capacity(CAPACITY),
        }
    }
}

impl Waiter for Mio {
    const NAME: &'static str = "mio";

    fn wait(&mut self, mut f: impl FnMut(u64)) -> usize {
        self.poll
            .poll(&mut self.events, Some(Duration::ZERO))
            .expect("Poll::poll");
        let mut n = 0;
        for event in self.events.iter() {
            f(event.token().0 as u64);
            n += 1;
        }
        n
    }
}

/// `polling::Poller::wait` (level mode) into reused `polling::Events`.
pub struct Polling {
    poller: polling::Poller,
    events: polling::Events,
}

impl Polling {
    pub fn new(fds: &Fds) -> Polling {
        let poller = polling::Poller::new().expect("Poller::new");
        for (token, fd) in fds.raw() {
            let event = polling::Event::readable(token as usize);
            // SAFETY: `fd` stays open for as long as the poller exists
            // (`Fds` outlives every waiter) and is deleted from nothing else.
            let added = unsafe { poller.add_with_mode(fd, event, polling::PollMode::Level) };
            added.expect("add_with_mode");
        }
        let capacity = NonZeroUsize::new(CAPACITY).expect("not zero");
        Polling {
            poller,
            events: polling::Events::with_capacity(capacity),
        }
    }
}

impl Waiter for Polling {
    const NAME: &'static str = "polling";

    fn wait(&mut self, mut f: impl FnMut(u64)) -> usize {
        // polling appends to the buffer: clearing it is part of each wait.
        self.events.clear();
        self.poller
            .wait(&mut self.events, Some(Duration::ZERO))
            .expect("Poller::wait");
        let mut n = 0;
        for event in self.events.iter() {
            f(event.key as u64);
            n += 1;
        }
        n
    }
}
