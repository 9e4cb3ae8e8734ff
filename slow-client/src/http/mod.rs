//! HTTP/1.x responses, read without doing any I/O.
//!
//! The client reads from its sockets and hands the bytes to a
//! [`ResponseReader`], a state machine in the manner of `httparse`'s
//! `Partial`/`Complete`: it answers "need more" ([`Progress::NeedMore`]),
//! "done" ([`Progress::Done`] with a [`Response`]), or a [`ResponseError`]
//! whose [`ErrorKind`] names what was wrong with the bytes. Nothing a server
//! sends can make it panic or grow past its [`ResponseLimits`]. Socket errors,
//! timeouts and interruptions are the client's to name
//! ([`client::ErrorKind`](crate::client::ErrorKind) wraps these kinds).

mod body;
pub(crate) mod chunked;
mod error;
mod fields;
mod head;
mod response;

pub use chunked::MAX_CHUNK_SIZE_LINE;
pub use error::{ErrorKind, ResponseError};
pub use response::{BodyFraming, Progress, Response, ResponseLimits, ResponseReader};
