//! The header fields that frame a body: `Content-Length` and
//! `Transfer-Encoding`, gathered field by field as the head is read.

use super::error::{quote_line, ErrorKind, ResponseError};

/// What the last `Transfer-Encoding` coding says about the body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TransferCoding {
    /// `chunked` is the final coding: the body is chunked.
    Chunked,
    /// Some other final coding: the body runs until the connection closes.
    Other,
}

/// What the framing fields of one head said so far.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub(crate) struct FramingFields {
    pub content_length: Option<u64>,
    pub transfer_coding: Option<TransferCoding>,
}

impl FramingFields {
    /// Takes note of one header field; other fields than the two are ignored.
    pub(crate) fn record(&mut self, name: &str, value: &[u8]) -> Result<(), ResponseError> {
        if name.eq_ignore_ascii_case("content-length") {
            record_content_length(&mut self.content_length, value)
        } else if name.eq_ignore_ascii_case("transfer-encoding") {
            record_transfer_encoding(&mut self.transfer_coding, value);
            Ok(())
        } else {
            Ok(())
        }
    }
}

/// `Content-Length` is `1*DIGIT`; a list of equal values (`42, 42`), or equal
/// repeated fields, is one length (RFC 9110 §8.6). Anything else is an error:
/// guessing a length from bad framing is how responses get smuggled.
fn record_content_length(current: &mut Option<u64>, value: &[u8]) -> Result<(), ResponseError> {
    for item in value.split(|&b| b == b',') {
        let Some(length) = parse_decimal(item.trim_ascii()) else {
            let message = format!("invalid Content-Length: {}", quote_line(value));
            return Err(ResponseError::new(ErrorKind::MalformedHead, message));
        };
        match *current {
            Some(prev) if prev != length => {
                let what = format!("conflicting Content-Length values {prev} and {length}");
                return Err(ResponseError::new(ErrorKind::MalformedHead, what));
            }
            _ => *current = Some(length),
        }
    }
    Ok(())
}

fn parse_decimal(digits: &[u8]) -> Option<u64> {
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    digits.iter().try_fold(0u64, |n, &d| {
        n.checked_mul(10)?.checked_add(u64::from(d - b'0'))
    })
}

/// Codings accumulate across fields; only the last one decides the framing
/// (RFC 9112 §6.3): chunked last means chunked, anything else means the body
/// runs to the close.
fn record_transfer_encoding(current: &mut Option<TransferCoding>, value: &[u8]) {
    let last = value
        .split(|&b| b == b',')
        .map(<[u8]>::trim_ascii)
        .rfind(|c| !c.is_empty());
    match last {
        Some(coding) if coding.eq_ignore_ascii_case(b"chunked") => {
            *current = Some(TransferCoding::Chunked)
        }
        Some(_) => *current = Some(TransferCoding::Other),
        None => *current = Some(current.unwrap_or(TransferCoding::Other)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_length_accepts_equal_lists_and_rejects_the_rest() {
        let cl = |v: &[u8]| {
            let mut n = None;
            record_content_length(&mut n, v)
                .map(|()| n)
                .map_err(|e| e.kind)
        };
        assert_eq!(cl(b"24"), Ok(Some(24)));
        assert_eq!(cl(b"7, 7 ,7"), Ok(Some(7)));
        assert_eq!(cl(b"18446744073709551615"), Ok(Some(u64::MAX)));
        for bad in [
            &b""[..],
            b"+5",
            b"-1",
            b"5 5",
            b"0x10",
            b"18446744073709551616",
            b"7,,7",
            b"7, 8",
        ] {
            assert_eq!(
                cl(bad),
                Err(ErrorKind::MalformedHead),
                "{:?}",
                String::from_utf8_lossy(bad)
            );
        }
    }

    #[test]
    fn transfer_encoding_is_decided_by_the_last_coding() {
        let te = |values: &[&[u8]]| {
            let mut t = None;
            values
                .iter()
                .for_each(|v| record_transfer_encoding(&mut t, v));
            t
        };
        assert_eq!(te(&[b"chunked"]), Some(TransferCoding::Chunked));
        assert_eq!(te(&[b"gzip, CHUNKED "]), Some(TransferCoding::Chunked));
        assert_eq!(te(&[b"gzip", b"chunked"]), Some(TransferCoding::Chunked));
        assert_eq!(te(&[b"chunked, gzip"]), Some(TransferCoding::Other));
        assert_eq!(te(&[b"chunked", b"gzip"]), Some(TransferCoding::Other));
        assert_eq!(te(&[b""]), Some(TransferCoding::Other));
    }
}
