//! A session's timers, all from the one deadline the loop keeps for it: a response
//! falling due, the header timeout (for every request, from its first byte), the
//! keep-alive timeout while idle, the send timeout while blocked, the linger.

use super::{Flow, Phase, Session};
use crate::server::deadline::after;
use crate::server::policy::{Cx, Policy};
use crate::server::response::Status;
use std::time::Instant;

impl Session {
    /// The next instant the session needs attention, if any.
    pub(crate) fn next_deadline(&self, policy: &Policy) -> Option<Instant> {
        if self.phase == Phase::Lingering {
            return Some(self.linger_until);
        }
        let mut next: Option<Instant> = None;
        let mut at = |t: Instant| next = Some(next.map_or(t, |n| n.min(t)));
        if let Some(due) = self.owed.next_due() {
            at(due);
        }
        if let Some(since) = self.blocked_since {
            at(after(since, policy.send_timeout));
        }
        if self.phase == Phase::Open {
            if let Some(since) = self.head_since {
                at(after(since, policy.header_timeout));
            } else if self.owed.is_empty() && !self.held && policy.keep_alive {
                at(after(self.idle_since, policy.keep_alive_timeout));
            }
        }
        next
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
        if self
            .blocked_since
            .is_some_and(|since| after(since, policy.send_timeout) <= now)
        {
            return Flow::Close; // a client that takes nothing for this long is gone
        }
        if self.phase == Phase::Open {
            match self.head_since {
                Some(since) if after(since, policy.header_timeout) <= now => {
                    let message = format!(
                        "no complete request head within {} ms\n",
                        policy.header_timeout.as_millis()
                    );
                    self.input.clear();
                    self.held = false;
                    self.owe_error(Status::RequestTimeout, &message, cx);
                }
                None if self.owed.is_empty()
                    && !self.held
                    && after(self.idle_since, policy.keep_alive_timeout) <= now =>
                {
                    return Flow::Close; // idle keep-alive: closed silently, as nginx does
                }
                _ => {}
            }
        }
        Flow::Continue
    }

    /// SIGTERM: no new requests; a session that owes nothing closes now.
    pub(crate) fn drain(&mut self) -> Flow {
        if self.owed.is_empty() {
            return Flow::Close;
        }
        if self.phase == Phase::Open {
            self.phase = Phase::Closing;
            self.linger |= !self.input.is_empty() || self.open_request;
        }
        Flow::Continue
    }
}
