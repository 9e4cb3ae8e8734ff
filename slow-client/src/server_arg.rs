//! The `--server` argument: `HOST:PORT`, or the same as an `http://` URL.
//!
//! A user pastes what the browser's address bar shows (`http://127.0.0.1:8080/`);
//! that names the same server as `127.0.0.1:8080`, so it is accepted. An
//! `https://` URL is refused by name: this client speaks plain HTTP only.
//! Resolving the name is left to the caller; this is only the text.

use std::net::Ipv6Addr;
use thiserror::Error;

/// The port a server without one means (`http://example.com`, `example.com`).
const HTTP_PORT: u16 = 80;

/// A `--server` value that could not be understood.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum ServerArgError {
    /// An `https://` URL: the client has no TLS.
    #[error("--server {0:?}: TLS is not supported (https://); use a plain http:// server")]
    Tls(String),
    /// A URL scheme other than `http` or `https`.
    #[error("--server {0:?}: unsupported scheme (expected HOST:PORT or http://HOST:PORT)")]
    Scheme(String),
    /// A URL with a path, query or fragment beyond a trailing `/`.
    #[error("--server {0:?}: only a server goes here, not a path (the path is --path)")]
    Path(String),
    /// User name or password in the URL (`http://user:pw@host`).
    #[error("--server {0:?}: credentials are not supported (no user@ in the address)")]
    Credentials(String),
    /// An IPv6 address without brackets (`::1:8080`); the second member is the fix.
    #[error("--server {0:?}: an IPv6 address needs brackets: use {1}")]
    Ipv6Unbracketed(String, String),
    /// No host, a host with characters no host name has, or a port that is
    /// not a number in 1..=65535.
    #[error("--server {0:?}: expected HOST:PORT or http://HOST:PORT")]
    Malformed(String),
}

/// Parses a `--server` value into `HOST:PORT` (brackets kept around an IPv6 host).
///
/// Accepts `HOST:PORT`, `HOST` (port 80), `http://HOST:PORT`, `http://HOST`
/// (port 80), each with an optional trailing `/`; the scheme is
/// case-insensitive. The result is what to resolve and what to send as the
/// `Host` header.
///
/// # Errors
/// [`ServerArgError::Tls`] for `https://`, [`ServerArgError::Scheme`] for another
/// scheme, [`ServerArgError::Path`] for a URL with a path,
/// [`ServerArgError::Credentials`] for `user@`, [`ServerArgError::Ipv6Unbracketed`]
/// for `::1:8080`, [`ServerArgError::Malformed`] for a missing or bad host, or a
/// bad port (digits only; `http://host:/` means port 80).
pub fn parse_server(arg: &str) -> Result<String, ServerArgError> {
    let (rest, is_url) = match arg.split_once("://") {
        Some((scheme, rest)) if scheme.eq_ignore_ascii_case("http") => (rest, true),
        Some((scheme, _)) if scheme.eq_ignore_ascii_case("https") => {
            return Err(ServerArgError::Tls(arg.to_owned()))
        }
        Some(_) => return Err(ServerArgError::Scheme(arg.to_owned())),
        None => (arg, false),
    };
    let authority = rest.strip_suffix('/').unwrap_or(rest);
    if authority.contains(['/', '?', '#']) {
        return Err(ServerArgError::Path(arg.to_owned()));
    }
    if authority.contains('@') {
        return Err(ServerArgError::Credentials(arg.to_owned()));
    }
    let malformed = || ServerArgError::Malformed(arg.to_owned());
    let (host, port) = split_port(authority).ok_or_else(malformed)?;
    if host.contains(':') && !host.starts_with('[') {
        // `::1:8080`: an IPv6 address needs brackets to tell it from its port.
        return Err(match authority.rsplit_once(':') {
            Some((v6, port)) if v6.parse::<Ipv6Addr>().is_ok() && is_port(port) => {
                ServerArgError::Ipv6Unbracketed(arg.to_owned(), format!("[{v6}]:{port}"))
            }
            _ => malformed(),
        });
    }
    if !valid_host(host) {
        return Err(malformed());
    }
    let port = match port {
        Some(p) if is_port(p) => p.parse::<u16>().map_err(|_| malformed())?,
        // `http://host:/`: an empty port is the scheme's default.
        Some("") if is_url => HTTP_PORT,
        Some(_) => return Err(malformed()),
        // `example.com` names the same server as `http://example.com`.
        None => HTTP_PORT,
    };
    Ok(format!("{host}:{port}"))
}

/// Decimal digits only (no sign), naming a port in 1..=65535.
fn is_port(text: &str) -> bool {
    !text.is_empty()
        && text.bytes().all(|b| b.is_ascii_digit())
        && text.parse::<u16>().is_ok_and(|p| p != 0)
}

/// A host name or IPv4 address (letters, digits, `-`, `.`, `_`), or an IPv6
/// address in brackets.
fn valid_host(host: &str) -> bool {
    match host.strip_prefix('[').and_then(|h| h.strip_suffix(']')) {
        Some(v6) => v6.parse::<Ipv6Addr>().is_ok(),
        None => {
            !host.is_empty()
                && host
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_'))
        }
    }
}

/// Splits `host[:port]`, minding `[v6]:port`; `None` for an unclosed `[`.
fn split_port(authority: &str) -> Option<(&str, Option<&str>)> {
    if authority.starts_with('[') {
        let close = authority.find(']')?;
        let (host, tail) = authority.split_at(close + 1);
        return match tail {
            "" => Some((host, None)),
            _ => Some((host, Some(tail.strip_prefix(':')?))),
        };
    }
    Some(match authority.rsplit_once(':') {
        Some((host, port)) => (host, Some(port)),
        None => (authority, None),
    })
}

/// A parsed `--server`: what to connect to, and what the user typed (for messages).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerArg {
    /// `HOST:PORT`, as [`parse_server`] returns it.
    pub host_port: String,
    /// The argument as given on the command line.
    pub typed: String,
}

impl ServerArg {
    /// Parses `arg` with [`parse_server`], keeping the text.
    ///
    /// # Errors
    /// As [`parse_server`].
    pub fn parse(arg: &str) -> Result<Self, ServerArgError> {
        Ok(Self {
            host_port: parse_server(arg)?,
            typed: arg.to_owned(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(arg: &str) -> String {
        parse_server(arg).unwrap_or_else(|e| panic!("{arg}: {e}"))
    }

    #[test]
    fn host_port_passes_through() {
        assert_eq!(ok("127.0.0.1:8080"), "127.0.0.1:8080");
        assert_eq!(ok("localhost:80"), "localhost:80");
    }

    #[test]
    fn http_url_with_or_without_trailing_slash_is_its_host_port() {
        assert_eq!(ok("http://127.0.0.1:8080"), "127.0.0.1:8080");
        assert_eq!(ok("http://127.0.0.1:8080/"), "127.0.0.1:8080");
        assert_eq!(ok("HTTP://localhost:9000/"), "localhost:9000");
    }

    #[test]
    fn http_url_without_port_means_port_80() {
        assert_eq!(ok("http://localhost"), "localhost:80");
        assert_eq!(ok("http://localhost/"), "localhost:80");
    }

    #[test]
    fn ipv6_hosts_keep_their_brackets() {
        assert_eq!(ok("[::1]:8080"), "[::1]:8080");
        assert_eq!(ok("http://[::1]:8080/"), "[::1]:8080");
        assert_eq!(ok("http://[::1]"), "[::1]:80");
    }

    #[test]
    fn https_is_refused_as_tls_not_supported() {
        let err = parse_server("https://127.0.0.1:8443/").unwrap_err();
        assert_eq!(err, ServerArgError::Tls("https://127.0.0.1:8443/".into()));
        assert!(err.to_string().contains("TLS is not supported"), "{err}");
        assert!(matches!(
            parse_server("HTTPS://x:1"),
            Err(ServerArgError::Tls(_))
        ));
    }

    #[test]
    fn other_schemes_are_refused() {
        assert!(matches!(
            parse_server("ftp://x:21"),
            Err(ServerArgError::Scheme(_))
        ));
    }

    #[test]
    fn a_path_query_or_fragment_is_refused() {
        for arg in [
            "http://x:80/delay/1",
            "http://x:80//",
            "http://x:80?a=1",
            "http://x:80#f",
        ] {
            assert!(
                matches!(parse_server(arg), Err(ServerArgError::Path(_))),
                "{arg}"
            );
        }
    }

    #[test]
    fn missing_host_or_bad_port_is_malformed() {
        for arg in [
            "",
            ":8080",
            "http://",
            "http://:80",
            "x:",
            "x:0",
            "x:65536",
            "x:http",
            "[::1",
            "[::1]x",
            "x:+80",
            "x:-1",
            "x: 80",
            "http://h:80:90",
            "a b:80",
            "h\u{1}:80",
            "[nonsense]:80",
            "[::1]:+80",
        ] {
            assert!(
                matches!(parse_server(arg), Err(ServerArgError::Malformed(_))),
                "{arg}: {:?}",
                parse_server(arg)
            );
        }
    }

    #[test]
    fn an_empty_url_port_means_port_80() {
        assert_eq!(ok("http://h:/"), "h:80");
        assert_eq!(ok("http://h:"), "h:80");
        assert_eq!(ok("http://[::1]:/"), "[::1]:80");
    }

    #[test]
    fn userinfo_is_refused_as_credentials_not_supported() {
        for arg in ["http://u@x:80", "http://u:pw@x:80/", "u@x:80"] {
            let err = parse_server(arg).unwrap_err();
            assert!(
                matches!(err, ServerArgError::Credentials(_)),
                "{arg}: {err:?}"
            );
            assert!(
                err.to_string().contains("credentials are not supported"),
                "{err}"
            );
        }
    }

    #[test]
    fn an_unbracketed_ipv6_address_is_refused_with_the_bracketed_form() {
        let err = parse_server("::1:8080").unwrap_err();
        assert_eq!(
            err,
            ServerArgError::Ipv6Unbracketed("::1:8080".into(), "[::1]:8080".into())
        );
        assert!(err.to_string().contains("use [::1]:8080"), "{err}");
        assert!(matches!(
            parse_server("http://fe80::2:80/"),
            Err(ServerArgError::Ipv6Unbracketed(..))
        ));
    }

    #[test]
    fn host_names_with_underscores_and_dashes_pass() {
        assert_eq!(ok("my-host_1.example:8080"), "my-host_1.example:8080");
    }

    #[test]
    fn server_arg_keeps_what_was_typed() {
        let arg = ServerArg::parse("http://localhost/").unwrap();
        assert_eq!(arg.host_port, "localhost:80");
        assert_eq!(arg.typed, "http://localhost/");
    }

    #[test]
    fn errors_name_the_argument() {
        let err = parse_server("localhost:http").unwrap_err().to_string();
        assert!(err.contains("\"localhost:http\""), "{err}");
        assert!(err.contains("HOST:PORT"), "{err}");
    }

    #[test]
    fn a_host_without_a_port_means_port_80_as_its_url_does() {
        assert_eq!(ok("example.com"), "example.com:80");
        assert_eq!(ok("example.com"), ok("http://example.com"));
        assert_eq!(ok("[::1]"), "[::1]:80");
        assert_eq!(ok("example.com/"), "example.com:80");
    }

    #[test]
    fn the_examples_of_the_docs_hold() {
        assert_eq!(ok("http://127.0.0.1:8080/"), "127.0.0.1:8080");
        assert_eq!(ok("localhost:9000"), "localhost:9000");
        let err = parse_server("https://example.com").unwrap_err();
        assert!(err.to_string().contains("TLS is not supported"));
    }
}
