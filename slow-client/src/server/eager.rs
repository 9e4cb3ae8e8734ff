//! Whether to read a connection at once when it is accepted, before registering it.
//!
//! A client that sends its request right after connecting (wrk, curl, a browser) has
//! usually delivered it by the time the loop accepts, and a read then answers it
//! without an `epoll_ctl` or a wakeup; a connection closed after one request costs
//! accept, read, write, close. A client that connects many sockets before writing
//! any (slow-client's own burst) would make that read an `EAGAIN` almost every time.
//! So the loop reads eagerly while most eager reads find data, and otherwise tries
//! one accept in [`PROBE_EVERY`] to notice when that changes.

/// The score at and above which accepts read eagerly (out of [`MAX_SCORE`]).
const EAGER_AT: u32 = 8;
const MAX_SCORE: u32 = 16;
/// While not eager, one accept in this many still reads eagerly, as a probe.
const PROBE_EVERY: u32 = 16;

/// The record of recent eager reads.
#[derive(Debug)]
pub(crate) struct EagerRead {
    score: u32,
    accepts: u32,
}

impl Default for EagerRead {
    fn default() -> EagerRead {
        EagerRead {
            score: MAX_SCORE,
            accepts: 0,
        }
    }
}

impl EagerRead {
    /// Whether to read the connection just accepted.
    pub(crate) fn now(&mut self) -> bool {
        self.accepts = self.accepts.wrapping_add(1);
        self.score >= EAGER_AT || self.accepts % PROBE_EVERY == 0
    }

    /// Records whether an eager read found data. A miss counts twice a hit: an
    /// `EAGAIN` costs a syscall, a hit only saves one.
    pub(crate) fn found(&mut self, data: bool) {
        self.score = if data {
            (self.score + 1).min(MAX_SCORE)
        } else {
            self.score.saturating_sub(2)
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_eagerly_while_reads_find_data() {
        let mut eager = EagerRead::default();
        for _ in 0..100 {
            assert!(eager.now());
            eager.found(true);
        }
    }

    #[test]
    fn mostly_empty_reads_turn_it_off_but_probes_continue() {
        let mut eager = EagerRead::default();
        let mut reads = 0;
        for _ in 0..160 {
            if eager.now() {
                reads += 1;
                eager.found(false);
            }
        }
        // Four misses to fall below the threshold, then one probe in sixteen.
        assert!((5..=15).contains(&reads), "{reads}");
    }

    #[test]
    fn probes_that_find_data_turn_it_back_on() {
        let mut eager = EagerRead::default();
        while eager.score >= EAGER_AT {
            eager.found(false);
        }
        let mut accepts = 0;
        while eager.score < EAGER_AT {
            accepts += 1;
            if eager.now() {
                eager.found(true);
            }
        }
        assert!(accepts <= PROBE_EVERY * (EAGER_AT + 1), "{accepts}");
    }
}
