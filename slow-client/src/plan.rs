//! What to ask for: request ids, their delays, and the bytes of each request.
//!
//! Request `i` (1-based) of `count` gets the delay `(count - i) * step_ms`, so
//! the first request asks for the longest wait and the last for none: the
//! answers should arrive in reverse order of sending.

use crate::decimal::{Decimal, Thousandths};

/// The default path template, the slowwly form used by the epoll express
/// example of Carl Fredrik Samson's *Asynchronous Programming in Rust* (Packt,
/// 2024), chapter 4.
pub const DEFAULT_PATH: &str = "/delay/{ms}/url/http://www.google.com";

/// A path template with `{ms}`, `{s}` and `{id}` placeholders.
///
/// `{ms}` is the delay in milliseconds, `{s}` the delay in seconds written as
/// the shortest decimal (`0`, `0.25`, `1.5`), `{id}` the request id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PathTemplate(String);

impl PathTemplate {
    /// Checks a template: it must start with `/` and contain no bytes that
    /// cannot appear in a request line (space, control characters).
    ///
    /// # Errors
    /// A message naming what is wrong, fit for a usage error.
    pub fn parse(template: &str) -> Result<Self, String> {
        if !template.starts_with('/') {
            return Err(format!("path template must start with '/': {template:?}"));
        }
        if let Some(c) = template
            .chars()
            .find(|c| c.is_whitespace() || c.is_control())
        {
            return Err(format!(
                "path template contains {c:?}, which cannot appear in a request line"
            ));
        }
        Ok(Self(template.to_owned()))
    }

    /// The template as given.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether the path tells the server the delay (`{ms}` or `{s}`); without
    /// either, nothing asks the server to wait.
    pub fn names_delay(&self) -> bool {
        self.0.contains("{ms}") || self.0.contains("{s}")
    }

    /// Writes the path for one request into `out`.
    pub fn expand_into(&self, out: &mut String, id: u32, delay_ms: u64) {
        let mut rest = self.0.as_str();
        while let Some(open) = rest.find('{') {
            out.push_str(&rest[..open]);
            let after = &rest[open..];
            if let Some(tail) = after.strip_prefix("{ms}") {
                out.push_str(Decimal::new(delay_ms).as_str());
                rest = tail;
            } else if let Some(tail) = after.strip_prefix("{s}") {
                push_seconds(out, delay_ms);
                rest = tail;
            } else if let Some(tail) = after.strip_prefix("{id}") {
                out.push_str(Decimal::new(u64::from(id)).as_str());
                rest = tail;
            } else {
                out.push('{');
                rest = &after[1..];
            }
        }
        out.push_str(rest);
    }
}

impl Default for PathTemplate {
    fn default() -> Self {
        Self(DEFAULT_PATH.to_owned())
    }
}

/// Writes `ms` milliseconds as seconds in the shortest decimal: 0 → `0`,
/// 250 → `0.25`, 1500 → `1.5`, 1001 → `1.001`.
pub fn push_seconds(out: &mut String, ms: u64) {
    out.push_str(Thousandths::new(ms).as_str());
}

/// The delay of request `id` (1-based) out of `count`: `(count - id) * step_ms`.
///
/// Saturates instead of overflowing for absurd inputs.
pub fn delay_ms(count: u32, id: u32, step_ms: u64) -> u64 {
    u64::from(count.saturating_sub(id)).saturating_mul(step_ms)
}

/// The longest delay a run may ask for: 24 hours. A run waits for its
/// longest delay, so more is a typo, not a plan (`--step-ms 99999999999`
/// would wait for years with nothing to show).
pub const MAX_DELAY_MS: u64 = 24 * 60 * 60 * 1000;

/// Refuses a `count` and `step_ms` whose longest delay, `(count - 1) *
/// step_ms`, is above [`MAX_DELAY_MS`].
///
/// # Errors
/// A message with the longest delay asked for and the bound, fit for a usage error.
///
/// # Examples
/// ```
/// use slow_client::plan::check_delays;
/// assert!(check_delays(5, 1000).is_ok());
/// assert!(check_delays(3, 99_999_999_999).unwrap_err().contains("at most 24 hours"));
/// ```
pub fn check_delays(count: u32, step_ms: u64) -> Result<(), String> {
    let longest = u64::from(count.saturating_sub(1)).checked_mul(step_ms);
    match longest {
        Some(ms) if ms <= MAX_DELAY_MS => Ok(()),
        _ => Err(format!(
            "--count {count} --step-ms {step_ms} asks for delays up to {}: a run waits for its \
             longest delay, at most 24 hours ({MAX_DELAY_MS} ms); lower --step-ms or --count",
            match longest {
                Some(ms) => human_duration(ms),
                None => "more than u64 milliseconds".to_owned(),
            }
        )),
    }
}

/// `ms` for a person: `1500 ms`, `2.5 h`, `6.3 years`.
fn human_duration(ms: u64) -> String {
    const HOUR: f64 = 3_600_000.0;
    const DAY: f64 = 24.0 * HOUR;
    let f = ms as f64;
    if f >= 365.25 * DAY {
        format!("{ms} ms ({:.1} years)", f / (365.25 * DAY))
    } else if f >= DAY {
        format!("{ms} ms ({:.1} days)", f / DAY)
    } else {
        format!("{ms} ms ({:.1} h)", f / HOUR)
    }
}

/// Writes the whole request head for one request into `out` (cleared first).
///
/// `GET {path} HTTP/1.1`, `Host`, `Connection: close`, and a `User-Agent`
/// naming this program, so server logs can tell who asked.
pub fn write_request(out: &mut String, path: &PathTemplate, host: &str, id: u32, delay_ms: u64) {
    out.clear();
    out.push_str("GET ");
    path.expand_into(out, id, delay_ms);
    out.push_str(" HTTP/1.1\r\nHost: ");
    out.push_str(host);
    out.push_str(concat!(
        "\r\nUser-Agent: slow-client/",
        env!("CARGO_PKG_VERSION"),
        "\r\nConnection: close\r\n\r\n"
    ));
}

#[cfg(test)]
mod tests {
    use super::*;

    fn expand(t: &str, id: u32, ms: u64) -> String {
        let mut s = String::new();
        PathTemplate::parse(t).unwrap().expand_into(&mut s, id, ms);
        s
    }

    #[test]
    fn seconds_are_written_as_shortest_decimal() {
        for (ms, want) in [
            (0, "0"),
            (250, "0.25"),
            (1500, "1.5"),
            (1001, "1.001"),
            (4000, "4"),
            (10, "0.01"),
        ] {
            let mut s = String::new();
            push_seconds(&mut s, ms);
            assert_eq!(s, want, "{ms} ms");
        }
    }

    #[test]
    fn template_expands_every_placeholder() {
        assert_eq!(
            expand("/delay/{ms}/url/http://www.google.com", 1, 4000),
            "/delay/4000/url/http://www.google.com"
        );
        assert_eq!(expand("/delay/{s}?id={id}", 3, 250), "/delay/0.25?id=3");
        assert_eq!(expand("/x/{unknown}/{ms", 1, 5), "/x/{unknown}/{ms");
    }

    #[test]
    fn placeholders_fill_query_values_too() {
        assert_eq!(
            expand("/drip?numbytes=100&duration={s}", 2, 1500),
            "/drip?numbytes=100&duration=1.5"
        );
        assert_eq!(
            expand("/status/503?delay={ms}ms&id={id}", 4, 0),
            "/status/503?delay=0ms&id=4"
        );
    }

    #[test]
    fn template_rejects_what_cannot_be_sent() {
        assert!(PathTemplate::parse("delay/1").is_err());
        assert!(PathTemplate::parse("/a b").is_err());
        assert!(PathTemplate::parse("/a\r\nX: y").is_err());
    }

    #[test]
    fn a_path_names_the_delay_with_ms_or_s_only() {
        assert!(PathTemplate::default().names_delay());
        assert!(PathTemplate::parse("/delay/{s}").unwrap().names_delay());
        assert!(!PathTemplate::parse("/").unwrap().names_delay());
        assert!(!PathTemplate::parse("/fault/{id}").unwrap().names_delay());
    }

    #[test]
    fn delays_beyond_a_day_are_refused_with_the_bound() {
        assert!(check_delays(1, u64::MAX).is_ok(), "one request waits 0 ms");
        assert!(check_delays(86_401, 1000).is_ok());
        let err = check_delays(86_402, 1000).unwrap_err();
        assert!(err.contains("delays up to 86401000 ms (1.0 days)"), "{err}");
        let err = check_delays(3, 99_999_999_999).unwrap_err();
        assert!(err.contains("199999999998 ms (6.3 years)"), "{err}");
        assert!(err.contains("at most 24 hours (86400000 ms)"), "{err}");
        let err = check_delays(u32::MAX, u64::MAX).unwrap_err();
        assert!(err.contains("more than u64 milliseconds"), "{err}");
    }

    #[test]
    fn delays_descend_to_zero() {
        let d: Vec<u64> = (1..=5).map(|i| delay_ms(5, i, 1000)).collect();
        assert_eq!(d, [4000, 3000, 2000, 1000, 0]);
        assert_eq!(delay_ms(u32::MAX, 1, u64::MAX), u64::MAX);
    }

    #[test]
    fn request_head_is_the_books_request() {
        let mut s = String::new();
        write_request(&mut s, &PathTemplate::default(), "127.0.0.1:8080", 1, 4000);
        assert!(s.starts_with(
            "GET /delay/4000/url/http://www.google.com HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n"
        ));
        assert!(s.ends_with("Connection: close\r\n\r\n"));
    }
}
