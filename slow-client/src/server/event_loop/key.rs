//! What an epoll token or a deadline-heap key stands for: a connection (a slab key,
//! bit 63 clear) or one of the loop's own sources and timers.

use crate::server::slab::SPECIAL;

/// The meaning of a token or heap key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Key {
    /// A connection, by its slab key.
    Conn(u64),
    /// Listener `i` (a token).
    Listener(u32),
    /// The [`epoll_safe::Waker`] a `ServerHandle` stops the loop with (a token).
    Wake,
    /// The caller's stop fd in `Server::run_until` (a token).
    Stop,
    /// The waker a `ServerHandle` asks for a graceful stop with (a token).
    Drain,
    /// Retry accepting after running out of descriptors (a heap key).
    ResumeAccept,
    /// A graceful stop took too long (a heap key).
    DrainLimit,
}

/// The loop's own keys: [`SPECIAL`] plus one of these in bits 32..40, plus the
/// listener's index in the low 32 bits.
const LISTENER: u64 = 0;
const WAKE: u64 = 1;
const STOP: u64 = 2;
const DRAIN: u64 = 3;
const RESUME_ACCEPT: u64 = 4;
const DRAIN_LIMIT: u64 = 5;

impl Key {
    /// The number epoll or the deadline heap carries for it.
    pub(crate) const fn raw(self) -> u64 {
        let kind = match self {
            Key::Conn(key) => return key,
            Key::Listener(i) => return SPECIAL | i as u64,
            Key::Wake => WAKE,
            Key::Stop => STOP,
            Key::Drain => DRAIN,
            Key::ResumeAccept => RESUME_ACCEPT,
            Key::DrainLimit => DRAIN_LIMIT,
        };
        SPECIAL | kind << 32
    }

    /// What `raw` (from [`Key::raw`]) stands for; `None` for a number no key makes.
    pub(crate) const fn from_raw(raw: u64) -> Option<Key> {
        if raw & SPECIAL == 0 {
            return Some(Key::Conn(raw));
        }
        let index = raw as u32;
        Some(match (raw & !SPECIAL) >> 32 {
            LISTENER => Key::Listener(index),
            WAKE if index == 0 => Key::Wake,
            STOP if index == 0 => Key::Stop,
            DRAIN if index == 0 => Key::Drain,
            RESUME_ACCEPT if index == 0 => Key::ResumeAccept,
            DRAIN_LIMIT if index == 0 => Key::DrainLimit,
            _ => return None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_key_round_trips_and_none_collides() {
        let keys = [
            Key::Conn(0),
            Key::Conn(7 << 32 | 3),
            Key::Listener(0),
            Key::Listener(5),
            Key::Wake,
            Key::Stop,
            Key::Drain,
            Key::ResumeAccept,
            Key::DrainLimit,
        ];
        for (i, a) in keys.iter().enumerate() {
            assert_eq!(Key::from_raw(a.raw()), Some(*a));
            for b in &keys[i + 1..] {
                assert_ne!(a.raw(), b.raw(), "{a:?} {b:?}");
            }
        }
        assert_eq!(Key::from_raw(SPECIAL | 9 << 32), None);
    }
}
