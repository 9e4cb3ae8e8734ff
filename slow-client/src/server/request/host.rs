//! Whether a `Host` field value is a `uri-host [":" port]` (RFC 9110 §7.2, RFC 3986 §3.2.2).

use std::net::Ipv6Addr;

/// Whether `value` (surrounding whitespace aside) is a host, optionally with a port:
/// a registered name or IPv4 address (unreserved, sub-delim and `%XX` characters, not
/// empty), or an IPv6 literal in brackets.
pub(super) fn valid(value: &[u8]) -> bool {
    let value = value.trim_ascii();
    let (host_ok, port) = if let Some(literal) = value.strip_prefix(b"[") {
        let Some(close) = literal.iter().position(|&b| b == b']') else {
            return false;
        };
        let ipv6 = std::str::from_utf8(&literal[..close])
            .ok()
            .and_then(|s| s.parse::<Ipv6Addr>().ok());
        match &literal[close + 1..] {
            [] => (ipv6.is_some(), None),
            [b':', port @ ..] => (ipv6.is_some(), Some(port)),
            _ => return false,
        }
    } else {
        match value.iter().rposition(|&b| b == b':') {
            Some(colon) => (reg_name(&value[..colon]), Some(&value[colon + 1..])),
            None => (reg_name(value), None),
        }
    };
    host_ok && port.is_none_or(|p| p.iter().all(u8::is_ascii_digit))
}

/// A non-empty `reg-name` (an IPv4 address is one too): unreserved and sub-delim
/// characters and `%XX` escapes.
fn reg_name(name: &[u8]) -> bool {
    let mut i = 0;
    while i < name.len() {
        match name[i] {
            b'%' => {
                let escape = name.get(i + 1..i + 3);
                if !escape.is_some_and(|hex| hex.iter().all(u8::is_ascii_hexdigit)) {
                    return false;
                }
                i += 3;
            }
            b if b.is_ascii_alphanumeric() || b"-._~!$&'()*+,;=".contains(&b) => i += 1,
            _ => return false,
        }
    }
    !name.is_empty()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_addresses_and_ports_are_hosts() {
        for host in [
            "x",
            "example.com",
            "example.com:8080",
            "127.0.0.1:80",
            "localhost:",
            "[::1]",
            "[::1]:8080",
            "[2001:db8::7]:1",
            "a%41b",
            " padded.example ",
        ] {
            assert!(valid(host.as_bytes()), "{host:?}");
        }
    }

    #[test]
    fn empty_spaced_or_broken_values_are_not() {
        for host in [
            "",
            " ",
            "a b",
            ":80",
            "x:8o",
            "x:80:80",
            "[::1",
            "[::1]x",
            "[nothost]",
            "[]",
            "a/b",
            "a@b",
            "a%4",
            "h\u{e9}",
        ] {
            assert!(!valid(host.as_bytes()), "{host:?}");
        }
        assert!(!valid(b"a\tb"));
    }
}
