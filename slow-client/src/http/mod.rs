//! HTTP/1.x responses, read without doing any I/O.
//!
//! The client reads from its sockets and hands the bytes to a
//! [`ResponseReader`], a state machine in the manner of `httparse`'s
//! `Partial`/`Complete`: it answers "need more" ([`Progress::NeedMore`]),
//! "done" ([`Progress::Done`] with a [`Response`]), or a [`RequestError`]
//! whose [`ErrorKind`] names what went wrong. Nothing a server sends can
//! make it panic or grow past its [`Limits`].
//!
//! [`classify_io`] and [`RequestError::from_io`] give socket errors the same
//! names, so every request ends as a response or as exactly one kind.

mod body;
mod chunked;
mod error;
mod fields;
mod head;
mod response;

pub use chunked::MAX_CHUNK_SIZE_LINE;
pub use error::{classify_io, ErrorKind, IoPhase, RequestError};
pub use response::{BodyFraming, Limits, Progress, Response, ResponseReader};
