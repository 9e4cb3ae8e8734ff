//! The responses a connection owes, in request order: their bytes in one buffer, each
//! with the instant it may go out. Pure bookkeeping (the conn hands the bytes to the
//! loop, which writes them), so the ordering rules are unit-tested here:
//!
//! - a response is written only once it is due *and* every earlier one is, so a
//!   later, shorter delay waits for the earlier response (RFC 9112 §9.3.2);
//! - everything due is handed out as one slice, one write for a batch of pipelined
//!   responses;
//! - a response encoded before its delay gets its `Date` refreshed when it falls due;
//! - the buffer keeps its capacity between requests (no allocation per request) and
//!   drops written bytes from its front once they add up;
//! - a streamed body (a drip) is an entry without bytes of its own: once every byte
//!   before it is written it releases its bytes on its own schedule, and everything
//!   after it waits until it is complete;
//! - an entry with no bytes at all (a fault that sends nothing) is done once it is due.

use std::collections::VecDeque;
use std::time::Instant;

use super::date::HTTP_DATE_LEN;
use super::log::LogEntry;
use super::route::Drip;
use super::Verdict;

/// Written bytes at the front of the buffer are dropped once they pass this.
const COMPACT_AT: usize = 16 * 1024;

/// One response owed.
#[derive(Debug)]
pub(crate) struct Owed {
    /// When it may be written.
    pub(crate) due: Instant,
    /// Where its bytes end in the buffer.
    end: usize,
    /// Where its `Date` value sits, refreshed when it falls due.
    date_at: Option<usize>,
    /// How it counts once written (`None`: an interim `100 Continue`).
    pub(crate) verdict: Option<Verdict>,
    pub(crate) log: Option<Box<LogEntry>>,
    /// A body released on a schedule instead of bytes in the buffer.
    stream: Option<Stream>,
}

/// A drip's body as an outbox entry: which bytes are due when, and how many are out.
#[derive(Debug, Clone, Copy)]
struct Stream {
    drip: Drip,
    /// The request's arrival: the schedule counts from here.
    start: Instant,
    sent: u64,
}

/// The responses owed and their bytes.
#[derive(Debug, Default)]
pub(crate) struct Outbox {
    bytes: Vec<u8>,
    /// `bytes[..sent]` are written.
    sent: usize,
    owed: VecDeque<Owed>,
    /// How many of `owed` (from the front) are due.
    due: usize,
}

/// Largest buffer kept for reuse by another connection.
const REUSE_UP_TO: usize = 64 * 1024;

impl Outbox {
    /// Empties the outbox for another connection, keeping its buffers' capacity;
    /// `None` when its buffer grew too large to keep.
    pub(crate) fn recycle(mut self) -> Option<Outbox> {
        if self.bytes.capacity() > REUSE_UP_TO {
            return None;
        }
        self.bytes.clear();
        self.owed.clear();
        self.sent = 0;
        self.due = 0;
        Some(self)
    }

    /// The buffer to encode the next response into (append only), then [`Outbox::owe`] it.
    pub(crate) fn buffer(&mut self) -> &mut Vec<u8> {
        self.compact();
        &mut self.bytes
    }

    /// Owes what was appended to the buffer since the last call, due at `due`.
    pub(crate) fn owe(
        &mut self,
        due: Instant,
        date_at: Option<usize>,
        verdict: Option<Verdict>,
        log: Option<Box<LogEntry>>,
    ) {
        self.owed.push_back(Owed {
            due,
            end: self.bytes.len(),
            date_at,
            verdict,
            log,
            stream: None,
        });
    }

    /// Owes `drip`'s body, after what was owed before it: byte `k` due at
    /// `start + drip.byte_due(k)`, the bytes written from the drip's static buffer.
    pub(crate) fn owe_stream(
        &mut self,
        drip: Drip,
        start: Instant,
        verdict: Option<Verdict>,
        log: Option<Box<LogEntry>>,
    ) {
        self.owed.push_back(Owed {
            // Its last byte's: the access log's lateness of a drip is that byte's.
            due: start + drip.byte_due(drip.numbytes.saturating_sub(1)),
            end: self.bytes.len(),
            date_at: None,
            verdict,
            log,
            stream: Some(Stream {
                drip,
                start,
                sent: 0,
            }),
        });
    }

    /// How many bytes of a streamed body may be written at `now`: nonzero only when
    /// the stream is first in line (everything before it written).
    pub(crate) fn stream_ready(&self, now: Instant) -> u64 {
        match self.owed.front() {
            Some(Owed {
                stream: Some(s), ..
            }) if self.due == 0 => {
                let due = s.drip.due_by(now.saturating_duration_since(s.start));
                due.saturating_sub(s.sent)
            }
            _ => 0,
        }
    }

    /// Whether a streamed body is first in line (everything before it written).
    pub(crate) fn streaming(&self) -> bool {
        self.due == 0 && self.owed.front().is_some_and(|o| o.stream.is_some())
    }

    /// Records `n` bytes of the stream first in line written; returns its entry once
    /// the whole body is out.
    pub(crate) fn stream_wrote(&mut self, n: usize) -> Option<Owed> {
        let front = self.owed.front_mut()?;
        let stream = front.stream.as_mut()?;
        stream.sent = stream.sent.saturating_add(n as u64);
        if stream.sent < stream.drip.numbytes {
            return None;
        }
        self.owed.pop_front()
    }

    /// Responses owed (written in part or not at all).
    pub(crate) fn len(&self) -> usize {
        self.owed.len()
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.owed.is_empty()
    }

    /// Owed responses that count in the stats (not a `100 Continue`).
    pub(crate) fn counted(&self) -> u64 {
        self.owed.iter().filter(|o| o.verdict.is_some()).count() as u64
    }

    /// When the first response not yet due falls due; for a stream first in line,
    /// when its next byte does (`None` while the bytes before it are still going out:
    /// their write is what it waits for).
    pub(crate) fn next_due(&self) -> Option<Instant> {
        let owed = self.owed.get(self.due)?;
        match owed.stream {
            Some(s) if self.due == 0 => Some(s.start + s.drip.byte_due(s.sent)),
            Some(_) => None,
            None => Some(owed.due),
        }
    }

    /// The bytes that may be written at `now`: every response due, in order, up to
    /// the first that is not. Responses falling due get `date` as their `Date`.
    pub(crate) fn ready(&mut self, now: Instant, date: &[u8; HTTP_DATE_LEN]) -> &[u8] {
        self.compact();
        while let Some(owed) = self.owed.get(self.due) {
            // A stream is never "due" as a whole: it goes out through `stream_ready`.
            if owed.due > now || owed.stream.is_some() {
                break;
            }
            // Handed out once: a response partly written may then lose its front
            // (and its `Date`) to `compact`.
            if let Some(at) = self.owed[self.due].date_at.take() {
                self.bytes[at..at + HTTP_DATE_LEN].copy_from_slice(date);
            }
            self.due += 1;
        }
        let end = match self.due {
            0 => self.sent,
            n => self.owed[n - 1].end,
        };
        &self.bytes[self.sent..end]
    }

    /// Records `n` more bytes written; returns the responses now written in full,
    /// oldest first.
    pub(crate) fn wrote(&mut self, n: usize) -> impl Iterator<Item = Owed> + '_ {
        self.sent += n;
        // Only entries handed out (due) can be done; with `n` = 0 this completes the
        // due entries that have no bytes.
        let done = self
            .owed
            .iter()
            .take(self.due)
            .take_while(|o| o.end <= self.sent)
            .count();
        self.due -= done.min(self.due);
        self.owed.drain(..done)
    }

    /// Makes the last response owed say `Connection: close` (a graceful stop ends the
    /// connection after it), when none of it is written yet: its
    /// `Connection: keep-alive` becomes `close`, or the field is added at the end of
    /// its head. Returns whether it now says close; false when it is being written (or
    /// nothing is owed), whose bytes cannot change any more.
    pub(crate) fn close_last(&mut self) -> bool {
        const KEEP: &[u8] = b"Connection: keep-alive\r\n";
        const CLOSE: &[u8] = b"Connection: close\r\n";
        let n = self.owed.len();
        let Some(last) = self.owed.back() else {
            return false;
        };
        // Where its head can be searched from: its Date (kept until it falls due) or
        // the end of the one before it, if none of it is written.
        let before = n.checked_sub(2).map(|i| self.owed[i].end);
        let from = match (last.date_at, before) {
            (Some(at), _) => at,
            (None, Some(start)) if start >= self.sent => start,
            _ => return false,
        };
        let end = last.end;
        let Some(blank) = find(&self.bytes[from..end], b"\r\n\r\n") else {
            return false;
        };
        let head_end = from + blank + 2; // the blank line starts here
        let head = &self.bytes[from..head_end];
        if find(head, CLOSE).is_some() {
            return true;
        }
        let (at, removed) = match find(head, KEEP) {
            Some(i) => (from + i, KEEP.len()),
            None => (head_end, 0),
        };
        self.bytes.splice(at..at + removed, CLOSE.iter().copied());
        if let Some(last) = self.owed.back_mut() {
            last.end = end + CLOSE.len() - removed;
        }
        true
    }

    /// Drops written bytes: all of them when everything is written (the usual case,
    /// keeping the capacity), or a large written front.
    fn compact(&mut self) {
        let gone = self.sent;
        if gone == self.bytes.len() {
            self.bytes.clear();
        } else if gone >= COMPACT_AT {
            self.bytes.drain(..gone);
        } else {
            return;
        }
        // Entries still owed lie after `sent`; those without bytes of their own (a
        // stream, a fault that sends nothing) sit exactly at it.
        for owed in &mut self.owed {
            owed.end = owed.end.saturating_sub(gone);
            // Only responses not yet due keep a `date_at`, and those lie wholly
            // after `sent`; a place inside the dropped front is gone with it.
            owed.date_at = owed.date_at.and_then(|at| at.checked_sub(gone));
        }
        self.sent = 0;
    }
}

/// Where `needle` first occurs in `hay`.
fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

#[cfg(test)]
mod tests;
