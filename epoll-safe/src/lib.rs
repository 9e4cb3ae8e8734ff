//! Safe, zero-cost Linux `epoll`: RAII handles, typed errors, a reusable
//! event buffer, and the fds an event loop needs besides sockets: a
//! [`Waker`] (eventfd), a [`Timer`] (timerfd) and [`Signals`] (signalfd).
//!
//! | concept | type | kernel object |
//! |---|---|---|
//! | the epoll instance | [`Epoll`] | `epoll_create1(EPOLL_CLOEXEC)` |
//! | what to watch | [`Interest`], named by a [`Token`] | `epoll_ctl` |
//! | what happened | [`Events`] of [`Event`] | `epoll_pwait2` / `epoll_wait` |
//! | what went wrong | [`Error`], naming the [`Op`] | errno |
//!
//! # Example: a TCP echo on loopback
//!
//! ```
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use epoll_safe::{Epoll, Events, Interest, Token};
//! use std::io::{ErrorKind, Read, Write};
//! use std::net::{TcpListener, TcpStream};
//! use std::time::Duration;
//!
//! const LISTENER: Token = Token(0);
//! const CONN: Token = Token(1);
//!
//! let listener = TcpListener::bind("127.0.0.1:0")?;
//! listener.set_nonblocking(true)?;
//! let epoll = Epoll::new()?;
//! epoll.add(&listener, LISTENER, Interest::READABLE)?;
//!
//! let mut client = TcpStream::connect(listener.local_addr()?)?;
//! client.write_all(b"hello")?;
//!
//! let mut events = Events::default();
//! let mut conn = None;
//! let mut echoed = 0;
//! while echoed < 5 {
//!     epoll.wait(&mut events, Some(Duration::from_secs(5)))?;
//!     for event in &events {
//!         match event.token() {
//!             LISTENER => {
//!                 let (stream, _) = listener.accept()?;
//!                 stream.set_nonblocking(true)?;
//!                 // Edge-triggered: read until WouldBlock on every event.
//!                 epoll.add(&stream, CONN, Interest::READABLE.edge())?;
//!                 conn = Some(stream);
//!             }
//!             CONN => {
//!                 let stream = conn.as_mut().expect("accepted");
//!                 let mut buf = [0; 64];
//!                 loop {
//!                     match stream.read(&mut buf) {
//!                         Ok(0) => break,
//!                         Ok(n) => {
//!                             stream.write_all(&buf[..n])?;
//!                             echoed += n;
//!                         }
//!                         Err(e) if e.kind() == ErrorKind::WouldBlock => break,
//!                         Err(e) => return Err(e.into()),
//!                     }
//!                 }
//!             }
//!             _ => unreachable!(),
//!         }
//!     }
//! }
//!
//! let mut reply = [0; 5];
//! client.read_exact(&mut reply)?;
//! assert_eq!(&reply, b"hello");
//! # Ok(()) }
//! ```
//!
//! # Guarantees
//!
//! - **Every fd is close-on-exec and closed on drop**: [`Epoll`], [`Waker`],
//!   [`Timer`] and [`Signals`] own their fd; none leaks into a child process.
//! - **[`Epoll::wait`] never allocates** and makes one syscall: the kernel
//!   writes into the spare capacity of [`Events`], allocated once. The only
//!   other cost is one read of the monotonic clock (vDSO) for a finite
//!   timeout, and a relaxed atomic load to pick the syscall.
//! - **Timeouts never return early.** `None` blocks, `Some(Duration::ZERO)`
//!   polls. Other timeouts are exact to the microsecond through
//!   `epoll_pwait2` (Linux 5.11+), reached with `syscall(SYS_epoll_pwait2)` so
//!   old C libraries still link; the first timed wait finds out whether the
//!   kernel has it (`ENOSYS`, or `EPERM` from a seccomp filter, mean no) and
//!   the answer is kept for the life of the process. Without it a timeout is
//!   rounded **up** to the next millisecond: truncating 1 µs to 0 ms would
//!   turn the caller's timed loop into a busy loop (mio#1614). A timeout too
//!   long for the kernel is clamped and waited in parts, never wrapped into
//!   a short wait or into "forever" (mio#1948).
//! - **Signals neither end nor stretch a wait.** [`Epoll::wait`] retries
//!   `EINTR` against a deadline computed once (polling#164);
//!   [`Epoll::wait_interruptible`] returns [`Error::Interrupted`] instead.
//! - **Errors say what happened and keep the errno**: see [`Error`].
//! - **No reference to a packed field.** On x86_64 the kernel's
//!   `epoll_event` is packed (12 bytes); [`Event`]'s accessors copy fields out.
//!
//! # Registration is by open file description
//!
//! epoll does not watch an fd *number*: it watches the open file
//! description the number refers to (the kernel's `struct file`), keyed by
//! the pair (file, number). Two consequences surprise people (mio#1972):
//!
//! - **The dup'd-fd trap.** Closing a registered fd removes the registration
//!   only when it was the *last* fd referring to that file. If a `dup` of it
//!   is still open (in this process or, after `fork`, in a child), events keep
//!   coming with the old [`Token`], and the registration cannot be deleted
//!   any more: the dup's number is a different key ([`Error::NotRegistered`]).
//!   Call [`Epoll::delete`] *before* closing an fd that may have been
//!   duplicated; `CLOEXEC` everywhere keeps `exec`'d children out of it.
//! - **Adding a dup is not [`Error::AlreadyRegistered`]**: a second number
//!   for the same file is a second registration, with its own token.
//!
//! # Why a safe `add(impl AsFd)` is sound
//!
//! I/O safety (RFC 3128) requires that safe code only acts on fds it owns or
//! borrows. `polling` made `add` `unsafe` (polling#123) and nix debated the
//! same (nix#2115) because a registration outlives the borrow: the fd may be
//! closed while still registered. For epoll that is safe, for three reasons:
//!
//! 1. [`Epoll::add`] acts on the fd only *during* the call, while the
//!    [`BorrowedFd`](std::os::fd::BorrowedFd) guarantees it is open.
//! 2. The kernel holds no fd number afterwards: it holds the file, and
//!    drops the registration when the file's last fd is closed. A number
//!    reused by an unrelated file is never watched by accident, unlike with
//!    `poll(2)`-style backends that keep a list of numbers.
//! 3. What comes back is a [`Token`], a plain `u64` that this crate never
//!    turns into a pointer or an fd. A stale registration (the dup'd-fd trap
//!    above) can deliver a token the program has reused, a logic error, like
//!    any spurious event, that the program must tolerate anyway, but never
//!    undefined behaviour.
//!
//! [`Epoll::modify`] and [`Epoll::delete`] likewise act on the borrowed fd
//! only for the duration of the call.
//!
//! # Requirements
//!
//! Linux 2.6.27 or later (`epoll_create1`, and `EFD_`/`TFD_`/`SFD_` flags);
//! [`Interest::exclusive`] needs 4.5; microsecond timeouts need 5.11 and are
//! used automatically when present.
#![doc(test(attr(deny(warnings))))]

#[cfg(not(any(target_os = "linux", target_os = "android")))]
compile_error!(
    "epoll-safe wraps Linux epoll(7), eventfd, timerfd and signalfd and builds only for Linux \
     (and Android) targets; on other systems use mio or polling, which pick kqueue, IOCP or poll"
);

mod busy_poll;
mod epoll;
mod error;
mod events;
mod interest;
mod signals;
mod timer;
mod token;
mod wait_loop;
mod wait_syscall;
mod waker;

pub use busy_poll::BusyPoll;
pub use epoll::Epoll;
pub use error::{Error, FileLimitScope, Op, Result};
pub use events::{Event, Events, Iter};
pub use interest::Interest;
pub use signals::{SignalInfo, Signals};
pub use timer::{Clock, Timer};
pub use token::Token;
pub use wait_syscall::{pwait2_enabled, set_pwait2};
pub use waker::Waker;

/// The README's example, compiled and run as a doctest.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctest;
