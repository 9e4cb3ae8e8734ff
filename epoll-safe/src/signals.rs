//! [`Signals`]: signals as an fd you register (signalfd), so Ctrl-C is an event.

use std::ffi::c_int;
use std::fmt;
use std::mem::ManuallyDrop;
use std::mem::{size_of, MaybeUninit};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, FromRawFd, IntoRawFd, OwnedFd, RawFd};

use crate::{Error, Op, Result};

/// Receives signals as data instead of through handlers: register it with
/// [`Interest::READABLE`](crate::Interest::READABLE), then
/// [`read`](Self::read) which signal arrived.
///
/// A `signalfd` created with `SFD_NONBLOCK | SFD_CLOEXEC`. For a signal to
/// reach it instead of its handler or default action, the signal must be
/// blocked, and signal masks are **per thread**: [`new`](Self::new) blocks
/// the signals in the calling thread only.
///
/// # Create it before any other thread
///
/// Create it in the main thread **before spawning threads** (they inherit
/// the mask), or block the signals in every other thread too. Otherwise a
/// process-directed signal (`kill`, Ctrl-C) is delivered to a thread that
/// does not block it, and its default action **kills the process** without
/// this fd ever becoming readable. Nothing fails at creation when that
/// happens, so check: [`threads_at_creation`](Self::threads_at_creation)
/// says how many threads the process had (`Some(1)`: only the caller), and
/// the example below warns when there were more. Threads a library starts
/// behind your back (a runtime, a logger) count too.
///
/// Also read it from the thread that created it: a signalfd sees the
/// signals pending for the process and for the reading thread.
///
/// On drop, in the thread that created it, signals of these kinds still
/// pending are discarded and the ones [`new`](Self::new) blocked are
/// unblocked again, restoring that thread's previous mask for them. Dropped
/// in another thread, it only closes the fd and leaves the creating thread's
/// mask as it is.
///
/// Keep at most one live `Signals` per signal per thread: dropping one
/// unblocks its signals (and discards their pending instances) even if another
/// `Signals` still relies on them, so the next such signal would get its
/// default action.
///
/// After `fork` the child shares the fd, but a read in the child returns the
/// signals sent to the child, not the parent's (`signalfd(2)`).
///
/// ```
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use epoll_safe::{Epoll, Events, Interest, Signal, Signals, Token};
///
/// // First thing in `main`, before any thread exists.
/// let signals = Signals::new(&[Signal::USR2])?;
/// if let Some(n) = signals.threads_at_creation().filter(|&n| n > 1) {
///     eprintln!("warning: {n} threads ran before Signals::new; a signal may kill the process");
/// }
/// let epoll = Epoll::new()?;
/// epoll.add(&signals, Token(0), Interest::READABLE)?;
///
/// // SAFETY: pthread_self has no preconditions.
/// let me = unsafe { libc::pthread_self() };
/// // SAFETY: sends a blocked signal to this very thread.
/// unsafe { libc::pthread_kill(me, libc::SIGUSR2) };
/// let mut events = Events::default();
/// epoll.wait(&mut events, None)?;
/// let info = signals.read()?.expect("a signal is pending");
/// assert_eq!(info.signal(), Signal::USR2);
/// assert_eq!(info.pid(), std::process::id() as libc::pid_t); // sent by this process
/// assert_eq!(signals.read()?, None);
/// # Ok(()) }
/// ```
pub struct Signals {
    fd: OwnedFd,
    /// The signals asked for.
    set: libc::sigset_t,
    /// Those of them that were not blocked before `new`.
    unblock: libc::sigset_t,
    /// The thread whose mask `new` changed.
    thread: libc::pthread_t,
    /// The process's threads at creation, from `/proc/self/stat`.
    threads: Option<usize>,
}

impl Signals {
    /// Blocks `signals` in the calling thread and receives them through an
    /// fd: `pthread_sigmask(SIG_BLOCK, signals)`, then
    /// `signalfd(-1, signals, SFD_NONBLOCK | SFD_CLOEXEC)`.
    ///
    /// Takes [`Signal`](crate::Signal)s (`&[Signal::INT, Signal::TERM]`) or raw numbers
    /// (`&[libc::SIGINT]`). Call it before any other thread exists (see
    /// [above](#create-it-before-any-other-thread)); it also reads the
    /// process's thread count once for
    /// [`threads_at_creation`](Self::threads_at_creation).
    ///
    /// # Errors
    ///
    /// - [`Error::InvalidArgument`]: a number is not a signal, is
    ///   `SIGKILL`/`SIGSTOP` (which cannot be caught or blocked), or is
    ///   reserved by the C library (32 up to `SIGRTMIN - 1`: 32 and 33 with
    ///   glibc).
    /// - [`Error::FileLimit`] (`EMFILE`, `ENFILE`) or [`Error::OutOfMemory`] from
    ///   `signalfd`; the mask is restored first.
    ///
    /// # References
    ///
    /// [`signalfd(2)`](https://man7.org/linux/man-pages/man2/signalfd.2.html),
    /// [`pthread_sigmask(3)`](https://man7.org/linux/man-pages/man3/pthread_sigmask.3.html)
    #[doc(alias = "signalfd")]
    #[doc(alias = "pthread_sigmask")]
    pub fn new<S: Into<c_int> + Copy>(signals: &[S]) -> Result<Signals> {
        let signals: Vec<c_int> = signals.iter().map(|&s| s.into()).collect();
        let mut set = empty_set();
        for &sig in &signals {
            if sig == libc::SIGKILL || sig == libc::SIGSTOP {
                return Err(invalid("SIGKILL and SIGSTOP cannot be caught or blocked"));
            }
            // SAFETY: `set` is an initialised sigset_t.
            if unsafe { libc::sigaddset(&mut set, sig) } != 0 {
                // glibc keeps 32 and 33 (musl 32 to 34) for its threads and
                // starts SIGRTMIN above them; sigaddset refuses those.
                if (32..libc::SIGRTMIN()).contains(&sig) {
                    return Err(invalid(
                        "reserved by the C library (the signals from 32 below SIGRTMIN)",
                    ));
                }
                return Err(invalid("not a valid signal number"));
            }
        }
        let mut old = empty_set();
        // SAFETY: both sets are live and initialised; pthread_sigmask returns
        // an errno instead of setting errno.
        let rc = unsafe { libc::pthread_sigmask(libc::SIG_BLOCK, &set, &mut old) };
        if rc != 0 {
            return Err(Error::from_errno(Op::SignalsNew, -1, rc));
        }
        let mut unblock = empty_set();
        for &sig in &signals {
            // SAFETY: `old` is initialised and `sig` passed sigaddset.
            let was_blocked = unsafe { libc::sigismember(&old, sig) } == 1;
            if !was_blocked {
                // SAFETY: as above, for `unblock`.
                unsafe { libc::sigaddset(&mut unblock, sig) };
            }
        }
        // SAFETY: `set` is a live sigset_t the kernel only reads; -1 asks for
        // a new fd.
        let fd = unsafe { libc::signalfd(-1, &set, libc::SFD_NONBLOCK | libc::SFD_CLOEXEC) };
        if fd < 0 {
            let err = Error::last(Op::SignalsNew, -1);
            unblock_in_this_thread(&unblock);
            return Err(err);
        }
        Ok(Signals {
            // SAFETY: `fd` was just returned by the kernel and nothing else owns it.
            fd: unsafe { OwnedFd::from_raw_fd(fd) },
            set,
            unblock,
            // SAFETY: pthread_self has no preconditions.
            thread: unsafe { libc::pthread_self() },
            threads: threads_now(),
        })
    }

    /// How many threads the process had when [`new`](Self::new) ran,
    /// counting the caller: `Some(1)` means no other thread could receive
    /// these signals; more means one that existed then may not block them,
    /// and such a signal sent to the process can kill it instead of
    /// arriving here. `None` where `/proc/self/stat` cannot be read (a
    /// sandbox that hides `/proc`): unknown, never an error.
    ///
    /// The count is taken once, just after the signals are blocked; threads
    /// started later inherit the mask and are safe.
    ///
    /// ```
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use epoll_safe::{Signal, Signals};
    /// let signals = Signals::new(&[Signal::USR1])?;
    /// // This example is a process of its own, with one thread (or no
    /// // readable /proc): nothing else can take the signal.
    /// assert!(matches!(signals.threads_at_creation(), Some(1) | None));
    /// # Ok(()) }
    /// ```
    pub fn threads_at_creation(&self) -> Option<usize> {
        self.threads
    }

    /// The next pending signal and who sent it, or `None` when none is
    /// pending (never blocks): `read(self, &mut signalfd_siginfo, 128)`.
    ///
    /// Standard signals do not queue: several of the same kind sent before a
    /// read are read once.
    ///
    /// # Errors
    ///
    /// [`Error::Os`] only on kernel misbehaviour (the fd is owned): a read
    /// shorter than one `signalfd_siginfo` is an [`Error::Os`] of kind
    /// `UnexpectedEof` (with no errno), never a stale errno.
    ///
    /// # References
    ///
    /// [`signalfd(2)`](https://man7.org/linux/man-pages/man2/signalfd.2.html)
    #[doc(alias = "signalfd_siginfo")]
    pub fn read(&self) -> Result<Option<SignalInfo>> {
        let mut info = MaybeUninit::<libc::signalfd_siginfo>::uninit();
        loop {
            // SAFETY: reads at most one siginfo into memory large enough for it.
            let n = unsafe {
                libc::read(
                    self.fd.as_raw_fd(),
                    info.as_mut_ptr().cast(),
                    size_of::<libc::signalfd_siginfo>(),
                )
            };
            let size = size_of::<libc::signalfd_siginfo>();
            if n == size as isize {
                // SAFETY: the kernel wrote a whole siginfo.
                let info = unsafe { info.assume_init() };
                return Ok(Some(SignalInfo::from_raw(&info)));
            }
            if n >= 0 {
                return Err(Error::Os {
                    op: Op::SignalsRead,
                    source: std::io::Error::new(
                        std::io::ErrorKind::UnexpectedEof,
                        format!(
                            "signalfd returned {n} bytes, not one {size}-byte signalfd_siginfo"
                        ),
                    ),
                });
            }
            let err = std::io::Error::last_os_error();
            match err.raw_os_error() {
                Some(libc::EAGAIN) => return Ok(None),
                Some(libc::EINTR) => {}
                _ => return Err(Error::from_io(Op::SignalsRead, self.fd.as_raw_fd(), err)),
            }
        }
    }

    /// The signals this instance receives, in ascending order (any of
    /// 1..=`SIGRTMAX`, which is 64 on most targets and 127 on MIPS).
    pub fn signals(&self) -> impl Iterator<Item = c_int> + '_ {
        (1..=libc::SIGRTMAX()).filter(move |&sig| {
            // SAFETY: `set` is initialised; out-of-range numbers just return -1.
            unsafe { libc::sigismember(&self.set, sig) == 1 }
        })
    }
}

impl Drop for Signals {
    fn drop(&mut self) {
        // SAFETY: pthread_self has no preconditions.
        let me = unsafe { libc::pthread_self() };
        // SAFETY: pthread_equal only compares two thread ids.
        let same_thread = unsafe { libc::pthread_equal(me, self.thread) } != 0;
        if same_thread {
            // Discard what is pending, or unblocking would run the default
            // action (usually: terminate) for a signal meant for this fd.
            while let Ok(Some(_)) = self.read() {}
            unblock_in_this_thread(&self.unblock);
        }
    }
}

/// One signal read from a [`Signals`]: which one and who sent it (the
/// useful part of `struct signalfd_siginfo`).
#[doc(alias = "signalfd_siginfo")]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct SignalInfo {
    signal: c_int,
    pid: libc::pid_t,
    uid: libc::uid_t,
    code: i32,
}

impl SignalInfo {
    fn from_raw(info: &libc::signalfd_siginfo) -> SignalInfo {
        SignalInfo {
            signal: info.ssi_signo as c_int,
            pid: info.ssi_pid as libc::pid_t,
            uid: info.ssi_uid as libc::uid_t,
            code: info.ssi_code,
        }
    }

    /// The signal number (`ssi_signo`); compare it with a [`Signal`](crate::Signal):
    /// `info.signal() == Signal::INT`.
    pub fn signal(&self) -> c_int {
        self.signal
    }

    /// The process that sent it (`ssi_pid`) (`kill`, `sigqueue`, `tgkill`);
    /// 0 when the kernel sent it (e.g. `SIGINT` from the terminal, where
    /// [`code`](Self::code) is `SI_KERNEL`).
    pub fn pid(&self) -> libc::pid_t {
        self.pid
    }

    /// The real user id of the sender (`ssi_uid`).
    pub fn uid(&self) -> libc::uid_t {
        self.uid
    }

    /// How it was sent (`ssi_code`): `SI_USER` (0, `kill`), `SI_QUEUE`
    /// (`sigqueue`), `SI_TKILL` (`tgkill`), `SI_KERNEL`, or a
    /// signal-specific code (`CLD_EXITED` for `SIGCHLD`, ...).
    pub fn code(&self) -> i32 {
        self.code
    }
}

/// The process's thread count, from `/proc/self/stat`; `None` if unreadable.
fn threads_now() -> Option<usize> {
    thread_count(&std::fs::read_to_string("/proc/self/stat").ok()?)
}

/// Field 20 (`num_threads`) of a `/proc/PID/stat` line. The command name
/// (field 2) is in parentheses and may hold spaces and `)`, so fields are
/// counted from the last `)`, which ends it.
fn thread_count(stat: &str) -> Option<usize> {
    let (_, rest) = stat.rsplit_once(')')?;
    // `rest` starts with field 3 (the state): field 20 is its 18th.
    rest.split_whitespace()
        .nth(17)?
        .parse()
        .ok()
        .filter(|&n| n > 0)
}

fn unblock_in_this_thread(set: &libc::sigset_t) {
    // SAFETY: `set` is initialised; a null old set is allowed.
    unsafe { libc::pthread_sigmask(libc::SIG_UNBLOCK, set, std::ptr::null_mut()) };
}

fn empty_set() -> libc::sigset_t {
    let mut set = MaybeUninit::<libc::sigset_t>::uninit();
    // SAFETY: `set` is valid for writes of one sigset_t.
    unsafe { libc::sigemptyset(set.as_mut_ptr()) };
    // SAFETY: sigemptyset initialised the whole set.
    unsafe { set.assume_init() }
}

fn invalid(reason: &'static str) -> Error {
    Error::InvalidArgument {
        op: Op::SignalsNew,
        reason,
    }
}

impl fmt::Debug for Signals {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Signals")
            .field("fd", &self.fd)
            .field("signals", &self.signals().collect::<Vec<_>>())
            .finish()
    }
}

impl AsFd for Signals {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }
}

impl AsRawFd for Signals {
    fn as_raw_fd(&self) -> RawFd {
        self.fd.as_raw_fd()
    }
}

/// Gives up the fd **and leaves the signals blocked** in the creating
/// thread (the fd is useless otherwise); unblocking them becomes the
/// caller's job.
impl IntoRawFd for Signals {
    fn into_raw_fd(self) -> RawFd {
        let this = ManuallyDrop::new(self);
        this.fd.as_raw_fd()
        // The OwnedFd inside `this` is never dropped, so the fd stays open;
        // the sigsets are plain data with nothing to free.
    }
}

#[cfg(test)]
mod tests {
    use super::thread_count;

    #[test]
    fn thread_count_is_field_20_counted_from_the_last_parenthesis() {
        let stat = "4242 (a) b (c)) S 1 4242 4242 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 3 0 99 \
                    1000 200 18446744073709551615";
        assert_eq!(thread_count(stat), Some(3));
    }

    #[test]
    fn an_unreadable_stat_line_is_unknown_not_an_error() {
        assert_eq!(thread_count(""), None);
        assert_eq!(thread_count("1 (x) S 1 2"), None);
        assert_eq!(
            thread_count("1 (x) S 1 1 1 0 -1 0 0 0 0 0 0 0 0 0 20 0 many"),
            None
        );
        assert_eq!(
            thread_count("1 (x) S 1 1 1 0 -1 0 0 0 0 0 0 0 0 0 20 0 0 0"),
            None
        );
    }
}
