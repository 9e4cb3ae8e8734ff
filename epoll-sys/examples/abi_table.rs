//! Prints the layout of [`epoll_event`] and every constant of this crate the
//! system headers also have as `name value` lines, in the format of
//! `xtask/abi/epoll_abi.c`, which prints the same table from the system's
//! `<sys/epoll.h>` (and `EPOLL_URING_WAKE` and the busy-poll entries from
//! `<linux/eventpoll.h>`, or "absent" where the headers lack them). `cargo xtask abi` runs
//! both and fails on any difference: the C header is the oracle.
//!
//! Run alone: `cargo run -p epoll-sys --example abi_table`.

use core::mem::{align_of, offset_of, size_of};
use epoll_sys::*;

fn main() {
    let layout = [
        ("sizeof(struct epoll_event)", size_of::<epoll_event>()),
        ("alignof(struct epoll_event)", align_of::<epoll_event>()),
        (
            "offsetof(struct epoll_event, events)",
            offset_of!(epoll_event, events),
        ),
        (
            "offsetof(struct epoll_event, data)",
            offset_of!(epoll_event, data),
        ),
        // C's epoll_data_t union; our `data` field stands for all of it.
        ("sizeof(epoll_data_t)", size_of_data_field()),
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
    // C side marks the ones its headers lack as "absent", and the comparison
    // skips those (src/params.rs pins them to the kernel's values and libc's).
    println!("EPOLL_URING_WAKE {EPOLL_URING_WAKE}");
    let params = [
        ("sizeof(struct epoll_params)", size_of::<epoll_params>()),
        ("alignof(struct epoll_params)", align_of::<epoll_params>()),
        (
            "offsetof(struct epoll_params, busy_poll_usecs)",
            offset_of!(epoll_params, busy_poll_usecs),
        ),
        (
            "offsetof(struct epoll_params, busy_poll_budget)",
            offset_of!(epoll_params, busy_poll_budget),
        ),
        (
            "offsetof(struct epoll_params, prefer_busy_poll)",
            offset_of!(epoll_params, prefer_busy_poll),
        ),
        (
            "offsetof(struct epoll_params, __pad)",
            offset_of!(epoll_params, __pad),
        ),
    ];
    for (name, value) in params {
        println!("{name} {value}");
    }
    println!("EPIOCSPARAMS {EPIOCSPARAMS}");
    println!("EPIOCGPARAMS {EPIOCGPARAMS}");
}

/// The size of the `data` field's type, read from the field itself so a
/// change of its type shows up here.
fn size_of_data_field() -> usize {
    let ev = epoll_event { events: 0, data: 0 };
    // Copy out: a packed field must never be referenced.
    let data = { ev.data };
    size_of_val(&data)
}
