//! Body framing (RFC 9112 §6.3): how a response says where its body ends.

use super::chunked::ChunkedDecoder;
use super::error::{ErrorKind, ResponseError};
use super::fields::TransferCoding;
use super::head::ResponseHead;
use super::{BodyFraming, ResponseLimits};

/// The body still to read, by framing. Counts bytes; stores none.
#[derive(Debug)]
pub(crate) enum Body {
    /// `Content-Length` framing: `left` of `total` bytes to go.
    Length { left: u64, total: u64 },
    /// Chunked framing.
    Chunked(ChunkedDecoder),
    /// Everything until the connection closes.
    Close,
}

/// Decides how the body of a final (non-1xx) response is framed. `None`
/// means there is no body to read: the response is complete with its head.
///
/// In order: 204 and 304 have no body, whatever their headers say; then
/// `Transfer-Encoding` overrides `Content-Length` (chunked last means
/// chunked, any other coding means close-delimited); then `Content-Length`;
/// then the connection close. `Transfer-Encoding` in an HTTP/1.0 response
/// is an error: RFC 9112 §6.1 calls its framing faulty.
pub(crate) fn plan(
    head: &ResponseHead,
    limits: &ResponseLimits,
) -> Result<(BodyFraming, Option<Body>), ResponseError> {
    if matches!(head.status, 100..=199 | 204 | 304) {
        return Ok((BodyFraming::Empty, None));
    }
    if let Some(coding) = head.transfer_coding {
        if head.version == 0 {
            let message =
                "Transfer-Encoding in an HTTP/1.0 response: its framing cannot be trusted";
            return Err(ResponseError::new(ErrorKind::MalformedHead, message));
        }
        return Ok(match coding {
            TransferCoding::Chunked => (
                BodyFraming::Chunked,
                Some(Body::Chunked(ChunkedDecoder::new())),
            ),
            TransferCoding::Other => (BodyFraming::Close, Some(Body::Close)),
        });
    }
    match head.content_length {
        Some(n) if n > limits.max_body => {
            let message = format!(
                "Content-Length {n} exceeds the {}-byte body limit",
                limits.max_body
            );
            Err(ResponseError::new(ErrorKind::BodyTooLarge, message))
        }
        Some(0) => Ok((BodyFraming::Length, None)),
        Some(n) => Ok((
            BodyFraming::Length,
            Some(Body::Length { left: n, total: n }),
        )),
        None => Ok((BodyFraming::Close, Some(Body::Close))),
    }
}

impl Body {
    /// Takes body bytes, adding payload bytes to `count`. Returns whether
    /// the body is complete; bytes after its end are ignored.
    pub(crate) fn feed(
        &mut self,
        input: &[u8],
        count: &mut u64,
        limits: &ResponseLimits,
    ) -> Result<bool, ResponseError> {
        match self {
            Body::Length { left, .. } => {
                // usize -> u64 never truncates on the targets we build for.
                let n = (*left).min(input.len() as u64);
                *left -= n;
                *count += n;
                Ok(*left == 0)
            }
            Body::Chunked(decoder) => decoder.feed(input, count, limits),
            Body::Close => {
                *count += input.len() as u64;
                if *count > limits.max_body {
                    let message = format!(
                        "close-delimited body exceeds the {}-byte limit",
                        limits.max_body
                    );
                    return Err(ResponseError::new(ErrorKind::BodyTooLarge, message));
                }
                Ok(false)
            }
        }
    }

    /// What the connection closing means: the end of a close-delimited
    /// body (`Ok`), or a body cut short.
    pub(crate) fn closed(&self, count: u64) -> Result<(), ResponseError> {
        match self {
            Body::Close => Ok(()),
            Body::Length { total, .. } => {
                let message = format!("connection closed after {count} of {total} body bytes");
                Err(ResponseError::new(ErrorKind::TruncatedBody, message))
            }
            Body::Chunked(decoder) => Err(decoder.closed_error(count)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn framing(
        status: u16,
        version: u8,
        cl: Option<u64>,
        te: Option<TransferCoding>,
    ) -> Result<BodyFraming, ErrorKind> {
        let head = ResponseHead {
            version,
            status,
            reason: String::new(),
            content_length: cl,
            transfer_coding: te,
        };
        plan(&head, &ResponseLimits::default())
            .map(|(f, _)| f)
            .map_err(|e| e.kind)
    }

    #[test]
    fn framing_follows_rfc_9112_precedence() {
        use TransferCoding::{Chunked, Other};
        assert_eq!(
            framing(204, 1, Some(5), Some(Chunked)),
            Ok(BodyFraming::Empty)
        );
        assert_eq!(framing(304, 1, Some(5), None), Ok(BodyFraming::Empty));
        assert_eq!(
            framing(200, 1, Some(5), Some(Chunked)),
            Ok(BodyFraming::Chunked)
        );
        assert_eq!(
            framing(200, 1, Some(5), Some(Other)),
            Ok(BodyFraming::Close)
        );
        assert_eq!(
            framing(200, 0, None, Some(Chunked)),
            Err(ErrorKind::MalformedHead)
        );
        assert_eq!(framing(200, 1, Some(5), None), Ok(BodyFraming::Length));
        assert_eq!(framing(200, 0, None, None), Ok(BodyFraming::Close));
    }

    #[test]
    fn a_content_length_over_the_cap_fails_before_any_body_byte() {
        let over = ResponseLimits::default().max_body + 1;
        assert_eq!(
            framing(200, 1, Some(over), None),
            Err(ErrorKind::BodyTooLarge)
        );
        assert_eq!(
            framing(200, 1, Some(over - 1), None),
            Ok(BodyFraming::Length)
        );
    }
}
