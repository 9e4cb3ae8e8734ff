//! An edge-triggered TCP echo server on 127.0.0.1, the shape most epoll
//! programs take: one `Epoll`, a listener, a slab of connections named by
//! their `Token`, and `Signals` so Ctrl-C ends the loop cleanly.
//!
//! ```text
//! cargo run -p epoll-safe --example echo_server            # port chosen by the kernel
//! cargo run -p epoll-safe --example echo_server -- 7000    # a given port
//! ```
//!
//! It prints `listening on 127.0.0.1:PORT`, echoes every byte back, and on
//! SIGINT or SIGTERM prints `stopping on SIGINT from pid N` and exits 0.
//!
//! What edge-triggered readiness asks of the program, all below:
//! - read and accept until `WouldBlock`: an edge is reported once;
//! - a write may be partial: keep the rest and finish on the next writable
//!   edge, and read no more while it waits (what is unread stays in the
//!   kernel, which then slows the peer: back-pressure for free);
//! - a hang-up (read returns 0) is not the end while bytes are still owed:
//!   flush them, then close.

use epoll_safe::{Epoll, Events, Interest, Signal, Signals, Token};
use std::io::{self, ErrorKind, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};

const LISTENER: Token = Token(0);
const SIGNALS: Token = Token(1);
/// Connection `i` of the slab is `Token(FIRST_CONN + i)`.
const FIRST_CONN: u64 = 2;

/// One client: its socket and the bytes read but not yet written back.
struct Conn {
    stream: TcpStream,
    owed: Vec<u8>,
    /// The peer finished sending (read returned 0).
    peer_done: bool,
}

/// What a connection needs after being pumped.
enum Next {
    Wait,
    Close,
}

impl Conn {
    /// Moves bytes until both directions would block (or the connection is
    /// over): write what is owed, and read more only once nothing is owed.
    fn pump(&mut self, buf: &mut [u8]) -> io::Result<Next> {
        loop {
            while !self.owed.is_empty() {
                match self.stream.write(&self.owed) {
                    Ok(0) => return Err(ErrorKind::WriteZero.into()),
                    Ok(n) => {
                        self.owed.drain(..n);
                    }
                    // Partial write: the writable edge brings us back.
                    Err(e) if e.kind() == ErrorKind::WouldBlock => return Ok(Next::Wait),
                    Err(e) if e.kind() == ErrorKind::Interrupted => {}
                    Err(e) => return Err(e),
                }
            }
            if self.peer_done {
                let _ = self.stream.shutdown(Shutdown::Write);
                return Ok(Next::Close);
            }
            match self.stream.read(buf) {
                Ok(0) => self.peer_done = true,
                Ok(n) => self.owed.extend_from_slice(&buf[..n]),
                Err(e) if e.kind() == ErrorKind::WouldBlock => return Ok(Next::Wait),
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
    }
}

/// Serves until SIGINT or SIGTERM. `pub` because tests/echo_server.rs
/// compiles this file as a module and runs it.
pub fn main() -> Result<(), Box<dyn std::error::Error>> {
    // First, before any thread exists: the mask is per thread, inherited.
    // A thread that ran before this (a library's, say) does not block the
    // signals, and Ctrl-C delivered to it would kill the process silently.
    let signals = Signals::new(&[Signal::INT, Signal::TERM])?;
    if let Some(n) = signals.threads_at_creation().filter(|&n| n > 1) {
        eprintln!("warning: {n} threads existed before Signals::new: Ctrl-C may kill the server");
    }
    let port: u16 = match std::env::args().nth(1) {
        Some(p) => p.parse()?,
        None => 0,
    };
    let listener = TcpListener::bind(("127.0.0.1", port))?;
    listener.set_nonblocking(true)?;

    let epoll = Epoll::new()?;
    epoll.add(&listener, LISTENER, Interest::READABLE.edge())?;
    epoll.add(&signals, SIGNALS, Interest::READABLE)?;
    println!("listening on {}", listener.local_addr()?);
    io::stdout().flush()?;

    let mut conns: Vec<Option<Conn>> = Vec::new();
    let mut free: Vec<usize> = Vec::new();
    let mut events = Events::default();
    let mut buf = vec![0u8; 16 * 1024];
    loop {
        epoll.wait(&mut events, None)?;
        for event in &events {
            match event.token() {
                LISTENER => loop {
                    let stream = match listener.accept() {
                        Ok((stream, _)) => stream,
                        Err(e) if e.kind() == ErrorKind::WouldBlock => break,
                        // The client gave up before we accepted: next one.
                        Err(e) if e.kind() == ErrorKind::ConnectionAborted => continue,
                        // Out of fds (EMFILE/ENFILE) ends this server. One
                        // that must survive it cannot just `break`: the
                        // listener is edge-triggered, so the connections
                        // still queued are never reported again until a new
                        // one arrives, and the server stalls. It has to
                        // retry later (a Timer) or shed them (accept with a
                        // spare fd and close at once, as nginx does).
                        Err(e) => return Err(e.into()),
                    };
                    stream.set_nonblocking(true)?;
                    let index = free.pop().unwrap_or_else(|| {
                        conns.push(None);
                        conns.len() - 1
                    });
                    let token = Token(FIRST_CONN + index as u64);
                    let interest = (Interest::READABLE | Interest::WRITABLE).edge();
                    epoll.add(&stream, token, interest)?;
                    conns[index] = Some(Conn {
                        stream,
                        owed: Vec::new(),
                        peer_done: false,
                    });
                },
                SIGNALS => {
                    if let Some(info) = signals.read()? {
                        let signal = Signal::from_raw(info.signal());
                        let name = signal.map_or("a signal".into(), |s| s.to_string());
                        println!("stopping on {name} from pid {}", info.pid());
                        return Ok(());
                    }
                }
                Token(t) => {
                    let index = (t - FIRST_CONN) as usize;
                    let Some(conn) = conns.get_mut(index).and_then(Option::as_mut) else {
                        continue; // closed earlier in this batch
                    };
                    match conn.pump(&mut buf) {
                        Ok(Next::Wait) => {}
                        Ok(Next::Close) | Err(_) => {
                            // Dropping the socket closes it, which also
                            // removes it from the epoll instance.
                            conns[index] = None;
                            free.push(index);
                        }
                    }
                }
            }
        }
    }
}
