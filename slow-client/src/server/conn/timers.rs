//! A connection's timers, all from the one deadline the loop keeps for it (see the
//! module documentation for the list), and the graceful stop.

use std::time::Instant;

use super::{Conn, Cx, Flow, Phase};
use crate::server::deadline::after;
use crate::server::policy::Policy;
use crate::server::response::Status;

impl Conn {
    /// The next instant the connection needs attention, if any.
    pub(crate) fn next_deadline(&self, policy: &Policy) -> Option<Instant> {
        if self.phase == Phase::Lingering {
            return Some(self.linger_until);
        }
        let mut next: Option<Instant> = None;
        let mut at = |t: Instant| next = Some(next.map_or(t, |n| n.min(t)));
        if let Some(due) = self.owed.next_due() {
            // A drip's next byte may be past while the socket is full: the write
            // readiness (or the send timeout) is what it waits for then.
            if self.blocked_since.is_none() || !self.owed.streaming() {
                at(due);
            }
        }
        if let Some(since) = self.blocked_since {
            at(after(since, policy.send_timeout));
        }
        if let Some(until) = self.hold_until {
            at(until);
        }
        if self.phase == Phase::Open && !self.peer_closed {
            if let Some(since) = self.head_since {
                at(after(since, policy.header_timeout));
            } else if let Some(since) = self.body_since {
                at(after(since, policy.body_timeout));
            } else if self.idle() && policy.keep_alive {
                at(after(self.idle_since, policy.keep_alive_timeout));
            }
        }
        next
    }

    /// Nothing owed, held or under way: only stray CR/LF may have come since the
    /// last response.
    fn idle(&self) -> bool {
        self.owed.is_empty() && !self.held && !self.in_body()
    }

    /// Acts on the timers that have run out at `cx.now`.
    pub(crate) fn on_deadline(&mut self, cx: &mut Cx<'_>) -> Flow {
        let policy = cx.policy;
        let now = cx.now;
        if self.phase == Phase::Lingering {
            return if now >= self.linger_until {
                Flow::Close
            } else {
                Flow::Continue
            };
        }
        if self.hold_until.is_some_and(|until| until <= now) {
            return Flow::Close; // `/fault/timeout`: the client waited longer than the cap
        }
        if self
            .blocked_since
            .is_some_and(|since| after(since, policy.send_timeout) <= now)
        {
            return Flow::Close; // a client that takes nothing for this long is gone
        }
        if self.phase != Phase::Open || self.peer_closed {
            return Flow::Continue;
        }
        match (self.head_since, self.body_since) {
            (Some(since), _) if after(since, policy.header_timeout) <= now => {
                if !self.head_started {
                    // Never a byte of a head: closed quietly, as nginx does (its
                    // request, counted from accept, is dropped).
                    return Flow::Close;
                }
                let message = format!(
                    "no complete request head within {} ms\n",
                    policy.header_timeout.as_millis()
                );
                let head_only = self.input.starts_with(b"HEAD ");
                self.input.clear();
                self.held = false;
                self.owe_error(Status::RequestTimeout, &message, head_only, cx);
            }
            (None, Some(since)) if after(since, policy.body_timeout) <= now => {
                // A body read only to be discarded took too long: what is owed is
                // dropped with the connection.
                return Flow::Close;
            }
            (None, None)
                if self.idle()
                    && policy.keep_alive
                    && after(self.idle_since, policy.keep_alive_timeout) <= now =>
            {
                return Flow::Close; // idle keep-alive: closed silently, as nginx does
            }
            _ => {}
        }
        Flow::Continue
    }

    /// SIGTERM: no new requests; a connection that owes nothing closes now, except
    /// one lingering after its last response, which finishes its linger (at most
    /// [`super::LINGER`]): closed now, unread request bytes would reset the
    /// connection and destroy that response in the client's buffer.
    /// Requests held back by the pipeline bound are never answered: those received
    /// whole count as dropped.
    pub(crate) fn drain(&mut self, cx: &mut Cx<'_>) -> Flow {
        if self.phase == Phase::Lingering {
            return Flow::Continue;
        }
        if self.held {
            let input = std::mem::take(&mut self.input);
            self.drop_unparsed(&input, cx);
            self.held = false;
            // Unread bytes are left: linger so they cannot reset the connection.
            self.linger = true;
        }
        if self.owed.is_empty() {
            return Flow::Close;
        }
        if self.phase == Phase::Open {
            // Its last response now ends the connection: say so, unless it is
            // already being written.
            self.owed.close_last();
            self.phase = Phase::Closing;
            self.linger |= !self.input.is_empty() || self.open_request;
        }
        Flow::Continue
    }
}
