//! Accepting: new connections in (or a 503 at the cap), their first read, and the
//! pause while the process is out of descriptors.

use std::io::{self, Write};
use std::net::TcpStream;
use std::time::Instant;

use epoll_safe::{Interest, Token};
use socket2::SockRef;

use super::{EventLoop, ACCEPT_BATCH, LISTENER, RESUME, RETRY_ACCEPT};
use crate::server::response::{effective_framing, Body, Reply, Status};
use crate::server::session::{Flow, Session};
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
        let Some(key) = self
            .sessions
            .insert(Session::new(stream, peer, self.now, outbox))
        else {
            self.stats.dropped += 1;
            return;
        };
        let eager = self.eager.now();
        let (sessions, scratch, mut cx) = self.cx(self.now);
        let Some(session) = sessions.get_mut(key) else {
            return;
        };
        if eager {
            let (flow, found) = session.read_found(scratch, &mut cx);
            self.eager.found(found);
            let (sessions, _, mut cx) = self.cx(self.now);
            let Some(session) = sessions.get_mut(key) else {
                return;
            };
            if flow == Flow::Close || session.advance(&mut cx) == Flow::Close {
                return self.close(key); // answered (or gone) before it was ever registered
            }
        }
        let Some(session) = self.sessions.get_mut(key) else {
            return;
        };
        let interest = session.wanted_interest();
        if self
            .epoll
            .add(&session.stream, Token(key), interest)
            .is_ok()
        {
            session.interest = interest;
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
        self.deadlines.push(Instant::now() + RETRY_ACCEPT, RESUME);
        Ok(())
    }

    /// Puts the listeners back; if that fails (the kernel is short of memory too), the
    /// next retry is scheduled instead.
    pub(super) fn resume(&mut self) {
        for (index, listener) in self.listeners.iter().enumerate() {
            let token = Token(LISTENER | index as u64);
            match self.epoll.add(listener, token, Interest::READABLE) {
                Ok(()) | Err(epoll_safe::Error::AlreadyRegistered { .. }) => {}
                Err(_) => {
                    self.deadlines.push(Instant::now() + RETRY_ACCEPT, RESUME);
                    return;
                }
            }
        }
        self.paused = false;
    }
}
