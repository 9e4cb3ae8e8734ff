//! `/fault/{kind}`: one failure per route, named exactly as slow-client's `--json`
//! error kinds, and the bytes (and the end) that make a client meet it.

/// A failure a client meets on the wire, by its `--json` kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Fault {
    /// The connection closes before a byte of answer.
    ClosedBeforeResponse,
    /// The connection closes partway through the head.
    TruncatedHead,
    /// A status line that is not HTTP.
    MalformedHead,
    /// A head of 65 KiB: above slow-client's 64 KiB (and its 8 KiB line) limit.
    HeadTooLarge,
    /// `Content-Length: 10`, 5 bytes, then the close.
    TruncatedBody,
    /// A chunked body whose first size line is not hex.
    BadChunk,
    /// A head announcing 16 MiB + 1 bytes: above slow-client's default `--max-body`.
    BodyTooLarge,
    /// A reset (RST) instead of an answer.
    Reset,
    /// No answer: held until the client gives up (or the delay cap passes).
    Timeout,
}

/// How the connection ends once a fault's bytes are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum End {
    /// A FIN, after the request was read in full (so never a reset).
    Close,
    /// A reset: `SO_LINGER` 0, then close.
    Reset,
    /// Nothing: the connection stays open until the client closes it or the delay
    /// cap passes.
    Hold,
}

/// The padding of [`Fault::HeadTooLarge`]'s one field.
static PADDING: [u8; 65 * 1024] = [b'a'; 65 * 1024];

/// The fields every fault's head carries before its own: a browser script sees the
/// fault, not a CORS error, and no cache keeps it.
macro_rules! fault_head {
    ($status:literal, $fields:literal) => {
        concat!(
            "HTTP/1.1 ",
            $status,
            "\r\nServer: slow-client\r\nAccess-Control-Allow-Origin: *\r\n",
            "Cache-Control: no-store\r\nConnection: close\r\n",
            $fields
        )
        .as_bytes()
    };
}

impl Fault {
    /// Every fault, in the order of the README's table.
    pub(crate) const ALL: [Fault; 9] = [
        Fault::ClosedBeforeResponse,
        Fault::TruncatedHead,
        Fault::MalformedHead,
        Fault::HeadTooLarge,
        Fault::TruncatedBody,
        Fault::BadChunk,
        Fault::BodyTooLarge,
        Fault::Reset,
        Fault::Timeout,
    ];

    /// The fault named `kind` (exactly, as `--json` writes it).
    pub(crate) fn parse(kind: &str) -> Option<Fault> {
        Fault::ALL.into_iter().find(|f| f.name() == kind)
    }

    /// The `--json` kind a client reports for it.
    pub(crate) const fn name(self) -> &'static str {
        match self {
            Fault::ClosedBeforeResponse => "closed_before_response",
            Fault::TruncatedHead => "truncated_head",
            Fault::MalformedHead => "malformed_head",
            Fault::HeadTooLarge => "head_too_large",
            Fault::TruncatedBody => "truncated_body",
            Fault::BadChunk => "bad_chunk",
            Fault::BodyTooLarge => "body_too_large",
            Fault::Reset => "reset",
            Fault::Timeout => "timeout",
        }
    }

    /// The bytes to write after the delay, in order (static: nothing is allocated).
    pub(crate) fn bytes(self) -> [&'static [u8]; 3] {
        let none: &[u8] = b"";
        match self {
            Fault::ClosedBeforeResponse | Fault::Reset | Fault::Timeout => [none; 3],
            Fault::TruncatedHead => [fault_head!("200 OK", "Content-Le"), none, none],
            Fault::MalformedHead => [b"HTTP/1.1 2x0 Malformed\r\n\r\n", none, none],
            Fault::HeadTooLarge => [
                fault_head!("200 OK", "Content-Length: 0\r\nX-Padding: "),
                &PADDING,
                b"\r\n\r\n",
            ],
            Fault::TruncatedBody => [
                fault_head!("200 OK", "Content-Length: 10\r\n\r\n*****"),
                none,
                none,
            ],
            Fault::BadChunk => [
                fault_head!("200 OK", "Transfer-Encoding: chunked\r\n\r\nzz\r\n"),
                none,
                none,
            ],
            Fault::BodyTooLarge => [
                fault_head!("200 OK", "Content-Length: 16777217\r\n\r\n"),
                none,
                none,
            ],
        }
    }

    /// The status its bytes carry, for the stats and the access log: 200 where a
    /// head starts `HTTP/1.1 200`, 0 where no status line goes out.
    pub(crate) const fn code(self) -> u16 {
        match self {
            Fault::TruncatedHead
            | Fault::HeadTooLarge
            | Fault::TruncatedBody
            | Fault::BadChunk
            | Fault::BodyTooLarge => 200,
            Fault::ClosedBeforeResponse | Fault::MalformedHead | Fault::Reset | Fault::Timeout => 0,
        }
    }

    /// How the connection ends after [`Fault::bytes`].
    pub(crate) const fn end(self) -> End {
        match self {
            Fault::Reset => End::Reset,
            Fault::Timeout => End::Hold,
            _ => End::Close,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::client::ErrorKind;
    use crate::http::{self, ResponseLimits, ResponseReader};

    #[test]
    fn the_faults_are_exactly_the_kinds_a_server_can_cause() {
        let mut names: Vec<&str> = Fault::ALL.iter().map(|f| f.name()).collect();
        let mut kinds: Vec<&str> = http::ErrorKind::ALL
            .iter()
            .map(|k| k.as_str())
            .chain([ErrorKind::Reset.as_str(), ErrorKind::Timeout.as_str()])
            .collect();
        names.sort_unstable();
        kinds.sort_unstable();
        assert_eq!(names, kinds);
        for fault in Fault::ALL {
            assert_eq!(Fault::parse(fault.name()), Some(fault));
        }
        assert_eq!(Fault::parse("Reset"), None);
        assert_eq!(Fault::parse(""), None);
    }

    #[test]
    fn the_client_reader_names_each_fault_that_sends_bytes_then_closes() {
        for fault in Fault::ALL {
            let mut reader = ResponseReader::new(ResponseLimits::default());
            let mut outcome = Ok(http::Progress::NeedMore);
            for part in fault.bytes() {
                if matches!(outcome, Ok(http::Progress::NeedMore)) {
                    outcome = reader.feed(part);
                }
            }
            if matches!(outcome, Ok(http::Progress::NeedMore)) {
                outcome = reader.finish().map(http::Progress::Done);
            }
            match fault.end() {
                End::Close => {
                    let err = outcome.expect_err(fault.name());
                    assert_eq!(err.kind.as_str(), fault.name(), "{err}");
                }
                // Nothing is sent: the client names these from the socket and its clock.
                End::Reset | End::Hold => {
                    assert!(
                        fault.bytes().iter().all(|b| b.is_empty()),
                        "{}",
                        fault.name()
                    );
                }
            }
        }
    }

    #[test]
    fn heads_carry_cors_and_no_store_where_there_is_a_head() {
        for fault in [Fault::TruncatedBody, Fault::BadChunk, Fault::BodyTooLarge] {
            let head = std::str::from_utf8(fault.bytes()[0]).unwrap();
            assert!(
                head.contains("\r\nAccess-Control-Allow-Origin: *\r\n"),
                "{head}"
            );
            assert!(head.contains("\r\nCache-Control: no-store\r\n"), "{head}");
        }
        let size: usize = Fault::HeadTooLarge.bytes().iter().map(|b| b.len()).sum();
        assert!(size > ResponseLimits::default().max_head, "{size}");
    }
}
