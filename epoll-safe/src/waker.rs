//! [`Waker`]: wake a blocked [`Epoll::wait`] from another thread (eventfd).

use std::os::fd::{AsFd, AsRawFd, BorrowedFd, FromRawFd, IntoRawFd, OwnedFd, RawFd};

use crate::{Epoll, Error, Interest, Op, Result, Token};

/// Wakes a thread blocked in [`Epoll::wait`]: the wait returns an event
/// with the waker's token.
///
/// An `eventfd` registered edge-triggered: every [`wake`](Self::wake) is a
/// new edge, so the waiting side never has to read ("drain") it, and a wake
/// before the wait is not lost. `Waker` is `Send + Sync`; share it with an
/// `Arc`. Dropping it closes the eventfd, which also removes it from the
/// epoll instance. After `fork` the child shares the eventfd: a wake in
/// either process wakes the instance (which is shared too).
///
/// ```
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use epoll_safe::{Epoll, Events, Token, Waker};
/// use std::sync::Arc;
///
/// let epoll = Epoll::new()?;
/// let waker = Arc::new(Waker::new(&epoll, Token(9))?);
/// let w = Arc::clone(&waker);
/// let t = std::thread::spawn(move || w.wake());
///
/// let mut events = Events::default();
/// epoll.wait(&mut events, None)?; // returns once the other thread wakes it
/// assert_eq!(events.iter().next().unwrap().token(), Token(9));
/// t.join().unwrap()?;
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct Waker {
    fd: OwnedFd,
}

impl Waker {
    /// A waker registered with `epoll` under `token`:
    /// `eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)`, then
    /// `epoll_ctl(epoll, EPOLL_CTL_ADD, fd, {EPOLLIN | EPOLLET, token})`.
    ///
    /// # Errors
    ///
    /// [`Error::FileLimit`] (`EMFILE`, `ENFILE`) or [`Error::OutOfMemory`] from
    /// `eventfd`; any error of [`Epoll::add`] from the registration.
    ///
    /// # References
    ///
    /// [`eventfd(2)`](https://man7.org/linux/man-pages/man2/eventfd.2.html)
    #[doc(alias = "eventfd")]
    pub fn new(epoll: &Epoll, token: Token) -> Result<Waker> {
        // SAFETY: eventfd takes no pointers; the flags are valid.
        let fd = unsafe { libc::eventfd(0, libc::EFD_CLOEXEC | libc::EFD_NONBLOCK) };
        if fd < 0 {
            return Err(Error::last(Op::WakerNew, -1));
        }
        // SAFETY: `fd` was just returned by the kernel and nothing else owns it.
        let fd = unsafe { OwnedFd::from_raw_fd(fd) };
        epoll.add(&fd, token, Interest::READABLE.edge())?;
        Ok(Waker { fd })
    }

    /// Wakes the thread waiting on the epoll instance (or the next one to
    /// wait): `write(eventfd, 1)`.
    ///
    /// The counter never needs draining: should it ever saturate (after
    /// 2^64 - 2 wakes), it is reset with a `read` and the write retried.
    ///
    /// # Errors
    ///
    /// [`Error::Os`] only if the kernel refuses the write for a reason other
    /// than a full counter (not expected).
    ///
    /// # References
    ///
    /// [`eventfd(2)`](https://man7.org/linux/man-pages/man2/eventfd.2.html)
    #[doc(alias = "eventfd_write")]
    pub fn wake(&self) -> Result<()> {
        let one: u64 = 1;
        loop {
            // SAFETY: writes 8 bytes from a live u64 to an fd we own.
            let n = unsafe {
                libc::write(
                    self.fd.as_raw_fd(),
                    (&one as *const u64).cast(),
                    size_of::<u64>(),
                )
            };
            if n >= 0 {
                return Ok(());
            }
            let err = std::io::Error::last_os_error();
            match err.raw_os_error() {
                Some(libc::EAGAIN) => self.reset(),
                Some(libc::EINTR) => {}
                _ => return Err(Error::from_io(Op::Wake, self.fd.as_raw_fd(), err)),
            }
        }
    }

    /// Zeroes the counter so the next write succeeds; a failed read just
    /// means another thread reset it first.
    fn reset(&self) {
        let mut count: u64 = 0;
        // SAFETY: reads at most 8 bytes into a live u64 from an fd we own.
        let _ = unsafe {
            libc::read(
                self.fd.as_raw_fd(),
                (&mut count as *mut u64).cast(),
                size_of::<u64>(),
            )
        };
    }
}

impl AsFd for Waker {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }
}

impl AsRawFd for Waker {
    fn as_raw_fd(&self) -> RawFd {
        self.fd.as_raw_fd()
    }
}

/// Gives up the eventfd; it stays registered with the epoll instance.
impl IntoRawFd for Waker {
    fn into_raw_fd(self) -> RawFd {
        self.fd.into_raw_fd()
    }
}
