//! The program of "Epoll - the express version", in chapter 4 ("Create Your
//! Own Event Queue") of *Asynchronous Programming in Rust* (Carl Fredrik Samson, Packt 2024; its code:
//! <https://github.com/PacktPublishing/Asynchronous-Programming-in-Rust>),
//! written against `epoll-sys` alone (plus std). "The book" below is that chapter.
//!
//! Five requests go out at once; request `i` (1..=5) asks a delay server to
//! wait `(5 - i)` steps before answering. One `epoll` instance watches all
//! five sockets, so the answers arrive shortest delay first: 5, 4, 3, 2, 1.
//!
//! The slow server the book used is gone, so this example starts its own
//! on 127.0.0.1 (a thread per connection, plain std: the point here is the
//! client's raw epoll calls, not the server).
//!
//! ```text
//! cargo run -p epoll-sys --example express                  # 1000 ms steps, ~4 s
//! cargo run -p epoll-sys --example express -- --step-ms 100  # ~0.4 s
//! ```

use epoll_sys::{
    epoll_create1, epoll_ctl, epoll_event, epoll_wait, EPOLLIN, EPOLLONESHOT, EPOLL_CLOEXEC,
    EPOLL_CTL_ADD, EPOLL_CTL_MOD,
};
use std::ffi::c_int;
use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::process::ExitCode;
use std::thread;
use std::time::{Duration, Instant};

const REQUESTS: u64 = 5;
/// The book's event buffer: room for 10 events per `epoll_wait`.
const MAX_EVENTS: usize = 10;
/// The server refuses longer delays, so a typo cannot park a thread for hours.
const MAX_DELAY_MS: u64 = 60_000;
const USAGE: &str = "usage: express [--step-ms MS]   (default 1000; request i waits (5-i)*MS)";

fn main() -> ExitCode {
    let step_ms = match parse_args(std::env::args().skip(1)) {
        Ok(Some(ms)) => ms,
        Ok(None) => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(msg) => {
            eprintln!("error: {msg}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    match run(step_ms) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

/// `Ok(None)` asks for help; `Ok(Some(step))` runs.
fn parse_args(mut args: impl Iterator<Item = String>) -> Result<Option<u64>, String> {
    let mut step_ms: u64 = 1000;
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "-h" | "--help" => return Ok(None),
            "--step-ms" => {
                let value = args.next().ok_or("--step-ms needs a value")?;
                step_ms = value
                    .parse()
                    .map_err(|_| format!("--step-ms: not a number of milliseconds: {value}"))?;
                if step_ms.saturating_mul(REQUESTS - 1) > MAX_DELAY_MS {
                    return Err(format!(
                        "--step-ms: at most {}",
                        MAX_DELAY_MS / (REQUESTS - 1)
                    ));
                }
            }
            other => return Err(format!("unexpected argument: {other}")),
        }
    }
    Ok(Some(step_ms))
}

/// One request in flight.
struct Request {
    id: u64,
    delay_ms: u64,
    stream: TcpStream,
    sent: Instant,
    response: Vec<u8>,
}

fn run(step_ms: u64) -> io::Result<()> {
    let server = spawn_delay_server(REQUESTS as usize)?;
    let epoll = create_epoll()?;

    let mut requests = Vec::new();
    for id in 1..=REQUESTS {
        let delay_ms = (REQUESTS - id) * step_ms;
        let mut stream = TcpStream::connect(server)?;
        let request = format!(
            "GET /delay/{delay_ms}/url/http://www.google.com HTTP/1.1\r\n\
             Host: {server}\r\n\
             Connection: close\r\n\r\n"
        );
        stream.write_all(request.as_bytes())?;
        // Non-blocking from here on: an event means "some bytes", not "the
        // whole response", so we read until WouldBlock and never block.
        stream.set_nonblocking(true)?;
        // ONESHOT, as in the book: after one event the fd stays silent until
        // we re-arm it with EPOLL_CTL_MOD.
        ctl(&epoll, EPOLL_CTL_ADD, stream.as_raw_fd(), id)?;
        requests.push(Request {
            id,
            delay_ms,
            stream,
            sent: Instant::now(),
            response: Vec::new(),
        });
    }

    // Every wait is bounded: if the server died we fail instead of hanging.
    let timeout_ms = c_int::try_from((REQUESTS - 1) * step_ms + 10_000).unwrap_or(c_int::MAX);
    let mut events: Vec<epoll_event> = Vec::with_capacity(MAX_EVENTS);
    let mut finished = 0;
    while finished < requests.len() {
        wait(&epoll, &mut events, timeout_ms)?;
        if events.is_empty() {
            return Err(io::Error::new(io::ErrorKind::TimedOut, "no event in time"));
        }
        for ev in &events {
            // Copy the field out: `ev` may be packed, a reference would be UB.
            let id = { ev.data };
            let request = requests
                .iter_mut()
                .find(|r| r.id == id)
                .ok_or_else(|| io::Error::other(format!("event for unknown id {id}")))?;
            if read_available(request)? {
                report(request);
                finished += 1;
            } else {
                ctl(&epoll, EPOLL_CTL_MOD, request.stream.as_raw_fd(), id)?;
            }
        }
    }
    println!("FINISHED");
    Ok(())
}

/// Reads until `WouldBlock` (more may come: `false`) or end of stream (the
/// server closed, the response is complete: `true`).
fn read_available(request: &mut Request) -> io::Result<bool> {
    let mut buf = [0u8; 4096];
    loop {
        match request.stream.read(&mut buf) {
            Ok(0) => return Ok(true),
            Ok(n) => request.response.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(false),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
}

fn report(request: &Request) {
    let text = String::from_utf8_lossy(&request.response);
    let status = text.lines().next().unwrap_or("(empty response)");
    let body = text
        .split_once("\r\n\r\n")
        .map_or(0, |(_, body)| body.len());
    println!(
        "RECEIVED: id {}, delay {} ms, after {:.1} ms: {status}, {body} body bytes",
        request.id,
        request.delay_ms,
        request.sent.elapsed().as_secs_f64() * 1000.0
    );
}

/// `epoll_create1(EPOLL_CLOEXEC)`, owned so it is closed on every path.
fn create_epoll() -> io::Result<OwnedFd> {
    // SAFETY: epoll_create1 takes no pointers; EPOLL_CLOEXEC is a valid flag.
    let fd = unsafe { epoll_create1(EPOLL_CLOEXEC) };
    if fd < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: `fd` was just returned by epoll_create1: open, and owned by no one else.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

/// `epoll_ctl(epoll, op, fd, {EPOLLIN | EPOLLONESHOT, data: id})`.
fn ctl(epoll: &OwnedFd, op: c_int, fd: RawFd, id: u64) -> io::Result<()> {
    let mut event = epoll_event {
        events: EPOLLIN | EPOLLONESHOT,
        data: id,
    };
    // SAFETY: `event` is a valid epoll_event that outlives the call (the
    // kernel copies it); both fds are open for the duration of the call.
    let rc = unsafe { epoll_ctl(epoll.as_raw_fd(), op, fd, &mut event) };
    if rc < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// `epoll_wait` into `events`' spare capacity, retrying `EINTR`; on return
/// `events` holds exactly the events the kernel wrote (none on timeout).
fn wait(epoll: &OwnedFd, events: &mut Vec<epoll_event>, timeout_ms: c_int) -> io::Result<()> {
    events.clear();
    let max = c_int::try_from(events.capacity()).unwrap_or(c_int::MAX);
    loop {
        // SAFETY: the buffer has room for `max` events, and the kernel writes
        // at most `max`; the epoll fd is open.
        let n = unsafe { epoll_wait(epoll.as_raw_fd(), events.as_mut_ptr(), max, timeout_ms) };
        if n >= 0 {
            // SAFETY: the kernel initialised the first `n` (<= max <= capacity) events.
            unsafe { events.set_len(n as usize) };
            return Ok(());
        }
        let err = io::Error::last_os_error();
        if err.kind() != io::ErrorKind::Interrupted {
            return Err(err);
        }
    }
}

/// A tiny delay server on 127.0.0.1: accepts `connections` connections, then
/// stops listening. Each gets `GET /delay/{ms}[/...]` answered with a 200
/// after `ms` milliseconds, or a 404 for any other request.
fn spawn_delay_server(connections: usize) -> io::Result<SocketAddr> {
    let listener = TcpListener::bind(("127.0.0.1", 0))?;
    let addr = listener.local_addr()?;
    thread::spawn(move || {
        for stream in listener.incoming().take(connections) {
            match stream {
                Ok(stream) => {
                    thread::spawn(move || {
                        if let Err(e) = serve(stream) {
                            eprintln!("delay server: {e}");
                        }
                    });
                }
                Err(e) => eprintln!("delay server: accept: {e}"),
            }
        }
    });
    Ok(addr)
}

fn serve(mut stream: TcpStream) -> io::Result<()> {
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    let head = read_head(&mut stream)?;
    let (status, delay_ms) = match parse_delay(&head) {
        Some(ms) => ("200 OK", ms),
        None => ("404 Not Found", 0),
    };
    thread::sleep(Duration::from_millis(delay_ms));
    let body = format!("waited {delay_ms} ms\n");
    write!(
        stream,
        "HTTP/1.1 {status}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    // Dropping the stream closes it: the client frames the body by EOF.
}

/// Reads up to the blank line ending the request head (at most 8 KiB).
fn read_head(stream: &mut TcpStream) -> io::Result<String> {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        if head.len() >= 8192 || stream.read(&mut byte)? == 0 {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                "request head incomplete or too large",
            ));
        }
        head.push(byte[0]);
    }
    Ok(String::from_utf8_lossy(&head).into_owned())
}

/// The `{ms}` of `GET /delay/{ms}` or `GET /delay/{ms}/...`, if in range.
fn parse_delay(head: &str) -> Option<u64> {
    let mut words = head.lines().next()?.split(' ');
    if words.next()? != "GET" {
        return None;
    }
    let rest = words.next()?.strip_prefix("/delay/")?;
    let ms = rest.split('/').next()?.parse().ok()?;
    (ms <= MAX_DELAY_MS).then_some(ms)
}
