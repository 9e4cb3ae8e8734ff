use super::*;
use crate::{Epoll, Events};
use std::sync::Mutex;
use std::time::Instant;

/// Serialises the tests that set or read the process-wide backend.
static BACKEND_LOCK: Mutex<()> = Mutex::new(());

#[test]
fn timeout_ms_rounds_up_to_the_next_millisecond() {
    assert_eq!(timeout_ms(Duration::from_nanos(1)), 1);
    assert_eq!(timeout_ms(Duration::from_micros(1)), 1);
    assert_eq!(timeout_ms(Duration::from_micros(999)), 1);
    assert_eq!(timeout_ms(Duration::from_millis(1)), 1);
    assert_eq!(timeout_ms(Duration::from_micros(1001)), 2);
    assert_eq!(timeout_ms(Duration::from_millis(250)), 250);
}

#[test]
fn timeout_ms_clamps_instead_of_wrapping() {
    assert_eq!(timeout_ms(LONGEST_MS_WAIT), c_int::MAX);
    assert_eq!(
        timeout_ms(LONGEST_MS_WAIT + Duration::from_millis(1)),
        c_int::MAX
    );
    // 2^32 + 5 ms would wrap to 5 ms with an `as i32` cast.
    assert_eq!(timeout_ms(Duration::from_millis((1 << 32) + 5)), c_int::MAX);
    assert_eq!(timeout_ms(Duration::MAX), c_int::MAX);
}

#[cfg(feature = "pwait2")]
#[test]
fn kernel_timespec_keeps_nanoseconds_and_clamps_seconds() {
    let ts = kernel_timespec(Duration::new(3, 250));
    assert_eq!((ts.tv_sec, ts.tv_nsec), (3, 250));
    let ts = kernel_timespec(Duration::MAX);
    assert_eq!((ts.tv_sec, ts.tv_nsec), (i64::MAX, 999_999_999));
}

/// Prints which syscall this kernel gave (see `cargo test -- --nocapture`).
#[cfg(feature = "pwait2")]
#[test]
fn first_timed_wait_decides_the_backend_once() {
    let _lock = BACKEND_LOCK.lock().unwrap();
    BACKEND.store(UNKNOWN, Relaxed);
    set_pwait2(true);
    // SAFETY: epoll_create1 takes no pointers.
    let epfd = unsafe { epoll_sys::epoll_create1(epoll_sys::EPOLL_CLOEXEC) };
    assert!(epfd >= 0);
    let mut buf = [MaybeUninit::<epoll_event>::uninit(); 4];
    let direct = epoll_pwait2(epfd, &mut buf, Duration::from_micros(50));
    assert_eq!(
        wait_once(epfd, &mut buf, Some(Duration::from_micros(50))),
        Ok(0)
    );
    let expected = match direct {
        Ok(0) => Backend::Pwait2,
        Err(errno) if means_absent(errno) => Backend::EpollWait,
        other => panic!("epoll_pwait2 on an empty epoll returned {other:?}"),
    };
    assert_eq!(backend(), expected);
    println!("timed waits use {:?}", backend());
    // SAFETY: closes the fd opened above, used by nothing else.
    unsafe { libc::close(epfd) };
}

#[test]
fn epoll_wait_fallback_times_out_with_zero_events() {
    // SAFETY: epoll_create1 takes no pointers.
    let epfd = unsafe { epoll_sys::epoll_create1(epoll_sys::EPOLL_CLOEXEC) };
    assert!(epfd >= 0);
    let mut buf = [MaybeUninit::<epoll_event>::uninit(); 4];
    let start = std::time::Instant::now();
    // The fallback path on its own: 1 µs must wait a whole millisecond.
    assert_eq!(
        epoll_wait(epfd, &mut buf, timeout_ms(Duration::from_micros(1))),
        Ok(0)
    );
    assert!(start.elapsed() >= Duration::from_millis(1));
    // SAFETY: closes the fd opened above, used by nothing else.
    unsafe { libc::close(epfd) };
}

/// The `epoll_wait` fallback as a kernel without `epoll_pwait2` (or a
/// seccomp filter that refuses it) would run it, through `Epoll::wait`.
#[test]
fn without_pwait2_timeouts_round_up_to_whole_milliseconds() {
    let _lock = BACKEND_LOCK.lock().unwrap();
    BACKEND.store(EPOLL_WAIT, Relaxed);
    let epoll = Epoll::new().unwrap();
    let mut events = Events::default();
    for timeout in [
        Duration::from_nanos(1),
        Duration::from_micros(10),
        Duration::from_micros(1_001),
    ] {
        let start = Instant::now();
        assert_eq!(epoll.wait(&mut events, Some(timeout)).unwrap(), 0);
        let at_least = Duration::from_millis(u64::from(timeout_ms(timeout).unsigned_abs()));
        assert!(
            start.elapsed() >= at_least,
            "{timeout:?}: {:?}",
            start.elapsed()
        );
    }
    assert_eq!(backend(), Backend::EpollWait, "the fallback stays chosen");
    BACKEND.store(UNKNOWN, Relaxed);
}

#[test]
fn enosys_eperm_and_enotsup_mean_absent_and_nothing_else_does() {
    for errno in [libc::ENOSYS, libc::EPERM, libc::ENOTSUP, libc::EOPNOTSUPP] {
        assert!(means_absent(errno), "{errno}");
    }
    for errno in [libc::EINTR, libc::EINVAL, libc::EBADF, libc::EFAULT] {
        assert!(!means_absent(errno), "{errno}");
    }
}

/// `set_pwait2(false)` keeps even an undecided backend from probing, and
/// `set_pwait2(true)` only re-allows it where the feature compiled it in.
#[test]
fn the_switch_is_honoured_from_the_next_wait() {
    let _lock = BACKEND_LOCK.lock().unwrap();
    BACKEND.store(UNKNOWN, Relaxed);
    set_pwait2(false);
    assert!(!pwait2_enabled());
    let epoll = Epoll::new().unwrap();
    let mut events = Events::default();
    assert_eq!(
        epoll
            .wait(&mut events, Some(Duration::from_micros(10)))
            .unwrap(),
        0
    );
    assert_eq!(backend(), Backend::Unknown, "no probe while switched off");
    set_pwait2(true);
    assert_eq!(pwait2_enabled(), cfg!(feature = "pwait2"));
    assert_eq!(
        epoll
            .wait(&mut events, Some(Duration::from_micros(10)))
            .unwrap(),
        0
    );
    let probed = backend() != Backend::Unknown;
    assert_eq!(probed, cfg!(feature = "pwait2"));
    BACKEND.store(UNKNOWN, Relaxed);
}
