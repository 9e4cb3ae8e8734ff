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
///
/// // A slab index in and out:
/// let t = Token::from(3usize);
/// assert_eq!(usize::try_from(t), Ok(3));
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

impl From<usize> for Token {
    fn from(value: usize) -> Token {
        // usize is at most 64 bits on every Rust target.
        Token(value as u64)
    }
}

/// Fails only where `usize` is narrower than 64 bits and the token does not
/// fit (it was not made from a `usize`).
impl TryFrom<Token> for usize {
    type Error = std::num::TryFromIntError;

    fn try_from(token: Token) -> Result<usize, Self::Error> {
        usize::try_from(token.0)
    }
}
