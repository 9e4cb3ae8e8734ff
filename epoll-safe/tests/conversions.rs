//! The handle conversions users of mio, nix and rustix expect: `Event` by
//! value, `Token` <-> `usize`, `Epoll` from an `OwnedFd`, `IntoRawFd` on
//! every handle.

mod util;

use epoll_safe::{Epoll, Event, Events, Interest, Timer, Token, Waker};
use std::os::fd::{AsRawFd, IntoRawFd, OwnedFd};
use std::time::Duration;

#[test]
fn events_are_copied_out_past_the_next_wait() {
    let epoll = Epoll::new().unwrap();
    let waker = Waker::new(&epoll, Token(4)).unwrap();
    let mut events = Events::default();
    waker.wake().unwrap();
    epoll.wait(&mut events, Some(util::PATIENCE)).unwrap();
    let kept: Vec<Event> = events.iter().copied().collect();
    epoll.wait(&mut events, Some(Duration::ZERO)).unwrap();
    assert_eq!(kept.len(), 1);
    assert_eq!(kept[0].token(), Token(4));
    assert!(kept[0].is_readable());
}

#[test]
fn tokens_convert_to_and_from_usize() {
    for n in [0usize, 1, 4096, usize::MAX] {
        let token = Token::from(n);
        assert_eq!(token.0, n as u64);
        assert_eq!(usize::try_from(token), Ok(n));
    }
    #[cfg(target_pointer_width = "32")]
    assert!(usize::try_from(Token(u64::MAX)).is_err());
}

#[test]
fn an_epoll_from_an_owned_fd_is_the_same_instance() {
    let epoll = Epoll::new().unwrap();
    let waker = Waker::new(&epoll, Token(8)).unwrap();
    let raw = epoll.as_raw_fd();
    let fd: OwnedFd = epoll.into();
    let epoll = Epoll::from(fd);
    assert_eq!(epoll.as_raw_fd(), raw);
    waker.wake().unwrap();
    let mut events = Events::default();
    assert_eq!(epoll.wait(&mut events, Some(util::PATIENCE)).unwrap(), 1);
    assert_eq!(events.iter().next().unwrap().token(), Token(8));
}

/// `into_raw_fd` hands the fd over open: closing it succeeds exactly once.
#[test]
fn into_raw_fd_hands_over_an_open_fd() {
    let epoll = Epoll::new().unwrap();
    let fds = [
        Timer::new().unwrap().into_raw_fd(),
        Waker::new(&epoll, Token(1)).unwrap().into_raw_fd(),
        Epoll::new().unwrap().into_raw_fd(),
    ];
    for fd in fds {
        // SAFETY: each fd was handed over by into_raw_fd and is closed once.
        assert_eq!(unsafe { libc::close(fd) }, 0, "fd {fd} was not open");
    }
    let timer = Timer::new().unwrap();
    epoll.add(&timer, Token(2), Interest::READABLE).unwrap();
}

/// What the `From<OwnedFd>` docs promise for an fd that is not an epoll
/// instance: no panic, errors from the kernel's `EINVAL` (and `ENOTTY` from
/// the busy-poll ioctl on a timerfd).
#[test]
fn an_epoll_from_a_non_epoll_fd_fails_with_invalid_argument() {
    use epoll_safe::Error;
    use std::os::fd::FromRawFd;
    let timer = Timer::new().unwrap().into_raw_fd();
    // SAFETY: into_raw_fd handed over the open timerfd; it is owned once.
    let not_epoll = Epoll::from(unsafe { OwnedFd::from_raw_fd(timer) });
    let other = Timer::new().unwrap();
    let err = not_epoll
        .add(&other, Token(1), Interest::READABLE)
        .unwrap_err();
    assert!(matches!(err, Error::InvalidArgument { .. }), "{err:?}");
    let err = not_epoll
        .wait(&mut Events::default(), Some(Duration::ZERO))
        .unwrap_err();
    assert!(matches!(err, Error::InvalidArgument { .. }), "{err:?}");
    let err = not_epoll.busy_poll().unwrap_err();
    assert!(matches!(err, Error::Unsupported { .. }), "{err:?}");
    assert!(not_epoll.try_clone().is_ok());
}
