//! [`Token`]: the caller's name for a registration.

/// The caller's name for a registration, handed back with each of its events.
///
/// The kernel stores it in `epoll_event.data` and returns it unchanged; any
/// `u64` is valid (an index into a slab, a connection id, ...).
///
/// ```
/// use epoll_safe::Token;
/// const LISTENER: Token = Token(0);
/// assert_eq!(Token(7).0, 7);
/// assert!(LISTENER < Token(1));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Token(pub u64);

impl From<Token> for u64 {
    fn from(token: Token) -> u64 {
        token.0
    }
}

impl From<u64> for Token {
    fn from(value: u64) -> Token {
        Token(value)
    }
}
