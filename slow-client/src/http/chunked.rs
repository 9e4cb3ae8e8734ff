//! The chunked transfer coding (RFC 9112 §7.1), decoded by counting.
//!
//! Payload bytes are counted and dropped, never stored. The only buffer is
//! for a chunk-size line split across reads, because
//! `httparse::parse_chunk_size` needs the whole line; it is bounded by
//! [`MAX_CHUNK_SIZE_LINE`] and keeps its capacity, so decoding allocates at
//! most once per response.

use httparse::Status;

use super::error::{quote_line, ErrorKind, ResponseError};
use super::ResponseLimits;

/// The longest chunk-size line accepted, extensions and CRLF included.
///
/// Longer lines are [`ErrorKind::BadChunk`]: a size needs at most 16 hex
/// digits, and no extension we could use needs a kilobyte.
pub const MAX_CHUNK_SIZE_LINE: usize = 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Reading a chunk-size line (possibly part of it is in `line`).
    SizeLine,
    /// Inside a chunk's data, `left` bytes to go.
    Data { left: u64 },
    /// After a chunk's data: the `\r` that must follow.
    DataCr,
    /// After a chunk's data: the `\n` that must follow.
    DataLf,
    /// After the last chunk: trailer lines until an empty one. `len` bytes
    /// of the current line came so far, the first being `\r` if `starts_cr`.
    Trailer { len: usize, starts_cr: bool },
    /// The empty line after the trailers came: the body is complete.
    Done,
}

/// Decodes one chunked body.
#[derive(Debug)]
pub(crate) struct ChunkedDecoder {
    state: State,
    line: Vec<u8>,
    trailer_bytes: usize,
}

impl ChunkedDecoder {
    pub(crate) fn new() -> Self {
        ChunkedDecoder {
            state: State::SizeLine,
            line: Vec::new(),
            trailer_bytes: 0,
        }
    }

    /// Takes body bytes, adding payload bytes to `body`. Returns whether the
    /// body is complete; bytes after its end are ignored.
    pub(crate) fn feed(
        &mut self,
        input: &[u8],
        body: &mut u64,
        limits: &ResponseLimits,
    ) -> Result<bool, ResponseError> {
        self.feed_used(input, body, limits).map(|(done, _)| done)
    }

    /// [`ChunkedDecoder::feed`], also returning how many bytes of `input` the body
    /// took (the rest follows it: the server reads a request body this way).
    pub(crate) fn feed_used(
        &mut self,
        input: &[u8],
        body: &mut u64,
        limits: &ResponseLimits,
    ) -> Result<(bool, usize), ResponseError> {
        let mut pos = 0;
        while pos < input.len() && self.state != State::Done {
            let rest = &input[pos..];
            pos += match self.state {
                State::SizeLine => self.size_line(rest, *body, limits)?,
                State::Data { left } => {
                    // usize -> u64 never truncates on the 64- and 32-bit targets we build for.
                    let n = left.min(rest.len() as u64);
                    *body += n;
                    self.state = if n == left {
                        State::DataCr
                    } else {
                        State::Data { left: left - n }
                    };
                    n as usize
                }
                State::DataCr | State::DataLf => {
                    let (want, next) = match self.state {
                        State::DataCr => (b'\r', State::DataLf),
                        _ => (b'\n', State::SizeLine),
                    };
                    if rest[0] != want {
                        // Quote only the byte in question: what follows it
                        // depends on how the input was split.
                        let message = format!(
                            "chunk data not followed by CRLF: found '{}'",
                            rest[0].escape_ascii()
                        );
                        return Err(ResponseError::new(ErrorKind::BadChunk, message));
                    }
                    self.state = next;
                    1
                }
                State::Trailer { len, starts_cr } => self.trailer(rest, len, starts_cr, limits)?,
                State::Done => 0,
            };
        }
        Ok((self.state == State::Done, pos))
    }

    /// The error for a connection that closed before the body was complete.
    pub(crate) fn closed_error(&self, body: u64) -> ResponseError {
        let kind = ErrorKind::TruncatedBody;
        let message = match self.state {
            State::SizeLine if !self.line.is_empty() => {
                if let Err(err) = check_size_line(&self.line) {
                    return err;
                }
                format!("chunked body ended inside a chunk-size line, after {body} body bytes")
            }
            State::SizeLine => format!("chunked body ended before its last chunk, after {body} body bytes"),
            State::Data { left } => format!("chunked body ended {left} bytes short of the end of a chunk, after {body} body bytes"),
            State::DataCr | State::DataLf => format!("chunked body ended before the CRLF after a chunk, after {body} body bytes"),
            State::Trailer { .. } => format!("chunked body ended in its trailer section, after all {body} body bytes"),
            // Not reached: a complete body ends the read before any close.
            State::Done => format!("chunked body was complete, after {body} body bytes"),
        };
        ResponseError::new(kind, message)
    }

    fn size_line(
        &mut self,
        rest: &[u8],
        body: u64,
        limits: &ResponseLimits,
    ) -> Result<usize, ResponseError> {
        let lf = rest.iter().position(|&b| b == b'\n');
        let seg = lf.map_or(rest.len(), |i| i + 1);
        if self.line.len() + seg > MAX_CHUNK_SIZE_LINE {
            let message = format!("chunk-size line longer than {MAX_CHUNK_SIZE_LINE} bytes");
            return Err(ResponseError::new(ErrorKind::BadChunk, message));
        }
        if lf.is_none() {
            self.line.extend_from_slice(rest);
            return Ok(seg);
        }
        // The common case, a whole line in one read, is parsed in place.
        let size = if self.line.is_empty() {
            parse_size_line(&rest[..seg])
        } else {
            self.line.extend_from_slice(&rest[..seg]);
            let size = parse_size_line(&self.line);
            self.line.clear();
            size
        }?;
        self.state = match body.checked_add(size) {
            _ if size == 0 => State::Trailer {
                len: 0,
                starts_cr: false,
            },
            Some(total) if total <= limits.max_body => State::Data { left: size },
            _ => {
                let max = limits.max_body;
                let message = format!(
                    "a chunk of {size} bytes after {body} takes the body over the {max}-byte limit"
                );
                return Err(ResponseError::new(ErrorKind::BodyTooLarge, message));
            }
        };
        Ok(seg)
    }

    /// Trailer fields are counted against `max_head` and skipped unparsed:
    /// nothing here has a use for them.
    fn trailer(
        &mut self,
        rest: &[u8],
        len: usize,
        starts_cr: bool,
        limits: &ResponseLimits,
    ) -> Result<usize, ResponseError> {
        let lf = rest.iter().position(|&b| b == b'\n');
        let seg = lf.map_or(rest.len(), |i| i + 1);
        self.trailer_bytes += seg;
        if self.trailer_bytes > limits.max_head {
            let message = format!("trailer section exceeds {} bytes", limits.max_head);
            return Err(ResponseError::new(ErrorKind::BadChunk, message));
        }
        let starts_cr = if len == 0 {
            rest[0] == b'\r'
        } else {
            starts_cr
        };
        self.state = match lf {
            Some(i) if len + i == 0 || (len + i == 1 && starts_cr) => State::Done,
            Some(_) => State::Trailer {
                len: 0,
                starts_cr: false,
            },
            None => State::Trailer {
                len: len + seg,
                starts_cr,
            },
        };
        Ok(seg)
    }
}

/// Parses a whole chunk-size line, `\n` included.
fn parse_size_line(line: &[u8]) -> Result<u64, ResponseError> {
    check_size_line(line)?;
    match httparse::parse_chunk_size(line) {
        Ok(Status::Complete((_, size))) => Ok(size),
        _ => Err(bad_size_line("chunk-size line not ended by CRLF", line)),
    }
}

/// Whether a (possibly partial) chunk-size line is already invalid.
fn check_size_line(line: &[u8]) -> Result<(), ResponseError> {
    // httparse reads an empty line as size 0; a size needs a digit.
    if !line.first().is_some_and(u8::is_ascii_hexdigit) || httparse::parse_chunk_size(line).is_err()
    {
        return Err(bad_size_line("invalid chunk-size line", line));
    }
    Ok(())
}

fn bad_size_line(what: &str, line: &[u8]) -> ResponseError {
    ResponseError::new(ErrorKind::BadChunk, format!("{what}: {}", quote_line(line)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode(input: &[u8]) -> (Result<bool, ErrorKind>, u64) {
        let mut body = 0;
        let done = ChunkedDecoder::new().feed(input, &mut body, &ResponseLimits::default());
        (done.map_err(|e| e.kind), body)
    }

    #[test]
    fn the_bytes_a_body_takes_end_where_it_ends_however_it_is_split() {
        let body = b"3\r\nabc\r\n0\r\nX-T: 1\r\n\r\n";
        let mut next = body.to_vec();
        next.extend_from_slice(b"GET / HTTP/1.1");
        for cut in 0..body.len() {
            let mut decoder = ChunkedDecoder::new();
            let mut payload = 0;
            let limits = ResponseLimits::default();
            let (done, first) = decoder
                .feed_used(&next[..cut], &mut payload, &limits)
                .unwrap();
            assert!(!done, "{cut}");
            assert_eq!(first, cut, "a partial body takes all it is given");
            let (done, rest) = decoder
                .feed_used(&next[cut..], &mut payload, &limits)
                .unwrap();
            assert!(done, "{cut}");
            assert_eq!((cut + rest, payload), (body.len(), 3), "{cut}");
        }
    }

    #[test]
    fn sizes_are_hex_with_optional_extensions() {
        assert_eq!(
            decode(b"A\r\n0123456789\r\n1f;name=\"v\"\r\n"),
            (Ok(false), 10)
        );
        assert_eq!(decode(b"3;x\r\nabc\r\n0\r\n\r\n"), (Ok(true), 3));
    }

    #[test]
    fn an_empty_or_signed_size_line_is_a_bad_chunk() {
        for bad in [
            &b"\r\n"[..],
            b"-1\r\n",
            b" 5\r\n",
            b"5 5\r\n",
            b"g\r\n",
            b"5\n",
            b"5;x\n",
        ] {
            assert_eq!(
                decode(bad).0,
                Err(ErrorKind::BadChunk),
                "{:?}",
                String::from_utf8_lossy(bad)
            );
        }
    }

    #[test]
    fn the_size_line_cap_counts_the_crlf() {
        let mut line = vec![b'1'];
        line.push(b';');
        line.resize(MAX_CHUNK_SIZE_LINE - 2, b'x');
        line.extend_from_slice(b"\r\n");
        assert_eq!(decode(&line), (Ok(false), 0));
        line.insert(2, b'x');
        assert_eq!(decode(&line).0, Err(ErrorKind::BadChunk));
    }

    #[test]
    fn trailers_end_at_the_first_empty_line() {
        assert_eq!(decode(b"0\r\nA: b\r\nC: d\r\n\r\n"), (Ok(true), 0));
        assert_eq!(decode(b"0\r\nA: b\r\n"), (Ok(false), 0));
        assert_eq!(decode(b"0\r\n\n"), (Ok(true), 0));
    }

    #[test]
    fn closing_reports_where_the_body_stopped() {
        let closed = |input: &[u8]| {
            let mut d = ChunkedDecoder::new();
            let mut body = 0;
            d.feed(input, &mut body, &ResponseLimits::default())
                .unwrap();
            d.closed_error(body)
        };
        assert_eq!(closed(b"").kind, ErrorKind::TruncatedBody);
        assert_eq!(
            closed(b"5\r\nab").message,
            "chunked body ended 3 bytes short of the end of a chunk, after 2 body bytes"
        );
        assert_eq!(closed(b"2\r\nab").kind, ErrorKind::TruncatedBody);
        assert_eq!(closed(b"zz").kind, ErrorKind::BadChunk);
    }
}
