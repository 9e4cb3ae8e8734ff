//! One request's exchange on its own connection: connect, send the request,
//! read the response; a small state machine driven by readiness events.
//!
//! ```text
//! Idle --connect--> Connecting --EPOLLOUT--> Connected --send--> Sending --all written--> Receiving --complete--> (closed)
//! ```
//! `Connected` waits for the client's in-order writer (see the
//! [pacer](super::pacer)); `Sending` is left as soon as the socket took the
//! whole request, which on a fresh connection is the first `send(2)`.
//! Every transition that waits re-arms the socket with `EPOLLONESHOT`, as the
//! epoll express example does in chapter 4 of Carl Fredrik Samson's
//! [*Asynchronous Programming in Rust*](https://www.packtpub.com/en-us/product/asynchronous-programming-in-rust-9781805128137)
//! (Packt, 2024): one event per arm, so an exchange is never handled twice for
//! one readiness change. Per-request state is kept small (no request or
//! body bytes are stored; the request is rebuilt into a shared scratch buffer).

use super::error::{ErrorKind, IoPhase, RequestError};
use crate::http::{Progress, Response, ResponseReader};
use epoll_safe::Event;
use socket2::Socket;
use std::io::{self, Read};
use std::time::Instant;

/// Where a connection is.
#[derive(Debug)]
pub(crate) enum Phase {
    /// Not started yet.
    Idle,
    /// Non-blocking connect in progress since `since`; waiting for `EPOLLOUT`.
    Connecting { since: Instant },
    /// Connected; the request is not sent yet (the socket is not armed).
    Connected,
    /// Connected; `written` bytes of the request are out.
    Sending { written: usize },
    /// Request written at `since`; reading the response.
    Receiving { since: Instant },
    /// Reported, socket closed.
    Done,
}

/// What the loop must do after an event was handled.
#[derive(Debug)]
pub(crate) enum Next {
    /// Re-arm for readability.
    WaitReadable,
    /// Re-arm for writability.
    WaitWritable,
    /// The request ended; report it (the socket is already closed).
    Finished(Result<Finished, RequestError>),
}

/// A complete response and how long after the request it came.
#[derive(Debug)]
pub(crate) struct Finished {
    pub response: Response,
    pub since: Instant,
}

/// One request's exchange: its socket, where it is, and its response reader.
#[derive(Debug)]
pub(crate) struct Exchange {
    pub sock: Option<Socket>,
    pub phase: Phase,
    pub reader: ResponseReader,
}

impl Exchange {
    /// The connect completed (or failed): `EPOLLOUT`, possibly with `EPOLLERR`/`EPOLLHUP`.
    pub fn on_connected(&mut self, ev: &Event) -> Option<RequestError> {
        if !(ev.is_error() || ev.is_hangup()) {
            self.phase = Phase::Connected;
            return None;
        }
        let sock = self.sock.as_ref()?;
        let err = match sock.take_error() {
            Ok(Some(e)) | Err(e) => RequestError::from_io(&e, IoPhase::Connect),
            Ok(None) => RequestError::new(
                ErrorKind::ConnectFailed,
                "connect failed: the socket reported an error but no SO_ERROR",
            ),
        };
        Some(err)
    }

    /// Writes as much of `request` as the socket takes (from a `Connected` or `Sending` phase).
    pub fn send(&mut self, request: &[u8]) -> Next {
        if matches!(self.phase, Phase::Connected) {
            self.phase = Phase::Sending { written: 0 };
        }
        let Phase::Sending { written } = &mut self.phase else {
            return Next::WaitReadable;
        };
        let Some(sock) = self.sock.as_ref() else {
            return Next::WaitReadable;
        };
        // `elapsed` runs from the request being fully written. The send that
        // completes it is timed from just *before* the call: the data reaches
        // the server inside the call, and a thread preempted right after it
        // would otherwise stamp late and make a punctual answer look early.
        let since = loop {
            let before = Instant::now();
            match sock.send(&request[*written..]) {
                Ok(n) => {
                    *written += n;
                    if *written >= request.len() {
                        break before;
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Next::WaitWritable,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return self.fail(RequestError::from_io(&e, IoPhase::Write)),
            }
        };
        self.phase = Phase::Receiving { since };
        Next::WaitReadable
    }

    /// Reads what the socket has into `buf` and feeds the response reader.
    pub fn receive(&mut self, buf: &mut [u8]) -> Next {
        let Phase::Receiving { since } = self.phase else {
            return Next::WaitReadable;
        };
        loop {
            let Some(sock) = self.sock.as_mut() else {
                return Next::WaitReadable;
            };
            let outcome = match sock.read(buf) {
                Ok(0) => self.reader.finish().map(Progress::Done).map_err(Into::into),
                Ok(n) => match self.reader.feed(&buf[..n]).map_err(Into::into) {
                    // A short read means the socket is drained: re-arm instead of
                    // spending a read(2) that would only say EAGAIN. If more
                    // arrived meanwhile, the oneshot re-arm fires at once.
                    Ok(Progress::NeedMore) if n < buf.len() => return Next::WaitReadable,
                    other => other,
                },
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Next::WaitReadable,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => Err(RequestError::from_io(&e, IoPhase::Read)),
            };
            match outcome {
                Ok(Progress::NeedMore) => continue,
                Ok(Progress::Done(response)) => {
                    self.close();
                    return Next::Finished(Ok(Finished { response, since }));
                }
                Err(e) => {
                    self.close();
                    return Next::Finished(Err(e));
                }
            }
        }
    }

    /// Ends the request with an error and closes the socket.
    pub fn fail(&mut self, err: RequestError) -> Next {
        self.close();
        Next::Finished(Err(err))
    }

    /// Closes the socket; closing also removes it from the epoll interest list,
    /// so no `EPOLL_CTL_DEL` is spent.
    pub fn close(&mut self) {
        self.sock = None;
        self.phase = Phase::Done;
    }
}
