//! Wall-clock text: the `Date` header (RFC 9110 §5.6.7 IMF-fixdate, formatted at most
//! once a second) and the access log's timestamps. Pure arithmetic on Unix time; no
//! time-zone database, since both are UTC.

use std::time::{SystemTime, UNIX_EPOCH};

/// Length of an IMF-fixdate: `Sun, 06 Nov 1994 08:49:37 GMT`.
pub(crate) const HTTP_DATE_LEN: usize = 29;

const DAYS: [&[u8; 3]; 7] = [b"Thu", b"Fri", b"Sat", b"Sun", b"Mon", b"Tue", b"Wed"];
const MONTHS: [&[u8; 3]; 12] = [
    b"Jan", b"Feb", b"Mar", b"Apr", b"May", b"Jun", b"Jul", b"Aug", b"Sep", b"Oct", b"Nov", b"Dec",
];

/// A calendar date and time of day, UTC.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Civil {
    pub(crate) year: i64,
    /// 1..=12
    pub(crate) month: u32,
    /// 1..=31
    pub(crate) day: u32,
    pub(crate) hour: u32,
    pub(crate) minute: u32,
    pub(crate) second: u32,
    /// 0 = Thursday (1970-01-01 was one), as [`DAYS`] is ordered.
    weekday: usize,
}

impl Civil {
    /// The UTC calendar time of `secs` seconds after the Unix epoch (Howard Hinnant's
    /// `civil_from_days`, <https://howardhinnant.github.io/date_algorithms.html>).
    pub(crate) fn from_unix(secs: u64) -> Civil {
        let days = (secs / 86_400) as i64;
        let rem = secs % 86_400;
        let z = days + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z.rem_euclid(146_097);
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
        let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
        let year = yoe + era * 400 + i64::from(month <= 2);
        Civil {
            year,
            month,
            day,
            hour: (rem / 3600) as u32,
            minute: (rem / 60 % 60) as u32,
            second: (rem % 60) as u32,
            weekday: (days % 7) as usize,
        }
    }
}

/// Seconds since the Unix epoch (0 for a clock set before it).
pub(crate) fn unix_secs(at: SystemTime) -> u64 {
    at.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

/// `secs` as an IMF-fixdate, e.g. `Sun, 06 Nov 1994 08:49:37 GMT`.
pub(crate) fn http_date(secs: u64) -> [u8; HTTP_DATE_LEN] {
    let c = Civil::from_unix(secs);
    let mut out = *b"Thu, 01 Jan 1970 00:00:00 GMT";
    out[..3].copy_from_slice(DAYS[c.weekday]);
    two(&mut out[5..7], c.day);
    out[8..11].copy_from_slice(MONTHS[(c.month - 1) as usize]);
    // Four digits cover years 0..=9999; the clock would have to be absurd to leave them.
    let year = c.year.clamp(0, 9999) as u32;
    two(&mut out[12..14], year / 100);
    two(&mut out[14..16], year % 100);
    two(&mut out[17..19], c.hour);
    two(&mut out[20..22], c.minute);
    two(&mut out[23..25], c.second);
    out
}

fn two(out: &mut [u8], n: u32) {
    out[0] = b'0' + (n / 10 % 10) as u8;
    out[1] = b'0' + (n % 10) as u8;
}

/// The `Date` value of the current second, formatted again only when the second changes.
#[derive(Debug)]
pub(crate) struct DateCache {
    secs: u64,
    text: [u8; HTTP_DATE_LEN],
}

impl Default for DateCache {
    fn default() -> DateCache {
        DateCache {
            secs: 0,
            text: http_date(0),
        }
    }
}

impl DateCache {
    /// The value last formatted by [`DateCache::at`].
    pub(crate) fn current(&self) -> &[u8; HTTP_DATE_LEN] {
        &self.text
    }

    /// The IMF-fixdate of `now`.
    pub(crate) fn at(&mut self, now: SystemTime) -> &[u8; HTTP_DATE_LEN] {
        let secs = unix_secs(now);
        if secs != self.secs {
            self.secs = secs;
            self.text = http_date(secs);
        }
        &self.text
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn text(secs: u64) -> String {
        String::from_utf8(http_date(secs).to_vec()).unwrap()
    }

    #[test]
    fn imf_fixdate_matches_known_instants() {
        assert_eq!(text(0), "Thu, 01 Jan 1970 00:00:00 GMT");
        // RFC 9110's own example.
        assert_eq!(text(784_111_777), "Sun, 06 Nov 1994 08:49:37 GMT");
        // A leap day, and the day after a century that was not a leap year.
        assert_eq!(text(951_782_400), "Tue, 29 Feb 2000 00:00:00 GMT");
        assert_eq!(text(4_107_542_400), "Mon, 01 Mar 2100 00:00:00 GMT");
        assert_eq!(text(1_798_761_599), "Thu, 31 Dec 2026 23:59:59 GMT");
    }

    #[test]
    fn the_cache_changes_text_only_when_the_second_does() {
        let mut cache = DateCache::default();
        let t = UNIX_EPOCH + Duration::from_millis(784_111_777_100);
        assert_eq!(cache.at(t), &http_date(784_111_777));
        let same = *cache.at(t + Duration::from_millis(800));
        assert_eq!(&same, &http_date(784_111_777));
        assert_eq!(
            cache.at(t + Duration::from_secs(1)),
            &http_date(784_111_778)
        );
        assert_eq!(cache.at(UNIX_EPOCH - Duration::from_secs(5)), &http_date(0));
    }
}
