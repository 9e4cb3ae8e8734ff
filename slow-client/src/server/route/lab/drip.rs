//! `/drip?numbytes=N&duration=D&delay=D&code=C`, with httpbin's names and defaults:
//! `N` bytes of `*` (10) spread over `duration` (2 s) after `delay` (2 s), status `C`
//! (200), `Content-Length: N`. Byte `k` is due at `delay + k × duration / N`, the head
//! with byte 0. The schedule is arithmetic on the request's arrival: no per-byte state.

use std::time::Duration;

use super::{query_duration, query_value};
use crate::server::route::echo;

/// The byte a drip's body is made of.
pub(crate) const DRIP_BYTE: u8 = b'*';

/// Body bytes to write from: a write takes at most this many, so a late timer's catch-up
/// is a few writes and no byte is allocated.
static BODY: [u8; 4096] = [DRIP_BYTE; 4096];

/// The most bytes one drip sends (httpbin's cap).
pub(crate) const MAX_DRIP_BYTES: u64 = 10 * 1024 * 1024;

/// A drip as the query asked for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Drip {
    /// Body bytes, 1 to [`MAX_DRIP_BYTES`].
    pub(crate) numbytes: u64,
    /// From the first byte's schedule to the end of the last one's, in ms.
    pub(crate) duration_ms: u64,
    /// Before the head and the first byte, in ms.
    pub(crate) delay_ms: u64,
    /// The status, 200 to 599 but 204 and 304 (a drip has a body).
    pub(crate) code: u16,
}

impl Drip {
    /// The drip `query` asks for; `delay` and `duration` each at most `max_delay_ms`.
    ///
    /// # Errors
    /// The 400's message: a parameter that is not a number of its kind, or out of range.
    pub(crate) fn parse(query: &str, max_delay_ms: u64) -> Result<Drip, String> {
        let numbytes = match query_value(query, "numbytes") {
            None => 10,
            Some(text) => match text.parse::<u64>() {
                Ok(n @ 1..=MAX_DRIP_BYTES) if text.bytes().all(|b| b.is_ascii_digit()) => n,
                _ => {
                    return Err(format!(
                        "numbytes {:?} is not a whole number from 1 to {MAX_DRIP_BYTES}\n",
                        echo(text)
                    ))
                }
            },
        };
        let code = match query_value(query, "code") {
            None => 200,
            Some(text) => match text.parse::<u16>() {
                Ok(code @ 200..=599)
                    if code != 204 && code != 304 && text.bytes().all(|b| b.is_ascii_digit()) =>
                {
                    code
                }
                _ => {
                    return Err(format!(
                        "code {:?} is not a status with a body, 200 to 599 but 204 and 304\n",
                        echo(text)
                    ))
                }
            },
        };
        Ok(Drip {
            numbytes,
            duration_ms: query_duration(query, "duration", 2000, max_delay_ms)?,
            delay_ms: query_duration(query, "delay", 2000, max_delay_ms)?,
            code,
        })
    }

    /// When byte `k` (0-based) is due, after the request: `delay + k × duration / N`,
    /// rounded up to the nanosecond so it is never early.
    pub(crate) fn byte_due(&self, k: u64) -> Duration {
        let duration = u128::from(self.duration_ms) * 1_000_000;
        let n = u128::from(self.numbytes);
        let offset = (duration * u128::from(k)).div_ceil(n);
        Duration::from_millis(self.delay_ms)
            + Duration::from_nanos(u64::try_from(offset).unwrap_or(u64::MAX))
    }

    /// The bytes to write for `count` due bytes: all of them, or the first 4096 (write
    /// again for the rest).
    pub(crate) fn body(count: u64) -> &'static [u8] {
        &BODY[..usize::try_from(count).map_or(BODY.len(), |n| n.min(BODY.len()))]
    }

    /// How many bytes are due `elapsed` after the request: what a timer that fired
    /// late sends at once, in one write.
    pub(crate) fn due_by(&self, elapsed: Duration) -> u64 {
        let delay = Duration::from_millis(self.delay_ms);
        let Some(into) = elapsed.checked_sub(delay) else {
            return 0;
        };
        if self.duration_ms == 0 {
            return self.numbytes;
        }
        let duration = u128::from(self.duration_ms) * 1_000_000;
        let due = into.as_nanos() * u128::from(self.numbytes) / duration + 1;
        u64::try_from(due.min(u128::from(self.numbytes))).unwrap_or(self.numbytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_body_is_stars_from_one_static_buffer() {
        assert_eq!(Drip::body(3), b"***");
        assert_eq!(Drip::body(0), b"");
        assert_eq!(Drip::body(MAX_DRIP_BYTES).len(), 4096);
        assert!(Drip::body(10).iter().all(|&b| b == DRIP_BYTE));
    }

    #[test]
    fn httpbins_names_and_defaults() {
        assert_eq!(
            Drip::parse("", 60_000),
            Ok(Drip {
                numbytes: 10,
                duration_ms: 2000,
                delay_ms: 2000,
                code: 200
            })
        );
        assert_eq!(
            Drip::parse("numbytes=100&duration=0.5&delay=250ms&code=503", 60_000),
            Ok(Drip {
                numbytes: 100,
                duration_ms: 500,
                delay_ms: 250,
                code: 503
            })
        );
        assert_eq!(
            Drip::parse("duration=2s&delay=0", 60_000)
                .unwrap()
                .duration_ms,
            2000
        );
    }

    #[test]
    fn out_of_range_or_malformed_parameters_are_refused() {
        for query in [
            "numbytes=0",
            "numbytes=-1",
            "numbytes=+5",
            "numbytes=x",
            "numbytes=10485761",
            "code=204",
            "code=304",
            "code=101",
            "code=600",
            "code=2OO",
            "duration=x",
            "delay=61",
            "duration=60001ms",
        ] {
            assert!(Drip::parse(query, 60_000).is_err(), "{query}");
        }
        assert!(Drip::parse("numbytes=10485760&delay=60", 60_000).is_ok());
    }

    #[test]
    fn byte_k_is_due_at_delay_plus_k_duration_over_n() {
        let drip = Drip::parse("numbytes=3&duration=1&delay=2", 60_000).unwrap();
        let ms = |k| drip.byte_due(k).as_nanos() as f64 / 1e6;
        assert_eq!(ms(0), 2000.0);
        assert!((ms(1) - 2333.334).abs() < 0.001, "{}", ms(1));
        assert!(drip.byte_due(1) >= Duration::from_nanos(2_333_333_333));
        assert_eq!(ms(2) as u64, 2666);
        let instant = Drip::parse("numbytes=5&duration=0&delay=0", 60_000).unwrap();
        assert_eq!(instant.byte_due(4), Duration::ZERO);
    }

    #[test]
    fn due_by_counts_the_bytes_whose_time_has_come_and_agrees_with_byte_due() {
        let drip = Drip::parse("numbytes=10&duration=1&delay=0.5", 60_000).unwrap();
        assert_eq!(drip.due_by(Duration::from_millis(499)), 0);
        assert_eq!(drip.due_by(Duration::from_millis(500)), 1);
        assert_eq!(drip.due_by(Duration::from_millis(650)), 2);
        assert_eq!(drip.due_by(Duration::from_secs(60)), 10);
        for k in 0..10 {
            let due = drip.byte_due(k);
            assert_eq!(drip.due_by(due), k + 1, "{k}");
            assert_eq!(drip.due_by(due - Duration::from_nanos(1)), k, "{k}");
        }
        let instant = Drip::parse("numbytes=5&duration=0&delay=0", 60_000).unwrap();
        assert_eq!(instant.due_by(Duration::ZERO), 5);
    }
}
