//! The access log (`--access-log`): one line per answered request, on stderr.
//!
//! `2026-11-30T01:02:03.456Z 127.0.0.1:50312 "GET /delay/100 HTTP/1.1" 200 delay=100ms late=0.081ms`
//!
//! `late` is how long after its due time the response was written in full: the server's
//! own lateness, which a client's measurement adds its own side to.

use std::io::Write as _;
use std::net::SocketAddr;
use std::time::{Duration, SystemTime};

use super::date::{unix_secs, Civil};

/// What the log needs to remember about a request until its response is written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct LogEntry {
    /// The request line (`-` when there was none, e.g. a 408).
    line: String,
    status: u16,
    asked_ms: u64,
}

impl LogEntry {
    pub(crate) fn new(line: String, status: u16, asked_ms: u64) -> LogEntry {
        LogEntry {
            line,
            status,
            asked_ms,
        }
    }

    /// Appends the line for a response written in full at `wall`, `late` after it was due.
    pub(crate) fn write(
        &self,
        out: &mut Vec<u8>,
        peer: Option<SocketAddr>,
        wall: SystemTime,
        late: Duration,
    ) {
        let c = Civil::from_unix(unix_secs(wall));
        let millis = wall
            .duration_since(SystemTime::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_millis());
        let _ = write!(
            out,
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{millis:03}Z ",
            c.year, c.month, c.day, c.hour, c.minute, c.second
        );
        match peer {
            Some(peer) => {
                let _ = write!(out, "{peer}");
            }
            None => out.push(b'-'),
        }
        let _ = writeln!(
            out,
            " {:?} {} delay={}ms late={:.3}ms",
            self.line,
            self.status,
            self.asked_ms,
            late.as_secs_f64() * 1000.0
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_line_names_time_peer_request_status_delay_and_lateness() {
        let entry = LogEntry::new("GET /delay/100 HTTP/1.1".into(), 200, 100);
        let mut out = Vec::new();
        let wall = SystemTime::UNIX_EPOCH + Duration::from_millis(784_111_777_042);
        let peer = "127.0.0.1:50312".parse().ok();
        entry.write(&mut out, peer, wall, Duration::from_micros(81));
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "1994-11-06T08:49:37.042Z 127.0.0.1:50312 \"GET /delay/100 HTTP/1.1\" 200 delay=100ms late=0.081ms\n"
        );
    }

    #[test]
    fn control_bytes_in_a_request_line_are_escaped() {
        let entry = LogEntry::new("GET /\u{1b}[31m HTTP/1.1".into(), 404, 0);
        let mut out = Vec::new();
        entry.write(&mut out, None, SystemTime::UNIX_EPOCH, Duration::ZERO);
        let text = String::from_utf8(out).unwrap();
        assert!(text.contains(r#""GET /\u{1b}[31m HTTP/1.1""#), "{text}");
        assert!(text.contains(" - "), "{text}");
    }
}
