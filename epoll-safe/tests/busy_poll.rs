//! `Epoll::set_busy_poll` / `busy_poll`: per-instance busy polling (Linux 6.9).

use epoll_safe::{BusyPoll, Epoll, Error, Op};

/// The kernel's release as (major, minor), from `uname`.
fn kernel_version() -> (u32, u32) {
    // SAFETY: utsname is plain data; uname fills it.
    let mut uts: libc::utsname = unsafe { std::mem::zeroed() };
    // SAFETY: `uts` is valid for writes.
    assert_eq!(unsafe { libc::uname(&mut uts) }, 0);
    // SAFETY: uname wrote a NUL-terminated string.
    let release = unsafe { std::ffi::CStr::from_ptr(uts.release.as_ptr()) };
    let mut parts = release
        .to_str()
        .unwrap()
        .split(|c: char| !c.is_ascii_digit());
    let major = parts.next().unwrap().parse().unwrap();
    let minor = parts.next().unwrap().parse().unwrap();
    (major, minor)
}

#[test]
fn busy_poll_settings_round_trip_on_this_kernel() {
    let epoll = Epoll::new().unwrap();
    let settings = BusyPoll {
        usecs: 50,
        budget: 16,
        prefer: true,
    };
    let result = epoll.set_busy_poll(settings);
    if kernel_version() < (6, 9) {
        println!(
            "kernel {:?} is older than 6.9: checking Unsupported",
            kernel_version()
        );
        let err = result.unwrap_err();
        assert!(
            matches!(
                err,
                Error::Unsupported {
                    op: Op::SetBusyPoll,
                    ..
                }
            ),
            "{err:?}"
        );
        return;
    }
    match result {
        Ok(()) => {}
        // A 6.9+ kernel built without CONFIG_NET_RX_BUSY_POLL.
        Err(Error::Unsupported { errno, .. }) if errno == libc::EOPNOTSUPP => {
            println!("kernel built without busy polling: Unsupported, as documented");
            return;
        }
        Err(e) => panic!("{e:?}"),
    }
    assert_eq!(epoll.busy_poll().unwrap(), settings);
    epoll.set_busy_poll(BusyPoll::default()).unwrap();
    assert_eq!(epoll.busy_poll().unwrap(), BusyPoll::default());
}

#[test]
fn a_fresh_instance_does_not_busy_poll() {
    let epoll = Epoll::new().unwrap();
    match epoll.busy_poll() {
        Ok(settings) => assert_eq!(settings, BusyPoll::default()),
        Err(Error::Unsupported { .. }) => {}
        Err(e) => panic!("{e:?}"),
    }
}

#[test]
fn usecs_above_i32_max_is_invalid_argument_not_unsupported() {
    let epoll = Epoll::new().unwrap();
    let err = epoll
        .set_busy_poll(BusyPoll {
            usecs: i32::MAX as u32 + 1,
            budget: 0,
            prefer: false,
        })
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::InvalidArgument {
                op: Op::SetBusyPoll,
                ..
            }
        ),
        "{err:?}"
    );
}
