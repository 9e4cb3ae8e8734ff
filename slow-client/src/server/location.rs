//! The `Location` of slowwly's redirect: the `{url}` tail percent-decoded, slashes a
//! proxy merged repaired, and anything that could break out of the header refused.

use std::borrow::Cow;

use super::route::{echo, strip_prefix_ignore_case};

/// The `Location` for a `/url/{url}` tail: percent-decoded, `http:/host` (slashes merged
/// by a proxy or a path normaliser) repaired to `http://host`.
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
    Ok(repair_scheme_slashes(decoded))
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
mod tests {
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
    fn control_characters_broken_escapes_and_an_empty_url_are_refused() {
        for url in [
            "",
            "x%0D%0ASet-Cookie:%20a=b",
            "x%0a",
            "%00",
            "%7f",
            "%zz",
            "x%4",
            "%ff",
            "%+1",
        ] {
            assert!(location(url).is_err(), "{url:?}");
        }
    }
}
