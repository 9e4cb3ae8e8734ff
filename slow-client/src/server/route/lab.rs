//! The timeout lab's routes, beside slowwly's: what a client's timeout and retry
//! policies are tested against. `/status/{code}?delay={d}`, `/drip` ([`drip`]: its
//! parameters and schedule) and `/fault/{kind}` ([`fault`]: its bytes and its end),
//! sans-I/O; the connection releases them on its timers.

use std::borrow::Cow;

use super::delay::{parse_query_duration, BadDelay};
use super::{echo, Answer, Routed};
use crate::server::response::Status;

pub(crate) mod drip;
pub(crate) mod fault;

use fault::Fault;

/// `/status/{code}?delay={d}`: any final status, 200 to 599, after `d` (a query
/// duration, 0 by default). A 3xx but 304 carries `Location: /`; a 204 or 304 has no
/// body, the others say their status; a 405 names `allow`.
pub(crate) fn status<'a>(
    code: &str,
    query: &'a str,
    allow: &'static str,
    max_delay_ms: u64,
) -> Routed<'a> {
    let number = (code.len() == 3 && code.bytes().all(|b| b.is_ascii_digit()))
        .then(|| code.parse::<u16>().ok())
        .flatten();
    let code = match number {
        Some(code @ 200..=599) => code,
        Some(100..=199) => {
            return Routed::error(
                Status::BadRequest,
                "a 1xx is not an answer: ask for a final status, 200 to 599\n".to_owned(),
            )
        }
        _ => {
            return Routed::error(
                Status::BadRequest,
                format!(
                    "status {:?} is not a final status code, 200 to 599\n",
                    echo(code)
                ),
            )
        }
    };
    let delay_ms = match query_duration(query, "delay", 0, max_delay_ms) {
        Ok(ms) => ms,
        Err(message) => return Routed::error(Status::BadRequest, message),
    };
    let status = Status::Asked(code);
    let answer = if (300..400).contains(&code) && code != 304 {
        Answer::Redirect {
            status,
            location: Cow::Borrowed("/"),
        }
    } else {
        Answer::Text {
            status,
            message: if status.has_body() {
                format!("{code} {}\n", status.reason())
            } else {
                String::new()
            },
            allow: if code == 405 { allow } else { "" },
        }
    };
    Routed { delay_ms, answer }
}

/// `/fault/{kind}?delay={d}`: the failure named `kind` after `d` (0 by default).
pub(crate) fn fault<'a>(kind: &str, query: &str, max_delay_ms: u64) -> Routed<'a> {
    let Some(fault) = Fault::parse(kind) else {
        let kinds: Vec<&str> = Fault::ALL.iter().map(|f| f.name()).collect();
        return Routed::error(
            Status::NotFound,
            format!("no fault {:?}: one of {}\n", echo(kind), kinds.join(", ")),
        );
    };
    match query_duration(query, "delay", 0, max_delay_ms) {
        Ok(delay_ms) => Routed {
            delay_ms,
            answer: Answer::Fault(fault),
        },
        Err(message) => Routed::error(Status::BadRequest, message),
    }
}

/// The first value of `name` in `query` (`a=1&b=2`), as written.
pub(crate) fn query_value<'a>(query: &'a str, name: &str) -> Option<&'a str> {
    query.split('&').find_map(|pair| {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        (key == name).then_some(value)
    })
}

/// The query duration `name` in milliseconds (`default` when absent), at most
/// `max_delay_ms`.
///
/// # Errors
/// The 400's message: malformed, or above the cap.
pub(crate) fn query_duration(
    query: &str,
    name: &str,
    default: u64,
    max_delay_ms: u64,
) -> Result<u64, String> {
    let Some(text) = query_value(query, name) else {
        return Ok(default);
    };
    match parse_query_duration(text) {
        Ok(ms) if ms <= max_delay_ms => Ok(ms),
        Ok(_) | Err(BadDelay::TooLarge) => Err(format!(
            "{name} {} is above this server's cap of {max_delay_ms} ms (--max-delay-ms)\n",
            echo(text)
        )),
        Err(BadDelay::Malformed) => Err(format!(
            "{name} {:?} is not seconds (2, 0.5) or {{ms}}ms or {{seconds}}s\n",
            echo(text)
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn asked(code: &str, query: &str) -> Routed<'static> {
        let query: &'static str = Box::leak(query.to_owned().into_boxed_str());
        status(code, query, "GET, HEAD, OPTIONS", 60_000)
    }

    #[test]
    fn every_final_status_is_answered_after_its_delay() {
        for code in 200..=599u16 {
            let r = asked(&code.to_string(), "delay=1.5");
            assert_eq!(r.delay_ms, 1500, "{code}");
            let got = match r.answer {
                Answer::Redirect { status, location } => {
                    assert_eq!(location, "/", "{code}");
                    assert!((300..400).contains(&code) && code != 304);
                    status
                }
                Answer::Text {
                    status, message, ..
                } => {
                    assert_eq!(message.is_empty(), matches!(code, 204 | 304), "{code}");
                    status
                }
                other => panic!("{code}: {other:?}"),
            };
            assert_eq!(got, Status::Asked(code));
        }
        assert_eq!(asked("503", "").delay_ms, 0);
        assert_eq!(asked("503", "x=1&delay=250ms").delay_ms, 250);
        match asked("405", "").answer {
            Answer::Text { allow, message, .. } => {
                assert_eq!(
                    (allow, message.as_str()),
                    ("GET, HEAD, OPTIONS", "405 Method Not Allowed\n")
                );
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_1xx_another_number_or_a_bad_delay_is_400() {
        for (code, query) in [
            ("100", ""),
            ("101", ""),
            ("199", ""),
            ("600", ""),
            ("099", ""),
            ("20", ""),
            ("2000", ""),
            ("abc", ""),
            ("+200", ""),
            ("200", "delay=x"),
            ("200", "delay=61"),
            ("200", "delay=-1"),
        ] {
            match asked(code, query) {
                Routed {
                    delay_ms: 0,
                    answer:
                        Answer::Text {
                            status: Status::BadRequest,
                            ..
                        },
                } => {}
                other => panic!("{code}?{query}: {other:?}"),
            }
        }
    }

    #[test]
    fn faults_are_routed_by_their_exact_name_after_their_delay() {
        for fault in Fault::ALL {
            let r = super::fault(fault.name(), "delay=0.3", 60_000);
            assert_eq!((r.delay_ms, r.answer), (300, Answer::Fault(fault)));
        }
        for kind in ["", "Reset", "reset/", "nope"] {
            match super::fault(kind, "", 60_000).answer {
                Answer::Text {
                    status, message, ..
                } => {
                    assert_eq!(status, Status::NotFound, "{kind}");
                    assert!(message.contains("truncated_body"), "{message}");
                }
                other => panic!("{kind}: {other:?}"),
            }
        }
        assert_eq!(super::fault("reset", "delay=61", 60_000).delay_ms, 0);
    }

    #[test]
    fn query_values_are_found_by_exact_name_first_one_wins() {
        assert_eq!(query_value("a=1&delay=2&delay=3", "delay"), Some("2"));
        assert_eq!(query_value("xdelay=1", "delay"), None);
        assert_eq!(query_value("delay", "delay"), Some(""));
        assert_eq!(query_value("", "delay"), None);
    }
}
