//! The `Location` of slowwly's redirect: the `{url}` tail as the caller wrote it, slashes
//! a proxy merged repaired, and anything that could break out of the header refused.

use std::borrow::Cow;

/// Why a `/url/{url}` tail cannot be a `Location`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BadUrl {
    /// Nothing after `/url/`.
    Empty,
    /// A `%` not followed by two hex digits.
    BrokenEscape,
    /// The escapes decode to bytes that are not UTF-8.
    NotUtf8,
    /// The escapes decode to a control character (CR and LF would inject header fields).
    Control,
}

impl BadUrl {
    /// The explanation a 400 carries.
    pub(crate) const fn message(self) -> &'static str {
        match self {
            BadUrl::Empty => "no url to redirect to: use /delay/{ms}/url/{url}\n",
            BadUrl::BrokenEscape => "url has a broken %-escape\n",
            BadUrl::NotUtf8 => "url is not UTF-8 once decoded\n",
            BadUrl::Control => {
                "url decodes to a control character; refusing to put it in a header\n"
            }
        }
    }
}

/// The `Location` for a `/url/{url}` tail: the url the caller wrote, as a valid URI
/// reference (RFC 9110 §10.2.2) naming the same resource.
///
/// - A url written out (`http://e.com/100%25?q=a%26b`) keeps its escapes as written:
///   decoding a reserved one (`%26`, `%23`, `%3F`, `%2F`, `%2B`, `%25`) would name another
///   resource (RFC 3986 §2.4).
/// - A url sent as one encoded component (`http%3A%2F%2Fe.com%2Fx`: its scheme's colon is
///   escaped) is decoded once, which gives the url the caller meant.
///
/// Then `http:/host` (slashes merged by a proxy or a path normaliser) is repaired to
/// `http://host`, and what a URI may not hold (space, `` "<>\^`{|} ``, non-ASCII, a `%`
/// that starts no escape) is percent-encoded.
///
/// # Errors
/// [`BadUrl`]: an empty url, a broken `%` escape, or escapes that decode to something
/// that is not UTF-8 or to a control character.
pub(crate) fn location(url: &str) -> Result<Cow<'_, str>, BadUrl> {
    if url.is_empty() {
        return Err(BadUrl::Empty);
    }
    if !url.contains('%') {
        return Ok(encode_unsafe(repair_scheme_slashes(Cow::Borrowed(url))));
    }
    let decoded = percent_decode(url).ok_or(BadUrl::BrokenEscape)?;
    let decoded = String::from_utf8(decoded).map_err(|_| BadUrl::NotUtf8)?;
    if decoded.chars().any(char::is_control) {
        return Err(BadUrl::Control);
    }
    let written = if encoded_component(url) {
        Cow::Owned(decoded)
    } else {
        Cow::Borrowed(url)
    };
    Ok(encode_unsafe(repair_scheme_slashes(written)))
}

/// Whether `url` is a whole url encoded as one component: a scheme whose `:` is `%3A`.
fn encoded_component(url: &str) -> bool {
    let Some(at) = url.find('%') else {
        return false;
    };
    let (scheme, rest) = url.split_at(at);
    let mut chars = scheme.bytes();
    chars.next().is_some_and(|b| b.is_ascii_alphabetic())
        && chars.all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.'))
        && rest.get(..3).is_some_and(|e| e.eq_ignore_ascii_case("%3A"))
}

/// Whether byte `i` of `url` must be percent-encoded in a URI (RFC 3986 §2): space, the
/// delimiters RFC 3986 excludes, every non-ASCII byte (controls are refused before
/// this), and a `%` that does not start an escape.
fn unsafe_at(url: &[u8], i: usize) -> bool {
    match url[i] {
        b'%' => !url
            .get(i + 1..i + 3)
            .is_some_and(|hex| hex.iter().all(u8::is_ascii_hexdigit)),
        b => {
            b >= 0x80
                || matches!(
                    b,
                    b' ' | b'"' | b'<' | b'>' | b'\\' | b'^' | b'`' | b'{' | b'|' | b'}'
                )
        }
    }
}

/// Percent-encodes the bytes of `url` a URI may not hold; borrows when there are none.
fn encode_unsafe(url: Cow<'_, str>) -> Cow<'_, str> {
    let bytes = url.as_bytes();
    if !(0..bytes.len()).any(|i| unsafe_at(bytes, i)) {
        return url;
    }
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let mut out = String::with_capacity(bytes.len() + 16);
    for (i, &b) in bytes.iter().enumerate() {
        if unsafe_at(bytes, i) {
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

/// `s` without `prefix`, compared ignoring ASCII case (a scheme's case does not matter).
pub(crate) fn strip_prefix_ignore_case<'a>(s: &'a str, prefix: &str) -> Option<&'a str> {
    let head = s.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &s[prefix.len()..])
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
            ("http%3A%2Fh%2F100%2525", "http://h/100%25"),
            ("http%3A%2F%2Fe.com%2F100%25", "http://e.com/100%25"),
        ] {
            assert_eq!(location(url).unwrap(), want, "{url}");
        }
        assert!(matches!(location("http://h/plain"), Ok(Cow::Borrowed(_))));
    }

    /// URLs whose escapes name reserved characters: decoding any of them would name
    /// another resource (the route's redirect test reuses the list).
    pub(in crate::server) const RESERVED_ESCAPES: &[&str] = &[
        "http://e.com/100%25",
        "http://e.com/?q=a%26b",
        "http://e.com/a%23b",
        "http://e.com/a%3Fb",
        "http://e.com/a%2Fb",
        "http://e.com/a%2Bb",
        "http://e.com/%2B",
        "http://e.com/%7e%2f",
    ];

    #[test]
    fn reserved_escapes_stay_as_the_caller_wrote_them() {
        for &url in RESERVED_ESCAPES {
            assert_eq!(location(url), Ok(Cow::Borrowed(url)), "{url}");
        }
        assert_eq!(
            location("http://e.com/a%2Fb c").unwrap(),
            "http://e.com/a%2Fb%20c"
        );
        assert_eq!(location("http:/e.com/a%3Fb").unwrap(), "http://e.com/a%3Fb");
    }

    #[test]
    fn only_a_url_whose_scheme_colon_is_escaped_counts_as_encoded() {
        assert!(encoded_component("https%3A%2F%2Fx"));
        assert!(encoded_component("svn+ssh%3a%2F%2Fx"));
        assert!(!encoded_component("http://x/%3A"));
        assert!(!encoded_component("/a%3Ab"));
        assert!(!encoded_component("1http%3A"));
        assert!(!encoded_component("http%3"));
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
        assert_eq!(location(""), Err(BadUrl::Empty));
        for url in REFUSED {
            assert!(location(url).is_err(), "{url:?}");
        }
        assert_eq!(location("%zz"), Err(BadUrl::BrokenEscape));
        assert_eq!(location("%ff"), Err(BadUrl::NotUtf8));
        assert_eq!(location("x%0a"), Err(BadUrl::Control));
    }
}
