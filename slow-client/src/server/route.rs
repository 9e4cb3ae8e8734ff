//! Routing, as slowwly answered (its `delay_controller.rb`): a method and a target in,
//! a delay and what to answer after it out. Pure functions, unit-tested here.
//!
//! | route | answer |
//! |---|---|
//! | `GET /` | the index page, at once |
//! | `GET /delay/{d}` | `200` with a short text body after `d` |
//! | `GET /delay/{d}/url/{url}` | `302 Found`, `Location: {url}` after `d` |
//! | `POST /delay/{d}/url/{url}` | `307 Temporary Redirect` after `d` |
//! | `/delay/url/{url}` | as above with `d` = 1000 ms |
//!
//! `HEAD` is answered like `GET`. `{d}` is milliseconds (`250`, `250ms`) or decimal
//! seconds (`1.5s`).

use std::borrow::Cow;

use super::location::location;
use super::response::Status;

/// Longest part of the request target echoed back in a body, so a reply stays small
/// however long the path was.
pub(crate) const ECHO_LIMIT: usize = 200;

/// The delay `/delay/url/{url}` waits, as slowwly did.
const DEFAULT_DELAY_MS: u64 = 1000;

/// What a request is answered with once its delay is over.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Answer<'a> {
    /// `200`, body `delayed {ms} ms: {path}` (at most [`ECHO_LIMIT`] bytes of the path).
    Delayed { path: &'a str },
    /// `302` (GET, HEAD) or `307` (POST) to `location`, empty body.
    Redirect {
        status: Status,
        location: Cow<'a, str>,
    },
    /// `200` with the index page.
    Index,
    /// An error status with a one-line explanation.
    Error {
        status: Status,
        message: String,
        /// The `Allow` value of a 405.
        allow: &'static str,
    },
}

/// A routed request: how long to wait, then what to answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Routed<'a> {
    pub(crate) delay_ms: u64,
    pub(crate) answer: Answer<'a>,
}

impl<'a> Routed<'a> {
    pub(crate) fn error(status: Status, message: String) -> Routed<'a> {
        Routed {
            delay_ms: 0,
            answer: Answer::Error {
                status,
                message,
                allow: "",
            },
        }
    }
}

/// Routes `method target` (origin or absolute form) with delays capped at `max_delay_ms`;
/// the answer borrows from `target` where it can.
///
/// The path shape is checked first (404), then the method (405, naming what the route
/// accepts), then the delay (400).
pub(crate) fn route<'a>(method: &str, target: &'a str, max_delay_ms: u64) -> Routed<'a> {
    let read_only = matches!(method, "GET" | "HEAD");
    let path = origin_form(target);
    if path == "/" || path.starts_with("/?") {
        if !read_only {
            return method_not_allowed(method, "GET, HEAD");
        }
        return Routed {
            delay_ms: 0,
            answer: Answer::Index,
        };
    }
    let Some(rest) = path.strip_prefix("/delay/") else {
        return not_found(path);
    };
    let (delay_text, url) = if let Some(url) = rest.strip_prefix("url/") {
        (None, Some(url))
    } else {
        let end = rest.find(['/', '?']).unwrap_or(rest.len());
        let (delay, tail) = rest.split_at(end);
        if tail.is_empty() || tail.starts_with('?') {
            (Some(delay), None)
        } else if let Some(url) = tail.strip_prefix("/url/") {
            (Some(delay), Some(url))
        } else {
            return not_found(path);
        }
    };
    let allowed = matches!((method, url), ("GET" | "HEAD", _) | ("POST", Some(_)));
    if !allowed {
        let allow = if url.is_some() {
            "GET, HEAD, POST"
        } else {
            "GET, HEAD"
        };
        return method_not_allowed(method, allow);
    }
    let delay_ms = match delay_text.map(parse_delay) {
        None => DEFAULT_DELAY_MS,
        Some(Ok(ms)) => ms,
        Some(Err(BadDelay::TooLarge)) => {
            return Routed::error(
                Status::BadRequest,
                format!(
                    "delay {} is above this server's cap of {max_delay_ms} ms (--max-delay-ms)\n",
                    echo(delay_text.unwrap_or_default())
                ),
            )
        }
        Some(Err(BadDelay::Malformed)) => {
            return Routed::error(
                Status::BadRequest,
                format!(
                    "delay {:?} is not one of {{ms}}, {{ms}}ms or {{seconds}}s (e.g. 250, 250ms, 1.5s)\n",
                    echo(delay_text.unwrap_or_default())
                ),
            )
        }
    };
    if delay_ms > max_delay_ms {
        return Routed::error(
            Status::BadRequest,
            format!(
                "delay {delay_ms} ms is above this server's cap of {max_delay_ms} ms (--max-delay-ms)\n"
            ),
        );
    }
    let answer = match url {
        None => Answer::Delayed { path: echo(path) },
        Some(url) => match location(url) {
            Ok(location) => Answer::Redirect {
                status: if method == "POST" {
                    Status::TemporaryRedirect
                } else {
                    Status::Found
                },
                location,
            },
            Err(message) => return Routed::error(Status::BadRequest, message),
        },
    };
    Routed { delay_ms, answer }
}

fn not_found(path: &str) -> Routed<'static> {
    Routed::error(
        Status::NotFound,
        format!(
            "no route for {}: try /delay/{{ms}}, /delay/{{ms}}/url/{{url}} or / for the list\n",
            echo(path)
        ),
    )
}

fn method_not_allowed(method: &str, allow: &'static str) -> Routed<'static> {
    Routed {
        delay_ms: 0,
        answer: Answer::Error {
            status: Status::MethodNotAllowed,
            message: format!("method {} not allowed here: use {allow}\n", echo(method)),
            allow,
        },
    }
}

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
    let secs = text.strip_suffix('s').ok_or(BadDelay::Malformed)?;
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

/// Strips `http://host` or `https://host` from an absolute-form target (what a client
/// sends to a proxy), leaving the path.
fn origin_form(target: &str) -> &str {
    for scheme in ["http://", "https://"] {
        if let Some(rest) = strip_prefix_ignore_case(target, scheme) {
            return rest.find('/').map_or("/", |i| &rest[i..]);
        }
    }
    target
}

pub(crate) fn strip_prefix_ignore_case<'a>(s: &'a str, prefix: &str) -> Option<&'a str> {
    let head = s.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &s[prefix.len()..])
}

/// At most [`ECHO_LIMIT`] bytes of client text, cut on a character boundary.
pub(crate) fn echo(text: &str) -> &str {
    if text.len() <= ECHO_LIMIT {
        return text;
    }
    let mut end = ECHO_LIMIT;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status(method: &str, target: &str) -> Status {
        match route(method, target, 60_000).answer {
            Answer::Error { status, .. } => status,
            Answer::Redirect { status, .. } => status,
            _ => Status::Ok,
        }
    }

    fn redirect(method: &str, target: &str) -> (u64, Status, String) {
        match route(method, target, 60_000) {
            Routed {
                delay_ms,
                answer: Answer::Redirect { status, location },
            } => (delay_ms, status, location.into_owned()),
            other => panic!("{target}: not a redirect: {other:?}"),
        }
    }

    #[test]
    fn delay_units_are_ms_by_default_and_seconds_with_s() {
        for (text, ms) in [
            ("0", 0),
            ("1500", 1500),
            ("250ms", 250),
            ("1.5s", 1500),
            ("2s", 2000),
            ("0.25s", 250),
            ("0.0001s", 1),
            ("1.2340s", 1234),
        ] {
            assert_eq!(parse_delay(text), Ok(ms), "{text}");
        }
        for bad in [
            "",
            "-1",
            "1.5",
            "abc",
            "ms",
            "s",
            ".5s",
            "1.s",
            "1e3",
            "1,5s",
            "1 s",
            "0x10",
            "99999999999999999999999s.",
        ] {
            assert_eq!(parse_delay(bad), Err(BadDelay::Malformed), "{bad:?}");
        }
        for huge in [
            "99999999999999999999",
            "99999999999999999999ms",
            "100000000000000000s",
            "18446744073709551.616s",
            "18446744073709551.6151s",
        ] {
            assert_eq!(parse_delay(huge), Err(BadDelay::TooLarge), "{huge:?}");
        }
    }

    #[test]
    fn plain_delay_route_waits_and_answers_200() {
        let r = route("GET", "/delay/1500", 60_000);
        assert_eq!(r.delay_ms, 1500);
        assert_eq!(
            r.answer,
            Answer::Delayed {
                path: "/delay/1500"
            }
        );
        assert_eq!(route("HEAD", "/delay/2s?x=1", 60_000).delay_ms, 2000);
        assert_eq!(route("GET", "HTTP://h:1/delay/3", 60_000).delay_ms, 3);
    }

    #[test]
    fn url_route_redirects_302_with_the_decoded_url_reencoded_where_a_uri_needs_it() {
        assert_eq!(
            redirect("GET", "/delay/100/url/http://www.google.com/a?b=c:d"),
            (100, Status::Found, "http://www.google.com/a?b=c:d".into())
        );
        assert_eq!(
            redirect("HEAD", "/delay/1s/url/https%3A%2F%2Fexample.com%2Fx%20y").2,
            "https://example.com/x%20y"
        );
    }

    #[test]
    fn post_to_the_url_route_is_307_and_elsewhere_405() {
        assert_eq!(
            redirect("POST", "/delay/5/url/http://x/").1,
            Status::TemporaryRedirect
        );
        match route("POST", "/delay/5", 60_000).answer {
            Answer::Error { status, allow, .. } => {
                assert_eq!((status, allow), (Status::MethodNotAllowed, "GET, HEAD"));
            }
            other => panic!("{other:?}"),
        }
        for method in ["PUT", "DELETE", "get", "OPTIONS"] {
            assert_eq!(status(method, "/delay/10"), Status::MethodNotAllowed);
            assert_eq!(status(method, "/delay/10/url/x"), Status::MethodNotAllowed);
            assert_eq!(status(method, "/"), Status::MethodNotAllowed);
        }
    }

    #[test]
    fn url_without_delay_waits_a_second_as_slowwly_did() {
        assert_eq!(
            redirect("GET", "/delay/url/http://x.org"),
            (1000, Status::Found, "http://x.org".into())
        );
    }

    #[test]
    fn control_characters_and_broken_escapes_are_400_never_a_header() {
        for url in crate::server::location::tests::REFUSED {
            let target = format!("/delay/1/url/{url}");
            let r = route("GET", &target, 60_000);
            assert!(
                matches!(
                    r.answer,
                    Answer::Error {
                        status: Status::BadRequest,
                        ..
                    }
                ),
                "{url}: {r:?}"
            );
        }
        assert_eq!(status("GET", "/delay/1/url/"), Status::BadRequest);
    }

    #[test]
    fn index_other_paths_and_bad_delays() {
        assert_eq!(route("GET", "/", 60_000).answer, Answer::Index);
        assert_eq!(route("HEAD", "/?x", 60_000).answer, Answer::Index);
        for path in [
            "/delay",
            "/delay/1/",
            "/delay/1/x",
            "/delays/1",
            "*",
            "/status/200",
        ] {
            assert_eq!(status("GET", path), Status::NotFound, "{path}");
        }
        for path in [
            "/delay/abc",
            "/delay/-1",
            "/delay/1.5",
            "/delay/",
            "/delay/?x",
        ] {
            let r = route("GET", path, 60_000);
            assert_eq!(status("GET", path), Status::BadRequest, "{path}");
            assert_eq!(r.delay_ms, 0);
        }
        match route("GET", "/delay/soon", 60_000).answer {
            Answer::Error { message, .. } => assert!(message.contains("1.5s"), "{message}"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn the_cap_applies_to_every_unit() {
        for path in [
            "/delay/99999999999999999999",
            "/delay/1000000000000000s",
            "/delay/100000000000000000s",
            "/delay/60001",
            "/delay/60001ms",
            "/delay/60.001s",
            "/delay/61s/url/x",
        ] {
            match route("GET", path, 60_000).answer {
                Answer::Error {
                    status, message, ..
                } => {
                    assert_eq!(status, Status::BadRequest, "{path}");
                    assert!(message.contains("cap of 60000 ms"), "{message}");
                }
                other => panic!("{path}: {other:?}"),
            }
        }
        assert_eq!(route("GET", "/delay/60s", 60_000).delay_ms, 60_000);
    }

    #[test]
    fn a_long_path_is_echoed_only_in_part() {
        let path = format!("/delay/5?{}", "q".repeat(1000));
        match route("GET", &path, 60_000).answer {
            Answer::Delayed { path } => assert_eq!(path.len(), ECHO_LIMIT),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn echoed_client_text_is_bounded() {
        let path = format!("/nothing/{}", "é".repeat(300));
        match route("GET", &path, 60_000).answer {
            Answer::Error { message, .. } => assert!(message.len() < ECHO_LIMIT + 100),
            other => panic!("{other:?}"),
        }
    }
}
