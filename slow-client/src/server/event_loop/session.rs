//! A connection's socket side: the stream, its registration and its heap entries
//! around the pure [`Conn`], and the three I/O steps the loop runs for it (read,
//! flush, sync). All HTTP decisions are the conn's; this file only moves bytes and
//! maps what the conn wants onto epoll.

use std::io::{self, Write as _};
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::os::fd::AsFd;
use std::time::{Instant, SystemTime};

use epoll_safe::{Interest, Token};

use super::key::Key;
use super::EventLoop;
use crate::os;
use crate::server::arrival;
use crate::server::conn::{Conn, Flow, Wants};
use crate::server::deadline::Entries;

/// An accepted connection: its socket and its HTTP state.
#[derive(Debug)]
pub(crate) struct Session {
    pub(super) stream: TcpStream,
    pub(super) peer: Option<SocketAddr>,
    pub(super) conn: Conn,
    /// Its entries in the deadline heap.
    pub(super) scheduled: Entries,
    /// The epoll registration in force.
    pub(super) interest: Interest,
    /// `TCP_NODELAY` is on (set once, when the conn first wants it: a drip).
    pub(super) nodelay: bool,
}

/// The registration for what a connection wants. Wanting neither (the pipeline
/// bound with nothing to write, or the peer's FIN read) registers `EPOLLPRI`, which
/// TCP raises only for urgent data, which no client here sends: only an error or a
/// hangup (always reported: a reset) wakes it then. Not `EPOLLRDHUP`: a FIN behind
/// unread requests is no reason to stop (they are read, and answered, once there is
/// room), and level-triggered it would wake the loop until then.
pub(super) fn interest(wants: Wants) -> Interest {
    match (wants.read, wants.write) {
        (true, false) => Interest::READABLE,
        (true, true) => Interest::READABLE.add(Interest::WRITABLE),
        (false, true) => Interest::WRITABLE,
        (false, false) => Interest::PRIORITY,
    }
}

/// Errors that mean "try again later", not "the peer is gone".
fn is_transient(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::WouldBlock | io::ErrorKind::Interrupted
    )
}

impl EventLoop<'_> {
    /// One read (level-triggered readiness re-reports the rest), stamped with its
    /// arrival; returns what follows and whether the read found anything (data or
    /// the peer's close).
    pub(super) fn read(&mut self, key: u64) -> (Flow, bool) {
        let now = self.now;
        let (sessions, scratch, mut cx) = self.cx(now);
        let Some(session) = sessions.get_mut(key) else {
            return (Flow::Continue, false);
        };
        let (n, stamp) = match os::recv_timestamped(session.stream.as_fd(), scratch) {
            Ok((0, _)) => return (session.conn.peer_closed(&mut cx), true),
            Ok(read) => read,
            Err(e) if is_transient(&e) => return (Flow::Continue, false),
            Err(_) => return (Flow::Close, true),
        };
        // Both clocks as one pair, wall first, nothing in between (see `arrival`).
        let (wall, mono) = arrival::clock_pair(SystemTime::now, Instant::now);
        let arrived = arrival::arrival(stamp, wall, mono);
        session.conn.received(&scratch[..n], arrived, &mut cx);
        (Flow::Continue, true)
    }

    /// Writes what is due (one write for everything due, when the socket takes it),
    /// then does what the conn says follows; closes the session or brings its
    /// registration and timer up to date.
    pub(super) fn progress(&mut self, key: u64, now: Instant) {
        match self.flush_now(key, now) {
            Flow::Close => self.close(key),
            Flow::Reset => self.reset(key),
            Flow::Continue | Flow::ShutdownWrite => self.sync(key),
        }
    }

    /// Flushes, and shuts the write side down when the conn asks to; returns what
    /// the conn said.
    pub(super) fn flush_now(&mut self, key: u64, now: Instant) -> Flow {
        let flow = self.flush(key, now);
        if flow == Flow::ShutdownWrite {
            if let Some(session) = self.sessions.get(key) {
                // FIN tells the client the response is complete while we keep reading.
                let _ = session.stream.shutdown(Shutdown::Write);
            }
        }
        flow
    }

    fn flush(&mut self, key: u64, now: Instant) -> Flow {
        let (sessions, _, mut cx) = self.cx(now);
        let Some(session) = sessions.get_mut(key) else {
            return Flow::Continue;
        };
        if !session.nodelay && session.conn.wants().nodelay {
            // Each drip byte its own segment: Nagle would hold a byte until the client
            // acknowledged the one before. Set once, on a connection that asked for a
            // drip, so no other connection pays the system call.
            session.nodelay = true;
            let _ = session.stream.set_nodelay(true);
        }
        loop {
            let ready = session.conn.transmit(&mut cx);
            if ready.is_empty() {
                break;
            }
            match (&session.stream).write(ready) {
                Ok(0) => return Flow::Close,
                Ok(n) => session.conn.wrote(n, &mut cx),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    session.conn.write_blocked(now);
                    break;
                }
                // EPIPE, ECONNRESET: a peer that closed both ways, found on the write.
                Err(_) => return Flow::Close,
            }
        }
        let flow = session.conn.flushed(&mut cx);
        let peer = session.peer;
        self.log_written(peer);
        flow
    }

    /// Registers what the session needs now and schedules its next deadline.
    pub(super) fn sync(&mut self, key: u64) {
        let Some(session) = self.sessions.get_mut(key) else {
            return;
        };
        let wanted = interest(session.conn.wants());
        if wanted != session.interest {
            if self
                .epoll
                .modify(&session.stream, Token(Key::Conn(key).raw()), wanted)
                .is_err()
            {
                return self.close(key);
            }
            session.interest = wanted;
        }
        if let Some(next) = session.conn.next_deadline(&self.policy) {
            if session.scheduled.wants(next) {
                session.scheduled.add(next);
                self.deadlines.push(next, Key::Conn(key).raw());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wants_map_onto_the_registration() {
        let wants = |read, write| Wants {
            read,
            write,
            nodelay: false,
        };
        assert_eq!(interest(wants(true, false)), Interest::READABLE);
        assert_eq!(
            interest(wants(true, true)),
            Interest::READABLE.add(Interest::WRITABLE)
        );
        assert_eq!(interest(wants(false, true)), Interest::WRITABLE);
        // The pipeline bound or after the FIN, nothing to write: only a reset wakes it.
        assert_eq!(interest(wants(false, false)), Interest::PRIORITY);
    }
}
