//! Raw bindings to the Linux `epoll(7)` ABI: the `epoll_event` struct, its
//! constants, the five `extern "C"` functions glibc and musl export, and the
//! busy-poll ioctls' `epoll_params` (Linux 6.9). Nothing else.
//!
//! This crate is `no_std` and has no dependencies. For a safe API (RAII
//! handles, typed errors, no way to misuse the packed struct) use
//! [`epoll-safe`](https://docs.rs/epoll-safe), which is built on this crate.
//!
//! # The packed struct
//!
//! `epoll(7)` shows `struct epoll_event { uint32_t events; epoll_data_t data; }`
//! and leaves out that the kernel declares it with `__attribute__((packed))`
//! **on x86_64 only** (`EPOLL_PACKED`). There the struct is 12
//! bytes with `data` at offset 4; everywhere else (aarch64, riscv64, …) the
//! natural C layout applies: 16 bytes with `data` at offset 8 on 64-bit
//! targets. 32-bit x86 is the odd one: `u64` is aligned to 4 there, so the
//! struct is 12 bytes either way, and glibc's packing only lowers its
//! alignment from 4 to 1 (musl does not pack it: 12 bytes, aligned to 4).
//!
//! Getting this wrong is silent. Without `packed` on x86_64 Rust reads `data`
//! at offset 8: every token, the first included, is read from the wrong bytes
//! (half of it is the next event's `events`), and the token handed to
//! `epoll_ctl` lands in what the kernel reads as padding. With `packed`
//! everywhere, aarch64 has the same problem the other way round.
//! [`epoll_event`] is packed where the headers pack it (the kernel's and
//! musl's under `__x86_64__`, glibc's on every x86), and the tests prove its
//! size, alignment and field offsets against both `libc` and the C header
//! (on the targets listed [below](#supported-targets), each against its own).
//!
//! Because the struct may be packed, **never take a reference to a field**
//! (`&ev.data` is undefined behaviour on x86_64). Copy fields out instead:
//!
//! ```
//! use epoll_sys::{epoll_event, EPOLLIN};
//! let ev = epoll_event { events: EPOLLIN, data: 42 };
//! let data = { ev.data }; // a copy, not a reference
//! assert_eq!(data, 42);
//! ```
//!
//! # Supported targets
//!
//! Linux on every architecture Rust supports, with glibc or musl.
//! `EPOLL_CLOEXEC` follows `O_CLOEXEC`, which differs on sparc; alpha and
//! parisc (which differ too) are not Rust targets.
//!
//! Proven against each target's own C headers, entry by entry (the event
//! struct's layout, `sigset_t`, every constant, [`epoll_params`] and both
//! ioctls), by the workspace's `cargo xtask abi --all-targets`:
//! `x86_64-unknown-linux-gnu` (also on every `cargo xtask test`),
//! `aarch64-unknown-linux-gnu`, `armv7-unknown-linux-gnueabihf`,
//! `i686-unknown-linux-gnu` and `powerpc64le-unknown-linux-gnu`. Every other
//! target (musl, Android, riscv64, s390x, mips, sparc, …) is correct by
//! `cfg` only: written from the headers, not checked by a C compiler.
//!
//! # Example
//!
//! `examples/express.rs` is the five-request program of "Epoll - the express
//! version" (chapter 4 of *Asynchronous Programming in Rust*, Carl Fredrik
//! Samson, Packt 2024, <https://github.com/PacktPublishing/Asynchronous-Programming-in-Rust>),
//! written against
//! this crate alone, with std's sockets and an embedded delay server so it runs
//! offline: `cargo run -p epoll-sys --example express`.
#![no_std]
#![doc(test(attr(deny(warnings))))]

#[cfg(not(any(target_os = "linux", target_os = "android")))]
compile_error!(
    "epoll-sys binds the Linux epoll(7) ABI and builds only for Linux (and Android) targets; \
     on other systems use mio or polling, which pick kqueue, IOCP or poll"
);

mod event;
mod flags;
mod funcs;
mod params;

pub use event::epoll_event;
pub use flags::*;
pub use funcs::*;
pub use params::*;

// The README's examples run as doctests, so they cannot rot.
#[doc = include_str!("../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
