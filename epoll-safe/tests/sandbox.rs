//! Waits under the sandboxes a library meets: seccomp filters that refuse
//! `epoll_pwait2` with an errno or kill the process for it, and a low
//! `RLIMIT_NOFILE`. Each test changes process state, so its body runs in a
//! child process (`util::child`).

mod util;

use epoll_safe::{Epoll, Error, Events, FileLimitScope, Op, Timer};
use std::time::{Duration, Instant};
use util::child;

/// Timed waits through `wait` and `wait_deadline` that must never end
/// early, sub-millisecond ones first (the ones `epoll_pwait2` would serve).
fn timed_waits_are_never_early() {
    let epoll = Epoll::new().unwrap();
    let mut events = Events::default();
    for timeout in [
        Duration::from_micros(1),
        Duration::from_micros(300),
        Duration::from_micros(1_500),
        Duration::from_millis(20),
    ] {
        let start = Instant::now();
        assert_eq!(epoll.wait(&mut events, Some(timeout)).unwrap(), 0);
        let took = start.elapsed();
        assert!(took >= timeout, "{timeout:?} returned after {took:?}");
        assert!(
            took < timeout + Duration::from_secs(2),
            "{timeout:?}: {took:?}"
        );

        let deadline = Instant::now() + timeout;
        assert_eq!(epoll.wait_deadline(&mut events, deadline).unwrap(), 0);
        assert!(
            Instant::now() >= deadline,
            "wait_deadline({timeout:?}) was early"
        );
    }
}

/// What the filter answers a raw `epoll_pwait2` with (proves it is active).
fn raw_pwait2_errno() -> Option<i32> {
    // SAFETY: invalid arguments on purpose; the filter answers before the
    // kernel reads any of them.
    let rc = unsafe {
        libc::syscall(
            libc::SYS_epoll_pwait2,
            -1,
            std::ptr::null_mut::<u8>(),
            0,
            std::ptr::null::<u8>(),
            std::ptr::null::<u8>(),
            0,
        )
    };
    assert_eq!(rc, -1);
    std::io::Error::last_os_error().raw_os_error()
}

fn errno_filter_child(errno: i32) {
    child::deny_syscall(libc::SYS_epoll_pwait2, child::errno_action(errno));
    assert_eq!(raw_pwait2_errno(), Some(errno), "the filter is in place");
    timed_waits_are_never_early();
}

#[test]
fn a_filter_answering_pwait2_with_enosys_still_gives_never_early_timeouts() {
    let name = "a_filter_answering_pwait2_with_enosys_still_gives_never_early_timeouts";
    if child::is_child(name) {
        return errno_filter_child(libc::ENOSYS);
    }
    child::assert_passes(name);
}

#[test]
fn a_filter_answering_pwait2_with_eperm_still_gives_never_early_timeouts() {
    let name = "a_filter_answering_pwait2_with_eperm_still_gives_never_early_timeouts";
    if child::is_child(name) {
        return errno_filter_child(libc::EPERM);
    }
    child::assert_passes(name);
}

#[test]
fn a_filter_answering_pwait2_with_enotsup_still_gives_never_early_timeouts() {
    let name = "a_filter_answering_pwait2_with_enotsup_still_gives_never_early_timeouts";
    if child::is_child(name) {
        return errno_filter_child(libc::ENOTSUP);
    }
    child::assert_passes(name);
}

fn kill_filter() {
    child::deny_syscall(libc::SYS_epoll_pwait2, libc::SECCOMP_RET_KILL_PROCESS);
}

/// The control for the two tests below: the filter really kills a process
/// that probes `epoll_pwait2`, so surviving it means it was never issued.
#[cfg(feature = "pwait2")]
#[test]
fn a_kill_filter_on_pwait2_kills_a_probing_wait() {
    use std::os::unix::process::ExitStatusExt;
    let name = "a_kill_filter_on_pwait2_kills_a_probing_wait";
    if child::is_child(name) {
        epoll_safe::set_pwait2(true);
        kill_filter();
        let epoll = Epoll::new().unwrap();
        let _ = epoll.wait(&mut Events::default(), Some(Duration::from_micros(100)));
        return; // not reached: the wait probes and dies
    }
    let (status, output) = child::run(name);
    assert_eq!(status.signal(), Some(libc::SIGSYS), "{status:?}\n{output}");
}

#[cfg(feature = "pwait2")]
#[test]
fn a_kill_filter_on_pwait2_is_survived_after_set_pwait2_false() {
    let name = "a_kill_filter_on_pwait2_is_survived_after_set_pwait2_false";
    if child::is_child(name) {
        epoll_safe::set_pwait2(false);
        kill_filter();
        return timed_waits_are_never_early();
    }
    child::assert_passes(name);
}

/// The switch holds after the probe has found `epoll_pwait2` and timed waits
/// use it: `set_pwait2(false)` is honoured from the next wait, not only
/// before the first.
#[cfg(feature = "pwait2")]
#[test]
fn set_pwait2_false_after_pwait2_was_in_use_survives_a_kill_filter() {
    use std::os::fd::AsRawFd;
    let name = "set_pwait2_false_after_pwait2_was_in_use_survives_a_kill_filter";
    if child::is_child(name) {
        epoll_safe::set_pwait2(true);
        let marked = Epoll::new().unwrap();
        // epoll_pwait2 on `marked` alone answers EDOM, an errno no wait
        // syscall gives: seeing it proves that wait issued epoll_pwait2.
        child::deny_syscall_on_fd(
            libc::SYS_epoll_pwait2,
            marked.as_raw_fd(),
            child::errno_action(libc::EDOM),
        );
        let mut events = Events::default();
        // The first timed wait probes and succeeds (epoll_pwait2 exists here).
        let other = Epoll::new().unwrap();
        assert_eq!(
            other
                .wait(&mut events, Some(Duration::from_micros(100)))
                .unwrap(),
            0
        );
        let err = marked
            .wait(&mut events, Some(Duration::from_micros(100)))
            .unwrap_err();
        assert_eq!(
            err.raw_os_error(),
            Some(libc::EDOM),
            "pwait2 in use: {err:?}"
        );

        epoll_safe::set_pwait2(false);
        kill_filter();
        assert_eq!(
            marked
                .wait(&mut events, Some(Duration::from_micros(100)))
                .unwrap(),
            0,
            "epoll_wait now, not the marked epoll_pwait2"
        );
        return timed_waits_are_never_early();
    }
    child::assert_passes(name);
}

#[cfg(not(feature = "pwait2"))]
#[test]
fn a_kill_filter_on_pwait2_is_survived_without_the_pwait2_feature() {
    let name = "a_kill_filter_on_pwait2_is_survived_without_the_pwait2_feature";
    if child::is_child(name) {
        assert!(!epoll_safe::pwait2_enabled());
        epoll_safe::set_pwait2(true); // cannot turn on what is not compiled in
        assert!(!epoll_safe::pwait2_enabled());
        kill_filter();
        return timed_waits_are_never_early();
    }
    child::assert_passes(name);
}

#[test]
fn emfile_from_epoll_new_under_a_low_rlimit_is_file_limit() {
    let name = "emfile_from_epoll_new_under_a_low_rlimit_is_file_limit";
    if child::is_child(name) {
        let mut limit = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        // SAFETY: `limit` is valid for writes.
        let rc = unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) };
        assert_eq!(rc, 0);
        // No new fd at all; the open ones stay usable.
        limit.rlim_cur = 0;
        // SAFETY: `limit` is a valid rlimit; lowering the soft limit is allowed.
        let rc = unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &limit) };
        assert_eq!(rc, 0);
        let err = Epoll::new().unwrap_err();
        assert!(
            matches!(
                err,
                Error::FileLimit {
                    op: Op::Create,
                    scope: FileLimitScope::Process
                }
            ),
            "{err:?}"
        );
        assert!(err.to_string().contains("ulimit -n"), "{err}");
        assert_eq!(
            Error::raw_os_error_of(&std::io::Error::from(err)),
            Some(libc::EMFILE)
        );
        let err = Timer::new().unwrap_err();
        assert!(
            matches!(
                err,
                Error::FileLimit {
                    op: Op::TimerNew,
                    ..
                }
            ),
            "{err:?}"
        );
        return;
    }
    child::assert_passes(name);
}

/// `EPERM` means "unpollable" only from `epoll_ctl`; from a wait a sandbox
/// refused, it stays `Os` with its errno.
#[test]
fn an_eperm_from_a_wait_is_os_not_unpollable() {
    let name = "an_eperm_from_a_wait_is_os_not_unpollable";
    if child::is_child(name) {
        let epoll = Epoll::new().unwrap();
        let mut waits = vec![libc::SYS_epoll_pwait, libc::SYS_epoll_pwait2];
        #[cfg(any(target_arch = "x86_64", target_arch = "x86"))]
        waits.push(libc::SYS_epoll_wait);
        child::deny_syscalls(&waits, child::errno_action(libc::EPERM));
        for timeout in [Some(Duration::ZERO), Some(Duration::from_millis(1))] {
            let err = epoll.wait(&mut Events::default(), timeout).unwrap_err();
            assert!(matches!(err, Error::Os { op: Op::Wait, .. }), "{err:?}");
            assert_eq!(err.raw_os_error(), Some(libc::EPERM));
        }
        return;
    }
    child::assert_passes(name);
}

/// A sandbox refusing `timerfd_settime` is an error, not a panic.
#[test]
fn a_refused_timerfd_settime_is_an_error_not_a_panic() {
    let name = "a_refused_timerfd_settime_is_an_error_not_a_panic";
    if child::is_child(name) {
        let timer = Timer::new().unwrap();
        child::deny_syscall(libc::SYS_timerfd_settime, child::errno_action(libc::EPERM));
        let results = [
            timer.set_after(Duration::from_millis(1)),
            timer.set_at(Instant::now() + Duration::from_millis(1)),
            timer.set_interval(Duration::from_millis(1), Duration::from_millis(1)),
            timer.disarm(),
        ];
        for result in results {
            let err = result.unwrap_err();
            assert!(
                matches!(
                    err,
                    Error::Os {
                        op: Op::TimerSet,
                        ..
                    }
                ),
                "{err:?}"
            );
            assert_eq!(err.raw_os_error(), Some(libc::EPERM));
        }
        return;
    }
    child::assert_passes(name);
}
