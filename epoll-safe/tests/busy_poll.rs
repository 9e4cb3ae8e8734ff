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

/// An `Unsupported` from the busy-poll ioctls is right only where the kernel
/// lacks the feature: older than 6.9 (`ENOTTY`), or built without busy
/// polling (`EOPNOTSUPP`). Anything else fails the test.
fn assert_unsupported_is_justified(err: &Error) {
    match err {
        Error::Unsupported { errno, .. } if *errno == libc::EOPNOTSUPP => {
            println!("kernel built without busy polling: Unsupported, as documented");
        }
        Error::Unsupported { .. } if kernel_version() < (6, 9) => {
            println!(
                "kernel {:?} is older than 6.9: Unsupported, as documented",
                kernel_version()
            );
        }
        other => panic!("not justified by kernel {:?}: {other:?}", kernel_version()),
    }
}

/// Whether this process has `CAP_NET_ADMIN` (bit 12 of `CapEff` in
/// `/proc/self/status`).
fn has_cap_net_admin() -> bool {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let hex = status
        .lines()
        .find_map(|l| l.strip_prefix("CapEff:"))
        .expect("CapEff in /proc/self/status")
        .trim();
    let caps = u64::from_str_radix(hex, 16).unwrap();
    const CAP_NET_ADMIN: u32 = 12; // include/uapi/linux/capability.h
    caps & (1 << CAP_NET_ADMIN) != 0
}

#[test]
fn busy_poll_settings_round_trip_on_this_kernel() {
    let epoll = Epoll::new().unwrap();
    let settings = BusyPoll {
        usecs: 50,
        budget: 16,
        prefer: true,
    };
    match epoll.set_busy_poll(settings) {
        Ok(()) => {
            assert_eq!(epoll.busy_poll().unwrap(), settings);
            epoll.set_busy_poll(BusyPoll::default()).unwrap();
            assert_eq!(epoll.busy_poll().unwrap(), BusyPoll::default());
        }
        Err(err) => {
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
            assert_unsupported_is_justified(&err);
        }
    }
}

#[test]
fn a_budget_over_64_without_cap_net_admin_is_the_kernels_eperm() {
    let epoll = Epoll::new().unwrap();
    let settings = BusyPoll {
        usecs: 50,
        budget: 65,
        prefer: false,
    };
    let result = epoll.set_busy_poll(settings);
    if let Err(err @ Error::Unsupported { .. }) = &result {
        assert_unsupported_is_justified(err);
        return;
    }
    if has_cap_net_admin() {
        println!("skipped the EPERM check: this process has CAP_NET_ADMIN");
        result.unwrap();
        assert_eq!(epoll.busy_poll().unwrap(), settings);
        return;
    }
    let err = result.unwrap_err();
    assert!(
        matches!(
            err,
            Error::Os {
                op: Op::SetBusyPoll,
                ..
            }
        ),
        "{err:?}"
    );
    assert_eq!(err.raw_os_error(), Some(libc::EPERM), "{err:?}");
    assert_eq!(
        epoll.busy_poll().unwrap(),
        BusyPoll::default(),
        "nothing was set"
    );
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
