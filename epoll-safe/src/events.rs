//! [`Events`], the reusable buffer `wait` fills, and [`Event`], one entry of it.

use epoll_sys::{epoll_event, EPOLLERR, EPOLLHUP, EPOLLIN, EPOLLOUT, EPOLLPRI, EPOLLRDHUP};
use std::fmt;
use std::mem::MaybeUninit;
use std::num::NonZeroUsize;
use std::slice;

use crate::Token;

/// A buffer of ready events, allocated once and reused by every
/// [`Epoll::wait`](crate::Epoll::wait).
///
/// `wait` hands the kernel the buffer's spare capacity and sets the length
/// to the number of events written: it never grows, so a wait never
/// allocates. A capacity of zero cannot be expressed (`epoll_wait` would
/// reject it with `EINVAL`).
///
/// ```
/// use epoll_safe::Events;
/// use std::num::NonZeroUsize;
/// let events = Events::with_capacity(NonZeroUsize::new(64).unwrap());
/// assert!(events.capacity() >= 64);
/// assert!(events.is_empty());
/// ```
pub struct Events {
    buf: Vec<epoll_event>,
}

impl Events {
    /// A buffer for up to `capacity` events per wait.
    pub fn with_capacity(capacity: NonZeroUsize) -> Events {
        Events {
            buf: Vec::with_capacity(capacity.get()),
        }
    }

    /// How many events one wait can return.
    pub fn capacity(&self) -> usize {
        self.buf.capacity()
    }

    /// How many events the last wait returned.
    pub fn len(&self) -> usize {
        self.buf.len()
    }

    /// Whether the last wait returned no events (it timed out).
    pub fn is_empty(&self) -> bool {
        self.buf.is_empty()
    }

    /// Forgets the events (keeps the allocation).
    pub fn clear(&mut self) {
        self.buf.clear();
    }

    /// Iterates over the events of the last wait.
    pub fn iter(&self) -> Iter<'_> {
        Iter {
            inner: self.buf.iter(),
        }
    }

    /// The whole allocation, for the kernel to fill; empties the buffer first.
    pub(crate) fn spare(&mut self) -> &mut [MaybeUninit<epoll_event>] {
        self.buf.clear();
        self.buf.spare_capacity_mut()
    }

    /// Marks the first `n` entries as written by the kernel.
    ///
    /// # Safety
    ///
    /// The kernel must have initialised the first `n` entries of
    /// [`spare`](Self::spare), and `n <= capacity`.
    pub(crate) unsafe fn set_len(&mut self, n: usize) {
        debug_assert!(n <= self.buf.capacity());
        // SAFETY: the caller guarantees the first `n` entries are initialised
        // and within capacity; `epoll_event` is plain old data.
        unsafe { self.buf.set_len(n) }
    }
}

/// 1024 events, the buffer size most event loops use.
impl Default for Events {
    fn default() -> Events {
        Events::with_capacity(NonZeroUsize::new(1024).expect("1024 is not zero"))
    }
}

impl fmt::Debug for Events {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Events")
            .field("capacity", &self.capacity())
            .field("events", &self.iter().collect::<Vec<_>>())
            .finish()
    }
}

impl<'a> IntoIterator for &'a Events {
    type Item = &'a Event;
    type IntoIter = Iter<'a>;

    fn into_iter(self) -> Iter<'a> {
        self.iter()
    }
}

/// Iterator over the events of the last wait, from [`Events::iter`].
#[derive(Debug, Clone)]
pub struct Iter<'a> {
    inner: slice::Iter<'a, epoll_event>,
}

impl<'a> Iterator for Iter<'a> {
    type Item = &'a Event;

    fn next(&mut self) -> Option<&'a Event> {
        self.inner.next().map(Event::from_raw)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.inner.size_hint()
    }
}

impl ExactSizeIterator for Iter<'_> {}

/// One ready event: the registration's [`Token`] and what happened.
///
/// Every accessor copies the packed kernel struct's fields out by value;
/// nothing takes a reference to a packed field (undefined behaviour on
/// x86_64, where `epoll_event` is packed). `Copy`: keep one past the next
/// wait by value (`let e = *event;`).
#[derive(Clone, Copy)]
#[repr(transparent)]
pub struct Event(epoll_event);

impl Event {
    fn from_raw(raw: &epoll_event) -> &Event {
        // SAFETY: `Event` is `repr(transparent)` over `epoll_event`, so the
        // two have the same layout and alignment; the lifetime is carried over.
        unsafe { &*(raw as *const epoll_event).cast::<Event>() }
    }

    fn bits(&self) -> u32 {
        // Read by value (a copy), never by reference: the struct may be packed.
        self.0.events
    }

    /// The token the fd was registered with.
    pub fn token(&self) -> Token {
        Token(self.0.data)
    }

    /// The `EPOLL*` bits exactly as the kernel reported them.
    pub fn raw_bits(&self) -> u32 {
        self.bits()
    }

    /// A copy of the kernel's `struct epoll_event` that `epoll_wait` wrote
    /// for this event, to show it as the kernel laid it out (12 packed bytes
    /// on x86_64, 16 on most other targets: see
    /// [`epoll_sys::epoll_event`]). A copy, not a reference: its fields may
    /// be unaligned, so read them by value (`{ raw.data }`).
    ///
    /// ```
    /// # fn main() -> epoll_safe::Result<()> {
    /// use epoll_safe::{Epoll, Events, Token, Waker};
    /// let epoll = Epoll::new()?;
    /// let waker = Waker::new(&epoll, Token(7))?;
    /// waker.wake()?;
    /// let mut events = Events::default();
    /// epoll.wait(&mut events, None)?;
    /// let raw = events.iter().next().unwrap().to_raw();
    /// assert_eq!({ raw.data }, 7);
    /// assert_eq!({ raw.events }, epoll_sys::EPOLLIN);
    /// # Ok(()) }
    /// ```
    pub fn to_raw(&self) -> epoll_event {
        self.0
    }

    /// `EPOLLIN`: reading will not block (or a listener can accept).
    pub fn is_readable(&self) -> bool {
        self.bits() & EPOLLIN != 0
    }

    /// `EPOLLOUT`: writing will not block.
    pub fn is_writable(&self) -> bool {
        self.bits() & EPOLLOUT != 0
    }

    /// `EPOLLPRI`: an exceptional condition (e.g. TCP out-of-band data).
    pub fn is_priority(&self) -> bool {
        self.bits() & EPOLLPRI != 0
    }

    /// `EPOLLERR`: an error is pending on the fd (read it with `SO_ERROR`,
    /// or let the next read/write report it). Always reported.
    pub fn is_error(&self) -> bool {
        self.bits() & EPOLLERR != 0
    }

    /// `EPOLLHUP`: hang-up, e.g. both directions of a socket are shut down or
    /// the write end of a pipe is closed. Always reported.
    pub fn is_hangup(&self) -> bool {
        self.bits() & EPOLLHUP != 0
    }

    /// The read half is closed: `EPOLLRDHUP` (needs
    /// [`Interest::READ_CLOSED`](crate::Interest::READ_CLOSED)) or `EPOLLHUP`.
    /// Reads return what is buffered, then end of file.
    pub fn is_read_closed(&self) -> bool {
        self.bits() & (EPOLLRDHUP | EPOLLHUP) != 0
    }

    /// The write half is closed: `EPOLLHUP`, or `EPOLLERR` alone or with
    /// `EPOLLOUT` (e.g. the read end of a pipe was closed).
    pub fn is_write_closed(&self) -> bool {
        let bits = self.bits();
        bits & EPOLLHUP != 0 || (bits & EPOLLOUT != 0 && bits & EPOLLERR != 0) || bits == EPOLLERR
    }
}

/// The token and the names of the bits set, e.g. `Event { token: Token(3), bits: IN | OUT }`.
impl fmt::Debug for Event {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        struct Bits(u32);
        impl fmt::Debug for Bits {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                const NAMES: [(u32, &str); 6] = [
                    (EPOLLIN, "IN"),
                    (EPOLLOUT, "OUT"),
                    (EPOLLPRI, "PRI"),
                    (EPOLLERR, "ERR"),
                    (EPOLLHUP, "HUP"),
                    (EPOLLRDHUP, "RDHUP"),
                ];
                let mut sep = "";
                let mut rest = self.0;
                for (bit, name) in NAMES {
                    if self.0 & bit != 0 {
                        write!(f, "{sep}{name}")?;
                        sep = " | ";
                        rest &= !bit;
                    }
                }
                if rest != 0 || self.0 == 0 {
                    write!(f, "{sep}{rest:#x}")?;
                }
                Ok(())
            }
        }
        f.debug_struct("Event")
            .field("token", &self.token())
            .field("bits", &Bits(self.bits()))
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(events: u32, data: u64) -> epoll_event {
        epoll_event { events, data }
    }

    #[test]
    fn accessors_copy_fields_out_of_the_packed_struct() {
        let raw = ev(EPOLLIN | EPOLLRDHUP, u64::MAX - 3);
        let e = Event::from_raw(&raw);
        assert_eq!(e.token(), Token(u64::MAX - 3));
        assert_eq!(e.raw_bits(), EPOLLIN | EPOLLRDHUP);
        assert!(e.is_readable() && e.is_read_closed());
        assert!(!e.is_writable() && !e.is_write_closed() && !e.is_error());
    }

    #[test]
    fn write_closed_follows_err_and_hup() {
        assert!(Event::from_raw(&ev(EPOLLERR, 0)).is_write_closed());
        assert!(Event::from_raw(&ev(EPOLLOUT | EPOLLERR, 0)).is_write_closed());
        assert!(Event::from_raw(&ev(EPOLLHUP, 0)).is_write_closed());
        assert!(!Event::from_raw(&ev(EPOLLIN | EPOLLERR, 0)).is_write_closed());
    }

    #[test]
    fn events_copy_out_of_the_buffer() {
        let raw = ev(EPOLLOUT, 9);
        let copy: Event = *Event::from_raw(&raw);
        assert_eq!(copy.token(), Token(9));
        assert!(copy.is_writable());
    }

    #[test]
    fn debug_names_the_bits() {
        let raw = ev(EPOLLIN | EPOLLOUT | (1 << 20), 3);
        let s = format!("{:?}", Event::from_raw(&raw));
        assert_eq!(s, "Event { token: Token(3), bits: IN | OUT | 0x100000 }");
    }
}
