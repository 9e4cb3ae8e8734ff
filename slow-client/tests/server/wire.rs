//! The client side of the wire for these tests: blocking std sockets, responses read
//! whole (to the close) or one at a time on a persistent connection, and parsed with
//! `httparse` (the one response parser of the server's tests).

use std::io::{ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use super::PATIENCE;

#[derive(Debug)]
pub(crate) struct Response {
    pub(crate) status: u16,
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) body: String,
    /// Data chunks seen when the body was chunked.
    pub(crate) chunks: usize,
    /// From the request's last byte written to the connection's end.
    pub(crate) elapsed: Duration,
}

impl Response {
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

pub(crate) fn connect(addr: SocketAddr) -> TcpStream {
    let stream = TcpStream::connect(addr).expect("connect");
    stream.set_read_timeout(Some(PATIENCE)).unwrap();
    stream
}

/// Everything the server sends until it closes (a reset after the data still counts as the end).
pub(crate) fn read_to_close(stream: &mut TcpStream) -> Vec<u8> {
    let mut out = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match stream.read(&mut buf) {
            Ok(0) => return out,
            Ok(n) => out.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) if e.kind() == ErrorKind::WouldBlock || e.kind() == ErrorKind::TimedOut => {
                panic!("server did not close within {PATIENCE:?}; got {out:?}")
            }
            Err(_) => return out,
        }
    }
}

/// One end of a persistent connection: responses are read one at a time, by their framing.
pub(crate) struct Client {
    pub(crate) stream: TcpStream,
    /// Bytes read past the last response.
    pub(crate) buf: Vec<u8>,
}

impl Client {
    pub(crate) fn new(addr: SocketAddr) -> Client {
        Client {
            stream: connect(addr),
            buf: Vec::new(),
        }
    }

    pub(crate) fn send(&mut self, bytes: impl AsRef<[u8]>) {
        self.stream.write_all(bytes.as_ref()).expect("send request");
    }

    /// Reads more bytes; false at the close (or a reset).
    pub(crate) fn fill(&mut self) -> bool {
        let mut chunk = [0u8; 4096];
        loop {
            match self.stream.read(&mut chunk) {
                Ok(0) => return false,
                Ok(n) => {
                    self.buf.extend_from_slice(&chunk[..n]);
                    return true;
                }
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(e) if e.kind() == ErrorKind::WouldBlock || e.kind() == ErrorKind::TimedOut => {
                    panic!(
                        "no response within {PATIENCE:?}; have {:?}",
                        String::from_utf8_lossy(&self.buf)
                    )
                }
                Err(_) => return false,
            }
        }
    }

    /// The next response (its body decoded), `elapsed` counted from `since`;
    /// `head_only` for the answer to a HEAD request.
    pub(crate) fn next(&mut self, since: Instant, head_only: bool) -> Response {
        loop {
            if let Some(len) = response_len(&self.buf, head_only) {
                let raw: Vec<u8> = self.buf.drain(..len).collect();
                return parse_as(&raw, since.elapsed(), head_only);
            }
            if !self.fill() {
                let raw = std::mem::take(&mut self.buf);
                assert!(!raw.is_empty(), "closed before a response");
                return parse(&raw, since.elapsed());
            }
        }
    }

    /// The next response to a GET, timed from `since`.
    pub(crate) fn response(&mut self, since: Instant) -> Response {
        self.next(since, false)
    }

    /// Whether the server closes the connection (without sending anything more) within
    /// [`PATIENCE`].
    pub(crate) fn closes(&mut self) -> bool {
        let before = self.buf.len();
        while self.fill() {}
        self.buf.len() == before
    }
}

/// The length of the complete response at the start of `raw`, if it is complete and
/// its end is known without the close.
pub(crate) fn response_len(raw: &[u8], head_only: bool) -> Option<usize> {
    let mut fields = [httparse::EMPTY_HEADER; 16];
    let mut head = httparse::Response::new(&mut fields);
    let httparse::Status::Complete(len) = head.parse(raw).ok()? else {
        return None;
    };
    let field = |name: &str| {
        head.headers
            .iter()
            .find(|h| h.name.eq_ignore_ascii_case(name))
            .map(|h| String::from_utf8_lossy(h.value).into_owned())
    };
    if head_only || matches!(head.code, Some(100 | 204 | 304)) {
        return Some(len);
    }
    if field("transfer-encoding").as_deref() == Some("chunked") {
        let mut at = len;
        loop {
            let httparse::Status::Complete((n, size)) =
                httparse::parse_chunk_size(&raw[at..]).ok()?
            else {
                return None;
            };
            let end = at + n + usize::try_from(size).ok()? + 2;
            if raw.len() < end {
                return None;
            }
            at = end;
            if size == 0 {
                return Some(at);
            }
        }
    }
    let length: usize = field("content-length")?.parse().ok()?;
    (raw.len() >= len + length).then_some(len + length)
}

pub(crate) fn receive(stream: &mut TcpStream, sent_at: Instant) -> Response {
    let raw = read_to_close(stream);
    parse(&raw, sent_at.elapsed())
}

pub(crate) fn exchange(addr: SocketAddr, request: &[u8]) -> Response {
    let mut stream = connect(addr);
    // The server starts a delay at the request's receive timestamp, which on
    // loopback falls inside `write_all`: start the clock before it, or an
    // answer on time can look a few microseconds early.
    let sent = Instant::now();
    stream.write_all(request).expect("send request");
    receive(&mut stream, sent)
}

pub(crate) fn get(addr: SocketAddr, path: &str) -> Response {
    exchange(
        addr,
        format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n").as_bytes(),
    )
}

/// Parses a whole response and decodes its body by the framing its head announces.
pub(crate) fn parse(raw: &[u8], elapsed: Duration) -> Response {
    parse_as(raw, elapsed, false)
}

/// [`parse`], or only the head for the answer to a HEAD request.
pub(crate) fn parse_as(raw: &[u8], elapsed: Duration, head_only: bool) -> Response {
    let mut fields = [httparse::EMPTY_HEADER; 16];
    let mut head = httparse::Response::new(&mut fields);
    let Ok(httparse::Status::Complete(len)) = head.parse(raw) else {
        panic!(
            "no complete response head in {:?}",
            String::from_utf8_lossy(raw)
        )
    };
    let headers: Vec<(String, String)> = head
        .headers
        .iter()
        .map(|h| {
            (
                h.name.to_owned(),
                String::from_utf8_lossy(h.value).into_owned(),
            )
        })
        .collect();
    let mut response = Response {
        status: head.code.unwrap(),
        headers,
        body: String::new(),
        chunks: 0,
        elapsed,
    };
    let rest = &raw[len..];
    let body = if head_only {
        rest.to_vec()
    } else if response.header("transfer-encoding") == Some("chunked") {
        let (body, chunks) = dechunk(rest);
        response.chunks = chunks;
        body
    } else if let Some(length) = response.header("content-length") {
        let length: usize = length.parse().unwrap();
        assert!(rest.len() >= length, "body shorter than Content-Length");
        rest[..length].to_vec()
    } else {
        rest.to_vec()
    };
    response.body = String::from_utf8(body).unwrap();
    response
}

pub(crate) fn dechunk(mut rest: &[u8]) -> (Vec<u8>, usize) {
    let (mut body, mut chunks) = (Vec::new(), 0);
    loop {
        let Ok(httparse::Status::Complete((n, size))) = httparse::parse_chunk_size(rest) else {
            panic!("bad chunk size line in {:?}", String::from_utf8_lossy(rest))
        };
        let size = usize::try_from(size).unwrap();
        if size == 0 {
            return (body, chunks);
        }
        body.extend_from_slice(&rest[n..n + size]);
        assert_eq!(&rest[n + size..n + size + 2], b"\r\n");
        rest = &rest[n + size + 2..];
        chunks += 1;
    }
}
