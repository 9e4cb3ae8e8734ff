//! Safe, zero-cost Linux epoll: RAII handles, typed errors, a reusable event
//! buffer, and the companions an event loop needs (waker, timer, signals).
#![doc(test(attr(deny(warnings))))]

mod epoll;
mod error;
mod events;
mod interest;
mod signals;
mod sys;
mod timer;
mod token;
mod waker;

pub use epoll::Epoll;
pub use error::{Error, Op, Result};
pub use events::{Event, Events, Iter};
pub use interest::Interest;
pub use signals::Signals;
pub use timer::Timer;
pub use token::Token;
pub use waker::Waker;
