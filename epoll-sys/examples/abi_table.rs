//! Prints the layout of [`epoll_event`] and every constant of this crate the
//! system headers also have as `name value` lines, in the format of
//! `xtask/abi/epoll_abi.c`, which prints the same table from the system's
//! `<sys/epoll.h>` (and `EPOLL_URING_WAKE` and the busy-poll entries from
//! `<linux/eventpoll.h>`, or computed from the kernel's definition where the
//! headers lack them). `cargo xtask abi` runs both and fails on any
//! difference: the C header is the oracle.
//!
//! Run alone: `cargo run -p epoll-sys --example abi_table`.
//!
//! `cargo xtask abi --target TRIPLE` also builds this file with Debian's
//! rustc 1.63 for other architectures and runs it under qemu, so it keeps to
//! what that compiler has: no `offset_of!` (1.77), no `size_of` in the
//! prelude (1.80). Offsets are measured on a live value with `addr_of!`,
//! which takes a field's address without a reference (so it is sound on the
//! packed struct too) and without `unsafe`.

use core::mem::{align_of, size_of, size_of_val};
use core::ptr::addr_of;
use epoll_sys::*;

fn main() {
    let ev = epoll_event { events: 0, data: 0 };
    let layout = [
        ("sizeof(struct epoll_event)", size_of::<epoll_event>()),
        ("alignof(struct epoll_event)", align_of::<epoll_event>()),
        (
            "offsetof(struct epoll_event, events)",
            offset(addr_of!(ev), addr_of!(ev.events)),
        ),
        (
            "offsetof(struct epoll_event, data)",
            offset(addr_of!(ev), addr_of!(ev.data)),
        ),
        // C's epoll_data_t union; our `data` field stands for all of it.
        // Copied out (a packed field must never be referenced), so a change
        // of the field's type shows up here.
        ("sizeof(epoll_data_t)", size_of_val(&{ ev.data })),
        ("sizeof(sigset_t)", size_of::<sigset_t>()),
        ("alignof(sigset_t)", align_of::<sigset_t>()),
    ];
    for (name, value) in layout {
        println!("{name} {value}");
    }

    let bits = [
        ("EPOLLIN", EPOLLIN),
        ("EPOLLPRI", EPOLLPRI),
        ("EPOLLOUT", EPOLLOUT),
        ("EPOLLERR", EPOLLERR),
        ("EPOLLHUP", EPOLLHUP),
        ("EPOLLRDNORM", EPOLLRDNORM),
        ("EPOLLRDBAND", EPOLLRDBAND),
        ("EPOLLWRNORM", EPOLLWRNORM),
        ("EPOLLWRBAND", EPOLLWRBAND),
        ("EPOLLMSG", EPOLLMSG),
        ("EPOLLRDHUP", EPOLLRDHUP),
        ("EPOLLEXCLUSIVE", EPOLLEXCLUSIVE),
        ("EPOLLWAKEUP", EPOLLWAKEUP),
        ("EPOLLONESHOT", EPOLLONESHOT),
        ("EPOLLET", EPOLLET),
    ];
    for (name, value) in bits {
        println!("{name} {value}");
    }

    let ints = [
        ("EPOLL_CTL_ADD", EPOLL_CTL_ADD),
        ("EPOLL_CTL_DEL", EPOLL_CTL_DEL),
        ("EPOLL_CTL_MOD", EPOLL_CTL_MOD),
        ("EPOLL_CLOEXEC", EPOLL_CLOEXEC),
    ];
    for (name, value) in ints {
        println!("{name} {value}");
    }

    // From <linux/eventpoll.h> (Linux 6.1 headers on; 6.9 for the busy-poll
    // rows), which the C side reads beside <sys/epoll.h>. Printed always: the
    // C side marks EPOLL_URING_WAKE "absent" where its headers lack it (the
    // comparison skips it then), and computes the busy-poll rows itself.
    println!("EPOLL_URING_WAKE {EPOLL_URING_WAKE}");
    println!("EPOLL_IOC_TYPE {EPOLL_IOC_TYPE}");
    let p = epoll_params::default();
    let params = [
        ("sizeof(struct epoll_params)", size_of::<epoll_params>()),
        ("alignof(struct epoll_params)", align_of::<epoll_params>()),
        (
            "offsetof(struct epoll_params, busy_poll_usecs)",
            offset(addr_of!(p), addr_of!(p.busy_poll_usecs)),
        ),
        (
            "offsetof(struct epoll_params, busy_poll_budget)",
            offset(addr_of!(p), addr_of!(p.busy_poll_budget)),
        ),
        (
            "offsetof(struct epoll_params, prefer_busy_poll)",
            offset(addr_of!(p), addr_of!(p.prefer_busy_poll)),
        ),
        (
            "offsetof(struct epoll_params, __pad)",
            offset(addr_of!(p), addr_of!(p.__pad)),
        ),
    ];
    for (name, value) in params {
        println!("{name} {value}");
    }
    println!("EPIOCSPARAMS {EPIOCSPARAMS}");
    println!("EPIOCGPARAMS {EPIOCGPARAMS}");
}

/// How many bytes after the start of a struct its field starts, from the two
/// addresses (`offset_of!` without `offset_of!`).
fn offset<S, F>(start: *const S, field: *const F) -> usize {
    field as usize - start as usize
}
