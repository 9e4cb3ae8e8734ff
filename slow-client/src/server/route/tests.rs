//! Routing's rules, each pinned on a method and a target.
use super::delay::*;
use super::*;

fn status(method: &str, target: &str) -> Status {
    match route(method, target, 60_000).answer {
        Answer::Text { status, .. } => status,
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
        Answer::Text { status, allow, .. } => {
            assert_eq!(
                (status, allow),
                (Status::MethodNotAllowed, "GET, HEAD, OPTIONS")
            );
        }
        other => panic!("{other:?}"),
    }
    for method in ["PUT", "DELETE", "get", "options"] {
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
                Answer::Text {
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
        "/status",
        "/drip/1",
        "/faults/reset",
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
        Answer::Text { message, .. } => assert!(message.contains("1.5s"), "{message}"),
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
            Answer::Text {
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
        Answer::Text { message, .. } => assert!(message.len() < ECHO_LIMIT + 150),
        other => panic!("{other:?}"),
    }
}

#[test]
fn options_on_a_route_is_a_preflight_and_options_star_names_every_method() {
    for (path, allow) in [
        ("/", "GET, HEAD, OPTIONS"),
        ("/delay/10", "GET, HEAD, OPTIONS"),
        ("/delay/abc", "GET, HEAD, OPTIONS"),
        ("/delay/10/url/http://x", "GET, HEAD, POST, OPTIONS"),
        ("/status/503", ALLOW_ANY),
    ] {
        assert_eq!(
            route("OPTIONS", path, 60_000),
            Routed {
                delay_ms: 0,
                answer: Answer::Text {
                    status: Status::NoContent,
                    message: String::new(),
                    allow
                }
            },
            "{path}"
        );
    }
    assert_eq!(status("OPTIONS", "/nowhere"), Status::NotFound);
    assert_eq!(status("OPTIONS", "*"), Status::Ok);
    match route("OPTIONS", "*", 60_000).answer {
        Answer::Text { allow, .. } => assert_eq!(allow, ALLOW_ANY),
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_star_for_another_method_an_authority_a_bare_word_or_a_bare_percent_is_400() {
    for (method, target) in [
        ("GET", "*"),
        ("HEAD", "*"),
        ("CONNECT", "host:80"),
        ("GET", "host:80"),
        ("GET", "delay/1"),
        ("GET", "ftp://x/delay/1"),
        ("GET", "/delay/1%"),
        ("GET", "/nowhere%"),
        ("GET", "/delay/1?q=%g1"),
        ("GET", "/%"),
    ] {
        let r = route(method, target, 60_000);
        assert_eq!(
            status(method, target),
            Status::BadRequest,
            "{method} {target}"
        );
        assert_eq!(r.delay_ms, 0);
    }
    assert_eq!(status("GET", "/nowhere%20x"), Status::NotFound);
}

#[test]
fn a_redirect_names_the_resource_the_caller_wrote() {
    for &url in crate::server::location::tests::RESERVED_ESCAPES {
        let (_, _, location) = redirect("GET", &format!("/delay/0/url/{url}"));
        assert_eq!(location, url);
    }
}

#[test]
fn status_routes_answer_any_method_they_list_after_their_delay() {
    for method in ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"] {
        let r = route(method, "/status/503?delay=2", 60_000);
        assert_eq!(r.delay_ms, 2000, "{method}");
        assert_eq!(status(method, "/status/503"), Status::Asked(503));
    }
    assert_eq!(status("TRACE", "/status/200"), Status::MethodNotAllowed);
    assert_eq!(status("GET", "/status/301"), Status::Asked(301));
    assert_eq!(status("GET", "/status/100"), Status::BadRequest);
}

#[test]
fn drip_and_fault_routes_carry_their_parameters() {
    let r = route("GET", "/drip?numbytes=5&duration=1&delay=0.5", 60_000);
    assert_eq!(r.delay_ms, 500);
    assert!(matches!(
        r.answer,
        Answer::Drip(Drip {
            numbytes: 5,
            duration_ms: 1000,
            ..
        })
    ));
    assert_eq!(status("GET", "/drip?numbytes=0"), Status::BadRequest);
    assert_eq!(status("POST", "/drip"), Status::MethodNotAllowed);
    assert_eq!(status("OPTIONS", "/drip"), Status::NoContent);
    let r = route("POST", "/fault/reset?delay=250ms", 60_000);
    assert_eq!((r.delay_ms, r.answer), (250, Answer::Fault(Fault::Reset)));
    assert_eq!(status("GET", "/fault/nothing"), Status::NotFound);
}
