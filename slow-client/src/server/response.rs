//! Response bytes: a status line, a few fixed headers, and the body framed the way the
//! server was told to frame it.

use super::config::Framing;

/// The statuses the delay server sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Status {
    /// 200: the delay is over.
    Ok,
    /// 400: unparsable head, a delay that is not a number or above the cap.
    BadRequest,
    /// 404: a path that is not a delay route.
    NotFound,
    /// 405: a method other than GET or HEAD.
    MethodNotAllowed,
    /// 408: no complete head within the header timeout.
    RequestTimeout,
    /// 431: a head over the size cap or with too many fields.
    HeaderFieldsTooLarge,
    /// 503: over the connection cap.
    ServiceUnavailable,
}

impl Status {
    pub(crate) const fn code(self) -> u16 {
        match self {
            Status::Ok => 200,
            Status::BadRequest => 400,
            Status::NotFound => 404,
            Status::MethodNotAllowed => 405,
            Status::RequestTimeout => 408,
            Status::HeaderFieldsTooLarge => 431,
            Status::ServiceUnavailable => 503,
        }
    }

    const fn reason(self) -> &'static str {
        match self {
            Status::Ok => "OK",
            Status::BadRequest => "Bad Request",
            Status::NotFound => "Not Found",
            Status::MethodNotAllowed => "Method Not Allowed",
            Status::RequestTimeout => "Request Timeout",
            Status::HeaderFieldsTooLarge => "Request Header Fields Too Large",
            Status::ServiceUnavailable => "Service Unavailable",
        }
    }
}

/// A reply before framing: status, a short text body, and what the request allows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Reply {
    pub(crate) status: Status,
    pub(crate) body: String,
    /// A HEAD request: send the head only.
    pub(crate) head_only: bool,
    /// An HTTP/1.0 request: it cannot decode chunked bodies.
    pub(crate) http10: bool,
}

impl Reply {
    pub(crate) fn new(status: Status, body: String) -> Reply {
        Reply {
            status,
            body,
            head_only: false,
            http10: false,
        }
    }

    /// Encodes the reply as it goes on the wire. Every reply says `Connection: close`:
    /// the server answers one request per connection and then closes it.
    pub(crate) fn encode(&self, framing: Framing) -> Vec<u8> {
        let framing = match framing {
            Framing::Chunked if self.http10 => Framing::Close,
            other => other,
        };
        let mut head = format!(
            "HTTP/1.1 {} {}\r\nServer: slow-client delay server\r\n\
             Content-Type: text/plain; charset=utf-8\r\nConnection: close\r\n",
            self.status.code(),
            self.status.reason()
        );
        match self.status {
            Status::MethodNotAllowed => head.push_str("Allow: GET, HEAD\r\n"),
            Status::ServiceUnavailable => head.push_str("Retry-After: 1\r\n"),
            _ => {}
        }
        match framing {
            Framing::Length => head.push_str(&format!("Content-Length: {}\r\n", self.body.len())),
            Framing::Chunked => head.push_str("Transfer-Encoding: chunked\r\n"),
            Framing::Close => {}
        }
        head.push_str("\r\n");
        let mut out = head.into_bytes();
        if self.head_only {
            return out;
        }
        let body = self.body.as_bytes();
        match framing {
            Framing::Length | Framing::Close => out.extend_from_slice(body),
            Framing::Chunked => {
                // Two chunks (at least one byte each) so a client's chunk loop runs more than once.
                let (first, second) = body.split_at(body.len() / 2);
                for chunk in [first, second] {
                    if !chunk.is_empty() {
                        out.extend_from_slice(format!("{:x}\r\n", chunk.len()).as_bytes());
                        out.extend_from_slice(chunk);
                        out.extend_from_slice(b"\r\n");
                    }
                }
                out.extend_from_slice(b"0\r\n\r\n");
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(bytes: &[u8]) -> (u16, Vec<(String, String)>, Vec<u8>) {
        let mut headers = [httparse::EMPTY_HEADER; 16];
        let mut resp = httparse::Response::new(&mut headers);
        let httparse::Status::Complete(n) = resp.parse(bytes).unwrap() else {
            panic!("incomplete head")
        };
        let fields = resp
            .headers
            .iter()
            .map(|h| {
                (
                    h.name.to_owned(),
                    String::from_utf8_lossy(h.value).into_owned(),
                )
            })
            .collect();
        (resp.code.unwrap(), fields, bytes[n..].to_vec())
    }

    fn field<'a>(fields: &'a [(String, String)], name: &str) -> Option<&'a str> {
        fields
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    fn reply(status: Status) -> Reply {
        Reply::new(status, "delayed 5 ms: /delay/5\n".to_owned())
    }

    #[test]
    fn length_framing_states_the_body_length() {
        let (code, fields, body) = parse(&reply(Status::Ok).encode(Framing::Length));
        assert_eq!(code, 200);
        assert_eq!(field(&fields, "content-length"), Some("23"));
        assert_eq!(field(&fields, "connection"), Some("close"));
        assert_eq!(body, b"delayed 5 ms: /delay/5\n");
    }

    #[test]
    fn chunked_framing_uses_two_chunks_and_a_last_chunk() {
        let (_, fields, body) = parse(&reply(Status::Ok).encode(Framing::Chunked));
        assert_eq!(field(&fields, "transfer-encoding"), Some("chunked"));
        assert_eq!(field(&fields, "content-length"), None);
        let mut rest = &body[..];
        let mut chunks = Vec::new();
        loop {
            let httparse::Status::Complete((n, size)) = httparse::parse_chunk_size(rest).unwrap()
            else {
                panic!("bad chunk size")
            };
            let size = usize::try_from(size).unwrap();
            chunks.push(rest[n..n + size].to_vec());
            assert_eq!(&rest[n + size..n + size + 2], b"\r\n");
            rest = &rest[n + size + 2..];
            if size == 0 {
                break;
            }
        }
        assert!(rest.is_empty());
        assert_eq!(chunks.len(), 3, "two data chunks and the last chunk");
        assert_eq!(chunks.concat(), b"delayed 5 ms: /delay/5\n");
    }

    #[test]
    fn close_framing_has_no_length_and_http10_never_gets_chunked() {
        let (_, fields, body) = parse(&reply(Status::Ok).encode(Framing::Close));
        assert_eq!(field(&fields, "content-length"), None);
        assert_eq!(field(&fields, "transfer-encoding"), None);
        assert_eq!(body, b"delayed 5 ms: /delay/5\n");
        let mut old = reply(Status::Ok);
        old.http10 = true;
        assert_eq!(old.encode(Framing::Chunked), old.encode(Framing::Close));
    }

    #[test]
    fn head_replies_keep_the_length_but_send_no_body() {
        let mut head = reply(Status::Ok);
        head.head_only = true;
        let (_, fields, body) = parse(&head.encode(Framing::Length));
        assert_eq!(field(&fields, "content-length"), Some("23"));
        assert!(body.is_empty());
    }

    #[test]
    fn status_specific_fields_are_present() {
        let (code, fields, _) = parse(&reply(Status::MethodNotAllowed).encode(Framing::Length));
        assert_eq!((code, field(&fields, "allow")), (405, Some("GET, HEAD")));
        let (code, fields, _) = parse(&reply(Status::ServiceUnavailable).encode(Framing::Length));
        assert_eq!((code, field(&fields, "retry-after")), (503, Some("1")));
        for status in [
            Status::BadRequest,
            Status::NotFound,
            Status::RequestTimeout,
            Status::HeaderFieldsTooLarge,
        ] {
            assert_eq!(
                parse(&reply(status).encode(Framing::Close)).0,
                status.code()
            );
        }
    }
}
