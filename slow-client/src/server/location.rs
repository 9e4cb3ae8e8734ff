//! The `Location` of slowwly's redirect: the `{url}` tail percent-decoded, slashes a
//! proxy merged repaired, and anything that could break out of the header refused.

use std::borrow::Cow;

use super::route::{echo, strip_prefix_ignore_case};

/// The `Location` for a `/url/{url}` tail: percent-decoded, `http:/host` (slashes merged
/// by a proxy or a path normaliser) repaired to `http://host`, and what a URI may not
/// hold (space, `` "<>\^`{|} `` and non-ASCII) percent-encoded again, so the field is a
/// valid URI reference (RFC 9110 §10.2.2).
///
/// # Errors
/// A message for an empty url, a broken `%` escape, text that is not UTF-8, or one that
/// decodes to a control character (CR and LF would inject header fields).
pub(crate) fn location(url: &str) -> Result<Cow<'_, str>, String> {
    if url.is_empty() {
        return Err("no url to redirect to: use /delay/{ms}/url/{url}\n".to_owned());
    }
    let decoded = if url.contains('%') {
        let bytes = percent_decode(url)
            .ok_or_else(|| format!("url {:?} has a broken %-escape\n", echo(url)))?;
        Cow::Owned(
            String::from_utf8(bytes).map_err(|_| "url is not UTF-8 once decoded\n".to_owned())?,
        )
    } else {
        Cow::Borrowed(url)
    };
    if decoded.chars().any(char::is_control) {
        return Err("url decodes to a control character; refusing to put it in a header\n".into());
    }
    Ok(encode_unsafe(repair_scheme_slashes(decoded)))
}

/// Bytes a URI may not hold as they are (RFC 3986 §2): space, the delimiters RFC 3986
/// excludes, and every non-ASCII byte (controls are refused before this).
fn unsafe_in_uri(b: u8) -> bool {
    b >= 0x80
        || matches!(
            b,
            b' ' | b'"' | b'<' | b'>' | b'\\' | b'^' | b'`' | b'{' | b'|' | b'}'
        )
}

/// Percent-encodes the bytes of `url` a URI may not hold; borrows when there are none.
fn encode_unsafe(url: Cow<'_, str>) -> Cow<'_, str> {
    if !url.bytes().any(unsafe_in_uri) {
        return url;
    }
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let mut out = String::with_capacity(url.len() + 16);
    for b in url.bytes() {
        if unsafe_in_uri(b) {
            out.push('%');
            out.push(char::from(HEX[usize::from(b >> 4)]));
            out.push(char::from(HEX[usize::from(b & 0xf)]));
        } else {
            out.push(char::from(b));
        }
    }
    Cow::Owned(out)
}

/// Decodes `%XX` escapes. `None` on a broken escape.
fn percent_decode(text: &str) -> Option<Vec<u8>> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
            if !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
                return None;
            }
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    Some(out)
}

/// `http:/host` → `http://host` (and `https:`), any case; other text unchanged.
fn repair_scheme_slashes(url: Cow<'_, str>) -> Cow<'_, str> {
    for scheme in ["http:", "https:"] {
        let Some(rest) = strip_prefix_ignore_case(&url, scheme) else {
            continue;
        };
        if rest.starts_with('/') && !rest.starts_with("//") {
            return Cow::Owned(format!("{}/{rest}", &url[..scheme.len()]));
        }
        return url;
    }
    url
}

#[cfg(test)]
pub(in crate::server) mod tests {
    use super::*;

    #[test]
    fn merged_scheme_slashes_are_repaired() {
        for (url, want) in [
            ("http:/host/p", "http://host/p"),
            ("HTTPS:/host", "HTTPS://host"),
            ("http://host", "http://host"),
            ("http%3A%2Fhost", "http://host"),
            ("/relative/path", "/relative/path"),
            ("ftp:/x", "ftp:/x"),
        ] {
            assert_eq!(location(url).unwrap(), want, "{url}");
        }
    }

    #[test]
    fn what_a_uri_may_not_hold_is_percent_encoded_again() {
        for (url, want) in [
            ("http://h/a%20b", "http://h/a%20b"),
            ("http://h/a b", "http://h/a%20b"),
            (
                "http://h/%22%3C%3E%5C%5E%60%7B%7C%7D",
                "http://h/%22%3C%3E%5C%5E%60%7B%7C%7D",
            ),
            (
                "http://h/\"<>\\^`{|}",
                "http://h/%22%3C%3E%5C%5E%60%7B%7C%7D",
            ),
            ("http://h/caf%C3%A9", "http://h/caf%C3%A9"),
            ("http://h/café", "http://h/caf%C3%A9"),
            ("http://h/?q=a%26b#f", "http://h/?q=a&b#f"),
            ("http%3A%2Fh%2F100%2525", "http://h/100%25"),
        ] {
            assert_eq!(location(url).unwrap(), want, "{url}");
        }
        assert!(matches!(location("http://h/plain"), Ok(Cow::Borrowed(_))));
    }

    /// Urls whose decoding is a control character, a broken escape or not
    /// UTF-8: never a `Location` (the route tests check they answer 400).
    pub(in crate::server) const REFUSED: [&str; 8] = [
        "x%0D%0ASet-Cookie:%20a=b",
        "x%0a",
        "%00",
        "%7f",
        "%zz",
        "x%4",
        "%ff",
        "%+1",
    ];

    #[test]
    fn control_characters_broken_escapes_and_an_empty_url_are_refused() {
        for url in std::iter::once("").chain(REFUSED) {
            assert!(location(url).is_err(), "{url:?}");
        }
    }
}
