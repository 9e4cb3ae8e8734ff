//! `Epoll::set_busy_poll` / `busy_poll`: per-instance busy polling (Linux 6.9).

mod util;

use epoll_safe::{BusyPoll, Epoll, Error, Op};
use util::child;

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

/// `CAP_NET_ADMIN` (include/uapi/linux/capability.h).
const CAP_NET_ADMIN: u32 = 12;

/// Whether this thread has `CAP_NET_ADMIN` (bit 12 of `CapEff` in
/// `/proc/thread-self/status`: capabilities are per thread, and the kernel
/// checks the calling one; `/proc/self` would show the main thread's).
fn has_cap_net_admin() -> bool {
    let status = std::fs::read_to_string("/proc/thread-self/status").unwrap();
    let hex = status
        .lines()
        .find_map(|l| l.strip_prefix("CapEff:"))
        .expect("CapEff in /proc/thread-self/status")
        .trim();
    let caps = u64::from_str_radix(hex, 16).unwrap();
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

/// Removes `CAP_NET_ADMIN` from the calling thread's effective capabilities
/// (`capget` / `capset`, version 3: two 32-bit words per set).
fn drop_cap_net_admin() {
    #[repr(C)]
    struct Header {
        version: u32,
        pid: i32,
    }
    #[repr(C)]
    #[derive(Clone, Copy)]
    struct Data {
        effective: u32,
        permitted: u32,
        inheritable: u32,
    }
    const VERSION_3: u32 = 0x2008_0522; // _LINUX_CAPABILITY_VERSION_3
    let mut header = Header {
        version: VERSION_3,
        pid: 0,
    };
    let mut data = [Data {
        effective: 0,
        permitted: 0,
        inheritable: 0,
    }; 2];
    // SAFETY: header and data are valid for the kernel's reads and writes
    // (version 3 takes two Data).
    let rc = unsafe { libc::syscall(libc::SYS_capget, &mut header, data.as_mut_ptr()) };
    assert_eq!(rc, 0, "capget: {}", std::io::Error::last_os_error());
    data[0].effective &= !(1 << CAP_NET_ADMIN);
    // SAFETY: as above; lowering the effective set needs no privilege.
    let rc = unsafe { libc::syscall(libc::SYS_capset, &mut header, data.as_ptr()) };
    assert_eq!(rc, 0, "capset: {}", std::io::Error::last_os_error());
}

/// Sets a budget of 65 and checks the outcome: `Os(EPERM)` without
/// `CAP_NET_ADMIN`, the setting stored with it.
fn set_budget_over_64() {
    let epoll = Epoll::new().unwrap();
    let settings = BusyPoll {
        usecs: 50,
        budget: 65,
        prefer: false,
    };
    let result = epoll.set_busy_poll(settings);
    if let Err(err @ Error::Unsupported { .. }) = &result {
        return assert_unsupported_is_justified(err);
    }
    if has_cap_net_admin() {
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
    println!("EPERM checked without CAP_NET_ADMIN");
    assert_eq!(
        epoll.busy_poll().unwrap(),
        BusyPoll::default(),
        "nothing was set"
    );
}

/// Without `CAP_NET_ADMIN` checked here; with it, the success path here and
/// the `EPERM` path in a child that drops the capability first.
#[test]
fn a_budget_over_64_without_cap_net_admin_is_the_kernels_eperm() {
    let name = "a_budget_over_64_without_cap_net_admin_is_the_kernels_eperm";
    if child::is_child(name) {
        drop_cap_net_admin();
        assert!(!has_cap_net_admin(), "the capability is dropped");
        return set_budget_over_64();
    }
    set_budget_over_64();
    if has_cap_net_admin() {
        println!("this process has CAP_NET_ADMIN: EPERM checked in a child without it");
        child::assert_passes(name);
    }
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
