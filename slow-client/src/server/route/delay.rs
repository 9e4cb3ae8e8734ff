//! Delays as text: `/delay/{d}`'s milliseconds or seconds, and a query's seconds.

/// Why a delay's text is not a delay the server takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BadDelay {
    /// Not `{n}`, `{n}ms` or `{x}s`.
    Malformed,
    /// Well formed, but more milliseconds than a `u64` holds (above any cap).
    TooLarge,
}

/// A delay in milliseconds: `{n}` or `{n}ms` (whole milliseconds), or `{x}s` (decimal
/// seconds, rounded up to a whole millisecond so an answer is never early).
pub(crate) fn parse_delay(text: &str) -> Result<u64, BadDelay> {
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    // Only digits are left to parse, so the one way to fail is overflow.
    let number = |s: &str| s.parse::<u64>().map_err(|_| BadDelay::TooLarge);
    if let Some(ms) = text.strip_suffix("ms").or(Some(text)).filter(|s| digits(s)) {
        return number(ms);
    }
    seconds(text.strip_suffix('s').ok_or(BadDelay::Malformed)?)
}

/// A duration in a query (`?delay=2`, `&duration=0.5`): decimal seconds as httpbin
/// takes them, or with a unit as in a path (`500ms`, `2s`), in milliseconds rounded up.
pub(crate) fn parse_query_duration(text: &str) -> Result<u64, BadDelay> {
    if text.ends_with('s') {
        parse_delay(text)
    } else {
        seconds(text)
    }
}

/// Decimal seconds (`2`, `0.25`) in whole milliseconds, rounded up so an answer is
/// never early.
fn seconds(secs: &str) -> Result<u64, BadDelay> {
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    let number = |s: &str| s.parse::<u64>().map_err(|_| BadDelay::TooLarge);
    let (whole, fraction) = secs.split_once('.').unwrap_or((secs, ""));
    if !digits(whole) || !(fraction.is_empty() || digits(fraction)) || secs.ends_with('.') {
        return Err(BadDelay::Malformed);
    }
    let mut ms = number(whole)?.checked_mul(1000).ok_or(BadDelay::TooLarge)?;
    let mut scale = 100;
    for (i, digit) in fraction.bytes().map(|b| u64::from(b - b'0')).enumerate() {
        if i < 3 {
            ms = ms.checked_add(digit * scale).ok_or(BadDelay::TooLarge)?;
            scale /= 10;
        } else if digit != 0 {
            // Below a millisecond: round up, once.
            return ms.checked_add(1).ok_or(BadDelay::TooLarge);
        }
    }
    Ok(ms)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_query_duration_is_seconds_unless_it_names_its_unit() {
        for (text, ms) in [
            ("2", 2000),
            ("0.5", 500),
            ("0", 0),
            ("0.0001", 1),
            ("500ms", 500),
            ("2s", 2000),
            ("1.5s", 1500),
        ] {
            assert_eq!(parse_query_duration(text), Ok(ms), "{text}");
        }
        for bad in ["", "-1", ".5", "1.", "abc", "ms", "1e3", "2m", "0x1"] {
            assert_eq!(
                parse_query_duration(bad),
                Err(BadDelay::Malformed),
                "{bad:?}"
            );
        }
        assert_eq!(
            parse_query_duration("99999999999999999999"),
            Err(BadDelay::TooLarge)
        );
    }
}
