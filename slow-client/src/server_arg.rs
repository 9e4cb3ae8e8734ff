//! The `--server` argument: `HOST:PORT`, or the same as an `http://` URL.
//!
//! A user pastes what the browser's address bar shows (`http://127.0.0.1:8080/`);
//! that names the same server as `127.0.0.1:8080`, so it is accepted. An
//! `https://` URL is refused by name: this client speaks plain HTTP only.
//! Resolving the name is left to the caller; this is only the text.

use thiserror::Error;

/// The port an `http://` URL without one means.
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
    /// No host, no port where one is needed, or a port that is not a number in 1..=65535.
    #[error("--server {0:?}: expected HOST:PORT or http://HOST:PORT")]
    Malformed(String),
}

/// Parses a `--server` value into `HOST:PORT` (brackets kept around an IPv6 host).
///
/// Accepts `HOST:PORT`, `http://HOST:PORT`, `http://HOST` (port 80), each with an
/// optional trailing `/`; the scheme is case-insensitive. The result is what to
/// resolve and what to send as the `Host` header.
///
/// # Errors
/// [`ServerArgError::Tls`] for `https://`, [`ServerArgError::Scheme`] for another
/// scheme, [`ServerArgError::Path`] for a URL with a path, [`ServerArgError::Malformed`]
/// for a missing host or a missing or bad port.
///
/// # Examples
/// ```
/// use slow_client::server_arg::parse_server;
/// assert_eq!(parse_server("http://127.0.0.1:8080/").unwrap(), "127.0.0.1:8080");
/// assert_eq!(parse_server("localhost:9000").unwrap(), "localhost:9000");
/// assert!(parse_server("https://example.com").unwrap_err().to_string().contains("TLS is not supported"));
/// ```
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
    let malformed = || ServerArgError::Malformed(arg.to_owned());
    if authority.contains('@') {
        return Err(malformed());
    }
    let (host, port) = split_port(authority).ok_or_else(malformed)?;
    if host.is_empty() || host == "[]" {
        return Err(malformed());
    }
    let port = match port {
        Some(p) => p
            .parse::<u16>()
            .ok()
            .filter(|&p| p != 0)
            .ok_or_else(malformed)?,
        None if is_url => HTTP_PORT,
        None => return Err(malformed()),
    };
    Ok(format!("{host}:{port}"))
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
            "localhost",
            ":8080",
            "http://",
            "http://:80",
            "x:",
            "x:0",
            "x:65536",
            "x:http",
            "[::1",
            "[::1]x",
            "http://u@x:80",
        ] {
            assert!(
                matches!(parse_server(arg), Err(ServerArgError::Malformed(_))),
                "{arg}: {:?}",
                parse_server(arg)
            );
        }
    }

    #[test]
    fn errors_name_the_argument() {
        let err = parse_server("localhost").unwrap_err().to_string();
        assert!(err.contains("\"localhost\""), "{err}");
        assert!(err.contains("HOST:PORT"), "{err}");
    }
}
