//! Accepting: new connections in (or a 503 at the cap), their first read, and the
//! pause while the process is out of descriptors.

use std::io::{self, Write};
use std::net::TcpStream;
use std::time::Instant;

use epoll_safe::{Interest, Token};
use socket2::SockRef;

use super::session::{interest, Session};
use super::{EventLoop, Key, ACCEPT_BATCH, RETRY_ACCEPT};
use crate::server::conn::{Conn, Flow};
use crate::server::deadline::Entries;
use crate::server::response::{effective_framing, Body, Reply, Status};
use crate::server::{ServerError, Verdict};

impl EventLoop<'_> {
    pub(super) fn accept_from(&mut self, index: usize) -> Result<(), ServerError> {
        for _ in 0..ACCEPT_BATCH {
            let Some(listener) = self.listeners.get(index) else {
                return Ok(());
            };
            // accept4 with SOCK_NONBLOCK saves the fcntl/ioctl per connection that
            // std's accept plus set_nonblocking would cost.
            let accepted =
                SockRef::from(listener).accept4(libc::SOCK_CLOEXEC | libc::SOCK_NONBLOCK);
            match accepted {
                Ok((socket, peer)) => self.admit(TcpStream::from(socket), peer.as_socket()),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(()),
                Err(e) => match e.raw_os_error() {
                    Some(libc::EMFILE | libc::ENFILE | libc::ENOBUFS | libc::ENOMEM) => {
                        return self.pause();
                    }
                    // The connection died in the queue (ECONNABORTED), a signal, a
                    // firewall verdict: that one is gone, the next may be fine.
                    Some(libc::ECONNABORTED | libc::EINTR | libc::EPERM | libc::EPROTO) => {}
                    // Unknown: stop for now rather than spin; level triggering retries.
                    _ => return Ok(()),
                },
            }
        }
        Ok(())
    }

    /// Takes a new connection in, or answers 503 when at the cap.
    fn admit(&mut self, stream: TcpStream, peer: Option<std::net::SocketAddr>) {
        self.stats.accepted += 1;
        self.stats.requests += 1;
        if self.sessions.len() >= self.max_connections {
            let body = format!(
                "too many connections (cap {}); try again later\n",
                self.max_connections
            );
            let reply = Reply::new(Status::ServiceUnavailable, Body::Text(&body));
            let mut bytes = Vec::new();
            let framing = effective_framing(self.policy.framing, false);
            reply.encode(framing, self.date.current(), &mut self.staging, &mut bytes);
            // A fresh socket's send buffer is empty: one write takes the whole 503.
            let complete = matches!((&stream).write(&bytes), Ok(n) if n == bytes.len());
            self.stats.count(Some(if complete {
                Verdict::Rejected
            } else {
                Verdict::Dropped
            }));
            return;
        }
        let outbox = self.spare.pop().unwrap_or_default();
        let session = Session {
            stream,
            peer,
            conn: Conn::new(self.now, outbox),
            scheduled: Entries::default(),
            interest: Interest::READABLE,
            nodelay: false,
        };
        let Some(key) = self.sessions.insert(session) else {
            self.stats.dropped += 1;
            return;
        };
        if self.eager.now() {
            let (flow, found) = self.read(key);
            self.eager.found(found);
            if flow == Flow::Close {
                return self.close(key); // gone before it was ever registered
            }
            match self.flush_now(key, self.now) {
                Flow::Close => return self.close(key), // answered, never registered
                Flow::Reset => return self.reset(key),
                Flow::ShutdownWrite | Flow::Continue => {}
            }
        }
        let Some(session) = self.sessions.get_mut(key) else {
            return;
        };
        let wanted = interest(session.conn.wants());
        if self
            .epoll
            .add(&session.stream, Token(Key::Conn(key).raw()), wanted)
            .is_ok()
        {
            session.interest = wanted;
            self.sync(key);
        } else {
            self.close(key);
        }
    }

    /// Takes the listeners out of the epoll set (level-triggered, a pending connection
    /// we cannot accept would wake the loop forever) and schedules a retry.
    pub(super) fn pause(&mut self) -> Result<(), ServerError> {
        for listener in &self.listeners {
            match self.epoll.delete(listener) {
                Ok(()) | Err(epoll_safe::Error::NotRegistered { .. }) => {}
                Err(source) => {
                    return Err(ServerError::EventLoop {
                        context: "pausing accept while out of descriptors",
                        source,
                    })
                }
            }
        }
        self.paused = true;
        self.stats.accept_pauses += 1;
        self.deadlines
            .push(Instant::now() + RETRY_ACCEPT, Key::ResumeAccept.raw());
        Ok(())
    }

    /// Puts the listeners back; if that fails (the kernel is short of memory too), the
    /// next retry is scheduled instead.
    pub(super) fn resume(&mut self) {
        for (index, listener) in self.listeners.iter().enumerate() {
            let token = Token(Key::Listener(index as u32).raw());
            match self.epoll.add(listener, token, Interest::READABLE) {
                Ok(()) | Err(epoll_safe::Error::AlreadyRegistered { .. }) => {}
                Err(_) => {
                    self.deadlines
                        .push(Instant::now() + RETRY_ACCEPT, Key::ResumeAccept.raw());
                    return;
                }
            }
        }
        self.paused = false;
    }
}
