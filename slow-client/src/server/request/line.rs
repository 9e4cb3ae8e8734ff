//! The request line (RFC 9112 §3), parsed here rather than by `httparse`, so that each
//! way it can be wrong gets its own status: a version this server does not speak is
//! 505, `HTTP/1.x` above 1.1 is served as 1.1 (RFC 9110 §2.5), and a line longer than
//! the head cap is 414 (the URI is what makes it long), not 431.
//!
//! Bytes are judged as they arrive, so junk (a TLS hello, a binary protocol) is refused
//! at its first wrong byte, not after the head cap fills.

/// The protocol version of a request, as this server serves it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Version {
    /// `HTTP/1.0`.
    Http10,
    /// `HTTP/1.1`, or `HTTP/1.x` for a higher minor version.
    Http11,
}

/// A complete request line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct RequestLine<'a> {
    pub(crate) method: &'a str,
    pub(crate) target: &'a str,
    pub(crate) version: Version,
    /// Bytes up to and with the line's end (empty lines before it included).
    pub(crate) len: usize,
}

/// Why the bytes can never be a request line this server takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum LineError {
    /// Not `method SP target SP HTTP/d.d` (400).
    Malformed,
    /// `HTTP/2.0` or above (505).
    Version,
    /// Longer than the head cap (414).
    TooLong,
}

/// Parses the request line at the start of `buf`, after any empty lines (RFC 9112
/// §2.2). `Ok(None)`: not complete yet, and nothing wrong so far.
pub(crate) fn parse_line(buf: &[u8], max: usize) -> Result<Option<RequestLine<'_>>, LineError> {
    let start = buf
        .iter()
        .take_while(|&&b| b == b'\r' || b == b'\n')
        .count();
    let line = &buf[start..];
    let Some(method_end) = scan(line, 0, is_tchar, max)? else {
        return Ok(None);
    };
    let Some(target_end) = scan(line, method_end + 1, is_target_byte, max)? else {
        return Ok(None);
    };
    let version_at = target_end + 1;
    let end = line[version_at..]
        .iter()
        .position(|&b| b == b'\r' || b == b'\n')
        .map(|i| version_at + i);
    let version_text = &line[version_at..end.unwrap_or(line.len())];
    let version = version(version_text)?;
    let Some(end) = end else {
        return if line.len() > max {
            Err(LineError::TooLong)
        } else {
            Ok(None)
        };
    };
    let version = version.ok_or(LineError::Malformed)?;
    let len = match line[end] {
        b'\n' => end + 1,
        _ => match line.get(end + 1) {
            Some(b'\n') => end + 2,
            Some(_) => return Err(LineError::Malformed),
            None => return Ok(None),
        },
    };
    if len > max {
        return Err(LineError::TooLong);
    }
    // Both parts are ASCII by their scans, except the target's obs-text: then UTF-8 or 400.
    let method = std::str::from_utf8(&line[..method_end]).map_err(|_| LineError::Malformed)?;
    let target =
        std::str::from_utf8(&line[method_end + 1..target_end]).map_err(|_| LineError::Malformed)?;
    Ok(Some(RequestLine {
        method,
        target,
        version,
        len: start + len,
    }))
}

/// The end of a non-empty run of `ok` bytes from `from` that a single space ends;
/// `Ok(None)` if the bytes end first (and are within `max`).
fn scan(
    line: &[u8],
    from: usize,
    ok: fn(u8) -> bool,
    max: usize,
) -> Result<Option<usize>, LineError> {
    for (i, &b) in line.iter().enumerate().skip(from) {
        if b == b' ' && i > from {
            return Ok(Some(i));
        }
        if !ok(b) {
            return Err(LineError::Malformed);
        }
    }
    if line.len() > max {
        Err(LineError::TooLong)
    } else {
        Ok(None)
    }
}

/// The version in `text`: `Ok(None)` while it is a proper prefix of `HTTP/d.d`.
fn version(text: &[u8]) -> Result<Option<Version>, LineError> {
    const SHAPE: &[u8] = b"HTTP/d.d";
    if text.len() > SHAPE.len() {
        return Err(LineError::Malformed);
    }
    for (&b, &want) in text.iter().zip(SHAPE) {
        let fits = if want == b'd' {
            b.is_ascii_digit()
        } else {
            b == want
        };
        if !fits {
            return Err(LineError::Malformed);
        }
    }
    match text {
        [.., major, b'.', minor] if text.len() == SHAPE.len() => match (major, minor) {
            (b'1', b'0') => Ok(Some(Version::Http10)),
            (b'1', _) => Ok(Some(Version::Http11)),
            (b'0', _) => Err(LineError::Malformed),
            _ => Err(LineError::Version),
        },
        _ => Ok(None),
    }
}

/// A method's byte: a token character (RFC 9110 §5.6.2).
fn is_tchar(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

/// A request target's byte: visible ASCII, or obs-text as `httparse` allows it.
fn is_target_byte(b: u8) -> bool {
    (b'!'..=b'~').contains(&b) || b >= 0x80
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(text: &str) -> Result<Option<RequestLine<'_>>, LineError> {
        parse_line(text.as_bytes(), 64)
    }

    #[test]
    fn a_line_gives_method_target_version_and_length() {
        let text = "\r\n\nGET /a?b HTTP/1.1\r\nHost: x\r\n\r\n";
        let want = RequestLine {
            method: "GET",
            target: "/a?b",
            version: Version::Http11,
            len: 22,
        };
        assert_eq!(line(text), Ok(Some(want)));
        assert_eq!(&text[want.len..], "Host: x\r\n\r\n");
        let bare_lf = line("OPTIONS * HTTP/1.0\nHost: x\n\n").unwrap().unwrap();
        assert_eq!((bare_lf.target, bare_lf.version), ("*", Version::Http10));
        assert_eq!(bare_lf.len, 19);
    }

    #[test]
    fn higher_minor_versions_are_served_as_1_1_and_2_and_above_are_505() {
        for v in ["1.1", "1.2", "1.9"] {
            let text = format!("GET / HTTP/{v}\r\n");
            assert_eq!(
                line(&text).unwrap().unwrap().version,
                Version::Http11,
                "{v}"
            );
        }
        for v in ["2.0", "3.0", "9.9"] {
            assert_eq!(
                line(&format!("GET / HTTP/{v}\r\n")),
                Err(LineError::Version),
                "{v}"
            );
        }
        assert_eq!(
            line("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"),
            Err(LineError::Version)
        );
    }

    #[test]
    fn every_proper_prefix_is_incomplete_and_every_wrong_byte_is_malformed() {
        let text = "POST /delay/1/url/x HTTP/1.1\r\n";
        for end in 0..text.len() {
            assert_eq!(line(&text[..end]), Ok(None), "{end}");
        }
        for junk in [
            "\x16\x03\x01\x02\0",
            "GET  / HTTP/1.1\r\n",
            " GET / HTTP/1.1\r\n",
            "GET / HTTP/1.1 \r\n",
            "GET /\x01 HTTP/1.1\r\n",
            "G(T / HTTP/1.1\r\n",
            "GET / HTTP/0.9\r\n",
            "GET / HTTP/11.1\r\n",
            "GET / FTP/1.1\r\n",
            "GET / http/1.1\r\n",
            "GET / HTTP/1.1\rX",
            "GET / HTTP/1\r\n",
            "GET\r\n",
            "GET /\r\n",
        ] {
            assert_eq!(line(junk), Err(LineError::Malformed), "{junk:?}");
        }
        assert_eq!(
            parse_line(b"GET /\xff HTTP/1.1\r\n", 64),
            Err(LineError::Malformed)
        );
    }

    #[test]
    fn a_line_over_the_cap_is_too_long_complete_or_not() {
        let long = format!("GET /{} HTTP/1.1\r\n", "u".repeat(100));
        assert_eq!(line(&long), Err(LineError::TooLong));
        assert_eq!(line(&long[..70]), Err(LineError::TooLong));
        assert_eq!(line(&long[..64]), Ok(None));
        let fits = format!("GET /{} HTTP/1.1\r\n", "u".repeat(64 - 16));
        assert_eq!(line(&fits).unwrap().unwrap().len, 64);
    }
}
