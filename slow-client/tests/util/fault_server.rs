//! A deliberately misbehaving HTTP server for fault tests.
//!
//! The client's `--path "/fault/{id}"` tells it which behaviour request `id`
//! gets: the test passes a table of behaviours indexed by id. Threads, not
//! epoll: the point is to be a different, dumber implementation than ours.

use socket2::SockRef;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::Arc;
use std::thread;
use std::time::Duration;

/// What the server does with one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// A correct response with Content-Length.
    Ok,
    /// RST before any byte.
    ResetBeforeAnyByte,
    /// Head and part of the body, then RST.
    ResetDuringBody,
    /// Close cleanly without sending anything.
    CloseBeforeAnyByte,
    /// Something that is not a status line.
    GarbageStatusLine,
    /// One header line of 10 KiB (the client caps a line at 8 KiB).
    HugeHeaderLine,
    /// A head of 80 KiB in 80 headers (the client caps a head at 64 KiB).
    HugeHead,
    /// Content-Length: 100, then 10 bytes and close.
    ShortBody,
    /// A chunk size that is not hex.
    BadChunkSize,
    /// A chunked body that stops before the last chunk.
    ChunkedEndsEarly,
    /// Content-Length: 5000 (the test sets --max-body below that).
    BodyOverCap,
    /// Accept, read the request, never answer (hold the socket open for `HOLD`).
    NeverAnswer,
    /// A correct response written one byte per write.
    Trickle,
    /// HTTP/1.0 with the body delimited by close.
    Http10CloseDelimited,
    /// `100 Continue`, then the real response.
    ContinueThenOk,
}

/// How long `NeverAnswer` holds a connection.
const HOLD: Duration = Duration::from_secs(5);

/// Starts the server on 127.0.0.1:0; it answers request `/fault/{id}` with `faults[id - 1]`.
pub fn start(faults: Vec<Fault>) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr");
    let faults = Arc::new(faults);
    thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(stream) = stream else { continue };
            let faults = Arc::clone(&faults);
            thread::spawn(move || serve(stream, &faults));
        }
    });
    addr
}

fn serve(mut stream: TcpStream, faults: &[Fault]) {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
    let Some(id) = read_id(&mut stream) else {
        return;
    };
    let Some(&fault) = faults.get(id.wrapping_sub(1)) else {
        return;
    };
    let _ = act(&mut stream, fault);
}

/// Reads the request head and returns the id in `/fault/{id}`.
fn read_id(stream: &mut TcpStream) -> Option<usize> {
    let mut head = Vec::new();
    let mut byte = [0u8; 1024];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        let n = stream.read(&mut byte).ok()?;
        if n == 0 {
            return None;
        }
        head.extend_from_slice(&byte[..n]);
    }
    let text = String::from_utf8_lossy(&head);
    let path = text.split_whitespace().nth(1)?;
    path.strip_prefix("/fault/")?.parse().ok()
}

fn reset(stream: &TcpStream) {
    // SO_LINGER with a zero timeout makes close(2) send RST instead of FIN.
    let _ = SockRef::from(stream).set_linger(Some(Duration::ZERO));
}

const OK: &[u8] = b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhello";

fn act(s: &mut TcpStream, fault: Fault) -> std::io::Result<()> {
    match fault {
        Fault::Ok => s.write_all(OK)?,
        Fault::ResetBeforeAnyByte => reset(s),
        Fault::ResetDuringBody => {
            s.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\npartial")?;
            thread::sleep(Duration::from_millis(50));
            reset(s);
        }
        Fault::CloseBeforeAnyByte => {}
        Fault::GarbageStatusLine => s.write_all(b"GARBAGE GARBAGE\r\n\r\n")?,
        Fault::HugeHeaderLine => {
            let line = format!("X-Big: {}\r\n", "a".repeat(10 * 1024));
            s.write_all(format!("HTTP/1.1 200 OK\r\n{line}\r\n").as_bytes())?;
        }
        Fault::HugeHead => {
            s.write_all(b"HTTP/1.1 200 OK\r\n")?;
            for i in 0..80 {
                s.write_all(format!("X-H{i}: {}\r\n", "b".repeat(1000)).as_bytes())?;
            }
            s.write_all(b"Content-Length: 0\r\n\r\n")?;
        }
        Fault::ShortBody => {
            s.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n0123456789")?
        }
        Fault::BadChunkSize => s.write_all(
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n",
        )?,
        Fault::ChunkedEndsEarly => {
            s.write_all(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n")?
        }
        Fault::BodyOverCap => {
            s.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 5000\r\n\r\n")?;
            s.write_all(&[b'x'; 5000])?;
        }
        Fault::NeverAnswer => thread::sleep(HOLD),
        Fault::Trickle => {
            let _ = s.set_nodelay(true);
            for b in OK {
                s.write_all(std::slice::from_ref(b))?;
                thread::sleep(Duration::from_millis(1));
            }
        }
        Fault::Http10CloseDelimited => {
            s.write_all(b"HTTP/1.0 200 OK\r\nServer: old\r\n\r\nold-style body")?
        }
        Fault::ContinueThenOk => {
            s.write_all(b"HTTP/1.1 100 Continue\r\n\r\n")?;
            thread::sleep(Duration::from_millis(20));
            s.write_all(OK)?;
        }
    }
    Ok(())
}
