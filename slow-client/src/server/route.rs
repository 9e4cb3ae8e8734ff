//! Routing: slowwly's routes (its `delay_controller.rb`) and the timeout lab's. A method
//! and a target in, a delay and what to answer after it out. Pure functions,
//! unit-tested in `route/tests.rs`.
//!
//! | route | answer |
//! |---|---|
//! | `GET /` | the index page, at once |
//! | `GET /delay/{d}` | `200` with a short text body after `d` |
//! | `GET /delay/{d}/url/{url}` | `302 Found`, `Location: {url}` after `d` |
//! | `POST /delay/{d}/url/{url}` | `307 Temporary Redirect` after `d` |
//! | `/delay/url/{url}` | as above with `d` = 1000 ms |
//! | `/status/{code}?delay={d}` | status `code` (200 to 599) after `d` (0 by default) |
//! | `GET /drip?numbytes=&duration=&delay=&code=` | httpbin's drip: the head at `delay`, then one byte at a time |
//! | `/fault/{kind}?delay={d}` | after `d`, the failure a client names `kind` (`--json`) |
//! | `OPTIONS` on any route | `204` with `Allow` and the CORS preflight fields |
//! | `OPTIONS *` | `200` with `Allow` |
//!
//! `HEAD` is answered like `GET`. In a path `{d}` is milliseconds (`250`, `250ms`) or
//! decimal seconds (`1.5s`); in a query, seconds (`2`, `0.5`) or either unit.

use std::borrow::Cow;

use super::location::{location, strip_prefix_ignore_case, BadUrl};
use super::response::Status;
use delay::{parse_delay, BadDelay};
pub(crate) use lab::drip::Drip;
pub(crate) use lab::fault::Fault;

mod delay;
pub(crate) mod lab;

/// Longest part of the request target echoed back in a body, so a reply stays small
/// however long the path was.
pub(crate) const ECHO_LIMIT: usize = 200;

/// The delay `/delay/url/{url}` waits, as slowwly did.
const DEFAULT_DELAY_MS: u64 = 1000;

/// The methods some route takes: the `Allow` of `OPTIONS *`.
const ALLOW_ANY: &str = "GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS";

/// What a request is answered with once its delay is over.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Answer<'a> {
    /// `200`, body `delayed {ms} ms: {path}` (at most [`ECHO_LIMIT`] bytes of the path).
    Delayed { path: &'a str },
    /// A redirect to `location`, empty body: `302` (GET, HEAD) or `307` (POST) from
    /// `/delay/{d}/url/{url}`, or an asked-for 3xx to `/`.
    Redirect {
        status: Status,
        location: Cow<'a, str>,
    },
    /// `200` with the index page.
    Index,
    /// httpbin's `/drip`: the head after the delay, then the body byte by byte.
    Drip(Drip),
    /// `/fault/{kind}`: after the delay, the bytes and the end of that failure.
    Fault(Fault),
    /// A status with a one-line text: an error, or an asked-for status; or with no
    /// text: the answers to `OPTIONS` (204 on a route, 200 for `*`).
    Text {
        status: Status,
        message: String,
        /// The `Allow` value of a 405 or an answer to `OPTIONS` (empty: none).
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
    /// `status` with `message`, at once.
    pub(crate) fn error(status: Status, message: String) -> Routed<'a> {
        Routed::now(status, message, "")
    }

    fn now(status: Status, message: String, allow: &'static str) -> Routed<'a> {
        Routed {
            delay_ms: 0,
            answer: Answer::Text {
                status,
                message,
                allow,
            },
        }
    }
}

/// The routes, by the shape of their path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Shape<'a> {
    Index,
    /// `/delay/{d}`, `/delay/{d}/url/{url}`, `/delay/url/{url}`.
    Delay {
        delay: Option<&'a str>,
        url: Option<&'a str>,
    },
    /// `/status/{code}?{query}`.
    Status {
        code: &'a str,
        query: &'a str,
    },
    /// `/drip?{query}`.
    Drip {
        query: &'a str,
    },
    /// `/fault/{kind}?{query}`.
    Fault {
        kind: &'a str,
        query: &'a str,
    },
}

impl<'a> Shape<'a> {
    /// The route a path names, if any.
    fn of(path: &'a str) -> Option<Shape<'a>> {
        let (bare, query) = path.split_once('?').unwrap_or((path, ""));
        if bare == "/" {
            return Some(Shape::Index);
        }
        if let Some(code) = bare.strip_prefix("/status/") {
            return Some(Shape::Status { code, query });
        }
        if bare == "/drip" {
            return Some(Shape::Drip { query });
        }
        if let Some(kind) = bare.strip_prefix("/fault/") {
            return Some(Shape::Fault { kind, query });
        }
        let rest = path.strip_prefix("/delay/")?;
        if let Some(url) = rest.strip_prefix("url/") {
            return Some(Shape::Delay {
                delay: None,
                url: Some(url),
            });
        }
        let end = rest.find(['/', '?']).unwrap_or(rest.len());
        let (delay, tail) = rest.split_at(end);
        if tail.is_empty() || tail.starts_with('?') {
            return Some(Shape::Delay {
                delay: Some(delay),
                url: None,
            });
        }
        let url = tail.strip_prefix("/url/")?;
        Some(Shape::Delay {
            delay: Some(delay),
            url: Some(url),
        })
    }

    /// The methods the route takes, as an `Allow` value.
    fn allow(self) -> &'static str {
        match self {
            Shape::Index | Shape::Delay { url: None, .. } | Shape::Drip { .. } => {
                "GET, HEAD, OPTIONS"
            }
            Shape::Delay { url: Some(_), .. } => "GET, HEAD, POST, OPTIONS",
            Shape::Status { .. } | Shape::Fault { .. } => ALLOW_ANY,
        }
    }
}

/// Routes `method target` (origin or absolute form, or `*`) with delays capped at
/// `max_delay_ms`; the answer borrows from `target` where it can.
///
/// The target's form is checked first (400), then the path's shape (404); `OPTIONS`
/// is answered there (204); then the method (405, naming what the route accepts),
/// then the route's own parameters (400).
pub(crate) fn route<'a>(method: &str, target: &'a str, max_delay_ms: u64) -> Routed<'a> {
    if target == "*" {
        return if method == "OPTIONS" {
            Routed::now(Status::Ok, String::new(), ALLOW_ANY)
        } else {
            Routed::error(
                Status::BadRequest,
                "the target * is for OPTIONS only\n".to_owned(),
            )
        };
    }
    let Some(path) = origin_form(target) else {
        return Routed::error(
            Status::BadRequest,
            format!(
                "target {:?} is neither a path nor an http url (this server is not a proxy)\n",
                echo(target)
            ),
        );
    };
    if broken_escape(path) {
        return Routed::error(
            Status::BadRequest,
            format!("target {:?} has a broken %-escape\n", echo(path)),
        );
    }
    let Some(shape) = Shape::of(path) else {
        return not_found(path);
    };
    if method == "OPTIONS" {
        return Routed::now(Status::NoContent, String::new(), shape.allow());
    }
    if !shape.allow().split(", ").any(|m| m == method) {
        return method_not_allowed(method, shape.allow());
    }
    match shape {
        Shape::Index => Routed {
            delay_ms: 0,
            answer: Answer::Index,
        },
        Shape::Delay { delay, url } => delay_route(method, path, delay, url, max_delay_ms),
        Shape::Status { code, query } => lab::status(code, query, shape.allow(), max_delay_ms),
        Shape::Drip { query } => match Drip::parse(query, max_delay_ms) {
            Ok(drip) => Routed {
                delay_ms: drip.delay_ms,
                answer: Answer::Drip(drip),
            },
            Err(message) => Routed::error(Status::BadRequest, message),
        },
        Shape::Fault { kind, query } => lab::fault(kind, query, max_delay_ms),
    }
}

/// `/delay/{d}` and `/delay/{d}/url/{url}`.
fn delay_route<'a>(
    method: &str,
    path: &'a str,
    delay_text: Option<&str>,
    url: Option<&'a str>,
    max_delay_ms: u64,
) -> Routed<'a> {
    let delay_ms = match delay_text.map(|text| (text, parse_delay(text))) {
        None => DEFAULT_DELAY_MS,
        Some((_, Ok(ms))) => ms,
        Some((text, Err(BadDelay::Malformed))) => {
            return Routed::error(
                Status::BadRequest,
                format!(
                    "delay {:?} is not one of {{ms}}, {{ms}}ms or {{seconds}}s (e.g. 250, 250ms, 1.5s)\n",
                    echo(text)
                ),
            )
        }
        Some((text, Err(BadDelay::TooLarge))) => return over_cap(echo(text), max_delay_ms),
    };
    if delay_ms > max_delay_ms {
        return over_cap(&format!("{delay_ms} ms"), max_delay_ms);
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
            Err(BadUrl::BrokenEscape) => {
                return Routed::error(
                    Status::BadRequest,
                    format!("url {:?} has a broken %-escape\n", echo(url)),
                )
            }
            Err(bad) => return Routed::error(Status::BadRequest, bad.message().to_owned()),
        },
    };
    Routed { delay_ms, answer }
}

/// The 400 of a delay above the cap; `delay` as the client wrote it or in ms.
fn over_cap(delay: &str, max_delay_ms: u64) -> Routed<'static> {
    Routed::error(
        Status::BadRequest,
        format!("delay {delay} is above this server's cap of {max_delay_ms} ms (--max-delay-ms)\n"),
    )
}

fn not_found(path: &str) -> Routed<'static> {
    Routed::error(
        Status::NotFound,
        format!(
            "no route for {}: try /delay/{{ms}}, /delay/{{ms}}/url/{{url}}, /status/{{code}}, /drip, /fault/{{kind}} or / for the list\n",
            echo(path)
        ),
    )
}

fn method_not_allowed(method: &str, allow: &'static str) -> Routed<'static> {
    Routed::now(
        Status::MethodNotAllowed,
        format!("method {} not allowed here: use {allow}\n", echo(method)),
        allow,
    )
}

/// The path of an origin-form target (`/...`), or of an absolute-form one
/// (`http://host/...`, what a client sends to a proxy); `None` for any other form
/// (`host:80` of a CONNECT, a bare word).
fn origin_form(target: &str) -> Option<&str> {
    if target.starts_with('/') {
        return Some(target);
    }
    ["http://", "https://"].iter().find_map(|scheme| {
        let rest = strip_prefix_ignore_case(target, scheme)?;
        Some(rest.find('/').map_or("/", |i| &rest[i..]))
    })
}

/// Whether `path` has a `%` that starts no `%XX` escape (RFC 3986 §2.1).
fn broken_escape(path: &str) -> bool {
    let bytes = path.as_bytes();
    bytes.iter().enumerate().any(|(i, &b)| {
        b == b'%'
            && !bytes
                .get(i + 1..i + 3)
                .is_some_and(|hex| hex.iter().all(u8::is_ascii_hexdigit))
    })
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
mod tests;
