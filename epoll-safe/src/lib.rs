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
//! | signals as events | [`Signals`], named by [`Signal`] | `signalfd` |
//! | busy polling | [`BusyPoll`] | `ioctl(EPIOCSPARAMS)` (Linux 6.9) |
//!
//! [`examples/echo_server.rs`](https://github.com/epoll-express/epoll-express/blob/main/epoll-safe/examples/echo_server.rs)
//! is a complete edge-triggered TCP server (partial writes, hang-ups,
//! Ctrl-C through [`Signals`]) to copy from; it ships in the crate's
//! package too (`cargo run -p epoll-safe --example echo_server`).
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
//!   [`Timer`] and [`Signals`] own their fd; none leaks into an `exec`'d program.
//! - **[`Epoll::wait`] never allocates**: the kernel writes into the spare
//!   capacity of [`Events`], allocated once. It makes one syscall, except:
//!   the first timed wait of the process probes `epoll_pwait2` and, where
//!   that is absent, makes one `epoll_wait` more; a signal (`EINTR`) or
//!   the `epoll_wait` clamp (about 24.8 days) ends a call early and the
//!   wait resumes with another for the time left. The other costs are
//!   reads of the monotonic clock (vDSO) for a finite timeout, and a
//!   relaxed atomic load to pick the syscall.
//! - **Timeouts never return early.** `None` blocks, `Some(Duration::ZERO)`
//!   polls. Other timeouts have nanosecond resolution through `epoll_pwait2`
//!   (Linux 5.11+, see [below](#epoll_pwait2-the-pwait2-feature-and-set_pwait2)),
//!   and are rounded **up** to the next millisecond through `epoll_wait`:
//!   truncating 1 µs to 0 ms would turn the caller's timed loop into a busy
//!   loop (mio#1614). Never early is not exact: the kernel adds the thread's
//!   timer slack (50 µs by default) and scheduling delay. A wait that comes
//!   back empty before its deadline (the `INT_MAX` ms clamp of `epoll_wait`,
//!   about 24.8 days) waits again for the rest, and a timeout whose
//!   deadline overflows `Instant` (`Duration::MAX`) blocks like `None`:
//!   never wrapped into a short wait (mio#1948). [`Epoll::wait_deadline`]
//!   takes the deadline itself.
//! - **Signals neither end nor stretch a wait.** [`Epoll::wait`] retries
//!   `EINTR` against a deadline computed once (polling#164);
//!   [`Epoll::wait_interruptible`] returns [`Error::Interrupted`] instead.
//! - **Errors say what happened, by call, and keep the errno**: see [`Error`].
//! - **No panics on what the kernel or a sandbox can do**: every syscall
//!   failure, including a refused `timerfd_settime`, is an [`Error`].
//! - **No reference to a packed field.** On x86_64 the kernel's
//!   `epoll_event` is packed (12 bytes); [`Event`]'s accessors copy fields out.
//!
//! # `epoll_pwait2`: the `pwait2` feature and [`set_pwait2`]
//!
//! With the default `pwait2` cargo feature, the first timed wait tries
//! `epoll_pwait2` (through `syscall`, so old C libraries still link) and the
//! answer is kept for the process: `ENOSYS` (kernel before 5.11), and
//! `EPERM` or `ENOTSUP` from a seccomp filter or gVisor, mean "absent" and
//! every later timed wait uses `epoll_wait`. That probe is harmless unless
//! a seccomp filter **kills** (or traps) on syscalls it does not know; then
//! the probe is a `SIGSYS`. For such sandboxes:
//!
//! | situation | what to do | cost |
//! |---|---|---|
//! | ordinary program, container, errno-returning filter | nothing (defaults) | none: sub-millisecond timeouts where the kernel has them |
//! | a filter that kills on unknown syscalls, and you build the binary | `epoll-safe = { version = "0.3", default-features = false }` **and** call `set_pwait2(false)` at start-up | timed waits in whole milliseconds, rounded up |
//! | a library that may run under such a filter | `default-features = false`; tell users about `set_pwait2` | as above, unless the binary turns it on |
//!
//! Cargo unifies features: any other crate in the build that depends on
//! `epoll-safe` with default features turns `pwait2` back on, which is why
//! the process-wide [`set_pwait2`] switch exists with or without the feature.
//!
//! # Coming from mio / nix / rustix
//!
//! What epoll-safe does, then how mio 1, nix 0.31 (`sys::epoll`) and
//! rustix 1 (`event::epoll`) do the same:
//!
//! - **Create**: [`Epoll::new`], always `CLOEXEC`. mio `Poll::new()`;
//!   nix `Epoll::new(EpollCreateFlags)`; rustix `epoll::create(CLOEXEC)`.
//! - **Register**: [`Epoll::add`]`(fd, token, interest)`; [`Epoll::modify`]
//!   and [`Epoll::delete`]. mio `registry().register(&mut src, tok, int)`,
//!   `reregister`, `deregister`; nix `epoll.add(fd, EpollEvent)`, `modify`,
//!   `delete`; rustix `epoll::add(&ep, fd, data, flags)`, `modify`, `delete`.
//! - **Triggering**: level unless [`Interest::edge`]. mio is always edge
//!   (it sets `EPOLLET` for you); nix and rustix are level unless `EPOLLET`.
//! - **`READABLE`**: `EPOLLIN` only; add [`Interest::READ_CLOSED`] for
//!   `EPOLLRDHUP`. mio's is `EPOLLIN | EPOLLRDHUP`; nix `EPOLLIN`; rustix `IN`.
//! - **Token**: [`Token`]`(u64)`, `From<usize>`, `TryFrom<Token> for usize`.
//!   mio `Token(usize)`; nix a `u64` in `EpollEvent`; rustix `u64` / `EventData`.
//! - **Wait**: [`Epoll::wait`]`(&mut events, timeout)` with
//!   `Option<Duration>`, nanoseconds through `epoll_pwait2`, never early;
//!   or [`Epoll::wait_deadline`]. mio `poll(&mut events, timeout)`, ms
//!   rounded up; nix `wait(&mut [EpollEvent], EpollTimeout)` in ms; rustix
//!   `wait(&ep, &mut Vec, Option<&Timespec>)`.
//! - **`EINTR`**: retried for the time left ([`Epoll::wait_interruptible`]
//!   returns it). mio returns it as `Interrupted`; nix and rustix return it.
//! - **Wake from a thread**: [`Waker`]. mio `Waker`; nix and rustix: an
//!   eventfd by hand.
//! - **Errors**: [`Error`] by cause; into `io::Error` with its sentence and
//!   errno ([`Error::raw_os_error_of`]). mio `io::Error`; nix `Errno`;
//!   rustix `io::Errno`.
//! - **Signals**: [`Signals`] (signalfd) named with [`Signal`]. mio has
//!   none (signal-hook-mio); nix `SignalFd`; rustix none.
//!
//! # `fork`
//!
//! A child of `fork` inherits every fd, and these fds are kernel objects
//! that parent and child then **share**: the [`Epoll`]'s interest list and
//! ready list (both processes' waits compete for the same events, and a
//! registration made in one is seen by the other), the [`Waker`]'s eventfd
//! (a wake in either wakes the instance) and the [`Timer`]'s timerfd
//! (arming or reading it in one changes it for both). [`Signals`] is the
//! exception: a read in the child returns the child's own signals. The
//! registrations follow the open file descriptions, so a socket the parent
//! closes stays registered while the child keeps its copy open (see below).
//! The usual advice holds: `exec` soon after `fork` (everything here is
//! `CLOEXEC`), or create event-loop objects after it.
//!
//! # Registration is by open file description
//!
//! epoll watches the open file description an fd number refers to (the
//! kernel's `struct file`). The kernel keys each registration by the pair
//! (file, number) so that [`Epoll::modify`] and [`Epoll::delete`] can find
//! it, but it never looks the number up again: events come from the file,
//! and the registration lives as long as the file does. Two consequences
//! surprise people (mio#1972):
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
//! 2. The kernel keeps the number only as half of the registration's key,
//!    never to reach a file: it holds the file itself, and drops the
//!    registration when the file's last fd is closed. A number reused by an
//!    unrelated file is never watched by accident, unlike with
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
//! Linux only (a `compile_error!` says so elsewhere): 2.6.27 or later
//! (`epoll_create1`, and `EFD_`/`TFD_`/`SFD_` flags); [`Interest::exclusive`]
//! needs 4.5; sub-millisecond timeouts need 5.11 and are used automatically
//! when present (with the `pwait2` feature); [`BusyPoll`] needs 6.9.
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
mod op;
mod signal;
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
pub use signal::Signal;
pub use signals::{SignalInfo, Signals};
pub use timer::{Clock, Timer};
pub use token::Token;
pub use wait_syscall::{pwait2_enabled, set_pwait2};
pub use waker::Waker;

/// The README's example, compiled and run as a doctest.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctest;
